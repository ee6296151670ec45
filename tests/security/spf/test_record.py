"""Reading SPF records: version (RFC 7208 4.5), terms (4.6.1), mechanisms (5), modifiers (6)."""

from __future__ import annotations

import pytest

from simulator.security.spf import SpfSyntaxError, parse_record
from simulator.security.spf.record import is_spf


@pytest.mark.parametrize(
    ("text", "spf"),
    [
        ("v=spf1", True),
        ("v=spf1 -all", True),
        ("V=SpF1 ~all", True),  # ABNF literals are case-insensitive (RFC 7208 4.5)
        ("v=spf10", False),  # the version ends at a space or the end
        ("v=spf1mx", False),
        (" v=spf1 -all", False),
        ("spf2.0/pra -all", False),
        ("", False),
    ],
)
def test_version_selects_the_record(text: str, spf: bool) -> None:
    assert is_spf(text) is spf


def test_terms_and_their_parts() -> None:
    record = parse_record(
        "v=spf1  a mx:mail.example.org/24//64 -ip4:192.0.2.0/24 ~ip6:2001:db8::/32"
        " ?include:_spf.example.org exists:%{i}.bl.example ptr Redirect=other.example"
        " exp=why.%{d} moo.cow=x  "
    )
    got = [(m.qualifier, m.name, m.cidr4, m.cidr6, m.network) for m in record.mechanisms]
    assert got == [
        ("+", "a", 32, 128, ""),
        ("+", "mx", 24, 64, ""),
        ("-", "ip4", 24, 128, "192.0.2.0"),
        ("~", "ip6", 32, 32, "2001:db8::"),
        ("?", "include", 32, 128, ""),
        ("+", "exists", 32, 128, ""),
        ("+", "ptr", 32, 128, ""),
    ]
    assert [m.result for m in record.mechanisms[:5]] == [
        "pass",
        "pass",
        "fail",
        "softfail",
        "neutral",
    ]
    assert record.redirect is not None and record.redirect.name == "redirect"
    assert record.exp is not None and record.exp.text == "exp=why.%{d}"
    assert [u.name for u in record.unknown] == ["moo.cow"]


@pytest.mark.parametrize(
    "term",
    [
        "a:foo:bar/baz.example.com",  # ':' and '/' may appear in a domain-spec (RFC 7208 7.1)
        "a:foo.example.xn--zckzah",  # a top label with dashes
        "a:example.com.",  # a trailing dot
        "a:%{d}",  # ends in a macro
        "a:%{d}.%-",  # ends in a macro-expand escape
        "ip6:Cafe:Babe:8000::/33",
        "ip6:::FFFF:1.2.3.4",
        "ip4:0.0.0.0/0",
        "a/0//0",
        "mx//128",
        "moo.cow-far_out=man:dog/cat",  # an unknown modifier (RFC 7208 6)
        "default=pass",
    ],
)
def test_valid_terms(term: str) -> None:
    parse_record("v=spf1 " + term)


@pytest.mark.parametrize(
    ("term", "section"),
    [
        ("-all.", "5.1"),
        ("all:x", "5.1"),
        ("all/8", "5.1"),
        ("ip4", "5.6"),
        ("ip4:1.2.3", "5.6"),  # no partial addresses (RFC 7208 5.6)
        ("ip4:01.2.3.4", "5.6"),
        ("ip4:1.2.3.4/33", "5.6"),
        ("ip4:1.2.3.4/032", "5.6"),
        ("ip4:1.2.3.4//32", "5.6"),
        ("ip4:1.2.3.4:8080", "5.6"),
        ("ip6:::1/129", "5.6"),
        ("ip6::CAFE::BABE", "5.6"),
        ("ip6:fe80::1%eth0", "5.6"),
        ("a/33", "5.6"),
        ("a//129", "5.6"),
        ("a/24/64", "5.3"),
        ("a:", "7.1"),
        ("a:museum", "7.1"),  # only a top label (RFC 7208 7.1)
        ("a:museum.", "7.1"),
        ("a:111.222.33.44", "7.1"),  # an all-numeric top label
        ("a:example.-com", "7.1"),
        ("a:example.com:8080", "7.1"),
        ("a:foo.example.com\x00", "7.1"),
        ("a:%{c}.example.com", "7.2"),  # c, r and t only in explanations
        ("include", "5.2"),
        ("include:", "7.1"),
        ("include:ip5.example.com/24", "7.1"),
        ("exists", "5.7"),
        ("exists:mail.example.com/24", "7.1"),
        ("ptr/0", "5.5"),
        ("redirect:example.com", "5"),  # redirect is a modifier
        ("moo", "5"),
        ("1up=foo", "4.6.1"),
        ("=all", "4.6.1"),
        ("foo=%abc", "7.1"),
        ("exp=", "7.1"),
        ("redirect=-all", "7.1"),
        ("ip4:192.0.2.5\n", "5.6"),
        ("\x96all", "4.6.1"),
    ],
)
def test_syntax_errors_name_the_section(term: str, section: str) -> None:
    with pytest.raises(SpfSyntaxError) as info:
        parse_record("v=spf1 " + term)
    assert f"RFC 7208 {section}" in str(info.value), str(info.value)


@pytest.mark.parametrize(
    "twice", ["redirect=a.example redirect=b.example", "exp=a.example exp=b.example"]
)
def test_redirect_and_exp_at_most_once(twice: str) -> None:
    """RFC 7208 6: these two modifiers MUST NOT appear in a record more than once each."""
    with pytest.raises(SpfSyntaxError, match="more than once"):
        parse_record("v=spf1 " + twice)


def test_only_spaces_separate_terms() -> None:
    """RFC 7208 4.6.1: terms are separated by SP; a tab or CR is part of a (broken) term."""
    with pytest.raises(SpfSyntaxError):
        parse_record("v=spf1 a\t-all")
    assert len(parse_record("v=spf1 a    -all ").mechanisms) == 2
