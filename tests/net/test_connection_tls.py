"""The connection is wire tap <-> TLS layer <-> machine; STARTTLS discards pipelined plaintext.

The mail world fills the slot with real TLS (agents/tls.py over security/tls_session.py):
the wire carries real records, each one a TlsRecord event, decrypted for the teaching view.
"""

from __future__ import annotations

from simulator.agents.world import build_world
from simulator.export.transcript import render
from simulator.net.connection import Connection
from simulator.net.tls import EndPair
from simulator.net.world import Peer
from simulator.protocols.smtp import states as S
from simulator.security.pki import CertFault
from simulator.trace import (
    C2S,
    S2C,
    BytesSent,
    CommandReceived,
    ConnectionClosed,
    ReplySent,
    StateChanged,
    TlsFailed,
    TlsRecord,
    TlsStarted,
)

EXTENSIONS = ("PIPELINING", "SIZE", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8", "STARTTLS")


class XorEnd:
    """A stand-in for an ssl.MemoryBIO layer: one hello each way, then bytes XORed on the wire."""

    name = "xor (test double)"
    failure = ""

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

    def close(self) -> None:
        pass


def _world(**spec):
    world = build_world()
    world.mailhosts["mx.example.net"].config.smtp_extensions = EXTENSIONS
    return world


def _plain_world():
    world = _world()
    world.net.tls_provider = None  # a world without TLS: the pass-through layer
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
    world = _plain_world()
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
                      tls=lambda: EndPair(XorEnd("client"), XorEnd("server")))
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
    kinds = [k for k in kinds if k not in ("BytesSent", "TlsRecord")]  # the handshake's flights
    assert kinds[:3] == ["ConnectionOpened", "TlsStarted", "ReplySent"]
    assert world.trace.of_type(TlsStarted)[0].mode == "implicit"
    assert conn.read().startswith(b"220 ")


# --- real TLS in the slot ------------------------------------------------------------------------


def _starttls(world, client="mail.example.org"):
    conn = world.net.connect(client, "mx.example.net", 25)
    conn.read()
    conn.send(b"EHLO mail.example.org\r\nSTARTTLS\r\n")
    conn.read()
    return conn


def test_starttls_puts_real_ciphertext_on_the_wire_and_every_record_in_the_trace():
    world = _world()
    conn = _starttls(world)
    conn.send(b"EHLO mail.example.org\r\n")
    assert conn.read().startswith(b"250-mx.example.net")
    (started,) = world.trace.of_type(TlsStarted)
    assert started.layer == "TLSv1.3, TLS_AES_256_GCM_SHA384"
    sent = world.trace.of_type(BytesSent)
    ehlo, reply = sent[-2:]
    assert ehlo.plaintext == b"EHLO mail.example.org\r\n" and b"EHLO" not in ehlo.wire and ehlo.wire[0] == 23
    assert reply.plaintext.startswith(b"250-") and b"250" not in reply.wire
    records = world.trace.of_type(TlsRecord)
    handshake = [t for r in records for t in r.handshake_types]
    assert handshake == ["ClientHello", "ServerHello", "EncryptedExtensions", "Certificate", "CertificateVerify",
                         "Finished", "Finished", "NewSessionTicket", "NewSessionTicket"]
    # The records' decrypted application data is exactly what the endpoints exchanged.
    for direction in (C2S, S2C):
        tls_plain = b"".join(r.plaintext for r in records if r.direction == direction)
        after = [b for b in sent if b.direction == direction and b.seq > started.seq]
        assert tls_plain == b"".join(b.plaintext for b in after)
    # Each record's bytes are on the wire: the lengths add up to the TLS bytes sent.
    wire = sum(len(b.wire) for b in sent if b.wire != b.plaintext)
    assert wire == sum(5 + r.length for r in records)
    hello = records[0]
    assert "server name (SNI): mx.example.net" in hello.fields and "random" in hello.randomised


def test_a_tls12_world_negotiates_tls12_and_shows_its_certificate_in_the_clear():
    world = _world()
    world.tls.version = "TLSv1.2"
    _starttls(world)
    assert world.trace.of_type(TlsStarted)[0].layer.startswith("TLSv1.2, ECDHE-ECDSA-")
    cert = next(r for r in world.trace.of_type(TlsRecord) if r.handshake_types == ("Certificate",))
    assert not cert.encrypted and cert.fields[0].startswith("certificate 1: subject CN=mx.example.net")


