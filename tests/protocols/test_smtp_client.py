"""SmtpClient: against canned replies, and wired to a real SmtpServer (h11 ConnectionPair style)."""

from __future__ import annotations

import pytest

from simulator.protocols.smtp import states as S
from simulator.protocols.smtp.client import OutgoingMessage, SmtpClient, dot_stuff
from simulator.protocols.smtp.replies import R, Reply
from simulator.protocols.smtp.server import SmtpServer, SmtpServerConfig
from simulator.trace import StateChanged

BODY = b"Subject: hi\r\n\r\nHello Bob\r\n.dot line\r\n"
ALICE, BOB, CAROL, NOBODY = "alice@example.org", "bob@example.net", "carol@example.net", "nobody@example.net"


def message(*rcpts: str, data: bytes = BODY, mail_from: str = ALICE) -> OutgoingMessage:
    return OutgoingMessage(mail_from, list(rcpts or [BOB]), data)


def outcomes(client: SmtpClient) -> list[list[tuple[str, str, int, str]]]:
    return [
        [(r.recipient, r.outcome, r.reply.code, r.reply.enhanced) for r in result.recipients]
        for result in client.results
    ]


def sent_lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")[:-1]


# --- dot_stuff -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "wire"),
    [
        (b"", b".\r\n"),
        (b"a\r\n", b"a\r\n.\r\n"),
        (b"a", b"a\r\n.\r\n"),
        (b".\r\n", b"..\r\n.\r\n"),
        (b"..x\r\n.\r\nend\r\n", b"...x\r\n..\r\nend\r\n.\r\n"),
        (b"\r\n", b"\r\n.\r\n"),
        (b"a.b\r\n", b"a.b\r\n.\r\n"),
        (b"a\n.\n", b"a\n.\n\r\n.\r\n"),  # bare LF is left alone (the server refuses it)
    ],
)
def test_dot_stuff(data, wire):
    assert dot_stuff(data) == wire


# --- OutgoingMessage ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mail_from", "rcpts", "params"),
    [
        (ALICE, [], ()),
        (ALICE + "\r\nRSET", [BOB], ()),
        (ALICE, [BOB, "carol@example.net>\r\nDATA"], ()),
        (ALICE, [BOB], ("SIZE=1\nQUIT",)),
    ],
)
def test_outgoing_message_refuses_caller_mistakes(mail_from, rcpts, params):
    with pytest.raises(ValueError):
        OutgoingMessage(mail_from, rcpts, b"x\r\n", params)


# --- canned replies -----------------------------------------------------------------------

GREETING = b"220 mx.example.net ESMTP\r\n"
EHLO_OK = b"250-mx.example.net greets\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
EHLO_PLAIN = b"250 mx.example.net greets\r\n"


def test_client_says_ehlo_after_the_greeting():
    client = SmtpClient("client.example.org", [message()])
    assert client.state == S.C_EXPECT_GREETING
    assert client.data_to_send() == b""
    events = client.receive_data(GREETING)
    assert client.data_to_send() == b"EHLO client.example.org\r\n"
    assert events == [StateChanged(machine="smtp.client", from_state=S.C_EXPECT_GREETING, to_state=S.C_EXPECT_EHLO_REPLY, trigger="2xx")]


def test_client_parses_extensions_and_pipelines_with_size():
    client = SmtpClient("client.example.org", [message(BOB, CAROL)])
    client.receive_data(GREETING)
    client.data_to_send()
    client.receive_data(EHLO_OK)
    assert client.extensions == {"PIPELINING": "", "SIZE": "1000", "8BITMIME": "", "SMTPUTF8": ""}
    assert client.pipelining
    assert sent_lines(client.data_to_send()) == [
        f"MAIL FROM:<{ALICE}> SIZE={len(BODY)}".encode(),
        f"RCPT TO:<{BOB}>".encode(),
        f"RCPT TO:<{CAROL}>".encode(),
        b"DATA",
    ]


