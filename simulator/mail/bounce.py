"""Delivery status notifications: the bounce a relay sends back (RFC 3464, RFC 3462/6522)."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import datetime

from simulator.mail.message import parse_message


@dataclass(frozen=True, slots=True)
class FailedRecipient:
    recipient: str
    status: str  # RFC 3463 code, e.g. "5.1.1"
    diagnostic: str  # the remote reply, e.g. "550 5.1.1 Mailbox does not exist"
    remote_mta: str = ""
    action: str = "failed"


def build_bounce(
    *,
    reporting_mta: str,
    to: str,
    failed: list[FailedRecipient],
    original: bytes,
    date: datetime,
    arrival: datetime,
    message_id: str,
    boundary: str,
) -> bytes:
    """A multipart/report; report-type=delivery-status message, sent from the null path."""
    original_headers = original.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    subject = parse_message(original).get("Subject", "")
    human = [
        f"This is the mail system at host {reporting_mta}.",
        "",
        "Your message could not be delivered to one or more recipients.",
        "",
    ]
    for f in failed:
        where = f" (remote host {f.remote_mta} said)" if f.remote_mta else ""
        human.append(f"<{f.recipient}>{where}: {f.diagnostic}")
    per_message = [f"Reporting-MTA: dns; {reporting_mta}", f"Arrival-Date: {email.utils.format_datetime(arrival)}"]
    blocks = ["\r\n".join(per_message)]
    for f in failed:
        lines = [
            f"Final-Recipient: rfc822; {f.recipient}",
            f"Action: {f.action}",
            f"Status: {f.status}",
        ]
        if f.remote_mta:
            lines.append(f"Remote-MTA: dns; {f.remote_mta}")
        lines.append(f"Diagnostic-Code: smtp; {f.diagnostic}")
        blocks.append("\r\n".join(lines))
    headers = [
        f"From: Mail Delivery System <MAILER-DAEMON@{reporting_mta}>",
        f"To: {to}",
        f"Subject: Undelivered Mail Returned to Sender{': ' + subject if subject else ''}",
        f"Date: {email.utils.format_datetime(date)}",
        f"Message-ID: {message_id}",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
    ]
    parts = [
        'Content-Type: text/plain; charset="utf-8"\r\n\r\n' + "\r\n".join(human) + "\r\n",
        "Content-Type: message/delivery-status\r\n\r\n" + "\r\n\r\n".join(blocks) + "\r\n",
        "Content-Type: text/rfc822-headers\r\n\r\n" + original_headers + "\r\n",
    ]
    body = "".join(f"--{boundary}\r\n{p}" for p in parts) + f"--{boundary}--\r\n"
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode("utf-8")
