"""header() / header_values() read fields exactly as the ``email`` package does, only faster."""

from __future__ import annotations

import email
import email.policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.mail.message import header, header_values

NAMES = ("Subject", "Message-ID", "message-id", "SUBJECT", "Date", "X-Subject")


def via_email(data: bytes, name: str) -> str | type[Exception]:
    """The reference: the full message parsed with the default policy (or the exception it raises)."""
    try:
        value = email.message_from_bytes(data, policy=email.policy.default).get(name)
    except Exception as exc:  # the stdlib raises on some malformed Message-IDs
        return type(exc)
    return str(value) if value is not None else ""


def via_header(data: bytes, name: str) -> str | type[Exception]:
    try:
        return header(data, name)
    except Exception as exc:
        return type(exc)


CASES = [
    b"Subject: hello\r\nMessage-ID: <1@example.org>\r\n\r\nbody\r\n",
    b"subject:hello\r\nMESSAGE-ID:<a.b@c.d>\r\n\r\n",
    b"Subject: folded\r\n\tover two lines\r\n  and three\r\nMessage-ID:\r\n <x@y>\r\n\r\n",
    b"Subject:   \r\n\tonly the continuation\r\n\r\n",
    b"Subject: trailing blanks  \t\r\nMessage-ID: <x@y> \r\n\r\n",
    b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\n",
    b"Subject: caf\xc3\xa9\r\n\r\n",
    b"Message-ID: <a..b@c>\r\n\r\n",
    b"Message-ID: (comment) <a@b>\r\n\r\n",
    b"Message-ID: <a@[192.0.2.1]>\r\n\r\n",
    b"Message-ID: <\"quoted\"@b>\r\n\r\n",
    b"Subject: first\r\nSubject: second\r\n\r\n",
    b"X-Subject: not this\r\nSubject: this\r\n\r\n",
    b"Subject : space before the colon ends the header section\r\nSubject: x\r\n\r\n",
    b"From alice Mon Mar  2 09:00:00 2026\r\nSubject: unix from line\r\n\r\n",
    b" continuation first\r\nSubject: x\r\n\r\n",
    b":no name\r\nSubject: x\r\n\r\n",
    b"Subject: bare\nnewlines\n\nbody",
    b"Subject: bare\rCR\r\n\r\n",
    b"Subject: no body at all\r\n",
    b"Subject: no blank line\r\nnot a header\r\nMessage-ID: <late@x>\r\n",
    b"\r\nSubject: in the body\r\n\r\n",
    b"",
    b"Subject: control \x01 char\r\n\r\n",
    b"Received: from a\r\n\tby b; Mon, 2 Mar 2026 09:00:00 +0000\r\nSubject: after a trace field\r\n\r\n",
]


@pytest.mark.parametrize("data", CASES)
def test_header_matches_the_email_package(data: bytes) -> None:
    for name in NAMES:
        assert via_header(data, name) == via_email(data, name), name


def test_header_values_reads_several_fields_at_once() -> None:
    data = b"Subject: hi\r\nMessage-ID: <1@x>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n\r\nbody\r\n"
    assert header_values(data, "Message-ID", "Subject", "Date", "Cc") == (
        "<1@x>", "hi", "Mon, 02 Mar 2026 09:00:00 +0000", "",
    )


_PIECES = [
    "Subject", "Message-ID", "To", "From", "X-Subject", "From ", ":", ": ", " ", "\t", "\r\n", "\r\n ",
    "\r\n\t", "\n", "\r", "<a@b>", "<a.b@c.d>", "<a..b@c>", "(c)", '"q"', "=?utf-8?q?h=C3=A9?=", "=?",
    "hello world", "\u00e9", "\x00", "<", ">", "@", ".", ",", "\r\n\r\n", "body",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30))
def test_header_matches_the_email_package_on_any_input(pieces: list[str]) -> None:
    data = "".join(pieces).encode("utf-8")
    for name in NAMES:
        assert via_header(data, name) == via_email(data, name), name
