"""A scenario's world.tls: STARTTLS offered, the TLS version, each server's certificate fault."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from simulator.scenario.loader import ContentErrors, load_scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import BytesSent, TlsFailed, TlsRecord, TlsStarted


def _scenario(tmp_path: Path, tls: str, after: str = "EHLO alice-laptop.example.org") -> Path:
    text = textwrap.dedent(f"""\
        id: tls-world
        title: TLS world
        world:
          tls: {tls}
        steps:
          - id: connect
            action: connect
            from: alice-laptop
            to: mx.example.net
            port: 25
          - id: ehlo
            action: send
            line: EHLO alice-laptop.example.org
            expect: {{reply: {{code: 250, contains: STARTTLS}}}}
          - id: starttls
            action: send
            line: STARTTLS
            expect: {{reply: 220}}
          - id: again
            action: send
            line: {after}
        """)
    path = tmp_path / "tls-world.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_world_that_offers_starttls_runs_real_tls_behind_it(tmp_path: Path) -> None:
    result = run_scenario(load_scenario(_scenario(tmp_path, "{starttls: true}")))
    assert result.ok, result.failures
    assert result.trace.of_type(TlsStarted)[0].layer.startswith("TLSv1.3, ")
    ehlo = result.trace.of_type(BytesSent)[-2]
    assert ehlo.plaintext == b"EHLO alice-laptop.example.org\r\n" and ehlo.wire != ehlo.plaintext


def test_tls12_is_chosen_per_scenario(tmp_path: Path) -> None:
    result = run_scenario(load_scenario(_scenario(tmp_path, "{starttls: true, version: TLSv1.2}")))
    assert result.trace.of_type(TlsStarted)[0].layer.startswith("TLSv1.2, ")
    cert = next(r for r in result.trace.of_type(TlsRecord) if "Certificate" in r.handshake_types)
    assert not cert.encrypted


def test_a_certificate_fault_gives_the_client_s_reason(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "{starttls: true, certificates: {mx.example.net: expired}}")
    text = path.read_text().rsplit("  - id: again", 1)[0]  # the connection is gone after the failure
    path.write_text(text)
    result = run_scenario(load_scenario(path))
    (failed,) = result.trace.of_type(TlsFailed)
    assert failed.client_reason == "certificate has expired"


def test_an_unknown_fault_or_host_is_reported_with_its_place(tmp_path: Path) -> None:
    with pytest.raises(ContentErrors, match="certificates"):
        load_scenario(_scenario(tmp_path, "{starttls: true, certificates: {mx.example.net: rusty}}"))
    with pytest.raises(ContentErrors, match="unknown host 'nowhere.example'"):
        load_scenario(_scenario(tmp_path, "{starttls: true, certificates: {nowhere.example: expired}}"))
