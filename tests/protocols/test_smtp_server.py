"""SmtpServer, one command and one error path at a time (RFC 5321 and its extensions)."""

from __future__ import annotations

import base64

import pytest

from simulator.protocols.smtp import states as S
from simulator.protocols.smtp.replies import R, Reply
from simulator.protocols.smtp.server import COMMAND_LINE_LIMIT, TEXT_LINE_LIMIT, SmtpServerConfig
from simulator.trace import CommandReceived, ReplySent, StateChanged

BODY = b"Subject: hi\r\n\r\nHello Bob\r\n"
EHLO = "EHLO client.example.org"


def reply_tuple(reply: Reply) -> tuple[int, str]:
    return reply.code, reply.enhanced


# --- greeting --------------------------------------------------------------------


def test_start_sends_the_greeting_once(smtp):
    run = smtp.run_server()
    assert run.output == b"220 mx.example.net ESMTP mailsim ready\r\n"
    assert run.sent == [ReplySent(machine="smtp.server", code="220", text=("mx.example.net ESMTP mailsim ready",))]
    assert run.state == S.EXPECT_EHLO
    run.call("start")
    assert run.output.count(b"220 ") == 1 and len(run.events) == 1


def test_receive_data_without_start_still_reports_the_greeting(smtp):
    run = smtp.run_server(smtp.cmds("NOOP"), start=False)
    assert run.codes == [220, 250]
    # the 220 went out on the wire, so it must be in the events too
    assert [e.code for e in run.sent] == ["220", "250"]
    assert isinstance(run.events[0], ReplySent) and run.events[0].code == "220"


# --- EHLO / HELO -----------------------------------------------------------------


def test_ehlo_lists_extensions_and_opens_the_session(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO), max_message_size=12345)
    assert run.lines[1:] == [
        b"250-mx.example.net greets client.example.org\r\n",
        b"250-PIPELINING\r\n",
        b"250-SIZE 12345\r\n",
        b"250-8BITMIME\r\n",
        b"250-ENHANCEDSTATUSCODES\r\n",
        b"250 SMTPUTF8\r\n",
    ]
    assert run.state == S.EXPECT_MAIL
    assert run.server.session.esmtp and run.server.session.helo == "client.example.org"
    assert run.states == [StateChanged(machine="smtp.server", from_state=S.EXPECT_EHLO, to_state=S.EXPECT_MAIL, trigger="EHLO")]
    assert run.commands == [CommandReceived(machine="smtp.server", verb="EHLO", argument="client.example.org")]


def test_helo_is_one_line_and_not_esmtp(smtp):
    run = smtp.run_server(smtp.cmds("helo client.example.org"))
    assert run.lines[1:] == [b"250 mx.example.net greets client.example.org\r\n"]
    assert run.state == S.EXPECT_MAIL
    assert not run.server.session.esmtp
    assert run.server.session.protocol == "SMTP"


@pytest.mark.parametrize("line", ["EHLO [192.0.2.1]", "EHLO [IPv6:2001:db8::1]", "EHLO localhost", "EHLO  spaced.example"])
def test_ehlo_accepts_address_literals_and_simple_names(smtp, line):
    run = smtp.run_server(smtp.cmds(line))
    assert run.last.code == 250 and run.state == S.EXPECT_MAIL


@pytest.mark.parametrize("name", ["DESKTOP_4F2K9", "my_pc.corp.example", "_gateway", "WIN-7_X"])
def test_ehlo_accepts_underscores_as_deployed_servers_do(smtp, name):
    # RFC 5321 4.1.1.1 asks for a domain, whose labels (RFC 1035 2.3.1) have no "_"; Windows
    # hosts announce such names anyway and Postfix and Exim take them, so we do too.
    run = smtp.run_server(smtp.cmds(f"EHLO {name}"))
    assert run.lines[1] == f"250-mx.example.net greets {name}\r\n".encode()
    assert run.state == S.EXPECT_MAIL and run.server.session.helo == name


@pytest.mark.parametrize(
    "line",
    ["EHLO bad!name.example", "EHLO two words", "HELO -a.example", "EHLO a-.example", "EHLO a..example",
     "EHLO [192.0.2.1", "EHLO <client.example.org>", "EHLO alice@example.org", b"EHLO a\r.example"],
)
def test_ehlo_with_a_name_that_is_no_domain_or_literal_gets_501_without_enhanced_code(smtp, line):
    # RFC 2034 section 4: no enhanced code on "any response to HELO or EHLO", refusals included
    run = smtp.run_server(smtp.cmds(line))
    assert reply_tuple(run.last) == (501, "")
    assert run.last.text.startswith(f"Invalid domain name in {smtp.cmds(line)[:4].decode()}")
    assert run.state == S.EXPECT_EHLO
    assert run.states == []


@pytest.mark.parametrize("line", ["EHLO", "EHLO ", "HELO", "helo  "])
def test_ehlo_without_a_name_gets_501_syntax_without_enhanced_code(smtp, line):
    run = smtp.run_server(smtp.cmds(line))
    verb = line.split()[0].upper()
    assert run.lines[-1] == f"501 Syntax: {verb} <domain or address literal>\r\n".encode()
    assert run.state == S.EXPECT_EHLO


def test_ehlo_refusal_after_a_session_opened_keeps_the_session_and_has_no_enhanced_code(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "EHLO two words", smtp.MAIL))
    assert reply_tuple(run.replies[2]) == (501, "")
    assert reply_tuple(run.last) == (250, "2.1.0") and run.state == S.EXPECT_RCPT


def test_ehlo_mid_transaction_resets_it(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, smtp.EHLO))
    assert run.state == S.EXPECT_MAIL
    run.feed(smtp.cmds(smtp.RCPT))
    assert reply_tuple(run.last) == (503, "5.5.1")
    assert run.server.envelope.mail_from == ""


@pytest.mark.parametrize("line", ["MAIL FROM:<a@example.org>", "RCPT TO:<b@example.net>", "DATA"])
def test_transaction_before_ehlo_gets_503(smtp, line):
    run = smtp.run_server(smtp.cmds(line))
    assert reply_tuple(run.last) == (503, "5.5.1")
    assert "EHLO or HELO first" in run.last.text
    assert run.state == S.EXPECT_EHLO


# --- MAIL --------------------------------------------------------------------------


def test_mail_accepted(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL))
    assert run.lines[-1] == b"250 2.1.0 Sender <alice@example.org> OK\r\n"
    assert run.state == S.EXPECT_RCPT
    assert run.policy.senders == ["alice@example.org"]
    assert run.server.envelope.mail_from == "alice@example.org"


