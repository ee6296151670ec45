"""A live session saved as a scenario: payloads, steps and expectations from a trace."""

from __future__ import annotations

import pytest
import yaml

from simulator.scenario.models import Scenario
from simulator.scenario.record import MailboxAtEnd, _payload, dump, recorded_scenario
from simulator.trace import (
    C2S,
    S2C,
    BytesSent,
    ConnectionClosed,
    ConnectionOpened,
    QueueChanged,
    ReplySent,
)

WORLD = {"hosts": [{"name": "real-client", "addresses": ["192.0.2.200"], "role": "client"}]}


@pytest.mark.parametrize(("data", "keys"), [
    (b"EHLO laptop\r\n", {"line": "EHLO laptop"}),
    (b"Subject: hi\r\n\r\nbody\r\n.\r\n", {"data": "Subject: hi\n\nbody\n.\n"}),
    (b"body\nwith a bare LF\r\n.\r\n", {"data": "body\nwith a bare LF\r\n.\r\n", "raw_newlines": True}),
    (b"A1 LOGIN bob x\r\nA2 SELECT INBOX\r\n", {"data": "A1 LOGIN bob x\nA2 SELECT INBOX\n"}),
    (b"no line end", {"data": "no line end"}),
])
def test_payload_sends_the_same_bytes(data: bytes, keys: dict) -> None:
    got, lost = _payload(data)
    assert (got, lost) == (keys, 0)
    # What the runner's send step makes of it (runner._do_send) is the bytes the client sent.
    if "line" in got:
        assert got["line"].encode() + b"\r\n" == data
    elif got.get("raw_newlines"):
        assert got["data"].encode() == data
    else:
        assert got["data"].replace("\n", "\r\n").encode() == data


def test_bytes_that_are_not_utf8_are_counted() -> None:
    got, lost = _payload(b"caf\xe9\r\n")
    assert got == {"line": "caf"} and lost == 1


def _session() -> list:
    t = 0.0

    def at(event, when):
        object.__setattr__(event, "t", when)
        return event

    return [
        at(ConnectionOpened(conn="c7", client_host="real-client", client_addr="192.0.2.200",
                            server_host="mailbox-front", server_addr="192.0.2.143", port=110, service="pop3"), t),
        at(ReplySent(conn="c7", machine="pop3.server", code="+OK"), t),
        at(BytesSent(conn="c7", direction=C2S, plaintext=b"USER bob@example.net\r\n", wire=b""), 0.5),
        at(ReplySent(conn="c7", machine="pop3.server", code="+OK"), 0.5),
        at(BytesSent(conn="c7", direction=S2C, plaintext=b"+OK\r\n", wire=b""), 0.5),
        # Someone else's connection: not the real client's, not in the file.
        at(ConnectionOpened(conn="c8", client_host="mail.example.org", client_addr="192.0.2.25",
                            server_host="mx.example.net", server_addr="198.51.100.25", port=25, service="smtp"), 1),
        at(QueueChanged(host="mail.example.org", queue_id="Q1", action="queued"), 2.0),
        at(BytesSent(conn="c7", direction=C2S, plaintext=b"QUIT\r\n", wire=b""), 4.25),
        at(ReplySent(conn="c7", machine="pop3.server", code="-ERR"), 4.25),
        at(ConnectionClosed(conn="c7", by="client"), 4.5),
    ]


def test_steps_from_a_session() -> None:
    scenario = recorded_scenario(
        _session(), client="real-client", world=WORLD, scenario_id="demo", title="Demo",
        route=lambda conn, host: "mx.example.net" if host == "mailbox-front" else host,
        mailboxes=[MailboxAtEnd("bob@example.net", "INBOX", ["Hi"])])
    steps = scenario["steps"]
    assert [(s["id"], s["action"]) for s in steps] == [
        ("c1-connect", "connect"), ("c1-1", "send"), ("relay-1", "run_queue"), ("wait-1", "advance_clock"),
        ("c1-2", "send"), ("c1-close", "close"), ("mailboxes", "note")]
    assert steps[0]["to"] == "mx.example.net" and steps[0]["port"] == 110 and steps[0]["conn"] == "c1"
    assert steps[0]["expect"] == {"replies": ["+OK"]} and steps[1]["expect"] == {"replies": ["+OK"]}
    assert steps[2]["host"] == "mail.example.org"
    assert steps[3]["seconds"] == 4.25  # the clock stood at 0 in the replay; live it read 4.25 s
    assert steps[4] == {"id": "c1-2", "action": "send", "conn": "c1", "line": "QUIT", "expect": {"replies": ["-ERR"]}}
    assert steps[-1]["expect"] == {"mailbox": [{"user": "bob@example.net", "folder": "INBOX", "count": 1,
                                                "subjects": ["Hi"]}]}
    text = dump(scenario, header="two\nlines")
    assert text.splitlines()[:3] == ["# yaml-language-server: $schema=../schema/scenario.schema.json",
                                     "# two", "# lines"]
    Scenario.model_validate(yaml.safe_load(text))  # the file is a scenario


def test_imap_replies_are_not_expected() -> None:
    events = [ConnectionOpened(conn="c1", client_host="real-client", client_addr="", server_host="mx.example.net",
                               server_addr="", port=143, service="imap"),
              ReplySent(conn="c1", machine="imap.server", code="* OK")]
    steps = recorded_scenario(events, client="real-client", world=WORLD, scenario_id="x", title="x")["steps"]
    assert "expect" not in steps[0]


def test_a_message_in_several_reads_is_one_send() -> None:
    opened = ConnectionOpened(conn="c1", client_host="real-client", client_addr="", server_host="mx.example.net",
                              server_addr="", port=25, service="smtp")
    text = "Subject: caf\u00e9\r\n\r\nbody\r\n.\r\n".encode()
    cut = text.index(b"\xc3") + 1  # a read that ends inside the two bytes of é
    events = [opened, ReplySent(conn="c1", machine="smtp.server", code="354"),
              BytesSent(conn="c1", direction=C2S, plaintext=text[:cut], wire=b""),
              BytesSent(conn="c1", direction=C2S, plaintext=text[cut:], wire=b""),
              ReplySent(conn="c1", machine="smtp.server", code="250"),
              BytesSent(conn="c1", direction=C2S, plaintext=b"QUIT\r\n", wire=b"")]
    steps = recorded_scenario(events, client="real-client", world=WORLD, scenario_id="x", title="x")["steps"]
    assert [s.get("data") or s.get("line") for s in steps[1:3]] == ["Subject: caf\u00e9\n\nbody\n.\n", "QUIT"]
    assert steps[1]["expect"] == {"replies": [250]} and "explain" not in steps[1]  # no byte lost at the cut
