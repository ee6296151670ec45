"""``mailsim run``'s layout of the reader's words: levels, who sent, long message text cut short."""

from __future__ import annotations

import dataclasses

from simulator.export.transcript import MAX_DATA_LINES, Printer, render
from simulator.trace import (
    C2S,
    BytesSent,
    ConnectionOpened,
    ExpectationChecked,
    StateChanged,
    StepStarted,
    Trace,
)

BODY = b"".join(b"line %d\r\n" % n for n in range(30)) + b".\r\n"


def trace() -> Trace:
    events = [
        StepStarted(step_id="send", title="Alice sends"),
        ConnectionOpened(conn="c1", client_host="alice-laptop", client_addr="192.0.2.10",
                         server_host="mx.example.net", server_addr="198.51.100.25", port=25, service="smtp"),
        BytesSent(conn="c1", direction=C2S, plaintext=BODY, wire=BODY),
        StateChanged(conn="c1", machine="smtp.server", from_state="IN_DATA", to_state="EXPECT_MAIL",
                     trigger="<CRLF>.<CRLF>"),
        ExpectationChecked(step_id="send", what="reply", ok=True, detail="250"),
        ExpectationChecked(step_id="send", what="state", ok=False, detail="wrong"),
    ]
    return Trace(events=[dataclasses.replace(e, seq=n) for n, e in enumerate(events)])


def test_quiet_transcript_cuts_message_text_and_hides_details() -> None:
    lines = list(render(trace()))
    assert lines[:2] == ["", "== send: Alice sends"]
    wire = [line for line in lines if " c1 C: " in line]
    assert len(wire) == MAX_DATA_LINES
    assert wire[-2].endswith(f"c1 C: ... ({31 - MAX_DATA_LINES + 2} more lines)") and wire[-1].endswith("C: .")
    assert not any("→" in line and "smtp.server" in line for line in lines)  # a detail
    assert not any("expectation met" in line for line in lines)
    assert lines[-1].endswith("EXPECTATION FAILED (state): wrong")  # an alert shows always


def test_verbose_transcript_shows_everything_and_who_sent_it() -> None:
    lines = list(render(trace(), verbose=True))
    wire = [line for line in lines if " c1 C: " in line]
    assert len(wire) == 31 and wire[0].endswith("c1 C: line 0    (alice-laptop)")
    assert any(line.endswith("c1 smtp.server: IN_DATA → EXPECT_MAIL on <CRLF>.<CRLF>") for line in lines)
    assert any(line.endswith("expectation met (reply): 250") for line in lines)


def test_a_printer_reads_events_one_at_a_time() -> None:
    printer = Printer()
    out = [line for event in trace().events for line in printer.lines(event)]
    assert out == list(render(trace()))
