"""The STARTTLS attack lessons in the TUI at 80x24: questions stop the play, the man in the middle is shown."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList

from simulator.tui.screens.lesson import LessonScreen
from simulator.tui.screens.quiz import QuizScreen

BUNDLED = Path(__file__).parents[2]


async def _answer(pilot, choice: str) -> None:
    quiz = pilot.app.screen
    assert isinstance(quiz, QuizScreen)
    quiz.query_one("#choices", OptionList).highlighted = quiz.choices.index(choice)
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("enter")  # "Continue": see the step
    await pilot.pause()


async def test_stripping_lesson_shows_the_removed_line_and_the_attacker_at_80x24(make_app) -> None:
    app = make_app("play", BUNDLED / "lessons" / "starttls-stripping.yaml", lessons=BUNDLED / "lessons")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        for _ in range(2):
            await pilot.press("right")
            await pilot.pause()
        await pilot.press("right")  # the stripped step asks first
        await pilot.pause()
        await _answer(pilot, "AUTH PLAIN with her password, in plaintext")
        player = screen.player
        assert player.steps[player.index].step_id == "stripped-opportunistic"
        view = player.view()
        assert any(a.label == "✂ removed 250-STARTTLS" for a in view.arrows)  # drawn on mallory-box
        assert "mallory-box" in [h.name for h in view.hosts]
        assert "**Man in the middle** (mallory-box): removed 250-STARTTLS" in view.narration
        assert any("AUTH PLAIN" in a.label for a in view.arrows)
        await pilot.press("right")  # the required-TLS step asks too
        await pilot.pause()
        await _answer(pilot, "The client sends QUIT, and the message is not sent")
        view = player.view()
        assert player.steps[player.index].step_id == "stripped-required"
        assert not any("AUTH PLAIN" in a.label for a in view.arrows)
        assert "not sent: TLS is required and the server offers no STARTTLS" in view.narration


async def test_injection_lesson_says_what_was_discarded_and_what_the_vulnerable_server_read(make_app) -> None:
    app = make_app("play", BUNDLED / "lessons" / "starttls-injection.yaml", lessons=BUNDLED / "lessons")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        for _ in range(2):
            await pilot.press("right")
            await pilot.pause()
        await pilot.press("right")
        await pilot.pause()
        await _answer(pilot, "It is discarded: no reply ever comes for it")
        player = screen.player
        assert player.steps[player.index].step_id == "probe-inject"
        assert "**Discarded**" in player.view().narration and "RSET" in player.view().narration
        for _ in range(4):
            await pilot.press("right")
            await pilot.pause()
        await pilot.press("right")
        await pilot.pause()
        await _answer(pilot, "220, then 250 for the RSET")
        assert player.steps[player.index].step_id == "vulnerable-inject"
        view = player.view()
        assert "**Vulnerable server**" in view.narration
        assert any("250 2.0.0 Reset OK" in a.label for a in view.arrows)
