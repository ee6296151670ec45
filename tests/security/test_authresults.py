"""Authentication-Results (RFC 8601): our field, folded; read back by the authres package and by us."""

from __future__ import annotations

import authres
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.security.authresults import (
    LINE_WIDTH,
    MethodResult,
    field_value,
    header_field,
    method_results,
    parse,
)
from simulator.security.dkim import DkimVerdict, SignatureVerdict
from simulator.security.dmarc import DmarcResult, evaluate
from simulator.security.spf import SpfResult

SPF = SpfResult("pass", "example.org", "alice@example.org", "192.0.2.10", helo="mail.example.org")
HELO = SpfResult("pass", "mail.example.org", "postmaster@mail.example.org", "192.0.2.10", helo="mail.example.org",
                 identity="helo")
DKIM = DkimVerdict("fail", (
    SignatureVerdict("fail", "body hash mismatch", domain="example.org", selector="s1", b="dGhpcy9pcytub3Q9"),
    SignatureVerdict("pass", domain="relay.example", selector="r2024", b="QUJDREVGR0hJSg==")), ())


def _theirs(field: bytes) -> list[tuple[str, str, str | None, list[tuple[str, str, str]]]]:
    header = authres.AuthenticationResultsHeader.parse(field.decode().rstrip("\r\n"))
    return [(r.method, r.result, r.reason, [(p.type, p.name, p.value) for p in r.properties]) for r in header.results]


def _ours(results: list[MethodResult]) -> list[tuple[str, str, str | None, list[tuple[str, str, str]]]]:
    return [(r.method, r.result, r.reason or None, list(r.properties)) for r in results]


def test_spf_dkim_dmarc_read_back_by_authres(dmarc_zone) -> None:
    zone = dmarc_zone({"_dmarc.example.org": "v=DMARC1; p=reject"})
    dmarc = evaluate("example.org", SPF, DKIM, zone)
    field = header_field("mx.example.net", spf=SPF, helo=HELO, dkim=DKIM, dmarc=dmarc)
    results = method_results(spf=SPF, helo=HELO, dkim=DKIM, dmarc=dmarc)
    assert _theirs(field) == _ours(results) == [
        ("spf", "pass", None, [("smtp", "helo", "mail.example.org")]),
        ("spf", "pass", None, [("smtp", "mailfrom", "alice@example.org")]),
        ("dkim", "fail", "body hash mismatch", [("header", "d", "example.org"), ("header", "s", "s1"),
                                                ("header", "b", "dGhpcy9p")]),
        ("dkim", "pass", None, [("header", "d", "relay.example"), ("header", "s", "r2024"), ("header", "b", "QUJDREVG")]),
        ("dmarc", "pass", None, [("header", "from", "example.org")]),
    ]
    assert authres.AuthenticationResultsHeader.parse(field.decode().rstrip("\r\n")).authserv_id == "mx.example.net"
    assert b"(p=reject dis=none)" in field  # the policy, for people, in a comment


def test_folded_to_78_columns_one_result_per_line() -> None:
    field = header_field("mx.example.net", spf=SPF, dkim=DKIM).decode()
    assert field.endswith("\r\n") and "\n" not in field.replace("\r\n", "")
    lines = field[:-2].split("\r\n")
    assert lines[0] == "Authentication-Results: mx.example.net;"
    assert all(line.startswith("\t") for line in lines[1:])
    assert all(len(line.expandtabs(1)) <= LINE_WIDTH for line in lines)
    assert lines[1] == "\tspf=pass smtp.mailfrom=alice@example.org;"


def test_a_b_value_with_slash_is_quoted() -> None:
    field = header_field("mx.example.net", dkim=DkimVerdict("pass", (
        SignatureVerdict("pass", domain="example.org", selector="s1", b="ab/cd+e=fgh"),), ())).decode()
    assert 'header.b="ab/cd+e="' in field
    assert _theirs(field.encode())[0][3][-1] == ("header", "b", "ab/cd+e=")


def test_nothing_checked_says_none() -> None:
    field = header_field("mx.example.net")
    assert field == b"Authentication-Results: mx.example.net; none\r\n"
    assert _theirs(field) == []
    assert parse(field.decode()).results == ()


