"""What-if branches: the faults that fit a step, forks that share the prefix, and the diff."""

from __future__ import annotations

import pytest

from simulator.content import scenarios_dir
from simulator.scenario import models as m
from simulator.scenario.loader import load_scenario
from simulator.scenario.runner import run_scenario
from simulator.scenario.whatif import (
    CATALOGUE,
    BranchError,
    FaultDoesNotFit,
    UnknownFault,
    base_run,
    diff,
    fault_options,
    fork,
    nothing_fits,
    trace_step_index,
)
from simulator.trace import CheckStep, MailboxChanged, StepStarted, Trace

RELAY = """\
id: whatif-relay
title: "Alice writes to Bob, and the relay delivers"
steps:
  - id: submit
    action: send_message
    from: alice-laptop
    sender: alice@example.org
    to: [bob@example.net]
    subject: Lunch on Friday?
    body: "Hi Bob,\\nLunch?\\nAlice\\n"
    expect:
      queue: {host: mail.example.org, count: 1}
  - id: relay
    action: run_queue
    host: mail.example.org
    ask:
      prompt: Where does the message go next?
      choices: ["mx.example.net", "bob-phone"]
      answer: "mx.example.net"
    expect:
      mailbox: {user: bob@example.net, count: 1}
  - id: done
    action: note
    text: Bob has mail.
"""


@pytest.fixture(scope="module")
def relay() -> m.Scenario:
    return load_scenario("whatif-relay.yaml", text=RELAY)


@pytest.fixture(scope="module")
def basics() -> m.Scenario:
    return load_scenario(scenarios_dir() / "smtp-basics.yaml")


def ids(options) -> list[str]:
    return [o.id for o in options]


def inbox(result, user: str) -> list[MailboxChanged]:
    boxes: dict[int, MailboxChanged] = {}
    for e in result.trace.events:
        if isinstance(e, MailboxChanged) and e.user == user and e.folder == "INBOX":
            if e.action == "delivered":
                boxes[e.uid] = e
            elif e.action == "expunged":
                boxes.pop(e.uid, None)
    return list(boxes.values())


# --- options ----------------------------------------------------------------------


def test_options_fit_the_step(relay: m.Scenario, basics: m.Scenario) -> None:
    at_submit = ids(fault_options(relay, 0))
    at_relay = ids(fault_options(relay, 1))
    assert {"recipient-unknown", "mx-down", "mx-tempfail", "message-too-big", "server-down"} <= set(at_submit)
    # The relay step does not connect to the submission server: it cannot be "down" there.
    assert "server-down" not in at_relay
    assert {"recipient-unknown", "mx-down", "mx-tempfail", "message-too-big"} <= set(at_relay)
    assert fault_options(relay, 2) == []  # a note: nothing a fault could bite on

    by_step = {step.id: ids(fault_options(basics, n)) for n, step in enumerate(basics.steps)}
    assert by_step["connect"] == ["server-down"]
    assert by_step["rcpt-to"] == ["recipient-unknown"]
    assert by_step["mail-from"] == ["sender-rejected"]
    assert by_step["message"] == ["message-too-big"]  # the reply at the final dot
    assert by_step["ehlo"] == by_step["quit"] == []
    # A raw session has no queue to retry from and no MX hop.
    assert not any(x in o for o in by_step.values() for x in ("mx-down", "mx-tempfail"))


def test_options_have_readable_titles_and_descriptions(relay: m.Scenario) -> None:
    for option in fault_options(relay, 0):
        assert option.title and option.description and option.target
    unknown = next(o for o in fault_options(relay, 0) if o.id == "recipient-unknown")
    assert unknown.target == "mx.example.net"
    assert "550 5.1.1" in unknown.description and "bounce" in unknown.description


def test_every_catalogued_fault_is_live_and_offered_only_where_it_fits(relay: m.Scenario, basics: m.Scenario) -> None:
    assert all(spec.available for spec in CATALOGUE)
    # Neither scenario logs in with SMTP AUTH: the wrong-password row never fits there, and says so on a fork.
    for scenario in (relay, basics):
        for n in range(len(scenario.steps)):
            assert "smtp-wrong-password" not in ids(fault_options(scenario, n))
    with pytest.raises(FaultDoesNotFit):
        fork(relay, 0, "smtp-wrong-password")


def test_a_fault_that_changes_nothing_is_not_offered() -> None:
    errors = load_scenario(scenarios_dir() / "smtp-errors.yaml")
    # Its first message goes to a mailbox that does not exist: the MX already says 550 5.1.1.
    assert "recipient-unknown" not in ids(fault_options(errors, 0))


