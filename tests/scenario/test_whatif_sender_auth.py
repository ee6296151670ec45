"""What-if faults on sender authentication: a body changed in transit (DKIM) and a spoofed From (DMARC),
with the diff naming the check whose verdict changed and why."""

from __future__ import annotations

import pytest

from simulator.content import scenarios_dir
from simulator.scenario import models as m
from simulator.scenario.loader import ContentErrors, load_scenario
from simulator.scenario.runner import run_scenario
from simulator.scenario.whatif import FaultDoesNotFit, base_run, fault_options, fork, nothing_fits
from simulator.trace import CheckStep, FaultInjected, MailboxChanged, ReplySent

RELAY = """\
id: whatif-auth
title: Alice writes to Bob
steps:
  - id: submit
    action: send_message
    from: alice-laptop
    sender: alice@example.org
    to: [bob@example.net]
    subject: Lunch on Friday?
    body: "Hi Bob,\\nLunch?\\nAlice\\n"
  - id: relay
    action: run_queue
    host: mail.example.org
  - id: done
    action: note
    text: Bob has mail.
"""


@pytest.fixture(scope="module")
def relay() -> m.Scenario:
    return load_scenario("whatif-auth.yaml", text=RELAY)


def ids(options) -> list[str]:
    return [o.id for o in options]


def verdicts(branch_diff) -> dict[str, tuple[str, str]]:
    return {line.what: (", ".join(map(str, line.before)), ", ".join(map(str, line.after)))
            for line in branch_diff.of_kind("verdict")}


def dkim_at_mx(result) -> list[CheckStep]:
    return [e for e in result.trace.events if isinstance(e, CheckStep) and e.check == "dkim"
            and e.host == "mx.example.net" and e.result]


# --- body changed in transit -------------------------------------------------------------


def test_body_changed_is_offered_where_a_signed_message_is_relayed(relay: m.Scenario) -> None:
    assert "body-changed" in ids(fault_options(relay, 0)) and "body-changed" in ids(fault_options(relay, 1))
    assert "body-changed" not in ids(fault_options(relay, 2))
    option = next(o for o in fault_options(relay, 1) if o.id == "body-changed")
    assert option.target == "mail.example.org" and "bh=" in option.description


def test_body_changed_fails_dkim_with_a_body_hash_mismatch_and_the_diff_says_so(relay: m.Scenario) -> None:
    branch = fork(relay, 1, "body-changed")
    assert [s.action for s in branch.scenario.steps][:3] == ["send_message", "change_body", "run_queue"]
    (verdict,) = dkim_at_mx(branch.result)
    assert (verdict.result, verdict.reason) == ("fail", "body hash mismatch")
    texts = [e.text for e in branch.result.trace.events if isinstance(e, CheckStep) and e.host == "mx.example.net"]
    assert any(t.startswith("changed in transit") and "added" in t for t in texts)  # the line is named
    faults = [e for e in branch.result.trace.events if isinstance(e, FaultInjected)]
    assert [f.fault for f in faults] == ["body-change", "body-changed"]
    d = branch.diff_from(base_run(relay).trace)
    assert verdicts(d)["DKIM at mx.example.net"] == ("pass", "fail (body hash mismatch)")
    assert "DKIM at mx.example.net: pass → fail (body hash mismatch)" in d.summary()
    # SPF is aligned (Alice's provider sent it), so DMARC still passes: the diff does not name it.
    assert "DMARC at mx.example.net" not in verdicts(d)


def test_body_changed_where_dmarc_rests_on_dkim_alone() -> None:
    # example.org's SPF record leaves its own relay out: only DKIM aligns, so the changed body
    # fails DMARC as well, and p=reject refuses the message at the end of DATA.
    unaligned = load_scenario("u.yaml", text=RELAY.replace("steps:", """world:
  remove_dns: [{name: example.org, type: TXT}]
  dns: [{name: example.org, type: TXT, value: "v=spf1 ip4:192.0.2.99 -all"}]
steps:"""))
    base = base_run(unaligned)
    assert [e.result for e in base.trace.events if isinstance(e, CheckStep) and e.check == "dmarc" and e.result] \
        == ["pass"]
    d = fork(unaligned, 1, "body-changed").diff_from(base.trace)
    said = verdicts(d)
    assert said["DKIM at mx.example.net"] == ("pass", "fail (body hash mismatch)")
    assert said["DMARC at mx.example.net"] == ("pass", "fail (p=reject: refused)")
    assert "DMARC at mx.example.net: pass → fail (p=reject: refused)" in d.summary()
    assert any(line.what == "mx.example.net" and line.after and line.after[0].code == "550"
               for line in d.of_kind("reply"))


