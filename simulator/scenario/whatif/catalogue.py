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

from simulator.protocols.registry import protocol_of_service
from simulator.protocols.smtp.replies import R, Reply
from simulator.scenario import models as m
from simulator.scenario.runner import run_scenario
from simulator.scenario.world import scenario_spec
from simulator.trace import (
    CheckStep,
    CommandReceived,
    ConnectionOpened,
    MailboxView,
    QueueChanged,
    TlsFailed,
    TlsStarted,
)

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
        if heard is not None and heard.code.startswith("5") and answer.code >= 500:
            # Refused for good already (530 before AUTH, 550 relaying denied): another permanent refusal
            # ends the transaction just as the base run does (RFC 5321 4.2.1). A transient answer still
            # fits: the client defers and retries, which the base run never shows.
            refused = f"{target.line} is refused already here ({heard.code}): {title.lower()} would change nothing."
            return refused[:1].upper() + refused[1:]
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


# --- mailbox access: IMAP and POP3 sessions ---------------------------------------------

# The commands that log a session in, by protocol, and the protocol of each service.
LOGIN_VERBS = {"imap": ("LOGIN", "AUTHENTICATE"), "pop3": ("PASS", "APOP", "AUTH")}
LOGIN_STAGE = {"imap": "LOGIN", "pop3": "PASS"}  # the fault stage that stands for the login verdict
MAIL_SERVICES = {"imap": "imap", "imaps": "imap", "pop3": "pop3", "pop3s": "pop3"}


@dataclass(frozen=True)
class LoginRefusal:
    """How a refused login is answered (a fault step's code, response code and text)."""

    code: int
    enhanced: str
    text: str


def _login_target(r: Reach, protocols: tuple[str, ...]) -> tuple[CommandReceived, ConnectionOpened, str] | None:
    """The first login in the step's own events on a session of one of ``protocols``, if a fault on the
    login stage inserted before the step fires on it."""
    for e in r.own():
        if not isinstance(e, CommandReceived) or e.conn not in r.conns:
            continue
        conn = r.conns[e.conn]
        protocol = MAIL_SERVICES.get(conn.service, "")
        if protocol in protocols and e.verb.upper() in LOGIN_VERBS[protocol]:
            first = next((c for c in r.events[r.start:] if isinstance(c, CommandReceived) and c.conn in r.conns
                          and r.conns[c.conn].server_host == conn.server_host
                          and MAIL_SERVICES.get(r.conns[c.conn].service) == protocol
                          and c.verb.upper() in LOGIN_VERBS[protocol]), None)
            return (e, conn, protocol) if first is e else None
    return None


def _refused_already(r: Reach, command: CommandReceived) -> bool:
    heard = r.reply_to(command)
    return heard is not None and heard.code.split()[-1] in ("NO", "BAD", "-ERR")


def login_fault(spec_id: str, title: str, protocols: tuple[str, ...],
                refusal: Callable[[str], LoginRefusal], blurb: str) -> FaultSpec:
    """A mail server refuses one login (IMAP LOGIN/AUTHENTICATE, POP3 PASS/APOP/AUTH) as ``refusal`` says."""

    def found(r: Reach) -> tuple[CommandReceived, ConnectionOpened, str] | None:
        target = _login_target(r, protocols)
        return None if target is None or _refused_already(r, target[0]) else target

    def option(r: Reach) -> FaultOption | None:
        target = found(r)
        if target is None:
            return None
        command, conn, protocol = target
        answer = refusal(protocol)
        return FaultOption(spec_id, title, prose.login_refused_text(blurb, command, conn, protocol, answer.enhanced,
                                                                    answer.text), conn.server_host)

    def why_not(r: Reach) -> str:
        target = _login_target(r, protocols)
        if target is not None and _refused_already(r, target[0]):
            return f"The login ({target[0].verb}) is refused here already: {title.lower()} would change nothing."
        return ""

    def edit(r: Reach) -> m.Scenario:
        target = found(r)
        assert target is not None
        command, conn, protocol = target
        answer = refusal(protocol)
        fault = {"id": f"{WHAT_IF_PREFIX}-{spec_id}", "action": "fault", "title": f"What if: {title}",
                 "explain": prose.login_refused_text(blurb, command, conn, protocol, answer.enhanced, answer.text),
                 "host": conn.server_host, "protocol": protocol, "stage": LOGIN_STAGE[protocol],
                 "code": answer.code, "enhanced": answer.enhanced, "text": answer.text, "times": 1}
        branched = edit_scenario(r.scenario, r.step_index, [fault])
        step = r.scenario.steps[r.step_index]
        if isinstance(step, m.OpenMailboxStep | m.CheckMailStep):
            # A mail program whose login fails opens no session: what it would do next does not happen.
            return _without_session(branched, r.step_index + 1, step.name)
        return branched

    return FaultSpec(spec_id, title, option, edit, "a login (IMAP LOGIN, POP3 PASS)", why_not)


