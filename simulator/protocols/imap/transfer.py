"""Undoing a Content-Transfer-Encoding (RFC 2045 6): for BINARY[] and for SEARCH BODY/TEXT."""

from __future__ import annotations

import binascii
import re

from simulator.protocols.imap.errors import UnknownCte

IDENTITY = frozenset({"7BIT", "8BIT", "BINARY"})
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


def decode(body: bytes, encoding: str) -> bytes:
    """The decoded octets; UnknownCte for an encoding RFC 2045 does not define."""
    encoding = encoding.upper()
    if encoding in IDENTITY:
        return body
    if encoding == "BASE64":
        clean = _NOT_BASE64.sub(b"", body)
        clean = clean[: len(clean) - len(clean) % 4] if len(clean) % 4 == 1 else clean
        return binascii.a2b_base64(clean + b"=" * (-len(clean) % 4))
    if encoding == "QUOTED-PRINTABLE":
        return binascii.a2b_qp(body)
    raise UnknownCte(f"cannot decode Content-Transfer-Encoding {encoding}")
