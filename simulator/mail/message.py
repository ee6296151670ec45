"""Building and reading messages with the standard library's ``email`` package."""

from __future__ import annotations

import email
import email.policy
import email.utils
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
    value = parse_message(data).get(name)
    return str(value) if value is not None else ""


def prepend_header(data: bytes, name: str, value: str) -> bytes:
    """Add a trace header at the top, as RFC 5321 4.4 requires of Received and Return-Path."""
    return f"{name}: {value}\r\n".encode() + data


def make_message_id(rng_hex: str, domain: str) -> str:
    return f"<{rng_hex}@{domain}>"
