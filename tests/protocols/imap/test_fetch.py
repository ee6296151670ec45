"""FETCH items: parsing the request, rendering the data (RFC 9051 6.4.5, 7.5.2, 9)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from simulator.protocols.imap.errors import ImapSyntaxError, UnknownCte
from simulator.protocols.imap.fetch import (
    FLAGS,
    UID,
    fetch_response,
    implies_seen,
    including,
    internal_date,
    parse_fetch_items,
    parse_internal_date,
)
from simulator.protocols.imap.tokens import Atom, Literal


@dataclass
class Msg:
    data: bytes
    uid: int = 1
    internal_date: float = 837571465.0  # 1996-07-17 02:44:25 UTC
    flags: set[str] = field(default_factory=set)

    @property
    def size(self) -> int:
        return len(self.data)


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


def fetch(data: bytes | Msg, *items: str) -> bytes:
    msg = data if isinstance(data, Msg) else Msg(data)
    arg = [Atom(i) for i in items] if len(items) > 1 else Atom(items[0])
    return fetch_response(1, msg, parse_fetch_items(arg))


SIMPLE = crlf(
    "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\n"
    "From: Terry Gray <gray@cac.washington.edu>\n"
    "Subject: IMAP4rev2 WG mtg summary and minutes\n"
    "To: imap@cac.washington.edu\n"
    "cc: minutes@CNRI.Reston.VA.US,\n"
    " John Klensin <KLENSIN@MIT.EDU>\n"
    "Message-Id: <B27397-0100000@cac.washington.edu>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\n"
    "\n"
    "Hello Joe, do you think we can meet at 3:30 tomorrow?\n"
)


# --- parsing the request -----------------------------------------------------------------

def test_macros_expand_to_their_items():
    # RFC 9051 6.4.5: ALL = (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE), FAST, FULL (+ BODY).
    keys = lambda arg: [i.key for i in parse_fetch_items(Atom(arg))]  # noqa: E731
    assert keys("all") == ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"]
    assert keys("FAST") == ["FLAGS", "INTERNALDATE", "RFC822.SIZE"]
    assert keys("FULL") == ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"]


def test_a_macro_inside_a_list_is_a_syntax_error():
    with pytest.raises(ImapSyntaxError):
        parse_fetch_items([Atom("ALL")])


@pytest.mark.parametrize(
    "arg",
    [
        [],
        Atom("FOO"),
        "FLAGS",  # a quoted string is not an atom
        Literal(b"FLAGS"),
        [Atom("FLAGS"), [Atom("UID")]],
        Atom("BODY[HEADER.FIELDS]"),
        Atom("BODY[HEADER.FIELDS ()]"),
        Atom("BODY[MIME]"),  # MIME needs a part number
        Atom("BODY[0]"),
        Atom("BODY[1.]"),
        Atom("BODY[TEXTX]"),
        Atom("BODY[]<0.0>"),  # partial count is nz-number
        Atom("BODY[]<5>"),
        Atom("BINARY[HEADER]"),  # section-binary is part numbers only
        Atom("BINARY.SIZE[1]<0.10>"),
        Atom("BODY.PEEK"),
    ],
)
def test_bad_items_are_syntax_errors(arg):
    with pytest.raises(ImapSyntaxError):
        parse_fetch_items(arg)


def test_response_names_of_section_items():
    items = parse_fetch_items([
        Atom("body.peek[header.fields (From to)]<0.100>"),
        Atom("BODY[1.2.MIME]"),
        Atom("BODY[]"),
        Atom("BINARY.PEEK[1]<10.5>"),
        Atom("BINARY.SIZE[2]"),
        Atom('BODY[HEADER.FIELDS.NOT ("X-A" Subject)]'),
    ])
    # RFC 9051 7.5.2: the response names BODY[section]<origin>; PEEK is not echoed.
    assert [i.key for i in items] == [
        "BODY[HEADER.FIELDS (From to)]<0>",
        "BODY[1.2.MIME]",
        "BODY[]",
        "BINARY[1]<10>",
        "BINARY.SIZE[2]",
        "BODY[HEADER.FIELDS.NOT (X-A Subject)]",
    ]


def test_duplicate_items_are_answered_once():
    assert [i.key for i in parse_fetch_items([Atom("UID"), Atom("uid"), Atom("FLAGS")])] == ["UID", "FLAGS"]


def test_which_items_set_seen():
    # RFC 9051 6.4.5: BODY[...] (not BODY.PEEK), BINARY[...], RFC822 and RFC822.TEXT set \Seen.
    def seen(*names: str) -> bool:
        return implies_seen(parse_fetch_items([Atom(n) for n in names]))

    for name in ("BODY[]", "BODY[TEXT]", "BODY[1]", "RFC822", "RFC822.TEXT", "BINARY[1]"):
        assert seen(name), name
    for name in ("BODY.PEEK[]", "BINARY.PEEK[1]", "BINARY.SIZE[1]", "RFC822.HEADER", "RFC822.SIZE",
                 "BODY", "BODYSTRUCTURE", "ENVELOPE", "FLAGS", "UID", "INTERNALDATE"):
        assert not seen(name), name


def test_including_adds_an_item_once():
    items = parse_fetch_items(Atom("FLAGS"))
    assert [i.key for i in including(items, UID)] == ["FLAGS", "UID"]
    assert including(items, FLAGS) == items


# --- simple items ------------------------------------------------------------------------

def test_flags_uid_size_internaldate():
    msg = Msg(SIMPLE, uid=42, flags={"$Forwarded", "\\Seen", "\\Answered"})
    out = fetch(msg, "FLAGS", "UID", "RFC822.SIZE", "INTERNALDATE")
    assert out == (b'(FLAGS (\\Answered \\Seen $Forwarded) UID 42 RFC822.SIZE %d '
                   b'INTERNALDATE "17-Jul-1996 02:44:25 +0000")' % len(SIMPLE))


def test_recent_is_added_for_rev1_sessions():
    items = parse_fetch_items(Atom("FLAGS"))
    assert fetch_response(1, Msg(SIMPLE), items, recent=True) == b"(FLAGS (\\Recent))"
    assert fetch_response(1, Msg(SIMPLE), items) == b"(FLAGS ())"


def test_internal_date_pads_the_day_with_a_space():
    # RFC 9051 9: date-day-fixed = (SP DIGIT) / 2DIGIT
    assert internal_date(0) == " 1-Jan-1970 00:00:00 +0000"
    assert internal_date(837571465) == "17-Jul-1996 02:44:25 +0000"


def test_append_date_time_parses_to_epoch_seconds():
    # RFC 9051 6.3.12 / 9 date-time, the same form INTERNALDATE answers in.
    assert parse_internal_date("17-Jul-1996 02:44:25 -0700") == 837571465 + 7 * 3600
    assert parse_internal_date(" 1-Jan-1970 00:00:00 +0000") == 0
    assert parse_internal_date("1-jan-1970 01:00:00 +0100") == 0
    assert parse_internal_date(internal_date(1234567890)) == 1234567890
    for bad in ("17-Jul-1996", "17-Jux-1996 02:44:25 -0700", "32-Jul-1996 02:44:25 -0700",
                "17-Jul-1996 25:44:25 -0700", "17-Jul-1996 02:44:25 0700", "17-Jul-96 02:44:25 -0700"):
        with pytest.raises(ImapSyntaxError):
            parse_internal_date(bad)


# --- ENVELOPE ----------------------------------------------------------------------------

def test_envelope_of_the_rfc_example():
    # The RFC 9051 7.5.2 / 3501 example message: raw strings, Sender and Reply-To copy From.
    assert fetch(SIMPLE, "ENVELOPE") == (
        b'(ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev2 WG mtg summary and minutes" '
        b'(("Terry Gray" NIL "gray" "cac.washington.edu")) '
        b'(("Terry Gray" NIL "gray" "cac.washington.edu")) '
        b'(("Terry Gray" NIL "gray" "cac.washington.edu")) '
        b'((NIL NIL "imap" "cac.washington.edu")) '
        b'((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) '
        b'NIL NIL "<B27397-0100000@cac.washington.edu>"))'
    )


def test_envelope_of_a_message_without_headers_is_all_nil():
    assert fetch(b"\r\njust a body\r\n", "ENVELOPE") == b"(ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))"
    assert fetch(b"", "ENVELOPE") == b"(ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))"


def test_header_without_space_after_colon():
    out = fetch(crlf("Subject:hello\nFrom:a@b.c\n\nx\n"), "ENVELOPE")
    assert out.startswith(b'(ENVELOPE (NIL "hello" ((NIL NIL "a" "b.c"))')


def test_encoded_words_stay_encoded_and_8bit_goes_as_literal():
    data = b"Subject: =?utf-8?q?caf=C3=A9?=\r\nFrom: =?utf-8?q?Z=C3=B6e?= <zoe@example.org>\r\nTo: J\xc3\xbcrgen <j@example.de>\r\n\r\n"
    out = fetch(data, "ENVELOPE")
    assert b'"=?utf-8?q?caf=C3=A9?="' in out
    assert b'(("=?utf-8?q?Z=C3=B6e?=" NIL "zoe" "example.org"))' in out
    assert b'(({7}\r\nJ\xc3\xbcrgen NIL "j" "example.de"))' in out


def test_group_syntax_brackets_its_members():
    # RFC 9051 7.5.2: group start (NIL NIL name NIL), group end (NIL NIL NIL NIL).
    data = crlf("To: Friends: a@x.org, \"B\" <b@y.org>;, c@z.org\nCc: undisclosed-recipients:;\n\n")
    out = fetch(data, "ENVELOPE")
    assert (b'((NIL NIL "Friends" NIL)(NIL NIL "a" "x.org")("B" NIL "b" "y.org")(NIL NIL NIL NIL)'
            b'(NIL NIL "c" "z.org"))') in out
    assert b'((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL))' in out


def test_address_forms():
    data = crlf(
        'From: "Smith, John" <john@example.com>\n'
        "Sender: jane@example.com (Jane Doe)\n"
        "Reply-To: <@route.example,@other.example:joe@example.com>\n"
        'To: "odd local"@example.com, nobody, John Q. Public <jqp@example.com>\n'
        "\n"
    )
    out = fetch(data, "ENVELOPE")
    assert b'(("Smith, John" NIL "john" "example.com"))' in out
    assert b'(("Jane Doe" NIL "jane" "example.com"))' in out
    assert b'((NIL "@route.example,@other.example" "joe" "example.com"))' in out
    assert b'((NIL NIL "\\"odd local\\"" "example.com")(NIL NIL "nobody" "")("John Q. Public" NIL "jqp" "example.com"))' in out


def test_empty_sender_falls_back_to_from():
    out = fetch(crlf("From: a@b.c\nSender:\nReply-To: \n\n"), "ENVELOPE")
    assert out.count(b'((NIL NIL "a" "b.c"))') == 3


def test_long_folded_subject_is_unfolded():
    data = crlf("Subject: one two\n three\n\tfour\n\n")
    assert b'"one two three\tfour"' not in fetch(data, "ENVELOPE")  # tab is not quotable
    assert b"{18}\r\none two three\tfour" in fetch(data, "ENVELOPE")


# --- BODYSTRUCTURE and BODY --------------------------------------------------------------

def test_bodystructure_of_a_text_message():
    body = b"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"
    assert fetch(SIMPLE, "BODYSTRUCTURE") == (
        b'(BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" %d 1 NIL NIL NIL NIL))' % len(body)
    )
    assert fetch(SIMPLE, "BODY") == b'(BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" %d 1))' % len(body)


def test_missing_content_type_is_text_plain_us_ascii():
    # RFC 2045 5.2 default; lines counted, an unterminated last line included.
    assert fetch(b"Subject: x\r\n\r\na\r\nb", "BODY") == b'(BODY ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 4 2))'
    assert fetch(b"", "BODY") == b'(BODY ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0))'


MULTI = crlf(
    "From: a@example.org\n"
    "Subject: parts\n"
    "MIME-Version: 1.0\n"
    'Content-Type: multipart/mixed; boundary="outer"\n'
    "\n"
    "preamble\n"
    "--outer\n"
    'Content-Type: multipart/alternative; boundary="inner"\n'
    "\n"
    "--inner\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "caf=C3=A9\n"
    "--inner\n"
    "Content-Type: text/html; charset=utf-8\n"
    "Content-Language: en, fr\n"
    "\n"
    "<p>hi</p>\n"
    "--inner--\n"
    "--outer\n"
    "Content-Type: application/octet-stream; name=\"a.bin\"\n"
    "Content-Transfer-Encoding: base64\n"
    'Content-Disposition: attachment; filename="a.bin"\n'
    "Content-ID: <id1@x>\n"
    "Content-Description: some bytes\n"
    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n"
    "Content-Location: http://example.org/a.bin\n"
    "\n"
    "AAEC\n"
    "--outer\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: inner@example.org\n"
    "Subject: inner\n"
    "\n"
    "inner body\n"
    "--outer--\n"
    "epilogue\n"
)


def test_bodystructure_of_nested_multiparts_and_an_encapsulated_message():
    out = fetch(MULTI, "BODYSTRUCTURE")
    inner_env = b'(NIL "inner" ((NIL NIL "inner" "example.org")) ((NIL NIL "inner" "example.org")) ((NIL NIL "inner" "example.org")) NIL NIL NIL NIL NIL)'
    inner_msg = b"From: inner@example.org\r\nSubject: inner\r\n\r\ninner body"
    assert out == (
        b'(BODYSTRUCTURE ('
        b'(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 9 1 NIL NIL NIL NIL)'
        b'("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 9 1 NIL NIL ("en" "fr") NIL)'
        b' "ALTERNATIVE" ("BOUNDARY" "inner") NIL NIL NIL)'
        b'("APPLICATION" "OCTET-STREAM" ("NAME" "a.bin") "<id1@x>" "some bytes" "BASE64" 4 '
        b'"Q2hlY2sgSW50ZWdyaXR5IQ==" ("ATTACHMENT" ("FILENAME" "a.bin")) NIL "http://example.org/a.bin")'
        b'("MESSAGE" "RFC822" NIL NIL NIL "7BIT" %d ' % len(inner_msg)
        + inner_env
        + b' ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL)'
        b' "MIXED" ("BOUNDARY" "outer") NIL NIL NIL))'
    )


def test_body_is_bodystructure_without_extension_data():
    out = fetch(MULTI, "BODY")
    assert out.startswith(b'(BODY ((("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 9 1)("TEXT" "HTML"')
    assert out.endswith(b' "MIXED"))')
    assert b"BOUNDARY" not in out and b"ATTACHMENT" not in out


def test_multipart_without_parts_or_boundary():
    no_parts = crlf('Content-Type: multipart/mixed; boundary="b"\n\nno delimiter here\n')
    assert fetch(no_parts, "BODY") == b'(BODY (("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0) "MIXED"))'
    no_boundary = crlf("Content-Type: multipart/mixed\n\nx\n")
    assert fetch(no_boundary, "BODY") == b'(BODY ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 3 1))'


def test_digest_parts_default_to_message_rfc822():
    # RFC 2046 5.1.5
    data = crlf('Content-Type: multipart/digest; boundary="d"\n\n--d\n\nSubject: one\n\nbody\n--d--\n')
    assert b'("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 20 (NIL "one" ' in fetch(data, "BODY")


def test_boundary_prefix_of_a_longer_line_is_not_a_delimiter():
    data = crlf('Content-Type: multipart/mixed; boundary="b"\n\n--b\n\none\n--bb\ntwo\n--b--\n')
    assert fetch(data, "BODY[1]") == b"(BODY[1] {14}\r\none\r\n--bb\r\ntwo)"


# --- body sections -----------------------------------------------------------------------

def test_whole_message_header_and_text():
    header, _, body = SIMPLE.partition(b"\r\n\r\n")
    assert fetch(SIMPLE, "BODY.PEEK[]") == b"(BODY[] {%d}\r\n%s)" % (len(SIMPLE), SIMPLE)
    assert fetch(SIMPLE, "RFC822") == b"(RFC822 {%d}\r\n%s)" % (len(SIMPLE), SIMPLE)
    assert fetch(SIMPLE, "BODY[HEADER]") == b"(BODY[HEADER] {%d}\r\n%s\r\n\r\n)" % (len(header) + 4, header)
    assert fetch(SIMPLE, "RFC822.HEADER") == b"(RFC822.HEADER {%d}\r\n%s\r\n\r\n)" % (len(header) + 4, header)
    assert fetch(SIMPLE, "BODY[TEXT]") == b"(BODY[TEXT] {%d}\r\n%s)" % (len(body), body)
    assert fetch(SIMPLE, "RFC822.TEXT") == b"(RFC822.TEXT {%d}\r\n%s)" % (len(body), body)


def test_header_fields_keep_folding_and_end_with_a_blank_line():
    out = fetch(SIMPLE, "BODY.PEEK[HEADER.FIELDS (CC subject)]")
    expected = (b"Subject: IMAP4rev2 WG mtg summary and minutes\r\n"
                b"cc: minutes@CNRI.Reston.VA.US,\r\n John Klensin <KLENSIN@MIT.EDU>\r\n\r\n")
    assert out == b"(BODY[HEADER.FIELDS (CC subject)] {%d}\r\n%s)" % (len(expected), expected)


def test_header_fields_not():
    out = fetch(crlf("A: 1\nB: 2\nC: 3\n\nx\n"), "BODY[HEADER.FIELDS.NOT (b)]")
    assert out == b"(BODY[HEADER.FIELDS.NOT (b)] {14}\r\nA: 1\r\nC: 3\r\n\r\n)"


def test_header_fields_none_matching_is_the_blank_line():
    assert fetch(SIMPLE, "BODY[HEADER.FIELDS (X-None)]") == b'(BODY[HEADER.FIELDS (X-None)] {2}\r\n\r\n)'


def test_partial_fetch_names_its_origin():
    # RFC 9051 6.4.5: <origin.count>; the response is BODY[]<origin>; past the end is "".
    assert fetch(SIMPLE, "BODY.PEEK[]<0.4>") == b'(BODY[]<0> "Date")'
    assert fetch(SIMPLE, "BODY.PEEK[TEXT]<6.3>") == b'(BODY[TEXT]<6> "Joe")'
    assert fetch(SIMPLE, "BODY.PEEK[]<99999.10>") == b'(BODY[]<99999> "")'


def test_part_numbers_of_a_non_multipart_message():
    # RFC 9051 6.4.5: a non-multipart message has only part 1, its body.
    body = SIMPLE.partition(b"\r\n\r\n")[2]
    assert fetch(SIMPLE, "BODY[1]") == b"(BODY[1] {%d}\r\n%s)" % (len(body), body)
    assert fetch(SIMPLE, "BODY[2]") == b"(BODY[2] NIL)"
    assert fetch(SIMPLE, "BODY[1.1]") == b"(BODY[1.1] NIL)"


def test_part_numbers_of_nested_parts():
    assert fetch(MULTI, "BODY[1.1]") == b'(BODY[1.1] "caf=C3=A9")'
    assert fetch(MULTI, "BODY[1.2]") == b'(BODY[1.2] "<p>hi</p>")'
    assert fetch(MULTI, "BODY[1.2.MIME]") == (
        b"(BODY[1.2.MIME] {68}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Language: en, fr\r\n\r\n)"
    )
    assert fetch(MULTI, "BODY[2]") == b'(BODY[2] "AAEC")'
    assert fetch(MULTI, "BODY[4]") == b"(BODY[4] NIL)"
    assert fetch(MULTI, "BODY[1.3]") == b"(BODY[1.3] NIL)"
    assert fetch(MULTI, "BODY[2.1]") == b"(BODY[2.1] NIL)"


def test_sections_of_an_encapsulated_message():
    # RFC 9051 6.4.5: HEADER/TEXT after a part number of a message/rfc822 part.
    assert fetch(MULTI, "BODY[3.HEADER]") == b"(BODY[3.HEADER] {43}\r\nFrom: inner@example.org\r\nSubject: inner\r\n\r\n)"
    assert fetch(MULTI, "BODY[3.TEXT]") == b'(BODY[3.TEXT] "inner body")'
    assert fetch(MULTI, "BODY[3.1]") == b'(BODY[3.1] "inner body")'
    assert fetch(MULTI, "BODY[3.HEADER.FIELDS (subject)]") == b"(BODY[3.HEADER.FIELDS (subject)] {18}\r\nSubject: inner\r\n\r\n)"
    assert fetch(MULTI, "BODY[3.MIME]") == b'(BODY[3.MIME] {32}\r\nContent-Type: message/rfc822\r\n\r\n)'
    assert fetch(MULTI, "BODY[3]").startswith(b"(BODY[3] {53}\r\nFrom: inner@example.org")
    assert fetch(MULTI, "BODY[2.HEADER]") == b"(BODY[2.HEADER] NIL)"  # not a message/rfc822 part


def test_binary_undoes_the_transfer_encoding():
    assert fetch(MULTI, "BINARY.PEEK[1.1]") == b'(BINARY[1.1] {5}\r\ncaf\xc3\xa9)'
    assert fetch(MULTI, "BINARY[2]") == b"(BINARY[2] ~{3}\r\n\x00\x01\x02)"  # NUL: literal8 (RFC 9051 4.3.1)
    assert fetch(MULTI, "BINARY.SIZE[2]") == b"(BINARY.SIZE[2] 3)"
    assert fetch(MULTI, "BINARY.SIZE[9]") == b"(BINARY.SIZE[9] NIL)"


def test_binary_of_an_unknown_encoding_raises_unknown_cte():
    data = crlf("Content-Transfer-Encoding: x-uuencode\n\nbegin\n")
    with pytest.raises(UnknownCte) as err:
        fetch(data, "BINARY[1]")
    assert err.value.response_code == "UNKNOWN-CTE"


def test_quoting_escapes_and_literals():
    data = crlf('Subject: say "hi" \\ there\n\n')
    assert b'"say \\"hi\\" \\\\ there"' in fetch(data, "ENVELOPE")
    long_subject = "x" * 300
    assert b"{300}\r\n" + b"x" * 300 in fetch(crlf(f"Subject: {long_subject}\n\n"), "ENVELOPE")


def test_fetch_response_order_follows_the_request():
    out = fetch(Msg(SIMPLE, uid=9), "UID", "FLAGS", "RFC822.SIZE")
    assert out == b"(UID 9 FLAGS () RFC822.SIZE %d)" % len(SIMPLE)
