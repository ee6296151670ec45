"""SPF records (RFC 7208 4.5, 4.6.1, 5, 6): pick the record out of the TXT answers, read its terms.

The whole record is read before any term is evaluated, so a syntax error
anywhere in it is a permerror however early a mechanism would have matched
(RFC 7208 4.6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv6Address

from simulator.security.spf.errors import SpfSyntaxError
from simulator.security.spf.macros import MacroString, parse_domain_spec, parse_macro_string

VERSION = "v=spf1"
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
DNS_MECHANISMS = ("include", "a", "mx", "ptr", "exists")  # count toward the limit (RFC 7208 4.6.4)

_FLAGS = re.ASCII | re.DOTALL
_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9._-]*)=(.*)", _FLAGS)
_MECHANISM = re.compile(r"([+\-~?]?)([A-Za-z][A-Za-z0-9]*)(.*)", _FLAGS)
_CIDR4 = r"/(0|[1-9][0-9]?)"
_CIDR6 = r"/(0|[1-9][0-9]{0,2})"
_QNUM = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IP4 = re.compile(rf":({_QNUM}(?:\.{_QNUM}){{3}})(?:{_CIDR4})?", _FLAGS)
_IP6 = re.compile(rf":([0-9A-Fa-f:.]+?)(?:{_CIDR6})?", _FLAGS)
_DOMAIN_CIDR = re.compile(rf"(?::(.*?))?(?:{_CIDR4})?(?:/{_CIDR6})?", _FLAGS)


@dataclass(frozen=True, slots=True)
class Mechanism:
    text: str  # the term as written
    qualifier: str  # "+", "-", "~" or "?" ("+" when none was written)
    name: str  # lower case: all, include, a, mx, ptr, ip4, ip6, exists
    domain: MacroString | None = None  # None: the current <domain>
    network: str = ""  # ip4 / ip6
    cidr4: int = 32
    cidr6: int = 128

    @property
    def result(self) -> str:
        return QUALIFIERS[self.qualifier]


@dataclass(frozen=True, slots=True)
class Modifier:
    text: str
    name: str  # lower case
    value: MacroString


@dataclass(frozen=True, slots=True)
class SpfRecord:
    text: str
    mechanisms: tuple[Mechanism, ...]
    redirect: Modifier | None = None
    exp: Modifier | None = None
    unknown: tuple[Modifier, ...] = ()


def is_spf(text: str) -> bool:
    """Whether a TXT record is an SPF record: "v=spf1", any case, then a space or the end (RFC 7208 4.5)."""
    return text[:6].lower() == VERSION and (len(text) == 6 or text[6] == " ")


def parse_record(text: str) -> SpfRecord:
    """Read every term of an SPF record; raise :class:`SpfSyntaxError` at the first bad one."""
    if not is_spf(text):
        raise SpfSyntaxError(f"{text!r} does not start with 'v=spf1' (RFC 7208 4.5)")
    mechanisms: list[Mechanism] = []
    modifiers: dict[str, Modifier] = {}
    unknown: list[Modifier] = []
    # Terms are separated by one or more spaces and nothing else (RFC 7208 4.6.1).
    for term in text[6:].split(" "):
        if not term:
            continue
        modifier = _modifier(term)
        if modifier is None:
            mechanisms.append(parse_mechanism(term))
        elif modifier.name in ("redirect", "exp"):
            if modifier.name in modifiers:
                raise SpfSyntaxError(f"{modifier.name}= appears more than once (RFC 7208 6)")
            modifiers[modifier.name] = modifier
        else:
            unknown.append(modifier)
    return SpfRecord(
        text, tuple(mechanisms), modifiers.get("redirect"), modifiers.get("exp"), tuple(unknown)
    )


def _modifier(term: str) -> Modifier | None:
    m = _MODIFIER.fullmatch(term)
    if m is None:
        return None
    name, value = m[1].lower(), m[2]
    if name in ("redirect", "exp"):
        # Known modifiers take a domain-spec; an error there is theirs, not an
        # unknown modifier's (RFC 7208 6.1, 6.2).
        try:
            parsed = parse_domain_spec(value)
        except SpfSyntaxError as e:
            raise SpfSyntaxError(f"{term!r}: {e}") from None
    else:
        try:
            parsed = parse_macro_string(value)
        except SpfSyntaxError as e:
            raise SpfSyntaxError(f"unknown modifier {term!r}: {e} (RFC 7208 6)") from None
    return Modifier(term, name, parsed)


def parse_mechanism(term: str) -> Mechanism:
    m = _MECHANISM.fullmatch(term)
    if m is None:
        raise SpfSyntaxError(f"{term!r} is neither a mechanism nor a modifier (RFC 7208 4.6.1)")
    qualifier, name, rest = m[1] or "+", m[2].lower(), m[3]
    reader = _READERS.get(name)
    if reader is None:
        raise SpfSyntaxError(f"{term!r}: unknown mechanism {m[2]!r} (RFC 7208 5)")
    try:
        return reader(term, qualifier, name, rest)
    except SpfSyntaxError as e:
        raise SpfSyntaxError(f"{term!r}: {e}") from None


def _all(term: str, qualifier: str, name: str, rest: str) -> Mechanism:
    if rest:
        raise SpfSyntaxError('"all" takes no argument (RFC 7208 5.1)')
    return Mechanism(term, qualifier, name)


def _required_domain(term: str, qualifier: str, name: str, rest: str) -> Mechanism:
    """include and exists: ":" domain-spec, no CIDR (RFC 7208 5.2, 5.7)."""
    section = "5.2" if name == "include" else "5.7"
    if not rest.startswith(":"):
        raise SpfSyntaxError(f'"{name}" needs ":" and a domain (RFC 7208 {section})')
    return Mechanism(term, qualifier, name, parse_domain_spec(rest[1:]))


def _ptr(term: str, qualifier: str, name: str, rest: str) -> Mechanism:
    if not rest:
        return Mechanism(term, qualifier, name)
    if not rest.startswith(":"):
        raise SpfSyntaxError('"ptr" takes only ":" and a domain (RFC 7208 5.5)')
    return Mechanism(term, qualifier, name, parse_domain_spec(rest[1:]))


def _domain_and_cidr(term: str, qualifier: str, name: str, rest: str) -> Mechanism:
    """a and mx: [":" domain-spec] [ip4-cidr-length] ["/" ip6-cidr-length] (RFC 7208 5.3, 5.4)."""
    section = "5.3" if name == "a" else "5.4"
    m = _DOMAIN_CIDR.fullmatch(rest)
    if m is None:
        raise SpfSyntaxError(
            f"expected [:domain][/0-32][//0-128] after {name!r} (RFC 7208 {section})"
        )
    spec, cidr4, cidr6 = m.groups()
    domain = parse_domain_spec(spec) if spec is not None else None
    return Mechanism(term, qualifier, name, domain, cidr4=_cidr(cidr4, 32), cidr6=_cidr(cidr6, 128))


def _ip4(term: str, qualifier: str, name: str, rest: str) -> Mechanism:
    m = _IP4.fullmatch(rest)
    if m is None:
        raise SpfSyntaxError(
            "expected ':' a full dotted-quad address and an optional /0-32 (RFC 7208 5.6)"
        )
    return Mechanism(term, qualifier, name, network=m[1], cidr4=_cidr(m[2], 32))


def _ip6(term: str, qualifier: str, name: str, rest: str) -> Mechanism:
    m = _IP6.fullmatch(rest)
    if m is None:
        raise SpfSyntaxError("expected ':' an IPv6 address and an optional /0-128 (RFC 7208 5.6)")
    try:
        IPv6Address(m[1])
    except ValueError:
        raise SpfSyntaxError(
            f"{m[1]!r} is not an IPv6 address (RFC 7208 5.6, RFC 4291 2.2)"
        ) from None
    return Mechanism(term, qualifier, name, network=m[1], cidr6=_cidr(m[2], 128))


def _cidr(digits: str | None, limit: int) -> int:
    if digits is None:
        return limit
    value = int(digits)
    if value > limit:
        raise SpfSyntaxError(f"/{value} is longer than {limit} bits (RFC 7208 5.6)")
    return value


_READERS = {
    "all": _all,
    "include": _required_domain,
    "exists": _required_domain,
    "a": _domain_and_cidr,
    "mx": _domain_and_cidr,
    "ptr": _ptr,
    "ip4": _ip4,
    "ip6": _ip6,
}
