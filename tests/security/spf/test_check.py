"""check_host() (RFC 7208 4-6): each mechanism, each limit, the identities and the steps."""

from __future__ import annotations

import pytest

from simulator.security.spf import (
    LOOKUP_LIMIT,
    RESULTS,
    SpfResult,
    check_helo,
    check_host,
    check_mail_from,
)
from simulator.trace import CheckStep

CLIENT = "192.0.2.10"


def spf(
    zone, record: str | tuple[str, ...], ip: str = CLIENT, names: dict | None = None
) -> SpfResult:
    """check_host() for alice@example.org with ``record`` at example.org, and more ``names``."""
    records: dict = {"example.org": {"TXT": [record]}}
    for name, rrs in (names or {}).items():
        records.setdefault(name, {}).update(rrs)
    return check_host(ip, "example.org", "alice@example.org", "mail.example.org", zone(records))


def texts(result: SpfResult) -> list[str]:
    return [s.text for s in result.steps]


# --- all and the qualifiers (RFC 7208 4.6.2, 5.1) -------------------------------


@pytest.mark.parametrize(
    ("record", "result"),
    [
        ("v=spf1 all", "pass"),
        ("v=spf1 +all", "pass"),
        ("v=spf1 -all", "fail"),
        ("v=spf1 ~all", "softfail"),
        ("v=spf1 ?all", "neutral"),
        ("v=spf1", "neutral"),  # nothing matched, no redirect (RFC 7208 4.7)
        ("v=spf1 ip4:198.51.100.1", "neutral"),
        ("v=spf1 ?all -all", "neutral"),  # the first match decides
    ],
)
def test_qualifiers(zone, record: str, result: str) -> None:
    got = spf(zone, record)
    assert got.result == result
    last = got.steps[-1]
    assert last.text.startswith("SPF result for MAIL FROM ") and f": {result}" in last.text
    assert last.result == result
    assert all(not s.result for s in got.steps[:-1])  # only the last step concludes


# --- ip4 and ip6 (RFC 7208 5.6) ------------------------------------------------


@pytest.mark.parametrize(
    ("term", "ip", "result"),
    [
        ("ip4:192.0.2.0/24", "192.0.2.10", "pass"),
        ("ip4:192.0.2.0/28", "192.0.2.20", "fail"),
        ("ip4:192.0.2.10", "192.0.2.10", "pass"),
        ("ip4:0.0.0.0/0", "203.0.113.9", "pass"),
        ("ip4:192.0.2.10", "::ffff:192.0.2.10", "pass"),  # IPv4-mapped is IPv4 (RFC 7208 5)
        ("ip6:::ffff:192.0.2.10", "::ffff:192.0.2.10", "fail"),
        ("ip6:2001:db8::/32", "2001:db8:1::25", "pass"),
        ("ip6:2001:db8::/48", "2001:db8:1::25", "fail"),
        ("ip6:::/0", "192.0.2.10", "fail"),  # an IPv4 client never matches ip6
        ("ip4:0.0.0.0/0", "2001:db8::1", "fail"),
    ],
)
def test_ip_mechanisms(zone, term: str, ip: str, result: str) -> None:
    assert spf(zone, f"v=spf1 {term} -all", ip).result == result


def test_an_ip4_miss_reads_as_a_step(zone) -> None:
    got = spf(zone, "v=spf1 ip4:198.51.100.0/24 -all")
    assert (
        "ip4:198.51.100.0/24: 192.0.2.10 is not in 198.51.100.0/24: no match (RFC 7208 5.6)"
        in texts(got)
    )


# --- a (RFC 7208 5.3) ------------------------------------------------------------


def test_a_uses_the_current_domain_and_the_client_family(zone) -> None:
    names = {"example.org": {"A": ["192.0.2.10"], "AAAA": ["2001:db8::10"]}}
    assert spf(zone, "v=spf1 a -all", names=names).result == "pass"
    assert spf(zone, "v=spf1 a -all", "2001:db8::10", names).result == "pass"
    assert spf(zone, "v=spf1 a -all", "2001:db8::11", names).result == "fail"


def test_a_with_a_domain_and_dual_cidr(zone) -> None:
    hosts = {"out.example.net": {"A": ["192.0.2.1"], "AAAA": ["2001:db8:5::1"]}}
    record = "v=spf1 a:out.example.net/24//48 -all"
    assert spf(zone, record, "192.0.2.200", hosts).result == "pass"
    assert spf(zone, record, "2001:db8:5:ffff::9", hosts).result == "pass"
    assert spf(zone, record, "2001:db8:6::1", hosts).result == "fail"
    assert spf(zone, "v=spf1 a:out.example.net -all", "192.0.2.200", hosts).result == "fail"


