"""The mailbox store, method by method: folders, UIDs, flags, copy/move, expunge, watchers, the POP3 lock."""

from __future__ import annotations

import pytest

from simulator.mail.errors import MailboxError, MailboxExists, UnknownMailbox
from simulator.mail.store import DEFAULT_FOLDERS, INBOX, FolderChange, MailStore
from simulator.trace import MailboxChanged

BOB = "bob@example.net"


def raw(subject: str = "Hi") -> bytes:
    return f"Subject: {subject}\r\nMessage-ID: <{subject}@example.org>\r\n\r\nbody\r\n".encode()


@pytest.fixture
def events() -> list[MailboxChanged]:
    return []


@pytest.fixture
def store(events: list[MailboxChanged]) -> MailStore:
    s = MailStore("mx.example.net", on_change=events.append)
    s.add_user(BOB)
    events.clear()
    return s


def changes(store: MailStore, folder: str = INBOX, user: str = BOB) -> list[FolderChange]:
    seen: list[FolderChange] = []
    store.watch(user, folder, seen.append)
    return seen


# --- users and folders ---------------------------------------------------------------------


def test_every_user_gets_inbox_and_the_special_use_folders() -> None:
    events: list[MailboxChanged] = []
    s = MailStore("mx", on_change=events.append)
    s.add_user("Bob@Example.NET")
    s.add_user("bob@example.net")  # again: nothing new
    assert s.users() == [BOB] and s.has_user("BOB@example.net")
    assert [(f.name, f.special_use) for f in s.folders(BOB).values()] == list(DEFAULT_FOLDERS)
    # RFC 6154 2: \Sent \Drafts \Junk \Trash
    assert {f.special_use for f in s.folders(BOB).values()} == {"", "\\Sent", "\\Drafts", "\\Junk", "\\Trash"}
    assert [(e.action, e.folder, e.special_use) for e in events][1] == ("created", "Sent", "\\Sent")
    assert len(events) == 5


def test_uid_validity_differs_per_folder_and_after_recreation(store: MailStore) -> None:
    validities = [f.uid_validity for f in store.folders(BOB).values()]
    assert len(set(validities)) == len(validities) and all(v > 0 for v in validities)
    old = store.create_folder(BOB, "Projects")
    store.append(BOB, "Projects", raw(), now=1.0)
    store.delete_folder(BOB, "Projects")
    new = store.create_folder(BOB, "Projects")
    # RFC 9051 2.3.1.1: a mailbox made again under the old name gets a greater UIDVALIDITY
    assert new.uid_validity > old.uid_validity and new.uid_next == 1 and new.messages == []


def test_inbox_is_case_insensitive_other_names_are_not(store: MailStore) -> None:
    assert store.folder(BOB, "inbox") is store.folder(BOB, "InBoX") is store.folder(BOB, INBOX)
    store.create_folder(BOB, "inbox/Lists")
    assert "INBOX/Lists" in store.folders(BOB)
    store.create_folder(BOB, "work")
    store.create_folder(BOB, "Work")  # another mailbox: only INBOX ignores case (RFC 9051 5.1)
    assert store.folder(BOB, "work") is not store.folder(BOB, "Work")
    with pytest.raises(UnknownMailbox, match="has no mailbox named 'WORK'"):
        store.folder(BOB, "WORK")


def test_create_makes_superiors_and_refuses_duplicates(store: MailStore, events: list[MailboxChanged]) -> None:
    store.create_folder(BOB, "a/b/c")
    assert [(e.action, e.folder) for e in events] == [("created", "a"), ("created", "a/b"), ("created", "a/b/c")]
    assert store.has_children(BOB, "a") and not store.has_children(BOB, "a/b/c")
    store.create_folder(BOB, "x/")  # RFC 9051 6.3.4: a trailing delimiter only declares inferiors
    assert "x" in store.folders(BOB)
    with pytest.raises(MailboxExists, match="already has a mailbox named 'a/b'"):
        store.create_folder(BOB, "a/b")
    with pytest.raises(MailboxExists):
        store.create_folder(BOB, "inbox")


