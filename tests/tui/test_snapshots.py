"""Screenshots of every screen at 80x24 and 120x40 (pytest-textual-snapshot).

Accept intended changes with ``pytest tests/tui --snapshot-update`` and look at
the report before committing the new SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def _lesson(fixtures: Path) -> Path:
    return fixtures / "lessons" / "relay-mini.yaml"


def _typed(fixtures: Path) -> Path:
    return fixtures / "scenarios" / "typed-session.yaml"


@pytest.mark.parametrize("size", SIZES)
def test_picker(snap_compare, make_app, size) -> None:
    assert snap_compare(make_app("picker"), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_picker_filtered(snap_compare, make_app, size) -> None:
    assert snap_compare(make_app("picker"), press=[*"smtp"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_lesson_first_step(snap_compare, make_app, fixtures, size) -> None:
    assert snap_compare(make_app("play", _typed(fixtures)), press=["right"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_lesson_relay_step(snap_compare, make_app, fixtures, size) -> None:
    async def answer_all(pilot) -> None:
        player = pilot.app.screen.player
        for i in range(player.count):
            if player.ask_at(i) is not None:
                player.answer(i, player.ask_at(i).answer)
        pilot.app.screen.go(player.count - 2)
        await pilot.pause()

    assert snap_compare(make_app("play", _lesson(fixtures)), run_before=answer_all, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_quiz(snap_compare, make_app, fixtures, size) -> None:
    assert snap_compare(make_app("play", _typed(fixtures)), press=["right", "right"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_quiz_answered(snap_compare, make_app, fixtures, size) -> None:
    assert snap_compare(make_app("play", _typed(fixtures)), press=["right", "right", "down", "enter"],
                        terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, make_app, fixtures, size) -> None:
    assert snap_compare(make_app("play", _typed(fixtures)), press=["question_mark"], terminal_size=size)


async def _what_if(pilot, *keys: str) -> None:
    """At the relay step, press each key and wait for the what-if worker it starts."""
    player = pilot.app.screen.player
    player.answer(player.count - 2, "MX")
    pilot.app.screen.go(player.count - 2)
    await pilot.pause()
    for key in keys:
        await pilot.press(key)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    # "Running the branch…" shows only when the fork is slow: on a busy machine, not in the picture.
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_what_if_menu(snap_compare, make_app, fixtures, size) -> None:
    async def menu(pilot) -> None:
        await _what_if(pilot, "w")

    assert snap_compare(make_app("play", _lesson(fixtures)), run_before=menu, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_what_if_branch_diff(snap_compare, make_app, fixtures, size) -> None:
    async def branch(pilot) -> None:
        await _what_if(pilot, "w", "enter")

    assert snap_compare(make_app("play", _lesson(fixtures)), run_before=branch, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_sandbox(snap_compare, make_app, size) -> None:
    keys = [*"EHLO me.example", "enter", *"MAIL FROM:<alice@example.org>", "enter"]
    assert snap_compare(make_app("sandbox"), press=keys, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_present_layout(snap_compare, make_app, fixtures, size) -> None:
    assert snap_compare(make_app("play", _typed(fixtures), present=True), press=["right"], terminal_size=size)
