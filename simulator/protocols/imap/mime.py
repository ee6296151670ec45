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
    """One message or body part: its header block, its body, and what they say."""

    header: bytes  # the header block, the blank line that ends it included (if any)
    body: bytes
    fields: list[HeaderField]
    maintype: str = "text"  # lower case
    subtype: str = "plain"
    params: list[tuple[str, str]] = field(default_factory=list)
    parts: list[Entity] = field(default_factory=list)  # multipart children
    message: Entity | None = None  # the encapsulated message of message/rfc822 and message/global
    cache: dict[str, object] = field(default_factory=dict)  # rendered ENVELOPE, BODYSTRUCTURE, ...

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

    @property
    def data(self) -> bytes:
        return self.header + self.body


def split_header(data: bytes) -> tuple[bytes, bytes]:
    """(header block with its ending blank line, body); no blank line means all header."""
    if data.startswith(b"\r\n"):
        return data[:2], data[2:]
    if data.startswith(b"\n"):
        return data[:1], data[1:]
    ends = [(i, len(sep)) for sep in (b"\n\r\n", b"\n\n") if (i := data.find(sep)) >= 0]
    if not ends:
        return data, b""
    i, length = min(ends)
    return data[: i + length], data[i + length:]


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


def parse_entity(data: bytes, default: tuple[str, str] = ("text", "plain"), depth: int = 0) -> Entity:
    header, body = split_header(data)
    fields = header_fields(header)
    entity = Entity(header, body, fields)
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
            parse_entity(chunk, child_default, depth + 1)
            for chunk in split_multipart(body, boundary.encode("latin-1"))
        ]
        if not entity.parts:  # body-type-mpart needs one part at least (RFC 9051 9)
            entity.parts = [parse_entity(b"\r\n", child_default, depth + 1)]
    elif entity.maintype == "message" and entity.subtype in ("rfc822", "global"):
        entity.message = parse_entity(body, ("text", "plain"), depth + 1)
    return entity


def split_multipart(body: bytes, boundary: bytes) -> list[bytes]:
    """The body parts between ``--boundary`` lines; the line break before a delimiter
    belongs to the delimiter (RFC 2046 5.1.1). Preamble and epilogue are dropped."""
    marker = b"--" + boundary
    parts: list[bytes] = []
    start: int | None = None
    pos = 0
    while True:
        i = body.find(marker, pos)
        if i < 0:
            break
        pos = i + len(marker)
        if i > 0 and body[i - 1:i] != b"\n":
            continue
        rest_end = body.find(b"\n", pos)
        line_end = len(body) if rest_end < 0 else rest_end + 1
        tail = body[pos:line_end]
        closing = tail.startswith(b"--")
        if tail[2 if closing else 0:].strip(_WS):
            continue  # "--boundaryX": a longer line, not this delimiter
        if start is not None:
            end = i
            if end > start and body[end - 1:end] == b"\n":
                end -= 1
                if end > start and body[end - 1:end] == b"\r":
                    end -= 1
            parts.append(body[start:end])
        if closing:
            return parts
        start = line_end
        pos = line_end
    if start is not None:
        parts.append(body[start:])
    return parts


def line_count(data: bytes) -> int:
    """Text lines of a body (RFC 9051 7.5.2 body-fld-lines): an unterminated last line counts."""
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
