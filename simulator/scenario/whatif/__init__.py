"""What-if branches: fork a scenario at a step with a fault injected, and diff the timelines.

A branch is an ordinary scenario: the fault becomes a ``fault`` or ``host_down``
step inserted before the step the student forks at, and the modified copy runs
from the start. Three calls make the whole API (the TUI codes against them):

* :func:`fault_options` -- the faults that fit a step, as :class:`FaultOption`
  (and :func:`nothing_fits`, why none does);
* :func:`fork` -- a :class:`Branch`: the modified scenario and its run;
* :func:`diff` -- a :class:`TimelineDiff` of two traces, with a ``summary()``
  (it lives in :mod:`simulator.replay.diff`, the one reader of traces).

The package, one concern a module:

* :mod:`.records` -- the menu entry and the errors;
* :mod:`.reach` -- the cached base run, and which events a fault before a step can touch;
* :mod:`.edit` -- inserting steps into a copy of the scenario;
* :mod:`.catalogue` -- the faults, one :class:`FaultSpec` row each, and which fit a step;
* :mod:`.prose` -- the words: what a fault does, what follows, why none fits;
* :mod:`.fork` -- running the branch.

``step_index`` always indexes ``scenario.steps``. ``Trace.steps()`` may start
with a "setup" step for the events the world recorded while it was built, so
its indexes can be one higher: :func:`trace_step_index` converts.
"""

from __future__ import annotations

from simulator.replay.diff import DiffLine, TimelineDiff, diff

from .catalogue import CATALOGUE, FaultSpec, fault_options, nothing_fits
from .edit import WHAT_IF_PREFIX, edit_scenario
from .fork import Branch, fork
from .reach import Reach, base_run, reach, scenario_step_index, trace_step_index
from .records import BranchError, FaultDoesNotFit, FaultOption, UnknownFault

__all__ = [
    "CATALOGUE", "WHAT_IF_PREFIX", "Branch", "BranchError", "DiffLine", "FaultDoesNotFit",
    "FaultOption", "FaultSpec", "Reach", "TimelineDiff", "UnknownFault", "base_run", "diff",
    "edit_scenario", "fault_options", "fork", "nothing_fits", "reach", "scenario_step_index",
    "trace_step_index",
]
