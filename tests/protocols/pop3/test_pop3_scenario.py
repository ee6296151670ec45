"""POP3 through the scenario runner: a YAML script with raw lines, run by simulator.scenario.launch."""

from __future__ import annotations

from simulator.protocols.pop3 import states as S
from simulator.scenario.launch import load_run
from simulator.trace import MailboxChanged, ReplySent, StateChanged

SCENARIO = """\
id: pop3-raw
title: "POP3 by hand: Bob downloads and deletes"
seed: 1
steps:
  - id: mail
    action: send_message
    from: alice-laptop
    sender: alice@example.org
    to: [bob@example.net]
    subject: Hello
    body: |
      Hi Bob.
      .a line that starts with a dot
  - id: relay
    action: run_queue
    expect:
      mailbox: {user: bob@example.net, count: 1}
  - id: connect
    action: connect
    from: bob-laptop
    to: mx.example.net
    port: 110
    expect:
      reply: "+OK"
      state: {machine: pop3.server, state: AUTHORIZATION}
  - id: user
    action: send
    line: USER bob@example.net
    expect:
      reply: "+OK"
      state: {machine: pop3.server, state: EXPECT_PASS}
  - id: wrong-pass
    action: send
    line: PASS wrong
    expect:
      reply: {code: "-ERR", enhanced: AUTH}
      state: {machine: pop3.server, state: AUTHORIZATION}
  - id: login
    action: send
    lines: [USER bob@example.net, PASS builder]
    expect:
      replies: ["+OK", "+OK"]
      reply: {code: "+OK", contains: "1 message"}
      state: {machine: pop3.server, state: TRANSACTION}
  - id: list
    action: send
    line: LIST
    expect:
      reply: {code: "+OK", contains: "1 "}
  - id: retr
    action: send
    line: RETR 1
    expect:
      reply: {code: "+OK", contains: ".a line that starts with a dot"}
  - id: pipelined
    action: send
    lines: [UIDL, DELE 1, STAT]
    expect:
      replies: ["+OK", "+OK", "+OK"]
      reply: {code: "+OK", contains: "0 0"}
  - id: quit
    action: send
    line: QUIT
    expect:
      reply: {code: "+OK", contains: "maildrop empty"}
      mailbox: {user: bob@example.net, count: 0}
      closed: true
"""


def test_a_pop3_session_by_hand_runs_through_the_runner(tmp_path):
    path = tmp_path / "pop3-raw.yaml"
    path.write_text(SCENARIO)
    run = load_run(path).result
    assert run.ok, [str(f) for f in run.failures]
    events = run.trace.events
    states = [(e.from_state, e.to_state) for e in events if isinstance(e, StateChanged) and e.machine == "pop3.server"]
    assert (S.TRANSACTION, S.UPDATE) in states and (S.UPDATE, S.CLOSED) in states
    replies = [e for e in events if isinstance(e, ReplySent) and e.machine == "pop3.server"]
    retr = next(r for r in replies if r.text[0].endswith("octets"))
    assert "..a line that starts with a dot" in retr.text  # stuffed on the wire (RFC 1939 3)
    assert retr.text[-1] == "."
    assert any(isinstance(e, MailboxChanged) and e.action == "expunged" for e in events)


def test_a_dropped_connection_deletes_nothing_through_the_runner(tmp_path):
    text = SCENARIO.split("  - id: quit")[0] + """\
  - id: drop
    action: close
    expect:
      mailbox: {user: bob@example.net, count: 1}
"""
    path = tmp_path / "pop3-drop.yaml"
    path.write_text(text)
    run = load_run(path).result
    assert run.ok, [str(f) for f in run.failures]


FAULT = """\
id: pop3-fault
title: "A POP3 fault: RETR fails once"
steps:
  - id: mail
    action: send_message
    from: alice-laptop
    sender: alice@example.org
    to: [bob@example.net]
    subject: Hello
    body: Hi.
  - id: relay
    action: run_queue
  - id: fault
    action: fault
    host: mx.example.net
    protocol: pop3
    stage: RETR
    code: 451
    text: the disk is busy
  - id: connect
    action: connect
    from: bob-laptop
    to: mx.example.net
    port: 110
  - id: login
    action: send
    lines: [USER bob@example.net, PASS builder]
  - id: retr
    action: send
    line: RETR 1
    expect:
      reply: {code: "-ERR", enhanced: SYS/TEMP, contains: disk is busy}
  - id: again
    action: send
    line: RETR 1
    expect:
      reply: {code: "+OK", contains: "Hi."}
"""


def test_a_scenario_fault_replaces_a_pop3_response_once(tmp_path):
    path = tmp_path / "pop3-fault.yaml"
    path.write_text(FAULT)
    run = load_run(path).result
    assert run.ok, [str(f) for f in run.failures]