@pytest.mark.parametrize(("name", "why"), [
    ("", "cannot be empty"),
    ("/top", "starts with the hierarchy delimiter"),
    ("a//b", "empty level"),
    ("a*", "LIST wildcard"),
    ("50%", "LIST wildcard"),
    ("tab\there", "control character"),
])
def test_bad_names_are_refused_with_a_sentence(store: MailStore, name: str, why: str) -> None:
    with pytest.raises(MailboxError, match=why):
        store.create_folder(BOB, name)


def test_create_special_use(store: MailStore) -> None:
    f = store.create_folder(BOB, "Archive", special_use="\\Archive")  # RFC 6154 3
    assert f.special_use == "\\Archive"
    with pytest.raises(MailboxError, match="not a special use this store keeps"):
        store.create_folder(BOB, "Everything", special_use="\\All")


def test_delete(store: MailStore, events: list[MailboxChanged]) -> None:
    with pytest.raises(MailboxError, match="INBOX cannot be deleted"):
        store.delete_folder(BOB, "inbox")
    with pytest.raises(UnknownMailbox):
        store.delete_folder(BOB, "nowhere")
    store.delete_folder(BOB, "Junk")
    assert "Junk" not in store.folders(BOB)
    assert events[-1].action == "deleted" and events[-1].folder == "Junk"


def test_delete_with_inferiors_leaves_a_noselect_level(store: MailStore) -> None:
    """RFC 9051 6.3.5 (and the RFC 3501 6.3.4 example): foo with foo/bar."""
    store.create_folder(BOB, "foo/bar")
    store.append(BOB, "foo", raw(), now=0.0)
    store.delete_folder(BOB, "foo")
    foo = store.folder(BOB, "foo")
    assert foo.noselect and foo.messages == []
    with pytest.raises(MailboxError, match="Noselect"):
        store.append(BOB, "foo", raw(), now=0.0)
    with pytest.raises(MailboxError, match="has inferior mailboxes"):
        store.delete_folder(BOB, "foo")
    store.delete_folder(BOB, "foo/bar")
    assert store.folder(BOB, "foo").noselect  # stays until it is deleted itself
    store.delete_folder(BOB, "foo")
    assert "foo" not in store.folders(BOB)


def test_create_over_a_noselect_level_makes_a_real_mailbox(store: MailStore) -> None:
    store.create_folder(BOB, "foo/bar")
    before = store.folder(BOB, "foo").uid_validity
    store.delete_folder(BOB, "foo")
    again = store.create_folder(BOB, "foo")
    assert not again.noselect and again.uid_validity > before


def test_rename_moves_inferiors_and_keeps_uids(store: MailStore, events: list[MailboxChanged]) -> None:
    store.create_folder(BOB, "a/b")
    msg = store.append(BOB, "a/b", raw(), now=0.0)
    validity = store.folder(BOB, "a/b").uid_validity
    events.clear()
    store.rename_folder(BOB, "a", "z/y")
    names = set(store.folders(BOB))
    assert {"z", "z/y", "z/y/b"} <= names and not {"a", "a/b"} & names
    moved = store.folder(BOB, "z/y/b")
    assert moved.uid_validity == validity and moved.by_uid(msg.uid) is not None
    assert [(e.action, e.folder, e.dest) for e in events] == [
        ("created", "z", ""), ("renamed", "a", "z/y"), ("renamed", "a/b", "z/y/b")]


def test_rename_refusals(store: MailStore) -> None:
    store.create_folder(BOB, "a")
    with pytest.raises(MailboxExists, match="already has a mailbox named 'Sent'"):
        store.rename_folder(BOB, "a", "Sent")
    with pytest.raises(MailboxError, match="a name below itself"):
        store.rename_folder(BOB, "a", "a/b")
    with pytest.raises(UnknownMailbox):
        store.rename_folder(BOB, "missing", "b")
    with pytest.raises(MailboxExists):
        store.rename_folder(BOB, "a", "inbox")


