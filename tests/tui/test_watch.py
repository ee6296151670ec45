"""``mailsim play FILE --watch``: a save reloads the scenario (and a lesson's scenario) on the same step;
a save that does not load is shown in the app, file:line:column, and the next good save clears it."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

from simulator.tui.screens.lesson import LessonScreen
from simulator.tui.screens.loading import WatchErrorScreen
from simulator.tui.watch import Watched, keep_step

SCENARIO = textwrap.dedent("""\
    id: watched
    title: Watched
    steps:
      - {id: connect, action: connect, from: alice-laptop, to: mx.example.net, port: 25,
         explain: "{connect}"}
      - {id: ehlo, action: send, line: EHLO alice-laptop.example.org, explain: "{ehlo}"}
      - {id: quit, action: send, line: QUIT, explain: "{quit}"}
    """)


def _write(path: Path, text: str) -> None:
    """Save as an editor does; the clock of a fast test may not tick between two saves, so the
    modification time is moved on by hand (the size may be the same too)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def _scenario(connect: str = "Opened.", ehlo: str = "Said hello.", quit: str = "Bye.") -> str:
    return SCENARIO.replace("{connect}", connect).replace("{ehlo}", ehlo).replace("{quit}", quit)


async def _wait(pilot, condition, what: str) -> None:
    for _ in range(100):
        await pilot.pause(0.05)
        if condition():
            return
    raise AssertionError(f"timed out waiting for {what}")


def _reloaded(app, old) -> bool:
    """A new lesson screen in ``old``'s place, mounted and showing its step."""
    screen = app.screen
    return screen is not old and isinstance(screen, LessonScreen) and screen._view is not None


def _lesson(app) -> LessonScreen:
    assert isinstance(app.screen, LessonScreen), app.screen
    return app.screen


def _step_id(app) -> str:
    p = _lesson(app).player
    return p.steps[p.index].step_id


async def test_a_save_reloads_on_the_same_step(make_app, tmp_path: Path) -> None:
    path = tmp_path / "watched.yaml"
    _write(path, _scenario())
    app = make_app("play", path, watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("right", "right")
        await pilot.pause()
        first = _lesson(app)
        assert _step_id(app) == "ehlo" and "Said hello." in first.player.narration()
        _write(path, _scenario(ehlo="EHLO asks for the extensions (RFC 5321 section 4.1.1.1)."))
        await _wait(pilot, lambda: _reloaded(app, first), "a reload")
        assert _step_id(app) == "ehlo"
        assert "EHLO asks for the extensions" in _lesson(app).player.narration()
        assert "EHLO asks for the extensions" in str(app.screen.query_one("#narration").markdown)

        # The step shown is gone: the nearest earlier step that is still there.
        second = _lesson(app)
        _write(path, _scenario().replace("  - {id: ehlo, action: send, line: EHLO alice-laptop.example.org, "
                                         "explain: \"Said hello.\"}\n", ""))
        await _wait(pilot, lambda: _reloaded(app, second), "a reload")
        assert _step_id(app) == "connect"


async def test_a_broken_save_is_shown_located_and_the_next_good_one_clears_it(make_app, tmp_path: Path) -> None:
    path = tmp_path / "watched.yaml"
    _write(path, _scenario())
    app = make_app("play", path, watch=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("right")
        await pilot.pause()
        first = _lesson(app)
        _write(path, _scenario().replace("action: send, line: QUIT", "action: fly, line: QUIT"))
        banner = first.query_one("#reload-error")
        await _wait(pilot, lambda: first.has_class("-reload-error"), "the error")
        assert app.screen is first and banner.display  # the app stays, on the last good run
        text = str(banner.content)
        assert re.search(rf"{re.escape(str(path))}:7:24: steps\[2\]\.action: unknown action .fly", text), text
        assert _step_id(app) == "connect"
        _write(path, _scenario(quit="Fixed."))
        await _wait(pilot, lambda: _reloaded(app, first), "a reload")
        assert not app.screen.has_class("-reload-error") and not app.screen.query_one("#reload-error").display
        assert _step_id(app) == "connect"


async def test_a_lesson_reloads_when_its_scenario_is_saved(make_app, tmp_path: Path) -> None:
    scenario = tmp_path / "watched.scenario.yaml"
    _write(scenario, _scenario())
    lesson = tmp_path / "watched-lesson.yaml"
    _write(lesson, textwrap.dedent("""\
        id: watched-lesson
        title: Watched lesson
        topic: SMTP
        level: beginner
        minutes: 5
        objectives: [Watch a save]
        intro: An intro.
        summary: A summary.
        scenario: watched.scenario.yaml
        """))
    app = make_app("play", lesson, watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("right", "right")
        await pilot.pause()
        first = _lesson(app)
        _write(scenario, _scenario(ehlo="Narration changed in the scenario."))
        await _wait(pilot, lambda: _reloaded(app, first), "a reload")
        assert _step_id(app) == "ehlo" and "Narration changed" in _lesson(app).player.narration()
        second = _lesson(app)
        _write(lesson, lesson.read_text(encoding="utf-8").replace("A summary.", "A new summary."))
        await _wait(pilot, lambda: _reloaded(app, second), "a reload")
        assert _lesson(app).player.lesson.summary == "A new summary."


async def test_a_file_broken_from_the_start_waits_for_a_good_save(make_app, tmp_path: Path) -> None:
    path = tmp_path / "watched.yaml"
    _write(path, "id: watched\ntitle: [unclosed\n")
    app = make_app("play", path, watch=True, exit_on_load_error=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WatchErrorScreen) and app.is_running
        assert re.search(rf"{re.escape(str(path))}:\d+:\d+:", str(app.screen.query_one("#watch-errors").render()))
        _write(path, _scenario())
        await _wait(pilot, lambda: _reloaded(app, None), "the lesson")
        assert _step_id(app) in ("setup", "connect")


def test_keep_step_by_id_else_the_nearest_earlier() -> None:
    old = ["setup", "a", "b", "c"]
    assert keep_step(old, 2, ["setup", "x", "b", "c"]) == 2
    assert keep_step(old, 2, ["setup", "b"]) == 1
    assert keep_step(old, 3, ["setup", "a", "z"]) == 1
    assert keep_step(old, 2, ["other"]) == 0


def test_watched_sees_each_save_once(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    _write(a, "1")
    _write(b, "1")
    watched = Watched([a, b])
    assert watched.changed() == []
    _write(b, "2")
    assert watched.changed() == [b.resolve()] and watched.changed() == []
    a.unlink()
    assert watched.changed() == [a.resolve()]
