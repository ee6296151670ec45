"""The catalogue of faults: one :class:`FaultSpec` row per fault, and the faults that fit a step.

Each row finds its target (host, command) in the base run of the scenario, so it is only
offered where it will bite: "recipient unknown" needs an RCPT in the step (or, for a
message submitted in that step, in its relay to the MX). Where a row does not fit, it
says why (:func:`nothing_fits`). Rows for faults that later issues make possible (AUTH,
TLS, DKIM/SPF/DMARC) are already in the table with ``available=False``; those issues
implement them and switch them on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from simulator.protocols.smtp.replies import R, Reply
from simulator.scenario import models as m
from simulator.scenario.runner import run_scenario
from simulator.scenario.world import scenario_spec
from simulator.trace import CheckStep, CommandReceived, ConnectionOpened, QueueChanged, TlsRecord

from . import prose
from .edit import WHAT_IF_PREFIX, edit_scenario, insert_after
from .reach import (
    MX_PORT,
    STAGE_VERBS,
    Hop,
    Reach,
    Target,
    path_of,
    reach,
    reply_target,
    scenario_step_index,
)
from .records import FaultDoesNotFit, FaultOption


@dataclass(frozen=True)
class FaultSpec:
    """One row of the catalogue.

    ``option`` builds the menu entry for a step, or returns None when the fault
    does not fit there; ``wants`` names what it acts on, and ``why_not`` says why
    it does not fit a step that has it ("" when the step lacks it). ``applies`` is
    the yes/no form of ``option``. ``apply`` returns the modified copy of the scenario. ``available`` is
    False for faults whose machinery a later issue brings (``needs`` says which);
    they are never offered.
    """

    id: str
    title: str
    option: Callable[[Reach], FaultOption | None]
    edit: Callable[[Reach], m.Scenario]
    wants: str
    why_not: Callable[[Reach], str]
    available: bool = True
    needs: str = ""

    def applies(self, scenario: m.Scenario, step_index: int) -> bool:
        return self.available and self.option(reach(scenario, step_index)) is not None

    def apply(self, scenario: m.Scenario, step_index: int) -> m.Scenario:
        if not self.available:
            raise FaultDoesNotFit(f"fault {self.id!r} needs {self.needs}, which mailsim does not have yet")
        r = reach(scenario, step_index)
        if self.option(r) is None:
            raise FaultDoesNotFit(does_not_fit(self.id, scenario, step_index))
        return self.edit(r)


def _fault_step(spec_id: str, title: str, explain: str, host: str, stage: str, reply: Reply,
                times: int = 1) -> dict:
    return {
        "id": f"{WHAT_IF_PREFIX}-{spec_id}", "action": "fault", "title": f"What if: {title}",
        "explain": explain, "host": host, "stage": stage, "code": reply.code,
        "enhanced": reply.enhanced, "text": reply.text, "times": times,
    }


_STAGE_NAMES = {"MAIL": "a MAIL FROM", "RCPT": "a RCPT TO", "DATA": "the final dot of DATA"}


def reply_fault(spec_id: str, title: str, stage: Literal["MAIL", "RCPT", "DATA"],
                reply: Callable[[Reach, Target], Reply], *, hop: Hop, blurb: str,
                retry: bool = False) -> FaultSpec:
    """A fault where a host answers one MAIL, RCPT or final dot with a chosen reply, once.

    ``retry`` (for transient replies) also inserts, after the step where the
    relay deferred the message, a clock advance to its next attempt.
    """

    def describe(r: Reach) -> tuple[Target, Reply, str] | str:
        """The fault's target, reply and text here, or why it does not fit ("" if nothing to hit)."""
        target = reply_target(r, stage, hop)
        if target is None:
            return _unreachable(r, stage)
        answer = reply(r, target)
        heard = r.reply_to(target.command)
        if heard is not None and heard.code == str(answer.code):
            # The base run already hears this: the fault would change nothing.
            return f"{target.line} already gets {heard.code} here: {title.lower()} would change nothing."
        return target, answer, prose.reply_fault_text(r, blurb, target, answer, retry=retry)

    def option(r: Reach) -> FaultOption | None:
        found = describe(r)
        if isinstance(found, str):
            return None
        target, _, text = found
        return FaultOption(spec_id, title, text, target.host)

    def why_not(r: Reach) -> str:
        found = describe(r)
        return found if isinstance(found, str) else ""

    def edit(r: Reach) -> m.Scenario:
        found = describe(r)
        assert not isinstance(found, str)
        target, answer, text = found
        fault = _fault_step(spec_id, title, text, target.host, stage, answer)
        branched = edit_scenario(r.scenario, r.step_index, [fault])
        if retry:
            branched = _add_retry(branched, r.step_index)
        return branched

    return FaultSpec(spec_id, title, option, edit, _STAGE_NAMES[stage], why_not)


