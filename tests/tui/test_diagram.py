"""Issue 7 item 9: the sequence diagram spaces its columns by what passes between them and
shows a cut label in full on its status row (and as a tooltip); the state pane cuts a long
trigger with "…" instead of wrapping it."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from simulator.replay import Arrow, LastTransition, MachineView
from simulator.tui.screens.lesson import LessonScreen
from simulator.tui.widgets.sequence import (
    ARROW_ROOM,
    GUTTER,
    SequenceDiagram,
    column_centers,
    wanted_gaps,
)
from simulator.tui.widgets.states import MachineDrawing, StatePane

BUNDLED = Path(__file__).parents[2]
NAMES = ["alice-laptop", "mail.example.org", "mx.example.net", "mallory-box"]


def _arrow(src: str, dst: str, label: str, step: int = 1) -> Arrow:
    return Arrow(step=step, seq=0, src=src, dst=dst, label=label, kind="command", lines=(label,))


def test_columns_use_the_whole_width() -> None:
    centers = column_centers(NAMES, 80, [20, 20, 20])
    assert centers[0] == GUTTER + len(NAMES[0]) // 2  # no half-slot lost on the left ...
    assert centers[-1] == 80 - 1 - (len(NAMES[-1]) + 1) // 2  # ... nor on the right
    gaps = [b - a for a, b in zip(centers, centers[1:], strict=False)]
    assert max(gaps) - min(gaps) <= 1  # equal wants, equal gaps


def test_a_busy_pair_gets_the_room_a_quiet_one_does_not_need() -> None:
    arrows = [_arrow("alice-laptop", "mail.example.org", "MAIL FROM:<alice@example.org> SIZE=298")] * 3
    arrows.append(_arrow("mx.example.net", "mallory-box", "EHLO"))
    wanted = wanted_gaps(NAMES, arrows)
    assert wanted[0] == len("MAIL FROM:<alice@example.org> SIZE=298") + ARROW_ROOM
    centers = column_centers(NAMES, 100, wanted)
    gaps = [b - a for a, b in zip(centers, centers[1:], strict=False)]
    assert gaps[0] > gaps[1] and gaps[0] > gaps[2]
    assert gaps[0] - ARROW_ROOM >= len("MAIL FROM:<alice@example.org> SIZE=298")  # the label fits whole
    even = column_centers(NAMES, 100)
    assert gaps[0] > even[1] - even[0] + 10  # where even columns would cut it


def test_an_arrow_over_several_gaps_asks_each_for_its_share() -> None:
    wanted = wanted_gaps(NAMES, [_arrow("alice-laptop", "mallory-box", "x" * 31)])
    assert wanted == [12, 12, 12]  # (31 + 5) / 3


def test_names_too_wide_for_the_terminal_fall_back_to_even_columns() -> None:
    assert column_centers(NAMES, 30, [60, 60, 60]) == column_centers(NAMES, 30)


def _rows(widget) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def test_status_row_shows_a_cut_label_in_full_and_keys_choose_another(make_app) -> None:
    app = make_app("play", BUNDLED / "scenarios" / "smtp-errors.yaml")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        await pilot.press("right")
        await pilot.pause()
        diagram = screen.query_one("#diagram-tabbed", SequenceDiagram)
        rows = _rows(diagram)
        header = rows[0]
        for name in NAMES:  # every host name whole on the header
            assert name in header, header
        cut = [r for r in rows[2:-1] if "…" in r]
        assert cut, rows  # at 80 columns some labels of step 1 are cut ...
        selected = diagram.selected
        assert selected is not None and diagram.is_cut(diagram.arrows[selected])
        arrow = diagram.arrows[selected]
        assert rows[-1].strip().startswith(f"{arrow.step}›")
        assert arrow.label in rows[-1]  # ... and the status row has the first of them whole
        assert "›" in rows[2 + selected - int(diagram.scroll_y)][:4]  # the row it describes is marked

        diagram.focus()  # Tab: ↓ then picks the next arrow
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()
        assert diagram.selected == selected + 1
        nxt = diagram.arrows[selected + 1]
        assert nxt.label[:40] in _rows(diagram)[-1]
        assert diagram.full_label(nxt).startswith(f"{nxt.src} → {nxt.dst}: {nxt.label}")
        for _ in range(30):  # past the view: it scrolls to keep the chosen arrow on screen
            await pilot.press("down")
        await pilot.pause()
        chosen = diagram.selected
        assert chosen == diagram.shown_count - 1
        assert any(r.startswith(f"{' ' * 3}›") or r[3:4] == "›" for r in _rows(diagram)[2:-1])
        await pilot.press("enter")  # the chosen arrow's step (this one) stays
        await pilot.pause()
        assert screen.player.index == 1


async def test_the_status_row_follows_the_step(make_app) -> None:
    app = make_app("play", BUNDLED / "scenarios" / "smtp-errors.yaml")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        player = screen.player
        for i in range(player.count):
            if player.ask_at(i) is not None:
                player.answer(i, player.ask_at(i).answer)
        screen.go(11)
        await pilot.pause()
        diagram = screen.query_one("#diagram", SequenceDiagram)
        selected = diagram.selected
        assert selected is not None and diagram.arrows[selected].step == 11
        assert f"{diagram.arrows[selected].label[:30]}" in _rows(diagram)[-1]
        screen.go(0)
        await pilot.pause()
        assert diagram.selected is None and _rows(diagram)[-1].strip() == ""


async def test_hovering_an_arrow_gives_its_full_label_as_a_tooltip(make_app) -> None:
    app = make_app("play", BUNDLED / "scenarios" / "smtp-errors.yaml")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("right")
        await pilot.pause()
        diagram = app.screen.query_one("#diagram-tabbed", SequenceDiagram)
        await pilot.hover(diagram, offset=(20, 2 + 2))  # the third arrow of step 1
        await pilot.pause()
        arrow = diagram.arrows[2 + int(diagram.scroll_y)]
        assert diagram.tooltip == diagram.full_label(arrow)


def test_a_long_trigger_is_cut_with_an_ellipsis_not_wrapped() -> None:
    trigger = "<CRLF>.<CRLF> after a message of a thousand lines"
    view = MachineView(machine="smtp.server", conn="c1", host="mx.example.net", state="EXPECT_MAIL",
                       last=LastTransition("IN_DATA", "EXPECT_MAIL", trigger, 1), moved=True, closed=False)
    styles = {k: "" for k in ("title", "state", "current", "current_marker", "lit", "muted", "next")}
    drawing = MachineDrawing(styles).render(view, compact=True)
    console = Console(width=40, file=io.StringIO(), color_system=None, record=True)
    console.print(drawing)
    lines = console.export_text().splitlines()
    from simulator.protocols.registry import machine_tables

    states = list(machine_tables()["smtp.server"].states)
    assert len(lines) == 1 + len(states)  # a row per state: nothing wrapped onto a line of its own
    assert all(len(line) <= 40 for line in lines)
    lit = next(line for line in lines if "◀─" in line)
    assert lit.endswith("…") and trigger not in lit and "<CRLF>" in lit


async def test_state_pane_rows_fit_the_pane_at_80_columns(make_app) -> None:
    app = make_app("play", BUNDLED / "scenarios" / "smtp-basics.yaml")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        player = screen.player
        for i in range(player.count):
            if player.ask_at(i) is not None:
                player.answer(i, player.ask_at(i).answer)
        screen.query_one("#tabs").active = "pane-states"
        await pilot.pause()
        pane = screen.query_one("#states-tabbed", StatePane)
        width = pane.scrollable_content_region.width
        for i in range(player.count):
            screen.go(i)
            await pilot.pause()
            for strip in pane._strips:
                assert strip.cell_length <= width
                text = strip.text.rstrip()
                assert not text.lstrip().startswith(("<CRLF>", ".<CRLF>")), text  # no trigger on a line of its own
