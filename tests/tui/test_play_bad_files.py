"""``mailsim play`` on a broken file ends with its located error, never "loading" for ever."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.scenario.loader import validate_paths

BAD = Path(__file__).parents[1] / "scenario" / "bad"  # the corpus of tests/scenario/test_bad_files.py

WIDE = (120, 40)


def exit_messages(app) -> list[str]:
    """Record what the app is asked to print as it exits (Textual prints it after the run)."""
    seen: list[str] = []
    real_exit = app.exit

    def exit(result=None, return_code=0, message=None):
        seen.append(str(message))
        real_exit(result, return_code, message)

    app.exit = exit
    return seen


async def run_until_exit(app) -> None:
    """Run the app headless until it exits by itself (at most about five seconds)."""
    async with app.run_test(size=WIDE) as pilot:
        for _ in range(250):
            await pilot.pause(0.02)
            if app.return_code is not None:
                break


@pytest.mark.parametrize("name", ["latin1.yaml", "alias-bomb.yaml", "deep-map.yaml", "python-tag.yaml",
                                  "state-other-conn.yaml", "png.yaml"])
async def test_play_exits_with_the_located_error(make_app, name: str) -> None:
    app = make_app("play", BAD / name, load_in_background=True, exit_on_load_error=True)
    messages = exit_messages(app)
    await run_until_exit(app)
    assert app.return_code == 2
    assert messages == ["\n".join(str(e) for e in validate_paths([BAD / name])[1])]  # as validate says it
    assert messages[0].startswith(f"{BAD / name}:")


async def test_an_unexpected_failure_is_shown_too(make_app, monkeypatch, tmp_path: Path) -> None:
    import simulator.tui.app as tui_app

    def broken(path):
        raise RuntimeError("boom")

    monkeypatch.setattr(tui_app, "load_player", broken)
    target = tmp_path / "x.yaml"
    target.write_text("id: x\n", encoding="utf-8")
    app = make_app("play", target, load_in_background=True, exit_on_load_error=True)
    messages = exit_messages(app)
    await run_until_exit(app)
    assert app.return_code == 2
    assert messages == [f"{target}: could not be opened: RuntimeError('boom')"]


def test_play_of_a_folder_says_it_is_a_folder(tmp_path: Path, capsys) -> None:
    from simulator.cli import main

    assert main(["play", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"mailsim play: {tmp_path}: is a directory; name a scenario or lesson "
                                       "file (mailsim validate checks whole folders)\n")