def test_rename_inbox_moves_its_messages_and_leaves_it_empty(store: MailStore) -> None:
    """RFC 9051 6.3.6: RENAME of INBOX."""
    store.create_folder(BOB, "INBOX/keep")
    one = store.deliver(BOB, raw("one"), 1.0)
    store.set_flags(BOB, INBOX, one.uid, {"\\Seen"})
    seen = changes(store)
    inbox_next = store.folder(BOB).uid_next
    old = store.rename_folder(BOB, "inbox", "Old")
    assert old.name == "Old" and [m.uid for m in old.messages] == [one.uid]
    assert old.messages[0].flags == {"\\Seen"}
    assert store.count(BOB) == 0 and "INBOX/keep" in store.folders(BOB)  # inferiors stay
    assert seen == [FolderChange("expunge", one.uid)]
    two = store.deliver(BOB, raw("two"), 2.0)
    assert two.uid == inbox_next  # no UID comes again in INBOX


def test_subscriptions(store: MailStore, events: list[MailboxChanged]) -> None:
    store.subscribe(BOB, "Lists/rust")  # RFC 9051 6.3.7: the mailbox need not exist
    store.subscribe(BOB, "inbox")
    assert store.subscriptions(BOB) == {"Lists/rust", INBOX}
    store.unsubscribe(BOB, "Lists/rust")
    assert store.subscriptions(BOB) == {INBOX}
    with pytest.raises(MailboxError, match="is not subscribed to 'Sent'"):
        store.unsubscribe(BOB, "Sent")
    assert [e.action for e in events] == ["subscribed", "subscribed", "unsubscribed"]


def test_unknown_user_is_a_sentence() -> None:
    s = MailStore("mx")
    with pytest.raises(UnknownMailbox) as info:
        s.folders("carol@example.net")
    assert str(info.value) == "There is no user carol@example.net on mx."
    assert isinstance(info.value, KeyError)


# --- messages ----------------------------------------------------------------------------


def test_deliver_and_append(store: MailStore, events: list[MailboxChanged]) -> None:
    d = store.deliver(BOB, raw("one"), 5.0)
    assert d.flags == set() and d.internal_date == 5.0 and d.size == len(raw("one"))
    a = store.append(BOB, "Drafts", raw("two"), flags=["\\draft", "$Work"], internal_date=100.0, now=7.0)
    assert a.flags == {"\\Draft", "$Work"} and a.internal_date == 100.0 and a.uid == 1
    b = store.append(BOB, "Drafts", raw("three"), now=7.0)
    assert b.internal_date == 7.0 and b.uid == 2
    assert [(e.action, e.folder, e.uid, e.raw != b"") for e in events] == [
        ("delivered", INBOX, 1, True), ("appended", "Drafts", 1, True), ("appended", "Drafts", 2, True)]
    assert events[1].flags == ("$Work", "\\Draft")
    with pytest.raises(UnknownMailbox):
        store.append(BOB, "Nowhere", raw(), now=0.0)


@pytest.mark.parametrize(("bad", "why"), [
    ("\\Recent", "not a flag a message can carry"),
    ("\\Bogus", "not a flag a message can carry"),
    ("two words", "is an IMAP atom"),
    ("br]cket", "is an IMAP atom"),
])
def test_flags_a_message_cannot_carry(store: MailStore, bad: str, why: str) -> None:
    store.deliver(BOB, raw(), 0.0)
    with pytest.raises(MailboxError, match=why):
        store.store_flags(BOB, INBOX, [1], [bad], "add")
    with pytest.raises(MailboxError, match=why):
        store.append(BOB, INBOX, raw(), flags=[bad], now=0.0)
    assert store.folder(BOB).by_uid(1).flags == set()


