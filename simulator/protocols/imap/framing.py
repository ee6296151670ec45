"""Where a byte stream of IMAP commands may be cut for the server machine.

A bridge that reads a socket (``mailsim serve``) hands the machine whole
commands: a line, or several lines joined by literals (RFC 9051 4.3). A
non-synchronising literal ``{n+}`` (RFC 7888) comes with its command, so the
command is held until its last line; after a synchronising literal ``{n}``
the client waits for the server's ``+`` (RFC 9051 4.3, 7.6), so the cut is made
there and the literal's octets, with the rest of the command, are the next
unit. A bare LF ends a line too, as the machine reads it.
"""

from __future__ import annotations

import re

_LITERAL_AT_END = re.compile(rb"\{([0-9]{1,20})(\+?)\}\r?\n\Z")


class ImapFramer:
    def __init__(self, *, data_chunk: int = 1024 * 1024) -> None:
        self.data_chunk = data_chunk  # kept for the Framer interface: IMAP holds commands whole
        self._skip = 0  # literal octets at the front of what is held, announced by a line already cut

    def cut(self, held: bytes | bytearray, state: str) -> int:
        """How many of ``held`` the machine gets now: whole commands, or up to a ``{n}`` continuation point."""
        at = self._skip
        while True:
            if len(held) < at:
                return 0
            end = held.find(b"\n", at)
            if end < 0:
                return 0
            m = _LITERAL_AT_END.search(bytes(held[max(at, end - 24):end + 1]))
            if m is None:
                self._skip = 0
                return end + 1
            size = int(m.group(1))
            if not m.group(2):  # synchronising: the client waits for "+" before the octets
                self._skip = size
                return end + 1
            at = end + 1 + size

    def in_message(self, state: str) -> bool:
        """IMAP has no state that reads message text line by line (APPEND's message is a literal)."""
        return False

    def taken(self, n: int) -> None:
        self._skip = max(0, self._skip - n)
