"""Every bundled scenario and lesson loads, runs with every expectation met, and explains itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.content import lessons_dir, scenarios_dir
from simulator.scenario.loader import load_lesson, load_scenario
from simulator.scenario.runner import run_scenario

SCENARIOS = sorted(scenarios_dir().glob("*.yaml"))
LESSONS = sorted(lessons_dir().glob("*.yaml"))


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_content_is_found() -> None:
    assert SCENARIOS, f"no scenarios in {scenarios_dir()}"
    assert LESSONS, f"no lessons in {lessons_dir()}"


@pytest.mark.parametrize("path", SCENARIOS, ids=_ids(SCENARIOS))
def test_scenario_runs_with_every_expectation_met(path: Path) -> None:
    scenario = load_scenario(path)
    result = run_scenario(scenario)
    assert result.ok, "\n".join(str(f) for f in result.failures)


@pytest.mark.parametrize("path", SCENARIOS, ids=_ids(SCENARIOS))
def test_every_step_is_explained(path: Path) -> None:
    scenario = load_scenario(path)
    unexplained = [step.id for step in scenario.steps if not step.explain.strip()]
    assert not unexplained, f"steps without explain: {unexplained}"


@pytest.mark.parametrize("path", SCENARIOS, ids=_ids(SCENARIOS))
def test_scenario_id_matches_file_name(path: Path) -> None:
    assert load_scenario(path).id == path.stem


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_lesson_scenario_exists_and_runs(path: Path) -> None:
    lesson, scenario = load_lesson(path)
    assert (path.parent / lesson.scenario).is_file()
    result = run_scenario(scenario)
    assert result.ok, "\n".join(str(f) for f in result.failures)


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_lesson_cites_rfcs(path: Path) -> None:
    lesson, _ = load_lesson(path)
    assert lesson.rfcs, "a lesson lists the RFC sections it teaches"
    assert all(ref.section and ref.title for ref in lesson.rfcs)


def test_lesson_ids_and_orders_are_unique() -> None:
    lessons = [load_lesson(p)[0] for p in LESSONS]
    ids = [lesson.id for lesson in lessons]
    assert len(ids) == len(set(ids)), ids
    orders = [(lesson.topic, lesson.order) for lesson in lessons]
    assert len(orders) == len(set(orders)), orders
