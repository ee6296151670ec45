"""Helpers for the IMAP server tests: a store with Bob's mailbox and sessions that talk to it.

Handed out as fixtures (no ``tests/__init__.py``), as tests/protocols/conftest.py does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from simulator.mail.store import MailStore
from simulator.protocols.imap.server import ImapServer, ImapServerConfig
from simulator.trace import Event

HOST = "mx.example.net"
BOB = "bob@example.net"
NOW = 1_780_000_000.0


def message(subject: str, body: str = "Hello.") -> bytes:
    return (f"From: Alice <alice@example.org>\r\nTo: Bob <{BOB}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@example.org>\r\n\r\n{body}\r\n").encode()


@dataclass
class Policy:
    store: MailStore
    faults: dict[str, object] = field(default_factory=dict)

    def check_password(self, user: str, password: str) -> bool:
        return user.lower() == BOB and password == "builder"

    def shared_secret(self, user: str) -> str | None:
        """What CRAM-MD5 and SCRAM need of the host (sasl.SecretKeeper): the password itself."""
        return "builder" if user.lower() == BOB else None

    def now(self) -> float:
        return NOW

    def fault(self, stage: str):
        return self.faults.pop(stage, None)


class Session:
    """One client connection to the server machine: send lines, read what came back."""

    def __init__(self, policy: Policy, **config) -> None:
        self.server = ImapServer(ImapServerConfig(hostname=HOST, **config), policy, peer_host="bob-phone",
                                 conn="c1")
        self.events: list[Event] = list(self.server.start())
        self.pushed: list[Event] = []
        self.server.on_output = self.pushed.extend
        self.greeting = self.server.data_to_send()

    def send(self, data: bytes | str) -> bytes:
        raw = data.encode() if isinstance(data, str) else data
        if raw and not raw.endswith(b"\n"):
            raw += b"\r\n"
        self.events += self.server.receive_data(raw)
        return self.server.data_to_send()

    def lines(self, data: bytes | str) -> list[str]:
        return self.send(data).decode("utf-8", "replace").split("\r\n")[:-1]

    def login(self) -> None:
        assert self.lines(f"L1 LOGIN {BOB} builder")[-1].startswith("L1 OK")

    def select(self, mailbox: str = "INBOX") -> list[str]:
        out = self.lines(f"S1 SELECT {mailbox}")
        assert out[-1].startswith("S1 OK"), out
        return out

    @property
    def state(self) -> str:
        return self.server.state


class World:
    def __init__(self) -> None:
        self.store = MailStore(HOST)
        self.store.add_user(BOB)
        self.policy = Policy(self.store)

    def deliver(self, subject: str, folder: str = "INBOX") -> int:
        return self.store.deliver(BOB, message(subject), NOW, folder).uid

    def session(self, *, login: bool = True, select: str | None = None, **config) -> Session:
        s = Session(self.policy, **config)
        if login:
            s.login()
        if select:
            s.select(select)
        return s


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture(scope="session")
def world_factory() -> type[World]:
    """The World class itself, for tests that make many (Hypothesis state machines)."""
    return World
