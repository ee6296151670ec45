"""Names of lessons and scenarios: bundled ones, then a teacher's folders, by file name or id."""

from __future__ import annotations

from pathlib import Path

from simulator import content


def test_resolve_finds_a_teachers_file_by_name_and_by_its_declared_id(tmp_path: Path) -> None:
    own = tmp_path / "mine"
    (own / "scenarios").mkdir(parents=True)
    scenario = own / "scenarios" / "hello.yaml"
    scenario.write_text("id: say-hello\ntitle: Hello\nsteps: []\n", encoding="utf-8")
    lesson = own / "hello-lesson.yaml"
    lesson.write_text("id: say-hello  # the same id as its scenario\nscenario: scenarios/hello.yaml\n",
                      encoding="utf-8")
    assert content.resolve("say-hello") == Path("say-hello")  # not added: not found
    content.add_folders([own])
    assert content.resolve("hello-lesson") == own.resolve() / "hello-lesson.yaml"
    assert content.resolve("say-hello") == own.resolve() / "hello-lesson.yaml"  # the lesson before its scenario
    assert content.resolve("smtp-basics") == content.lessons_dir() / "smtp-basics.yaml"  # bundled first
