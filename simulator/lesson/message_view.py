"""A delivered message taken apart for the Message tab: MIME tree, headers, trace headers,
DKIM-Signature tags explained, Authentication-Results.

The message is parsed with the standard library's ``email`` package (the same
parser the mail layer uses); this is presentation of a finished message, not
protocol handling.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field

# RFC 6376 section 3.5: what each DKIM-Signature tag means.
DKIM_TAGS = {
    "v": "version (always 1)",
    "a": "signing algorithm",
    "c": "canonicalization: header/body",
    "d": "signing domain (SDID)",
    "s": "selector: the key is at <s>._domainkey.<d>",
    "h": "signed header fields",
    "bh": "hash of the canonicalized body",
    "b": "the signature itself",
    "t": "signature timestamp",
    "x": "signature expiration",
    "i": "agent or user identifier (AUID)",
    "l": "body length limit",
    "q": "query method for the public key",
    "z": "copied header fields (diagnostic)",
}


@dataclass(frozen=True, slots=True)
class MimePart:
    depth: int
    content_type: str
    size: int
    disposition: str = ""
    filename: str = ""
    charset: str = ""


@dataclass(frozen=True, slots=True)
class AuthResult:
    method: str
    result: str
    detail: str


@dataclass
class MessageView:
    headers: list[tuple[str, str]] = field(default_factory=list)
    parts: list[MimePart] = field(default_factory=list)
    received: list[str] = field(default_factory=list)  # newest first, as in the header block
    dkim: list[list[tuple[str, str, str]]] = field(default_factory=list)  # per signature: tag, value, meaning
    auth_results: list[tuple[str, list[AuthResult]]] = field(default_factory=list)  # authserv-id, results
    body: list[str] = field(default_factory=list)
    size: int = 0


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]+", " ", value).strip()


def dkim_tags(value: str) -> list[tuple[str, str, str]]:
    out = []
    for item in _unfold(value).split(";"):
        if "=" not in item:
            continue
        tag, _, val = item.partition("=")
        tag, val = tag.strip(), re.sub(r"\s+", "", val) if tag.strip() in ("b", "bh") else val.strip()
        out.append((tag, val, DKIM_TAGS.get(tag, "")))
    return out


def auth_results(value: str) -> tuple[str, list[AuthResult]]:
    """RFC 8601: ``authserv-id; method=result prop=value; ...``."""
    items = [i.strip() for i in _unfold(value).split(";")]
    serv = items[0] if items else ""
    out = []
    for item in items[1:]:
        m = re.match(r"([\w.-]+)\s*=\s*([\w-]+)\s*(.*)", item)
        if m:
            out.append(AuthResult(m.group(1), m.group(2), m.group(3).strip()))
    return serv, out


def parse(raw: bytes, *, body_lines: int = 40) -> MessageView:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    view = MessageView(size=len(raw))
    for name, value in msg.items():
        text = _unfold(str(value))
        view.headers.append((name, text))
        lname = name.lower()
        if lname == "received":
            view.received.append(text)
        elif lname == "dkim-signature":
            view.dkim.append(dkim_tags(str(value)))
        elif lname == "authentication-results":
            view.auth_results.append(auth_results(str(value)))

    def walk(part, depth: int) -> None:
        payload = part.get_payload(decode=False)
        size = len(payload) if isinstance(payload, str) else 0
        view.parts.append(MimePart(depth, part.get_content_type(), size,
                                   part.get_content_disposition() or "", part.get_filename() or "",
                                   part.get_content_charset() or ""))
        if part.is_multipart():
            for sub in part.get_payload():
                walk(sub, depth + 1)

    walk(msg, 0)
    text_part = next((p for p in msg.walk() if p.get_content_maintype() == "text"), None)
    if text_part is not None:
        payload = text_part.get_payload(decode=True) or b""
        charset = text_part.get_content_charset() or "utf-8"
        try:
            body = payload.decode(charset, "replace")
        except LookupError:
            body = payload.decode("utf-8", "replace")
        lines = body.splitlines()
        view.body = lines[:body_lines] + ([f"… {len(lines) - body_lines} more lines"]
                                          if len(lines) > body_lines else [])
    return view
