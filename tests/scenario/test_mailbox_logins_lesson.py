"""The mailbox-logins lesson's questions have the answers its run shows."""

from __future__ import annotations

import base64

from simulator.content import lessons_dir
from simulator.scenario.loader import load_lesson
from simulator.scenario.runner import run_scenario
from simulator.trace import C2S, BytesSent, CheckStep, ReplySent, StepStarted


def test_each_question_is_answered_by_the_run() -> None:
    _, scenario = load_lesson(lessons_dir() / "mailbox-logins.yaml")
    asks = {s.id: s.ask.answer for s in scenario.steps if s.ask is not None}
    assert len(asks) >= 2
    result = run_scenario(scenario)
    assert result.ok, result.failures

    step, replies, sent, checks = "", {}, {}, {}
    for e in result.trace.events:
        if isinstance(e, StepStarted):
            step = e.step_id
        elif isinstance(e, ReplySent):
            replies.setdefault(step, []).append(e)
        elif isinstance(e, BytesSent) and e.direction == C2S:
            sent.setdefault(step, []).append(e)
        elif isinstance(e, CheckStep) and e.check == "scram":
            checks.setdefault(step, []).append(e.text)

    # LOGIN where LOGINDISABLED is listed: a tagged NO [PRIVACYREQUIRED]
    login = next(r for r in replies["phone-login-refused"] if r.code.startswith("a1 "))
    assert asks["phone-login-refused"].startswith(f"{login.code} [PRIVACYREQUIRED]")
    assert "[PRIVACYREQUIRED]" in " ".join(login.text)

    # SCRAM: the proof crosses, the password does not
    wire = b"".join(e.wire for e in sent["phone-scram"])
    assert b"builder" not in wire and base64.b64encode(b"builder") not in wire
    final = base64.b64decode(sent["phone-scram"][1].plaintext.strip())
    assert b",p=" in final and asks["phone-scram"].startswith("ClientProof")
    assert any(t.startswith("ClientProof := ") for t in checks["phone-scram"])

    # after STARTTLS: CAPABILITY again, LOGINDISABLED gone, the other choices still there
    greeting = " ".join(replies["laptop-starttls"][0].text)
    listed = next(" ".join(r.text) for r in replies["laptop-starttls"] if " ".join(r.text).startswith("CAPABILITY "))
    gone = {c for c in greeting.split("[CAPABILITY ", 1)[1].split("]")[0].split()} - set(listed.split())
    assert asks["laptop-starttls"] in gone and {"SASL-IR", "AUTH=SCRAM-SHA-256", "IMAP4rev2"} <= set(listed.split())

    # USER before STLS: -ERR, no [AUTH]
    user = replies["laptop-user-refused"][1]
    assert user.code == "-ERR" and not user.enhanced
    assert asks["laptop-user-refused"] == f"-ERR: {user.text[0].split(':')[0]}"
