"""A message as IMAP sees it: a tree of MIME entities over the raw octets (RFC 2045, RFC 2046).

FETCH needs exact octets: BODY[1.MIME] is the part's header as sent, sizes and
line counts are of the encoded body, HEADER.FIELDS returns the fields as
folded. The stdlib ``email`` parser rewrites none of that reliably, so the
tree is cut from the bytes directly; ``email`` is used only to decode (RFC
2047 words, transfer encodings) where SEARCH and BINARY want decoded text.

:func:`entity_of` parses once per message body and keeps a bounded cache, so
FETCH 1:* over a mailbox parses each message once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from simulator.protocols.imap.lexer import ATOM, MIME_SPECIALS, QUOTED, SPECIAL, tokens

MAX_DEPTH = 20  # deeper nesting is read as an opaque leaf, so a hostile message cannot recurse for ever
_LINE = re.compile(rb"[^\n]*\n|[^\n]+")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_WS = b" \t\r\n"


@dataclass(slots=True, eq=False)
class HeaderField:
    name: str  # lower case
    raw: bytes  # the whole field as sent, folding and line end included
    value: bytes  # unfolded, surrounding white space removed


@dataclass(slots=True, eq=False)
class Entity:
    """One message or body part: where its header and body lie in the message, and what they say.

    The entity keeps offsets into the one message buffer rather than copies, so a
    nested part costs no more memory than its header fields.
    """

    source: bytes  # the whole stored message
    start: int
    body_start: int  # where the header block (with its blank line) ends
    end: int
    fields: list[HeaderField]
    maintype: str = "text"  # lower case
    subtype: str = "plain"
    params: list[tuple[str, str]] = field(default_factory=list)
    parts: list[Entity] = field(default_factory=list)  # multipart children
    message: Entity | None = None  # the encapsulated message of message/rfc822 and message/global
    cache: dict[str, object] = field(default_factory=dict)  # rendered ENVELOPE, BODYSTRUCTURE, ...

    @property
    def header(self) -> bytes:
        return self.source[self.start:self.body_start]

    @property
    def body(self) -> bytes:
        return self.source[self.body_start:self.end]

    @property
    def data(self) -> bytes:
        return self.source[self.start:self.end]

    @property
    def body_size(self) -> int:
        return self.end - self.body_start

    @property
    def body_lines(self) -> int:
        """Text lines of the body (RFC 9051 7.5.2 body-fld-lines): an unterminated last line counts."""
        if self.end == self.body_start:
            return 0
        unterminated = self.source[self.end - 1] != 0x0A
        return self.source.count(b"\n", self.body_start, self.end) + unterminated

    def get(self, name: str) -> bytes | None:
        """The first field called ``name`` (case-insensitive), unfolded; None if absent."""
        key = name.lower()
        for f in self.fields:
            if f.name == key:
                return f.value
        return None

    def param(self, name: str) -> str | None:
        key = name.lower()
        for k, v in self.params:
            if k.lower() == key:
                return v
        return None

    @property
    def is_multipart(self) -> bool:
        return self.maintype == "multipart"

    @property
    def encoding(self) -> str:
        value = self.get("content-transfer-encoding")
        text = value.decode("latin-1").strip() if value else ""
        return text.upper() if text else "7BIT"


def _header_end(data: bytes, start: int, end: int) -> int:
    """Where the body starts: after the first blank line; no blank line means all header."""
    if data.startswith(b"\r\n", start, end):
        return start + 2
    if data.startswith(b"\n", start, end):
        return start + 1
    ends = [i + len(sep) for sep in (b"\n\r\n", b"\n\n") if (i := data.find(sep, start, end)) >= 0]
    return min(ends) if ends else end


def split_header(data: bytes) -> tuple[bytes, bytes]:
    """(header block with its ending blank line, body)."""
    i = _header_end(data, 0, len(data))
    return data[:i], data[i:]


def header_fields(header: bytes) -> list[HeaderField]:
    """The fields of a header block; lines that are neither a field nor a fold are skipped."""
    out: list[HeaderField] = []
    raw_lines: list[bytes] = []
    for line in _LINE.findall(header):
        if line[:1] in (b" ", b"\t") and raw_lines:
            raw_lines.append(line)
            continue
        if raw_lines:
            out.append(_field(b"".join(raw_lines)))
            raw_lines = []
        if b":" in line and line.strip(_WS):
            raw_lines = [line]
    if raw_lines:
        out.append(_field(b"".join(raw_lines)))
    return [f for f in out if f.name]


def _field(raw: bytes) -> HeaderField:
    name, _, value = raw.partition(b":")
    return HeaderField(
        name.strip(b" \t").decode("latin-1").lower(), raw, _FOLD.sub(b"", value).strip(_WS)
    )


def parse_content_type(value: bytes | None, default: tuple[str, str]) -> tuple[str, str, list[tuple[str, str]]]:
    """(type, subtype, params) of a Content-Type value; a missing or unreadable one is ``default``
    with charset us-ascii for text/plain (RFC 2045 5.2)."""
    fallback = (*default, [("charset", "us-ascii")] if default == ("text", "plain") else [])
    if value is None:
        return fallback
    toks = [t for t in tokens(value.decode("latin-1"), MIME_SPECIALS) if t.kind != "comment"]
    if len(toks) < 3 or toks[0].kind != ATOM or toks[1].text != "/" or toks[2].kind != ATOM:
        return fallback
    return toks[0].text.lower(), toks[2].text.lower(), parameters(toks[3:])


def parameters(toks: list) -> list[tuple[str, str]]:
    """``; attribute=value`` pairs as written (RFC 2045 5.1); malformed pairs are skipped."""
    params: list[tuple[str, str]] = []
    i = 0
    while i < len(toks):
        if (
            i + 3 < len(toks)
            and toks[i].kind == SPECIAL and toks[i].text == ";"
            and toks[i + 1].kind == ATOM
            and toks[i + 2].text == "="
            and toks[i + 3].kind in (ATOM, QUOTED)
        ):
            params.append((toks[i + 1].text, toks[i + 3].text))
            i += 4
        else:
            i += 1
    return params


def parse_entity(data: bytes, default: tuple[str, str] = ("text", "plain")) -> Entity:
    """The MIME tree of a whole message."""
    return _entity(data, 0, len(data), default, 0)


def _entity(data: bytes, start: int, end: int, default: tuple[str, str], depth: int) -> Entity:
    body_start = _header_end(data, start, end)
    fields = header_fields(data[start:body_start])
    entity = Entity(data, start, body_start, end, fields)
    ctype = next((f.value for f in fields if f.name == "content-type"), None)
    entity.maintype, entity.subtype, entity.params = parse_content_type(ctype, default)
    if depth >= MAX_DEPTH:
        if entity.maintype in ("multipart", "message"):
            entity.maintype, entity.subtype = "application", "octet-stream"
        return entity
    if entity.maintype == "multipart":
        boundary = entity.param("boundary")
        if not boundary:  # unusable multipart: read as text/plain (RFC 2046 5.1.1, 2045 5.2)
            entity.maintype, entity.subtype, entity.params = "text", "plain", [("charset", "us-ascii")]
            return entity
        child_default = ("message", "rfc822") if entity.subtype == "digest" else ("text", "plain")
        entity.parts = [
            _entity(data, s, e, child_default, depth + 1)
            for s, e in _part_ranges(data, body_start, end, boundary.encode("latin-1"))
        ]
        if not entity.parts:  # body-type-mpart needs one part at least (RFC 9051 9): an empty one
            entity.parts = [Entity(b"\r\n", 0, 2, 2, [], params=[("charset", "us-ascii")])]
    elif entity.maintype == "message" and entity.subtype in ("rfc822", "global"):
        entity.message = _entity(data, body_start, end, ("text", "plain"), depth + 1)
    return entity


def split_multipart(body: bytes, boundary: bytes) -> list[bytes]:
    """The body parts between ``--boundary`` lines (see :func:`_part_ranges`)."""
    return [body[s:e] for s, e in _part_ranges(body, 0, len(body), boundary)]


def _part_ranges(data: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int]]:
    """Where the body parts between ``--boundary`` lines lie; the line break before a delimiter
    belongs to the delimiter (RFC 2046 5.1.1). Preamble and epilogue are dropped."""
    marker = b"--" + boundary
    parts: list[tuple[int, int]] = []
    part_start: int | None = None
    pos = start
    while True:
        i = data.find(marker, pos, end)
        if i < 0:
            break
        pos = i + len(marker)
        if i > start and data[i - 1] != 0x0A:
            continue
        newline = data.find(b"\n", pos, end)
        line_end = end if newline < 0 else newline + 1
        closing = data.startswith(b"--", pos, line_end)
        if data[pos + (2 if closing else 0):line_end].strip(_WS):
            continue  # "--boundaryX": a longer line, not this delimiter
        if part_start is not None:
            stop = i
            if stop > part_start and data[stop - 1] == 0x0A:
                stop -= 1
                if stop > part_start and data[stop - 1] == 0x0D:
                    stop -= 1
            parts.append((part_start, stop))
        if closing:
            return parts
        part_start = pos = line_end
    if part_start is not None:
        parts.append((part_start, end))
    return parts


def line_count(data: bytes) -> int:
    """Text lines of ``data``: an unterminated last line counts (RFC 9051 7.5.2 body-fld-lines)."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


_CACHE: dict[int, tuple[bytes, Entity]] = {}
CACHE_SIZE = 2048


def entity_of(data: bytes) -> Entity:
    """The parsed message for these octets, from the cache when the same bytes object was seen."""
    hit = _CACHE.get(id(data))
    if hit is not None and hit[0] is data:
        return hit[1]
    entity = parse_entity(data)
    if len(_CACHE) >= CACHE_SIZE:
        del _CACHE[next(iter(_CACHE))]
    _CACHE[id(data)] = (data, entity)
    return entity
