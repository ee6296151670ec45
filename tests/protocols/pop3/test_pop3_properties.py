"""Properties of the POP3 machines: stuffing round trips, chunking, and bytes that never crash them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.protocols.pop3 import states as S
from simulator.protocols.pop3.client import Download, Login, Pop3Client
from simulator.protocols.pop3.multiline import join_lines, message_lines, stuff, unstuff
from simulator.protocols.pop3.reader import ResponseReader
from simulator.trace import StateChanged

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])

# A message line is any bytes but LF (CR alone is data); a message is lines with CRLF ends.
LINE = st.binary(max_size=120).filter(lambda b: b"\n" not in b)
LINES = st.lists(st.one_of(LINE, st.sampled_from([b".", b"..", b".x", b"", b". ", b"\r"])), max_size=30)


@FAST
@given(LINES)
def test_rfc1939_3_stuffing_then_unstuffing_gives_the_lines_back(lines):
    stuffed = stuff(lines)
    assert b"." not in stuffed  # a body line is never the terminator
    assert [unstuff(ln) for ln in stuffed] == lines


@FAST
@given(LINES)
def test_rfc1939_3_any_message_downloads_to_the_same_bytes(pop3, lines):
    data = join_lines(lines)
    assert join_lines(message_lines(data)) == data
    store = pop3.make_store(data)
    client = Pop3Client([Login(pop3.BOB, "builder"), Download(delete=True)])
    pop3.exchange(client, pop3.new_server(store))
    assert client.state == S.C_CLOSED
    assert [m.data for m in client.messages] == [data]
    assert store.count(pop3.BOB) == 0


@FAST
@given(LINES)
def test_rfc1939_3_the_reader_reads_what_the_server_wrote(pop3, lines):
    data = join_lines(lines)
    run = pop3.logged_in("RETR 1", "TOP 1 3", store=pop3.make_store(data))
    retr, top = run.replies[-2:]
    assert join_lines(retr.body) == data
    assert list(top.body) == lines[: (lines.index(b"") + 4) if b"" in lines else len(lines)]


SESSION = (b"CAPA\r\nUSER bob@example.net\r\nPASS builder\r\nSTAT\r\nLIST\r\nUIDL\r\nRETR 1\r\nTOP 2 1\r\n"
           b"DELE 1\r\nLIST 1\r\nRSET\r\nNOOP\r\nBAD\r\n" + b"x" * 300 + b"\r\nDELE 2\r\nQUIT\r\n")


def _outcome(pop3, chunks):
    run = pop3.run_server()
    for chunk in chunks:
        run.feed(chunk)
    return run.output, [(e.from_state, e.to_state, e.trigger) for e in run.states], run.store.count(pop3.BOB)


@FAST
@given(st.lists(st.integers(0, len(SESSION)), max_size=12))
def test_any_split_of_the_input_gives_the_same_output(pop3, cuts):
    whole = _outcome(pop3, [SESSION])
    points = sorted(set(cuts))
    chunks = [SESSION[a:b] for a, b in zip([0, *points], [*points, len(SESSION)], strict=True)]
    chunks = [c for c in chunks if c]  # b"" would mean the peer closed
    assert _outcome(pop3, chunks) == whole
    assert whole[2] == 1


@FAST
@given(st.lists(st.integers(0, len(SESSION)), max_size=12))
def test_any_split_of_the_responses_reads_the_same(pop3, cuts):
    run = pop3.run_server()
    run.feed(SESSION)
    points = sorted(set(cuts))
    out = run.output
    reader = ResponseReader()
    reader.command_sent(SESSION)
    got = []
    for a, b in zip([0, *points], [*points, len(out)], strict=True):
        reader.feed(out[a:b])
        while (reply := reader.next_reply()) is not None:
            got.append(reply)
    assert got == run.replies


VOCABULARY = [b"USER bob@example.net\r\n", b"PASS builder\r\n", b"PASS wrong\r\n", b"APOP bob@example.net 0\r\n",
              b"AUTH PLAIN\r\n", b"AUTH PLAIN AGJvYkBleGFtcGxlLm5ldABidWlsZGVy\r\n", b"*\r\n", b"=\r\n",
              b"STAT\r\n", b"LIST\r\n", b"LIST 1\r\n", b"RETR 1\r\n", b"RETR 9\r\n", b"DELE 1\r\n", b"RSET\r\n",
              b"TOP 1 1\r\n", b"UIDL\r\n", b"NOOP\r\n", b"CAPA\r\n", b"STLS\r\n", b"QUIT\r\n", b"\r\n", b"\n",
              b"\xff\xfe", b"x" * 300, b"\r", b"."]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(VOCABULARY), st.binary(max_size=40)), max_size=30), st.booleans())
def test_random_bytes_never_crash_the_server_and_every_line_is_a_response(pop3, chunks, stls):
    run = pop3.run_server(stls=stls)
    for chunk in filter(None, chunks):
        if run.state == S.EXPECT_TLS:
            run.call("tls_established")
        run.feed(chunk)
    for e in run.states:
        row = S.SERVER_TABLE.lookup(e.from_state, e.trigger.removesuffix(" refused"))
        assert row is not None and e.to_state in (row.target, row.refused), e
    assert run.state in S.SERVER_TABLE.states
    assert run.reader.next_reply() is None  # every byte written was part of a whole response
    assert all(r.status in ("+OK", "-ERR", "+") for r in run.replies)
    if run.state == S.CLOSED:
        assert not run.store.locked(pop3.BOB)


REPLIES = [b"+OK ready <1.2@x>\r\n", b"+OK\r\n", b"-ERR no\r\n", b"-ERR [IN-USE] busy\r\n", b"+ \r\n",
           b"1 2\r\n", b".\r\n", b"..x\r\n", b"garbage\r\n", b"", b"+OK 2 20\r\n"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(REPLIES), max_size=25), st.sampled_from(["USER", "APOP", "PLAIN"]))
def test_the_client_takes_a_row_of_its_table_for_any_response(replies, method):
    client = Pop3Client([Login("bob@example.net", "builder", method), Download(delete=True)])
    for reply in replies:
        events = client.receive_data(reply)
        client.data_to_send()
        for e in events:
            if isinstance(e, StateChanged):
                row = S.CLIENT_TABLE.lookup(e.from_state, e.trigger)
                assert row is not None and row.target == e.to_state, e
    assert client.state in S.CLIENT_TABLE.states
    if client.closed:
        assert client.pending == []  # every action asked for has a result; none is left waiting
