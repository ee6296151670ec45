"""Where a byte stream of SMTP commands may be cut for the server machine.

A bridge that reads a socket (``mailsim serve``) hands the machine whole
lines, and a message body (RFC 5321 4.1.1.4) as a whole up to its final
CRLF.CRLF, so that a message shows as one burst in the trace. The framer
remembers how far it searched, so a large body arriving in small reads
stays linear (after h11 ``_receivebuffer.py``).
"""

from __future__ import annotations

from simulator.protocols.smtp.states import IN_DATA


class SmtpFramer:
    def __init__(self, *, data_chunk: int = 1024 * 1024) -> None:
        self.data_chunk = data_chunk  # message text held back at most
        self._scanned = 0  # of the held bytes, known to hold no end of message

    def cut(self, held: bytes | bytearray, state: str) -> int:
        """How many of ``held`` the machine gets now: whole lines, and a message as a whole.

        A partial line is held (0): what to do with one that grows too long
        is the bridge's business (it hands over its start and drops the rest).
        """
        # Out of DATA a bare LF ends a command line too: the machine answers it with the
        # CRLF rule (RFC 5321 2.3.8) instead of waiting, so nc without -C gets a reply.
        in_data = state == IN_DATA
        last = held.rfind(b"\r\n" if in_data else b"\n")
        if last < 0:
            self._scanned = 0
            return 0
        end = last + (2 if in_data else 1)
        if not in_data or len(held) >= self.data_chunk or held.startswith(b".\r\n"):
            self._scanned = 0
            return end
        found = held.find(b"\r\n.\r\n", max(self._scanned - 4, 0))
        if found >= 0:
            self._scanned = 0
            return end
        self._scanned = len(held)
        return 0

    def in_message(self, state: str) -> bool:
        """``state`` takes message text (RFC 5321 4.1.1.4), where only CRLF ends a line."""
        return state == IN_DATA

    def taken(self, n: int) -> None:
        """The bridge took ``n`` held bytes from the front on its own: the search starts afresh."""
        self._scanned = 0
