"""The classroom keys: ``--present``'s reveal and skip, every footer key in present mode, and the
end of a lesson offering the next one (bundled path and a teacher's folder)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from textual.widgets import Footer, Input

from simulator.content import lessons_dir
from simulator.lesson.catalog import load_catalog
from simulator.tui.screens.lesson import LessonScreen
from simulator.tui.screens.quiz import QuizScreen

SMALL, WIDE = (80, 24), (120, 40)


def _typed(fixtures: Path) -> Path:
    return fixtures / "scenarios" / "typed-session.yaml"


def _footer_keys(screen) -> dict[str, str]:
    """The actions the footer of ``screen`` shows, by key (what a teacher can read and press)."""
    return {b.key: b.action for (_, b, enabled, _) in screen.active_bindings.values()
            if b.show and enabled and screen.query(Footer)}


async def _to_lesson(pilot) -> LessonScreen:
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, LessonScreen)
    return screen


@pytest.mark.parametrize("size", [SMALL, WIDE])
async def test_present_reveal_shows_the_answer_and_continues(make_app, fixtures: Path, size) -> None:
    app = make_app("play", _typed(fixtures), present=True)
    async with app.run_test(size=size) as pilot:
        lesson = await _to_lesson(pilot)
        await pilot.press("right", "right")  # connect, then the EHLO question
        await pilot.pause()
        quiz = app.screen
        assert isinstance(quiz, QuizScreen)
        assert "ctrl+r" in _footer_keys(quiz) and "ctrl+n" in _footer_keys(quiz)
        await pilot.press("ctrl+r")
        await pilot.pause()
        verdict = str(quiz.query_one("#verdict").render())
        assert "The answer:" in verdict and "250" in verdict and "EHLO succeeds with 250" in verdict
        assert "ctrl+r" not in _footer_keys(quiz)  # settled: revealing again is greyed out
        await pilot.press("enter")  # Continue: the step is shown
        await pilot.pause()
        assert app.screen is lesson and lesson.player.steps[lesson.player.index].step_id == "ehlo"
        assert "**The answer:** 250" in lesson.player.narration()


async def test_present_skip_passes_over_a_typed_question(make_app, fixtures: Path) -> None:
    app = make_app("play", _typed(fixtures), present=True)
    async with app.run_test(size=SMALL) as pilot:
        lesson = await _to_lesson(pilot)
        lesson.player.answer(2, "250")
        lesson.go(3)  # mail; the next step (rcpt) asks for a typed state
        await pilot.press("right")
        await pilot.pause()
        quiz = app.screen
        assert isinstance(quiz, QuizScreen) and quiz.query_one("#typed", Input).has_focus
        await pilot.press("r")  # a letter goes into the answer, not to a key binding
        assert quiz.query_one("#typed", Input).value == "r"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen is lesson
        assert lesson.player.steps[lesson.player.index].step_id == "rcpt"
        assert "skipped" in lesson.player.narration()
        await pilot.press("left", "right")  # a skipped question is not asked again
        await pilot.pause()
        assert app.screen is lesson and lesson.player.steps[lesson.player.index].step_id == "rcpt"


async def test_every_key_of_the_quiz_footer_works_in_present_mode(make_app, fixtures: Path) -> None:
    app = make_app("play", _typed(fixtures), present=True)
    async with app.run_test(size=SMALL) as pilot:
        lesson = await _to_lesson(pilot)
        await pilot.press("right", "right")
        await pilot.pause()
        quiz = app.screen
        assert isinstance(quiz, QuizScreen)
        assert set(_footer_keys(quiz).values()) == {"settle('revealed')", "settle('skipped')", "skip"}
        await pilot.press("escape")  # Not now: the question stays open, the step is not shown
        await pilot.pause()
        assert app.screen is lesson and lesson.player.index == 1 and lesson.player.pending_ask() is not None
        await pilot.press("right")
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)
        await pilot.press("ctrl+n")  # Skip question: the step comes, unasked
        await pilot.pause()
        assert app.screen is lesson and lesson.player.index == 2
        await pilot.press("left", "right")
        await pilot.pause()
        assert app.screen is lesson and lesson.player.index == 2  # not asked again
        # ctrl+r is pressed in test_present_reveal_shows_the_answer_and_continues; ctrl+q (not in this
        # footer, the app's key) still quits from a question:
        await pilot.press("right", "right")
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)
        await pilot.press("ctrl+q")
        assert app.return_code == 0 and not app.is_running


async def test_without_present_the_quiz_offers_no_reveal(make_app, fixtures: Path) -> None:
    app = make_app("play", _typed(fixtures))
    async with app.run_test(size=WIDE) as pilot:
        await _to_lesson(pilot)
        await pilot.press("right", "right")
        await pilot.pause()
        quiz = app.screen
        assert isinstance(quiz, QuizScreen) and not quiz.query(Footer)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert str(quiz.query_one("#verdict").render()).strip() == ""


@pytest.mark.parametrize("size", [SMALL, WIDE])
async def test_every_footer_key_works_in_present_mode(make_app, fixtures: Path, size) -> None:
    app = make_app("play", _typed(fixtures), present=True)
    async with app.run_test(size=size) as pilot:
        lesson = await _to_lesson(pilot)
        lesson.go(1)
        await pilot.pause()
        keys = _footer_keys(lesson)
        shown = set(keys.values())
        assert "expand" not in shown  # no tabs in the projector layout: no Events key
        checked: set[str] = set()

        async def press(key: str) -> None:
            await pilot.press(key)
            await pilot.pause()
            checked.add(keys[key])

        await press("left")
        assert lesson.player.index == 0
        await press("right")
        assert lesson.player.index == 1
        await press("p")
        assert lesson.playing
        await press("p")
        assert not lesson.playing
        await press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is lesson
        await press("w")
        for _ in range(100):
            await pilot.pause(0.05)
            if type(app.screen).__name__ == "WhatIfScreen":
                break
        assert type(app.screen).__name__ == "WhatIfScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is lesson
        await press("escape")
        assert type(app.screen).__name__ == "PickerScreen"
        await press("ctrl+q")  # the app's own key, on every screen
        assert app.return_code == 0 and not app.is_running
        assert checked == shown, shown - checked  # each key the footer showed was pressed and did its job
    assert {"step('back')", "step('next')", "autoplay", "what_if", "help", "leave", "quit"} <= shown


def _answer_all(screen: LessonScreen) -> None:
    p = screen.player
    for i in range(p.count):
        ask = p.ask_at(i)
        if ask is not None:
            p.answer(i, ask.answer)


@pytest.mark.parametrize("present", [False, True])
async def test_the_end_of_a_bundled_lesson_offers_the_next_on_the_path(make_app, present: bool) -> None:
    catalog = load_catalog()
    first = catalog.entries[0]
    following = catalog.after(first.lesson.id)
    assert following is not None
    app = make_app("play", first.path, lessons=lessons_dir(), scenarios=lessons_dir().parent / "scenarios",
                   present=present)
    async with app.run_test(size=SMALL) as pilot:
        lesson = await _to_lesson(pilot)
        assert "next_lesson" not in _footer_keys(lesson).values()  # not before the end
        _answer_all(lesson)
        await pilot.press("end")
        for _ in range(200):
            await pilot.pause(0.05)
            if lesson._next is not None:
                break
        assert f"**Next lesson:** {following.lesson.title}" in lesson.player.narration()
        assert _footer_keys(lesson).get("n") == "next_lesson"
        await pilot.press("n")
        await pilot.pause()
        nxt = app.screen
        assert isinstance(nxt, LessonScreen) and nxt is not lesson
        assert nxt.lesson_id == following.lesson.id and nxt.player.index == 0
        assert lesson not in app.screen_stack  # it took the finished lesson's place


OWN = textwrap.dedent("""\
    id: {id}
    title: {title}
    topic: Greylisting
    order: {order}
    level: beginner
    minutes: 5
    objectives: [See a greeting]
    intro: A lesson of my own.
    summary: Done.
    scenario: greeting.scenario.yaml
    """)
SCENARIO = textwrap.dedent("""\
    id: greeting
    title: The greeting
    steps:
      - {id: connect, action: connect, from: alice-laptop, to: mx.example.net, port: 25, expect: {reply: 220}}
      - {id: quit, action: send, line: QUIT, expect: {reply: 221}}
    """)


async def test_the_end_of_a_teachers_lesson_offers_the_next_of_its_folder(
        make_app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "myclass"
    folder.mkdir()
    (folder / "greeting.scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    (folder / "one.yaml").write_text(OWN.format(id="one", title="First of mine", order=1), encoding="utf-8")
    (folder / "two.yaml").write_text(OWN.format(id="two", title="Second of mine", order=2), encoding="utf-8")
    monkeypatch.setenv("MAILSIM_LESSONS", str(folder))
    app = make_app("play", folder / "one.yaml")
    async with app.run_test(size=SMALL) as pilot:
        lesson = await _to_lesson(pilot)
        await pilot.press("end")
        for _ in range(200):
            await pilot.pause(0.05)
            if lesson._next is not None:
                break
        assert "**Next lesson:** Second of mine" in lesson.player.narration()
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen) and app.screen.lesson_id == "two"
        second = app.screen
        await pilot.press("end")
        for _ in range(20):
            await pilot.pause(0.05)
        assert second._next is None  # the folder's last lesson: nothing after it in the folder
        assert "Next lesson" not in second.player.narration()
        assert "next_lesson" not in _footer_keys(second).values()
