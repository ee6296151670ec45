"""The RFC 7208 test suite (openspf.org, release 2014.04, as shipped in the pyspf 2.0.14
sdist: data/rfc7208-tests.yml, under the BSD licence in data/rfc7208-tests.LICENSE),
every case through our check_host() with a resolver built from the case's zone data.

The zone data follows the suite's conventions (those of its driver): an ``SPF``
record stands for a TXT record when the name has no TXT of its own (type SPF
itself is never queried, RFC 7208 3.1); ``TXT: NONE`` suppresses that; a bare
``TIMEOUT`` makes every query for the name that found no record before it time
out (temperror); a CNAME is followed, as a recursive resolver does, and a CNAME
loop is a DNS error. Where a case lists several results, any of them passes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from simulator.security.dns import NXDOMAIN, TEMPFAIL, Answer, MxRecord
from simulator.security.spf import check_mail_from

SUITE = Path(__file__).with_name("data") / "rfc7208-tests.yml"
EXPECTED_CASES = 203
CNAME_DEPTH = 8


class SuiteZone:
    """A resolver over one scenario's ``zonedata``."""

    def __init__(self, zonedata: dict) -> None:
        self.names = {
            name.lower().rstrip("."): _entries(records) for name, records in zonedata.items()
        }

    def query(self, name: str, rtype: str, _depth: int = 0) -> Answer:
        entries = self.names.get(name.lower().rstrip("."))
        if entries is None:
            return NXDOMAIN
        found: list = []
        for entry in entries:
            if entry == "TIMEOUT":
                if not found:
                    return TEMPFAIL
                break
            kind, value = entry
            if kind == rtype:
                found.append(value)
            elif kind == "CNAME":
                if _depth >= CNAME_DEPTH:
                    return TEMPFAIL  # a CNAME loop (RFC 1034 3.6.2)
                return self.query(value, rtype, _depth + 1)
        return tuple(found)


def _entries(records: list) -> list:
    """(type, value) pairs in zone order, TXT copies of SPF records last (as the suite's driver)."""
    entries: list = []
    spf_copies: list = []
    has_txt = any(isinstance(r, dict) and "TXT" in r for r in records)
    for record in records:
        if record == "TIMEOUT":
            entries.append("TIMEOUT")
            continue
        ((kind, value),) = record.items()
        if kind in ("TXT", "SPF"):
            value = (value,) if isinstance(value, str) else tuple(value)
            if value == ("NONE",):
                continue
            if kind == "SPF":
                if not has_txt:
                    spf_copies.append(("TXT", value))
                continue
        elif kind == "MX":
            value = MxRecord(int(value[0]), str(value[1]))
        entries.append((kind, value))
    return entries + spf_copies


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _cases() -> list:
    with SUITE.open("rb") as f:
        scenarios = list(yaml.safe_load_all(f))
    params = []
    for scenario in scenarios:
        for name, case in scenario["tests"].items():
            params.append(
                pytest.param(
                    scenario["zonedata"], case, id=f"{_slug(scenario['description'])}/{name}"
                )
            )
    return params


CASES = _cases()


def test_the_whole_suite_is_here():
    assert len(CASES) == EXPECTED_CASES
    assert len({p.id for p in CASES}) == EXPECTED_CASES


@pytest.mark.parametrize(("zonedata", "case"), CASES)
def test_rfc7208_case(zonedata: dict, case: dict) -> None:
    result = check_mail_from(
        case["host"],
        case["mailfrom"],
        case["helo"],
        SuiteZone(zonedata),
        default_explanation="DEFAULT",
    )
    accepted = case["result"] if isinstance(case["result"], list) else [case["result"]]
    steps = "\n".join("  " * s.depth + s.text for s in result.steps)
    assert result.result in accepted, f"{case.get('spec')}: got {result.result}\n{steps}"
    if "explanation" in case:
        assert result.explanation == case["explanation"], steps
