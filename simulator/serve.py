"""``mailsim serve``: the virtual world's servers on loopback, for real mail clients.

An asyncio TCP bridge. Each real connection becomes a
:class:`~simulator.net.connection.Connection` of the virtual world, opened
from the virtual host ``real-client`` (a documentation-range address: the
real loopback address never enters the world, only this module's log). The
bytes a client sends are fed to the same sans-IO server machine a scenario
uses, its replies are written back, and everything lands in the world's
trace, which is printed as it grows, the way ``mailsim run`` prints it.

Mail accepted on submission is relayed through the virtual world at once,
after the 250 reply has been written, as a queueing MTA would.

IMAP and POP3 (2143 / 2993, 2110 / 2995) reach the mailbox server of the
domain in the login address. The routing choice: the connection goes to a
virtual host of its own, the mailbox front (:mod:`simulator.agents.front`,
``mailboxes.serve.example``), whose IMAP and POP3 machines are the
providers' machines given a per-session directory: at login it looks up the
address's domain and from then on reads that mail host's store, so
bob@example.net reaches mx.example.net's mailboxes and alice@example.org
mail.example.org's, through the same port. A Note in the trace says which
host a login reached. (A proxy that read the login before choosing a
virtual host would have to speak pre-login IMAP and POP3, STARTTLS
included, itself; the directory keeps one machine per session.)

TLS: the world's servers offer STARTTLS here (SMTP, IMAP STARTTLS, POP3 STLS)
and 2465 / 2993 / 2995 run implicit TLS (RFC 8314), with certificates of the
virtual CA that also name ``localhost``, ``127.0.0.1`` and ``::1``
(``--ca-out FILE`` writes the CA certificate for real clients to trust). The
real client makes its own TLS, so the bytes on the socket are the wire: each
session is a Connection with an external client (see
:mod:`simulator.net.connection`), whose server end takes the client's
records; the virtual world's client end is not used. The records are in the
trace, decoded, and decrypted with the server end's key log.

IMAP's idle timer is RFC 9051 5.4's autologout, at least 30 minutes (also
while a client IDLEs: RFC 2177 asks clients to re-issue IDLE within 29),
POP3's RFC 1939 3's, at least 10 minutes; both can be set shorter. An IMAP
server in IDLE speaks unasked (a delivery, another session's change): its
``on_output`` bytes are written to the socket at once. A synchronising
literal ``{n}`` is handed to the machine at its CRLF, and the ``+`` it
answers is written before the bridge reads again, since the client waits for it.

Limits: loopback only; at most ``max_connections`` sessions (then ``421
4.7.0``), with a listen backlog that queues a whole class connecting at once;
an idle timeout, and deadlines for a whole line and a whole message (``421
4.4.2`` saying which timer fired); the machine's line limits (RFC 5321
4.5.3.1) and the world's message size. Of a line without CRLF at most
:data:`MAX_HELD` bytes are held and fed to the machine (which refuses it);
the rest of it is dropped as it is read and a Note in the trace says how
much, so a line bomb costs at most ``MAX_HELD + READ_SIZE`` (8 KiB held and one
read of 64 KiB before it is cut) per session: line bombs on every one of
``max_connections`` sessions hold at most ``max_connections × (MAX_HELD +
READ_SIZE)``, about 14 MiB at the default 200, not the cap times the 512-octet line
limit (asyncio's own read buffer, :data:`STREAM_LIMIT`, comes on top). A logged line is cut at
:data:`LOG_LINE_LIMIT` characters. A client that drops mid-DATA delivers
nothing: the machine is told the peer closed.

A server that runs all term must not keep all it has seen: the in-memory
trace holds a window of recent sessions (:class:`TraceWindow`), and
``--trace-json`` streams every event to a file as it happens
(:class:`TraceFile`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import re
import signal
import sys
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simulator.agents.front import MailboxFront
from simulator.agents.mailhost import MailHost
from simulator.agents.world import DEFAULT_SPEC, HostSpec, MailWorld, WorldSpec
from simulator.export.transcript import Printer
from simulator.mail.message import header
from simulator.net.connection import Connection
from simulator.net.world import Host
from simulator.protocols.registry import protocol_of_service
from simulator.scenario.record import MailboxAtEnd, dump, recorded_scenario
from simulator.trace import (
    BytesSent,
    ConnectionClosed,
    ConnectionOpened,
    ConnectionRefused,
    Event,
    Note,
    Trace,
)

# The real client, as the virtual world sees it (RFC 5737 TEST-NET-1).
REAL_CLIENT = "real-client"
REAL_CLIENT_SPEC = HostSpec(REAL_CLIENT, ["192.0.2.200"], "real-client.example", role="client")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_MAX_CONNECTIONS = 200  # a class of students, each with a client or two
DEFAULT_IDLE_TIMEOUT = 300.0  # RFC 5321 4.5.3.2.7 asks a server to wait 5 minutes for a command
DEFAULT_IMAP_IDLE_TIMEOUT = 1800.0  # RFC 9051 5.4: an autologout timer of at least 30 minutes
DEFAULT_POP3_IDLE_TIMEOUT = 600.0  # RFC 1939 3: an autologout timer of at least 10 minutes
SUBMISSION_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256")  # SMTP AUTH (RFC 4954) offered here
TLS_NAMES = ("localhost", "127.0.0.1", "::1")  # what a client on this computer checks the certificate for
PUSH_BUFFER_LIMIT = 1024 * 1024  # pushed output (IDLE) a client may leave unread before it is dropped
# Deadlines for a whole record, as Postfix's smtpd_per_record_deadline: the idle
# timer restarts with every byte, so a client sending a byte a second would hold
# its session for ever. A command (or message) line must arrive whole within
# the line deadline once its first byte has come, and the message text, from
# the 354 to the final dot, within the DATA deadline. A client that writes each
# line at once (every real client, and nc or telnet, which send a line on
# Enter) never meets them. RFC 5321 4.5.3.2's timers bound them: 5 minutes for
# a command (4.5.3.2.7), 10 minutes at most for a message (4.5.3.2.6).
DEFAULT_LINE_DEADLINE = 60.0
DEFAULT_DATA_DEADLINE = 600.0
MAX_LINE_DEADLINE = 300.0  # RFC 5321 4.5.3.2.7
MAX_DATA_DEADLINE = 600.0  # RFC 5321 4.5.3.2.6
READ_SIZE = 64 * 1024  # bytes asked of the socket at a time
STREAM_LIMIT = 64 * 1024  # asyncio stops reading the socket when this much is unread
# Bytes of one line held before the machine gets them anyway: more than any line
# limit of the machines (SMTP 512 and 1000, RFC 5321 4.5.3.1.4-6; the 8192 octets
# RFC 7162 section 4 asks IMAP servers to accept). Past it the rest of the line is
# dropped as it is read, never held; a read of READ_SIZE may land on top before the
# cut, so a line bomb holds at most MAX_HELD + READ_SIZE per session (the cap times
# that in all: see the module docstring).
MAX_HELD = 8 * 1024
DATA_CHUNK = 1024 * 1024  # message text held back at most, so a message shows as one burst
CLOSE_GRACE = 2.0  # seconds a closing socket may take to flush before it is aborted
MIN_BACKLOG = 1024  # connections the kernel queues for accept(); see listen_backlog()
LOG_LINE_LIMIT = 200  # characters of one logged line; the rest is counted, not printed
# What the in-memory trace keeps (see TraceWindow); --trace-json gets every event.
TRACE_WINDOW = 50  # closed sessions whose events stay in memory
SESSION_TRACE_EVENTS = 500  # events of one session kept in memory
SESSION_TRACE_BYTES = 256 * 1024  # bytes of one session's traffic kept in memory
LOOSE_TRACE_EVENTS = 1000  # events of no connection (DNS, queue, mailbox, refusals) kept
LIVE_EVENT_LIMIT = 200_000  # events a live session keeps to save (a demo of a few clients is a few thousand)


def listen_backlog(max_connections: int) -> int:
    """The listen(2) backlog for ``max_connections`` sessions.

    A connection the kernel cannot queue is not refused: its SYN is dropped and
    the client retries 1, 3, 7 ... seconds later, so a class connecting at once
    would wait for its greeting. The queue holds the whole cap twice over (the
    refused get their 421 through it too); the kernel may lower it to somaxconn.
    """
    return max(MIN_BACKLOG, 2 * max_connections)


@dataclass(frozen=True, slots=True)
class Listener:
    """A loopback port and the virtual service it reaches."""

    name: str
    default_port: int
    virtual_port: int  # the service's port on the virtual host
    domain: str  # the listener reaches this domain's mail host ("": the mailbox front, by the login)
    what: str  # one line for the banner


# The table of listeners: the service names are the registry's (protocols/*/protocol.py).
LISTENERS: tuple[Listener, ...] = (
    Listener("submission", 2587, 587, "example.org",
             "hand over mail as alice@example.org (STARTTLS); it is relayed on at once"),
    Listener("submissions", 2465, 465, "example.org", "the same over implicit TLS (RFC 8314)"),
    Listener("smtp", 2525, 25, "example.net",
             "deliver to example.net users directly, as another mail server would"),
    Listener("imap", 2143, 143, "", "read mail with IMAP (STARTTLS); the login's domain picks the mailboxes"),
    Listener("imaps", 2993, 993, "", "IMAP over implicit TLS"),
    Listener("pop3", 2110, 110, "", "download mail with POP3 (STLS); the login's domain picks the maildrop"),
    Listener("pop3s", 2995, 995, "", "POP3 over implicit TLS"),
)


class ServeError(Exception):
    """Something a user of ``mailsim serve`` must fix: printed, never a traceback."""


def loopback_host(host: str) -> str:
    """``host`` if it is a loopback address (127.0.0.0/8, ::1); else ServeError."""
    if host == "localhost":
        return DEFAULT_HOST
    try:
        addr = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise ServeError(f"--host {host!r} is not an IP address; use 127.0.0.1 or ::1") from None
    if not addr.is_loopback:
        raise ServeError(
            f"refusing to listen on {host}: only loopback addresses (127.0.0.0/8, ::1) are allowed, "
            "so that nothing outside this computer can reach the simulator"
        )
    return str(addr)


def serve_spec(spec: WorldSpec | None = None) -> WorldSpec:
    """``spec`` (default: the default world) with the virtual host for real clients added,
    STARTTLS offered by the mail servers (real clients are to be able to use it), and
    SMTP AUTH on submission unless the world chose its mechanisms: submission then
    requires a login (RFC 6409 4.3), unless the world keeps a protected subnetwork
    (``trusted_networks``) the real client's address is in."""
    spec = (spec or DEFAULT_SPEC).copy()
    spec.starttls = True
    if not spec.submission_auth:
        spec.submission_auth = SUBMISSION_MECHANISMS
    if spec.host(REAL_CLIENT) is None:
        taken = {a for h in spec.hosts for a in h.addresses}
        if taken & set(REAL_CLIENT_SPEC.addresses):
            raise ServeError(f"the world already uses {REAL_CLIENT_SPEC.addresses[0]}, the real client's address")
        spec.hosts.append(HostSpec(REAL_CLIENT_SPEC.name, list(REAL_CLIENT_SPEC.addresses),
                                   REAL_CLIENT_SPEC.fqdn, REAL_CLIENT_SPEC.role))
    return spec


