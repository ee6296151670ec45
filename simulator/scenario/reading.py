"""Scenario actions that read mail: a device's POP3 or IMAP client machine, driven step by step.

``check_mail`` runs one POP3 download (RFC 1939; its ``login`` may be AUTH with
a SASL mechanism, RFC 5034); ``open_mailbox`` logs an IMAP session in (LOGIN, or
AUTHENTICATE with its ``authenticate`` mechanism, RFC 9051 6.2.2), selects a folder and fetches its messages' UIDs and flags (RFC 9051
6.2.3, 6.3.2, 6.4.5), and the session stays open under a
name for ``read``, ``flag``, ``move``, ``delete``, ``idle``, ``sync``, ``logout``
and ``drop``. Each action sends what a mail program sends; the client machine
reads every response, so its view of the mailbox is what the server told it.
After every step the runner lets each open session read what arrived
unasked (an IDLE push, RFC 2177), as a device does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulator.net.connection import Connection
from simulator.protocols.imap import client as imap
from simulator.protocols.imap import states as imap_states
from simulator.protocols.pop3 import client as pop3
from simulator.protocols.pop3 import states as pop3_states
from simulator.protocols.registry import protocol
from simulator.protocols.spec import ReplyLike, ReplyReader
from simulator.scenario import models as m
from simulator.scenario.world import resolve_login
from simulator.trace import FaultInjected, StateChanged

if TYPE_CHECKING:
    from simulator.scenario.runner import Runner


@dataclass
class Session:
    """A device's client machine on an open connection, and a reader of the same bytes for expectations."""

    name: str
    device: str
    protocol: str  # "imap" or "pop3"
    conn: Connection
    client: Any  # ImapClient or Pop3Client
    reader: ReplyReader
    user: str
    replies: list[ReplyLike] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return not self.conn.closed


def exchange(runner: Runner, session: Session) -> None:
    """Let the client and the server talk until neither has more to say (the client reads first)."""
    conn, client, record = session.conn, session.client, runner.world.net.record
    while True:
        data = conn.read()
        if data:
            for event in client.receive_data(data):
                record(event)
            _read(runner, session, data)
            conn.answer_client(client)  # its StartTls after STARTTLS / STLS: the handshake has run
        if conn.closed:
            for event in client.receive_data(b""):
                record(event)
            return
        out = client.data_to_send()
        if not out:
            if client.closed:
                conn.close("client")
            return
        session.reader.command_sent(out)
        conn.send(out)


def _read(runner: Runner, session: Session, data: bytes) -> None:
    session.reader.feed(data)
    while (reply := session.reader.next_reply()) is not None:
        runner.last_replies.append(reply)


def pump(runner: Runner) -> None:
    """Every open session reads what the server sent it unasked since the last step."""
    for session in runner.sessions.values():
        if session.open:
            exchange(runner, session)


def _open(runner: Runner, step: m.CheckMailStep | m.OpenMailboxStep, proto: str) -> Session | None:
    user, password, server = resolve_login(runner.spec, step.from_, step.user, step.password, step.server)
    old = runner.sessions.get(step.name)
    if old is not None and old.open:
        old.conn.close("client")
    raw = runner.conns.pop(step.name, None)
    if raw is not None and not raw.closed:
        raw.close("client")
    conn = runner.world.net.connect(step.from_, server, step.port)
    runner.sessions.pop(step.name, None)
    if conn is None:
        return None
    client = protocol(proto).new_client()
    client.conn = conn.id
    client.tls_active = conn.tls  # implicit TLS (RFC 8314): up before the greeting
    session = Session(step.name, step.from_, proto, conn, client, protocol(proto).reply_reader(), user)
    runner.sessions[step.name] = session
    runner.conn_ids[step.name] = conn.id
    return session


# --- POP3 ---------------------------------------------------------------------------


def check_mail(runner: Runner, step: m.CheckMailStep) -> None:
    session = _open(runner, step, "pop3")
    runner.last_download = []
    if session is None:
        return
    user, password, _ = resolve_login(runner.spec, step.from_, step.user, step.password, step.server)
    seen = runner.downloaded.get((step.from_, user), set())
    client: pop3.Pop3Client = session.client
    if step.tls != "none" and not session.conn.tls:
        exchange(runner, session)  # the greeting
        client.send(pop3.Capa())  # RFC 2449 5: does the server offer STLS?
        exchange(runner, session)
        if "STLS" in client.capabilities:
            client.send(pop3.Stls())  # RFC 2595 4
            exchange(runner, session)
        if not session.conn.tls and step.tls == "required":
            # RFC 8314 5.2 (minimum confidentiality level): no login without TLS; the client
            # leaves before it sends a password.
            client.error = "the server offers no STLS (or refused it); this client requires TLS"
            client.send(pop3.Quit())
            exchange(runner, session)
            runner.last_download = []
            return
    nonce = runner.world.net.rng.hex(24) if step.login == "SCRAM-SHA-256" else ""  # RFC 5802 5.1
    client.send(pop3.Login(user, password, step.login, nonce=nonce))
    client.send(pop3.Download(delete=not step.leave_on_server,
                              skip_uids=frozenset(seen) if step.only_new else frozenset()))
    if step.quit:
        client.send(pop3.Quit())
    exchange(runner, session)
    runner.last_download = list(client.messages)
    _remember(runner, session)


