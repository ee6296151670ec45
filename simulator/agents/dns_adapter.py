"""The virtual DNS as the resolver the security checks take (simulator.security.dns).

``security`` may not import ``net``; the agents, which may import both, hand
SPF, DKIM and DMARC this adapter. Every query still goes through
:meth:`VirtualDns.query`, so each one is a ``DnsLookup`` in the trace, asked by
the host doing the check.
"""

from __future__ import annotations

from simulator.net.dns import NODATA, NXDOMAIN, VirtualDns
from simulator.security import dns as security_dns
from simulator.security.dns import Answer, MxRecord, Record

TXT_STRING = 255  # octets in one character-string (RFC 1035 3.3.14, RFC 7208 3.3)
CNAME_DEPTH = 8  # a longer chain is treated as a loop: a DNS error


class VirtualResolver:
    """``query(name, rtype)`` over a :class:`VirtualDns`, following CNAMEs like a recursive resolver."""

    def __init__(self, dns: VirtualDns, asker: str = "") -> None:
        self.dns = dns
        self.asker = asker

    def query(self, name: str, rtype: str) -> Answer:
        return self._query(name, rtype.upper(), 0)

    def _query(self, name: str, rtype: str, depth: int) -> Answer:
        answer = self.dns.query(name, rtype, self.asker)
        if answer.error == NXDOMAIN:
            return security_dns.NXDOMAIN
        if answer.error == NODATA:
            alias = self.dns.query(name, "CNAME", self.asker) if rtype != "CNAME" else answer
            if not alias.records:
                return ()
            if depth >= CNAME_DEPTH:
                return security_dns.TEMPFAIL
            return self._query(alias.records[0], rtype, depth + 1)
        if answer.error:
            return security_dns.TEMPFAIL  # SERVFAIL, or anything else that is not an answer
        return tuple(r for r in (_record(rtype, v) for v in answer.records) if r is not None)


def _record(rtype: str, value: str) -> Record | None:
    if rtype == "MX":
        preference, _, exchange = value.strip().partition(" ")
        if not preference.isdigit():
            return None
        return MxRecord(int(preference), exchange.strip())
    if rtype == "TXT":
        # A zone file splits text longer than one character-string; the reader joins them.
        return tuple(value[i : i + TXT_STRING] for i in range(0, len(value), TXT_STRING)) or ("",)
    return value
