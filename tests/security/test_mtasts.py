"""MTA-STS record parsing and MX pattern matching (RFC 8461 3.1, 3.2, 4.1)."""

from __future__ import annotations

import pytest

from simulator.security.mtasts import StsPolicy, mx_matches, parse_record, valid_mx_pattern


@pytest.mark.parametrize(("text", "sts_id"), [
    ("v=STSv1; id=20160831085700Z;", "20160831085700Z"),  # the example of RFC 8461 3.1
    ("v=STSv1;id=abc", "abc"),
    ("v=STSv1; id=abc; ext=1", "abc"),
])
def test_valid_records(text, sts_id):
    record = parse_record(text)
    assert record is not None and record.id == sts_id


@pytest.mark.parametrize("text", ["v=spf1 -all", "id=abc; v=STSv1", "v=STSv1;", "v=STSv1; id=has-dash",
                                  "v=STSv1; id=" + "a" * 33, "v=STSv2; id=abc"])
def test_invalid_records(text):
    assert parse_record(text) is None


@pytest.mark.parametrize(("pattern", "host", "matches"), [
    ("mx.example.net", "mx.example.net", True),
    ("mx.example.net", "MX.Example.NET.", True),
    ("mx.example.net", "mx2.example.net", False),
    ("*.example.net", "mx.example.net", True),  # RFC 8461 4.1: one leftmost label
    ("*.example.net", "a.b.example.net", False),
    ("*.example.net", "example.net", False),
])
def test_mx_patterns(pattern, host, matches):
    assert mx_matches(pattern, host) is matches


def test_pattern_syntax():
    assert valid_mx_pattern("*.example.net") and valid_mx_pattern("mx.example.net")
    assert not valid_mx_pattern("mx.*.net") and not valid_mx_pattern("*") and not valid_mx_pattern("a b.net")


def test_policy_text_and_url():
    policy = StsPolicy("example.net", "2026", "enforce", ("mx.example.net", "*.backup.example.net"), 604800)
    assert policy.url == "https://mta-sts.example.net/.well-known/mta-sts.txt"
    assert policy.text() == ("version: STSv1\r\nmode: enforce\r\nmx: mx.example.net\r\n"
                             "mx: *.backup.example.net\r\nmax_age: 604800\r\n")
    assert policy.allows("mx1.backup.example.net") == "*.backup.example.net"
    assert policy.allows("evil.example") is None
    with pytest.raises(ValueError, match="mode"):
        StsPolicy("example.net", "1", "strict", (), 1)
