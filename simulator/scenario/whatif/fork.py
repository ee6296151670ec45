"""Forking: the modified scenario run from the start, as a :class:`Branch`.

Runs are deterministic, so everything before the fork is identical to the base
timeline and the diff shows what the fault changed. A fork runs the whole scenario
(twice for a fault that waits for a retry): the TUI calls it from a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.replay.diff import TimelineDiff, diff
from simulator.scenario import models as m
from simulator.scenario.runner import RunResult, run_scenario
from simulator.trace import Trace

from .catalogue import BY_ID, CATALOGUE, does_not_fit
from .reach import reach
from .records import FaultDoesNotFit, FaultOption, UnknownFault


@dataclass(frozen=True, slots=True)
class Branch:
    scenario: m.Scenario  # the modified copy
    result: RunResult  # its run from the start
    step_index: int  # where it forks, an index into the *base* scenario's steps
    fault: FaultOption

    @property
    def trace(self) -> Trace:
        return self.result.trace

    def diff_from(self, base: Trace) -> TimelineDiff:
        return diff(base, self.result.trace)


def fork(scenario: m.Scenario, step_index: int, fault_id: str) -> Branch:
    """Fork ``scenario`` before ``scenario.steps[step_index]`` with a fault from the catalogue."""
    spec = BY_ID.get(fault_id)
    if spec is None:
        known = ", ".join(s.id for s in CATALOGUE if s.available)
        raise UnknownFault(f"unknown fault {fault_id!r}; the catalogue has: {known}")
    if not spec.available:
        raise FaultDoesNotFit(f"fault {fault_id!r} needs {spec.needs}, which mailsim does not have yet")
    r = reach(scenario, step_index)
    option = spec.option(r)
    if option is None:
        raise FaultDoesNotFit(does_not_fit(fault_id, scenario, step_index))
    branched = spec.edit(r)
    return Branch(scenario=branched, result=run_scenario(branched), step_index=step_index, fault=option)