def test_where_no_fault_fits_it_says_why(basics: m.Scenario) -> None:
    at = {step.id: n for n, step in enumerate(basics.steps)}
    assert nothing_fits(basics, at["rcpt-to"]) == ""  # recipient-unknown fits there
    ehlo = nothing_fits(basics, at["ehlo"])
    # What the step holds, what the faults act on, and why the connection fault misses.
    assert ehlo.startswith("This step sends EHLO; the faults act on a connection being opened, "
                           "a MAIL FROM, a RCPT TO, the final dot of DATA, a message relayed to an MX, "
                           "a DKIM-signed message relayed to an MX, a message whose From domain passes DMARC, "
                           "an SMTP AUTH by a mail client, a login (IMAP LOGIN, POP3 PASS), a POP3 QUIT, a message an IMAP session reads, a "
                           "STARTTLS on a connection the step opens or a TLS handshake with a mail server.")
    assert "connection opened earlier" in ehlo
    assert "No command is sent in this step" in nothing_fits(load_scenario("r.yaml", text=RELAY), 2)


def test_why_names_a_command_the_fault_cannot_answer() -> None:
    errors = load_scenario(scenarios_dir() / "smtp-errors.yaml")
    at = {step.id: n for n, step in enumerate(errors.steps)}
    # RCPT before MAIL: the machine refuses it (503) before any policy, where faults act.
    early = nothing_fits(errors, at["rcpt-before-mail"])
    assert "This step sends RCPT" in early and "(503)" in early and "before it asks its policy" in early
    # Relaying refused: the recipient-unknown fault would give the 550 the step already gets.
    denied = nothing_fits(errors, at["relay-denied"])
    assert "already gets 550 here: recipient unknown would change nothing" in denied
    assert "a line it cannot read (line too long)" in nothing_fits(errors, at["too-long"])


def test_spec_applies_and_apply_agree_with_the_menu(relay: m.Scenario) -> None:
    for spec in CATALOGUE:
        offered = spec.id in ids(fault_options(relay, 1))
        assert spec.applies(relay, 1) == offered
        if offered:
            branched = spec.apply(relay, 1)
            assert len(branched.steps) > len(relay.steps)


# --- forks --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["relay", "basics"])
def test_prefix_before_the_fork_is_identical(name: str, request: pytest.FixtureRequest) -> None:
    scenario: m.Scenario = request.getfixturevalue(name)
    base = base_run(scenario).trace
    for n, step in enumerate(scenario.steps):
        start = base.steps()[trace_step_index(base, step.id)].start
        for option in fault_options(scenario, n):
            branch = fork(scenario, n, option.id).result.trace
            assert branch.events[:start] == base.events[:start], (step.id, option.id)
            # ... and the first thing after it is the injected what-if step.
            marker = branch.events[start]
            assert isinstance(marker, StepStarted) and marker.step_id.startswith("what-if-")


def test_recipient_unknown_bounces_to_alice(relay: m.Scenario) -> None:
    base = base_run(relay)
    branch = fork(relay, 0, "recipient-unknown")
    assert branch.step_index == 0 and branch.fault.id == "recipient-unknown"
    assert branch.result.ok  # expectations at and after the fork are dropped
    assert inbox(base, "bob@example.net") and not inbox(base, "alice@example.org")
    assert not inbox(branch.result, "bob@example.net")
    (bounce,) = inbox(branch.result, "alice@example.org")
    assert bounce.subject.startswith("Undelivered Mail Returned to Sender")
    assert b"multipart/report" in bounce.raw and b"Status: 5.1.1" in bounce.raw

    d = diff(base.trace, branch.result.trace)
    assert d.first_divergent_step == trace_step_index(base.trace, "relay")
    assert base.trace.steps()[d.first_divergent_step].step_id == "relay"
    assert branch.trace.steps()[d.branch_divergent_step].step_id == "relay"
    replies = d.of_kind("reply")
    assert replies[0].step_id == "relay"
    assert "250 2.1.5" in replies[0].base and "550 5.1.1" in replies[0].branch
    boxes = {line.what: line for line in d.of_kind("mailbox")}
    assert "(a bounce)" in boxes["alice@example.org INBOX"].branch
    assert "0 messages" in boxes["bob@example.net INBOX"].branch
    assert [line.branch for line in d.of_kind("step")] == ["What if: Recipient unknown"]
    queue = {line.what: line for line in d.of_kind("queue")}
    assert "failed" in queue["bob@example.net (queue of mail.example.org)"].branch
    summary = d.summary()
    assert "The timelines part at step 'relay'" in summary
    assert "alice@example.org INBOX: 0 messages → 1 (a bounce)" in summary
    assert "bob@example.net INBOX: 1 message → 0" in summary
    assert "550 5.1.1" in summary


def test_the_bundled_relay_lesson_bounces_too() -> None:
    scenario = load_scenario(scenarios_dir() / "smtp-relay-mx.yaml")
    branch = fork(scenario, 0, "recipient-unknown")
    d = branch.diff_from(base_run(scenario).trace)
    assert any("(a bounce)" in line.branch and line.what.startswith("alice@example.org")
               for line in d.of_kind("mailbox"))