def test_mail_null_reverse_path(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "MAIL FROM:<>"))
    assert run.lines[-1] == b"250 2.1.0 Sender <> OK\r\n"
    assert run.state == S.EXPECT_RCPT
    assert run.policy.senders == [""]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("MAIL FROM:<alice@example.org> SIZE=1000", (250, "2.1.0")),
        ("MAIL FROM:<alice@example.org> SIZE=1001", (552, "5.3.4")),
        ("MAIL FROM:<alice@example.org> SIZE=abc", (501, "5.5.4")),
        ("MAIL FROM:<alice@example.org> SIZE", (501, "5.5.4")),
        ("MAIL FROM:<alice@example.org> SIZE=²", (501, "5.5.4")),  # "²".isdigit() is True
        ("MAIL FROM:<alice@example.org> SIZE=٣", (501, "5.5.4")),
        ("MAIL FROM:<alice@example.org> BODY=7BIT", (250, "2.1.0")),
        ("MAIL FROM:<alice@example.org> BODY=8bitmime", (250, "2.1.0")),
        ("MAIL FROM:<alice@example.org> BODY=BINARYMIME", (504, "5.5.4")),
        ("MAIL FROM:<alice@example.org> BODY=9BIT", (501, "5.5.4")),
        ("MAIL FROM:<alice@example.org> FOO=1", (555, "5.5.4")),
        ("MAIL FROM:<alice@example.org> AUTH=<>", (555, "5.5.4")),
        ("MAIL FROM:<alice@example.org> SMTPUTF8", (250, "2.1.0")),
        ("MAIL FROM:<alice@example.org> SMTPUTF8=yes", (501, "5.5.4")),
        ("MAIL FROM:<jörg@example.org>", (553, "5.6.7")),
        ("MAIL FROM:<jörg@example.org> SMTPUTF8", (250, "2.1.0")),
        ("MAIL FROM:<alice@bücher.example>", (553, "5.6.7")),
        ("MAIL FROM:alice@example.org", (501, "5.5.4")),
        ("MAIL TO:<alice@example.org>", (501, "5.5.4")),
        ("MAIL", (501, "5.5.4")),
        ("MAIL FROM:<alice@example.org", (501, "5.5.4")),
        ("MAIL FROM:<alice@example.org>SIZE=1", (501, "5.5.4")),
        ("MAIL FROM:<alice>", (501, "5.1.7")),
        ("MAIL FROM:<alice@>", (501, "5.1.7")),
        ("MAIL FROM:<alice@example..org>", (501, "5.1.7")),
        (b"MAIL FROM:<alice@example.org\n>", (500, "5.5.2")),  # bare LF: not run (RFC 5321 2.3.8)
        (b"MAIL FROM:<alice\n@example.org>", (500, "5.5.2")),
        ("MAIL FROM: <alice@example.org>", (250, "2.1.0")),  # space after the colon: see below
    ],
)
def test_mail_parameters_and_errors(smtp, line, expected):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, line), max_message_size=1000)
    assert reply_tuple(run.last) == expected
    assert run.state == (S.EXPECT_RCPT if expected[0] == 250 else S.EXPECT_MAIL)
    if expected[0] != 250:
        assert run.server.envelope.mail_from == ""


def test_mail_params_are_kept_in_the_envelope(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "MAIL FROM:<alice@example.org> size=10 body=8BITMIME"))
    assert run.server.envelope.params == {"SIZE": "10", "BODY": "8BITMIME"}


def test_size_exceeded_names_the_limit(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "MAIL FROM:<a@example.org> SIZE=5000"), max_message_size=4096)
    assert run.lines[-1] == b"552 5.3.4 Message size exceeds fixed maximum of 4096 octets\r\n"


@pytest.mark.parametrize("params", ["SIZE=10", "BODY=8BITMIME", "SMTPUTF8"])
def test_mail_params_after_helo_get_555(smtp, params):
    run = smtp.run_server(smtp.cmds("HELO client.example.org", f"{smtp.MAIL} {params}"))
    assert reply_tuple(run.last) == (555, "5.5.4")
    assert run.state == S.EXPECT_MAIL
    run.feed(smtp.cmds(smtp.MAIL))
    assert reply_tuple(run.last) == (250, "2.1.0")


def test_mail_policy_refusal_passes_through(smtp):
    refusal = Reply(550, ("Sender <mallory@evil.example> rejected by policy",), "5.7.1")
    policy = smtp.Policy(senders={"mallory@evil.example": refusal})
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "MAIL FROM:<mallory@evil.example>"), policy=policy)
    assert run.lines[-1] == refusal.to_bytes()
    assert run.state == S.EXPECT_MAIL


def test_nested_mail_gets_503(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, "MAIL FROM:<other@example.org>"))
    assert reply_tuple(run.last) == (503, "5.5.1")
    assert "nested MAIL" in run.last.text
    assert run.state == S.EXPECT_RCPT
    assert run.server.envelope.mail_from == "alice@example.org"
    run.feed(smtp.cmds(smtp.RCPT, "MAIL FROM:<other@example.org>"))
    assert reply_tuple(run.last) == (503, "5.5.1")
    assert run.state == S.EXPECT_RCPT_OR_DATA


# --- RCPT --------------------------------------------------------------------------


def test_rcpt_accepted(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, smtp.RCPT, "RCPT TO:<carol@example.net>"))
    assert run.lines[-2:] == [
        b"250 2.1.5 Recipient <bob@example.net> OK\r\n",
        b"250 2.1.5 Recipient <carol@example.net> OK\r\n",
    ]
    assert run.state == S.EXPECT_RCPT_OR_DATA
    assert run.server.envelope.rcpt_to == ["bob@example.net", "carol@example.net"]
    assert [(e.from_state, e.to_state) for e in run.states][-2:] == [
        (S.EXPECT_RCPT, S.EXPECT_RCPT_OR_DATA),
        (S.EXPECT_RCPT_OR_DATA, S.EXPECT_RCPT_OR_DATA),
    ]


