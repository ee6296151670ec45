"""The TLS rows of the reader: records, failures and handshake flights in words and on the diagram."""

from __future__ import annotations

import dataclasses

from simulator.export.mermaid import render as mermaid
from simulator.export.transcript import render
from simulator.trace import (
    C2S,
    S2C,
    BytesSent,
    ConnectionOpened,
    TlsFailed,
    TlsRecord,
    Trace,
)


def _trace(*events) -> Trace:
    opened = ConnectionOpened(conn="c1", client_host="alice-laptop", client_addr="192.0.2.10",
                              server_host="mail.example.org", server_addr="192.0.2.25", port=465,
                              service="submissions")
    return Trace(events=[dataclasses.replace(e, seq=n) for n, e in enumerate((opened, *events))])


HELLO = TlsRecord(conn="c1", direction=C2S, content_type="handshake", version="TLS 1.0", length=512,
                  handshake_types=("ClientHello",), fields=("random: 32 bytes (randomised)",),
                  randomised=("random",))
VERIFY = TlsRecord(conn="c1", direction=S2C, content_type="application_data", version="TLS 1.2", length=96,
                   handshake_types=("CertificateVerify",), decrypted="handshake: CertificateVerify",
                   encrypted=True, inner_type="handshake", length_varies=True)
CCS = TlsRecord(conn="c1", direction=S2C, content_type="change_cipher_spec", version="TLS 1.2", length=1)


def test_records_say_their_header_and_what_decryption_found() -> None:
    lines = list(render(_trace(HELLO, CCS, VERIFY)))
    assert lines[-3].endswith("c1 C: TLS handshake ClientHello (512 bytes)")
    assert lines[-2].endswith("c1 S: TLS change_cipher_spec (1 byte)")
    assert lines[-1].endswith("c1 S: TLS application_data, encrypted (its length varies with a randomised "
                              "signature), decrypted: handshake: CertificateVerify")
    assert "96" not in lines[-1]  # a random length is never printed: transcripts stay the same each run


def test_the_fields_are_details_for_the_verbose_transcript() -> None:
    assert not any("random:" in line for line in render(_trace(HELLO)))
    assert any(line.endswith("c1     random: 32 bytes (randomised)") for line in render(_trace(HELLO), verbose=True))


def test_a_failed_handshake_says_each_side_s_reason() -> None:
    failed = TlsFailed(conn="c1", mode="implicit", client_reason="certificate has expired",
                       server_reason="the peer sent the alert certificate_expired")
    lines = list(render(_trace(failed)))
    assert [line.split("] ", 1)[1] for line in lines[-3:]] == [
        "c1: TLS handshake failed (implicit TLS)", "c1: client: certificate has expired",
        "c1: server: the peer sent the alert certificate_expired"]


def test_a_handshake_flight_is_one_arrow_naming_its_records() -> None:
    flight = BytesSent(conn="c1", direction=S2C, plaintext=b"", wire=b"\x16\x03\x03...")
    text = mermaid(_trace(BytesSent(conn="c1", direction=C2S, plaintext=b"", wire=b"\x16"), HELLO,
                          flight, CCS, VERIFY))
    assert "TLS ClientHello" in text
    assert "TLS change_cipher_spec, CertificateVerify" in text
    assert "(empty)" not in text
