"""Issue 7 item 6: at 80x24 the narration says when it scrolls and scrolls from the
keyboard without Tab first; the picker keeps "intermediate · 15 min" on one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList

from simulator.tui.screens.lesson import LessonScreen
from simulator.tui.screens.picker import PickerScreen
from simulator.tui.widgets.narration import Narration

BUNDLED = Path(__file__).parents[2]


def _rows(widget) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def test_narration_too_tall_says_more_and_scrolls_without_focus(make_app) -> None:
    app = make_app("play", BUNDLED / "scenarios" / "smtp-errors.yaml")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        await pilot.press("right")  # step 1: seven lines of text in a pane of five
        await pilot.pause()
        narration = screen.query_one(Narration)
        assert screen.focused is None  # nothing was focused by hand
        assert narration.more_below > 0
        rows = _rows(narration)
        assert "more ↓" in rows[-1] and "PgDn" in rows[-1]
        assert "more ↓" not in "".join(rows[:-1])
        hidden = narration._strips[narration.scrollable_content_region.height - 1].text.strip()
        assert hidden and hidden not in "\n".join(rows)  # the row the sign covers ...
        await pilot.press("down")
        await pilot.pause()
        assert narration.scroll_y == 1
        assert any(hidden in row for row in _rows(narration))  # ... comes into view with ↓
        await pilot.press("pagedown")
        await pilot.pause()
        assert narration.more_below == 0
        assert not any("more ↓" in row for row in _rows(narration))
        assert "RFC 5321 section 6.1" in "\n".join(_rows(narration))  # the end of the text
        await pilot.press("pageup")
        await pilot.pause()
        assert narration.scroll_y == 0
        await pilot.press("down", "left")  # another step starts at the top of its text
        await pilot.pause()
        assert screen.player.index == 0 and narration.scroll_y == 0


async def test_narration_that_fits_shows_no_sign(make_app) -> None:
    app = make_app("play", BUNDLED / "scenarios" / "smtp-errors.yaml")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("right")
        await pilot.pause()
        narration = app.screen.query_one(Narration)
        assert narration.more_below == 0
        assert not any("more ↓" in row for row in _rows(narration))


async def test_a_focused_pane_keeps_its_own_arrow_keys(make_app) -> None:
    app = make_app("play", BUNDLED / "scenarios" / "smtp-errors.yaml")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("right")
        await pilot.pause()
        diagram = screen.query_one("#diagram-tabbed")
        diagram.focus()
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()
        assert screen.query_one(Narration).scroll_y == 0


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_picker_keeps_level_and_minutes_on_one_line(make_app, size) -> None:
    app = make_app("picker", lessons=BUNDLED / "lessons", scenarios=BUNDLED / "scenarios")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        text = "\n".join(_rows(picker.query_one("#lessons", OptionList)))
        for entry in picker.shown:  # each lesson on screen (the list may scroll at 80x24)
            if entry.level and entry.minutes and entry.title[:30] in text:
                meta = f"{entry.level} · {entry.minutes} min"
                assert meta in text, (meta, text)
        fifteen = [e for e in picker.shown if (e.level, e.minutes) == ("intermediate", 15)]
        shown = [e for e in fifteen if e.title[:30] in text]
        assert len(shown) >= 2 and text.count("intermediate · 15 min") == len(shown), text
        assert "\n · 15 min" not in text and "intermediate\n" not in text


async def test_what_if_diff_is_a_table_of_what_main_line_and_branch_at_80_columns(make_app, fixtures) -> None:
    """Issue 7 item 10: the Diff tab is a table (what, main line, branch), not a paragraph."""
    from simulator.tui.widgets.panes import DiffPane

    app = make_app("play", fixtures / "lessons" / "relay-mini.yaml")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        player = app.screen.player
        player.answer(player.count - 2, "MX")
        app.screen.go(player.count - 2)
        await pilot.pause()
        for key in ("w", "enter"):  # the first fault offered: the recipient is unknown
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
        pane = app.screen.query_one(DiffPane)
        width = pane.query_one(".pane-body").size.width
        assert 70 <= width <= 78
        lines = pane.plain_text(width).splitlines()
        assert all(len(line.rstrip()) <= width for line in lines)
        header = next(line for line in lines if line.lstrip().startswith("what"))
        assert header.split() == ["what", "main", "line", "branch"]
        main_at, branch_at = header.index("main line"), header.index("branch")
        assert "The timelines part at step relay" in lines[1]
        assert "Replies:" not in "\n".join(lines)  # the old one-paragraph summary
        # One row per difference, each side in its own column.
        row = next(line for line in lines if line.startswith("mx.example.net") and "250 2.1.5" in line)
        assert row.index("250 2.1.5") == main_at and row.index("550 5.1.1") == branch_at
        assert any(line.startswith("Replies in step relay") for line in lines)
        box = next(line for line in lines if line.startswith("bob@example.net INBOX"))
        assert box.index("1 message") == main_at and box.index("0 messages") == branch_at
        only = next(line for line in lines if line.startswith("only in the branch"))
        assert only[main_at] == "—" and only[branch_at:].startswith("What if")
