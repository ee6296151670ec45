"""Reachability: which events a fault inserted before a step can touch, in the base run.

The base run of a scenario is cached (options and forks of one scenario share it);
:func:`reach` finds a step's events and, when the step queued a message, the events
up to the step where the relay first tried to deliver it. :func:`reply_target` finds
the command a reply fault would answer, so a fault is only offered where it bites.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from simulator.protocols.smtp.states import END_OF_DATA
from simulator.scenario import models as m
from simulator.scenario.runner import RunResult, run_scenario
from simulator.trace import (
    CommandReceived,
    ConnectionOpened,
    Event,
    QueueChanged,
    ReplySent,
    Step,
    Trace,
)

from .records import BranchError

MX_PORT = 25  # RFC 5321: relays deliver to the MX on port 25
STAGE_VERBS = {"MAIL": "MAIL", "RCPT": "RCPT", "DATA": END_OF_DATA}  # FaultStep stage -> verb
# Replies the SMTP machine gives on its own, before any policy (RFC 5321 4.2.2, 4.3.2).
MACHINE_REFUSALS = frozenset({"500", "501", "502", "503", "504", "555"})

Hop = Literal["first", "last", "mx"]

# --- the base run -------------------------------------------------------------------

_RUNS: OrderedDict[str, RunResult] = OrderedDict()
_RUNS_KEPT = 8
_RUNS_LOCK = threading.Lock()  # forks run in worker threads


def base_run(scenario: m.Scenario) -> RunResult:
    """The run of ``scenario``, cached: options and forks of one scenario share it."""
    key = scenario.model_dump_json()
    with _RUNS_LOCK:
        result = _RUNS.get(key)
        if result is not None:
            _RUNS.move_to_end(key)
            return result
    result = run_scenario(scenario)
    with _RUNS_LOCK:
        _RUNS[key] = result
        while len(_RUNS) > _RUNS_KEPT:
            _RUNS.popitem(last=False)
    return result


def trace_step_index(trace: Trace, step_id: str) -> int | None:
    """The index in ``trace.steps()`` of the step with this id."""
    return next((s.index for s in trace.steps() if s.step_id == step_id), None)


def scenario_step_index(scenario: m.Scenario, step_id: str) -> int | None:
    """The index in ``scenario.steps`` of the step with this id."""
    return next((n for n, s in enumerate(scenario.steps) if s.id == step_id), None)


def path_of(argument: str) -> str:
    """The address in a MAIL or RCPT argument (``TO:<bob@example.net>`` -> ``bob@example.net``)."""
    match = re.search(r"<([^>]*)>", argument)
    return match.group(1) if match else argument.partition(":")[2].strip()


# --- the reach of a step ----------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """The events a fault inserted before a step can touch, in the base run.

    That is the step's own events and, when the step queued a message, the
    events up to the end of the step where the relay first tried to deliver it.
    """

    scenario: m.Scenario
    step_index: int
    result: RunResult
    steps: tuple[Step, ...]
    start: int  # first event of the step
    own_end: int  # end of the step's own events
    end: int  # end of the reach
    conns: dict[str, ConnectionOpened]

    @property
    def events(self) -> list[Event]:
        return self.result.trace.events

    def own(self) -> Iterator[Event]:
        return iter(self.events[self.start:self.own_end])

    def all(self) -> Iterator[Event]:
        return iter(self.events[self.start:self.end])

    def step_of(self, seq: int) -> Step:
        return next(s for s in self.steps if s.start <= seq < s.end)

    def commands(self, verb: str) -> list[tuple[CommandReceived, ConnectionOpened]]:
        out = []
        for e in self.all():
            if isinstance(e, CommandReceived) and e.verb.upper() == verb and e.conn in self.conns:
                out.append((e, self.conns[e.conn]))
        return out

    def verbs(self) -> list[str]:
        """The commands the servers receive within the reach, in order, each once."""
        seen: dict[str, None] = {}
        for e in self.all():
            if isinstance(e, CommandReceived):
                seen.setdefault(Target.name_of(e), None)
        return list(seen)

    def first_command_at(self, host: str, verb: str) -> CommandReceived | None:
        """The first ``verb`` the host's policy sees from the fork on: where a fault on it fires."""
        for e in self.events[self.start:]:
            if (isinstance(e, CommandReceived) and e.verb.upper() == verb and e.conn in self.conns
                    and self.conns[e.conn].server_host == host and self.reaches_policy(e)):
                return e
        return None

    def reaches_policy(self, command: CommandReceived) -> bool:
        """Whether the server got as far as asking its policy (and so its faults) about it.

        A command out of sequence or with bad syntax is refused by the machine
        itself (500-504, 555) before any policy, and a fault is not consumed.
        """
        reply = self.reply_to(command)
        return reply is None or reply.code not in MACHINE_REFUSALS

    def opened_by_script(self, conn: ConnectionOpened) -> bool:
        """Whether a ``connect`` step opened it (a session typed line by line)."""
        step = self.step_of(conn.seq)
        index = scenario_step_index(self.scenario, step.step_id)
        return index is not None and isinstance(self.scenario.steps[index], m.ConnectStep)

    def reply_to(self, command: CommandReceived) -> ReplySent | None:
        for e in self.events[command.seq + 1:]:
            if isinstance(e, ReplySent) and e.conn == command.conn:
                return e
        return None

    def recipients_on(self, conn: str) -> list[str]:
        return [path_of(e.argument) for e in self.events
                if isinstance(e, CommandReceived) and e.conn == conn and e.verb.upper() == "RCPT"]

    def sender_on(self, conn: str) -> str:
        for e in self.events:
            if isinstance(e, CommandReceived) and e.conn == conn and e.verb.upper() == "MAIL":
                return path_of(e.argument)
        return ""


