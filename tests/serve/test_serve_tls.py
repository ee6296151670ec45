"""TLS on ``mailsim serve`` (issue 9 item 7): STARTTLS on the plain ports, implicit TLS on 2465 / 2993 / 2995.

Real clients verify the server's certificate against the virtual CA that
``--ca-out`` wrote, for the names ``localhost`` and ``127.0.0.1``; their own
TLS goes to the virtual server's TLS end (the bytes on the socket are the
wire), and the trace has the records, decoded.
"""

from __future__ import annotations

import imaplib
import poplib
import smtplib
import ssl
import subprocess

import pytest

from simulator.trace import ConnectionOpened, TlsFailed, TlsRecord, TlsStarted

WAIT = 10.0  # seconds any single wait may take
HELO = "smtplib.example"


def trusting(sw) -> ssl.SSLContext:
    """A client context that trusts only the CA certificate mailsim serve wrote (host names checked)."""
    return ssl.create_default_context(cafile=str(sw.bridge.ca_out))


def started(sw) -> list[tuple[str, str]]:
    """How TLS started on each real client's connection, in order: leaving out the ones sw.deliver() made
    and the relay's own STARTTLS to the MX, which serve runs in the virtual world after a submission."""
    def events():
        relayed = {e.conn for e in sw.world.trace.of_type(ConnectionOpened)
                   if e.client_host == "mail.example.org" and e.port == 25}
        return [e for e in sw.world.trace.of_type(TlsStarted) if e.conn not in relayed]
    return [(e.mode, e.layer.split(",")[0]) for e in sw.call(events) if e.conn not in sw.delivery_conns]


def test_ca_out_writes_the_virtual_ca_certificate(served):
    sw = served()
    pem = sw.bridge.ca_out.read_bytes()
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert pem == sw.world.tls.ca.cert_pem()


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1"])
def test_imaplib_imap4_ssl_on_2993(served, name):
    sw = served()
    sw.deliver("Over TLS")
    with imaplib.IMAP4_SSL(name, sw.port("imaps"), ssl_context=trusting(sw), timeout=WAIT) as imap:
        assert "STARTTLS" not in imap.capabilities  # TLS from the first byte (RFC 8314 3.3)
        imap.login("bob@example.net", "builder")
        imap.select("INBOX")
        typ, parts = imap.fetch("1", "(BODY[HEADER.FIELDS (SUBJECT)])")
        assert b"Over TLS" in parts[0][1]
        imap.logout()
    assert started(sw) == [("implicit", "TLSv1.3")]
    records = sw.call(lambda: sw.world.trace.of_type(TlsRecord))
    assert records  # the real client's records, decoded in the trace


def test_imaplib_starttls_on_2143(served):
    sw = served()
    sw.deliver("After STARTTLS")
    with imaplib.IMAP4("127.0.0.1", sw.port("imap"), timeout=WAIT) as imap:
        assert "STARTTLS" in imap.capabilities
        typ, _ = imap.starttls(ssl_context=trusting(sw))
        assert typ == "OK"
        assert "STARTTLS" not in imap.capabilities  # asked again after TLS (RFC 9051 6.2.1)
        imap.login("bob@example.net", "builder")
        typ, [count] = imap.select("INBOX")
        assert count == b"1"
        imap.logout()
    assert started(sw) == [("starttls", "TLSv1.3")]


def test_poplib_pop3_ssl_and_stls(served):
    sw = served()
    sw.deliver("Downloaded over TLS")
    pop = poplib.POP3_SSL("localhost", sw.port("pop3s"), context=trusting(sw), timeout=WAIT)
    assert "STLS" not in pop.capa()
    pop.user("bob@example.net")
    pop.pass_("builder")
    assert b"Subject: Downloaded over TLS" in pop.retr(1)[1]
    pop.quit()
    pop = poplib.POP3("127.0.0.1", sw.port("pop3"), timeout=WAIT)
    assert "STLS" in pop.capa()
    assert pop.stls(context=trusting(sw)).startswith(b"+OK")
    pop.user("bob@example.net")
    pop.pass_("builder")
    assert pop.stat()[0] == 1
    pop.quit()
    assert started(sw) == [("implicit", "TLSv1.3"), ("starttls", "TLSv1.3")]


