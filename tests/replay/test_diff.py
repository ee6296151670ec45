"""The timeline diff works over data: its lines carry what they compare."""

from __future__ import annotations

import dataclasses

from simulator.replay.diff import Answer, Letter, QueueMove, diff
from simulator.trace import (
    CheckStep,
    ConnectionOpened,
    ExpectationChecked,
    MailboxChanged,
    QueueChanged,
    ReplySent,
    StepStarted,
    Trace,
)


def stamped(events: list) -> Trace:
    return Trace(events=[dataclasses.replace(e, seq=n) for n, e in enumerate(events)])


BOUNCE = (b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\nbody")


def timeline(rcpt_code: str, *, bounce: bool, expect_ok: bool = True) -> Trace:
    """A relay step: the MX answers RCPT with ``rcpt_code``; a bounce goes to Alice if ``bounce``."""
    events = [
        StepStarted(step_id="relay", title="The relay delivers"),
        ConnectionOpened(conn="c1", client_host="mail.example.org", client_addr="192.0.2.25",
                         server_host="mx.example.net", server_addr="198.51.100.25", port=25, service="smtp"),
        ReplySent(conn="c1", machine="smtp.server", code="250", enhanced="2.1.0", text=("Sender OK",)),
        ReplySent(conn="c1", machine="smtp.server", code=rcpt_code,
                  enhanced="2.1.5" if rcpt_code == "250" else "5.1.1", text=("Recipient",)),
        QueueChanged(host="mail.example.org", queue_id="Q1", action="queued", recipients=("bob@example.net",)),
        QueueChanged(host="mail.example.org", queue_id="Q1", action="sent" if rcpt_code == "250" else "failed",
                     recipients=("bob@example.net",), detail="" if rcpt_code == "250" else "550 5.1.1 no"),
        ExpectationChecked(step_id="relay", what="reply", ok=expect_ok),
        StepStarted(step_id="read", title="Bob reads"),
        MailboxChanged(host="mx.example.net", user="bob@example.net", folder="INBOX", action="created"),
    ]
    if rcpt_code == "250":
        events.append(MailboxChanged(host="mx.example.net", user="bob@example.net", folder="INBOX",
                                     action="delivered", uid=1, subject="Lunch"))
    if bounce:
        events.append(MailboxChanged(host="mail.example.org", user="alice@example.org", folder="INBOX",
                                     action="delivered", uid=1, subject="Undelivered", raw=BOUNCE))
    return stamped(events)


def test_a_trace_against_itself_and_expectations_alone_do_not_part() -> None:
    assert diff(timeline("250", bounce=False), timeline("250", bounce=False)).identical
    d = diff(timeline("250", bounce=False), timeline("250", bounce=False, expect_ok=False))
    assert d.identical  # a branch drops its expectations on purpose


def test_lines_carry_the_data_they_compare() -> None:
    d = diff(timeline("250", bounce=False), timeline("550", bounce=True))
    assert d.first_divergent_step == 0 and d.divergent_step_id == "relay"
    (reply,) = d.of_kind("reply")
    assert reply.before == (Answer("mx.example.net", "250", "2.1.5", ("Recipient",)),)
    assert reply.after == (Answer("mx.example.net", "550", "5.1.1", ("Recipient",)),)
    assert reply.base == "mx.example.net: 250 2.1.5 Recipient"
    boxes = {line.what: line for line in d.of_kind("mailbox")}
    assert boxes["bob@example.net INBOX"].before == (Letter("Lunch", False),)
    assert boxes["bob@example.net INBOX"].after == ()
    assert boxes["bob@example.net INBOX"].step_id == "read"
    assert boxes["alice@example.org INBOX"].after == (Letter("Undelivered", True),)
    (queue,) = d.of_kind("queue")
    assert queue.after == (QueueMove("queued"), QueueMove("failed", "550 5.1.1 no"))
    assert queue.branch == "bob@example.net (queue of mail.example.org): queued, failed (550 5.1.1 no)"


def test_the_summary_is_written_from_the_data() -> None:
    summary = diff(timeline("250", bounce=False), timeline("550", bounce=True)).summary()
    assert "The timelines part at step 'relay' (The relay delivers)." in summary
    assert "mx.example.net: 250 2.1.5 Recipient → 550 5.1.1 Recipient (step 'relay')" in summary
    assert "alice@example.org INBOX: 0 messages → 1 (a bounce)" in summary
    assert "bob@example.net INBOX: 1 message → 0" in summary
    # A subject that looks like a count or a bounce marker changes nothing: no text is re-parsed.
    odd = timeline("550", bounce=False)
    odd.events.append(MailboxChanged(seq=len(odd.events), host="mx.example.net", user="carol@example.net",
                                     folder="INBOX", action="delivered", uid=1, subject=": 7 messages (a bounce)"))
    summary = diff(timeline("550", bounce=False), odd).summary()
    assert "carol@example.net INBOX: 0 messages → 1." in summary


def test_verdicts_and_steps_only_one_side_has() -> None:
    def trace(result: str, extra: bool) -> Trace:
        events = [StepStarted(step_id="receive"),
                  CheckStep(host="mx.example.net", check="dkim", text="body hash", result=result)]
        if extra:
            events.insert(0, StepStarted(step_id="what-if-x", title="What if: X"))
        return stamped(events)

    d = diff(trace("pass", False), trace("fail", True))
    (step,) = d.of_kind("step")
    assert step.before == () and step.after[0].step_id == "what-if-x" and step.branch == "What if: X"
    assert d.injected_step() == "what-if-x"
    (verdict,) = d.of_kind("verdict")
    assert [v.result for v in verdict.before] == ["pass"] and [v.result for v in verdict.after] == ["fail"]
    assert "DKIM at mx.example.net: pass → fail." in d.summary()


def test_a_verdict_line_names_why_the_check_ended_so() -> None:
    def trace(result: str, reason: str) -> Trace:
        return stamped([StepStarted(step_id="receive"),
                        CheckStep(host="mx.example.net", check="dkim", text="v", result=result, reason=reason),
                        CheckStep(host="mx.example.net", check="dmarc", text="v", result=result,
                                  reason=reason and "p=reject: refused")])

    d = diff(trace("pass", ""), trace("fail", "body hash mismatch"))
    dkim, dmarc = d.of_kind("verdict")
    assert (dkim.what, dkim.branch) == ("DKIM at mx.example.net", "DKIM at mx.example.net: fail (body hash mismatch)")
    assert "DKIM at mx.example.net: pass → fail (body hash mismatch)" in d.summary()
    assert "DMARC at mx.example.net: pass → fail (p=reject: refused)" in d.summary()
    # The same result for another reason is a difference too.
    assert diff(trace("fail", "body hash mismatch"), trace("fail", "signature mismatch")).of_kind("verdict")
