"""What-if branches: fork a scenario at a step with a fault injected, and diff the timelines.

A branch is an ordinary scenario: the fault becomes a ``fault`` or ``host_down``
step inserted before the step the student forks at, and the modified copy runs
from the start. Runs are deterministic, so everything before the fork is
identical to the base timeline and :func:`diff` shows what the fault changed.

Three calls make the whole API (the TUI codes against them):

* :func:`fault_options` -- the faults that fit a step, as :class:`FaultOption`;
* :func:`fork` -- a :class:`Branch`: the modified scenario and its run;
* :func:`diff` -- a :class:`TimelineDiff` of two traces, with a ``summary()``
  (it lives in :mod:`simulator.replay.diff`, the one reader of traces; this
  module re-exports it).

``step_index`` always indexes ``scenario.steps``. ``Trace.steps()`` may start
with a "setup" step for the events the world recorded while it was built, so
its indexes can be one higher: :func:`trace_step_index` converts.

The faults are a table, :data:`CATALOGUE`, of :class:`FaultSpec` rows, each with
``applies(scenario, step_index)`` and ``apply(scenario, step_index)``. A row
finds its target (host, command) in the base run of the scenario, so it is only
offered where it will bite: "recipient unknown" needs an RCPT in the step (or,
for a message submitted in that step, in its relay to the MX). Rows for faults
that later issues make possible (AUTH, TLS, DKIM/SPF/DMARC) are already in the
table with ``available=False``; those issues implement them and switch them on.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from simulator.protocols.smtp.replies import R, Reply
from simulator.protocols.smtp.states import END_OF_DATA
from simulator.replay.diff import DiffLine, TimelineDiff, diff
from simulator.scenario import models as m
from simulator.scenario.runner import RunResult, run_scenario
from simulator.scenario.world import scenario_spec
from simulator.trace import (
    CheckStep,
    CommandReceived,
    ConnectionOpened,
    Event,
    QueueChanged,
    ReplySent,
    Step,
    TlsRecord,
    Trace,
)

MX_PORT = 25  # RFC 5321: relays deliver to the MX on port 25
STAGE_VERBS = {"MAIL": "MAIL", "RCPT": "RCPT", "DATA": END_OF_DATA}  # FaultStep stage -> verb
WHAT_IF_PREFIX = "what-if"
# Replies the SMTP machine gives on its own, before any policy (RFC 5321 4.2.2, 4.3.2).
MACHINE_REFUSALS = frozenset({"500", "501", "502", "503", "504", "555"})


class BranchError(ValueError):
    """A fork that cannot be made: unknown fault, a fault that does not fit, a bad index."""


class UnknownFault(BranchError):
    pass


class FaultDoesNotFit(BranchError):
    pass


# --- public records -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FaultOption:
    """A fault offered at one step: what the what-if menu shows."""

    id: str
    title: str
    description: str
    target: str = ""  # the host the fault hits


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


# --- the base run and the reach of a step ---------------------------------------

_RUNS: OrderedDict[str, RunResult] = OrderedDict()
_RUNS_KEPT = 8
_RUNS_LOCK = threading.Lock()


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
        return [_path(e.argument) for e in self.events
                if isinstance(e, CommandReceived) and e.conn == conn and e.verb.upper() == "RCPT"]


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


def _path(argument: str) -> str:
    match = re.search(r"<([^>]*)>", argument)
    return match.group(1) if match else argument.partition(":")[2].strip()


# --- editing a scenario -----------------------------------------------------------


def _unique_id(scenario: m.Scenario, wanted: str, taken: set[str]) -> str:
    ids = {s.id for s in scenario.steps} | taken
    candidate, n = wanted, 2
    while candidate in ids:
        candidate, n = f"{wanted}-{n}", n + 1
    taken.add(candidate)
    return candidate


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

    def build(items: list[dict]) -> list[m.StepBase]:
        out = []
        for item in items:
            item = {**item, "id": _unique_id(scenario, item["id"], taken)}
            out.append(_STEP_ADAPTER.validate_python(item))
        return out

    steps: list[m.StepBase] = []
    for n, step in enumerate(scenario.steps):
        if n == step_index:
            steps += build(before)
        if n >= step_index:
            step = step.model_copy(update={"expect": None, "ask": None})
        steps.append(step)
        steps += build(after.get(step.id, []))
    return scenario.model_copy(update={"steps": steps})


def _step_adapter():
    from pydantic import TypeAdapter

    return TypeAdapter(m.Step)


_STEP_ADAPTER = _step_adapter()


# --- the catalogue ----------------------------------------------------------------


@dataclass(frozen=True)
class FaultSpec:
    """One row of the catalogue.

    ``option`` builds the menu entry for a step, or returns None when the fault
    does not fit there; ``applies`` is its yes/no form. ``apply`` returns the
    modified copy of the scenario. ``available`` is False for faults whose
    machinery a later issue brings (``needs`` says which); they are never offered.
    """

    id: str
    title: str
    option: Callable[[Reach], FaultOption | None]
    edit: Callable[[Reach], m.Scenario]
    available: bool = True
    needs: str = ""

    def applies(self, scenario: m.Scenario, step_index: int) -> bool:
        return self.available and self.option(reach(scenario, step_index)) is not None

    def apply(self, scenario: m.Scenario, step_index: int) -> m.Scenario:
        if not self.available:
            raise FaultDoesNotFit(f"fault {self.id!r} needs {self.needs}, which mailsim does not have yet")
        r = reach(scenario, step_index)
        if self.option(r) is None:
            raise FaultDoesNotFit(_does_not_fit(self.id, scenario, step_index))
        return self.edit(r)


Hop = Literal["first", "last", "mx"]


@dataclass(frozen=True)
class _Target:
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


def _reply_target(r: Reach, stage: str, hop: Hop) -> _Target | None:
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
    return _Target(command, conn)


def _consequence(r: Reach, target: _Target, reply: Reply) -> str:
    if r.opened_by_script(target.conn):  # a session typed line by line
        return "The script goes on regardless, and the server answers what follows accordingly."
    if target.is_mx:
        sender = _sender_on(r, target.conn.conn)
        if reply.is_permanent:
            return (f"{target.conn.client_host} gives up on the message and sends a bounce "
                    f"(a delivery status notification, RFC 3464) back to {sender or 'the sender'}.")
        return f"{target.conn.client_host} keeps the message in its queue and tries again later."
    if reply.is_permanent:
        return "The mail client hears the refusal at once: nothing is queued, nothing bounces."
    return "The mail client must try again later."


def _sender_on(r: Reach, conn: str) -> str:
    for e in r.events:
        if isinstance(e, CommandReceived) and e.conn == conn and e.verb.upper() == "MAIL":
            return _path(e.argument)
    return ""


def _fault_step(spec_id: str, title: str, explain: str, host: str, stage: str, reply: Reply,
                times: int = 1) -> dict:
    return {
        "id": f"{WHAT_IF_PREFIX}-{spec_id}", "action": "fault", "title": f"What if: {title}",
        "explain": explain, "host": host, "stage": stage, "code": reply.code,
        "enhanced": reply.enhanced, "text": reply.text, "times": times,
    }


def reply_fault(spec_id: str, title: str, stage: Literal["MAIL", "RCPT", "DATA"],
                reply: Callable[[Reach, _Target], Reply], *, hop: Hop, blurb: str,
                retry: bool = False) -> FaultSpec:
    """A fault where a host answers one MAIL, RCPT or final dot with a chosen reply, once.

    ``retry`` (for transient replies) also inserts, after the step where the
    relay deferred the message, a clock advance to its next attempt.
    """

    def describe(r: Reach) -> tuple[_Target, Reply, str] | None:
        target = _reply_target(r, stage, hop)
        if target is None:
            return None
        answer = reply(r, target)
        heard = r.reply_to(target.command)
        if heard is not None and heard.code == str(answer.code):
            return None  # the base run already hears this: the fault would change nothing
        text = (f"{blurb} {target.host} answers {target.line} with `{answer}`. "
                f"{_consequence(r, target, answer)}")
        if retry:
            text += " The branch moves the clock on to that retry, so you see the second attempt."
        return target, answer, text

    def option(r: Reach) -> FaultOption | None:
        found = describe(r)
        if found is None:
            return None
        target, _, text = found
        return FaultOption(spec_id, title, text, target.host)

    def edit(r: Reach) -> m.Scenario:
        found = describe(r)
        assert found is not None
        target, answer, text = found
        fault = _fault_step(spec_id, title, text, target.host, stage, answer)
        branched = edit_scenario(r.scenario, r.step_index, [fault])
        if retry:
            branched = _add_retry(branched, r.step_index)
        return branched

    return FaultSpec(spec_id, title, option, edit)


def _add_retry(branched: m.Scenario, step_index: int) -> m.Scenario:
    """Insert a clock advance to the next queue run after the step that deferred the message."""
    trace = run_scenario(branched).trace
    steps = trace.steps()
    fork_id = branched.steps[step_index].id
    fork_at = next(s.start for s in steps if s.step_id == fork_id)
    for e in trace.events[fork_at:]:
        if isinstance(e, QueueChanged) and e.action == "deferred":
            step = next(s for s in steps if s.start <= e.seq < s.end)
            wait = max(e.next_attempt - e.t, 1.0)
            minutes = f"{wait / 60:g} minutes" if wait >= 60 else f"{wait:g} seconds"
            retry = {
                "id": f"{WHAT_IF_PREFIX}-retry", "action": "advance_clock", "seconds": wait,
                "title": "What if: the relay retries",
                "explain": (f"{minutes.capitalize()} later the message is due again (RFC 5321 "
                            "section 4.5.4.1 asks for retries spread over days); the queue runner "
                            "wakes up and tries the MX once more."),
            }
            index = scenario_step_index(branched, step.step_id)
            assert index is not None
            taken: set[str] = set()
            retry["id"] = _unique_id(branched, retry["id"], taken)
            steps_out = list(branched.steps)
            steps_out.insert(index + 1, _STEP_ADAPTER.validate_python(retry))
            return branched.model_copy(update={"steps": steps_out})
    return branched


def host_down_fault(spec_id: str, title: str, *, mx: bool, blurb: str) -> FaultSpec:
    """A host that is down from the fork on: connections to it are refused."""

    def target(r: Reach) -> ConnectionOpened | None:
        events = r.all() if mx else r.own()
        for e in events:
            if isinstance(e, ConnectionOpened) and (e.port == MX_PORT) == mx:
                return e
        return None

    def describe(r: Reach) -> tuple[str, str] | None:
        conn = target(r)
        if conn is None:
            return None
        if mx and not r.opened_by_script(conn):
            domains = sorted({rcpt.rpartition("@")[2] for rcpt in r.recipients_on(conn.conn) if "@" in rcpt})
            of = f", the mail exchanger of {', '.join(domains)}," if domains else ""
            text = (f"{blurb} {conn.server_host}{of} is down from here on. {conn.client_host} "
                    "cannot connect, keeps the message in its queue and tries again later.")
        else:
            text = (f"{blurb} {conn.server_host} is down from here on: {conn.client_host} "
                    f"cannot connect to port {conn.port} ({conn.service}).")
        return conn.server_host, text

    def option(r: Reach) -> FaultOption | None:
        found = describe(r)
        return None if found is None else FaultOption(spec_id, title, found[1], found[0])

    def edit(r: Reach) -> m.Scenario:
        found = describe(r)
        assert found is not None
        host, text = found
        step = {"id": f"{WHAT_IF_PREFIX}-{spec_id}", "action": "host_down", "host": host,
                "title": f"What if: {title}", "explain": text}
        return edit_scenario(r.scenario, r.step_index, [step])

    return FaultSpec(spec_id, title, option, edit)


def later_fault(spec_id: str, title: str, needs: str,
                evidence: Callable[[Reach], bool]) -> FaultSpec:
    """A row waiting for a later issue: never offered until that issue implements it.

    ``evidence`` already says where it would fit (an AUTH exchange, a TLS
    handshake, a DKIM check in the step's reach), so the issue that brings the
    machinery only writes the edit and sets ``available``.
    """

    def option(r: Reach) -> FaultOption | None:
        if not evidence(r):
            return None
        return FaultOption(spec_id, title, f"{title} (needs {needs}).")

    def edit(r: Reach) -> m.Scenario:
        raise FaultDoesNotFit(f"fault {spec_id!r} needs {needs}, which mailsim does not have yet")

    return FaultSpec(spec_id, title, option, edit, available=False, needs=needs)


def _has_command(*verbs: str) -> Callable[[Reach], bool]:
    return lambda r: any(r.commands(v) for v in verbs)


def _has_tls(r: Reach) -> bool:
    return any(isinstance(e, TlsRecord) for e in r.all()) or bool(r.commands("STARTTLS"))


def _has_check(*checks: str) -> Callable[[Reach], bool]:
    return lambda r: any(isinstance(e, CheckStep) and e.check in checks for e in r.all())


def _max_size(r: Reach, target: _Target) -> Reply:
    return R.SIZE_EXCEEDED.format(scenario_spec(r.scenario).max_message_size)


CATALOGUE: tuple[FaultSpec, ...] = (
    reply_fault(
        "recipient-unknown", "Recipient unknown", "RCPT",
        lambda r, t: R.NO_SUCH_USER.format(f"<{_path(t.command.argument)}>"),
        hop="last", blurb="The recipient's mailbox does not exist (a typo in the address, say):",
    ),
    host_down_fault("mx-down", "MX down", mx=True, blurb="The recipient's mail server has crashed:"),
    reply_fault(
        "mx-tempfail", "MX answers 451 once", "RCPT", lambda r, t: R.LOCAL_ERROR,
        hop="mx", retry=True,
        blurb="The MX has a passing problem (a full disk, a greylisting policy):",
    ),
    reply_fault(
        "message-too-big", "Message too big", "DATA", _max_size, hop="first",
        blurb="Imagine the message carried a video far over the size limit:",
    ),
    reply_fault(
        "sender-rejected", "Sender refused", "MAIL",
        lambda r, t: Reply(550, (f"<{_path(t.command.argument)}>: Sender address rejected: Access denied",),
                           "5.7.1"),  # RFC 3463 3.8: delivery not authorized
        hop="first", blurb="The server's policy refuses this sender:",
    ),
    host_down_fault("server-down", "Server down", mx=False, blurb="The server does not answer:"),
    # Rows that wait for later issues (never offered while available=False).
    later_fault("wrong-password", "Wrong password", "SMTP AUTH (the AUTH issue)", _has_command("AUTH")),
    later_fault("certificate-expired", "Certificate expired", "TLS (the TLS issue)", _has_tls),
    later_fault("starttls-stripped", "STARTTLS stripped by a man in the middle", "TLS (the TLS issue)",
                _has_command("STARTTLS")),
    later_fault("body-changed", "Body changed in transit", "DKIM (the DKIM/SPF/DMARC issue)",
                _has_check("dkim")),
    later_fault("spoofed-from", "A spoofed From", "SPF and DMARC (the DKIM/SPF/DMARC issue)",
                _has_check("spf", "dmarc")),
)

_BY_ID = {spec.id: spec for spec in CATALOGUE}


# --- the three calls ------------------------------------------------------------------


def fault_options(scenario: m.Scenario, step_index: int) -> list[FaultOption]:
    """The faults that fit the step ``scenario.steps[step_index]``, in catalogue order."""
    r = reach(scenario, step_index)
    out = []
    for spec in CATALOGUE:
        if spec.available:
            option = spec.option(r)
            if option is not None:
                out.append(option)
    return out


def _does_not_fit(fault_id: str, scenario: m.Scenario, step_index: int) -> str:
    here = ", ".join(o.id for o in fault_options(scenario, step_index)) or "none"
    return (f"fault {fault_id!r} does not fit step {scenario.steps[step_index].id!r} "
            f"(index {step_index}); the faults that fit there: {here}")


def fork(scenario: m.Scenario, step_index: int, fault_id: str) -> Branch:
    """Fork ``scenario`` before ``scenario.steps[step_index]`` with a fault from the catalogue."""
    spec = _BY_ID.get(fault_id)
    if spec is None:
        known = ", ".join(s.id for s in CATALOGUE if s.available)
        raise UnknownFault(f"unknown fault {fault_id!r}; the catalogue has: {known}")
    if not spec.available:
        raise FaultDoesNotFit(f"fault {fault_id!r} needs {spec.needs}, which mailsim does not have yet")
    r = reach(scenario, step_index)
    option = spec.option(r)
    if option is None:
        raise FaultDoesNotFit(_does_not_fit(fault_id, scenario, step_index))
    branched = spec.edit(r)
    return Branch(scenario=branched, result=run_scenario(branched), step_index=step_index, fault=option)


__all__ = [
    "CATALOGUE", "Branch", "BranchError", "DiffLine", "FaultDoesNotFit", "FaultOption", "FaultSpec",
    "TimelineDiff", "UnknownFault", "base_run", "diff", "edit_scenario", "fault_options", "fork",
    "reach", "scenario_step_index", "trace_step_index",
]

