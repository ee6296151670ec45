"""What-if branches: fork a scenario at a step with a fault injected, and diff the timelines.

A branch is an ordinary scenario: the fault becomes a ``fault`` or ``host_down``
step inserted before the step the student forks at, and the modified copy runs
from the start. Runs are deterministic, so everything before the fork is
identical to the base timeline and :func:`diff` shows what the fault changed.

Three calls make the whole API (the TUI codes against them):

* :func:`fault_options` -- the faults that fit a step, as :class:`FaultOption`;
* :func:`fork` -- a :class:`Branch`: the modified scenario and its run;
* :func:`diff` -- a :class:`TimelineDiff` of two traces, with a ``summary()``.

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

import difflib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from simulator.protocols.smtp.replies import R, Reply
from simulator.scenario import models as m
from simulator.scenario.runner import RunResult, run_scenario
from simulator.scenario.world import scenario_spec
from simulator.trace import (
    CheckStep,
    CommandReceived,
    ConnectionOpened,
    ConnectionRefused,
    Event,
    ExpectationChecked,
    MailboxChanged,
    QueueChanged,
    ReplySent,
    Step,
    TlsRecord,
    Trace,
)

MX_PORT = 25  # RFC 5321: relays deliver to the MX on port 25
END_OF_DATA = "<CRLF>.<CRLF>"  # the "command" a server records at the final dot
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


DiffKind = Literal["reply", "mailbox", "queue", "verdict", "step"]


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: DiffKind
    base: str  # "" when the base timeline has nothing here
    branch: str  # "" when the branch has nothing here
    step_id: str  # the step where the difference shows
    what: str = ""  # what differs: a host, a mailbox, a queue entry, a check


@dataclass(frozen=True, slots=True)
class TimelineDiff:
    """How a branch differs from its base.

    ``first_divergent_step`` indexes ``base.steps()`` (``branch_divergent_step``
    the same point in ``branch.steps()``): the first step whose events differ,
    comparing events without ``seq`` and ``t``. Expectation verdicts are left
    out of that comparison, because a branch drops its expectations on purpose;
    steps only the branch has (the injected what-if steps) are reported as
    ``step`` lines rather than as the parting point.
    """

    first_divergent_step: int | None
    lines: list[DiffLine] = field(default_factory=list)
    branch_divergent_step: int | None = None
    divergent_step_id: str = ""
    divergent_step_title: str = ""

    @property
    def identical(self) -> bool:
        return self.first_divergent_step is None and not self.lines

    def of_kind(self, kind: DiffKind) -> list[DiffLine]:
        return [line for line in self.lines if line.kind == kind]

    def summary(self, max_replies: int = 3) -> str:
        if self.identical:
            return "The two timelines are identical."
        out: list[str] = []
        if self.first_divergent_step is not None:
            title = f" ({self.divergent_step_title})" if self.divergent_step_title else ""
            out.append(f"The timelines part at step '{self.divergent_step_id}'{title}.")
        else:
            out.append("The timelines never part: the steps they share have the same events.")
        injected = [line.branch for line in self.of_kind("step") if line.branch]
        if injected:
            out.append("Only in the branch: " + "; ".join(injected) + ".")
        dropped = [line.base for line in self.of_kind("step") if line.base and not line.branch]
        if dropped:
            out.append("Only in the base: " + "; ".join(dropped) + ".")
        replies = self.of_kind("reply")
        if replies:
            shown = [f"{r.what}: {_or_none(_after_label(r.base))} → {_or_none(_after_label(r.branch))} "
                     f"(step '{r.step_id}')" for r in replies[:max_replies]]
            more = f"; and {len(replies) - max_replies} more" if len(replies) > max_replies else ""
            out.append("Replies: " + "; ".join(shown) + more + ".")
        boxes = self.of_kind("mailbox")
        if boxes:
            out.append("Mailboxes: " + "; ".join(_mailbox_change(b) for b in boxes) + ".")
        queues = self.of_kind("queue")
        if queues:
            out.append("Queues: " + "; ".join(
                f"{q.what}: {_or_none(_after_label(q.base))} → {_or_none(_after_label(q.branch))}"
                for q in queues) + ".")
        verdicts = self.of_kind("verdict")
        if verdicts:
            out.append("Checks: " + "; ".join(
                f"{v.what}: {_or_none(_after_label(v.base))} → {_or_none(_after_label(v.branch))}"
                for v in verdicts) + ".")
        return "\n".join(out)


def _or_none(text: str) -> str:
    return text or "(nothing)"


def _after_label(text: str) -> str:
    return text.split(": ", 1)[1] if ": " in text else text


def _mailbox_change(line: DiffLine) -> str:
    before, after = _count_of(line.base), _count_of(line.branch)
    note = ""
    if "(a bounce)" in line.branch and "(a bounce)" not in line.base:
        note = " (a bounce)"
    elif "(a bounce)" in line.base and "(a bounce)" not in line.branch:
        note = " (no bounce)"
    return f"{line.what}: {_plural(before, 'message')} → {after}{note}"


def _count_of(text: str) -> int:
    match = re.search(r": (\d+) message", text)
    return int(match.group(1)) if match else 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


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


# --- diffing two timelines ----------------------------------------------------------

_IGNORED = (ExpectationChecked,)


def _signature(events: list[Event]) -> list[dict]:
    out = []
    for e in events:
        if isinstance(e, _IGNORED):
            continue
        data = e.to_json()
        data.pop("seq", None)
        data.pop("t", None)
        out.append(data)
    return out


def _step_events(trace: Trace, step: Step) -> list[Event]:
    return trace.events[step.start:step.end]


def _reply_lines(trace: Trace, step: Step, conns: dict[str, ConnectionOpened]) -> list[str]:
    out = []
    for e in _step_events(trace, step):
        if isinstance(e, ReplySent):
            host = conns[e.conn].server_host if e.conn in conns else e.machine
            first = e.text[0] if e.text else ""
            text = " ".join(x for x in (e.code, e.enhanced, first) if x)
            if len(e.text) > 1:
                text += f" (+{len(e.text) - 1} more lines)"
            out.append(f"{host}: {text}")
        elif isinstance(e, ConnectionRefused):
            out.append(f"{e.server_host}: no answer on port {e.port} ({e.reason})")
    return out


def _is_bounce(e: MailboxChanged) -> bool:
    head = e.raw.split(b"\r\n\r\n", 1)[0].lower()
    return b"multipart/report" in head and b"delivery-status" in head


@dataclass
class _Box:
    messages: dict[int, tuple[str, bool]] = field(default_factory=dict)  # uid -> (subject, bounce)
    history: list[tuple[str, str, int]] = field(default_factory=list)  # (action, subject, seq)


def _mailboxes(trace: Trace) -> dict[str, _Box]:
    boxes: dict[str, _Box] = {}
    for e in trace.events:
        if not isinstance(e, MailboxChanged):
            continue
        box = boxes.setdefault(f"{e.user} {e.folder}", _Box())
        if e.action == "delivered":
            box.messages[e.uid] = (e.subject, _is_bounce(e))
        elif e.action == "expunged":
            box.messages.pop(e.uid, None)
        if e.action != "created":
            box.history.append((e.action, e.subject, e.seq))
    return boxes


def _describe_box(what: str, box: _Box | None) -> str:
    messages = list(box.messages.values()) if box else []
    if not messages:
        return f"{what}: 0 messages"
    items = ", ".join(f"'{subject}'" + (" (a bounce)" if bounce else "") for subject, bounce in messages)
    return f"{what}: {_plural(len(messages), 'message')}: {items}"


def _queues(trace: Trace) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for e in trace.events:
        if isinstance(e, QueueChanged):
            for rcpt in e.recipients:
                label = e.action + (f" ({e.detail})" if e.detail and e.action != "queued" else "")
                out.setdefault(f"{rcpt} (queue of {e.host})", []).append((label, e.seq))
    return out


def _verdicts(trace: Trace) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for e in trace.events:
        if isinstance(e, CheckStep) and e.result:
            out.setdefault(f"{e.check} at {e.host}", []).append((e.result, e.seq))
    return out


def _step_id_at(steps: list[Step], seq: int) -> str:
    for s in steps:
        if s.start <= seq < s.end:
            return s.step_id
    return ""


def _first_difference(a: list[tuple], b: list[tuple]) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n][:-1] == b[n][:-1]:
        n += 1
    return n


def _history_lines(kind: DiffKind, base: dict[str, list[tuple[str, int]]],
                   branch: dict[str, list[tuple[str, int]]], base_steps: list[Step],
                   branch_steps: list[Step]) -> list[DiffLine]:
    out = []
    for key in _ordered_keys(base, branch):
        a, b = base.get(key, []), branch.get(key, [])
        if [x[0] for x in a] == [x[0] for x in b]:
            continue
        n = _first_difference(a, b)
        step_id = (_step_id_at(branch_steps, b[n][-1]) if n < len(b)
                   else _step_id_at(base_steps, a[n][-1]))
        out.append(DiffLine(kind, _history_text(key, a), _history_text(key, b), step_id, key))
    return out


def _history_text(key: str, items: list[tuple[str, int]]) -> str:
    return f"{key}: " + ", ".join(x[0] for x in items) if items else ""


def _ordered_keys(base: dict, branch: dict) -> list[str]:
    keys = list(base)
    keys += [k for k in branch if k not in base]
    return keys


def diff(base: Trace, branch: Trace) -> TimelineDiff:
    """What differs between two timelines: where they part, replies, mailboxes, queues, checks."""
    bsteps, rsteps = base.steps(), branch.steps()
    bconns = {e.conn: e for e in base.events if isinstance(e, ConnectionOpened)}
    rconns = {e.conn: e for e in branch.events if isinstance(e, ConnectionOpened)}
    matcher = difflib.SequenceMatcher(None, [s.step_id for s in bsteps], [s.step_id for s in rsteps],
                                      autojunk=False)
    lines: list[DiffLine] = []
    first: tuple[int, int | None, Step] | None = None
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for bi, ri in zip(range(i1, i2), range(j1, j2), strict=True):
                bs, rs = bsteps[bi], rsteps[ri]
                if _signature(_step_events(base, bs)) == _signature(_step_events(branch, rs)):
                    continue
                if first is None:
                    first = (bi, ri, bs)
                lines += _reply_diff(_reply_lines(base, bs, bconns), _reply_lines(branch, rs, rconns),
                                     bs.step_id)
            continue
        for bi in range(i1, i2):  # steps only the base has
            bs = bsteps[bi]
            if first is None:
                first = (bi, j1 if j1 < len(rsteps) else None, bs)
            lines.append(DiffLine("step", _step_label(bs), "", bs.step_id, bs.step_id))
            lines += _reply_diff(_reply_lines(base, bs, bconns), [], bs.step_id)
        for ri in range(j1, j2):  # steps only the branch has: the injected what-ifs
            rs = rsteps[ri]
            lines.append(DiffLine("step", "", _step_label(rs), rs.step_id, rs.step_id))
            lines += _reply_diff([], _reply_lines(branch, rs, rconns), rs.step_id)
    bboxes, rboxes = _mailboxes(base), _mailboxes(branch)
    for key in _ordered_keys(bboxes, rboxes):
        a, b = bboxes.get(key), rboxes.get(key)
        if _describe_box(key, a) == _describe_box(key, b):
            continue
        ha, hb = (a.history if a else []), (b.history if b else [])
        n = _first_difference(ha, hb)
        step_id = _step_id_at(rsteps, hb[n][-1]) if n < len(hb) else (
            _step_id_at(bsteps, ha[n][-1]) if n < len(ha) else "")
        lines.append(DiffLine("mailbox", _describe_box(key, a), _describe_box(key, b), step_id, key))
    lines += _history_lines("queue", _queues(base), _queues(branch), bsteps, rsteps)
    lines += _history_lines("verdict", _verdicts(base), _verdicts(branch), bsteps, rsteps)
    if first is None:
        return TimelineDiff(None, lines)
    bi, ri, step = first
    return TimelineDiff(bi, lines, ri, step.step_id, step.title)


def _step_label(step: Step) -> str:
    return step.title or step.step_id


def _reply_diff(a: list[str], b: list[str], step_id: str) -> list[DiffLine]:
    out = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        left, right = a[i1:i2], b[j1:j2]
        for n in range(max(len(left), len(right))):
            x = left[n] if n < len(left) else ""
            y = right[n] if n < len(right) else ""
            what = (x or y).split(": ", 1)[0]
            out.append(DiffLine("reply", x, y, step_id, what))
    return out


__all__ = [
    "CATALOGUE", "Branch", "BranchError", "DiffLine", "FaultDoesNotFit", "FaultOption", "FaultSpec",
    "TimelineDiff", "UnknownFault", "base_run", "diff", "edit_scenario", "fault_options", "fork",
    "reach", "scenario_step_index", "trace_step_index",
]

