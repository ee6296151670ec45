"""The TLS records of a trace as the Wire tab shows them, through each lens.

An endpoint (client or server lens) sees every record with what it holds:
the handshake messages and their decoded fields, and for a protected record
what it decrypts to. An eavesdropper sees the record header (content type,
version, length) of every record, and the contents only of records sent in
the clear: the ClientHello and ServerHello, and in TLS 1.2 the Certificate
too (RFC 5246 7.4.2). Values TLS randomises (the random, key shares,
signatures) are named with "(randomised)" in the fields, never by value, and
a length that depends on a randomised signature is said to vary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simulator.replay.reader import wire_chunk
from simulator.replay.views import WireChunk
from simulator.trace import C2S, BytesSent, ConnectionOpened, Event, TlsRecord, TlsStarted

RANDOMISED_NOTE = ("values marked (randomised) are fresh in every handshake: the random, the key shares, "
                   "the signatures and Finished; everything else is the same in every run")


@dataclass(frozen=True, slots=True)
class TlsRecordView:
    """One TLS record: its header as anyone reads it, and what it holds for the lens."""

    step: int
    conn: str
    arrow: str  # "C→S" or "S→C"
    header: str  # "handshake, TLS 1.2, 512 B" (what any listener reads)
    title: str  # "ClientHello" / "encrypted: Certificate" / "encrypted application_data"
    lines: tuple[str, ...]  # the decoded fields (the lens may see them), or what hides them
    readable: bool  # the lens reads the contents
    current: bool  # the record crossed in the current step
    handshake: bool = False  # it carries handshake messages (in the clear, or protected)


def _size(r: TlsRecord) -> str:
    return "length varies (a randomised signature)" if r.length_varies else f"{r.length} B"


def record_view(step: int, r: TlsRecord, *, lens: str, current: bool) -> TlsRecordView:
    arrow = "C→S" if r.direction == C2S else "S→C"
    header = f"{r.content_type}, {r.version}, {_size(r)}"
    kinds = ", ".join(r.handshake_types)
    if not r.encrypted:
        title = kinds or r.decrypted or r.content_type
        return TlsRecordView(step, r.conn, arrow, header, title, tuple(r.fields), True, current,
                             bool(r.handshake_types))
    if lens == "eavesdropper":
        return TlsRecordView(step, r.conn, arrow, header, f"encrypted {r.content_type}",
                             ("ciphertext: only the header and the length can be read",), False, current,
                             bool(r.handshake_types))
    inside = r.decrypted or kinds or r.inner_type
    return TlsRecordView(step, r.conn, arrow, header, f"decrypted: {inside}", tuple(r.fields), True, current,
                         bool(r.handshake_types))


@dataclass(frozen=True, slots=True)
class TlsView:
    """The records of the current step in full, and how many came before."""

    records: tuple[TlsRecordView, ...]
    earlier: int  # records of earlier steps, not repeated
    note: str = RANDOMISED_NOTE

    @property
    def handshake_now(self) -> bool:
        """The current step carries a handshake: its records matter more than the bytes' hex dump."""
        return any(r.current and r.handshake for r in self.records)


def tls_view(records: Sequence[tuple[int, TlsRecord]], step: int, *, lens: str) -> TlsView | None:
    """The Wire tab's TLS records at ``step`` through ``lens`` (client, server, eavesdropper); None: no TLS yet.

    The current step's records are shown in full; where the step has none, the last handshake's
    records (those of the latest step that had any), so the fields stay on screen while the
    session goes on.
    """
    if not records:
        return None
    here = [(s, r) for s, r in records if s == step]
    shown = here or [(s, r) for s, r in records if s == records[-1][0]]
    first = records.index(shown[0])
    views = tuple(record_view(s, r, lens=lens, current=s == step) for s, r in shown)
    return TlsView(views, first)


class SessionWire:
    """The bytes and TLS records of one connection as events arrive (the sandbox's Wire tab).

    ``feed`` each event with the step (the sandbox: the number of the typed line) it belongs to;
    only those of connection ``conn`` are kept. ``tls_up``: a TLS layer started on it.
    """

    def __init__(self) -> None:
        self.conn = ""
        self._opened: dict[str, ConnectionOpened] = {}
        self.chunks: list[WireChunk] = []
        self.records: list[tuple[int, TlsRecord]] = []
        self._tls_on: set[str] = set()

    def feed(self, event: Event, step: int) -> None:
        if isinstance(event, ConnectionOpened):
            self._opened[event.conn] = event
        elif isinstance(event, TlsStarted):
            self._tls_on.add(event.conn)
        elif isinstance(event, BytesSent) and event.conn == self.conn and (event.plaintext or event.wire):
            self.chunks.append(wire_chunk(step, event, self._opened))
        elif isinstance(event, TlsRecord) and event.conn == self.conn:
            self.records.append((step, event))

    @property
    def tls_up(self) -> bool:
        return self.conn in self._tls_on

    def now(self, step: int) -> tuple[list[WireChunk], bool]:
        """The chunks of ``step`` (True), or else the last chunk before it (False)."""
        here = [c for c in self.chunks if c.step == step]
        return (here, True) if here else (self.chunks[-1:], False)
