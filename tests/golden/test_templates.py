"""Golden transcripts of the ``mailsim new`` templates (``tests/golden/templates/<name>.txt``), so a
change to what a teacher's fresh lesson shows is seen as a diff. Regenerate as for the bundled ones:

    MAILSIM_REGEN=1 python -m pytest -q tests/golden
"""

from __future__ import annotations

import contextlib
import difflib
import io
from pathlib import Path

import pytest

from simulator.authoring.scaffold import TEMPLATES, templates
from simulator.cli import main

HERE = Path(__file__).parent / "templates"
REGEN = __import__("os").environ.get("MAILSIM_REGEN") == "1"


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_transcript_matches_its_golden_file(name: str) -> None:
    lesson = next(t.lesson for t in templates() if t.name == name)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["run", "-v", str(lesson)]) == 0
    golden = HERE / f"{name}.txt"
    if REGEN:
        HERE.mkdir(exist_ok=True)
        golden.write_bytes(out.getvalue().encode("utf-8"))
        return
    want = golden.read_bytes().decode("utf-8")
    if out.getvalue() != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), out.getvalue().splitlines(True),
                                            str(golden), name, n=2))
        pytest.fail(f"the template's transcript changed; regenerate (MAILSIM_REGEN=1), read and commit:\n{diff}",
                    pytrace=False)


def test_every_template_golden_belongs_to_a_template() -> None:
    assert sorted(p.stem for p in HERE.glob("*.txt")) == sorted(TEMPLATES)
