"""Reply: the registry's rules, and one table driving both the formatter and the parser."""

from __future__ import annotations

import pytest

from simulator.protocols.smtp.client import ReplyFormatError, ReplyReader
from simulator.protocols.smtp.replies import R, Reply

# --- the registry ---------------------------------------------------------------

REGISTRY = {name: value for name, value in vars(R).items() if isinstance(value, Reply)}
# RFC 2034 section 4: not on the greeting "and any response to HELO or EHLO", refusals included
NO_ENHANCED = {"GREETING", "HELO", "HELO_SYNTAX", "BAD_DOMAIN"}


def test_registry_is_not_empty():
    assert {"GREETING", "HELO", "START_DATA", "QUEUED", "BARE_NEWLINE"} <= set(REGISTRY)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_registry_enhanced_codes_follow_rfc_2034(name):
    reply = REGISTRY[name]
    if reply.code // 100 == 3 or name in NO_ENHANCED:
        assert reply.enhanced == "", name
    else:
        assert reply.enhanced, f"{name} has no enhanced status code"
        assert reply.enhanced[0] == str(reply.code)[0], name
        assert reply.enhanced.count(".") == 2


@pytest.mark.parametrize(
    ("name", "code", "enhanced"),
    [
        ("GREETING", 220, ""),
        ("HELO", 250, ""),
        ("START_DATA", 354, ""),
        ("SIZE_EXCEEDED", 552, "5.3.4"),
        ("PARAM_UNKNOWN", 555, "5.5.4"),
        ("PARAM_NOT_IMPLEMENTED", 504, "5.5.4"),
        ("NON_ASCII_NEEDS_SMTPUTF8", 553, "5.6.7"),
        ("TOO_MANY_RECIPIENTS", 452, "4.5.3"),
        ("NO_VALID_RECIPIENTS", 554, "5.5.1"),
        ("BARE_NEWLINE", 554, "5.6.0"),
        ("LINE_TOO_LONG", 500, "5.5.2"),
        ("VRFY", 252, "2.5.0"),
        ("HELP", 214, "2.0.0"),
        ("BYE", 221, "2.0.0"),
    ],
)
def test_registry_codes(name, code, enhanced):
    assert (REGISTRY[name].code, REGISTRY[name].enhanced) == (code, enhanced)


# --- the Reply type ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "lines", "enhanced"),
    [
        (199, ("x",), ""),
        (600, ("x",), ""),
        (250, ("x",), "5.0.0"),  # class mismatch
        (250, ("x",), "2.0"),
        (250, ("x",), "2.1000.0"),
        (250, ("x",), "2.0.0\n"),
        (250, ("x",), "2.0.0 "),
        (354, ("x",), "3.0.0"),
        (250, ("a\r\nRSET",), ""),
        (250, ("a", "b\n"), ""),
        (250, ("a\rb",), ""),
    ],
)
def test_reply_validates_on_construction(code, lines, enhanced):
    with pytest.raises(ValueError):
        Reply(code, lines, enhanced)


def test_reply_properties():
    assert Reply(250, ("ok",)).is_positive and Reply(250, ("ok",)).klass == "2xx"
    assert Reply(354, ("go",)).is_positive and Reply(354, ("go",)).klass == "3xx"
    assert Reply(451, ("later",)).is_transient and not Reply(451, ("later",)).is_permanent
    assert Reply(550, ("no",)).is_permanent and not Reply(550, ("no",)).is_transient
    assert R.HELO.format("mx", "client").lines == ("mx greets client",)
    assert R.NOOP.with_text("a", "b") == Reply(250, ("a", "b"), "2.0.0")
    assert Reply(250, ("a", "b")).text == "a\nb"
    assert str(R.NOOP) == "250 2.0.0 OK"


# --- one table for the formatter and the parser (h11 test_io.py SIMPLE_CASES) ----

