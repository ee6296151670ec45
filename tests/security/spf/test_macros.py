"""Macros (RFC 7208 7): the examples of section 7.4, transformers, escapes, errors, truncation."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from simulator.security.spf import SpfSyntaxError
from simulator.security.spf.macros import (
    DOMAIN_LETTERS,
    MacroValues,
    expand,
    expand_domain,
    parse_domain_spec,
    parse_macro_string,
)


def values(ip: str = "192.0.2.3", **kw) -> MacroValues:
    return MacroValues(
        sender=kw.pop("sender", "strong-bad@email.example.com"),
        domain=kw.pop("domain", "email.example.com"),
        ip=ip_address(ip),
        helo=kw.pop("helo", "mx.example.org"),
        **kw,
    )


def run(text: str, v: MacroValues | None = None) -> str:
    return expand(parse_macro_string(text, spaces=True), v or values())


@pytest.mark.parametrize(
    ("macro", "expansion"),
    [  # RFC 7208 7.4, the first table
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        # the second table
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
    ],
)
def test_rfc7208_section_7_4_examples(macro: str, expansion: str) -> None:
    assert run(macro) == expansion


def test_ipv6_dotted_nibbles() -> None:
    """RFC 7208 7.4's IPv6 example; the nibbles are upper case (the test suite's form) and
    DNS names compare without case (RFC 4343)."""
    got = run("%{ir}.%{v}._spf.%{d2}", values("2001:db8::cb01"))
    assert got.lower() == (
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
    )
    assert run("%{c}", values("2001:db8::cb01")) == "2001:db8::cb01"  # readable form (7.3)


def test_multiple_delimiters_and_a_large_part_count() -> None:
    v = values(sender="foo-bar+zip+quux@example.com")
    assert run("%{l2r+-}", v) == "bar.foo"  # split on '+' and '-', reverse, keep 2 (7.3)
    assert run("%{l99}", v) == "foo-bar+zip+quux"  # more parts than there are: all


def test_upper_case_letters_are_url_escaped() -> None:
    """RFC 7208 7.3: the value, then escaped: everything but unreserved characters."""
    v = values(sender="~jack&jill=up-a_b3.c@example.com")
    assert run("%{L}", v) == "~jack%26jill%3Dup-a_b3.c"
    assert run("%{l}", v) == "~jack&jill=up-a_b3.c"


def test_escapes() -> None:
    assert run("a%%b%_c%-d") == "a%b c%20d"  # RFC 7208 7.1


def test_explanation_only_letters() -> None:
    """c, r and t only in an explanation (RFC 7208 7.2); r and t come from the receiver."""
    v = values(receiver="mx.example.net", now=1764652800.7)
    assert run("%{c} %{r} %{t}", v) == "192.0.2.3 mx.example.net 1764652800"
    with pytest.raises(SpfSyntaxError, match="7.2"):
        parse_macro_string("%{t}", letters=DOMAIN_LETTERS)


def test_p_asks_for_the_validated_name_of_the_current_domain() -> None:
    asked: list[str] = []
    v = values(validated_name=lambda d: asked.append(d) or "mx.example.com")
    assert run("%{p}", v.for_domain("example.com")) == "mx.example.com"
    assert asked == ["example.com"]


@pytest.mark.parametrize(
    "text",
    [
        "%",
        "abc%",
        "%a",
        "%(ir)",
        "%{",
        "%{d",
        "%{x}",
        "%{d0}",
        "%{d00}",
        "%{dq}",
        "%{d2r-!}",
        "caf\xe9",
    ],
)
def test_malformed_macro_strings(text: str) -> None:
    with pytest.raises(SpfSyntaxError):
        parse_macro_string(text)


def test_spaces_only_in_explanations() -> None:
    assert run("a b") == "a b"
    with pytest.raises(SpfSyntaxError):
        parse_macro_string("a b")


@pytest.mark.parametrize(
    ("spec", "ok"),
    [
        ("example.com", True),
        ("example.com.", True),
        ("%{d}", True),
        ("%{d}.%_", True),
        ("_spf.%{d2}", True),
        ("foo-bar", False),
        ("%{d}com", False),
        ("%{d}.", False),
        ("abc.123", False),
        ("x.-com", False),
        ("x.com-", False),
        ("x.xn--zckzah", True),
        ("", False),
    ],
)
def test_domain_end(spec: str, ok: bool) -> None:
    """domain-end = ( "." toplabel [ "." ] ) / macro-expand (RFC 7208 7.1)."""
    if ok:
        parse_domain_spec(spec)
    else:
        with pytest.raises(SpfSyntaxError, match="7.1"):
            parse_domain_spec(spec)


def test_a_long_expansion_loses_labels_on_the_left() -> None:
    """RFC 7208 7.3: past 253 characters, labels go from the left until it fits;
    a trailing dot is dropped."""
    label = "a" * 60
    v = values(sender=f"x@{label}.{label}.{label}.{label}.example.com")
    name = expand_domain(parse_domain_spec("%{o}.tail.example."), v)
    assert len(name) <= 253
    assert name == f"{label}.{label}.{label}.example.com.tail.example"