def test_client_without_pipelining_sends_one_command_per_reply():
    client = SmtpClient("client.example.org", [message(BOB, CAROL)], use_pipelining=False)
    script = [
        (GREETING, [b"EHLO client.example.org"], S.C_EXPECT_EHLO_REPLY),
        (EHLO_OK, [f"MAIL FROM:<{ALICE}> SIZE={len(BODY)}".encode()], S.C_EXPECT_MAIL_REPLY),
        (b"250 2.1.0 ok\r\n", [f"RCPT TO:<{BOB}>".encode()], S.C_EXPECT_RCPT_REPLY),
        (b"250 2.1.5 ok\r\n", [f"RCPT TO:<{CAROL}>".encode()], S.C_EXPECT_RCPT_REPLY),
        (b"550 5.1.1 no such user\r\n", [b"DATA"], S.C_EXPECT_DATA_REPLY),
        (b"354 go ahead\r\n", sent_lines(dot_stuff(BODY)), S.C_EXPECT_DATA_END_REPLY),
        (b"250 2.0.0 queued\r\n", [b"QUIT"], S.C_EXPECT_QUIT_REPLY),
        (b"221 2.0.0 bye\r\n", [], S.C_CLOSED),
    ]
    for reply, expected, state in script:
        client.receive_data(reply)
        assert sent_lines(client.data_to_send()) == expected
        assert client.state == state
    assert outcomes(client) == [[(BOB, "delivered", 250, "2.0.0"), (CAROL, "failed", 550, "5.1.1")]]


def test_client_adds_body_and_smtputf8_only_when_offered_and_needed():
    msg = OutgoingMessage("jörg@bücher.example", [BOB], "Grüße\r\n".encode())
    client = SmtpClient("client.example.org", [msg])
    client.receive_data(GREETING)
    client.data_to_send()
    client.receive_data(EHLO_OK)
    first = sent_lines(client.data_to_send())[0]
    assert first == f"MAIL FROM:<jörg@bücher.example> SIZE={len(msg.data)} BODY=8BITMIME SMTPUTF8".encode()
    client = SmtpClient("client.example.org", [msg])
    client.receive_data(GREETING)
    client.data_to_send()
    client.receive_data(EHLO_PLAIN)
    assert sent_lines(client.data_to_send()) == ["MAIL FROM:<jörg@bücher.example>".encode()]


@pytest.mark.parametrize("code", [500, 502])
def test_ehlo_not_understood_falls_back_to_helo(code):
    client = SmtpClient("client.example.org", [message()])
    client.receive_data(GREETING)
    client.data_to_send()
    client.receive_data(f"{code} 5.5.1 what?\r\n".encode())
    assert client.state == S.C_EXPECT_HELO_REPLY
    assert client.data_to_send() == b"HELO client.example.org\r\n"
    client.receive_data(EHLO_PLAIN)
    assert client.state == S.C_EXPECT_MAIL_REPLY
    assert client.extensions == {} and not client.pipelining
    assert client.data_to_send() == f"MAIL FROM:<{ALICE}>\r\n".encode()


@pytest.mark.parametrize("reply", [b"550 5.7.1 go away\r\n", b"421 4.3.2 closing\r\n", b"451 4.3.0 later\r\n"])
def test_ehlo_refused_otherwise_is_not_retried_with_helo(reply):
    client = SmtpClient("client.example.org", [message()])
    client.receive_data(GREETING)
    client.data_to_send()
    client.receive_data(reply)
    assert b"HELO" not in client.data_to_send()
    assert client.state in (S.C_EXPECT_QUIT_REPLY, S.C_CLOSED)


def test_refused_greeting_sends_quit_and_gives_each_message_the_verdict():
    msg = message()
    client = SmtpClient("client.example.org", [msg])
    client.receive_data(b"554 5.3.2 no service\r\n")
    assert client.data_to_send() == b"QUIT\r\n"
    client.receive_data(b"221 2.0.0 bye\r\n")
    assert client.closed
    # not lost: every recipient carries the refusal, and the session is marked refused
    assert client.pending == [] and client.session_refused is not None
    assert [(r.recipient, r.outcome, r.reply.code) for r in client.results[0].recipients] == [
        (rcpt, "failed", 554) for rcpt in msg.rcpt_to
    ]


