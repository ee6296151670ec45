"""Received-SPF (RFC 7208 9.1)."""

from __future__ import annotations

from email.parser import HeaderParser
from email.policy import SMTP

from simulator.security.spf import check_mail_from, received_spf


def test_pass_header_as_in_rfc7208_9_1(zone) -> None:
    z = zone({"example.com": {"TXT": ["v=spf1 ip4:192.0.2.1 -all"]}})
    result = check_mail_from("192.0.2.1", "myname@example.com", "foo.example.com", z)
    assert received_spf(result, "mybox.example.org") == (
        "pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as"
        " permitted sender) client-ip=192.0.2.1; envelope-from=\"myname@example.com\";"
        " helo=foo.example.com; receiver=mybox.example.org; identity=mailfrom;"
        ' mechanism="ip4:192.0.2.1";'
    )


def test_errors_carry_the_problem_quoted_and_parse_back(zone) -> None:
    z = zone({"example.com": {"TXT": ["v=spf1 -all", "v=spf1 +all"]}})
    result = check_mail_from("192.0.2.1", '"odd (name)"@example.com', "[192.0.2.1]", z)
    value = received_spf(result, "mybox.example.org")
    assert value.startswith("permerror (mybox.example.org: permanent error in processing")
    assert 'problem="example.com publishes 2 SPF records, one is allowed (RFC 7208 4.5)";' in value
    assert 'helo="[192.0.2.1]";' in value and "\\(name\\)" in value
    msg = HeaderParser(policy=SMTP).parsestr(f"Received-SPF: {value}\r\n\r\n")
    assert str(msg["Received-SPF"]) == value
