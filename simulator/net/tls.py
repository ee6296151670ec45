"""The TLS slot of a connection: wire tap <-> TLS layer <-> machine.

A :class:`TlsEnd` is one endpoint's side of a TLS session, with the interface
an ``ssl.SSLObject`` over two ``ssl.MemoryBIO`` fills (DESIGN.md, principle
4): plaintext goes in with :meth:`send_plain`, the records to put on the wire
come out of :meth:`take_wire`, and what arrives from the wire goes into
:meth:`receive_wire`, which gives back the plaintext it carried.

:class:`PassThrough` is the layer of a world without a TLS provider: its
handshake needs no bytes and it puts the plaintext on the wire as it is, so a
trace says, truthfully, that nothing is encrypted. The mail world fills the
slot with real TLS (``simulator.security.tls_session``, through the world's
``tls_provider``); its :class:`TlsLayer` also decodes each record for the
trace (``observe``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from simulator.trace import Event


class TlsEnd(Protocol):
    """One side of a TLS session (client or server)."""

    name: str  # what the trace calls the layer, e.g. "pass-through (no encryption)"
    failure: str  # why the handshake failed, "" while it has not (its alert then waits in take_wire)

    @property
    def established(self) -> bool:
        """The handshake is complete: application data may flow."""
        ...

    def start(self) -> None:
        """Begin the handshake (a client's first flight then waits in :meth:`take_wire`)."""
        ...

    def send_plain(self, data: bytes) -> None:
        """Queue application data; its records appear in :meth:`take_wire`."""
        ...

    def take_wire(self) -> bytes:
        """Bytes to put on the wire: handshake records and encrypted application data."""
        ...

    def receive_wire(self, data: bytes) -> bytes:
        """Bytes from the wire in; the application data they carried out (maybe b"")."""
        ...

    def close(self) -> None:
        """Say goodbye (TLS: a close_notify alert, which then waits in :meth:`take_wire`)."""
        ...


class PassThrough:
    """The identity layer: no handshake bytes, the wire carries the plaintext."""

    name = "pass-through (no encryption yet)"
    failure = ""

    def __init__(self, side: str) -> None:
        self.side = side  # "client" or "server"
        self._started = False
        self._out = bytearray()

    @property
    def established(self) -> bool:
        return self._started

    def start(self) -> None:
        self._started = True

    def send_plain(self, data: bytes) -> None:
        if not self._started:
            raise RuntimeError("TLS layer used before its handshake started")
        self._out += data

    def take_wire(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def receive_wire(self, data: bytes) -> bytes:
        if not self._started:
            raise RuntimeError("TLS layer used before its handshake started")
        return data

    def close(self) -> None:
        pass


class TlsLayer(Protocol):
    """One session: its two ends and a view of its records for the trace."""

    client: TlsEnd
    server: TlsEnd

    def observe(self, conn: str, direction: str, wire: bytes) -> list[Event]:
        """Trace events for the records in ``wire`` (C2S or S2C), called after the receiver took it."""
        ...


@dataclass(slots=True)
class EndPair:
    """Two ends and no record view (the pass-through layer, test doubles)."""

    client: TlsEnd
    server: TlsEnd

    def observe(self, conn: str, direction: str, wire: bytes) -> list[Event]:
        return []


# Builds one session for a connection.
TlsFactory = Callable[[], TlsLayer]


def pass_through() -> TlsLayer:
    return EndPair(PassThrough("client"), PassThrough("server"))


MAX_HANDSHAKE_FLIGHTS = 16  # a handshake that has not finished after this many flights is broken