def test_body_changed_does_not_fit_a_session_typed_by_the_script() -> None:
    tampered = load_scenario(scenarios_dir() / "dkim-tampered.yaml")
    at = {s.id: n for n, s in enumerate(tampered.steps)}
    assert "body-changed" not in ids(fault_options(tampered, at["refold-relaxed"]))


# --- a spoofed From ------------------------------------------------------------------------


def test_spoofed_from_is_offered_on_a_message_that_passes_dmarc(relay: m.Scenario) -> None:
    assert "spoofed-from" in ids(fault_options(relay, 0))
    assert "spoofed-from" not in ids(fault_options(relay, 1))  # a queue run sends no message of its own
    option = next(o for o in fault_options(relay, 0) if o.id == "spoofed-from")
    assert option.target == "mx.example.net" and "mail.evil.example" in option.description


def test_spoofed_from_is_refused_by_p_reject_and_the_diff_names_dmarc(relay: m.Scenario) -> None:
    branch = fork(relay, 0, "spoofed-from")
    forged = branch.scenario.steps[0]
    assert isinstance(forged, m.SendMessageStep) and forged.from_ == "mail.evil.example"
    assert (forged.sender, forged.envelope_from, forged.server, forged.port) == (
        "alice@example.org", "mallory@evil.example", "mx.example.net", 25)
    assert "submit" not in [s.id for s in branch.scenario.steps]  # the forgery takes the genuine one's place
    refusals = [e for e in branch.result.trace.events if isinstance(e, ReplySent) and e.code == "550"]
    assert [(r.code, r.enhanced) for r in refusals] == [("550", "5.7.1")]
    assert not any(isinstance(e, MailboxChanged) and e.action == "delivered" and e.user == "bob@example.net"
                   for e in branch.result.trace.events)
    d = branch.diff_from(base_run(relay).trace)
    said = verdicts(d)
    assert said["DMARC at mx.example.net"] == ("pass", "fail (p=reject: refused)")
    assert said["DKIM at mx.example.net"] == ("pass", "none")
    assert said["DKIM signing at mail.example.org"] == ("signed", "")
    assert "DMARC at mx.example.net: pass → fail (p=reject: refused)" in d.summary()
    assert "bob@example.net INBOX: 1 message → 0" in d.summary()


def test_spoofed_from_meets_p_quarantine_in_junk() -> None:
    bob_writes = load_scenario("w.yaml", text=RELAY.replace("alice-laptop", "bob-laptop").replace(
        "sender: alice@example.org", "sender: bob@example.net").replace("to: [bob@example.net]",
        "to: [alice@example.org]").replace("host: mail.example.org", "host: mx.example.net"))
    d = fork(bob_writes, 0, "spoofed-from").diff_from(base_run(bob_writes).trace)
    assert verdicts(d)["DMARC at mail.example.org"] == ("pass", "fail (p=quarantine: quarantined)")
    assert "alice@example.org Junk: 0 messages → 1" in d.summary()


def test_spoofed_from_needs_an_attacker_with_a_mail_server(relay: m.Scenario) -> None:
    without = load_scenario("w.yaml", text=RELAY.replace("steps:", """world:
  hosts:
    - {name: mail.evil.example, addresses: [203.0.113.25], role: server}
steps:"""))
    assert "spoofed-from" not in ids(fault_options(without, 0))
    assert "No attacker in this world runs a mail server" in nothing_fits(without, 2) or \
        "spoofed-from" not in ids(fault_options(without, 0))
    with pytest.raises(FaultDoesNotFit):
        fork(without, 0, "spoofed-from")


# --- the change_body step ----------------------------------------------------------------


def test_change_body_replaces_text_once_and_is_validated() -> None:
    text = RELAY.replace("  - id: relay\n", """  - id: rewrite
    action: change_body
    host: mail.example.org
    old: Lunch?
    new: Dinner?
  - id: relay\n""")
    result = run_scenario(load_scenario("c.yaml", text=text))
    delivered = next(e for e in result.trace.events if isinstance(e, MailboxChanged) and e.action == "delivered")
    assert b"Dinner?" in delivered.raw and b"Lunch?\r\n" not in delivered.raw.partition(b"\r\n\r\n")[2]
    (verdict,) = dkim_at_mx(result)
    assert verdict.reason == "body hash mismatch"
    with pytest.raises(ContentErrors, match="unknown host 'mail.exmaple.org'"):
        load_scenario("c.yaml", text=text.replace("host: mail.example.org\n    old", "host: mail.exmaple.org\n    old"))
    with pytest.raises(ContentErrors, match="only arms the change"):
        load_scenario("c.yaml", text=text.replace("new: Dinner?", "new: Dinner?\n    expect: {reply: 250}"))
