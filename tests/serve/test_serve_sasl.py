"""Real clients authenticate to ``mailsim serve`` with SASL: IMAP AUTHENTICATE (RFC 9051 6.2.2), POP3 AUTH
(RFC 5034 4), and msmtp's SMTP AUTH after STARTTLS on submission (RFC 3207, RFC 4954).

imaplib's ``authenticate()`` plays PLAIN, SCRAM-SHA-256 (its messages made by
scramp) and ``login_cram_md5()``; curl logs in with ``--login-options
AUTH=...`` over IMAP and POP3; poplib sends AUTH as raw commands. A world
whose mailbox servers refuse plaintext before TLS (``mailbox.plaintext_auth:
false``, Dovecot's disable_plaintext_auth) shows LOGINDISABLED to imaplib
until STARTTLS, and refuses USER until STLS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import imaplib
import poplib
import ssl
import subprocess

import pytest
import scramp

from simulator.agents.world import DEFAULT_SPEC
from simulator.trace import CommandReceived

WAIT = 10.0
BOB, PASSWORD = "bob@example.net", "builder"


def commands(sw, machine: str) -> list[tuple[str, str]]:
    return sw.call(lambda: [(e.verb, e.argument) for e in sw.world.trace.of_type(CommandReceived)
                            if e.machine == machine])


def trusting(sw) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(sw.bridge.ca_out))


def strict_spec():
    spec = DEFAULT_SPEC.copy()
    spec.mailbox_plaintext_auth = False
    return spec


# --- imaplib -------------------------------------------------------------------------------


def test_imaplib_authenticate_plain_and_cram_md5(served):
    sw = served()
    sw.deliver("For AUTHENTICATE")
    with imaplib.IMAP4("127.0.0.1", sw.port("imap"), timeout=WAIT) as imap:
        assert {"AUTH=PLAIN", "AUTH=LOGIN", "AUTH=CRAM-MD5", "AUTH=SCRAM-SHA-256", "SASL-IR"} <= set(imap.capabilities)
        typ, data = imap.authenticate("PLAIN", lambda challenge: f"\0{BOB}\0{PASSWORD}".encode())
        assert typ == "OK" and b"logged in as bob@example.net" in data[0]
        assert imap.select("INBOX", readonly=True) == ("OK", [b"1"])
    with imaplib.IMAP4("127.0.0.1", sw.port("imap"), timeout=WAIT) as imap:
        typ, _ = imap.login_cram_md5(BOB, PASSWORD)  # RFC 2195: the password never crosses
        assert typ == "OK" and imap.state == "AUTH"
    with imaplib.IMAP4("127.0.0.1", sw.port("imap"), timeout=WAIT) as imap:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            imap.login_cram_md5(BOB, "guess")
    verbs = [(v, a.split()[1] if len(a.split()) > 1 else "") for v, a in commands(sw, "imap.server")
             if v == "AUTHENTICATE"]
    assert verbs == [("AUTHENTICATE", "PLAIN"), ("AUTHENTICATE", "CRAM-MD5"), ("AUTHENTICATE", "CRAM-MD5")]


def test_imaplib_authenticate_scram_sha_256_with_scramp_over_starttls(served):
    sw = served()
    client = scramp.ScramClient(["SCRAM-SHA-256"], BOB, PASSWORD)
    answers = iter([lambda _: client.get_client_first().encode(),
                    lambda c: (client.set_server_first(c.decode()), client.get_client_final().encode())[1],
                    lambda c: (client.set_server_final(c.decode()), b"")[1]])  # scramp checks v= (RFC 5802 9)
    with imaplib.IMAP4("127.0.0.1", sw.port("imap"), timeout=WAIT) as imap:
        imap.starttls(ssl_context=trusting(sw))
        typ, _ = imap.authenticate("SCRAM-SHA-256", lambda challenge: next(answers)(challenge))
        assert typ == "OK" and imap.state == "AUTH"


def test_imaplib_sees_logindisabled_until_starttls_where_plaintext_is_refused(served):
    sw = served(strict_spec())
    with imaplib.IMAP4("127.0.0.1", sw.port("imap"), timeout=WAIT) as imap:
        before = set(imap.capabilities)
        assert {"LOGINDISABLED", "STARTTLS", "AUTH=CRAM-MD5", "AUTH=SCRAM-SHA-256"} <= before
        assert "AUTH=PLAIN" not in before
        with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
            imap.login(BOB, PASSWORD)  # RFC 9051 6.2.3: LOGIN not permitted before TLS
        imap.starttls(ssl_context=trusting(sw))  # imaplib asks CAPABILITY again (RFC 9051 6.2.1)
        after = set(imap.capabilities)
        assert "LOGINDISABLED" not in after and "AUTH=PLAIN" in after
        assert imap.login(BOB, PASSWORD)[0] == "OK"
    with imaplib.IMAP4_SSL("127.0.0.1", sw.port("imaps"), ssl_context=trusting(sw), timeout=WAIT) as imap:
        assert "LOGINDISABLED" not in imap.capabilities  # implicit TLS (RFC 8314)
        assert imap.login(BOB, PASSWORD)[0] == "OK"


# --- poplib, AUTH as raw commands -------------------------------------------------------------


def test_poplib_auth_plain_cram_md5_and_cancel(served):
    sw = served()
    sw.deliver("For AUTH")
    pop = poplib.POP3("127.0.0.1", sw.port("pop3"), timeout=WAIT)
    try:
        assert pop.capa()["SASL"] == ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"]
        # RFC 5034 4: a cancelled exchange is answered -ERR; poplib raises it.
        assert pop._shortcmd("AUTH LOGIN") == b"+ " + base64.b64encode(b"Username:")
        with pytest.raises(poplib.error_proto, match="cancelled"):
            pop._shortcmd("*")
        plain = base64.b64encode(f"\0{BOB}\0{PASSWORD}".encode()).decode()
        assert pop._shortcmd(f"AUTH PLAIN {plain}").startswith(b"+OK")
        assert pop.stat()[0] == 1
    finally:
        pop.quit()
    pop = poplib.POP3("127.0.0.1", sw.port("pop3"), timeout=WAIT)
    try:
        challenge = pop._shortcmd("AUTH CRAM-MD5")
        assert challenge.startswith(b"+ ")
        digest = hmac.new(PASSWORD.encode(), base64.b64decode(challenge[2:]), hashlib.md5).hexdigest()
        assert pop._shortcmd(base64.b64encode(f"{BOB} {digest}".encode()).decode()).startswith(b"+OK")
    finally:
        pop.quit()


def test_poplib_user_refused_before_stls_where_plaintext_is_refused(served):
    sw = served(strict_spec())
    pop = poplib.POP3("127.0.0.1", sw.port("pop3"), timeout=WAIT)
    try:
        caps = pop.capa()
        assert "USER" not in caps and "STLS" in caps and caps["SASL"] == ["CRAM-MD5", "SCRAM-SHA-256"]
        with pytest.raises(poplib.error_proto, match="use STLS first"):
            pop.user(BOB)
        pop.stls(context=trusting(sw))
        assert "USER" in pop.capa()
        pop.user(BOB)
        assert pop.pass_(PASSWORD).startswith(b"+OK")
    finally:
        pop.quit()


# --- curl --login-options AUTH=... ------------------------------------------------------------


@pytest.mark.parametrize("proto", ["imap", "pop3"])
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_curl_login_options_auth_mechanism(served, os_client, proto, mechanism):
    sw = served()
    sw.deliver(f"curl {mechanism}")
    url = f"{proto}://localhost:{sw.port(proto)}/" + ("INBOX;UID=1" if proto == "imap" else "1")
    proc = subprocess.run(
        [os_client("curl"), "--silent", "--show-error", "--max-time", "20", "--ssl-reqd", "--cacert",
         str(sw.bridge.ca_out), "-u", f"{BOB}:{PASSWORD}", "--login-options", f"AUTH={mechanism}", url],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert f"Subject: curl {mechanism}" in proc.stdout
    verb = "AUTHENTICATE" if proto == "imap" else "AUTH"
    sent = [a for v, a in commands(sw, f"{proto}.server") if v == verb]
    assert sent and mechanism in sent[0].split(), sent
    assert not any(v in ("LOGIN", "USER", "PASS") for v, _ in commands(sw, f"{proto}.server"))


def test_curl_imap_without_tls_cannot_log_in_where_plaintext_is_refused(served, os_client):
    sw = served(strict_spec())
    proc = subprocess.run(
        [os_client("curl"), "--silent", "--show-error", "--max-time", "20", "-u", f"{BOB}:{PASSWORD}",
         "--login-options", "AUTH=PLAIN", f"imap://127.0.0.1:{sw.port('imap')}/"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0  # AUTH=PLAIN is not offered before STARTTLS, and LOGIN is disabled
    assert not any(v == "LOGIN" for v, _ in commands(sw, "imap.server"))


# --- msmtp: submission with STARTTLS and AUTH ---------------------------------------------------


@pytest.mark.parametrize("auth", ["plain", "scram-sha-256"])
def test_msmtp_submits_with_starttls_and_auth(served, os_client, tmp_path, auth):
    msmtp = os_client("msmtp")
    sw = served()
    before = sw.count(BOB)
    message = (b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: via msmtp\r\n"
               b"Message-ID: <msmtp-" + auth.encode() + b"@example.org>\r\n\r\nSent by msmtp.\r\n")
    proc = subprocess.run(
        [msmtp, "--file=/dev/null", "--host=localhost", f"--port={sw.port('submission')}", "--tls=on",
         "--tls-starttls=on", f"--tls-trust-file={sw.bridge.ca_out}", f"--auth={auth}",
         "--user=alice@example.org", "--passwordeval=echo wonderland", "--from=alice@example.org",
         "--domain=msmtp.example", BOB],
        input=message, capture_output=True, timeout=60, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sw.wait_until(lambda: sw.world.mailbox_count(BOB) == before + 1, "Bob has msmtp's message")
    sent = commands(sw, "smtp.server")
    verbs = [v for v, _ in sent]
    assert verbs.index("STARTTLS") < verbs.index("AUTH") < verbs.index("MAIL")  # RFC 4954 4: AUTH over TLS
    assert any(v == "AUTH" and a.split()[0].upper() == auth.upper() for v, a in sent)


def test_the_banner_suggests_only_logins_the_world_allows(served):
    default = "\n".join(served().bridge.banner())
    assert "curl imap://127.0.0.1:" in default and "--login-options AUTH=CRAM-MD5 pop3://localhost:" in default
    strict = "\n".join(served(strict_spec()).bridge.banner())
    assert "curl imap://127.0.0.1:" not in strict and "curl pop3://127.0.0.1:" not in strict
    assert "take no password before STARTTLS / STLS" in strict and "--ssl-reqd" in strict
