"""Logging in: LOGIN (RFC 9051 6.2.3) and AUTHENTICATE PLAIN (6.2.2, RFC 4616, SASL-IR RFC 4959)."""

from __future__ import annotations

import base64

from simulator.protocols.imap import states as S
from simulator.protocols.imap.responses import Status

PLAIN = base64.b64encode(b"\0bob@example.net\0builder").decode()


def test_rfc9051_6_2_3_login_ok_with_capabilities(world):
    s = world.session(login=False)
    out = s.lines("a LOGIN bob@example.net builder")
    assert out[0].startswith("a OK [CAPABILITY IMAP4rev2") and "logged in as bob@example.net" in out[0]
    assert s.state == S.AUTHENTICATED


def test_login_accepts_quoted_strings_and_literals(world):
    s = world.session(login=False)
    assert s.lines('a LOGIN "bob@example.net" {7}') == ["+ Ready for literal data"]
    assert s.lines("builder")[0].startswith("a OK")


def test_rfc9051_6_2_3_wrong_password_is_no_authenticationfailed(world):
    s = world.session(login=False)
    assert s.lines("a LOGIN bob@example.net wrong") == ["a NO [AUTHENTICATIONFAILED] Wrong user name or password"]
    assert s.state == S.NOT_AUTHENTICATED
    assert s.lines("b LOGIN bob@example.net")[0].startswith("b BAD")


def test_rfc9051_6_2_2_authenticate_plain_with_a_challenge(world):
    s = world.session(login=False)
    assert s.lines("a AUTHENTICATE PLAIN") == ["+ "]
    assert s.state == S.AUTHENTICATING
    out = s.lines(PLAIN)
    assert out[0].startswith("a OK [CAPABILITY") and s.state == S.AUTHENTICATED


def test_rfc4959_sasl_ir_initial_response(world):
    s = world.session(login=False)
    assert s.lines(f"a AUTHENTICATE PLAIN {PLAIN}")[0].startswith("a OK [CAPABILITY")
    assert s.state == S.AUTHENTICATED


def test_rfc9051_6_2_2_cancel_with_star_is_bad(world):
    s = world.session(login=False)
    s.send("a AUTHENTICATE PLAIN")
    assert s.lines("*") == ["a BAD AUTHENTICATE cancelled by the client (RFC 9051 6.2.2)"]
    assert s.state == S.NOT_AUTHENTICATED


def test_authenticate_failures(world):
    s = world.session(login=False)
    s.send("a AUTHENTICATE PLAIN")
    assert s.lines("!!notbase64")[0].startswith("a BAD")
    bad = base64.b64encode(b"\0bob@example.net\0nope").decode()
    assert s.lines(f"b AUTHENTICATE PLAIN {bad}")[0].startswith("b NO [AUTHENTICATIONFAILED]")
    assert s.lines("c AUTHENTICATE CRAM-MD5")[0].startswith("c NO [CANNOT] Unsupported")
    assert s.state == S.NOT_AUTHENTICATED


def test_a_fault_replaces_the_login_answer(world):
    world.policy.faults["LOGIN"] = Status("*", "NO", "Try later", "UNAVAILABLE")
    s = world.session(login=False)
    assert s.lines("a LOGIN bob@example.net builder") == ["a NO [UNAVAILABLE] Try later"]
    assert s.state == S.NOT_AUTHENTICATED


def test_rfc9051_6_2_1_starttls_asks_the_connection_for_tls_and_drops_pipelined_plaintext(world):
    from simulator.protocols.machine import StartTls

    s = world.session(login=False, starttls=True)
    assert s.lines(b"a STARTTLS\r\nb LOGIN bob@example.net builder\r\n") == ["a OK Begin TLS negotiation now"]
    assert s.state == S.EXPECT_TLS
    [control] = s.server.take_controls()
    assert isinstance(control, StartTls) and control.leftover == b"b LOGIN bob@example.net builder\r\n"
    s.server.tls_established()
    assert s.state == S.NOT_AUTHENTICATED
    caps = s.lines("c CAPABILITY")[0]
    assert "STARTTLS" not in caps  # RFC 9051 6.2.1: not offered again over TLS
