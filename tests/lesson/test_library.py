"""A teacher's own folders in the library: a group of their own, lessons first, clashes located."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from simulator import content
from simulator.lesson.library import load_library

SCENARIO = textwrap.dedent("""\
    id: greeting
    title: The greeting
    steps:
      - {id: connect, action: connect, from: alice-laptop, to: mx.example.net, port: 25, expect: {reply: 220}}
    """)
LESSON = textwrap.dedent("""\
    id: my-greeting
    title: "My lesson: the greeting"
    topic: SMTP
    level: beginner
    minutes: 3
    objectives: [Read a 220 greeting]
    intro: A first look.
    summary: The server speaks first.
    scenario: greeting.yaml
    """)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    own = tmp_path / "class-7b"
    (own / "extra").mkdir(parents=True)
    (own / "greeting.yaml").write_text(SCENARIO, encoding="utf-8")
    (own / "greeting-lesson.yaml").write_text(LESSON, encoding="utf-8")
    (own / "extra" / "helo.yaml").write_text(SCENARIO.replace("id: greeting", "id: helo-only")
                                             .replace("title: The greeting", "title: HELO"), encoding="utf-8")
    return own


def test_a_teachers_folder_is_a_group_of_its_own_before_the_bundled_lessons(folder: Path) -> None:
    library = load_library(folders=[folder], sandboxes=[])
    topics = library.topics()
    assert next(iter(topics)) == "class-7b"
    # the lesson (its scenario is not listed again), then the other scenarios, subfolders included
    assert [(e.kind, e.key) for e in topics["class-7b"]] == [("lesson", "my-greeting"), ("scenario", "helo-only")]
    assert topics["class-7b"][0].topic == "SMTP"  # the lesson keeps its topic for the details
    assert "smtp-basics" in [e.key for e in topics["1. Sending mail: SMTP"]]
    assert library.errors == []


def test_an_id_the_bundled_lessons_use_is_a_located_error(folder: Path) -> None:
    (folder / "greeting-lesson.yaml").write_text(LESSON.replace("id: my-greeting", "id: smtp-basics"),
                                                 encoding="utf-8")
    library = load_library(folders=[folder], sandboxes=[])
    assert [e.key for e in library.topics()["class-7b"]] == ["helo-only", "greeting"]
    (err,) = library.errors
    assert str(err) == (f"{folder / 'greeting-lesson.yaml'}:1:5: lesson id 'smtp-basics' is already used by "
                        f"{content.lessons_dir() / 'smtp-basics.yaml'}; give this one an id of its own")


def test_a_broken_file_and_a_missing_folder_are_reported(folder: Path, tmp_path: Path) -> None:
    (folder / "broken.yaml").write_text("id: b\ntitle: B\nsteps:\n  - {id: c, action: sned}\n", encoding="utf-8")
    library = load_library(folders=[folder, tmp_path / "nowhere"], sandboxes=[])
    assert [str(e) for e in library.errors] == [
        f"{folder / 'broken.yaml'}:4:21: steps[0].action: unknown action 'sned': did you mean 'send'? "
        f"(actions: {', '.join(_actions())})",
        f"{tmp_path / 'nowhere'}: no such folder of lessons (given with --lessons or MAILSIM_LESSONS)",
    ]


def _actions() -> list[str]:
    import typing

    from simulator.scenario.models import Step

    return [tag for step in typing.get_args(typing.get_args(Step)[0])
            for tag in typing.get_args(step.model_fields["action"].annotation)]


def test_the_environment_variable_names_folders(folder: Path, tmp_path: Path, monkeypatch) -> None:
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv(content.ENV_FOLDERS, os.pathsep.join([str(folder), str(other), str(folder)]))
    assert content.teacher_folders() == [folder.resolve(), other.resolve()]  # each once
    content.add_folders([other])
    assert content.teacher_folders() == [other.resolve(), folder.resolve()]  # --lessons ones first
    content.add_folders([content.lessons_dir()])  # the bundled folder is never a teacher's
    assert content.lessons_dir().resolve() not in content.teacher_folders()