def test_store_flags_modes(store: MailStore, events: list[MailboxChanged]) -> None:
    for n in range(3):
        store.deliver(BOB, raw(str(n)), float(n))
    events.clear()
    out = store.store_flags(BOB, INBOX, [3, 1, 99], ["\\seen", "Later"], "add")
    assert [m.uid for m in out] == [1, 3]  # sequence order; UID 99 is not there
    assert store.folder(BOB).by_uid(1).flags == {"\\Seen", "Later"}
    store.store_flags(BOB, INBOX, [1], ["later"], "remove")  # flags are case-insensitive
    assert store.folder(BOB).by_uid(1).flags == {"\\Seen"}
    store.store_flags(BOB, INBOX, [1, 3], ["\\Flagged"], "set")
    assert store.folder(BOB).by_uid(3).flags == {"\\Flagged"}
    events.clear()
    store.store_flags(BOB, INBOX, [1], ["\\Flagged"], "add")  # no change, no event
    assert events == []
    with pytest.raises(MailboxError, match="no way to store flags"):
        store.store_flags(BOB, INBOX, [1], ["\\Seen"], "toggle")


def test_set_flags_replaces_and_knows_missing_uids(store: MailStore) -> None:
    store.deliver(BOB, raw(), 0.0)
    store.set_flags(BOB, INBOX, 1, {"\\Seen", "\\Answered"})
    store.set_flags(BOB, INBOX, 1, {"\\Deleted"})
    assert store.folder(BOB).by_uid(1).flags == {"\\Deleted"}
    with pytest.raises(UnknownMailbox, match="has no message with UID 2"):
        store.set_flags(BOB, INBOX, 2, set())


def test_copy_keeps_flags_and_date_with_new_uids(store: MailStore, events: list[MailboxChanged]) -> None:
    store.append(BOB, "Trash", raw("filler"), now=0.0)
    a = store.deliver(BOB, raw("a"), 10.0)
    b = store.deliver(BOB, raw("b"), 20.0)
    store.store_flags(BOB, INBOX, [b.uid], ["\\Flagged", "$Label1"], "add")
    events.clear()
    pairs = store.copy(BOB, INBOX, [b.uid, a.uid, 42], "Trash")
    assert pairs == [(1, 2), (2, 3)]  # COPYUID order: source UIDs ascending (RFC 4315 3)
    trash = store.folder(BOB, "Trash")
    assert [(m.uid, m.internal_date, m.flags) for m in trash.messages[1:]] == [
        (2, 10.0, set()), (3, 20.0, {"\\Flagged", "$Label1"})]
    assert store.count(BOB) == 2
    assert [(e.action, e.uid, e.dest, e.dest_uid) for e in events] == [
        ("copied", 1, "Trash", 2), ("copied", 2, "Trash", 3)]
    trash.messages[2].flags.add("\\Seen")
    assert store.folder(BOB).by_uid(b.uid).flags == {"\\Flagged", "$Label1"}  # a copy, not the same set


def test_move_expunges_the_originals(store: MailStore, events: list[MailboxChanged]) -> None:
    a = store.deliver(BOB, raw("a"), 10.0)
    store.set_flags(BOB, INBOX, a.uid, {"\\Seen"})
    src, dest = changes(store), changes(store, "Junk")
    pairs = store.move(BOB, INBOX, [a.uid], "Junk")
    assert pairs == [(1, 1)] and store.count(BOB) == 0
    assert store.folder(BOB, "Junk").messages[0].flags == {"\\Seen"}
    assert src == [FolderChange("expunge", 1)]
    assert dest == [FolderChange("exists", 1, frozenset({"\\Seen"}))]
    assert events[-1].action == "moved"
    with pytest.raises(UnknownMailbox):
        store.move(BOB, INBOX, [1], "Nowhere")


