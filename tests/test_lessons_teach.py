"""Every bundled lesson teaches the same way (DESIGN: content is product): objectives, narration on
every step that cites the RFC section it rests on, at least two predict questions with their reasons,
a summary with RFC references, and an rfcs list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.content import lessons_dir
from simulator.scenario.loader import load_lesson

LESSONS = sorted(lessons_dir().glob("*.yaml"))
# a citation: "RFC 5321", "section 4.2", "sections 3.3 and 4.1", "§ 4.2", or a CVE
CITATION = re.compile(r"\bRFC\s?\d{3,4}\b|\b[Ss]ections? \d|§\s?\d|\bCVE-\d{4}-\d+")


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_the_lesson_says_what_it_teaches(path: Path) -> None:
    lesson, _ = load_lesson(path)
    assert lesson.objectives and all(o.strip() for o in lesson.objectives)
    assert lesson.intro.strip()


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_every_step_is_narrated_with_the_section_it_rests_on(path: Path) -> None:
    _, scenario = load_lesson(path)
    uncited = [step.id for step in scenario.steps if not CITATION.search(step.explain or "")]
    assert not uncited, f"steps whose explain cites no RFC section: {uncited}"


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_at_least_two_predict_questions_each_with_its_reason(path: Path) -> None:
    _, scenario = load_lesson(path)
    asks = [step for step in scenario.steps if step.ask is not None]
    assert len(asks) >= 2, f"{len(asks)} predict question(s); a lesson asks at least two"
    unexplained = [step.id for step in asks if not CITATION.search(step.ask.why or "")]
    assert not unexplained, f"questions whose why cites no RFC section: {unexplained}"


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_the_summary_cites_rfcs_and_the_rfcs_list_names_sections(path: Path) -> None:
    lesson, _ = load_lesson(path)
    assert re.search(r"\bRFC\s?\d{3,4}\b", lesson.summary), "the summary names the RFCs it sums up"
    assert lesson.rfcs and all(ref.section and ref.title for ref in lesson.rfcs)