def serve_world(spec: WorldSpec | None = None, *, seed: int = 1, start: datetime | None = None) -> MailWorld:
    """A world for ``mailsim serve``; its virtual clock starts now and follows real time."""
    return MailWorld(serve_spec(spec), seed=seed, start=start or datetime.now(UTC).replace(microsecond=0))


def _fmt(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


QUEUE_RUN_INTERVAL = 10.0  # seconds between looks at the queues for deferred mail that is due


class Bridge:
    """The listeners of :data:`LISTENERS` on loopback, each session a Connection of ``world``.

    ``ports`` maps a listener name to its port (0: any free port); the bound
    ports are in :attr:`ports` once started. ``out`` receives each printed
    line (None: silent).
    """

    def __init__(
        self,
        world: MailWorld,
        *,
        host: str = DEFAULT_HOST,
        ports: Mapping[str, int] | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        imap_idle_timeout: float = DEFAULT_IMAP_IDLE_TIMEOUT,
        pop3_idle_timeout: float = DEFAULT_POP3_IDLE_TIMEOUT,
        ca_out: Path | None = None,
        line_deadline: float = DEFAULT_LINE_DEADLINE,
        data_deadline: float = DEFAULT_DATA_DEADLINE,
        trace_window: int = TRACE_WINDOW,
        trace_json: Path | None = None,
        out: Callable[[str], None] | None = None,
        verbose: bool = False,
    ) -> None:
        if world.net.find_host(REAL_CLIENT) is None:
            raise ServeError(f"the world has no host {REAL_CLIENT!r}; build it with serve_world()")
        if max_connections < 1:
            raise ServeError("--max-connections must be at least 1")
        for option, value in (("--idle-timeout", idle_timeout), ("--imap-idle-timeout", imap_idle_timeout),
                              ("--pop3-idle-timeout", pop3_idle_timeout)):
            if value <= 0:
                raise ServeError(f"{option} must be more than 0 seconds")
        if not 0 < line_deadline <= MAX_LINE_DEADLINE:
            raise ServeError(f"--line-deadline must be more than 0 and at most {MAX_LINE_DEADLINE:g} seconds "
                             "(RFC 5321 4.5.3.2.7)")
        if not 0 < data_deadline <= MAX_DATA_DEADLINE:
            raise ServeError(f"--data-deadline must be more than 0 and at most {MAX_DATA_DEADLINE:g} seconds "
                             "(RFC 5321 4.5.3.2.6)")
        if trace_window < 0:
            raise ServeError("--trace-window must be 0 or more sessions")
        unknown = set(ports or {}) - {li.name for li in LISTENERS}
        if unknown:
            raise ServeError(f"unknown listener(s): {', '.join(sorted(unknown))}")
        self.world = world
        self.host = loopback_host(host)
        self.requested = {li.name: (ports or {}).get(li.name, li.default_port) for li in LISTENERS}
        self.ports: dict[str, int] = {}
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        # Each protocol's autologout: SMTP's RFC 5321 4.5.3.2.7, IMAP's and POP3's (module docstring).
        self.idle_timeouts = {"smtp": idle_timeout, "imap": imap_idle_timeout, "pop3": pop3_idle_timeout}
        self.ca_out = Path(ca_out) if ca_out is not None else None
        self.line_deadline = line_deadline
        self.data_deadline = data_deadline
        self.out = out
        # The mailbox front reads a login's domain and opens that mail host's store.
        self.front = MailboxFront(world.net, world.mailhost_for, tls=True,
                                  append_limit=world.spec.max_message_size,
                                  login_delay=world.spec.pop3_login_delay,
                                  mechanisms=world.spec.mailbox_auth,
                                  plaintext_auth=world.spec.mailbox_plaintext_auth)
        self.targets: dict[str, Host] = {}
        for li in LISTENERS:
            if not li.domain:
                self.targets[li.name] = self.front.host
                continue
            mh = world.mailhost_for(f"postmaster@{li.domain}")
            if mh is None:
                raise ServeError(f"the world has no mail host for {li.domain} (the {li.name} listener)")
            if li.virtual_port not in mh.host.services:  # a world of a scenario that does not listen there
                mh.listen(protocol_of_service(li.name).name, li.virtual_port)
            self.targets[li.name] = mh.host
        self.tls_names = tuple(dict.fromkeys((*TLS_NAMES, self.host)))
        self._transcript = _LiveTranscript(self._say, verbose)
        self.trace_file = TraceFile(trace_json, world.trace, self._log) if trace_json is not None else None
        self.trace_window = TraceWindow(world.trace, sessions=trace_window)
        self._servers: list[asyncio.Server] = []
        self._sessions: dict[asyncio.Task, _Session] = {}
        self._relay_due: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._t0 = 0.0
        self._closing = False
        self._queue_runner: asyncio.Task | None = None
        self.held_peak = 0  # the most bytes one session held unfed (at most MAX_HELD + READ_SIZE)

    # --- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._t0 = self._loop.time() - self.world.net.clock.now()
        if self.trace_file is not None:
            self.trace_file.open()  # before listening: a path that cannot be written stops here
        if self.ca_out is not None:
            try:
                self.ca_out.write_bytes(self.world.tls.ca.cert_pem())
            except OSError as exc:
                raise ServeError(f"cannot write the CA certificate to {self.ca_out}: {exc.strerror or exc}") from None
        listeners = self.world.net.recorder.listeners
        if self.out is not None:  # silent (serve --live shows the trace itself): nothing to print
            listeners.append(self._transcript)
        if self.trace_file is not None:
            listeners.append(self.trace_file)
        listeners.append(self.trace_window)  # last: the others see each event before it may go
        for mh in self.world.mailhosts.values():
            mh.on_queued.append(self._queued)
        try:
            for li in LISTENERS:
                port = self.requested[li.name]
                try:
                    server = await asyncio.start_server(
                        lambda r, w, li=li: self._on_client(li, r, w),
                        self.host, port, limit=STREAM_LIMIT,
                        backlog=listen_backlog(self.max_connections),
                    )
                except OSError as exc:
                    raise ServeError(
                        f"cannot listen on {_fmt(self.host, port)} for {li.name}: {exc.strerror or exc}; "
                        f"choose another port with --{li.name}-port (0 picks a free one)"
                    ) from None
                self._servers.append(server)
                self.ports[li.name] = server.sockets[0].getsockname()[1]
            self._queue_runner = asyncio.create_task(self._run_queues_periodically())
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """Stop accepting, tell open sessions 421 (RFC 5321 3.8), close everything."""
        if self._closing:
            return
        self._closing = True
        if self._queue_runner is not None:
            self._queue_runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._queue_runner
        for server in self._servers:
            server.close()
        sessions = dict(self._sessions)
        for session in sessions.values():
            session.shut_down()
        if sessions:
            _, pending = await asyncio.wait(sessions, timeout=CLOSE_GRACE)
            for task in pending:  # a client that does not read: drop it
                sessions[task].abort()
            if pending:
                _, pending = await asyncio.wait(pending, timeout=CLOSE_GRACE)
            for task in pending:
                task.cancel()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), CLOSE_GRACE)
        self._servers.clear()
        for mh in self.world.mailhosts.values():
            if self._queued in mh.on_queued:
                mh.on_queued.remove(self._queued)
        listeners = self.world.net.recorder.listeners
        for listener in (self._transcript, self.trace_file, self.trace_window):
            if listener is not None and listener in listeners:
                listeners.remove(listener)
        if self.trace_file is not None:
            self.trace_file.close()
        self.trace_window.compact()

    async def __aenter__(self) -> Bridge:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def open_sessions(self) -> int:
        return len(self._sessions)

    # --- what the user reads ----------------------------------------------------

    def _say(self, line: str) -> None:
        if self.out is not None:
            self.out(line)

    def _log(self, text: str) -> None:
        if self._loop is not None:
            self._tick()
        self._say(f"[{self.world.net.clock.now():7.1f}s] serve: {text}")

    def banner(self) -> list[str]:
        width = max(len(li.name) for li in LISTENERS)
        lines = [f"mailsim serve: the virtual mail world is listening on {self.host}"]
        for li in LISTENERS:
            target = self.targets[li.name]
            reaches = f"{target.name}:{li.virtual_port}"
            lines.append(f"  {li.name:<{width}}  {_fmt(self.host, self.ports[li.name]):<16}"
                         f"-> {reaches:<26} {li.what}")
        users = ", ".join(f"{u.address} / {u.password}" for u in self.world.spec.users())
        sub, mx = self.ports["submission"], self.ports["smtp"]
        host = f"[{self.host}]" if ":" in self.host else self.host
        bob = next((u for u in self.world.spec.users() if u.address == "bob@example.net"), None)
        reader = f"{bob.address}:{bob.password}" if bob else "USER@DOMAIN:PASSWORD"
        ca = str(self.ca_out) if self.ca_out is not None else "ca.pem"
        lines += [
            f"  users (address / password): {users}",
            f"  your client appears in the world as {REAL_CLIENT} ({REAL_CLIENT_SPEC.addresses[0]})",
            f"  certificates: the virtual CA's, also for {', '.join(self.tls_names)}"
            + (f"; its certificate is in {self.ca_out}" if self.ca_out is not None
               else " (--ca-out FILE writes the CA certificate to trust)"),
            "Try:",
            f"  swaks --server {_fmt(self.host, sub)} --from alice@example.org --to bob@example.net --tls "
            "--auth PLAIN --auth-user alice@example.org --auth-password wonderland",
            f"  curl smtp://{host}:{mx}/client.example --mail-from mallory@evil.example "
            "--mail-rcpt bob@example.net -T message.txt --crlf   (an outside server: SPF and DMARC apply)",
        ]
        if self.world.spec.mailbox_plaintext_auth:
            lines += [
                f"  curl imap://{host}:{self.ports['imap']}/INBOX -u {reader}        (then .../INBOX;UID=1)",
                f"  curl pop3://{host}:{self.ports['pop3']}/1 -u {reader}",
            ]
        else:  # the world's mailbox servers take no password in the clear (LOGINDISABLED, RFC 9051 6.2.3)
            lines.append("  IMAP and POP3 take no password before STARTTLS / STLS here (mailbox.plaintext_auth: false)")
        lines += [
            f"  curl --ssl-reqd --cacert {ca} imap://localhost:{self.ports['imap']}/INBOX -u {reader}",
            f"  curl --ssl-reqd --cacert {ca} --login-options AUTH=CRAM-MD5 pop3://localhost:{self.ports['pop3']}/1 "
            f"-u {reader}   (SASL, RFC 5034)",
            f"  openssl s_client -connect localhost:{self.ports['imaps']} -CAfile {ca}",
            "Ctrl-C stops the server and prints every mailbox.",
        ]
        return lines

    # --- sessions ---------------------------------------------------------------

    def _tick(self) -> None:
        """The virtual clock follows real time while serving."""
        assert self._loop is not None
        self.world.net.clock.advance_to(self._loop.time() - self._t0)

    def _queued(self, mailhost: MailHost) -> None:
        self._relay_due.add(mailhost.name)

    async def _run_queues_periodically(self) -> None:
        """Like an MTA's queue manager: wake up now and then and retry deferred mail."""
        while not self._closing:
            await asyncio.sleep(QUEUE_RUN_INTERVAL)
            self._tick()
            for mh in self.world.mailhosts.values():
                due = mh.queue.next_due_time()
                if due is not None and due <= self.world.net.clock.now():
                    self.world.relays[mh.name].run_queue()

    def run_relays(self) -> None:
        """Relay what submission queued, through the virtual world, now."""
        while self._relay_due:
            self.world.relays[self._relay_due.pop()].run_queue()

    async def _on_client(self, li: Listener, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        real = _fmt(*writer.get_extra_info("peername")[:2])
        local = _fmt(*writer.get_extra_info("sockname")[:2])
        target = self.targets[li.name]
        if self._closing:
            writer.transport.abort()
            return
        self._tick()
        implicit = target.services[li.virtual_port].implicit_tls
        if len(self._sessions) >= self.max_connections:
            reply = protocol_of_service(li.name).busy_reply(target.fqdn)
            self.world.net.record(ConnectionRefused(
                client_host=REAL_CLIENT, server_host=target.name, server_addr=target.address,
                port=li.virtual_port, reason=f"too many connections: {reply.decode('utf-8').rstrip()}"))
            self._log(f"refused {real} on {local}: {self.max_connections} sessions are open "
                      "(--max-connections)")
            if not implicit:  # a TLS client would read plaintext as a broken record: it is just closed
                writer.write(reply)
            await _close_writer(writer)
            return
        self._transcript.pending_note = f"your client {real}, connected to {local}"
        conn = self.world.net.connect(REAL_CLIENT, target.name, li.virtual_port,
                                      external_tls=self.world.tls.served(target, self.tls_names))
        self._transcript.pending_note = ""
        if conn is None:
            self._log(f"{target.name} does not answer in the virtual world; closing {real}")
            writer.transport.abort()
            return
        task = asyncio.current_task()
        assert task is not None
        session = _Session(self, conn, reader, writer)
        self._sessions[task] = session
        try:
            await session.run()
        except asyncio.CancelledError:
            session.abort()  # the loop is going away; asyncio would log a cancelled callback task
        except Exception:  # a bug, not the client's doing: show it, keep serving the others
            for line in traceback.format_exc().rstrip().splitlines():
                self._log(line)
            self._log(f"internal error on {conn.id}; closing that connection")
            session.abort()
        finally:
            self._sessions.pop(task, None)
            session._end_drop(ended=False)
            await _close_writer(writer)
            if not conn.closed:  # cancelled mid-way: the world must still see the end
                conn.close("client", "connection lost")


class _Session:
    """One real connection feeding one virtual Connection."""

    def __init__(self, bridge: Bridge, conn: Connection, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.bridge = bridge
        self.conn = conn
        self.reader = reader
        self.writer = writer
        self._held = bytearray()  # bytes read but not yet given to the machine
        # Where a unit of the stream ends is the protocol's business (its registry entry).
        spec = protocol_of_service(conn.service.name)
        self._framer = spec.framer(data_chunk=DATA_CHUNK)
        self.idle_timeout = bridge.idle_timeouts[spec.name]
        conn.on_push = self._pushed  # IMAP IDLE: output nobody asked for, from another call stack
        # An overlong line being dropped as it is read: octets dropped so far (None: not
        # dropping), and whether the last one was a CR that may begin the CRLF.
        self._dropped: int | None = None
        self._dropped_cr = False
        # Deadlines (loop time): the first byte of the line not yet ended by CRLF, the 354.
        self._line_began: float | None = None
        self._data_began: float | None = None

    async def run(self) -> None:
        self._write()
        await self._drain()
        loop = asyncio.get_running_loop()
        while not self.conn.closed and not self.writer.is_closing():
            wait, why = self._timer(loop.time())
            try:
                if wait <= 0:
                    raise TimeoutError
                data = await asyncio.wait_for(self.reader.read(READ_SIZE), wait)
            except TimeoutError:
                if self.conn.closed:
                    return
                self._expire(why)
                return
            except OSError:
                data = b""
            if self.conn.closed:  # shut down while we waited
                return
            self.bridge._tick()
            if not data:
                self._end_drop(ended=False)
                if self._held:
                    self._give(bytes(self._held))  # what came before the drop, for the trace
                    self._held.clear()
                self.conn.close("client")  # b"" to the machine: a partial message is dropped
                self.bridge.run_relays()
                return
            self._feed(data, loop.time())
            if self._in_data():
                if self._data_began is None:
                    self._data_began = loop.time()
            else:
                self._data_began = None
            self._write()
            self.bridge.run_relays()
            await self._drain()

    def _timer(self, now: float) -> tuple[float, str]:
        """Seconds until the first timer fires, and what it is (the 421 and the trace say it)."""
        bridge = self.bridge
        timers = [(self.idle_timeout, "idle timeout")]
        if self._line_began is not None:
            what = "message line" if self._in_data() else "command line"
            timers.append((self._line_began + bridge.line_deadline - now,
                           f"{what} took longer than {bridge.line_deadline:g} s"))
        if self._data_began is not None:
            timers.append((self._data_began + bridge.data_deadline - now,
                           f"message took longer than {bridge.data_deadline:g} s"))
        return min(timers, key=lambda t: t[0])

    def _track_line(self, data: bytes, now: float) -> None:
        """Note when the line still open after ``data`` began (None: every line is complete).

        Any LF counts as an end here: a bare LF in message text only makes the
        deadline more lenient.
        """
        end = data.rfind(b"\n") + 1
        if end:  # a line ended in this read: the open one, if any, began here
            self._line_began = now if end < len(data) else None
        elif self._line_began is None:
            self._line_began = now

    def _expire(self, why: str) -> None:
        """A timer fired: 421 saying which (RFC 5321 4.5.3.2), and the session ends."""
        self.bridge._tick()
        self._end_drop(ended=False)
        if self.conn.handshaking:  # nothing can be said to a client in the middle of its handshake
            self.conn.close("server", why)
        else:
            self.conn.interrupt(self.conn.machine.timeout(why), why)
        self._write()
        if why != "idle timeout":
            self.bridge._log(f"{self.conn.id}: closed, {why} (--line-deadline {self.bridge.line_deadline:g}, "
                             f"--data-deadline {self.bridge.data_deadline:g})")

    def _in_data(self) -> bool:
        """The machine takes message text (a DATA transfer), not commands."""
        return self._framer.in_message(self.conn.machine.state)

    def _feed(self, data: bytes, now: float) -> None:
        if self.conn.wire_tls:  # the real client's TLS records: the plaintext they carry is framed
            data = self.conn.receive_wire(data)
            if not data or self.conn.closed:
                return
        self._track_line(data, now)
        if self._dropped is not None:
            data = self._drop(data)
            if not data:
                return
        self._held += data
        if len(self._held) > self.bridge.held_peak:
            self.bridge.held_peak = len(self._held)
        while not self.conn.closed:
            cut = self._framer.cut(self._held, self.conn.machine.state)
            if not cut:
                break
            self._send(cut)
        if not self.conn.closed:
            self._cut_overlong()

    def _send(self, n: int) -> None:
        chunk = bytes(self._held[:n])
        del self._held[:n]
        self._framer.taken(n)
        self._give(chunk)

    def _give(self, chunk: bytes) -> None:
        """A unit to the machine: as sent, or (under TLS) as the records already in the trace carried it."""
        if self.conn.wire_tls:
            self.conn.deliver(chunk)
            return
        self.conn.send(chunk)
        if self.conn.wire_tls:  # that was STARTTLS: what came after it came before the handshake
            self.conn.discard(bytes(self._held))  # CVE-2011-0411: never read as if it came over TLS
            self._held.clear()

    def _pushed(self) -> None:
        """The machine spoke unasked (IMAP IDLE): its bytes go to the socket now."""
        self._write()
        transport = self.writer.transport
        if transport.get_write_buffer_size() > PUSH_BUFFER_LIMIT:  # the client reads nothing
            self.abort()

    def _cut_overlong(self) -> None:
        """A line longer than MAX_HELD: the machine gets its start (and refuses it), the rest is dropped."""
        held = self._held
        last = held.rfind(b"\r\n")
        start = last + 2 if last >= 0 else 0
        if len(held) - start <= MAX_HELD:
            return
        keep = start + MAX_HELD
        self._dropped = len(held) - keep
        self._dropped_cr = held.endswith(b"\r")
        del held[keep:]
        self._send(keep)

    def _drop(self, data: bytes) -> bytes:
        """Drop ``data`` up to the end of the overlong line; from that end on it is returned.

        Message text ends a line with CRLF only; out of DATA a bare LF ends a
        command line too (see :meth:`_cut`).
        """
        assert self._dropped is not None
        if self._dropped_cr and data.startswith(b"\n"):
            self._dropped -= 1  # that CR began the CRLF: give it back
            self._end_drop(ended=True)
            return b"\r" + data
        if self._in_data():
            idx = data.find(b"\r\n")
        else:
            idx = data.find(b"\n")
            if idx > 0 and data[idx - 1] == 0x0D:
                idx -= 1
        if idx < 0:
            self._dropped += len(data)
            self._dropped_cr = data.endswith(b"\r")
            return b""
        self._dropped += idx
        self._end_drop(ended=True)
        return data[idx:]

    def _end_drop(self, *, ended: bool) -> None:
        """Say in the trace how much of an overlong line never reached the machine (or the trace)."""
        if self._dropped is None:
            return
        dropped, self._dropped, self._dropped_cr = self._dropped, None, False
        how = "before its end of line" if ended else "before the session ended"
        self.bridge.world.net.record(Note(text=(
            f"{self.conn.id}: a line longer than {MAX_HELD} octets; its first {MAX_HELD} went to the "
            f"server, the other {dropped} were dropped as they arrived, {how}, and are not in this trace")))

    def _write(self) -> None:
        data = self.conn.read()
        if data and not self.writer.is_closing():
            self.writer.write(data)

    async def _drain(self) -> None:
        try:
            await asyncio.wait_for(self.writer.drain(), self.idle_timeout)
        except OSError:
            self.abort()
            if not self.conn.closed:
                self.conn.close("client", "connection lost")
        except TimeoutError:
            self.abort()
            if not self.conn.closed:
                self.conn.close("server", "the client stopped reading; connection dropped")

    def shut_down(self) -> None:
        """The bridge stops: 421 (RFC 5321 3.8), then close once it is written."""
        if not self.conn.closed:
            self.bridge._tick()
            if self.conn.handshaking:
                self.conn.close("server", "server shutting down")
            else:
                self.conn.interrupt(self.conn.machine.shutdown(), "server shutting down")
            self._write()
        if not self.writer.is_closing():
            self.writer.close()  # the pending read then sees EOF

    def abort(self) -> None:
        self.writer.transport.abort()


async def _close_writer(writer: asyncio.StreamWriter) -> None:
    if not writer.is_closing():
        writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), CLOSE_GRACE)
    except (OSError, TimeoutError):
        writer.transport.abort()


