"""The reader: a trace read once into every view a face needs.

:class:`Replay` walks the trace one time. For each event it asks the event's
row of :data:`~simulator.replay.kinds.KINDS` what the event says (transcript
lines), what it draws (arrows) and what it does to the world (the fold), and
keeps a copy of the world every :data:`CHECKPOINT` steps. The world after any
step is then the nearest earlier checkpoint folded forward: stepping back
re-derives, it never undoes.

:class:`Live` is the same reading for events as they happen (``mailsim
serve``'s log, the sandbox): it says and folds, one event at a time.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import TypeVar

from simulator.replay.index import Index
from simulator.replay.kinds import DNS, kind_of
from simulator.replay.mailboxes import mailboxes_view
from simulator.replay.text import hex_lines, is_readable, split_lines
from simulator.replay.views import Arrow, HostColumn, StepView, TranscriptLine, WireChunk
from simulator.replay.world import MachineKey, World, initial_states
from simulator.trace import (
    C2S,
    BytesSent,
    ConnectionOpened,
    Event,
    ExpectationChecked,
    Step,
    Trace,
    WireAltered,
)

CHECKPOINT = 32  # steps between the worlds the reader keeps

E = TypeVar("E", bound=Event)


class _Ahead:
    """The events after position ``start``, iterated lazily (no copy of the rest of the trace)."""

    __slots__ = ("events", "start")

    def __init__(self, events: list[Event], start: int) -> None:
        self.events, self.start = events, start

    def __iter__(self) -> Iterator[Event]:
        events = self.events
        for i in range(self.start, len(events)):
            yield events[i]


def _lines(event: Event, world: World, step: int) -> list[TranscriptLine]:
    return [TranscriptLine(step, s.conn, s.side, s.text, event, s.who, s.level)
            for s in kind_of(event).say(event, world)]


def _fold(world: World, event: Event, step: int) -> None:
    kind_of(event).fold(world, event, step)
    if event.t > world.clock:
        world.clock = event.t


def _altered(chunks: list[WireChunk], altered: list[WireAltered]) -> list[WireChunk]:
    """The chunks a man in the middle changed, each with what reached its receiver instead."""
    if not altered:
        return chunks
    at = {chunk.seq: n for n, chunk in enumerate(chunks)}
    for e in altered:
        # The sender's bytes are the last BytesSent of that connection and direction before the change.
        seq = max((c.seq for c in chunks if c.seq < e.seq and c.conn == e.conn and c.direction == e.direction),
                  default=None)
        if seq is not None:
            n = at[seq]
            chunks[n] = dataclasses.replace(chunks[n], altered_by=e.attacker, changes=e.changes,
                                            delivered_lines=tuple(split_lines(e.delivered)),
                                            delivered_size=len(e.delivered))
    return chunks


def wire_chunk(step: int, event: BytesSent, conns: Mapping[str, ConnectionOpened]) -> WireChunk:
    """What crossed, as the endpoints see it and as a listener on the path captures it."""
    opened = conns.get(event.conn)
    src = dst = ""
    if opened is not None:
        src, dst = opened.client_host, opened.server_host
        if event.direction != C2S:
            src, dst = dst, src
    plain = split_lines(event.plaintext)
    wire = split_lines(event.wire) if is_readable(event.wire) else hex_lines(event.wire)
    return WireChunk(step, event.seq, event.conn, event.direction, src, dst, tuple(plain), tuple(wire),
                     len(event.plaintext), len(event.wire), event.wire != event.plaintext)


class Replay:
    """A trace, read once: steps, per-kind lists, arrows, transcript, wire, and the world at any step."""

    def __init__(self, trace: Trace, *, initial: Mapping[MachineKey | str, str] | None = None) -> None:
        self.trace = trace
        self.index = Index(trace)
        self.steps: list[Step] = self.index.steps
        # The trace's own first states win; ``initial`` fills in machines that never moved.
        self.initial: dict[MachineKey | str, str] = {**(initial or {}), **initial_states(trace)}
        self.hosts: list[HostColumn] = []
        self.arrows: list[Arrow] = []
        self.lines: list[TranscriptLine] = []  # every level; see ``transcript``
        self.wire: list[WireChunk] = []
        self.uses_dns = False
        self._checkpoints: list[World] = []
        self._last: tuple[int, World] | None = None
        self._read()
        self.transcript: list[TranscriptLine] = [t for t in self.lines if t.level == "main"]
        self._steps_of = {"arrows": [a.step for a in self.arrows], "transcript": [t.step for t in self.transcript],
                          "wire": [w.step for w in self.wire], "lines": [t.step for t in self.lines]}

    def _read(self) -> None:
        events = self.trace.events
        world = World(initial=self.initial)
        seen: dict[str, HostColumn] = {}
        for n, step in enumerate(self.steps):
            for pos in range(step.start, step.end):
                event = events[pos]
                row = kind_of(event)
                for name, addr in row.hosts(event):
                    if name and (name not in seen or (addr and not seen[name].address)):
                        seen[name] = HostColumn(name, addr or (seen[name].address if name in seen else ""))
                self.lines += _lines(event, world, n)
                for mark in row.draw(event, world, _Ahead(events, pos + 1)):
                    self.arrows.append(Arrow(n, event.seq, mark.src, mark.dst, mark.label, mark.kind, mark.conn,
                                             mark.lines))
                    self.uses_dns = self.uses_dns or mark.kind == "dns"
                _fold(world, event, n)
            if n % CHECKPOINT == 0:
                self._checkpoints.append(world.copy())
        self.hosts = list(seen.values())
        self.wire = _altered([wire_chunk(n, e, self.index.conns) for n, e in self.of(BytesSent)],
                             [e for _, e in self.of(WireAltered)])

    # --- the index ------------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self.steps)

    def step_of(self, seq: int) -> int:
        return self.index.step_of(seq)

    def of(self, *kinds: type[E]) -> list[tuple[int, E]]:
        """The events of these kinds as (step, event) pairs."""
        return self.index.of(*kinds)

    def events_of(self, step: int) -> list[Event]:
        return self.index.events_of(step)

    def number(self, step: int) -> int:
        """1-based among the scenario's steps; 0 for the world's setup."""
        return step if self.steps and self.steps[0].step_id == "setup" else step + 1

    def upto(self, name: str, step: int) -> int:
        """How many ``arrows``, ``transcript`` lines, ``wire`` chunks or ``lines`` belong to steps <= ``step``."""
        return bisect.bisect_right(self._steps_of[name], step)

    def since(self, name: str, step: int) -> int:
        """Where the items of ``name`` that belong to step ``step`` begin."""
        return self.upto(name, step - 1)

    # --- the world at a step --------------------------------------------------------

    def world(self, step: int) -> World:
        """The world after step ``step``: the nearest checkpoint at or before it, folded forward.

        The returned world is shared with later calls for the same step: read it, do not change it.
        """
        step = max(0, min(step, self.count - 1))
        if self._last is not None and self._last[0] == step:
            return self._last[1]
        base = step // CHECKPOINT
        world = self._checkpoints[base]
        if step != base * CHECKPOINT:
            start = base * CHECKPOINT
            if self._last is not None and start < self._last[0] < step:  # walking forward: go on from there
                start, world = self._last
            world = world.copy()
            self.fold_into(world, start + 1, step)
        self._last = (step, world)
        return world

    def fold_into(self, world: World, first: int, last: int) -> World:
        """Fold steps ``first`` .. ``last`` into ``world``."""
        events = self.trace.events
        for n in range(first, last + 1):
            s = self.steps[n]
            for pos in range(s.start, s.end):
                _fold(world, events[pos], n)
        return world

    def world_from_scratch(self, step: int) -> World:
        """The world after ``step`` folded from the first event, without checkpoints (for tests)."""
        return self.fold_into(World(initial=self.initial), 0, step)

    # --- views ------------------------------------------------------------------------

    def participants(self) -> list[str]:
        """The hosts in order of appearance, then :data:`DNS` if anyone asked it."""
        return [h.name for h in self.hosts] + ([DNS] if self.uses_dns else [])

    def arrows_of(self, step: int) -> Sequence[Arrow]:
        return self.arrows[self.since("arrows", step) : self.upto("arrows", step)]

    def transcript_of(self, step: int) -> Sequence[TranscriptLine]:
        return self.transcript[self.since("transcript", step) : self.upto("transcript", step)]

    def view(self, step: int) -> StepView:
        world = self.world(step)
        events = self.events_of(step)
        conn = world.current_conn
        return StepView(
            index=step, count=self.count, number=self.number(step), step=self.steps[step], events=events,
            arrows=self.arrows_of(step), transcript=self.transcript_of(step),
            expectations=tuple(e for e in events if isinstance(e, ExpectationChecked)),
            machines=tuple(world.machine_views(conn, step)) if conn else (),
            conn=conn, hosts=tuple(self.hosts), mailboxes=world.mailbox_rows(),
            queues=tuple(world.queues.values()), clock=world.clock, mail=mailboxes_view(world, events),
        )

    def views(self) -> list[StepView]:
        return [self.view(n) for n in range(self.count)]


class Live:
    """The reader for events as they happen: each one said and folded as it arrives."""

    def __init__(self, initial: Mapping[MachineKey | str, str] | None = None) -> None:
        self.world = World(initial=dict(initial or {}))

    def feed(self, event: Event, step: int = 0) -> list[TranscriptLine]:
        """What ``event`` says (in the world before it), then fold it in."""
        lines = _lines(event, self.world, step)
        _fold(self.world, event, step)
        return lines
