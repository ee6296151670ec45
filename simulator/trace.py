"""The trace: the ordered, typed record of everything a run did.

Every layer writes here and the faces (TUI, exports, ``mailsim run``) read
only this. Events are small frozen slotted dataclasses with keyword-only
fields; each has a ``kind`` named ``category:event`` (after aioquic's qlog)
that keys its JSON form. ``seq`` and ``t`` are stamped by the
:class:`Recorder`, so a protocol machine can build an event without knowing
the clock.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

EVENT_TYPES: dict[str, type[Event]] = {}

C2S = "c2s"  # client to server
S2C = "s2c"  # server to client


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    kind: ClassVar[str] = "event"
    seq: int = -1
    t: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for f in dataclasses.fields(self):
            out[f.name] = _encode(getattr(self, f.name))
        return out


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any, hint: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"b64"}:
        return base64.b64decode(value["b64"])
    if isinstance(value, list):
        args = typing.get_args(hint)
        inner = args[0] if args else Any
        return tuple(_decode(v, inner) for v in value)
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def event_from_json(data: dict[str, Any]) -> Event:
    data = dict(data)
    cls = EVENT_TYPES.get(data.pop("kind", ""))
    if cls is None:
        raise ValueError(f"unknown trace event kind {data!r}")
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return cls(**{k: _decode(v, hints.get(k, Any)) for k, v in data.items()})


# --- scenario structure -------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StepStarted(Event):
    """Opens a scenario step; the events up to the next StepStarted belong to it."""

    kind: ClassVar[str] = "scenario:step"
    step_id: str
    title: str = ""
    explain: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpectationChecked(Event):
    kind: ClassVar[str] = "scenario:expectation"
    step_id: str
    what: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Note(Event):
    kind: ClassVar[str] = "scenario:note"
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultInjected(Event):
    kind: ClassVar[str] = "scenario:fault"
    fault: str
    detail: str = ""


# --- connections and bytes ----------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionOpened(Event):
    kind: ClassVar[str] = "net:connection_opened"
    conn: str
    client_host: str
    client_addr: str
    server_host: str
    server_addr: str
    port: int
    service: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionClosed(Event):
    kind: ClassVar[str] = "net:connection_closed"
    conn: str
    by: str  # "client", "server" or "fault"
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionRefused(Event):
    kind: ClassVar[str] = "net:connection_refused"
    client_host: str
    server_host: str
    server_addr: str
    port: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BytesSent(Event):
    """Bytes crossing a connection: what the endpoints see and what is on the wire.

    ``wire`` equals ``plaintext`` until TLS is up; then it is the ciphertext an
    eavesdropper would capture.
    """

    kind: ClassVar[str] = "net:bytes"
    conn: str
    direction: str  # C2S or S2C
    plaintext: bytes
    wire: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsStarted(Event):
    """A TLS layer now sits between the wire and the endpoints of ``conn``.

    ``mode``: "starttls" (RFC 3207) or "implicit" (RFC 8314). ``layer`` names
    it (the pass-through layer says that nothing is encrypted yet).
    ``discarded``: plaintext the client sent after STARTTLS, in the same
    flight; it is dropped, never read as if it came over TLS (CVE-2011-0411).
    """

    kind: ClassVar[str] = "net:tls_started"
    conn: str
    mode: str
    layer: str
    discarded: bytes = b""
    # Plaintext from before the handshake that a server with the CVE-2011-0411 bug (a world option,
    # ``tls.vulnerable_starttls``) goes on to read as if it came over TLS; mailsim's servers never do.
    replayed: bytes = b""


@dataclass(frozen=True, slots=True, kw_only=True)
class WireAltered(Event):
    """A man in the middle on the link of ``conn`` changed bytes in transit, before TLS protected them.

    ``attacker`` is the host it runs on; ``original`` what the sender put on
    the wire (the ``BytesSent`` before this event), ``delivered`` what reached
    the other end; ``changes`` says what it did, one line each ("removed
    250-STARTTLS", "added RSET after STARTTLS").
    """

    kind: ClassVar[str] = "attack:wire_altered"
    conn: str
    attacker: str
    direction: str  # C2S or S2C
    original: bytes
    delivered: bytes
    changes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Sniffed(Event):
    """What an eavesdropper on the link of ``conn`` read from the bytes on the wire; it changed nothing.

    ``attacker`` is the host it listens from; ``direction`` the bytes it read.
    ``what`` is one of :data:`SNIFFED`: ``login`` (``how`` names the command,
    e.g. "AUTH PLAIN"; ``user`` and ``secret`` what it decoded, ``secret``
    empty where only a digest or proof crossed), ``message`` (``text``: the
    message as it crossed), ``tls`` (TLS records began: from here on it sees
    only records) and ``records`` (``text``: the content type and length of
    each TLS record, all it can tell of them).
    """

    kind: ClassVar[str] = "attack:sniffed"
    conn: str
    attacker: str
    direction: str  # C2S or S2C
    what: str
    how: str = ""
    user: str = ""
    secret: str = ""
    text: str = ""


SNIFFED = ("login", "message", "tls", "records")


@dataclass(frozen=True, slots=True, kw_only=True)
class DnsLookup(Event):
    kind: ClassVar[str] = "dns:lookup"
    asker: str
    name: str
    rtype: str
    answers: tuple[str, ...] = ()
    error: str = ""  # "", "NXDOMAIN" or "NODATA"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockAdvanced(Event):
    kind: ClassVar[str] = "net:clock"
    seconds: float


# --- protocol machines --------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandReceived(Event):
    kind: ClassVar[str] = "protocol:command"
    conn: str = ""
    machine: str  # e.g. "smtp.server"
    verb: str
    argument: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplySent(Event):
    kind: ClassVar[str] = "protocol:reply"
    conn: str = ""
    machine: str
    code: str  # "250", "+OK", "* OK", ...
    enhanced: str = ""  # RFC 3463 code, e.g. "2.1.0"
    text: tuple[str, ...] = ()  # one entry per reply line


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChanged(Event):
    """A machine took a transition; always a row of that machine's table."""

    kind: ClassVar[str] = "protocol:state"
    conn: str = ""
    machine: str
    from_state: str
    to_state: str
    trigger: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsRecord(Event):
    """One TLS record on the wire of ``conn`` (RFC 8446 5.1), decoded for the teaching view.

    ``content_type``, ``version`` and ``length`` are the record header as an
    eavesdropper reads it. ``handshake_types`` names the handshake messages it
    carries (those inside a protected TLS 1.3 record too, once decrypted);
    ``fields`` are their decoded fields as ``name: value`` lines. What TLS
    randomises is named in ``randomised`` and never shown by value, and
    ``length_varies`` says the length itself is random (an ECDSA signature),
    so a transcript reads the same in every run. ``encrypted``: the record is
    protected; ``inner_type`` is then its true content type and ``decrypted``
    a one-line summary of what it held, ``plaintext`` its application data.
    """

    kind: ClassVar[str] = "tls:record"
    conn: str
    direction: str
    content_type: str
    version: str
    length: int
    handshake_types: tuple[str, ...] = ()
    decrypted: str = ""
    fields: tuple[str, ...] = ()
    randomised: tuple[str, ...] = ()
    encrypted: bool = False
    inner_type: str = ""
    plaintext: bytes = b""
    length_varies: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsFailed(Event):
    """The TLS handshake on ``conn`` failed: each side's reason (a certificate error, the alert it got)."""

    kind: ClassVar[str] = "tls:failed"
    conn: str
    mode: str  # "starttls" or "implicit"
    client_reason: str = ""
    server_reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckStep(Event):
    """One reasoning step of an SPF, DKIM or DMARC evaluation."""

    kind: ClassVar[str] = "security:check"
    host: str
    check: str  # "spf", "dkim", "dmarc"
    text: str
    result: str = ""  # set on the step that concludes: "pass", "fail", ...
    reason: str = ""  # on a concluding step, why in a few words: "body hash mismatch", "p=reject: refused"


# --- mail stores and queues ---------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MailboxChanged(Event):
    """One change to a mailbox store (simulator/mail/store.py).

    ``action``: "delivered" and "appended" (a new message ``uid``, with its
    ``raw`` bytes), "flags" (``uid`` now has exactly ``flags``), "expunged",
    "copied" and "moved" (``uid`` of ``folder`` to ``dest_uid`` of ``dest``),
    folder "created" (``special_use``: its RFC 6154 attribute), "deleted",
    "renamed" (``folder`` is now ``dest``; renaming INBOX moves its messages
    and leaves it empty), "subscribed", "unsubscribed", and the POP3
    maildrop "locked" and "unlocked" (RFC 1939 8).
    """

    kind: ClassVar[str] = "mail:mailbox"
    host: str
    user: str
    folder: str
    action: str
    uid: int = 0
    message_id: str = ""
    subject: str = ""
    flags: tuple[str, ...] = ()
    size: int = 0
    raw: bytes = b""
    dest: str = ""
    dest_uid: int = 0
    special_use: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MailboxView(Event):
    """What one IMAP session has told its client about the selected mailbox (RFC 9051 7.5.1).

    Recorded whenever that changes: on SELECT, on each EXISTS / EXPUNGE / FETCH FLAGS it
    sends, and with ``folder`` "" when the mailbox is closed. ``uids`` are the messages the
    client knows, in its sequence order (message n is ``uids[n-1]``); ``flags`` holds, per
    UID, the flags it was told, space-separated. So a face
    can show what each device believes beside what the store holds.
    """

    kind: ClassVar[str] = "mail:view"
    conn: str
    host: str  # the mail host keeping the mailbox
    user: str
    folder: str  # "" once no mailbox is selected
    peer: str = ""  # the client's host
    uids: tuple[int, ...] = ()
    flags: tuple[str, ...] = ()
    read_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueChanged(Event):
    kind: ClassVar[str] = "mail:queue"
    host: str
    queue_id: str
    action: str  # "queued", "deferred", "sent", "bounced", "failed"
    recipients: tuple[str, ...] = ()
    detail: str = ""
    next_attempt: float = 0.0


EVENT_TYPES.update(
    {
        obj.kind: obj
        for obj in list(globals().values())
        if isinstance(obj, type) and issubclass(obj, Event) and obj is not Event
    }
)


# --- the trace itself ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """A scenario step: its marker and the events it groups (``start``..``end``)."""

    index: int
    step_id: str
    title: str
    explain: str
    start: int
    end: int


@dataclass(slots=True)
class Trace:
    events: list[Event] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def of_type(self, *types: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, types)]

    def steps(self) -> list[Step]:
        marks = [i for i, e in enumerate(self.events) if isinstance(e, StepStarted)]
        steps: list[Step] = []
        if marks and marks[0] > 0:
            steps.append(Step(0, "setup", "Setup", "", 0, marks[0]))
        elif not marks and self.events:
            steps.append(Step(0, "all", "All events", "", 0, len(self.events)))
        for n, start in enumerate(marks):
            end = marks[n + 1] if n + 1 < len(marks) else len(self.events)
            ev = self.events[start]
            assert isinstance(ev, StepStarted)
            steps.append(Step(len(steps), ev.step_id, ev.title, ev.explain, start, end))
        return steps

    def to_json(self) -> dict[str, Any]:
        return {"meta": self.meta, "events": [e.to_json() for e in self.events]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trace:
        return cls(
            events=[event_from_json(e) for e in data.get("events", [])],
            meta=dict(data.get("meta", {})),
        )

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1, ensure_ascii=False)

    @classmethod
    def loads(cls, text: str) -> Trace:
        return cls.from_json(json.loads(text))

    @classmethod
    def load(cls, path: str | Path) -> Trace:
        return cls.loads(Path(path).read_text(encoding="utf-8"))


