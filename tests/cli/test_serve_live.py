"""``mailsim serve --live`` from the command line: options, and the session saved when it ends."""

from __future__ import annotations

from pathlib import Path

import yaml

from simulator.cli import main
from simulator.scenario.loader import validate_paths


def test_save_needs_live(capsys) -> None:
    assert main(["serve", "--save", "x.yaml"]) == 2
    assert "--save saves a live session; add --live" in capsys.readouterr().err


def test_the_session_is_saved_when_the_app_ends(monkeypatch, tmp_path: Path, capsys) -> None:
    import simulator.tui.launch

    seen = {}

    def fake_run_live(source, *, save_to, present):  # the app ran, nobody connected, the teacher quit
        seen.update(source=source, save_to=save_to, present=present)
        return 0

    monkeypatch.setattr(simulator.tui.launch, "run_live", fake_run_live)
    saved = tmp_path / "demo.yaml"
    assert main(["serve", "--live", "--save", str(saved), "--smtp-port", "0", "--present"]) == 0
    out = capsys.readouterr().out
    assert f"saved the live session as a scenario of 1 step: {saved}" in out and "Mailboxes:" in out
    assert seen["save_to"] == saved and seen["present"] is True
    assert seen["source"].bridge.requested["smtp"] == 0  # serve's options reach the bridge
    scenario = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert scenario["id"] == "demo" and [s["action"] for s in scenario["steps"]] == ["note"]
    assert scenario["world"]["tls"] == {"starttls": True}
    assert validate_paths([str(saved)]) == (1, [])


def test_a_world_of_a_scenario_is_saved_with_it(monkeypatch, tmp_path: Path) -> None:
    import simulator.tui.launch

    monkeypatch.setattr(simulator.tui.launch, "run_live", lambda source, **_: 0)
    saved = tmp_path / "w.yaml"
    assert main(["serve", "--live", "--world", "dmarc-spoofing", "--save", str(saved)]) == 0
    world = yaml.safe_load(saved.read_text(encoding="utf-8"))["world"]
    assert world["submission"]["auth"] is True and any(h["name"] == "real-client" for h in world["hosts"])
    assert validate_paths([str(saved)]) == (1, [])


def test_an_app_that_gave_up_saves_nothing(monkeypatch, tmp_path: Path) -> None:
    import simulator.tui.launch

    monkeypatch.setattr(simulator.tui.launch, "run_live", lambda source, **_: 2)
    saved = tmp_path / "never.yaml"
    assert main(["serve", "--live", "--save", str(saved)]) == 2
    assert not saved.exists()
