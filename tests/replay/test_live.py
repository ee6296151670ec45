"""A live trace cut into steps, one per thing the real client did."""

from __future__ import annotations

from simulator.replay import Replay
from simulator.replay.live import LiveSteps
from simulator.trace import (
    C2S,
    S2C,
    BytesSent,
    ConnectionClosed,
    ConnectionOpened,
    DnsLookup,
    ReplySent,
)


def _opened(conn: str, client: str) -> ConnectionOpened:
    return ConnectionOpened(conn=conn, client_host=client, client_addr="", server_host="mail.example.org",
                            server_addr="", port=587, service="submission")


def test_a_step_per_client_action() -> None:
    live = LiveSteps("real-client", title="Live", intro="Listening on 127.0.0.1",
                     setup=[DnsLookup(asker="x", name="example.net", rtype="MX")])
    fed = [
        _opened("c1", "real-client"),
        ReplySent(conn="c1", machine="smtp.server", code="220"),
        BytesSent(conn="c1", direction=C2S, plaintext=b"EHLO laptop\r\n", wire=b"EHLO laptop\r\n"),
        BytesSent(conn="c1", direction=S2C, plaintext=b"250 ok\r\n", wire=b"250 ok\r\n"),
        BytesSent(conn="c1", direction=C2S, plaintext=b"", wire=b"\x16\x03\x01"),  # a handshake record
        _opened("c2", "mail.example.org"),  # the relay to the MX: part of the client's step
        BytesSent(conn="c2", direction=C2S, plaintext=b"EHLO mail\r\n", wire=b"EHLO mail\r\n"),
        BytesSent(conn="c1", direction=C2S, plaintext=b"Subject: x\r\n\r\nhi\r\n.\r\n", wire=b""),
        BytesSent(conn="c1", direction=C2S, plaintext=b"more of the message\r\n", wire=b""),  # unanswered: same step
        ConnectionClosed(conn="c1", by="client"),
    ]
    begun = [live.feed(e) for e in fed]
    assert begun == [True, False, True, False, False, False, False, True, False, True]
    steps = live.trace.steps()
    assert [s.title for s in steps] == [
        "Listening for real clients",
        "c1: real-client connects to mail.example.org:587 (submission)",
        "c1 C: EHLO laptop",
        "c1 C: Subject: x (+3 lines, 21 bytes)",
        "c1: closed by the client",
    ]
    assert steps[0].explain == "Listening on 127.0.0.1" and steps[0].end - steps[0].start == 2  # marker + setup
    assert [e.seq for e in live.trace.events] == list(range(len(live.trace.events)))  # stamped anew, in order
    replay = Replay(live.trace)  # read as any scenario's trace is
    assert replay.count == 5 and replay.events_of(2)[-1].conn == "c2"
