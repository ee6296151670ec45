"""An in-memory connection: client endpoint <-> wire tap <-> TLS layer <-> server machine.

Every byte each way is recorded as a BytesSent event with both what the
endpoints see (``plaintext``) and what is on the wire (``wire``). Until TLS
starts the two are the same bytes; once a TLS layer is in place the wire
carries what the layer made of them (real TLS records, each also recorded as
a ``TlsRecord`` by the layer's ``observe``; the
:class:`~simulator.net.tls.PassThrough` layer leaves the bytes as they are
and says so in the trace).

The server machine's control outputs are handled here, apart from its trace
records: ``StartTls`` installs the TLS layer (the plaintext the client sent
after the command is discarded, never fed to the machine: CVE-2011-0411) and
tells the machine when the handshake is done (``tls_established``) or that it
failed (``tls_failed``: a ``TlsFailed`` event says why, and the connection
closes, RFC 3207 4.1); ``Close`` ends the connection. An implicit-TLS service
(RFC 8314) whose handshake fails closes before its machine says a word.

A link may carry a :class:`Tamper`: a man in the middle (``simulator.agents.mitm``)
that reads what crosses before TLS and may change it. What the sender put on
the wire is recorded as usual; what the tamper changed is its own events
(``WireAltered``), and the other end gets what it passed on. Once TLS is up
it sees only records, which it cannot change unnoticed, and is not asked.
A link may also carry :class:`Tap` listeners (``simulator.agents.eavesdropper``):
each is handed the wire bytes of both directions, TLS records included, right
after they are recorded, and says what it learned in its own events.
A server with the CVE-2011-0411 bug (``keeps_plaintext``, a world option for
teaching) reads the plaintext pipelined after STARTTLS once the handshake is
done, as if it had come over TLS; ``TlsStarted.replayed`` says so.

A connection whose client is a real program (``external_client``: ``mailsim
serve``) has no virtual client end. Its transport feeds what arrives on the
real socket: :meth:`send` while no TLS is in place, and once TLS starts
:meth:`receive_wire` (the bytes are the real client's TLS records, the wire
itself, taken by the server end) followed by :meth:`deliver` of the
plaintext they carried; what :meth:`read` returns is then the server's
records, to write to the socket. The handshake is the real client's: it runs
over as many reads as the client takes, and the machine hears of it
(``tls_established``, or for implicit TLS its greeting) when the server end
has finished it.

A client machine may ask for TLS too (its ``take_controls``): its
``StartTls`` comes once it has read the server's 220, by which time the
server's own ``StartTls`` has run the handshake of both ends in the slot. The
connection then tells the client how it went: ``tls_established()``, or
``tls_failed(reason)`` with the client end's reason (the connection is closed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from simulator.net.tls import MAX_HANDSHAKE_FLIGHTS, TlsEnd, TlsFactory, TlsLayer, pass_through
from simulator.protocols.machine import StartTls
from simulator.trace import (
    C2S,
    S2C,
    BytesSent,
    ConnectionClosed,
    ConnectionOpened,
    Event,
    TlsFailed,
    TlsStarted,
)

if TYPE_CHECKING:
    from simulator.net.world import ClientMachine, Host, ServerMachine, Service, World


class Tamper(Protocol):
    """Something on a connection's link that reads, and may change, the plaintext before TLS."""

    def client_to_server(self, conn: str, data: bytes) -> tuple[bytes, list[Event]]:
        """What reaches the server of what the client sent, and the events saying what changed."""
        ...

    def server_to_client(self, conn: str, data: bytes) -> tuple[bytes, list[Event]]:
        """What reaches the client of what the server sent, and the events saying what changed."""
        ...


class Tap(Protocol):
    """A listener on a connection's link (an eavesdropper): it reads the bytes on the wire and changes nothing."""

    def wire(self, conn: str, direction: str, data: bytes) -> list[Event]:
        """The events saying what the listener learned from ``data``, the bytes just put on the wire."""
        ...


