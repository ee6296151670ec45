"""The virtual DNS: A, AAAA, MX, TXT, CNAME and PTR records, and every lookup in the trace.

An answer is either records, NXDOMAIN (the name does not exist) or NODATA
(the name exists but has no record of that type): RFC 2308 section 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.trace import DnsLookup

RECORD_TYPES = ("A", "AAAA", "MX", "TXT", "CNAME", "PTR")
NXDOMAIN = "NXDOMAIN"
NODATA = "NODATA"
SERVFAIL = "SERVFAIL"


@dataclass(frozen=True, slots=True)
class DnsRecord:
    name: str
    rtype: str
    value: str  # MX: "10 mx.example.net"; TXT: the text


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    name: str
    rtype: str
    records: tuple[str, ...] = ()
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True, slots=True)
class MxHost:
    preference: int
    host: str


def normalize(name: str) -> str:
    return name.lower().rstrip(".")


@dataclass
class VirtualDns:
    records: list[DnsRecord] = field(default_factory=list)
    on_lookup: Callable[[DnsLookup], None] | None = None
    failing: set[str] = field(default_factory=set)  # names answering SERVFAIL (a fault)

    def add(self, name: str, rtype: str, value: str) -> None:
        rtype = rtype.upper()
        if rtype not in RECORD_TYPES:
            raise ValueError(f"unsupported record type {rtype}")
        self.records.append(DnsRecord(normalize(name), rtype, value))

    def remove(self, name: str, rtype: str) -> None:
        name, rtype = normalize(name), rtype.upper()
        self.records = [r for r in self.records if not (r.name == name and r.rtype == rtype)]

    def names(self) -> set[str]:
        return {r.name for r in self.records}

    def query(self, name: str, rtype: str, asker: str = "") -> DnsAnswer:
        name, rtype = normalize(name), rtype.upper()
        if name in self.failing:
            answer = DnsAnswer(name, rtype, error=SERVFAIL)
        else:
            found = tuple(r.value for r in self.records if r.name == name and r.rtype == rtype)
            if found:
                answer = DnsAnswer(name, rtype, found)
            elif name in self.names():
                answer = DnsAnswer(name, rtype, error=NODATA)
            else:
                answer = DnsAnswer(name, rtype, error=NXDOMAIN)
        if self.on_lookup is not None:
            self.on_lookup(
                DnsLookup(asker=asker, name=name, rtype=rtype, answers=answer.records, error=answer.error)
            )
        return answer

    def txt(self, name: str, asker: str = "") -> DnsAnswer:
        return self.query(name, "TXT", asker)

    def mx_hosts(self, domain: str, asker: str = "") -> tuple[list[MxHost], DnsAnswer]:
        """MX targets in preference order (RFC 5321 5.1); ties keep record order."""
        answer = self.query(domain, "MX", asker)
        hosts = []
        for value in answer.records:
            pref, _, host = value.partition(" ")
            hosts.append(MxHost(int(pref), normalize(host)))
        hosts.sort(key=lambda m: m.preference)
        return hosts, answer
