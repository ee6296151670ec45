"""A trace cut into steps, as the exports show it: hosts, exchanges and transcript lines.

Markdown, Mermaid and HTML all read this one view, so they agree with each
other: one *exchange* per command a server received or reply it sent (that is
one arrow of a sequence diagram), DNS lookups as a question and an answer to a
``DNS`` participant, and what a step did to mailboxes and queues as notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from simulator.trace import (
    C2S,
    BytesSent,
    CheckStep,
    ClockAdvanced,
    CommandReceived,
    ConnectionClosed,
    ConnectionOpened,
    ConnectionRefused,
    DnsLookup,
    Event,
    ExpectationChecked,
    FaultInjected,
    MailboxChanged,
    Note,
    QueueChanged,
    ReplySent,
    TlsRecord,
    Trace,
)

DNS = "DNS"  # the participant that answers DNS questions
END_OF_DATA = "<CRLF>.<CRLF>"  # the "command" an SMTP server records at the final dot

ExchangeKind = Literal["command", "reply", "dns-query", "dns-answer", "refused", "note"]


@dataclass(frozen=True, slots=True)
class Exchange:
    """One arrow of a sequence diagram (or a note when ``kind == "note"``).

    ``src`` and ``dst`` are host names (or :data:`DNS`); a note sits over
    ``src`` .. ``dst``, or over every participant when both are "".
    """

    kind: ExchangeKind
    src: str
    dst: str
    lines: tuple[str, ...]
    seq: int = 0

    @property
    def label(self) -> str:
        return self.lines[0] if self.lines else ""


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    side: str  # "C", "S", or "" for a remark (connection, DNS, mailbox, queue...)
    conn: str
    text: str


@dataclass(slots=True)
class StepView:
    number: int  # 1-based among the scenario's steps; 0 for the world's setup
    step_id: str
    title: str
    explain: str
    exchanges: list[Exchange] = field(default_factory=list)
    transcript: list[TranscriptLine] = field(default_factory=list)
    expectations: list[ExpectationChecked] = field(default_factory=list)
    # A server records what a command did (a delivery, a queued message) before
    # the command itself; such notes wait here for the command's arrow.
    _held: list[Exchange] = field(default_factory=list, repr=False)
    _awaiting_command: bool = field(default=False, repr=False)

    def _exchange(self, x: Exchange) -> None:
        if x.kind == "note" and self._awaiting_command:
            self._held.append(x)
            return
        self.exchanges.append(x)
        if x.kind == "command":
            self._awaiting_command = False
        if self._held and x.kind in ("command", "reply"):
            self.exchanges += self._held
            self._held.clear()

    def _flush(self) -> None:
        self.exchanges += self._held
        self._held.clear()
        self._awaiting_command = False

    @property
    def heading(self) -> str:
        title = self.title if self.title and self.title != self.step_id else ""
        return f"{self.number}. {self.step_id}" + (f" — {title}" if title else "")

    @property
    def conns(self) -> list[str]:
        return sorted({line.conn for line in self.transcript if line.conn and line.side})


@dataclass(slots=True)
class Timeline:
    title: str
    participants: list[str]  # hosts in order of appearance, then DNS if anyone asked it
    addresses: dict[str, str]
    steps: list[StepView]

    def exchanges(self) -> list[Exchange]:
        return [x for step in self.steps for x in step.exchanges]


def bytes_lines(data: bytes) -> list[str]:
    """Split on CRLF only, showing a bare CR or LF as an escape (as ``mailsim run`` does)."""
    text = data.decode("utf-8", "replace")
    parts = text.split("\r\n")
    if parts and parts[-1] == "":
        parts.pop()
    return [p.replace("\r", "\\r").replace("\n", "\\n") for p in parts]


def reply_lines(event: ReplySent) -> tuple[str, ...]:
    """A reply as it reads on the wire: ``250-first``, ..., ``250 last`` for SMTP codes."""
    texts = event.text or ("",)
    if not (len(event.code) == 3 and event.code.isdigit()):
        return tuple(" ".join(x for x in (event.code, t) if x) for t in texts)
    out = []
    for n, text in enumerate(texts):
        sep = " " if n == len(texts) - 1 else "-"
        body = f"{event.enhanced} {text}" if event.enhanced else text
        out.append(f"{event.code}{sep}{body}".rstrip())
    return tuple(out)


def command_line(event: CommandReceived) -> str:
    if event.verb == END_OF_DATA:
        return "(message text) ."
    return f"{event.verb} {event.argument}".rstrip()


def build(trace: Trace, title: str = "") -> Timeline:
    participants: list[str] = []
    addresses: dict[str, str] = {}
    uses_dns = False

    def see(host: str, addr: str = "") -> None:
        if host and host not in participants:
            participants.append(host)
        if addr and host not in addresses:
            addresses[host] = addr

    conns: dict[str, ConnectionOpened] = {}
    steps: list[StepView] = []
    all_steps = trace.steps()
    offset = 0 if all_steps and all_steps[0].step_id == "setup" else 1
    for step in all_steps:
        number = step.index + offset
        view = StepView(number, step.step_id, step.title, step.explain)
        for event in trace.events[step.start:step.end]:
            if isinstance(event, ConnectionOpened):
                conns[event.conn] = event
                see(event.client_host, event.client_addr)
                see(event.server_host, event.server_addr)
            elif isinstance(event, ConnectionRefused):
                see(event.client_host)
                see(event.server_host, event.server_addr)
            elif isinstance(event, DnsLookup):
                see(event.asker)
                uses_dns = True
            elif isinstance(event, MailboxChanged | QueueChanged | CheckStep) and not (
                    isinstance(event, MailboxChanged) and event.action == "created"):
                see(event.host)
            _add(view, event, conns)
        view._flush()
        steps.append(view)
    steps = [s for s in steps if s.number > 0 or s.transcript or s.exchanges]
    if uses_dns:
        participants.append(DNS)
    return Timeline(title or str(trace.meta.get("title", "")) or "mailsim trace", participants, addresses, steps)


def _add(view: StepView, event: Event, conns: dict[str, ConnectionOpened]) -> None:
    x, t = view._exchange, view.transcript.append
    opened = conns.get(getattr(event, "conn", ""))
    if isinstance(event, ConnectionOpened):
        t(TranscriptLine("", event.conn, f"{event.conn}: {event.client_host} ({event.client_addr}) → "
                         f"{event.server_host} ({event.server_addr}) port {event.port} ({event.service})"))
    elif isinstance(event, ConnectionClosed):
        why = f" ({event.reason})" if event.reason else ""
        t(TranscriptLine("", event.conn, f"{event.conn}: closed by {event.by}{why}"))
    elif isinstance(event, ConnectionRefused):
        text = f"{event.client_host} → {event.server_host} port {event.port}: {event.reason}"
        t(TranscriptLine("", "", text))
        x(Exchange("refused", event.client_host, event.server_host,
                   (f"connect to port {event.port}: {event.reason}",), event.seq))
    elif isinstance(event, BytesSent):
        side = "C" if event.direction == C2S else "S"
        if side == "C":
            view._awaiting_command = True
        for line in bytes_lines(event.plaintext):
            t(TranscriptLine(side, event.conn, line))
    elif isinstance(event, CommandReceived) and opened is not None:
        x(Exchange("command", opened.client_host, opened.server_host, (command_line(event),), event.seq))
    elif isinstance(event, ReplySent) and opened is not None:
        x(Exchange("reply", opened.server_host, opened.client_host, reply_lines(event), event.seq))
    elif isinstance(event, DnsLookup):
        answer = ", ".join(event.answers) if event.answers else (event.error or "no answer")
        t(TranscriptLine("", "", f"DNS {event.asker}: {event.name} {event.rtype}? → {answer}"))
        x(Exchange("dns-query", event.asker, DNS, (f"{event.name} {event.rtype}?",), event.seq))
        x(Exchange("dns-answer", DNS, event.asker, (answer,), event.seq))
    elif isinstance(event, MailboxChanged):
        if event.action == "created":
            return
        what = {"delivered": "delivered to", "expunged": "expunged from", "flags": "flags changed in"}.get(
            event.action, event.action)
        detail = f" UID {event.uid}" if event.uid else ""
        subject = f' "{event.subject}"' if event.subject else ""
        text = f"{what} {event.user} {event.folder}{detail}{subject}"
        t(TranscriptLine("", "", f"mailbox on {event.host}: {text}"))
        x(Exchange("note", event.host, event.host, (text,), event.seq))
    elif isinstance(event, QueueChanged):
        rcpts = ", ".join(event.recipients)
        extra = f" ({event.detail})" if event.detail else ""
        text = f"queue {event.queue_id}: {event.action} {rcpts}{extra}"
        t(TranscriptLine("", "", f"{event.host} {text}"))
        x(Exchange("note", event.host, event.host, (text,), event.seq))
    elif isinstance(event, CheckStep):
        result = f" → {event.result}" if event.result else ""
        text = f"{event.check.upper()}: {event.text}{result}"
        t(TranscriptLine("", "", f"{event.host} {text}"))
        x(Exchange("note", event.host, event.host, (text,), event.seq))
    elif isinstance(event, TlsRecord):
        kinds = f" {', '.join(event.handshake_types)}" if event.handshake_types else ""
        side = "C" if event.direction == C2S else "S"
        t(TranscriptLine("", event.conn, f"{event.conn} {side}: TLS {event.content_type}{kinds} "
                         f"({event.length} bytes)"))
    elif isinstance(event, FaultInjected):
        t(TranscriptLine("", "", f"FAULT {event.fault}: {event.detail}"))
        x(Exchange("note", "", "", (f"fault: {event.detail}",), event.seq))
    elif isinstance(event, Note):
        t(TranscriptLine("", "", f"note: {event.text}"))
        x(Exchange("note", "", "", (event.text,), event.seq))
    elif isinstance(event, ClockAdvanced):
        t(TranscriptLine("", "", f"clock advanced by {event.seconds:g} s"))
        x(Exchange("note", "", "", (f"{event.seconds:g} s later", ), event.seq))
    elif isinstance(event, ExpectationChecked):
        view.expectations.append(event)


def transcript_text(step: StepView) -> list[str]:
    """The step's transcript as plain lines (``C:``/``S:`` plus remarks)."""
    several = len(step.conns) > 1
    out = []
    for line in step.transcript:
        if line.side:
            prefix = f"{line.conn} " if several else ""
            out.append(f"{prefix}{line.side}: {line.text}")
        else:
            out.append(f"-- {line.text}")
    return out