def _remember(runner: Runner, session: Session) -> None:
    """Once the server has signed off, the device counts what it downloaded as had (by UIDL).

    A session that dropped first counts for nothing: the server kept every message
    (RFC 1939 6), and the device fetches them again next time, as a mail program does.
    """
    if _signed_off(runner, session):
        uids = {msg.unique_id for msg in session.client.messages if msg.unique_id}
        runner.downloaded.setdefault((session.device, session.user), set()).update(uids)


def _signed_off(runner: Runner, session: Session) -> bool:
    return any(isinstance(e, StateChanged) and e.conn == session.conn.id and e.machine == pop3.MACHINE
               and e.from_state == pop3_states.C_EXPECT_QUIT_REPLY and e.trigger == pop3_states.OK
               for e in reversed(runner.world.trace.events))


def check_mail_title(step: m.CheckMailStep) -> str:
    keep = "leaves the mail on the server" if step.leave_on_server else "downloads and deletes"
    return f"{step.from_} checks mail with POP3 ({keep}{'' if step.quit else ', no QUIT yet'})"


# --- IMAP ---------------------------------------------------------------------------


def open_mailbox(runner: Runner, step: m.OpenMailboxStep) -> None:
    session = _open(runner, step, "imap")
    if session is None:
        return
    client: imap.ImapClient = session.client
    exchange(runner, session)  # the greeting
    if client.state != imap_states.C_NOT_AUTHENTICATED:
        return
    if step.tls != "none" and not session.conn.tls:
        if "STARTTLS" in client.capabilities:
            client.send(imap.StartTls())  # RFC 9051 6.2.1
            exchange(runner, session)
            if client.state == imap_states.C_NOT_AUTHENTICATED and session.conn.tls:
                client.send(imap.Capability())  # what the server offers now, over TLS
                exchange(runner, session)
        if client.state != imap_states.C_NOT_AUTHENTICATED:
            return
        if not session.conn.tls and step.tls == "required":
            # RFC 8314 5.2 (minimum confidentiality level): no login without TLS; the client
            # leaves before it sends a password.
            client.error = "the server offers no STARTTLS (or refused it); this client requires TLS"
            client.send(imap.Logout())
            exchange(runner, session)
            return
    password = resolve_login(runner.spec, step.from_, step.user, step.password, step.server)[1]
    if step.authenticate is None:
        client.send(imap.Login(session.user, password))
    else:  # RFC 9051 6.2.2; a SCRAM client nonce from the world's seeded generator (RFC 5802 5.1)
        nonce = runner.world.net.rng.hex(24) if step.authenticate == "SCRAM-SHA-256" else ""
        client.send(imap.Authenticate(session.user, password, step.authenticate, nonce=nonce))
    exchange(runner, session)
    if client.state == imap_states.C_AUTHENTICATED:
        client.send(imap.Select(step.folder, read_only=step.read_only))
        exchange(runner, session)
    if client.state == imap_states.C_SELECTED and client.exists:
        client.send(imap.Fetch("1:*", "(UID FLAGS)"))  # what a mail program lists first
        exchange(runner, session)


def _imap(runner: Runner, step: Any) -> Session | None:
    session = runner.sessions.get(step.conn)
    if session is None or not session.open:
        runner._fail(step, step.action, f"session {step.conn!r} is not open")
        return None
    return session


def _command(runner: Runner, step: Any, command: imap.ClientCommand) -> imap.CommandResult | None:
    """Send one command (ending IDLE first, as a client must, RFC 2177 3); its result."""
    session = _imap(runner, step)
    if session is None:
        return None
    client: imap.ImapClient = session.client
    if client.state == imap_states.C_IDLING:
        client.send(imap.Done())
        exchange(runner, session)
    if client.state != imap_states.C_SELECTED and not isinstance(command, imap.Logout):
        runner._fail(step, step.action, f"session {step.conn!r} has no mailbox selected ({client.state})")
        return None
    before = len(client.results)
    client.send(command)
    exchange(runner, session)
    return client.results[-1] if len(client.results) > before else None


