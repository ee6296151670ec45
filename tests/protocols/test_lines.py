"""LineBuffer: only CRLF ends a line; limits count the CRLF; overlong lines are discarded."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.protocols.lines import TOO_LONG, LineBuffer


def drain(buf: LineBuffer, limit: int) -> list[object]:
    out = []
    while (line := buf.next_line(limit)) is not None:
        out.append(line)
    return out


def test_splits_on_crlf_and_keeps_it():
    buf = LineBuffer()
    buf.feed(b"EHLO a\r\nNOOP\r\npartial")
    assert drain(buf, 512) == [b"EHLO a\r\n", b"NOOP\r\n"]
    assert len(buf) == len(b"partial")


def test_bare_cr_and_bare_lf_are_data():
    buf = LineBuffer()
    buf.feed(b"a\nb\rc\n.\n\r.\rd\r\n")
    assert drain(buf, 512) == [b"a\nb\rc\n.\n\r.\rd\r\n"]


def test_incomplete_line_waits_and_crlf_split_across_feeds():
    buf = LineBuffer()
    buf.feed(b"NOOP\r")
    assert buf.next_line(512) is None
    buf.feed(b"\nQUIT")
    assert buf.next_line(512) == b"NOOP\r\n"
    assert buf.next_line(512) is None
    buf.feed(b"\r\n")
    assert buf.next_line(512) == b"QUIT\r\n"


def test_cr_then_other_byte_is_not_a_line_end():
    buf = LineBuffer()
    buf.feed(b"a\r")
    assert buf.next_line(512) is None
    buf.feed(b"b\r\n")
    assert buf.next_line(512) == b"a\rb\r\n"


def test_limit_counts_the_crlf():
    buf = LineBuffer()
    buf.feed(b"abc\r\nabcd\r\nok\r\n")
    assert drain(buf, 5) == [b"abc\r\n", TOO_LONG, b"ok\r\n"]


def test_overlong_line_fed_in_pieces_reports_too_long_once_and_keeps_little():
    buf = LineBuffer()
    for _ in range(1000):
        buf.feed(b"x" * 100)
        assert buf.next_line(512) is None
        assert len(buf) <= 512 + 100  # discarding: the line is not kept in memory
    buf.feed(b"\r\nNOOP\r\n")
    assert drain(buf, 512) == [TOO_LONG, b"NOOP\r\n"]


def test_trailing_cr_survives_discarding():
    buf = LineBuffer()
    buf.feed(b"x" * 20 + b"\r")
    assert buf.next_line(5) is None
    assert len(buf) == 1
    buf.feed(b"\nok\r\n")
    assert drain(buf, 5) == [TOO_LONG, b"ok\r\n"]


def test_discarded_cr_followed_by_data_does_not_end_line():
    buf = LineBuffer()
    buf.feed(b"x" * 20 + b"\r")
    assert buf.next_line(5) is None
    buf.feed(b"y\r\nok\r\n")
    assert drain(buf, 5) == [TOO_LONG, b"ok\r\n"]


def test_take_all_returns_the_rest_and_resets():
    buf = LineBuffer()
    buf.feed(b"ok\r\ntail")
    assert buf.next_line(5) == b"ok\r\n"
    assert buf.take_all() == b"tail"
    assert len(buf) == 0
    buf.feed(b"x" * 20)
    assert buf.next_line(5) is None  # now discarding
    buf.feed(b"more of the overlong line")
    assert buf.take_all() == b""  # dropped as it came
    buf.feed(b"ok\r\n")
    assert buf.next_line(5) == b"ok\r\n"  # no longer discarding


def test_feed_drops_an_overlong_line_as_it_arrives():
    """Past the limit nothing of the line is kept, even between calls to next_line."""
    buf = LineBuffer()
    buf.feed(b"x" * 600)
    assert buf.next_line(512) is None
    for _ in range(100):
        buf.feed(b"y" * 100_000)  # no next_line in between: feed itself discards
        assert len(buf) == 0
    buf.feed(b"z" * 99 + b"\r")
    assert len(buf) == 1  # the CR that may begin the CRLF
    buf.feed(b"\nNOOP\r\nQU")
    assert drain(buf, 512) == [TOO_LONG, b"NOOP\r\n"]
    assert buf.peek() == b"QU"


def reference_lines(data: bytes, limit: int) -> list[object]:
    parts = data.split(b"\r\n")[:-1]  # the last part is incomplete
    return [TOO_LONG if len(p) + 2 > limit else p + b"\r\n" for p in parts]


alphabet = st.sampled_from([b"a", b"\r", b"\n", b"\r\n", b".", b"xxxxxxx"])


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(alphabet, max_size=60).map(b"".join),
    limit=st.integers(2, 20),
    cuts=st.lists(st.integers(0, 400), max_size=8),
)
def test_any_chunking_matches_a_reference_splitter(data, limit, cuts):
    buf = LineBuffer()
    got: list[object] = []
    bounds = sorted({0, len(data), *(c for c in cuts if c <= len(data))})
    for a, b in zip(bounds, bounds[1:], strict=False):
        buf.feed(data[a:b])
        got += drain(buf, limit)
    assert got == reference_lines(data, limit)


def test_bare_lf_ends_a_line_only_when_asked():
    # RFC 5321 2.3.8 says only CRLF ends a line; the server asks for bare-LF lines in
    # command mode only, to refuse them with a reply instead of waiting for ever.
    buf = LineBuffer()
    buf.feed(b"NOOP\nQUIT\r\n")
    assert buf.next_line(512) == b"NOOP\nQUIT\r\n"
    buf.feed(b"NOOP\nQUIT\r\n")
    assert buf.next_line(512, bare_lf_ends=True) == b"NOOP\n"
    assert buf.next_line(512, bare_lf_ends=True) == b"QUIT\r\n"
    assert buf.next_line(512, bare_lf_ends=True) is None


def test_bare_lf_ends_keeps_the_length_limit():
    buf = LineBuffer()
    buf.feed(b"x" * 600 + b"\nNOOP\n")
    assert buf.next_line(512, bare_lf_ends=True) is TOO_LONG
    assert buf.next_line(512, bare_lf_ends=True) == b"NOOP\n"


def test_bare_lf_ends_an_overlong_line_fed_in_pieces():
    # the line being dropped as it arrives ends at its LF, as it would in one piece
    buf = LineBuffer()
    buf.feed(b"y" * 513)
    assert buf.next_line(512, bare_lf_ends=True) is None and buf.discarding
    buf.feed(b"y" * 1000 + b"\nNOOP\n")
    assert buf.next_line(512, bare_lf_ends=True) is TOO_LONG
    assert buf.next_line(512, bare_lf_ends=True) == b"NOOP\n"


def test_a_bare_lf_does_not_end_a_discarded_text_line():
    buf = LineBuffer()
    buf.feed(b"x" * 600)
    assert buf.next_line(512) is None
    buf.feed(b"a\nb")  # kept from the LF, which ends nothing here
    buf.feed(b"c\r")
    buf.feed(b"\nok\r\n")
    assert drain(buf, 512) == [TOO_LONG, b"ok\r\n"]
