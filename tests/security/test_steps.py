"""How check steps show bytes, and how a changed body is pointed at."""

from __future__ import annotations

import pytest

from simulator.security.difference import first_difference
from simulator.security.steps import show, show_line


def test_show_marks_line_ends_tabs_and_trailing_spaces() -> None:
    assert show(b"a\tb  \r\n\r\nc\rd") == "  a⇥b··↵\n  ↵\n  c␍d"
    assert show(b"") == "(empty)"


def test_show_cuts_long_data_in_the_middle() -> None:
    body = b"".join(f"line {n}\r\n".encode() for n in range(1, 101))
    shown = show(body).split("\n")
    assert shown[:2] == ["  line 1↵", "  line 2↵"]
    assert shown[9:] == ["  … 89 more lines …", "  line 99↵", "  line 100↵"]


def test_show_cuts_or_wraps_long_lines() -> None:
    line = b"x" * 200
    assert show_line(line) == "x" * 75 + "…"
    wrapped = show(line + b"\r\n", wrap=True).split("\n")
    assert "".join(w.strip().removeprefix("⤷ ") for w in wrapped) == "x" * 200 + "↵"


@pytest.mark.parametrize("sent, received, said", [
    (b"Hi.\r\n\r\nHello\r\n", b"Hi.\r\n\r\nHallo\r\n", "line 3, byte 2: 'Hello' became 'Hallo'"),
    (b"a\r\nb\r\n", b"a\r\n", "line 2: missing; the original had 1 line more from here, first 'b'"),
    (b"a\r\n", b"a\r\nb\r\nc\r\n", "line 2: added; 2 lines from here not in the original, first 'b'"),
    (b"a\r\n", b"a", "line 1: the original's last line ended in CRLF; here it has none"),
    (b"same\r\n", b"same\r\n", ""),
    (b"x" * 100 + b"A" + b"y" * 100 + b"\r\n", b"x" * 100 + b"B" + b"y" * 100 + b"\r\n",
     "line 1, byte 101: …'" + "x" * 24 + "A" + "y" * 23 + "'… became …'" + "x" * 24 + "B" + "y" * 23 + "'…"),
])
def test_first_difference(sent: bytes, received: bytes, said: str) -> None:
    assert first_difference(sent, received) == said
