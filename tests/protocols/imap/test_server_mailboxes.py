"""The authenticated state: mailboxes (RFC 9051 6.3; LIST-EXTENDED RFC 5258; SPECIAL-USE RFC 6154)."""

from __future__ import annotations

from simulator.protocols.imap import states as S
from simulator.trace import MailboxView


def test_rfc9051_6_3_2_select_answers_with_the_mailbox_data(world):
    world.deliver("one")
    world.deliver("two")
    s = world.session()
    out = s.select()
    assert out[0] == "* 2 EXISTS"
    assert "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)" in out
    assert any(x.startswith("* OK [PERMANENTFLAGS (") and "\\*" in x for x in out)
    assert any(x.startswith("* OK [UIDVALIDITY ") for x in out)
    assert "* OK [UIDNEXT 3] Predicted next UID" in out
    assert '* LIST () "/" "INBOX"' in out
    assert out[-1] == "S1 OK [READ-WRITE] SELECT completed"
    assert s.state == S.SELECTED
    view = [e for e in s.events if isinstance(e, MailboxView)][-1]
    assert (view.folder, view.uids, view.peer) == ("INBOX", (1, 2), "bob-phone")


def test_rfc3501_select_recent_and_unseen_only_for_imap4rev1_clients(world):
    world.deliver("one")
    s = world.session()
    out = s.select()
    assert "* 0 RECENT" in out and "* OK [UNSEEN 1] Message 1 is the first unseen" in out
    s2 = world.session()
    assert s2.lines("e ENABLE IMAP4rev2") == ["* ENABLED IMAP4rev2", "e OK ENABLE completed"]
    out = s2.select()
    assert not any("RECENT" in x or "UNSEEN" in x for x in out)


def test_rfc9051_6_3_3_examine_is_read_only(world):
    s = world.session()
    out = s.lines("a EXAMINE INBOX")
    assert out[-1] == "a OK [READ-ONLY] EXAMINE completed"
    assert "* OK [PERMANENTFLAGS ()] No permanent flags permitted" in out
    assert s.lines("b STORE 1:* +FLAGS (\\Seen)")[-1].startswith("b NO [READ-ONLY]")


def test_rfc9051_6_3_2_failed_select_leaves_no_mailbox_selected(world):
    s = world.session(select="INBOX")
    out = s.lines("a SELECT Nowhere")
    assert out == ["* OK [CLOSED] Previous mailbox is now closed",
                   "a NO [NONEXISTENT] Mailbox Nowhere does not exist"]
    assert s.state == S.AUTHENTICATED


def test_rfc9051_6_3_4_create_and_already_exists(world):
    s = world.session()
    assert s.lines("a CREATE Projects/2026") == ["a OK CREATE completed"]
    assert s.lines("b CREATE Projects/2026") == ["b NO [ALREADYEXISTS] Mailbox Projects/2026 already exists"]
    assert s.lines("c CREATE inbox")[0].startswith("c NO [ALREADYEXISTS]")
    assert "Projects/2026" in world.store.folders("bob@example.net")


def test_rfc9051_6_3_5_delete_and_6_3_6_rename(world):
    s = world.session()
    s.send("a CREATE Old")
    assert s.lines("b RENAME Old New") == ["b OK RENAME completed"]
    assert s.lines("c RENAME Old Other") == ["c NO [NONEXISTENT] Mailbox Old does not exist"]
    assert s.lines("d RENAME New Sent")[0].startswith("d NO [ALREADYEXISTS]")
    assert s.lines("e DELETE New") == ["e OK DELETE completed"]
    assert s.lines("f DELETE New")[0].startswith("f NO [NONEXISTENT]")
    assert s.lines("g DELETE INBOX")[0].startswith("g NO [CANNOT]")


def test_rfc9051_6_3_9_list_patterns_and_attributes(world):
    s = world.session()
    s.send("a CREATE Work/Reports")
    out = s.lines('b LIST "" %')
    assert '* LIST (\\HasNoChildren) "/" "INBOX"' in out
    assert '* LIST (\\HasChildren) "/" "Work"' in out
    assert not any("Work/Reports" in x for x in out)  # % stops at the delimiter
    assert '* LIST (\\HasNoChildren \\Sent) "/" "Sent"' in out  # RFC 6154 2
    out = s.lines('c LIST "Work/" *')
    assert out == ['* LIST (\\HasNoChildren) "/" "Work/Reports"', "c OK LIST completed"]
    assert s.lines('d LIST "" ""') == ['* LIST (\\Noselect) "/" ""', "d OK LIST completed"]
    assert s.lines('e LIST "" inbox')[0] == '* LIST (\\HasNoChildren) "/" "INBOX"'