@pytest.mark.parametrize(
    "refusal",
    [R.NO_SUCH_USER.format("<nobody@example.net>"), R.RELAY_DENIED.format("elsewhere.example"),
     Reply(450, ("Mailbox busy, try later",), "4.2.1")],
)
def test_rcpt_policy_refusal_passes_through_unchanged(smtp, refusal):
    policy = smtp.Policy(recipients={"nobody@example.net": refusal})
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, "RCPT TO:<nobody@example.net>"), policy=policy)
    assert run.lines[-1] == refusal.to_bytes()
    assert run.state == S.EXPECT_RCPT
    assert run.server.envelope.rcpt_to == []
    run.feed(smtp.cmds(smtp.RCPT))
    assert run.state == S.EXPECT_RCPT_OR_DATA
    assert run.server.envelope.rcpt_to == ["bob@example.net"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("RCPT TO:<bob>", (553, "5.1.3")),
        ("RCPT TO:<>", (553, "5.1.3")),
        ("RCPT TO:<bob@>", (553, "5.1.3")),
        ("RCPT TO:<bob@exa_mple.net>", (553, "5.1.3")),
        (b"RCPT TO:<bob@example.net\n>", (500, "5.5.2")),  # bare LF: not run (RFC 5321 2.3.8)
        ("RCPT TO:bob@example.net", (501, "5.5.4")),
        ("RCPT FROM:<bob@example.net>", (501, "5.5.4")),
        ("RCPT", (501, "5.5.4")),
        ("RCPT TO:<bob@example.net> NOTIFY=NEVER", (555, "5.5.4")),
        ("RCPT TO:<jörg@example.net>", (553, "5.6.7")),
    ],
)
def test_rcpt_errors(smtp, line, expected):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, line))
    assert reply_tuple(run.last) == expected
    assert run.state == S.EXPECT_RCPT
    assert run.policy.recipients == []  # refused before the policy is asked


def test_rcpt_non_ascii_with_smtputf8(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, f"{smtp.MAIL} SMTPUTF8", "RCPT TO:<jörg@bücher.example>"))
    assert reply_tuple(run.last) == (250, "2.1.5")
    assert run.server.envelope.rcpt_to == ["jörg@bücher.example"]


@pytest.mark.parametrize("name", ["postmaster", "Postmaster", "POSTMASTER"])
def test_rcpt_postmaster_without_domain_is_accepted(smtp, name):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, f"RCPT TO:<{name}>"))
    assert reply_tuple(run.last) == (250, "2.1.5")
    assert run.server.envelope.rcpt_to == [name]


def test_rcpt_source_route_is_ignored(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, "RCPT TO:<@relay.example:bob@example.net>"))
    assert run.lines[-1] == b"250 2.1.5 Recipient <bob@example.net> OK\r\n"


def test_too_many_recipients_gets_452_and_keeps_the_rest(smtp):
    rcpts = [f"RCPT TO:<u{i}@example.net>" for i in range(4)]
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, *rcpts), max_recipients=2)
    assert [reply_tuple(r) for r in run.replies[-4:]] == [(250, "2.1.5"), (250, "2.1.5"), (452, "4.5.3"), (452, "4.5.3")]
    assert run.policy.recipients == ["u0@example.net", "u1@example.net"]
    assert run.state == S.EXPECT_RCPT_OR_DATA
    run.feed(smtp.cmds("DATA"), BODY + b".\r\n")
    assert reply_tuple(run.last) == (250, "2.0.0")
    assert run.policy.accepted[0].rcpt_to == ("u0@example.net", "u1@example.net")


def test_rcpt_before_mail_gets_503(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.RCPT))
    assert reply_tuple(run.last) == (503, "5.5.1")
    assert "need MAIL before RCPT" in run.last.text
    assert run.policy.recipients == []


# --- DATA --------------------------------------------------------------------------


def test_full_transaction(smtp):
    run = smtp.run_server(smtp.transaction(BODY + b".\r\n"))
    assert run.codes == [220, 250, 250, 250, 354, 250]
    assert run.lines[-2] == b"354 Start mail input; end with <CRLF>.<CRLF>\r\n"
    assert run.lines[-1] == b"250 2.0.0 OK queued as Q1\r\n"
    assert len(run.policy.accepted) == 1
    accepted = run.policy.accepted[0]
    assert (accepted.mail_from, accepted.rcpt_to, accepted.data) == ("alice@example.org", ("bob@example.net",), BODY)
    assert run.state == S.EXPECT_MAIL
    assert run.server.envelope.rcpt_to == [] and run.server.envelope.mail_from == ""
    assert run.commands[-1] == CommandReceived(machine="smtp.server", verb=S.END_OF_DATA, argument="")
    assert [(e.from_state, e.trigger, e.to_state) for e in run.states] == [
        (S.EXPECT_EHLO, "EHLO", S.EXPECT_MAIL),
        (S.EXPECT_MAIL, "MAIL", S.EXPECT_RCPT),
        (S.EXPECT_RCPT, "RCPT", S.EXPECT_RCPT_OR_DATA),
        (S.EXPECT_RCPT_OR_DATA, "DATA", S.IN_DATA),
        (S.IN_DATA, S.END_OF_DATA, S.EXPECT_MAIL),
    ]


def test_second_transaction_in_one_session(smtp):
    run = smtp.run_server(smtp.transaction(BODY + b".\r\n"))
    run.feed(smtp.cmds("MAIL FROM:<>", "RCPT TO:<carol@example.net>", "DATA"), b"second\r\n.\r\n")
    assert [a.data for a in run.policy.accepted] == [BODY, b"second\r\n"]
    assert run.policy.accepted[1].mail_from == ""
    assert run.policy.accepted[1].rcpt_to == ("carol@example.net",)


def test_empty_message(smtp):
    run = smtp.run_server(smtp.transaction(b".\r\n"))
    assert run.policy.accepted[0].data == b""
    assert reply_tuple(run.last) == (250, "2.0.0")


def test_data_without_recipients_gets_554(smtp):
    policy = smtp.Policy(recipients={"bob@example.net": R.NO_SUCH_USER.format("<bob@example.net>")})
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, smtp.RCPT, "DATA"), policy=policy)
    assert reply_tuple(run.last) == (554, "5.5.1")
    assert run.state == S.EXPECT_RCPT
    assert run.states[-1] == StateChanged(machine="smtp.server", from_state=S.EXPECT_RCPT, to_state=S.EXPECT_RCPT, trigger="DATA")
    # the message a pipelining client sends anyway is read as commands, and refused
    run.feed(b"Subject: x\r\n.\r\n")
    assert run.policy.accepted == []
    assert [r.code for r in run.replies[-2:]] == [500, 500]


def test_data_before_mail_gets_503(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "DATA"))
    assert reply_tuple(run.last) == (503, "5.5.1")
    assert "need MAIL before DATA" in run.last.text
    assert run.state == S.EXPECT_MAIL


def test_data_with_an_argument_gets_501(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, smtp.RCPT, "DATA now"))
    assert reply_tuple(run.last) == (501, "5.5.4")
    assert run.state == S.EXPECT_RCPT_OR_DATA


def test_dot_stuffing_is_removed(smtp):
    body = b"..leading dot\r\n...\r\n..\r\n.x.\r\nmid.dle\r\n \r\n"
    run = smtp.run_server(smtp.transaction(body + b".\r\n"))
    assert run.policy.accepted[0].data == b".leading dot\r\n..\r\n.\r\nx.\r\nmid.dle\r\n \r\n"