def test_a_bad_certificate_fails_starttls_with_its_reason_and_the_machine_s_tls_failed_row():
    world = _world()
    world.tls.faults["mx.example.net"] = CertFault.EXPIRED
    conn = _starttls(world)
    assert conn.closed and not conn.tls
    (failed,) = world.trace.of_type(TlsFailed)
    assert (failed.mode, failed.client_reason, failed.server_reason) == (
        "starttls", "certificate has expired", "the peer sent the alert certificate_expired")
    assert not world.trace.of_type(TlsStarted)
    last_state = world.trace.of_type(StateChanged)[-1]
    assert (last_state.from_state, last_state.to_state, last_state.trigger) == (S.EXPECT_TLS, S.CLOSED, S.TLS_FAILED)
    (closed,) = world.trace.of_type(ConnectionClosed)
    assert (closed.by, closed.reason) == ("client", "TLS handshake failed: certificate has expired")
    assert closed.seq > last_state.seq > failed.seq
    alert = world.trace.of_type(TlsRecord)[-1]
    assert (alert.direction, alert.content_type, alert.decrypted) == (C2S, "alert", "certificate_expired")


def test_the_client_checks_the_name_it_connected_to():
    world = _world()
    world.tls.faults["mx.example.net"] = CertFault.WRONG_NAME
    _starttls(world)
    assert world.trace.of_type(TlsFailed)[0].client_reason == (
        "Hostname mismatch, certificate is not valid for 'mx.example.net'.")


def test_a_relay_that_connected_by_address_checks_the_host_s_name():
    world = _world()
    conn = world.net.connect("mail.example.org", "198.51.100.25", 25)
    conn.read()
    conn.send(b"EHLO mail.example.org\r\nSTARTTLS\r\n")
    assert conn.tls and "server name (SNI): mx.example.net" in world.trace.of_type(TlsRecord)[0].fields


def test_implicit_tls_that_fails_closes_before_the_greeting():
    world = _world()
    world.mailhosts["mail.example.org"].listen("smtp", 465)
    world.tls.faults["mail.example.org"] = CertFault.SELF_SIGNED
    conn = world.net.connect("alice-laptop", "mail.example.org", 465)
    assert conn.closed and conn.read() == b""
    (failed,) = world.trace.of_type(TlsFailed)
    assert (failed.mode, failed.client_reason) == ("implicit", "self-signed certificate")
    assert not [e for e in world.trace.of_type(ReplySent) if e.conn == conn.id]


def test_implicit_tls_is_real_tls_before_the_greeting():
    world = _world()
    world.mailhosts["mail.example.org"].listen("smtp", 465)
    conn = world.net.connect("alice-laptop", "mail.example.org", 465)
    assert conn.read().startswith(b"220 mail.example.org")
    greeting = world.trace.of_type(BytesSent)[-1]
    assert greeting.plaintext.startswith(b"220 ") and b"220" not in greeting.wire
    assert world.trace.of_type(TlsRecord)[-1].decrypted.startswith("application data, ")


def test_the_transcript_of_a_tls_session_reads_the_same_in_every_run():
    def transcript() -> list[str]:
        world = _world()
        conn = _starttls(world)
        conn.send(b"EHLO mail.example.org\r\nQUIT\r\n")
        return list(render(world.trace, verbose=True))

    first, second = transcript(), transcript()
    assert first == second
    assert any("CertificateVerify" in line and "varies" in line for line in first)
    assert any("random: 32 bytes (randomised)" in line for line in first)


def test_a_tls_trace_survives_its_json_round_trip():
    from simulator.trace import Trace

    world = _world()
    conn = _starttls(world)
    conn.send(b"NOOP\r\n")
    again = Trace.loads(world.trace.dumps())
    assert again.of_type(TlsRecord) == world.trace.of_type(TlsRecord)
    assert again.of_type(BytesSent) == world.trace.of_type(BytesSent)


def test_each_side_says_close_notify_when_a_tls_connection_ends():
    world = _world()
    conn = _starttls(world)
    conn.send(b"QUIT\r\n")
    assert conn.closed
    goodbye = world.trace.of_type(TlsRecord)[-2:]
    assert [(r.direction, r.decrypted) for r in goodbye] == [(S2C, "alert: close_notify"), (C2S, "alert: close_notify")]
    assert all(r.encrypted and r.inner_type == "alert" for r in goodbye)
    assert world.trace.events[-1] == world.trace.of_type(ConnectionClosed)[-1]