def test_a_with_no_address_is_no_match(zone) -> None:
    got = spf(zone, "v=spf1 a:nowhere.example.net/0 -all")
    assert got.result == "fail" and got.void_lookups == 1
    assert "a:nowhere.example.net/0: nowhere.example.net does not exist" in texts(got)


# --- mx (RFC 7208 5.4) -----------------------------------------------------------


def test_mx_matches_an_exchange_address(zone) -> None:
    more = {
        "example.org": {"MX": ["20 mx2.example.org", "10 mx1.example.org"]},
        "mx1.example.org": {"A": ["198.51.100.1"]},
        "mx2.example.org": {"A": ["192.0.2.10"]},
    }
    got = spf(zone, "v=spf1 mx -all", names=more)
    assert got.result == "pass" and got.lookups == 1  # one term, however many MX hosts


def test_mx_has_no_implicit_mx(zone) -> None:
    """RFC 7208 5.4: no MX records: no match, and no A lookup of the domain itself."""
    z = zone({"example.org": {"TXT": ["v=spf1 mx -all"], "A": [CLIENT]}})
    got = check_host(CLIENT, "example.org", "a@example.org", "h.example.org", z)
    assert got.result == "fail"
    assert ("example.org", "A") not in z.queries


def test_null_mx_has_no_address(zone) -> None:
    got = spf(zone, "v=spf1 mx ?all", names={"example.org": {"MX": ["0 ."]}})
    assert got.result == "neutral"
    assert any("null MX" in t for t in texts(got))


def test_more_than_ten_mx_records_is_a_permerror(zone) -> None:
    """RFC 7208 4.6.4: at most 10 MX names per mx mechanism."""
    mx = [f"{i} mx{i}.example.org" for i in range(11)]
    got = spf(zone, "v=spf1 mx -all", names={"example.org": {"MX": mx}})
    assert got.result == "permerror" and "4.6.4" in got.reason


# --- ptr (RFC 7208 5.5) and %{p} ---------------------------------------------------


PTR = {
    "10.2.0.192.in-addr.arpa": {"PTR": ["mail.example.org", "spoof.example.org"]},
    "mail.example.org": {"A": [CLIENT]},
    "spoof.example.org": {"A": ["203.0.113.1"]},
}


def test_ptr_needs_a_validated_name_in_the_target(zone) -> None:
    assert spf(zone, "v=spf1 ptr -all", names=PTR).result == "pass"
    assert spf(zone, "v=spf1 ptr:example.net -all", names=PTR).result == "fail"
    got = spf(zone, "v=spf1 ptr:spoof.example.org -all", names=PTR)
    assert got.result == "fail"  # spoof.example.org does not point back at the client
    assert any("does not point back" in t for t in texts(got))


def test_ptr_looks_at_the_first_ten_names_only(zone) -> None:
    names = [f"n{i}.example.net" for i in range(10)] + ["mail.example.org"]
    got = spf(zone, "v=spf1 ptr -all", names={**PTR, "10.2.0.192.in-addr.arpa": {"PTR": names}})
    assert got.result == "fail"  # the eleventh name, the good one, is ignored (RFC 7208 4.6.4)


def test_p_macro_prefers_a_name_in_the_domain(zone) -> None:
    """RFC 7208 7.3: <domain> itself, else a subdomain of it, else any validated name."""
    names = {
        **PTR,
        "10.2.0.192.in-addr.arpa": {"PTR": ["other.example.net", "mail.example.org"]},
        "other.example.net": {"A": [CLIENT]},
        "mail.example.org.ok.example.net": {"A": ["127.0.0.2"]},
    }
    assert spf(zone, "v=spf1 exists:%{p}.ok.example.net -all", names=names).result == "pass"
    names["10.2.0.192.in-addr.arpa"] = {"PTR": ["nowhere.example.net"]}
    got = spf(
        zone,
        "v=spf1 -all exp=why.example.org",
        names={**names, "why.example.org": {"TXT": ["from %{p}"]}},
    )
    assert got.explanation == "from unknown"  # no validated name


# --- exists (RFC 7208 5.7) ---------------------------------------------------------


def test_exists_queries_a_even_for_ipv6(zone) -> None:
    z = zone(
        {
            "example.org": {"TXT": ["v=spf1 exists:%{ir}.allow.example.org -all"]},
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.allow.example.org": {
                "A": ["127.0.0.2"]
            },
        }
    )
    assert check_host("2001:db8::1", "example.org", "a@example.org", "h", z).result == "pass"
    assert z.queries[-1][1] == "A"