def test_smtplib_smtp_ssl_on_2465_and_starttls_on_2587(served):
    sw = served()
    message = b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: %s\r\n\r\nSecret.\r\n"
    with smtplib.SMTP_SSL("localhost", sw.port("submissions"), local_hostname=HELO, context=trusting(sw),
                          timeout=WAIT) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:  # RFC 6409 4.3: submission requires AUTH
            client.sendmail("alice@example.org", ["bob@example.net"], message % b"no login")
        assert refused.value.smtp_code == 530
        client.login("alice@example.org", "wonderland")
        assert client.sendmail("alice@example.org", ["bob@example.net"], message % b"implicit") == {}
    with smtplib.SMTP("127.0.0.1", sw.port("submission"), local_hostname=HELO, timeout=WAIT) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert "PLAIN" not in client.esmtp_features.get("auth", "")  # RFC 4954 4: not before TLS
        code, _ = client.starttls(context=trusting(sw))
        assert code == 220
        client.ehlo()
        assert "PLAIN" in client.esmtp_features["auth"]
        client.login("alice@example.org", "wonderland")
        assert client.sendmail("alice@example.org", ["bob@example.net"], message % b"starttls") == {}
    sw.wait_until(lambda: sw.world.mailbox_count("bob@example.net") == 2, "bob has both")
    data = sw.call(lambda: [m.data for m in sw.world.mailhost_for("bob@example.net").store.folder(
        "bob@example.net").messages])
    assert all(b"with ESMTPSA" in d for d in data)  # RFC 3848: the submission hop ran over TLS, logged in
    assert started(sw) == [("implicit", "TLSv1.3"), ("starttls", "TLSv1.3")]


def test_a_client_that_does_not_trust_the_ca_fails_and_the_trace_says_why(served):
    import socket

    sw = served()
    sock = socket.create_connection(("127.0.0.1", sw.port("imaps")), timeout=WAIT)
    tls = ssl.create_default_context().wrap_socket(sock, server_hostname="localhost",
                                                   do_handshake_on_connect=False)
    with pytest.raises(ssl.SSLCertVerificationError):
        tls.do_handshake()
    # The socket stays open until the alert has been read: a close could reset it first.
    sw.wait_until(lambda: sw.world.trace.of_type(TlsFailed), "the failure is in the trace")
    tls.close()
    [failed] = sw.call(lambda: sw.world.trace.of_type(TlsFailed))
    assert failed.mode == "implicit" and "unknown_ca" in failed.server_reason  # the real client's alert


def test_plaintext_pipelined_after_starttls_is_discarded(served):
    """CVE-2011-0411: a command sent with STARTTLS, before the handshake, is never read as if it came over TLS."""
    import socket

    sw = served()
    sock = socket.create_connection(("127.0.0.1", sw.port("imap")), timeout=WAIT)
    sock.recv(4096)
    sock.sendall(b"a STARTTLS\r\nb LOGIN bob@example.net builder\r\n")
    assert sock.recv(4096).startswith(b"a OK")
    tls = trusting(sw).wrap_socket(sock, server_hostname="localhost")
    tls.sendall(b"c NOOP\r\n")
    answer = tls.recv(4096)
    assert answer.startswith(b"c OK"), answer  # no answer to b: it was dropped
    tls.close()
    [event] = sw.call(lambda: sw.world.trace.of_type(TlsStarted))
    assert event.discarded == b"b LOGIN bob@example.net builder\r\n"


