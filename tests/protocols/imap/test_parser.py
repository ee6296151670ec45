"""The IMAP command reader (RFC 9051 2.2.1, 4, 7.6; RFC 7888 LITERAL+; RFC 7889 APPENDLIMIT)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.protocols.imap.parser import Command, CommandReader, Continue, Refusal
from simulator.protocols.imap.tokens import Atom, Literal


def read_all(data: bytes, chunks: list[int] | None = None, **limits) -> list:
    reader = CommandReader(**limits)
    out = []
    pieces = [data] if chunks is None else _split(data, chunks)
    for piece in pieces:
        reader.feed(piece)
        while (item := reader.next()) is not None:
            out.append(item)
    return out


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, last = [], 0
    for p in points:
        out.append(data[last:p])
        last = p
    out.append(data[last:])
    return out


def test_rfc9051_2_2_1_tag_name_and_arguments():
    [cmd] = read_all(b'a1 login bob@example.net "build\\"er"\r\n')
    assert cmd == Command("a1", "LOGIN", [Atom("bob@example.net"), 'build"er'], 'bob@example.net "build\\"er"')


def test_rfc9051_4_4_lists_and_the_bracket_rule_of_fetch_atoms():
    [cmd] = read_all(b"t FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100>)\r\n")
    assert cmd.args == [Atom("1:*"), [Atom("FLAGS"), Atom("BODY.PEEK[HEADER.FIELDS (From To)]<0.100>")]]
    [cmd] = read_all(b"t STORE 1 +FLAGS.SILENT (\\Seen \\Deleted)\r\n")
    assert cmd.args == [Atom("1"), Atom("+FLAGS.SILENT"), [Atom("\\Seen"), Atom("\\Deleted")]]


def test_rfc9051_7_6_synchronising_literal_gets_a_continuation_then_the_command():
    items = read_all(b"a1 LOGIN {15}\r\nbob@example.net {7}\r\nbuilder\r\n")
    assert items == [Continue(15), Continue(7),
                     Command("a1", "LOGIN", [Literal(b"bob@example.net"), Literal(b"builder")],
                             "{15 octets} {7 octets}")]


def test_rfc7888_non_synchronising_literal_gets_no_continuation():
    items = read_all(b"a1 LOGIN {3+}\r\nbob {7+}\r\nbuilder\r\n")
    assert [type(i) for i in items] == [Command]
    assert items[0].args == [Literal(b"bob"), Literal(b"builder")]


def test_literal_octets_are_taken_as_they_are_crlf_included():
    [cont, cmd] = read_all(b"a APPEND INBOX (\\Seen) {12}\r\nHi\r\n\r\nthere.\r\n\r\nb NOOP\r\n")[:2]
    assert cont == Continue(12)
    assert cmd.args == [Atom("INBOX"), [Atom("\\Seen")], Literal(b"Hi\r\n\r\nthere.")]


def test_rfc7889_append_literal_over_the_limit_no_toobig_and_no_continuation():
    items = read_all(b"a APPEND INBOX {2000}\r\nb NOOP\r\n", append_limit=1000)
    assert items[0] == Refusal("a", "NO", items[0].text, "TOOBIG", "APPEND", items[0].shown)
    assert "1000" in items[0].text
    assert items[1] == Command("b", "NOOP", [], "")


def test_oversized_literal_of_another_command_is_bad_toobig():
    [refusal] = read_all(b"a LOGIN {5000}\r\n", literal_limit=4096)
    assert (refusal.tag, refusal.status, refusal.code) == ("a", "BAD", "TOOBIG")


def test_rfc7888_4_refused_non_synchronising_literal_is_read_and_dropped():
    items = read_all(b"a APPEND INBOX {20+}\r\n" + b"x" * 20 + b"\r\nb NOOP\r\n", append_limit=10)
    assert [(type(i), i.tag) for i in items] == [(Refusal, "a"), (Command, "b")]
    assert items[0].status == "NO" and items[0].code == "TOOBIG"


def test_overlong_line_is_bad_with_its_tag_and_the_next_command_is_read():
    items = read_all(b"a7 NOOP " + b"x" * 200 + b"\r\nb NOOP\r\n", command_limit=100)
    assert (items[0].tag, items[0].status) == ("a7", "BAD")
    assert items[1] == Command("b", "NOOP", [], "")


def test_rfc9051_7_1_3_bad_untagged_without_a_tag():
    [r1, r2] = read_all(b"\r\n* NOOP\r\n")
    assert (r1.tag, r1.status) == ("*", "BAD")
    assert (r2.tag, r2.status) == ("*", "BAD")


def test_syntax_errors_are_bad_with_the_tag():
    for line in (b'a LOGIN "unterminated\r\n', b"a FETCH 1 (FLAGS\r\n", b"a FETCH 1 FLAGS)\r\n",
                 b'a LOGIN "bad\\escape" x\r\n', b"a\r\n", b"a 123\r\n", b"a NOOP  \r\n",
                 b"a FETCH 1 BODY[HEADER\r\n", b"a X {3}x\r\n"):
        [item] = read_all(line)
        assert isinstance(item, Refusal) and item.tag == "a" and item.status == "BAD", line


INPUT = (b"a1 LOGIN {3}\r\nbob {7+}\r\nbuilder\r\nb FETCH 1:* (FLAGS BODY[])\r\n\r\n"
         b"c APPEND INBOX {5000}\r\nd APPEND INBOX {10+}\r\n0123456789\r\ne " + b"y" * 300 + b"\r\n"
         b"f SEARCH \"x\" (\r\n")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(INPUT)), max_size=12))
def test_any_chunking_gives_the_same_items(cuts):
    whole = read_all(INPUT, command_limit=200, append_limit=4000)
    assert read_all(INPUT, cuts, command_limit=200, append_limit=4000) == whole


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(data):
    for item in read_all(data, command_limit=100, literal_limit=50):
        assert isinstance(item, Command | Refusal | Continue)
