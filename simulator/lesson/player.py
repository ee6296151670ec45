"""The lesson player's model: a trace, a current step, and what the world looked like then.

This is the plain-Python stepper the TUI drives (after harlequin: widgets only
render). It owns a :class:`~simulator.trace.Trace` and a step index and derives,
for any step, every view the lesson screen shows: the hosts and arrows of the
sequence diagram, each machine's state and last transition, the transcript, the
wire, the mailboxes and queues (folded from ``MailboxChanged`` and
``QueueChanged``), DNS lookups, check steps and delivered messages.

Stepping back never undoes anything: the state at step *i* is always the fold
of the trace's events up to the end of step *i*. Folds are memoised per step,
each computed from the previous step's, so walking a long trace costs one pass.

Nothing here parses protocol bytes beyond splitting them into lines for display;
the protocol machines are never imported (their state tables are data).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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
    StateChanged,
    Step,
    TlsRecord,
    Trace,
)

if TYPE_CHECKING:
    from simulator.lesson.message_view import MessageView
    from simulator.lesson.quiz import QuizResult
    from simulator.scenario.models import Ask, Lesson, Scenario
    from simulator.scenario.runner import RunResult

MAX_LABEL = 60  # characters of a line kept in an arrow label
CHECKPOINT = 32  # steps between the world states the player keeps


# --- display helpers (bytes to lines; no protocol parsing) --------------------


def split_lines(data: bytes) -> list[str]:
    """Split on CRLF only, showing a bare CR or LF as an escape (as ``mailsim run`` does)."""
    text = data.decode("utf-8", "replace")
    parts = text.split("\r\n")
    if parts and parts[-1] == "":
        parts.pop()
    return [p.replace("\r", "\\r").replace("\n", "\\n") for p in parts]


def is_readable(data: bytes) -> bool:
    """Whether bytes are printable text an eavesdropper could simply read."""
    if not data:
        return True
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def hex_lines(data: bytes, *, limit: int = 64, width: int = 16) -> list[str]:
    """A short hex dump: offset, hex bytes, and printable ASCII."""
    out = []
    for off in range(0, min(len(data), limit), width):
        chunk = data[off : off + width]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        out.append(f"{off:04x}  {hexes:<{width * 3 - 1}}  {text}")
    if len(data) > limit:
        out.append(f"… {len(data) - limit} more bytes")
    return out


def md_escape(text: str) -> str:
    """Escape what Markdown would eat in a plain title (``<addr>`` is not an HTML tag here)."""
    return re.sub(r"([\\`*_<>\[\]#|])", r"\\\1", text)


def _clip(text: str, n: int = MAX_LABEL) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --- what the views hold -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HostColumn:
    name: str
    address: str


@dataclass(frozen=True, slots=True)
class Arrow:
    """One exchange of the sequence diagram (``dst`` == ``src`` for a note on a lifeline)."""

    step: int
    seq: int
    src: str
    dst: str
    label: str
    kind: str  # "c2s", "s2c", "connect", "refused", "close", "dns", "note", "fault", "tls"
    conn: str = ""


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    step: int
    conn: str
    side: str  # "C", "S", or "*" for a remark (connection, DNS, queue...)
    text: str


@dataclass(frozen=True, slots=True)
class WireChunk:
    """Bytes that crossed a connection, as each party sees them."""

    step: int
    seq: int
    conn: str
    direction: str
    src: str
    dst: str
    plain_lines: tuple[str, ...]
    wire_lines: tuple[str, ...]
    size: int
    wire_size: int
    encrypted: bool  # the wire bytes differ from the plaintext


@dataclass(frozen=True, slots=True)
class TlsRow:
    step: int
    seq: int
    conn: str
    direction: str
    content_type: str
    version: str
    length: int
    handshake_types: tuple[str, ...]
    decrypted: str


@dataclass(frozen=True, slots=True)
class DnsRow:
    step: int
    seq: int
    asker: str
    name: str
    rtype: str
    answers: tuple[str, ...]
    error: str


@dataclass(frozen=True, slots=True)
class CheckRow:
    step: int
    seq: int
    host: str
    check: str
    text: str
    result: str


@dataclass(frozen=True, slots=True)
class Delivered:
    """A message as a server delivered it into a mailbox (with its trace headers)."""

    step: int
    seq: int
    host: str
    user: str
    folder: str
    uid: int
    subject: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class MessageRow:
    uid: int
    subject: str
    flags: tuple[str, ...]
    size: int
    message_id: str


@dataclass(frozen=True, slots=True)
class QueueRow:
    host: str
    queue_id: str
    status: str
    recipients: tuple[str, ...]
    detail: str
    next_attempt: float


@dataclass(frozen=True, slots=True)
class LastTransition:
    from_state: str
    to_state: str
    trigger: str
    step: int


@dataclass(frozen=True, slots=True)
class MachineView:
    """One machine at one step: which table, which state, how it got there."""

    machine: str  # "smtp.server", "smtp.client", ...
    conn: str
    host: str
    state: str
    last: LastTransition | None
    moved: bool  # took a transition during the current step
    closed: bool  # the connection is closed


@dataclass
class Fold:
    """The world as the trace tells it, folded event by event (copied per step)."""

    machines: dict[tuple[str, str], tuple[str, LastTransition | None]] = field(default_factory=dict)
    conn_machines: dict[str, list[str]] = field(default_factory=dict)
    conns: dict[str, ConnectionOpened] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    current_conn: str = ""
    mailboxes: dict[tuple[str, str, str], dict[int, MessageRow]] = field(default_factory=dict)
    queues: dict[tuple[str, str], QueueRow] = field(default_factory=dict)
    clock: float = 0.0

    def copy(self) -> Fold:
        return Fold(
            machines=dict(self.machines),
            conn_machines={k: list(v) for k, v in self.conn_machines.items()},
            conns=dict(self.conns),
            closed=set(self.closed),
            current_conn=self.current_conn,
            mailboxes={k: dict(v) for k, v in self.mailboxes.items()},
            queues=dict(self.queues),
            clock=self.clock,
        )

    def apply(self, event: Event, step: int, initial_state: dict[str, str]) -> None:
        self.clock = max(self.clock, event.t)
        conn = getattr(event, "conn", "")
        if isinstance(event, ConnectionOpened):
            self.conns[event.conn] = event
            self.current_conn = event.conn
        elif isinstance(event, ConnectionClosed):
            self.closed.add(event.conn)
        elif isinstance(event, StateChanged):
            self._see_machine(conn, event.machine, initial_state)
            last = LastTransition(event.from_state, event.to_state, event.trigger, step)
            self.machines[(conn, event.machine)] = (event.to_state, last)
            self.current_conn = conn or self.current_conn
        elif isinstance(event, CommandReceived | ReplySent):
            self._see_machine(conn, event.machine, initial_state)
            self.current_conn = conn or self.current_conn
        elif isinstance(event, BytesSent):
            self.current_conn = event.conn
        elif isinstance(event, MailboxChanged):
            key = (event.host, event.user, event.folder)
            box = self.mailboxes.setdefault(key, {})
            if event.action == "delivered":
                box[event.uid] = MessageRow(event.uid, event.subject, tuple(event.flags), event.size,
                                            event.message_id)
            elif event.action == "expunged":
                box.pop(event.uid, None)
            elif event.action == "flags" and event.uid in box:
                old = box[event.uid]
                box[event.uid] = MessageRow(old.uid, old.subject, tuple(event.flags), old.size, old.message_id)
        elif isinstance(event, QueueChanged):
            self.queues[(event.host, event.queue_id)] = QueueRow(
                event.host, event.queue_id, event.action, tuple(event.recipients), event.detail,
                event.next_attempt)

    def _see_machine(self, conn: str, machine: str, initial_state: dict[str, str]) -> None:
        names = self.conn_machines.setdefault(conn, [])
        if machine not in names:
            names.append(machine)
        if (conn, machine) not in self.machines:
            self.machines[(conn, machine)] = (initial_state.get(machine, ""), None)


def machine_views(fold: Fold, conn: str, step: int) -> list[MachineView]:
    """The machines of one connection, client side first."""
    opened = fold.conns.get(conn)
    out = []
    names = sorted(fold.conn_machines.get(conn, []), key=lambda m: (not m.endswith(".client"), m))
    for machine in names:
        state, last = fold.machines[(conn, machine)]
        host = ""
        if opened is not None:
            host = opened.client_host if machine.endswith(".client") else opened.server_host
        out.append(MachineView(machine, conn, host, state, last, last is not None and last.step == step,
                               conn in fold.closed))
    return out


def initial_states() -> dict[str, str]:
    """Each registered machine's initial state, read from its table (data, not code)."""
    from simulator.protocols.registry import machine_tables

    return {name: table.initial for name, table in machine_tables().items()}