def cap_line(line: str, limit: int = LOG_LINE_LIMIT) -> str:
    """``line`` cut to ``limit`` characters, saying how many more there were."""
    if len(line) <= limit:
        return line
    return f"{line[:limit]}... ({len(line) - limit} more characters not shown)"


class _LiveTranscript:
    """A trace listener: each event printed as ``mailsim run`` prints it, as it happens."""

    def __init__(self, say: Callable[[str], None], verbose: bool) -> None:
        self.say = say
        self.verbose = verbose
        self.printer = Printer(verbose=verbose)
        self.pending_note = ""  # the real peer, shown here and never recorded
        self._closed: list[str] = []  # connections closed since the last one opened

    def __call__(self, event: Event) -> None:
        for line in self.printer.lines(event):
            self.say(cap_line(line))
        if isinstance(event, ConnectionOpened) and self.pending_note:
            self.say(f"{'':10} {event.conn} is {self.pending_note}")
        # A long serve: the reader's picture of a closed connection is needed no more. It
        # goes when the next one opens (a client machine may still move after the close).
        if isinstance(event, ConnectionClosed):
            self._closed.append(event.conn)
        elif isinstance(event, ConnectionOpened) and self._closed:
            world = self.printer.reader.world
            for conn in self._closed:
                for machine in world.conn_machines.pop(conn, ()):
                    world.machines.pop((conn, machine), None)
                world.conns.pop(conn, None)
                world.closed.discard(conn)
                world.unsent.pop(conn, None)
            self._closed.clear()