def test_branch_keeps_expectations_before_the_fork_only(relay: m.Scenario) -> None:
    branch = fork(relay, 1, "mx-down")
    steps = branch.scenario.steps
    assert [s.id for s in steps] == ["submit", "what-if-mx-down", "relay", "done"]
    assert steps[0].expect == relay.steps[0].expect
    assert steps[1].action == "host_down" and steps[1].host == "mx.example.net"
    assert steps[2].expect is None and steps[2].ask is None
    assert relay.steps[1].expect is not None  # the base scenario is untouched
    assert branch.result.ok


def test_mx_down_defers_and_tempfail_retries(relay: m.Scenario) -> None:
    base = base_run(relay).trace
    down = fork(relay, 1, "mx-down")
    assert not inbox(down.result, "bob@example.net")
    d = diff(base, down.result.trace)
    queue = d.of_kind("queue")[0]
    assert "deferred" in queue.branch and "4.4.1" in queue.branch
    assert any("host is down" in line.branch for line in d.of_kind("reply"))

    tempfail = fork(relay, 0, "mx-tempfail")
    assert [s.id for s in tempfail.scenario.steps] == [
        "what-if-mx-tempfail", "submit", "relay", "what-if-retry", "done"]
    assert len(inbox(tempfail.result, "bob@example.net")) == 1  # accepted on the retry
    d = diff(base, tempfail.result.trace)
    assert not d.of_kind("mailbox")  # Bob gets it in the end, like in the base
    queue = d.of_kind("queue")[0]
    assert "deferred (451 4.3.0" in queue.branch and queue.branch.endswith("sent (relayed to example.net)")


def test_message_too_big_at_submission_is_refused_at_the_dot(relay: m.Scenario) -> None:
    branch = fork(relay, 0, "message-too-big")
    d = diff(base_run(relay).trace, branch.result.trace)
    assert d.divergent_step_id == "submit"
    first = d.of_kind("reply")[0]
    assert first.what == "mail.example.org" and "552 5.3.4" in first.branch
    assert not inbox(branch.result, "alice@example.org")  # no bounce: the client heard it


def test_raw_rcpt_refused(basics: m.Scenario) -> None:
    n = next(i for i, s in enumerate(basics.steps) if s.id == "rcpt-to")
    branch = fork(basics, n, "recipient-unknown")
    d = diff(base_run(basics).trace, branch.result.trace)
    assert d.divergent_step_id == "rcpt-to"
    by_step = {line.step_id: line for line in d.of_kind("reply")}
    assert "550 5.1.1" in by_step["rcpt-to"].branch
    assert "554 5.5.1" in by_step["data"].branch  # no valid recipients


def test_fork_errors_are_clear(relay: m.Scenario, basics: m.Scenario) -> None:
    with pytest.raises(UnknownFault, match=r"unknown fault 'cosmic-ray'.*recipient-unknown"):
        fork(relay, 0, "cosmic-ray")
    with pytest.raises(FaultDoesNotFit, match=r"'mx-down' does not fit step 'quit'.*none"):
        fork(basics, len(basics.steps) - 1, "mx-down")
    with pytest.raises(FaultDoesNotFit, match=r"faults that fit there: recipient-unknown"):
        fork(basics, 3, "server-down")
    with pytest.raises(BranchError, match="out of range"):
        fault_options(relay, 7)
    assert issubclass(UnknownFault, ValueError)


def test_forks_are_deterministic(relay: m.Scenario) -> None:
    a = fork(relay, 0, "recipient-unknown").result.trace
    b = fork(relay, 0, "recipient-unknown").result.trace
    assert a.events == b.events


# --- diff -----------------------------------------------------------------------------


def test_diff_of_a_trace_with_itself_is_empty(relay: m.Scenario) -> None:
    trace = run_scenario(relay).trace
    again = run_scenario(relay).trace
    d = diff(trace, again)
    assert d.first_divergent_step is None and d.lines == [] and d.identical
    assert d.summary() == "The two timelines are identical."


def test_diff_reports_check_verdicts_generically() -> None:
    def trace(result: str) -> Trace:
        return Trace(events=[
            StepStarted(seq=0, step_id="receive"),
            CheckStep(seq=1, host="mx.example.net", check="dkim", text="fetched s1._domainkey"),
            CheckStep(seq=2, host="mx.example.net", check="dkim", text="body hash", result=result),
        ])

    d = diff(trace("pass"), trace("fail"))
    assert d.first_divergent_step == 0
    (line,) = d.lines
    assert line.kind == "verdict" and line.step_id == "receive"
    assert line.base.endswith("pass") and line.branch.endswith("fail")
    assert "DKIM at mx.example.net: pass → fail" in d.summary()
