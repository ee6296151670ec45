"""world.submission (RFC 4954, RFC 6409 4.3) and send_message's tls/auth fields, through the runner."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from simulator.scenario.loader import ContentErrors, load_scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import BytesSent, TlsStarted

PLAIN_BLOB = base64.b64encode(b"\0alice@example.org\0wonderland")


def _scenario(tmp_path: Path, world: str, send: str = "", outcome: str = "delivered") -> Path:
    lines = ["id: submission-auth", "title: Submission with AUTH", "world:",
             *("  " + ln for ln in world.splitlines()),
             "steps:", "  - id: send", "    action: send_message", "    from: alice-laptop",
             "    sender: alice@example.org", "    to: [bob@example.net]", "    subject: Hello", "    body: Hi Bob",
             *("    " + ln for ln in send.splitlines()),
             f"    expect: {{delivery: {{recipient: bob@example.net, outcome: {outcome}}}}}"]
    path = tmp_path / "submission-auth.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _wire(result) -> bytes:
    return b"".join(e.wire for e in result.trace.of_type(BytesSent))


def test_world_submission_auth_clients_log_in_over_starttls_by_default(tmp_path: Path) -> None:
    world = "tls: {starttls: true}\nsubmission: {auth: true}"
    result = run_scenario(load_scenario(_scenario(tmp_path, world)))
    assert result.ok, result.failures
    assert result.trace.of_type(TlsStarted)
    plain = b"".join(e.plaintext for e in result.trace.of_type(BytesSent))
    assert b"AUTH PLAIN " + PLAIN_BLOB in plain and PLAIN_BLOB not in _wire(result)


def test_send_message_auth_mechanism_and_tls_none_with_plaintext_allowed(tmp_path: Path) -> None:
    world = "submission: {auth: true, plaintext_auth: true}"
    result = run_scenario(load_scenario(_scenario(tmp_path, world, "tls: none")))
    assert result.ok, result.failures
    assert PLAIN_BLOB in _wire(result)  # the eavesdropper's view
    send = "tls: none\nauth: {mechanism: SCRAM-SHA-256}"
    result = run_scenario(load_scenario(_scenario(tmp_path, "submission: {auth: true}", send)))
    assert result.ok, result.failures
    assert b"wonderland" not in _wire(result) and b"AUTH SCRAM-SHA-256 " in _wire(result)


def test_auth_false_on_submission_with_auth_is_refused_530(tmp_path: Path) -> None:
    world = "tls: {starttls: true}\nsubmission: {auth: true}"
    result = run_scenario(load_scenario(_scenario(tmp_path, world, "auth: false", outcome="failed")))
    assert result.ok, result.failures
    assert b"530 5.7.0" in b"".join(e.plaintext for e in result.trace.of_type(BytesSent))


@pytest.mark.parametrize("networks", ["[192.0.2.0/24]", "[provider]"])
def test_protected_subnetwork_as_a_world_option(tmp_path: Path, networks: str) -> None:
    world = f"submission: {{auth: true, trusted_networks: {networks}}}"
    result = run_scenario(load_scenario(_scenario(tmp_path, world, "auth: false")))
    assert result.ok, result.failures


def test_default_world_submits_as_before_without_auth(tmp_path: Path) -> None:
    result = run_scenario(load_scenario(_scenario(tmp_path, "default: true")))
    assert result.ok, result.failures
    assert b"AUTH" not in _wire(result) and not result.trace.of_type(TlsStarted)


def test_a_login_with_no_password_is_reported_with_its_place(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "submission: {auth: true}", "auth: {user: nobody@example.org}")
    with pytest.raises(ContentErrors, match="no password for 'nobody@example.org'"):
        load_scenario(path)


def test_a_bad_trusted_network_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ContentErrors, match="is not a network"):
        load_scenario(_scenario(tmp_path, "submission: {auth: true, trusted_networks: [lan]}"))
