"""The MIME tree of a received message: IMAP part numbers (RFC 9051 6.4.5), types, encodings,
sizes, file names, dispositions, previews; nested multiparts and message/rfc822."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from email.message import EmailMessage

from simulator.lesson.message_view import node_details, parse
from simulator.mail.message import build_message
from simulator.mail.mime import Attachment, generated
from simulator.mail.mime_tree import MAX_NODES, MimeNode, mime_tree

DATE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def tokens():
    counter = itertools.count()
    return lambda: f"{next(counter):024X}"


def message(text="Hi Bob,\ngreetings from Köln! See you at the café.\n", html=None, attachments=()) -> bytes:
    return build_message(sender="zoe@example.org", to=["bob@example.net"], subject="Grüße", body=text, date=DATE,
                         message_id="<1@example.org>", from_name="Zoë", html=html, attachments=attachments,
                         boundary=tokens())


def shape(nodes: list[MimeNode]) -> list[tuple[str, int, str]]:
    return [(n.path, n.depth, n.content_type) for n in nodes]


def test_single_part_message_is_part_1() -> None:
    (node,) = mime_tree(message())
    assert (node.path, node.depth, node.content_type) == ("1", 0, "text/plain")
    assert node.charset == "utf-8" and node.transfer_encoding == "quoted-printable"
    assert node.preview == "Hi Bob, greetings from Köln! See you at the café."
    assert node.decoded_size == len("Hi Bob,\r\ngreetings from Köln! See you at the café.\r\n".encode())
    assert node.size == node.decoded_size + 4 * 2  # ö and é: two octets each, =XX=XX on the wire


def test_mixed_around_alternative_numbers_like_imap() -> None:
    files = (Attachment("agenda.csv", "text/csv", "a,b\n"),
             Attachment("photo.png", "image/png", generated("image/png", 300, "photo.png")),
             Attachment("logo.png", "image/png", generated("image/png", 120, "logo.png"), inline=True))
    nodes = mime_tree(message(html="<p>Hi <b>Bob</b></p>\n", attachments=files))
    assert shape(nodes) == [
        ("TEXT", 0, "multipart/mixed"),
        ("1", 1, "multipart/alternative"),
        ("1.1", 2, "text/plain"),
        ("1.2", 2, "text/html"),
        ("2", 1, "text/csv"),
        ("3", 1, "image/png"),
        ("4", 1, "image/png"),
    ]
    top, alt, plain, html, csv, photo, logo = nodes
    assert top.children == 4 and alt.children == 2 and top.boundary == "=_" + f"{0:024X}"
    assert top.decoded_size is None and top.is_container
    assert html.preview == "Hi Bob"  # tags left out of the preview
    assert (csv.filename, csv.disposition, csv.transfer_encoding) == ("agenda.csv", "attachment", "7bit")
    assert (photo.transfer_encoding, photo.decoded_size) == ("base64", 300)
    assert photo.size == 400 + 6 * 2  # 4 characters per 3 octets, 76 a line, CRLF after each (RFC 2045 6.8)
    assert photo.preview == ""  # binary parts have none
    assert logo.disposition == "inline"
    assert node_details(photo) == ["base64", "412 octets sent, 300 decoded", "attachment", "file photo.png"]
    assert node_details(alt) == ["2 parts", "boundary =_" + f"{1:024X}"]


def forwarded(inner: EmailMessage) -> bytes:
    outer = EmailMessage()
    outer["From"] = "bob@example.net"
    outer["Subject"] = "Fwd: Grüße"
    outer.set_content("See below.\n")
    outer.add_attachment(inner)  # message/rfc822, RFC 2046 5.2.1
    outer.set_boundary("outer")
    return outer.as_bytes()


def test_message_rfc822_with_a_multipart_inside() -> None:
    inner = EmailMessage()
    inner["From"] = "zoe@example.org"
    inner["Subject"] = "Photos"
    inner.set_content("The photos.\n")
    inner.add_attachment(b"\x89PNG", maintype="image", subtype="png", filename="a.png")
    inner.set_boundary("inner")
    nodes = mime_tree(forwarded(inner))
    assert shape(nodes) == [
        ("TEXT", 0, "multipart/mixed"),
        ("1", 1, "text/plain"),
        ("2", 1, "message/rfc822"),
        ("2.TEXT", 2, "multipart/mixed"),  # the encapsulated message's body, BODY[2.TEXT]
        ("2.1", 3, "text/plain"),
        ("2.2", 3, "image/png"),
    ]
    assert nodes[2].preview == "From: zoe@example.org; Subject: Photos"
    assert nodes[5].filename == "a.png" and nodes[5].decoded_size == 4


def test_message_rfc822_with_a_single_part_inside_is_n_1() -> None:
    inner = EmailMessage()
    inner["Subject"] = "Short"
    inner.set_content("Only text.\n")
    nodes = mime_tree(forwarded(inner))
    assert shape(nodes)[2:] == [("2", 1, "message/rfc822"), ("2.1", 2, "text/plain")]
    assert nodes[3].preview == "Only text."


def test_nested_multiparts_three_deep() -> None:
    data = (b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n"
            b"--a\r\nContent-Type: multipart/related; boundary=b\r\n\r\n"
            b"--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n"
            b"--c\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
            b"--c\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--c--\r\n"
            b"--b\r\nContent-Type: image/gif\r\nContent-ID: <logo>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            b"R0lGODlh\r\n--b--\r\n"
            b"--a\r\nContent-Type: application/pdf; name=\"old.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            b"JVBERi0=\r\n--a--\r\n")
    nodes = mime_tree(data)
    assert shape(nodes) == [
        ("TEXT", 0, "multipart/mixed"),
        ("1", 1, "multipart/related"),
        ("1.1", 2, "multipart/alternative"),
        ("1.1.1", 3, "text/plain"),
        ("1.1.2", 3, "text/html"),
        ("1.2", 2, "image/gif"),
        ("2", 1, "application/pdf"),
    ]
    assert nodes[3].charset == ""  # none given (us-ascii by RFC 2046 4.1.2, but not written)
    assert nodes[6].filename == "old.pdf"  # the Content-Type name parameter, when no disposition names it
    assert nodes[6].disposition == "" and nodes[6].decoded_size == 5


def test_defaults_of_a_bare_message() -> None:
    (node,) = mime_tree(b"Subject: old style\r\n\r\nno MIME at all\r\n")
    assert (node.content_type, node.transfer_encoding, node.charset) == ("text/plain", "7bit", "")
    assert node.preview == "no MIME at all" and node.size == node.decoded_size == 16


def test_a_broken_multipart_says_what_is_wrong() -> None:
    data = (b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=gone\r\n\r\n"
            b"--other\r\n\r\ntext\r\n")
    top = mime_tree(data)[0]
    assert top.problems and any("boundary" in p.lower() for p in top.problems)


def test_a_part_bomb_is_cut_short() -> None:
    parts = b"".join(b"--z\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(MAX_NODES * 2))
    data = b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n" + parts + b"--z--\r\n"
    assert len(mime_tree(data)) == MAX_NODES


def test_message_view_lists_encoded_words_decoded() -> None:
    view = parse(message())
    words = {name: (sent, shown) for name, sent, shown in view.encoded_words}
    assert words["From"] == ("=?utf-8?q?Zo=C3=AB?= <zoe@example.org>", "Zoë <zoe@example.org>")
    assert words["Subject"][1] == "Grüße" and words["Subject"][0].startswith("=?utf-8?")
    assert [p.path for p in view.parts] == ["1"]