def test_temporary_ehlo_refusal_defers_every_message():
    client = SmtpClient("client.example.org", [message(), message()])
    client.receive_data(GREETING)
    client.data_to_send()
    client.receive_data(b"450 4.3.2 busy\r\n")
    assert client.data_to_send() == b"QUIT\r\n"
    assert [r.outcome for m in client.results for r in m.recipients] == ["deferred"] * 2


def test_421_greeting_defers_everything():
    client = SmtpClient("client.example.org", [message(BOB, CAROL), message(BOB)])
    client.receive_data(b"421 4.3.2 busy\r\n")
    assert client.closed and client.data_to_send() == b""
    assert outcomes(client) == [
        [(BOB, "deferred", 421, "4.3.2"), (CAROL, "deferred", 421, "4.3.2")],
        [(BOB, "deferred", 421, "4.3.2")],
    ]
    assert client.pending == []


def test_connection_lost_defers_what_is_open():
    client = SmtpClient("client.example.org", [message(BOB, CAROL)], use_pipelining=False)
    client.receive_data(GREETING + EHLO_OK + b"250 2.1.0 ok\r\n" + b"550 5.1.1 no\r\n")
    client.receive_data(b"")
    assert client.closed
    assert outcomes(client) == [[(BOB, "failed", 550, "5.1.1"), (CAROL, "deferred", 421, "4.4.2")]]
    assert client.receive_data(b"250 ok\r\n") == []


@pytest.mark.parametrize(
    "garbage",
    [b"hello\r\n", "²²² superscript\r\n".encode(), b"250-a\r\n251 b\r\n", b"250 " + b"x" * 600 + b"\r\n", b"099 low\r\n"],
)
def test_malformed_reply_closes_the_client_without_raising(garbage):
    client = SmtpClient("client.example.org", [message()])
    client.receive_data(GREETING)
    client.data_to_send()
    events = client.receive_data(garbage)
    assert client.closed and client.error
    # A remote protocol error: the table's error state, never CLOSED as if all went well.
    assert (events[-1].trigger, client.state) == (S.BAD_REPLY, S.C_ERROR)
    assert outcomes(client) == [[(BOB, "deferred", 421, "4.4.2")]]


def test_unusual_enhanced_code_is_text_not_a_format_error():
    client = SmtpClient("client.example.org", [message()])
    client.receive_data(GREETING + b"250 2.1234.5 greets\r\n")
    assert not client.closed and client.error == ""
    assert client.last_reply == Reply(250, ("2.1234.5 greets",))


# --- a client and a server wired together ------------------------------------------------


class Policy:
    def __init__(self, senders=None, recipients=None, verdicts=None):
        self.senders = senders or {}
        self.recipients = recipients or {}
        self.verdicts = list(verdicts or [])
        self.accepted = []

    def check_sender(self, session, reverse_path):
        return self.senders.get(reverse_path)

    def check_recipient(self, session, envelope, forward_path):
        return self.recipients.get(forward_path)

    def verify(self, session, argument):
        return R.VRFY

    def accept_message(self, session, envelope):
        self.accepted.append((envelope.mail_from, tuple(envelope.rcpt_to), envelope.data))
        return self.verdicts.pop(0) if self.verdicts else R.QUEUED.format(f"Q{len(self.accepted)}")


