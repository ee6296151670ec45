"""The learning path: every bundled lesson on it, in teaching order, the attacks a part of their own."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from simulator.content import lessons_dir, scenarios_dir
from simulator.lesson.catalog import PATH, load_catalog, part_of
from simulator.lesson.library import load_library


def test_every_bundled_lesson_is_on_the_path() -> None:
    catalog = load_catalog()
    assert catalog.errors == []
    off = [(e.lesson.id, e.lesson.topic) for e in catalog.entries if part_of(e.lesson) is None]
    assert off == [], "give these lessons a topic the path knows, or name them on a part of catalog.PATH"


def test_the_picker_lists_the_parts_in_the_issues_teaching_order() -> None:
    library = load_library(folders=[], sandboxes=[])
    headings = [h for h in library.topics() if h[0].isdigit()]
    numbers = [int(h.split(".")[0]) for h in headings]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert headings == [p.heading for p in PATH if p.heading in headings]
    # the path starts with sending mail and ends with the attacks
    assert headings[0] == "1. Sending mail: SMTP" and headings[-1] == PATH[-1].heading == "9. Attacks and defences"
    # sending, relaying, then errors and bounces
    assert [e.key for e in library.topics()[headings[0]]][:3] == ["smtp-basics", "smtp-relay-mx", "smtp-errors"]


def test_a_lesson_named_on_the_attack_part_is_there_whatever_its_topic() -> None:
    catalog = load_catalog()
    stripping = catalog.find("starttls-stripping")
    assert stripping is not None and stripping.lesson.topic == "TLS"
    assert part_of(stripping.lesson) is PATH[-1]
    attacks = catalog.by_part()[PATH[-1].heading]
    named = [e.lesson.id for e in attacks if e.lesson.id in PATH[-1].lessons]
    assert named == [i for i in PATH[-1].lessons if i in named]  # in the order the part names them


def test_the_next_lesson_follows_the_path_across_parts() -> None:
    catalog = load_catalog()
    ids = [e.lesson.id for e in catalog.entries]
    after = catalog.after("smtp-errors")
    assert after is not None and after.lesson.id == ids[ids.index("smtp-errors") + 1]
    assert catalog.after(ids[-1]) is None
    assert catalog.after("no-such-lesson") is None


def test_an_unknown_topic_is_listed_after_the_path_under_its_own_heading(tmp_path: Path) -> None:
    folder = tmp_path / "lessons"
    folder.mkdir()
    shutil.copy(lessons_dir() / "smtp-basics.yaml", folder / "smtp-basics.yaml")
    shutil.copy(scenarios_dir() / "smtp-basics.yaml", tmp_path / "smtp-basics.yaml")
    (folder / "smtp-basics.yaml").write_text(
        (folder / "smtp-basics.yaml").read_text(encoding="utf-8").replace("../scenarios/", "../"), encoding="utf-8")
    (folder / "own.yaml").write_text(textwrap.dedent("""\
        id: own-topic
        title: Our school's mail server
        topic: Our school
        level: beginner
        minutes: 5
        objectives: [Meet the school's server]
        intro: A lesson of our own.
        summary: That was it.
        scenario: ../smtp-basics.yaml
        """), encoding="utf-8")
    catalog = load_catalog(folder)
    assert catalog.errors == []
    assert list(catalog.by_part()) == ["1. Sending mail: SMTP", "Our school"]


def test_typing_a_parts_name_in_the_picker_finds_its_lessons_whatever_their_topic() -> None:
    library = load_library(folders=[], sandboxes=[])
    found = [e.key for e in library.entries if e.matches("attacks")]
    assert "starttls-stripping" in found and "smtp-smuggling" in found
    assert "smtp-basics" not in found
