"""The one reader of a trace.

Every face (the TUI, the exports, ``mailsim run``), the lesson player, the
sandbox and the what-if diff read a :class:`~simulator.trace.Trace` through
this package and nothing else interprets one. It imports only
:mod:`simulator.trace` and the standard library.

* :mod:`~simulator.replay.index` -- the step index (``step_of(seq)``) and each
  kind's events as (step, event) pairs;
* :mod:`~simulator.replay.diff` -- how two timelines differ, over data;
* :mod:`~simulator.replay.text` -- bytes to display lines.
"""

from simulator.replay.diff import DiffLine, TimelineDiff, diff
from simulator.replay.index import Index

__all__ = ["DiffLine", "Index", "TimelineDiff", "diff"]
