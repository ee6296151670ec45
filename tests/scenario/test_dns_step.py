"""The dns step: a record published or removed from that step on, seen by every later lookup."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from simulator.scenario.loader import ContentErrors, load_scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import DnsLookup, Note

SPOOF = """\
  - id: {id}
    action: send_message
    from: mail.evil.example
    server: mx.example.net
    port: 25
    sender: ceo@example.org
    envelope_from: mallory@evil.example
    to: [bob@example.net]
    subject: Pay now
    body: Please.
"""


def scenario(tmp_path: Path, steps: str, world: str = "") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent("""\
        id: dns-step
        title: DNS step
        {world}
        steps:
        """).format(world=world) + steps, encoding="utf-8")
    return path


def dmarc_answers(result) -> list[tuple[str, ...]]:
    return [e.answers for e in result.trace.events
            if isinstance(e, DnsLookup) and e.name == "_dmarc.example.org" and e.rtype == "TXT"]


def test_a_published_dmarc_policy_turns_a_delivered_forgery_into_a_refusal(tmp_path: Path) -> None:
    path = scenario(tmp_path, SPOOF.format(id="before") + textwrap.indent(textwrap.dedent("""\
        - id: publish
          action: dns
          publish: [{name: _dmarc.example.org, type: TXT, value: "v=DMARC1; p=reject"}]
        """), "  ") + SPOOF.format(id="after"),
        world="world: {remove_dns: [{name: _dmarc.example.org, type: TXT}]}")
    result = run_scenario(load_scenario(path))
    assert result.ok, result.failures
    assert result.world.mailbox_count("bob@example.net") == 1  # only the first one got in
    answers = dmarc_answers(result)
    assert answers[0] == () and answers[-1] == ("v=DMARC1; p=reject",)
    notes = [e.text for e in result.trace.events if isinstance(e, Note)]
    assert "DNS: _dmarc.example.org TXT now published: v=DMARC1; p=reject" in notes


def test_a_removed_record_is_gone_for_later_lookups(tmp_path: Path) -> None:
    path = scenario(tmp_path, textwrap.indent(textwrap.dedent("""\
        - id: withdraw
          action: dns
          remove: [{name: _dmarc.example.org, type: TXT}]
        """), "  ") + SPOOF.format(id="spoof"))
    result = run_scenario(load_scenario(path))
    assert result.world.mailbox_count("bob@example.net") == 1  # p=reject is gone: delivered
    assert dmarc_answers(result)[0] == ()


def test_a_dns_step_that_changes_nothing_is_a_located_error(tmp_path: Path) -> None:
    path = scenario(tmp_path, "  - {id: nothing, action: dns}\n")
    with pytest.raises(ContentErrors) as info:
        load_scenario(path)
    assert "a dns step needs publish or remove (or both)" in str(info.value)
    assert f"{path}:5:" in str(info.value)


def test_a_reply_expected_of_a_dns_step_is_refused(tmp_path: Path) -> None:
    path = scenario(tmp_path, "  - {id: d, action: dns, remove: [{name: x.example.org, type: A}], "
                              "expect: {reply: 250}}\n")
    with pytest.raises(ContentErrors) as info:
        load_scenario(path)
    assert "a dns step only changes the world's DNS records" in str(info.value)
