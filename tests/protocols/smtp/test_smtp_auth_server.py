"""SMTP AUTH in the server machine (RFC 4954), each test named after the section it checks."""

from __future__ import annotations

import base64
import random

import pytest
import scramp

from simulator.protocols import sasl
from simulator.protocols.sasl.cram_md5 import digest
from simulator.protocols.smtp import states as S
from simulator.protocols.smtp.server import SmtpServer, SmtpServerConfig
from simulator.trace import CheckStep, CommandReceived

ALL = ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256")
PLAIN_B64 = base64.b64encode(b"\0alice@example.org\0wonderland").decode()


class Users:
    def check_password(self, user: str, password: str) -> bool:
        return self.shared_secret(user) == password

    def shared_secret(self, user: str) -> str | None:
        return {"alice@example.org": "wonderland"}.get(user.lower())


class Rng(random.Random):
    def hex(self, n: int) -> str:
        return "".join(f"{self.getrandbits(4):x}" for _ in range(n))


class Run:
    def __init__(self, *, tls: bool = False, plaintext_auth: bool = False, smtp=None) -> None:
        config = SmtpServerConfig("mail.example.org", auth_mechanisms=ALL, plaintext_auth=plaintext_auth,
                                  extensions=("PIPELINING", "ENHANCEDSTATUSCODES", "AUTH"))
        context = sasl.ServerContext("mail.example.org", Rng(1), lambda: 1700000000.0)
        self.policy = smtp.Policy()
        self.server = SmtpServer(config, self.policy, auth=Users(), sasl_context=context)
        self.server.session.tls = tls
        self.events = list(self.server.start())
        self.server.data_to_send()
        self.smtp = smtp

    def send(self, *lines: str) -> list:
        self.events += self.server.receive_data(self.smtp.cmds(*lines))
        return self.smtp.parse_replies(self.server.data_to_send())


@pytest.fixture
def tls_run(smtp):
    return Run(tls=True, smtp=smtp)


@pytest.fixture
def plain_run(smtp):
    return Run(tls=False, smtp=smtp)


def test_rfc4954_3_ehlo_offers_only_non_plaintext_mechanisms_before_tls(plain_run, tls_run):
    before = plain_run.send("EHLO client.example.org")[0].lines
    assert "AUTH CRAM-MD5 SCRAM-SHA-256" in before
    after = tls_run.send("EHLO client.example.org")[0].lines
    assert "AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256" in after


def test_rfc4954_4_plaintext_mechanism_before_tls_is_538_5_7_11(plain_run):
    plain_run.send("EHLO client.example.org")
    reply = plain_run.send(f"AUTH PLAIN {PLAIN_B64}")[0]
    assert (reply.code, reply.enhanced) == (538, "5.7.11")
    assert plain_run.server.session.authenticated == ""


def test_rfc4954_4_a_world_may_allow_plaintext_mechanisms_without_tls(smtp):
    run = Run(tls=False, plaintext_auth=True, smtp=smtp)
    assert "AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256" in run.send("EHLO c.example")[0].lines
    assert run.send(f"AUTH PLAIN {PLAIN_B64}")[0].code == 235


def test_rfc4954_4_plain_with_initial_response_235_2_7_0(tls_run):
    tls_run.send("EHLO client.example.org")
    reply = tls_run.send(f"AUTH PLAIN {PLAIN_B64}")[0]
    assert (reply.code, reply.enhanced) == (235, "2.7.0")
    assert tls_run.server.session.authenticated == "alice@example.org"
    assert tls_run.server.state == S.EXPECT_MAIL
    assert tls_run.server.session.protocol == "ESMTPSA"  # RFC 3848: TLS and AUTH


def test_rfc4954_4_plain_without_initial_response_gets_an_empty_334(tls_run):
    tls_run.send("EHLO client.example.org")
    tls_run.events.clear()
    tls_run.server.receive_data(b"AUTH PLAIN\r\n")
    assert tls_run.server.data_to_send() == b"334 \r\n"  # RFC 4954 4: "334" SP, then nothing
    assert tls_run.server.state == S.EXPECT_SASL_RESPONSE
    assert tls_run.send(PLAIN_B64)[0].code == 235


def test_rfc4954_4_login_two_challenges(tls_run):
    tls_run.send("EHLO client.example.org")
    assert tls_run.send("AUTH LOGIN")[0].lines == ("VXNlcm5hbWU6",)  # "Username:"
    assert tls_run.send(base64.b64encode(b"alice@example.org").decode())[0].lines == ("UGFzc3dvcmQ6",)
    assert tls_run.send(base64.b64encode(b"wonderland").decode())[0].code == 235


def test_rfc4954_4_cram_md5_before_tls(plain_run):
    plain_run.send("EHLO client.example.org")
    challenge = base64.b64decode(plain_run.send("AUTH CRAM-MD5")[0].lines[0])
    assert challenge.startswith(b"<") and challenge.endswith(b".1700000000@mail.example.org>")
    answer = f"alice@example.org {digest('wonderland', challenge)}".encode()
    assert plain_run.send(base64.b64encode(answer).decode())[0].code == 235