def test_commands_inside_data_are_message_text(smtp):
    body = b"QUIT\r\nRSET\r\nMAIL FROM:<x@example.org>\r\n"
    run = smtp.run_server(smtp.transaction(body + b".\r\n"))
    assert run.policy.accepted[0].data == body
    assert run.codes[-1] == 250 and run.state == S.EXPECT_MAIL


def test_data_line_limit_accepts_1000_octets_with_crlf(smtp):
    line = b"x" * (TEXT_LINE_LIMIT - 2) + b"\r\n"
    run = smtp.run_server(smtp.transaction(line + b".\r\n"))
    assert reply_tuple(run.last) == (250, "2.0.0")
    assert run.policy.accepted[0].data == line


def test_data_line_limit_does_not_count_the_stuffed_dot(smtp):
    # RFC 5321 4.5.3.1.6: 1000 octets "not counting the leading dot duplicated for transparency"
    text = b"." + b"x" * (TEXT_LINE_LIMIT - 3) + b"\r\n"
    run = smtp.run_server(smtp.transaction(b"." + text + b".\r\n"))
    assert reply_tuple(run.last) == (250, "2.0.0")
    assert run.policy.accepted[0].data == text


@pytest.mark.parametrize("stuffed", [False, True])
def test_data_line_over_the_limit_gets_554_at_the_final_dot_and_not_before(smtp, stuffed):
    # RFC 5321 4.5.3.1.6: a text line is at most 1000 octets with its CRLF. The verdict is an
    # end-of-DATA reply of RFC 5321 4.3.2 ("E: 552, 554, 451, 452"), not the command-syntax 500.
    line = b"x" * (TEXT_LINE_LIMIT - 1) + b"\r\n"  # 1001 octets
    if stuffed:
        line = b".." + line[1:]  # 1001 octets once unstuffed
    run = smtp.run_server(smtp.transaction(b"before\r\n" + line + b"after\r\n"))
    assert run.codes[-1] == 354
    assert run.state == S.IN_DATA
    run.feed(b".\r\n")
    assert run.lines[-1] == (
        b"554 5.6.0 Message refused: a text line is longer than 1000 octets with its CRLF"
        b" (RFC 5321 section 4.5.3.1.6)\r\n"
    )
    assert run.policy.accepted == []
    assert run.state == S.EXPECT_MAIL
    run.feed(smtp.cmds("NOOP"))
    assert reply_tuple(run.last) == (250, "2.0.0")


def test_data_line_limit_with_a_huge_line_in_small_chunks(smtp):
    run = smtp.run_server(smtp.transaction(b""))
    for _ in range(100):
        run.feed(b"y" * 997)
    assert run.codes[-1] == 354
    run.feed(b"\r\nok\r\n.\r\n")
    assert reply_tuple(run.last) == (554, "5.6.0")
    assert run.codes.count(554) == 1 and 500 not in run.codes


def test_message_size_limit_gets_552_at_the_final_dot(smtp):
    body = b"x" * 98 + b"\r\n"  # 100 octets
    run = smtp.run_server(smtp.transaction(body), max_message_size=100)
    run.feed(b".\r\n")
    assert reply_tuple(run.last) == (250, "2.0.0")
    run.feed(smtp.cmds(smtp.MAIL, smtp.RCPT, "DATA"), body + b"z\r\n")
    assert run.codes[-1] == 354
    run.feed(b".\r\n")
    assert run.lines[-1] == b"552 5.3.4 Message size exceeds fixed maximum of 100 octets\r\n"
    assert len(run.policy.accepted) == 1
    assert run.state == S.EXPECT_MAIL


def test_message_size_counts_unstuffed_octets(smtp):
    body = b"." * 98 + b"\r\n"  # 100 octets, sent stuffed as 101
    run = smtp.run_server(smtp.transaction(b"." + body + b".\r\n"), max_message_size=100)
    assert reply_tuple(run.last) == (250, "2.0.0")
    assert run.policy.accepted[0].data == body


def test_line_too_long_wins_over_size_and_bare_newline(smtp):
    body = b"a\nb\r\n" + b"x" * 2000 + b"\r\n"
    run = smtp.run_server(smtp.transaction(body + b".\r\n"), max_message_size=100)
    assert run.last == R.DATA_LINE_TOO_LONG


def test_accept_message_verdict_passes_through(smtp):
    verdict = Reply(451, ("Try again later",), "4.3.0")
    run = smtp.run_server(smtp.transaction(BODY + b".\r\n"), policy=smtp.Policy(verdict=verdict))
    assert run.lines[-1] == verdict.to_bytes()
    assert run.state == S.EXPECT_MAIL


def test_peer_closing_mid_data_delivers_nothing(smtp):
    run = smtp.run_server(smtp.transaction(BODY + b"no final dot\r\n."))
    output_before = run.output
    run.feed(b"")
    assert run.policy.accepted == []
    assert run.output == output_before  # nobody to reply to
    assert run.state == S.CLOSED
    assert run.states[-1] == StateChanged(machine="smtp.server", from_state=S.IN_DATA, to_state=S.CLOSED, trigger=S.PEER_CLOSED)
    run.feed(b"\r\n.\r\n")
    assert run.policy.accepted == []


def test_timeout_mid_data_delivers_nothing(smtp):
    run = smtp.run_server(smtp.transaction(BODY))
    run.call("timeout")
    assert run.lines[-1] == b"421 4.4.2 mx.example.net idle timeout, closing connection\r\n"
    assert run.state == S.CLOSED
    run.feed(b".\r\n")
    assert run.policy.accepted == []


# --- RSET, NOOP, VRFY, HELP, QUIT -----------------------------------------------------


def test_rset_abandons_the_transaction(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, smtp.RCPT, "RSET"))
    assert run.lines[-1] == b"250 2.0.0 Reset OK\r\n"
    assert run.state == S.EXPECT_MAIL
    assert run.server.envelope.rcpt_to == [] and run.server.envelope.mail_from == ""
    run.feed(smtp.cmds("DATA"))
    assert reply_tuple(run.last) == (503, "5.5.1")


def test_rset_before_ehlo_stays_there(smtp):
    run = smtp.run_server(smtp.cmds("RSET"))
    assert reply_tuple(run.last) == (250, "2.0.0")
    assert run.state == S.EXPECT_EHLO


