"""What-if 'Certificate expired': offered where a step's session completes a TLS handshake with a mail
server; its branch is the same step with that server's certificate expired: the verifying client
aborts with the verifier's reason, and what it would have sent is not sent."""

from __future__ import annotations

from simulator.content import scenarios_dir
from simulator.scenario import models as m
from simulator.scenario.loader import load_scenario
from simulator.scenario.whatif import base_run, fault_options, fork, nothing_fits, trace_step_index
from simulator.scenario.whatif.catalogue import BY_ID
from simulator.scenario.whatif.reach import reach
from simulator.trace import C2S, BytesSent, MailboxView, QueueChanged, TlsFailed, TlsStarted

FAULT = "certificate-expired"
REASON = "certificate has expired"


def _scenario(steps: list[dict], world: dict | None = None) -> m.Scenario:
    world = world if world is not None else {"tls": {"starttls": True}, "submission": {"auth": True}}
    return m.Scenario.model_validate({"id": "t", "title": "t", "world": world, "steps": steps})


def _send(tls: str, n: int = 1, **extra: object) -> dict:
    return {"id": f"send-{n}", "action": "send_message", "from": "alice-laptop", "sender": "alice@example.org",
            "to": ["bob@example.net"], "subject": f"Hi {n}", "body": "hello", "tls": tls, **extra}


def _branch_step(branch, step_id: str) -> list:
    trace = branch.result.trace
    step = trace.steps()[trace_step_index(trace, step_id)]
    return trace.events[step.start:step.end]


def test_it_is_live_and_offered_only_where_a_handshake_happens():
    assert BY_ID[FAULT].available
    scenario = _scenario([_send("required")])
    [option] = [o for o in fault_options(scenario, 0) if o.id == FAULT]
    assert option.target == "mail.example.org"
    assert REASON in option.description and "message is sent" in option.description
    plain = load_scenario(scenarios_dir() / "smtp-basics.yaml")  # no TLS anywhere
    assert all(FAULT not in {o.id for o in fault_options(plain, n)} for n in range(len(plain.steps)))


def test_the_required_client_aborts_with_the_verifiers_reason_and_sends_nothing():
    scenario = _scenario([_send("required")])
    branch = fork(scenario, 0, FAULT)
    inserted = branch.scenario.steps[0]
    assert isinstance(inserted, m.CertificateStep) and inserted.host == "mail.example.org"
    events = _branch_step(branch, "send-1")
    (failed,) = [e for e in events if isinstance(e, TlsFailed)]
    assert failed.client_reason == REASON and failed.mode == "starttls"
    assert not any(isinstance(e, TlsStarted) for e in events)
    sent = [e.plaintext for e in events if isinstance(e, BytesSent) and e.direction == C2S and e.plaintext]
    assert sent == [b"EHLO alice-laptop.example.org\r\n", b"STARTTLS\r\n"]  # no AUTH, no message
    assert not any(isinstance(e, QueueChanged) for e in events)
    assert branch.diff_from(base_run(scenario).trace).summary()


def test_implicit_tls_fails_before_the_greeting():
    scenario = _scenario([_send("required", port=465)])
    [option] = [o for o in fault_options(scenario, 0) if o.id == FAULT]
    assert "port 465" in option.description
    events = _branch_step(fork(scenario, 0, FAULT), "send-1")
    (failed,) = [e for e in events if isinstance(e, TlsFailed)]
    assert failed.mode == "implicit" and failed.client_reason == REASON
    assert not [e for e in events if isinstance(e, BytesSent) and e.direction == C2S and e.plaintext]


def test_the_earlier_messages_keep_the_valid_certificate():
    scenario = _scenario([_send("required", 1), _send("required", 2)])
    branch = fork(scenario, 1, FAULT).result.trace
    assert len(branch.of_type(TlsStarted)) == 1 and len(branch.of_type(TlsFailed)) == 1
    assert [e.action for e in branch.of_type(QueueChanged)] == ["queued"]


def test_a_mailbox_session_that_fails_loses_its_later_steps():
    scenario = _scenario([
        _send("required", 0),
        {"id": "relay", "action": "run_queue"},
        {"id": "open", "action": "open_mailbox", "from": "bob-phone", "port": 993},
        {"id": "read", "action": "read", "conn": "bob-phone", "uid": 1},
        {"id": "bye", "action": "logout", "conn": "bob-phone"}])
    [option] = [o for o in fault_options(scenario, 2) if o.id == FAULT]
    assert option.target == "mx.example.net" and "mailbox is not opened" in option.description
    branch = fork(scenario, 2, FAULT)
    assert [s.id for s in branch.scenario.steps] == ["send-0", "relay", "what-if-certificate-expired", "open"]
    assert branch.result.ok, branch.result.failures
    events = _branch_step(branch, "open")
    assert [e.client_reason for e in events if isinstance(e, TlsFailed)] == [REASON]
    assert not any(isinstance(e, MailboxView) and e.folder for e in events)


def test_where_the_handshake_fails_already_it_says_why():
    scenario = _scenario([_send("required")], {"tls": {"starttls": True, "certificates":
                                                       {"mail.example.org": "self-signed"}},
                                               "submission": {"auth": True}})
    assert FAULT not in {o.id for o in fault_options(scenario, 0)}
    assert "self-signed certificate" in BY_ID[FAULT].why_not(reach(scenario, 0))


def test_offered_in_the_starttls_lesson_at_the_handshake_step():
    lesson = load_scenario(scenarios_dir() / "starttls.yaml")
    offered = [s.id for n, s in enumerate(lesson.steps) if FAULT in {o.id for o in fault_options(lesson, n)}]
    assert offered == ["starttls"]
    branch = fork(lesson, [s.id for s in lesson.steps].index("starttls"), FAULT)
    # The session is gone after the failed handshake: the typed steps on it are not in the branch.
    assert [s.id for s in branch.scenario.steps] == ["connect", "ehlo", "what-if-certificate-expired", "starttls"]
    assert branch.result.ok, branch.result.failures
    # The connection opened before the fault: its handshake, after STARTTLS, meets the expired certificate.
    events = _branch_step(branch, "starttls")
    assert [e.client_reason for e in events if isinstance(e, TlsFailed)] == [REASON]
    assert not any(isinstance(e, TlsStarted) for e in events)
    assert nothing_fits(lesson, 0) == "" or FAULT not in nothing_fits(lesson, 0)
