"""Mailbox store (UIDs, flags, events) and the outbound queue (backoff, lifetime)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simulator.mail.message import build_message, parse_message
from simulator.mail.queue import MAX_BACKOFF, MAX_LIFETIME, MIN_BACKOFF, OutboundQueue
from simulator.mail.store import MailStore, UnknownMailbox
from simulator.trace import MailboxChanged, QueueChanged

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def message(subject: str = "Hi") -> bytes:
    return build_message(sender="alice@example.org", to=["bob@example.net"], subject=subject,
                         body="Hello\n", date=WHEN, message_id="<1@example.org>")


def test_build_message_is_crlf_and_parses_back() -> None:
    raw = message("Grüße")
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    msg = parse_message(raw)
    assert msg["Subject"] == "Grüße" and msg["To"] == "bob@example.net"
    assert msg.get_content().strip() == "Hello"


def test_uids_grow_and_are_not_reused() -> None:
    events: list[MailboxChanged] = []
    store = MailStore("mx", on_change=events.append)
    store.add_user("Bob@Example.net")
    a = store.deliver("bob@example.net", message("one"), 1.0)
    b = store.deliver("bob@example.net", message("two"), 2.0)
    assert (a.uid, b.uid) == (1, 2)
    store.expunge("bob@example.net", "INBOX", 2)
    c = store.deliver("bob@example.net", message("three"), 3.0)
    assert c.uid == 3  # RFC 3501 2.3.1.1: UIDs strictly ascending, never reused
    assert [e.action for e in events] == ["created"] * 5 + ["delivered", "delivered", "expunged", "delivered"]
    assert events[5].subject == "one" and events[5].raw == a.data and events[5].message_id == "<1@example.org>"


def test_flags_and_unknown_mailboxes() -> None:
    store = MailStore("mx")
    store.add_user("bob@example.net")
    msg = store.deliver("bob@example.net", message(), 0.0)
    assert msg.flags == set()  # IMAP4rev2 has no \\Recent (RFC 9051 appendix E)
    store.set_flags("bob@example.net", "INBOX", msg.uid, {"\\Seen"})
    assert store.folder("bob@example.net").messages[0].flags == {"\\Seen"}
    with pytest.raises(UnknownMailbox):
        store.count("carol@example.net")
    with pytest.raises(UnknownMailbox):
        store.set_flags("bob@example.net", "INBOX", 99, set())


def test_backoff_doubles_up_to_the_cap() -> None:
    waits = [OutboundQueue.backoff(n) for n in range(1, 8)]
    assert waits[0] == MIN_BACKOFF and waits[1] == 2 * MIN_BACKOFF
    assert max(waits) == MAX_BACKOFF and waits == sorted(waits)


def test_queue_defer_then_expire() -> None:
    events: list[QueueChanged] = []
    queue = OutboundQueue("mail", on_change=events.append)
    entry = queue.add("Q1", "alice@example.org", ["bob@example.net", "carol@example.net"], b"x", now=0.0)
    assert queue.due(0.0) == [entry]
    entry.attempts += 1
    assert queue.defer(entry, ["bob@example.net"], "451 busy", now=0.0)
    assert queue.due(MIN_BACKOFF - 1) == [] and queue.due(MIN_BACKOFF) == [entry]
    queue.sent(entry, ["carol@example.net"], "ok")
    assert len(queue) == 1 and entry.recipients == ["bob@example.net"]
    assert not queue.defer(entry, ["bob@example.net"], "451 busy", now=MAX_LIFETIME)
    queue.failed(entry, ["bob@example.net"], "expired")
    assert len(queue) == 0
    assert [e.action for e in events] == ["queued", "deferred", "sent", "failed"]
