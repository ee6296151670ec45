"""The Message tab renders the MIME tree view model: every part's number, type, details and preview,
the parser's problems, and the encoded words decoded (it parses nothing itself)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from rich.console import Console

from simulator.lesson.message_view import parse
from simulator.mail.message import build_message
from simulator.mail.mime import Attachment
from simulator.replay.arrivals import Arrival
from simulator.tui.widgets.message import MessageModel, MessagePane


class PlainPane(MessagePane):
    """The pane without an app: no styles, the same content."""

    def s(self, name: str) -> str:
        return ""

    def result_style(self, result: str) -> str:
        return ""


def shown(raw: bytes, width: int = 100) -> str:
    delivered = Arrival(seq=1, how="delivered", host="mx.example.net", user="bob@example.net", folder="INBOX",
                        uid=1, raw=raw)
    console = Console(width=width, record=True, color_system=None)
    console.print(PlainPane().render_model(MessageModel(delivered, parse(raw), 1, True)))
    return console.export_text()


def test_tree_rows_and_encoded_words() -> None:
    counter = itertools.count()
    raw = build_message(sender="zoe@example.org", to=["bob@example.net"], subject="Grüße", body="Hi Bob\n",
                        date=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), message_id="<1@example.org>",
                        from_name="Zoë", html="<p>Hi <b>Bob</b></p>\n",
                        attachments=(Attachment("photo.png", "image/png", b"\x89PNG" * 75),),
                        boundary=lambda: f"{next(counter):024X}")
    text = shown(raw)
    lines = [line.rstrip() for line in text.splitlines()]
    assert any(line.split()[:3] == ["TEXT", "multipart/mixed", "2"] for line in lines)
    assert any(line.split()[:2] == ["1.2", "text/html"] for line in lines)
    assert any(line.split()[:2] == ["2", "image/png"] and "412 octets sent, 300 decoded" in line
               and "file photo.png" in line for line in lines)
    assert "“Hi Bob”" in text  # the html part's preview, tags left out
    assert "Zoë <zoe@example.org>" in text and "=?utf-8?q?Zo=C3=AB?=" in text
    assert "Grüße" in text


def test_parser_problems_are_shown() -> None:
    raw = b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=gone\r\n\r\n--other\r\n\r\ntext\r\n"
    assert "⚠" in shown(raw)


def test_fits_80_columns() -> None:
    raw = b"Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + b"word " * 60 + b"\r\n"
    assert all(len(line) <= 80 for line in shown(raw, width=80).splitlines())