def _unreachable(r: Reach, stage: str) -> str:
    """Why a reply fault misses a MAIL, RCPT or final dot the step does send ("" if it sends none)."""
    verb = STAGE_VERBS[stage]
    for command, _conn in r.commands(verb):
        if not r.reaches_policy(command):
            heard = r.reply_to(command)
            code = f" ({heard.code})" if heard is not None else ""
            return (f"The server refuses {Target.name_of(command)} here itself{code}, before it asks "
                    "its policy, and a fault answers only where the policy is asked.")
    return ""


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
            retry = {
                "id": f"{WHAT_IF_PREFIX}-retry", "action": "advance_clock", "seconds": wait,
                "title": "What if: the relay retries", "explain": prose.retry_text(wait),
            }
            index = scenario_step_index(branched, step.step_id)
            assert index is not None
            return insert_after(branched, index, retry)
    return branched


def host_down_fault(spec_id: str, title: str, *, mx: bool, blurb: str) -> FaultSpec:
    """A host that is down from the fork on: connections to it are refused."""

    def target(r: Reach) -> ConnectionOpened | None:
        events = r.all() if mx else r.own()
        for e in events:
            if isinstance(e, ConnectionOpened) and (e.port == MX_PORT) == mx:
                return e
        return None

    def option(r: Reach) -> FaultOption | None:
        conn = target(r)
        if conn is None:
            return None
        return FaultOption(spec_id, title, prose.host_down_text(r, blurb, conn, mx=mx), conn.server_host)

    def why_not(r: Reach) -> str:
        if target(r) is None and not mx and any(isinstance(e, CommandReceived) for e in r.own()):
            return ("This step goes on over a connection opened earlier: no connection opens here "
                    "for a server that is down to refuse.")
        return ""

    def edit(r: Reach) -> m.Scenario:
        found = option(r)
        assert found is not None
        step = {"id": f"{WHAT_IF_PREFIX}-{spec_id}", "action": "host_down", "host": found.target,
                "title": f"What if: {title}", "explain": found.description}
        return edit_scenario(r.scenario, r.step_index, [step])

    wants = "a message relayed to an MX" if mx else "a connection being opened"
    return FaultSpec(spec_id, title, option, edit, wants, why_not)


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

    return FaultSpec(spec_id, title, option, edit, title.lower(), lambda r: "",
                     available=False, needs=needs)


def _has_command(*verbs: str) -> Callable[[Reach], bool]:
    return lambda r: any(r.commands(v) for v in verbs)


def _has_tls(r: Reach) -> bool:
    return any(isinstance(e, TlsRecord) for e in r.all()) or bool(r.commands("STARTTLS"))


def _has_check(*checks: str) -> Callable[[Reach], bool]:
    return lambda r: any(isinstance(e, CheckStep) and e.check in checks for e in r.all())


def _max_size(r: Reach, target: Target) -> Reply:
    return R.SIZE_EXCEEDED.format(scenario_spec(r.scenario).max_message_size)


CATALOGUE: tuple[FaultSpec, ...] = (
    reply_fault(
        "recipient-unknown", "Recipient unknown", "RCPT",
        lambda r, t: R.NO_SUCH_USER.format(f"<{path_of(t.command.argument)}>"),
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
        lambda r, t: Reply(550, (f"<{path_of(t.command.argument)}>: Sender address rejected: Access denied",),
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

BY_ID = {spec.id: spec for spec in CATALOGUE}
# The order "why no fault fits" names what the faults act on: the order of a session.
WANTS_ORDER = ("a connection being opened", "a MAIL FROM", "a RCPT TO", "the final dot of DATA",
               "a message relayed to an MX")


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


def nothing_fits(scenario: m.Scenario, step_index: int) -> str:
    """Why no fault fits the step: what the step holds, what the faults act on, and why a
    fault that finds its command here still does not fit. Empty when some fault fits."""
    r = reach(scenario, step_index)
    available = [spec for spec in CATALOGUE if spec.available]
    if any(spec.option(r) is not None for spec in available):
        return ""
    reasons = [why for why in (spec.why_not(r) for spec in available) if why]
    order = {want: n for n, want in enumerate(WANTS_ORDER)}
    wants = sorted({spec.wants for spec in available}, key=lambda want: order.get(want, len(order)))
    return prose.nothing_fits_text(r, wants, reasons)


def does_not_fit(fault_id: str, scenario: m.Scenario, step_index: int) -> str:
    here = ", ".join(o.id for o in fault_options(scenario, step_index)) or "none"
    return (f"fault {fault_id!r} does not fit step {scenario.steps[step_index].id!r} "
            f"(index {step_index}); the faults that fit there: {here}")
