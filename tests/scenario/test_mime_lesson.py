"""The mime-attachment lesson's questions have the answers its run shows."""

from __future__ import annotations

import email
import email.policy

from simulator.content import lessons_dir
from simulator.scenario.loader import load_lesson
from simulator.scenario.runner import run_scenario
from simulator.trace import CheckStep, CommandReceived, MailboxChanged, StepStarted


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

    step, mail_lines, dkim = "", {}, {}
    for e in result.trace.events:
        if isinstance(e, StepStarted):
            step = e.step_id
        elif isinstance(e, CommandReceived) and e.verb == "MAIL":
            mail_lines.setdefault(step, []).append(e.argument)
        elif isinstance(e, CheckStep) and e.check == "dkim" and e.result and e.host == "mx.example.net":
            dkim[step] = (e.result, e.text)
    assert mail_lines["eight-bit"] and all(asks["eight-bit"] in line for line in mail_lines["eight-bit"])

    # Bob's server offers no 8BITMIME: the relay sends no BODY= and a quoted-printable text part.
    assert asks["eight-bit-relay"].startswith("Converts the text part to quoted-printable")
    assert not any("BODY=" in line for line in mail_lines["eight-bit-relay"])
    converted = email.message_from_bytes(second, policy=email.policy.default)
    assert converted["Content-Transfer-Encoding"] == "quoted-printable" and second.isascii()
    assert converted.get_content() == "Bob, the café is on Hohe Straße, at the corner.\r\nZoë\r\n"
    # What the narration says of DKIM: the 7-bit message's signature passes, the converted one's fails.
    assert dkim["relay"][0] == "pass"
    assert dkim["eight-bit-relay"][0] == "fail" and "body hash" in dkim["eight-bit-relay"][1]