@pytest.mark.parametrize("proto, listener", [("smtp", "submission"), ("imap", "imap"), ("pop3", "pop3")])
def test_openssl_s_client_starttls_verifies_the_chain(served, os_client, proto, listener):
    sw = served()
    quit_line = {"smtp": "QUIT\r\n", "imap": "a LOGOUT\r\n", "pop3": "QUIT\r\n"}[proto]
    proc = subprocess.run(
        [os_client("openssl"), "s_client", "-starttls", proto, "-connect", f"127.0.0.1:{sw.port(listener)}",
         "-CAfile", str(sw.bridge.ca_out), "-verify_hostname", "localhost", "-verify_return_error", "-crlf"],
        input=quit_line, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Verify return code: 0 (ok)" in proc.stdout
    assert "mailsim Virtual Root CA" in proc.stdout


@pytest.mark.parametrize("scheme, listener, path", [("imaps", "imaps", "/INBOX;UID=1"), ("pop3s", "pop3s", "/1"),
                                                    ("imap", "imap", "/INBOX;UID=1"), ("pop3", "pop3", "/1")])
def test_curl_over_tls(served, os_client, scheme, listener, path):
    sw = served()
    sw.deliver("curl over TLS")
    proc = subprocess.run(
        [os_client("curl"), "--silent", "--show-error", "--max-time", "20", "--ssl-reqd",
         "--cacert", str(sw.bridge.ca_out), "-u", "bob@example.net:builder",
         f"{scheme}://localhost:{sw.port(listener)}{path}"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Subject: curl over TLS" in proc.stdout
    assert started(sw)[0][0] == ("starttls" if scheme in ("imap", "pop3") else "implicit")


def test_curl_submits_over_starttls(served, os_client, tmp_path):
    sw = served()
    upload = tmp_path / "message.txt"
    upload.write_bytes(b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: curl smtp tls\r\n\r\nHi.\r\n")
    proc = subprocess.run(
        [os_client("curl"), "--silent", "--show-error", "--max-time", "20", "--ssl-reqd",
         "--cacert", str(sw.bridge.ca_out), f"smtp://localhost:{sw.port('submission')}/curl.example",
         "-u", "alice@example.org:wonderland",
         "--mail-from", "alice@example.org", "--mail-rcpt", "bob@example.net", "-T", str(upload)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    sw.wait_until(lambda: sw.world.mailbox_count("bob@example.net") == 1, "bob has the message")
    assert started(sw)[0] == ("starttls", "TLSv1.3")


@pytest.mark.parametrize("how, listener, mechanism", [("--tls", "submission", "PLAIN"),
                                                     ("--tlsc", "submissions", "LOGIN")])
def test_swaks_over_starttls_and_implicit_tls(served, os_client, how, listener, mechanism):
    sw = served()
    proc = subprocess.run(
        [os_client("swaks"), "--to", "bob@example.net", "--from", "alice@example.org",
         "--auth", mechanism, "--auth-user", "alice@example.org", "--auth-password", "wonderland",
         "--server", f"127.0.0.1:{sw.port(listener)}", how, "--tls-verify", "--tls-ca-path", str(sw.bridge.ca_out),
         "--tls-sni", "localhost", "--helo", "swaks.example", "--timeout", "10"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    if "TLS not available" in proc.stdout + proc.stderr:
        pytest.skip("swaks has no TLS here; it needs Net::SSLeay (apt-get install libnet-ssleay-perl)")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "TLS started with cipher TLSv1.3" in proc.stdout
    assert "235 2.7.0" in proc.stdout  # RFC 4954 6: authenticated
    sw.wait_until(lambda: sw.world.mailbox_count("bob@example.net") == 1, "bob has the swaks message")
    assert started(sw) == [("starttls" if how == "--tls" else "implicit", "TLSv1.3")]


def test_clients_that_leave_mid_handshake_free_their_sessions(served):
    import socket

    sw = served()
    implicit = socket.create_connection(("127.0.0.1", sw.port("imaps")), timeout=WAIT)
    implicit.close()  # not a byte of TLS
    plain = socket.create_connection(("127.0.0.1", sw.port("pop3")), timeout=WAIT)
    plain.settimeout(WAIT)
    assert plain.recv(4096).startswith(b"+OK")
    plain.sendall(b"STLS\r\n")
    assert plain.recv(4096).startswith(b"+OK")
    plain.close()  # the handshake never starts
    sw.wait_until(lambda: sw.bridge.open_sessions == 0, "both sessions are gone")
    assert not any("internal error" in line for line in sw.lines), "\n".join(sw.lines)
    assert sw.call(lambda: sw.world.trace.of_type(TlsStarted)) == []


def test_stopping_closes_a_session_in_its_handshake(served):
    import socket

    sw = served()
    sock = socket.create_connection(("127.0.0.1", sw.port("pop3s")), timeout=WAIT)
    sw.wait_until(lambda: sw.bridge.open_sessions == 1, "the session is open")
    sw.stop()
    sock.settimeout(WAIT)
    assert sock.recv(4096) == b""  # closed, and no plaintext written to a client expecting TLS
    sock.close()
    assert not any("internal error" in line for line in sw.lines), "\n".join(sw.lines)
