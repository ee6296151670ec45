"""IMAP strings on the wire: quoted or literal (RFC 9051 4.3, 4.3.1, 9 ``quoted``)."""

from __future__ import annotations

from simulator.protocols.imap.wire import NIL, QUOTED_LIMIT, literal8, nstring, plist, string


def test_printable_ascii_is_quoted_with_escapes():
    assert string("plain") == b'"plain"'
    assert string(b'a "b" \\c') == b'"a \\"b\\" \\\\c"'
    assert string("") == b'""'


def test_anything_else_is_a_literal():
    assert string("café") == b"{5}\r\ncaf\xc3\xa9"
    assert string(b"two\r\nlines") == b"{10}\r\ntwo\r\nlines"
    assert string(b"tab\there") == b"{8}\r\ntab\there"
    assert string(b"x" * (QUOTED_LIMIT + 1)).startswith(b"{%d}\r\n" % (QUOTED_LIMIT + 1))


def test_nil_lists_and_literal8():
    assert nstring(None) == NIL == b"NIL"
    assert plist([b"A", b"B"]) == b"(A B)"
    assert plist([b"(x)", b"(y)"], sep=b"") == b"((x)(y))"
    assert literal8(b"\x00\x01") == b"~{2}\r\n\x00\x01"
