"""Where a byte stream of POP3 commands may be cut for the server machine.

Every POP3 unit a client sends is a line (RFC 1939 3): commands, and the
answers inside an AUTH exchange (RFC 5034 4). There is no message text going
to the server, so a bridge (``mailsim serve``) hands over whole lines; a bare
LF ends one too, so the machine can answer it with the CRLF rule instead of
waiting.
"""

from __future__ import annotations


class Pop3Framer:
    def __init__(self, *, data_chunk: int = 1024 * 1024) -> None:
        self.data_chunk = data_chunk  # unused by POP3 (no message text goes to the server); kept for the spec

    def cut(self, held: bytes | bytearray, state: str) -> int:
        """How many of ``held`` the machine gets now: every whole line (0: none yet)."""
        return held.rfind(b"\n") + 1

    def in_message(self, state: str) -> bool:
        """POP3 clients send no message text: never."""
        return False

    def taken(self, n: int) -> None:
        """Nothing to forget: every cut searches afresh."""
