"""MIME messages built with the standard library's ``email`` package (RFC 2045, 2046, 2047, 2183, 2231).

A message is text, optionally an HTML alternative of it, and attachments:

    text                 -> text/plain
    text + html          -> multipart/alternative (text/plain, text/html); RFC 2046 5.1.4
    ... + attachments    -> multipart/mixed (the above first, then each attachment); RFC 2046 5.1.3

The transfer encodings are the ones ``email`` chooses (RFC 2045 6): 7bit for
ASCII text with short lines, else quoted-printable or base64, whichever is
shorter (6.7, 6.8); base64 for binary attachments. ``8bit`` text is written only
when the caller says the transport takes it, i.e. the server offers 8BITMIME
and the client sends ``BODY=8BITMIME`` (RFC 6152 3); otherwise the message is
7-bit clean. Non-ASCII header text becomes RFC 2047 encoded words, non-ASCII
file names RFC 2231 parameters. The stdlib draws boundaries at random: here
they come from the caller (the world's seeded generator), so a run is
reproducible.

:func:`seven_bit` is the gateway transformation of RFC 6152 3 for a message
that is already 8-bit when the next server turns out not to offer 8BITMIME.
"""

from __future__ import annotations

import base64
import email
import email.charset
import email.header
import email.policy
import email.quoprimime
import hashlib
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage, Message

