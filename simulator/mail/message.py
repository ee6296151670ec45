"""Building and reading messages with the standard library's ``email`` package."""

from __future__ import annotations

import email
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
    """The first ``name`` field, as ``parse_message(data).get(name)`` gives it ("" if none)."""
    return header_values(data, name)[0]


def header_values(data: bytes, *names: str) -> tuple[str, ...]:
    """:func:`header` for several fields, reading the header section once.

    The mailbox store asks this of every delivered message, so the common case
    (an ASCII header section with CRLF line ends, a plain Subject and a plain
    ``<id@domain>`` Message-ID) is read here directly; anything else goes to
    the ``email`` package, which gives the very same strings, only slower.
    """
    end = data.find(b"\r\n\r\n")
    section = data[: end + 4] if end >= 0 else data
    fast = end >= 0 and section.isascii() and _HEADER_SECTION.fullmatch(section) is not None
    parsed: Message | None = None
    out = []
    for name in names:
        value = _fast_header(section, name) if fast else None
        if value is None:
            if parsed is None:
                # The fields end at the first empty line, so the rest of the
                # message cannot change them (headers-only parsing).
                parsed = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(section)
            found = parsed.get(name)
            value = str(found) if found is not None else ""
        out.append(value)
    return tuple(out)


# Every line a field ``name:value`` (RFC 5322 2.2, the email package's own
# name characters) or the continuation of one, CRLF only, up to the empty line.
_HEADER_SECTION = re.compile(rb"(?:[\x21-\x39\x3b-\x7e]+:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*)*\r\n")
_PLAIN_TEXT = re.compile(r"[\t\x20-\x7e]*\Z")  # no encoded word needs decoding once "=?" is absent
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_MSG_ID = re.compile(rf"<{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*>\Z")
_FIELD_PATTERNS: dict[str, re.Pattern[bytes]] = {}


def _fast_header(section: bytes, name: str) -> str | None:
    """The field's value from a section :data:`_HEADER_SECTION` matched, or None to ask ``email``.

    Only Subject (unstructured: the value itself unless it holds encoded
    words) and Message-ID (a plain msg-id is its own value) are read here.
    """
    key = name.lower()
    if key not in ("subject", "message-id"):
        return None
    pattern = _FIELD_PATTERNS.get(key)
    if pattern is None:
        # The first field of that name; its value starts after the blanks
        # following the colon and runs over its continuation lines.
        pattern = _FIELD_PATTERNS[key] = re.compile(
            rb"^" + re.escape(key.encode("ascii")) + rb":[ \t]*([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)\r\n",
            re.IGNORECASE | re.MULTILINE,
        )
    m = pattern.search(section)
    if m is None:
        return ""
    value = m.group(1).decode("ascii").replace("\r\n", "")  # unfolding (RFC 5322 2.2.3)
    if "=?" in value:
        return None
    if key == "subject":
        return value if _PLAIN_TEXT.match(value) else None
    return value if _PLAIN_MSG_ID.match(value) else None


def prepend_header(data: bytes, name: str, value: str) -> bytes:
    """Add a trace header at the top, as RFC 5321 4.4 requires of Received and Return-Path."""
    return f"{name}: {value}\r\n".encode() + data


def make_message_id(rng_hex: str, domain: str) -> str:
    return f"<{rng_hex}@{domain}>"
