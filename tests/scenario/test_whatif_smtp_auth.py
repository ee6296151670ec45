"""What-if 'Wrong password (SMTP AUTH)': the mail client's AUTH with a mistyped password gets 535 5.7.8
(RFC 4954 6), the client quits, and the message is not sent; offered only where a client's AUTH succeeds."""

from __future__ import annotations

import pytest

from simulator.content import scenarios_dir
from simulator.scenario import models as m
from simulator.scenario.loader import load_scenario
from simulator.scenario.whatif import base_run, diff, fault_options, fork
from simulator.scenario.whatif.catalogue import BY_ID, mistyped
from simulator.scenario.whatif.reach import reach
from simulator.trace import CommandReceived, MailboxChanged, QueueChanged, ReplySent


@pytest.fixture(scope="module")
def auth() -> m.Scenario:
    return load_scenario(scenarios_dir() / "smtp-auth.yaml")


def at(scenario: m.Scenario, step_id: str) -> int:
    return [s.id for s in scenario.steps].index(step_id)


def offered(scenario: m.Scenario, step_id: str) -> list[str]:
    return [o.id for o in fault_options(scenario, at(scenario, step_id))]


def replies(trace, step_id: str) -> list[str]:
    step = next(s for s in trace.steps() if s.step_id == step_id)
    return [f"{e.code} {e.enhanced} {e.text[0] if e.text else ''}".strip()
            for e in trace.events[step.start:step.end] if isinstance(e, ReplySent)]


def test_offered_where_a_mail_client_logs_in(auth: m.Scenario) -> None:
    assert "smtp-wrong-password" in offered(auth, "submit")
    # The wrong-password step is refused already; the typed session has no client password to change.
    assert "smtp-wrong-password" not in offered(auth, "wrong-password")
    assert "smtp-wrong-password" not in offered(auth, "mail-first")
    spec = BY_ID["smtp-wrong-password"]
    assert "refused already (535)" in spec.why_not(reach(auth, at(auth, "wrong-password")))
    assert spec.why_not(reach(auth, at(auth, "mail-first"))) == ""  # no AUTH in that step at all


def test_the_branch_gets_535_and_sends_nothing(auth: m.Scenario) -> None:
    base = base_run(auth)
    branch = fork(auth, at(auth, "submit"), "smtp-wrong-password")
    assert branch.result.ok
    said = replies(branch.trace, "submit")
    assert "235 2.7.0 Authentication successful" not in said
    assert any(r.startswith("535 5.7.8 Authentication credentials invalid") for r in said)
    step = next(s for s in branch.trace.steps() if s.step_id == "submit")
    own = branch.trace.events[step.start:step.end]
    verbs = [e.verb for e in own if isinstance(e, CommandReceived)]
    assert verbs[-1] == "QUIT" and "MAIL" not in verbs and "DATA" not in verbs
    assert not any(isinstance(e, QueueChanged) for e in own)  # nothing queued at mail.example.org
    # The base run delivers the message to Bob; the branch does not.
    assert any(isinstance(e, MailboxChanged) for e in base.trace.events)
    assert diff(base.trace, branch.trace).summary().count("535 5.7.8") >= 1


def test_the_password_sent_is_the_mistyped_one(auth: m.Scenario) -> None:
    import base64

    branch = fork(auth, at(auth, "submit"), "smtp-wrong-password")
    step = next(s for s in branch.trace.steps() if s.step_id == "submit")
    (login,) = [e for e in branch.trace.events[step.start:step.end]
                if isinstance(e, CommandReceived) and e.verb == "AUTH"]
    mechanism, blob = login.argument.split()
    assert mechanism == "PLAIN"
    assert base64.b64decode(blob) == b"\0alice@example.org\0" + mistyped("wonderland").encode()
    assert mistyped("wonderland") != "wonderland" and mistyped("aa") != "aa"


def test_the_branch_replays_the_same(auth: m.Scenario) -> None:
    one = fork(auth, at(auth, "submit"), "smtp-wrong-password")
    two = fork(auth, at(auth, "submit"), "smtp-wrong-password")
    assert replies(one.trace, "submit") == replies(two.trace, "submit")


def test_no_sender_refusal_where_the_base_run_refuses_mail_already(auth: m.Scenario) -> None:
    # MAIL before AUTH gets 530 5.7.0 (RFC 4954 6): a 550 "sender refused" in its place changes nothing.
    base = base_run(auth)
    assert [r.split()[0] for r in replies(base.trace, "mail-first")] == ["530"]
    assert "sender-rejected" not in offered(auth, "mail-first")
    why = BY_ID["sender-rejected"].why_not(reach(auth, at(auth, "mail-first")))
    assert why == "MAIL FROM:<alice@example.org> is refused already here (530): sender refused would change nothing."
    # Where MAIL is accepted (the mail client's submission after AUTH), the fault still fits.
    assert "sender-rejected" in offered(auth, "submit")


def test_a_transient_fault_still_fits_a_command_refused_for_good() -> None:
    # smtp-errors' submission: the MX refuses RCPT with 550 (no such user), and a 451 first still means
    # something the base run never shows: the relay defers and retries (RFC 5321 4.2.1, 4.5.4.1).
    errors = load_scenario(scenarios_dir() / "smtp-errors.yaml")
    assert "mx-tempfail" in offered(errors, "submit")
    assert "mx-tempfail" in offered(errors, "relay-550")
