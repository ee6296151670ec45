"""The SMTP client's STARTTLS (RFC 3207) and AUTH (RFC 4954), driven reply by reply."""

from __future__ import annotations

import base64

import pytest

from simulator.protocols import sasl
from simulator.protocols.machine import StartTls
from simulator.protocols.smtp import states as S
from simulator.protocols.smtp.client import OutgoingMessage, SmtpClient

MSG = OutgoingMessage("alice@example.org", ["bob@example.net"], b"Subject: hi\r\n\r\nhello\r\n")
EHLO_TLS = b"250-mail.example.org\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
EHLO_AUTH = b"250-mail.example.org\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256\r\n"
EHLO_PLAIN = b"250-mail.example.org\r\n250 PIPELINING\r\n"


def client(tls: str = "none", mechanism: str | None = None, password: str = "wonderland") -> SmtpClient:
    auth = sasl.client_mechanism(mechanism, "alice@example.org", password, nonce="abc") if mechanism else None
    c = SmtpClient("alice-laptop.example.org", [MSG], tls=tls, auth=auth)
    c.receive_data(b"220 mail.example.org ESMTP\r\n")
    assert c.data_to_send() == b"EHLO alice-laptop.example.org\r\n"
    return c


def test_rfc3207_4_opportunistic_sends_starttls_and_asks_the_connection_for_tls():
    c = client("opportunistic")
    c.receive_data(EHLO_TLS)
    assert c.data_to_send() == b"STARTTLS\r\n" and c.state == S.C_EXPECT_STARTTLS_REPLY
    c.receive_data(b"220 2.0.0 Ready to start TLS\r\n")
    assert c.state == S.C_EXPECT_TLS and c.data_to_send() == b""
    assert [type(x) for x in c.take_controls()] == [StartTls]
    c.tls_established()
    assert c.tls_active and c.extensions == {}
    assert c.data_to_send() == b"EHLO alice-laptop.example.org\r\n"  # RFC 3207 4.2: EHLO again


def test_rfc3207_4_opportunistic_without_starttls_goes_on_in_plaintext():
    c = client("opportunistic")
    c.receive_data(EHLO_PLAIN)
    assert c.data_to_send().startswith(b"MAIL FROM:<alice@example.org>")


def test_rfc3207_4_required_without_starttls_quits_and_fails_the_message():
    c = client("required")
    c.receive_data(EHLO_PLAIN)
    assert c.data_to_send() == b"QUIT\r\n"
    assert "TLS is required" in c.error
    assert [r.outcome for r in c.results[0].recipients] == ["failed"]


def test_rfc3207_4_a_454_to_starttls_opportunistic_ehlos_again_required_quits():
    c = client("opportunistic")
    c.receive_data(EHLO_TLS)
    c.data_to_send()
    c.receive_data(b"454 4.7.0 TLS not available due to temporary reason\r\n")
    assert c.data_to_send() == b"EHLO alice-laptop.example.org\r\n"
    c.receive_data(EHLO_TLS)
    assert c.data_to_send().startswith(b"MAIL FROM:")  # no second STARTTLS
    c = client("required")
    c.receive_data(EHLO_TLS)
    c.data_to_send()
    c.receive_data(b"454 4.7.0 TLS not available due to temporary reason\r\n")
    assert c.data_to_send() == b"QUIT\r\n"


def test_rfc3207_4_1_failed_handshake_closes_with_the_reason():
    c = client("required")
    c.receive_data(EHLO_TLS)
    c.data_to_send()
    c.receive_data(b"220 2.0.0 Ready\r\n")
    c.tls_failed("certificate has expired")
    assert c.closed and "certificate has expired" in c.error
    assert [r.outcome for r in c.results[0].recipients] == ["deferred"]


def test_rfc4954_4_auth_plain_with_initial_response_then_mail():
    c = client(mechanism="PLAIN")
    c.receive_data(EHLO_AUTH)
    blob = base64.b64encode(b"\0alice@example.org\0wonderland").decode()
    assert c.data_to_send() == f"AUTH PLAIN {blob}\r\n".encode()
    c.receive_data(b"235 2.7.0 Authentication successful\r\n")
    assert c.authenticated and c.data_to_send().startswith(b"MAIL FROM:")


def test_rfc4954_4_login_answers_each_334():
    c = client(mechanism="LOGIN")
    c.receive_data(EHLO_AUTH)
    assert c.data_to_send() == b"AUTH LOGIN\r\n"
    c.receive_data(b"334 VXNlcm5hbWU6\r\n")
    assert c.data_to_send() == base64.b64encode(b"alice@example.org") + b"\r\n"
    c.receive_data(b"334 UGFzc3dvcmQ6\r\n")
    assert c.data_to_send() == b"d29uZGVybGFuZA==\r\n"


def test_rfc4954_4_535_ends_the_session():
    c = client(mechanism="PLAIN", password="guess")
    c.receive_data(EHLO_AUTH)
    c.data_to_send()
    c.receive_data(b"535 5.7.8 Authentication credentials invalid\r\n")
    assert c.data_to_send() == b"QUIT\r\n" and not c.authenticated
    assert c.results[0].recipients[0].reply.code == 535


def test_rfc4954_4_mechanism_not_offered_quits_without_sending_credentials():
    c = client(mechanism="PLAIN")
    c.receive_data(b"250-mail.example.org\r\n250 AUTH CRAM-MD5 SCRAM-SHA-256\r\n")
    assert c.data_to_send() == b"QUIT\r\n"
    assert "does not offer AUTH PLAIN" in c.error


def test_rfc4954_4_client_cancels_with_star_when_the_scram_server_cannot_prove_itself():
    c = client(mechanism="SCRAM-SHA-256")
    c.receive_data(EHLO_AUTH)
    assert c.data_to_send().startswith(b"AUTH SCRAM-SHA-256 " + base64.b64encode(b"n,,n=alice@example.org,r=abc"))
    server_first = b"r=abcdef,s=" + base64.b64encode(b"salt") + b",i=4096"
    c.receive_data(b"334 " + base64.b64encode(server_first) + b"\r\n")
    assert c.data_to_send().startswith(base64.b64encode(b"c=biws,r=abcdef,p=")[:20])
    c.receive_data(b"334 " + base64.b64encode(b"v=" + base64.b64encode(b"\0" * 32)) + b"\r\n")
    assert c.data_to_send() == b"*\r\n" and "signature" in c.error
    c.receive_data(b"501 5.7.0 Authentication cancelled\r\n")
    assert c.data_to_send() == b"QUIT\r\n"


def test_rfc5802_9_235_without_the_server_signature_is_not_trusted():
    c = client(mechanism="SCRAM-SHA-256")
    c.receive_data(EHLO_AUTH)
    c.data_to_send()
    c.receive_data(b"334 " + base64.b64encode(b"r=abcdef,s=c2FsdA==,i=4096") + b"\r\n")
    c.data_to_send()
    c.receive_data(b"235 2.7.0 ok\r\n")
    assert c.data_to_send() == b"QUIT\r\n" and not c.authenticated


def test_helo_fallback_with_required_tls_quits():
    c = client("required")
    c.receive_data(b"502 5.5.1 no EHLO\r\n")
    assert c.data_to_send() == b"HELO alice-laptop.example.org\r\n"
    c.receive_data(b"250 mail.example.org\r\n")
    assert c.data_to_send() == b"QUIT\r\n"


def test_unknown_tls_policy_is_refused():
    with pytest.raises(ValueError, match="TLS policy"):
        SmtpClient("x", tls="sometimes")
