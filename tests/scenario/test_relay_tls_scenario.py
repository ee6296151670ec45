"""world.tls.relay in YAML: the relays' STARTTLS policy, and a wrong value reported where it is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.scenario.loader import ContentErrors, load_scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import ConnectionOpened, TlsStarted


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