class Pair:
    """SmtpClient and SmtpServer in memory; each method is one exchange in one direction."""

    def __init__(self, messages, *, pipelining=True, policy=None, **config):
        self.policy = policy or Policy()
        self.server = SmtpServer(SmtpServerConfig("mx.example.net", **config), self.policy)
        self.client = SmtpClient("client.example.org", messages, use_pipelining=pipelining)
        self.c2s: list[bytes] = []  # what the client sent, one entry per exchange
        self.server_events: list = []
        self.client_events: list = []

    def greet(self):
        self.server_events += self.server.start()
        return self.to_client()

    def to_client(self, data: bytes | None = None):
        data = self.server.data_to_send() if data is None else data
        self.client_events += self.client.receive_data(data)
        return self

    def to_server(self):
        data = self.client.data_to_send()
        self.c2s.append(data)
        self.server_events += self.server.receive_data(data)
        return self

    def exchange(self):
        return self.to_server().to_client()

    @property
    def states(self) -> tuple[str, str]:
        return self.server.state, self.client.state

    def verbs(self) -> list[str]:
        return [line.split(b" ")[0].decode() for line in sent_lines(self.c2s[-1])]

    def run(self, limit: int = 50):
        for _ in range(limit):
            if self.client.closed:
                return self
            self.exchange()
        raise AssertionError("the session did not end")


def assert_tables_followed(pair: Pair) -> None:
    for events, table, initial in (
        (pair.server_events, S.SERVER_TABLE, S.EXPECT_EHLO),
        (pair.client_events, S.CLIENT_TABLE, S.C_EXPECT_GREETING),
    ):
        state = initial
        for ev in events:
            if isinstance(ev, StateChanged):
                assert ev.from_state == state
                assert table.lookup(ev.from_state, ev.trigger).target == ev.to_state
                state = ev.to_state


def test_pair_without_pipelining_one_exchange_at_a_time():
    pair = Pair([message(BOB)], pipelining=False)
    pair.greet()
    assert pair.states == (S.EXPECT_EHLO, S.C_EXPECT_EHLO_REPLY)
    steps = [
        (["EHLO"], (S.EXPECT_MAIL, S.C_EXPECT_MAIL_REPLY)),
        (["MAIL"], (S.EXPECT_RCPT, S.C_EXPECT_RCPT_REPLY)),
        (["RCPT"], (S.EXPECT_RCPT_OR_DATA, S.C_EXPECT_DATA_REPLY)),
        (["DATA"], (S.IN_DATA, S.C_EXPECT_DATA_END_REPLY)),
        (["Subject:", "", "Hello", "..dot", "."], (S.EXPECT_MAIL, S.C_EXPECT_QUIT_REPLY)),
        (["QUIT"], (S.CLOSED, S.C_CLOSED)),
    ]
    for verbs, states in steps:
        pair.exchange()
        assert pair.verbs() == verbs
        assert pair.states == states
    assert pair.policy.accepted == [(ALICE, (BOB,), BODY)]
    assert outcomes(pair.client) == [[(BOB, "delivered", 250, "2.0.0")]]
    assert_tables_followed(pair)


def test_pair_with_pipelining_batches_mail_rcpt_data():
    pair = Pair([message(BOB, CAROL)])
    pair.greet().exchange()
    assert pair.states == (S.EXPECT_MAIL, S.C_EXPECT_MAIL_REPLY)
    pair.exchange()
    assert pair.verbs() == ["MAIL", "RCPT", "RCPT", "DATA"]
    assert pair.states == (S.IN_DATA, S.C_EXPECT_DATA_END_REPLY)
    pair.exchange()
    assert pair.states == (S.EXPECT_MAIL, S.C_EXPECT_QUIT_REPLY)
    pair.exchange()
    assert pair.states == (S.CLOSED, S.C_CLOSED)
    assert pair.policy.accepted == [(ALICE, (BOB, CAROL), BODY)]
    assert outcomes(pair.client) == [[(BOB, "delivered", 250, "2.0.0"), (CAROL, "delivered", 250, "2.0.0")]]
    assert_tables_followed(pair)


@pytest.mark.parametrize("pipelining", [False, True])
def test_pair_two_messages_in_one_session(pipelining):
    msgs = [message(BOB), message(CAROL, data=b"second\r\n", mail_from="")]
    pair = Pair(msgs, pipelining=pipelining).greet().run()
    assert pair.policy.accepted == [(ALICE, (BOB,), BODY), ("", (CAROL,), b"second\r\n")]
    assert outcomes(pair.client) == [[(BOB, "delivered", 250, "2.0.0")], [(CAROL, "delivered", 250, "2.0.0")]]
    assert pair.server.closed
    assert_tables_followed(pair)