@pytest.mark.parametrize(
    ("setup", "state"),
    [
        ((), S.EXPECT_EHLO),
        ((EHLO,), S.EXPECT_MAIL),
        ((EHLO, "MAIL FROM:<a@example.org>"), S.EXPECT_RCPT),
        ((EHLO, "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.net>"), S.EXPECT_RCPT_OR_DATA),
    ],
)
@pytest.mark.parametrize(
    ("line", "wire"),
    [
        ("NOOP", b"250 2.0.0 OK\r\n"),
        ("noop ignored argument", b"250 2.0.0 OK\r\n"),
        ("VRFY bob", b"252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n"),
        ("HELP", b"214 2.0.0 Commands: DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET VRFY\r\n"),
    ],
)
def test_commands_that_leave_the_state_alone(smtp, setup, state, line, wire):
    run = smtp.run_server(smtp.cmds(*setup, line))
    assert run.lines[-1] == wire
    assert run.state == state
    assert run.states[-1:] == ([StateChanged(machine="smtp.server", from_state=state, to_state=state, trigger=line.split()[0].upper())])


def test_vrfy_needs_an_argument(smtp):
    run = smtp.run_server(smtp.cmds("VRFY"))
    assert reply_tuple(run.last) == (501, "5.5.4")


def test_quit_closes(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, "QUIT", "NOOP"))
    assert run.lines[-1] == b"221 2.0.0 mx.example.net closing connection\r\n"
    assert run.state == S.CLOSED and run.server.closed
    assert run.states[-1].trigger == "QUIT"
    before = run.output
    assert run.server.receive_data(smtp.cmds("NOOP")) == []
    assert run.server.receive_data(b"") == []
    assert run.server.timeout() == [] and run.server.shutdown() == []
    assert run.server.data_to_send() == b"" and run.output == before


# --- unknown, unimplemented, overlong, too many errors ------------------------------------


@pytest.mark.parametrize("line", ["FOO", "FOO bar", "MAIL:FROM", "E HLO x", "\tNOOP", ""])
def test_unknown_verb_gets_500(smtp, line):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, line))
    assert reply_tuple(run.last) == (500, "5.5.2")
    assert run.state == S.EXPECT_MAIL


def test_unknown_verb_text_is_safe(smtp):
    run = smtp.run_server(smtp.cmds("NO\u0085OP", "X" * 100))
    assert [r.lines for r in run.replies[1:]] == [("Command unrecognized: (unprintable)",)] * 2


def test_non_utf8_command_gets_500(smtp):
    run = smtp.run_server(smtp.cmds(b"NOOP \xff\xfe"))
    assert reply_tuple(run.last) == (500, "5.5.2")
    assert run.commands[-1].verb == "?"


@pytest.mark.parametrize("line", ["EXPN staff", "TURN", "expn staff", "ETRN example.org", "BDAT 10 LAST", "STARTTLS"])
def test_known_but_unimplemented_verbs_get_502(smtp, line):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, line))
    assert reply_tuple(run.last) == (502, "5.5.1")
    assert run.state == S.EXPECT_MAIL


def test_command_line_limit_is_512_with_crlf(smtp):
    ok = "NOOP " + "x" * (COMMAND_LINE_LIMIT - 7)
    assert len(ok) + 2 == COMMAND_LINE_LIMIT
    run = smtp.run_server(smtp.cmds(ok))
    assert reply_tuple(run.last) == (250, "2.0.0")
    run.feed(smtp.cmds(ok + "x"))
    assert run.lines[-1] == R.LINE_TOO_LONG.to_bytes()
    assert reply_tuple(run.last) == (500, "5.5.2")
    run.feed(smtp.cmds(smtp.EHLO))
    assert run.last.code == 250 and run.state == S.EXPECT_MAIL


def test_overlong_command_fed_bytewise_gets_one_500(smtp):
    run = smtp.run_server()
    for byte in b"MAIL FROM:<" + b"a" * 3000 + b"@example.org>\r\n":
        run.feed(bytes([byte]))
    assert run.codes == [220, 500]
    assert run.state == S.EXPECT_EHLO


def test_too_many_errors_gets_421_and_closes(smtp):
    run = smtp.run_server(smtp.cmds("FOO", "MAIL FROM:<a@example.org>", "EHLO bad!name", "NOOP"), max_errors=3)
    assert run.codes == [220, 500, 503, 501, 421]
    assert run.lines[-1] == b"421 4.7.0 mx.example.net too many errors, closing connection\r\n"
    assert run.state == S.CLOSED
    assert run.states[-1] == StateChanged(machine="smtp.server", from_state=S.EXPECT_EHLO, to_state=S.CLOSED, trigger=S.TOO_MANY_ERRORS)


def test_junk_commands_past_the_limit_count_as_errors(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, *["NOOP"] * 5, "RSET", "VRFY bob", "HELP"), max_junk_commands=5,
                          max_errors=3)
    assert run.codes == [220, 250, 250, 250, 250, 250, 250, 250, 252, 214, 421]
    assert run.state == S.CLOSED


def test_junk_commands_within_the_limit_are_fine(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, *["NOOP"] * 50), max_junk_commands=50, max_errors=1)
    assert run.codes == [220, 250, *[250] * 50] and run.state == S.EXPECT_MAIL


def test_error_count_includes_data_without_recipients(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, "DATA"), max_errors=1)
    assert run.codes[-2:] == [554, 421]
    assert run.state == S.CLOSED
    assert run.states[-1].to_state == S.CLOSED


@pytest.mark.parametrize(
    ("method", "wire", "trigger"),
    [
        ("timeout", b"421 4.4.2 mx.example.net idle timeout, closing connection\r\n", S.TIMEOUT),
        ("shutdown", b"421 4.3.2 mx.example.net service shutting down, closing connection\r\n", S.SHUTDOWN),
    ],
)
@pytest.mark.parametrize("setup", [(), ("EHLO client.example.org", "MAIL FROM:<a@example.org>")])
def test_timeout_and_shutdown_send_421_and_close(smtp, method, wire, trigger, setup):
    run = smtp.run_server(*([smtp.cmds(*setup)] if setup else []))
    before = run.state
    run.call(method)
    assert run.lines[-1] == wire
    assert run.state == S.CLOSED
    assert run.states[-1] == StateChanged(machine="smtp.server", from_state=before, to_state=S.CLOSED, trigger=trigger)
    run.call(method)
    assert run.output.count(b"421") == 1


def test_peer_close_is_silent(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO), b"")
    assert run.codes == [220, 250]
    assert run.state == S.CLOSED and run.states[-1].trigger == S.PEER_CLOSED


# --- SMTP smuggling (2023): only CRLF.CRLF ends the message ------------------------------

SMUGGLED = b"MAIL FROM:<admin@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\nSubject: spoofed\r\n\r\nsmuggled\r\n"