def test_expunge_deleted_only_within_the_uids(store: MailStore) -> None:
    for n in range(5):
        store.deliver(BOB, raw(str(n)), 0.0)
    store.store_flags(BOB, INBOX, [1, 2, 4], ["\\Deleted"], "add")
    assert store.expunge_deleted(BOB, INBOX, uids=[2, 3, 4]) == [2, 4]  # UID EXPUNGE (RFC 9051 6.4.9)
    assert [m.uid for m in store.folder(BOB).messages] == [1, 3, 5]
    assert store.expunge_deleted(BOB, INBOX) == [1]
    assert [m.uid for m in store.folder(BOB).messages] == [3, 5]
    assert store.folder(BOB).seq_of(5) == 2 and store.folder(BOB).seq_of(1) == 0


def test_expunge_one_removes_whatever_its_flags(store: MailStore) -> None:
    store.deliver(BOB, raw(), 0.0)
    store.expunge(BOB, INBOX, 1)
    assert store.count(BOB) == 0
    with pytest.raises(UnknownMailbox, match="has no message with UID 1"):
        store.expunge(BOB, INBOX, 1)


# --- watchers -----------------------------------------------------------------------------


def test_watchers_hear_every_change_with_its_origin(store: MailStore) -> None:
    me, other = object(), object()
    mine, theirs = changes(store), changes(store)
    store.deliver(BOB, raw(), 0.0)
    store.store_flags(BOB, INBOX, [1], ["\\Seen"], "add", origin=me)
    store.store_flags(BOB, INBOX, [1], ["\\Deleted"], "add", origin=other)
    store.expunge_deleted(BOB, INBOX, origin=me)
    expected = [
        FolderChange("exists", 1),
        FolderChange("flags", 1, frozenset({"\\Seen"}), me),
        FolderChange("flags", 1, frozenset({"\\Seen", "\\Deleted"}), other),
        FolderChange("expunge", 1, origin=me),
    ]
    assert mine == expected and theirs == expected


def test_closed_watch_hears_nothing_and_other_folders_are_quiet(store: MailStore) -> None:
    seen: list[FolderChange] = []
    w = store.watch(BOB, INBOX, seen.append)
    elsewhere = changes(store, "Sent")
    w.close()
    w.close()  # again: harmless
    store.deliver(BOB, raw(), 0.0)
    assert seen == [] and elsewhere == []


def test_watchers_of_deleted_and_renamed_folders(store: MailStore) -> None:
    store.create_folder(BOB, "a/b")
    on_a, on_b = changes(store, "a"), changes(store, "a/b")
    store.rename_folder(BOB, "a", "c")
    assert on_a == [FolderChange("renamed", name="c")] and on_b == [FolderChange("renamed", name="c/b")]
    store.append(BOB, "c/b", raw(), now=0.0)  # the watch follows the folder
    assert on_b[-1] == FolderChange("exists", 1)
    store.delete_folder(BOB, "c/b")
    assert on_b[-1] == FolderChange("deleted")
    assert store.folder(BOB, "c").watchers != [] and store.folders(BOB).get("c/b") is None


def test_watch_refuses_a_noselect_level(store: MailStore) -> None:
    store.create_folder(BOB, "a/b")
    store.delete_folder(BOB, "a")
    with pytest.raises(MailboxError, match="Noselect"):
        store.watch(BOB, "a", lambda change: None)


# --- the POP3 maildrop lock (RFC 1939 8) -----------------------------------------------------


def test_lock_is_exclusive(store: MailStore, events: list[MailboxChanged]) -> None:
    first, second = object(), object()
    assert store.lock(BOB, first) and store.lock(BOB, first)
    assert not store.lock(BOB, second) and store.locked(BOB)
    store.unlock(BOB, second)  # not its lock: nothing happens
    assert store.locked(BOB)
    store.unlock(BOB, first)
    assert not store.locked(BOB) and store.lock(BOB, second)
    assert [e.action for e in events] == ["locked", "unlocked", "locked"]
    with pytest.raises(UnknownMailbox):
        store.lock("carol@example.net", first)
