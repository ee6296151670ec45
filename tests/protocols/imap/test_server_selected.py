"""The selected state (RFC 9051 6.4; UIDPLUS RFC 4315; MOVE RFC 6851)."""

from __future__ import annotations

from simulator.protocols.imap import states as S
from simulator.protocols.imap.responses import Status

BOB = "bob@example.net"


def flags(world, uid, folder="INBOX"):
    return world.store.folder(BOB, folder).by_uid(uid).flags


def test_rfc9051_6_4_5_fetch_flags_uid_and_size(world):
    world.deliver("one")
    s = world.session(select="INBOX")
    size = world.store.folder(BOB).messages[0].size
    out = s.lines("a FETCH 1 (UID FLAGS RFC822.SIZE)")
    assert out == [f"* 1 FETCH (UID 1 FLAGS () RFC822.SIZE {size})", "a OK FETCH completed"]


def test_rfc9051_6_4_5_body_sets_seen_and_peek_does_not(world):
    world.deliver("one")
    s = world.session(select="INBOX")
    out = s.lines("a FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
    assert out[0].startswith("* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {")
    assert flags(world, 1) == set()
    out = s.send("b FETCH 1 BODY[]")
    assert b"FLAGS (\\Seen)" in out and b"Subject: one" in out
    assert flags(world, 1) == {"\\Seen"}


def test_rfc9051_9_sequence_set_star_and_out_of_range(world):
    for n in range(3):
        world.deliver(f"m{n}")
    s = world.session(select="INBOX")
    out = s.lines("a FETCH 2:* UID")
    assert out == ["* 2 FETCH (UID 2)", "* 3 FETCH (UID 3)", "a OK FETCH completed"]
    assert s.lines("b FETCH 9 UID")[0].startswith("b BAD")
    assert s.lines("c FETCH x UID")[0].startswith("c BAD")


def test_rfc9051_6_4_6_store_modes_and_silent(world):
    world.deliver("one")
    s = world.session(select="INBOX")
    assert s.lines("a STORE 1 +FLAGS (\\Seen \\Flagged)") == ["* 1 FETCH (FLAGS (\\Flagged \\Seen))",
                                                              "a OK STORE completed"]
    assert s.lines("b STORE 1 -FLAGS.SILENT (\\Seen)") == ["b OK STORE completed"]
    assert flags(world, 1) == {"\\Flagged"}
    assert s.lines("c STORE 1 FLAGS ($Important)") == ["* 1 FETCH (FLAGS ($Important))", "c OK STORE completed"]
    assert s.lines("d UID STORE 1 +FLAGS \\Answered")[0] == "* 1 FETCH (UID 1 FLAGS (\\Answered $Important))"
    assert s.lines("e STORE 1 +FLAGS (\\Recent)")[0].startswith("e BAD")
    assert s.lines("f STORE 1 COLOUR (red)")[0].startswith("f BAD")


def test_rfc9051_6_4_3_expunge_sends_expunge_responses(world):
    for n in range(3):
        world.deliver(f"m{n}")
    s = world.session(select="INBOX")
    s.send("a STORE 1:2 +FLAGS.SILENT (\\Deleted)")
    assert s.lines("b EXPUNGE") == ["* 1 EXPUNGE", "* 1 EXPUNGE", "b OK EXPUNGE completed"]
    assert s.lines("c FETCH 1 UID") == ["* 1 FETCH (UID 3)", "c OK FETCH completed"]


def test_rfc4315_uid_expunge_only_the_given_uids(world):
    for n in range(3):
        world.deliver(f"m{n}")
    s = world.session(select="INBOX")
    s.send("a STORE 1:3 +FLAGS.SILENT (\\Deleted)")
    assert s.lines("b UID EXPUNGE 2") == ["* 2 EXPUNGE", "b OK UID EXPUNGE completed"]
    assert [m.uid for m in world.store.folder(BOB).messages] == [1, 3]


def test_rfc9051_6_4_1_close_expunges_silently(world):
    world.deliver("one")
    world.deliver("two")
    s = world.session(select="INBOX")
    s.send("a STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert s.lines("b CLOSE") == ["b OK CLOSE completed"]
    assert s.state == S.AUTHENTICATED and world.store.count(BOB) == 1


def test_rfc9051_6_4_2_unselect_keeps_deleted_messages(world):
    world.deliver("one")
    s = world.session(select="INBOX")
    s.send("a STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert s.lines("b UNSELECT") == ["b OK UNSELECT completed"]
    assert s.state == S.AUTHENTICATED and world.store.count(BOB) == 1


def test_rfc9051_6_4_7_copy_with_copyuid_and_trycreate(world):
    world.deliver("one")
    world.deliver("two")
    s = world.session(select="INBOX")
    validity = world.store.folder(BOB, "Trash").uid_validity
    assert s.lines("a COPY 1:2 Trash") == [f"a OK [COPYUID {validity} 1:2 1:2] COPY completed"]
    assert world.store.count(BOB, "Trash") == 2 and world.store.count(BOB) == 2
    assert s.lines("b COPY 1 Nowhere") == ["b NO [TRYCREATE] Mailbox Nowhere does not exist"]


def test_rfc6851_move_untagged_copyuid_then_expunges(world):
    for n in range(3):
        world.deliver(f"m{n}")
    s = world.session(select="INBOX")
    validity = world.store.folder(BOB, "Junk").uid_validity
    out = s.lines("a UID MOVE 2:3 Junk")
    assert out == [f"* OK [COPYUID {validity} 2:3 1:2] Moved", "* 2 EXPUNGE", "* 2 EXPUNGE",
                   "a OK UID MOVE completed"]
    assert world.store.count(BOB) == 1 and world.store.count(BOB, "Junk") == 2


def test_examine_refuses_changes_with_read_only(world):
    world.deliver("one")
    s = world.session()
    s.send("a EXAMINE INBOX")
    assert s.lines("b STORE 1 +FLAGS (\\Seen)") == ["b NO [READ-ONLY] The mailbox is selected read-only (EXAMINE)"]
    assert s.lines("c EXPUNGE")[0].startswith("c NO [READ-ONLY]")
    s.send("d FETCH 1 BODY[]")
    assert flags(world, 1) == set()  # EXAMINE: BODY[] does not set \Seen


def test_rfc9051_6_4_4_search_answers_sequence_numbers_and_uid_search_uids(world):
    for n in range(3):
        world.deliver(f"m{n}")
    s = world.session(select="INBOX")
    s.send("a STORE 2 +FLAGS.SILENT (\\Seen)")
    assert s.lines("b SEARCH ALL") == ["* SEARCH 1 2 3", "b OK SEARCH completed"]
    s.send("c STORE 1 +FLAGS.SILENT (\\Deleted)")
    s.send("d EXPUNGE")
    assert s.lines("e UID SEARCH ALL") == ["* SEARCH 2 3", "e OK UID SEARCH completed"]


def test_a_fault_replaces_the_fetch_answer(world):
    world.deliver("one")
    s = world.session(select="INBOX")
    world.policy.faults["FETCH"] = Status("*", "NO", "Disk trouble", "SERVERBUG")
    assert s.lines("a FETCH 1 FLAGS") == ["a NO [SERVERBUG] Disk trouble"]
    assert s.state == S.SELECTED


def test_rfc9051_7_3_4_esearch_for_imap4rev2_and_return_options(world):
    for n in range(4):
        world.deliver(f"m{n}")
    s = world.session()
    s.send("e ENABLE IMAP4rev2")
    s.select()
    assert s.lines("a SEARCH ALL") == ['* ESEARCH (TAG "a") ALL 1:4', "a OK SEARCH completed"]
    assert s.lines("b UID SEARCH RETURN (MIN COUNT) ALL") == ['* ESEARCH (TAG "b") UID MIN 1 COUNT 4',
                                                               "b OK UID SEARCH completed"]


def test_rfc9051_6_4_4_1_searchres_saves_a_result_for_dollar(world):
    for n in range(3):
        world.deliver(f"m{n}")
    s = world.session(select="INBOX")
    s.send("a STORE 2:3 +FLAGS.SILENT (\\Flagged)")
    assert s.lines("b SEARCH RETURN (SAVE) FLAGGED") == ["b OK SEARCH completed"]
    assert s.lines("c FETCH $ UID") == ["* 2 FETCH (UID 2)", "* 3 FETCH (UID 3)", "c OK FETCH completed"]
    assert s.lines("d UID COPY $ Trash")[-1].startswith("d OK [COPYUID")


def test_rfc9051_6_4_9_uid_needs_a_command_it_applies_to(world):
    s = world.session(select="INBOX")
    assert s.lines("a UID FROB 1") == ["a BAD UID takes one of COPY, EXPUNGE, FETCH, MOVE, SEARCH, STORE (RFC 9051 6.4.9)"]
    assert s.lines("b uid fetch 1:* uid") == ["b OK UID FETCH completed"]