@pytest.mark.parametrize("pipelining", [False, True])
def test_pair_with_a_recipient_refused(pipelining):
    policy = Policy(recipients={NOBODY: R.NO_SUCH_USER.format(f"<{NOBODY}>")})
    pair = Pair([message(BOB, NOBODY, CAROL)], pipelining=pipelining, policy=policy).greet().run()
    assert pair.policy.accepted == [(ALICE, (BOB, CAROL), BODY)]
    assert outcomes(pair.client) == [
        [(BOB, "delivered", 250, "2.0.0"), (NOBODY, "failed", 550, "5.1.1"), (CAROL, "delivered", 250, "2.0.0")]
    ]
    assert_tables_followed(pair)


@pytest.mark.parametrize("pipelining", [False, True])
def test_pair_with_every_recipient_refused_resets(pipelining):
    policy = Policy(recipients={NOBODY: R.NO_SUCH_USER.format(f"<{NOBODY}>"), BOB: Reply(450, ("busy",), "4.2.1")})
    pair = Pair([message(NOBODY, BOB)], pipelining=pipelining, policy=policy).greet().exchange()
    pair.exchange()
    assert pair.verbs() == (["MAIL", "RCPT", "RCPT", "DATA"] if pipelining else ["MAIL"])
    if not pipelining:
        pair.exchange().exchange()
    # the server refused DATA (pipelined) or the client never sent it; either way, RSET
    assert pair.states == (S.EXPECT_RCPT, S.C_EXPECT_RSET_REPLY)
    pair.exchange()
    assert pair.verbs() == ["RSET"]
    assert pair.states == (S.EXPECT_MAIL, S.C_EXPECT_QUIT_REPLY)
    pair.run()
    assert pair.policy.accepted == []
    assert outcomes(pair.client) == [[(NOBODY, "failed", 550, "5.1.1"), (BOB, "deferred", 450, "4.2.1")]]
    assert_tables_followed(pair)


@pytest.mark.parametrize(
    ("refusal", "outcome"),
    [(Reply(550, ("sender rejected",), "5.7.1"), "failed"), (Reply(451, ("greylisted",), "4.7.1"), "deferred")],
)
def test_pair_mail_refused_under_pipelining(refusal, outcome):
    policy = Policy(senders={ALICE: refusal})
    pair = Pair([message(BOB, CAROL), message(BOB, mail_from="")], policy=policy).greet().exchange()
    pair.exchange()
    assert pair.verbs() == ["MAIL", "RCPT", "RCPT", "DATA"]
    # MAIL refused: the server answers the RCPTs and DATA 503; the body is never sent
    assert pair.states == (S.EXPECT_MAIL, S.C_EXPECT_RSET_REPLY)
    assert [e.code for e in pair.server_events if getattr(e, "code", "") != ""][-4:] == [str(refusal.code), "503", "503", "503"]
    pair.exchange()
    assert pair.verbs() == ["RSET"]
    assert pair.states == (S.EXPECT_MAIL, S.C_EXPECT_MAIL_REPLY)
    pair.run()
    expected = (refusal.code, refusal.enhanced)
    assert outcomes(pair.client) == [
        [(BOB, outcome, *expected), (CAROL, outcome, *expected)],  # the MAIL reply, not the 503s
        [(BOB, "delivered", 250, "2.0.0")],
    ]
    assert pair.policy.accepted == [("", (BOB,), BODY)]
    assert_tables_followed(pair)


def test_pair_mail_refused_without_pipelining_moves_to_the_next_message():
    policy = Policy(senders={ALICE: Reply(550, ("no",), "5.7.1")})
    pair = Pair([message(BOB), message(CAROL, mail_from="")], pipelining=False, policy=policy).greet().exchange()
    pair.exchange()
    assert pair.verbs() == ["MAIL"]
    assert pair.states == (S.EXPECT_MAIL, S.C_EXPECT_MAIL_REPLY)
    pair.run()
    assert outcomes(pair.client) == [[(BOB, "failed", 550, "5.7.1")], [(CAROL, "delivered", 250, "2.0.0")]]


