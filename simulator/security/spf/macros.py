"""SPF macros (RFC 7208 7): parse a macro string once, expand it against the check's values.

    macro-string = *( macro-expand / macro-literal )
    macro-expand = ( "%{" macro-letter transformers *delimiter "}" ) / "%%" / "%_" / "%-"
    transformers = *DIGIT [ "r" ]
    delimiter    = "." / "-" / "+" / "," / "/" / "_" / "="

A domain-spec is a macro string that ends in a macro or in "." toplabel
(RFC 7208 7.1); an explanation string (the TXT record exp= names) may also hold
spaces and the letters c, r and t (RFC 7208 7.3).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from simulator.security.spf.addresses import Address, dotted, readable, version_label
from simulator.security.spf.errors import SpfSyntaxError

DOMAIN_LETTERS = "slodiphv"
EXPLAIN_LETTERS = DOMAIN_LETTERS + "crt"
MAX_DOMAIN = 253  # octets of a domain name in text form (RFC 7208 7.3, RFC 1035 2.3.4)

_MACRO = re.compile(r"%\{([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\}")
_ESCAPES = {"%": "%", "_": " ", "-": "%20"}
_TOPLABEL = re.compile(
    r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9]", re.ASCII
)


@dataclass(frozen=True, slots=True)
class Literal:
    text: str


@dataclass(frozen=True, slots=True)
class Escape:
    """%% (a percent sign), %_ (a space) or %- (an URL-encoded space, "%20")."""

    text: str


@dataclass(frozen=True, slots=True)
class Macro:
    letter: str  # lower case
    url_escape: bool  # written in upper case: the value is URL-escaped (RFC 7208 7.3)
    keep: int  # right-hand parts to keep; 0: all
    reverse: bool
    delimiters: str  # "" means "."
    source: str


Part = Literal | Escape | Macro
MacroString = tuple[Part, ...]


def parse_macro_string(
    text: str, *, letters: str = EXPLAIN_LETTERS, spaces: bool = False
) -> MacroString:
    """Parse ``text``; raise :class:`SpfSyntaxError` on a malformed macro or a character
    the grammar does not allow (RFC 7208 7.1: visible 7-bit ASCII; spaces in explanations)."""
    parts: list[Part] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            parts.append(Literal("".join(literal)))
            literal.clear()

    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "%":
            nxt = text[i + 1 : i + 2]
            if nxt in _ESCAPES and nxt:
                flush()
                parts.append(Escape(_ESCAPES[nxt]))
                i += 2
                continue
            if nxt != "{":
                raise SpfSyntaxError(
                    f"'%' must be followed by '{{', '%', '_' or '-' in {text!r} (RFC 7208 7.1)"
                )
            m = _MACRO.match(text, i)
            if m is None:
                raise SpfSyntaxError(f"malformed macro at {text[i:]!r} (RFC 7208 7.1)")
            flush()
            parts.append(_macro(m, letters))
            i = m.end()
            continue
        if "!" <= ch <= "~" or (spaces and ch == " "):
            literal.append(ch)
            i += 1
            continue
        what = "not 7-bit ASCII" if ord(ch) > 0x7F else "not a visible character"
        raise SpfSyntaxError(f"{ch!r} in {text!r} is {what} (RFC 7208 7.1, 3.1)")
    flush()
    return tuple(parts)


def _macro(m: re.Match[str], letters: str) -> Macro:
    letter, digits, reverse, delimiters = m.groups()
    if letter.lower() not in letters:
        where = "here" if letter.lower() in EXPLAIN_LETTERS else "in SPF"
        raise SpfSyntaxError(
            f"macro letter {letter!r} is not allowed {where} in {m[0]!r} (RFC 7208 7.2)"
        )
    keep = 0
    if digits:
        significant = digits.lstrip("0")
        if not significant:
            raise SpfSyntaxError(f"the part count in {m[0]!r} must be nonzero (RFC 7208 7.3)")
        keep = int(significant) if len(significant) <= 6 else 10**6
    return Macro(letter.lower(), letter.isupper(), keep, bool(reverse), delimiters, m[0])


def parse_domain_spec(text: str) -> MacroString:
    """A domain-spec: a macro string ending in a macro or in "." toplabel ["."] (RFC 7208 7.1)."""
    if not text:
        raise SpfSyntaxError("the domain-spec is empty (RFC 7208 7.1)")
    parts = parse_macro_string(text, letters=DOMAIN_LETTERS)
    last = parts[-1]
    if isinstance(last, Literal):
        tail = last.text[:-1] if last.text.endswith(".") else last.text
        head, dot, toplabel = tail.rpartition(".")
        if not dot or not _TOPLABEL.fullmatch(toplabel):
            raise SpfSyntaxError(
                f"{text!r} must end in a macro or in '.' and a top label that is not"
                " all digits and does not start or end with '-' (RFC 7208 7.1)"
            )
    return parts


@dataclass(slots=True)
class MacroValues:
    """What the macro letters stand for during one check_host() (RFC 7208 7.2)."""

    sender: str  # <sender>, "postmaster" put in for an empty local part (RFC 7208 4.3)
    domain: str  # <domain>: the domain whose record is being evaluated
    ip: Address
    helo: str
    receiver: str = "unknown"  # %{r}: the host doing the check
    now: float = 0.0  # %{t}
    validated_name: Callable[[str], str] = field(default=lambda domain: "unknown")  # %{p}

    def for_domain(self, domain: str) -> MacroValues:
        return MacroValues(
            self.sender, domain, self.ip, self.helo, self.receiver, self.now, self.validated_name
        )

    def value(self, letter: str) -> str:
        return _VALUES[letter](self)


_VALUES: dict[str, Callable[[MacroValues], str]] = {
    "s": lambda v: v.sender,
    "l": lambda v: v.sender.rpartition("@")[0],
    "o": lambda v: v.sender.rpartition("@")[2],
    "d": lambda v: v.domain,
    "i": lambda v: dotted(v.ip),
    "p": lambda v: v.validated_name(v.domain),
    "v": lambda v: version_label(v.ip),
    "h": lambda v: v.helo,
    "c": lambda v: readable(v.ip),
    "r": lambda v: v.receiver,
    "t": lambda v: str(int(v.now)),
}


def expand(parts: MacroString, values: MacroValues) -> str:
    """The text of ``parts`` with every macro replaced (RFC 7208 7.3)."""
    return "".join(_expand_part(part, values) for part in parts)


def _expand_part(part: Part, values: MacroValues) -> str:
    if not isinstance(part, Macro):
        return part.text
    text = values.value(part.letter)
    pieces = re.split("[" + re.escape(part.delimiters or ".") + "]", text)
    if part.reverse:
        pieces.reverse()
    if part.keep:
        pieces = pieces[-part.keep :]
    out = ".".join(pieces)
    return quote(out, safe="") if part.url_escape else out


def expand_domain(parts: MacroString, values: MacroValues) -> str:
    """A domain-spec expanded for a query: the trailing dot dropped (RFC 7208 7.3) and,
    past 253 characters, labels removed from the left until it fits."""
    name = expand(parts, values)
    if name.endswith("."):
        name = name[:-1]
    while len(name) > MAX_DOMAIN and "." in name:
        name = name.partition(".")[2]
    return name
