"""The picker's rows kept between runs: used only while every file read for them, the folders'
listings and the code are unchanged; content with errors is never kept."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from simulator import content
from simulator.lesson import entry_cache
from simulator.lesson.library import load_library
from simulator.scenario import loader

SCENARIO = textwrap.dedent("""\
    id: greeting
    title: The greeting
    steps:
      - {id: connect, action: connect, from: alice-laptop, to: mx.example.net, port: 25, expect: {reply: 220}}
      - {id: ehlo, action: send, line: EHLO alice-laptop, ask: {prompt: "Which code?", choices: ["250", "550"], answer: "250"}}
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
    scenario: ../scenarios/greeting.yaml
    """)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    lessons, scenarios = tmp_path / "lessons", tmp_path / "scenarios"
    lessons.mkdir()
    scenarios.mkdir()
    (scenarios / "greeting.yaml").write_text(SCENARIO, encoding="utf-8")
    (lessons / "greeting.yaml").write_text(LESSON, encoding="utf-8")
    return lessons, scenarios


class Counter:
    """Counts the files the loader parses (it still parses them)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: list[str] = []
        real = loader.parse_yaml

        def counting(text: str, file: str, **kw):  # type: ignore[no-untyped-def]
            self.files.append(Path(file).name)
            return real(text, file, **kw)

        monkeypatch.setattr(loader, "parse_yaml", counting)


def picker(folders: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    return load_library(*folders, folders=[])


def test_a_second_start_takes_the_rows_from_the_cache(folders, monkeypatch) -> None:
    parsed = Counter(monkeypatch)
    first = picker(folders)
    assert sorted(parsed.files) == ["greeting.yaml", "greeting.yaml"]  # the lesson and its scenario
    lesson = next(e for e in first.entries if e.kind == "lesson")
    assert (lesson.key, lesson.steps, lesson.questions, lesson.objectives) == (
        "my-greeting", 2, 1, ("Read a 220 greeting",))
    parsed.files.clear()
    again = picker(folders)
    assert parsed.files == []
    assert again.entries == first.entries and not again.errors


def test_the_bundled_lessons_from_the_cache_are_the_ones_loaded(monkeypatch) -> None:
    parsed = Counter(monkeypatch)
    first = load_library(folders=[])
    assert not first.errors and len(parsed.files) >= len(list(content.lessons_dir().glob("*.yaml")))
    parsed.files.clear()
    assert load_library(folders=[]).entries == first.entries
    assert parsed.files == []


@pytest.mark.parametrize("change", ["lesson", "scenario"])
def test_a_changed_byte_is_checked_again_even_with_the_same_size_and_time(folders, monkeypatch, change) -> None:
    picker(folders)
    lessons, scenarios = folders
    path = lessons / "greeting.yaml" if change == "lesson" else scenarios / "greeting.yaml"
    st = path.stat()
    text = path.read_text(encoding="utf-8")
    edited = text.replace("My lesson", "My lessen") if change == "lesson" else text.replace("EHLO", "HELO")
    assert len(edited) == len(text)
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    parsed = Counter(monkeypatch)
    lesson = next(e for e in picker(folders).entries if e.kind == "lesson")
    assert parsed.files  # loaded and checked again
    if change == "lesson":
        assert lesson.title == "My lessen: the greeting"


def test_a_file_added_to_a_folder_is_seen(folders) -> None:
    picker(folders)
    (folders[1] / "helo.yaml").write_text(SCENARIO.replace("id: greeting", "id: helo"), encoding="utf-8")
    keys = [e.key for e in picker(folders).entries if e.kind == "scenario"]
    assert keys == ["helo"]


def test_an_error_is_reported_at_every_start_and_never_kept(folders) -> None:
    (folders[1] / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    for _ in range(2):
        errors = [str(e) for e in picker(folders).errors]
        assert len(errors) == 1 and errors[0].startswith(f"{folders[1] / 'broken.yaml'}:")
    assert not list(entry_cache.cache_dir().glob("picker-*.json"))


def test_other_code_makes_the_cache_stale(folders, monkeypatch) -> None:
    picker(folders)
    monkeypatch.setattr(entry_cache, "_stamp", "other code")
    parsed = Counter(monkeypatch)
    picker(folders)
    assert parsed.files


def test_a_cache_file_of_another_shape_or_broken_is_ignored(folders, monkeypatch) -> None:
    first = picker(folders)
    (kept,) = entry_cache.cache_dir().glob("picker-*.json")
    stored = json.loads(kept.read_text(encoding="utf-8"))
    stored["rows"][0]["colour"] = "red"  # a row this code does not know
    kept.write_text(json.dumps(stored), encoding="utf-8")
    assert picker(folders).entries == first.entries
    kept.write_text("{not json", encoding="utf-8")
    assert picker(folders).entries == first.entries


def test_a_cache_folder_that_cannot_be_written_is_ignored(folders, monkeypatch, tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(entry_cache.ENV_CACHE_DIR, str(blocker / "cache"))
    assert [e.key for e in picker(folders).entries if e.kind == "lesson"] == ["my-greeting"]
    assert [e.key for e in picker(folders).entries if e.kind == "lesson"] == ["my-greeting"]


def test_a_file_that_changes_while_it_is_loaded_is_not_kept(folders, monkeypatch) -> None:
    real = loader.read_text

    def editing(path):  # type: ignore[no-untyped-def]
        text = real(path)
        Path(path).write_text(text + "# edited meanwhile\n", encoding="utf-8")
        return text

    monkeypatch.setattr(loader, "read_text", editing)
    picker(folders)
    assert not list(entry_cache.cache_dir().glob("picker-*.json"))