# --- the trace of a long run ---------------------------------------------------------


class _Kept:
    """What the window keeps of one connection."""

    __slots__ = ("seqs", "nbytes", "closed")

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.nbytes = 0
        self.closed = False


class TraceWindow:
    """A trace listener that keeps the in-memory trace of a long ``serve`` bounded.

    The trace keeps the events of every open connection and of the last
    ``sessions`` closed ones; of each, its ConnectionOpened and
    ConnectionClosed and at most ``max_events`` other events and
    ``max_bytes`` of traffic (a session past that keeps its first part).
    Of events that belong to no connection (DNS, queues, mailboxes, refused
    connections) the last ``loose`` are kept. So memory is bounded by (open
    sessions + ``sessions``) times the per-session budget, however long the
    server runs; ``--trace-json`` streams every event to a file.
    """

    def __init__(self, trace: Trace, *, sessions: int = TRACE_WINDOW, max_events: int = SESSION_TRACE_EVENTS,
                 max_bytes: int = SESSION_TRACE_BYTES, loose: int = LOOSE_TRACE_EVENTS) -> None:
        self.trace = trace
        self.sessions = sessions
        self.max_events = max_events
        self.max_bytes = max_bytes
        self.loose = loose
        self._kept: dict[str, _Kept] = {}
        self._closed: deque[str] = deque()
        self._loose: deque[int] = deque()
        self._gone: set[int] = set()  # seqs let go of, still in the list until the next compaction
        self.dropped = 0  # events no longer (or never) in memory

    def __call__(self, event: Event) -> None:
        conn = getattr(event, "conn", "")
        kept = self._kept.get(conn) if conn else None
        if kept is None and isinstance(event, ConnectionOpened):
            kept = self._kept[conn] = _Kept()
        if kept is None:  # no connection, or one the window has let go of
            self._loose.append(event.seq)
            if len(self._loose) > self.loose:
                self._let_go([self._loose.popleft()])
            return
        if isinstance(event, (ConnectionOpened, ConnectionClosed)):
            kept.seqs.append(event.seq)
            if isinstance(event, ConnectionClosed) and not kept.closed:
                kept.closed = True
                self._closed.append(conn)
                while len(self._closed) > self.sessions:
                    self._let_go(self._kept.pop(self._closed.popleft()).seqs)
            return
        size = len(event.plaintext) if isinstance(event, BytesSent) else 0
        if len(kept.seqs) >= self.max_events + 1 or kept.nbytes + size > self.max_bytes:
            self._let_go([event.seq])
            return
        kept.seqs.append(event.seq)
        kept.nbytes += size

    def _let_go(self, seqs: list[int]) -> None:
        events = self.trace.events
        self.dropped += len(seqs)
        if len(seqs) == 1 and events and events[-1].seq == seqs[0]:
            events.pop()  # the event just recorded: nothing to search
            return
        self._gone.update(seqs)
        if len(self._gone) > max(1024, len(events) // 2):  # now and then: amortised O(1) an event
            self.compact()

    def compact(self) -> None:
        """Take the events let go of out of the trace's list (until then they linger there)."""
        if self._gone:
            self.trace.events[:] = [e for e in self.trace.events if e.seq not in self._gone]
            self._gone.clear()


class TraceFile:
    """A trace listener that writes every event to ``path`` as it happens.

    The file is the JSON of :meth:`Trace.dumps` (``Trace.load`` reads it),
    written as the run goes, so the whole trace of a long ``serve`` is kept
    although memory holds only a window of it. ``meta`` is written at close.
    """

    def __init__(self, path: Path, trace: Trace, log: Callable[[str], None]) -> None:
        self.path = Path(path)
        self.trace = trace
        self.log = log
        self.written = 0
        self._file = None
        self._failed = False

    def open(self) -> None:
        try:
            self._file = self.path.open("w", encoding="utf-8")
        except OSError as exc:
            raise ServeError(f"cannot write the trace to {self.path}: {exc.strerror or exc}") from None
        self._file.write('{"events": [')
        for event in self.trace.events:  # what the world recorded before serving
            self(event)

    def __call__(self, event: Event) -> None:
        if self._file is None or self._failed:
            return
        try:
            self._file.write(("\n" if not self.written else ",\n")
                             + json.dumps(event.to_json(), ensure_ascii=False))
        except OSError as exc:
            self._failed = True
            self.log(f"cannot write the trace to {self.path} any more ({exc.strerror or exc}); "
                     f"it holds the first {self.written} events")
            return
        self.written += 1

    def close(self) -> None:
        if self._file is None:
            return
        try:
            if not self._failed:
                self._file.write('\n],\n"meta": ' + json.dumps(self.trace.meta, ensure_ascii=False) + "}\n")
            self._file.close()
        except OSError as exc:
            self.log(f"cannot finish the trace in {self.path}: {exc.strerror or exc}")
        self._file = None


# --- mailboxes -------------------------------------------------------------------


def mailbox_summary(world: MailWorld) -> list[str]:
    """Who has how many messages, and what is still queued."""
    lines = ["Mailboxes:"]
    for mh in world.mailhosts.values():
        for user in mh.store.users():
            for name, folder in mh.store.folders(user).items():
                n = len(folder.messages)
                if n == 0 and name != "INBOX":  # every user has Sent, Drafts, Junk, Trash: name them once used
                    continue
                lines.append(f"  {user:<28} {name:<6} on {mh.name:<18} {n} message{'s' if n != 1 else ''}")
                for msg in folder.messages[-10:]:
                    subject = header(msg.data, "Subject") or "(no subject)"
                    lines.append(f"      UID {msg.uid}: {subject}  ({msg.size} bytes)")
    for mh in world.mailhosts.values():
        if len(mh.queue):
            lines.append(f"  queue of {mh.name}: {len(mh.queue)} message(s) waiting for a retry")
    return lines


# --- the command -----------------------------------------------------------------


def _print(line: str) -> None:
    try:
        print(line, flush=True)
    except BrokenPipeError:
        # The reader of the log went away (mailsim serve | head): stop as a piped tool does,
        # through the same clean shutdown as Ctrl-C, with nothing more written anywhere.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        os.kill(os.getpid(), signal.SIGTERM)


async def _serve(bridge: Bridge, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    try:
        async with bridge:
            for line in bridge.banner():
                bridge._say(line)
            await stop.wait()
            bridge._say("")
            bridge._log("stopping: no new connections; open sessions get 421")
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


def serve_forever(bridge: Bridge) -> None:
    """Serve until Ctrl-C or SIGTERM, then close every session cleanly."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(bridge))


def load_world(name: str | None) -> MailWorld:
    """The default world, or the world of a scenario or lesson file (its steps are not run)."""
    return load_world_and_section(name)[0]


def load_world_and_section(name: str | None) -> tuple[MailWorld, dict[str, Any], int]:
    """:func:`load_world`, the ``world`` section of a scenario whose world is the one served
    (:func:`served_world_section`) and the seed: what a saved live session replays in."""
    if name is None:
        return serve_world(), served_world_section({}), 1
    from simulator.scenario.launch import load
    from simulator.scenario.loader import ContentErrors
    from simulator.scenario.world import scenario_spec

    try:
        scenario = load(name).scenario
    except ContentErrors as exc:
        raise ServeError("\n".join(str(e) for e in exc.errors)) from None
    world = serve_world(scenario_spec(scenario), seed=scenario.seed)
    world.trace.meta.update({"world_of": scenario.id})
    base = scenario.world.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return world, served_world_section(base), scenario.seed


def served_world_section(base: Mapping[str, Any]) -> dict[str, Any]:
    """A scenario's ``world`` section ``base`` changed as :func:`serve_spec` changes its world:
    STARTTLS offered, SMTP AUTH on submission unless the world chose, the real client's host."""
    world = {key: value for key, value in base.items()}
    world["tls"] = {**world.get("tls", {}), "starttls": True}
    submission = dict(world.get("submission", {}))
    if not submission.get("auth"):
        submission.update({"auth": True, "mechanisms": list(SUBMISSION_MECHANISMS)})
    world["submission"] = submission
    hosts = list(world.get("hosts", []))
    if not any(h.get("name") == REAL_CLIENT for h in hosts):
        hosts.append({"name": REAL_CLIENT_SPEC.name, "addresses": list(REAL_CLIENT_SPEC.addresses),
                      "fqdn": REAL_CLIENT_SPEC.fqdn, "role": REAL_CLIENT_SPEC.role})
    world["hosts"] = hosts
    return world


class LiveSource:
    """``mailsim serve --live``: a bridge whose sessions a face watches and saves as a scenario.

    The face subscribes to the world's events (:meth:`subscribe`) before
    :meth:`start`, so it sees each before the trace window may drop it; this
    object keeps its own log of every event (up to :data:`LIVE_EVENT_LIMIT`)
    for :meth:`save`. Both run in the face's event loop: the bridge's servers
    are started in it, and the trace listeners are called in it.
    """

    client = REAL_CLIENT

    def __init__(self, bridge: Bridge, world_section: Mapping[str, Any], *, seed: int = 1,
                 title: str = "Live: real clients on mailsim serve") -> None:
        self.bridge = bridge
        self.world = bridge.world
        self.world_section = dict(world_section)
        self.seed = seed
        self.title = title
        self.events: list[Event] = []
        self.overflow = False
        self._listeners: list[Callable[[Event], None]] = [self._log]
        self._setup = list(self.world.trace.events)  # what the world recorded before serving

    def _log(self, event: Event) -> None:
        if len(self.events) < LIVE_EVENT_LIMIT:
            self.events.append(event)
        else:
            self.overflow = True

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        self._listeners.append(listener)

    def setup_events(self) -> list[Event]:
        return list(self._setup)

    def dns_records(self) -> list[tuple[str, str, str]]:
        """The world's DNS zone, for the DNS pane."""
        return [(r.name, r.rtype, r.value) for r in self.world.net.dns.records]

    async def start(self) -> None:
        listeners = self.world.net.recorder.listeners
        for listener in self._listeners:
            listeners.append(listener)
        try:
            await self.bridge.start()
        except BaseException:
            self._unsubscribe()
            raise

    async def aclose(self) -> None:
        await self.bridge.aclose()
        self._unsubscribe()

    def _unsubscribe(self) -> None:
        listeners = self.world.net.recorder.listeners
        for listener in self._listeners:
            if listener in listeners:
                listeners.remove(listener)

    def intro(self) -> str:
        """The first step's narration: what is listening and how to connect (the banner)."""
        lines = self.bridge.banner()
        return ("Real mail clients on this computer can connect now; each thing one does becomes a "
                "step here, and the view follows the newest step unless you step back (End follows "
                "again). `s` saves the session as a scenario file that `mailsim run` replays.\n\n"
                "```\n" + "\n".join(lines) + "\n```")

    def route(self, conn: str, server_host: str) -> str:
        """The host a connection reaches in a replay: the mail host a front login reached."""
        front = self.bridge.front
        if server_host != front.name:
            return server_host
        reached = front.reached.get(conn)
        if reached is not None:
            return reached
        return next(iter(self.world.mailhosts))  # no login: any provider's server answers the same

    def mailboxes(self) -> list[MailboxAtEnd]:
        rows = []
        for mh in self.world.mailhosts.values():
            for user in mh.store.users():
                for name, folder in mh.store.folders(user).items():
                    if folder.messages:
                        rows.append(MailboxAtEnd(user, name, [header(m.data, "Subject") or "" for m in folder.messages],
                                                 [sorted(m.flags) for m in folder.messages]))
        return rows

    def scenario_yaml(self, scenario_id: str = "live-session") -> str:
        """The session so far as a scenario file (see :mod:`simulator.scenario.record`)."""
        start = self.world.net.clock.datetime_at(0.0)  # the replay's clock starts when serving did
        scenario = recorded_scenario(
            self.events, client=self.client, world=self.world_section, scenario_id=scenario_id,
            title=f"Live session saved {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", start=start,
            route=self.route, mailboxes=self.mailboxes())
        scenario["seed"] = self.seed
        header = "Saved by mailsim serve --live. Replay it: mailsim run FILE (or mailsim play FILE)."
        if self.overflow:
            header += f"\nOnly the first {LIVE_EVENT_LIMIT} events of the session were kept."
        return dump(scenario, header=header)

    def save(self, path: Path) -> int:
        """Write :meth:`scenario_yaml` to ``path``; the number of steps (OSError if it cannot be written)."""
        text = self.scenario_yaml(_scenario_id(Path(path)))
        Path(path).write_text(text, encoding="utf-8")
        return text.count("\n- id: ")  # the steps: the one list at the top level


def _scenario_id(path: Path) -> str:
    """A scenario id (lower case, digits, hyphens) from a file name."""
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
    return slug or "live-session"


def _given(value, default):
    return default if value is None else value


def bridge_from_args(args, world: MailWorld, out: Callable[[str], None] | None) -> Bridge:
    """The bridge ``mailsim serve``'s options ask for, over ``world`` (ServeError if they cannot be met)."""
    ports = {li.name: vars(args).get(f"{li.name}_port") for li in LISTENERS}
    return Bridge(
        world, host=args.host or DEFAULT_HOST,
        ports={name: port for name, port in ports.items() if port is not None},
        max_connections=_given(args.max_connections, DEFAULT_MAX_CONNECTIONS),
        idle_timeout=_given(args.idle_timeout, DEFAULT_IDLE_TIMEOUT),
        imap_idle_timeout=_given(args.imap_idle_timeout, DEFAULT_IMAP_IDLE_TIMEOUT),
        pop3_idle_timeout=_given(args.pop3_idle_timeout, DEFAULT_POP3_IDLE_TIMEOUT),
        ca_out=Path(args.ca_out) if args.ca_out else None,
        line_deadline=_given(args.line_deadline, DEFAULT_LINE_DEADLINE),
        data_deadline=_given(args.data_deadline, DEFAULT_DATA_DEADLINE),
        trace_window=_given(args.trace_window, TRACE_WINDOW),
        trace_json=Path(args.trace_json) if args.trace_json else None,
        out=out, verbose=args.verbose,
    )


def live_from_args(args) -> LiveSource:
    """``mailsim serve --live``: the bridge of the options, silent (the live screen shows the sessions)."""
    world, section, seed = load_world_and_section(args.world)
    world.trace.meta.update({"serve": True, "live": True})
    return LiveSource(bridge_from_args(args, world, None), section, seed=seed)


def cmd_serve(args) -> int:
    """``mailsim serve``: see the module docstring."""
    try:
        world = load_world(args.world)
        world.trace.meta.update({"serve": True})
        bridge = bridge_from_args(args, world, _print)
        serve_forever(bridge)
    except ServeError as exc:
        print(f"mailsim serve: {exc}", file=sys.stderr)
        return 2
    print()
    for line in mailbox_summary(world):
        print(line)
    if bridge.trace_file is not None:
        print(f"trace written to {args.trace_json} ({bridge.trace_file.written} events)")
    return 0
