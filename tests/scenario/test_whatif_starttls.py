"""What-if 'STARTTLS stripped by a man in the middle': offered where a step's session sends STARTTLS,
and its branch is the stripped session (opportunistic: plaintext AUTH; required: QUIT, nothing sent)."""

from __future__ import annotations

import base64

from simulator.content import scenarios_dir
from simulator.scenario import models as m
from simulator.scenario.loader import load_scenario
from simulator.scenario.whatif import base_run, fault_options, fork, trace_step_index
from simulator.scenario.whatif.catalogue import BY_ID
from simulator.scenario.whatif.reach import reach
from simulator.trace import (
    C2S,
    BytesSent,
    QueueChanged,
    StepStarted,
    TlsRecord,
    TlsStarted,
    WireAltered,
)

FAULT = "starttls-stripped"


def _scenario(steps: list[dict], world: dict | None = None) -> m.Scenario:
    world = world if world is not None else {"tls": {"starttls": True}, "submission": {"auth": True}}
    return m.Scenario.model_validate({"id": "t", "title": "t", "world": world, "steps": steps})


def _send(tls: str | None, n: int = 1) -> dict:
    step = {"id": f"send-{n}", "action": "send_message", "from": "alice-laptop", "sender": "alice@example.org",
            "to": ["bob@example.net"], "subject": f"Hi {n}", "body": "hello"}
    return step if tls is None else {**step, "tls": tls}


def _branch_step(branch, step_id: str) -> list:
    trace = branch.result.trace
    step = trace.steps()[trace_step_index(trace, step_id)]
    return trace.events[step.start:step.end]


def test_offered_where_the_step_sends_starttls_and_nowhere_else():
    lesson = load_scenario(scenarios_dir() / "starttls-stripping.yaml")
    offered = [s.id for n, s in enumerate(lesson.steps) if FAULT in {o.id for o in fault_options(lesson, n)}]
    assert offered == ["with-tls"]  # the later sends are stripped already: no STARTTLS left to strip
    basics = load_scenario(scenarios_dir() / "smtp-basics.yaml")  # a world without STARTTLS
    assert all(FAULT not in {o.id for o in fault_options(basics, n)} for n in range(len(basics.steps)))


def test_the_opportunistic_branch_sends_the_password_in_plaintext():
    scenario = _scenario([_send("opportunistic")], {"tls": {"starttls": True},
                                                    "submission": {"auth": True, "plaintext_auth": True}})
    [option] = [o for o in fault_options(scenario, 0) if o.id == FAULT]
    assert option.target == "mail.example.org"
    assert "mallory-box" in option.description and "250-STARTTLS" in option.description
    assert "plaintext" in option.description
    branch = fork(scenario, 0, FAULT)
    mitm = branch.scenario.steps[0]
    assert isinstance(mitm, m.MitmStep) and mitm.between == ("alice-laptop", "mail.example.org")
    events = _branch_step(branch, "send-1")
    assert [e.changes for e in events if isinstance(e, WireAltered)] == [("removed 250-STARTTLS",)]
    assert not any(isinstance(e, TlsStarted) for e in events)
    auth = next(e for e in events if isinstance(e, BytesSent) and e.direction == C2S
                and e.plaintext.startswith(b"AUTH PLAIN "))
    assert auth.wire == auth.plaintext  # readable on the wire
    assert base64.b64decode(auth.plaintext.split()[2]) == b"\0alice@example.org\0wonderland"
    assert any(isinstance(e, QueueChanged) and e.action == "queued" for e in events)


def test_the_required_branch_quits_and_sends_nothing():
    scenario = _scenario([_send("required")])
    [option] = [o for o in fault_options(scenario, 0) if o.id == FAULT]
    assert "QUIT" in option.description and "nothing is sent" in option.description
    branch = fork(scenario, 0, FAULT)
    events = _branch_step(branch, "send-1")
    sent = [e.plaintext for e in events if isinstance(e, BytesSent) and e.direction == C2S]
    assert sent == [b"EHLO alice-laptop.example.org\r\n", b"QUIT\r\n"]
    assert not any(isinstance(e, QueueChanged) for e in events)
    summary = branch.diff_from(base_run(scenario).trace).summary()
    assert summary  # the diff says the message no longer reached the queue


def _stable(e) -> object:
    if isinstance(e, BytesSent):
        return ("bytes", e.conn, e.direction, e.plaintext, e.wire == e.plaintext)
    if isinstance(e, TlsRecord):
        return ("record", e.conn, e.direction, e.content_type, e.handshake_types, e.decrypted if not
                e.randomised else "")
    return e


def test_the_prefix_before_the_fork_is_unchanged():
    scenario = _scenario([_send("opportunistic", 1), _send("opportunistic", 2)])
    base = base_run(scenario).trace
    start = base.steps()[trace_step_index(base, "send-2")].start
    branch = fork(scenario, 1, FAULT).result.trace
    # TLS randomises its bytes (DESIGN.md principle 5): the prefix is compared without them.
    assert [_stable(e) for e in branch.events[:start]] == [_stable(e) for e in base.events[:start]]
    marker = branch.events[start]
    assert isinstance(marker, StepStarted) and marker.step_id == f"what-if-{FAULT}"
    assert not any(isinstance(e, WireAltered) for e in branch.events[:start])


def test_a_connection_opened_in_an_earlier_step_cannot_be_stripped_any_more():
    scenario = _scenario([
        {"id": "c", "action": "connect", "from": "alice-laptop", "to": "mail.example.org", "port": 587},
        {"id": "e", "action": "send", "line": "EHLO alice-laptop.example.org"},
        {"id": "s", "action": "send", "line": "STARTTLS"}])
    assert FAULT not in {o.id for o in fault_options(scenario, 2)}
    assert "before the connection opens" in BY_ID[FAULT].why_not(reach(scenario, 2))


def test_a_world_without_an_attacker_host_says_so():
    hosts = [{"name": "mallory-box", "addresses": ["203.0.113.66"], "role": "client"},
             {"name": "mail.evil.example", "addresses": ["203.0.113.25"], "role": "server"}]
    scenario = _scenario([_send("required")], {"tls": {"starttls": True}, "submission": {"auth": True},
                                               "hosts": hosts})
    assert FAULT not in {o.id for o in fault_options(scenario, 0)}
    assert "no attacker host" in BY_ID[FAULT].why_not(reach(scenario, 0))


def test_offered_for_an_imap_client_that_starts_tls_and_its_branch_strips_the_capability():
    scenario = _scenario([{"id": "o", "action": "open_mailbox", "from": "bob-phone", "tls": "opportunistic"}],
                         {"tls": {"starttls": True}})
    [option] = [o for o in fault_options(scenario, 0) if o.id == FAULT]
    assert option.target == "mx.example.net" and "STARTTLS from the CAPABILITY list" in option.description
    events = _branch_step(fork(scenario, 0, FAULT), "o")
    assert ("removed STARTTLS from the CAPABILITY list",) in [e.changes for e in events if isinstance(e, WireAltered)]
    assert not any(isinstance(e, TlsStarted) for e in events)
