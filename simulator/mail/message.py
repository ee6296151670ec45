"""Building and reading messages with the standard library's ``email`` package."""

from __future__ import annotations

import email
import email.header
import email.parser
import email.policy
import email.utils
import re
from datetime import datetime
from email.message import EmailMessage, Message

SMTP_POLICY = email.policy.SMTP  # CRLF line ends, RFC 5322 folding
SMTPUTF8_POLICY = email.policy.SMTPUTF8


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
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> bytes:
    """A complete RFC 5322 message as bytes with CRLF line ends.

    ``attachments`` are (filename, MIME type, content) triples; with any, the
    message becomes multipart/mixed.
    """
    msg = EmailMessage()
    msg["From"] = email.utils.formataddr((from_name, sender)) if from_name else sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(date)
    msg["Message-ID"] = message_id
    for name, value in (extra_headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, mime_type, content in attachments or []:
        maintype, _, subtype = mime_type.partition("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    utf8 = not all(a.isascii() for a in [sender, *to, *(cc or [])])
    return msg.as_bytes(policy=SMTPUTF8_POLICY if utf8 else SMTP_POLICY)


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
