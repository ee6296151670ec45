"""The eavesdropper on a link: what it decodes from the wire bytes without TLS, and that under TLS it sees records."""

from __future__ import annotations

import base64

import pytest

from simulator.scenario.models import Scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import C2S, S2C, BytesSent, Sniffed

SUBMISSION = {"auth": True, "plaintext_auth": True}
RELAY = {"id": "relay", "action": "run_queue"}
EAVE = {"link": ["alice-laptop", "mail.example.org"]}


def _send(tls: str, **extra) -> dict:
    return {"id": f"send-{tls}", "action": "send_message", "from": "alice-laptop", "sender": "alice@example.org",
            "to": ["bob@example.net"], "subject": "Lunch", "body": "Meet at noon.", "tls": tls, **extra}


def _run(steps: list[dict], **world):
    world = {"tls": {"starttls": True}, "submission": SUBMISSION, "eavesdropper": EAVE, **world}
    return run_scenario(Scenario.model_validate({"id": "t", "title": "t", "world": world, "steps": steps}))


def _sniffed(run, what: str) -> list[Sniffed]:
    return [e for e in run.trace.of_type(Sniffed) if e.what == what]


def _wire(run, conn: str, direction: str) -> list[bytes]:
    return [e.wire for e in run.trace.of_type(BytesSent) if e.conn == conn and e.direction == direction]


def test_auth_plain_on_a_plaintext_link_gives_away_the_password():
    run = _run([_send("none")])
    assert run.ok, run.failures
    [login] = _sniffed(run, "login")
    assert (login.how, login.user, login.secret) == ("AUTH PLAIN", "alice@example.org", "wonderland")
    assert login.attacker == "mallory-box" and login.direction == C2S
    # The secret came from the wire: the AUTH PLAIN line the client put there, base64 of NUL user NUL password.
    line = next(w for w in _wire(run, login.conn, C2S) if w.startswith(b"AUTH PLAIN "))
    assert base64.b64decode(line.split()[2]) == b"\0alice@example.org\0wonderland"
    assert line.split()[2].decode() in login.text
    assert not _sniffed(run, "tls") and not _sniffed(run, "records")


def test_auth_login_sends_user_and_password_in_two_base64_lines():
    run = _run([_send("none", auth={"mechanism": "LOGIN"})])
    assert run.ok, run.failures
    [login] = _sniffed(run, "login")
    assert (login.how, login.user, login.secret) == ("AUTH LOGIN", "alice@example.org", "wonderland")


def test_cram_md5_leaks_the_user_name_but_not_the_password():
    run = _run([_send("none", auth={"mechanism": "CRAM-MD5"})])
    assert run.ok, run.failures
    [login] = _sniffed(run, "login")
    assert (login.user, login.secret) == ("alice@example.org", "")
    assert "wonderland" not in login.text


def test_the_message_text_is_read_as_it_crossed():
    run = _run([_send("none")])
    [message] = _sniffed(run, "message")
    assert message.how == "SMTP DATA" and message.direction == C2S
    assert "Subject: Lunch\r\n" in message.text and "Meet at noon." in message.text
    # Exactly the text between DATA's 354 and the final dot, as it was on the wire.
    wire = b"".join(_wire(run, message.conn, C2S))
    assert message.text.encode() + b".\r\n" in wire


def test_under_starttls_it_sees_only_records():
    run = _run([_send("required")])
    assert run.ok, run.failures
    assert not _sniffed(run, "login") and not _sniffed(run, "message")
    [began] = _sniffed(run, "tls")
    records = _sniffed(run, "records")
    assert records and all("wonderland" not in r.text and "Lunch" not in r.text for r in records)
    # What it says of each record is the record headers on the wire: type and length, nothing more.
    for direction in (C2S, S2C):
        said = [part for r in records if r.direction == direction for part in r.text.split(", ")]
        wire = b"".join(w for w in _wire(run, began.conn, direction) if w[:1] in (b"\x14", b"\x15", b"\x16", b"\x17"))
        headers, i = [], 0
        while i < len(wire):
            length = int.from_bytes(wire[i + 3:i + 5], "big")
            headers.append(f"{ {20: 'change_cipher_spec', 21: 'alert', 22: 'handshake', 23: 'application_data'}[wire[i]]} {length} B".strip())
            i += 5 + length
        assert said == headers


def test_connections_off_the_link_are_not_captured():
    run = _run([_send("none")], eavesdropper={"link": ["bob-laptop", "mx.example.net"]})
    assert run.ok and not run.trace.of_type(Sniffed)


def test_either_end_may_come_first():
    run = _run([_send("none")], eavesdropper={"link": ["mail.example.org", "alice-laptop"]})
    assert [e.secret for e in _sniffed(run, "login")] == ["wonderland"]


def test_the_eavesdropper_changes_nothing():
    def traffic(run):
        return [(e.conn, e.direction, e.plaintext, e.wire) for e in run.trace.of_type(BytesSent)]

    world = {"tls": {"starttls": True}, "submission": SUBMISSION}
    quiet = run_scenario(Scenario.model_validate({"id": "t", "title": "t", "world": world, "steps": [_send("none")]}))
    heard = _run([_send("none")])
    assert traffic(heard) == traffic(quiet)


@pytest.mark.parametrize(("step", "how"), [
    ({"action": "open_mailbox", "from": "bob-phone", "conn": "phone"}, "IMAP LOGIN"),
    ({"action": "open_mailbox", "from": "bob-phone", "conn": "phone", "authenticate": "PLAIN"},
     "IMAP AUTHENTICATE PLAIN"),
    ({"action": "check_mail", "from": "bob-laptop"}, "POP3 USER/PASS"),
    ({"action": "check_mail", "from": "bob-laptop", "login": "PLAIN"}, "AUTH PLAIN"),
])
def test_mailbox_logins_are_decoded(step, how):
    run = _run([_send("none"), RELAY, {"id": "read", **step}], eavesdropper={"link": [step["from"], "mx.example.net"]})
    assert run.ok, run.failures
    [sniffed] = _sniffed(run, "login")
    assert (sniffed.how, sniffed.user, sniffed.secret) == (how, "bob@example.net", "builder")


def test_a_pop3_download_is_read_by_the_eavesdropper():
    run = _run([_send("none"), RELAY, {"id": "read", "action": "check_mail", "from": "bob-laptop"}],
               eavesdropper={"link": ["bob-laptop", "mx.example.net"]})
    [message] = _sniffed(run, "message")
    assert message.how == "POP3 RETR" and message.direction == S2C and "Subject: Lunch" in message.text
