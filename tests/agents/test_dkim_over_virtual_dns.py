"""DKIM keys fetched from the virtual DNS through the agents' resolver adapter, each lookup in the trace."""

from __future__ import annotations

from simulator.agents.dns_adapter import VirtualResolver
from simulator.net.dns import VirtualDns
from simulator.security.dkim import PASS, PERMERROR, TEMPERROR, DkimSigner, DkimVerifier
from simulator.security.keys import ED25519_SHA256, RSA_SHA256, DemoKeyring

NOW = 1_772_442_000
MESSAGE = b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: hi\r\n\r\nHello\r\n"


def test_key_record_longer_than_one_string_is_joined_again() -> None:
    ring = DemoKeyring()
    lookups = []
    dns = VirtualDns(on_lookup=lookups.append)
    for algorithm, selector in ((RSA_SHA256, "s1"), (ED25519_SHA256, "e1")):
        key = ring.key("example.org", selector, algorithm)
        dns.add(f"{selector}._domainkey.example.org", "TXT", key.record())
        signed = DkimSigner("example.org", selector, key).sign(MESSAGE, now=NOW).message
        verdict = DkimVerifier(VirtualResolver(dns, asker="mx.example.net")).verify(signed, now=NOW)
        assert verdict.result == PASS, algorithm
    assert len(ring.key("example.org", "s1").record()) > 255  # split into two character-strings, RFC 1035
    assert [(e.asker, e.name, e.rtype) for e in lookups] == [
        ("mx.example.net", "s1._domainkey.example.org", "TXT"), ("mx.example.net", "e1._domainkey.example.org", "TXT")]


def test_missing_and_failing_keys() -> None:
    key = DemoKeyring().key("example.org", "s1")
    signed = DkimSigner("example.org", "s1", key).sign(MESSAGE, now=NOW).message
    dns = VirtualDns()
    verifier = DkimVerifier(VirtualResolver(dns))
    assert verifier.verify(signed, now=NOW).result == PERMERROR  # NXDOMAIN
    dns.add("s1._domainkey.example.org", "A", "192.0.2.1")
    assert verifier.verify(signed, now=NOW).reason == "key missing"  # NODATA
    dns.failing.add("s1._domainkey.example.org")
    assert verifier.verify(signed, now=NOW).result == TEMPERROR
