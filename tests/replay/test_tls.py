"""The Wire tab's TLS view: each lens sees what it can, the current step in full."""

from __future__ import annotations

from simulator.replay.tls import tls_view
from simulator.trace import C2S, S2C, TlsRecord


def _record(seq: int, **kw) -> TlsRecord:
    base = {"seq": seq, "t": 0.0, "conn": "c1", "direction": C2S, "content_type": "handshake",
            "version": "TLS 1.0", "length": 512}
    return TlsRecord(**{**base, **kw})


HELLO = _record(1, handshake_types=("ClientHello",), fields=("random: 32 bytes (randomised)",))
CERT = _record(2, direction=S2C, content_type="application_data", version="TLS 1.2", length=532,
               handshake_types=("Certificate",), encrypted=True, inner_type="handshake",
               decrypted="handshake: Certificate", fields=("certificate 1: subject CN=mail.example.org",))
VERIFY = _record(3, direction=S2C, content_type="application_data", version="TLS 1.2", length=80,
                 length_varies=True, encrypted=True, decrypted="handshake: CertificateVerify")
DATA = _record(4, content_type="application_data", version="TLS 1.2", length=48, encrypted=True,
               inner_type="application_data", decrypted="application data, 31 bytes: EHLO x")


def test_an_endpoint_sees_what_each_record_holds_and_an_eavesdropper_only_the_clear_ones():
    records = [(3, HELLO), (3, CERT), (3, VERIFY)]
    client = tls_view(records, 3, lens="client")
    assert [(r.arrow, r.title) for r in client.records] == [
        ("C→S", "ClientHello"), ("S→C", "decrypted: handshake: Certificate"),
        ("S→C", "decrypted: handshake: CertificateVerify")]
    assert client.records[1].lines == ("certificate 1: subject CN=mail.example.org",)
    spy = tls_view(records, 3, lens="eavesdropper")
    assert spy.records[0].lines == ("random: 32 bytes (randomised)",) and spy.records[0].readable
    assert spy.records[1].title == "encrypted application_data" and not spy.records[1].readable
    assert "CN=mail.example.org" not in " ".join(spy.records[1].lines)
    assert spy.records[2].header == "application_data, TLS 1.2, length varies (a randomised signature)"
    assert spy.records[1].header == "application_data, TLS 1.2, 532 B"


def test_the_current_steps_records_in_full_else_the_latest_steps():
    records = [(3, HELLO), (3, CERT), (4, DATA)]
    at4 = tls_view(records, 4, lens="client")
    assert at4.earlier == 2 and [r.title for r in at4.records] == ["decrypted: application data, 31 bytes: EHLO x"]
    assert at4.records[0].current
    at5 = tls_view(records, 5, lens="client")  # a step without TLS: the last records stay, not current
    assert at5.earlier == 2 and not at5.records[0].current
    assert tls_view([], 1, lens="client") is None


def test_a_handshake_step_is_told_apart_from_one_with_only_application_data():
    assert tls_view([(3, HELLO), (3, CERT)], 3, lens="eavesdropper").handshake_now
    assert not tls_view([(3, HELLO), (4, DATA)], 4, lens="client").handshake_now
    assert not tls_view([(3, HELLO)], 5, lens="client").handshake_now  # shown, but from an earlier step
