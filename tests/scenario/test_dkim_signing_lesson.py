"""The dkim-signing lesson: its questions have the answers its run shows, and the verifier rebuilds the
signer's bytes (RFC 6376 3.7) for both algorithms the scenario's world.dkim chooses."""

from __future__ import annotations

import re

from simulator.content import lessons_dir
from simulator.scenario.loader import load_lesson
from simulator.scenario.runner import run_scenario
from simulator.trace import CheckStep, DnsLookup, MailboxChanged, StepStarted


def run():
    lesson, scenario = load_lesson(lessons_dir() / "dkim-signing.yaml")
    result = run_scenario(scenario)
    assert result.ok, result.failures
    by_step: dict[str, list] = {}
    step = ""
    for e in result.trace.events:
        if isinstance(e, StepStarted):
            step = e.step_id
        by_step.setdefault(step, []).append(e)
    return lesson, scenario, by_step


def dkim_steps(events, host: str) -> list[CheckStep]:
    return [e for e in events if isinstance(e, CheckStep) and e.check == "dkim" and e.host == host]


def test_the_lesson_is_complete() -> None:
    lesson, scenario, _ = run()
    assert (lesson.topic, lesson.order) == ("DKIM", 1)
    assert len([s for s in scenario.steps if s.ask is not None]) >= 2
    cited = {(r.rfc, r.section) for r in lesson.rfcs}
    assert {(6376, "3.4"), (6376, "3.5"), (6376, "3.7"), (6376, "5"), (6376, "6"), (8463, "3")} <= cited


def test_each_question_is_answered_by_the_run() -> None:
    _, scenario, by_step = run()
    asks = {s.id: s.ask.answer for s in scenario.steps if s.ask is not None}
    signed = dkim_steps(by_step["submit"], "mail.example.org")
    assert f"signed for d={asks['submit']} " in signed[-1].text
    keys = [e.name for e in by_step["relay"] if isinstance(e, DnsLookup) and e.rtype == "TXT"
            and e.asker == "mx.example.net" and "_domainkey" in e.name]
    assert keys == [asks["relay"]]
    record = next(e for e in by_step["reply-relay"] if isinstance(e, DnsLookup) and "_domainkey" in e.name)
    p = re.search(r"p=([A-Za-z0-9+/=]+)", record.answers[0]).group(1)
    assert asks["reply-relay"].startswith(f"{len(p) * 3 // 4 - p.count('=')} bytes ({len(p)} characters")


def test_the_verifier_rebuilds_the_signers_bytes_for_both_algorithms() -> None:
    _, _, by_step = run()
    for sign_step, signer, verify_step, verifier, algorithm in (
            ("submit", "mail.example.org", "relay", "mx.example.net", "rsa-sha256"),
            ("reply", "mx.example.net", "reply-relay", "mail.example.org", "ed25519-sha256")):
        signing = dkim_steps(by_step[sign_step], signer)
        checking = dkim_steps(by_step[verify_step], verifier)
        assert f"({algorithm})" in signing[0].text

        def data_signed(steps):
            return next(e.text for e in steps if e.text.startswith("data signed"))

        def body_hash(steps):
            return next(re.search(r"bh=(\S+)", e.text).group(1) for e in steps if "body hash" in e.text)

        assert data_signed(signing) == data_signed(checking)
        assert body_hash(signing) in next(e.text for e in checking if e.text.startswith("body hash computed"))
        assert "they match" in next(e.text for e in checking if e.text.startswith("body hash computed"))
        assert checking[-1].result == "pass"


def test_bob_reads_the_verdict_over_imap() -> None:
    _, _, by_step = run()
    delivered = next(e for e in by_step["relay"] if isinstance(e, MailboxChanged) and e.action == "delivered")
    head = delivered.raw.partition(b"\r\n\r\n")[0].decode()
    lines = head.split("\r\n")
    assert lines[0] == "Return-Path: <alice@example.org>"
    assert lines[1] == "Authentication-Results: mx.example.net;"
    assert "dkim=pass header.d=example.org header.s=s1" in " ".join(head.split())
    assert any(isinstance(e, MailboxChanged) and e.action == "flags" and "\\Seen" in e.flags
               for e in by_step["bob-reads"])
