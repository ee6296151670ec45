"""The dmarc-spoofing lesson's questions have the answers its run shows."""

from __future__ import annotations

from simulator.content import lessons_dir
from simulator.scenario.loader import load_lesson
from simulator.scenario.runner import run_scenario
from simulator.trace import CheckStep, MailboxChanged, ReplySent, StepStarted


def test_each_question_is_answered_by_the_run() -> None:
    _, scenario = load_lesson(lessons_dir() / "dmarc-spoofing.yaml")
    asks = {s.id: s.ask.answer for s in scenario.steps if s.ask is not None}
    assert len(asks) >= 2
    result = run_scenario(scenario)
    assert result.ok, result.failures

    step, checks, replies, stored = "", {}, {}, {}
    for e in result.trace.events:
        if isinstance(e, StepStarted):
            step = e.step_id
        elif isinstance(e, CheckStep) and e.host == "mx.example.net":
            checks.setdefault(step, []).append(e)
        elif isinstance(e, ReplySent) and e.conn == "c1":
            replies.setdefault(step, []).append(e)
        elif isinstance(e, MailboxChanged) and e.action == "delivered":
            stored.setdefault(step, []).append((e.user, e.folder))

    # MAIL FROM: SPF checks the envelope domain (asked at mail-from, checked at the final dot)
    spf = [c.text for c in checks["message"] if c.check == "spf" and c.text.startswith("checking MAIL FROM")]
    assert spf and spf[0].endswith(f"check_host() on {asks['mail-from']} (RFC 7208 4)")

    # the final dot: 550 5.7.1, per DMARC
    (reply,) = replies["message"]
    assert asks["message"].startswith(f"{reply.code} {reply.enhanced}") and "DMARC" in " ".join(reply.text)
    assert [c.result for c in checks["message"] if c.check == "dmarc" and c.result] == ["fail"]

    # p=quarantine: Bob's Junk folder
    assert asks["quarantine"] == "Bob's Junk folder" and stored["quarantine"] == [("bob@example.net", "Junk")]

    # Alice's own mail: SPF and DKIM both aligned with example.org
    aligned = [c for c in checks["alice-relay"] if c.check == "dmarc" and c.text.endswith("4.10.2)")
               and ": aligned" in c.text]
    assert str(len(aligned)) == asks["alice-relay"]
    assert [c.result for c in checks["alice-relay"] if c.check == "dmarc" and c.result] == ["pass"]
