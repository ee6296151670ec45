"""A small in-memory resolver for the SPF unit tests (simulator.security.dns.Resolver)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from simulator.security.dns import NXDOMAIN, TEMPFAIL, Answer, DnsFailure, MxRecord


class Zone:
    """``{name: {rtype: [values]}}``; a name listed in ``failing`` answers TEMPFAIL.

    TXT values are strings or tuples of strings; MX values "10 host". Every
    query is remembered in ``queries`` so a test can count them.
    """

    def __init__(
        self, records: dict[str, dict[str, list]], failing: set[str] = frozenset()
    ) -> None:
        self.records = {name.lower(): rrs for name, rrs in records.items()}
        self.failing = {name.lower() for name in failing}
        self.queries: list[tuple[str, str]] = []

    def query(self, name: str, rtype: str) -> Answer:
        name = name.lower().rstrip(".")
        self.queries.append((name, rtype))
        if name in self.failing:
            return TEMPFAIL
        rrs = self.records.get(name)
        if rrs is None:
            return NXDOMAIN
        values = rrs.get(rtype, [])
        if rtype == "MX":
            return tuple(
                MxRecord(int(v.split()[0]), v.split()[1] if " " in v else "") for v in values
            )
        return tuple(values)


@pytest.fixture
def zone() -> Callable[..., Zone]:
    return Zone


__all__ = ["NXDOMAIN", "TEMPFAIL", "DnsFailure", "Zone"]