SEVEN_BIT_POLICY = email.policy.SMTP.clone(cte_type="7bit")  # CRLF, RFC 5322 folding, no 8bit parts
EIGHT_BIT_POLICY = email.policy.SMTP  # 8bit text parts allowed (RFC 6152)
SMTPUTF8_POLICY = email.policy.SMTPUTF8  # UTF-8 header fields unencoded (RFC 6532)
MAX_GENERATED = 4 * 1024 * 1024  # a generated attachment; base64 makes it 4/3 larger on the wire


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attachment: ``data`` is text (sent with charset utf-8) or octets."""

    filename: str
    content_type: str  # type/subtype
    data: str | bytes
    inline: bool = False  # Content-Disposition inline instead of attachment (RFC 2183 2.1, 2.2)


@dataclass(frozen=True, slots=True)
class Body:
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()


def display_address(name: str, address: str) -> Address | str:
    """``"Zoë" <zoe@example.org>`` as a header value; the name is encoded on output (RFC 2047 5(3))."""
    if not name:
        return address
    local, _, domain = address.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def compose(headers: list[tuple[str, object]], body: Body, *, boundary: Callable[[], str],
            eight_bit: bool = False) -> EmailMessage:
    """The message tree: ``headers`` in order, then the content headers ``email`` writes.

    ``boundary`` returns a fresh random token each call (hex digits); boundaries are
    ``=_`` plus that token: "=_" cannot occur in quoted-printable or base64 text
    (RFC 2045 6.7 note 8, 6.8), and a token that occurs in a 7bit/8bit part is drawn again.
    """
    policy = EIGHT_BIT_POLICY if eight_bit else SEVEN_BIT_POLICY
    msg = EmailMessage(policy=policy)
    for name, value in headers:
        msg[name] = value
    msg.set_content(body.text, cte=_forced_cte(body.text))
    if body.html is not None:
        msg.add_alternative(body.html, subtype="html", cte=_forced_cte(body.html))
    for a in body.attachments:
        maintype, _, subtype = a.content_type.partition("/")
        disposition = "inline" if a.inline else "attachment"
        if isinstance(a.data, str) and maintype == "text":
            msg.add_attachment(a.data, subtype=subtype, filename=a.filename, disposition=disposition,
                               cte=_forced_cte(a.data))
        else:
            data = a.data.encode("utf-8") if isinstance(a.data, str) else a.data
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=a.filename,
                               disposition=disposition)
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]  # only the top level needs it (RFC 2045 4); email adds it to parts too
    _set_boundaries(msg, boundary)
    return msg


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _forced_cte(text: str) -> str | None:
    """quoted-printable for text with control characters, which 7bit and 8bit data may not hold
    (RFC 2045 2.7, 2.8: no NUL, CR and LF only as CRLF); otherwise ``email`` chooses (None)."""
    return "quoted-printable" if _CONTROL.search(text) else None


def render(msg: EmailMessage, *, utf8: bool = False) -> bytes:
    """The message as bytes with CRLF line ends; ``utf8`` keeps non-ASCII header text raw (SMTPUTF8)."""
    return msg.as_bytes(policy=SMTPUTF8_POLICY if utf8 else msg.policy)


def _set_boundaries(msg: EmailMessage, token: Callable[[], str]) -> None:
    leaves = [p.get_payload() for p in msg.walk() if not p.is_multipart()]
    used: set[str] = set()
    for part in msg.walk():
        if not part.is_multipart():
            continue
        while True:
            b = "=_" + token()
            if b not in used and not any(isinstance(t, str) and b in t for t in leaves):
                break
        used.add(b)
        part.set_boundary(b)


# --- generated attachments ------------------------------------------------------------

_WORDS = ("mail", "message", "header", "body", "part", "boundary", "encoding", "octet", "line",
          "server", "client", "relay", "mailbox", "envelope", "reply")


def generated(content_type: str, size: int, name: str) -> bytes:
    """``size`` octets that look like a file of ``content_type``, the same for the same arguments.

    text/*: lines of words; image/png: a valid 1x1 PNG padded with a comment chunk;
    anything else: pseudo-random octets (SHAKE-256 of the name), the way a binary
    file looks to base64.
    """
    if size < 0 or size > MAX_GENERATED:
        raise ValueError(f"a generated attachment has 0 to {MAX_GENERATED} octets, not {size}")
    seed = hashlib.shake_256(f"{content_type}\0{name}".encode())
    maintype = content_type.partition("/")[0].lower()
    if maintype == "text":
        return _text(seed.digest(64), size)
    if content_type.lower() == "image/png":
        return _png(size, seed.digest(3))
    return seed.digest(size)


def _text(seed: bytes, size: int) -> bytes:
    out = bytearray()
    n = 0
    while len(out) < size:
        line = " ".join(_WORDS[seed[(n + i) % len(seed)] % len(_WORDS)] for i in range(8))
        out += f"{n + 1:04d} {line}\r\n".encode()
        n += 1
    out = out[:size]
    if size >= 2 and not out.endswith(b"\r\n"):
        out[-2:] = b"\r\n"
    return bytes(out)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG_MIN_SIZE = 8 + 25 + 24 + 21 + 12  # signature, IHDR, IDAT (one pixel), tEXt "Comment\0" + 1, IEND


def _png(size: int, rgb: bytes) -> bytes:
    """A 1x1 PNG of colour ``rgb``, exactly ``size`` octets long (a tEXt chunk pads it; PNG 11.3.4.3)."""
    if size < PNG_MIN_SIZE:
        raise ValueError(f"a generated image/png has at least {PNG_MIN_SIZE} octets")
    head = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    head += _chunk(b"IDAT", zlib.compress(b"\x00" + rgb))
    tail = _chunk(b"IEND", b"")
    pad = size - len(head) - len(tail) - 12 - len(b"Comment\0")
    assert pad >= 1, "PNG_MIN_SIZE is the smallest such PNG"
    text = (b"mailsim " * (pad // 8 + 1))[:pad]
    return head + _chunk(b"tEXt", b"Comment\0" + text) + tail


# --- RFC 6152 3: converting 8bit to 7bit on the way ------------------------------------

_GATEWAY_POLICY = email.policy.SMTP.clone(refold_source="none", cte_type="8bit")


def is_seven_bit(data: bytes) -> bool:
    """No octet above 127 and no line longer than 998 octets (RFC 5321 4.5.3.1.6, RFC 2045 2.7)."""
    return data.isascii() and all(len(line) <= 998 for line in data.split(b"\r\n"))


def seven_bit(data: bytes) -> bytes:
    """``data`` made 7-bit clean: what an SMTP client does when the server lacks 8BITMIME (RFC 6152 3).

    Every leaf part holding 8-bit octets is re-encoded: text as quoted-printable
    (RFC 2045 6.7), anything else as base64 (6.8); header fields with 8-bit text
    (raw UTF-8, RFC 6532) get encoded words for their non-ASCII words (RFC 2047 5).
    A message without MIME headers is text/plain; its charset is utf-8 if the
    octets are UTF-8, else unknown-8bit (RFC 1428). Parts already 7-bit, and
    the header fields, keep their bytes, so only what had to change changes.
    """
    if data.isascii():
        return data
    end = data.find(b"\r\n\r\n")
    head, sep, rest = (data[:end], b"\r\n\r\n", data[end + 4:]) if end >= 0 else (data, b"", b"")
    lines = [_encode_header_line(line) for line in head.split(b"\r\n")]
    msg = email.message_from_bytes(b"\r\n".join(lines) + sep + rest, policy=_GATEWAY_POLICY)
    if msg.get("MIME-Version") is None:
        charset = "utf-8" if _is_utf8(rest) else "unknown-8bit"
        msg["MIME-Version"] = "1.0"
        msg["Content-Type"] = f'text/plain; charset="{charset}"'
    for part in _leaves(msg):
        payload = part.get_payload()
        if isinstance(payload, str) and not _ascii_payload(payload):
            _reencode(part)
    return msg.as_bytes(policy=_GATEWAY_POLICY)


def _leaves(msg: Message) -> Iterator[Message]:
    for part in msg.walk():
        if not part.is_multipart():
            yield part


def _ascii_payload(payload: str) -> bool:
    try:
        payload.encode("ascii")
    except UnicodeEncodeError:
        return False
    return True


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _reencode(part: Message) -> None:
    raw = part.get_payload(decode=True) or b""
    if part.get_content_maintype() == "text":
        # Line ends stay line ends; every other octet above 127 (and "=") becomes =XX.
        lines = raw.replace(b"\r\n", b"\n").split(b"\n")
        encoded = "\r\n".join(email.quoprimime.body_encode(line.decode("latin-1"), 76, "\r\n") for line in lines)
        cte = "quoted-printable"
    else:
        encoded = "\r\n".join(_b64_lines(raw)) + "\r\n"
        cte = "base64"
    part.set_payload(encoded)
    if "Content-Transfer-Encoding" in part:
        part.replace_header("Content-Transfer-Encoding", cte)
    else:
        part["Content-Transfer-Encoding"] = cte


def _b64_lines(raw: bytes) -> list[str]:
    text = base64.b64encode(raw).decode("ascii")
    return [text[i:i + 76] for i in range(0, len(text), 76)] or [""]


_WORD = re.compile(rb"[^\s]+")


def _encode_header_line(line: bytes) -> bytes:
    """A header line whose non-ASCII words become encoded words; ASCII words keep their bytes."""
    if line.isascii():
        return line

    def word(m: re.Match[bytes]) -> bytes:
        w = m.group()
        if w.isascii():
            return w
        if _is_utf8(w):
            return email.header.Header(w.decode("utf-8"), "utf-8").encode(linesep="\r\n").encode("ascii")
        # Octets in no known charset (RFC 1428): encoded words of at most 75 characters (RFC 2047 2).
        return b" ".join(b"=?unknown-8bit?b?" + base64.b64encode(w[i:i + 30]) + b"?="
                         for i in range(0, len(w), 30))

    name, colon, value = line.partition(b":")
    if not colon or line[:1] in (b" ", b"\t"):
        return _WORD.sub(word, line)
    return name + colon + _WORD.sub(word, value)
