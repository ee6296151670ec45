"""Body sections: what ``[...]`` in BODY[...] and BINARY[...] names, and its octets (RFC 9051 6.4.5).

``[]`` is the whole message; ``HEADER``, ``HEADER.FIELDS (a b)``,
``HEADER.FIELDS.NOT (a b)`` and ``TEXT`` its header block (with the blank
line), chosen fields (as folded, then a blank line) and body. ``1.2`` is a
part number: part 1 of a non-multipart message is its body; the parts of a
message/rfc822 part are those of the message it encapsulates. After a part
number, ``MIME`` is the part's own header block, and HEADER/TEXT/HEADER.FIELDS
apply to a message/rfc822 part's encapsulated message. A section that names
nothing in this message reads as NIL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.protocols.imap.errors import ImapSyntaxError
from simulator.protocols.imap.mime import Entity

HEADER, FIELDS, FIELDS_NOT, TEXT, MIME = "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"
_SPEC = re.compile(
    r"(?:(?P<part>[1-9][0-9]*(?:\.[1-9][0-9]*)*)(?:\.(?P<after>.+))?|(?P<text>.*))\Z", re.S
)
_FIELD_LIST = re.compile(r"(HEADER\.FIELDS(?:\.NOT)?) +\((.*)\)\Z", re.S | re.I)
_FIELD_NAME = re.compile(r'"((?:[^"\\]|\\.)*)"|([^\s()"]+)')


@dataclass(frozen=True, slots=True)
class Section:
    part: tuple[int, ...] = ()
    text: str = ""  # "", HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT or MIME
    fields: tuple[str, ...] = ()  # as the client wrote them

    @classmethod
    def parse(cls, spec: str) -> Section:
        """The inside of the brackets; ImapSyntaxError (BAD) if it is no ``section-spec``."""
        m = _SPEC.match(spec)
        if m is None:
            raise ImapSyntaxError(f"invalid section: [{spec}]")
        part = tuple(int(n) for n in m.group("part").split(".")) if m.group("part") else ()
        text = m.group("after") if part else m.group("text")
        text = text or ""
        if any(n > 4294967295 for n in part):
            raise ImapSyntaxError(f"invalid section: [{spec}]")
        upper = text.upper()
        if upper in (HEADER, TEXT, "") or (upper == MIME and part):
            return cls(part, upper)
        lm = _FIELD_LIST.match(text)
        if lm is None:
            raise ImapSyntaxError(f"invalid section: [{spec}]")
        names = tuple(a or re.sub(r"\\(.)", r"\1", q) for q, a in _FIELD_NAME.findall(lm.group(2)))
        if not names or _FIELD_NAME.sub("", lm.group(2)).strip():
            raise ImapSyntaxError(f"invalid header list in section: [{spec}]")
        return cls(part, lm.group(1).upper(), names)

    def __str__(self) -> str:
        prefix = ".".join(map(str, self.part))
        text = self.text
        if self.fields:
            text += " (" + " ".join(_astring(f) for f in self.fields) + ")"
        return ".".join(p for p in (prefix, text) if p)

    def extract(self, message: Entity) -> bytes | None:
        """The section's octets in ``message``, or None if it names nothing there."""
        node = _walk(message, self.part)
        if node is None:
            return None
        if not self.part:
            return _message_text(node, self)
        if self.text == "":
            return node.body
        if self.text == MIME:
            return node.header
        if node.message is None:  # HEADER/TEXT after a part number need a message/rfc822 part
            return None
        return _message_text(node.message, self)

    def entity(self, message: Entity) -> Entity | None:
        """The part a section names (BINARY decodes its body by its Content-Transfer-Encoding)."""
        return _walk(message, self.part)


def _astring(name: str) -> str:
    if name and re.fullmatch(r"[!#-'*-~]+", name) and "]" not in name and "%" not in name:
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _walk(message: Entity, part: tuple[int, ...]) -> Entity | None:
    node, as_message = message, True
    for n in part:
        if node.is_multipart:
            if n > len(node.parts):
                return None
            node = node.parts[n - 1]
        elif as_message:
            if n != 1:
                return None
        elif node.message is not None:
            inner = node.message
            if inner.is_multipart:
                if n > len(inner.parts):
                    return None
                node = inner.parts[n - 1]
            elif n == 1:
                node = inner
            else:
                return None
        else:
            return None
        as_message = False
    return node


def _message_text(message: Entity, section: Section) -> bytes:
    if section.text == "":
        return message.data
    if section.text == HEADER:
        return message.header
    if section.text == TEXT:
        return message.body
    wanted = {f.lower() for f in section.fields}
    keep = section.text == FIELDS
    lines = (f.raw if f.raw.endswith(b"\n") else f.raw + b"\r\n" for f in message.fields
             if (f.name in wanted) == keep)
    return b"".join(lines) + b"\r\n"
