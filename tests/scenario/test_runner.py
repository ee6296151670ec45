"""The runner and `mailsim run`: expectations are enforced and failures name their step."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from simulator.scenario.loader import ContentErrors, load_scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import ExpectationChecked, FaultInjected, StepStarted

SCENARIO = textwrap.dedent(
    """\
    id: runner-test
    title: Runner test
    steps:
      - id: connect
        action: connect
        from: mallory-box
        to: mx.example.net
        port: 25
        expect: {reply: 220, state: {state: EXPECT_EHLO}}
      - id: ehlo
        action: send
        line: EHLO mallory-box.evil.example
        expect: {reply: {code: 250, contains: SIZE}}
      - id: pipelined
        action: send
        lines: ["MAIL FROM:<mallory@evil.example>", "RCPT TO:<bob@example.net>", "RCPT TO:<alice@example.org>", DATA]
        expect: {replies: [250, 250, 550, 354], state: {state: IN_DATA}}
      - id: body
        action: send
        data: "Subject: hi\\n\\nhello\\n.\\n"
        expect:
          reply: {code: 250, enhanced: 2.0.0}
          mailbox: {user: bob@example.net, count: 1}
      - id: quit
        action: send
        line: QUIT
        expect: {reply: 221, closed: true}
    """
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "runner-test.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_all_expectations_met(tmp_path: Path) -> None:
    result = run_scenario(load_scenario(write(tmp_path, SCENARIO)))
    assert result.ok, result.failures
    checks = [e for e in result.trace.events if isinstance(e, ExpectationChecked)]
    assert len(checks) == 9 and all(c.ok for c in checks)
    assert [e.step_id for e in result.trace.events if isinstance(e, StepStarted)] == [
        "connect", "ehlo", "pipelined", "body", "quit"]


def test_a_wrong_expectation_fails_its_step(tmp_path: Path) -> None:
    text = SCENARIO.replace("expect: {reply: {code: 250, contains: SIZE}}", "expect: {reply: 354}")
    result = run_scenario(load_scenario(write(tmp_path, text)))
    assert [(f.step_id, f.what) for f in result.failures] == [("ehlo", "reply")]
    assert "code 250, expected 354" in result.failures[0].detail


def test_mailbox_expectation_can_fail(tmp_path: Path) -> None:
    text = SCENARIO.replace("mailbox: {user: bob@example.net, count: 1}", "mailbox: {user: bob@example.net, count: 2}")
    result = run_scenario(load_scenario(write(tmp_path, text)))
    assert [(f.step_id, f.what) for f in result.failures] == [("body", "mailbox")]


def test_fault_step_changes_the_reply(tmp_path: Path) -> None:
    fault = (
        "  - id: break-it\n    action: fault\n    host: mx.example.net\n    stage: DATA\n"
        "    code: 451\n    enhanced: 4.3.0\n    text: Disk full\n"
    )
    text = SCENARIO.replace("  - id: body\n", fault + "  - id: body\n")
    text = text.replace("reply: {code: 250, enhanced: 2.0.0}", "reply: {code: 451, enhanced: 4.3.0, contains: disk}")
    text = text.replace("count: 1}", "count: 0}")
    result = run_scenario(load_scenario(write(tmp_path, text)))
    assert result.ok, result.failures
    assert any(isinstance(e, FaultInjected) for e in result.trace.events)


def test_cli_run_exit_code_names_the_failed_step(tmp_path: Path) -> None:
    bad = write(tmp_path, SCENARIO.replace("expect: {reply: 221, closed: true}", "expect: {reply: 250}"))
    out = subprocess.run([sys.executable, "-m", "simulator.cli", "run", str(bad)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1
    # at the expectation's key: file:line:column of "reply" in the step's expect
    assert f"FAILED {bad}:27:14: step 'quit': reply: code 221, expected 250" in out.stderr
    assert "S: 221 2.0.0 mx.example.net closing connection" in out.stdout


def test_cli_run_content_error_exit_2(tmp_path: Path) -> None:
    bad = write(tmp_path, SCENARIO.replace("port: 25", "port: -1"))
    out = subprocess.run([sys.executable, "-m", "simulator.cli", "run", str(bad)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and f"{bad}:8:11:" in out.stderr and "Traceback" not in out.stderr


def test_verbose_shows_state_changes(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "simulator.cli", "run", "-v", str(write(tmp_path, SCENARIO))],
                         capture_output=True, text=True, timeout=60, check=True)
    assert "smtp.server: EXPECT_EHLO → EXPECT_MAIL on EHLO" in out.stdout


def _two_connections(expect_conn: str, state: str):
    from simulator.scenario.models import Scenario

    connect = {"action": "connect", "from": "mallory-box", "to": "mx.example.net", "port": 25}
    return Scenario.model_validate({"id": "two", "title": "Two", "steps": [
        {"id": "a", **connect, "conn": "a"},
        {"id": "ehlo-a", "action": "send", "line": "EHLO a.example", "conn": "a"},
        {"id": "close-a", "action": "close", "conn": "a"},
        {"id": "b", **connect, "conn": "b"},
        {"id": "check", "action": "check", "expect": {"state": {"state": state, "conn": expect_conn}}},
    ]})


def test_expect_state_reads_the_named_connection_only() -> None:
    # a was closed after its EHLO (CLOSED); b has just been greeted (EXPECT_EHLO).
    assert run_scenario(_two_connections("a", "CLOSED")).ok
    assert run_scenario(_two_connections("b", "EXPECT_EHLO")).ok
    wrong = run_scenario(_two_connections("b", "EXPECT_MAIL"))
    assert [str(f) for f in wrong.failures] == [
        "step 'check': state: smtp.server is in EXPECT_EHLO, expected EXPECT_MAIL"]


def test_expect_state_of_a_connection_never_opened_cannot_pass() -> None:
    # Validation refuses this file; built by hand, the runner still fails it rather than
    # reading another connection's state.
    result = run_scenario(_two_connections("ghost", "EXPECT_EHLO"))
    assert [str(f) for f in result.failures] == [
        "step 'check': state: smtp.server is in (no state), expected EXPECT_EHLO"]


def test_every_action_of_the_format_has_a_handler_and_a_title() -> None:
    import typing

    from simulator.scenario import models as m
    from simulator.scenario.runner import ACTIONS, default_title

    union = typing.get_args(typing.get_args(m.Step)[0])
    actions = {a for model in union for a in typing.get_args(model.model_fields["action"].annotation)}
    assert actions == set(ACTIONS)
    step = m.ConnectStep.model_validate({"id": "c", "action": "connect", "from": "x", "to": "y", "port": 25})
    assert default_title(step) == "x connects to y:25"
VRFY_SCENARIO = """\
id: vrfy-world
title: VRFY as the world says
world: {vrfy: MODE}
steps:
  - {id: connect, action: connect, from: mallory-box, to: mx.example.net, port: 25, expect: {reply: 220}}
  - {id: ehlo, action: send, line: EHLO mallory-box.evil.example, expect: {reply: 250}}
  - {id: bob, action: send, line: VRFY bob@example.net, expect: {reply: BOB}}
  - {id: nobody, action: send, line: VRFY nobody@example.net, expect: {reply: NOBODY}}
