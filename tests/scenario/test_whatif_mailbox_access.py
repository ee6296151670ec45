"""What-if faults on mailbox access: wrong password, maildrop locked, a connection dropped before QUIT,
a message expunged by another device. Each forks, replays the same way twice, and the diff says what changed."""

from __future__ import annotations

import pytest

from simulator.content import scenarios_dir
from simulator.scenario import models as m
from simulator.scenario.loader import load_scenario
from simulator.scenario.whatif import base_run, diff, fault_options, fork, nothing_fits
from simulator.trace import MailboxView, ReplySent


@pytest.fixture(scope="module")
def pop3() -> m.Scenario:
    return load_scenario(scenarios_dir() / "pop3-download.yaml")


@pytest.fixture(scope="module")
def imap() -> m.Scenario:
    return load_scenario(scenarios_dir() / "imap-commands.yaml")


def at(scenario: m.Scenario, step_id: str) -> int:
    return [s.id for s in scenario.steps].index(step_id)


def offered(scenario: m.Scenario, step_id: str) -> list[str]:
    return [o.id for o in fault_options(scenario, at(scenario, step_id))]


def replies(trace, step_id: str) -> list[str]:
    step = next(s for s in trace.steps() if s.step_id == step_id)
    return [f"{e.code} {e.text[0] if e.text else ''}".strip() for e in trace.events[step.start:step.end]
            if isinstance(e, ReplySent)]


def test_the_faults_fit_the_logins_and_the_quit(pop3: m.Scenario, imap: m.Scenario) -> None:
    assert offered(pop3, "pass") == ["wrong-password", "mailbox-locked"]
    assert offered(pop3, "phone-quits") == ["dropped-before-quit"]
    assert offered(pop3, "laptop-login") == []  # refused already: the phone holds the lock (RFC 1939 8)
    assert offered(imap, "phone-login") == ["wrong-password"]  # no maildrop lock in IMAP
    assert "expunged-elsewhere" in offered(imap, "laptop-reads")
    assert offered(imap, "phone-logout") == []
    assert "a POP3 QUIT" in nothing_fits(pop3, at(pop3, "stat"))


def test_wrong_password_over_pop3_leaves_the_mail(pop3: m.Scenario) -> None:
    base = base_run(pop3)
    branch = fork(pop3, at(pop3, "pass"), "wrong-password")
    assert branch.result.ok
    assert replies(branch.trace, "pass") == ["-ERR Authentication failed"]  # RFC 3206 5: [AUTH]
    step = next(s for s in branch.trace.steps() if s.step_id == "pass")
    (refusal,) = [e for e in branch.trace.events[step.start:step.end] if isinstance(e, ReplySent)]
    assert refusal.enhanced == "AUTH"
    summary = diff(base.trace, branch.trace).summary()
    assert "-ERR [AUTH] Authentication failed" in summary
    assert "bob@example.net INBOX: 0 messages → 1" in summary  # nothing downloaded, nothing deleted


def test_maildrop_locked(pop3: m.Scenario) -> None:
    branch = fork(pop3, at(pop3, "pass"), "mailbox-locked")
    summary = diff(base_run(pop3).trace, branch.trace).summary()
    assert "-ERR [IN-USE] Maildrop already locked by another session" in summary  # RFC 2449 8.1.2
    assert "bob@example.net INBOX: 0 messages → 1" in summary


def test_wrong_password_over_imap(imap: m.Scenario) -> None:
    branch = fork(imap, at(imap, "phone-login"), "wrong-password")
    assert replies(branch.trace, "phone-login") == ["a1 NO [AUTHENTICATIONFAILED] Authentication failed"]
    # RFC 9051 6.2.3: still not authenticated, so SELECT is refused and the phone never sees the mailbox.
    assert replies(branch.trace, "phone-select")[0].startswith("a2 BAD")
    assert not any(isinstance(e, MailboxView) and e.peer.startswith("bob-phone") for e in branch.trace.events)


def test_dropped_before_quit_deletes_nothing(pop3: m.Scenario) -> None:
    index = at(pop3, "phone-quits")
    branch = fork(pop3, index, "dropped-before-quit")
    assert branch.result.ok
    assert [s.id for s in branch.scenario.steps][index:] == ["what-if-dropped-before-quit"]  # QUIT is gone
    d = diff(base_run(pop3).trace, branch.trace)
    summary = d.summary()
    assert "bob@example.net INBOX: 0 messages → 1" in summary  # RFC 1939 6: no UPDATE state, no deletion
    assert "signing off" in summary and "(nothing)" in summary


def test_expunged_by_another_device_tells_the_idling_phone(imap: m.Scenario) -> None:
    branch = fork(imap, at(imap, "laptop-reads"), "expunged-elsewhere")
    assert branch.result.ok
    assert "bob@example.net INBOX: 1 message → 0" in diff(base_run(imap).trace, branch.trace).summary()
    step = next(s for s in branch.trace.steps() if s.step_id == "what-if-expunged-elsewhere-delete")
    told = [e for e in branch.trace.events[step.start:step.end] if isinstance(e, ReplySent) and e.code == "*"
            and e.text and e.text[0] == "1 EXPUNGE"]
    # Both the phone's idling session and the deleting one hear * 1 EXPUNGE (RFC 9051 7.5.1, RFC 2177).
    assert len({e.conn for e in told}) == 2


@pytest.mark.parametrize(("scenario", "step_id", "fault"), [
    ("pop3-download.yaml", "pass", "wrong-password"), ("pop3-download.yaml", "pass", "mailbox-locked"),
    ("pop3-download.yaml", "phone-quits", "dropped-before-quit"),
    ("imap-commands.yaml", "phone-login", "wrong-password"),
    ("imap-commands.yaml", "laptop-reads", "expunged-elsewhere"),
])
def test_forks_replay_the_same(scenario: str, step_id: str, fault: str) -> None:
    sc = load_scenario(scenarios_dir() / scenario)
    one, two = fork(sc, at(sc, step_id), fault), fork(sc, at(sc, step_id), fault)
    assert one.trace.events == two.trace.events
    assert diff(one.trace, two.trace).identical


def test_a_mail_program_whose_login_fails_does_nothing_more() -> None:
    two = load_scenario(scenarios_dir() / "imap-two-devices.yaml")
    index = at(two, "laptop-opens")
    assert "wrong-password" in [o.id for o in fault_options(two, index)]
    branch = fork(two, index, "wrong-password")
    assert branch.result.ok  # the laptop's later steps (idle, flag, move) are gone with its session
    ids = [s.id for s in branch.scenario.steps]
    assert "laptop-idles" not in ids and "laptop-files" not in ids and "phone-reads" in ids
    assert any("a1 NO [AUTHENTICATIONFAILED]" in r for r in replies(branch.trace, "laptop-opens"))


def test_a_download_dropped_before_quit_keeps_the_mail() -> None:
    # check_mail downloads and sends DELE, then QUIT in one step: the branch keeps the session open
    # (quit: false) and drops it right after, so the DELEs never take effect (RFC 1939 6).
    sc = load_scenario(scenarios_dir() / "pop3-download-delete.yaml")
    index = at(sc, "laptop-checks")
    branch = fork(sc, index, "dropped-before-quit")
    assert branch.result.ok
    assert [s.id for s in branch.scenario.steps][index:index + 2] == ["laptop-checks", "what-if-dropped-before-quit"]
    assert branch.scenario.steps[index].quit is False
    assert not any("signing off" in r for r in replies(branch.trace, "laptop-checks"))
    assert any("1 message" in r for r in replies(branch.trace, "phone-checks"))  # still there for the phone
