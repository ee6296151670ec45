"""A delivered message taken apart for the Message tab: MIME tree, headers, trace headers,
DKIM-Signature tags explained, Authentication-Results.

The message is parsed with the standard library's ``email`` package (the same
parser the mail layer uses); the MIME tree is :func:`simulator.mail.mime_tree.mime_tree`.
This is presentation of a finished message, not protocol handling.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import re
from dataclasses import dataclass, field

from simulator.mail.mime_tree import MimeNode, mime_tree
from simulator.security import authresults

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
class AuthResult:
    method: str
    result: str
    detail: str


@dataclass
class MessageView:
    headers: list[tuple[str, str]] = field(default_factory=list)
    parts: list[MimeNode] = field(default_factory=list)  # the MIME tree, depth first (mail.mime_tree)
    encoded_words: list[tuple[str, str, str]] = field(default_factory=list)  # field, as sent, decoded (RFC 2047)
    received: list[str] = field(default_factory=list)  # newest first, as in the header block
    dkim: list[list[tuple[str, str, str]]] = field(default_factory=list)  # per signature: tag, value, meaning
    auth_results: list[tuple[str, list[AuthResult]]] = field(default_factory=list)  # authserv-id, results
    body: list[str] = field(default_factory=list)
    size: int = 0


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]+", " ", value).strip()


def node_details(node: MimeNode) -> list[str]:
    """What the tree shows after a part's type: "charset=utf-8", "quoted-printable", "1,204 octets", ..."""
    out = []
    if node.charset:
        out.append(f"charset={node.charset}")
    if node.children:
        out.append(f"{node.children} part{'s' if node.children != 1 else ''}")
    if node.boundary:
        out.append(f"boundary {node.boundary}")
    if not node.is_container or node.transfer_encoding != "7bit":
        out.append(node.transfer_encoding)
    if node.decoded_size is not None:
        sent = f"{node.size:,} octets sent"
        out.append(sent if node.decoded_size == node.size else f"{sent}, {node.decoded_size:,} decoded")
    if node.disposition:
        out.append(node.disposition)
    if node.filename:
        out.append(f"file {node.filename}")
    return out


def decode_words(text: str) -> str:
    """RFC 2047 encoded words decoded (a word that does not decode stays as written, 6.3)."""
    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (ValueError, LookupError, UnicodeError):
        return text


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
    """RFC 8601: ``authserv-id; method=result prop=value; ...``, read as security.authresults reads it
    (quoted strings and comments may hold ';'); a field it cannot read is split at each ';'."""
    try:
        parsed = authresults.parse(_unfold(value))
    except authresults.AuthResultsSyntaxError:
        items = [i.strip() for i in _unfold(value).split(";")]
        out = []
        for item in items[1:]:
            m = re.match(r"([\w.-]+)\s*=\s*([\w-]+)\s*(.*)", item)
            if m:
                out.append(AuthResult(m.group(1), m.group(2), m.group(3).strip()))
        return (items[0] if items else ""), out
    out = []
    for r in parsed.results:
        detail = [f"reason: {r.reason}"] if r.reason else []
        detail += [f"({r.comment})"] if r.comment else []
        detail += [f"{ptype}.{name}={value}" for ptype, name, value in r.properties]
        out.append(AuthResult(r.method, r.result, " ".join(detail)))
    return parsed.authserv_id, out


def parse(raw: bytes, *, body_lines: int = 40) -> MessageView:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    view = MessageView(size=len(raw))
    for name, value in msg.items():
        text = _unfold(str(value))
        view.headers.append((name, text))
        if "=?" in text:
            decoded = decode_words(text)
            if decoded != text:
                view.encoded_words.append((name, text, decoded))
        lname = name.lower()
        if lname == "received":
            view.received.append(text)
        elif lname == "dkim-signature":
            view.dkim.append(dkim_tags(str(value)))
        elif lname == "authentication-results":
            view.auth_results.append(auth_results(str(value)))

    view.parts = mime_tree(raw)
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
