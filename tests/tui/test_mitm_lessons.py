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


def test_the_wire_shows_what_reached_the_client_after_the_man_in_the_middle() -> None:
    from simulator.replay import Replay
    from simulator.scenario.loader import load_scenario
    from simulator.scenario.runner import run_scenario

    trace = run_scenario(load_scenario(BUNDLED / "scenarios" / "starttls-stripping.yaml")).trace
    chunks = [c for c in Replay(trace).wire if c.altered_by]
    assert len(chunks) == 4  # two EHLO replies, IMAP's greeting, POP3's CAPA
    chunk = chunks[0]
    assert chunk.altered_by == "mallory-box" and chunk.dst == "alice-laptop"
    assert "250-STARTTLS" in chunk.plain_lines  # what the server sent
    assert "250-STARTTLS" not in chunk.delivered_lines and chunk.delivered_lines[-1].startswith("250 AUTH")
    assert chunk.changes == ("removed 250-STARTTLS",)


async def test_the_wire_pane_shows_each_lens_the_bytes_it_really_got(make_app) -> None:
    from textual.widgets import TabbedContent

    from simulator.tui.widgets.wire import WirePane

    app = make_app("play", BUNDLED / "lessons" / "starttls-stripping.yaml", lessons=BUNDLED / "lessons")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        player = screen.player
        at = [s.step_id for s in player.steps].index("stripped-opportunistic")
        player.answer(at, "AUTH PLAIN with her password, in plaintext")
        screen.go(at)
        await pilot.pause()
        screen.query_one("#tabs", TabbedContent).active = "pane-wire"
        await pilot.pause()
        wire = screen.query_one(WirePane)
        client = wire.plain_text()  # the client lens: the EHLO reply without STARTTLS
        assert "changed by mallory-box on the way: removed" in client  # the column wraps after it
        assert "250 AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256" in client
        wire.set_lens("server")
        await pilot.pause()
        server = wire.plain_text()  # the server lens: what it sent, STARTTLS and all
        assert "changed by" not in server and "250-STARTTLS" in server
        wire.set_lens("eavesdropper")
        await pilot.pause()
        assert "mallory-box → alice-laptop" in wire.plain_text()
