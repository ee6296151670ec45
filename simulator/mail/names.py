"""Mailbox names: INBOX, the hierarchy delimiter, superiors and inferiors (RFC 9051 5.1, 6.3.4).

Names are Unicode strings (IMAP4rev2 sends them as UTF-8, RFC 9051 5.1; the
modified UTF-7 of RFC 3501 5.1.3 is the IMAP server's business). ``INBOX`` is
case-insensitive, also as the first level of a hierarchy (``inbox/x`` is
``INBOX/x``); every other name is case-sensitive.
"""

from __future__ import annotations

from simulator.mail.errors import MailboxError

INBOX = "INBOX"
DELIMITER = "/"  # the hierarchy delimiter LIST reports (RFC 9051 6.3.9)

# RFC 9051 5.1: "%" and "*" are LIST wildcards, so a name holding one could never be listed alone.
_FORBIDDEN = frozenset("%*")


def canonical(name: str) -> str:
    """``name`` with its INBOX level spelled ``INBOX`` (RFC 9051 5.1: INBOX is case-insensitive)."""
    head, sep, rest = name.partition(DELIMITER)
    if head.upper() == INBOX:
        return INBOX + sep + rest
    return name


def checked(name: str) -> str:
    """The canonical form of a name a client wants to create, or MailboxError saying what is wrong.

    A trailing delimiter only declares that inferiors will follow (RFC 9051
    6.3.4), so it is dropped.
    """
    if name.endswith(DELIMITER) and len(name) > 1:
        name = name[:-1]
    if not name:
        raise MailboxError("A mailbox name cannot be empty.")
    if name.startswith(DELIMITER):
        raise MailboxError(f"The mailbox name {name!r} starts with the hierarchy delimiter {DELIMITER!r}.")
    if "" in name.split(DELIMITER):
        raise MailboxError(f"The mailbox name {name!r} has an empty level between two {DELIMITER!r}.")
    bad = sorted(_FORBIDDEN.intersection(name))
    if bad:
        raise MailboxError(f"The mailbox name {name!r} contains {bad[0]!r}, a LIST wildcard (RFC 9051 5.1).")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise MailboxError(f"The mailbox name {name!r} contains a control character.")
    return canonical(name)


def superiors(name: str) -> list[str]:
    """The names above ``name``, outermost first: ``a/b/c`` -> ``["a", "a/b"]``."""
    parts = name.split(DELIMITER)
    return [DELIMITER.join(parts[:n]) for n in range(1, len(parts))]


def is_inferior(name: str, of: str) -> bool:
    """Whether ``name`` lies somewhere below ``of`` in the hierarchy."""
    return name.startswith(of + DELIMITER)


def parent(name: str) -> str:
    """The name one level up ("" at the top)."""
    return name.rpartition(DELIMITER)[0]
