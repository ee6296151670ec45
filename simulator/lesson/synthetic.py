"""A long synthetic trace (for the latency benchmark and tests): many SMTP-shaped steps.

The events are made directly, not by running machines, so any size can be built
in a moment; every StateChanged is still a row of the smtp.server table.
"""

from __future__ import annotations

from simulator.trace import (
    C2S,
    S2C,
    BytesSent,
    CommandReceived,
    ConnectionClosed,
    ConnectionOpened,
    MailboxChanged,
    ReplySent,
    StateChanged,
    StepStarted,
    Trace,
)

_EXCHANGE = [
    ("EHLO client.example", "250 mx.example.net", "EHLO", "EXPECT_EHLO", "EXPECT_MAIL"),
    ("MAIL FROM:<alice@example.org>", "250 2.1.0 OK", "MAIL", "EXPECT_MAIL", "EXPECT_RCPT"),
    ("RCPT TO:<bob@example.net>", "250 2.1.5 OK", "RCPT", "EXPECT_RCPT", "EXPECT_RCPT_OR_DATA"),
    ("DATA", "354 go ahead", "DATA", "EXPECT_RCPT_OR_DATA", "IN_DATA"),
    ("Subject: n\r\n\r\nhello\r\n.", "250 2.0.0 queued", "<CRLF>.<CRLF>", "IN_DATA", "EXPECT_MAIL"),
    ("QUIT", "221 2.0.0 bye", "QUIT", "EXPECT_MAIL", "CLOSED"),
]


def synthetic_trace(events: int = 10_000) -> Trace:
    """About ``events`` events in steps of one exchange each (4 events) plus connection steps."""
    trace = Trace(meta={"title": f"Synthetic trace of {events} events"})
    out = trace.events
    session = 0
    while len(out) < events:
        session += 1
        conn = f"c{session}"
        out.append(StepStarted(seq=len(out), t=float(session), step_id=f"s{session}-connect",
                               title=f"session {session}: connect"))
        out.append(ConnectionOpened(seq=len(out), conn=conn, client_host="alice-laptop", client_addr="192.0.2.10",
                                    server_host="mx.example.net", server_addr="198.51.100.25", port=25,
                                    service="smtp"))
        out.append(ReplySent(seq=len(out), conn=conn, machine="smtp.server", code="220", text=("ready",)))
        out.append(BytesSent(seq=len(out), conn=conn, direction=S2C, plaintext=b"220 ready\r\n",
                             wire=b"220 ready\r\n"))
        for n, (command, reply, verb, before, after) in enumerate(_EXCHANGE):
            out.append(StepStarted(seq=len(out), t=float(session), step_id=f"s{session}-{n}", title=command[:20]))
            data = command.encode() + b"\r\n"
            out.append(BytesSent(seq=len(out), conn=conn, direction=C2S, plaintext=data, wire=data))
            out.append(CommandReceived(seq=len(out), conn=conn, machine="smtp.server", verb=verb))
            out.append(StateChanged(seq=len(out), conn=conn, machine="smtp.server", from_state=before,
                                    to_state=after, trigger=verb))
            answer = reply.encode() + b"\r\n"
            out.append(BytesSent(seq=len(out), conn=conn, direction=S2C, plaintext=answer, wire=answer))
            if verb == "<CRLF>.<CRLF>":
                out.append(MailboxChanged(seq=len(out), host="mx.example.net", user="bob@example.net",
                                          folder="INBOX", action="delivered", uid=session, subject=f"n{session}",
                                          size=40, raw=b"Subject: n\r\n\r\nhello\r\n"))
        out.append(ConnectionClosed(seq=len(out), conn=conn, by="server"))
    return trace
