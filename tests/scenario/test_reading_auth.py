"""open_mailbox and check_mail with a SASL mechanism (RFC 9051 6.2.2, RFC 5034 4) and a TLS policy
(STARTTLS / STLS: RFC 9051 6.2.1, RFC 2595 4; "required" as RFC 8314 5.2 advises)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from simulator.scenario.loader import ContentErrors, load_scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import CommandReceived, ConnectionOpened, TlsStarted

HEAD = """\
id: reading-auth-test
title: Reading with SASL
{world}steps:
  - {{id: send1, action: send_message, from: alice-laptop, sender: alice@example.org, to: [bob@example.net],
     subject: "Lunch?", body: "noon?"}}
  - {{id: relay1, action: run_queue}}
"""
STRICT = "world:\n  tls: {starttls: true}\n  mailbox: {plaintext_auth: false}\n"


def run(tmp_path: Path, steps: str, world: str = ""):
    path = tmp_path / "reading-auth-test.yaml"
    path.write_text(HEAD.format(world=world) + textwrap.indent(textwrap.dedent(steps), "  "), encoding="utf-8")
    return run_scenario(load_scenario(path))


def verbs(result, machine: str) -> list[str]:
    return [e.verb for e in result.trace if isinstance(e, CommandReceived) and e.machine == machine]


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"])
def test_open_mailbox_authenticates_with_each_mechanism(tmp_path, mechanism):
    result = run(tmp_path, f"""\
        - id: open
          action: open_mailbox
          from: bob-phone
          conn: phone
          authenticate: {mechanism}
          expect: {{state: {{machine: imap.server, state: SELECTED, conn: phone}}, view: {{conn: phone, exists: 1}}}}
        """)
    assert result.ok, result.failures
    assert verbs(result, "imap.server")[0] == "AUTHENTICATE" and "LOGIN" not in verbs(result, "imap.server")


@pytest.mark.parametrize("mechanism", ["LOGIN", "CRAM-MD5", "SCRAM-SHA-256"])
def test_check_mail_logs_in_with_auth(tmp_path, mechanism):
    result = run(tmp_path, f"""\
        - id: check
          action: check_mail
          from: bob-laptop
          login: {mechanism}
          expect: {{downloaded: {{count: 1}}}}
        """)
    assert result.ok, result.failures
    assert verbs(result, "pop3.server")[0] == "AUTH" and "USER" not in verbs(result, "pop3.server")


def test_where_plaintext_is_refused_login_fails_until_starttls(tmp_path):
    result = run(tmp_path, """\
        - id: refused
          action: open_mailbox
          from: bob-phone
          conn: plain
          expect: {reply: {code: "NO", contains: PRIVACYREQUIRED},
                   state: {machine: imap.server, state: NOT_AUTHENTICATED, conn: plain}}
        - id: upgraded
          action: open_mailbox
          from: bob-laptop
          conn: laptop
          tls: opportunistic
          expect: {state: {machine: imap.server, state: SELECTED, conn: laptop}}
        - id: pop3-upgraded
          action: check_mail
          from: bob-laptop
          tls: required
          expect: {downloaded: {count: 1}}
        """, STRICT)
    assert result.ok, result.failures
    mailbox_conns = {e.conn for e in result.trace.of_type(ConnectionOpened) if e.port in (143, 110)}
    assert [e.mode for e in result.trace.of_type(TlsStarted) if e.conn in mailbox_conns] == ["starttls", "starttls"]
    assert verbs(result, "imap.server").count("LOGIN") == 2  # refused in the clear, taken over TLS
    assert verbs(result, "pop3.server")[:3] == ["CAPA", "STLS", "USER"]


def test_tls_required_without_starttls_on_offer_sends_no_password(tmp_path):
    result = run(tmp_path, """\
        - id: imap
          action: open_mailbox
          from: bob-phone
          tls: required
          expect: {replies: [OK, BYE, OK], closed: true}
        - id: pop3
          action: check_mail
          from: bob-laptop
          tls: required
          expect: {downloaded: {count: 0}}
        """)
    assert result.ok, result.failures
    assert verbs(result, "imap.server") == ["LOGOUT"]  # the default world offers no STARTTLS
    assert verbs(result, "pop3.server") == ["CAPA", "QUIT"]


def test_the_options_are_checked(tmp_path):
    with pytest.raises(ContentErrors):
        run(tmp_path, "- {id: x, action: open_mailbox, from: bob-phone, authenticate: GSSAPI}\n")
    with pytest.raises(ContentErrors):
        run(tmp_path, "- {id: x, action: check_mail, from: bob-phone, tls: sometimes}\n")
