"""Hypothesis: the SMTP machines never crash, ignore how bytes are chunked, and follow their tables."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.protocols.smtp import states as S
from simulator.protocols.smtp.client import OutgoingMessage, SmtpClient, dot_stuff
from simulator.protocols.smtp.replies import R, Reply
from simulator.protocols.smtp.server import TEXT_LINE_LIMIT, SmtpServer, SmtpServerConfig
from simulator.trace import CommandReceived, ReplySent, StateChanged

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REPLY_LINE = re.compile(rb"^\d{3}[ -][^\r\n]*\r\n$")

# --- strategies -------------------------------------------------------------------------

VOCABULARY = [
    b"EHLO client.example.org\r\n",
    b"HELO client.example.org\r\n",
    b"EHLO bad_name\r\n",
    b"MAIL FROM:<alice@example.org>\r\n",
    b"MAIL FROM:<>\r\n",
    b"MAIL FROM:<alice@example.org> SIZE=20 BODY=8BITMIME\r\n",
    b"MAIL FROM:<alice@example.org> SIZE=999999\r\n",
    b"MAIL FROM:<j\xc3\xb6rg@example.org> SMTPUTF8\r\n",
    b"MAIL FROM:<mallory@evil.example>\r\n",
    b"RCPT TO:<bob@example.net>\r\n",
    b"RCPT TO:<carol@example.net>\r\n",
    b"RCPT TO:<nobody@example.net>\r\n",
    b"RCPT TO:<postmaster>\r\n",
    b"RCPT TO:<j\xc3\xb6rg@example.net>\r\n",
    b"DATA\r\n",
    b"RSET\r\n",
    b"NOOP\r\n",
    b"VRFY bob\r\n",
    b"HELP\r\n",
    b"QUIT\r\n",
    b"EXPN staff\r\n",
    b"MAIL FROM:<",
    b"RCPT TO:<",
    b"a@b.example",
    b"> ",
    b"SIZE=",
    b"\xc2\xb2",
    b"\xff",
    b"@",
    b" ",
    b"\r\n",
    b"\r",
    b"\n",
    b".",
    b".\r\n",
    b"..\r\n",
    b"\r\n.\r\n",
    b"\n.\n",
    b"\r.\r",
    b"\n.\r\n",
    b"\r\n.\n",
    b"Subject: hi\r\n",
    b"x" * 510,
    b"y" * 999,
    b"z" * 1500,
]

# A transaction that gets far, so that DATA-state inputs are reached often.
PREFIX = (
    b"EHLO client.example.org\r\nMAIL FROM:<alice@example.org>\r\n"
    b"RCPT TO:<bob@example.net>\r\nDATA\r\n"
)

byte_streams = st.one_of(
    st.binary(max_size=600),
    st.lists(st.one_of(st.sampled_from(VOCABULARY), st.binary(max_size=8)), max_size=40).map(b"".join),
    st.lists(st.sampled_from(VOCABULARY), max_size=40).map(lambda parts: PREFIX + b"".join(parts)),
)

configs = st.fixed_dictionaries(
    {
        "max_errors": st.integers(1, 30),
        "max_recipients": st.integers(1, 4),
        "max_message_size": st.integers(1, 3000),
    }
)


class Policy:
    def __init__(self) -> None:
        self.accepted = 0

    def check_sender(self, session, reverse_path):
        return R.TRANSACTION_FAILED.format("blocked") if reverse_path.startswith("mallory") else None

    def check_recipient(self, session, envelope, forward_path):
        return R.NO_SUCH_USER.format(f"<{forward_path}>") if forward_path.startswith("nobody") else None

    def verify(self, session, argument):
        return R.VRFY_NO_SUCH_USER.format(argument) if argument.startswith("nobody") else R.VRFY

    def accept_message(self, session, envelope):
        self.accepted += 1
        return R.QUEUED.format(f"Q{self.accepted}")


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def run_server(chunks: list[bytes], config: dict, ending: str):
    server = SmtpServer(SmtpServerConfig("mx.example.net", **config), Policy())
    events = server.start()
    out = server.data_to_send()
    for chunk in chunks:
        events += server.receive_data(chunk)
        out += server.data_to_send()
    if ending in ("timeout", "shutdown"):
        events += getattr(server, ending)()
    elif ending == "eof":
        events += server.receive_data(b"")
    out += server.data_to_send()
    return server, events, out


def assert_table_rows(events, table, initial: str, final: str) -> None:
    state = initial
    for ev in events:
        if isinstance(ev, StateChanged):
            assert ev.from_state == state, ev
            row = table.lookup(ev.from_state, ev.trigger)
            assert row is not None and row.target == ev.to_state, ev
            state = ev.to_state
    assert state == final


# --- (a) + (c): the server never raises, writes only reply lines, follows its table ----


@SETTINGS
@given(
    data=byte_streams,
    cuts=st.lists(st.integers(0, 10_000), max_size=10),
    config=configs,
    ending=st.sampled_from(["none", "eof", "timeout", "shutdown"]),
)
def test_server_survives_any_bytes(data, cuts, config, ending):
    server, events, out = run_server(split(data, cuts), config, ending)
    lines = out.splitlines(keepends=True)  # splits on bare CR and LF too, so they would show
    assert b"".join(lines) == out
    for line in lines:
        assert REPLY_LINE.match(line), line
    assert_table_rows(events, S.SERVER_TABLE, S.EXPECT_EHLO, server.state)
    # nothing happens after the server closed
    closed_at = [i for i, e in enumerate(events) if isinstance(e, StateChanged) and e.to_state == S.CLOSED]
    if closed_at:
        assert closed_at == [len(events) - 1]
    # each final dot is answered exactly once, and only a final dot reaches the policy
    dots = sum(1 for e in events if isinstance(e, CommandReceived) and e.verb == S.END_OF_DATA)
    assert server.policy.accepted <= dots
    # the events say what the wire says
    sent = [e for e in events if isinstance(e, ReplySent)]
    assert len(sent) == sum(1 for line in lines if line[3:4] == b" ")
    for e in sent:
        if e.code[0] in "245" and e.code != "220" and not e.text[0].startswith("mx.example.net greets"):
            assert e.enhanced and e.enhanced[0] == e.code[0], e
        elif e.code[0] == "3":
            assert e.enhanced == ""


# --- (b): chunking does not matter --------------------------------------------------------


@SETTINGS
@given(data=byte_streams, cuts=st.lists(st.integers(0, 10_000), min_size=1, max_size=12), config=configs)
def test_server_output_and_events_do_not_depend_on_chunking(data, cuts, config):
    _, whole_events, whole_out = run_server([data] if data else [], config, "none")  # b"" is EOF
    _, split_events, split_out = run_server(split(data, cuts), config, "none")
    assert split_out == whole_out
    assert split_events == whole_events  # frozen dataclasses: same types, same fields


def test_chunking_byte_by_byte_on_a_full_session():
    data = (
        PREFIX + b"..stuffed\r\nbare\nLF\r\n" + b"x" * 1200 + b"\r\n.\r\n"
        + b"MAIL FROM:<>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\nok\r\n.\r\n" + b"N" * 700 + b"\r\nQUIT\r\n"
    )
    config = {"max_errors": 20, "max_recipients": 5, "max_message_size": 5000}
    whole = run_server([data], config, "none")
    single = run_server([data[i : i + 1] for i in range(len(data))], config, "none")
    assert single[1:] == whole[1:]
    assert whole[0].closed and whole[0].policy.accepted == 1


# --- (d): the client over random replies ---------------------------------------------------

REPLY_TEXTS = {
    2: [("220", ""), ("221", "2.0.0"), ("250", "2.0.0"), ("250", "2.1.5"), ("250", ""), ("252", "2.5.0")],
    3: [("354", "")],
    4: [("421", "4.3.2"), ("450", "4.2.1"), ("451", "4.3.0"), ("452", "4.5.3")],
    5: [("500", "5.5.2"), ("502", "5.5.1"), ("503", "5.5.1"), ("550", "5.1.1"), ("554", "5.7.1"), ("555", "5.5.4")],
}
EXTENSIONS = ["PIPELINING", "SIZE 1000", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "AUTH PLAIN"]


@st.composite
def replies(draw) -> Reply:
    code, enhanced = draw(st.sampled_from([pair for group in REPLY_TEXTS.values() for pair in group]))
    first = draw(st.sampled_from(["ok", "mx.example.net greets you", "go ahead", "no", "2.0.0"]))
    extra = draw(st.lists(st.sampled_from(EXTENSIONS), max_size=4)) if code == "250" else []
    return Reply(int(code), (first, *extra), enhanced)


recipients = st.lists(st.sampled_from(["bob@example.net", "carol@example.net", "dave@example.net"]), min_size=1, max_size=3, unique=True)
messages = st.lists(
    st.builds(
        OutgoingMessage,
        mail_from=st.sampled_from(["alice@example.org", ""]),
        rcpt_to=recipients,
        data=st.sampled_from([b"", b"hi\r\n", b".dot\r\n", "Grüße\r\n".encode()]),
    ),
    min_size=0,
    max_size=3,
)


@SETTINGS
@given(
    msgs=messages,
    reply_list=st.lists(replies(), max_size=25),
    garbage=st.one_of(st.just(b""), st.binary(max_size=30)),
    cuts=st.lists(st.integers(0, 10_000), max_size=10),
    pipelining=st.booleans(),
    eof=st.booleans(),
)
def test_client_survives_any_reply_sequence_and_follows_its_table(msgs, reply_list, garbage, cuts, pipelining, eof):
    client = SmtpClient("client.example.org", msgs, use_pipelining=pipelining)
    data = b"".join(r.to_bytes() for r in reply_list) + garbage
    events = []
    for chunk in split(data, cuts):
        events += client.receive_data(chunk)
        client.data_to_send()
    if eof:
        events += client.receive_data(b"")
    assert_table_rows(events, S.CLIENT_TABLE, S.C_EXPECT_GREETING, client.state)
    # no message is lost or counted twice: it has a result or is still waiting
    tried = [r.message for r in client.results]
    assert [id(m) for m in tried + client.pending] == [id(m) for m in msgs]
    for result in client.results[:-1]:  # every finished message has one verdict per recipient
        assert [r.recipient for r in result.recipients] == result.message.rcpt_to
        assert all(r.outcome in ("delivered", "deferred", "failed") for r in result.recipients)
    if client.closed and client.results:
        last = client.results[-1]
        assert [r.recipient for r in last.recipients] == last.message.rcpt_to
        assert all(r.outcome != "pending" for r in last.recipients)
    if eof:
        assert client.closed


# --- 7: dot_stuff through the server gives the message back --------------------------------

text_lines = st.one_of(
    st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
    st.sampled_from([b"", b".", b"..", b".x", b"x.", b". "]),
    st.tuples(st.integers(0, 3), st.integers(0, TEXT_LINE_LIMIT - 2)).map(
        lambda t: (b"." * t[0] + b"x" * t[1])[: TEXT_LINE_LIMIT - 2]
    ),
)


@SETTINGS
@given(lines=st.lists(text_lines, max_size=12), cuts=st.lists(st.integers(0, 100_000), max_size=6))
def test_dot_stuff_round_trip_through_the_server(lines, cuts):
    message = b"".join(line + b"\r\n" for line in lines)
    server = SmtpServer(SmtpServerConfig("mx.example.net"), got := _Capture())
    server.start()
    server.receive_data(PREFIX)
    for chunk in split(dot_stuff(message), cuts):
        server.receive_data(chunk)
    out = server.data_to_send()
    assert out.endswith(b"250 2.0.0 OK queued as captured\r\n"), out[-200:]
    assert got.data == [message]
    assert server.state == S.EXPECT_MAIL


@SETTINGS
@given(lines=st.lists(text_lines, min_size=1, max_size=6))
def test_dot_stuff_adds_the_missing_final_crlf(lines):
    message = b"\r\n".join(lines)
    server = SmtpServer(SmtpServerConfig("mx.example.net"), got := _Capture())
    server.receive_data(PREFIX + dot_stuff(message))
    expected = message if message == b"" or message.endswith(b"\r\n") else message + b"\r\n"
    assert got.data == [expected]


class _Capture:
    def __init__(self) -> None:
        self.data: list[bytes] = []

    def check_sender(self, session, reverse_path):
        return None

    def check_recipient(self, session, envelope, forward_path):
        return None

    def verify(self, session, argument):
        return R.VRFY

    def accept_message(self, session, envelope):
        self.data.append(envelope.data)
        return R.QUEUED.format("captured")
