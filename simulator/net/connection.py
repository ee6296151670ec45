"""An in-memory connection between a client host and a service's server machine.

Every byte each way is recorded as a BytesSent event with both the plaintext
the endpoints see and what is on the wire (the same bytes until a TLS layer
is in place), together with the server machine's own events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.trace import C2S, S2C, BytesSent, ConnectionClosed, ConnectionOpened, Event

if TYPE_CHECKING:
    from simulator.net.world import ClientMachine, Host, ServerMachine, Service, World


class Connection:
    def __init__(self, world: World, conn_id: str, client: Host, server: Host, server_addr: str,
                 service: Service, machine: ServerMachine) -> None:
        self.world = world
        self.id = conn_id
        self.client = client
        self.server = server
        self.server_addr = server_addr
        self.service = service
        self.machine = machine
        self.closed = False
        self._inbox = bytearray()  # server bytes the client has not read yet

    def open(self) -> None:
        self.world.record(ConnectionOpened(
            conn=self.id, client_host=self.client.name, client_addr=self.client.address,
            server_host=self.server.name, server_addr=self.server_addr,
            port=self.service.port, service=self.service.name,
        ))
        self._record_events(self.machine.start())
        self._flush_server()

    def read(self) -> bytes:
        """What the server sent since the client last read."""
        data = bytes(self._inbox)
        self._inbox.clear()
        return data

    def send(self, data: bytes) -> None:
        """The client writes ``data``; the server's answer waits in :meth:`read`."""
        if self.closed:
            raise ConnectionError(f"connection {self.id} is closed")
        if data:
            self.world.record(BytesSent(conn=self.id, direction=C2S, plaintext=data, wire=data))
        self._record_events(self.machine.receive_data(data))
        self._flush_server()
        if self.machine.closed and not self.closed:
            self._close("server")

    def interrupt(self, events: list[Event], reason: str) -> None:
        """Record what the server machine did on its own (idle timer, shutdown) and queue its bytes.

        ``events`` is what e.g. ``machine.timeout()`` returned; a transport
        driving this connection (``mailsim serve``) then writes :meth:`read`.
        """
        self._record_events(events)
        self._flush_server()
        if self.machine.closed and not self.closed:
            self._close("server", reason)

    def close(self, by: str = "client", reason: str = "") -> None:
        """The client (or a fault) drops the connection."""
        if self.closed:
            return
        self._record_events(self.machine.receive_data(b""))
        self._close(by, reason)

    def _close(self, by: str, reason: str = "") -> None:
        self.closed = True
        self.world.record(ConnectionClosed(conn=self.id, by=by, reason=reason))

    def _flush_server(self) -> None:
        out = self.machine.data_to_send()
        if out:
            self.world.record(BytesSent(conn=self.id, direction=S2C, plaintext=out, wire=out))
            self._inbox += out

    def run_client(self, client: ClientMachine) -> None:
        """Let a client machine talk to the server until neither has more to say."""
        while True:
            data = self.read()
            if data:
                self._record_events(client.receive_data(data))
            if self.closed:
                self._record_events(client.receive_data(b""))
                return
            out = client.data_to_send()
            if not out:
                if client.closed:
                    self.close("client")
                return
            self.send(out)

    def _record_events(self, events) -> None:
        for event in events:
            self.world.record(event, conn=self.id)
