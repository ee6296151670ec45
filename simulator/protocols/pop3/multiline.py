"""A message as POP3 carries it: CRLF lines, byte-stuffed, ended by a lone dot (RFC 1939 3).

The server sends a message's lines with every line that starts with "."
given one more in front; the client takes that dot off again, and a line
holding only "." ends the response. :func:`message_lines` is what the
server counts and sends (RFC 1939 11: sizes are counted with CRLF line
ends, before stuffing), :func:`stuff` and :func:`unstuff` are the two
directions, and :func:`top_lines` is TOP's cut (RFC 1939 7).
"""

from __future__ import annotations

from collections.abc import Iterable


def message_lines(data: bytes) -> list[bytes]:
    """The lines of a stored message, without line ends; a bare LF counts as a line end too.

    Stored messages have CRLF line ends; one written with bare LFs (by hand)
    is sent with CRLFs, as RFC 1939 11 says a server converts local line ends.
    """
    if not data:
        return []
    text = data.replace(b"\r\n", b"\n")
    lines = text.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def wire_size(lines: Iterable[bytes]) -> int:
    """The octets of ``lines`` with CRLF line ends: the size STAT and LIST report (RFC 1939 5, 11)."""
    return sum(len(ln) + 2 for ln in lines)


def join_lines(lines: Iterable[bytes]) -> bytes:
    """The message text again, with CRLF line ends."""
    return b"".join(ln + b"\r\n" for ln in lines)


def stuff(lines: Iterable[bytes]) -> list[bytes]:
    """Byte-stuff the lines of a multi-line response (RFC 1939 3)."""
    return [b"." + ln if ln.startswith(b".") else ln for ln in lines]


def unstuff(line: bytes) -> bytes:
    """One received body line with its stuffing taken off (the terminating "." is the caller's)."""
    return line[1:] if line.startswith(b".") else line


def top_lines(lines: list[bytes], body_lines: int) -> list[bytes]:
    """The headers, the blank line, and the first ``body_lines`` lines of the body (RFC 1939 7, TOP)."""
    try:
        blank = lines.index(b"")
    except ValueError:
        return list(lines)  # headers only: all of it
    return lines[: blank + 1 + body_lines]