@pytest.mark.parametrize(
    "fake_end",
    [b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r\n.\n", b"\r\n.\r", b"\r.\r\n", b"\n.\r", b"\r.\n", b"\n..\n",
     b"\r\n.\x00\r\n"],
)
@pytest.mark.parametrize("chunked", [False, True])
def test_smuggling_fake_terminators_neither_end_the_message_nor_start_a_transaction(smtp, fake_end, chunked):
    data = smtp.transaction(b"Subject: real\r\n\r\nhello" + fake_end + SMUGGLED + b".\r\n") + smtp.cmds("QUIT")
    run = smtp.run_server(*([data[i : i + 1] for i in range(len(data))] if chunked else [data]))
    assert len(run.policy.accepted) <= 1
    assert run.policy.senders == ["alice@example.org"]  # the smuggled MAIL never reached the policy
    assert sum(1 for line in run.lines if line.startswith(b"250 2.1.0")) == 1
    assert [c.verb for c in run.commands] == ["EHLO", "MAIL", "RCPT", "DATA", S.END_OF_DATA, "QUIT"]
    assert run.codes == [220, 250, 250, 250, 354, run.codes[5], 221]
    if b"\r" in fake_end.replace(b"\r\n", b"") or b"\n" in fake_end.replace(b"\r\n", b""):
        # a bare CR or LF in the text: refused as a whole at the real CRLF.CRLF
        assert run.replies[5] == R.BARE_NEWLINE
        assert run.policy.accepted == []
    else:
        assert run.codes[5] == 250
        assert b"smuggled" in run.policy.accepted[0].data


def test_smuggling_reply_comes_only_at_the_real_final_dot(smtp):
    run = smtp.run_server(smtp.transaction(b"hello\n.\n" + SMUGGLED))
    assert run.codes[-1] == 354
    assert run.state == S.IN_DATA
    run.feed(b".\r\n")
    assert run.lines[-1] == b"554 5.6.0 Message contains a bare CR or LF; only CRLF ends a line (RFC 5321 section 2.3.8)\r\n"
    assert run.policy.accepted == []
    assert run.state == S.EXPECT_MAIL


def test_the_real_terminator_does_end_the_message(smtp):
    """The control: with CRLF.CRLF the same bytes are two transactions, so the tests above can fail."""
    run = smtp.run_server(smtp.transaction(b"hello\r\n.\r\n" + SMUGGLED + b".\r\n"))
    assert len(run.policy.accepted) == 2
    assert run.policy.senders == ["alice@example.org", "admin@example.org"]
    assert sum(1 for line in run.lines if line.startswith(b"250 2.1.0")) == 2


@pytest.mark.parametrize("body", [b"a\nb\r\n", b"a\rb\r\n", b"a\r\r\n", b"\n\r\n", b".\n\r\n", b"x\r\n\n\r\n"])
def test_bare_cr_or_lf_anywhere_refuses_the_message(smtp, body):
    run = smtp.run_server(smtp.transaction(body + b".\r\n"))
    assert reply_tuple(run.last) == (554, "5.6.0")
    assert run.policy.accepted == []


# --- enhanced status codes (RFC 2034 section 4) ----------------------------------------------

CORPUS = [
    b"EHLO client.example.org\r\nMAIL FROM:<a@example.org> SIZE=10\r\nRCPT TO:<b@example.net>\r\n"
    b"RCPT TO:<nobody@example.net>\r\nRCPT TO:<elsewhere@other.example>\r\nDATA\r\nhi\r\n.\r\n"
    b"MAIL FROM:<mallory@evil.example>\r\nMAIL FROM:<> SIZE=99999\r\nMAIL FROM:<> BODY=BINARYMIME\r\n"
    b"MAIL FROM:<> X=1\r\nMAIL FROM:<j\xc3\xb6rg@example.org>\r\nMAIL FROM:bad\r\nMAIL FROM:<bad>\r\n"
    b"MAIL FROM:<>\r\nMAIL FROM:<>\r\nRCPT TO:<bad>\r\nRCPT TO:x\r\nRCPT TO:<b@example.net> X=1\r\n"
    b"RCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nRCPT TO:<d@example.net>\r\nDATA x\r\n"
    b"DATA\r\nbare\nLF\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n" + b"x" * 1200 + b"\r\n.\r\n"
    b"MAIL FROM:<>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n" + b"x" * 500 + b"\r\n" * 2 + b".\r\n"
    b"MAIL FROM:<>\r\nRCPT TO:<nobody@example.net>\r\nDATA\r\nRSET\r\nNOOP\r\nVRFY x\r\nVRFY\r\nHELP\r\n"
    b"EXPN x\r\nFOO\r\n" + b"N" * 600 + b"\r\nRCPT TO:<b@example.net>\r\nHELO client.example.org\r\n"
    b"MAIL FROM: <> SIZE=1\r\nRCPT TO: <b@example.net>\r\nRCPT TO:<b@example.net>\r\nRSET x\r\nQUIT x\r\n"
    b"NOOP\nEHLO a b\r\nEHLO\r\nQUIT\r\n",
    b"MAIL FROM:<a@example.org>\r\nEHLO bad!\r\nHELO\r\nRSET\r\nEHLO client.example.org\r\n",
]


def corpus_runs(smtp):
    policy = smtp.Policy(
        senders={"mallory@evil.example": R.TRANSACTION_FAILED.format("sender blocked")},
        recipients={
            "nobody@example.net": R.NO_SUCH_USER.format("<nobody@example.net>"),
            "elsewhere@other.example": R.RELAY_DENIED.format("other.example"),
        },
    )
    runs = [smtp.run_server(CORPUS[0], policy=policy, max_recipients=2, max_message_size=1000, max_errors=100)]
    runs.append(smtp.run_server(CORPUS[1]).call("timeout"))
    runs.append(smtp.run_server(CORPUS[1]).call("shutdown"))
    runs.append(smtp.run_server(CORPUS[1], max_errors=2))
    runs.append(smtp.run_server(smtp.transaction(b"x\r\n.\r\n"), policy=smtp.Policy(verdict=R.LOCAL_ERROR)))
    tls = smtp.run_server(b"EHLO client.example.org\r\nSTARTTLS\r\n", extensions=(*SmtpServerConfig("x").extensions, "STARTTLS"))
    runs.append(tls.call("tls_established").feed(b"EHLO client.example.org\r\nSTARTTLS\r\nQUIT\r\n"))
    # SMTP AUTH (RFC 4954): PLAIN before TLS (538), then with plaintext allowed every outcome.
    auth = {"extensions": (*SmtpServerConfig("x").extensions, "AUTH"), "auth_mechanisms": ("PLAIN", "LOGIN")}
    runs.append(smtp.run_server(b"EHLO c.example\r\nAUTH PLAIN AGEAYg==\r\n", auth=_Users(), **auth))
    good, wrong = (base64.b64encode(b"\0a@example.org\0" + p).decode().encode() for p in (b"pw", b"no"))
    runs.append(smtp.run_server(
        b"EHLO c.example\r\nAUTH PLAIN %%\r\nAUTH PLAIN " + wrong + b"\r\nAUTH LOGIN\r\n*\r\nAUTH LOGIN\r\n"
        + b"A" * 13000 + b"\r\nAUTH X\r\nAUTH PLAIN " + good + b"\r\n", auth=_Users(), plaintext_auth=True, **auth))
    return runs


