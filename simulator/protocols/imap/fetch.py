"""FETCH data items: parsing what the client asks for, rendering what it gets (RFC 9051 6.4.5, 7.5.2).

The server calls :func:`parse_fetch_items` on the FETCH argument (one atom or
a parenthesised list), :func:`implies_seen` to learn whether to set \\Seen
first (then adds FLAGS with :func:`including`), and :func:`fetch_response` per
message for the bytes after ``* n FETCH ``: ``(NAME value NAME value ...)``
without the CRLF. Values that are literals carry their ``{n}\\r\\n`` inside.

INTERNALDATE is the stored epoch time rendered in UTC (``+0000``): the store
keeps no zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

from simulator.protocols.imap.bodystructure import body_structure
from simulator.protocols.imap.envelope import envelope
from simulator.protocols.imap.errors import ImapSyntaxError
from simulator.protocols.imap.mime import Entity, entity_of
from simulator.protocols.imap.sections import HEADER, TEXT, Section
from simulator.protocols.imap.tokens import Atom, Token
from simulator.protocols.imap.transfer import decode
from simulator.protocols.imap.wire import NIL, literal8, nstring, number, plist

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE_TIME = re.compile(
    r"([ 0-9]?[0-9])-([A-Za-z]{3})-([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})\Z"
)
_SECTION_ITEM = re.compile(
    r"(BODY|BODY\.PEEK|BINARY|BINARY\.PEEK|BINARY\.SIZE)\[(.*)\](?:<([0-9]+)\.([0-9]+)>)?\Z", re.I | re.S
)


class StoredMessageLike(Protocol):
    uid: int
    data: bytes
    internal_date: float
    flags: set[str]

    @property
    def size(self) -> int: ...


@dataclass(slots=True)
class MessageView:
    """One message as a FETCH item sees it; the MIME tree is parsed on first use (and cached)."""

    seq: int
    msg: StoredMessageLike
    recent: bool = False
    _entity: Entity | None = None

    @property
    def entity(self) -> Entity:
        if self._entity is None:
            self._entity = entity_of(self.msg.data)
        return self._entity


@dataclass(frozen=True, slots=True)
class FetchItem:
    """A fetch attribute; ``key`` is the name its response data carries."""

    key: str
    sets_seen: bool = False

    def value(self, view: MessageView) -> bytes:
        raise NotImplementedError

    def render(self, view: MessageView) -> bytes:
        return self.key.encode("ascii") + b" " + self.value(view)


def flag_order(flag: str) -> tuple[int, str]:
    return (0 if flag.startswith("\\") else 1, flag.lower())


@dataclass(frozen=True, slots=True)
class Flags(FetchItem):
    key: str = "FLAGS"

    def value(self, view: MessageView) -> bytes:
        flags = set(view.msg.flags)
        if view.recent:
            flags.add("\\Recent")
        return plist(f.encode("utf-8") for f in sorted(flags, key=flag_order))


@dataclass(frozen=True, slots=True)
class Uid(FetchItem):
    key: str = "UID"

    def value(self, view: MessageView) -> bytes:
        return number(view.msg.uid)


def internal_date(epoch: float) -> str:
    """``17-Jul-1996 02:44:25 +0000`` (RFC 9051 9, date-time; day space-padded)."""
    t = datetime.fromtimestamp(epoch, UTC)
    return f"{t.day:2d}-{_MONTHS[t.month - 1]}-{t.year:04d} {t:%H:%M:%S} +0000"


def parse_internal_date(text: str) -> float:
    """APPEND's ``date-time``, ``"17-Jul-1996 02:44:25 -0700"`` without the quotes, as epoch
    seconds (RFC 9051 6.3.12, 9); ImapSyntaxError (BAD) if it is not one."""
    m = _DATE_TIME.match(text)
    month = m.group(2).title() if m else ""
    if m is None or month not in _MONTHS:
        raise ImapSyntaxError(f"not an IMAP date-time: {text}")
    day, _, year, hh, mm, ss, sign, zh, zm = m.groups()
    offset = timedelta(hours=int(zh), minutes=int(zm)) * (-1 if sign == "-" else 1)
    try:
        when = datetime(int(year), _MONTHS.index(month) + 1, int(day), int(hh), int(mm), int(ss),
                        tzinfo=timezone(offset))
    except ValueError:
        raise ImapSyntaxError(f"not an IMAP date-time: {text}") from None
    return when.timestamp()


@dataclass(frozen=True, slots=True)
class InternalDate(FetchItem):
    key: str = "INTERNALDATE"

    def value(self, view: MessageView) -> bytes:
        return b'"' + internal_date(view.msg.internal_date).encode("ascii") + b'"'


@dataclass(frozen=True, slots=True)
class Size(FetchItem):
    key: str = "RFC822.SIZE"

    def value(self, view: MessageView) -> bytes:
        return number(view.msg.size)


@dataclass(frozen=True, slots=True)
class Envelope(FetchItem):
    key: str = "ENVELOPE"

    def value(self, view: MessageView) -> bytes:
        return envelope(view.entity)


@dataclass(frozen=True, slots=True)
class Structure(FetchItem):
    """BODYSTRUCTURE, or BODY (the same without extension data)."""

    key: str = "BODYSTRUCTURE"

    def value(self, view: MessageView) -> bytes:
        return body_structure(view.entity, extended=self.key == "BODYSTRUCTURE")


@dataclass(frozen=True, slots=True)
class BodySection(FetchItem):
    """BODY[section]<partial> and its aliases RFC822, RFC822.HEADER, RFC822.TEXT."""

    section: Section = Section()
    partial: tuple[int, int] | None = None  # (origin, count)

    def value(self, view: MessageView) -> bytes:
        data = self.section.extract(view.entity)
        if data is None:
            return NIL
        if self.partial is not None:
            origin, count = self.partial
            data = data[origin:origin + count]
        return nstring(data)


@dataclass(frozen=True, slots=True)
class Binary(FetchItem):
    """BINARY[part]<partial>: the part with its Content-Transfer-Encoding undone (RFC 9051 6.4.5)."""

    section: Section = Section()
    partial: tuple[int, int] | None = None

    def value(self, view: MessageView) -> bytes:
        data = _binary(view, self.section)
        if data is None:
            return NIL
        if self.partial is not None:
            origin, count = self.partial
            data = data[origin:origin + count]
        return literal8(data) if b"\x00" in data else nstring(data)


@dataclass(frozen=True, slots=True)
class BinarySize(FetchItem):
    section: Section = Section()

    def value(self, view: MessageView) -> bytes:
        data = _binary(view, self.section)
        return NIL if data is None else number(len(data))


def _binary(view: MessageView, section: Section) -> bytes | None:
    if not section.part:
        return view.entity.data
    part = section.entity(view.entity)
    if part is None:
        return None
    if part.is_multipart or part.message is not None:
        return part.body
    return decode(part.body, part.encoding)


FLAGS = Flags()
UID = Uid()
INTERNALDATE = InternalDate()
RFC822_SIZE = Size()
ENVELOPE = Envelope()
BODY = Structure("BODY")
BODYSTRUCTURE = Structure("BODYSTRUCTURE")

SIMPLE: dict[str, FetchItem] = {
    item.key: item for item in (FLAGS, UID, INTERNALDATE, RFC822_SIZE, ENVELOPE, BODY, BODYSTRUCTURE)
} | {
    "RFC822": BodySection("RFC822", sets_seen=True),
    "RFC822.HEADER": BodySection("RFC822.HEADER", section=Section(text=HEADER)),
    "RFC822.TEXT": BodySection("RFC822.TEXT", sets_seen=True, section=Section(text=TEXT)),
}
MACROS: dict[str, tuple[FetchItem, ...]] = {  # RFC 9051 6.4.5
    "ALL": (FLAGS, INTERNALDATE, RFC822_SIZE, ENVELOPE),
    "FAST": (FLAGS, INTERNALDATE, RFC822_SIZE),
    "FULL": (FLAGS, INTERNALDATE, RFC822_SIZE, ENVELOPE, BODY),
}


def _section_item(text: str) -> FetchItem:
    m = _SECTION_ITEM.match(text)
    if m is None:
        raise ImapSyntaxError(f"unknown fetch item: {text}")
    kind = m.group(1).upper()
    section = Section.parse(m.group(2))
    partial = None
    if m.group(3) is not None:
        if kind == "BINARY.SIZE" or int(m.group(4)) == 0:
            raise ImapSyntaxError(f"invalid partial range in {text}")
        partial = (int(m.group(3)), int(m.group(4)))
    if kind.startswith("BINARY") and section.text:
        raise ImapSyntaxError(f"BINARY takes part numbers only: {text}")
    suffix = "" if partial is None else f"<{partial[0]}>"
    name = f"[{section}]{suffix}"
    if kind == "BINARY.SIZE":
        return BinarySize(f"BINARY.SIZE[{section}]", section=section)
    if kind.startswith("BINARY"):
        return Binary("BINARY" + name, sets_seen=kind == "BINARY", section=section, partial=partial)
    return BodySection("BODY" + name, sets_seen=kind == "BODY", section=section, partial=partial)


def _item(token: Token) -> FetchItem:
    if not isinstance(token, Atom):
        raise ImapSyntaxError("a fetch item must be an atom")
    simple = SIMPLE.get(token.upper())
    return simple if simple is not None else _section_item(token)


def parse_fetch_items(argument: Token) -> list[FetchItem]:
    """The items of a FETCH argument: a macro, one item, or a parenthesised list of items.

    ImapSyntaxError (answer BAD) for anything else; a macro cannot be in a list.
    """
    if isinstance(argument, list):
        if not argument:
            raise ImapSyntaxError("empty fetch item list")
        items = [_item(t) for t in argument]
    elif isinstance(argument, Atom) and argument.upper() in MACROS:
        return list(MACROS[argument.upper()])
    else:
        items = [_item(argument)]
    unique: dict[str, FetchItem] = {}
    for item in items:
        unique.setdefault(item.key, item)
    return list(unique.values())


def implies_seen(items: Iterable[FetchItem]) -> bool:
    """Whether fetching these sets \\Seen: BODY[...], BINARY[...], RFC822, RFC822.TEXT (RFC 9051 6.4.5)."""
    return any(item.sets_seen for item in items)


def including(items: list[FetchItem], item: FetchItem) -> list[FetchItem]:
    """``items`` with ``item`` added if none has its key: UID for UID FETCH (RFC 9051 6.4.9),
    FLAGS when fetching set \\Seen (RFC 9051 6.4.5)."""
    return items if any(i.key == item.key for i in items) else [*items, item]


def fetch_response(seq: int, msg: StoredMessageLike, items: Iterable[FetchItem], *,
                   recent: bool = False) -> bytes:
    """``(FLAGS (\\Seen) UID 4 ...)``: the bytes after ``* seq FETCH `` (no CRLF).

    ``recent`` adds \\Recent to FLAGS (IMAP4rev1 sessions only; RFC 3501 2.3.2).
    May raise UnknownCte for BINARY[] of an undecodable part (answer NO [UNKNOWN-CTE]).
    """
    view = MessageView(seq, msg, recent)
    return plist(item.render(view) for item in items)
