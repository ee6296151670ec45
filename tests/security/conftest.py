"""A fake TXT resolver and the RFC 8463 Appendix A vector, for the DKIM tests.

Handed out as session-scoped fixtures (no tests/__init__.py, so test modules do not
import this file), which keeps them usable inside Hypothesis tests.
"""

from __future__ import annotations

import pytest

from simulator.security.dns import NXDOMAIN, TEMPFAIL, Answer


class FakeDns:
    """A simulator.security.dns.Resolver of TXT records by name: a name in ``failing`` answers
    TEMPFAIL, a name in ``empty`` has no TXT record, any other NXDOMAIN."""

    def __init__(self, records: dict[str, str | tuple[str, ...]] | None = None) -> None:
        self.records: dict[str, tuple[str, ...]] = {}
        self.failing: set[str] = set()
        self.empty: set[str] = set()
        self.asked: list[str] = []
        for name, value in (records or {}).items():
            self.add(name, value)

    def add(self, name: str, value: str | tuple[str, ...]) -> None:
        self.records[name] = (value,) if isinstance(value, str) else value

    def query(self, name: str, rtype: str) -> Answer:
        self.asked.append(name)
        if rtype != "TXT" or name in self.empty:
            return ()
        if name in self.failing:
            return TEMPFAIL
        return self.records.get(name, NXDOMAIN)

    def dkimpy(self, name: bytes, timeout: int = 5) -> bytes | None:
        """dkimpy's dnsfunc: the TXT text for a name ending in '.', or None."""
        found = self.records.get(name.decode().rstrip("."))
        return found[0].encode() if found else None


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()



# RFC 8463 Appendix A
RFC8463_ED25519_PRIVATE = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
RFC8463_ED25519_PUBLIC = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
RFC8463_DNS = {
    "brisbane._domainkey.football.example.com": f"v=DKIM1; k=ed25519; p={RFC8463_ED25519_PUBLIC}",
    "test._domainkey.football.example.com": (
        "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQi"
        "Y/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+"
        "2kryOTIKT+l/K4w3QIDAQAB"),
}
RFC8463_SIGNATURES = crlf("""\
DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=brisbane; t=1528637909; h=from : to :
 subject : date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus
 Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=test; t=1528637909; h=from : to : subject :
 date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3
 DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz
 dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=
""")
RFC8463_MESSAGE = crlf("""\
From: Joe SixPack <joe@football.example.com>
To: Suzie Q <suzie@shopping.example.net>
Subject: Is dinner ready?
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)
Message-ID: <20030712040037.46341.5F8J@football.example.com>

Hi.

We lost the game.  Are you hungry yet?

Joe.
""")
RFC8463_TIME = 1528637909


class Rfc8463:
    """RFC 8463 Appendix A: A.1 keys, A.2 DNS records, A.3 the message signed with both."""

    private = RFC8463_ED25519_PRIVATE
    public = RFC8463_ED25519_PUBLIC
    dns = RFC8463_DNS
    signatures = RFC8463_SIGNATURES
    message = RFC8463_MESSAGE
    time = RFC8463_TIME


@pytest.fixture(scope="session")
def rfc8463() -> type[Rfc8463]:
    return Rfc8463


@pytest.fixture(scope="session")
def make_dns():
    """``make_dns({name: record, ...})``: a fresh FakeDns."""
    return FakeDns


@pytest.fixture(scope="session")
def lines():
    """``lines("a\\nb\\n")``: the text as CRLF bytes."""
    return crlf


class DmarcZone:
    """A simulator.security.dns.Resolver for the DMARC tests: ``txt`` maps a name to its TXT
    records (a str, or a list of records; TEMPFAIL fails the query); names in ``hosts`` exist
    (answer A queries), every other name is NXDOMAIN. ``asked`` lists each query."""

    def __init__(self, txt: dict | None = None, hosts: tuple[str, ...] = (), failing: tuple[str, ...] = ()) -> None:
        self.txt = dict(txt or {})
        self.hosts = set(hosts)
        self.failing = set(failing)
        self.asked: list[tuple[str, str]] = []

    def query(self, name: str, rtype: str) -> Answer:
        self.asked.append((name, rtype))
        if name in self.failing:
            return TEMPFAIL
        if rtype == "TXT" and name in self.txt:
            value = self.txt[name]
            return (value,) if isinstance(value, str) else tuple(value)
        if name in self.hosts or name in self.txt:
            return ("192.0.2.1",) if rtype == "A" else ()
        return NXDOMAIN

    @property
    def txt_queries(self) -> list[str]:
        return [name for name, rtype in self.asked if rtype == "TXT"]


@pytest.fixture(scope="session")
def dmarc_zone() -> type[DmarcZone]:
    return DmarcZone
