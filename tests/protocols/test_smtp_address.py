"""Path and parameter parsing (RFC 5321 4.1.2, 4.5.3.1; RFC 6531)."""

from __future__ import annotations

import pytest

from simulator.protocols.smtp.address import (
    PathError,
    check_mailbox,
    domain_of,
    is_domain,
    parse_path_argument,
)

VALID = [
    ("FROM:<alice@example.org>", "FROM", True, "alice@example.org", {}),
    ("from:<alice@example.org>", "FROM", True, "alice@example.org", {}),
    ("FROM: <alice@example.org>", "FROM", True, "alice@example.org", {}),
    ("FROM:<>", "FROM", True, "", {}),
    ("FROM:<> SIZE=0", "FROM", True, "", {"SIZE": "0"}),
    (
        "FROM:<alice@example.org> size=10 BODY=8BITMIME smtputf8",
        "FROM",
        True,
        "alice@example.org",
        {"SIZE": "10", "BODY": "8BITMIME", "SMTPUTF8": None},
    ),
    ("TO:<bob@example.net>", "TO", False, "bob@example.net", {}),
    ("TO:<postmaster>", "TO", False, "postmaster", {}),
    ("TO:<Postmaster>", "TO", False, "Postmaster", {}),
    ("TO:<@relay.example,@hop.example:bob@example.net>", "TO", False, "bob@example.net", {}),
    ('TO:<"john doe"@example.net>', "TO", False, '"john doe"@example.net', {}),
    ('TO:<"a\\"b"@example.net>', "TO", False, '"a\\"b"@example.net', {}),
    ("TO:<bob@[192.0.2.1]>", "TO", False, "bob@[192.0.2.1]", {}),
    ("TO:<bob@[IPv6:2001:db8::1]>", "TO", False, "bob@[IPv6:2001:db8::1]", {}),
    ("TO:<jörg@bücher.example>", "TO", False, "jörg@bücher.example", {}),
    ("TO:<first.last+tag@example.net>", "TO", False, "first.last+tag@example.net", {}),
]


@pytest.mark.parametrize(("arg", "keyword", "allow_null", "mailbox", "params"), VALID)
def test_valid_paths(arg, keyword, allow_null, mailbox, params):
    parsed = parse_path_argument(arg, keyword, allow_null=allow_null)
    assert (parsed.mailbox, parsed.params) == (mailbox, params)


SYNTAX_ERRORS = [
    ("FROM alice@example.org", "FROM"),
    ("TO:<bob@example.net>", "FROM"),
    ("FROM:alice@example.org", "FROM"),
    ("FROM:<alice@example.org", "FROM"),
    ("FROM:<alice@example.org>SIZE=1", "FROM"),
    ("FROM:<alice@example.org> =1", "FROM"),
    ("FROM:<alice@example.org> SI_ZE=1", "FROM"),
    ("FROM:<alice@example.org> -X", "FROM"),
]


@pytest.mark.parametrize(("arg", "keyword"), SYNTAX_ERRORS)
def test_syntax_errors(arg, keyword):
    with pytest.raises(SyntaxError):
        parse_path_argument(arg, keyword, allow_null=True)


PATH_ERRORS = [
    ("TO:<>", "TO"),  # the null path is only for MAIL
    ("FROM:<alice>", "FROM"),  # postmaster is special only in RCPT
    ("FROM:<postmaster>", "FROM"),
    ("TO:<bob>", "TO"),
    ("TO:<@bob.example>", "TO"),  # a source route without its colon
    ("TO:<bob@>", "TO"),
    ("TO:<@example.net>", "TO"),
    ("TO:<bob@example..net>", "TO"),
    ("TO:<bob@-example.net>", "TO"),
    ("TO:<bob@example-.net>", "TO"),
    ("TO:<bob@exa_mple.net>", "TO"),
    ("TO:<bob..x@example.net>", "TO"),
    ("TO:<.bob@example.net>", "TO"),
    ("TO:<bob smith@example.net>", "TO"),
    ("TO:<" + "b" * 65 + "@example.net>", "TO"),  # local part over 64 octets
    ("TO:<bob@" + "a." * 130 + "net>", "TO"),  # path over 256 octets
    ("TO:<bob@example.net\n>", "TO"),  # a bare LF must not slip through "$"
    ("TO:<bob\n@example.net>", "TO"),
    ('TO:<"bob"\n@example.net>', "TO"),
    ("TO:<bob@exam\nple.net>", "TO"),
    ("TO:<bob@example.net\r>", "TO"),
]


@pytest.mark.parametrize(("arg", "keyword"), PATH_ERRORS)
def test_path_errors(arg, keyword):
    with pytest.raises(PathError):
        parse_path_argument(arg, keyword, allow_null=keyword == "FROM")


@pytest.mark.parametrize(
    "domain",
    ["example.org", "mx.example.net", "localhost", "a", "xn--bcher-kva.example", "bücher.example",
     "[192.0.2.1]", "[IPv6:2001:db8::1]", "a-b.c"],
)
def test_is_domain_accepts(domain):
    assert is_domain(domain)


@pytest.mark.parametrize(
    "domain",
    ["", "a..b", ".a", "a.", "-a.b", "a-.b", "a_b.c", "a b", "a.b\n", "a\n.b", "a\r.b",
     "[192.0.2.1", "[999]", "x" * 256],
)
def test_is_domain_refuses(domain):
    assert not is_domain(domain)


def test_check_mailbox_length_counts_utf8_octets():
    check_mailbox("ö" * 32 + "@example.org")  # 64 octets
    with pytest.raises(PathError):
        check_mailbox("ö" * 33 + "@example.org")  # 66 octets, 33 characters


def test_domain_of_lowercases():
    assert domain_of("Bob@Example.NET") == "example.net"


def test_label_length_and_ascii_digits_in_literals():
    from simulator.protocols.smtp.address import is_domain

    assert is_domain("a" * 63 + ".example")
    assert not is_domain("a" * 64 + ".example")  # RFC 1035 2.3.4
    assert not is_domain("[192.0.2.\u0664]")  # an Arabic-Indic digit is not a digit here
