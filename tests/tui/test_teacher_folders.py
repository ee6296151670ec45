"""``mailsim --lessons DIR``: a teacher's folder in the picker, in play (and back), run and web."""

from __future__ import annotations

import shlex
import textwrap
from pathlib import Path

import pytest

from simulator import content
from simulator.cli import main
from simulator.tui.launch import web_command
from simulator.tui.screens.lesson import LessonScreen
from simulator.tui.screens.picker import PickerScreen

SCENARIO = textwrap.dedent("""\
    id: greeting
    title: The greeting, from my class
    steps:
      - {id: connect, action: connect, from: alice-laptop, to: mx.example.net, port: 25, expect: {reply: 220}}
      - {id: quit, action: send, line: QUIT, expect: {reply: 221}}
    """)


@pytest.fixture
def own(tmp_path: Path) -> Path:
    folder = tmp_path / "mylessons"
    folder.mkdir()
    (folder / "greeting.yaml").write_text(SCENARIO, encoding="utf-8")
    return folder


async def test_the_picker_lists_the_folder_under_its_name_and_opens_it(make_app, own: Path) -> None:
    assert main(["--lessons", str(own), "validate", str(own)]) == 0  # the option is global
    app = make_app("picker")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        headings = [str(picker.query_one("#lessons").get_option_at_index(i).prompt)
                    for i in range(picker.query_one("#lessons").option_count)
                    if picker.query_one("#lessons").get_option_at_index(i).disabled]
        assert headings[0] == "mylessons"
        assert picker.shown[0].key == "greeting"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.player.scenario.id == "greeting"


async def test_escape_from_playing_a_teachers_file_returns_to_a_picker_with_its_folder(
        make_app, own: Path, monkeypatch) -> None:
    import simulator.tui.app as tui_app

    made: list[dict] = []

    class Recorder:
        return_code = 0

        def run(self) -> None:
            pass

    monkeypatch.setattr(tui_app, "create_app", lambda **kw: made.append(kw) or Recorder())
    assert main(["play", str(own / "greeting.yaml")]) == 0  # as `mailsim play my-file.yaml` does
    assert made[0]["target"] == own / "greeting.yaml"
    assert content.teacher_folders() == [own.resolve()]
    monkeypatch.undo()
    monkeypatch.setattr(content, "_added", [own.resolve()])
    app = make_app("play", own / "greeting.yaml")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert [(e.group, e.key) for e in app.screen.shown][0] == ("mylessons", "greeting")


def test_run_finds_a_lesson_of_the_folder_by_id(own: Path, capsys) -> None:
    assert main(["--lessons", str(own), "run", "-q", "greeting"]) == 0
    assert capsys.readouterr().out == "OK: 2 steps, every expectation met\n"


def test_a_missing_folder_is_refused(tmp_path: Path, capsys) -> None:
    assert main(["--lessons", str(tmp_path / "nope"), "run", "greeting"]) == 2
    assert capsys.readouterr().err == f"mailsim: --lessons {tmp_path / 'nope'}: no such folder\n"


def test_each_web_visitor_gets_the_folders(own: Path) -> None:
    parts = shlex.split(web_command(None, False, [own]))
    assert parts[-2:] == ["--lessons", str(own)]
    assert shlex.split(web_command("/x/l.yaml", False, [own]))[-4:] == ["--lessons", str(own), "play", "/x/l.yaml"]
