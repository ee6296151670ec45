"""Real clients log in to ``mailsim serve``'s submission with STARTTLS and SMTP AUTH (RFC 3207, RFC 4954).

smtplib's ``starttls()`` + ``login()`` (it picks CRAM-MD5 first, then PLAIN and LOGIN), and
``swaks --tls --auth``, against a world whose submission requires AUTH (RFC 6409 4.3: no
protected subnetwork, so the real client must log in).
"""

from __future__ import annotations

import smtplib
import ssl
import subprocess

import pytest

from simulator.agents.world import DEFAULT_SPEC

WAIT = 10.0
HELO = "smtplib.example"
MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256")
MESSAGE = b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: logged in\r\n\r\nHello.\r\n"


@pytest.fixture
def auth_served(served, tmp_path):
    spec = DEFAULT_SPEC.copy()
    spec.submission_auth = MECHANISMS
    sw = served(spec)
    context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    return sw, sw.port("submission"), context


def test_smtplib_starttls_then_login_cram_md5_first(auth_served):
    sw, port, context = auth_served
    with smtplib.SMTP("127.0.0.1", port, local_hostname=HELO, timeout=WAIT) as client:
        client.ehlo()
        assert client.esmtp_features["auth"].split() == ["CRAM-MD5", "SCRAM-SHA-256"]  # no PLAIN in the clear
        client.starttls(context=context)
        client.ehlo()
        assert client.esmtp_features["auth"].split() == list(MECHANISMS)
        code, _ = client.login("alice@example.org", "wonderland")  # smtplib prefers CRAM-MD5
        assert code == 235
        assert client.sendmail("alice@example.org", ["bob@example.net"], MESSAGE) == {}
    sw.wait_until(lambda: sw.world.mailbox_count("bob@example.net") == 1, "bob has the message")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_smtplib_login_with_each_plaintext_mechanism_over_tls(auth_served, mechanism):
    _, port, context = auth_served
    with smtplib.SMTP("127.0.0.1", port, local_hostname=HELO, timeout=WAIT) as client:
        client.starttls(context=context)
        client.ehlo()
        client.user, client.password = "alice@example.org", "wonderland"
        code, _ = client.auth(mechanism, getattr(client, f"auth_{mechanism.lower()}"))
        assert code == 235


def test_smtplib_wrong_password_535_and_mail_without_login_530(auth_served):
    _, port, context = auth_served
    with smtplib.SMTP("127.0.0.1", port, local_hostname=HELO, timeout=WAIT) as client:
        client.starttls(context=context)
        client.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as info:
            client.login("alice@example.org", "guess")
        assert info.value.smtp_code == 535
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("alice@example.org", ["bob@example.net"], MESSAGE)
        assert refused.value.smtp_code == 530


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_swaks_tls_auth(auth_served, mechanism, os_client, tmp_path):
    _, port, _ = auth_served
    proc = subprocess.run(
        [os_client("swaks"), "--to", "bob@example.net", "--from", "alice@example.org",
         "--server", f"127.0.0.1:{port}", "--tls", "--tls-verify", "--tls-ca-path", str(tmp_path / "ca.pem"),
         "--auth", mechanism, "--auth-user", "alice@example.org", "--auth-password", "wonderland",
         "--helo", "swaks.example", "--timeout", "10"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "235 2.7.0 Authentication successful" in proc.stdout
    assert "250 2.0.0 OK queued as" in proc.stdout
