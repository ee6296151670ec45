"""The connection is wire tap <-> TLS layer <-> machine; STARTTLS discards pipelined plaintext."""

from __future__ import annotations

from simulator.agents.world import build_world
from simulator.net.connection import Connection
from simulator.net.world import Peer
from simulator.protocols.smtp import states as S
from simulator.trace import C2S, S2C, BytesSent, CommandReceived, StateChanged, TlsStarted

EXTENSIONS = ("PIPELINING", "SIZE", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8", "STARTTLS")


class XorEnd:
    """A stand-in for an ssl.MemoryBIO layer: one hello each way, then bytes XORed on the wire."""

    name = "xor (test double)"

    def __init__(self, side: str) -> None:
        self.side, self.established, self._out, self._hello = side, False, bytearray(), False

    def start(self) -> None:
        if self.side == "client":
            self._out += b"HELLO"

    def send_plain(self, data: bytes) -> None:
        assert self.established
        self._out += bytes(b ^ 0x5A for b in data)

    def take_wire(self) -> bytes:
        out, self._out = bytes(self._out), bytearray()
        return out

    def receive_wire(self, data: bytes) -> bytes:
        if not self.established:
            assert data == b"HELLO"
            if self.side == "server":
                self._out += b"HELLO"
            self.established = True
            return b""
        return bytes(b ^ 0x5A for b in data)


def _world():
    world = build_world()
    world.mailhosts["mx.example.net"].config.smtp_extensions = EXTENSIONS
    return world


def _replies(conn: Connection) -> list[str]:
    return conn.read().decode().splitlines()


def test_starttls_discards_the_commands_pipelined_behind_it():
    """CVE-2011-0411: plaintext sent after STARTTLS must never be read as if it came over TLS."""
    world = _world()
    conn = world.net.connect("mail.evil.example", "mx.example.net", 25)
    assert _replies(conn)[0].startswith("220 ")
    injected = b"MAIL FROM:<mallory@evil.example>\r\nRCPT TO:<bob@example.net>\r\n"
    conn.send(b"EHLO mail.evil.example\r\nSTARTTLS\r\n" + injected)
    assert _replies(conn)[-1] == "220 2.0.0 Ready to start TLS"
    (started,) = world.trace.of_type(TlsStarted)
    assert (started.conn, started.mode, started.discarded) == (conn.id, "starttls", injected)
    assert conn.tls and conn.machine.state == S.EXPECT_EHLO
    assert [c.verb for c in world.trace.of_type(CommandReceived)] == ["EHLO", "STARTTLS"]
    assert [e.trigger for e in world.trace.of_type(StateChanged)][-2:] == ["STARTTLS", S.TLS_UP]
    # The session starts again over the TLS layer; STARTTLS is not offered twice.
    conn.send(b"EHLO mail.evil.example\r\n")
    ehlo = _replies(conn)
    assert ehlo[0].startswith("250-") and not any("STARTTLS" in line for line in ehlo)


def test_the_pass_through_layer_puts_the_plaintext_on_the_wire_and_says_so():
    world = _world()
    conn = world.net.connect("mail.example.org", "mx.example.net", 25)
    conn.send(b"EHLO mail.example.org\r\nSTARTTLS\r\n")
    conn.send(b"NOOP\r\n")
    (started,) = world.trace.of_type(TlsStarted)
    assert "no encryption" in started.layer and started.discarded == b""
    last_two = world.trace.of_type(BytesSent)[-2:]
    assert [(b.direction, b.plaintext, b.wire) for b in last_two] == [
        (C2S, b"NOOP\r\n", b"NOOP\r\n"), (S2C, b"250 2.0.0 OK\r\n", b"250 2.0.0 OK\r\n")]


def test_a_real_layer_in_the_slot_changes_the_wire_and_not_what_the_endpoints_see():
    world = _world()
    net = world.net
    mx = net.host("mx.example.net")
    client = net.host("mail.example.org")
    conn_id = net.next_conn_id()
    conn = Connection(net, conn_id, client, mx, mx.address, mx.services[25],
                      mx.services[25].factory(Peer(client.name, client.address, client.fqdn, conn_id)),
                      tls=lambda: (XorEnd("client"), XorEnd("server")))
    conn.open()
    conn.read()
    conn.send(b"EHLO mail.example.org\r\nSTARTTLS\r\n")
    conn.read()
    conn.send(b"NOOP\r\n")
    assert conn.read() == b"250 2.0.0 OK\r\n"
    sent = world.trace.of_type(BytesSent)
    handshake = [b for b in sent if b.plaintext == b""]
    assert [(b.direction, b.wire) for b in handshake] == [(C2S, b"HELLO"), (S2C, b"HELLO")]
    noop, ok = sent[-2:]
    assert noop.plaintext == b"NOOP\r\n" and noop.wire == bytes(b ^ 0x5A for b in b"NOOP\r\n")
    assert ok.plaintext == b"250 2.0.0 OK\r\n" and ok.wire != ok.plaintext
    assert world.trace.of_type(TlsStarted)[0].layer == "xor (test double)"


def test_implicit_tls_starts_the_layer_before_the_greeting():
    world = _world()
    world.mailhosts["mail.example.org"].listen("smtp", 465)
    conn = world.net.connect("alice-laptop", "mail.example.org", 465)
    kinds = [type(e).__name__ for e in world.trace.events if getattr(e, "conn", "") == conn.id]
    assert kinds[:3] == ["ConnectionOpened", "TlsStarted", "ReplySent"]
    assert world.trace.of_type(TlsStarted)[0].mode == "implicit"
    assert conn.read().startswith(b"220 ")
