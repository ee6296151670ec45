"""The mailbox store against a model, by Hypothesis: random runs of every changing method.

After each step: UIDs strictly ascend within a folder and no (UIDVALIDITY,
UID) pair is ever handed out twice (RFC 9051 2.3.1.1); sequence numbers are
1..n (2.3.1.2); each watcher heard of exactly the changes the step made,
once each; and the replay fold of the trace so far shows every folder as
the store holds it.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from simulator.mail.errors import MailboxError
from simulator.mail.store import INBOX, FolderChange, MailStore
from simulator.replay.kinds import kind_of
from simulator.replay.world import World
from simulator.trace import MailboxChanged

USER = "bob@example.net"
HOST = "mx"
EXTRA = ("A", "B", "A/x")  # folders a run may make, delete, rename and make again
FOLDERS = st.sampled_from((INBOX, "Sent", "Trash") + EXTRA)
FLAGS = st.lists(st.sampled_from(["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "$Work", "later"]),
                 max_size=3)
# Small UIDs, so that a chosen set often meets the messages; None: every message in the folder.
UIDS = st.none() | st.lists(st.integers(min_value=1, max_value=6), max_size=4)


class StoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[MailboxChanged] = []
        self.store = MailStore(HOST, on_change=self.events.append)
        self.store.add_user(USER)
        self.issued: set[tuple[int, int]] = set()  # (UIDVALIDITY, UID) pairs ever handed out
        self.heard: dict[str, list[FolderChange]] = {}
        self.me = object()
        for name in self.store.folders(USER):
            self._watch(name)

    # --- helpers ------------------------------------------------------------------------

    def _watch(self, name: str) -> None:
        log: list[FolderChange] = []
        self.heard[name] = log
        self.store.watch(USER, name, log.append)

    def _selectable(self, name: str) -> bool:
        f = self.store.folders(USER).get(name)
        return f is not None and not f.noselect

    def _snapshot(self, name: str) -> dict[int, frozenset[str]]:
        return {m.uid: frozenset(m.flags) for m in self.store.folder(USER, name).messages}

    def _uids(self, name: str, uids: list[int] | None) -> list[int]:
        return [m.uid for m in self.store.folder(USER, name).messages] if uids is None else uids

    def _quiet(self) -> None:
        for log in self.heard.values():
            log.clear()

    def _new_uid(self, name: str, uid: int) -> None:
        f = self.store.folder(USER, name)
        key = (f.uid_validity, uid)
        assert key not in self.issued, f"UID {uid} given twice under UIDVALIDITY {f.uid_validity}"
        self.issued.add(key)
        assert f.messages[-1].uid == uid and uid < f.uid_next

    def _heard_only(self, expected: dict[str, list[FolderChange]]) -> None:
        for name, log in self.heard.items():
            assert log == expected.get(name, []), (name, log, expected.get(name))

    # --- rules --------------------------------------------------------------------------

    @rule(folder=FOLDERS, n=st.integers(min_value=0, max_value=1000))
    def deliver(self, folder: str, n: int) -> None:
        if not self._selectable(folder):
            return
        self._quiet()
        msg = self.store.deliver(USER, f"Subject: m{n}\r\n\r\nx\r\n".encode(), float(n), folder=folder)
        self._new_uid(folder, msg.uid)
        self._heard_only({folder: [FolderChange("exists", msg.uid)]})

    @rule(folder=FOLDERS, flags=FLAGS, date=st.floats(min_value=0, max_value=2e9))
    def append(self, folder: str, flags: list[str], date: float) -> None:
        if not self._selectable(folder):
            return
        self._quiet()
        msg = self.store.append(USER, folder, b"Subject: appended\r\n\r\nx\r\n", flags=flags, internal_date=date,
                                now=0.0, origin=self.me)
        self._new_uid(folder, msg.uid)
        assert msg.internal_date == date and {f.lower() for f in msg.flags} == {f.lower() for f in flags}
        self._heard_only({folder: [FolderChange("exists", msg.uid, frozenset(msg.flags), self.me)]})

    @rule(folder=FOLDERS, uids=UIDS, flags=FLAGS, mode=st.sampled_from(["set", "add", "remove"]))
    def store_flags(self, folder: str, uids: list[int] | None, flags: list[str], mode: str) -> None:
        if not self._selectable(folder):
            return
        uids = self._uids(folder, uids)
        before = self._snapshot(folder)
        self._quiet()
        out = self.store.store_flags(USER, folder, uids, flags, mode, origin=self.me)
        after = self._snapshot(folder)
        assert [m.uid for m in out] == sorted(set(uids) & set(before))
        assert set(before) == set(after)
        for uid in before:
            if uid not in uids:
                assert after[uid] == before[uid]
        given = {f.lower() for f in flags}
        for msg in out:
            have = {f.lower() for f in msg.flags}
            if mode == "set":
                assert have == given
            elif mode == "add":
                assert given <= have and have - given <= {f.lower() for f in before[msg.uid]}
            else:
                assert not given & have and have == {f.lower() for f in before[msg.uid]} - given
        changed = [FolderChange("flags", m.uid, after[m.uid], self.me) for m in out if after[m.uid] != before[m.uid]]
        self._heard_only({folder: changed})

    @rule(src=FOLDERS, dest=FOLDERS, uids=UIDS, move=st.booleans())
    def transfer(self, src: str, dest: str, uids: list[int] | None, move: bool) -> None:
        if not (self._selectable(src) and self._selectable(dest)):
            return
        uids = self._uids(src, uids)
        before = {m.uid: m for m in self.store.folder(USER, src).messages}
        kept = {uid: (frozenset(m.flags), m.internal_date, m.data) for uid, m in before.items()}
        self._quiet()
        pairs = (self.store.move if move else self.store.copy)(USER, src, uids, dest, origin=self.me)
        assert [p[0] for p in pairs] == sorted(set(uids) & set(before))
        d = self.store.folder(USER, dest)
        for old, new in pairs:
            self._new_uid_anywhere(dest, new)
            copied = d.by_uid(new)
            assert copied is not None and (frozenset(copied.flags), copied.internal_date, copied.data) == kept[old]
            if move:
                assert self.store.folder(USER, src).by_uid(old) is None
        expected: dict[str, list[FolderChange]] = {}
        for old, new in pairs:
            expected.setdefault(dest, []).append(FolderChange("exists", new, kept[old][0], self.me))
            if move:
                expected.setdefault(src, []).append(FolderChange("expunge", old, origin=self.me))
        self._heard_only(expected)

    def _new_uid_anywhere(self, name: str, uid: int) -> None:
        f = self.store.folder(USER, name)
        key = (f.uid_validity, uid)
        assert key not in self.issued
        self.issued.add(key)

    @rule(folder=FOLDERS, uids=UIDS)
    def expunge_deleted(self, folder: str, uids: list[int] | None) -> None:
        if not self._selectable(folder):
            return
        before = self.store.folder(USER, folder).messages[:]
        self._quiet()
        gone = self.store.expunge_deleted(USER, folder, uids, origin=self.me)
        chosen = [m for m in before if uids is None or m.uid in uids]
        assert gone == [m.uid for m in chosen if "\\Deleted" in m.flags]
        left = [m.uid for m in self.store.folder(USER, folder).messages]
        assert left == [m.uid for m in before if m.uid not in gone]
        self._heard_only({folder: [FolderChange("expunge", uid, origin=self.me) for uid in gone]})

    @rule(folder=FOLDERS, data=st.data())
    def expunge_one(self, folder: str, data: st.DataObject) -> None:
        if not self._selectable(folder) or not self.store.count(USER, folder):
            return
        uids = [m.uid for m in self.store.folder(USER, folder).messages]
        uid = data.draw(st.sampled_from(uids))
        self._quiet()
        self.store.expunge(USER, folder, uid, origin=self.me)  # POP3 UPDATE: whatever the flags
        assert [m.uid for m in self.store.folder(USER, folder).messages] == [u for u in uids if u != uid]
        self._heard_only({folder: [FolderChange("expunge", uid, origin=self.me)]})

    @rule(folder=FOLDERS, uid=st.integers(min_value=1, max_value=6), flags=FLAGS)
    def set_flags(self, folder: str, uid: int, flags: list[str]) -> None:
        if not self._selectable(folder):
            return
        before = self._snapshot(folder)
        self._quiet()
        try:
            self.store.set_flags(USER, folder, uid, flags)
        except MailboxError:
            assert uid not in before
            return
        after = self._snapshot(folder)
        assert {f.lower() for f in after[uid]} == {f.lower() for f in flags}
        self._heard_only({folder: [FolderChange("flags", uid, after[uid])] if after[uid] != before[uid] else []})

    @rule(name=st.sampled_from(EXTRA))
    def create(self, name: str) -> None:
        try:
            f = self.store.create_folder(USER, name)
        except MailboxError:
            assert self._selectable(name)
            return
        assert f.uid_validity not in {v for v, _ in self.issued}  # a fresh UIDVALIDITY
        for n in self.store.folders(USER):
            if n not in self.heard and self._selectable(n):
                self._watch(n)

    @rule(name=st.sampled_from(EXTRA + ("Trash",)))
    def delete(self, name: str) -> None:
        folder = self.store.folders(USER).get(name)
        if folder is None:
            return
        self._quiet()
        try:
            self.store.delete_folder(USER, name)
        except MailboxError:
            assert folder.noselect and self.store.has_children(USER, name)
            return
        self._heard_only({name: [FolderChange("deleted")]} if not folder.noselect else {})
        self.heard.pop(name, None)

    @precondition(lambda self: any(n in self.store.folders(USER) for n in ("A", "B")))
    @rule(old=st.sampled_from(("A", "B", INBOX)), new=st.sampled_from(("A", "B", "C")))
    def rename(self, old: str, new: str) -> None:
        folders = self.store.folders(USER)
        if old not in folders or new in folders or folders[old].noselect:
            return
        moving = [old] if old == INBOX else [old] + [n for n in folders if n.startswith(old + "/")]
        messages = [m.uid for m in folders[old].messages]
        self._quiet()
        self.store.rename_folder(USER, old, new, origin=self.me)
        if old == INBOX:
            assert self.store.count(USER) == 0
            assert [m.uid for m in self.store.folder(USER, new).messages] == messages
            self._heard_only({INBOX: [FolderChange("expunge", uid, origin=self.me) for uid in messages]})
            self._watch(new)
            return
        expected = {}
        for name in moving:
            target = new + name[len(old):]
            expected[name] = [FolderChange("renamed", origin=self.me, name=target)]
        self._heard_only(expected)
        for name in moving:
            self.heard[new + name[len(old):]] = self.heard.pop(name)

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def uids_ascend_and_sequence_numbers_are_dense(self) -> None:
        for f in self.store.folders(USER).values():
            uids = [m.uid for m in f.messages]
            assert uids == sorted(set(uids))
            assert all(u < f.uid_next for u in uids)
            assert [f.seq_of(u) for u in uids] == list(range(1, len(uids) + 1))
            assert all(f.by_uid(u) is m for u, m in zip(uids, f.messages, strict=True))
            assert not (f.noselect and f.messages)

    @invariant()
    def the_replay_fold_shows_the_store(self) -> None:
        world = World()
        for e in self.events:
            kind_of(e).fold(world, e, 0)
        shown = {folder: {uid: frozenset(row.flags) for uid, row in rows.items()}
                 for (host, user, folder), rows in world.mailboxes.items() if user == USER}
        held = {name: self._snapshot(name) for name, f in self.store.folders(USER).items() if not f.noselect}
        assert shown == held


StoreMachine.TestCase.settings = settings(max_examples=80, stateful_step_count=30, deadline=None)
TestStore = StoreMachine.TestCase
