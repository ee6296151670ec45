"""A receive buffer that splits CRLF-terminated lines under a length limit.

Only CRLF ends a line (RFC 5321 section 2.3.8): a bare CR or LF is data. The
buffer remembers where it last searched so that feeding a long stream one
byte at a time stays linear (after h11 ``_receivebuffer.py``). A line longer
than the limit is not returned: the buffer discards up to the next CRLF and
reports :data:`TOO_LONG` once in its place. :meth:`consume_exactly` takes
n octets whatever they hold (IMAP literals), and :meth:`begin` /
:meth:`commit` / :meth:`rollback` make a run of reads all-or-nothing
(after wsproto's ``Buffer``). While it discards, :meth:`feed`
keeps nothing but the CRLF that ends the line (and a trailing CR that may
begin it), so an overlong line costs no memory however long it grows.
"""

from __future__ import annotations

from typing import Final

CRLF: Final = b"\r\n"


class _TooLong:
    def __repr__(self) -> str:
        return "TOO_LONG"


TOO_LONG: Final = _TooLong()


class LineBuffer:
    def __init__(self) -> None:
        self._data = bytearray()
        self._searched = 0  # bytes already known to hold no CRLF (minus one)
        self._discarding = False
        self._discard_lf = False  # the line being discarded ends at any LF (bare_lf_ends)
        self._journal: bytearray | None = None  # bytes taken since begin(), for rollback()

    def __len__(self) -> int:
        return len(self._data)

    def feed(self, data: bytes) -> None:
        if self._discarding and self._discard_lf:
            if self._data.find(b"\n") < 0:  # drop the overlong line up to its LF as it arrives
                idx = data.find(b"\n")
                self._data.clear()
                self._searched = 0
                if idx < 0:
                    return
                data = data[idx:]
        elif self._discarding and self._data.find(CRLF) < 0 and not (
                self._data.endswith(b"\r") and data.startswith(b"\n")):
            # Still inside an overlong line: drop what belongs to it as it arrives.
            idx = data.find(CRLF)
            self._data.clear()
            self._searched = 0
            if idx < 0:
                if data.endswith(b"\r"):
                    self._data += b"\r"  # it may pair with an LF that has not come yet
                return
            data = data[idx:]
        self._data += data

    def next_line(self, limit: int, *, bare_lf_ends: bool = False) -> bytes | _TooLong | None:
        """The next line with its CRLF, TOO_LONG for a discarded one, None if incomplete.

        ``limit`` counts the CRLF, as RFC 5321 section 4.5.3.1 does. With
        ``bare_lf_ends`` a bare LF also ends a line (returned ending in ``b"\n"``
        alone), so a caller can answer a client that ends its lines wrongly
        instead of waiting for a CRLF that never comes.
        """
        while True:
            if bare_lf_ends:
                idx = self._data.find(b"\n", self._searched)
                end = idx + 1
            else:
                idx = self._data.find(CRLF, max(self._searched - 1, 0))
                end = idx + 2
            if idx < 0:
                self._searched = len(self._data)
                if self._journal is not None:
                    # In a transaction nothing is dropped: an overlong line is reported and
                    # left in place; the caller rolls back and reads it outside (discarding).
                    return TOO_LONG if len(self._data) > limit else None
                if self._discarding or len(self._data) > limit:
                    # Keep a trailing CR: it may pair with an LF that has not come yet.
                    keep = 1 if self._data.endswith(b"\r") else 0
                    del self._data[: len(self._data) - keep]
                    self._searched = keep
                    self._discarding = True
                    self._discard_lf = bare_lf_ends
                return None
            line = bytes(self._data[:end])
            if self._journal is not None and len(line) > limit:
                return TOO_LONG  # left in place, as above
            del self._data[:end]
            self._searched = 0
            if self._journal is not None:
                self._journal += line
            if self._discarding:
                self._discarding = False
                return TOO_LONG
            if len(line) > limit:
                return TOO_LONG
            return line

    @property
    def discarding(self) -> bool:
        """In the middle of an overlong line (its start already dropped)."""
        return self._discarding

    def peek(self) -> bytes:
        return bytes(self._data)

    def head(self, n: int) -> bytes:
        """The first ``n`` buffered bytes, without taking them (an IMAP tag before a line proves too long)."""
        return bytes(self._data[:n])

    def consume(self, n: int) -> None:
        """Drop the first ``n`` bytes, which must end at a line boundary."""
        if self._journal is not None:
            self._journal += self._data[:n]
        del self._data[:n]
        self._searched = 0

    def consume_exactly(self, n: int) -> bytes | None:
        """The next ``n`` octets exactly (an IMAP literal, RFC 9051 4.3), or None if fewer are here.

        Nothing is taken when fewer than ``n`` have arrived, so a caller can try
        again after the next :meth:`feed` (after wsproto ``Buffer.consume_exactly``).
        """
        if n < 0:
            raise ValueError("cannot consume a negative number of octets")
        if self._discarding:
            raise RuntimeError("consume_exactly() in the middle of an overlong line")
        if len(self._data) < n:
            return None
        out = bytes(self._data[:n])
        del self._data[:n]
        self._searched = 0
        if self._journal is not None:
            self._journal += out
        return out

    # --- transactions: an IMAP command with literals is taken whole or not at all ---

    def begin(self) -> None:
        """Start a transaction: what is taken from now on comes back with :meth:`rollback`."""
        if self._journal is not None:
            raise RuntimeError("a transaction is already open")
        if self._discarding:
            raise RuntimeError("cannot begin a transaction in the middle of an overlong line")
        self._journal = bytearray()

    def commit(self) -> None:
        """Keep what was taken since :meth:`begin`."""
        if self._journal is None:
            raise RuntimeError("no transaction to commit")
        self._journal = None

    def rollback(self) -> None:
        """Put back, in front, everything taken since :meth:`begin`."""
        if self._journal is None:
            raise RuntimeError("no transaction to roll back")
        self._data[:0] = self._journal
        self._journal = None
        self._searched = 0

    @property
    def in_transaction(self) -> bool:
        return self._journal is not None

    def take_all(self) -> bytes:
        data = bytes(self._data)
        if self._journal is not None:
            self._journal += data
        self._data.clear()
        self._searched = 0
        self._discarding = False
        return data
