"""SEARCH: criteria parsed into a tree of keys, evaluated per message, answered (RFC 9051 6.4.4, 7.3).

:func:`parse_search` reads the command's tokens (after ``SEARCH``, with
``RETURN (...)`` and ``CHARSET x`` first when given) into a
:class:`SearchProgram`; ``program.key.matches(seq, msg, ctx)`` tells one
message. Several keys in a row must all match; ``OR a b``, ``NOT a`` and
``( ... )`` nest.

Matching, as RFC 9051 6.4.4 asks:

* strings match as case-insensitive substrings, of header values with RFC
  2047 encoded words decoded, and of the text of the text/* body parts with
  their transfer encoding and charset undone (BODY; TEXT adds the headers);
* SINCE / BEFORE / ON compare the date of the internal date, taken in UTC
  (the store keeps an epoch time and no zone); SENTSINCE / SENTBEFORE /
  SENTON compare the date written in the Date header, its time and zone
  disregarded; a message without a readable Date matches none of them;
* NEW, OLD and RECENT read the session's \\Recent set (IMAP4rev1, RFC 3501
  6.4.4); an IMAP4rev2 session passes none, so RECENT and NEW match
  nothing and OLD everything (RFC 9051 removed \\Recent);
* a sequence set or ``UID`` set reads ``*`` as the last message / highest UID;
  ``$`` is the saved result (SEARCHRES, RFC 9051 6.4.4.1, 7.3.4).

CHARSET must be UTF-8 or US-ASCII; any other raises :class:`BadCharset`.
"""

from __future__ import annotations

import email.header
import email.utils
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from simulator.protocols.imap.errors import BadCharset, ImapSyntaxError, UnknownCte
from simulator.protocols.imap.fetch import StoredMessageLike
from simulator.protocols.imap.mime import Entity, entity_of
from simulator.protocols.imap.sequence import SequenceSet, compact
from simulator.protocols.imap.tokens import Atom, Literal, Token, text_of
from simulator.protocols.imap.transfer import decode
from simulator.protocols.imap.wire import string

CHARSETS = ("UTF-8", "US-ASCII")
RETURN_OPTIONS = ("MIN", "MAX", "ALL", "COUNT", "SAVE")  # RFC 9051 6.4.4
_MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}


@dataclass(frozen=True, slots=True)
class SearchContext:
    """What a key needs beyond the message: where ``*`` points, the session's \\Recent and ``$``."""

    count: int  # messages in the mailbox: "*" in a sequence set
    max_uid: int  # the highest UID in the mailbox: "*" in a UID set
    recent: frozenset[int] = frozenset()  # UIDs \Recent in this session (IMAP4rev1 only)
    saved: frozenset[int] = frozenset()  # UIDs of the saved search result ("$")

    @classmethod
    def of(cls, messages: Sequence[tuple[int, StoredMessageLike]], recent: Iterable[int] = (),
           saved: Iterable[int] = ()) -> SearchContext:
        """From the session's (sequence number, message) pairs."""
        return cls(max((n for n, _ in messages), default=0), max((m.uid for _, m in messages), default=0),
                   frozenset(recent), frozenset(saved))


class SearchKey:
    def matches(self, seq: int, msg: StoredMessageLike, ctx: SearchContext) -> bool:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class All(SearchKey):
    def matches(self, seq: int, msg: StoredMessageLike, ctx: SearchContext) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class And(SearchKey):
    keys: tuple[SearchKey, ...]

    def matches(self, seq: int, msg: StoredMessageLike, ctx: SearchContext) -> bool:
        return all(k.matches(seq, msg, ctx) for k in self.keys)


@dataclass(frozen=True, slots=True)
class Or(SearchKey):
    left: SearchKey
    right: SearchKey

    def matches(self, seq: int, msg: StoredMessageLike, ctx: SearchContext) -> bool:
        return self.left.matches(seq, msg, ctx) or self.right.matches(seq, msg, ctx)