class _Users:
    def check_password(self, user: str, password: str) -> bool:
        return (user, password) == ("a@example.org", "pw")

    def shared_secret(self, user: str) -> str | None:
        return None


def test_corpus_covers_every_reply_class_and_most_of_the_registry(smtp):
    sent = {(e.code, e.enhanced) for run in corpus_runs(smtp) for e in run.sent}
    registry = {(str(r.code), r.enhanced) for r in vars(R).values() if isinstance(r, Reply)}
    missing = registry - sent
    # INSUFFICIENT_STORAGE, AUTH_REQUIRED, VRFY_AMBIGUOUS are for the host's policy to send.
    assert missing <= {("452", "4.3.1"), ("530", "5.7.0"), ("553", "5.1.4")}, missing
    assert {code[0] for code, _ in sent} == {"2", "3", "4", "5"}


def test_every_reply_carries_an_enhanced_code_of_its_class_except_greeting_and_ehlo(smtp):
    for run in corpus_runs(smtp):
        last_verb, answered = "", True
        for event in run.events:
            if isinstance(event, CommandReceived):
                last_verb, answered = event.verb, False
                continue
            if not isinstance(event, ReplySent):
                continue
            # RFC 2034 section 4: "any response to HELO or EHLO", a refusal included; a
            # 421 that follows it (too many errors) is a reply of its own and has one.
            first_answer, answered = not answered, True
            # The greeting is a 220; so is the go-ahead for STARTTLS, which has its code.
            if (event.code == "220" and last_verb != "STARTTLS") or (last_verb in ("EHLO", "HELO") and first_answer):
                assert event.enhanced == "", event
            elif event.code.startswith("3"):  # 354, and AUTH's 334 challenges (RFC 4954 4)
                assert event.code in ("354", "334") and event.enhanced == "", event
            else:
                assert event.enhanced, event
                assert event.enhanced[0] == event.code[0], event
        # the wire says what the events say
        assert [(str(r.code), r.enhanced, r.lines) for r in run.replies] == [
            (e.code, e.enhanced, e.text) for e in run.sent
        ]


# --- issue 7 fidelity: each case cites the RFC text it follows ---------------------------


@pytest.mark.parametrize("line", ["RSET now", "RSET x y", "rset 1"])
def test_rset_with_an_argument_gets_501_and_keeps_the_transaction(smtp, line):
    # RFC 5321 4.1.1.5 (rset = "RSET" CRLF) and 4.3.2: commands "not accepting arguments
    # (DATA, RSET, QUIT) SHOULD return a 501 message if arguments are supplied"
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, smtp.RCPT, line))
    assert run.lines[-1] == b"501 5.5.4 Syntax: RSET takes no argument (RFC 5321 section 4.3.2)\r\n"
    assert run.state == S.EXPECT_RCPT_OR_DATA
    assert run.server.envelope.rcpt_to == ["bob@example.net"]
    assert run.states[-1].trigger == "RCPT"  # no RSET transition was taken


@pytest.mark.parametrize("line", ["QUIT now", "quit bye"])
def test_quit_with_an_argument_gets_501_and_the_session_stays_open(smtp, line):
    # RFC 5321 4.1.1.10 (quit = "QUIT" CRLF) and 4.3.2
    run = smtp.run_server(smtp.cmds(smtp.EHLO, line))
    assert run.lines[-1] == b"501 5.5.4 Syntax: QUIT takes no argument (RFC 5321 section 4.3.2)\r\n"
    assert run.state == S.EXPECT_MAIL and not run.server.closed
    run.feed(smtp.cmds("QUIT"))
    assert run.last.code == 221 and run.server.closed


def test_rset_and_quit_with_trailing_spaces_only_are_accepted(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "RSET ", "QUIT  "))
    assert run.codes[-2:] == [250, 221]


def test_noop_still_ignores_its_argument(smtp):
    # RFC 5321 4.1.1.9: noop = "NOOP" [ SP String ] CRLF; the string is ignored
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "NOOP anything"))
    assert reply_tuple(run.last) == (250, "2.0.0")


def test_data_with_an_argument_names_the_rule(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, smtp.RCPT, "DATA now"))
    assert run.lines[-1] == b"501 5.5.4 Syntax: DATA takes no argument (RFC 5321 section 4.3.2)\r\n"


BARE_LF_REPLY = (
    b"500 5.5.2 Command line ended with a bare LF, not run: SMTP lines end with CRLF"
    b" (RFC 5321 section 2.3.8; with nc, use nc -C)\r\n"
)


def test_command_ended_by_a_bare_lf_is_answered_not_run(smtp):
    # RFC 5321 2.3.8: implementations "MUST NOT recognize ... any other character or
    # character sequence as a line terminator". Unanswered, a plain nc session would hang.
    run = smtp.run_server(b"EHLO client.example.org\n")
    assert run.lines[-1] == BARE_LF_REPLY
    assert run.state == S.EXPECT_EHLO and run.states == []
    assert run.commands == [CommandReceived(machine="smtp.server", verb="EHLO", argument="client.example.org")]
    run.feed(smtp.cmds(smtp.EHLO))  # the same command with CRLF works
    assert run.last.code == 250 and run.state == S.EXPECT_MAIL


def test_a_whole_nc_session_with_bare_lfs_gets_one_reply_per_line(smtp):
    run = smtp.run_server(b"EHLO a.example\nMAIL FROM:<a@example.org>\nQUIT\n")
    assert run.lines[1:] == [BARE_LF_REPLY] * 3
    assert run.policy.senders == [] and not run.server.closed


def test_bare_lf_inside_a_crlf_line_refuses_the_part_before_it(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, b"RSET\nNOOP"))
    assert run.lines[-2:] == [BARE_LF_REPLY, b"250 2.0.0 OK\r\n"]
    assert run.state == S.EXPECT_MAIL


