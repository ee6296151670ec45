"""The view models every face draws: read-only records built by the reader.

One set for all of them: the TUI's widgets, the exports (Markdown, Mermaid,
HTML, SVG), ``mailsim run``'s transcript and the sandbox. Where a view is about
one event (a DNS lookup, a check step, a TLS record, a delivered message, a
queue entry), it holds the event itself, paired with its step, rather than a
copy of its fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from simulator.trace import Event, ExpectationChecked, QueueChanged, Step

if TYPE_CHECKING:
    from simulator.replay.mailboxes import MailboxesView

# What an arrow of the sequence diagram shows:
#   command / reply  -- bytes a client sent / a server answered (one arrow per command, per reply)
#   connect / close / refused -- a connection opening, closing, or refused
#   dns   -- a question to DNS and its answer (``lines`` = (question, answer))
#   note  -- something that happened on one host (``src == dst``), or to everyone (both "")
#   fault -- what the scenario broke on purpose
ArrowKind = Literal["command", "reply", "connect", "close", "refused", "dns", "note", "fault"]

# Which faces show a transcript line:
#   main    -- every transcript (TUI, exports, ``mailsim run``)
#   detail  -- only a verbose ``mailsim run`` (state changes, expectations met, mailboxes created)
#   alert   -- ``mailsim run`` always (a failed expectation); other faces show it in their own place
#   heading -- ``mailsim run``'s step headings; other faces show steps their own way
Level = Literal["main", "detail", "alert", "heading"]


@dataclass(frozen=True, slots=True)
class HostColumn:
    name: str
    address: str


@dataclass(frozen=True, slots=True)
class Arrow:
    """One exchange of the sequence diagram (``dst == src`` for a note on a lifeline)."""

    step: int
    seq: int
    src: str
    dst: str
    label: str  # one line, as a narrow diagram shows it
    kind: ArrowKind
    conn: str = ""
    lines: tuple[str, ...] = ()  # every line, as a roomy diagram shows it


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One line of a transcript: ``C:``/``S:`` bytes, or a remark about an event (side ``*``)."""

    step: int
    conn: str
    side: str  # "C", "S", or "*" for a remark (connection, DNS, queue...)
    text: str
    event: Event | None = None  # the event the line tells of
    who: str = ""  # the host that sent the bytes ("" for a remark)
    level: Level = "main"


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
    # A man in the middle changed these bytes on their way (WireAltered): who, what reached ``dst``, and how.
    altered_by: str = ""
    delivered_lines: tuple[str, ...] = ()
    delivered_size: int = 0
    changes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MessageRow:
    """A message in a mailbox at one step (its flags as they are then)."""

    uid: int
    subject: str
    flags: tuple[str, ...]
    size: int
    message_id: str


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


Mailboxes = dict[tuple[str, str, str], list[MessageRow]]  # (host, user, folder) -> messages by UID


@dataclass(frozen=True)
class StepView:
    """One step and the world after it: what every face shows for a step.

    ``number`` is 1-based among the scenario's steps (0 for the world's setup).
    ``narration``, ``ask`` and ``answer`` are filled in by the lesson player;
    the reader leaves them empty.
    """

    index: int
    count: int
    number: int
    step: Step
    events: Sequence[Event]
    arrows: Sequence[Arrow]
    transcript: Sequence[TranscriptLine]
    expectations: tuple[ExpectationChecked, ...]
    machines: tuple[MachineView, ...]
    conn: str
    hosts: tuple[HostColumn, ...]
    mailboxes: Mailboxes
    queues: tuple[QueueChanged, ...]
    clock: float
    mail: MailboxesView | None = None  # the Mailboxes pane's model (folders, flags, sessions)
    narration: str = ""  # Markdown
    ask: object | None = None
    answer: object | None = None

    @property
    def first(self) -> bool:
        return self.index == 0

    @property
    def last(self) -> bool:
        return self.index == self.count - 1

    @property
    def heading(self) -> str:
        """``2. ehlo — C: EHLO alice-laptop.example.org`` (the title left out when it is the id)."""
        s = self.step
        title = s.title if s.title and s.title != s.step_id else ""
        return f"{self.number}. {s.step_id}" + (f" — {title}" if title else "")

    @property
    def conns(self) -> list[str]:
        """The connections whose bytes this step's transcript shows."""
        return sorted({line.conn for line in self.transcript if line.conn and line.side in ("C", "S")})