def test_pair_ehlo_answered_502_falls_back_to_helo():
    pair = Pair([message(BOB)])
    pair.greet()
    ehlo = pair.client.data_to_send()
    assert ehlo == b"EHLO client.example.org\r\n"  # an old server: pretend it said 502
    pair.to_client(b"502 5.5.1 EHLO not implemented\r\n")
    assert pair.states == (S.EXPECT_EHLO, S.C_EXPECT_HELO_REPLY)
    pair.exchange()
    assert pair.verbs() == ["HELO"]
    assert pair.states == (S.EXPECT_MAIL, S.C_EXPECT_MAIL_REPLY)
    assert not pair.server.session.esmtp
    pair.exchange()
    assert pair.verbs() == ["MAIL"]  # no SIZE: HELO servers refuse parameters (555)
    pair.run()
    assert outcomes(pair.client) == [[(BOB, "delivered", 250, "2.0.0")]]
    assert pair.policy.accepted == [(ALICE, (BOB,), BODY)]


@pytest.mark.parametrize(
    ("verdict", "outcome"),
    [(Reply(451, ("try later",), "4.3.0"), "deferred"), (Reply(554, ("spam",), "5.7.1"), "failed")],
)
@pytest.mark.parametrize("pipelining", [False, True])
def test_pair_verdict_at_the_final_dot(verdict, outcome, pipelining):
    policy = Policy(recipients={NOBODY: R.NO_SUCH_USER.format(f"<{NOBODY}>")}, verdicts=[verdict])
    msgs = [message(BOB, NOBODY, CAROL), message(BOB, data=b"next\r\n")]
    pair = Pair(msgs, pipelining=pipelining, policy=policy).greet().run()
    code, enhanced = verdict.code, verdict.enhanced
    assert outcomes(pair.client) == [
        [(BOB, outcome, code, enhanced), (NOBODY, "failed", 550, "5.1.1"), (CAROL, outcome, code, enhanced)],
        [(BOB, "delivered", 250, "2.0.0")],
    ]
    assert len(pair.policy.accepted) == 2
    assert_tables_followed(pair)


def test_pair_421_mid_session_defers_the_rest():
    msgs = [message(BOB), message(BOB, CAROL, data=b"two\r\n"), message(CAROL, data=b"three\r\n")]
    pair = Pair(msgs, pipelining=False).greet()
    while pair.server.state != S.EXPECT_RCPT_OR_DATA or pair.policy.accepted == []:
        pair.exchange()
    # the second message's first RCPT was accepted; the client has sent the second RCPT
    assert pair.states == (S.EXPECT_RCPT_OR_DATA, S.C_EXPECT_RCPT_REPLY)
    pair.server_events += pair.server.shutdown()
    pair.to_client()
    assert pair.states == (S.CLOSED, S.C_CLOSED)
    lost = (421, "4.3.2")
    assert outcomes(pair.client) == [
        [(BOB, "delivered", 250, "2.0.0")],
        [(BOB, "deferred", *lost), (CAROL, "deferred", *lost)],
        [(CAROL, "deferred", *lost)],
    ]
    assert pair.client.pending == []
    assert_tables_followed(pair)


def test_pair_421_after_too_many_errors_is_read_by_the_client():
    policy = Policy(recipients={r: R.NO_SUCH_USER.format(r) for r in ("a@x.example", "b@x.example")})
    # a refused recipient counts as an error (Postfix's hard error limit): with a limit
    # of 2 the second refusal is followed by the 421, which the client reads at once
    pair = Pair([message("a@x.example", "b@x.example")], policy=policy, max_errors=2).greet().run()
    assert pair.states == (S.CLOSED, S.C_CLOSED)
    assert pair.client.last_reply.code == 421
    assert outcomes(pair.client) == [[("a@x.example", "failed", 550, "5.1.1"), ("b@x.example", "failed", 550, "5.1.1")]]