@dataclass(frozen=True, slots=True)
class Not(SearchKey):
    key: SearchKey

    def matches(self, seq: int, msg: StoredMessageLike, ctx: SearchContext) -> bool:
        return not self.key.matches(seq, msg, ctx)


@dataclass(frozen=True, slots=True)
class HasFlag(SearchKey):
    """A system flag or a keyword (flags compare case-insensitively, RFC 9051 2.3.2)."""

    flag: str

    def matches(self, seq: int, msg: StoredMessageLike, ctx: SearchContext) -> bool:
        wanted = self.flag.lower()
        return any(f.lower() == wanted for f in msg.flags)


@dataclass(frozen=True, slots=True)
class Recent(SearchKey):
    def matches(self, seq: int, msg: StoredMessageLike, ctx: SearchContext) -> bool:
        return msg.uid in ctx.recent


@dataclass(frozen=True, slots=True)
class Size(SearchKey):
    limit: int
    larger: bool

    def matches(self, seq: int, msg: StoredMessageLike, ctx: SearchContext) -> bool:
        return msg.size > self.limit if self.larger else msg.size < self.limit


@dataclass(frozen=True, slots=True)
class InSet(SearchKey):
    """A sequence set (``uid`` False) or ``UID`` set; ``$`` is the saved result."""

    numbers: SequenceSet
    uid: bool = False

    def matches(self, seq: int, msg: StoredMessageLike, ctx: SearchContext) -> bool:
        if self.numbers.saved:
            return msg.uid in ctx.saved
        if self.uid:
            return self.numbers.contains(msg.uid, ctx.max_uid)
        return self.numbers.contains(seq, ctx.count)


@dataclass(frozen=True, slots=True)
class Header(SearchKey):
    """FROM, TO, CC, BCC, SUBJECT, HEADER name value: a decoded field value contains the string.
    HEADER with an empty string matches every message that has the field (RFC 9051 6.4.4)."""

    name: str
    needle: str

    def matches(self, seq: int, msg: StoredMessageLike, ctx: SearchContext) -> bool:
        values = _headers(entity_of(msg.data)).get(self.name.lower(), ())
        return any(self.needle in v for v in values)


@dataclass(frozen=True, slots=True)
class Body(SearchKey):
    """BODY (the text parts) or TEXT (the header fields too)."""

    needle: str
    with_header: bool = False

    def matches(self, seq: int, msg: StoredMessageLike, ctx: SearchContext) -> bool:
        entity = entity_of(msg.data)
        if self.needle in _body_text(entity):
            return True
        return self.with_header and any(self.needle in v for vs in _headers(entity).values() for v in vs)


def _compare(day: date, op: str, when: date) -> bool:
    return {"SINCE": day >= when, "BEFORE": day < when, "ON": day == when}[op]


@dataclass(frozen=True, slots=True)
class Internal(SearchKey):
    op: str  # SINCE BEFORE ON
    when: date

    def matches(self, seq: int, msg: StoredMessageLike, ctx: SearchContext) -> bool:
        return _compare(datetime.fromtimestamp(msg.internal_date, UTC).date(), self.op, self.when)


@dataclass(frozen=True, slots=True)
class Sent(SearchKey):
    op: str
    when: date

    def matches(self, seq: int, msg: StoredMessageLike, ctx: SearchContext) -> bool:
        day = _sent_date(entity_of(msg.data))
        return day is not None and _compare(day, self.op, self.when)


# --- what the keys read, decoded once per message --------------------------------------