# --- include (RFC 7208 5.2) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("inner", "result"),
    [
        ("v=spf1 +all", "pass"),  # pass: include matches
        ("v=spf1 -all", "fail"),  # fail, softfail, neutral: no match, go on to -all
        ("v=spf1 ~all", "fail"),
        ("v=spf1 ?all", "fail"),
        ("v=spf1 ip4:999.0.0.1", "permerror"),
        (None, "permerror"),  # none: permerror
    ],
)
def test_include_results(zone, inner: str | None, result: str) -> None:
    more = {"_spf.example.org": {"TXT": [inner] if inner else ["not spf"]}}
    assert spf(zone, "v=spf1 include:_spf.example.org -all", names=more).result == result


def test_include_temperror(zone) -> None:
    z = zone(
        {"example.org": {"TXT": ["v=spf1 include:_spf.example.org -all"]}},
        failing={"_spf.example.org"},
    )
    assert check_host(CLIENT, "example.org", "a@example.org", "h", z).result == "temperror"


def test_include_step_says_why_it_matches(zone) -> None:
    got = spf(
        zone,
        "v=spf1 include:_spf.example.org -all",
        names={"_spf.example.org": {"TXT": ["v=spf1 ip4:192.0.2.0/24"]}},
    )
    assert "include:_spf.example.org -> pass, so +include matches (RFC 7208 5.2)" in texts(got)
    inner = [s for s in got.steps if s.depth == 1]
    assert inner and inner[1].text.startswith("ip4:192.0.2.0/24: 192.0.2.10 is in 192.0.2.0/24")
    events = got.events("mx.example.net")
    assert all(
        isinstance(e, CheckStep) and e.check == "spf" and e.host == "mx.example.net" for e in events
    )
    assert events[-1].result == "pass"
    assert any(e.text.startswith("  ip4:192.0.2.0/24") for e in events)  # nested steps indented


# --- redirect and exp (RFC 7208 6) -----------------------------------------------------


def test_redirect_changes_the_domain(zone) -> None:
    more = {"spf.example.net": {"TXT": ["v=spf1 a -all"], "A": [CLIENT]}}
    got = spf(zone, "v=spf1 redirect=spf.example.net", names=more)
    assert got.result == "pass" and got.lookups == 2  # redirect and a


def test_redirect_only_when_nothing_matched(zone) -> None:
    assert spf(zone, "v=spf1 ?all redirect=nowhere.example.net").result == "neutral"
    assert spf(zone, "v=spf1 redirect=nowhere.example.net").result == "permerror"  # RFC 7208 6.1


def test_exp_explains_a_fail(zone) -> None:
    why = {"TXT": [("%{i} may not send ", "for %{d} (%{c}, checked by %{r})")]}  # two strings (3.3)
    z = zone({"example.org": {"TXT": ["v=spf1 -all exp=why.%{d}"]}, "why.example.org": why})
    got = check_host(CLIENT, "example.org", "a@example.org", "h", z, receiver="mx.example.net")
    assert got.result == "fail"
    assert (
        got.explanation
        == "192.0.2.10 may not send for example.org (192.0.2.10, checked by mx.example.net)"
    )


@pytest.mark.parametrize("txt", [[], ["one", "two"], ["bad %{x} macro"], ["caf\xe9"]])
def test_a_broken_exp_falls_back_to_the_default(zone, txt: list) -> None:
    """RFC 7208 6.2: no record, several, or a syntax error: as if there were no exp=."""
    z = zone(
        {
            "example.org": {"TXT": ["v=spf1 -all exp=why.example.org"]},
            "why.example.org": {"TXT": txt},
        }
    )
    got = check_host(CLIENT, "example.org", "a@example.org", "h", z)
    assert (
        got.result == "fail"
        and got.explanation == "192.0.2.10 is not one of example.org's designated mail servers"
    )


def test_exp_is_not_counted_and_only_on_fail(zone) -> None:
    z = zone(
        {
            "example.org": {"TXT": ["v=spf1 ~all exp=why.example.org"]},
            "why.example.org": {"TXT": ["x"]},
        }
    )
    got = check_host(CLIENT, "example.org", "a@example.org", "h", z)
    assert got.explanation == "" and ("why.example.org", "TXT") not in z.queries


# --- limits (RFC 7208 4.6.4) --------------------------------------------------------


def test_ten_dns_terms_are_allowed_the_eleventh_is_a_permerror(zone) -> None:
    a = {"example.org": {"A": ["198.51.100.1"]}}  # never the client
    ten = "v=spf1 " + " ".join(["a"] * LOOKUP_LIMIT) + " ip4:192.0.2.10 -all"
    assert spf(zone, ten, names=a).result == "pass"
    eleven = "v=spf1 " + " ".join(["a"] * (LOOKUP_LIMIT + 1)) + " ip4:192.0.2.10 -all"
    got = spf(zone, eleven, names=a)
    assert got.result == "permerror" and got.lookups == LOOKUP_LIMIT + 1
    assert "10 DNS lookups" in got.reason and "RFC 7208 4.6.4" in got.reason
    assert texts(got)[-2].endswith(": permerror")


