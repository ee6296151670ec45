"""Whatever the input and however it is cut, the server answers the same and never crashes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.protocols.imap.client import ResponseReader
from simulator.protocols.imap.server import ImapServer, ImapServerConfig

SCRIPT = (b"a1 LOGIN {15}\r\nbob@example.net {7+}\r\nbuilder\r\n"
          b"a2 SELECT INBOX\r\na3 FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (Subject)])\r\n"
          b"a4 STORE 1 +FLAGS (\\Seen)\r\n\r\n* junk\r\na5 APPEND INBOX {11}\r\nSubject: x\r\n\r\n"
          b"a6 UID SEARCH ALL\r\na7 IDLE\r\nDONE\r\na8 COPY 1 Trash\r\na9 LOGOUT\r\n")


def run(world_factory, chunks: list[bytes]) -> bytes:
    world = world_factory()
    world.deliver("one")
    server = ImapServer(ImapServerConfig(hostname="mx.example.net"), world.policy, conn="c1")
    server.start()
    out = server.data_to_send()
    for chunk in chunks:
        server.receive_data(chunk)
        out += server.data_to_send()
    return out


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} - {0})
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return [p for p in pieces if p]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=0, max_value=len(SCRIPT)), max_size=15))
def test_any_chunking_of_the_input_gives_the_same_output(world_factory, cuts):
    whole = run(world_factory, [SCRIPT])
    assert b"a9 OK LOGOUT completed" in whole and b"a5 OK [APPENDUID" in whole
    assert run(world_factory, split(SCRIPT, cuts)) == whole


def test_byte_by_byte_gives_the_same_output(world_factory):
    assert run(world_factory, [SCRIPT[i:i + 1] for i in range(len(SCRIPT))]) == run(world_factory, [SCRIPT])


WORDS = st.sampled_from([b"a", b"LOGIN", b"bob@example.net", b"builder", b"SELECT", b"INBOX", b"FETCH", b"1:*",
                         b"(", b")", b"FLAGS", b"BODY[]", b"{3}", b"{2+}", b"\"", b"\\Seen", b"STORE", b"+FLAGS",
                         b"UID", b"IDLE", b"DONE", b"*", b"AUTHENTICATE", b"PLAIN", b"=", b"APPEND", b"MOVE",
                         b"LIST", b"%", b"STATUS", b"(MESSAGES)", b"EXPUNGE", b"CLOSE", b"\r\n", b" ", b"\n",
                         b"\x00", b"\xff"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(WORDS, max_size=60), st.binary(max_size=40))
def test_random_input_never_crashes_and_errors_are_bad_or_no(world_factory, words, noise):
    out = run(world_factory, [b"t LOGIN bob@example.net builder\r\n", b" ".join(words) + noise + b"\r\n"])
    reader = ResponseReader()
    reader.feed(out)
    responses = []
    while (r := reader.next_reply()) is not None:  # every byte sent is a well-formed response
        responses.append(r)
    assert responses[1].tag == "t" and responses[1].code == "OK"
    assert all(r.code in ("OK", "NO", "BAD") for r in responses if r.tagged)
