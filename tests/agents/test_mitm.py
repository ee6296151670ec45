"""The man in the middle on a link: STARTTLS stripping against both client policies, and injection."""

from __future__ import annotations

import base64

import pytest

from simulator.scenario.models import Scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import (
    C2S,
    S2C,
    BytesSent,
    CommandReceived,
    ReplySent,
    TlsRecord,
    TlsStarted,
    WireAltered,
)

WORLD = {"tls": {"starttls": True}, "submission": {"auth": True, "plaintext_auth": True}}
MITM = {"between": ["alice-laptop", "mail.example.org"]}


def _send(tls: str, **extra) -> dict:
    return {"id": f"send-{tls}", "action": "send_message", "from": "alice-laptop", "sender": "alice@example.org",
            "to": ["bob@example.net"], "subject": "Hi", "body": "hello", "tls": tls, **extra}


def _run(steps: list[dict], world: dict | None = None):
    return run_scenario(Scenario.model_validate({"id": "t", "title": "t", "world": world or WORLD,
                                                 "steps": steps}))


def _c2s(trace) -> list[bytes]:
    return [e.plaintext for e in trace.events if isinstance(e, BytesSent) and e.direction == C2S and e.plaintext]


def test_the_client_receives_the_ehlo_reply_without_starttls():
    run = _run([_send("opportunistic")], {**WORLD, "mitm": MITM})
    [altered] = run.trace.of_type(WireAltered)
    assert altered.direction == S2C and altered.attacker == "mallory-box"
    assert b"250-STARTTLS\r\n" in altered.original
    assert altered.delivered == altered.original.replace(b"250-STARTTLS\r\n", b"")
    assert altered.changes == ("removed 250-STARTTLS",)
    # What the server sent is what the BytesSent just before says; the client got the altered bytes.
    sent = run.trace.events[altered.seq - 1]
    assert isinstance(sent, BytesSent) and sent.plaintext == altered.original


def test_an_opportunistic_client_goes_on_in_plaintext_and_leaks_its_password():
    run = _run([_send("opportunistic")], {**WORLD, "mitm": MITM})
    assert run.ok
    assert not run.trace.of_type(TlsStarted) and not run.trace.of_type(TlsRecord)
    commands = _c2s(run.trace)
    assert b"STARTTLS\r\n" not in commands
    auth = next(c for c in commands if c.startswith(b"AUTH PLAIN "))
    # On the wire as the endpoints wrote it: PLAIN is authzid NUL user NUL password (RFC 4616 2).
    wire = next(e.wire for e in run.trace.of_type(BytesSent) if e.plaintext == auth)
    assert wire == auth
    assert base64.b64decode(auth.split()[2]) == b"\0alice@example.org\0wonderland"
    assert run.world.mailhost_for("alice@example.org").queue  # and the message went


def test_without_the_attacker_the_same_client_logs_in_inside_tls():
    run = _run([_send("opportunistic")])
    assert not run.trace.of_type(WireAltered)
    [started] = run.trace.of_type(TlsStarted)
    auth = next(e for e in run.trace.of_type(BytesSent) if e.plaintext.startswith(b"AUTH PLAIN"))
    assert auth.seq > started.seq and b"AUTH" not in auth.wire  # ciphertext on the wire


def test_a_client_that_requires_tls_quits_and_the_message_is_not_sent():
    step = _send("required", expect={"delivery": {"recipient": "bob@example.net", "outcome": "failed"}})
    run = _run([step], {**WORLD, "mitm": MITM})
    assert run.ok, run.failures
    assert _c2s(run.trace) == [b"EHLO alice-laptop.example.org\r\n", b"QUIT\r\n"]
    assert not run.world.mailhost_for("alice@example.org").queue
    assert any("TLS is required" in getattr(e, "text", "") for e in run.trace.events)


