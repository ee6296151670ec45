"""Shared helpers for the sans-IO protocol tests.

Helpers are handed out as session-scoped fixtures (no ``tests/__init__.py``,
so test modules do not import this file), which also keeps them usable
inside Hypothesis tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pytest

from simulator.protocols.smtp.client import ReplyReader
from simulator.protocols.smtp.replies import R, Reply
from simulator.protocols.smtp.server import Envelope, Session, SmtpServer, SmtpServerConfig
from simulator.trace import CommandReceived, Event, ReplySent, StateChanged

HOST = "mx.example.net"


@dataclass(frozen=True)
class Accepted:
    """A copy of what accept_message saw (the server reuses nothing, but be safe)."""

    mail_from: str
    rcpt_to: tuple[str, ...]
    data: bytes
    params: dict[str, str | None]


class RecordingPolicy:
    """An in-test SmtpPolicy: refuses what it is told to and records every call."""

    def __init__(
        self,
        *,
        senders: dict[str, Reply] | None = None,
        recipients: dict[str, Reply] | None = None,
        verdict: Reply | None = None,
        verify: dict[str, Reply] | None = None,
    ) -> None:
        self.sender_refusals = dict(senders or {})
        self.recipient_refusals = dict(recipients or {})
        self.verdict = verdict if verdict is not None else R.QUEUED.format("Q1")
        self.verify_answers = dict(verify or {})
        self.verified: list[str] = []
        self.senders: list[str] = []
        self.recipients: list[str] = []
        self.accepted: list[Accepted] = []

    def check_sender(self, session: Session, reverse_path: str) -> Reply | None:
        self.senders.append(reverse_path)
        return self.sender_refusals.get(reverse_path)

    def check_recipient(self, session: Session, envelope: Envelope, forward_path: str) -> Reply | None:
        self.recipients.append(forward_path)
        return self.recipient_refusals.get(forward_path)

    def verify(self, session: Session, argument: str) -> Reply:
        self.verified.append(argument)
        return self.verify_answers.get(argument, R.VRFY)

    def accept_message(self, session: Session, envelope: Envelope) -> Reply:
        self.accepted.append(
            Accepted(envelope.mail_from, tuple(envelope.rcpt_to), envelope.data, dict(envelope.params))
        )
        return self.verdict


def parse_replies(data: bytes) -> list[Reply]:
    """Parse server output with the client's ReplyReader; all of it must be complete replies."""
    reader = ReplyReader()
    reader.feed(data)
    out = []
    while (reply := reader.next_reply()) is not None:
        out.append(reply)
    assert len(reader._buffer) == 0, f"trailing partial reply: {reader._buffer.take_all()!r}"
    return out


@dataclass
class ServerRun:
    server: SmtpServer
    policy: RecordingPolicy
    events: list[Event] = field(default_factory=list)
    output: bytes = b""

    def feed(self, *chunks: bytes) -> ServerRun:
        """Feed more bytes (each chunk one receive_data call) and collect the results."""
        for chunk in chunks:
            self.events += self.server.receive_data(chunk)
        self.output += self.server.data_to_send()
        return self

    def call(self, method: str) -> ServerRun:
        self.events += getattr(self.server, method)()
        self.output += self.server.data_to_send()
        return self

    @property
    def state(self) -> str:
        return self.server.state

    @property
    def lines(self) -> list[bytes]:
        return self.output.splitlines(keepends=True)

    @property
    def replies(self) -> list[Reply]:
        return parse_replies(self.output)

    @property
    def codes(self) -> list[int]:
        return [r.code for r in self.replies]

    @property
    def last(self) -> Reply:
        return self.replies[-1]

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


def run_server(
    *chunks: bytes,
    policy: RecordingPolicy | None = None,
    start: bool = True,
    auth: object = None,
    **config: object,
) -> ServerRun:
    """A fresh server (hostname HOST, ``config`` overrides; ``auth``: who checks AUTH) fed ``chunks`` one call each."""
    policy = policy if policy is not None else RecordingPolicy()
    server = SmtpServer(SmtpServerConfig(HOST, **config), policy, auth=auth)  # type: ignore[arg-type]
    run = ServerRun(server, policy)
    if start:
        run.events += server.start()
    return run.feed(*chunks)


def cmds(*lines: str | bytes) -> bytes:
    """Command lines joined, each with its CRLF."""
    return b"".join((ln.encode() if isinstance(ln, str) else ln) + b"\r\n" for ln in lines)


EHLO = "EHLO client.example.org"
MAIL = "MAIL FROM:<alice@example.org>"
RCPT = "RCPT TO:<bob@example.net>"


def transaction(body: bytes, *, rcpts: Iterable[str] = ("bob@example.net",)) -> bytes:
    """EHLO, MAIL, RCPT..., DATA and ``body`` as given (it must carry its own final dot)."""
    return cmds(EHLO, MAIL, *(f"RCPT TO:<{r}>" for r in rcpts), "DATA") + body


class Helpers:
    """The helpers as one namespace, handed out by the ``smtp`` fixture."""

    HOST = HOST
    EHLO = EHLO
    MAIL = MAIL
    RCPT = RCPT
    Policy = RecordingPolicy
    run_server = staticmethod(run_server)
    cmds = staticmethod(cmds)
    transaction = staticmethod(transaction)
    parse_replies = staticmethod(parse_replies)


@pytest.fixture(scope="session")
def smtp() -> type[Helpers]:
    return Helpers
