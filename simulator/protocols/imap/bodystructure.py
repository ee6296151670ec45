"""FETCH BODYSTRUCTURE and BODY: the MIME structure of a message (RFC 9051 7.5.2, 9 ``body``).

A leaf is ``(type subtype params id description encoding size ...)``; text
parts add their line count, message/rfc822 (and message/global) parts the
encapsulated message's envelope, structure and line count. A multipart is its
parts one after another, then its subtype. BODYSTRUCTURE adds the extension
data: for a leaf MD5, disposition, language, location; for a multipart
params, disposition, language, location. BODY is the same without it.

Type, subtype, encoding, parameter and disposition names go upper case (they
are case-insensitive, RFC 2045 5.1); values as sent. A part with no
Content-Type is text/plain; charset us-ascii (RFC 2045 5.2), or
message/rfc822 inside multipart/digest (RFC 2046 5.1.5).
"""

from __future__ import annotations

from simulator.protocols.imap.envelope import envelope
from simulator.protocols.imap.lexer import ATOM, MIME_SPECIALS, tokens
from simulator.protocols.imap.mime import Entity, parameters
from simulator.protocols.imap.wire import NIL, nstring, number, plist, string


def body_structure(entity: Entity, extended: bool = True) -> bytes:
    """BODYSTRUCTURE (``extended``) or BODY of a message or part, rendered and cached."""
    key = "BODYSTRUCTURE" if extended else "BODY"
    cached = entity.cache.get(key)
    if isinstance(cached, bytes):
        return cached
    rendered = _multipart(entity, extended) if entity.is_multipart else _leaf(entity, extended)
    entity.cache[key] = rendered
    return rendered


def _params(params: list[tuple[str, str]]) -> bytes:
    if not params:
        return NIL
    return plist(item for k, v in params for item in (string(k.upper()), string(v.encode("latin-1"))))


def _disposition(entity: Entity) -> bytes:
    value = entity.get("content-disposition")
    if value is None:
        return NIL
    toks = [t for t in tokens(value.decode("latin-1"), MIME_SPECIALS) if t.kind != "comment"]
    if not toks or toks[0].kind != ATOM:
        return NIL
    return plist([string(toks[0].text.upper()), _params(parameters(toks[1:]))])


def _language(entity: Entity) -> bytes:
    value = entity.get("content-language")
    if value is None:
        return NIL
    tags = [t.strip() for t in value.split(b",") if t.strip()]
    if not tags:
        return NIL
    return string(tags[0]) if len(tags) == 1 else plist(string(t) for t in tags)


def _ext_tail(entity: Entity) -> list[bytes]:
    return [_disposition(entity), _language(entity), nstring(entity.get("content-location"))]


def _multipart(entity: Entity, extended: bool) -> bytes:
    inner = b"".join(body_structure(p, extended) for p in entity.parts)
    items = [inner, string(entity.subtype.upper())]
    if extended:
        items += [_params(entity.params), *_ext_tail(entity)]
    return plist(items)


def _leaf(entity: Entity, extended: bool) -> bytes:
    items = [
        string(entity.maintype.upper()),
        string(entity.subtype.upper()),
        _params(entity.params),
        nstring(entity.get("content-id")),
        nstring(entity.get("content-description")),
        string(entity.encoding),
        number(entity.body_size),
    ]
    if entity.message is not None:
        items += [envelope(entity.message), body_structure(entity.message, extended),
                  number(entity.body_lines)]
    elif entity.maintype == "text":
        items.append(number(entity.body_lines))
    if extended:
        items += [nstring(entity.get("content-md5")), *_ext_tail(entity)]
    return plist(items)