def test_a_mitm_step_takes_effect_from_that_step_on_only():
    run = _run([_send("opportunistic"), {"id": "m", "action": "mitm", **MITM},
                {**_send("opportunistic"), "id": "again"}])
    first, second = (s for s in run.trace.steps() if s.step_id.startswith(("send", "again")))
    events = run.trace.events
    assert not any(isinstance(e, WireAltered) for e in events[first.start:first.end])
    assert any(isinstance(e, WireAltered) for e in events[second.start:second.end])


def test_other_links_are_not_touched():
    run = _run([{"id": "c", "action": "connect", "from": "bob-phone", "to": "mail.example.org", "port": 587},
                {"id": "e", "action": "send", "line": "EHLO bob-phone"}], {**WORLD, "mitm": MITM})
    assert not run.trace.of_type(WireAltered)


INJECT = {**MITM, "strip_starttls": False,
          "inject_after_starttls": ["MAIL FROM:<mallory@evil.example>", "RCPT TO:<mallory@evil.example>"]}


def test_commands_injected_after_starttls_are_discarded_by_the_server():
    run = _run([_send("required")], {**WORLD, "mitm": INJECT})
    assert run.ok
    [altered] = run.trace.of_type(WireAltered)
    injected = b"MAIL FROM:<mallory@evil.example>\r\nRCPT TO:<mallory@evil.example>\r\n"
    assert altered.direction == C2S and altered.delivered == b"STARTTLS\r\n" + injected
    [started] = run.trace.of_type(TlsStarted)
    assert started.discarded == injected and started.replayed == b""
    mails = [e.argument for e in run.trace.of_type(CommandReceived) if e.verb == "MAIL"]
    assert mails == ["FROM:<alice@example.org> SIZE=246"]  # Alice's own, never Mallory's
    rcpts = [e.argument for e in run.trace.of_type(CommandReceived) if e.verb == "RCPT"]
    assert rcpts == ["TO:<bob@example.net>"]


PROBE = [{"id": "c", "action": "connect", "from": "mallory-box", "to": "mx.example.net", "port": 25},
         {"id": "e", "action": "send", "line": "EHLO mallory-box.evil.example"},
         {"id": "p", "action": "send", "lines": ["STARTTLS", "RSET"]},
         {"id": "e2", "action": "send", "line": "EHLO mallory-box.evil.example"}]


@pytest.mark.parametrize("vulnerable", [False, True])
def test_the_starttls_rset_probe(vulnerable):
    world = {"tls": {"starttls": True, "vulnerable_starttls": ["mx.example.net"] if vulnerable else []}}
    steps = [*PROBE[:2], {**PROBE[2], "expect": {"replies": [220, 250] if vulnerable else [220]}},
             {**PROBE[3], "expect": {"replies": [250]}}]
    run = _run(steps, world)
    assert run.ok, run.failures
    [started] = run.trace.of_type(TlsStarted)
    assert (started.replayed, started.discarded) == ((b"RSET\r\n", b"") if vulnerable else (b"", b"RSET\r\n"))
    resets = [e for e in run.trace.of_type(CommandReceived) if e.verb == "RSET"]
    assert len(resets) == (1 if vulnerable else 0)
    if vulnerable:  # answered inside TLS: its bytes are a record on the wire, not plaintext
        reply = next(e for e in run.trace.of_type(ReplySent) if e.seq > resets[0].seq)
        out = next(e for e in run.trace.of_type(BytesSent) if e.seq > reply.seq and e.direction == S2C)
        assert out.plaintext == b"250 2.0.0 Reset OK\r\n" and out.wire != out.plaintext


def test_a_real_client_is_put_out_of_step_by_a_vulnerable_server():
    world = {**WORLD, "tls": {"starttls": True, "vulnerable_starttls": ["mail.example.org"]},
             "submission": {"auth": True}, "mitm": {**MITM, "strip_starttls": False, "inject_after_starttls": ["RSET"]}}
    run = _run([_send("required")], world)
    # The client reads the RSET's one-line 250 as its EHLO reply: no AUTH offered, so it gives up.
    assert not run.world.mailhost_for("alice@example.org").queue
    assert any("does not offer AUTH" in getattr(e, "text", "") for e in run.trace.events)
