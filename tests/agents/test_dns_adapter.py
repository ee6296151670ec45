"""The virtual DNS adapted to the security layer's resolver (simulator.security.dns)."""

from __future__ import annotations

from simulator.agents.dns_adapter import VirtualResolver
from simulator.agents.world import build_world
from simulator.net.dns import VirtualDns
from simulator.security.dns import NXDOMAIN, TEMPFAIL, MxRecord, txt_text
from simulator.security.spf import check_mail_from
from simulator.trace import DnsLookup


def _dns() -> VirtualDns:
    dns = VirtualDns()
    dns.add("example.org", "A", "192.0.2.25")
    dns.add("example.org", "MX", "10 mail.example.org")
    dns.add("example.org", "MX", "20 backup.example.org.")
    dns.add("example.org", "TXT", "v=spf1 mx -all")
    dns.add("www.example.org", "CNAME", "example.org")
    dns.add("25.2.0.192.in-addr.arpa", "PTR", "mail.example.org")
    return dns


def test_records_by_type() -> None:
    resolver = VirtualResolver(_dns())
    assert resolver.query("example.org", "A") == ("192.0.2.25",)
    assert resolver.query("EXAMPLE.org.", "mx") == (
        MxRecord(10, "mail.example.org"),
        MxRecord(20, "backup.example.org."),
    )
    assert resolver.query("example.org", "TXT") == (("v=spf1 mx -all",),)
    assert resolver.query("25.2.0.192.in-addr.arpa", "PTR") == ("mail.example.org",)


def test_nxdomain_nodata_and_servfail() -> None:
    dns = _dns()
    resolver = VirtualResolver(dns)
    assert resolver.query("nowhere.example.org", "A") is NXDOMAIN  # RFC 2308 2.1
    assert resolver.query("example.org", "AAAA") == ()  # NODATA, RFC 2308 2.2
    dns.failing.add("example.org")
    assert resolver.query("example.org", "TXT") is TEMPFAIL


def test_cname_is_followed_and_a_loop_is_an_error() -> None:
    dns = _dns()
    resolver = VirtualResolver(dns)
    assert resolver.query("www.example.org", "A") == ("192.0.2.25",)
    dns.add("loop.example.org", "CNAME", "loop.example.org")
    assert resolver.query("loop.example.org", "A") is TEMPFAIL


def test_a_long_txt_record_comes_as_255_octet_strings() -> None:
    dns = VirtualDns()
    text = "v=spf1 " + " ".join(f"ip4:192.0.2.{i}" for i in range(60)) + " -all"
    dns.add("big.example", "TXT", text)
    (record,) = VirtualResolver(dns).query("big.example", "TXT")
    assert len(record) == 4 and all(len(s) <= 255 for s in record)
    assert txt_text(record) == text  # joined with nothing between (RFC 7208 3.3)


def test_every_query_is_a_dns_lookup_asked_by_the_checking_host() -> None:
    seen: list[DnsLookup] = []
    dns = _dns()
    dns.on_lookup = seen.append
    resolver = VirtualResolver(dns, asker="mx.example.net")
    result = check_mail_from("192.0.2.25", "alice@example.org", "mail.example.org", resolver)
    assert result.result == "fail"  # neither MX host has an address here
    assert [(e.asker, e.name, e.rtype, e.error) for e in seen] == [
        ("mx.example.net", "example.org", "TXT", ""),
        ("mx.example.net", "example.org", "MX", ""),
        ("mx.example.net", "mail.example.org", "A", "NXDOMAIN"),
        ("mx.example.net", "backup.example.org", "A", "NXDOMAIN"),
    ]


def test_spf_over_the_default_world() -> None:
    """The default world publishes v=spf1 ip4:192.0.2.25 -all for example.org (DESIGN.md)."""
    world = build_world()
    resolver = VirtualResolver(world.net.dns, asker="mx.example.net")
    ok = check_mail_from("192.0.2.25", "alice@example.org", "mail.example.org", resolver)
    assert ok.result == "pass" and ok.mechanism == "ip4:192.0.2.25"
    spoofed = check_mail_from("203.0.113.25", "ceo@example.org", "mail.evil.example", resolver)
    assert spoofed.result == "fail" and spoofed.mechanism == "-all"
    assert "203.0.113.25" in spoofed.explanation
    own = check_mail_from("203.0.113.25", "mallory@evil.example", "mail.evil.example", resolver)
    assert own.result == "pass"
    lookups = [e for e in world.trace.events if isinstance(e, DnsLookup)]
    assert [e.name for e in lookups] == ["example.org", "example.org", "evil.example"]
