"""Received and Return-Path trace fields (RFC 5321 section 4.4, RFC 5322 3.6.7)."""

from __future__ import annotations

import email.utils
from datetime import datetime


def received_header(
    *,
    helo: str,
    peer_host: str,
    peer_addr: str,
    by: str,
    protocol: str,
    queue_id: str,
    recipient: str | None,
    when: datetime,
) -> str:
    """The value of a Received field: ``from ... by ... with ... id ... for ...; date``."""
    parts = [f"from {helo} ({peer_host} [{peer_addr}])", f"by {by}", f"with {protocol}", f"id {queue_id}"]
    if recipient:
        parts.append(f"for <{recipient}>")
    return "\r\n\t".join(parts) + "; " + email.utils.format_datetime(when)


def return_path_header(reverse_path: str) -> str:
    return f"<{reverse_path}>"
