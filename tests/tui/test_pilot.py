"""The app driven headless with Textual's pilot, as a student would use it."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, OptionList, TabbedContent

from simulator.protocols.registry import machine_tables
from simulator.tui.screens.lesson import LessonScreen
from simulator.tui.screens.picker import PickerScreen
from simulator.tui.screens.quiz import QuizScreen
from simulator.tui.screens.sandbox import SandboxScreen
from simulator.tui.widgets.panes import DiffPane
from simulator.tui.widgets.states import StatePane

WIDE = (120, 40)
SMALL = (80, 24)


def _typed(fixtures: Path) -> Path:
    return fixtures / "scenarios" / "typed-session.yaml"


def _machine_states(screen: LessonScreen) -> dict[str, str]:
    return {m.machine: m.state for m in screen.player.view().machines}


async def _answer_choice(pilot, choice: str) -> None:
    quiz = pilot.app.screen
    assert isinstance(quiz, QuizScreen)
    options = quiz.query_one("#choices", OptionList)
    options.highlighted = quiz.choices.index(choice)
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("enter")  # "Continue": see the step
    await pilot.pause()


async def test_picker_lists_filters_and_opens(make_app) -> None:
    app = make_app("picker")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        keys = [f"{e.kind}:{e.key}" for e in picker.shown]
        assert keys[0] == "lesson:relay-mini"  # lessons first, in teaching order
        assert "scenario:typed-session" in keys and "sandbox:smtp" in keys
        await pilot.press(*"typed")
        await pilot.pause()
        assert [e.key for e in picker.shown] == ["typed-session"]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.player.scenario.id == "typed-session"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert app.screen.query_one("#filter", Input).value == "typed"


async def test_picker_is_keyboard_only(make_app) -> None:
    app = make_app("picker")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")  # the lesson, then the bare scenario
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)


async def test_forward_to_the_end_and_back_matches_the_way_there(make_app, fixtures: Path) -> None:
    app = make_app("play", fixtures / "lessons" / "relay-mini.yaml")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        player = screen.player
        for ask_step in range(player.count):  # answer every question up front
            if player.ask_at(ask_step) is not None:
                player.answer(ask_step, player.ask_at(ask_step).answer)
        seen = [(player.index, _machine_states(screen), screen.query_one(StatePane)._machines)]
        while not player.at_end:
            await pilot.press("right")
            await pilot.pause()
            seen.append((player.index, _machine_states(screen), screen.query_one(StatePane)._machines))
        assert [s[0] for s in seen] == list(range(player.count))
        for index, states, shown in reversed(seen):
            assert player.index == index
            assert _machine_states(screen) == states
            assert tuple(screen.query_one(StatePane)._machines) == tuple(shown)
            await pilot.press("left")
            await pilot.pause()
        assert player.index == 0
        await pilot.press("end")
        await pilot.pause()
        assert player.at_end
        await pilot.press("home")
        await pilot.pause()
        assert player.at_start


async def test_autoplay_advances_and_stops_at_a_question(make_app, fixtures: Path) -> None:
    app = make_app("play", _typed(fixtures))
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        screen = app.screen
        for _ in range(4):
            await pilot.press("plus")
        await pilot.press("p")
        assert screen.playing
        # Step 1 (connect) plays, then the EHLO question stops the play. The play runs
        # on timers, so wait for the question (bounded) rather than a fixed time.
        for _ in range(100):
            await pilot.pause(0.1)
            if isinstance(app.screen, QuizScreen):
                break
        assert isinstance(app.screen, QuizScreen)
        assert screen.player.index == 1
        ehlo = next(n for n, s in enumerate(screen.player.steps) if s.step_id == "ehlo")
        await _answer_choice(pilot, "250")
        # The answer leaves the play at the question's step or, once its timer
        # has fired on a busy machine, past it; never before it.
        assert screen.player.index >= ehlo
        # It picks up again after the answer (and may already have reached the next
        # question, which holds it until answered, then resumes).
        if isinstance(app.screen, QuizScreen):
            assert screen._resume_after_quiz and screen.player.index > ehlo
            await pilot.press("escape")
            await pilot.pause()
            assert not screen.playing
            return
        assert screen.playing
        await pilot.press("p")
        assert not screen.playing


async def test_quiz_right_and_wrong_are_scored_and_saved(make_app, fixtures: Path, tmp_path: Path) -> None:
    app = make_app("play", fixtures / "lessons" / "relay-mini.yaml")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("right")  # submit: no question
        await pilot.pause()
        await pilot.press("right")  # relay asks: which record type first?
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)
        await _answer_choice(pilot, "A")  # wrong
        assert screen.player.steps[screen.player.index].step_id == "relay"
        assert "not quite" in screen.player.narration()
        await pilot.press("right")  # the typed question
        await pilot.pause()
        quiz = app.screen
        assert isinstance(quiz, QuizScreen)
        await pilot.press(*"closed")
        await pilot.press("enter")
        await pilot.pause()
        assert quiz.result is not None and quiz.result.correct
        await pilot.press("enter")
        await pilot.pause()
        assert screen.player.at_end
    saved = json.loads((tmp_path / "progress.json").read_text())["lessons"]["relay-mini"]
    assert saved["answers"] == {"relay": False, "note": True}
    assert saved["done"] is True


async def test_escape_from_a_question_stays_put(make_app, fixtures: Path) -> None:
    app = make_app("play", _typed(fixtures))
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        await pilot.press("end")  # jumping ahead still stops at the first open question
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)
        await pilot.press("escape")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        assert screen.player.index == 0


async def test_what_if_branch_and_its_diff(make_app, fixtures: Path, monkeypatch) -> None:
    import threading

    from simulator.scenario import whatif

    threads: dict[str, str] = {}  # call -> thread name: the runs stay off the UI thread

    def recorded(name: str, call):
        def wrapper(*args, **kwargs):
            threads[name] = threading.current_thread().name
            return call(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(whatif, "fault_options", recorded("options", whatif.fault_options))
    monkeypatch.setattr(whatif, "fork", recorded("fork", whatif.fork))
    app = make_app("play", _typed(fixtures))
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        main = app.screen
        main.player.answers.clear()
        for i in range(main.player.count):
            if main.player.ask_at(i) is not None:
                main.player.answer(i, "250")
        rcpt = [s.step_id for s in main.player.steps].index("rcpt")
        main.go(rcpt)
        await pilot.pause()
        await pilot.press("w")
        await app.workers.wait_for_complete()
        await pilot.pause()
        menu = app.screen.query_one("#faults", OptionList)
        ids = [menu.get_option_at_index(i).id for i in range(menu.option_count)]
        assert "recipient-unknown" in ids
        menu.highlighted = ids.index("recipient-unknown")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        branch = app.screen
        assert isinstance(branch, LessonScreen) and branch is not main
        assert branch.branch is not None and branch.diff is not None
        assert branch.player.steps[branch.player.index].step_id.startswith("what-if")
        assert branch.query_one("#tabs", TabbedContent).active == "pane-diff"
        assert any(line.kind == "reply" and "550" in line.branch for line in branch.diff.lines)
        assert branch.query_one(DiffPane)._model is not None
        assert set(threads) == {"options", "fork"}
        assert threading.main_thread().name not in threads.values(), threads
        await pilot.press("right")
        await pilot.pause()
        replies = [e for e in branch.player.view().events if getattr(e, "code", "") == "550"]
        assert replies
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is main


async def test_what_if_where_no_fault_fits_says_why(make_app, fixtures: Path) -> None:
    from textual.widgets import Static

    from simulator.tui.screens.modals import WhatIfScreen

    app = make_app("play", _typed(fixtures))
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        main = app.screen
        ehlo = [s.step_id for s in main.player.steps].index("ehlo")
        main.player.answers.clear()
        for i in range(ehlo + 1):
            if main.player.ask_at(i) is not None:
                main.player.answer(i, "250")
        main.go(ehlo)
        await pilot.pause()
        await pilot.press("w")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, WhatIfScreen)
        why = str(app.screen.query_one("#whatif-why", Static).render())
        assert "No fault fits this step." in why and "This step sends EHLO" in why
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is main


async def test_sandbox_session_typed_through_to_221(make_app) -> None:
    app = make_app("sandbox")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SandboxScreen)
        assert "EHLO" in str(screen.query_one("#hint").render())
        for line in ["EHLO alice-laptop.example.org", "MAIL FROM:<alice@example.org>",
                     "RCPT TO:<bob@example.net>", "DATA", "Subject: typed", "", "Hi Bob", ".", "QUIT"]:
            await pilot.press(*line) if line else None
            await pilot.press("enter")
            await pilot.pause()
        texts = [line.text for line in screen.lines]
        assert any(t.startswith("221") for t in texts)
        assert screen.sandbox.state == "CLOSED"
        boxes = screen.sandbox.mailboxes()[("mx.example.net", "bob@example.net", "INBOX")]
        assert [m.subject for m in boxes] == ["typed"]
        await pilot.press("up")
        assert screen.query_one("#command", Input).value == "QUIT"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert screen.sandbox.state == "EXPECT_EHLO"


async def test_resize_from_wide_to_small_collapses_panes_into_tabs(make_app, fixtures: Path) -> None:
    app = make_app("play", fixtures / "lessons" / "relay-mini.yaml")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("right")
        await pilot.pause()
        assert not screen.has_class("-narrow")
        assert screen.query_one("#left").display
        await pilot.resize_terminal(*SMALL)
        await pilot.pause()
        assert screen.has_class("-narrow")
        assert not screen.query_one("#left").display
        tabs = screen.query_one("#tabs", TabbedContent)
        assert tabs.active == "pane-diagram"
        for _ in range(10):
            await pilot.press("right_square_bracket")
            await pilot.pause()
        await pilot.resize_terminal(60, 16)
        await pilot.pause()
        await pilot.resize_terminal(*WIDE)
        await pilot.pause()
        assert not screen.has_class("-narrow")
        assert tabs.active not in ("pane-diagram", "pane-states")


async def test_expand_shows_raw_events_and_back(make_app, fixtures: Path) -> None:
    app = make_app("play", _typed(fixtures))
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        await pilot.press("right")
        await pilot.pause()
        tabs = app.screen.query_one("#tabs", TabbedContent)
        await pilot.press("e")
        await pilot.pause()
        assert tabs.active == "pane-events"
        from simulator.tui.widgets.panes import EventsPane

        shown = app.screen.query_one(EventsPane).plain_text()
        assert "net:connection_opened" in shown and "protocol:reply" in shown
        await pilot.press("e")
        await pilot.pause()
        assert tabs.active == "pane-transcript"


async def test_help_and_screenshot(make_app, fixtures: Path, tmp_path: Path) -> None:
    app = make_app("play", _typed(fixtures))
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert list(tmp_path.glob("*.svg"))


async def test_present_layout_keeps_diagram_and_narration(make_app, fixtures: Path) -> None:
    app = make_app("play", _typed(fixtures), present=True)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.has_class("-present")
        assert not screen.query_one("#tabs").display
        assert screen.query_one("#diagram").display and screen.query_one("#narration").display


async def test_a_broken_file_opens_the_picker_with_the_error(make_app, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: x\nsteps:\n  - id: a\n    action: nope\n")
    app = make_app("play", bad)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)


async def test_play_paints_at_once_and_loads_behind(make_app, fixtures: Path) -> None:
    app = make_app("play", _typed(fixtures), load_in_background=True)
    async with app.run_test(size=WIDE) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if isinstance(app.screen, LessonScreen) and app.screen._view is not None:
                break
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.player.scenario.id == "typed-session"


async def test_play_of_a_broken_file_exits_with_its_errors(make_app, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: x\nsteps:\n  - id: a\n    action: nope\n")
    app = make_app("play", bad, load_in_background=True, exit_on_load_error=True)
    async with app.run_test(size=WIDE) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if app.return_code is not None:
                break
    assert app.return_code == 2


async def test_every_tab_shows_the_step(make_app, fixtures: Path) -> None:
    from simulator.tui.widgets.message import MessagePane
    from simulator.tui.widgets.panes import ChecksPane, DnsPane, MailboxesPane
    from simulator.tui.widgets.transcript import TranscriptView
    from simulator.tui.widgets.wire import WirePane

    app = make_app("play", fixtures / "lessons" / "relay-mini.yaml")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        screen = app.screen
        player = screen.player
        relay = [s.step_id for s in player.steps].index("relay")
        player.answer(relay, "MX")
        screen.go(relay)
        await pilot.pause()
        tabs = screen.query_one("#tabs", TabbedContent)

        async def body(pane_id: str, widget_type) -> str:
            tabs.active = pane_id
            await pilot.pause()
            return screen.query_one(widget_type).plain_text()

        assert "Delivered to bob@example.net/INBOX" in await body("pane-message", MessagePane)
        assert "example.net MX?" in await body("pane-dns", DnsPane)
        checks = await body("pane-checks", ChecksPane)  # the MX checked the relayed message
        assert "SPF result for MAIL FROM alice@example.org: pass" in checks
        assert "DKIM at mx.example.net  pass" in checks and "example.org signed this message and it arrived unchanged" in checks
        assert "Test message" in await body("pane-mailboxes", MailboxesPane)
        wire = await body("pane-wire", WirePane)
        assert "readable by anyone" in wire
        screen.query_one(WirePane).set_lens("eavesdropper")
        await pilot.pause()
        assert "every word is readable" in screen.query_one(WirePane).plain_text()
        tabs.active = "pane-transcript"
        await pilot.pause()
        transcript = screen.query_one(TranscriptView)
        assert transcript.shown_count == player.upto("transcript")
        # Back to the start: the mailboxes are empty again (re-derived, not undone).
        screen.go(0)
        await pilot.pause()
        assert "Test message" not in await body("pane-mailboxes", MailboxesPane)


async def test_picker_paints_at_once_and_lists_lessons_when_loaded(make_app) -> None:
    app = make_app("picker", load_in_background=True)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        for _ in range(100):
            if picker.shown:
                break
            await pilot.pause(0.02)
        assert [e.key for e in picker.shown][:1] == ["relay-mini"]
        assert not picker.loading_lessons


async def test_the_footer_keeps_quit_on_screen_at_80x24(make_app, fixtures: Path) -> None:
    from textual.widgets import Footer

    app = make_app("play", _typed(fixtures))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        assert footer.compact and not footer.show_command_palette
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not footer.compact and footer.show_command_palette


_BUNDLED = Path(__file__).parents[2]
_RAW_MARKERS = ("**", "`", "Summary. -", "-----")


def _shown(widget) -> str:
    """What a Static or a line view puts on screen, as plain text."""
    if hasattr(widget, "_strips"):  # a line view: every rendered line, scrolled off or not
        return "\n".join(strip.text for strip in widget._strips)
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


async def test_lesson_markdown_is_rendered_in_the_picker_the_quiz_and_the_summary(make_app) -> None:
    from textual.widgets import Static

    from simulator.tui.widgets.narration import Narration

    lessons, scenarios = _BUNDLED / "lessons", _BUNDLED / "scenarios"
    source = (lessons / "smtp-basics.yaml").read_text()
    assert "**commands**" in source and "`EHLO`" in source  # the markers this test must not see
    app = make_app("picker", lessons=lessons, scenarios=scenarios)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        assert picker.shown[0].key == "smtp-basics"
        described = _shown(picker.query_one("#details-intro", Static))
        assert "The client sends commands (EHLO, MAIL FROM" in " ".join(described.split()), described
        for marker in _RAW_MARKERS:
            assert marker not in described, (marker, described)
        assert "You will learn" in described and "• Follow one SMTP session" in described

    app = make_app("play", lessons / "smtp-errors.yaml", lessons=lessons, scenarios=scenarios)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        player = screen.player
        asked = next(i for i in range(player.count) if player.ask_at(i) and "`" in player.ask_at(i).prompt)
        for _ in range(asked):
            if isinstance(app.screen, QuizScreen):
                await pilot.press("escape")
                await pilot.pause()
            await pilot.press("right")
            await pilot.pause()
        quiz = app.screen
        assert isinstance(quiz, QuizScreen) and "`" in quiz.prompt
        prompt = _shown(quiz.query_one("#quiz-prompt", Static))
        assert "`" not in prompt, prompt
        assert " ".join(prompt.split()) == " ".join(quiz.prompt.replace("`", "").split())
        await pilot.press("escape")
        await pilot.pause()

        for step in range(player.count):  # answer every question up front, then go to the end
            if player.ask_at(step) is not None:
                player.answer(step, player.ask_at(step).answer)
        await pilot.press("end")
        await pilot.pause()
        assert player.at_end
        narration = screen.query_one(Narration)
        text = _shown(narration)
        assert "Summary" in text
        for marker in _RAW_MARKERS:
            assert marker not in text, (marker, text)
        lines = [line.strip() for line in text.splitlines()]
        summary_at = lines.index("Summary")
        first_bullet = next(line for line in lines[summary_at + 1:] if line)
        assert first_bullet.startswith("•"), lines[summary_at:summary_at + 4]


def _pane_text(screen: LessonScreen) -> str:
    return "\n".join("".join(seg.text for seg in strip) for strip in screen.query_one("#states", StatePane)._strips)


async def test_the_state_pane_lights_only_this_steps_transition(make_app) -> None:
    # smtp-errors step 11 is a NOOP (a self-loop); step 12's 513-octet line moves nothing.
    app = make_app("play", Path(__file__).parents[2] / "scenarios" / "smtp-errors.yaml")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        player = screen.player
        for i in range(player.count):
            if player.ask_at(i) is not None:
                player.answer(i, player.ask_at(i).answer)
        screen.go(11)
        await pilot.pause()
        assert "↺ NOOP" in _pane_text(screen)
        screen.go(12)
        await pilot.pause()
        text = _pane_text(screen)
        assert "↺" not in text and "NOOP" not in text.split("from here:")[0]
        width = max(map(len, machine_tables()["smtp.server"].states))  # state names are padded to the longest
        assert f"● {'EXPECT_MAIL'.ljust(width)}  (stayed)" in text


async def test_the_state_pane_does_not_answer_the_open_question(make_app) -> None:
    # smtp-basics step 3 asks which state RCPT leads to; at step 2 the pane must not say.
    app = make_app("play", Path(__file__).parents[2] / "scenarios" / "smtp-basics.yaml")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        player = screen.player
        at = next(i for i in range(player.count) if "which state" in getattr(player.ask_at(i), "prompt", ""))
        ask = player.ask_at(at)
        assert ask is not None and "RCPT" in player.steps[at].title + ask.prompt
        for i in range(at):
            if player.ask_at(i) is not None:
                player.answer(i, player.ask_at(i).answer)
        screen.go(at - 1)
        await pilot.pause()
        text = _pane_text(screen)
        assert "from here:" in text and "RCPT" in text
        assert "→" not in text.split("from here:")[1]
        player.answer(at, ask.answer)  # answered: where each command leads is shown again
        screen.refresh_view()
        await pilot.pause()
        assert "RCPT→EXPECT_RCPT_OR_DATA" in _pane_text(screen)
