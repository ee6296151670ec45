"""RFC 5322 / RFC 2045 structured header fields as tokens: atoms, quoted strings, comments, specials.

Both the ENVELOPE address lists (RFC 5322 3.4) and the Content-Type /
Content-Disposition parameters (RFC 2045 5.1) are read from these tokens;
they differ only in which characters are specials. Text is str: header
octets decoded as latin-1, so every octet survives and can be encoded back.
"""

from __future__ import annotations

from typing import NamedTuple

ADDRESS_SPECIALS = '()<>[]:;@\\,."'
MIME_SPECIALS = '()<>@,;:\\"/[]?='

ATOM, QUOTED, COMMENT, SPECIAL, DOMAIN_LITERAL = "atom", "quoted", "comment", "special", "literal"


class Token(NamedTuple):
    kind: str
    text: str
    space_before: bool


def tokens(text: str, specials: str) -> list[Token]:
    """Tokens of ``text``; unterminated quotes and comments run to the end (be lenient)."""
    out: list[Token] = []
    i, n = 0, len(text)
    space = False
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            space = True
            i += 1
            continue
        if ch == '"':
            i, value = _until(text, i + 1, '"')
            out.append(Token(QUOTED, value, space))
        elif ch == "(":
            i, value = _comment(text, i + 1)
            out.append(Token(COMMENT, value, space))
        elif ch == "[" and "[" in specials and "." in specials:
            i, value = _until(text, i + 1, "]")
            out.append(Token(DOMAIN_LITERAL, "[" + value + "]", space))
        elif ch in specials:
            out.append(Token(SPECIAL, ch, space))
            i += 1
        else:
            j = i
            while j < n and text[j] not in specials and text[j] not in " \t\r\n":
                j += 1
            out.append(Token(ATOM, text[i:j], space))
            i = j
        space = False
    return out


def _until(text: str, i: int, end: str) -> tuple[int, str]:
    value = []
    n = len(text)
    while i < n and text[i] != end:
        if text[i] == "\\" and i + 1 < n:
            i += 1
        value.append(text[i])
        i += 1
    return i + 1, "".join(value)


def _comment(text: str, i: int) -> tuple[int, str]:
    depth, value, n = 1, [], len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            value.append(text[i + 1])
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1, "".join(value)
        value.append(ch)
        i += 1
    return i, "".join(value)
