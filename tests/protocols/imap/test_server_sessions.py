"""Two sessions on one mailbox: each sees the other's changes when RFC 9051 allows (5.2, 7.5.1; RFC 2177)."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from simulator.protocols.imap import states as S
from simulator.trace import MailboxView

BOB = "bob@example.net"


def test_rfc9051_7_4_1_new_mail_is_told_after_the_next_command(world):
    phone = world.session(select="INBOX")
    world.deliver("fresh")
    assert phone.lines("a NOOP") == ["* 1 EXISTS", "a OK NOOP completed"]


def test_flags_set_by_one_session_reach_the_other_at_noop(world):
    world.deliver("one")
    phone, laptop = world.session(select="INBOX"), world.session(select="INBOX")
    laptop.send("a STORE 1 +FLAGS (\\Seen)")
    assert phone.lines("b NOOP") == ["* 1 FETCH (UID 1 FLAGS (\\Seen))", "b OK NOOP completed"]
    assert phone.lines("c NOOP") == ["c OK NOOP completed"]  # told once


def test_expunge_by_another_session_is_told_with_renumbering(world):
    for n in range(3):
        world.deliver(f"m{n}")
    phone, laptop = world.session(select="INBOX"), world.session(select="INBOX")
    laptop.send("a STORE 1,3 +FLAGS.SILENT (\\Deleted)")
    laptop.send("b EXPUNGE")
    out = phone.lines("c NOOP")
    assert out[-1] == "c OK NOOP completed"
    assert [x for x in out if x.endswith("EXPUNGE")] == ["* 1 EXPUNGE", "* 2 EXPUNGE"]
    assert phone.lines("d FETCH 1 UID") == ["* 1 FETCH (UID 2)", "d OK FETCH completed"]


def test_rfc9051_7_5_1_no_expunge_during_fetch_store_search_but_during_uid_fetch(world):
    world.deliver("one")
    world.deliver("two")
    phone, laptop = world.session(select="INBOX"), world.session(select="INBOX")
    laptop.send("a STORE 1 +FLAGS.SILENT (\\Deleted)")
    laptop.send("b EXPUNGE")
    for cmd in ("c FETCH 1:* UID", "d STORE 2 +FLAGS.SILENT (\\Seen)", "e SEARCH ALL"):
        assert not any(x.endswith("EXPUNGE") for x in phone.lines(cmd)), cmd
    out = phone.lines("f UID FETCH 1:* UID")
    assert "* 1 EXPUNGE" in out


def test_rfc2177_idle_pushes_exists_flags_and_expunge_at_once(world):
    world.deliver("one")
    phone, laptop = world.session(select="INBOX"), world.session(select="INBOX")
    assert phone.lines("i IDLE") == ["+ idling"]
    assert phone.state == S.IDLING
    world.deliver("two")
    assert phone.server.data_to_send() == b"* 2 EXISTS\r\n"
    laptop.send("a STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert phone.server.data_to_send() == b"* 1 FETCH (UID 1 FLAGS (\\Deleted))\r\n"
    laptop.send("b EXPUNGE")
    assert phone.server.data_to_send() == b"* 1 EXPUNGE\r\n"
    assert any(isinstance(e, MailboxView) and e.uids == (2,) for e in phone.pushed)
    assert phone.lines("DONE") == ["i OK IDLE terminated"]
    assert phone.state == S.SELECTED


def test_idle_ended_by_something_else_than_done_is_bad(world):
    s = world.session(select="INBOX")
    s.send("i IDLE")
    assert s.lines("a NOOP") == ["i BAD Expected DONE to end IDLE (RFC 2177 3)"]
    assert s.state == S.SELECTED


def test_idle_without_a_mailbox_selected(world):
    s = world.session()
    s.send("i IDLE")
    assert s.state == S.IDLING_UNSELECTED
    assert s.lines("done") == ["i OK IDLE terminated"] and s.state == S.AUTHENTICATED


def test_mailbox_view_event_tracks_what_the_client_was_told(world):
    world.deliver("one")
    phone, laptop = world.session(select="INBOX"), world.session(select="INBOX")
    laptop.send("a STORE 1 +FLAGS (\\Flagged)")
    phone.send("b NOOP")
    views = [e for e in phone.events if isinstance(e, MailboxView)]
    assert views[-1].uids == (1,) and views[-1].flags == ("\\Flagged",)
    phone.send("c UNSELECT")
    assert [e for e in phone.events if isinstance(e, MailboxView)][-1].folder == ""


def _make_machine(World):
    class Machine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.world = World()
            self.world.deliver("first")
            self.devices = [self.world.session(select="INBOX"), self.world.session(select="INBOX")]

        @rule()
        def deliver(self):
            self.world.deliver("more")

        @rule(d=st.integers(0, 1), flag=st.sampled_from(["\\Seen", "\\Deleted", "\\Flagged", "$Later"]),
              mode=st.sampled_from(["+", "-", ""]), uid=st.booleans())
        def store(self, d, flag, mode, uid):
            device = self.devices[d]
            n = len(device.server._selected.uids)
            if n and device.state == S.SELECTED:
                device.send(f"s {'UID ' if uid else ''}STORE 1:* {mode}FLAGS ({flag})")

        @rule(d=st.integers(0, 1))
        def expunge(self, d):
            if self.devices[d].state == S.SELECTED:
                self.devices[d].send("x EXPUNGE")

        @rule(d=st.integers(0, 1), cmd=st.sampled_from(["FETCH 1:* FLAGS", "SEARCH ALL", "NOOP", "CHECK"]))
        def other(self, d, cmd):
            device = self.devices[d]
            if device.state != S.SELECTED or (cmd.startswith("FETCH") and not device.server._selected.uids):
                return
            device.send(f"o {cmd}")

        @rule(d=st.integers(0, 1))
        def idle_or_done(self, d):
            device = self.devices[d]
            device.send("DONE" if device.state == S.IDLING else "i IDLE")

        @invariant()
        def agree(self):
            folder = self.world.store.folder(BOB)
            truth = [(m.uid, frozenset(m.flags)) for m in folder.messages]
            for device in self.devices:
                if device.state != S.IDLING:  # an idling device was told at once (RFC 2177)
                    device.send("n NOOP")
                sel = device.server._selected
                assert [(u, sel.told[u]) for u in sel.uids] == truth

    return Machine


def test_two_devices_agree_with_the_store_after_noop_or_at_once_while_idling(world_factory):
    """Random commands from two sessions, deliveries and IDLE; each session's view matches the store."""
    run_state_machine_as_test(_make_machine(world_factory),
                              settings=settings(max_examples=40, stateful_step_count=20, deadline=None))


def test_a_session_whose_mailbox_another_deletes_is_told_bye(world):
    phone, laptop = world.session(), world.session()
    laptop.send("a CREATE Work")
    phone.select("Work")
    phone.send("i IDLE")
    laptop.send("b DELETE Work")
    assert phone.server.data_to_send() == b"* BYE Mailbox Work was deleted by another session\r\n"
    assert phone.server.closed


def test_rfc5161_3_1_enable_only_before_a_mailbox_is_selected(world):
    s = world.session(select="INBOX")
    assert s.lines("e ENABLE IMAP4rev2")[0].startswith("e BAD ENABLE is not valid in the selected state")
