"""LineBuffer.consume_exactly and transactions: IMAP literals taken whole or not at all."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.protocols.lines import TOO_LONG, LineBuffer


def test_consume_exactly_waits_for_all_n_octets_and_takes_crlf_as_data():
    buf = LineBuffer()
    buf.feed(b"ab\r\n")
    assert buf.consume_exactly(5) is None and len(buf) == 4  # nothing taken yet
    buf.feed(b"c)\r\n")
    assert buf.consume_exactly(5) == b"ab\r\nc"
    assert buf.next_line(512) == b")\r\n"
    assert buf.consume_exactly(0) == b""
    with pytest.raises(ValueError):
        buf.consume_exactly(-1)


def test_an_imap_append_is_taken_whole_or_rolled_back():
    command = b"A1 APPEND INBOX {11}\r\nHello\r\nBob!\r\n"
    buf = LineBuffer()
    buf.feed(command[:30])
    buf.begin()
    assert buf.next_line(8192) == b"A1 APPEND INBOX {11}\r\n"
    assert buf.consume_exactly(11) is None  # the literal is not all here
    buf.rollback()
    assert buf.peek() == command[:30]  # as it was: the line is read again next time
    buf.feed(command[30:])
    buf.begin()
    assert buf.next_line(8192) == b"A1 APPEND INBOX {11}\r\n"
    assert buf.consume_exactly(11) == b"Hello\r\nBob!"
    assert buf.next_line(8192) == b"\r\n"
    buf.commit()
    assert len(buf) == 0 and not buf.in_transaction


def test_an_overlong_line_in_a_transaction_is_reported_and_left_for_after_the_rollback():
    buf = LineBuffer()
    buf.feed(b"x" * 20)
    buf.begin()
    assert buf.next_line(10) is TOO_LONG
    buf.rollback()
    assert len(buf) == 20
    assert buf.next_line(10) is None and buf.discarding  # outside: dropped as usual
    buf.feed(b"\r\nNEXT\r\n")
    assert buf.next_line(10) is TOO_LONG
    assert buf.next_line(10) == b"NEXT\r\n"


def test_transaction_misuse_is_refused():
    buf = LineBuffer()
    with pytest.raises(RuntimeError):
        buf.commit()
    with pytest.raises(RuntimeError):
        buf.rollback()
    buf.begin()
    with pytest.raises(RuntimeError):
        buf.begin()


@given(st.binary(max_size=60), st.lists(st.integers(0, 12), max_size=6))
def test_rollback_restores_the_buffer_exactly(data, reads):
    buf = LineBuffer()
    buf.feed(data)
    buf.begin()
    for n in reads:
        if n % 3 == 0:
            buf.next_line(40)
        else:
            buf.consume_exactly(n)
    buf.rollback()
    assert buf.peek() == data
