"""The virtual world: hosts with addresses, services on ports, DNS, clock, trace.

Addresses come from the documentation ranges (RFC 5737, RFC 3849) and never
reach a socket. A service is a factory of server machines; connecting to
it gives an in-memory :class:`~simulator.net.connection.Connection`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from simulator.net.clock import DEFAULT_START, SeededRandom, VirtualClock
from simulator.net.connection import Tamper, Tap
from simulator.net.dns import VirtualDns
from simulator.net.tls import TlsFactory, pass_through
from simulator.protocols.machine import Control, StateTable
from simulator.trace import ConnectionRefused, Event, Recorder, Trace


class ServerMachine(Protocol):
    """What every sans-IO server machine offers the network layer."""

    table: StateTable  # the machine's state table (its ``machine`` names it: "smtp.server")
    state: str
    conn: str  # the connection id its events carry

    def take_controls(self) -> list[Control]:
        """What it asks of the connection (StartTls, Close), apart from its trace records."""
        ...

    def tls_established(self) -> list[Event]:
        """The TLS layer it asked for is up."""
        ...

    def tls_failed(self) -> list[Event]:
        """The handshake it asked for failed: there is no channel left to answer on."""
        ...

    def start(self) -> list[Event]: ...

    def receive_data(self, data: bytes) -> list[Event]: ...

    def data_to_send(self) -> bytes: ...

    def timeout(self, why: str = "idle timeout") -> list[Event]:
        """A timer fired (``why`` says which, in the goodbye): say goodbye (SMTP 421 4.4.2) and close."""
        ...

    def shutdown(self) -> list[Event]:
        """The server is stopping: say so (SMTP 421 4.3.2) and close."""
        ...

    @property
    def closed(self) -> bool: ...


class ClientMachine(Protocol):
    table: StateTable
    state: str
    conn: str

    def receive_data(self, data: bytes) -> list[Event]: ...

    def data_to_send(self) -> bytes: ...

    @property
    def closed(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Peer:
    """Who is connecting, as the server sees it."""

    host: str
    addr: str
    fqdn: str
    conn: str = ""  # the id of the connection, which the machine's events carry
    tls: bool = False  # the service runs TLS from the first byte (implicit TLS, RFC 8314)


@dataclass(slots=True)
class Service:
    name: str  # "smtp", "submission", "imap", ...
    port: int
    factory: Callable[[Peer], ServerMachine]
    implicit_tls: bool = False


@dataclass(slots=True)
class Host:
    name: str
    addresses: list[str]
    fqdn: str = ""
    role: str = ""  # "client", "mail server", "attacker"
    services: dict[int, Service] = field(default_factory=dict)
    up: bool = True

    def __post_init__(self) -> None:
        if not self.fqdn:
            self.fqdn = self.name

    @property
    def address(self) -> str:
        return self.addresses[0]

    def listen(self, service: Service) -> None:
        self.services[service.port] = service


class OnLink(Protocol):
    """An attacker placed on links: the tamper it puts on a new connection, or None where it is not on the path."""

    def on_link(self, client: Host, server: Host, service: Service) -> Tamper | None: ...


class Listening(Protocol):
    """A passive attacker placed on links: the tap it puts on a new connection, or None where it is not on the path."""

    def tap_link(self, client: Host, server: Host, service: Service) -> Tap | None: ...


class TlsProvider(Protocol):
    """The TLS sessions of a world: (client host, server host, the name the client checks) -> a factory.

    ``verify=False``: the client accepts any certificate (opportunistic TLS between MTAs, RFC 7435).
    """

    def __call__(self, client: Host, server: Host, name: str, *, verify: bool = True) -> TlsFactory: ...


class World:
    def __init__(self, *, seed: int = 1, start: datetime = DEFAULT_START) -> None:
        self.clock = VirtualClock(start)
        self.rng = SeededRandom(seed)
        self.recorder = Recorder(self.clock.now, Trace())
        self.dns = VirtualDns(on_lookup=self.record)
        self.hosts: dict[str, Host] = {}
        self._conn_counter = 0
        self.tls_provider: TlsProvider | None = None  # None: the pass-through layer (nothing encrypted)
        self.attackers: list[OnLink] = []  # men in the middle, each on the links it chose
        self.listeners: list[Listening] = []  # eavesdroppers: they read the links they chose, change nothing
        # Server hosts with the CVE-2011-0411 bug: they read plaintext pipelined after STARTTLS (teaching only).
        self.keeps_plaintext_after_starttls: set[str] = set()

    @property
    def trace(self) -> Trace:
        return self.recorder.trace

    def record(self, event: Event, **stamp: object) -> Event:
        return self.recorder.record(event, **stamp)

    def add_host(self, host: Host) -> Host:
        if host.name in self.hosts:
            raise ValueError(f"duplicate host {host.name}")
        self.hosts[host.name] = host
        return host

    def host(self, name: str) -> Host:
        """A host by its name, its FQDN or one of its addresses."""
        key = name.lower().rstrip(".")
        if key in self.hosts:
            return self.hosts[key]
        for host in self.hosts.values():
            if host.fqdn.lower() == key or key in host.addresses:
                return host
        raise KeyError(f"no host named {name!r}")

    def find_host(self, name: str) -> Host | None:
        try:
            return self.host(name)
        except KeyError:
            return None

    def next_conn_id(self) -> str:
        self._conn_counter += 1
        return f"c{self._conn_counter}"

    def connect(self, client: str, server: str, port: int, *, server_addr: str = "",
                external_tls: TlsFactory | None = None, tls_name: str = "", tls_verify: bool = True):
        """Open an in-memory connection, or record why it was refused and return None.

        ``server`` is the name the client checks the server's certificate
        against once TLS starts; a client that connected by address (a relay
        that looked up the MX) checks the host's name, as MTA-STS has it
        check the MX name (RFC 8461 4.1). ``tls_name`` names the certificate
        the client expects when it is not ``server`` (the MX name a relay got
        from DNS); ``tls_verify=False``: the client checks no certificate at
        all (opportunistic TLS, RFC 7435).

        ``external_tls``: the client is a real program (``mailsim serve``),
        which makes its own TLS; this factory gives the server end (see
        :class:`~simulator.net.connection.Connection`).
        """
        from simulator.net.connection import Connection

        client_host = self.host(client)
        target = self.find_host(server)
        addr = server_addr or (target.address if target else server)
        if target is None or not target.up:
            reason = "no route to host" if target is None else "host is down"
            self.record(ConnectionRefused(client_host=client_host.name,
                                          server_host=target.name if target else server,
                                          server_addr=addr, port=port, reason=reason))
            return None
        service = target.services.get(port)
        if service is None:
            self.record(ConnectionRefused(client_host=client_host.name, server_host=target.name,
                                          server_addr=addr, port=port, reason="connection refused (nothing listens)"))
            return None
        conn_id = self.next_conn_id()
        peer = Peer(client_host.name, client_host.address, client_host.fqdn, conn_id, service.implicit_tls)
        if external_tls is not None:
            tls = external_tls
        else:
            name = tls_name or (server if server.lower().rstrip(".") not in target.addresses else target.fqdn)
            tls = pass_through if self.tls_provider is None else self.tls_provider(
                client_host, target, name, verify=tls_verify)
        tamper, taps = None, []
        if external_tls is None:
            tamper = next((t for t in (a.on_link(client_host, target, service) for a in self.attackers)
                           if t is not None), None)
            taps = [t for t in (e.tap_link(client_host, target, service) for e in self.listeners) if t is not None]
        conn = Connection(self, conn_id, client_host, target, addr, service, service.factory(peer), tls=tls,
                          external_client=external_tls is not None, tamper=tamper, taps=taps,
                          keeps_plaintext=target.name in self.keeps_plaintext_after_starttls)
        conn.open()
        return conn