def _decode_words(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    if "=?" not in text:
        return text
    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (LookupError, ValueError, UnicodeError):  # unknown charset, broken word: search it as sent
        return text


def _headers(entity: Entity) -> dict[str, list[str]]:
    cached = entity.cache.get("search-headers")
    if isinstance(cached, dict):
        return cached
    values: dict[str, list[str]] = {}
    for f in entity.fields:
        values.setdefault(f.name, []).append(_decode_words(f.value).casefold())
    entity.cache["search-headers"] = values
    return values


def _charset(name: str | None) -> str:
    try:
        return email.header.Charset(name or "us-ascii").input_codec or name or "utf-8"
    except (LookupError, ValueError, UnicodeError):
        return "utf-8"


def _texts(entity: Entity) -> Iterable[str]:
    if entity.is_multipart:
        for part in entity.parts:
            yield from _texts(part)
    elif entity.message is not None:
        yield from _texts(entity.message)
    elif entity.maintype == "text":
        try:
            raw = decode(entity.body, entity.encoding)
        except UnknownCte:
            raw = entity.body
        codec = _charset(entity.param("charset"))
        try:
            yield raw.decode(codec, "replace")
        except LookupError:
            yield raw.decode("utf-8", "replace")


def _body_text(entity: Entity) -> str:
    cached = entity.cache.get("search-body")
    if isinstance(cached, str):
        return cached
    text = "\n".join(_texts(entity)).casefold()
    entity.cache["search-body"] = text
    return text


def _sent_date(entity: Entity) -> date | None:
    value = entity.get("date")
    if value is None:
        return None
    parsed = email.utils.parsedate_tz(value.decode("latin-1"))
    if parsed is None:
        return None
    try:
        return date(parsed[0], parsed[1], parsed[2])
    except ValueError:
        return None


# --- parsing ---------------------------------------------------------------------------

class _Reader:
    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = list(tokens)
        self.i = 0

    def more(self) -> bool:
        return self.i < len(self.tokens)

    def next(self, what: str) -> Token:
        if not self.more():
            raise ImapSyntaxError(f"SEARCH: {what} missing")
        token = self.tokens[self.i]
        self.i += 1
        return token

    def peek_word(self) -> str:
        if not self.more():
            return ""
        token = self.tokens[self.i]
        return token.upper() if isinstance(token, Atom) else ""

    def astring(self, what: str) -> str:
        token = self.next(what)
        if isinstance(token, list):
            raise ImapSyntaxError(f"SEARCH: {what} must be a string")
        return text_of(token)

    def number(self, what: str) -> int:
        token = self.next(what)
        if not isinstance(token, Atom) or not token.isdigit() or not token.isascii():
            raise ImapSyntaxError(f"SEARCH: {what} must be a number")
        return int(token)

    def date(self, what: str) -> date:
        token = self.next(what)
        if isinstance(token, list | Literal):
            raise ImapSyntaxError(f"SEARCH: {what} must be a date like 1-Feb-1994")
        return parse_date(str(token))


def parse_date(text: str) -> date:
    """``date-text``: ``1-Feb-1994`` (RFC 9051 9); ImapSyntaxError otherwise."""
    day, _, rest = text.partition("-")
    month, _, year = rest.partition("-")
    if not (day.isdigit() and len(day) <= 2 and year.isdigit() and len(year) == 4
            and month.upper() in _MONTHS and day.isascii() and year.isascii()):
        raise ImapSyntaxError(f"SEARCH: not a date: {text}")
    try:
        return date(int(year), _MONTHS[month.upper()], int(day))
    except ValueError:
        raise ImapSyntaxError(f"SEARCH: not a date: {text}") from None


def _flag(flag: str, present: bool) -> Callable[[_Reader], SearchKey]:
    key = HasFlag(flag)
    return (lambda r: key) if present else (lambda r: Not(key))


def _header(name: str) -> Callable[[_Reader], SearchKey]:
    return lambda r: Header(name, r.astring(f"{name.upper()} string").casefold())


def _dated(kind: type[Internal] | type[Sent], op: str) -> Callable[[_Reader], SearchKey]:
    return lambda r: kind(op, r.date(f"{op} date"))


def _keyword(present: bool) -> Callable[[_Reader], SearchKey]:
    def read(r: _Reader) -> SearchKey:
        key = HasFlag(r.astring("keyword"))
        return key if present else Not(key)
    return read


def _uid_set(r: _Reader) -> SearchKey:
    token = r.next("UID set")
    if not isinstance(token, Atom):
        raise ImapSyntaxError("SEARCH: UID needs a sequence set")
    return InSet(SequenceSet.parse(token), uid=True)


def _header_key(r: _Reader) -> SearchKey:
    name = r.astring("HEADER field name")
    return Header(name, r.astring("HEADER string").casefold())


def _or(r: _Reader) -> SearchKey:
    left = _key(r)
    return Or(left, _key(r))


KEYS: dict[str, Callable[[_Reader], SearchKey]] = {
    "ALL": lambda r: All(),
    "ANSWERED": _flag("\\Answered", True), "UNANSWERED": _flag("\\Answered", False),
    "DELETED": _flag("\\Deleted", True), "UNDELETED": _flag("\\Deleted", False),
    "DRAFT": _flag("\\Draft", True), "UNDRAFT": _flag("\\Draft", False),
    "FLAGGED": _flag("\\Flagged", True), "UNFLAGGED": _flag("\\Flagged", False),
    "SEEN": _flag("\\Seen", True), "UNSEEN": _flag("\\Seen", False),
    "KEYWORD": _keyword(True), "UNKEYWORD": _keyword(False),
    "RECENT": lambda r: Recent(),
    "NEW": lambda r: And((Recent(), Not(HasFlag("\\Seen")))),
    "OLD": lambda r: Not(Recent()),
    "FROM": _header("from"), "TO": _header("to"), "CC": _header("cc"), "BCC": _header("bcc"),
    "SUBJECT": _header("subject"),
    "HEADER": _header_key,
    "BODY": lambda r: Body(r.astring("BODY string").casefold()),
    "TEXT": lambda r: Body(r.astring("TEXT string").casefold(), with_header=True),
    "SINCE": _dated(Internal, "SINCE"), "BEFORE": _dated(Internal, "BEFORE"), "ON": _dated(Internal, "ON"),
    "SENTSINCE": _dated(Sent, "SINCE"), "SENTBEFORE": _dated(Sent, "BEFORE"), "SENTON": _dated(Sent, "ON"),
    "LARGER": lambda r: Size(r.number("LARGER size"), larger=True),
    "SMALLER": lambda r: Size(r.number("SMALLER size"), larger=False),
    "UID": _uid_set,
    "NOT": lambda r: Not(_key(r)),
    "OR": _or,
}


def _key(r: _Reader) -> SearchKey:
    token = r.next("search key")
    if isinstance(token, list):
        if not token:
            raise ImapSyntaxError("SEARCH: empty parentheses")
        return _program(_Reader(token))
    if not isinstance(token, Atom):
        raise ImapSyntaxError("SEARCH: a search key must be an atom")
    read = KEYS.get(token.upper())
    if read is not None:
        return read(r)
    if token == "$" or SequenceSet.is_sequence_set(token):
        return InSet(SequenceSet.parse(token))
    raise ImapSyntaxError(f"SEARCH: unknown search key {token}")


def _program(r: _Reader) -> SearchKey:
    keys = [_key(r)]
    while r.more():
        keys.append(_key(r))
    return keys[0] if len(keys) == 1 else And(tuple(keys))


@dataclass(frozen=True, slots=True)
class SearchProgram:
    key: SearchKey
    charset: str = "US-ASCII"
    returns: tuple[str, ...] | None = None  # None: no RETURN, answer * SEARCH; () never (RETURN () is ALL)

    @property
    def extended(self) -> bool:
        """Whether RETURN was given. An IMAP4rev2 session answers ESEARCH whether or not, with
        ``returns or ("ALL",)``; an IMAP4rev1 one ``* SEARCH`` unless RETURN (RFC 9051 6.4.4, 7.3.4)."""
        return self.returns is not None

    @property
    def saves(self) -> bool:
        return self.returns is not None and "SAVE" in self.returns


def parse_search(tokens: Sequence[Token]) -> SearchProgram:
    """``[RETURN (opts)] [CHARSET name] key...`` (RFC 9051 6.4.4, 9 ``search``).

    ImapSyntaxError (BAD) for malformed criteria, BadCharset (NO [BADCHARSET]) for
    a charset other than UTF-8 and US-ASCII.
    """
    r = _Reader(tokens)
    returns = None
    if r.peek_word() == "RETURN":
        r.next("RETURN")
        options = r.next("RETURN options")
        if not isinstance(options, list) or not all(isinstance(o, Atom) for o in options):
            raise ImapSyntaxError("SEARCH: RETURN needs a parenthesised list of options")
        words = [o.upper() for o in options]
        unknown = [w for w in words if w not in RETURN_OPTIONS]
        if unknown:
            raise ImapSyntaxError(f"SEARCH: unknown RETURN option {unknown[0]}")
        returns = tuple(dict.fromkeys(words)) or ("ALL",)
    charset = "US-ASCII"
    if r.peek_word() == "CHARSET":
        r.next("CHARSET")
        charset = r.astring("charset name").upper()
        if charset not in CHARSETS:
            raise BadCharset(f"Cannot search in charset {charset}: UTF-8 and US-ASCII only")
    if not r.more():
        raise ImapSyntaxError("SEARCH: no search criteria")
    return SearchProgram(_program(r), charset, returns)


def search(program: SearchProgram | SearchKey, messages: Sequence[tuple[int, StoredMessageLike]],
           ctx: SearchContext | None = None) -> list[int]:
    """The sequence numbers of the matching messages, given the session's (seq, message) pairs
    (``ctx`` defaults to :meth:`SearchContext.of` them: no \\Recent, nothing saved)."""
    key = program.key if isinstance(program, SearchProgram) else program
    ctx = ctx if ctx is not None else SearchContext.of(messages)
    return sorted(seq for seq, msg in messages if key.matches(seq, msg, ctx))


# --- answering -------------------------------------------------------------------------

def search_response(numbers: Iterable[int]) -> bytes:
    """``* SEARCH 2 3 5`` with its CRLF (RFC 9051 7.3.4 of RFC 3501 / IMAP4rev1)."""
    return b"".join([b"* SEARCH", *(b" %d" % n for n in sorted(numbers)), b"\r\n"])


def esearch_response(numbers: Iterable[int], returns: Sequence[str] = ("ALL",), *, tag: str = "",
                     uid: bool = False) -> bytes:
    """``* ESEARCH (TAG "a1") UID MIN 2 COUNT 3`` with its CRLF (RFC 9051 7.3.4).

    MIN, MAX and ALL are left out when nothing matched, COUNT is always given.
    ``b""`` when the only option is SAVE: the server then answers no ESEARCH
    at all (RFC 9051 6.4.4.1).
    """
    found = sorted(set(numbers))
    wanted = [o.upper() for o in returns] or ["ALL"]
    if wanted == ["SAVE"]:
        return b""
    out = [b"* ESEARCH"]
    if tag:
        out.append(b"(TAG " + string(tag) + b")")
    if uid:
        out.append(b"UID")
    values: dict[str, Callable[[], bytes]] = {
        "MIN": lambda: b"%d" % found[0],
        "MAX": lambda: b"%d" % found[-1],
        "ALL": lambda: compact(found).encode("ascii"),
        "COUNT": lambda: b"%d" % len(found),
    }
    for option in dict.fromkeys(wanted):
        if option in values and (found or option == "COUNT"):
            out.append(option.encode("ascii") + b" " + values[option]())
    return b" ".join(out) + b"\r\n"


def saved_result(numbers: Iterable[int], returns: Sequence[str]) -> list[int]:
    """What SAVE keeps: all matches, or only MIN/MAX when just those were asked with it (RFC 9051 6.4.4.1)."""
    found = sorted(set(numbers))
    wanted = {o.upper() for o in returns} - {"SAVE"}
    if not found or not wanted or wanted & {"ALL", "COUNT"}:
        return found
    keep = set()
    if "MIN" in wanted:
        keep.add(found[0])
    if "MAX" in wanted:
        keep.add(found[-1])
    return sorted(keep)
