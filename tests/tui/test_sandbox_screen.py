"""The sandbox screen (issue 7 item 5): replies wrap to the pane, `[`/`]` switch the side tabs
while the command line is empty, the mailboxes fit a side pane, and the delivered message opens."""

from __future__ import annotations

from textual.widgets import Input, TabbedContent

from simulator.tui.screens.sandbox import SandboxScreen
from simulator.tui.widgets.message import MessagePane
from simulator.tui.widgets.panes import MailboxesPane
from simulator.tui.widgets.transcript import TranscriptView

NARROW = (80, 24)


async def _type(pilot, *lines: str) -> None:
    for line in lines:
        if line:
            await pilot.press(*line)
        await pilot.press("enter")
        await pilot.pause()


def _rows(view: TranscriptView) -> list[str]:
    return [view.build_line(y, view.scrollable_content_region.width).plain for y in range(view.line_count)]


async def test_long_replies_and_the_intro_wrap_to_the_pane(make_app) -> None:
    app = make_app("sandbox")
    async with app.run_test(size=(110, 30)) as pilot:  # the log beside the side pane: ~64 columns
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SandboxScreen)
        await _type(pilot, "HELP", "RCPT TO:bob@example.net")
        log = screen.query_one("#log", TranscriptView)
        width = log.scrollable_content_region.width
        rows = _rows(log)
        assert all(len(row.rstrip()) <= width for row in rows)
        assert not any(row.rstrip().endswith("…") for row in rows)  # wrapped, not cut
        # Every word of the long replies is on screen: rejoined, the rows give the lines back.
        text = " ".join(row.strip() for row in rows)
        help_reply = next(line.text for line in screen.lines if line.text.startswith("214"))
        refusal = next(line.text for line in screen.lines if line.text.startswith("503"))
        assert len(help_reply) > width - 3  # the test needs a reply wider than the pane
        intro = screen.lines[0].text
        assert len(intro) > width
        for word in (intro + " " + help_reply + " " + refusal).split():
            assert word in text


async def test_brackets_switch_tabs_only_while_the_line_is_empty(make_app) -> None:
    app = make_app("sandbox")
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        tabs = app.screen.query_one("#side", TabbedContent)
        box = app.screen.query_one("#command", Input)
        assert tabs.active == "side-state"
        await pilot.press("right_square_bracket")
        assert (tabs.active, box.value) == ("side-mailboxes", "")
        await pilot.press("right_square_bracket")
        assert tabs.active == "side-message"
        await pilot.press("right_square_bracket")
        assert tabs.active == "side-wire"
        await pilot.press("right_square_bracket")
        assert tabs.active == "side-state"  # round again
        await pilot.press("left_square_bracket")
        assert tabs.active == "side-wire"
        # In a line being typed they are characters: an address literal.
        await pilot.press(*"EHLO ", "left_square_bracket", *"192.0.2.10", "right_square_bracket")
        assert box.value == "EHLO [192.0.2.10]"
        assert tabs.active == "side-wire"


async def test_the_delivered_message_opens_with_its_dots_unstuffed(make_app) -> None:
    app = make_app("sandbox")
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        screen = app.screen
        await _type(pilot, "EHLO alice-laptop.example.org", "MAIL FROM:<alice@example.org>",
                    "RCPT TO:<bob@example.net>", "DATA", "Subject: dots", "", "..two dots", ".")
        assert any(line.text.startswith("250 2.0.0") for line in screen.lines)
        await pilot.press("right_square_bracket")  # mailboxes: a heading per box, four columns
        await pilot.pause()
        boxes = screen.query_one(MailboxesPane)
        assert boxes.display
        from rich.console import Console

        console = Console(width=boxes.size.width or 78, color_system=None, record=True)
        console.print(boxes.rendered)
        drawn = console.export_text()
        assert "bob@example.net  on mx.example.net" in drawn and " INBOX  1 message" in drawn
        assert "also: Sent, Drafts, Junk, Trash (empty)" in drawn  # empty special-use folders on one line
        assert "dots" in drawn and " B" in drawn
        assert "m\na\ni\nl" not in drawn  # no cell wrapping letter by letter
        await pilot.press("right_square_bracket")  # the message, as the mailbox holds it
        await pilot.pause()
        pane = screen.query_one(MessagePane)
        assert pane._model.delivered is not None and pane._model.view is not None
        body = pane._model.view.body
        assert ".two dots" in body and "..two dots" not in body  # RFC 5321 4.5.2: the server un-stuffs
        console = Console(width=78, color_system=None, record=True)
        console.print(pane.rendered)
        assert "Subject: dots" in console.export_text()
