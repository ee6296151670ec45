"""FETCH ENVELOPE: the RFC 5322 header fields as IMAP structures (RFC 9051 7.5.2).

``(date subject from sender reply-to to cc bcc in-reply-to message-id)``. The
strings are the header values as sent, unfolded but not decoded: RFC 2047
encoded words stay encoded, 8-bit octets go out as literals. Each address is
``(name adl mailbox host)``; a group is ``(NIL NIL name NIL)`` before its
members and ``(NIL NIL NIL NIL)`` after them. Sender and Reply-To default to
From when absent or empty. An address without a domain gets host ``""``
(not NIL, which would read as a group).
"""

from __future__ import annotations

from typing import NamedTuple

from simulator.protocols.imap.lexer import (
    ADDRESS_SPECIALS,
    COMMENT,
    QUOTED,
    SPECIAL,
    Token,
    tokens,
)
from simulator.protocols.imap.mime import Entity
from simulator.protocols.imap.wire import NIL, nstring, plist


class Address(NamedTuple):
    name: str | None
    adl: str | None
    mailbox: str | None
    host: str | None


GROUP_END = Address(None, None, None, None)


def parse_addresses(value: bytes | None) -> list[Address]:
    """An address-list field (RFC 5322 3.4, obsolete forms too) as IMAP address structures."""
    if not value:
        return []
    toks = tokens(value.decode("latin-1"), ADDRESS_SPECIALS)
    out: list[Address] = []
    current: list[Token] = []
    in_group = False
    i = 0
    while i < len(toks):
        t = toks[i]
        special = t.text if t.kind == SPECIAL else ""
        if special == ":" and not in_group:
            out.append(Address(None, None, _phrase(current) or "", None))
            current, in_group = [], True
        elif special == "<":
            j = next((k for k in range(i + 1, len(toks)) if toks[k].text == ">" and toks[k].kind == SPECIAL), len(toks))
            out.append(_angle(current, toks[i + 1:j]))
            current = []
            i = j
            while i + 1 < len(toks) and not (toks[i + 1].kind == SPECIAL and toks[i + 1].text in ",;"):
                i += 1  # a comment or junk after '>' belongs to this address
        elif special == ",":
            _flush(current, out)
            current = []
        elif special == ";" and in_group:
            _flush(current, out)
            out.append(GROUP_END)
            current, in_group = [], False
        else:
            current.append(t)
        i += 1
    _flush(current, out)
    if in_group:
        out.append(GROUP_END)
    return out


def _word(t: Token) -> str:
    if t.kind == QUOTED and t.text and not any(c in ADDRESS_SPECIALS + " \t" for c in t.text):
        return t.text
    if t.kind == QUOTED:
        return '"' + t.text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return t.text


def _phrase(toks: list[Token]) -> str:
    """A display name: its words with the quoting taken off, single spaces between."""
    words = [t for t in toks if t.kind != COMMENT]
    text = ""
    for k, t in enumerate(words):
        if k and t.space_before:
            text += " "
        text += t.text
    return text


def _addr_spec(toks: list[Token]) -> tuple[str, str]:
    words = [t for t in toks if t.kind != COMMENT]
    at = max((k for k, t in enumerate(words) if t.kind == SPECIAL and t.text == "@"), default=-1)
    if at < 0:
        return "".join(_word(t) for t in words), ""
    return "".join(_word(t) for t in words[:at]), "".join(t.text for t in words[at + 1:])


def _angle(phrase: list[Token], inner: list[Token]) -> Address:
    adl = None
    colon = next((k for k, t in enumerate(inner) if t.kind == SPECIAL and t.text == ":"), -1)
    if inner and inner[0].text == "@" and colon > 0:  # obs-route "@a,@b:" (RFC 5322 4.4)
        adl = "".join(t.text for t in inner[:colon])
        inner = inner[colon + 1:]
    mailbox, host = _addr_spec(inner)
    name = _phrase(phrase) or _comment_name(phrase)
    return Address(name or None, adl, mailbox, host)


def _comment_name(toks: list[Token]) -> str:
    comments = [t.text.strip() for t in toks if t.kind == COMMENT and t.text.strip()]
    return comments[-1] if comments else ""


def _flush(toks: list[Token], out: list[Address]) -> None:
    if not any(t.kind != COMMENT for t in toks):
        return
    mailbox, host = _addr_spec(toks)
    out.append(Address(_comment_name(toks) or None, None, mailbox, host))


def _text(value: str | None) -> bytes:
    return nstring(None if value is None else value.encode("latin-1"))


def address_list(addresses: list[Address]) -> bytes:
    if not addresses:
        return NIL
    return plist((plist(_text(part) for part in a) for a in addresses), sep=b"")


def envelope(entity: Entity) -> bytes:
    """The ENVELOPE structure of a message (or of an encapsulated one), rendered."""
    cached = entity.cache.get("ENVELOPE")
    if isinstance(cached, bytes):
        return cached
    get = entity.get
    sender_of = parse_addresses(get("from"))
    lists = [
        sender_of,
        parse_addresses(get("sender")) or sender_of,
        parse_addresses(get("reply-to")) or sender_of,
        parse_addresses(get("to")),
        parse_addresses(get("cc")),
        parse_addresses(get("bcc")),
    ]
    rendered = plist([
        nstring(get("date")),
        nstring(get("subject")),
        *(address_list(a) for a in lists),
        nstring(get("in-reply-to")),
        nstring(get("message-id")),
    ])
    entity.cache["ENVELOPE"] = rendered
    return rendered
