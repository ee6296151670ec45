"""The raw-octet MIME tree FETCH reads (RFC 2045, RFC 2046 5.1.1, RFC 5322 2.2)."""

from __future__ import annotations

from simulator.protocols.imap import mime
from simulator.protocols.imap.mime import (
    entity_of,
    header_fields,
    line_count,
    parse_entity,
    split_header,
    split_multipart,
)


def test_header_ends_at_the_first_blank_line():
    assert split_header(b"A: 1\r\n\r\nbody\r\n\r\nmore") == (b"A: 1\r\n\r\n", b"body\r\n\r\nmore")
    assert split_header(b"A: 1\n\nbody") == (b"A: 1\n\n", b"body")  # bare LF too
    assert split_header(b"\r\nbody") == (b"\r\n", b"body")  # no header fields at all
    assert split_header(b"A: 1\r\nB: 2\r\n") == (b"A: 1\r\nB: 2\r\n", b"")  # no blank line: all header


def test_header_fields_unfold_and_keep_the_raw_field():
    fields = header_fields(b"Subject: one\r\n two\r\nX-Empty:\r\nnot a field\r\nTo :a@b\r\n\r\n")
    assert [(f.name, f.value) for f in fields] == [("subject", b"one two"), ("x-empty", b""), ("to", b"a@b")]
    assert fields[0].raw == b"Subject: one\r\n two\r\n"


def test_multipart_delimiters_own_the_line_break_before_them():
    # RFC 2046 5.1.1: the CRLF preceding the boundary delimiter line is part of the delimiter.
    body = b"preamble\r\n--b\r\n\r\none\r\n--b  \r\nX: y\r\n\r\ntwo\r\n\r\n--b--\r\nepilogue"
    assert split_multipart(body, b"b") == [b"\r\none", b"X: y\r\n\r\ntwo\r\n"]


def test_multipart_without_a_closing_delimiter_runs_to_the_end():
    assert split_multipart(b"--b\r\n\r\none\r\n--b\r\n\r\ntwo", b"b") == [b"\r\none", b"\r\ntwo"]


def test_line_count_counts_an_unterminated_last_line():
    assert [line_count(b""), line_count(b"a"), line_count(b"a\r\n"), line_count(b"a\r\nb")] == [0, 1, 1, 2]


def test_content_type_parameters_quoted_and_with_comments():
    e = parse_entity(b'Content-Type: Text/HTML (a comment); Charset="utf-8"; format=flowed\r\n\r\n')
    assert (e.maintype, e.subtype, e.params) == ("text", "html", [("Charset", "utf-8"), ("format", "flowed")])
    assert e.param("charset") == "utf-8"
    garbled = parse_entity(b"Content-Type: nonsense\r\n\r\n")  # unreadable: RFC 2045 5.2 default
    assert (garbled.maintype, garbled.subtype, garbled.params) == ("text", "plain", [("charset", "us-ascii")])


def test_nesting_deeper_than_the_limit_becomes_an_opaque_leaf():
    data = b"Content-Type: message/rfc822\r\n\r\n" * (mime.MAX_DEPTH + 5) + b"Subject: deep\r\n\r\nx"
    e = parse_entity(data)
    depth = 0
    while e.message is not None:
        e, depth = e.message, depth + 1
    assert depth == mime.MAX_DEPTH
    assert (e.maintype, e.subtype) == ("application", "octet-stream")


def test_entity_of_parses_the_same_bytes_once():
    data = b"Subject: cached\r\n\r\nbody\r\n"
    assert entity_of(data) is entity_of(data)
    copy = bytes(bytearray(data))
    assert entity_of(copy) is not entity_of(data)  # another bytes object: parsed again
