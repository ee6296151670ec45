"""A received message's MIME structure as a flat list of nodes, for the Message tab.

The message is parsed back with the standard library's ``email`` package
(policy ``default``), the way a mail reader would. Each node is one entity
of RFC 2045/2046 with the part number IMAP gives it (RFC 9051 6.4.5), so what
the tab shows is what ``FETCH BODY[2]`` would return:

- a single-part message is part ``1``;
- the parts of a multipart are numbered 1, 2, ... below it (``1.2`` is the
  second part of part 1); the body of a multipart message as a whole is its
  ``TEXT``;
- a message/rfc822 part ``N`` holds a message whose parts are ``N.1``, ``N.2``
  (its multipart body is ``N.TEXT``).
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import re
from dataclasses import dataclass
from email.message import Message

PREVIEW_CHARS = 60
MAX_NODES = 200  # a message built to be a bomb of nested parts still renders in a moment
MAX_DEPTH = 20


@dataclass(frozen=True, slots=True)
class MimeNode:
    path: str  # IMAP part number: "1", "2.1"; "TEXT" / "N.TEXT" for a multipart message body
    depth: int  # nesting, 0 for the top
    content_type: str  # type/subtype, lower case; text/plain when absent (RFC 2045 5.2)
    charset: str = ""  # text parts: the charset parameter ("" when the part has none)
    transfer_encoding: str = "7bit"  # as declared; 7bit when absent (RFC 2045 6.1)
    size: int = 0  # octets of the body as it crossed the wire (encoded), line ends included
    decoded_size: int | None = None  # octets after undoing the transfer encoding; None for containers
    filename: str = ""  # Content-Disposition filename, else Content-Type name (RFC 2183 2.3)
    disposition: str = ""  # inline / attachment; "" without a Content-Disposition (RFC 2183)
    preview: str = ""  # text: the start of the decoded text; message/rfc822: its From and Subject
    boundary: str = ""  # multipart: the boundary parameter (RFC 2046 5.1.1)
    children: int = 0  # multipart: how many parts it has
    problems: tuple[str, ...] = ()  # what the parser found wrong (missing boundary, bad base64, ...)

    @property
    def is_container(self) -> bool:
        return self.content_type.startswith(("multipart/", "message/rfc822"))


def mime_tree(raw: bytes) -> list[MimeNode]:
    """The nodes of ``raw`` in depth-first order (the order of the bytes)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    nodes: list[MimeNode] = []
    _walk(msg, "", 0, nodes, body_of_message=True)
    return nodes


def _walk(part: Message, path: str, depth: int, out: list[MimeNode], *, body_of_message: bool = False) -> None:
    if len(out) >= MAX_NODES or depth > MAX_DEPTH:
        return
    ctype = part.get_content_type()
    if part.is_multipart() and ctype != "message/rfc822":
        subs = part.get_payload()
        # A multipart that is a message's body is that message's TEXT; a nested one is its number.
        here = (f"{path}.TEXT" if path else "TEXT") if body_of_message else path
        out.append(_node(part, here, depth, children=len(subs), boundary=part.get_boundary() or ""))
        for n, sub in enumerate(subs, start=1):
            _walk(sub, f"{path}.{n}" if path else str(n), depth + 1, out)
        return
    here = path or "1"
    if ctype == "message/rfc822" and part.is_multipart():
        inner = part.get_payload(0)
        out.append(_node(part, here, depth, children=1, preview=_envelope(inner)))
        if inner.is_multipart():
            _walk(inner, here, depth + 1, out, body_of_message=True)
        else:
            _walk(inner, f"{here}.1", depth + 1, out)
        return
    out.append(_leaf(part, here, depth))


def _node(part: Message, path: str, depth: int, **extra: object) -> MimeNode:
    return MimeNode(
        path=path, depth=depth, content_type=part.get_content_type(),
        charset=part.get_content_charset() or "",
        transfer_encoding=str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower(),
        filename=_filename(part), disposition=part.get_content_disposition() or "",
        problems=_problems(part), **extra,  # type: ignore[arg-type]
    )


def _leaf(part: Message, path: str, depth: int) -> MimeNode:
    decoded = part.get_payload(decode=True)
    decoded = decoded if isinstance(decoded, bytes) else b""
    preview = _preview(part, decoded) if part.get_content_maintype() == "text" else ""
    return _node(part, path, depth, size=_sent_size(part, decoded), preview=preview, decoded_size=len(decoded))


def _sent_size(part: Message, decoded: bytes) -> int:
    """Octets of the body as sent. For 7bit/8bit/binary that is the decoded body itself
    (``email`` hands a text payload back already charset-decoded); for quoted-printable
    and base64 it is the encoded text, which is ASCII when the part is well formed."""
    cte = str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower()
    if cte not in ("quoted-printable", "base64"):
        return len(decoded)
    payload = part.get_payload()
    return len(payload.encode("utf-8", "surrogateescape")) if isinstance(payload, str) else 0


def _filename(part: Message) -> str:
    """The file name as sent: Content-Disposition's filename, else Content-Type's name.

    Read from the parsed parameters rather than ``get_filename()``, which also strips a
    name's enclosing angle brackets (``email.utils.unquote``), so "<x>" would read as "x".
    """
    try:
        for header, param in (("Content-Disposition", "filename"), ("Content-Type", "name")):
            params = getattr(part.get(header), "params", None)
            if params and params.get(param):
                return str(params[param])
        return part.get_filename() or ""
    except (ValueError, LookupError):  # an RFC 2231 parameter in a charset Python lacks
        return ""


def _problems(part: Message) -> tuple[str, ...]:
    # The stdlib's defect classes each carry a one-line docstring saying what they are.
    return tuple(dict.fromkeys(
        (type(d).__doc__ or type(d).__name__).strip().splitlines()[0] for d in part.defects))


_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def _preview(part: Message, decoded: bytes | None) -> str:
    data = decoded or b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        text = data.decode(charset, "replace")
    except LookupError:  # a charset Python does not know (unknown-8bit, RFC 1428): show what UTF-8 makes of it
        text = data.decode("utf-8", "replace")
    if part.get_content_subtype() == "html":
        text = _TAG.sub("", text)
    return shorten(text)


def shorten(text: str, limit: int = PREVIEW_CHARS) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _envelope(inner: Message) -> str:
    said = [f"{name}: {shorten(str(inner.get(name, '')), 40)}" for name in ("From", "Subject") if inner.get(name)]
    return "; ".join(said)
