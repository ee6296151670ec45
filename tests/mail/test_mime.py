"""Building MIME messages (RFC 2045, 2046, 2047, 2183, 2231) and the 7-bit conversion of RFC 6152 3."""

from __future__ import annotations

import email
import email.header
import email.policy
import itertools
import re
import struct
import zlib
from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulator.mail.message import build_message
from simulator.mail.mime import (
    MAX_GENERATED,
    PNG_MIN_SIZE,
    Attachment,
    Body,
    compose,
    display_address,
    generated,
    is_seven_bit,
    render,
    seven_bit,
)
from simulator.mail.mime_tree import mime_tree

DATE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def tokens(start: int = 0):
    counter = itertools.count(start)
    return lambda: f"{next(counter):024X}"


def build(text: str = "Hi Bob\n", html: str | None = None, attachments: tuple[Attachment, ...] = (), *,
          eight_bit: bool = False, subject: str = "Hello", from_name: str = "", boundary=None) -> bytes:
    return build_message(sender="zoe@example.org", to=["bob@example.net"], subject=subject, body=text, date=DATE,
                         message_id="<1@example.org>", from_name=from_name, html=html,
                         attachments=attachments, eight_bit=eight_bit, boundary=boundary or tokens())


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def header_section(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[0]


def lines_as_sent(text: str) -> str:
    """What a text part decodes to after the round trip: every line end CRLF, one at the end."""
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return "".join(line + "\r\n" for line in lines) or "\r\n"


# --- structure -------------------------------------------------------------------------


def test_plain_ascii_message_keeps_its_exact_form() -> None:
    """The form every existing golden transcript holds: no multipart, 7bit, MIME-Version last."""
    data = build_message(sender="alice@example.org", to=["bob@example.net"], subject="Lunch", body="Hi Bob\n",
                         date=DATE, message_id="<1@example.org>")
    assert data == (b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: Lunch\r\n"
                    b"Date: Mon, 02 Mar 2026 09:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n"
                    b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 7bit\r\n'
                    b"MIME-Version: 1.0\r\n\r\nHi Bob\r\n")


def test_html_makes_multipart_alternative_plain_first() -> None:
    msg = parse(build("Hi *Bob*\n", "<p>Hi <b>Bob</b></p>\n"))
    assert msg.get_content_type() == "multipart/alternative"
    # RFC 2046 5.1.4: in increasing order of faithfulness, so plain text first.
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg.get_body(("html",)).get_content().strip() == "<p>Hi <b>Bob</b></p>"


def test_attachments_make_multipart_mixed_with_the_message_first() -> None:
    files = (Attachment("agenda.csv", "text/csv", "a,b\n1,2\n"),
             Attachment("photo.png", "image/png", generated("image/png", 200, "photo.png")),
             Attachment("logo.gif", "image/gif", b"GIF89a...", inline=True))
    msg = parse(build("Hi\n", "<p>Hi</p>\n", files))
    assert msg.get_content_type() == "multipart/mixed"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["multipart/alternative", "text/csv", "image/png", "image/gif"]
    assert [p.get_content_disposition() for p in parts[1:]] == ["attachment", "attachment", "inline"]
    assert [p.get_filename() for p in parts[1:]] == ["agenda.csv", "photo.png", "logo.gif"]
    csv, png, gif = parts[1:]
    assert csv["Content-Transfer-Encoding"] == "7bit" and csv.get_content_charset() == "utf-8"
    assert png["Content-Transfer-Encoding"] == "base64"  # RFC 2045 6.8: binary data
    assert png.get_content() == generated("image/png", 200, "photo.png")
    assert gif.get_content() == b"GIF89a..."


def test_attachment_text_of_a_non_text_type_goes_as_octets() -> None:
    msg = parse(build(attachments=(Attachment("data.json", "application/json", '{"ü": 1}'),)))
    part = list(msg.iter_parts())[1]
    assert part.get_content_type() == "application/json"
    assert part.get_content() == '{"ü": 1}'.encode()


def test_mime_version_only_at_the_top() -> None:
    data = build("Hi\n", "<p>Hi</p>\n", (Attachment("a.bin", "application/octet-stream", b"\x00\x01"),))
    assert data.count(b"MIME-Version: 1.0") == 1  # RFC 2045 4: the top-level header
    assert header_section(data).count(b"MIME-Version") == 1


# --- transfer encodings -------------------------------------------------------------------


@pytest.mark.parametrize(("text", "cte"), [
    ("Plain ASCII.\n", "7bit"),
    ("Mostly ASCII, with Grüße from Köln.\n", "quoted-printable"),  # RFC 2045 6.7
    ("Ελληνικά κείμενα, σχεδόν όλα εκτός ASCII.\n", "base64"),  # shorter than QP here: 6.8
    ("x" * 200 + "\n", "quoted-printable"),  # a line past 78 characters gets soft line breaks
    ("NUL \x00 and ESC \x1b are not 7bit text\n", "quoted-printable"),  # RFC 2045 2.7
])
def test_transfer_encoding_chosen_for_7bit_transport(text: str, cte: str) -> None:
    data = build(text)
    part = parse(data)
    assert part["Content-Transfer-Encoding"] == cte
    assert is_seven_bit(data)
    assert part.get_payload(decode=True) == lines_as_sent(text).encode()


def test_8bit_only_when_asked() -> None:
    text = "Greetings from Köln, Grüße!\n"
    assert parse(build(text))["Content-Transfer-Encoding"] == "quoted-printable"
    data = build(text, eight_bit=True)
    assert parse(data)["Content-Transfer-Encoding"] == "8bit"
    assert "Greetings from Köln, Grüße!\r\n".encode() in data  # the UTF-8 octets as they are
    # Even with 8bit allowed, a line too long for SMTP is encoded (RFC 5321 4.5.3.1.6).
    long_line = parse(build("ü" * 600 + "\n", eight_bit=True))
    assert long_line["Content-Transfer-Encoding"] in ("quoted-printable", "base64")


# --- header fields ------------------------------------------------------------------------


def test_non_ascii_display_name_and_subject_are_encoded_words() -> None:
    data = build(subject="Grüße aus Köln: photos", from_name="Zoë Martín")
    head = header_section(data)
    assert head.isascii()  # RFC 5322 2.2: header fields are ASCII
    assert b"From: =?utf-8?q?Zo=C3=AB_Mart=C3=ADn?= <zoe@example.org>" in head  # RFC 2047 4.2
    assert re.search(rb"Subject: =\?utf-8\?[bq]\?[^?]+\?=", head)
    msg = parse(data)
    assert msg["Subject"] == "Grüße aus Köln: photos"
    assert msg["From"].addresses[0].display_name == "Zoë Martín"
    assert msg["From"].addresses[0].addr_spec == "zoe@example.org"  # never inside the encoded word (5)


def test_ascii_display_name_needs_no_encoding() -> None:
    assert str(display_address("Alice Example", "alice@example.org")) == "Alice Example <alice@example.org>"
    assert display_address("", "alice@example.org") == "alice@example.org"
    assert b"From: Alice Example <alice@example.org>" in build_message(
        sender="alice@example.org", to=["bob@example.net"], subject="x", body="y\n", date=DATE,
        message_id="<1@x>", from_name="Alice Example")


def test_non_ascii_filename_is_an_rfc2231_parameter() -> None:
    data = build(attachments=(Attachment("Grüße.txt", "text/plain", "hi\n"),))
    assert b"filename*=utf-8''Gr%C3%BC%C3%9Fe.txt" in data  # RFC 2231 4; RFC 2047 5 forbids words here
    assert list(parse(data).iter_parts())[1].get_filename() == "Grüße.txt"


@settings(max_examples=30, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40)
       .filter(lambda s: s.strip() == s and not re.search(r"\s\s", s)))  # email folds runs of blanks to one