def _wrong_password(protocol: str) -> LoginRefusal:
    if protocol == "imap":  # RFC 9051 7.1, RFC 5530 3: NO [AUTHENTICATIONFAILED]
        return LoginRefusal(535, "AUTHENTICATIONFAILED", "Authentication failed")
    return LoginRefusal(535, "AUTH", "Authentication failed")  # RFC 3206 5: -ERR [AUTH]


def _locked(protocol: str) -> LoginRefusal:
    # RFC 2449 8.1.2: [IN-USE], the maildrop is locked by another session (RFC 1939 8).
    return LoginRefusal(450, "IN-USE", "Maildrop already locked by another session")


def _session_conn(step: m.StepBase) -> str:
    """The scenario's name of the session a step acts on ("" for a step that opens none)."""
    if isinstance(step, m.SendStep | m.SessionStep | m.CloseStep | m.ReadStep | m.FlagStep | m.MoveStep
                  | m.DeleteStep):
        return step.conn
    return ""


def _without_session(branched: m.Scenario, fork_at: int, name: str) -> m.Scenario:
    """The branch without the steps after ``fork_at`` that act on session ``name`` (it is gone)."""
    kept = [s for n, s in enumerate(branched.steps) if n <= fork_at or _session_conn(s) != name]
    return branched.model_copy(update={"steps": kept})


def _quit_on_pop3(r: Reach) -> CommandReceived | None:
    for e in r.own():
        if (isinstance(e, CommandReceived) and e.verb.upper() == "QUIT" and e.conn in r.conns
                and MAIL_SERVICES.get(r.conns[e.conn].service) == "pop3"):
            return e
    return None


def drop_fault(spec_id: str, title: str) -> FaultSpec:
    """The POP3 connection drops just before QUIT: the session never reaches UPDATE (RFC 1939 6),
    so the messages it marked deleted stay in the maildrop.

    A step that sends QUIT on a session (a typed line, a logout) gets a drop before it instead; a
    download (check_mail) keeps its session open (quit: false) and the drop follows it.
    """

    def target(r: Reach) -> tuple[str, CommandReceived] | None:
        step = r.scenario.steps[r.step_index]
        name = step.name if isinstance(step, m.CheckMailStep) else _session_conn(step)
        quit_ = _quit_on_pop3(r)
        return (name, quit_) if name and quit_ is not None else None

    def option(r: Reach) -> FaultOption | None:
        found = target(r)
        if found is None:
            return None
        _, quit_ = found
        conn = r.conns[quit_.conn]
        return FaultOption(spec_id, title, prose.dropped_text(r, conn), conn.server_host)

    def edit(r: Reach) -> m.Scenario:
        found = target(r)
        assert found is not None
        name, quit_ = found
        drop = {"id": f"{WHAT_IF_PREFIX}-{spec_id}", "action": "drop", "conn": name, "title": f"What if: {title}",
                "explain": prose.dropped_text(r, r.conns[quit_.conn])}
        step = r.scenario.steps[r.step_index]
        if isinstance(step, m.CheckMailStep):
            branched = edit_scenario(r.scenario, r.step_index, [], after={step.id: [drop]})
            steps = list(branched.steps)
            steps[r.step_index] = steps[r.step_index].model_copy(update={"quit": False})
            return branched.model_copy(update={"steps": steps})
        # The session is gone: the step that would QUIT, and the later ones on it, go too.
        return _without_session(edit_scenario(r.scenario, r.step_index, [drop]), r.step_index, name)

    return FaultSpec(spec_id, title, option, edit, "a POP3 QUIT", lambda r: "")


