"""The mime-attachment lesson's questions have the answers its run shows."""

from __future__ import annotations

import email
import email.policy

from simulator.content import lessons_dir
from simulator.scenario.loader import load_lesson
from simulator.scenario.runner import run_scenario
from simulator.trace import CommandReceived, MailboxChanged, StepStarted


def test_each_question_is_answered_by_the_run() -> None:
    _, scenario = load_lesson(lessons_dir() / "mime-attachment.yaml")
    asks = {s.id: s.ask.answer for s in scenario.steps if s.ask is not None}
    assert len(asks) >= 2
    result = run_scenario(scenario)
    assert result.ok, result.failures

    first, second = [e.raw for e in result.trace.events if isinstance(e, MailboxChanged) and e.action == "delivered"]
    msg = email.message_from_bytes(first, policy=email.policy.default)
    plain = msg.get_body(("plain",))
    assert plain["Content-Transfer-Encoding"] == asks["submit"]

    photo = next(p for p in msg.iter_attachments() if p.get_filename() == "photo.png")
    assert str(len(photo.get_payload().replace("\r\n", ""))) == asks["tree"]

    step, mail_lines = "", []
    for e in result.trace.events:
        if isinstance(e, StepStarted):
            step = e.step_id
        elif isinstance(e, CommandReceived) and e.verb == "MAIL" and step == "eight-bit":
            mail_lines.append(e.argument)
    assert mail_lines and all(asks["eight-bit"] in line for line in mail_lines)
    assert b"Content-Transfer-Encoding: 8bit" in second
