"""Properties: macro expansion never crashes (a bad macro is a syntax error, so permerror),
and check_host() never raises, whatever the records (RFC 7208 4.6: errors are results)."""

from __future__ import annotations

from ipaddress import ip_address

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.security.dns import NXDOMAIN, TEMPFAIL, Answer, MxRecord
from simulator.security.spf import RESULTS, SpfSyntaxError, check_host
from simulator.security.spf.macros import (
    MacroValues,
    expand,
    expand_domain,
    parse_domain_spec,
    parse_macro_string,
)

MACRO_CHARS = list("%{}._-+,/=:rR0123456789slodiphcrtvSLODIPHCRTVxa \t\xe9") + [
    "%{",
    "}",
    "%{d",
    "%{ir}",
]
macro_text = st.one_of(
    st.lists(st.sampled_from(MACRO_CHARS), max_size=30).map("".join), st.text(max_size=30)
)
addresses = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)
senders = st.one_of(
    st.sampled_from(
        ["alice@example.org", "@example.org", "postmaster@x.example", "a.b-c+d@example.org"]
    ),
    st.text(max_size=20),
)

SETTINGS = settings(max_examples=300, deadline=None)


@SETTINGS
@given(macro_text, addresses, senders, st.text(max_size=20))
def test_macro_expansion_never_crashes(text: str, ip: str, sender: str, helo: str) -> None:
    values = MacroValues(
        sender, "example.org", ip_address(ip), helo, validated_name=lambda d: "unknown"
    )
    for explanation in (True, False):
        try:
            parts = parse_macro_string(text, spaces=explanation)
        except SpfSyntaxError as e:
            assert "RFC 7208" in str(e)
            continue
        assert isinstance(expand(parts, values), str)
    try:
        parts = parse_domain_spec(text)
    except SpfSyntaxError:
        return
    name = expand_domain(parts, values)
    assert not name.endswith(".") and (len(name) <= 253 or "." not in name)


TERMS = [
    "all",
    "-all",
    "~all",
    "?all",
    "+all",
    "a",
    "a/24",
    "a//64",
    "a:example.org",
    "a:%{d}",
    "mx",
    "mx:example.net/0",
    "ptr",
    "ptr:example.org",
    "exists:%{ir}.%{v}.example.org",
    "exists:%{l}.%{o}.x.example",
    "include:example.org",
    "include:example.net",
    "include:gone.example",
    "include:slow.example",
    "ip4:192.0.2.0/24",
    "ip6:2001:db8::/32",
    "redirect=example.net",
    "redirect=example.org",
    "exp=why.example.org",
    "exp=%{d}",
    "foo=%{s}",
    "a:%{p}.example.org",
    "ip4:1.2.3",
    "a:museum",
    "%{x}",
    "v=spf1",
    "=",
    ":",
    "/",
    "a:",
    "mx//129",
]
terms = st.one_of(st.sampled_from(TERMS), macro_text)
records = st.lists(terms, max_size=12).map(lambda ts: "v=spf1 " + " ".join(ts))


class RandomZone:
    """Every TXT query answers the records drawn; other types answer something plausible."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def query(self, name: str, rtype: str) -> Answer:
        name = name.lower()
        if name.startswith("gone."):
            return NXDOMAIN
        if name.startswith("slow."):
            return TEMPFAIL
        if rtype == "TXT":
            return tuple((t[:7], t[7:]) for t in self.texts)
        if rtype == "MX":
            return (MxRecord(10, "mx.example.net"), MxRecord(0, ""))
        if rtype == "PTR":
            return ("mx.example.net.", "example.org")
        if rtype == "A":
            return ("192.0.2.1", "not an address")
        return ("2001:db8::1",)


@SETTINGS
@given(st.lists(records, min_size=1, max_size=2), addresses, senders, st.text(max_size=12))
def test_check_host_never_raises(texts: list[str], ip: str, sender: str, helo: str) -> None:
    result = check_host(ip, "example.org", sender, helo, RandomZone(texts), on_step=lambda s: None)
    assert result.result in RESULTS
    assert result.steps[-1].result == result.result
    assert result.lookups <= 11 and result.void_lookups <= 3
    if result.result in ("permerror", "temperror"):
        assert result.reason
    again = check_host(ip, "example.org", sender, helo, RandomZone(texts))
    assert again == result  # deterministic (DESIGN.md principle 5)


@SETTINGS
@given(st.text(max_size=40), addresses)
def test_any_txt_text_gives_a_result(text: str, ip: str) -> None:
    result = check_host(ip, "example.org", "a@example.org", "h.example", RandomZone([text]))
    assert result.result in RESULTS