def test_any_subject_and_display_name_round_trip(text: str) -> None:
    data = build(subject=text, from_name=text)
    assert header_section(data).isascii()
    msg = parse(data)
    assert msg["Subject"] == text
    if text.isascii():
        assert msg["From"].addresses[0].display_name == text
    else:
        # Decoded as RFC 2047 6.2 says: blanks between adjacent encoded words are dropped. (The
        # stdlib's address parser keeps one when a long name is folded into several words.)
        raw = email.message_from_bytes(data, policy=email.policy.compat32)["From"]
        name = raw.rsplit(" <", 1)[0]
        assert str(email.header.make_header(email.header.decode_header(name))) == text


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40)
       .filter(lambda s: "/" not in s and "\\" not in s and s.strip() == s))  # what the scenario model allows
@example("<>").via("found by Hypothesis: get_filename() strips the brackets")
@example("<x>")
def test_any_file_name_round_trips(name: str) -> None:
    data = build(attachments=(Attachment(name, "application/octet-stream", b"\x00"),
                              Attachment(name, "text/plain", "x\n")))
    assert is_seven_bit(data)
    # The parameter as a reader parses it (get_filename() would also strip a name's enclosing <...>).
    assert [p["Content-Disposition"].params["filename"] for p in list(parse(data).iter_parts())[1:]] == [name, name]
    assert [node.filename for node in mime_tree(data) if node.filename] == [name, name]


