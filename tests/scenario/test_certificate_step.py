"""The certificate step (a host's certificate changes mid-scenario) and send_message's tls_version."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.scenario.loader import ContentErrors, load_scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import FaultInjected, QueueChanged, TlsFailed, TlsRecord, TlsStarted

REASONS = {  # what OpenSSL's verifier says, as the client reports it
    "expired": "certificate has expired",
    "not-yet-valid": "certificate is not yet valid",
    "wrong-name": "Hostname mismatch, certificate is not valid for 'mail.example.org'.",
    "self-signed": "self-signed certificate",
    "unknown-ca": "unable to get local issuer certificate",
}

SEND = """\
  - id: send-{n}
    action: send_message
    from: alice-laptop
    sender: alice@example.org
    to: [bob@example.net]
    subject: Hi
    body: hello
    tls: required
{extra}"""


def _scenario(tmp_path: Path, steps: str) -> Path:
    path = tmp_path / "cert.yaml"
    path.write_text("id: cert\ntitle: cert\nworld:\n  tls: {starttls: true}\n  submission: {auth: true}\nsteps:\n"
                    + steps, encoding="utf-8")
    return path


def _certificate(fault: str, n: int) -> str:
    return f"  - id: cert-{n}\n    action: certificate\n    host: mail.example.org\n    fault: {fault}\n"


@pytest.mark.parametrize("fault", sorted(REASONS))
def test_a_certificate_step_makes_the_next_handshake_fail_with_the_verifiers_reason(tmp_path: Path,
                                                                                   fault: str) -> None:
    steps = SEND.format(n=0, extra="") + _certificate(fault, 1) + SEND.format(n=2, extra="")
    result = run_scenario(load_scenario(_scenario(tmp_path, steps)))
    assert len(result.trace.of_type(TlsStarted)) == 1  # the first message, before the fault, got through
    (failed,) = result.trace.of_type(TlsFailed)
    assert failed.client_reason == REASONS[fault]
    queued = [e for e in result.trace.of_type(QueueChanged) if e.action == "queued"]
    assert len(queued) == 1  # the second message was not sent
    (fault_event,) = result.trace.of_type(FaultInjected)
    assert fault_event.fault == "certificate" and "mail.example.org" in fault_event.detail


def test_fault_none_restores_a_valid_certificate(tmp_path: Path) -> None:
    steps = _certificate("expired", 0) + SEND.format(n=1, extra="") + _certificate("none", 2) + SEND.format(
        n=3, extra="")
    result = run_scenario(load_scenario(_scenario(tmp_path, steps)))
    assert len(result.trace.of_type(TlsFailed)) == 1 and len(result.trace.of_type(TlsStarted)) == 1
    assert "valid certificate again" in result.trace.of_type(FaultInjected)[1].detail


def test_a_certificate_step_names_a_mail_host(tmp_path: Path) -> None:
    steps = "  - id: c\n    action: certificate\n    host: nowhere.example\n    fault: expired\n"
    with pytest.raises(ContentErrors, match="nowhere.example"):
        load_scenario(_scenario(tmp_path, steps))
    with pytest.raises(ContentErrors, match="fault"):
        load_scenario(_scenario(tmp_path, _certificate("rusty", 0)))


def test_tls_version_is_one_messages_setting(tmp_path: Path) -> None:
    steps = (SEND.format(n=0, extra="    tls_version: TLSv1.2\n") + SEND.format(n=1, extra="")
             + SEND.format(n=2, extra="    tls_version: TLSv1.3\n"))
    result = run_scenario(load_scenario(_scenario(tmp_path, steps)))
    assert [e.layer.split(",")[0] for e in result.trace.of_type(TlsStarted)] == ["TLSv1.2", "TLSv1.3", "TLSv1.3"]
    certs = [r for r in result.trace.of_type(TlsRecord) if "Certificate" in r.handshake_types]
    assert [r.encrypted for r in certs] == [False, True, True]  # in the clear in 1.2 only (RFC 5246 7.4.2)
