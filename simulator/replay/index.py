"""The step index of a trace, and its events by kind as (step, event) pairs.

A :class:`Index` is built in one pass over the trace. ``step_of(seq)`` says
which step an event belongs to; ``of(Kind)`` lists a kind's events with their
steps, in trace order, so a view that shows "everything up to step *i*" is a
bisection (:meth:`Index.upto`), never a re-scan.
"""

from __future__ import annotations

import bisect
from typing import TypeVar

from simulator.trace import ConnectionOpened, Event, Step, Trace

E = TypeVar("E", bound=Event)

EMPTY_STEP = Step(0, "empty", "Nothing happened", "", 0, 0)


class Index:
    """Steps, the step of every event, and each kind's events as (step, event) pairs."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.steps: list[Step] = trace.steps() or [EMPTY_STEP]
        self._starts = [s.start for s in self.steps]
        self._by_kind: dict[type[Event], list[tuple[int, Event]]] = {}
        self._step_by_pos: list[int] = []
        for n, step in enumerate(self.steps):
            for event in trace.events[step.start : step.end]:
                self._by_kind.setdefault(type(event), []).append((n, event))
            self._step_by_pos += [n] * (step.end - step.start)
        self._seqs = [e.seq for e in trace.events]
        self.conns: dict[str, ConnectionOpened] = {
            e.conn: e for _, e in self.of(ConnectionOpened)}

    @property
    def events(self) -> list[Event]:
        return self.trace.events

    def __len__(self) -> int:
        return len(self.steps)

    def step_of(self, seq: int) -> int:
        """The index (into :attr:`steps`) of the step that holds event ``seq``."""
        if 0 <= seq < len(self._seqs) and self._seqs[seq] == seq:  # seq is the position (a Recorder's)
            return self._step_by_pos[seq]
        pos = bisect.bisect_left(self._seqs, seq)
        return self._step_by_pos[min(pos, len(self._step_by_pos) - 1)] if self._step_by_pos else 0

    def step_id_of(self, seq: int) -> str:
        return self.steps[self.step_of(seq)].step_id

    def events_of(self, step: int) -> list[Event]:
        """The events of step ``step``, in trace order."""
        s = self.steps[step]
        return self.trace.events[s.start : s.end]

    def of(self, *kinds: type[E]) -> list[tuple[int, E]]:
        """The events of these kinds as (step, event) pairs, in trace order."""
        if len(kinds) == 1:
            return list(self._by_kind.get(kinds[0], ()))  # type: ignore[arg-type]
        merged = [pair for k in kinds for pair in self._by_kind.get(k, ())]
        merged.sort(key=lambda pair: pair[1].seq)
        return merged  # type: ignore[return-value]

    def find(self, step_id: str) -> int | None:
        """The index of the step with this id."""
        return next((s.index for s in self.steps if s.step_id == step_id), None)

