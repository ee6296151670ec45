"""IMAP data values as response bytes: numbers, NIL, quoted strings, literals, lists (RFC 9051 4).

A string goes quoted when every octet is printable US-ASCII and it is short;
anything else (8-bit, CR, LF, other controls, long) goes as a literal
``{n}\\r\\n`` followed by its octets (RFC 9051 4.3). ``literal8`` is the
``~{n}`` form BINARY[] needs for data with NUL (RFC 9051 4.3.1, 7.5.2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NIL = b"NIL"
QUOTED_LIMIT = 200  # longer strings go as literals, so no response line grows without bound
_QUOTABLE = re.compile(rb"[\x20-\x7e]*\Z")


def string(value: bytes | str) -> bytes:
    """A ``string``: quoted if it can be, else a literal."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    if len(data) <= QUOTED_LIMIT and _QUOTABLE.match(data):
        return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return literal(data)


def nstring(value: bytes | str | None) -> bytes:
    """``nstring``: NIL for None, otherwise :func:`string`."""
    return NIL if value is None else string(value)


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


def literal8(data: bytes) -> bytes:
    return b"~{%d}\r\n" % len(data) + data


def number(value: int) -> bytes:
    return b"%d" % value


def plist(items: Iterable[bytes], sep: bytes = b" ") -> bytes:
    """A parenthesised list of already rendered values."""
    return b"(" + sep.join(items) + b")"