# The IMAP commands that act on one message a session names (RFC 9051 6.4.5, 6.4.6, 6.4.7, RFC 6851).
ON_MESSAGE = frozenset({"FETCH", "STORE", "COPY", "MOVE"})
OTHER_SESSION = "what-if-other-device"


def _told_before(r: Reach, conn: str) -> MailboxView | None:
    """What the session on ``conn`` had been told when the step starts (None: no mailbox selected)."""
    told = None
    for e in r.events[:r.start]:
        if isinstance(e, MailboxView) and e.conn == conn:
            told = e if e.folder else None
    return told


def _message_hit(r: Reach) -> tuple[CommandReceived, MailboxView, int] | None:
    """The first command of the step on one message of a selected mailbox, the session's view, the UID."""
    for e in r.own():
        if not isinstance(e, CommandReceived) or e.conn not in r.conns:
            continue
        uid_form = e.verb.upper().startswith("UID ")
        if e.verb.upper().removeprefix("UID ") not in ON_MESSAGE:
            continue
        view = _told_before(r, e.conn)
        words = e.argument.split()
        if view is None or len(words) < 2 or not words[1].isdigit():
            continue
        n = int(words[1])
        if uid_form and n in view.uids:
            return e, view, n
        if not uid_form and 1 <= n <= len(view.uids):
            return e, view, view.uids[n - 1]
    return None


def _other_device(r: Reach, view: MailboxView, conn: str) -> str:
    """Another device of the user that reads this mailbox in the base run, else the same one."""
    mine = r.conns[conn].client_host
    for c in r.conns.values():
        if c.client_host != mine and c.server_host == r.conns[conn].server_host and MAIL_SERVICES.get(c.service):
            return c.client_host
    return mine


def expunge_fault(spec_id: str, title: str) -> FaultSpec:
    """Another device deletes and expunges the message a session is about to act on (RFC 9051 7.5.1)."""

    def option(r: Reach) -> FaultOption | None:
        hit = _message_hit(r)
        if hit is None:
            return None
        command, view, uid = hit
        other = _other_device(r, view, command.conn)
        return FaultOption(spec_id, title, prose.expunged_text(r.conns[command.conn], other, view, uid, command),
                           r.conns[command.conn].server_host)

    def edit(r: Reach) -> m.Scenario:
        hit = _message_hit(r)
        assert hit is not None
        command, view, uid = hit
        other = _other_device(r, view, command.conn)
        explain = prose.expunged_text(r.conns[command.conn], other, view, uid, command)
        steps = [
            {"id": f"{WHAT_IF_PREFIX}-{spec_id}", "action": "open_mailbox", "from": other, "user": view.user,
             "server": view.host, "folder": view.folder, "conn": OTHER_SESSION,
             "title": f"What if: {title}", "explain": explain},
            {"id": f"{WHAT_IF_PREFIX}-{spec_id}-delete", "action": "delete", "conn": OTHER_SESSION, "uid": uid,
             "title": f"What if: {other} deletes UID {uid}"},
            {"id": f"{WHAT_IF_PREFIX}-{spec_id}-logout", "action": "logout", "conn": OTHER_SESSION},
        ]
        return edit_scenario(r.scenario, r.step_index, steps)

    return FaultSpec(spec_id, title, option, edit, "a message an IMAP session reads", lambda r: "")


# --- sender authentication: DKIM and DMARC at the MX -------------------------------------------

FOOTER = "-- Scanned for viruses by ExampleScan"  # what a relay's content filter adds


def _passing_check(r: Reach, check: str) -> CheckStep | None:
    """The first concluding ``check`` ("dkim", "dmarc") in the reach that passed, at a receiving host."""
    return next((e for e in r.all() if isinstance(e, CheckStep) and e.check == check and e.result == "pass"),
                None)


def _relayed_to(r: Reach, check: CheckStep) -> ConnectionOpened | None:
    """The relay's connection to the MX that checked ``check`` (none for a session typed by the script)."""
    conn = None
    for e in r.events[r.start:check.seq]:
        if isinstance(e, ConnectionOpened) and e.server_host == check.host and e.port == MX_PORT:
            conn = e
    if conn is None or r.opened_by_script(conn) or conn.client_host not in r.result.world.mailhosts:
        return None
    return conn


