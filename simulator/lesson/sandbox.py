"""The sandbox: a student types raw commands into a virtual connection, like telnet.

A :class:`Sandbox` builds the default world, opens a connection to one of its
servers and sends each typed line (plus CRLF). What comes back, the machine's
state and the mailboxes are read from the trace as it grows, through the one
reader (:class:`simulator.replay.Live`: the wording and the fold the lesson
player uses too); the hint of valid commands comes from the server's state
table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.replay import Index, Live, MachineView, MessageRow, TranscriptLine, WireChunk, World
from simulator.replay.arrivals import Arrival, arrivals
from simulator.replay.mailboxes import MailboxesView, mailboxes_view
from simulator.replay.tls import SessionWire
from simulator.trace import (
    MailboxChanged,
    TlsRecord,
)

if TYPE_CHECKING:
    from simulator.agents.world import WorldSpec

STARTTLS_VERBS = ("STARTTLS", "STLS")  # SMTP and IMAP (RFC 3207, RFC 9051 6.2.1), POP3 (RFC 2595 4)
RECONNECT = "Press ctrl+r to connect again."


@dataclass(frozen=True, slots=True)
class Target:
    protocol: str
    client: str
    server: str
    port: int
    machine: str
    blurb: str
    mail: bool = False  # Alice has sent Bob a message before the session starts (something to read)


TARGETS = {
    # The relay's seat, not Alice's laptop: the MX checks SPF, and example.org's record lets
    # only mail.example.org (192.0.2.25) send its mail.
    "smtp": Target("smtp", "mail.example.org", "mx.example.net", 25, "smtp.server",
                   "You are mail.example.org, Alice's provider, connected to Bob's MX (mx.example.net) "
                   "on port 25, like `telnet mx.example.net 25`. Try EHLO mail.example.org, "
                   "MAIL FROM:<alice@example.org>, RCPT TO:<bob@example.net>, DATA, a few lines, a lone `.`, "
                   "then QUIT. The MX checks SPF, DKIM and DMARC at the final dot. STARTTLS after EHLO "
                   "switches the session to real TLS (RFC 3207): send EHLO again and go on typing, "
                   "while the Wire tab shows the TLS records an eavesdropper sees."),
    "imap": Target("imap", "bob-laptop", "mx.example.net", 143, "imap.server",
                   "You are bob-laptop, connected to Bob's IMAP server on port 143; Alice's message waits "
                   "in his INBOX. Try: a1 LOGIN bob@example.net builder, a2 SELECT INBOX, "
                   "a3 FETCH 1 (FLAGS BODY[]), a4 STORE 1 +FLAGS (\\Flagged), a5 LOGOUT. "
                   "a0 STARTTLS first switches the session to real TLS (RFC 9051 6.2.1).", mail=True),
    "pop3": Target("pop3", "bob-phone", "mx.example.net", 110, "pop3.server",
                   "You are bob-phone, connected to Bob's POP3 server on port 110; Alice's message waits "
                   "in his maildrop. Try: USER bob@example.net, PASS builder, STAT, LIST, RETR 1, DELE 1, QUIT. "
                   "STLS first switches the session to real TLS (RFC 2595 4).",
                   mail=True),
}


def sandbox_spec() -> WorldSpec:
    """The default world, with STARTTLS offered (RFC 3207, 9051 6.2.1, 2595 4) so a student can try it."""
    from simulator.agents.world import DEFAULT_SPEC

    spec = DEFAULT_SPEC.copy()
    spec.starttls = True
    return spec


def available_protocols() -> list[str]:
    """The protocols whose server the default world actually runs (others arrive later)."""
    from simulator.agents.world import build_world

    world = build_world()
    out = []
    for name, target in TARGETS.items():
        host = world.net.find_host(target.server)
        if host is not None and target.port in host.services and target.machine in initial_states():
            out.append(name)
    return out


def initial_states() -> dict[str, str]:
    """Each registered machine's initial state, read from its table (data, not code).

    The sandbox reads its trace as it happens, so it cannot learn a machine's
    first state from a transition still to come: it hands these to the reader.
    """
    from simulator.protocols.registry import machine_tables

    return {name: table.initial for name, table in machine_tables().items()}


class Sandbox:
    def __init__(self, protocol: str = "smtp", *, seed: int = 1) -> None:
        from simulator.agents.world import build_world

        if protocol not in TARGETS:
            raise ValueError(f"unknown protocol {protocol!r}")
        self.target = TARGETS[protocol]
        self.world = build_world(sandbox_spec(), seed=seed)
        self.trace = self.world.trace
        self.reader = Live(initial_states())
        self._seen = 0
        self.conn = None
        self.history: list[str] = []
        self.output: list[TranscriptLine] = []
        self.commands = 0
        self.last_events: list = []
        self.session_wire = SessionWire()  # the typed session's bytes and TLS records, by command
        self._absorb()  # world setup: mailboxes created
        if self.target.mail:
            self._alice_writes()
        self.connect()

    def _alice_writes(self) -> None:
        """Alice's message, submitted and relayed by SMTP before the session: the transcript
        keeps only a remark about it (the Mailboxes and Message tabs show the rest)."""
        from simulator.agents.mua import SUBMISSION_PORT

        client = self.world.client("alice-laptop")
        data = client.compose(sender="alice@example.org", to=["bob@example.net"], subject="Lunch?",
                              body="Hi Bob,\nlunch at noon?\nAlice\n")
        provider = self.world.provider_of("alice@example.org")
        assert provider is not None
        client.send(provider.name, SUBMISSION_PORT, "alice@example.org", ["bob@example.net"], data)
        self.world.run_queues()
        self._absorb()
        self.output = [TranscriptLine(0, "", "*", "Alice has sent Bob a message (\"Lunch?\"): "
                                                  "it waits in his INBOX on mx.example.net.")]

    # --- the connection ---------------------------------------------------------

    @property
    def fold(self) -> World:
        """The world as the trace tells it so far."""
        return self.reader.world

    def connect(self) -> list[TranscriptLine]:
        if self.conn is not None and not self.conn.closed:
            self.conn.close("client")
        t = self.target
        self.conn = self.world.net.connect(t.client, t.server, t.port)
        self.session_wire.conn = self.conn.id if self.conn is not None else ""
        if self.conn is not None:
            self.conn.read()  # the bytes are in the trace; the sandbox reads the trace
        return self._absorb()

    @property
    def closed(self) -> bool:
        return self.conn is None or self.conn.closed

    def send(self, line: str) -> list[TranscriptLine]:
        """Send one typed line; returns what it produced (echo, replies, remarks)."""
        self.history.append(line)
        if self.closed:
            out = [TranscriptLine(self.commands, "", "*", f"The connection is closed. {RECONNECT}")]
            self.output += out
            return out
        self.commands += 1
        self.conn.send(line.encode("utf-8") + b"\r\n")
        self.conn.read()
        return self._absorb()

    def _absorb(self) -> list[TranscriptLine]:
        new: list[TranscriptLine] = []
        events = self.trace.events[self._seen :]
        self.last_events = events
        self._seen = len(self.trace.events)
        was_open = self.conn is not None and self.conn.id not in self.fold.closed
        for event in events:
            new += [line for line in self.reader.feed(event, self.commands) if line.level == "main"]
            self.session_wire.feed(event, self.commands)
        if was_open and self.conn is not None and self.conn.id in self.fold.closed:
            new.append(TranscriptLine(self.commands, "", "*", RECONNECT))
        self.output += new
        return new

    # --- what the screen shows ----------------------------------------------------

    def wire_now(self) -> tuple[list[WireChunk], bool]:
        """The chunks of the last typed line (True), or else the last chunk before it (False)."""
        return self.session_wire.now(self.commands)

    @property
    def tls(self) -> list[tuple[int, TlsRecord]]:
        """The typed session's TLS records, each with the number of the command it followed."""
        return self.session_wire.records

    def machines(self) -> list[MachineView]:
        if self.conn is None:
            return []
        return self.fold.machine_views(self.conn.id, self.commands)

    @property
    def state(self) -> str:
        for m in self.machines():
            if m.machine == self.target.machine:
                return m.state
        return ""

    def valid_commands(self) -> list[str]:
        """The commands the server's table accepts now (what the hint line shows)."""
        from simulator.protocols.machine import InputKind
        from simulator.protocols.registry import machine_tables

        table = machine_tables().get(self.target.machine)
        if table is None or self.closed:
            return []
        valid = table.inputs_in(self.state, InputKind.COMMAND)
        if self.tls_up:  # the table accepts it in this state; the server refuses a second one (RFC 3207 4.2)
            valid = [c for c in valid if c.upper() not in STARTTLS_VERBS]
        return valid

    @property
    def tls_up(self) -> bool:
        """Whether TLS runs on the current connection (the trace says it started there)."""
        return self.session_wire.tls_up

    def hint(self) -> str:
        if self.closed:
            return "Connection closed: ctrl+r connects again."
        valid = self.valid_commands()
        if not valid:
            return ("Message text now: type lines; a line with only . ends the message."
                    if self.state.startswith("IN_") else "")
        return "Valid now: " + " ".join(valid)

    def mailboxes(self) -> dict[tuple[str, str, str], list[MessageRow]]:
        return self.fold.mailbox_rows()

    def mail_view(self) -> MailboxesView:
        """The Mailboxes pane's model, lighting what the last typed line changed."""
        return mailboxes_view(self.fold, self.last_events)

    def delivered(self) -> list[Arrival]:
        """Every message that reached a folder so far (delivered, appended, copied, moved), oldest
        first (its ``raw`` bytes are the message as stored: dot-stuffing already undone)."""
        return [a for _, a in arrivals(Index(self.trace).of(MailboxChanged))]
