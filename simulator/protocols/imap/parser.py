"""The IMAP command reader: bytes in, whole commands (tag, name, tokens) out.

A command is a line, or several lines joined by literals (RFC 9051 4.3):
``a1 LOGIN {3}`` CRLF ``bob {7+}`` CRLF ``builder`` CRLF. The reader sits on
a :class:`~simulator.protocols.lines.LineBuffer` and hands out, in order,

* :class:`Continue` -- a synchronising literal ``{n}`` was announced: the
  server sends ``+ Ready for literal data`` (RFC 9051 4.3, 7.6) before the client
  may send its octets. It is handed out as soon as the line ends, whether the
  octets already came or not, so any chunking of the input gives the same
  responses. A non-synchronising literal ``{n+}`` (LITERAL+, RFC 7888) gets
  none;
* :class:`Command` -- a complete command with its arguments as tokens
  (:mod:`.tokens`);
* :class:`Refusal` -- what to answer instead: ``BAD`` for a syntax error, an
  overlong line or literal, tagged when a tag could be read (RFC 9051 7.1.3),
  ``* BAD`` otherwise; ``NO [TOOBIG]`` for an APPEND literal over the limit
  (RFC 7889 APPENDLIMIT; RFC 9051 7.1 TOOBIG). A refused synchronising
  literal gets no ``+``: the client sees the tagged answer and sends no
  octets (RFC 9051 4.3). A refused non-synchronising literal is read and
  dropped, since the client sends it anyway (RFC 7888 4).

:meth:`CommandReader.next_line` reads a plain line instead, for what is not a
command: an AUTHENTICATE response (RFC 9051 6.2.2) or IDLE's ``DONE``
(RFC 2177 3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from simulator.protocols.imap.tokens import Atom, Literal, Token
from simulator.protocols.lines import TOO_LONG, LineBuffer

# RFC 7162 section 4 asks servers to take command lines of at least 8192 octets.
COMMAND_LIMIT = 64 * 1024  # the lines of one command, literals not counted
LITERAL_LIMIT = 64 * 1024  # a literal of any command but APPEND
DEFAULT_APPEND_LIMIT = 10 * 1024 * 1024  # APPENDLIMIT (RFC 7889)
MAX_TAG = 64

_LITERAL_AT_END = re.compile(rb"\{([0-9]{1,20})(\+?)\}\r?\n\Z")
# tag = 1*<any ASTRING-CHAR except "+"> (RFC 9051 9): no CTL, SP, ( ) { % * " \ or +.
_TAG = re.compile(r"[^\x00-\x20\x7f(){%*\"\\+]+")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")
_SPECIALS = frozenset(b' ()"{') | frozenset(range(0x20)) | {0x7F}


@dataclass(frozen=True, slots=True)
class Command:
    tag: str
    name: str  # upper case ("FETCH"; a UID command is "UID" with its command first in args)
    args: list[Token]
    text: str  # the arguments as sent, a literal shown as {n octets}: for the trace

    @property
    def shown(self) -> str:
        return f"[{self.tag}] {self.text}".rstrip()


@dataclass(frozen=True, slots=True)
class Refusal:
    tag: str  # "*" when no tag could be read
    status: str  # "BAD" or "NO"
    text: str
    code: str = ""  # a response code, e.g. "TOOBIG"
    name: str = ""  # the command's name, if it could be read
    shown: str = ""  # what the trace shows as the command's argument


@dataclass(frozen=True, slots=True)
class Continue:
    """Send the command continuation request for a synchronising literal."""

    size: int


Item = Command | Refusal | Continue


class SyntaxProblem(Exception):
    pass


@dataclass(slots=True)
class _Pending:
    """The command being read: its lines so far and the literal after each."""

    lines: list[bytes] = field(default_factory=list)
    literals: list[bytes] = field(default_factory=list)
    used: int = 0  # octets of lines so far
    tag: str = ""
    name: str = ""
    want: int = -1  # octets of the literal being read (-1: reading a line)
    skip: bool = False  # dropping that literal (refused, non-synchronising)
    refusal: Refusal | None = None


class CommandReader:
    def __init__(self, *, append_limit: int = DEFAULT_APPEND_LIMIT, literal_limit: int = LITERAL_LIMIT,
                 command_limit: int = COMMAND_LIMIT) -> None:
        self.buffer = LineBuffer()
        self.append_limit = append_limit
        self.literal_limit = literal_limit
        self.command_limit = command_limit
        self._pending: _Pending | None = None
        self._head = b""  # the start of the line being read, kept in case it turns out too long

    def feed(self, data: bytes) -> None:
        self.buffer.feed(data)

    @property
    def in_command(self) -> bool:
        """Part of a command has been read (waiting for a literal or the line after it)."""
        return self._pending is not None

    def next_line(self) -> bytes | object | None:
        """A plain line without its CRLF (b"" for an empty one), ``TOO_LONG``, or None until one ends."""
        line = self.buffer.next_line(self.command_limit, bare_lf_ends=True)
        if line is None or line is TOO_LONG:
            return line
        assert isinstance(line, bytes)
        return _strip_eol(line)

    def next(self) -> Item | None:
        """The next thing to act on, or None until more bytes come."""
        while True:
            p = self._pending
            if p is not None and p.want >= 0:
                if not self._read_literal(p):
                    return None
                continue
            if p is None and not self.buffer.discarding:
                self._head = self.buffer.head(MAX_TAG + 1)
            limit = self.command_limit - (p.used if p else 0)
            line = self.buffer.next_line(max(limit, 3), bare_lf_ends=True)
            if line is None:
                return None
            if line is TOO_LONG:
                return self._too_long(p)
            assert isinstance(line, bytes)
            item = self._line(line)
            if item is not None:
                return item

    # --- internals ----------------------------------------------------------

    def _too_long(self, p: _Pending | None) -> Refusal:
        self._pending = None
        tag = p.tag if p else _tag_of(self._head)
        return Refusal(tag or "*", "BAD", f"Command line too long (more than {self.command_limit} octets)",
                       "TOOBIG", p.name if p else "", "(line too long)")

    def _line(self, line: bytes) -> Item | None:
        p = self._pending
        if p is None:
            p = self._pending = _Pending()
            first = line
            p.tag = _tag_of(first)
            p.name = _name_of(first)
        p.lines.append(_strip_eol(line))
        p.used += len(line)
        m = _LITERAL_AT_END.search(line)
        if m is None:
            return self._complete(p)
        size, nonsync = int(m.group(1)), bool(m.group(2))
        p.lines[-1] = line[: m.start()]  # the marker is put back as a placeholder when parsing
        limit = self.append_limit if p.name == "APPEND" else self.literal_limit
        if p.refusal is None and (not p.tag or not p.name):
            p.refusal = self._refusal(p, "BAD", "Missing tag or command name before a literal")
        if p.refusal is None and size > limit:
            if p.name == "APPEND":  # RFC 7889 4: APPENDLIMIT exceeded
                p.refusal = Refusal(p.tag, "NO", f"Message too big: the limit is {limit} octets (APPENDLIMIT)",
                                    "TOOBIG", p.name, self._shown(p))
            else:
                p.refusal = Refusal(p.tag, "BAD", f"Literal too big: at most {limit} octets here",
                                    "TOOBIG", p.name, self._shown(p))
        if p.refusal is not None:
            if not nonsync:
                # RFC 9051 4.3: no "+"; the client sees the tagged answer and sends no octets.
                self._pending = None
                return p.refusal
            p.want, p.skip = size, True
            return None
        p.want, p.skip = size, False
        return None if nonsync else Continue(size)

    def _read_literal(self, p: _Pending) -> bool:
        if p.skip:
            n = min(p.want, len(self.buffer))
            self.buffer.consume(n)
            p.want -= n
            if p.want:
                return False
            p.literals.append(b"")
        else:
            data = self.buffer.consume_exactly(p.want)
            if data is None:
                return False
            p.literals.append(data)
        p.want = -1
        return True

    def _complete(self, p: _Pending) -> Item:
        self._pending = None
        if p.refusal is not None:
            return p.refusal
        try:
            return _parse(p)
        except SyntaxProblem as exc:
            return self._refusal(p, "BAD", str(exc))

    def _refusal(self, p: _Pending, status: str, text: str) -> Refusal:
        return Refusal(p.tag or "*", status, text, "", p.name, self._shown(p))

    @staticmethod
    def _shown(p: _Pending) -> str:
        return _show(p.lines, [len(x) for x in p.literals] + [-1] * (len(p.lines) - len(p.literals)))


def _strip_eol(line: bytes) -> bytes:
    """A line without its end: CRLF, or a bare LF (taken too, as Dovecot does, so nc without -C works)."""
    return line[:-2] if line.endswith(b"\r\n") else line[:-1]


def _tag_of(line: bytes) -> str:
    head = _strip_eol(line).split(b" ", 1)[0] if line.endswith(b"\n") else line.split(b" ", 1)[0]
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        return ""
    return text if len(text) <= MAX_TAG and _TAG.fullmatch(text) else ""


def _name_of(line: bytes) -> str:
    parts = _strip_eol(line).split(b" ", 2)
    if len(parts) < 2:
        return ""
    word = parts[1]
    m = re.match(rb"[A-Za-z][A-Za-z0-9]*", word)
    return m.group(0).decode("ascii").upper() if m and m.end() == len(word) else ""


def _show(lines: list[bytes], literal_sizes: list[int]) -> str:
    """The command after its tag and name as the trace shows it: text, literals as {n octets}."""
    out = []
    for n, line in enumerate(lines):
        out.append(line.decode("utf-8", "replace"))
        if n < len(lines) - 1:
            size = literal_sizes[n] if n < len(literal_sizes) else -1
            out.append(f"{{{size} octets}}" if size >= 0 else "{…}")
    text = "".join(out)
    parts = text.split(" ", 2)
    return parts[2] if len(parts) > 2 else ""


# --- the tokenizer ---------------------------------------------------------------


def _parse(p: _Pending) -> Command:
    if not p.tag:
        raise SyntaxProblem("Missing or invalid tag")
    first = p.lines[0]
    rest = first[len(p.tag.encode()):]
    if not rest.startswith(b" "):
        raise SyntaxProblem("Missing command name after the tag")
    rest = rest[1:]
    m = re.match(rb"[A-Za-z][A-Za-z0-9]*", rest)
    if m is None or (m.end() < len(rest) and rest[m.end():m.end() + 1] != b" ") or (
            m.end() == len(rest) and len(p.lines) > 1):
        raise SyntaxProblem("Missing or invalid command name")
    name = m.group(0).decode("ascii").upper()
    segments = [rest[m.end():], *p.lines[1:]]
    tokens = _Tokens(segments, p.literals).read_all()
    sizes = [len(x) for x in p.literals]
    return Command(p.tag, name, tokens, _show(p.lines, sizes))


class _Tokens:
    """Reads tokens across the lines of a command, taking a literal where a line ends."""

    def __init__(self, segments: list[bytes], literals: list[bytes]) -> None:
        self.segments = segments
        self.literals = literals
        self.seg = 0
        self.pos = 0

    @property
    def _data(self) -> bytes:
        return self.segments[self.seg]

    def _at_end_of_segment(self) -> bool:
        return self.pos >= len(self._data)

    def read_all(self) -> list[Token]:
        out: list[Token] = []
        while True:
            if self._at_end_of_segment() and self.seg == len(self.segments) - 1:
                return out
            self._space()
            out.append(self._token(depth=0))

    def _space(self) -> None:
        if self._at_end_of_segment() or self._data[self.pos] != 0x20:
            raise SyntaxProblem("Expected a space between arguments")
        while not self._at_end_of_segment() and self._data[self.pos] == 0x20:
            self.pos += 1
        if self._at_end_of_segment() and self.seg == len(self.segments) - 1:
            raise SyntaxProblem("Trailing space at the end of the command")

    def _token(self, depth: int) -> Token:
        if self._at_end_of_segment():
            if self.seg < len(self.segments) - 1:
                return self._literal()
            raise SyntaxProblem("Unexpected end of command")
        c = self._data[self.pos]
        if c == 0x28:  # (
            return self._list(depth)
        if c == 0x22:  # "
            return self._quoted()
        if c == 0x29:
            raise SyntaxProblem("Unexpected ')'")
        if c == 0x7B:  # { not at the end of a line
            raise SyntaxProblem("A literal must end its line: {n} CRLF")
        return self._atom()

    def _literal(self) -> Literal:
        lit = Literal(self.literals[self.seg])
        self.seg += 1
        self.pos = 0
        return lit

    def _list(self, depth: int) -> list[Token]:
        if depth > 20:
            raise SyntaxProblem("Lists nested too deeply")
        self.pos += 1
        out: list[Token] = []
        while True:
            if self._at_end_of_segment() and self.seg == len(self.segments) - 1:
                raise SyntaxProblem("Unclosed '('")
            if not self._at_end_of_segment() and self._data[self.pos] == 0x29:
                self.pos += 1
                return out
            if out:
                self._space()
                if not self._at_end_of_segment() and self._data[self.pos] == 0x29:
                    continue
            out.append(self._token(depth + 1))

    def _quoted(self) -> str:
        data = self._data
        i = self.pos + 1
        buf = bytearray()
        while i < len(data):
            c = data[i]
            if c == 0x22:
                self.pos = i + 1
                try:
                    return buf.decode("utf-8")
                except UnicodeDecodeError:
                    raise SyntaxProblem("Quoted string is not valid UTF-8") from None
            if c == 0x5C:  # backslash: only \\ and \" (RFC 9051 4.3)
                if i + 1 < len(data) and data[i + 1] in (0x22, 0x5C):
                    buf.append(data[i + 1])
                    i += 2
                    continue
                raise SyntaxProblem("Bad escape in quoted string (only \\\\ and \\\" are allowed)")
            buf.append(c)
            i += 1
        raise SyntaxProblem("Unterminated quoted string")

    def _atom(self) -> Atom:
        data = self._data
        i = self.pos
        depth = 0
        while i < len(data):
            c = data[i]
            if c == 0x5B:  # [ : runs to its matching ], spaces and parentheses included
                depth += 1
            elif c == 0x5D:
                if depth == 0:
                    break  # ']' is a resp-special, not an atom character
                depth -= 1
            elif depth == 0 and c in _SPECIALS:
                break
            elif depth > 0 and c < 0x20:
                break
            i += 1
        if depth:
            raise SyntaxProblem("Unclosed '['")
        if i == self.pos:
            raise SyntaxProblem(f"Unexpected character {chr(data[i])!r}")
        text = data[self.pos:i]
        self.pos = i
        try:
            return Atom(text.decode("utf-8"))
        except UnicodeDecodeError:
            raise SyntaxProblem("Argument is not valid UTF-8") from None