SIMPLE_CASES: list[tuple[Reply, bytes]] = [
    (Reply(220, ("mx.example.net ESMTP mailsim ready",)), b"220 mx.example.net ESMTP mailsim ready\r\n"),
    (Reply(250, ("OK",), "2.0.0"), b"250 2.0.0 OK\r\n"),
    (Reply(250, ("Sender <> OK",), "2.1.0"), b"250 2.1.0 Sender <> OK\r\n"),
    (
        Reply(250, ("mx.example.net greets a.example", "PIPELINING", "SIZE 1000", "SMTPUTF8")),
        b"250-mx.example.net greets a.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 SMTPUTF8\r\n",
    ),
    (
        Reply(214, ("Commands:", "HELO EHLO"), "2.0.0"),
        b"214-2.0.0 Commands:\r\n214 2.0.0 HELO EHLO\r\n",
    ),
    (Reply(354, ("Start mail input; end with <CRLF>.<CRLF>",)), b"354 Start mail input; end with <CRLF>.<CRLF>\r\n"),
    (Reply(421, ("mx closing",), "4.4.2"), b"421 4.4.2 mx closing\r\n"),
    (Reply(452, ("Too many recipients",), "4.5.3"), b"452 4.5.3 Too many recipients\r\n"),
    (Reply(550, ("Mailbox <x@y> does not exist",), "5.1.1"), b"550 5.1.1 Mailbox <x@y> does not exist\r\n"),
    (Reply(552, ("too big",), "5.3.4"), b"552 5.3.4 too big\r\n"),
    (Reply(554, ("no",), "5.7.123"), b"554 5.7.123 no\r\n"),
    (Reply(250, ("",)), b"250\r\n"),
    (Reply(250, ("",), "2.0.0"), b"250 2.0.0\r\n"),
    (Reply(250, ("first", ""), "2.0.0"), b"250-2.0.0 first\r\n250 2.0.0\r\n"),
    (Reply(250, ("", "last")), b"250-\r\n250 last\r\n"),
    (Reply(250, ("Empfänger <jörg@bücher.example> OK",), "2.1.5"), "250 2.1.5 Empfänger <jörg@bücher.example> OK\r\n".encode()),
    (Reply(250, ("2.0.0",), "2.0.0"), b"250 2.0.0 2.0.0\r\n"),  # text that looks like a code
    (Reply(250, ("2.1234.5 not a code",)), b"250 2.1234.5 not a code\r\n"),
    (Reply(250, ("5.0.0 other class",)), b"250 5.0.0 other class\r\n"),
]


@pytest.mark.parametrize(("reply", "wire"), SIMPLE_CASES)
def test_format(reply, wire):
    assert reply.to_bytes() == wire


@pytest.mark.parametrize(("reply", "wire"), SIMPLE_CASES)
def test_parse(reply, wire):
    reader = ReplyReader()
    reader.feed(wire)
    assert reader.next_reply() == reply
    assert reader.next_reply() is None


@pytest.mark.parametrize(("reply", "wire"), SIMPLE_CASES)
def test_parse_byte_by_byte(reply, wire):
    reader = ReplyReader()
    got = []
    for i in range(len(wire)):
        reader.feed(wire[i : i + 1])
        if (r := reader.next_reply()) is not None:
            got.append((i, r))
    assert got == [(len(wire) - 1, reply)]


def test_parse_many_replies_from_one_feed():
    reader = ReplyReader()
    reader.feed(b"".join(wire for _, wire in SIMPLE_CASES))
    got = []
    while (r := reader.next_reply()) is not None:
        got.append(r)
    assert got == [reply for reply, _ in SIMPLE_CASES]


def test_parse_accepts_enhanced_code_only_on_first_line():
    reader = ReplyReader()
    reader.feed(b"250-2.0.0 one\r\n250 two\r\n")
    assert reader.next_reply() == Reply(250, ("one", "two"), "2.0.0")


@pytest.mark.parametrize(
    "wire",
    [
        b"hello\r\n",
        b"25\r\n",
        b"2500 x\r\n",
        b"250x\r\n",
        b"abc x\r\n",
        b"199 too small\r\n",
        b"600 too big\r\n",
        b"250-a\r\n251 b\r\n",  # code changes inside a multiline reply
        b"250 a\rb\r\n",  # bare CR inside a reply line
        b"250 a\nb\r\n",
        "²²² superscript digits\r\n".encode(),
        "٢٥٠ arabic-indic digits\r\n".encode(),
        b"250 " + b"x" * 600 + b"\r\n",  # longer than 512 octets
    ],
)
def test_parse_errors(wire):
    reader = ReplyReader()
    reader.feed(wire)
    with pytest.raises(ReplyFormatError):
        reader.next_reply()


def test_reply_line_limit_is_512_with_crlf():
    ok = b"250 " + b"x" * 506 + b"\r\n"
    assert len(ok) == 512
    reader = ReplyReader()
    reader.feed(ok)
    assert reader.next_reply() == Reply(250, ("x" * 506,))
    reader.feed(b"250 " + b"x" * 507 + b"\r\n")
    with pytest.raises(ReplyFormatError):
        reader.next_reply()