def test_dmarc_fail_and_errors_carry_a_reason(dmarc_zone) -> None:
    zone = dmarc_zone({"_dmarc.example.org": "v=DMARC1; p=reject; t=y"})
    spoofed = evaluate("example.org", SpfResult("pass", "evil.example", "m@evil.example", "203.0.113.5"), None, zone)
    field = header_field("mx.example.net", dmarc=spoofed)
    [(method, result, reason, props)] = _theirs(field)
    assert (method, result, props) == ("dmarc", "fail", [("header", "from", "example.org")])
    assert reason == spoofed.reason and b"(p=reject dis=quarantine t=y)" in field
    temp = DmarcResult("temperror", "example.org", reason="DNS error")
    assert _theirs(header_field("mx.example.net", dmarc=temp))[0][:3] == ("dmarc", "temperror", "DNS error")


def test_spf_errors_carry_their_problem() -> None:
    spf = SpfResult("permerror", "example.org", "a@example.org", "192.0.2.1", reason="more than 10 DNS lookups")
    assert _theirs(header_field("mx.example.net", spf=spf)) == [
        ("spf", "permerror", "more than 10 DNS lookups", [("smtp", "mailfrom", "a@example.org")])]


def test_unsigned_mail_is_dkim_none() -> None:
    assert _theirs(header_field("mx.example.net", dkim=DkimVerdict("none", (), ()))) == [("dkim", "none", None, [])]


@pytest.mark.parametrize("value", [
    " mx.example.net; spf=pass smtp.mailfrom=a@example.org",
    "mx.example.net 1; dkim=pass (good signature) header.d=example.org;\r\n\tdmarc=pass header.from=example.org",
    ' example.com; dkim=fail reason="bad (really) sig; sorry" header.b="x/y"',
])
def test_our_parser_agrees_with_authres(value: str) -> None:
    theirs = authres.AuthenticationResultsHeader.parse("Authentication-Results:" + value.replace("\r\n", ""))
    ours = parse(value)
    assert ours.authserv_id == theirs.authserv_id
    assert [(r.method, r.result, r.reason or None, list(r.properties)) for r in ours.results] == [
        (r.method, r.result, r.reason, [(p.type, p.name, p.value) for p in r.properties]) for r in theirs.results]


_WORDS = st.text("abcdefghijklmnopqrstuvwxyz0123456789 ./+=-_()\"\\;@", min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(reason=_WORDS, value=_WORDS, comment=_WORDS)
def test_any_reason_and_value_survive_the_round_trip(reason: str, value: str, comment: str) -> None:
    result = MethodResult("dkim", "fail", reason=reason, comment=comment, properties=(("header", "d", value),))
    text = field_value("mx.example.net", [result])
    back = parse(text)
    assert back.results[0].reason == reason and back.results[0].properties == (("header", "d", value),)
    assert back.results[0].comment == comment


_LABELS = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
_DOMAIN = st.lists(_LABELS, min_size=2, max_size=4).map(".".join)
_B64 = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", min_size=8, max_size=40)


@settings(max_examples=100, deadline=None)
@given(mailfrom=_DOMAIN, signatures=st.lists(st.tuples(_DOMAIN, _LABELS, _B64, st.sampled_from(["pass", "fail", "neutral"])),
                                              max_size=3),
       dmarc=st.sampled_from(["pass", "fail", "none", "temperror", "permerror"]))
def test_authres_reads_back_any_combination(mailfrom: str, signatures, dmarc: str) -> None:
    spf = SpfResult("softfail", mailfrom, f"bounce@{mailfrom}", "192.0.2.1")
    dkim = DkimVerdict("pass", tuple(SignatureVerdict(result, "signature mismatch" if result != "pass" else "",
                                                      domain=d, selector=s, b=b) for d, s, b, result in signatures), ())
    verdict = DmarcResult(dmarc, mailfrom, reason="" if dmarc == "pass" else "a reason; with (parens)")
    field = header_field("mx.example.net", spf=spf, dkim=dkim, dmarc=verdict)
    assert _theirs(field) == _ours(method_results(spf=spf, dkim=dkim, dmarc=verdict))
    assert all(len(line.expandtabs(1)) <= LINE_WIDTH for line in field.decode().split("\r\n"))
