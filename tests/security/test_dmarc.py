"""DMARC evaluation (RFC 9989 5.3): discovery, alignment, results and the policy applied, step by step."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.security.dkim import DkimVerdict, SignatureVerdict
from simulator.security.dmarc import RESULTS, author_domains, check_message, evaluate
from simulator.security.dns import NXDOMAIN, TEMPFAIL
from simulator.security.spf import SpfResult
from simulator.trace import CheckStep


def spf_pass(domain: str) -> SpfResult:
    return SpfResult("pass", domain, f"bounce@{domain}", "192.0.2.10", helo="mail." + domain)


def dkim_pass(*domains: str) -> DkimVerdict:
    return DkimVerdict("pass", tuple(SignatureVerdict("pass", domain=d, selector="s1", b="QUJDREVGR0g=") for d in domains), ())


def zone_of(dmarc_zone, records: dict[str, str], **kw):
    return dmarc_zone({f"_dmarc.{name}": text for name, text in records.items()}, **kw)


def texts(result) -> str:
    return "\n".join(step.text for step in result.steps)


def test_aligned_dkim_passes_and_the_verdict_is_the_last_step(dmarc_zone) -> None:
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=reject; rua=mailto:dmarc@example.org"})
    result = evaluate("example.org", spf_pass("example.org"), dkim_pass("example.org"), zone)
    assert (result.result, result.disposition, result.policy, result.policy_domain) == ("pass", "none", "reject", "example.org")
    assert result.spf_aligned and result.dkim_aligned
    assert result.steps[-1].result == "pass" and all(not s.result for s in result.steps[:-1])
    [event] = [e for e in result.events("mx.example.net") if e.result]
    assert isinstance(event, CheckStep) and event.check == "dmarc" and event.host == "mx.example.net"
    # identical names need no walk: only _dmarc.example.org is asked (4.10.2 note)
    assert zone.txt_queries == ["_dmarc.example.org"]


def test_spoofed_from_fails_and_p_reject_rejects(dmarc_zone) -> None:
    # evil.example sends From: ceo@example.org; SPF passes for evil.example, which is not aligned
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=reject"})
    result = evaluate("example.org", spf_pass("evil.example"), DkimVerdict("none", (), ()), zone)
    assert (result.result, result.disposition) == ("fail", "reject")
    assert not result.spf_aligned and "550 5.7.1" in result.steps[-1].text
    assert result.rejection_text() == "Email rejected per DMARC policy for example.org"


# --- discovery (4.10.1) -------------------------------------------------------------------------


@pytest.mark.parametrize(("author", "records", "hosts", "domain", "tag", "policy"), [
    ("example.org", {"example.org": "v=DMARC1; p=quarantine; sp=reject"}, (), "example.org", "p", "quarantine"),
    ("mail.example.org", {"example.org": "v=DMARC1; p=quarantine; sp=reject"}, ("mail.example.org",),
     "example.org", "sp", "reject"),
    ("mail.example.org", {"example.org": "v=DMARC1; p=quarantine"}, ("mail.example.org",), "example.org", "p", "quarantine"),
    # a subdomain's own record wins over the organizational domain's
    ("mail.example.org", {"mail.example.org": "v=DMARC1; p=none", "example.org": "v=DMARC1; p=reject"}, (),
     "mail.example.org", "p", "none"),
    # an intermediate record is not the policy record: the Organizational Domain's is (4.10.1)
    ("a.mail.example.org", {"mail.example.org": "v=DMARC1; p=none", "example.org": "v=DMARC1; p=reject; sp=quarantine"},
     ("a.mail.example.org",), "example.org", "sp", "quarantine"),
    # psd=n makes mail.example.org the Organizational Domain, and its record the policy
    ("a.mail.example.org", {"mail.example.org": "v=DMARC1; p=none; psd=n", "example.org": "v=DMARC1; p=reject"},
     ("a.mail.example.org",), "mail.example.org", "p", "none"),
    # np for a non-existent subdomain (NXDOMAIN), sp for an existing one
    ("ghost.example.org", {"example.org": "v=DMARC1; p=none; sp=quarantine; np=reject"}, (), "example.org", "np", "reject"),
    ("www.example.org", {"example.org": "v=DMARC1; p=none; sp=quarantine; np=reject"}, ("www.example.org",),
     "example.org", "sp", "quarantine"),
    # without np, a non-existent subdomain gets sp, else p
    ("ghost.example.org", {"example.org": "v=DMARC1; p=none; sp=quarantine"}, (), "example.org", "sp", "quarantine"),
    # the PSD's record when the Organizational Domain publishes none (psd=y)
    ("shop.bank.example", {"bank.example": "v=DMARC1; p=reject; np=reject; psd=y"}, ("shop.bank.example",),
     "bank.example", "p", "reject"),
    ("ghost.bank.example", {"bank.example": "v=DMARC1; p=quarantine; np=reject; psd=y"}, (), "bank.example", "np", "reject"),
    # deep names: the walk jumps to seven labels and still reaches example.org
    ("a.b.c.d.e.f.g.h.i.example.org", {"example.org": "v=DMARC1; p=reject; sp=quarantine"},
     ("a.b.c.d.e.f.g.h.i.example.org",), "example.org", "sp", "quarantine"),
])
def test_policy_discovery(dmarc_zone, author, records, hosts, domain, tag, policy) -> None:
    zone = zone_of(dmarc_zone, records, hosts=hosts)
    result = evaluate(author, None, None, zone)
    assert (result.policy_domain, result.policy_tag, result.policy) == (domain, tag, policy)
    assert result.result == "fail" and result.disposition == policy
    assert result.queries <= 8


def test_the_existence_check_asks_only_when_np_is_published(dmarc_zone) -> None:
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=none; sp=reject"})
    evaluate("ghost.example.org", None, None, zone)
    assert ("ghost.example.org", "A") not in zone.asked
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=none; np=reject"})
    result = evaluate("ghost.example.org", None, None, zone)
    assert ("ghost.example.org", "A") in zone.asked and "NXDOMAIN" in texts(result)


def test_no_record_anywhere_means_dmarc_does_not_apply(dmarc_zone) -> None:
    zone = dmarc_zone({})
    result = evaluate("mail.example.net", spf_pass("example.net"), None, zone)
    assert (result.result, result.disposition, result.record) == ("none", "none", None)
    assert zone.txt_queries == ["_dmarc.mail.example.net", "_dmarc.example.net", "_dmarc.net"]
    assert "does not apply" in result.steps[-1].text


def test_deep_name_walk_queries(dmarc_zone) -> None:
    zone = zone_of(dmarc_zone, {"example.com": "v=DMARC1; p=reject"})
    result = evaluate("a.b.c.d.e.f.g.h.i.j.k.example.com", spf_pass("example.com"), None, zone, compare_psl=False)
    # RFC 9989 B.4.2: the Author Domain, then g.h.i.j.k.example.com (skipping the rest), up to _dmarc.com
    assert zone.txt_queries == ["_dmarc.a.b.c.d.e.f.g.h.i.j.k.example.com", "_dmarc.g.h.i.j.k.example.com",
                                "_dmarc.h.i.j.k.example.com", "_dmarc.i.j.k.example.com", "_dmarc.j.k.example.com",
                                "_dmarc.k.example.com", "_dmarc.example.com", "_dmarc.com"]
    assert result.result == "pass" and result.organizational_domain == "example.com"


# --- alignment (4.4, 4.10.2) ---------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "spf", "dkim", "result"), [
    ("", "example.org", None, "pass"),
    ("", "bounce.example.org", None, "pass"),  # relaxed: same Organizational Domain
    ("aspf=s", "bounce.example.org", None, "fail"),  # strict: not the very name
    ("aspf=s", "example.org", None, "pass"),
    ("", "example.net", None, "fail"),
    ("", None, "mail.example.org", "pass"),
    ("adkim=s", None, "mail.example.org", "fail"),
    ("adkim=s", None, "EXAMPLE.ORG", "pass"),  # names compare case-insensitively (4.4)
    ("adkim=s", "bounce.example.org", "mail.example.org", "pass"),  # aspf=r still aligns SPF
    ("adkim=s; aspf=s", "bounce.example.org", "mail.example.org", "fail"),
    ("", "evil.example", "evil.example", "fail"),
])
def test_alignment(dmarc_zone, mode: str, spf: str | None, dkim: str | None, result: str) -> None:
    zone = zone_of(dmarc_zone, {"example.org": f"v=DMARC1; p=reject; {mode}"})
    got = evaluate("example.org", spf_pass(spf) if spf else None, dkim_pass(dkim) if dkim else None, zone)
    assert got.result == result, texts(got)


def test_a_dkim_signature_that_failed_authenticates_nothing(dmarc_zone) -> None:
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=quarantine"})
    dkim = DkimVerdict("fail", (SignatureVerdict("fail", "body hash mismatch", domain="example.org", selector="s1"),), ())
    result = evaluate("example.org", None, dkim, zone)
    assert (result.result, result.disposition) == ("fail", "quarantine")
    assert "body hash mismatch" in texts(result)


def test_forwarding_breaks_spf_but_dkim_survives(dmarc_zone) -> None:
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=reject"})
    spf = SpfResult("fail", "example.org", "alice@example.org", "198.51.100.7")
    result = evaluate("example.org", spf, dkim_pass("example.org"), zone)
    assert result.result == "pass" and result.dkim_aligned and not result.spf_aligned


def test_the_helo_identity_is_not_used(dmarc_zone) -> None:
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=reject"})
    helo = SpfResult("pass", "example.org", "postmaster@example.org", "192.0.2.10", identity="helo")
    result = evaluate("example.org", helo, None, zone)
    assert result.result == "fail" and "MAIL FROM identity" in texts(result)


def test_the_psd_example_of_rfc_9989(dmarc_zone) -> None:
    # B.4.3: giant.bank.example, SPF mail.giant.bank.example, DKIM mail.mega.bank.example
    zone = zone_of(dmarc_zone, {"giant.bank.example": "v=DMARC1; p=reject", "bank.example": "v=DMARC1; p=none; psd=y"})
    result = evaluate("giant.bank.example", spf_pass("mail.giant.bank.example"), dkim_pass("mail.mega.bank.example"),
                      zone, compare_psl=False)
    assert result.result == "pass" and result.spf_aligned and not result.dkim_aligned
    assert result.organizational_domain == "giant.bank.example" and result.policy_domain == "giant.bank.example"


# --- t=y, removed tags, errors ------------------------------------------------------------------


@pytest.mark.parametrize(("policy", "applied"), [("reject", "quarantine"), ("quarantine", "none"), ("none", "none")])
def test_testing_mode_applies_one_level_milder(dmarc_zone, policy: str, applied: str) -> None:
    zone = zone_of(dmarc_zone, {"example.org": f"v=DMARC1; p={policy}; t=y"})
    result = evaluate("example.org", None, None, zone)
    assert (result.result, result.policy, result.disposition, result.testing) == ("fail", policy, applied, True)
    if policy != "none":
        assert "one level milder" in texts(result)


def test_pct_rf_ri_are_ignored_with_a_step(dmarc_zone) -> None:
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=reject; pct=0; rf=afrf; ri=86400"})
    result = evaluate("example.org", None, None, zone)
    assert result.disposition == "reject"  # pct=0 no longer softens anything
    removed = [s.text for s in result.steps if "RFC 9989 removed" in s.text]
    assert len(removed) == 3 and all("ignored" in text for text in removed)


def test_dns_error_at_the_author_domain_is_temperror(dmarc_zone) -> None:
    zone = dmarc_zone({}, failing=("_dmarc.example.org",))
    result = evaluate("example.org", spf_pass("example.org"), None, zone)
    assert (result.result, result.disposition) == ("temperror", "none") and result.reason


def test_dns_error_in_the_walk_is_temperror(dmarc_zone) -> None:
    zone = dmarc_zone({}, failing=("_dmarc.example.org",))
    result = evaluate("mail.example.org", None, None, zone)
    assert result.result == "temperror"


def test_one_aligned_identifier_is_enough_despite_a_dns_error_elsewhere(dmarc_zone) -> None:
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=reject"}, failing=("_dmarc.other.example",))
    result = evaluate("example.org", spf_pass("other.example"), dkim_pass("example.org"), zone)
    assert result.result == "pass" and not result.spf_aligned
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=reject"}, failing=("_dmarc.other.example",))
    result = evaluate("example.org", spf_pass("other.example"), None, zone)
    assert result.result == "temperror"


def test_invalid_policy_without_rua_is_permerror_with_rua_p_none(dmarc_zone) -> None:
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=block"})
    result = evaluate("example.org", None, None, zone)
    assert (result.result, result.disposition) == ("permerror", "none")
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=block; rua=mailto:d@example.org"})
    result = evaluate("example.org", None, None, zone)
    assert (result.result, result.policy, result.disposition) == ("fail", "none", "none")


def test_multiple_records_at_the_author_domain_fall_back_to_the_walk(dmarc_zone) -> None:
    zone = dmarc_zone({"_dmarc.mail.example.org": ["v=DMARC1; p=none", "v=DMARC1; p=reject"],
                       "_dmarc.example.org": "v=DMARC1; p=quarantine"}, hosts=("mail.example.org",))
    result = evaluate("mail.example.org", None, None, zone)
    assert (result.policy_domain, result.disposition) == ("example.org", "quarantine")


# --- the public suffix list beside the tree walk --------------------------------------------------


def test_the_two_methods_agree_for_an_ordinary_domain(dmarc_zone) -> None:
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=reject"})
    result = evaluate("mail.example.org", spf_pass("bounce.example.org"), None, zone)
    assert result.psl_policy_domain == result.policy_domain == "example.org"
    assert "the same as the tree walk" in texts(result) and "RFC 7489 3.2" in texts(result)


def test_the_two_methods_differ_where_psd_n_draws_a_boundary(dmarc_zone) -> None:
    zone = zone_of(dmarc_zone, {"dept.example.com": "v=DMARC1; p=reject; psd=n", "example.com": "v=DMARC1; p=none"},
                   hosts=("a.dept.example.com",))
    result = evaluate("a.dept.example.com", spf_pass("other.example.com"), None, zone)
    assert result.policy_domain == "dept.example.com" and result.psl_policy_domain == "example.com"
    assert result.result == "fail"  # other.example.com is outside dept.example.com's boundary
    assert "the two methods differ" in texts(result)
    assert "a different verdict from the tree walk's" in texts(result)  # the PSL would have aligned them
    # the tree walks need a.dept, dept (psd=n stops), then other.example.com, example.com, com
    assert result.queries == 5


def test_without_the_comparison_no_psl_step(dmarc_zone) -> None:
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=reject"})
    result = evaluate("example.org", None, None, zone, compare_psl=False)
    assert "RFC 7489" not in texts(result) and result.psl_policy_domain == ""


# --- the From field (5.3.1) ------------------------------------------------------------------------


def test_author_domain_from_the_from_field() -> None:
    assert author_domains(b'From: "Alice Example" <alice@Example.ORG>\r\nTo: bob@example.net\r\n\r\nhi\r\n') == ["example.org"]
    assert author_domains("From: <a@bücher.example>\r\n\r\n".encode()) == ["xn--bcher-kva.example"]
    assert author_domains(b"From: a@example.org, b@example.net\r\n\r\n") == ["example.org", "example.net"]
    assert author_domains(b"To: b@example.net\r\n\r\n") == []


def test_check_message_needs_exactly_one_author_domain(dmarc_zone) -> None:
    zone = zone_of(dmarc_zone, {"example.org": "v=DMARC1; p=reject"})
    two = check_message(b"From: a@example.org, b@evil.example\r\n\r\nx\r\n", None, None, zone)
    assert two.result == "permerror" and "5.3.1" in two.steps[-1].text
    one = check_message(b"From: Alice <alice@example.org>\r\n\r\nx\r\n", spf_pass("example.org"), None, zone)
    assert one.result == "pass" and one.author_domain == "example.org"


# --- properties ----------------------------------------------------------------------------------

_RECORDS = st.one_of(st.text(max_size=40), st.sampled_from([
    "v=DMARC1; p=reject", "v=DMARC1; p=quarantine; sp=none; np=reject; t=y", "v=DMARC1; psd=y; p=reject",
    "v=DMARC1; psd=n", "v=DMARC1; p=bogus", "v=DMARC1; adkim=s; aspf=s; p=reject", "v=DMARC1; pct=10"]))
_DOMAINS = st.lists(st.sampled_from(["a", "b", "example", "org", "mail", "x-1"]), min_size=1, max_size=10).map(".".join)


class _Random:
    def __init__(self, data) -> None:
        self.data = data
        self.txt: list[str] = []

    def query(self, name: str, rtype: str):
        if rtype == "TXT":
            self.txt.append(name)
        return self.data.draw(st.one_of(st.just(NXDOMAIN), st.just(TEMPFAIL), st.just(()),
                                        st.lists(_RECORDS, max_size=2).map(tuple)))


@settings(max_examples=150, deadline=None)
@given(author=_DOMAINS, spf=st.none() | _DOMAINS, dkim=st.lists(_DOMAINS, max_size=2), data=st.data())
def test_evaluate_never_raises_and_each_walk_stays_within_eight(author, spf, dkim, data) -> None:
    resolver = _Random(data)
    result = evaluate(author, spf_pass(spf) if spf else None, dkim_pass(*dkim), resolver)
    assert result.result in RESULTS and result.steps[-1].result == result.result
    assert result.disposition in ("none", "quarantine", "reject")
    assert result.disposition == "none" or result.result == "fail"
    walks = 1 + (1 if spf else 0) + len(dkim)
    assert result.queries <= 8 * walks
    assert len(resolver.txt) == len(set(resolver.txt))  # each _dmarc name asked once
