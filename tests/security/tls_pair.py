"""Drive two TLS endpoints against each other in memory, as the connection does."""

from __future__ import annotations

from simulator.security.tls import TlsEndpoint


def handshake(client: TlsEndpoint, server: TlsEndpoint, flights: list[tuple[str, bytes]] | None = None) -> None:
    """Exchange flights until both are established or one failed (its alert delivered)."""
    client.start()
    server.start()
    for _ in range(16):
        out = client.take_wire()
        if out:
            if flights is not None:
                flights.append(("c2s", out))
            server.receive_wire(out)
        back = server.take_wire()
        if back:
            if flights is not None:
                flights.append(("s2c", back))
            client.receive_wire(back)
        done = (client.established and server.established) or client.failure or server.failure
        if done and not out and not back:
            return
    raise AssertionError("the handshake did not settle")