def test_rfc4954_4_scram_sha_256_with_scramp_client_and_teaching_steps(plain_run):
    plain_run.send("EHLO client.example.org")
    client = scramp.ScramClient(["SCRAM-SHA-256"], "alice@example.org", "wonderland")
    first = base64.b64encode(client.get_client_first().encode()).decode()
    server_first = plain_run.send(f"AUTH SCRAM-SHA-256 {first}")[0]
    assert server_first.code == 334
    client.set_server_first(base64.b64decode(server_first.lines[0]).decode())
    final = plain_run.send(base64.b64encode(client.get_client_final().encode()).decode())[0]
    assert final.code == 334  # RFC 4954 4: the server's final data in a 334, answered by an empty line
    client.set_server_final(base64.b64decode(final.lines[0]).decode())
    assert plain_run.send("")[0].code == 235
    steps = [e.text for e in plain_run.events if isinstance(e, CheckStep) and e.check == "scram"]
    assert any(t.startswith("SaltedPassword := Hi(") for t in steps)
    assert any(t.startswith("ServerSignature := HMAC(ServerKey, AuthMessage)") for t in steps)


def test_rfc4954_6_wrong_password_535_5_7_8(tls_run):
    tls_run.send("EHLO client.example.org")
    bad = base64.b64encode(b"\0alice@example.org\0builder").decode()
    reply = tls_run.send(f"AUTH PLAIN {bad}")[0]
    assert (reply.code, reply.enhanced) == (535, "5.7.8")
    assert tls_run.server.state == S.EXPECT_MAIL and not tls_run.server.session.authenticated
    assert tls_run.send(f"AUTH PLAIN {PLAIN_B64}")[0].code == 235  # may try again


def test_rfc4954_4_bad_base64_501_5_5_2(tls_run):
    tls_run.send("EHLO client.example.org")
    reply = tls_run.send("AUTH PLAIN %%%")[0]
    assert (reply.code, reply.enhanced) == (501, "5.5.2")
    tls_run.send("AUTH LOGIN")
    reply = tls_run.send("not*base64")[0]
    assert (reply.code, reply.enhanced) == (501, "5.5.2")
    assert tls_run.server.state == S.EXPECT_MAIL


def test_rfc4954_4_star_cancels_with_501(tls_run):
    tls_run.send("EHLO client.example.org")
    tls_run.send("AUTH LOGIN")
    reply = tls_run.send("*")[0]
    assert reply.code == 501
    assert tls_run.server.state == S.EXPECT_MAIL
    assert any(isinstance(e, CommandReceived) and e.verb == S.SASL_CANCEL for e in tls_run.events)


def test_rfc4954_4_second_auth_after_success_is_503(tls_run):
    tls_run.send("EHLO client.example.org")
    tls_run.send(f"AUTH PLAIN {PLAIN_B64}")
    reply = tls_run.send(f"AUTH PLAIN {PLAIN_B64}")[0]
    assert (reply.code, reply.enhanced) == (503, "5.5.1")


def test_rfc4954_4_unknown_mechanism_504(tls_run):
    tls_run.send("EHLO client.example.org")
    reply = tls_run.send("AUTH GSSAPI")[0]
    assert (reply.code, reply.enhanced) == (504, "5.5.4")
    assert tls_run.send("AUTH")[0].code == 501


def test_rfc4954_4_auth_not_allowed_in_a_transaction_503(tls_run):
    tls_run.send("EHLO client.example.org", "MAIL FROM:<alice@example.org>")
    assert tls_run.send(f"AUTH PLAIN {PLAIN_B64}")[0].code == 503


def test_rfc4954_5_mail_from_auth_parameter_accepted(tls_run):
    tls_run.send("EHLO client.example.org", f"AUTH PLAIN {PLAIN_B64}")
    assert tls_run.send("MAIL FROM:<alice@example.org> AUTH=<>")[0].code == 250


def test_auth_not_offered_is_502(smtp):
    run = smtp.run_server(smtp.cmds("EHLO client.example.org", f"AUTH PLAIN {PLAIN_B64}"))
    assert run.codes[-1] == 502
    assert not any(line.startswith("AUTH") for line in run.replies[1].lines)


def test_rfc3207_4_2_tls_forgets_a_login_made_before_it(smtp):
    config = SmtpServerConfig("mail.example.org", auth_mechanisms=ALL, plaintext_auth=True,
                              extensions=("STARTTLS", "AUTH"))
    server = SmtpServer(config, smtp.Policy(), auth=Users(),
                        sasl_context=sasl.ServerContext("mail.example.org", Rng(1), lambda: 0.0))
    server.start()
    server.receive_data(smtp.cmds("EHLO c.example", f"AUTH PLAIN {PLAIN_B64}", "STARTTLS"))
    assert server.session.authenticated == "alice@example.org"
    server.tls_established()
    assert server.session.authenticated == "" and server.state == S.EXPECT_EHLO
