"""Pop3Server, one command and one error path at a time, named after the RFC sections."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from simulator.protocols.pop3 import states as S
from simulator.protocols.pop3.replies import err
from simulator.protocols.pop3.server import COMMAND_LINE_LIMIT
from simulator.trace import CommandReceived, ReplySent, StateChanged

SIZES = (64, 65)  # the octets of MESSAGES with CRLF line ends


# --- RFC 1939 4: the greeting and AUTHORIZATION ----------------------------------------------


def test_rfc1939_4_greeting_is_positive_and_carries_the_apop_timestamp(pop3):
    run = pop3.run_server()
    assert run.output == f"+OK mx.example.net POP3 server ready {pop3.STAMP}\r\n".encode()
    assert run.sent == [ReplySent(machine="pop3.server", code="+OK",
                                  text=(f"mx.example.net POP3 server ready {pop3.STAMP}",))]
    assert run.state == S.AUTHORIZATION
    # poplib finds the timestamp with this pattern (Lib/poplib.py, POP3.timestamp)
    assert re.match(rb"\+OK.[^<]*(<.*>)", run.output.rstrip()).group(1) == pop3.STAMP.encode()


def test_rfc1939_4_no_timestamp_no_apop(pop3):
    run = pop3.run_server("APOP bob@example.net " + "0" * 32, apop_timestamp="")
    assert run.output.startswith(b"+OK mx.example.net POP3 server ready\r\n")
    assert run.last.status == "-ERR" and "APOP is not offered" in run.last.line
    assert run.state == S.AUTHORIZATION


def test_rfc1939_4_quit_in_authorization_signs_off_without_update(pop3):
    run = pop3.run_server("QUIT")
    assert run.last.line == "mx.example.net POP3 server signing off"
    assert run.state == S.CLOSED and run.server.take_controls()[-1].reason == "QUIT"
    assert run.store.count(pop3.BOB) == 2


@pytest.mark.parametrize("line", ["STAT", "LIST", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 0", "UIDL"])
def test_rfc1939_4_transaction_commands_are_refused_before_login(pop3, line):
    run = pop3.run_server(line)
    verb = line.split()[0]
    assert run.last.status == "-ERR"
    assert run.last.line == f"{verb} is not allowed in the AUTHORIZATION state: log in first (USER and PASS, APOP or AUTH)"
    assert run.state == S.AUTHORIZATION and run.states == []


# --- RFC 1939 7: USER and PASS ---------------------------------------------------------------


def test_rfc1939_7_user_then_pass_opens_and_locks_the_maildrop(pop3):
    run = pop3.run_server("USER bob@example.net")
    assert run.last.line == "send PASS" and run.state == S.EXPECT_PASS
    run.send("PASS builder")
    assert run.last.status == "+OK"
    assert run.last.line == f"bob@example.net's maildrop has 2 messages ({sum(SIZES)} octets)"
    assert run.state == S.TRANSACTION
    assert run.store.locked(pop3.BOB)
    assert [(e.from_state, e.to_state, e.trigger) for e in run.states] == [
        (S.AUTHORIZATION, S.EXPECT_PASS, "USER"), (S.EXPECT_PASS, S.TRANSACTION, "PASS")]


def test_rfc1939_7_pass_is_faithful_in_the_trace(pop3):
    # The lesson of plaintext POP3: the password crosses the wire, and the trace says so.
    run = pop3.logged_in()
    assert run.commands[-1] == CommandReceived(machine="pop3.server", verb="PASS", argument="builder")


def test_rfc1939_7_a_wrong_password_is_auth_and_back_to_authorization(pop3):
    run = pop3.run_server("USER bob@example.net", "PASS wrong")
    assert (run.last.status, run.last.resp_code) == ("-ERR", "AUTH")  # RFC 3206 5
    assert run.output.endswith(b"-ERR [AUTH] invalid user name or password\r\n")
    assert run.state == S.AUTHORIZATION and not run.store.locked(pop3.BOB)
    assert run.states[-1].trigger == "PASS refused"
    run.send("PASS builder")  # USER is forgotten: PASS alone is out of sequence
    assert run.last.line == "PASS is not allowed in the AUTHORIZATION state: send USER first"


def test_rfc1939_7_user_answers_the_same_for_any_name(pop3):
    known = pop3.run_server("USER bob@example.net").last
    unknown = pop3.run_server("USER nobody@example.net").last
    assert known == unknown  # USER must not tell who has a maildrop
    assert pop3.run_server("USER nobody@example.net", "PASS builder").last.resp_code == "AUTH"


def test_rfc1939_7_pass_takes_spaces_as_part_of_the_password(pop3):
    auth = pop3.Auth({pop3.BOB: "two words "})
    run = pop3.run_server("USER bob@example.net", "PASS two words ", auth=auth)
    assert run.state == S.TRANSACTION


def test_rfc1939_7_after_user_only_pass_or_quit(pop3):
    run = pop3.run_server("USER alice@example.org", "USER bob@example.net", "CAPA", "PASS builder")
    assert [r.status for r in run.replies[-3:]] == ["-ERR", "-ERR", "-ERR"]
    assert run.replies[-3].line == "USER is not allowed in the AUTHORIZATION state: after USER only PASS or QUIT"
    assert run.state == S.AUTHORIZATION  # the PASS was alice's, and wrong
    run = pop3.run_server("USER bob@example.net", "QUIT")
    assert run.state == S.CLOSED


@pytest.mark.parametrize("line", ["USER", "USER ", "USER a b", "PASS"])
def test_rfc1939_7_user_and_pass_need_their_argument(pop3, line):
    run = pop3.run_server("USER bob@example.net" if line == "PASS" else "NOOP", line)
    assert run.last.status == "-ERR" and "syntax" in run.last.line
    assert run.state == S.AUTHORIZATION


def test_rfc1939_7_apop_logs_in_with_the_md5_of_timestamp_and_secret(pop3):
    digest = hashlib.md5((pop3.STAMP + "builder").encode()).hexdigest()
    run = pop3.run_server(f"APOP bob@example.net {digest}")
    assert run.last.status == "+OK" and run.state == S.TRANSACTION
    assert run.states == [StateChanged(machine="pop3.server", from_state=S.AUTHORIZATION,
                                       to_state=S.TRANSACTION, trigger="APOP")]


@pytest.mark.parametrize(("line", "why"), [
    ("APOP bob@example.net " + hashlib.md5(b"<other@x>builder").hexdigest(), "AUTH"),
    ("APOP nobody@example.net " + "a" * 32, "AUTH"),
    ("APOP bob@example.net", "syntax"),
    ("APOP bob@example.net xyz", "syntax"),
])
def test_rfc1939_7_apop_refusals(pop3, line, why):
    run = pop3.run_server(line)
    assert run.last.status == "-ERR" and run.state == S.AUTHORIZATION
    assert why in (run.last.resp_code, run.last.line.split(":")[0])


def test_user_pass_can_be_switched_off(pop3):
    run = pop3.run_server("CAPA", "USER bob@example.net", user_pass=False)
    assert b"USER" not in run.replies[-2].body
    assert run.last.status == "-ERR" and run.state == S.AUTHORIZATION


# --- RFC 1939 4: the maildrop lock -----------------------------------------------------------


def test_rfc1939_4_a_second_session_gets_in_use_until_the_first_ends(pop3):
    first = pop3.logged_in()
    second = pop3.run_server("USER bob@example.net", "PASS builder", store=first.store)
    assert (second.last.status, second.last.resp_code) == ("-ERR", "IN-USE")  # RFC 2449 8.1.2
    assert second.output.endswith(b"-ERR [IN-USE] maildrop already locked by another session\r\n")
    assert second.state == S.AUTHORIZATION
    first.send("QUIT")
    assert not first.store.locked(pop3.BOB)
    second.send("USER bob@example.net", "PASS builder")
    assert second.state == S.TRANSACTION


@pytest.mark.parametrize("end", ["peer", "timeout", "shutdown"])
def test_rfc1939_4_the_lock_is_released_however_the_session_ends(pop3, end):
    run = pop3.logged_in()
    {"peer": lambda: run.feed(b""), "timeout": lambda: run.call("timeout"),
     "shutdown": lambda: run.call("shutdown")}[end]()
    assert run.state == S.CLOSED and not run.store.locked(pop3.BOB)


# --- RFC 1939 5: TRANSACTION -------------------------------------------------------------------


def test_rfc1939_5_stat_counts_messages_and_octets(pop3):
    run = pop3.logged_in("STAT")
    assert run.output.endswith(f"+OK 2 {sum(SIZES)}\r\n".encode())


def test_rfc1939_5_list_gives_a_scan_listing_per_message(pop3):
    run = pop3.logged_in("LIST", "LIST 2")
    listing, one = run.replies[-2:]
    assert listing.line == f"2 messages ({sum(SIZES)} octets)"
    assert listing.body == (f"1 {SIZES[0]}".encode(), f"2 {SIZES[1]}".encode())
    assert one.line == f"2 {SIZES[1]}" and one.body is None


@pytest.mark.parametrize(("arg", "text"), [
    ("3", "no such message, only 2 messages in maildrop"), ("0", "no such message, only 2 messages in maildrop"),
    ("x", "x is not a message number"), ("-1", "-1 is not a message number"), ("", "(nothing) is not a message number"),
])
def test_rfc1939_5_a_bad_message_number_is_err(pop3, arg, text):
    run = pop3.logged_in(f"RETR {arg}".rstrip())
    assert (run.last.status, run.last.line) == ("-ERR", text)
    assert run.state == S.TRANSACTION


def test_rfc1939_5_retr_sends_the_message_byte_stuffed(pop3):
    run = pop3.logged_in("RETR 1")
    assert run.output.endswith(
        b"+OK 64 octets\r\nFrom: alice@example.org\r\nSubject: one\r\n\r\nHello Bob\r\n..signature\r\n.\r\n")
    assert run.last.body == tuple(pop3.MESSAGES[0].split(b"\r\n")[:-1])  # the reader unstuffs
    sent = run.sent[-1]
    assert sent.text[0] == "64 octets" and sent.text[-2:] == ("..signature", ".")  # one entry per wire line


def test_rfc1939_5_retr_leaves_flags_alone(pop3):
    run = pop3.logged_in()
    before = set(run.store.folder(pop3.BOB).messages[0].flags)
    run.send("RETR 1")
    assert run.store.folder(pop3.BOB).messages[0].flags == before  # POP3 has no \Seen


def test_rfc1939_5_dele_marks_and_hides_the_message(pop3):
    run = pop3.logged_in("DELE 1", "STAT", "LIST", "RETR 1", "DELE 1", "UIDL", "LIST 1")
    dele, stat, listing, retr, again, uidl, one = run.replies[-7:]
    assert dele.line == "message 1 deleted"
    assert stat.line == f"1 {SIZES[1]}"
    assert listing.body == (f"2 {SIZES[1]}".encode(),)
    assert (retr.status, retr.line) == ("-ERR", "message 1 already deleted")
    assert (again.status, again.line) == ("-ERR", "message 1 already deleted")
    assert [ln.split(b" ")[0] for ln in uidl.body] == [b"2"]
    assert one.status == "-ERR"
    assert run.store.count(pop3.BOB) == 2  # only marked (RFC 1939 6)


def test_rfc1939_5_rset_unmarks(pop3):
    run = pop3.logged_in("DELE 1", "DELE 2", "RSET", "STAT", "QUIT")
    assert run.replies[-3].line == f"maildrop has 2 messages ({sum(SIZES)} octets)"
    assert run.replies[-2].line == f"2 {sum(SIZES)}"
    assert run.store.count(pop3.BOB) == 2


def test_rfc1939_5_noop(pop3):
    run = pop3.logged_in("NOOP")
    assert run.output.endswith(b"\r\n+OK\r\n")


@pytest.mark.parametrize("line", ["STAT 1", "NOOP x", "RSET now", "QUIT please", "CAPA x"])
def test_rfc1939_5_commands_without_arguments_refuse_one(pop3, line):
    run = pop3.logged_in(line)
    assert (run.last.status, run.last.line) == ("-ERR", f"{line.split()[0]} takes no argument")
    assert run.state == S.TRANSACTION


def test_rfc1939_5_the_snapshot_is_fixed_for_the_session(pop3):
    run = pop3.logged_in()
    run.store.deliver(pop3.BOB, b"Subject: late\r\n\r\nlate\r\n", 9.0)
    run.send("STAT")
    assert run.last.line == f"2 {sum(SIZES)}"  # numbers stay as at login
    run.send("QUIT")
    later = pop3.logged_in("STAT", store=run.store)
    assert later.last.line.startswith("3 ")


# --- RFC 1939 7: TOP and UIDL ------------------------------------------------------------------


def test_rfc1939_7_top_sends_headers_blank_line_and_n_body_lines(pop3):
    run = pop3.logged_in("TOP 2 1", "TOP 2 0", "TOP 2 99")
    one, none, all_ = run.replies[-3:]
    assert one.body == (b"From: alice@example.org", b"Subject: two", b"", b"line 1")
    assert none.body == (b"From: alice@example.org", b"Subject: two", b"")
    assert all_.body == tuple(pop3.MESSAGES[1].split(b"\r\n")[:-1])


@pytest.mark.parametrize("line", ["TOP 1", "TOP 1 x", "TOP 1 -1", "TOP", "TOP 1 2 3"])
def test_rfc1939_7_top_syntax(pop3, line):
    run = pop3.logged_in(line)
    assert run.last.status == "-ERR" and run.state == S.TRANSACTION


def test_rfc1939_7_uidl_ids_are_stable_across_sessions_and_deletions(pop3):
    run = pop3.logged_in("UIDL", "UIDL 2")
    listing, one = run.replies[-2:]
    ids = dict(ln.decode().split(" ") for ln in listing.body)
    assert one.line == f"2 {ids['2']}"
    for uid in ids.values():
        assert 1 <= len(uid) <= 70 and all(0x21 <= ord(c) <= 0x7E for c in uid)  # RFC 1939 7
    assert len(set(ids.values())) == 2
    run.send("DELE 1", "QUIT")
    later = pop3.logged_in("UIDL", store=run.store)
    assert later.last.body == (f"1 {ids['2']}".encode(),)  # the same message, renumbered, same id


# --- RFC 1939 6: UPDATE ----------------------------------------------------------------------------


def test_rfc1939_6_quit_in_transaction_removes_the_marked_messages(pop3):
    run = pop3.logged_in("DELE 1", "QUIT")
    assert run.last.line == "mx.example.net POP3 server signing off (1 message left)"
    assert run.store.count(pop3.BOB) == 1
    assert run.store.folder(pop3.BOB).messages[0].data == pop3.MESSAGES[1]
    assert [(e.from_state, e.to_state, e.trigger) for e in run.states[-2:]] == [
        (S.TRANSACTION, S.UPDATE, "QUIT"), (S.UPDATE, S.CLOSED, S.UPDATED)]
    assert not run.store.locked(pop3.BOB)


def test_rfc1939_6_quit_with_everything_deleted_says_empty(pop3):
    run = pop3.logged_in("DELE 1", "DELE 2", "QUIT")
    assert run.last.line.endswith("(maildrop empty)") and run.store.count(pop3.BOB) == 0


@pytest.mark.parametrize("end", ["peer", "timeout", "shutdown"])
def test_rfc1939_6_a_session_that_ends_without_quit_deletes_nothing(pop3, end):
    run = pop3.logged_in("DELE 1", "DELE 2")
    before = run.output
    {"peer": lambda: run.feed(b""), "timeout": lambda: run.call("timeout"),
     "shutdown": lambda: run.call("shutdown")}[end]()
    assert run.state == S.CLOSED
    assert run.store.count(pop3.BOB) == 2
    assert S.UPDATE not in {e.to_state for e in run.states}
    after = run.output[len(before):]
    if end == "timeout":
        assert after == b""  # RFC 1939 3: the autologout timer closes without a response
    elif end == "shutdown":
        assert after == b"-ERR [SYS/TEMP] mx.example.net POP3 server shutting down\r\n"  # RFC 3206 4


def test_rfc1939_6_a_message_removed_meanwhile_does_not_break_update(pop3):
    run = pop3.logged_in("DELE 1")
    uid = run.store.folder(pop3.BOB).messages[0].uid
    run.store.expunge(pop3.BOB, "INBOX", uid)  # e.g. over IMAP
    run.send("QUIT")
    assert run.last.status == "+OK" and run.store.count(pop3.BOB) == 1


def test_after_quit_nothing_more_is_read(pop3):
    run = pop3.logged_in("QUIT", "STAT")
    assert run.state == S.CLOSED and run.last.line.startswith("mx.example.net POP3 server signing off")
    assert run.server.receive_data(b"NOOP\r\n") == [] and run.server.data_to_send() == b""


# --- RFC 2449: CAPA, lengths, response codes -----------------------------------------------------------


def test_rfc2449_5_capa_lists_the_capabilities(pop3):
    run = pop3.run_server("CAPA")
    assert run.last.line == "capability list follows"
    assert run.last.body == (b"TOP", b"USER", b"SASL PLAIN LOGIN", b"RESP-CODES", b"AUTH-RESP-CODE", b"PIPELINING",
                             b"EXPIRE NEVER", b"UIDL", b"IMPLEMENTATION mailsim")
    assert run.state == S.AUTHORIZATION
    assert pop3.logged_in("CAPA").last.body == run.last.body


def test_rfc2595_4_stls_only_where_offered(pop3):
    off = pop3.run_server("CAPA", "STLS")
    assert b"STLS" not in off.replies[-2].body and off.last.status == "-ERR"
    on = pop3.run_server("CAPA", "STLS", stls=True)
    assert on.replies[-2].body[-1] == b"STLS"
    assert on.last.line == "begin TLS negotiation" and on.state == S.EXPECT_TLS
    on.call("tls_established")
    assert on.state == S.AUTHORIZATION and on.server.tls
    on.send("CAPA", "STLS")
    assert b"STLS" not in on.replies[-2].body and on.last.line == "TLS is already active"


def test_rfc2449_4_a_command_line_is_at_most_255_octets(pop3):
    longest = "USER " + "a" * (COMMAND_LINE_LIMIT - 7)
    assert len(longest) + 2 == COMMAND_LINE_LIMIT
    run = pop3.run_server(longest)
    assert run.last.status == "+OK"
    run.send("USER " + "a" * (COMMAND_LINE_LIMIT - 6), "NOOP")
    too_long, noop = run.replies[-2:]
    assert too_long.status == "-ERR" and "255 octets" in too_long.line
    assert noop.status == "-ERR"  # answered in turn: the overlong line cost one response only
    assert run.commands[-2] == CommandReceived(machine="pop3.server", verb="?", argument="(line too long)")


def test_rfc1939_3_unknown_and_unsupported_commands(pop3):
    run = pop3.run_server("XYZZY", "RPOP bob", "", "utf8")
    assert [r.line for r in run.replies[-4:]] == [
        "unknown command XYZZY", "RPOP is not supported by this server",
        "unknown command (empty or unprintable)", "UTF8 is not supported by this server"]
    assert run.state == S.AUTHORIZATION


def test_rfc1939_3_keywords_are_case_insensitive(pop3):
    run = pop3.run_server("user bob@example.net", "pass builder", "stat")
    assert run.state == S.TRANSACTION and run.last.line == f"2 {sum(SIZES)}"


def test_rfc1939_3_a_bare_lf_line_is_answered_not_run(pop3):
    run = pop3.run_server()
    run.feed(b"USER bob@example.net\n")
    assert run.last.status == "-ERR" and "bare LF" in run.last.line
    assert run.state == S.AUTHORIZATION


def test_rfc1939_3_invalid_utf8_is_err(pop3):
    run = pop3.run_server(b"USER \xff\xfe")
    assert (run.last.status, run.last.line) == ("-ERR", "command is not valid UTF-8")


def test_wrong_state_names_the_rfc_state(pop3):
    run = pop3.run_server("USER bob@example.net", "STAT")
    assert run.last.line == "STAT is not allowed in the AUTHORIZATION state: after USER only PASS or QUIT"
    assert run.state == S.EXPECT_PASS
    run = pop3.logged_in("USER bob@example.net")
    assert run.last.line == "USER is not allowed in the TRANSACTION state: already logged in"


# --- RFC 5034: AUTH --------------------------------------------------------------------------


def plain(user: str = "bob@example.net", password: str = "builder") -> str:
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


def test_rfc5034_4_auth_plain_with_an_initial_response(pop3):
    run = pop3.run_server(f"AUTH PLAIN {plain()}")
    assert run.last.status == "+OK" and run.state == S.TRANSACTION
    assert [(e.from_state, e.to_state, e.trigger) for e in run.states] == [
        (S.AUTHORIZATION, S.EXPECT_SASL, "AUTH"), (S.EXPECT_SASL, S.TRANSACTION, S.SASL_OK)]


def test_rfc5034_4_auth_plain_after_an_empty_challenge(pop3):
    run = pop3.run_server("AUTH PLAIN")
    assert run.output.endswith(b"\r\n+ \r\n") and run.state == S.EXPECT_SASL
    assert run.server.valid_inputs() == [S.SASL_RESPONSE, S.SASL_CANCEL]
    run.send(plain())
    assert run.last.status == "+OK" and run.state == S.TRANSACTION
    assert run.commands[-1] == CommandReceived(machine="pop3.server", verb=S.SASL_RESPONSE, argument=plain())


def test_rfc5034_4_star_cancels(pop3):
    run = pop3.run_server("AUTH PLAIN", "*")
    assert (run.last.status, run.last.line) == ("-ERR", "authentication cancelled by the client")
    assert run.state == S.AUTHORIZATION


@pytest.mark.parametrize(("lines", "text"), [
    (["AUTH PLAIN", "not base64!"], "the client response is not valid base64"),
    ([f"AUTH PLAIN {plain(password='wrong')}"], "authentication failed: wrong user name or password"),
    (["AUTH PLAIN ="], "authentication failed: malformed PLAIN message: expected authzid NUL authcid NUL password"),
    (["AUTH PLAIN %%%"], "the client response is not valid base64"),
    (["AUTH CRAM-MD5"], "unsupported authentication mechanism CRAM-MD5"),
    (["AUTH"], "syntax: AUTH mechanism [initial-response]; CAPA lists the mechanisms (SASL)"),
])
def test_rfc5034_4_refusals_end_in_authorization(pop3, lines, text):
    run = pop3.run_server(*lines)
    assert (run.last.status, run.last.line) == ("-ERR", text)
    assert run.state == S.AUTHORIZATION


def test_rfc5034_4_auth_then_in_use(pop3):
    first = pop3.logged_in()
    run = pop3.run_server(f"AUTH PLAIN {plain()}", store=first.store)
    assert run.last.resp_code == "IN-USE" and run.state == S.AUTHORIZATION
    assert run.states[-1].trigger == f"{S.SASL_OK} refused"


def test_rfc5034_4_an_overlong_response_fails_the_exchange_once(pop3):
    run = pop3.run_server("AUTH PLAIN", "A" * 9000, "CAPA")
    too_long, capa = run.replies[-2:]
    assert (too_long.status, too_long.line) == ("-ERR", "the client response is longer than 8192 octets")
    assert capa.status == "+OK" and run.state == S.AUTHORIZATION


def test_rfc5034_4_a_bare_lf_inside_the_exchange_fails_it(pop3):
    run = pop3.run_server("AUTH PLAIN")
    run.feed(plain().encode() + b"\n")
    assert run.last.status == "-ERR" and "bare LF" in run.last.line and run.state == S.AUTHORIZATION


# --- faults and the trace ----------------------------------------------------------------------------


@pytest.mark.parametrize(("stage", "lines"), [
    ("USER", ["USER bob@example.net"]),
    ("PASS", ["USER bob@example.net", "PASS builder"]),
    ("RETR", ["USER bob@example.net", "PASS builder", "RETR 1"]),
    ("DELE", ["USER bob@example.net", "PASS builder", "DELE 1", "STAT"]),
])
def test_a_fault_replaces_the_response_of_its_stage(pop3, stage, lines):
    fault = err("fault injected", "SYS/TEMP")
    run = pop3.run_server(*lines, fault=lambda s: fault if s == stage else None)
    if stage == "DELE":
        assert run.replies[-2] == fault and run.last.line == f"2 {sum(SIZES)}"  # nothing marked
    else:
        assert run.last == fault
    assert run.output.count(b"-ERR [SYS/TEMP] fault injected\r\n") == 1


def test_every_state_change_is_a_row_of_the_table(pop3):
    run = pop3.logged_in("LIST", "RETR 1", "DELE 1", "RSET", "QUIT")
    for e in run.states:
        row = S.SERVER_TABLE.lookup(e.from_state, e.trigger.removesuffix(" refused"))
        assert row is not None and e.to_state in (row.target, row.refused)
    assert {e.code for e in run.sent} == {"+OK"}
