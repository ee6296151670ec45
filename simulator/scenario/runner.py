"""The runner: a scenario's world and script in, a trace and the failed expectations out."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator.agents.faults import BodyChange, ReplyFault
from simulator.agents.mua import Credentials, MessageResult
from simulator.agents.world import MailWorld
from simulator.mail.mime import Attachment, generated
from simulator.net.connection import Connection
from simulator.protocols.machine import RemoteProtocolError
from simulator.protocols.registry import protocol, protocol_of_service
from simulator.protocols.spec import ReplyLike, ReplyReader
from simulator.scenario import mailbox_checks as checks
from simulator.scenario import models as m
from simulator.scenario import reading
from simulator.scenario import references as refs
from simulator.scenario.world import man_in_the_middle, scenario_spec
from simulator.security.pki import CertFault
from simulator.trace import (
    ClockAdvanced,
    ExpectationChecked,
    FaultInjected,
    Note,
    StateChanged,
    StepStarted,
    Trace,
)


@dataclass(frozen=True, slots=True)
class Failure:
    step_id: str
    what: str
    detail: str

    def __str__(self) -> str:
        return f"step {self.step_id!r}: {self.what}: {self.detail}"


@dataclass
class RunResult:
    scenario: m.Scenario
    world: MailWorld
    failures: list[Failure] = field(default_factory=list)

    @property
    def trace(self) -> Trace:
        return self.world.trace

    @property
    def ok(self) -> bool:
        return not self.failures


class Runner:
    def __init__(self, scenario: m.Scenario) -> None:
        self.scenario = scenario
        self.spec = scenario_spec(scenario)
        self.world = MailWorld(self.spec, seed=scenario.seed, start=scenario.start)
        self.world.trace.meta.update({"scenario": scenario.id, "title": scenario.title, "seed": scenario.seed})
        self.conns: dict[str, Connection] = {}
        self.conn_ids: dict[str, str] = {}  # script name -> connection id, kept after a close
        self.readers: dict[str, ReplyReader] = {}
        self.last_replies: list[ReplyLike] = []
        self.last_results: list[MessageResult] = []
        self.sessions: dict[str, reading.Session] = {}  # devices' client machines, by connection name
        self.downloaded: dict[tuple[str, str], set[str]] = {}  # (device, user) -> UIDLs it has fetched
        self.last_download: list[Any] | None = None  # what this step's check_mail retrieved
        self.result = RunResult(scenario, self.world)

    def run(self) -> RunResult:
        for step in self.scenario.steps:
            self.run_step(step)
        return self.result

    def run_step(self, step: m.StepBase) -> None:
        action = ACTIONS[step.action]
        self.world.net.record(StepStarted(step_id=step.id, title=step.title or action.title(step),
                                          explain=step.explain))
        self.last_replies = []
        self.last_results = []  # expect.delivery reads this step's send_message only
        self.last_download = None
        action.run(self, step)
        reading.pump(self)
        if step.expect is not None:
            self._check(step, step.expect)

    # --- actions ------------------------------------------------------------

    def _do_connect(self, step: m.ConnectStep) -> None:
        old = self.conns.get(step.conn)
        if old is not None and not old.closed:
            old.close("client")
        session = self.sessions.pop(step.conn, None)
        if session is not None and session.open:
            session.conn.close("client")
        conn = self.world.net.connect(step.from_, step.to, step.port)
        if conn is None:
            self.conns.pop(step.conn, None)
            return
        self.conns[step.conn] = conn
        self.conn_ids[step.conn] = conn.id
        self.readers[step.conn] = protocol_of_service(conn.service.name).reply_reader()
        self._read_replies(step.conn)

    def _do_send(self, step: m.SendStep) -> None:
        conn = self.conns.get(step.conn)
        if conn is None or conn.closed:
            self._fail(step, "send", f"connection {step.conn!r} is not open")
            return
        if step.data is not None:
            payload = step.data if step.raw_newlines else step.data.replace("\r\n", "\n").replace("\n", "\r\n")
            data = payload.encode("utf-8")
        else:
            lines = [step.line] if step.line is not None else list(step.lines or [])
            data = b"".join(line.encode("utf-8") + b"\r\n" for line in lines)
        self.readers[step.conn].command_sent(data)
        conn.send(data)
        self._read_replies(step.conn)

    def _do_close(self, step: m.CloseStep) -> None:
        conn = self.conns.pop(step.conn, None)
        if conn is not None:
            conn.close("client")

    def _do_send_message(self, step: m.SendMessageStep) -> None:
        client = self.world.client(step.from_)
        data = client.compose(sender=step.sender, to=step.to, cc=step.cc, subject=step.subject, body=step.body,
                              from_name=step.from_name, html=step.html, eight_bit=step.eight_bit,
                              attachments=tuple(attachment(a) for a in step.attachments))
        server = step.server
        if server is None:
            provider = self.world.provider_of(step.sender)
            assert provider is not None  # checked by references
            server = provider.name
        envelope_from = step.envelope_from if step.envelope_from is not None else step.sender
        login = self.world.spec.submission_auth  # where submission offers AUTH, clients log in by default
        tls = step.tls or ("opportunistic" if login else "none")
        offered = self.world.tls.client_versions
        host = self.world.net.host(step.from_).name
        before = offered.get(host)
        if step.tls_version is not None:
            offered[host] = step.tls_version
        try:
            sent = client.send(server, step.port, envelope_from, [*step.to, *step.cc], data,
                               use_pipelining=step.use_pipelining, tls=tls, auth=self._credentials(step, bool(login)))
        finally:  # the version is this message's setting, not the host's from now on
            if before is None:
                offered.pop(host, None)
            else:
                offered[host] = before
        self.last_results = sent.results
        self.last_replies = [sent.last_reply] if sent.last_reply else []
        if sent.error:  # the client itself gave up (TLS required but not offered, its mechanism missing)
            self.world.net.record(Note(text=f"{step.from_}'s mail client: {sent.error}"))

    def _credentials(self, step: m.SendMessageStep, login: bool) -> Credentials | None:
        """The AUTH login of a send_message step: its own, or the sender's from the world's users."""
        wanted = step.auth if step.auth is not None else login
        if wanted is False:
            return None
        given = wanted if isinstance(wanted, m.AuthModel) else m.AuthModel()
        user = given.user or step.sender
        password = given.password if given.password is not None else self.world.spec.credentials(user)
        assert password is not None  # checked by references
        return Credentials(user, password, given.mechanism)

    def _do_run_queue(self, step: m.RunQueueStep) -> None:
        if step.host is None:
            self.world.run_queues()
        else:
            self.world.relays[self.world.net.host(step.host).name].run_queue()

    def _do_advance_clock(self, step: m.AdvanceClockStep) -> None:
        self.world.net.clock.advance(step.seconds)
        self.world.net.record(ClockAdvanced(seconds=step.seconds))
        if step.run_queues:
            self.world.run_queues()

    def _do_fault(self, step: m.FaultStep) -> None:
        proto = step.protocol
        reply = protocol(proto).make_reply(step.code, step.text, step.enhanced)
        host = self.world.net.host(step.host).name
        self.world.faults.add(ReplyFault(host, step.stage, reply, step.times, proto))
        times = {0: "every time", 1: "once"}.get(step.times, f"{step.times} times")
        self.world.net.record(FaultInjected(fault="reply", detail=f"{host} answers {step.stage} with {reply} {times}"))

    def _do_change_body(self, step: m.ChangeBodyStep) -> None:
        host = self.world.net.host(step.host).name
        old, new = (_crlf(text) for text in (step.old, step.new))
        self.world.faults.add(BodyChange(host, old, new, step.times))
        how = f"replace {step.old!r} with {step.new!r} in" if step.old else f"add {step.new!r} to"
        which = {0: "every message", 1: "the next message"}.get(step.times, f"the next {step.times} messages")
        self.world.net.record(FaultInjected(fault="body-change", detail=f"{host} will {how} the body of {which} "
                                            "it relays, after DKIM signed it"))

    def _do_host_down(self, step: m.HostDownStep) -> None:
        self.world.net.host(step.host).up = False
        self.world.net.record(FaultInjected(fault="host_down", detail=f"{step.host} is down"))

    def _do_host_up(self, step: m.HostDownStep) -> None:
        self.world.net.host(step.host).up = True
        self.world.net.record(Note(text=f"{step.host} is back up"))

    def _do_mitm(self, step: m.MitmStep) -> None:
        self.world.add_mitm(man_in_the_middle(step))
        self.world.net.record(FaultInjected(fault="man_in_the_middle", detail=mitm_text(step)))

    def _do_certificate(self, step: m.CertificateStep) -> None:
        host = self.world.net.host(step.host).name
        self.world.tls.faults[host] = CertFault(step.fault)
        self.world.net.record(FaultInjected(fault="certificate",
                                            detail=f"{host} now serves {CERTIFICATE_TEXT[CertFault(step.fault)]}"))

    def _do_dns(self, step: m.DnsStep) -> None:
        for gone in step.remove:
            self.world.net.dns.remove(gone.name, gone.type)
            self.world.net.record(Note(text=f"DNS: {gone.name} {gone.type} removed"))
        for record in step.publish:
            self.world.net.dns.add(record.name, record.type, record.value)
            self.world.net.record(Note(text=f"DNS: {record.name} {record.type} now published: {record.value}"))

    def _do_check(self, step: m.CheckStepModel) -> None:
        pass

    def _do_note(self, step: m.NoteStep) -> None:
        self.world.net.record(Note(text=step.text))

    # --- replies and expectations ---------------------------------------------

    def _read_replies(self, name: str) -> None:
        conn, reader = self.conns[name], self.readers[name]
        while data := conn.read():  # the plaintext before a TLS handshake, then what came over TLS
            reader.feed(data)
        while True:
            try:
                reply = reader.next_reply()
            except RemoteProtocolError:
                break
            if reply is None:
                break
            self.last_replies.append(reply)

    def _fail(self, step: m.StepBase, what: str, detail: str) -> None:
        self.result.failures.append(Failure(step.id, what, detail))
        self.world.net.record(ExpectationChecked(step_id=step.id, what=what, ok=False, detail=detail))

    def _pass(self, step: m.StepBase, what: str, detail: str) -> None:
        self.world.net.record(ExpectationChecked(step_id=step.id, what=what, ok=True, detail=detail))

    def _verdict(self, step: m.StepBase, what: str, ok: bool, detail: str) -> None:
        (self._pass if ok else self._fail)(step, what, detail)

    def _check(self, step: m.StepBase, ex: m.Expect) -> None:
        last = self.last_replies[-1] if self.last_replies else None
        if ex.reply is not None:
            want = ex.reply if isinstance(ex.reply, m.ExpectReply) else m.ExpectReply(code=ex.reply)
            if last is None:
                self._fail(step, "reply", "no reply was received")
            else:
                problems = []
                if want.code is not None and str(want.code) != str(last.code):
                    problems.append(f"code {last.code}, expected {want.code}")
                if want.enhanced is not None and want.enhanced != last.enhanced:
                    problems.append(f"enhanced code {last.enhanced or '(none)'}, expected {want.enhanced}")
                if want.contains is not None and want.contains.lower() not in last.text.lower():
                    problems.append(f"text does not contain {want.contains!r}")
                self._verdict(step, "reply", not problems, "; ".join(problems) or _one_line(last))
        if ex.replies is not None:
            got = [r.code for r in self.last_replies]
            self._verdict(step, "replies", got == ex.replies, f"got {got}, expected {ex.replies}")
        for item in _as_list(ex.mailbox):
            try:
                messages = self._folder_messages(item.user, item.folder)
            except KeyError as exc:
                self._fail(step, "mailbox", str(exc.args[0]) if exc.args else str(exc))
                continue
            for ok, detail in checks.mailbox(item, messages):
                self._verdict(step, "mailbox", ok, detail)
        for item in _as_list(ex.view):
            seen = checks.latest_view(self.world.trace.events, self.conn_ids.get(item.conn, ""))
            for ok, detail in checks.view(item, seen):
                self._verdict(step, "view", ok, detail)
        if ex.downloaded is not None:
            got = None if self.last_download is None else [msg.data for msg in self.last_download]
            for ok, detail in checks.downloaded(ex.downloaded, got):
                self._verdict(step, "downloaded", ok, detail)
        for item in _as_list(ex.queue):
            count = len(self.world.mailhosts[self.world.net.host(item.host).name].queue)
            self._verdict(step, "queue", count == item.count,
                          f"{item.host} queue holds {count} message(s), expected {item.count}")
        for item in _as_list(ex.delivery):
            if not self.last_results:
                self._fail(step, "delivery", f"{item.recipient}: this step sent no message, expected "
                           f"{item.outcome} (expect.delivery checks its own step's send_message)")
                continue
            outcomes = [r.outcome for res in self.last_results for r in res.recipients
                        if r.recipient.lower() == item.recipient.lower()]
            self._verdict(step, "delivery", item.outcome in outcomes,
                          f"{item.recipient}: {', '.join(outcomes) or 'not a recipient of this message'}, "
                          f"expected {item.outcome}")
        if ex.state is not None:
            state = self._current_state(ex.state.conn, ex.state.machine)
            self._verdict(step, "state", state == ex.state.state,
                          f"{ex.state.machine} is in {state or '(no state)'}, expected {ex.state.state}")
        if ex.closed is not None:
            name = getattr(step, "name", None) or getattr(step, "conn", "main")
            session = self.sessions.get(name)
            conn = session.conn if session is not None else self.conns.get(name)
            closed = conn is None or conn.closed
            self._verdict(step, "closed", closed == ex.closed,
                          f"connection is {'closed' if closed else 'open'}")

    def _folder_messages(self, user: str, folder: str) -> list[Any]:
        mh = self.world.mailhost_for(user)
        if mh is None or not mh.store.has_user(user):
            raise KeyError(f"no mailbox for {user}")
        return list(mh.store.folder(user, folder).messages)

    def _current_state(self, conn_name: str, machine: str) -> str:
        """The state of ``machine`` on the script's connection ``conn_name``, never another's."""
        conn_id = self.conn_ids.get(conn_name)
        if conn_id is None:
            return ""
        ran_here = False
        for event in reversed(self.world.trace.events):
            if getattr(event, "conn", None) == conn_id and getattr(event, "machine", None) == machine:
                if isinstance(event, StateChanged):
                    return event.to_state
                ran_here = True
        table = refs.machine_tables().get(machine)
        return table.initial if ran_here and table is not None else ""


def attachment(model: m.AttachmentModel) -> Attachment:
    """A scenario's attachment as the mail client attaches it: given text, given octets, or generated ones."""
    kind = model.mime_type
    if model.text is not None:
        data: str | bytes = model.text
    elif model.base64 is not None:
        data = base64.b64decode(model.base64)
    else:
        assert model.size is not None  # exactly one of the three (the model checks)
        data = generated(kind, model.size, model.filename)
    return Attachment(model.filename, kind, data, inline=model.inline)


