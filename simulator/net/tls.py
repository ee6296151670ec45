"""The TLS slot of a connection: wire tap <-> TLS layer <-> machine.

A :class:`TlsEnd` is one endpoint's side of a TLS session, with the interface
an ``ssl.SSLObject`` over two ``ssl.MemoryBIO`` fills (DESIGN.md, principle
4): plaintext goes in with :meth:`send_plain`, the records to put on the wire
come out of :meth:`take_wire`, and what arrives from the wire goes into
:meth:`receive_wire`, which gives back the plaintext it carried.

:class:`PassThrough` is the layer until the secure-transport work fills the
slot: its handshake needs no bytes and it puts the plaintext on the wire as
it is, so a trace says, truthfully, that nothing is encrypted yet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class TlsEnd(Protocol):
    """One side of a TLS session (client or server)."""

    name: str  # what the trace calls the layer, e.g. "pass-through (no encryption)"

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


class PassThrough:
    """The identity layer: no handshake bytes, the wire carries the plaintext."""

    name = "pass-through (no encryption yet)"

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


# Builds the two ends of a session for a connection: (client end, server end).
TlsFactory = Callable[[], tuple[TlsEnd, TlsEnd]]


def pass_through() -> tuple[TlsEnd, TlsEnd]:
    return PassThrough("client"), PassThrough("server")


MAX_HANDSHAKE_FLIGHTS = 16  # a handshake that has not finished after this many flights is broken
