"""The tutorial of docs/authoring.md: its YAML blocks are the files in docs/tutorial/, in order and
in full, and following it (mailsim new, then those files) gives a lesson that validates and runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.scenario.loader import load_lesson

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "authoring.md"
TUTORIAL = ROOT / "docs" / "tutorial"
FILES = ["docs/tutorial/greylisting.scenario.yaml", "docs/tutorial/greylisting.yaml"]
BLOCK = re.compile(r"<!-- tutorial: (?P<file>\S+) -->\n```yaml\n(?P<body>.*?)```\n", re.DOTALL)


def mailsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simulator.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def _pieces() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for block in BLOCK.finditer(GUIDE.read_text(encoding="utf-8")):
        out.setdefault(block.group("file"), []).append(block.group("body"))
    return out


@pytest.mark.parametrize("file", FILES)
def test_the_guides_yaml_blocks_are_the_tutorial_file(file: str) -> None:
    pieces = _pieces()
    assert sorted(pieces) == sorted(FILES)
    assert "".join(pieces[file]) == (ROOT / file).read_text(encoding="utf-8")


def test_the_tutorial_lesson_has_a_fault_narration_and_questions() -> None:
    lesson, scenario = load_lesson(TUTORIAL / "greylisting.yaml")
    assert [s.action for s in scenario.steps].count("fault") == 1
    assert all(s.explain.strip() for s in scenario.steps)
    assert sum(s.ask is not None for s in scenario.steps) >= 2
    assert lesson.objectives and lesson.rfcs


def test_the_tutorial_runs_as_the_guide_says(tmp_path: Path) -> None:
    made = mailsim("new", "greylisting", "--dir", "my-lessons", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    first = mailsim("run", "my-lessons/greylisting.yaml", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    verdict = first.stdout.strip().splitlines()[-1]
    assert f"`{verdict}`" in GUIDE.read_text(encoding="utf-8")  # what step 1 says it prints
    for file in FILES:  # the teacher replaces both files with the tutorial's
        shutil.copy(ROOT / file, tmp_path / "my-lessons" / Path(file).name)
    valid = mailsim("validate", "my-lessons", cwd=tmp_path)
    assert valid.returncode == 0 and valid.stdout == "2 files valid\n", valid.stderr
    run = mailsim("run", "my-lessons/greylisting.yaml", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "451 4.7.1 Greylisted, please try again later" in run.stdout
    assert run.stdout.strip().endswith("OK: 4 steps, every expectation met")
    by_name = mailsim("--lessons", "my-lessons", "run", "-q", "greylisting", cwd=tmp_path)
    assert by_name.returncode == 0, by_name.stderr


def test_the_tutorial_files_run_where_they_are() -> None:
    done = mailsim("run", "-q", "docs/tutorial/greylisting.yaml", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    # their $schema lines resolve in the repository too (docs/tutorial/schema is the shipped schema/)
    for file in FILES:
        line = (ROOT / file).read_text(encoding="utf-8").split("\n", 1)[0]
        assert (ROOT / file).parent.joinpath(line.split("=", 1)[1]).is_file()