def test_bare_lf_reply_does_not_depend_on_chunking(smtp):
    whole = smtp.run_server(b"NOOP\nNOOP\r\n")
    split = smtp.run_server(b"NO", b"OP", b"\n", b"NOOP\r", b"\n")
    assert whole.output == split.output and whole.events == split.events


def test_bare_lf_lines_count_as_errors(smtp):
    run = smtp.run_server(b"NOOP\n" * 3, max_errors=3)
    assert run.codes == [220, 500, 500, 500, 421] and run.server.closed


def test_bare_lf_in_message_text_is_still_refused_at_the_final_dot(smtp):
    # in DATA a bare LF is message text (the smuggling defence above), not a line end
    run = smtp.run_server(smtp.transaction(b"a\nb\r\n.\r\n"))
    assert run.last == R.BARE_NEWLINE and run.policy.accepted == []


@pytest.mark.parametrize(
    ("line", "wire"),
    [
        ("MAIL FROM: <alice@example.org>",
         b"250 2.1.0 Sender <alice@example.org> OK (accepted, but RFC 5321 section 3.3 allows no space"
         b" around the colon of FROM:)\r\n"),
        ("MAIL FROM :<alice@example.org>",
         b"250 2.1.0 Sender <alice@example.org> OK (accepted, but RFC 5321 section 3.3 allows no space"
         b" around the colon of FROM:)\r\n"),
        ("MAIL FROM:<alice@example.org>", b"250 2.1.0 Sender <alice@example.org> OK\r\n"),
    ],
)
def test_space_around_the_colon_is_accepted_and_pointed_out(smtp, line, wire):
    # RFC 5321 3.3: "spaces are not permitted on either side of the colon following FROM
    # in the MAIL command or TO in the RCPT command"; deployed servers accept them anyway.
    run = smtp.run_server(smtp.cmds(smtp.EHLO, line))
    assert run.lines[-1] == wire
    assert run.state == S.EXPECT_RCPT and run.server.envelope.mail_from == "alice@example.org"


def test_space_after_the_colon_of_rcpt_is_pointed_out(smtp):
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, "RCPT TO: <bob@example.net>"))
    assert run.last == R.RECIPIENT_OK_SPACE.format("<bob@example.net>")
    assert run.server.envelope.rcpt_to == ["bob@example.net"]


def test_duplicate_recipients_are_acknowledged_and_kept_once(smtp):
    # One message, one copy per mailbox (Postfix's cleanup collapses duplicates too). The
    # domain is compared in any case, the local part as written (RFC 5321 2.4).
    rcpts = ["bob@example.net"] * 100 + ["bob@EXAMPLE.NET", "Bob@example.net"]
    run = smtp.run_server(smtp.transaction(BODY + b".\r\n", rcpts=rcpts), max_recipients=3)
    assert run.replies[3] == R.RECIPIENT_OK.format("<bob@example.net>")
    assert run.replies[4:104] == [R.RECIPIENT_DUPLICATE.format("<bob@example.net>")] * 99 + [
        R.RECIPIENT_DUPLICATE.format("<bob@EXAMPLE.NET>")
    ]
    assert run.replies[104] == R.RECIPIENT_OK.format("<Bob@example.net>")
    assert run.policy.recipients == ["bob@example.net", "Bob@example.net"]  # asked once each
    assert run.policy.accepted[0].rcpt_to == ("bob@example.net", "Bob@example.net")
    assert reply_tuple(run.last) == (250, "2.0.0")


def test_duplicates_of_postmaster_collapse_in_any_case(smtp):
    # RFC 5321 4.1.1.3: "Postmaster" without a domain is matched case-insensitively
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, "RCPT TO:<postmaster>", "RCPT TO:<Postmaster>"))
    assert run.last == R.RECIPIENT_DUPLICATE.format("<Postmaster>")
    assert run.server.envelope.rcpt_to == ["postmaster"]


def test_refused_recipients_count_towards_the_error_limit(smtp):
    # Postfix's smtpd_hard_error_limit counts every refused RCPT, so address probing ends.
    refusals = {f"u{i}@example.net": R.NO_SUCH_USER.format(f"<u{i}@example.net>") for i in range(10)}
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, *(f"RCPT TO:<u{i}@example.net>" for i in range(10))),
                          policy=smtp.Policy(recipients=refusals), max_errors=5)
    assert run.codes == [220, 250, 250, 550, 550, 550, 550, 550, 421]
    assert run.policy.recipients == [f"u{i}@example.net" for i in range(5)]
    assert run.server.closed


def test_too_many_recipients_452_counts_towards_the_error_limit(smtp):
    rcpts = [f"RCPT TO:<u{i}@example.net>" for i in range(6)]
    run = smtp.run_server(smtp.cmds(smtp.EHLO, smtp.MAIL, *rcpts), max_recipients=2, max_errors=3)
    assert run.codes == [220, 250, 250, 250, 250, 452, 452, 452, 421]
    assert run.server.closed


def test_vrfy_answer_comes_from_the_policy(smtp):
    # RFC 5321 3.5.3: only the host knows whether it "has actually verified the address"
    policy = smtp.Policy(verify={"bob": R.VRFY_OK.format("<bob@example.net>"),
                                 "nobody": R.VRFY_NO_SUCH_USER.format("nobody")})
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "VRFY bob", "VRFY nobody", "VRFY  <x@example.net>"), policy=policy)
    assert run.lines[-3:] == [
        b"250 2.1.5 <bob@example.net>\r\n",
        b"550 5.1.1 No such user here: nobody\r\n",
        b"252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n",
    ]
    assert policy.verified == ["bob", "nobody", "<x@example.net>"]
    assert [e.trigger for e in run.states] == ["EHLO", "VRFY", "VRFY"]  # the refused one takes none


def test_vrfy_refusals_count_as_errors(smtp):
    policy = smtp.Policy(verify={f"u{i}": R.VRFY_NO_SUCH_USER.format(f"u{i}") for i in range(5)})
    run = smtp.run_server(smtp.cmds(smtp.EHLO, *(f"VRFY u{i}" for i in range(5))), policy=policy, max_errors=3)
    assert run.codes == [220, 250, 550, 550, 550, 421]


def test_starttls_with_an_argument_names_its_own_rule(smtp):
    # RFC 3207 section 4: "STARTTLS" "with no parameters", else "501 Syntax error (no
    # parameters allowed)"; the reply cites that, not RFC 5321 4.3.2 (which names DATA, RSET, QUIT)
    extensions = (*SmtpServerConfig("x").extensions, "STARTTLS")
    run = smtp.run_server(smtp.cmds(smtp.EHLO, "STARTTLS now"), extensions=extensions)
    assert run.lines[-1] == b"501 5.5.4 Syntax: STARTTLS takes no argument (RFC 3207 section 4)\r\n"