def body_changed_fault(spec_id: str, title: str) -> FaultSpec:
    """The relay that passes a DKIM-signed message on adds a line to its body after it was signed."""

    def found(r: Reach) -> tuple[ConnectionOpened, CheckStep] | None:
        check = _passing_check(r, "dkim")
        conn = _relayed_to(r, check) if check is not None else None
        return (conn, check) if conn is not None and check is not None else None

    def option(r: Reach) -> FaultOption | None:
        hit = found(r)
        if hit is None:
            return None
        conn, _ = hit
        return FaultOption(spec_id, title, prose.body_changed_text(conn, FOOTER), conn.client_host)

    def why_not(r: Reach) -> str:
        check = _passing_check(r, "dkim")
        if check is not None and _relayed_to(r, check) is None:
            return (f"The signed message reaches {check.host} over a session the script types line by line; "
                    "no relay of the world passes it on, so none can change its body.")
        return ""

    def edit(r: Reach) -> m.Scenario:
        hit = found(r)
        assert hit is not None
        conn, _ = hit
        step = {"id": f"{WHAT_IF_PREFIX}-{spec_id}", "action": "change_body", "host": conn.client_host,
                "new": FOOTER, "times": 1, "title": f"What if: {title}",
                "explain": prose.body_changed_text(conn, FOOTER)}
        return edit_scenario(r.scenario, r.step_index, [step])

    return FaultSpec(spec_id, title, option, edit, "a DKIM-signed message relayed to an MX", why_not)


@dataclass(frozen=True)
class Spoof:
    """A forged copy of a step's message: the attacker's server, its envelope sender, the MX, the recipients."""

    step: m.SendMessageStep
    attacker: str
    envelope_from: str
    mx: str
    recipients: tuple[str, ...]


def _spoof(r: Reach) -> Spoof | str | None:
    """How an attacker would forge the step's message; a sentence when it cannot; None when nothing to forge."""
    step = r.scenario.steps[r.step_index]
    check = _passing_check(r, "dmarc")
    if not isinstance(step, m.SendMessageStep) or check is None:
        return None
    spec = scenario_spec(r.scenario)
    mx = r.result.world.mailhosts.get(check.host)
    attackers = [(h, d) for h in spec.hosts if h.role == "attacker"
                 for d in spec.domains if d.mail_host in (h.name, h.fqdn) and d.users]
    if mx is None or not attackers:
        return ("No attacker in this world runs a mail server with an address of its own (the default "
                "world's mail.evil.example does) to forge the message from.")
    host, domain = attackers[0]
    local = tuple(a for a in (*step.to, *step.cc) if mx.is_local(a))
    if not local:
        return None
    return Spoof(step, host.name, domain.users[0].address, check.host, local)


def spoofed_from_fault(spec_id: str, title: str) -> FaultSpec:
    """Instead of the sender's provider, an attacker's own server sends the message with the same From."""

    def option(r: Reach) -> FaultOption | None:
        spoof = _spoof(r)
        if not isinstance(spoof, Spoof):
            return None
        return FaultOption(spec_id, title, prose.spoofed_from_text(spoof.step.sender, spoof.attacker,
                                                                   spoof.envelope_from, spoof.mx), spoof.mx)

    def why_not(r: Reach) -> str:
        spoof = _spoof(r)
        return spoof if isinstance(spoof, str) else ""

    def edit(r: Reach) -> m.Scenario:
        spoof = _spoof(r)
        assert isinstance(spoof, Spoof)
        original = spoof.step
        forged = {"id": f"{WHAT_IF_PREFIX}-{spec_id}", "action": "send_message", "from": spoof.attacker,
                  "server": spoof.mx, "port": MX_PORT, "sender": original.sender,
                  "envelope_from": spoof.envelope_from, "from_name": original.from_name,
                  "to": list(spoof.recipients), "subject": original.subject, "body": original.body,
                  "auth": False, "title": f"What if: {title}",
                  "explain": prose.spoofed_from_text(original.sender, spoof.attacker, spoof.envelope_from,
                                                     spoof.mx)}
        branched = edit_scenario(r.scenario, r.step_index, [forged])
        # The forgery takes the place of the genuine message: the sender's own submission does not happen.
        steps = [s for n, s in enumerate(branched.steps) if n != r.step_index + 1]
        return branched.model_copy(update={"steps": steps})

    return FaultSpec(spec_id, title, option, edit, "a message whose From domain passes DMARC", why_not)


