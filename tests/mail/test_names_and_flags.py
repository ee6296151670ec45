"""Mailbox names (RFC 9051 5.1, 6.3.4) and message flags (RFC 9051 2.3.2), apart from the store."""

from __future__ import annotations

import pytest

from simulator.mail import flags, names
from simulator.mail.errors import MailboxError


@pytest.mark.parametrize(("given", "stored"), [
    ("inbox", "INBOX"), ("Inbox/Lists", "INBOX/Lists"), ("Inboxes", "Inboxes"), ("Sent", "Sent"),
    ("a/b/", "a/b"), ("Übersicht", "Übersicht"),
])
def test_names_are_canonical(given: str, stored: str) -> None:
    assert names.checked(given) == stored


def test_hierarchy() -> None:
    assert names.superiors("a/b/c") == ["a", "a/b"] and names.superiors("a") == []
    assert names.is_inferior("a/b", "a") and not names.is_inferior("ab", "a") and not names.is_inferior("a", "a")
    assert names.parent("a/b/c") == "a/b" and names.parent("a") == ""


def test_system_flags_take_their_rfc_spelling_and_keywords_their_first() -> None:
    assert flags.flag("\\SEEN") == "\\Seen" and flags.flag("$Forwarded") == "$Forwarded"
    assert flags.apply({"Later"}, ["later", "\\deleted"], "add") == {"Later", "\\Deleted"}
    assert flags.apply({"Later", "\\Seen"}, ["LATER"], "remove") == {"\\Seen"}
    assert flags.apply({"Later", "\\Seen"}, ["\\flagged"], "set") == {"\\Flagged"}
    assert flags.apply(set(), [], "set") == set()


def test_recent_is_gone() -> None:
    """RFC 9051 appendix E: IMAP4rev2 removed \\Recent."""
    with pytest.raises(MailboxError, match=r"\\Recent is not a flag a message can carry"):
        flags.flag("\\Recent")


def test_a_mode_that_is_no_mode() -> None:
    with pytest.raises(MailboxError, match="'replace' is no way to store flags: use one of set, add, remove."):
        flags.apply(set(), ["\\Seen"], "replace")