class Connection:
    def __init__(self, world: World, conn_id: str, client: Host, server: Host, server_addr: str,
                 service: Service, machine: ServerMachine, *, tls: TlsFactory = pass_through,
                 external_client: bool = False, tamper: Tamper | None = None,
                 keeps_plaintext: bool = False, taps: Iterable[Tap] = ()) -> None:
        self.world = world
        self.id = conn_id
        self.client = client
        self.server = server
        self.server_addr = server_addr
        self.service = service
        self.machine = machine
        self.closed = False
        self._inbox = bytearray()  # server plaintext the client has not read yet
        self._tls_mark: int | None = None  # how much of the inbox came before the TLS handshake
        self._tls_factory = tls
        self._layer: TlsLayer | None = None  # None until TLS starts
        self._client_tls: TlsEnd | None = None
        self._server_tls: TlsEnd | None = None
        self.external = external_client  # the client is a real program: see the module docstring
        self.tamper = tamper  # a man in the middle on the link, or None
        self.taps = tuple(taps)  # eavesdroppers on the link: they see the wire bytes of both directions
        self.keeps_plaintext = keeps_plaintext  # the server has the CVE-2011-0411 bug (teaching only)
        # A real client's handshake under way: (mode, plaintext discarded, the server end).
        self._awaiting: tuple[str, bytes, TlsEnd] | None = None
        self._record = world.recorder.record
        self.on_push: Callable[[], None] | None = None  # told after the machine spoke unasked (see _pushed)
        if hasattr(machine, "on_output"):
            # A machine that speaks without being spoken to (IMAP IDLE, RFC 2177) hands its
            # events over here; its bytes go on the wire at once, for the client to read.
            machine.on_output = self._pushed

    @property
    def tls(self) -> bool:
        """Whether a TLS layer sits between the wire and the endpoints."""
        return self._server_tls is not None

    @property
    def handshaking(self) -> bool:
        """A real client's TLS handshake is under way (nothing can be said to it in plaintext)."""
        return self._awaiting is not None

    @property
    def wire_tls(self) -> bool:
        """A real client's bytes are TLS records now (its handshake, then the session): see :meth:`receive_wire`."""
        return self.external and (self._awaiting is not None or self._server_tls is not None)

    def open(self) -> None:
        self._record(ConnectionOpened(
            conn=self.id, client_host=self.client.name, client_addr=self.client.address,
            server_host=self.server.name, server_addr=self.server_addr,
            port=self.service.port, service=self.service.name,
        ))
        if self.service.implicit_tls and self.external:  # RFC 8314: TLS first; the real client begins it
            self._await_client_tls("implicit", b"")
            return
        if self.service.implicit_tls and not self._start_tls("implicit", b""):  # RFC 8314: TLS first
            self._close_failed_tls()
            return
        self._after(self.machine.start())

    def read(self) -> bytes:
        """What the server sent since the client last read (the plaintext the client sees).

        What came before a TLS handshake and what came over TLS after it are two reads,
        as a real client reads the 220 to STARTTLS, shakes hands, then reads again.
        """
        cut = self._tls_mark or len(self._inbox)  # nothing before the handshake (implicit TLS): no cut
        self._tls_mark = None
        data = bytes(self._inbox[:cut])
        del self._inbox[:cut]
        return data

    def send(self, data: bytes) -> None:
        """The client writes ``data``; the server's answer waits in :meth:`read`."""
        if self.closed:
            raise ConnectionError(f"connection {self.id} is closed")
        if self.wire_tls:
            raise ConnectionError(f"connection {self.id}: TLS records go to receive_wire()")
        if data:
            if self._client_tls is None:
                self._sent(C2S, data, data)
                if self.tamper is not None:
                    data, events = self.tamper.client_to_server(self.id, data)
                    self._record_events(events)
            else:
                assert self._server_tls is not None
                self._client_tls.send_plain(data)
                wire = self._client_tls.take_wire()
                received = self._server_tls.receive_wire(wire)
                self._sent(C2S, data, wire)
                self._observe(C2S, wire)
                data = received
        self._after(self.machine.receive_data(data))

    def receive_wire(self, data: bytes) -> bytes:
        """A real client's TLS records in (see the module docstring); the plaintext they carried out.

        The server end's answers (handshake flights, alerts) wait in :meth:`read`.
        Give the plaintext to the machine with :meth:`deliver`.
        """
        if self.closed:
            raise ConnectionError(f"connection {self.id} is closed")
        end = self._server_tls if self._awaiting is None else self._awaiting[2]
        assert end is not None, "receive_wire() without TLS: use send()"
        plain = end.receive_wire(data)
        awaiting, finished = self._awaiting, False
        if awaiting is not None and end.established and not end.failure:
            # The flight that finished the handshake: TLS is up before the plaintext that came with it.
            finished, self._awaiting, self._server_tls = True, None, end
            self._record(TlsStarted(conn=self.id, mode=awaiting[0], layer=end.name, discarded=awaiting[1]))
        self._sent(C2S, plain, data)
        self._observe(C2S, data)
        self._flush_tls(end)
        if finished:
            assert awaiting is not None
            if awaiting[0] == "implicit":
                self._after(self.machine.start())
            else:
                self._record_events(self.machine.tls_established())
                self._flush_server()
        elif awaiting is not None:
            if end.failure:
                self._awaiting = None
                self._record(TlsFailed(conn=self.id, mode=awaiting[0], server_reason=end.failure))
                if awaiting[0] == "starttls":
                    self._record_events(self.machine.tls_failed())  # RFC 3207 4.1: no channel left
                    self.machine.take_controls()
                self._close("server", f"TLS handshake failed: {end.failure}")
                return b""
        elif end.failure and not self.closed:  # a broken record: the session is over
            self._record_events(self.machine.receive_data(b""))
            self.machine.take_controls()
            self._close("server", f"TLS failed: {end.failure}")
            return b""
        return plain

    def deliver(self, plain: bytes) -> None:
        """Plaintext that came in the real client's TLS records (recorded by :meth:`receive_wire`) to the machine."""
        if self.closed:
            raise ConnectionError(f"connection {self.id} is closed")
        if plain:
            self._after(self.machine.receive_data(plain))

    def discard(self, data: bytes) -> None:
        """Plaintext that came after STARTTLS, before the handshake (CVE-2011-0411): dropped, said in TlsStarted."""
        if self._awaiting is not None and data:
            mode, discarded, end = self._awaiting
            self._awaiting = (mode, discarded + data, end)

    def _await_client_tls(self, mode: str, leftover: bytes) -> None:
        """Put the server end in place; the real client's handshake comes through :meth:`receive_wire`."""
        layer = self._tls_factory()
        self._layer = layer
        layer.server.start()
        self._awaiting = (mode, leftover, layer.server)

    def _flush_tls(self, end: TlsEnd) -> None:
        """Records the server end made on its own (handshake, alerts, close_notify) go to the real client."""
        wire = end.take_wire()
        if wire:
            self._inbox += wire
            self._sent(S2C, b"", wire)
            self._observe(S2C, wire)

    def interrupt(self, events: list[Event], reason: str) -> None:
        """Record what the server machine did on its own (idle timer, shutdown) and queue its bytes.

        ``events`` is what e.g. ``machine.timeout()`` returned; a transport
        driving this connection (``mailsim serve``) then writes :meth:`read`.
        """
        self._after(events, reason)

    def _pushed(self, events: list[Event]) -> None:
        """The machine produced output on its own (a change pushed while idling)."""
        if not self.closed:
            self._after(events)
            if self.on_push is not None:  # a transport (mailsim serve) writes the bytes to its socket
                self.on_push()

    def close(self, by: str = "client", reason: str = "") -> None:
        """The client (or a fault) drops the connection."""
        if self.closed:
            return
        if self._awaiting is not None and self._awaiting[0] == "implicit":  # the machine never started
            self._awaiting = None
            self._close(by, reason or "closed during the TLS handshake")
            return
        self._record_events(self.machine.receive_data(b""))
        self._flush_server()
        self.machine.take_controls()  # the machine's own Close: the connection is going anyway
        self._close(by, reason)

    def _close(self, by: str, reason: str = "") -> None:
        if by in ("client", "server"):
            self._tls_goodbye(by)
        self._awaiting = None
        self.closed = True
        self._record(ConnectionClosed(conn=self.id, by=by, reason=reason))

    def _tls_goodbye(self, by: str) -> None:
        """The closing side's close_notify, and the peer's in answer (RFC 8446 6.1); none without TLS."""
        if self.external:  # the real client answers for itself, on the socket
            if by == "server" and self._server_tls is not None:
                self._server_tls.close()
                self._flush_tls(self._server_tls)
            return
        if self._client_tls is None or self._server_tls is None:
            return
        ends = [(self._client_tls, self._server_tls, C2S), (self._server_tls, self._client_tls, S2C)]
        if by == "server":
            ends.reverse()
        ends[0][0].close()
        for sender, receiver, direction in ends:
            wire = sender.take_wire()
            if wire:
                receiver.receive_wire(wire)
                self._sent(direction, b"", wire)
                self._observe(direction, wire)

    def _after(self, events: Iterable[Event], reason: str = "") -> None:
        """Record the machine's events, put its bytes on the wire, then do what it asked."""
        self._record_events(events)
        self._flush_server()
        for control in self.machine.take_controls():
            if isinstance(control, StartTls):
                if self.external:
                    self._await_client_tls("starttls", control.leftover)
                    continue
                if not self._start_tls("starttls", control.leftover):
                    self._record_events(self.machine.tls_failed())  # RFC 3207 4.1: no channel left
                    self.machine.take_controls()  # its Close: the connection closes here anyway
                    self._close_failed_tls()
                    return
                self._record_events(self.machine.tls_established())
                self._flush_server()
                if self.keeps_plaintext and control.leftover:  # the bug: read as if it came over TLS
                    self._after(self.machine.receive_data(control.leftover), reason)
        if self.machine.closed and not self.closed:
            self._close("server", reason)

    def _start_tls(self, mode: str, leftover: bytes) -> bool:
        """Put the TLS layer in place and run its handshake; ``leftover`` is dropped.

        False: the handshake failed (a ``TlsFailed`` event says why); the caller closes.
        """
        layer = self._tls_factory()
        client_end, server_end = layer.client, layer.server
        self._layer = layer
        client_end.start()
        server_end.start()
        for _ in range(MAX_HANDSHAKE_FLIGHTS):
            flight = client_end.take_wire()
            if flight:
                server_end.receive_wire(flight)
                self._sent(C2S, b"", flight)
                self._observe(C2S, flight)
            answer = server_end.take_wire()
            if answer:
                client_end.receive_wire(answer)
                self._sent(S2C, b"", answer)
                self._observe(S2C, answer)
            settled = (client_end.established and server_end.established) or client_end.failure or server_end.failure
            if settled and not flight and not answer:
                break
        else:
            raise ConnectionError(f"{self.id}: the TLS handshake did not finish")
        if client_end.failure or server_end.failure:
            self._record(TlsFailed(conn=self.id, mode=mode, client_reason=client_end.failure,
                                   server_reason=server_end.failure))
            return False
        self._client_tls, self._server_tls = client_end, server_end
        self._tls_mark = len(self._inbox)
        if self.keeps_plaintext:
            self._record(TlsStarted(conn=self.id, mode=mode, layer=server_end.name, replayed=leftover))
        else:
            self._record(TlsStarted(conn=self.id, mode=mode, layer=server_end.name, discarded=leftover))
        return True

    def _close_failed_tls(self) -> None:
        """The side that gave up on the handshake closes, saying why."""
        assert self._layer is not None
        client, server = self._layer.client.failure, self._layer.server.failure
        self._close("client" if client else "server", f"TLS handshake failed: {client or server}")

    def _sent(self, direction: str, plaintext: bytes, wire: bytes) -> None:
        """Record bytes crossing the link; each eavesdropper on it reads the wire bytes (never the plaintext)."""
        self._record(BytesSent(conn=self.id, direction=direction, plaintext=plaintext, wire=wire))
        if wire:
            for tap in self.taps:
                self._record_events(tap.wire(self.id, direction, wire))

    def _observe(self, direction: str, wire: bytes) -> None:
        """The layer's record events for ``wire``, after the receiving end took it."""
        if self._layer is not None:
            self._record_events(self._layer.observe(self.id, direction, wire))

    def _flush_server(self) -> None:
        out = self.machine.data_to_send()
        if not out or self._awaiting is not None:  # mid-handshake nothing reaches the client
            return
        if self.external and self._server_tls is not None:
            self._server_tls.send_plain(out)
            wire = self._server_tls.take_wire()
            self._inbox += wire
            self._sent(S2C, out, wire)
            self._observe(S2C, wire)
            return
        if self._server_tls is None:
            self._sent(S2C, out, out)
            if self.tamper is not None:
                out, events = self.tamper.server_to_client(self.id, out)
                self._record_events(events)
            self._inbox += out
        else:
            assert self._client_tls is not None
            self._server_tls.send_plain(out)
            wire = self._server_tls.take_wire()
            self._inbox += self._client_tls.receive_wire(wire)
            self._sent(S2C, out, wire)
            self._observe(S2C, wire)

    def run_client(self, client: ClientMachine) -> None:
        """Let a client machine talk to the server until neither has more to say."""
        if not client.conn:
            client.conn = self.id
        while True:
            data = self.read()
            if data:
                self._record_events(client.receive_data(data))
                self._client_controls(client)
            if self.closed:
                self._record_events(client.receive_data(b""))
                return
            out = client.data_to_send()
            if not out:
                if client.closed:
                    self.close("client")
                return
            self.send(out)

    def answer_client(self, client: ClientMachine) -> None:
        """Answer what a client machine asked of the connection (its StartTls), as :meth:`run_client` does:
        for a host that drives the client itself (a scenario's reading session)."""
        self._client_controls(client)

    def _client_controls(self, client: ClientMachine) -> None:
        """Answer a client's StartTls from the slot: the handshake ran when the server asked for it."""
        if not hasattr(client, "take_controls"):
            return
        for control in client.take_controls():
            if not isinstance(control, StartTls):
                continue
            if self.tls:
                self._record_events(client.tls_established())
            else:
                failure = self._layer.client.failure if self._layer is not None else ""
                self._record_events(client.tls_failed(failure or "the server did not start TLS"))

    def _record_events(self, events: Iterable[Event]) -> None:
        """Record machine events; they carry this connection's id from the machine itself."""
        record, conn = self._record, self.id
        for event in events:
            if getattr(event, "conn", conn) != conn:  # a machine not told its connection: stamp it here
                record(event, conn=conn)
            else:
                record(event)
