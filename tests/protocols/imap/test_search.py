"""SEARCH criteria, matching and answers (RFC 9051 6.4.4, 7.3.4; RFC 3501 6.4.4 for \\Recent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from simulator.protocols.imap.errors import BadCharset, ImapSyntaxError
from simulator.protocols.imap.search import (
    SearchContext,
    esearch_response,
    parse_date,
    parse_search,
    saved_result,
    search,
    search_response,
)
from simulator.protocols.imap.tokens import Atom, Literal


@dataclass
class Msg:
    uid: int
    data: bytes
    internal_date: float
    flags: set[str] = field(default_factory=set)

    @property
    def size(self) -> int:
        return len(self.data)


def at(y: int, m: int, d: int, h: int = 12) -> float:
    return datetime(y, m, d, h, tzinfo=UTC).timestamp()


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


MESSAGES = [
    Msg(3, crlf("From: Alice Smith <alice@example.org>\nTo: bob@example.net\nSubject: Lunch plans\n"
                "Date: Wed, 17 Jul 1996 23:30:00 -0700\n\nShall we meet at noon?\n"),
        at(1996, 7, 18), {"\\Seen", "\\Answered"}),
    Msg(5, crlf("From: =?utf-8?q?Jos=C3=A9?= <jose@example.es>\nTo: Bob <bob@example.net>\n"
                "Cc: carol@example.com\nSubject: =?utf-8?q?Caf=C3=A9_tomorrow?=\nX-Priority: 1\n"
                "Date: Thu, 18 Jul 1996 08:00:00 +0000\n"
                "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n"
                "\nUn caf=E9 cr=E8me?\n"),
        at(1996, 7, 19), {"\\Flagged", "$Important"}),
    Msg(9, crlf('From: news@example.com\nSubject: Weekly digest\nContent-Type: multipart/mixed; boundary="b"\n\n'
                "--b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\nSGlkZGVuIHRyZWFzdXJl\n"
                "--b\nContent-Type: application/octet-stream\n\nsecret binary words\n--b--\n"),
        at(1996, 7, 20), {"\\Deleted", "\\Draft"}),
]


PAIRS = list(enumerate(MESSAGES, 1))


def test_sequence_numbers_are_the_sessions():
    # The session's view may lag the folder (an expunge not yet told): numbers come from the pairs.
    pairs = [(1, MESSAGES[0]), (3, MESSAGES[2])]
    assert search(parse_search([Atom("ALL")]), pairs) == [1, 3]
    assert search(parse_search([Atom("*")]), pairs) == [3]
    assert search(parse_search([Atom("UID"), Atom("*")]), pairs) == [3]


def matches(*tokens, messages=MESSAGES, ctx=None) -> list[int]:
    program = parse_search([Atom(t) if isinstance(t, str) and not t.startswith('"') else
                            (t[1:-1] if isinstance(t, str) else t) for t in tokens])
    return search(program, list(enumerate(messages, 1)), ctx)


# --- flags -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("ALL", [1, 2, 3]),
        ("ANSWERED", [1]), ("UNANSWERED", [2, 3]),
        ("DELETED", [3]), ("UNDELETED", [1, 2]),
        ("DRAFT", [3]), ("UNDRAFT", [1, 2]),
        ("FLAGGED", [2]), ("UNFLAGGED", [1, 3]),
        ("seen", [1]), ("UNSEEN", [2, 3]),
    ],
)
def test_flag_keys(key, expected):
    assert matches(key) == expected


def test_keywords_compare_case_insensitively():
    # RFC 9051 2.3.2: flag and keyword names are case-insensitive.
    assert matches("KEYWORD", "$important") == [2]
    assert matches("UNKEYWORD", "$IMPORTANT") == [1, 3]


def test_recent_new_old_read_the_session_recent_set():
    ctx = SearchContext.of(PAIRS, recent=[3, 5])  # rev1 session: UIDs 3 and 5 are \Recent
    assert matches("RECENT", ctx=ctx) == [1, 2]
    assert matches("NEW", ctx=ctx) == [2]  # RECENT UNSEEN (RFC 3501 6.4.4)
    assert matches("OLD", ctx=ctx) == [3]
    # IMAP4rev2 has no \Recent: nothing is recent.
    assert matches("RECENT") == [] and matches("NEW") == [] and matches("OLD") == [1, 2, 3]


# --- strings -----------------------------------------------------------------------------

def test_header_keys_match_case_insensitive_substrings_of_decoded_values():
    assert matches("FROM", "SMITH") == [1]
    assert matches("FROM", '"alice@example"') == [1]
    assert matches("FROM", '"josé"') == [2]  # RFC 2047 word decoded
    assert matches("SUBJECT", '"CAFÉ TOMORROW"') == [2]
    assert matches("TO", "bob") == [1, 2]
    assert matches("CC", "carol") == [2]
    assert matches("BCC", "bob") == []


def test_header_key_names_any_field_and_empty_string_means_present():
    assert matches("HEADER", "X-Priority", "1") == [2]
    assert matches("HEADER", "x-priority", '""') == [2]
    assert matches("HEADER", "Content-Type", '""') == [2, 3]


def test_body_searches_decoded_text_parts_only():
    assert matches("BODY", '"café crème"') == [2]  # quoted-printable, iso-8859-1
    assert matches("BODY", "treasure") == [3]  # base64 text part
    assert matches("BODY", "secret") == []  # not a text part
    assert matches("BODY", "lunch") == []  # a header, not the body
    assert matches("TEXT", "lunch") == [1]  # TEXT reads the header too
    assert matches("TEXT", "NOON") == [1]


def test_string_arguments_may_be_literals():
    assert parse_search([Atom("SUBJECT"), Literal("café".encode())]).key.matches(2, MESSAGES[1],
                                                                                   SearchContext.of(PAIRS))


# --- dates and sizes ---------------------------------------------------------------------

def test_internal_date_keys_compare_the_utc_date():
    assert matches("SINCE", "19-Jul-1996") == [2, 3]
    assert matches("BEFORE", "19-Jul-1996") == [1]
    assert matches("ON", "19-jul-1996") == [2]
    assert matches("ON", '"20-Jul-1996"') == [3]


def test_sent_date_keys_read_the_date_header_as_written():
    # Message 1 was sent on 17 Jul in its own zone (18 Jul in UTC): SENTON ignores time and zone.
    assert matches("SENTON", "17-Jul-1996") == [1]
    assert matches("SENTSINCE", "18-Jul-1996") == [2]
    assert matches("SENTBEFORE", "18-Jul-1996") == [1]  # message 3 has no Date: never matches


def test_sizes():
    sizes = [m.size for m in MESSAGES]
    assert matches("LARGER", str(sizes[0])) == [i + 1 for i, s in enumerate(sizes) if s > sizes[0]]
    assert matches("SMALLER", str(sizes[0])) == [i + 1 for i, s in enumerate(sizes) if s < sizes[0]]
    assert matches("SMALLER", str(sizes[0] + 1)) == [i + 1 for i, s in enumerate(sizes) if s <= sizes[0]]


# --- sets and logic ----------------------------------------------------------------------

def test_sequence_and_uid_sets():
    assert matches("2:*") == [2, 3]
    assert matches("1,3") == [1, 3]
    assert matches("UID", "5:*") == [2, 3]
    assert matches("UID", "4:6") == [2]
    assert matches("UID", "*") == [3]


def test_saved_result_is_dollar():
    ctx = SearchContext.of(PAIRS, saved=[3, 9])
    assert matches("$", ctx=ctx) == [1, 3]
    assert matches("$", "SEEN", ctx=ctx) == [1]


def test_not_or_and_nesting():
    assert matches("NOT", "SEEN") == [2, 3]
    assert matches("OR", "SEEN", "FLAGGED") == [1, 2]
    assert matches("SEEN", "ANSWERED") == [1]  # keys in a row: all must match
    assert search(parse_search([Atom("OR"), [Atom("SEEN"), Atom("FLAGGED")], Atom("DELETED")]), PAIRS) == [3]
    assert search(parse_search([Atom("NOT"), [Atom("OR"), Atom("SEEN"), Atom("DELETED")]]), PAIRS) == [2]
    assert search(parse_search([[Atom("TO"), Atom("bob")], Atom("NOT"), Atom("FROM"), Atom("alice")]), PAIRS) == [2]


# --- parsing errors and charsets ---------------------------------------------------------

@pytest.mark.parametrize(
    "tokens",
    [
        [],
        [Atom("FOO")],
        [Atom("FROM")],
        [Atom("OR"), Atom("SEEN")],
        [Atom("NOT")],
        [Atom("LARGER"), Atom("big")],
        [Atom("SINCE"), Atom("1996-07-17")],
        [Atom("SINCE"), Atom("32-Jul-1996")],
        [Atom("SINCE"), Atom("1-Foo-1996")],
        [Atom("UID"), Atom("x")],
        [Atom("1:x")],
        [[]],
        [Atom("CHARSET"), Atom("UTF-8")],
        [Atom("RETURN"), Atom("ALL"), Atom("ALL")],
        [Atom("RETURN"), [Atom("EVERYTHING")], Atom("ALL")],
        [Atom("FROM"), [Atom("x")]],
    ],
)
def test_malformed_criteria_are_syntax_errors(tokens):
    with pytest.raises(ImapSyntaxError):
        parse_search(tokens)


def test_charsets():
    for name in ("UTF-8", "us-ascii", "utf-8"):
        assert parse_search([Atom("CHARSET"), Atom(name), Atom("ALL")]).charset == name.upper()
    assert parse_search([Atom("ALL")]).charset == "US-ASCII"
    with pytest.raises(BadCharset) as err:
        parse_search([Atom("CHARSET"), Atom("ISO-8859-1"), Atom("ALL")])
    assert err.value.response_code == "BADCHARSET (UTF-8 US-ASCII)"


def test_date_parsing():
    assert parse_date("1-Feb-1994") == datetime(1994, 2, 1).date()
    assert parse_date("01-feb-1994") == datetime(1994, 2, 1).date()


# --- RETURN and the answers --------------------------------------------------------------

def test_return_options():
    assert parse_search([Atom("ALL")]).returns is None
    assert parse_search([Atom("RETURN"), [], Atom("ALL")]).returns == ("ALL",)  # RFC 9051 6.4.4
    program = parse_search([Atom("RETURN"), [Atom("min"), Atom("COUNT")], Atom("CHARSET"), "UTF-8", Atom("ALL")])
    assert program.returns == ("MIN", "COUNT") and program.charset == "UTF-8" and program.extended
    assert parse_search([Atom("RETURN"), [Atom("SAVE")], Atom("ALL")]).saves


def test_search_response():
    assert search_response([5, 2, 3]) == b"* SEARCH 2 3 5\r\n"
    assert search_response([]) == b"* SEARCH\r\n"


def test_esearch_response():
    # RFC 9051 7.3.4 examples.
    assert esearch_response([1, 2, 3], tag="A1", uid=True) == b'* ESEARCH (TAG "A1") UID ALL 1:3\r\n'
    assert esearch_response([2, 10, 11, 4], ("MIN", "COUNT"), tag="A282") == b'* ESEARCH (TAG "A282") MIN 2 COUNT 4\r\n'
    assert (esearch_response([4, 5, 19, 21, 28], ("MAX", "ALL", "COUNT", "MIN"), tag="a")
            == b'* ESEARCH (TAG "a") MAX 28 ALL 4:5,19,21,28 COUNT 5 MIN 4\r\n')
    # No match: MIN, MAX and ALL are left out, COUNT says 0.
    assert esearch_response([], ("MIN", "MAX", "ALL", "COUNT"), tag="x") == b'* ESEARCH (TAG "x") COUNT 0\r\n'
    assert esearch_response([], tag="x") == b'* ESEARCH (TAG "x")\r\n'
    # SAVE alone: no ESEARCH response at all (RFC 9051 6.4.4.1).
    assert esearch_response([1], ("SAVE",), tag="x") == b""
    assert esearch_response([1, 4], ("SAVE", "MIN"), tag="x") == b'* ESEARCH (TAG "x") MIN 1\r\n'


def test_saved_result_keeps_min_max_when_only_they_are_asked():
    assert saved_result([3, 1, 7], ("SAVE",)) == [1, 3, 7]
    assert saved_result([3, 1, 7], ("SAVE", "MIN")) == [1]
    assert saved_result([3, 1, 7], ("SAVE", "MIN", "MAX")) == [1, 7]
    assert saved_result([3, 1, 7], ("SAVE", "MIN", "COUNT")) == [1, 3, 7]
    assert saved_result([], ("SAVE", "MIN")) == []
