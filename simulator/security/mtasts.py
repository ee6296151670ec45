"""MTA-STS (RFC 8461): the ``_mta-sts`` TXT record, the policy, and which MX hosts a policy allows.

A domain that receives mail says, with MTA-STS, that senders should deliver
to its MX hosts only over TLS with a certificate valid for the MX name. It
publishes a TXT record at ``_mta-sts.<domain>`` (section 3.1) and a policy
file served over HTTPS at ``https://mta-sts.<domain>/.well-known/mta-sts.txt``
(sections 3.2 and 3.3). The virtual world has no HTTPS, so a scenario gives
the policy directly; the TXT record is real virtual DNS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MODES = ("enforce", "testing", "none")  # RFC 8461 3.2
MAX_AGE_LIMIT = 31557600  # RFC 8461 3.2: "up to 31557600" seconds (about 1 year)
_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")  # RFC 8461 3.1: sts-id = 1*32(ALPHA / DIGIT)


@dataclass(frozen=True, slots=True)
class StsRecord:
    """A parsed ``_mta-sts`` TXT record (RFC 8461 3.1)."""

    id: str


def parse_record(text: str) -> StsRecord | None:
    """The record if ``text`` is a valid MTA-STS TXT record (``v=STSv1`` first, an ``id``), else None."""
    fields = [f.strip() for f in text.split(";") if f.strip()]
    if not fields or fields[0] != "v=STSv1":
        return None
    tags: dict[str, str] = {}
    for f in fields[1:]:
        key, sep, value = f.partition("=")
        if sep:
            tags.setdefault(key.strip(), value.strip())
    sts_id = tags.get("id", "")
    return StsRecord(sts_id) if _ID.match(sts_id) else None


def record_text(sts_id: str) -> str:
    return f"v=STSv1; id={sts_id};"


def valid_id(sts_id: str) -> bool:
    return bool(_ID.match(sts_id))


def valid_mx_pattern(pattern: str) -> bool:
    """A host name, or ``*.`` and a host name: the wildcard stands for one leftmost label (RFC 8461 3.2)."""
    name = pattern[2:] if pattern.startswith("*.") else pattern
    labels = name.split(".")
    return len(labels) >= 2 and all(re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", lb)
                                    for lb in labels)


def mx_matches(pattern: str, host: str) -> bool:
    """RFC 8461 4.1: the MX host matches a pattern exactly, or ``*.`` matches exactly one leftmost label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        first, _, rest = host.partition(".")
        return bool(first) and rest == pattern[2:]
    return host == pattern


@dataclass(frozen=True, slots=True)
class StsPolicy:
    """A domain's MTA-STS policy (RFC 8461 3.2) and the id of the TXT record that announces it."""

    domain: str
    id: str
    mode: str
    mx: tuple[str, ...]
    max_age: int

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode {self.mode!r}: one of {', '.join(MODES)}")
        if not valid_id(self.id):
            raise ValueError(f"id {self.id!r}: 1 to 32 letters and digits (RFC 8461 3.1)")

    @property
    def url(self) -> str:
        """Where a real sender fetches the policy (RFC 8461 3.3)."""
        return f"https://mta-sts.{self.domain}/.well-known/mta-sts.txt"

    def text(self) -> str:
        """The policy file as served (RFC 8461 3.2): key/value lines, one ``mx`` line per pattern."""
        lines = ["version: STSv1", f"mode: {self.mode}", *(f"mx: {m}" for m in self.mx), f"max_age: {self.max_age}"]
        return "\r\n".join(lines) + "\r\n"

    def allows(self, host: str) -> str | None:
        """The ``mx`` pattern ``host`` matches (RFC 8461 4.1), or None."""
        return next((p for p in self.mx if mx_matches(p, host)), None)
