"""header() / header_values(): what the ``email`` package reads, for any input without raising."""

from __future__ import annotations

import email
import email.policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.mail.message import header, header_values

NAMES = ("Subject", "Message-ID", "message-id", "SUBJECT", "Date", "X-Subject")


def via_email(data: bytes, name: str) -> str:
    """The reference: the whole message parsed with the default policy."""
    value = email.message_from_bytes(data, policy=email.policy.default).get(name)
    return str(value) if value is not None else ""


WELL_FORMED = [
    b"Subject: hello\r\nMessage-ID: <1@example.org>\r\n\r\nbody\r\n",
    b"subject:hello\r\nMESSAGE-ID:<a.b@c.d>\r\n\r\n",
    b"Subject: folded\r\n\tover two lines\r\n  and three\r\nMessage-ID:\r\n <x@y>\r\n\r\n",
    b"Subject: trailing blanks  \t\r\nMessage-ID: <x@y> \r\n\r\n",
    b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\n",
    b"Subject: caf\xc3\xa9\r\n\r\n",
    b"Message-ID: <a@[192.0.2.1]>\r\n\r\n",
    b"Subject: first\r\nSubject: second\r\n\r\n",
    b"X-Subject: not this\r\nSubject: this\r\n\r\n",
    b"Subject: no body at all\r\n",
    b"",
    b"Received: from a\r\n\tby b; Mon, 2 Mar 2026 09:00:00 +0000\r\nSubject: after a trace field\r\n\r\n",
]


@pytest.mark.parametrize("data", WELL_FORMED)
def test_header_matches_the_email_package(data: bytes) -> None:
    for name in NAMES:
        # We also trim the blanks around a value, which the email package keeps.
        assert header(data, name) == via_email(data, name).strip(), name


def test_header_values_reads_several_fields_at_once() -> None:
    data = b"Subject: hi\r\nMessage-ID: <1@x>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n\r\nbody\r\n"
    assert header_values(data, "Message-ID", "Subject", "Date", "Cc") == (
        "<1@x>", "hi", "Mon, 2 Mar 2026 09:00:00 +0000", "",
    )


def test_malformed_fields_are_returned_as_written() -> None:
    # The default policy's parser raises IndexError on this Message-ID; delivery must not.
    data = b'Message-ID: <"q"\r\nSubject: =?bogus-charset?q?x?=\r\n\r\n'
    assert header_values(data, "Message-ID", "Subject") == ('<"q"', "=?bogus-charset?q?x?=")


_PIECES = [
    "Subject", "Message-ID", "To", "From", "X-Subject", "From ", ":", ": ", " ", "\t", "\r\n", "\r\n ",
    "\r\n\t", "\n", "\r", "<a@b>", "<a.b@c.d>", "<a..b@c>", "(c)", '"q"', "=?utf-8?q?h=C3=A9?=", "=?",
    "hello world", "\u00e9", "\x00", "<", ">", "@", ".", ",", "\r\n\r\n", "body",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30) | st.binary(max_size=200))
def test_never_raises(pieces: list[str] | bytes) -> None:
    data = pieces if isinstance(pieces, bytes) else "".join(pieces).encode("utf-8")
    for name in NAMES:
        assert isinstance(header(data, name), str)
