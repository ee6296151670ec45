"""The server machine's contract: extensions declare what they bring, STARTTLS hands over
its buffer (CVE-2011-0411), refusals are rows of the table, misuse is a LocalProtocolError."""

from __future__ import annotations

import pytest

from simulator.protocols.machine import Close, LocalProtocolError, StartTls, Transition
from simulator.protocols.smtp import states as S
from simulator.protocols.smtp.extensions import EXTENSIONS
from simulator.protocols.smtp.server import SmtpServerConfig
from simulator.trace import StateChanged

ALL = (*SmtpServerConfig("x").extensions, "STARTTLS")


@pytest.mark.parametrize("param", ["SIZE=10", "BODY=8BITMIME", "SMTPUTF8"])
def test_a_parameter_of_an_extension_not_offered_gets_555(smtp, param):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, f"MAIL FROM:<alice@example.org> {param}"),
                          extensions=("PIPELINING",))
    assert run.codes == [220, 250, 555]
    assert run.state == S.EXPECT_MAIL
    assert run.replies[1].lines == ("mx.example.net greets client.example.org", "PIPELINING")
    # ENHANCEDSTATUSCODES is not offered either, so no reply carries one (RFC 2034).
    assert all(r.enhanced == "" for r in run.replies)


@pytest.mark.parametrize("param", ["SIZE=10", "BODY=8BITMIME", "SMTPUTF8"])
def test_the_same_parameter_is_accepted_when_its_extension_is_offered(smtp, param):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, f"MAIL FROM:<alice@example.org> {param}"))
    assert run.codes == [220, 250, 250] and run.state == S.EXPECT_RCPT


def test_each_extension_declares_its_parameters_once():
    owners = {}
    for ext in EXTENSIONS.values():
        for name, _ in ext.mail_params:
            assert name not in owners, (name, owners.get(name), ext.keyword)
            owners[name] = ext.keyword
    assert owners == {"SIZE": "SIZE", "BODY": "8BITMIME", "SMTPUTF8": "SMTPUTF8", "AUTH": "AUTH"}  # AUTH=: RFC 4954 5


def test_an_unknown_extension_is_refused_when_configured():
    with pytest.raises(ValueError, match="unknown SMTP extension"):
        SmtpServerConfig("mx.example.net", extensions=("PIPELINING", "CHUNKING"))


def test_starttls_not_offered_is_502_and_not_in_help(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "STARTTLS", "HELP"))
    assert run.codes == [220, 250, 502, 214]
    assert "STARTTLS" not in run.last.text
    assert "STARTTLS" not in run.replies[1].lines


def test_starttls_hands_over_the_pipelined_plaintext_and_never_runs_it(smtp):
    """CVE-2011-0411: commands sent in plaintext right after STARTTLS must be discarded."""
    injected = b"MAIL FROM:<mallory@evil.example>\r\nRCPT TO:<bob@example.net>\r\n"
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "STARTTLS") + injected, extensions=ALL)
    assert run.codes == [220, 250, 220]
    assert run.last.enhanced == "2.0.0" and "Ready to start TLS" in run.last.text
    assert "STARTTLS" in run.replies[1].lines
    assert run.state == S.EXPECT_TLS
    controls = run.server.take_controls()
    assert controls == [StartTls(leftover=injected)]
    assert run.policy.senders == [] and run.policy.recipients == []
    # Until the connection reports the handshake, bytes are a caller error.
    with pytest.raises(LocalProtocolError, match="StartTls"):
        run.server.receive_data(b"EHLO client.example.org\r\n")
    run.call("tls_established")
    assert run.state == S.EXPECT_EHLO and run.server.session.tls
    assert run.server.session.helo == ""  # RFC 3207 4.2: all knowledge from before TLS is gone
    run.feed(smtp.cmds(smtp.EHLO, "STARTTLS", smtp.MAIL))
    assert run.codes[-3:] == [250, 503, 250]
    assert "STARTTLS" not in run.replies[-3].lines  # not offered again over TLS (RFC 3207 4.2)
    assert run.policy.senders == ["alice@example.org"]
    assert run.server.session.protocol == "ESMTPS"


def test_starttls_inside_a_transaction_or_with_an_argument_is_refused(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, "STARTTLS"), extensions=ALL)
    assert run.codes[-1] == 503 and run.state == S.EXPECT_RCPT
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "STARTTLS now"), extensions=ALL)
    assert run.codes[-1] == 501 and run.state == S.EXPECT_MAIL


def test_a_failed_handshake_closes_without_a_reply(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "STARTTLS"), extensions=ALL)
    before = len(run.output)
    run.call("tls_failed")
    assert run.state == S.CLOSED and len(run.output) == before
    assert run.server.take_controls() == [StartTls(b""), Close(S.TLS_FAILED)]


def test_quit_asks_the_connection_to_close(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "QUIT"))
    assert run.server.take_controls() == [Close("QUIT")]
    assert run.server.take_controls() == []


def test_a_refusal_takes_the_rows_refused_branch_and_changes_no_state(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "MAIL FROM:bad"))
    assert run.codes[-1] == 501
    assert [e.trigger for e in run.of(StateChanged)] == ["EHLO"]
    assert S.SERVER_TABLE.lookup(S.EXPECT_MAIL, "MAIL").refused == S.EXPECT_MAIL


def test_a_handler_refusing_a_row_that_cannot_be_refused_is_a_local_error(smtp):
    run = smtp.run_server(b"")
    row = Transition(S.EXPECT_EHLO, "NOOP", S.EXPECT_EHLO, "greet")  # greet refuses an empty name
    with pytest.raises(LocalProtocolError, match="cannot be refused"):
        run.server._run(row, "EHLO", "")


def test_the_error_limit_closes_after_the_row_that_reached_it(smtp):
    """DATA with no recipient is a row (554, stays); the 421 comes after it, never instead."""
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, "DATA"), max_errors=1)
    assert run.codes[-2:] == [554, 421]
    assert [(e.trigger, e.to_state) for e in run.of(StateChanged)][-2:] == [
        ("DATA", S.EXPECT_RCPT), (S.TOO_MANY_ERRORS, S.CLOSED)]