def test_include_loop_ends_at_the_limit(zone) -> None:
    got = spf(zone, "v=spf1 include:example.org -all")
    assert got.result == "permerror" and got.lookups == LOOKUP_LIMIT + 1


def test_ip4_ip6_all_are_not_counted(zone) -> None:
    got = spf(zone, "v=spf1 " + " ".join(["ip4:198.51.100.1"] * 20) + " -all")
    assert got.result == "fail" and got.lookups == 0


def test_two_void_lookups_are_allowed_the_third_is_a_permerror(zone) -> None:
    two = "v=spf1 a:n1.example.net exists:n2.example.net ?all"
    assert spf(zone, two).result == "neutral"
    got = spf(zone, two.replace("?all", "mx:n3.example.net ?all"))
    assert got.result == "permerror" and got.void_lookups == 3 and "void" in got.reason


# --- record lookup and selection (RFC 7208 4.3-4.5) ---------------------------------------


def test_record_selection(zone) -> None:
    assert spf(zone, "not spf").result == "none"
    z = zone({"example.org": {"TXT": ["v=spf1 -all", "v=spf1 +all"]}})
    got = check_host(CLIENT, "example.org", "a@example.org", "h", z)
    assert got.result == "permerror" and "4.5" in got.reason
    z = zone(
        {
            "example.org": {
                "TXT": ["google-site-verification=x", ("v=spf1 ip4:192.0.2.0", "/24 -all")]
            }
        }
    )
    assert check_host(CLIENT, "example.org", "a@example.org", "h", z).result == "pass"  # 3.3


def test_nxdomain_is_none_a_dns_error_is_temperror(zone) -> None:
    z = zone({}, failing={"broken.example"})
    assert check_host(CLIENT, "gone.example", "a@gone.example", "h", z).result == "none"
    got = check_host(CLIENT, "broken.example", "a@broken.example", "h", z)
    assert got.result == "temperror" and "4.4" in got.reason


@pytest.mark.parametrize(
    "domain", ["localhost", "a..example", "x" * 64 + ".example", "[192.0.2.1]", ""]
)
def test_a_malformed_domain_is_none_without_a_query(zone, domain: str) -> None:
    z = zone({})
    assert check_host(CLIENT, domain, "a@" + domain, "h", z).result == "none"  # RFC 7208 4.3
    assert z.queries == []


def test_syntax_error_anywhere_is_permerror(zone) -> None:
    got = spf(zone, "v=spf1 +all moo")
    assert got.result == "permerror" and "moo" in got.reason


def test_case_and_trailing_dots(zone) -> None:
    z = zone(
        {
            "example.org": {"TXT": ["V=SPF1 A:MAIL.Example.ORG. -ALL"]},
            "mail.example.org": {"A": [CLIENT]},
        }
    )
    assert check_host(CLIENT, "EXAMPLE.ORG.", "a@EXAMPLE.ORG", "h", z).result == "pass"


# --- identities (RFC 7208 2.3, 2.4, 4.3) ------------------------------------------------


def test_helo_identity(zone) -> None:
    z = zone({"mail.example.org": {"TXT": ["v=spf1 a -all"], "A": [CLIENT]}})
    got = check_helo(CLIENT, "mail.example.org", z)
    assert (
        got.result == "pass"
        and got.identity == "helo"
        and got.sender == "postmaster@mail.example.org"
    )


def test_null_reverse_path_checks_postmaster_at_helo(zone) -> None:
    z = zone(
        {
            "mail.example.org": {"TXT": ["v=spf1 -all exp=why.mail.example.org"]},
            "why.mail.example.org": {"TXT": ["%{s}"]},
        }
    )
    got = check_mail_from(CLIENT, "<>", "mail.example.org", z)
    assert got.domain == "mail.example.org" and got.explanation == "postmaster@mail.example.org"


def test_empty_local_part_is_postmaster(zone) -> None:
    z = zone(
        {
            "example.org": {"TXT": ["v=spf1 -all exp=why.example.org"]},
            "why.example.org": {"TXT": ["%{l}"]},
        }
    )
    got = check_mail_from(CLIENT, "@example.org", "mail.example.org", z)
    assert got.sender == "postmaster@example.org" and got.explanation == "postmaster"


def test_steps_are_reported_as_they_happen(zone) -> None:
    seen = []
    z = zone({"example.org": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]}})
    got = check_host(CLIENT, "example.org", "a@example.org", "h", z, on_step=seen.append)
    assert tuple(seen) == got.steps and got.result in RESULTS