STARTTLS_VERBS = ("STARTTLS", "STLS")  # SMTP and IMAP (RFC 3207, RFC 9051 6.2.1), POP3 (RFC 2595 4)


def _starttls_here(r: Reach) -> tuple[CommandReceived, ConnectionOpened] | None:
    """The first STARTTLS (or STLS) the step's own sessions send."""
    for e in r.own():
        if isinstance(e, CommandReceived) and e.verb.upper() in STARTTLS_VERBS and e.conn in r.conns:
            return e, r.conns[e.conn]
    return None


def _attacker_for(r: Reach, conn: ConnectionOpened) -> str:
    """A host of the world's attackers that is neither end of the link ("" when the world has none)."""
    spec = scenario_spec(r.scenario)
    servers = {d.mail_host for d in spec.domains}
    hosts = [h for h in spec.hosts if h.role == "attacker"
             and conn.client_host not in (h.name, h.fqdn) and conn.server_host not in (h.name, h.fqdn)]
    hosts.sort(key=lambda h: h.name in servers or h.fqdn in servers)  # a box on the path before a mail server
    return hosts[0].name if hosts else ""


def starttls_stripped_fault(spec_id: str, title: str) -> FaultSpec:
    """A man in the middle on the step's link deletes the server's offer of TLS (RFC 3207 6)."""

    def found(r: Reach) -> tuple[CommandReceived, ConnectionOpened, str] | None:
        hit = _starttls_here(r)
        if hit is None:
            return None
        command, conn = hit
        attacker = _attacker_for(r, conn)
        opened_here = r.start <= conn.seq < r.own_end
        return (command, conn, attacker) if attacker and opened_here else None

    def text(r: Reach, command: CommandReceived, conn: ConnectionOpened, attacker: str) -> str:
        step = r.scenario.steps[r.step_index]
        policy = None
        if isinstance(step, m.SendMessageStep):  # the runner's default where the step names none
            policy = step.tls or ("opportunistic" if scenario_spec(r.scenario).submission_auth else "none")
        offer = protocol_of_service(conn.service).offer_stripper().offer
        return prose.starttls_stripped_text(attacker, conn, offer, policy)

    def option(r: Reach) -> FaultOption | None:
        hit = found(r)
        if hit is None:
            return None
        return FaultOption(spec_id, title, text(r, *hit), hit[1].server_host)

    def why_not(r: Reach) -> str:
        hit = _starttls_here(r)
        if hit is None:
            return ""
        _, conn = hit
        if not r.start <= conn.seq < r.own_end:
            return ("STARTTLS goes over a connection opened in an earlier step; a man in the middle must be on "
                    "the link before the connection opens.")
        if not _attacker_for(r, conn):
            return "This world has no attacker host (role: attacker) to put on the link."
        return ""

    def edit(r: Reach) -> m.Scenario:
        hit = found(r)
        assert hit is not None
        _, conn, attacker = hit
        step = {"id": f"{WHAT_IF_PREFIX}-{spec_id}", "action": "mitm", "host": attacker,
                "between": [conn.client_host, conn.server_host], "strip_starttls": True,
                "title": f"What if: {title}", "explain": text(r, *hit)}
        return edit_scenario(r.scenario, r.step_index, [step])

    return FaultSpec(spec_id, title, option, edit, "a STARTTLS on a connection the step opens", why_not)


def _handshake_here(r: Reach) -> tuple[TlsStarted, ConnectionOpened] | None:
    """The first TLS handshake the step's own sessions complete with a mail host (STARTTLS or implicit)."""
    for e in r.own():
        if (isinstance(e, TlsStarted) and e.conn in r.conns and e.layer.startswith("TLSv")
                and r.conns[e.conn].server_host in r.result.world.mailhosts):
            return e, r.conns[e.conn]
    return None


