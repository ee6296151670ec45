"""world.tls.relay in YAML: the relays' STARTTLS policy, and a wrong value reported where it is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.scenario.loader import ContentErrors, load_scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import ConnectionOpened, QueueChanged, TlsStarted


def _scenario(tmp_path: Path, tls: str) -> Path:
    text = f"""id: relay-tls
title: Relay TLS
world:
  tls:
{tls}
steps:
  - id: send
    action: send_message
    from: alice-laptop
    sender: alice@example.org
    to: [bob@example.net]
    subject: Hello
    body: Hi Bob
  - id: relay
    action: run_queue
    host: mail.example.org
"""
    path = tmp_path / "relay-tls.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _relay_tls(result) -> int:
    conns = {e.conn for e in result.trace.of_type(ConnectionOpened) if e.port == 25}
    return sum(e.conn in conns for e in result.trace.of_type(TlsStarted))


@pytest.mark.parametrize(("policy", "expected"), [("", 1), ("    relay: opportunistic", 1), ("    relay: none", 0),
                                                  ("    relay: verify", 1)])
def test_relay_policy_from_yaml(tmp_path: Path, policy: str, expected: int) -> None:
    result = run_scenario(load_scenario(_scenario(tmp_path, "    starttls: true\n" + policy)))
    assert result.ok, result.failures
    assert _relay_tls(result) == expected


def test_an_unknown_relay_policy_is_located(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "    starttls: true\n    relay: maybe")
    with pytest.raises(ContentErrors) as err:
        load_scenario(path)
    text = str(err.value)
    assert "relay-tls.yaml:6:12" in text and "opportunistic" in text and "verify" in text


def _sts(tmp_path: Path, entry: str) -> Path:
    return _scenario(tmp_path, "    starttls: true\n  mta_sts:\n    - " + entry)


def test_an_mta_sts_policy_from_yaml_is_enforced(tmp_path: Path) -> None:
    path = _sts(tmp_path, "{domain: example.net, mode: enforce, mx: [mx.example.net]}\n"
                          "  mitm: {between: [mail.example.org, mx.example.net]}")
    result = run_scenario(load_scenario(path))
    assert result.ok, result.failures
    assert _relay_tls(result) == 0
    [deferred] = [e for e in result.trace.of_type(QueueChanged) if e.action == "deferred"]
    assert "4.7.4" in deferred.detail


@pytest.mark.parametrize(("entry", "where", "message"), [
    ("{domain: example.net, mode: strict, mx: [mx.example.net]}", "7:", "'enforce', 'testing' or 'none'"),
    ("{domain: example.net, mode: enforce}", "7:", "needs mx"),
    ("{domain: example.net, mx: [mx.*.net]}", "7:", "a host name, or '*.'"),
    ("{domain: example.net, id: not-ok, mx: [mx.example.net]}", "7:", "1 to 32 letters and digits"),
    ("{domain: example.net, max_age: 0, mx: [mx.example.net]}", "7:", "greater than 0"),
])
def test_mta_sts_mistakes_are_located(tmp_path: Path, entry: str, where: str, message: str) -> None:
    with pytest.raises(ContentErrors) as err:
        load_scenario(_sts(tmp_path, entry))
    text = str(err.value)
    assert f"relay-tls.yaml:{where}" in text and message in text, text


def test_an_mta_sts_policy_for_an_unknown_domain_is_located(tmp_path: Path) -> None:
    with pytest.raises(ContentErrors) as err:
        load_scenario(_sts(tmp_path, "{domain: example.nett, mx: [mx.example.net]}"))
    text = str(err.value)
    assert "relay-tls.yaml:7:" in text and "example.nett" in text and "example.net" in text, text