# --- boundaries -----------------------------------------------------------------------


def test_boundaries_come_from_the_token_source() -> None:
    files = (Attachment("a.bin", "application/octet-stream", b"\xff"),)
    one = build("Hi\n", "<p>Hi</p>\n", files, boundary=tokens())
    assert one == build("Hi\n", "<p>Hi</p>\n", files, boundary=tokens())  # reproducible
    assert one != build("Hi\n", "<p>Hi</p>\n", files, boundary=tokens(100))
    msg = parse(one)
    outer, inner = msg.get_boundary(), next(msg.iter_parts()).get_boundary()
    assert outer == "=_" + f"{0:024X}" and inner == "=_" + f"{1:024X}"


def test_boundary_found_in_a_part_is_drawn_again() -> None:
    clash = "=_" + f"{0:024X}"
    msg = parse(build(f"this text contains {clash} on purpose\n", "<p>x</p>\n"))
    assert msg.get_boundary() != clash  # RFC 2046 5.1.1: must not occur in the parts
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]


def test_multipart_without_a_boundary_source_is_refused() -> None:
    with pytest.raises(ValueError, match="boundary"):
        build_message(sender="a@b.example", to=["c@d.example"], subject="x", body="y", date=DATE,
                      message_id="<1@x>", html="<p>y</p>")


# --- round trips ------------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


@settings(max_examples=80, deadline=None)
@given(text=TEXT, eight_bit=st.booleans())
def test_any_text_body_round_trips(text: str, eight_bit: bool) -> None:
    data = build(text, eight_bit=eight_bit)
    if not eight_bit:
        assert is_seven_bit(data)
    assert parse(data).get_payload(decode=True).decode("utf-8") == lines_as_sent(text)


@settings(max_examples=60, deadline=None)
@given(text=TEXT, html=TEXT, blobs=st.lists(st.binary(max_size=400), max_size=3), note=TEXT)
def test_any_parts_round_trip_7bit_clean(text: str, html: str, blobs: list[bytes], note: str) -> None:
    files = tuple(Attachment(f"f{n}.bin", "application/octet-stream", b) for n, b in enumerate(blobs))
    files += (Attachment("note.txt", "text/plain", note),)
    data = build(text, html, files)
    assert is_seven_bit(data)  # RFC 6152: without 8BITMIME nothing but 7-bit lines
    msg = parse(data)
    body, *attached = msg.iter_parts()
    plain, rich = body.iter_parts()
    assert plain.get_payload(decode=True).decode() == lines_as_sent(text)
    assert rich.get_payload(decode=True).decode() == lines_as_sent(html)
    assert [p.get_content() for p in attached[:-1]] == blobs
    assert attached[-1].get_payload(decode=True).decode() == lines_as_sent(note)


# --- generated attachments ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["text/plain", "image/png", "application/pdf", "application/octet-stream"])
@pytest.mark.parametrize("size", [PNG_MIN_SIZE, 300, 4096])
def test_generated_content_has_the_size_and_is_reproducible(kind: str, size: int) -> None:
    data = generated(kind, size, "file")
    assert len(data) == size
    assert data == generated(kind, size, "file")
    assert data != generated(kind, size, "other")


def test_generated_text_is_ascii_lines() -> None:
    data = generated("text/plain", 1000, "notes.txt")
    assert data.isascii() and data.endswith(b"\r\n")
    assert all(len(line) < 100 for line in data.split(b"\r\n"))