def read(runner: Runner, step: m.ReadStep) -> None:
    _command(runner, step, imap.Fetch(step.sequence, "BODY.PEEK[]" if step.peek else "BODY[]",
                                      uid=step.uid is not None))


def flag(runner: Runner, step: m.FlagStep) -> None:
    for mode, flags in (("+", step.add), ("-", step.remove)):
        if flags:
            result = _command(runner, step, imap.Store(step.sequence, tuple(flags), mode, uid=step.uid is not None))
            if result is None or not result.ok:
                return


def move(runner: Runner, step: m.MoveStep) -> None:
    command = imap.Move(step.sequence, step.to, uid=step.uid is not None)
    result = _command(runner, step, command)
    if (step.create and result is not None and result.response is not None
            and result.status == "NO" and result.response.enhanced == "TRYCREATE"):
        created = _command(runner, step, imap.Create(step.to))
        if created is not None and created.ok:
            _command(runner, step, command)


def delete(runner: Runner, step: m.DeleteStep) -> None:
    result = _command(runner, step, imap.Store(step.sequence, ("\\Deleted",), "+", uid=step.uid is not None))
    if step.expunge and result is not None and result.ok:
        _command(runner, step, imap.Expunge())


def idle(runner: Runner, step: m.SessionStep) -> None:
    session = _imap(runner, step)
    if session is None or session.client.state == imap_states.C_IDLING:
        return
    if session.client.state != imap_states.C_SELECTED:
        runner._fail(step, "idle", f"session {step.conn!r} has no mailbox selected ({session.client.state})")
        return
    session.client.send(imap.Idle())
    exchange(runner, session)


def sync(runner: Runner, step: m.SessionStep) -> None:
    """NOOP, the server's chance to report changes (RFC 9051 6.1.2); then, as a mail program does,
    FETCH the UIDs and flags of the messages that EXISTS announced."""
    result = _command(runner, step, imap.Noop())
    if result is None:
        return
    client: imap.ImapClient = runner.sessions[step.conn].client
    unknown = [n for n, info in enumerate(client.messages, 1) if info.uid is None]
    if unknown and client.state == imap_states.C_SELECTED:
        _command(runner, step, imap.Fetch(f"{unknown[0]}:*", "(UID FLAGS)"))


def logout(runner: Runner, step: m.SessionStep) -> None:
    session = runner.sessions.get(step.conn)
    if session is None or not session.open:
        runner._fail(step, "logout", f"session {step.conn!r} is not open")
        return
    if session.protocol == "pop3":
        session.client.send(pop3.Quit())
        exchange(runner, session)
        _remember(runner, session)
    else:
        _command(runner, step, imap.Logout())


def drop(runner: Runner, step: m.SessionStep) -> None:
    """The connection goes away without QUIT or LOGOUT: a fault, as the network makes it."""
    session = runner.sessions.get(step.conn)
    conn = session.conn if session is not None else runner.conns.get(step.conn)
    if conn is None or conn.closed:
        runner._fail(step, "drop", f"connection {step.conn!r} is not open")
        return
    goodbye = "LOGOUT" if session is not None and session.protocol == "imap" else "QUIT"
    runner.world.net.record(FaultInjected(
        fault="drop", detail=f"the connection {conn.client.name} → {conn.server.name} drops, no {goodbye} sent"))
    conn.close("fault", f"dropped before {goodbye}")
    if session is not None:
        exchange(runner, session)


# --- default titles -----------------------------------------------------------------


def open_mailbox_title(step: m.OpenMailboxStep) -> str:
    return f"{step.from_} opens {step.folder} with IMAP"


def read_title(step: m.ReadStep) -> str:
    return f"{step.conn} reads {step.which}{' (peek)' if step.peek else ''}"


def flag_title(step: m.FlagStep) -> str:
    changes = [*(f"+{f}" for f in step.add), *(f"-{f}" for f in step.remove)]
    return f"{step.conn} flags {step.which} {' '.join(changes)}"


def move_title(step: m.MoveStep) -> str:
    return f"{step.conn} moves {step.which} to {step.to}"


def delete_title(step: m.DeleteStep) -> str:
    return f"{step.conn} deletes {step.which}{'' if step.expunge else ' (marks it only)'}"


SESSION_TITLES = {
    "idle": "{conn} waits for news (IDLE)",
    "sync": "{conn} asks what changed (NOOP)",
    "logout": "{conn} logs out",
    "drop": "{conn}'s connection drops",
}


def session_title(step: m.SessionStep) -> str:
    return SESSION_TITLES[step.action].format(conn=step.conn)
