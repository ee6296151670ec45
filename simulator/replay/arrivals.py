"""Messages arriving in a folder, however they got there: what the Message tab shows.

A message reaches a folder by delivery (the MDA, after SMTP), by a client's
IMAP APPEND (RFC 9051 6.3.12: a Sent copy, a draft), or by COPY / MOVE from
another folder (RFC 9051 6.4.7, RFC 6851). The store records only delivery and
APPEND with the message's bytes; a copy or a move names its source, so the
bytes are found by following the message back to where it first arrived.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from simulator.trace import MailboxChanged

ARRIVING = frozenset({"delivered", "appended", "copied", "moved"})

_HOW = {
    "delivered": "Delivered to",
    "appended": "Appended by a client (IMAP APPEND) to",
    "copied": "Copied",
    "moved": "Moved",
}


@dataclass(frozen=True, slots=True)
class Arrival:
    """One message arriving in ``user``'s ``folder`` as UID ``uid``."""

    seq: int  # the trace event that recorded it
    how: str  # "delivered", "appended", "copied", "moved"
    host: str
    user: str
    folder: str
    uid: int
    raw: bytes
    source: str = ""  # the folder a copy or a move came from
    source_uid: int = 0

    def heading(self, size: int) -> str:
        """``Delivered to bob@example.net/INBOX on mx.example.net (UID 2, 669 bytes)``, or how else it came."""
        where = f"{self.user}/{self.folder} on {self.host} (UID {self.uid}, {size} bytes)"
        if self.how in ("copied", "moved"):
            return f"{_HOW[self.how]} from {self.source} (UID {self.source_uid}) to {where}"
        return f"{_HOW[self.how]} {where}"


def arrivals(pairs: Iterable[tuple[int, MailboxChanged]]) -> list[tuple[int, Arrival]]:
    """Each arrival with its step, oldest first, from a trace's (step, MailboxChanged) pairs."""
    held: dict[tuple[str, str, str, int], bytes] = {}
    out: list[tuple[int, Arrival]] = []
    for step, e in pairs:
        if e.action in ("delivered", "appended"):
            held[(e.host, e.user, e.folder, e.uid)] = e.raw
            out.append((step, Arrival(e.seq, e.action, e.host, e.user, e.folder, e.uid, e.raw)))
        elif e.action in ("copied", "moved"):
            raw = held.get((e.host, e.user, e.folder, e.uid), b"")
            held[(e.host, e.user, e.dest, e.dest_uid)] = raw
            out.append((step, Arrival(e.seq, e.action, e.host, e.user, e.dest, e.dest_uid, raw, e.folder, e.uid)))
        elif e.action == "renamed":  # the messages keep their UIDs under the new name
            for key in [k for k in held if k[:3] == (e.host, e.user, e.folder)]:
                held[(e.host, e.user, e.dest, key[3])] = held[key]
    return out