CERTIFICATE_TEXT = {  # what a certificate step makes a host serve (its FaultInjected detail)
    CertFault.NONE: "a valid certificate again, from the world's CA",
    CertFault.EXPIRED: "an expired certificate (its notAfter date has passed)",
    CertFault.NOT_YET_VALID: "a certificate that is not yet valid (its notBefore date is in the future)",
    CertFault.WRONG_NAME: "a certificate for another name",
    CertFault.SELF_SIGNED: "a self-signed certificate",
    CertFault.UNKNOWN_CA: "a certificate from a CA the clients do not trust",
}


def _crlf(text: str) -> str:
    """Scenario text as body lines on the wire: CRLF line ends, no final one (BodyChange adds it)."""
    return text.replace("\r\n", "\n").rstrip("\n").replace("\n", "\r\n")


def mitm_text(model: m.MitmStep | m.MitmModel) -> str:
    """What a man in the middle does, in one sentence (its FaultInjected detail)."""
    does = []
    if model.strip_starttls:
        does.append("strips the offer of STARTTLS from the server's replies")
    if model.inject_after_starttls:
        does.append(f"adds {', '.join(model.inject_after_starttls)} after the client's STARTTLS")
    what = " and ".join(does) or "reads what crosses, changing nothing"
    return f"{model.host} sits on the link between {model.between[0]} and {model.between[1]}: it {what}"