def reach(scenario: m.Scenario, step_index: int) -> Reach:
    if not 0 <= step_index < len(scenario.steps):
        raise BranchError(f"step index {step_index} is out of range: the scenario has "
                          f"{len(scenario.steps)} steps (0 to {len(scenario.steps) - 1})")
    result = base_run(scenario)
    trace = result.trace
    steps = tuple(trace.steps())
    step_id = scenario.steps[step_index].id
    step = next((s for s in steps if s.step_id == step_id), None)
    if step is None:
        raise BranchError(f"step {step_id!r} did not run")
    queued = {(e.host, e.queue_id) for e in trace.events[step.start:step.end]
              if isinstance(e, QueueChanged) and e.action == "queued"}
    end = step.end
    for e in trace.events[step.end:]:
        if not queued:
            break
        if isinstance(e, QueueChanged) and (e.host, e.queue_id) in queued and e.action != "queued":
            queued.discard((e.host, e.queue_id))
            end = next(s.end for s in steps if s.start <= e.seq < s.end)
    conns = {e.conn: e for e in trace.events if isinstance(e, ConnectionOpened)}
    return Reach(scenario, step_index, result, steps, step.start, step.end, end, conns)


# --- where a reply fault bites ------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The command a reply fault answers, and the connection it arrives on."""

    command: CommandReceived
    conn: ConnectionOpened

    @property
    def host(self) -> str:
        return self.conn.server_host

    @property
    def is_mx(self) -> bool:
        return self.conn.port == MX_PORT

    @property
    def line(self) -> str:
        verb = self.command.verb
        return "the final dot" if verb == END_OF_DATA else f"{verb} {self.command.argument}".strip()

    @staticmethod
    def name_of(command: CommandReceived) -> str:
        """A command as prose names it: ``RCPT``, ``the final dot``, ``a line too long``."""
        if command.verb == END_OF_DATA:
            return "the final dot"
        if command.verb == "?":  # a line the server could not read as a command
            return f"a line it cannot read ({command.argument.strip('()')})"
        return command.verb.upper()


def reply_target(r: Reach, stage: str, hop: Hop) -> Target | None:
    """The first ``stage`` command (MAIL, RCPT, DATA) in the reach at the chosen hop, if a fault
    inserted before the step would fire on it."""
    verb = STAGE_VERBS[stage]
    found = [c for c in r.commands(verb) if r.reaches_policy(c[0])]
    mx = [c for c in found if c[1].port == MX_PORT and not r.opened_by_script(c[1])]
    if hop == "mx":
        found = mx
    elif hop == "last":
        found = mx or found
    if not found:
        return None
    command, conn = found[0]
    # The fault fires at the first such command the host receives from the fork on.
    if r.first_command_at(conn.server_host, verb) is not command:
        return None
    return Target(command, conn)
