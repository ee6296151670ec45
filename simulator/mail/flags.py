"""Message flags: the system flags and keywords (RFC 9051 2.3.2).

IMAP4rev2 has no ``\\Recent`` (RFC 9051 appendix E), so neither does the store.
Flags are case-insensitive: system flags are kept in their RFC spelling, a
keyword in the spelling it was first given.
"""

from __future__ import annotations

from collections.abc import Iterable

from simulator.mail.errors import MailboxError

SEEN = "\\Seen"
ANSWERED = "\\Answered"
FLAGGED = "\\Flagged"
DELETED = "\\Deleted"
DRAFT = "\\Draft"
SYSTEM_FLAGS = (SEEN, ANSWERED, FLAGGED, DELETED, DRAFT)
_SYSTEM = {f.lower(): f for f in SYSTEM_FLAGS}

# RFC 9051 9: atom-specials plus "]" (a flag is a flag-keyword = atom, resp-specials excluded).
_NOT_IN_KEYWORD = frozenset('(){ %*"\\]')

MODES = ("set", "add", "remove")  # STORE FLAGS, +FLAGS, -FLAGS (RFC 9051 6.4.6)


def flag(name: str) -> str:
    """The stored spelling of one flag, or MailboxError for one a client may not set."""
    system = _SYSTEM.get(name.lower())
    if system is not None:
        return system
    if name.startswith("\\"):
        raise MailboxError(f"{name} is not a flag a message can carry: the system flags are "
                           f"{', '.join(SYSTEM_FLAGS)} (RFC 9051 2.3.2).")
    if not name:
        raise MailboxError("A keyword cannot be empty.")
    bad = sorted(c for c in set(name) if c in _NOT_IN_KEYWORD or ord(c) <= 0x20 or ord(c) >= 0x7F)
    if bad:
        raise MailboxError(f"The keyword {name!r} contains {bad[0]!r}: a keyword is an IMAP atom (RFC 9051 9).")
    return name


def check_mode(mode: str) -> str:
    """``mode`` if it is one of :data:`MODES`, else MailboxError."""
    if mode not in MODES:
        raise MailboxError(f"{mode!r} is no way to store flags: use one of {', '.join(MODES)}.")
    return mode


def apply(current: set[str], given: Iterable[str], mode: str) -> set[str]:
    """The flags after a STORE of ``given`` in ``mode`` ("set", "add" or "remove")."""
    check_mode(mode)
    wanted = [flag(f) for f in given]
    if mode == "set":
        out: dict[str, str] = {}
    else:
        out = {f.lower(): f for f in current}
    for f in wanted:
        if mode == "remove":
            out.pop(f.lower(), None)
        else:
            out.setdefault(f.lower(), f)
    return set(out.values())
