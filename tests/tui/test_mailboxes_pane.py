"""The Mailboxes pane in the lesson screen: flags as marks, what each IMAP session was told, the step's changes lit."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from textual.widgets import TabbedContent

from simulator.tui.widgets.panes import MailboxesPane

SCENARIO = Path(__file__).parents[2] / "scenarios" / "imap-commands.yaml"


async def _pane_at(pilot, screen, step_id: str) -> MailboxesPane:
    screen.go([s.step_id for s in screen.player.steps].index(step_id))
    screen.query_one("#tabs", TabbedContent).active = "pane-mailboxes"
    await pilot.pause()
    return screen.query_one(MailboxesPane)


def _lit_rows(pane: MailboxesPane) -> list[int]:
    tables = [r for r in pane.rendered.renderables if isinstance(r, Table)]
    inbox = tables[0]  # bob's INBOX (the outbound queue table is last, and empty here)
    return [n for n, row in enumerate(inbox.rows) if row.style is not None]


async def test_two_devices_side_by_side_at_80_columns(make_app) -> None:
    app = make_app("play", SCENARIO)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        pane = await _pane_at(pilot, screen, "laptop-reads")
        text = pane.plain_text(width=78)
        assert "✓ seen  ⚑ flagged  ✗ deleted" in text  # the legend
        assert "also: Sent, Drafts, Junk, Trash (empty)" in text and "Junk  " not in text
        assert "bob-phone (IMAP) sees INBOX: 1 message, UID 1 ✓" in text  # told at once while idling
        assert "bob-laptop (IMAP) sees INBOX: 1 message, UID 1 ✓" in text
        assert "mallory@evil.example/Drafts" not in text and "No mail yet: alice@example.org" in text
        assert _lit_rows(pane) == [0]  # UID 1 got \Seen in this step

        pane = await _pane_at(pilot, screen, "relay-again")
        text = pane.plain_text(width=78)
        assert "bob-phone (IMAP) sees INBOX: 2 messages, UID 1 ✓, UID 2" in text
        assert "bob-laptop (IMAP) sees INBOX: 1 message, UID 1 ✓" in text and "not told yet of UID 2" in text
        assert _lit_rows(pane) == [1]

        pane = await _pane_at(pilot, screen, "laptop-deletes")
        text = pane.plain_text(width=78)
        assert "UID 1 expunged in this step" in text and "sees INBOX: 1 message, UID 2" in text
        assert max(len(line) for line in text.splitlines()) <= 78


async def test_the_pane_reads_at_120x40(make_app) -> None:
    app = make_app("play", SCENARIO)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = await _pane_at(pilot, app.screen, "laptop-noop")
        text = pane.plain_text(width=pane.size.width or 118)
        assert "bob-laptop (IMAP) sees INBOX: 2 messages, UID 1 ✓, UID 2" in text
        assert "not told yet" not in text  # RFC 9051 6.1.2: the NOOP's answer told it
