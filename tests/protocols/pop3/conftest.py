"""Shared helpers for the POP3 machine tests, handed out by the ``pop3`` fixture."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from simulator.mail.store import MailStore
from simulator.protocols.pop3.client import Pop3Client
from simulator.protocols.pop3.reader import ResponseReader
from simulator.protocols.pop3.replies import Pop3Reply
from simulator.protocols.pop3.server import Pop3Server, Pop3ServerConfig
from simulator.trace import CommandReceived, Event, ReplySent, StateChanged

HOST = "mx.example.net"
BOB = "bob@example.net"
STAMP = "<4242.1772442000@mx.example.net>"
MESSAGES = (
    b"From: alice@example.org\r\nSubject: one\r\n\r\nHello Bob\r\n.signature\r\n",
    b"From: alice@example.org\r\nSubject: two\r\n\r\nline 1\r\nline 2\r\nline 3\r\n",
)


class Auth:
    """An in-test Pop3Authenticator."""

    def __init__(self, passwords: dict[str, str] | None = None) -> None:
        self.passwords = passwords if passwords is not None else {BOB: "builder"}

    def check_password(self, user: str, password: str) -> bool:
        return self.passwords.get(user.lower()) == password

    def shared_secret(self, user: str) -> str | None:
        return self.passwords.get(user.lower())


def make_store(*messages: bytes, user: str = BOB) -> MailStore:
    store = MailStore(HOST)
    store.add_user(user)
    for n, data in enumerate(messages):
        store.deliver(user, data, float(n))
    return store


@dataclass
class ServerRun:
    server: Pop3Server
    store: MailStore
    events: list[Event] = field(default_factory=list)
    output: bytes = b""
    replies: list[Pop3Reply] = field(default_factory=list)
    reader: ResponseReader = field(default_factory=ResponseReader)

    def feed(self, *chunks: bytes) -> ServerRun:
        """Feed more bytes (one receive_data call each); the responses are parsed as a client would."""
        for chunk in chunks:
            self.reader.command_sent(chunk)
            self.events += self.server.receive_data(chunk)
            self._collect()
        return self

    def send(self, *lines: str | bytes) -> ServerRun:
        return self.feed(cmds(*lines))

    def call(self, method: str) -> ServerRun:
        self.events += getattr(self.server, method)()
        self._collect()
        return self

    def _collect(self) -> None:
        out = self.server.data_to_send()
        self.output += out
        self.reader.feed(out)
        while (reply := self.reader.next_reply()) is not None:
            self.replies.append(reply)

    @property
    def state(self) -> str:
        return self.server.state

    @property
    def last(self) -> Pop3Reply:
        return self.replies[-1]

    @property
    def codes(self) -> list[str]:
        return [r.status for r in self.replies]

    def of(self, kind: type[Event]) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def states(self) -> list[StateChanged]:
        return self.of(StateChanged)

    @property
    def commands(self) -> list[CommandReceived]:
        return self.of(CommandReceived)

    @property
    def sent(self) -> list[ReplySent]:
        return self.of(ReplySent)


def run_server(*lines: str | bytes, store: MailStore | None = None, auth: Auth | None = None,
               fault=None, tls: bool = False, logins=None, **config: object) -> ServerRun:
    """A fresh server on ``store`` (default: Bob with MESSAGES) after the greeting, fed ``lines``."""
    store = store if store is not None else make_store(*MESSAGES)
    config.setdefault("apop_timestamp", STAMP)
    server = Pop3Server(Pop3ServerConfig(HOST, **config), store, auth or Auth(), fault=fault,  # type: ignore[arg-type]
                        tls=tls, logins=logins)
    run = ServerRun(server, store)
    run.events += server.start()
    run._collect()
    if lines:
        run.send(*lines)
    return run


def new_server(store: MailStore, auth: Auth | None = None, fault=None, logins=None,
               **config: object) -> Pop3Server:
    """A server that has sent its greeting, not yet read: for a client to talk to."""
    config.setdefault("apop_timestamp", STAMP)
    server = Pop3Server(Pop3ServerConfig(HOST, **config), store, auth or Auth(), fault=fault,  # type: ignore[arg-type]
                        logins=logins)
    server.start()
    return server


def logged_in(*lines: str | bytes, **kwargs: object) -> ServerRun:
    return run_server("USER bob@example.net", "PASS builder", *lines, **kwargs)


def cmds(*lines: str | bytes) -> bytes:
    return b"".join((ln.encode() if isinstance(ln, str) else ln) + b"\r\n" for ln in lines)


def exchange(client: Pop3Client, server: Pop3Server, limit: int = 200) -> None:
    """Let a client and a server machine talk until neither has more to say."""
    data = server.data_to_send()
    for _ in range(limit):
        if data:
            client.receive_data(data)
        if server.closed and not client.closed:
            client.receive_data(b"")
        out = client.data_to_send()
        if not out:
            return
        server.receive_data(out)
        data = server.data_to_send()
    raise AssertionError("the pair did not settle")


class Helpers:
    HOST = HOST
    BOB = BOB
    STAMP = STAMP
    MESSAGES = MESSAGES
    Auth = Auth
    make_store = staticmethod(make_store)
    run_server = staticmethod(run_server)
    new_server = staticmethod(new_server)
    logged_in = staticmethod(logged_in)
    cmds = staticmethod(cmds)
    exchange = staticmethod(exchange)


@pytest.fixture(scope="session")
def pop3() -> type[Helpers]:
    return Helpers