# --- one step's view ------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    index: int
    count: int
    step: Step
    narration: str  # Markdown
    ask: Ask | None
    answer: QuizResult | None
    events: Sequence[Event]
    expectations: tuple[ExpectationChecked, ...]
    machines: tuple[MachineView, ...]
    conn: str
    hosts: tuple[HostColumn, ...]
    mailboxes: dict[tuple[str, str, str], list[MessageRow]]
    queues: tuple[QueueRow, ...]
    clock: float

    @property
    def first(self) -> bool:
        return self.index == 0

    @property
    def last(self) -> bool:
        return self.index == self.count - 1


class Player:
    """A trace, the current step, and every view derived for a step."""

    def __init__(self, trace: Trace, *, scenario: Scenario | None = None, lesson: Lesson | None = None,
                 dns_records: Iterable[tuple[str, str, str]] = (), asks: bool = True) -> None:
        self.trace = trace
        self.scenario = scenario
        self.lesson = lesson
        self.dns_records = sorted(set(dns_records))
        self.steps = trace.steps() or [Step(0, "empty", "Nothing happened", "", 0, 0)]
        self.index = 0
        self.answers: dict[str, QuizResult] = {}
        self._initial = initial_states()
        self._folds: list[Fold] = []  # checkpoints, see fold()
        self._last_fold: tuple[int, Fold] | None = None
        self._parsed: dict[int, MessageView] = {}
        self._asks = ({s.id: s.ask for s in scenario.steps if s.ask is not None}
                      if scenario is not None and asks else {})
        self._scenario_index = {s.id: n for n, s in enumerate(scenario.steps)} if scenario else {}
        self.hosts: list[HostColumn] = []
        self.arrows: list[Arrow] = []
        self.transcript: list[TranscriptLine] = []
        self.wire: list[WireChunk] = []
        self.tls: list[TlsRow] = []
        self.dns: list[DnsRow] = []
        self.checks: list[CheckRow] = []
        self.delivered: list[Delivered] = []
        self._index_all()

    @classmethod
    def from_result(cls, result: RunResult, lesson: Lesson | None = None, *, asks: bool = True) -> Player:
        records = [(r.name, r.rtype, r.value) for r in result.world.net.dns.records]
        return cls(result.trace, scenario=result.scenario, lesson=lesson, dns_records=records, asks=asks)

    # --- navigation ---------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self.steps)

    @property
    def at_start(self) -> bool:
        return self.index == 0

    @property
    def at_end(self) -> bool:
        return self.index == self.count - 1

    def go(self, index: int) -> int:
        self.index = max(0, min(index, self.count - 1))
        return self.index

    def forward(self) -> int:
        return self.go(self.index + 1)

    def back(self) -> int:
        return self.go(self.index - 1)

    def home(self) -> int:
        return self.go(0)

    def end(self) -> int:
        return self.go(self.count - 1)

    # --- questions ----------------------------------------------------------------

    def ask_at(self, index: int) -> Ask | None:
        if not 0 <= index < self.count:
            return None
        return self._asks.get(self.steps[index].step_id)

    def pending_ask(self, index: int | None = None) -> Ask | None:
        """The question to pose before showing step ``index`` (default: the next one)."""
        index = self.index + 1 if index is None else index
        if not 0 <= index < self.count:
            return None
        if self.steps[index].step_id in self.answers:
            return None
        return self.ask_at(index)

    def answer(self, index: int, given: str) -> QuizResult:
        from simulator.lesson.quiz import check

        ask = self.ask_at(index)
        if ask is None:
            raise ValueError(f"step {index} asks nothing")
        result = check(ask, given)
        self.answers[self.steps[index].step_id] = result
        return result

    def first_unanswered_before(self, index: int) -> int | None:
        """The first step up to ``index`` whose question is still open (jumping with End)."""
        for i in range(self.index + 1, min(index, self.count - 1) + 1):
            if self.pending_ask(i) is not None:
                return i
        return None

    def scenario_index(self, index: int | None = None) -> int | None:
        """The index in ``scenario.steps`` of trace step ``index`` (None for setup)."""
        step = self.steps[self.index if index is None else index]
        return self._scenario_index.get(step.step_id)

    # --- derived views --------------------------------------------------------------

    def _index_all(self) -> None:
        starts = [s.start for s in self.steps]
        seen_hosts: dict[str, HostColumn] = {}
        conns: dict[str, ConnectionOpened] = {}

        def host(name: str, addr: str = "") -> None:
            if name and name not in seen_hosts:
                seen_hosts[name] = HostColumn(name, addr)

        for pos, event in enumerate(self.trace.events):
            step = max(0, bisect.bisect_right(starts, pos) - 1)
            if isinstance(event, ConnectionOpened):
                conns[event.conn] = event
                host(event.client_host, event.client_addr)
                host(event.server_host, event.server_addr)
                self.arrows.append(Arrow(step, event.seq, event.client_host, event.server_host,
                                         f"connect :{event.port} ({event.service})", "connect", event.conn))
                self.transcript.append(TranscriptLine(
                    step, event.conn, "*",
                    f"{event.client_host} ({event.client_addr}) connects to {event.server_host} "
                    f"({event.server_addr}) port {event.port} [{event.service}]"))
            elif isinstance(event, ConnectionRefused):
                host(event.client_host)
                host(event.server_host, event.server_addr)
                self.arrows.append(Arrow(step, event.seq, event.client_host, event.server_host,
                                         f"✗ :{event.port} {event.reason}", "refused"))
                self.transcript.append(TranscriptLine(
                    step, "", "*", f"{event.client_host} -> {event.server_host} port {event.port}: "
                    f"{event.reason}"))
            elif isinstance(event, ConnectionClosed):
                opened = conns.get(event.conn)
                if opened is not None:
                    src, dst = ((opened.server_host, opened.client_host) if event.by == "server"
                                else (opened.client_host, opened.server_host))
                    why = f" ({event.reason})" if event.reason else ""
                    self.arrows.append(Arrow(step, event.seq, src, dst, f"close{why}", "close", event.conn))
                self.transcript.append(TranscriptLine(
                    step, event.conn, "*", f"connection closed by {event.by}"
                    + (f" ({event.reason})" if event.reason else "")))
            elif isinstance(event, BytesSent):
                self._bytes(event, step, conns.get(event.conn))
            elif isinstance(event, TlsRecord):
                self.tls.append(TlsRow(step, event.seq, event.conn, event.direction, event.content_type,
                                       event.version, event.length, tuple(event.handshake_types),
                                       event.decrypted))
            elif isinstance(event, DnsLookup):
                answer = ", ".join(event.answers) if event.answers else event.error
                self.dns.append(DnsRow(step, event.seq, event.asker, event.name, event.rtype,
                                       tuple(event.answers), event.error))
                host(event.asker)
                self.arrows.append(Arrow(step, event.seq, event.asker, event.asker,
                                         f"DNS {event.name} {event.rtype}? {answer}", "dns"))
                self.transcript.append(TranscriptLine(
                    step, "", "*", f"DNS {event.asker}: {event.name} {event.rtype}? -> {answer}"))
            elif isinstance(event, CheckStep):
                self.checks.append(CheckRow(step, event.seq, event.host, event.check, event.text,
                                            event.result))
            elif isinstance(event, MailboxChanged):
                if event.action == "delivered":
                    self.delivered.append(Delivered(step, event.seq, event.host, event.user, event.folder,
                                                    event.uid, event.subject, event.raw))
                    host(event.host)
                    self.arrows.append(Arrow(step, event.seq, event.host, event.host,
                                             f"delivered to {event.user}/{event.folder}", "note"))
                if event.action != "created":
                    self.transcript.append(TranscriptLine(
                        step, "", "*", f"mailbox {event.user}/{event.folder} on {event.host}: "
                        f"{event.action}" + (f" UID {event.uid} {event.subject!r}" if event.uid else "")))
            elif isinstance(event, QueueChanged):
                host(event.host)
                self.arrows.append(Arrow(step, event.seq, event.host, event.host,
                                         f"queue {event.queue_id}: {event.action}", "note"))
                rcpts = ", ".join(event.recipients)
                extra = f" ({event.detail})" if event.detail else ""
                self.transcript.append(TranscriptLine(
                    step, "", "*", f"queue {event.host} {event.queue_id}: {event.action} {rcpts}{extra}"))
            elif isinstance(event, FaultInjected):
                self.transcript.append(TranscriptLine(step, "", "*", f"FAULT {event.fault}: {event.detail}"))
                anchor = next(iter(seen_hosts), "")
                if anchor:
                    self.arrows.append(Arrow(step, event.seq, anchor, anchor,
                                             f"⚡ {event.detail or event.fault}", "fault"))
            elif isinstance(event, Note):
                self.transcript.append(TranscriptLine(step, "", "*", f"note: {event.text}"))
            elif isinstance(event, ClockAdvanced):
                self.transcript.append(TranscriptLine(step, "", "*", f"clock advanced by {event.seconds:g}s"))
        self.hosts = list(seen_hosts.values())
        self._arrow_steps = [a.step for a in self.arrows]
        self._line_steps = [t.step for t in self.transcript]
        self._wire_steps = [w.step for w in self.wire]
        self._dns_steps = [d.step for d in self.dns]
        self._check_steps = [c.step for c in self.checks]
        self._tls_steps = [t.step for t in self.tls]
        self._delivered_steps = [d.step for d in self.delivered]

    def _bytes(self, event: BytesSent, step: int, opened: ConnectionOpened | None) -> None:
        c2s = event.direction == C2S
        src = dst = ""
        if opened is not None:
            src, dst = ((opened.client_host, opened.server_host) if c2s
                        else (opened.server_host, opened.client_host))
        lines = split_lines(event.plaintext)
        side = "C" if c2s else "S"
        for line in lines:
            self.transcript.append(TranscriptLine(step, event.conn, side, line))
        label = _clip(lines[0]) if lines else "(empty)"
        if len(lines) > 1:
            label += f"  (+{len(lines) - 1} lines)"
        self.arrows.append(Arrow(step, event.seq, src, dst, label, "c2s" if c2s else "s2c", event.conn))
        encrypted = event.wire != event.plaintext
        wire_lines = split_lines(event.wire) if is_readable(event.wire) else hex_lines(event.wire)
        self.wire.append(WireChunk(step, event.seq, event.conn, event.direction, src, dst, tuple(lines),
                                   tuple(wire_lines), len(event.plaintext), len(event.wire), encrypted))

    def upto(self, kind: str, index: int | None = None) -> int:
        """How many items of a derived list (arrows, transcript, wire...) belong to steps <= index."""
        index = self.index if index is None else index
        keys = {"arrows": self._arrow_steps, "transcript": self._line_steps, "wire": self._wire_steps,
                "dns": self._dns_steps, "checks": self._check_steps, "tls": self._tls_steps,
                "delivered": self._delivered_steps}[kind]
        return bisect.bisect_right(keys, index)

    def since(self, kind: str, index: int | None = None) -> int:
        """Index of the first item of ``kind`` that belongs to step ``index``."""
        index = self.index if index is None else index
        return self.upto(kind, index - 1)

    def _fold_steps(self, fold: Fold, first: int, last: int) -> Fold:
        for n in range(first, last + 1):
            s = self.steps[n]
            for event in self.trace.events[s.start : s.end]:
                fold.apply(event, n, self._initial)
        return fold

    def fold(self, index: int | None = None) -> Fold:
        """The world state after step ``index``, re-derived from the trace.

        Checkpoints every :data:`CHECKPOINT` steps keep a long trace cheap in
        both directions: the state at any step is the nearest earlier checkpoint
        folded forward, never an undo.
        """
        index = self.index if index is None else index
        if self._last_fold is not None and self._last_fold[0] == index:
            return self._last_fold[1]
        base = index // CHECKPOINT
        while len(self._folds) <= base:  # checkpoint k is the state after step k * CHECKPOINT
            k = len(self._folds)
            if k == 0:
                fold = self._fold_steps(Fold(), 0, 0)
            else:
                fold = self._fold_steps(self._folds[-1].copy(), (k - 1) * CHECKPOINT + 1, k * CHECKPOINT)
            self._folds.append(fold)
        start = base * CHECKPOINT
        fold = self._folds[base] if index == start else self._fold_steps(self._folds[base].copy(), start + 1, index)
        self._last_fold = (index, fold)
        return fold

    def narration(self, index: int | None = None) -> str:
        index = self.index if index is None else index
        step = self.steps[index]
        parts: list[str] = []
        if step.step_id in ("setup", "all", "empty") and index == 0:
            if self.lesson is not None:
                parts.append(f"**{md_escape(self.lesson.title)}**\n\n{self.lesson.intro.strip()}")
                if self.lesson.objectives:
                    parts.append("**You will learn**\n\n" + "\n".join(f"- {o}" for o in self.lesson.objectives))
            elif self.scenario is not None:
                parts.append(f"**{md_escape(self.scenario.title)}**\n\n{self.scenario.summary.strip()}")
            else:
                parts.append(f"**{md_escape(str(self.trace.meta.get('title', 'Trace')))}**")
            parts.append("*Press → or Space to take the first step.*")
        else:
            parts.append(f"**{md_escape(step.title or step.step_id)}**")
            if step.explain.strip():
                parts.append(step.explain.strip())
        result = self.answers.get(step.step_id)
        if result is not None:
            parts.append(result.markdown())
        for event in self.trace.events[step.start : step.end]:
            if isinstance(event, FaultInjected):
                parts.append(f"⚡ **Fault injected** ({event.fault}): {event.detail}")
            elif isinstance(event, Note):
                parts.append(f"✎ *{event.text}*")
            elif isinstance(event, ExpectationChecked) and not event.ok:
                parts.append(f"✗ **Expectation failed** ({event.what}): {event.detail}")
        if index == self.count - 1 and index > 0:
            if self.lesson is not None:
                parts.append(f"---\n\n**Summary.** {self.lesson.summary.strip()}")
            parts.append("*End of the lesson. Press ← to look back, `w` for a what-if, Escape for the "
                         "lessons.*" if self.lesson else "*End of the scenario.*")
        return "\n\n".join(parts)

    def view(self, index: int | None = None) -> StepView:
        index = self.index if index is None else index
        step = self.steps[index]
        fold = self.fold(index)
        events = self.trace.events[step.start : step.end]
        conn = fold.current_conn
        boxes = {k: [v[uid] for uid in sorted(v)] for k, v in sorted(fold.mailboxes.items())}
        return StepView(
            index=index,
            count=self.count,
            step=step,
            narration=self.narration(index),
            ask=self.ask_at(index),
            answer=self.answers.get(step.step_id),
            events=events,
            expectations=tuple(e for e in events if isinstance(e, ExpectationChecked)),
            machines=tuple(machine_views(fold, conn, index)) if conn else (),
            conn=conn,
            hosts=tuple(self.hosts),
            mailboxes=boxes,
            queues=tuple(fold.queues.values()),
            clock=fold.clock,
        )

    def message(self, index: int | None = None) -> tuple[Delivered | None, MessageView | None, int, bool]:
        """The latest message delivered up to step ``index``, parsed; how many so far; whether it is new."""
        from simulator.lesson.message_view import parse

        index = self.index if index is None else index
        n = self.upto("delivered", index)
        if n == 0:
            return None, None, 0, False
        d = self.delivered[n - 1]
        view = self._parsed.get(d.seq)
        if view is None:
            view = self._parsed[d.seq] = parse(d.raw)
        return d, view, n, d.step == index

    def states_by_step(self) -> list[dict[tuple[str, str], str]]:
        """Every machine's state after each step (what a test compares when walking back)."""
        return [{k: v[0] for k, v in self.fold(i).machines.items()} for i in range(self.count)]


def describe_event(event: Event) -> str:
    """One line naming an event and its fields, for the expanded raw-event view."""
    fields = []
    for name in getattr(event, "__dataclass_fields__", {}):
        if name in ("seq", "t"):
            continue
        value = getattr(event, name)
        if isinstance(value, bytes):
            value = f"{len(value)} bytes " + repr(value[:40]) + ("…" if len(value) > 40 else "")
        elif isinstance(value, tuple):
            value = "[" + ", ".join(map(str, value)) + "]"
        elif isinstance(value, str) and len(value) > 80:
            value = value[:79] + "…"
        fields.append(f"{name}={value}")
    return f"#{event.seq} {event.t:.1f}s {event.kind}  " + "  ".join(fields)