"""


def test_world_vrfy_option_decides_the_vrfy_replies(tmp_path: Path) -> None:
    # RFC 5321 3.5.3 (verify: 250 / 550), 7.3 (disabled: 252 for all), Postfix (refused: 502)
    for mode, bob, nobody in [("verify", 250, 550), ("disabled", 252, 252), ("refused", 502, 502)]:
        text = VRFY_SCENARIO.replace("MODE", mode).replace("BOB", str(bob)).replace("NOBODY", str(nobody))
        result = run_scenario(load_scenario(write(tmp_path, text)))
        assert result.ok, (mode, result.failures)


def test_world_vrfy_option_is_checked_at_load(tmp_path: Path) -> None:
    text = VRFY_SCENARIO.replace("MODE", "sometimes").replace("BOB", "250").replace("NOBODY", "550")
    with pytest.raises(ContentErrors) as info:
        load_scenario(write(tmp_path, text))
    (err,) = info.value.errors
    assert ":3:" in str(err) and "world.vrfy" in str(err) and "'verify'" in str(err)


def test_a_fault_says_how_often_it_fires_in_words() -> None:
    def detail(times: int) -> str:
        text = (
            "id: t\ntitle: t\nsteps:\n"
            f"  - {{id: f, action: fault, host: mx.example.net, stage: RCPT, code: 451, times: {times}}}\n"
            "  - {id: n, action: note, text: x}\n"
        )
        result = run_scenario(load_scenario("t.yaml", text=text))
        return next(e.detail for e in result.trace.events if isinstance(e, FaultInjected))

    assert detail(1).endswith(" once")
    assert detail(2).endswith(" 2 times")
    assert detail(0).endswith(" every time")


def _sent_then(second: dict, outcome: str = "delivered") -> dict:
    """Alice sends Bob a message (accepted), then ``second`` runs and expects a delivery."""
    send = {"id": "send", "action": "send_message", "from": "alice-laptop", "sender": "alice@example.org",
            "to": ["bob@example.net"], "subject": "Hello", "body": "Hi Bob"}
    return {"id": "delivery", "title": "Delivery", "steps": [
        send, {**second, "expect": {"delivery": {"recipient": "bob@example.net", "outcome": outcome}}}]}


def test_expect_delivery_never_reads_an_earlier_steps_message() -> None:
    # Built by hand (validation refuses it): the run_queue step sends nothing, so nothing was
    # delivered by it, whatever the send_message before it got.
    from simulator.scenario.models import Scenario

    result = run_scenario(Scenario.model_validate(_sent_then({"id": "later", "action": "run_queue"})))
    assert [str(f) for f in result.failures] == [
        "step 'later': delivery: bob@example.net: this step sent no message, expected delivered "
        "(expect.delivery checks its own step's send_message)"]


def test_expect_delivery_reads_its_own_steps_message_only() -> None:
    # The first message is accepted; a fault makes the submission server refuse the second's RCPT.
    # The second step's expectation sees its own 550, not the first message's acceptance.
    from simulator.scenario.models import Scenario

    fault = {"id": "refuse", "action": "fault", "host": "mail.example.org", "stage": "RCPT", "code": 550,
             "enhanced": "5.7.1", "text": "Refused"}
    again = {"id": "again", "action": "send_message", "from": "alice-laptop", "sender": "alice@example.org",
             "to": ["bob@example.net"], "subject": "Again", "body": "Hi again"}
    spec = _sent_then(again)
    spec["steps"].insert(1, fault)
    result = run_scenario(Scenario.model_validate(spec))
    assert [str(f) for f in result.failures] == [
        "step 'again': delivery: bob@example.net: failed, expected delivered"]
    spec["steps"][2]["expect"]["delivery"]["outcome"] = "failed"
    assert run_scenario(Scenario.model_validate(spec)).ok


def _yaml(tmp_path: Path, spec: dict) -> Path:
    import yaml

    path = tmp_path / "delivery.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def test_expect_delivery_on_a_step_that_sends_no_message_is_a_located_error(tmp_path: Path) -> None:
    path = _yaml(tmp_path, _sent_then({"id": "later", "action": "run_queue"}))
    with pytest.raises(ContentErrors) as err:
        load_scenario(path)
    assert [str(e) for e in err.value.errors] == [
        f"{path}:16:7: a run_queue step sends no message, so there is no delivery to check: expect.delivery "
        "checks the submission server's answer to this step's own send_message; put it on that step "
        "(mailbox and queue say where mail went later)"]


def test_expect_delivery_of_someone_the_message_was_not_sent_to_is_a_located_error(tmp_path: Path) -> None:
    spec = _sent_then({"id": "again", "action": "send_message", "from": "alice-laptop",
                       "sender": "alice@example.org", "to": ["bob@example.net"], "subject": "S", "body": "B"})
    spec["steps"][1]["to"] = ["mallory@evil.example"]
    with pytest.raises(ContentErrors) as err:
        load_scenario(_yaml(tmp_path, spec))
    assert [str(e).split(": ", 1)[1] for e in err.value.errors] == [
        "'bob@example.net' is not a recipient of this step's message (to/cc: mallory@evil.example)"]
