"""DKIM canonicalization tables (RFC 6376 3.4) and its properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.security.canonical import (
    HeaderField,
    parse_c,
    relaxed_body,
    relaxed_header,
    select_fields,
    simple_body,
    simple_header,
    split_message,
)

# RFC 6376 3.4.5, the example: "<SP>", "<HTAB>" and "<CRLF>" written out there
EXAMPLE = b"A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n"


def test_rfc6376_3_4_5_relaxed_example() -> None:
    fields, body = split_message(EXAMPLE)
    assert b"".join(relaxed_header(f) for f in fields) == b"a:X\r\nb:Y Z\r\n"
    assert relaxed_body(body) == b" C\r\nD E\r\n"


def test_rfc6376_3_4_5_simple_example() -> None:
    fields, body = split_message(EXAMPLE)
    assert b"".join(simple_header(f) for f in fields) == b"A: X\r\nB : Y\t\r\n\tZ  \r\n"
    assert simple_body(body) == b" C \r\nD \t E\r\n"


HEADERS = [  # (raw field, relaxed) -- simple is always the raw field
    (b"Subject: Hello\r\n", b"subject:Hello\r\n"),
    (b"SUBJECT:Hello\r\n", b"subject:Hello\r\n"),
    (b"Subject :   Hello   world  \r\n", b"subject:Hello world\r\n"),  # WSP at the colon and the end
    (b"Subject: Hello\r\n world\r\n", b"subject:Hello world\r\n"),  # unfolded: the CRLF goes, the WSP stays
    (b"Subject: Hello\r\n\t\tworld\r\n", b"subject:Hello world\r\n"),
    (b"Subject:\r\n Hello\r\n", b"subject:Hello\r\n"),  # the value starts on a continuation line
    (b"Subject:\r\n", b"subject:\r\n"),  # empty value
    (b"X-A: a\tb\r\n", b"x-a:a b\r\n"),  # HTAB inside the value is WSP too
    (b"X-Case: MiXeD Value\r\n", b"x-case:MiXeD Value\r\n"),  # values keep their case
]


@pytest.mark.parametrize("raw, relaxed", HEADERS)
def test_header_canonicalization(raw: bytes, relaxed: bytes) -> None:
    (f,), _ = split_message(raw + b"\r\n")
    assert f.raw == raw
    assert simple_header(f) == raw
    assert relaxed_header(f) == relaxed


BODIES = [  # (body, simple, relaxed)
    (b"", b"\r\n", b""),  # 3.4.3: an empty body is one CRLF; 3.4.4 (erratum 1384): empty stays empty
    (b"\r\n", b"\r\n", b""),
    (b"\r\n\r\n\r\n", b"\r\n", b""),
    (b"Hi\r\n", b"Hi\r\n", b"Hi\r\n"),
    (b"Hi\r\n\r\n\r\n", b"Hi\r\n", b"Hi\r\n"),  # empty lines at the end are ignored
    (b"Hi", b"Hi\r\n", b"Hi\r\n"),  # no final CRLF: one is added
    (b"Hi  \r\n", b"Hi  \r\n", b"Hi\r\n"),  # trailing WSP: kept by simple, dropped by relaxed
    (b"Hi \t \r\n \t\r\n", b"Hi \t \r\n \t\r\n", b"Hi\r\n"),  # a WSP-only last line becomes empty, then goes
    (b"a  b\t\tc\r\n", b"a  b\t\tc\r\n", b"a b c\r\n"),
    (b"\r\nHi\r\n", b"\r\nHi\r\n", b"\r\nHi\r\n"),  # empty lines before text stay
    (b"  lead\r\n", b"  lead\r\n", b" lead\r\n"),  # leading WSP is reduced, not removed
    (b"a\rb\nc\r\n", b"a\rb\nc\r\n", b"a\rb\nc\r\n"),  # a lone CR or LF is a byte in a line
]


@pytest.mark.parametrize("body, simple, relaxed", BODIES)
def test_body_canonicalization(body: bytes, simple: bytes, relaxed: bytes) -> None:
    assert simple_body(body) == simple
    assert relaxed_body(body) == relaxed


def test_split_message() -> None:
    fields, body = split_message(b"From: a\r\nSubject: one\r\n two\r\nX: y\r\n\r\nbody\r\n\r\nmore\r\n")
    assert [f.name for f in fields] == ["From", "Subject", "X"]
    assert fields[1].raw == b"Subject: one\r\n two\r\n"
    assert body == b"body\r\n\r\nmore\r\n"


def test_split_message_without_body_or_final_crlf() -> None:
    fields, body = split_message(b"From: a\r\nTo: b")
    assert [f.raw for f in fields] == [b"From: a\r\n", b"To: b\r\n"]
    assert body == b""
    fields, body = split_message(b"From: a\r\n\r\n")
    assert body == b""


@pytest.mark.parametrize("value, expected", [
    ("", ("simple", "simple")), ("relaxed", ("relaxed", "simple")), ("simple/relaxed", ("simple", "relaxed")),
    ("relaxed/relaxed", ("relaxed", "relaxed")),
])
def test_parse_c(value: str, expected: tuple[str, str]) -> None:
    assert parse_c(value) == expected


def test_parse_c_refuses_unknown() -> None:
    with pytest.raises(ValueError, match="nowsp"):
        parse_c("relaxed/nowsp")


def test_select_fields_takes_repeated_names_from_the_bottom() -> None:
    fields, _ = split_message(b"Received: 1\r\nFrom: a\r\nReceived: 2\r\nReceived: 3\r\n\r\n")
    chosen = select_fields(fields, ["received", "from", "Received", "from"])
    assert [f.raw if f else None for f in chosen] == [b"Received: 3\r\n", b"From: a\r\n", b"Received: 2\r\n", None]


# --- properties ---------------------------------------------------------------------------------

_text = st.text(st.sampled_from(list("ab Z\t!:;") + ["\r", "\n", "é"]), max_size=20).map(str.encode)
body_lines = st.lists(_text, max_size=8).map(lambda ls: b"\r\n".join(ls))
bodies = st.tuples(body_lines, st.sampled_from([b"", b"\r\n", b"\r\n\r\n"])).map(b"".join)


@given(bodies)
def test_relaxed_body_is_idempotent(body: bytes) -> None:
    once = relaxed_body(body)
    assert relaxed_body(once) == once


@given(bodies)
def test_simple_body_is_idempotent_and_ends_in_one_crlf(body: bytes) -> None:
    once = simple_body(body)
    assert simple_body(once) == once
    assert once.endswith(b"\r\n") and (once == b"\r\n" or not once.endswith(b"\r\n\r\n"))


_name = st.text(st.sampled_from(list("abcXYZ-")), min_size=1, max_size=8)
_value_line = st.text(st.sampled_from(list("ab Z\t:;é")), max_size=12)


@given(_name, st.sampled_from(["", " ", "\t "]), st.lists(_value_line, min_size=1, max_size=3))
def test_relaxed_header_is_idempotent(name: str, before_colon: str, parts: list[str]) -> None:
    raw = (name + before_colon + ":" + parts[0] + "".join("\r\n " + p for p in parts[1:]) + "\r\n").encode()
    once = relaxed_header(HeaderField(name, raw))
    (again,), _ = split_message(once + b"\r\n")
    assert relaxed_header(again) == once
    assert once.count(b"\r\n") == 1 and b"  " not in once


@given(body_lines)
def test_relaxed_ignores_whitespace_at_line_ends(body: bytes) -> None:
    padded = b"\r\n".join(line + b" \t" for line in body.split(b"\r\n")) + b"\r\n"
    assert relaxed_body(padded) == relaxed_body(body + b"\r\n")
