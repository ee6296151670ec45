"""Building and reading messages with the standard library's ``email`` package."""

from __future__ import annotations

import email
import email.header
import email.parser
import email.policy
import email.utils
import re
from collections.abc import Callable
from datetime import datetime
from email.message import Message

from simulator.mail.mime import SMTPUTF8_POLICY, Attachment, Body, compose, display_address, render

__all__ = ["SMTP_POLICY", "SMTPUTF8_POLICY", "Attachment", "build_message", "header", "header_values",
           "make_message_id", "parse_message", "prepend_header"]

SMTP_POLICY = email.policy.SMTP  # CRLF line ends, RFC 5322 folding


def build_message(
    *,
    sender: str,
    to: list[str],
    subject: str,
    body: str,
    date: datetime,
    message_id: str,
    cc: list[str] | None = None,
    from_name: str = "",
    extra_headers: dict[str, str] | None = None,
    html: str | None = None,
    attachments: list[Attachment] | tuple[Attachment, ...] = (),
    eight_bit: bool = False,
    boundary: Callable[[], str] | None = None,
) -> bytes:
    """A complete RFC 5322 message as bytes with CRLF line ends (the MIME rules: :mod:`simulator.mail.mime`).

    ``html`` adds a text/html alternative, ``attachments`` make it multipart/mixed;
    ``boundary`` gives the random token of each multipart boundary (required for
    multipart messages, so that they are reproducible). ``eight_bit`` allows 8bit
    text parts: only for a transport that takes them (RFC 6152).
    """
    headers: list[tuple[str, object]] = [("From", display_address(from_name, sender)), ("To", ", ".join(to))]
    if cc:
        headers.append(("Cc", ", ".join(cc)))
    headers += [("Subject", subject), ("Date", email.utils.format_datetime(date)), ("Message-ID", message_id)]
    headers += list((extra_headers or {}).items())
    content = Body(body, html, tuple(attachments))
    if boundary is None:
        if html is not None or attachments:
            raise ValueError("a multipart message needs a boundary source (the world's random generator)")
        boundary = _no_boundary
    msg = compose(headers, content, boundary=boundary, eight_bit=eight_bit)
    utf8 = not all(a.isascii() for a in [sender, *to, *(cc or [])])
    return render(msg, utf8=utf8)


def _no_boundary() -> str:
    raise AssertionError("a single-part message has no boundary")


def parse_message(data: bytes) -> Message:
    return email.message_from_bytes(data, policy=email.policy.default)


def header(data: bytes, name: str) -> str:
    """The first ``name`` field, unfolded and decoded ("" if there is none)."""
    return header_values(data, name)[0]


def header_values(data: bytes, *names: str) -> tuple[str, ...]:
    """:func:`header` for several fields, reading only the header section, once.

    The mailbox store asks this of every delivered message, so it parses the
    header section alone with the ``compat32`` policy (five times cheaper than
    the default policy's full parse) and never raises: a malformed field is
    returned as it was written.
    """
    end = data.find(b"\r\n\r\n")
    section = data[: end + 4] if end >= 0 else data
    # RFC 6532 allows UTF-8 in header fields; anything else shows as U+FFFD.
    parsed = _HEADER_PARSER.parsestr(section.decode("utf-8", "replace"))
    out = []
    for name in names:
        value = parsed.get(name)
        if value is None:
            out.append("")
            continue
        text = _FOLD.sub(r"\1", str(value)).strip()  # unfolding, RFC 5322 2.2.3
        if "=?" in text:
            try:
                text = str(email.header.make_header(email.header.decode_header(text)))
            except (ValueError, LookupError, UnicodeError):
                pass  # an encoded word that does not decode stays as written (RFC 2047 6.3)
        out.append(text)
    return tuple(out)


_HEADER_PARSER = email.parser.HeaderParser(policy=email.policy.compat32)
_FOLD = re.compile(r"\r?\n([ \t])")


def prepend_header(data: bytes, name: str, value: str) -> bytes:
    """Add a trace header at the top, as RFC 5321 4.4 requires of Received and Return-Path."""
    return f"{name}: {value}\r\n".encode() + data


def make_message_id(rng_hex: str, domain: str) -> str:
    return f"<{rng_hex}@{domain}>"
