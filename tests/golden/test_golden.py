"""Golden transcripts: the ``mailsim run -v`` output of every bundled scenario and lesson.

Each run is compared with ``tests/golden/{scenarios,lessons}/<name>.txt`` on every test
run, so any change to what a student sees (a reply, a wording, an arrow) shows up as a diff.
When you change output on purpose, regenerate, READ the diff, and commit it with the change:

    MAILSIM_REGEN=1 python -m pytest -q tests/golden
    git diff tests/golden
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
from pathlib import Path

import pytest

from simulator import content
from simulator.cli import main

HERE = Path(__file__).parent
REGEN = os.environ.get("MAILSIM_REGEN") == "1"
KINDS = ("scenarios", "lessons")


def bundled() -> list[tuple[str, Path]]:
    return [(kind, p) for kind in KINDS for p in sorted(content.content_dir(kind).glob("*.yaml"))]


def transcript(path: Path) -> tuple[int, str]:
    """What ``mailsim run -v PATH`` prints on standard output, and its exit status."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["run", "-v", str(path)])
    return code, out.getvalue()


@pytest.mark.parametrize(("kind", "path"), bundled(), ids=lambda v: v.stem if isinstance(v, Path) else v)
def test_transcript_matches_its_golden_file(kind: str, path: Path) -> None:
    code, text = transcript(path)
    assert code == 0, f"mailsim run -v {path} failed"
    golden = HERE / kind / f"{path.stem}.txt"
    if REGEN:
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(text.encode("utf-8"))  # bytes: compared exactly, line ends included
        return
    assert golden.is_file(), f"no golden transcript {golden}; make it with MAILSIM_REGEN=1 python -m pytest tests/golden"
    want = golden.read_bytes().decode("utf-8")
    if text != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True),
                                            str(golden), f"mailsim run -v {path.name}", n=2))
        pytest.fail(f"the transcript changed; if on purpose, regenerate (MAILSIM_REGEN=1 python -m pytest "
                    f"tests/golden), read the diff and commit it:\n{diff}", pytrace=False)


def test_every_golden_file_belongs_to_a_bundled_file() -> None:
    have = {(kind, p.stem) for kind in KINDS for p in (HERE / kind).glob("*.txt")}
    want = {(kind, p.stem) for kind, p in bundled()}
    if REGEN:
        for kind, stem in have - want:
            (HERE / kind / f"{stem}.txt").unlink()
        return
    assert have == want


def test_a_changed_transcript_is_caught(tmp_path: Path) -> None:
    """The comparison can fail: one reply changed in a copy of a scenario gives a different transcript."""
    source = content.scenarios_dir() / "smtp-basics.yaml"
    copy = tmp_path / "smtp-basics.yaml"
    copy.write_text(source.read_text(encoding="utf-8").replace("EHLO alice-laptop.example.org",
                                                               "EHLO laptop.example.org", 1), encoding="utf-8")
    golden = (HERE / "scenarios" / "smtp-basics.txt").read_bytes().decode("utf-8")
    code, text = transcript(copy)
    assert code == 0 and text != golden
    assert "C: EHLO laptop.example.org" in text and "C: EHLO laptop.example.org" not in golden
