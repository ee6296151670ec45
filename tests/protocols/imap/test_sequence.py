"""Sequence sets (RFC 9051 9 ``sequence-set``, 6.4.8 for UIDs) and their compact rendering."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.protocols.imap.errors import ImapSyntaxError
from simulator.protocols.imap.sequence import SequenceSet, compact


@pytest.mark.parametrize(
    ("text", "count", "expected"),
    [
        ("1", 5, [1]),
        ("2:4", 5, [2, 3, 4]),
        ("4:2", 5, [2, 3, 4]),  # a range is unordered (RFC 9051 9, seq-range)
        ("*", 5, [5]),
        ("3:*", 5, [3, 4, 5]),
        ("*:3", 5, [3, 4, 5]),
        ("1,3:5,7:*", 8, [1, 3, 4, 5, 7, 8]),
        ("1:3,2:4", 5, [1, 2, 3, 4]),  # overlaps coalesce
        ("5,1", 5, [1, 5]),
    ],
)
def test_sequence_numbers_resolve_against_the_message_count(text, count, expected):
    assert SequenceSet.parse(text).resolve(count) == expected


@pytest.mark.parametrize("text", ["", "0", "1:0", "a", "1,", ",1", "1::2", "1:2:3", "-1", " 1", "1 ", "01x", "*:", "1.5"])
def test_malformed_sets_are_syntax_errors(text):
    with pytest.raises(ImapSyntaxError):
        SequenceSet.parse(text)


def test_numbers_past_32_bits_are_refused():
    with pytest.raises(ImapSyntaxError):
        SequenceSet.parse("4294967296")
    assert SequenceSet.parse("4294967295").ranges == ((4294967295, 4294967295),)


def test_sequence_number_beyond_the_mailbox_is_an_error():
    # RFC 9051 9, seq-number: a number greater than the number of messages gets BAD,
    # and so does "*" in an empty mailbox.
    with pytest.raises(ImapSyntaxError):
        SequenceSet.parse("6").resolve(5)
    with pytest.raises(ImapSyntaxError):
        SequenceSet.parse("1:9").resolve(5)
    with pytest.raises(ImapSyntaxError):
        SequenceSet.parse("*").resolve(0)


def test_uids_name_only_existing_messages():
    uids = [3, 7, 8, 20]
    assert SequenceSet.parse("1:8").resolve_uids(uids) == [3, 7, 8]
    assert SequenceSet.parse("4,5,6").resolve_uids(uids) == []
    assert SequenceSet.parse("*").resolve_uids(uids) == [20]
    assert SequenceSet.parse("8:*").resolve_uids(uids) == [8, 20]


def test_uid_range_past_the_highest_still_names_the_highest():
    # RFC 9051 6.4.8: "UID range of 559:* always includes the UID of the last message".
    assert SequenceSet.parse("559:*").resolve_uids([10, 20, 30]) == [30]
    assert SequenceSet.parse("31:40").resolve_uids([10, 20, 30]) == []


def test_uids_in_an_empty_mailbox_name_nothing():
    assert SequenceSet.parse("1:*").resolve_uids([]) == []


def test_contains_reads_star_as_the_largest():
    s = SequenceSet.parse("2,5:*")
    assert [n for n in range(1, 9) if s.contains(n, 8)] == [2, 5, 6, 7, 8]
    assert s.contains(3, 3)  # 5:* with * = 3 is 3:5


def test_str_renders_the_set_back():
    assert str(SequenceSet.parse("1,3:5,7:*,*:2")) == "1,3:5,7:*,*:2"


def test_is_sequence_set_tells_sets_from_search_keys():
    assert SequenceSet.is_sequence_set("1:*")
    assert SequenceSet.is_sequence_set("2,4")
    assert not SequenceSet.is_sequence_set("ALL")
    assert not SequenceSet.is_sequence_set("")


@pytest.mark.parametrize(
    ("numbers", "text"),
    [([], ""), ([1], "1"), ([1, 2, 3, 5], "1:3,5"), ([5, 3, 2, 1, 2], "1:3,5"), ([1, 3, 5], "1,3,5"), ([7, 8], "7:8")],
)
def test_compact(numbers, text):
    assert compact(numbers) == text


@given(st.sets(st.integers(1, 200)))
def test_compact_round_trips(numbers):
    text = compact(numbers)
    if numbers:
        assert SequenceSet.parse(text).resolve(200) == sorted(numbers)
        assert len(text.split(",")) <= len(numbers)


def test_dollar_is_the_saved_result():
    # SEARCHRES (RFC 9051 6.4.4.1; 9 seq-last-command): "$" alone, never inside a list.
    saved = SequenceSet.parse("$")
    assert saved.saved and str(saved) == "$"
    assert saved.resolve(5, saved=[2, 9, 4]) == [2, 4]
    assert saved.resolve_uids([10, 20, 30], saved=[30, 15, 10]) == [10, 30]
    assert saved.resolve(5) == []  # an empty saved result is an empty set, not an error
    for text in ("$,1", "1:$", "$$"):
        with pytest.raises(ImapSyntaxError):
            SequenceSet.parse(text)
