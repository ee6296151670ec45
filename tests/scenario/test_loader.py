"""Scenario and lesson files: errors name file, line and column; never a traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from simulator.scenario.loader import ContentErrors, load_lesson, load_scenario, validate_paths

GOOD = textwrap.dedent(
    """\
    id: tiny
    title: Tiny
    steps:
      - id: connect
        action: connect
        from: alice-laptop
        to: mx.example.net
        port: 25
        expect: {reply: 220}
      - id: quit
        action: send
        line: QUIT
        expect: {reply: 221}
    """
)


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ContentErrors) as info:
        load_scenario(path)
    return [str(e) for e in info.value.errors]


def test_good_scenario_loads(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, GOOD))
    assert [s.id for s in scenario.steps] == ["connect", "quit"]


def test_unknown_key_points_at_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    port: 25\n", "    port: 25\n    colour: red\n"))
    assert errors_of(path) == [f"{path}:9:5: unknown key 'colour' in steps[0]"]


def test_wrong_type_points_at_the_value(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("port: 25", "port: twenty-five"))
    (err,) = errors_of(path)
    assert err.startswith(f"{path}:8:11: steps[0].port: ")
    assert "integer" in err


def test_missing_key_points_at_the_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    to: mx.example.net\n", "", 1))
    (err,) = errors_of(path)
    assert err == f"{path}:4:5: missing required key 'to' in steps[0]"


def test_unknown_action_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("action: connect", "action: teleport"))
    (err,) = errors_of(path)
    # at the action's value, with every action listed (from the models' discriminator)
    from simulator.scenario.runner import ACTIONS

    head = f"{path}:5:13: steps[0].action: unknown action 'teleport' (actions: "
    assert err.startswith(head) and err.endswith(")")
    assert sorted(err[len(head):-1].split(", ")) == sorted(ACTIONS)


def test_reference_to_unknown_host(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("from: alice-laptop", "from: carol-laptop"))
    (err,) = errors_of(path)
    assert err.startswith(f"{path}:6:11: unknown host 'carol-laptop'")


def test_send_without_connection(tmp_path: Path) -> None:
    text = GOOD.replace("action: connect", "action: send\n    line: NOOP", 1)
    text = text.replace("    from: alice-laptop\n    to: mx.example.net\n    port: 25\n", "")
    errors = errors_of(write(tmp_path, text))
    assert len(errors) == 2  # both sends, since nothing ever connects
    assert all("no connection 'main' is open here" in e for e in errors)


def test_unknown_user_in_expectation(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("expect: {reply: 221}", "expect: {mailbox: {user: carol@example.net, count: 0}}"))
    (err,) = errors_of(path)
    assert err.startswith(f"{path}:13:30:") and "unknown user 'carol@example.net'" in err


def test_yaml_syntax_error_has_position(tmp_path: Path) -> None:
    path = write(tmp_path, "id: x\ntitle: [unclosed\nsteps: []\n")
    (err,) = errors_of(path)
    assert err.startswith(f"{path}:3:") and "YAML syntax" in err


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("title: Tiny\n", "title: Tiny\ntitle: Again\n"))
    assert errors_of(path) == [f"{path}:3:1: duplicate key 'title'"]


def test_answer_must_be_a_choice(tmp_path: Path) -> None:
    ask = "    ask: {prompt: 'Which?', choices: ['220', '250'], answer: '221'}\n"
    path = write(tmp_path, GOOD.replace("    expect: {reply: 221}\n", "    expect: {reply: 221}\n" + ask))
    (err,) = errors_of(path)
    assert err.startswith(f"{path}:14:10:") and "'221' is not one of the choices" in err


def test_addresses_must_be_documentation_ranges(tmp_path: Path) -> None:
    world = "world:\n  hosts:\n    - {name: real, addresses: ['8.8.8.8']}\n"
    (err,) = errors_of(write(tmp_path, GOOD.replace("steps:\n", world + "steps:\n", 1)))
    assert ":5:31:" in err and "documentation range" in err


def test_duplicate_step_ids(tmp_path: Path) -> None:
    (err,) = errors_of(write(tmp_path, GOOD.replace("id: quit", "id: connect")))
    assert "step id 'connect' is used twice" in err


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    assert errors_of(write(tmp_path, "")) == [f"{tmp_path / 's.yaml'}:1:1: the file is empty"]
    assert "top level must be a mapping" in errors_of(write(tmp_path, "- a\n- b\n"))[0]


def test_lesson_with_missing_scenario(tmp_path: Path) -> None:
    lesson = write(tmp_path, """\
        id: l1
        title: L
        topic: SMTP
        level: beginner
        minutes: 5
        objectives: [x]
        intro: i
        summary: s
        scenario: nowhere.yaml
        """, "lesson.yaml")
    with pytest.raises(ContentErrors) as info:
        load_lesson(lesson)
    (err,) = info.value.errors
    assert str(err).startswith(f"{lesson}:9:11: scenario file not found")


def test_validate_paths_walks_folders(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "good.yaml")
    write(tmp_path, GOOD.replace("port: 25", "port: 0"), "bad.yaml")
    count, errors = validate_paths([tmp_path])
    assert count == 2
    assert len(errors) == 1 and errors[0].file.endswith("bad.yaml") and errors[0].line == 8


def test_cli_validate_exit_codes_and_no_traceback(tmp_path: Path) -> None:
    good = write(tmp_path, GOOD, "good.yaml")
    bad = write(tmp_path, GOOD.replace("port: 25", "port: [1, 2]"), "bad.yaml")
    ok = subprocess.run([sys.executable, "-m", "simulator.cli", "validate", str(good)],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    fail = subprocess.run([sys.executable, "-m", "simulator.cli", "validate", str(good), str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert fail.returncode == 1
    assert f"{bad}:8:" in fail.stderr and "Traceback" not in fail.stderr


def test_cli_schema_is_json_schema() -> None:
    import json

    out = subprocess.run([sys.executable, "-m", "simulator.cli", "schema"], capture_output=True,
                         text=True, timeout=60, check=True)
    schema = json.loads(out.stdout)
    assert schema["type"] == "object" and "steps" in schema["properties"]
    assert "from" in json.dumps(schema)  # aliases, as a teacher writes them


def test_a_folder_reports_a_lessons_broken_scenario_once(tmp_path: Path) -> None:
    scenario = write(tmp_path, GOOD.replace("to: mx.example.net", "to: mx.exmaple.net"), "scen.yaml")
    write(tmp_path, "id: l\ntitle: L\ntopic: SMTP\nlevel: beginner\nminutes: 1\nobjectives: [o]\n"
          "intro: i\nsummary: s\nscenario: scen.yaml\n", "lesson.yaml")
    count, errors = validate_paths([tmp_path])
    assert count == 2
    assert [str(e) for e in errors] == [f"{scenario}:7:9: unknown host 'mx.exmaple.net': did you mean 'mx.example.net'?"]
