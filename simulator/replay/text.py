"""Bytes to display lines, and the small text helpers every face shares.

Nothing here parses a protocol: bytes are split on CRLF (the line ending of
every mail protocol on the wire), a bare CR or LF is shown as an escape, and
bytes nobody could read are shown as a hex dump.
"""

from __future__ import annotations

import re
from dataclasses import fields

from simulator.trace import Event

MAX_LABEL = 60  # characters of a line kept in an arrow label


def split_lines(data: bytes) -> list[str]:
    """Split on CRLF only, showing a bare CR or LF as an escape (``\\r``, ``\\n``)."""
    text = data.decode("utf-8", "replace")
    parts = text.split("\r\n")
    if parts and parts[-1] == "":
        parts.pop()
    return [p.replace("\r", "\\r").replace("\n", "\\n") for p in parts]


def is_readable(data: bytes) -> bool:
    """Whether bytes are printable text an eavesdropper could simply read."""
    if not data:
        return True
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def hex_lines(data: bytes, *, limit: int = 64, width: int = 16) -> list[str]:
    """A short hex dump: offset, hex bytes, and printable ASCII."""
    out = []
    for off in range(0, min(len(data), limit), width):
        chunk = data[off : off + width]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        out.append(f"{off:04x}  {hexes:<{width * 3 - 1}}  {text}")
    if len(data) > limit:
        out.append(f"… {len(data) - limit} more bytes")
    return out


def md_escape(text: str) -> str:
    """Escape what Markdown would eat in a plain title (``<addr>`` is not an HTML tag here)."""
    return re.sub(r"([\\`*_<>\[\]#|])", r"\\\1", text)


def clip(text: str, n: int = MAX_LABEL) -> str:
    """``text`` cut to ``n`` characters, with an ellipsis when cut."""
    return text if len(text) <= n else text[: n - 1] + "…"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def seconds(value: float) -> str:
    """A duration or a virtual time as the faces write it: ``3 s``, ``0.5 s``."""
    return f"{value:g} s"


def describe_event(event: Event) -> str:
    """One line naming an event and its fields, for the expanded raw-event view."""
    shown = []
    for f in fields(event):
        if f.name in ("seq", "t"):
            continue
        value = getattr(event, f.name)
        if isinstance(value, bytes):
            value = f"{len(value)} bytes " + repr(value[:40]) + ("…" if len(value) > 40 else "")
        elif isinstance(value, tuple):
            value = "[" + ", ".join(map(str, value)) + "]"
        elif isinstance(value, str) and len(value) > 80:
            value = value[:79] + "…"
        shown.append(f"{f.name}={value}")
    return f"#{event.seq} {event.t:.1f}s {event.kind}  " + "  ".join(shown)