def _one_line(reply: Any) -> str:
    """A reply as one line of the transcript (a multi-line reply's first line, and how many follow)."""
    lines = str(reply).splitlines()
    more = len(lines) - 1
    return lines[0] if not more else f"{lines[0]} … and {more} more line{'s' if more > 1 else ''}"


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _send_title(step: m.SendStep) -> str:
    first = step.line if step.line is not None else (step.lines or [step.data or ""])[0]
    return f"C: {first.splitlines()[0] if first else ''}"


def _plain_title(step: m.StepBase) -> str:
    return step.action.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Action:
    """One action of the scenario format: how it runs, its default title, what it must name."""

    run: Callable[[Runner, Any], None]
    title: Callable[[Any], str]
    check: Callable[[refs.References, tuple[Any, ...], Any], None]


ACTIONS: dict[str, Action] = {
    "connect": Action(Runner._do_connect, lambda s: f"{s.from_} connects to {s.to}:{s.port}", refs.check_connect),
    "send": Action(Runner._do_send, _send_title, refs.check_send),
    "close": Action(Runner._do_close, _plain_title, refs.check_close),
    "send_message": Action(Runner._do_send_message, lambda s: f"{s.sender} sends {s.subject!r}",
                           refs.check_send_message),
    "run_queue": Action(Runner._do_run_queue, _plain_title, refs.check_run_queue),
    "advance_clock": Action(Runner._do_advance_clock, _plain_title, refs.check_nothing),
    "fault": Action(Runner._do_fault, _plain_title, refs.check_fault),
    "change_body": Action(Runner._do_change_body, lambda s: f"{s.host} changes message bodies it relays",
                          refs.check_change_body),
    "host_down": Action(Runner._do_host_down, _plain_title, refs.check_host),
    "host_up": Action(Runner._do_host_up, _plain_title, refs.check_host),
    "certificate": Action(Runner._do_certificate, lambda s: f"{s.host}'s certificate: {s.fault}",
                          refs.check_certificate),
    "dns": Action(Runner._do_dns, lambda s: "DNS changes: " + ", ".join(
        [f"{r.name} {r.type} published" for r in s.publish] + [f"{r.name} {r.type} removed" for r in s.remove]),
        refs.check_dns),
    "check": Action(Runner._do_check, _plain_title, refs.check_nothing),
    "note": Action(Runner._do_note, _plain_title, refs.check_nothing),
    "mitm": Action(Runner._do_mitm, lambda s: f"{s.host} gets between {s.between[0]} and {s.between[1]}",
                   refs.check_mitm),
    # reading mail (reading.py): a device's POP3 / IMAP client machine
    "check_mail": Action(reading.check_mail, reading.check_mail_title, refs.check_check_mail),
    "open_mailbox": Action(reading.open_mailbox, reading.open_mailbox_title, refs.check_open_mailbox),
    "read": Action(reading.read, reading.read_title, refs.check_imap_session),
    "flag": Action(reading.flag, reading.flag_title, refs.check_imap_session),
    "move": Action(reading.move, reading.move_title, refs.check_imap_session),
    "delete": Action(reading.delete, reading.delete_title, refs.check_imap_session),
    "idle": Action(reading.idle, reading.session_title, refs.check_imap_session),
    "sync": Action(reading.sync, reading.session_title, refs.check_imap_session),
    "logout": Action(reading.logout, reading.session_title, refs.check_logout),
    "drop": Action(reading.drop, reading.session_title, refs.check_drop),
}


def default_title(step: m.StepBase) -> str:
    """The title a step without one is shown with."""
    return ACTIONS[step.action].title(step)


def run_scenario(scenario: m.Scenario) -> RunResult:
    return Runner(scenario).run()
