"""Greeting, any-state commands and the BAD rules (RFC 9051 6.1, 7.1; RFC 2971)."""

from __future__ import annotations

from simulator.protocols.imap import states as S
from simulator.trace import CommandReceived, ReplySent, StateChanged


def test_rfc9051_7_1_1_greeting_is_ok_with_capabilities_never_preauth(world):
    s = world.session(login=False)
    assert s.greeting.startswith(b"* OK [CAPABILITY IMAP4rev2 IMAP4rev1 ")
    assert b"PREAUTH" not in s.greeting
    assert b"AUTH=PLAIN" in s.greeting and b"SASL-IR" in s.greeting and b"LITERAL+" in s.greeting
    assert b"STARTTLS" not in s.greeting and b"LOGINDISABLED" not in s.greeting
    assert s.state == S.NOT_AUTHENTICATED


def test_starttls_is_offered_only_when_the_connection_can_start_tls(world):
    assert b"STARTTLS" in world.session(login=False, starttls=True).greeting
    s = world.session(login=False)
    assert s.lines("t1 STARTTLS") == ["t1 BAD STARTTLS is not offered on this connection"]


def test_rfc9051_6_1_1_capability_untagged_then_tagged_ok(world):
    s = world.session(login=False)
    out = s.lines("a CAPABILITY")
    assert out[0].startswith("* CAPABILITY IMAP4rev2") and out[1] == "a OK CAPABILITY completed"
    s.login()
    caps = s.lines("b CAPABILITY")[0]
    assert "AUTH=PLAIN" not in caps and "IDLE" in caps and "MOVE" in caps


def test_rfc9051_6_1_2_noop_and_6_1_3_logout(world):
    s = world.session(login=False)
    assert s.lines("a NOOP") == ["a OK NOOP completed"]
    assert s.lines("b LOGOUT") == ["* BYE IMAP4rev2 server logging out", "b OK LOGOUT completed"]
    assert s.state == S.LOGOUT and s.server.closed
    assert s.send("c NOOP") == b""  # nothing after LOGOUT


def test_rfc2971_id(world):
    s = world.session(login=False)
    out = s.lines('a ID ("name" "Thunderbird" "version" "128")')
    assert out[0].startswith('* ID ("name" "mailsim"') and out[1] == "a OK ID completed"
    assert s.lines("b ID NIL")[-1] == "b OK ID completed"
    assert s.lines('c ID ("odd")')[-1].startswith("c BAD")


def test_rfc9051_7_1_3_unknown_command_and_wrong_state_are_bad(world):
    s = world.session(login=False)
    assert s.lines("a FROB") == ["a BAD Unknown command FROB"]
    out = s.lines("b SELECT INBOX")
    assert out[0].startswith("b BAD SELECT is not valid in the not authenticated state")
    s.login()
    assert s.lines("c FETCH 1 FLAGS")[0].startswith("c BAD FETCH is not valid in the authenticated state")
    assert s.lines("d LOGIN x y")[0].startswith("d BAD")


def test_rfc9051_7_1_3_untagged_bad_when_no_tag_can_be_read(world):
    s = world.session(login=False)
    assert s.lines("\r\n") == ["* BAD Missing or invalid tag"]
    assert s.lines("+ NOOP")[0].startswith("* BAD")


def test_trace_keeps_the_tag_in_command_and_reply(world):
    s = world.session(login=False)
    s.send("x7 NOOP")
    cmd = [e for e in s.events if isinstance(e, CommandReceived)][-1]
    reply = [e for e in s.events if isinstance(e, ReplySent)][-1]
    assert (cmd.machine, cmd.verb, cmd.argument) == ("imap.server", "NOOP", "[x7]")
    assert (reply.code, reply.text) == ("x7 OK", ("NOOP completed",))
    greeting = [e for e in s.events if isinstance(e, ReplySent)][0]
    assert greeting.code == "* OK"


def test_state_changes_are_rows_of_the_table(world):
    s = world.session(select="INBOX")
    s.send("z LOGOUT")
    for e in s.events:
        if isinstance(e, StateChanged):
            trigger = e.trigger.removesuffix(" refused")
            assert S.SERVER_TABLE.lookup(e.from_state, trigger) is not None, e


def test_too_many_bad_commands_end_the_session_with_bye(world):
    s = world.session(login=False, max_errors=3)
    s.send("a FROB")
    s.send("b FROB")
    out = s.lines("c FROB")
    assert out == ["c BAD Unknown command FROB", "* BYE Too many invalid commands"]
    assert s.server.closed


def test_rfc9051_5_4_autologout_timer_says_bye_and_closes(world):
    s = world.session()
    s.server.timeout()
    assert s.server.data_to_send() == b"* BYE Autologout; idle for too long\r\n"
    assert s.server.closed
    s2 = world.session()
    s2.server.shutdown()
    assert s2.server.data_to_send().startswith(b"* BYE [UNAVAILABLE]")


def test_peer_closing_ends_the_session_silently(world):
    s = world.session(select="INBOX")
    assert s.send(b"") == b""
    assert s.server.closed
