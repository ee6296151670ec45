"""Editing a scenario for a branch: steps inserted before the fork, expectations dropped."""

from __future__ import annotations

from functools import cache
from typing import Any

from simulator.scenario import models as m

WHAT_IF_PREFIX = "what-if"  # the id of every step a branch inserts starts with it


@cache
def _step_adapter() -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(m.Step)


def unique_id(scenario: m.Scenario, wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``…: an id no step of ``scenario`` has (nor ``taken``)."""
    ids = {s.id for s in scenario.steps} | taken
    candidate, n = wanted, 2
    while candidate in ids:
        candidate, n = f"{wanted}-{n}", n + 1
    taken.add(candidate)
    return candidate


def make_step(scenario: m.Scenario, item: dict, taken: set[str]) -> m.StepBase:
    """A step from a YAML-like dict, its id made unique in ``scenario``."""
    return _step_adapter().validate_python({**item, "id": unique_id(scenario, item["id"], taken)})


def edit_scenario(scenario: m.Scenario, step_index: int, before: list[dict],
                  after: dict[str, list[dict]] | None = None) -> m.Scenario:
    """A copy with steps inserted before ``step_index`` (and after named steps).

    Inserted steps are given as YAML-like dicts; their ids are made unique. The
    steps at and after the fork lose their ``expect`` (they would fail: the
    diff says what changed instead) and their ``ask`` (the answers were written
    for the base timeline).
    """
    taken: set[str] = set()
    after = after or {}
    steps: list[m.StepBase] = []
    for n, step in enumerate(scenario.steps):
        if n == step_index:
            steps += [make_step(scenario, item, taken) for item in before]
        if n >= step_index:
            step = step.model_copy(update={"expect": None, "ask": None})
        steps.append(step)
        steps += [make_step(scenario, item, taken) for item in after.get(step.id, [])]
    return scenario.model_copy(update={"steps": steps})


def insert_after(scenario: m.Scenario, index: int, item: dict) -> m.Scenario:
    """A copy with one step inserted after ``scenario.steps[index]``."""
    steps = list(scenario.steps)
    steps.insert(index + 1, make_step(scenario, item, set()))
    return scenario.model_copy(update={"steps": steps})