def test_rfc5258_list_extended_selection_and_return_options(world):
    s = world.session()
    s.send("a SUBSCRIBE Sent")
    out = s.lines('b LIST (SUBSCRIBED) "" *')
    assert out == ['* LIST (\\HasNoChildren \\Subscribed \\Sent) "/" "Sent"', "b OK LIST completed"]
    out = s.lines('c LIST (SPECIAL-USE) "" *')
    assert {x.rsplit(" ", 1)[-1] for x in out[:-1]} == {'"Sent"', '"Drafts"', '"Junk"', '"Trash"'}
    out = s.lines('d LIST "" * RETURN (SUBSCRIBED CHILDREN)')
    assert '* LIST (\\HasNoChildren \\Subscribed \\Sent) "/" "Sent"' in out
    assert s.lines('e LIST (FROB) "" *')[0].startswith("e BAD")


def test_rfc3501_6_3_9_lsub(world):
    s = world.session()
    s.send("a SUBSCRIBE INBOX")
    assert s.lines('b LSUB "" *') == ['* LSUB () "/" "INBOX"', "b OK LSUB completed"]
    assert s.lines("c UNSUBSCRIBE INBOX") == ["c OK UNSUBSCRIBE completed"]
    assert s.lines('d LSUB "" *') == ["d OK LSUB completed"]


def test_rfc9051_6_3_11_status(world):
    world.deliver("one")
    world.deliver("two")
    s = world.session()
    out = s.lines("a STATUS INBOX (MESSAGES UIDNEXT UNSEEN DELETED SIZE)")
    size = sum(m.size for m in world.store.folder("bob@example.net").messages)
    assert out[0] == f'* STATUS "INBOX" (MESSAGES 2 UIDNEXT 3 UNSEEN 2 DELETED 0 SIZE {size})'
    assert s.lines("b STATUS Nowhere (MESSAGES)")[0].startswith("b NO [NONEXISTENT]")
    assert s.lines("c STATUS INBOX (COLOUR)")[0].startswith("c BAD")


def test_rfc9051_6_3_12_append_with_flags_date_and_appenduid(world):
    s = world.session()
    msg = b"Subject: draft\r\n\r\nbody\r\n"
    out = s.lines(f'a APPEND Drafts (\\Draft \\Seen) "17-Jul-1996 02:44:25 -0700" {{{len(msg)}}}')
    assert out == ["+ Ready for literal data"]
    out = s.lines(msg + b"\r\n")
    validity = world.store.folder("bob@example.net", "Drafts").uid_validity
    assert out == [f"a OK [APPENDUID {validity} 1] APPEND completed"]
    stored = world.store.folder("bob@example.net", "Drafts").messages[0]
    assert stored.data == msg and stored.flags == {"\\Draft", "\\Seen"}
    assert stored.internal_date == 837596665.0


def test_rfc9051_6_3_12_append_to_a_missing_mailbox_says_trycreate(world):
    s = world.session()
    out = s.lines(b"a APPEND Nowhere {3+}\r\nabc\r\n")
    assert out == ["a NO [TRYCREATE] Mailbox Nowhere does not exist"]


def test_rfc7889_append_over_the_limit_is_no_toobig_without_continuation(world):
    s = world.session(append_limit=100)
    assert "APPENDLIMIT=100" in s.lines("c CAPABILITY")[0]
    out = s.lines("a APPEND INBOX {500}")
    assert out[0].startswith("a NO [TOOBIG]") and len(out) == 1


def test_rfc9051_6_3_10_namespace_and_6_3_1_enable(world):
    s = world.session()
    assert s.lines("a NAMESPACE") == ['* NAMESPACE (("" "/")) NIL NIL', "a OK NAMESPACE completed"]
    assert s.lines("b ENABLE UTF8=ACCEPT FROB") == ["* ENABLED UTF8=ACCEPT", "b OK ENABLE completed"]


def test_before_login_no_message_sized_literal_is_taken(world):
    s = world.session(login=False)
    out = s.lines("a APPEND INBOX {100000}")
    assert out[0].startswith("a NO [TOOBIG]") and "65536" in out[0]  # refused before any octet is sent
    s.login()
    assert s.lines("b APPEND INBOX {100000}") == ["+ Ready for literal data"]
