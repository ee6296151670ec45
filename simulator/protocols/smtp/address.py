"""Parsing of SMTP paths and ESMTP parameters (RFC 5321 section 4.1.2, RFC 6531)."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LOCAL_PART = 64  # RFC 5321 4.5.3.1.1
MAX_DOMAIN = 255  # RFC 5321 4.5.3.1.2
MAX_PATH = 256  # RFC 5321 4.5.3.1.3

# Patterns end in \Z, not $: "$" also matches before a final "\n", which let a
# bare LF through into paths and EHLO domains (and from there into reply texts).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]"
_DOT_STRING = re.compile(rf"^{_ATEXT}+(\.{_ATEXT}+)*\Z")
_QUOTED = re.compile(r'^"([\x20\x21\x23-\x5b\x5d-\x7e\u0080-\U0010ffff]|\\[\x20-\x7e])*"\Z')
_LABEL = re.compile(r"^[A-Za-z0-9\u0080-\U0010ffff]([A-Za-z0-9\-\u0080-\U0010ffff]*[A-Za-z0-9\u0080-\U0010ffff])?\Z")
_ADDRESS_LITERAL = re.compile(r"^\[(IPv6:[0-9A-Fa-f:.]+|[0-9]{1,3}(\.[0-9]{1,3}){3})\]\Z")


class PathError(ValueError):
    """An address that does not follow RFC 5321 4.1.2 syntax."""


def is_domain(text: str) -> bool:
    if not text or len(text) > MAX_DOMAIN:
        return False
    if _ADDRESS_LITERAL.match(text):
        return True
    # RFC 1035 2.3.4: a label is at most 63 octets.
    return all(_LABEL.match(label) and len(label.encode()) <= 63 for label in text.split("."))


# A HELO/EHLO name as deployed servers take it: labels of letters, digits, "-" and "_".
# RFC 5321 4.1.1.1 asks for a domain (or an address literal), whose labels (RFC 1035
# 2.3.1) have no "_"; but Windows hosts name themselves DESKTOP_1 and so on, and Postfix
# (valid_hostname) and Exim accept it, so refusing would only break real clients.
_HELO_LABEL = re.compile(r"^[A-Za-z0-9_\u0080-\U0010ffff]([A-Za-z0-9_\-\u0080-\U0010ffff]*[A-Za-z0-9_\u0080-\U0010ffff])?\Z")


def is_helo_name(text: str) -> bool:
    """A name a server takes in EHLO/HELO: a domain (``_`` allowed) or an address literal."""
    if not text or len(text) > MAX_DOMAIN:
        return False
    if _ADDRESS_LITERAL.match(text):
        return True
    return all(_HELO_LABEL.match(label) and len(label.encode()) <= 63 for label in text.split("."))


def check_mailbox(mailbox: str) -> None:
    local, at, domain = mailbox.rpartition("@")
    if not at or not local:
        raise PathError(f"{mailbox!r} is not local-part@domain")
    if len(local.encode()) > MAX_LOCAL_PART:
        raise PathError("local part longer than 64 octets")
    if not (_DOT_STRING.match(local) or _QUOTED.match(local)):
        raise PathError(f"invalid local part {local!r}")
    if not is_domain(domain):
        raise PathError(f"invalid domain {domain!r}")


@dataclass(frozen=True, slots=True)
class PathArgument:
    """``<mailbox>`` (or ``<>``) and the ESMTP parameters that follow it."""

    mailbox: str
    params: dict[str, str | None]
    # "FROM: <a@b>" or "FROM :<a@b>": RFC 5321 3.3 says "spaces are not permitted on
    # either side of the colon", but real servers accept them; kept so the reply can say so.
    space_around_colon: bool = False


def parse_path_argument(arg: str, keyword: str, *, allow_null: bool) -> PathArgument:
    """Parse ``FROM:<a@b> SIZE=10`` / ``TO:<a@b>``; raises PathError or SyntaxError."""
    head, colon, rest = arg.partition(":")
    if not colon or head.strip().upper() != keyword:
        raise SyntaxError(f"{keyword}:<address>")
    stripped = rest.lstrip(" ")  # tolerate "FROM: <a@b>", common in the wild (RFC 5321 3.3 forbids it)
    space_around_colon = len(stripped) != len(rest) or head != head.rstrip(" ")
    rest = stripped
    if not rest.startswith("<"):
        raise SyntaxError(f"{keyword}:<address> (the angle brackets are required)")
    close = rest.find(">")
    if close < 0:
        raise SyntaxError(f"{keyword}:<address> (missing '>')")
    path = rest[1:close]
    if len(path) + 2 > MAX_PATH:
        raise PathError("path longer than 256 octets")
    if path.startswith("@"):  # source route <@a,@b:user@c>: accept and ignore (RFC 5321 3.3)
        _, colon, path = path.partition(":")
        if not colon:
            raise PathError("malformed source route")
    if path == "":
        if not allow_null:
            raise PathError("the null path <> is only allowed in MAIL FROM")
    elif not (keyword == "TO" and path.lower() == "postmaster"):
        check_mailbox(path)
    params: dict[str, str | None] = {}
    tail = rest[close + 1 :]
    if tail and not tail.startswith(" "):
        raise SyntaxError("a space must separate the path from its parameters")
    for token in tail.split():
        name, eq, value = token.partition("=")
        if not name or not re.match(r"^[A-Za-z0-9][A-Za-z0-9\-]*$", name):
            raise SyntaxError(f"bad parameter {token!r}")
        params[name.upper()] = value if eq else None
    return PathArgument(path, params, space_around_colon)


def domain_of(mailbox: str) -> str:
    return mailbox.rpartition("@")[2].lower()


def is_ascii(text: str) -> bool:
    return text.isascii()