def _failed_here(r: Reach) -> TlsFailed | None:
    return next((e for e in r.own() if isinstance(e, TlsFailed)), None)


def _session_of(step: m.StepBase) -> str:
    """The scenario's name of the session a step opens or acts on ("" for send_message: its own)."""
    if isinstance(step, m.OpenMailboxStep | m.CheckMailStep):
        return step.name
    if isinstance(step, m.ConnectStep):
        return step.conn
    return _session_conn(step)


def certificate_expired_fault(spec_id: str, title: str) -> FaultSpec:
    """From the fork on, the server's certificate has expired: the client's check of the validity period
    fails in the step's handshake (RFC 5280 6.1.3), and it aborts (RFC 8314 5.3)."""

    def text(r: Reach, started: TlsStarted, conn: ConnectionOpened) -> str:
        how = "after STARTTLS" if started.mode == "starttls" else f"that opens port {conn.port} (implicit TLS)"
        step = r.scenario.steps[r.step_index]
        if isinstance(step, m.SendMessageStep):
            loses = "Neither the login nor the message is sent: the message stays with the client."
        elif isinstance(step, m.OpenMailboxStep | m.CheckMailStep):
            loses = "The password is never sent and the mailbox is not opened; what the session would do next does not happen."
        else:
            loses = "The session ends there: the commands typed after it have no connection to go on."
        return prose.certificate_expired_text(conn, how, loses)

    def option(r: Reach) -> FaultOption | None:
        hit = _handshake_here(r)
        if hit is None:
            return None
        return FaultOption(spec_id, title, text(r, *hit), hit[1].server_host)

    def why_not(r: Reach) -> str:
        failed = _failed_here(r)
        if failed is not None and _handshake_here(r) is None:
            return (f"The TLS handshake here fails already ({failed.client_reason or failed.server_reason}): "
                    f"{title.lower()} would change nothing.")
        return ""

    def edit(r: Reach) -> m.Scenario:
        hit = _handshake_here(r)
        assert hit is not None
        step = {"id": f"{WHAT_IF_PREFIX}-{spec_id}", "action": "certificate", "host": hit[1].server_host,
                "fault": "expired", "title": f"What if: {title}", "explain": text(r, *hit)}
        branched = edit_scenario(r.scenario, r.step_index, [step])
        name = _session_of(r.scenario.steps[r.step_index])
        if not name:
            return branched
        # The handshake fails and the connection closes: the later steps on that session do not happen,
        # until a step opens a session of that name again.
        openers = m.ConnectStep | m.OpenMailboxStep | m.CheckMailStep
        kept, fork_at, gone = [], r.step_index + 1, False
        for n, s in enumerate(branched.steps):
            if n == fork_at:
                gone = True
            elif n > fork_at and _session_of(s) == name:
                if isinstance(s, openers):
                    gone = False
                elif gone:
                    continue
            kept.append(s)
        return branched.model_copy(update={"steps": kept})

    return FaultSpec(spec_id, title, option, edit, "a TLS handshake with a mail server", why_not)


# --- SMTP AUTH: a client with a mistyped password ---------------------------------------------


def mistyped(password: str) -> str:
    """The password with its last two letters swapped (one appended where that changes nothing)."""
    if len(password) >= 2 and password[-1] != password[-2]:
        return password[:-2] + password[-1] + password[-2]
    return password + "1"


def _smtp_auth_here(r: Reach) -> tuple[CommandReceived, ConnectionOpened] | None:
    """The first SMTP AUTH of the step's own sessions that the server accepted (235), if the step is a
    submission by a mail client (send_message), whose password a what-if can change."""
    step = r.scenario.steps[r.step_index]
    if not isinstance(step, m.SendMessageStep) or step.auth is False:
        return None
    for e in r.own():
        if isinstance(e, CommandReceived) and e.verb.upper() == "AUTH" and e.conn in r.conns:
            conn = r.conns[e.conn]
            heard = r.reply_to(e)
            if protocol_of_service(conn.service).name == "smtp" and heard is not None and heard.code == "235":
                return e, conn
    return None


