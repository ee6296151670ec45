"""A Connection whose client is a real program (``external_client``): its TLS records are the wire.

The client here is a real OpenSSL client over memory BIOs, standing in for
the program at the other end of ``mailsim serve``'s socket: nothing of the
connection's own client end is used.
"""

from __future__ import annotations

import pytest

from simulator.security.tls import TlsEndpoint, client_context
from simulator.serve import REAL_CLIENT, serve_world
from simulator.trace import BytesSent, TlsFailed, TlsRecord, TlsStarted


def external(port: int, host: str = "mx.example.net"):
    world = serve_world()
    target = world.net.host(host)
    conn = world.net.connect(REAL_CLIENT, host, port, external_tls=world.tls.served(target, ("localhost",)))
    return world, conn


def handshake(conn, client: TlsEndpoint) -> None:
    """The real client's flights through receive_wire, the server's back through read(), until both settle."""
    client.start()
    for _ in range(8):
        wire = client.take_wire()
        if wire:
            assert conn.receive_wire(wire) == b""
        answer = conn.read()
        if answer:
            client.receive_wire(answer)
        if client.established and not conn.handshaking:
            return
        if client.failure or conn.closed:
            if not conn.closed and (alert := client.take_wire()):
                conn.receive_wire(alert)  # the client's alert says why
            return
    pytest.fail("the handshake did not settle")


def say(conn, client: TlsEndpoint, data: bytes) -> bytes:
    client.send_plain(data)
    conn.deliver(conn.receive_wire(client.take_wire()))
    return client.receive_wire(conn.read())


def test_starttls_with_a_real_client_end():
    world, conn = external(143)
    assert conn.read().startswith(b"* OK [CAPABILITY")
    conn.send(b"a STARTTLS\r\n")
    assert conn.read() == b"a OK Begin TLS negotiation now\r\n"
    assert conn.wire_tls and conn.handshaking
    with pytest.raises(ConnectionError):
        conn.send(b"b NOOP\r\n")  # plaintext cannot go in once TLS is the wire
    client = TlsEndpoint(client_context(world.tls.ca), server_side=False, server_hostname="localhost")
    handshake(conn, client)
    assert client.established and conn.tls
    [started] = world.trace.of_type(TlsStarted)
    assert started.mode == "starttls" and started.layer.startswith("TLSv1.3")
    answer = say(conn, client, b"c CAPABILITY\r\n")
    assert b"c OK" in answer and b"STARTTLS" not in answer  # asked again after TLS (RFC 9051 6.2.1)
    # The wire carries the records; the plaintext is beside them, decrypted with the server end's key log.
    sent = [e for e in world.trace.of_type(BytesSent) if e.plaintext == b"c CAPABILITY\r\n"]
    assert sent and sent[0].wire != sent[0].plaintext
    assert any("c CAPABILITY" in r.decrypted for r in world.trace.of_type(TlsRecord))
    assert say(conn, client, b"d LOGOUT\r\n").endswith(b"d OK LOGOUT completed\r\n")
    assert conn.closed


def test_implicit_tls_greets_only_after_the_real_clients_handshake():
    world, conn = external(995)  # pop3s (RFC 8314 3.3)
    assert conn.read() == b"" and conn.handshaking  # not a word before TLS
    client = TlsEndpoint(client_context(world.tls.ca), server_side=False, server_hostname="localhost")
    handshake(conn, client)
    assert client.established
    [started] = world.trace.of_type(TlsStarted)
    assert started.mode == "implicit"
    greeting = say(conn, client, b"CAPA\r\n")
    assert greeting.startswith(b"+OK ") and b"STLS" not in greeting


def test_a_real_client_that_refuses_the_certificate_closes_the_connection():
    world, conn = external(587, "mail.example.org")
    conn.read()
    conn.send(b"EHLO client.example\r\n")
    conn.read()
    conn.send(b"STARTTLS\r\n")
    assert conn.read().startswith(b"220 ")
    client = TlsEndpoint(client_context(world.tls.ca), server_side=False, server_hostname="wrong.example")
    handshake(conn, client)
    assert "Hostname mismatch" in client.failure
    [failed] = world.trace.of_type(TlsFailed)
    assert failed.mode == "starttls" and failed.server_reason  # the client's alert, as the server end read it
    assert conn.closed


def test_plaintext_in_the_flight_that_ends_the_handshake_comes_after_tls_started():
    """A client may send its first command with its Finished: the trace says TLS is up before that command."""
    world, conn = external(995)
    client = TlsEndpoint(client_context(world.tls.ca), server_side=False, server_hostname="localhost")
    client.start()
    conn.receive_wire(client.take_wire())  # ClientHello
    client.receive_wire(conn.read())  # the server's flight: the client is done
    assert client.established
    client.send_plain(b"CAPA\r\n")
    assert conn.receive_wire(client.take_wire()) == b"CAPA\r\n"  # Finished and the command, one write
    events = world.trace.events
    started = next(i for i, e in enumerate(events) if isinstance(e, TlsStarted))
    carried = next(i for i, e in enumerate(events) if isinstance(e, BytesSent) and e.plaintext == b"CAPA\r\n")
    assert started < carried
    conn.deliver(b"CAPA\r\n")
    assert b"+OK capability list follows" in client.receive_wire(conn.read())
