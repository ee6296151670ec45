"""The resolver the checks are given: the one way ``security`` reaches DNS.

``security`` may not import the virtual world (``simulator.net``), so SPF, DKIM
and DMARC take any object with ``query(name, rtype)``; the agents layer adapts
the virtual DNS to it (``simulator.agents.dns_adapter``), tests pass a fake.

An answer is one of:

- a tuple of records (empty: the name exists but has no record of that type,
  "NODATA", RFC 2308 section 2.2);
- :data:`NXDOMAIN`: the name does not exist (RCODE 3, RFC 2308 section 2.1);
- :data:`TEMPFAIL`: the query failed or timed out (SERVFAIL, no answer).

Records by type: ``A`` and ``AAAA`` addresses as text; ``PTR`` domain names;
``MX`` :class:`MxRecord`; ``TXT`` one tuple of character-strings per record
(a long TXT record is split into strings of at most 255 octets, RFC 1035
3.3.14; readers join them) or a plain string for a record of one string.
CNAME chains are the resolver's business, as with a real recursive resolver.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol, TypeAlias

RTYPES = ("A", "AAAA", "MX", "TXT", "PTR")


class DnsFailure(enum.Enum):
    NXDOMAIN = "NXDOMAIN"
    TEMPFAIL = "TEMPFAIL"

    def __str__(self) -> str:
        return self.value


NXDOMAIN = DnsFailure.NXDOMAIN
TEMPFAIL = DnsFailure.TEMPFAIL


@dataclass(frozen=True, slots=True)
class MxRecord:
    preference: int
    exchange: str  # "" or "." is a null MX (RFC 7505)


TxtRecord: TypeAlias = tuple[str, ...] | str
Record: TypeAlias = str | tuple[str, ...] | MxRecord
Answer: TypeAlias = tuple[Record, ...] | DnsFailure


class Resolver(Protocol):
    def query(self, name: str, rtype: str) -> Answer:
        """Look ``name`` up for records of ``rtype`` (one of :data:`RTYPES`)."""
        ...


def txt_text(record: TxtRecord) -> str:
    """One TXT record's strings joined with nothing between them (RFC 7208 3.3)."""
    return record if isinstance(record, str) else "".join(record)
