"""The lesson player: a trace, a current step, and a lesson's narration and questions over it.

This is the plain-Python stepper the TUI drives (after harlequin: widgets only
render). Everything it shows about the trace comes from the one reader,
:class:`simulator.replay.Replay`: the hosts and arrows of the sequence
diagram, the transcript, the wire, each machine's state, the mailboxes and
queues, DNS lookups, check steps and delivered messages. The player adds what
a lesson brings: the step it is on, the narration, the questions and answers.

Stepping back never undoes anything: the world at step *i* is the reader's
fold of the trace up to the end of step *i*, from its nearest checkpoint.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING

from simulator.replay import Arrow, HostColumn, Replay, StepView, TranscriptLine, WireChunk, World
from simulator.replay.arrivals import Arrival, arrivals
from simulator.replay.kinds import kind_of
from simulator.replay.text import describe_event, md_escape
from simulator.trace import CheckStep, DnsLookup, MailboxChanged, Sniffed, TlsRecord, Trace

__all__ = ["Player", "describe_event", "md_escape"]

if TYPE_CHECKING:
    from simulator.lesson.message_view import MessageView
    from simulator.lesson.quiz import QuizResult
    from simulator.scenario.models import Ask, Lesson, Scenario
    from simulator.scenario.runner import RunResult


class Player:
    """A trace, the current step, and every view derived for a step."""

    def __init__(self, trace: Trace, *, scenario: Scenario | None = None, lesson: Lesson | None = None,
                 dns_records: Iterable[tuple[str, str, str]] = (), asks: bool = True, live: bool = False) -> None:
        self.trace = trace
        self.live = live  # a live session's trace (mailsim serve --live): its last step is only the newest
        self.scenario = scenario
        self.lesson = lesson
        self.dns_records = sorted(set(dns_records))
        self.replay = Replay(trace)
        self.steps = self.replay.steps
        self.index = 0
        self.answers: dict[str, QuizResult] = {}
        self.next_lesson = ""  # the title of the lesson after this one, offered at the end ("": none)
        self._parsed: dict[int, MessageView] = {}
        self._asks = ({s.id: s.ask for s in scenario.steps if s.ask is not None}
                      if scenario is not None and asks else {})
        self._scenario_index = {s.id: n for n, s in enumerate(scenario.steps)} if scenario else {}
        r = self.replay
        self.hosts: list[HostColumn] = r.hosts
        self.arrows: list[Arrow] = r.arrows
        self.transcript: list[TranscriptLine] = r.transcript
        self.wire: list[WireChunk] = r.wire
        # Views of one event kind hold the events themselves, paired with their steps.
        self.tls: list[tuple[int, TlsRecord]] = r.of(TlsRecord)
        self.dns: list[tuple[int, DnsLookup]] = r.of(DnsLookup)
        self.checks: list[tuple[int, CheckStep]] = r.of(CheckStep)
        # What eavesdroppers learned (credentials, messages, that TLS began), not each record's length.
        self.sniffed: list[tuple[int, Sniffed]] = [(n, e) for n, e in r.of(Sniffed) if e.what != "records"]
        # Messages that reached a folder: delivered, appended by a client, copied or moved.
        self.arrived: list[tuple[int, Arrival]] = arrivals(r.of(MailboxChanged))
        self._lists = {"tls": [n for n, _ in self.tls], "dns": [n for n, _ in self.dns],
                       "checks": [n for n, _ in self.checks],
                       "sniffed": [n for n, _ in self.sniffed], "arrived": [n for n, _ in self.arrived]}

    @classmethod
    def from_result(cls, result: RunResult, lesson: Lesson | None = None, *, asks: bool = True) -> Player:
        records = [(r.name, r.rtype, r.value) for r in result.world.net.dns.records]
        return cls(result.trace, scenario=result.scenario, lesson=lesson, dns_records=records, asks=asks)

    # --- navigation ---------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self.steps)

    @property
    def at_start(self) -> bool:
        return self.index == 0

    @property
    def at_end(self) -> bool:
        return self.index == self.count - 1

    def go(self, index: int) -> int:
        self.index = max(0, min(index, self.count - 1))
        return self.index

    def forward(self) -> int:
        return self.go(self.index + 1)

    def back(self) -> int:
        return self.go(self.index - 1)

    def home(self) -> int:
        return self.go(0)

    def end(self) -> int:
        return self.go(self.count - 1)

    # --- questions ----------------------------------------------------------------

    def ask_at(self, index: int) -> Ask | None:
        if not 0 <= index < self.count:
            return None
        return self._asks.get(self.steps[index].step_id)

    def pending_ask(self, index: int | None = None) -> Ask | None:
        """The question to pose before showing step ``index`` (default: the next one)."""
        index = self.index + 1 if index is None else index
        if not 0 <= index < self.count:
            return None
        if self.steps[index].step_id in self.answers:
            return None
        return self.ask_at(index)

    def answer(self, index: int, given: str) -> QuizResult:
        from simulator.lesson.quiz import check

        ask = self.ask_at(index)
        if ask is None:
            raise ValueError(f"step {index} asks nothing")
        result = check(ask, given)
        self.answers[self.steps[index].step_id] = result
        return result

    def reveal(self, index: int) -> QuizResult:
        """The teacher shows the answer of step ``index``'s question (``--present``): no one answered."""
        return self._settle(index, "revealed")

    def skip(self, index: int) -> QuizResult:
        """The teacher passes over step ``index``'s question (``--present``): the step comes unasked."""
        return self._settle(index, "skipped")

    def _settle(self, index: int, outcome: str) -> QuizResult:
        from simulator.lesson.quiz import QuizResult

        ask = self.ask_at(index)
        if ask is None:
            raise ValueError(f"step {index} asks nothing")
        result = QuizResult(ask.prompt, "", ask.answer, False, ask.why, outcome=outcome)
        self.answers[self.steps[index].step_id] = result
        return result

    def first_unanswered_before(self, index: int) -> int | None:
        """The first step up to ``index`` whose question is still open (jumping with End)."""
        for i in range(self.index + 1, min(index, self.count - 1) + 1):
            if self.pending_ask(i) is not None:
                return i
        return None

    def scenario_index(self, index: int | None = None) -> int | None:
        """The index in ``scenario.steps`` of trace step ``index`` (None for setup)."""
        step = self.steps[self.index if index is None else index]
        return self._scenario_index.get(step.step_id)

    def upto(self, kind: str, index: int | None = None) -> int:
        """How many items of a derived list (arrows, transcript, wire, dns...) belong to steps <= index."""
        index = self.index if index is None else index
        steps = self._lists.get(kind)
        if steps is None:
            return self.replay.upto(kind, index)
        return bisect.bisect_right(steps, index)

    def since(self, kind: str, index: int | None = None) -> int:
        """Index of the first item of ``kind`` that belongs to step ``index``."""
        index = self.index if index is None else index
        return self.upto(kind, index - 1)

    def fold(self, index: int | None = None) -> World:
        """The world after step ``index``, re-derived from the trace (read it, do not change it)."""
        return self.replay.world(self.index if index is None else index)

    def narration(self, index: int | None = None) -> str:
        index = self.index if index is None else index
        step = self.steps[index]
        parts: list[str] = []
        if step.step_id in ("setup", "all", "empty") and index == 0:
            if self.lesson is not None:
                parts.append(f"**{md_escape(self.lesson.title)}**\n\n{self.lesson.intro.strip()}")
                if self.lesson.objectives:
                    parts.append("**You will learn**\n\n" + "\n".join(f"- {o}" for o in self.lesson.objectives))
            elif self.scenario is not None:
                parts.append(f"**{md_escape(self.scenario.title)}**\n\n{self.scenario.summary.strip()}")
            else:
                parts.append(f"**{md_escape(str(self.trace.meta.get('title', 'Trace')))}**")
            parts.append("*Press → or Space to take the first step.*")
        else:
            parts.append(f"**{md_escape(step.title or step.step_id)}**")
            if step.explain.strip():
                parts.append(step.explain.strip())
        result = self.answers.get(step.step_id)
        if result is not None:
            parts.append(result.markdown())
        for event in self.replay.events_of(index):
            parts += kind_of(event).narrate(event)
        if index == self.count - 1 and index > 0 and self.live:
            parts.append("*The newest step. The view moves on when a client does; ← steps back and stays "
                         "there, End follows again.*")
        elif index == self.count - 1 and index > 0:
            if self.lesson is not None:
                parts.append(f"**Summary**\n\n{self.lesson.summary.strip()}")
            parts.append("*End of the lesson. Press ← to look back, `w` for a what-if, Escape for the "
                         "lessons.*" if self.lesson else "*End of the scenario.*")
            if self.lesson is not None and self.next_lesson:
                parts.append(f"**Next lesson:** {md_escape(self.next_lesson)}. Press `n` to open it.")
        return "\n\n".join(parts)

    def view(self, index: int | None = None) -> StepView:
        index = self.index if index is None else index
        step = self.steps[index]
        return dataclasses.replace(self.replay.view(index), narration=self.narration(index),
                                   ask=self.ask_at(index), answer=self.answers.get(step.step_id))

    def message(self, index: int | None = None) -> tuple[Arrival | None, MessageView | None, int, bool]:
        """The latest message to reach a folder up to step ``index``, parsed; how many so far; whether it is new."""
        from simulator.lesson.message_view import parse

        index = self.index if index is None else index
        n = self.upto("arrived", index)
        if n == 0:
            return None, None, 0, False
        step, d = self.arrived[n - 1]
        view = self._parsed.get(d.seq)
        if view is None:
            view = self._parsed[d.seq] = parse(d.raw)
        return d, view, n, step == index

    def states_by_step(self) -> list[dict[tuple[str, str], str]]:
        """Every machine's state after each step (what a test compares when walking back)."""
        return [self.fold(i).states() for i in range(self.count)]
