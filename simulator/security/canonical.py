"""DKIM canonicalization (RFC 6376 section 3.4): "simple" and "relaxed", for header fields and body.

A message is the bytes SMTP carried (after dot-unstuffing): lines end in CRLF, and a
lone CR or LF is an ordinary byte inside a line. Nothing here normalises line endings,
so a verifier sees exactly the bytes that arrived.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

CRLF = b"\r\n"
WSP = b" \t"
SIMPLE = "simple"
RELAXED = "relaxed"
ALGORITHMS = (SIMPLE, RELAXED)

_WSP_RUN = re.compile(rb"[ \t]+")


@dataclass(frozen=True, slots=True)
class HeaderField:
    """One header field as it stands in the message: folding and the final CRLF included."""

    name: str  # as written (RFC 5322 2.2); compared without regard to case
    raw: bytes

    @property
    def key(self) -> str:
        return self.name.lower()


def split_message(message: bytes) -> tuple[list[HeaderField], bytes]:
    """The header fields in order and the body (RFC 5322 2.1: the first empty line ends the header).

    A line starting with WSP continues the field above it (folding, RFC 5322 2.2.3). A
    message with no empty line is all header and has no body; a last header line without
    its CRLF gets one, so that every field ends alike.
    """
    fields: list[list[bytes]] = []
    pos = 0
    body = b""
    while pos < len(message):
        end = message.find(CRLF, pos)
        line = message[pos:] + CRLF if end < 0 else message[pos:end + 2]
        pos = len(message) if end < 0 else end + 2
        if line == CRLF:
            body = message[pos:]
            break
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    return [_field(b"".join(lines)) for lines in fields], body


def _field(raw: bytes) -> HeaderField:
    name, colon, _ = raw.partition(b":")
    if not colon:
        name = raw[:-2]
    return HeaderField(name.rstrip(WSP).decode("ascii", "replace"), raw)


def simple_header(field: HeaderField) -> bytes:
    """RFC 6376 3.4.1: the field exactly as it is, folding and case untouched."""
    return field.raw


def relaxed_header(field: HeaderField) -> bytes:
    """RFC 6376 3.4.2: lowercase the name, unfold, squeeze WSP to one SP, no WSP at the ends or the colon."""
    name, _, value = field.raw.partition(b":")
    value = value[:-2] if value.endswith(CRLF) else value
    value = _WSP_RUN.sub(b" ", value.replace(CRLF, b"")).strip(WSP)
    return name.rstrip(WSP).lower() + b":" + value + CRLF


def simple_body(body: bytes) -> bytes:
    """RFC 6376 3.4.3: drop empty lines at the end; a body that is empty or lacks its last CRLF gets one."""
    if not body.endswith(CRLF):
        body += CRLF
    end = len(body)
    while end >= 4 and body[end - 4:end] == CRLF + CRLF:
        end -= 2
    return body[:end]


def relaxed_body(body: bytes) -> bytes:
    """RFC 6376 3.4.4: no WSP at line ends, WSP runs become one SP, no empty lines at the end.

    An empty body stays empty (erratum 1384 to RFC 6376: not a lone CRLF, unlike "simple").
    """
    lines = body.split(CRLF)
    if body.endswith(CRLF) or not body:
        lines.pop()  # the split's empty tail after the last CRLF, not a line
    out = [_WSP_RUN.sub(b" ", line).rstrip(WSP) for line in lines]
    while out and not out[-1]:
        out.pop()
    return b"".join(line + CRLF for line in out)


HEADER: dict[str, Callable[[HeaderField], bytes]] = {SIMPLE: simple_header, RELAXED: relaxed_header}
BODY: dict[str, Callable[[bytes], bytes]] = {SIMPLE: simple_body, RELAXED: relaxed_body}


def parse_c(value: str) -> tuple[str, str]:
    """The c= tag (RFC 6376 3.5): "header/body"; a lone "header" means body "simple"; absent: simple/simple.

    Raises ValueError naming the unknown algorithm.
    """
    head, _, body = value.strip().partition("/")
    head, body = head.strip() or SIMPLE, body.strip() or SIMPLE
    for algorithm in (head, body):
        if algorithm not in ALGORITHMS:
            raise ValueError(f"unknown canonicalization {algorithm!r} (RFC 6376 3.4 knows simple and relaxed)")
    return head, body


def select_fields(fields: Sequence[HeaderField], names: Sequence[str]) -> list[HeaderField | None]:
    """The field each h= entry signs (RFC 6376 5.4.2): repeated names take instances from the bottom up.

    A name listed more often than it occurs signs nothing (None) the extra times: that is
    how over-signing (8.15) stops a field from being added later.
    """
    taken: dict[str, int] = {}
    chosen: list[HeaderField | None] = []
    for name in names:
        key = name.lower()
        instances = [f for f in fields if f.key == key]
        n = taken.get(key, 0)
        chosen.append(instances[-1 - n] if n < len(instances) else None)
        taken[key] = n + 1
    return chosen
