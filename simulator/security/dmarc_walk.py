"""The DNS Tree Walk (RFC 9989 4.10) and, beside it, the public suffix list it replaced (RFC 7489 3.2).

A walk queries ``_dmarc.<name>`` at its starting point and then up the tree, one label
at a time, except that a name of eight or more labels jumps straight to its last
seven (4.10 step 4): never more than eight queries. It stops early at a single valid
record carrying psd=y or psd=n (steps 2 and 6). From the records found, the
Organizational Domain is chosen (4.10.2): psd=n marks it; psd=y above the start puts
it one label below; otherwise it is the name with the fewest labels that has a record;
with no record at all, the starting name itself.

RFC 7489 found the Organizational Domain in a public suffix list instead: the public
suffix plus one label. :func:`psl_organizational_domain` uses the list bundled with
the ``publicsuffixlist`` package (no network), for the comparison the teaching view shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

from simulator.security.dmarc_record import DmarcRecord, dmarc_records, parse_record
from simulator.security.dns import NXDOMAIN, TEMPFAIL, Resolver

MAX_QUERIES = 8  # RFC 9989 4.10: "no more than eight DNS queries"
SHORTEN_AT = 8  # 4.10 step 4: "If x >= 8, remove ... labels ... until 7 labels remain"
SHORTEN_TO = 7

# Lookup outcomes
FOUND, NOTHING, MULTIPLE, DNS_ERROR = "found", "nothing", "multiple", "dns error"


def labels(name: str) -> list[str]:
    return [label for label in name.strip().rstrip(".").lower().split(".") if label]


def normalize(name: str) -> str:
    """Lowercase, no trailing dot: domain names compare case-insensitively (RFC 4343, RFC 9989 4.4)."""
    return ".".join(labels(name))


def walk_targets(start: str) -> list[str]:
    """Every name a full walk from ``start`` queries, in order (RFC 9989 4.10 steps 1, 3, 4, 7)."""
    parts = labels(start)
    if not parts:
        return []
    targets = [".".join(parts)]
    rest = parts[1:] if len(parts) < SHORTEN_AT else parts[-SHORTEN_TO:]
    while rest:
        targets.append(".".join(rest))
        rest = rest[1:]
    return targets


@dataclass(frozen=True, slots=True)
class Lookup:
    """One TXT query of ``_dmarc.<name>`` and what it gave."""

    name: str
    outcome: str  # FOUND, NOTHING, MULTIPLE or DNS_ERROR
    record: DmarcRecord | None = None
    other: tuple[str, ...] = ()  # TXT records that are not DMARC records, discarded
    dmarc_texts: tuple[str, ...] = ()  # with MULTIPLE: the records all discarded

    @property
    def query_name(self) -> str:
        return "_dmarc." + self.name

    def describe(self) -> str:
        head = f"TXT {self.query_name}: "
        discarded = (f" ({len(self.other)} TXT record{'s' if len(self.other) > 1 else ''} not starting "
                     f"with v=DMARC1 discarded)") if self.other else ""
        if self.outcome == FOUND:
            assert self.record is not None
            return head + f'"{self.record.text}"' + discarded
        if self.outcome == MULTIPLE:
            return (head + f"{len(self.dmarc_texts)} DMARC records: all are discarded, as if "
                    f"there were none (RFC 9989 4.10 step 2)")
        if self.outcome == DNS_ERROR:
            return head + "the query failed (DNS error)"
        return head + "no DMARC record" + discarded


class Lookups:
    """``_dmarc`` TXT queries through a resolver, each name asked once per message
    (RFC 9989 B.4.1: the Organizational Domain 'already found' is reused)."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.cache: dict[str, Lookup] = {}
        self.queries = 0

    def get(self, name: str) -> Lookup:
        name = normalize(name)
        if name not in self.cache:
            self.queries += 1
            self.cache[name] = self._query(name)
        return self.cache[name]

    def _query(self, name: str) -> Lookup:
        answer = self.resolver.query("_dmarc." + name, "TXT")
        if answer is TEMPFAIL:
            return Lookup(name, DNS_ERROR)
        if answer is NXDOMAIN or not isinstance(answer, tuple):
            return Lookup(name, NOTHING)
        found, other = dmarc_records(name, answer)
        if len(found) > 1:
            return Lookup(name, MULTIPLE, other=tuple(other), dmarc_texts=tuple(found))
        if not found:
            return Lookup(name, NOTHING, other=tuple(other))
        return Lookup(name, FOUND, parse_record(name, found[0]), other=tuple(other))


@dataclass(frozen=True, slots=True)
class Walk:
    """One DNS Tree Walk: the lookups made, in order, and why it stopped."""

    start: str
    lookups: tuple[Lookup, ...]
    stop: str  # why the walk ended, a sentence

    @property
    def failed(self) -> bool:
        return any(lookup.outcome == DNS_ERROR for lookup in self.lookups)

    @property
    def records(self) -> list[DmarcRecord]:
        return [lookup.record for lookup in self.lookups if lookup.record is not None]

    def organizational_domain(self) -> tuple[str, str]:
        """RFC 9989 4.10.2's choice over the records found, longest name first, and why."""
        for record in self.records:
            if record.psd == "n":
                return record.domain, f"_dmarc.{record.domain} says psd=n: it is the Organizational Domain (4.10.2 rule 1)"
            if record.psd == "y" and record.domain != self.start:
                below = ".".join(labels(self.start)[-(len(labels(record.domain)) + 1):])
                return below, (f"_dmarc.{record.domain} says psd=y, a public suffix domain: the Organizational "
                               f"Domain is the name one label below it, {below} (4.10.2 rule 2)")
        if self.records:
            top = self.records[-1].domain
            return top, (f"{top} is the name with the fewest labels that has a DMARC record: it is the "
                         f"Organizational Domain (4.10.2 rule 3)")
        return self.start, (f"no DMARC record anywhere on the walk: the Organizational Domain is "
                            f"{self.start} itself (4.10.2)")


def walk(start: str, lookups: Lookups) -> Walk:
    """The generic DNS Tree Walk from ``start`` (RFC 9989 4.10 steps 1 to 7)."""
    start = normalize(start)
    done: list[Lookup] = []
    stop = "no labels are left (4.10 step 7)"
    for name in walk_targets(start):
        lookup = lookups.get(name)
        done.append(lookup)
        if lookup.outcome == DNS_ERROR:
            stop = f"the query for {lookup.query_name} failed: the walk cannot go on"
            break
        if lookup.record is not None and lookup.record.psd in ("y", "n"):
            stop = f"the record at {lookup.query_name} says psd={lookup.record.psd}: stop (4.10 steps 2, 6)"
            break
    return Walk(start, tuple(done), stop)


# --- RFC 7489 3.2: the method RFC 9989 replaced -----------------------------------------------


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList()  # the list bundled with the package: no download


def public_suffix(name: str) -> str:
    return _psl().publicsuffix(normalize(name)) or normalize(name)


def psl_organizational_domain(name: str) -> str:
    """RFC 7489 3.2: the public suffix that matches the most labels, plus one label. A name
    that is itself a public suffix has none; it stands for itself, as receivers did."""
    name = normalize(name)
    return _psl().privatesuffix(name) or name