def smtp_wrong_password_fault(spec_id: str, title: str) -> FaultSpec:
    """The client of a send_message step logs in with a mistyped password: the server's own check
    answers 535 5.7.8 (RFC 4954 6), and the client quits without sending the message."""

    def login(r: Reach) -> tuple[str, str, str] | None:
        """(user, the password the client has, the mechanism) of the step's AUTH, from the world."""
        step = r.scenario.steps[r.step_index]
        assert isinstance(step, m.SendMessageStep)
        auth = step.auth if isinstance(step.auth, m.AuthModel) else m.AuthModel()
        user = auth.user or step.sender
        password = auth.password or scenario_spec(r.scenario).credentials(user)
        return None if password is None else (user, password, auth.mechanism)

    def option(r: Reach) -> FaultOption | None:
        hit = _smtp_auth_here(r)
        creds = login(r) if hit is not None else None
        if hit is None or creds is None:
            return None
        command, conn = hit
        return FaultOption(spec_id, title, prose.smtp_wrong_password_text(conn, creds[0], creds[2]),
                           conn.server_host)

    def why_not(r: Reach) -> str:
        step = r.scenario.steps[r.step_index]
        for e in r.own():
            if isinstance(e, CommandReceived) and e.verb.upper() == "AUTH" and e.conn in r.conns:
                heard = r.reply_to(e)
                if heard is not None and heard.code != "235":
                    return f"The AUTH here is refused already ({heard.code}): a wrong password would change nothing."
                if not isinstance(step, m.SendMessageStep):
                    return ("The AUTH here is a line the script types; a what-if changes the password of a "
                            "mail client (a send_message step).")
        return ""

    def edit(r: Reach) -> m.Scenario:
        hit, creds = _smtp_auth_here(r), login(r)
        assert hit is not None and creds is not None
        _, conn = hit
        user, password, mechanism = creds
        explain = prose.smtp_wrong_password_text(conn, user, mechanism)
        note = {"id": f"{WHAT_IF_PREFIX}-{spec_id}", "action": "note", "title": f"What if: {title}",
                "text": f"{conn.client_host}'s mail client has a mistyped password for {user}",
                "explain": explain}
        branched = edit_scenario(r.scenario, r.step_index, [note])
        steps = list(branched.steps)
        fork = steps[r.step_index + 1]
        wrong = m.AuthModel(user=user, password=mistyped(password), mechanism=mechanism)
        steps[r.step_index + 1] = fork.model_copy(update={"auth": wrong})
        return branched.model_copy(update={"steps": steps})

    return FaultSpec(spec_id, title, option, edit, "an SMTP AUTH by a mail client", why_not)


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
    login_fault("wrong-password", "Wrong password", ("imap", "pop3"), _wrong_password,
                blurb="Bob mistypes his password:"),
    login_fault("mailbox-locked", "Mailbox locked", ("pop3",), _locked,
                blurb="Another POP3 session (Bob's other device, still downloading) holds the maildrop:"),
    drop_fault("dropped-before-quit", "Connection dropped before QUIT"),
    expunge_fault("expunged-elsewhere", "Message expunged by another device"),
    # Rows that wait for later issues (never offered while available=False).
    smtp_wrong_password_fault("smtp-wrong-password", "Wrong password (SMTP AUTH)"),
    certificate_expired_fault("certificate-expired", "Certificate expired"),
    starttls_stripped_fault("starttls-stripped", "STARTTLS stripped by a man in the middle"),
    body_changed_fault("body-changed", "Body changed in transit"),
    spoofed_from_fault("spoofed-from", "A spoofed From"),
)

BY_ID = {spec.id: spec for spec in CATALOGUE}
# The order "why no fault fits" names what the faults act on: the order of a session.
WANTS_ORDER = ("a connection being opened", "a MAIL FROM", "a RCPT TO", "the final dot of DATA",
               "a message relayed to an MX", "a DKIM-signed message relayed to an MX",
               "a message whose From domain passes DMARC", "an SMTP AUTH by a mail client",
               "a login (IMAP LOGIN, POP3 PASS)", "a POP3 QUIT",
               "a message an IMAP session reads", "a STARTTLS on a connection the step opens",
               "a TLS handshake with a mail server")


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