class Recorder:
    """Stamps events with ``seq`` and virtual time and appends them to a trace.

    Producers build an event with every field they know (a machine knows its
    connection); the recorder stamps ``seq`` and ``t`` once, in place, before
    anyone else holds the event: it is the one writer of those two fields of
    an otherwise frozen record. An event already stamped (recorded before) is
    copied rather than changed. ``stamp`` fills fields a producer could not
    know, at the cost of a copy.
    """

    def __init__(self, now: Callable[[], float], trace: Trace | None = None) -> None:
        self.trace = trace if trace is not None else Trace()
        self._now = now
        self.listeners: list[Callable[[Event], None]] = []
        # Counted, not len(trace.events): a long run (``mailsim serve``) may drop old events.
        self._seq = len(self.trace.events)

    def record(self, event: Event, **stamp: Any) -> Event:
        """Append ``event``; ``stamp`` fills fields the producer could not know (e.g. conn)."""
        if stamp or event.seq >= 0:
            event = dataclasses.replace(event, **stamp)
        _set_seq(event, self._seq)
        _set_t(event, self._now())
        self._seq += 1
        self.trace.events.append(event)
        if self.listeners:
            for listener in self.listeners:
                listener(event)
        return event

    def record_all(self, events: Iterable[Event], **stamp: Any) -> None:
        for event in events:
            self.record(event, **stamp)


# The slot descriptors of the two stamped fields: setting through them is what
# object.__setattr__ does for a frozen slotted dataclass, without the lookup.
_set_seq = Event.seq.__set__  # type: ignore[attr-defined]
_set_t = Event.t.__set__  # type: ignore[attr-defined]