def test_generated_png_is_a_valid_png() -> None:
    data = generated("image/png", 500, "photo.png")
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    at, kinds = 8, []
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert crc == zlib.crc32(kind + body)
        if kind == b"IHDR":
            assert struct.unpack(">II", body[:8]) == (1, 1)
        if kind == b"IDAT":
            assert len(zlib.decompress(body)) == 4  # filter byte + one RGB pixel
        kinds.append(kind)
        at += 12 + length
    assert at == len(data) and kinds == [b"IHDR", b"IDAT", b"tEXt", b"IEND"]


def test_generated_sizes_out_of_range() -> None:
    with pytest.raises(ValueError):
        generated("image/png", PNG_MIN_SIZE - 1, "x")
    with pytest.raises(ValueError):
        generated("application/octet-stream", MAX_GENERATED + 1, "x")


# --- RFC 6152 3: converting to 7 bit --------------------------------------------------------


def test_seven_bit_leaves_ascii_alone() -> None:
    data = build("Hi\n", "<p>Hi</p>\n", (Attachment("a.bin", "application/octet-stream", b"\xff\x00"),))
    assert seven_bit(data) is data


def test_seven_bit_converts_8bit_text_to_quoted_printable() -> None:
    data = build("Grüße aus Köln\n", "<p>Grüße</p>\n", eight_bit=True)
    assert not data.isascii()
    out = seven_bit(data)
    assert is_seven_bit(out)
    before, after = parse(data), parse(out)
    for a, b in zip(before.walk(), after.walk(), strict=True):
        assert a.get_content_type() == b.get_content_type()
        if not a.is_multipart():
            assert b["Content-Transfer-Encoding"] == "quoted-printable"
            assert a.get_payload(decode=True) == b.get_payload(decode=True)
    assert after.get_boundary() == before.get_boundary()


def test_seven_bit_converts_8bit_binary_to_base64_and_keeps_7bit_parts() -> None:
    data = (b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            b"--b\r\nContent-Type: text/plain\r\n\r\nascii stays\r\n"
            b"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            b"\xff\xfe\x80\r\n--b--\r\n")
    out = seven_bit(data)
    assert is_seven_bit(out)
    assert b"--b\r\nContent-Type: text/plain\r\n\r\nascii stays\r\n" in out
    binary = list(parse(out).iter_parts())[1]
    assert binary["Content-Transfer-Encoding"] == "base64"
    assert binary.get_payload(decode=True) == b"\xff\xfe\x80"  # the CRLF before "--b" is the boundary's


def test_seven_bit_labels_a_message_without_mime() -> None:
    utf8 = parse(seven_bit("Subject: Äpfel\r\n\r\nÄpfel\r\n".encode()))
    assert utf8.get_content_type() == "text/plain" and utf8.get_content_charset() == "utf-8"
    assert utf8["Subject"] == "Äpfel" and utf8.get_content() == "Äpfel\r\n"
    raw = seven_bit(b"Subject: caf\xe9\r\n\r\ncaf\xe9\r\n")
    assert is_seven_bit(raw)
    assert b"=?unknown-8bit?b?" in raw and b'charset="unknown-8bit"' in raw  # RFC 1428
    assert parse(raw).get_payload(decode=True) == b"caf\xe9\r\n"


@settings(max_examples=60, deadline=None)
@given(text=TEXT, html=TEXT, blob=st.binary(max_size=200))
def test_seven_bit_of_any_8bit_message_keeps_the_content(text: str, html: str, blob: bytes) -> None:
    data = build(text, html, (Attachment("b.bin", "application/octet-stream", blob),), eight_bit=True)
    out = seven_bit(data)
    assert is_seven_bit(out)
    before, after = list(parse(data).walk()), list(parse(out).walk())
    assert [p.get_content_type() for p in before] == [p.get_content_type() for p in after]
    for a, b in zip(before, after, strict=True):
        if not a.is_multipart():
            assert a.get_payload(decode=True) == b.get_payload(decode=True)


def test_compose_then_render_with_utf8_keeps_raw_header_text() -> None:
    msg = compose([("From", display_address("Zoë", "zoë@example.org")), ("Subject", "Grüße")], Body("x\n"),
                  boundary=tokens())
    data = render(msg, utf8=True)
    assert "Subject: Grüße".encode() in data  # RFC 6532: SMTPUTF8 carries UTF-8 header text
