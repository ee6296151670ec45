"""``mailsim new``: every template validates and runs, as shipped and as created; names and files
already there are refused with a clear message and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.authoring.scaffold import (
    TEMPLATES,
    ScaffoldError,
    check_name,
    create,
    modeline,
    templates,
)
from simulator.scenario.launch import load_run
from simulator.scenario.loader import load_lesson, validate_paths
from simulator.scenario.schema import build

MAILSIM = [sys.executable, "-m", "simulator.cli"]


def mailsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MAILSIM, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_the_listed_templates_are_the_folders() -> None:
    folders = {p.parent.name for p in (Path(templates()[0].folder).parent).glob("*/lesson.yaml")}
    assert folders == set(TEMPLATES) == {"blank", "smtp-send", "pop3-vs-imap", "tls", "spoofing"}


@pytest.mark.parametrize("name", TEMPLATES)
def test_each_template_as_shipped_is_a_whole_lesson_that_runs(name: str) -> None:
    t = next(t for t in templates() if t.name == name)
    count, errors = validate_paths([str(t.lesson), str(t.scenario)])
    assert (count, errors) == (2, [])
    lesson, scenario = load_lesson(t.lesson)
    # what the house asks of a lesson: objectives, predict questions, a summary, RFCs
    assert lesson.objectives and lesson.summary.strip() and lesson.rfcs
    assert sum(step.ask is not None for step in scenario.steps) >= 2
    assert all(step.explain.strip() or step.action == "send" for step in scenario.steps)
    run = load_run(str(t.lesson))
    assert run.result.failures == []


@pytest.mark.parametrize("name", TEMPLATES)
def test_each_template_as_created_validates_and_runs(name: str, tmp_path: Path) -> None:
    made = create("my-lesson", name, tmp_path / "class")
    assert made.lesson == tmp_path / "class" / "my-lesson.yaml"
    assert made.scenario == tmp_path / "class" / "my-lesson.scenario.yaml"
    lesson, scenario = load_lesson(made.lesson)
    assert lesson.id == scenario.id == "my-lesson"
    assert lesson.scenario == "my-lesson.scenario.yaml"
    for path, kind in ((made.lesson, "lesson"), (made.scenario, "scenario")):
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first == modeline(kind)
        schema = path.parent / first.split("=", 1)[1]  # what the editor opens, relative to the file
        assert json.loads(schema.read_text(encoding="utf-8")) == build(kind)
    assert validate_paths([str(tmp_path / "class")]) == (2, [])
    assert load_run(str(made.lesson)).result.failures == []


def test_mailsim_new_run_validate_and_the_picker_through_the_command(tmp_path: Path) -> None:
    done = mailsim("new", "greylisting", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Created from the blank template" in done.stdout
    assert "mailsim run greylisting.yaml" in done.stdout  # the next command, as the teacher types it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["greylisting.scenario.yaml", "greylisting.yaml", "schema"]
    run = mailsim("run", "greylisting.yaml", cwd=tmp_path)
    assert run.returncode == 0 and "every expectation met" in run.stdout, run.stderr
    valid = mailsim("validate", ".", cwd=tmp_path)
    assert valid.returncode == 0 and valid.stdout == "2 files valid\n", valid.stderr
    listed = mailsim("--lessons", ".", "lessons", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert any(" greylisting " in line and str(tmp_path / "greylisting.yaml") in line
               for line in listed.stdout.splitlines())


def test_new_with_a_template_and_a_folder(tmp_path: Path) -> None:
    done = mailsim("new", "starttls-demo", "--from", "tls", "--dir", "class/week3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lesson = tmp_path / "class" / "week3" / "starttls-demo.yaml"
    assert "Created from the tls template" in done.stdout and "class/week3/starttls-demo.yaml" in done.stdout
    run = mailsim("run", "-q", str(lesson), cwd=tmp_path)
    assert run.returncode == 0 and run.stdout == "OK: 5 steps, every expectation met\n", run.stderr


def test_list_names_every_template_with_its_title(tmp_path: Path) -> None:
    done = mailsim("new", "--list", cwd=tmp_path)
    assert done.returncode == 0
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert names == list(TEMPLATES)
    assert "STARTTLS: the session turns into TLS" in done.stdout
    assert list(tmp_path.iterdir()) == []  # listing writes nothing


def test_existing_files_are_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text("my own work\n", encoding="utf-8")
    done = mailsim("new", "demo", cwd=tmp_path)
    assert done.returncode == 2
    assert "demo.yaml already exists; mailsim new never overwrites a file" in done.stderr
    assert (tmp_path / "demo.yaml").read_text(encoding="utf-8") == "my own work\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.yaml"]  # nothing else written either


def test_a_second_lesson_refreshes_the_schemas_but_a_foreign_file_there_is_refused(tmp_path: Path) -> None:
    create("first", "blank", tmp_path)
    stale = tmp_path / "schema" / "scenario.schema.json"
    stale.write_text(json.dumps({"title": "mailsim scenario", "old": True}), encoding="utf-8")
    create("second", "spoofing", tmp_path)
    assert json.loads(stale.read_text(encoding="utf-8")) == build("scenario")
    stale.write_text("{}", encoding="utf-8")  # not ours: left alone
    with pytest.raises(ScaffoldError, match="scenario.schema.json already exists"):
        create("third", "blank", tmp_path)
    assert not (tmp_path / "third.yaml").exists()


@pytest.mark.parametrize(("name", "message"), [
    ("Greylisting", "use lowercase letters, digits and hyphens, starting with a letter or digit; "
                    "for example 'greylisting'"),
    ("my lesson", "for example 'my-lesson'"),
    ("-x", "cannot be a lesson's name"),
    ("demo.yaml", "give the name without .yaml: mailsim new demo makes demo.yaml and demo.scenario.yaml"),
    ("smtp-basics", "'smtp-basics' is the id of a bundled lesson or scenario"),
])
def test_bad_names_say_what_is_wrong(name: str, message: str) -> None:
    with pytest.raises(ScaffoldError) as caught:
        check_name(name)
    assert message in str(caught.value)


def test_bad_name_and_unknown_template_exit_2(tmp_path: Path) -> None:
    done = mailsim("new", "My Lesson", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("mailsim new: 'My Lesson' cannot be a lesson's name")
    done = mailsim("new", "x", "--from", "imap", cwd=tmp_path)
    assert done.returncode == 2
    assert "no template 'imap'; the templates are: blank, smtp-send, pop3-vs-imap, tls, spoofing" in done.stderr
    done = mailsim("new", "x", "--from", "tsl", cwd=tmp_path)
    assert done.returncode == 2
    assert "no template 'tsl' (did you mean 'tls'?); the templates are: blank, smtp-send" in done.stderr
    done = mailsim("new", cwd=tmp_path)
    assert done.returncode == 2 and "give a NAME" in done.stderr
    assert list(tmp_path.iterdir()) == []
