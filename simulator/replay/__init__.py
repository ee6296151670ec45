"""The one reader of a trace.

Every face (the TUI, the exports, ``mailsim run``), the lesson player, the
sandbox and the what-if diff read a :class:`~simulator.trace.Trace` through
this package, and nothing else interprets one. It imports only
:mod:`simulator.trace` and the standard library.

* :mod:`~simulator.replay.kinds` -- one row per event kind: its wording, its
  marks on the diagram, its effect on the world (the one place to add a kind);
* :mod:`~simulator.replay.reader` -- :class:`Replay`, a trace read once into
  arrows, transcript, wire and the world at any step (folded from
  checkpoints), and :class:`Live` for events as they happen;
* :mod:`~simulator.replay.index` -- the step index (``step_of(seq)``) and each
  kind's events as (step, event) pairs;
* :mod:`~simulator.replay.world` -- the folded world state;
* :mod:`~simulator.replay.views` -- the view models every face draws;
* :mod:`~simulator.replay.diff` -- how two timelines differ, over data;
* :mod:`~simulator.replay.text` -- bytes to display lines.
"""

from simulator.replay.diff import DiffLine, TimelineDiff, diff
from simulator.replay.index import Index
from simulator.replay.kinds import DNS, KINDS, Kind, sniffed_text
from simulator.replay.reader import CHECKPOINT, Live, Replay
from simulator.replay.views import (
    Arrow,
    HostColumn,
    LastTransition,
    MachineView,
    MessageRow,
    StepView,
    TranscriptLine,
    WireChunk,
)
from simulator.replay.world import World

__all__ = [
    "CHECKPOINT", "DNS", "KINDS", "Arrow", "DiffLine", "HostColumn", "Index", "Kind", "LastTransition", "Live",
    "MachineView", "MessageRow", "Replay", "StepView", "TimelineDiff", "TranscriptLine", "WireChunk", "World",
    "diff", "sniffed_text",
]
