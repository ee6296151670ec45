"""LOGIN-DELAY (RFC 2449 6.5, 8.1.1): a minimum time between two logins of a user."""

from __future__ import annotations

from simulator.protocols.pop3 import states as S
from simulator.scenario.launch import load_run


class Log:
    """An in-test LoginLog on a hand-moved clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self.last: dict[str, float] = {}

    def seconds_since_login(self, user: str) -> float | None:
        return None if user not in self.last else self.now - self.last[user]

    def logged_in(self, user: str) -> None:
        self.last[user] = self.now


def test_rfc2449_6_5_capa_announces_the_delay_only_when_there_is_one(pop3):
    assert b"LOGIN-DELAY 300" in pop3.run_server("CAPA", login_delay=300).last.body
    assert not any(ln.startswith(b"LOGIN-DELAY") for ln in pop3.run_server("CAPA").last.body)


def test_rfc2449_8_1_1_a_login_too_soon_is_refused_with_login_delay(pop3):
    store, log = pop3.make_store(*pop3.MESSAGES), Log()
    first = pop3.new_server(store, logins=log, login_delay=300)
    first.receive_data(pop3.cmds("USER bob@example.net", "PASS builder", "QUIT"))
    assert log.last == {pop3.BOB: 0.0}
    log.now = 120.0
    again = pop3.run_server(store=store, logins=log, login_delay=300)
    again.send("USER bob@example.net", "PASS builder")
    assert (again.last.status, again.last.resp_code) == ("-ERR", "LOGIN-DELAY")
    assert again.last.line == "logged in too recently: wait 180 more seconds (LOGIN-DELAY)"
    assert again.state == S.AUTHORIZATION and not store.locked(pop3.BOB)
    again.send("USER bob@example.net", "PASS wrong")
    assert again.last.resp_code == "AUTH"  # the credentials are checked first: the delay tells no stranger
    log.now = 300.0
    again.send("USER bob@example.net", "PASS builder")
    assert again.state == S.TRANSACTION and log.last[pop3.BOB] == 300.0


SCENARIO = """\
id: pop3-login-delay
title: LOGIN-DELAY
world:
  pop3_login_delay: 600
steps:
  - {id: c1, action: connect, from: bob-phone, to: mx.example.net, port: 110}
  - id: capa
    action: send
    line: CAPA
    expect: {reply: {code: "+OK", contains: LOGIN-DELAY 600}}
  - id: in
    action: send
    lines: [USER bob@example.net, PASS builder, QUIT]
    expect: {replies: ["+OK", "+OK", "+OK"]}
  - {id: c2, action: connect, from: bob-laptop, to: mx.example.net, port: 110, conn: laptop}
  - id: too-soon
    action: send
    conn: laptop
    lines: [USER bob@example.net, PASS builder]
    expect: {reply: {code: "-ERR", enhanced: LOGIN-DELAY, contains: wait 600 more seconds}}
  - {id: later, action: advance_clock, seconds: 600}
  - id: now
    action: send
    conn: laptop
    lines: [USER bob@example.net, PASS builder]
    expect:
      reply: "+OK"
      state: {machine: pop3.server, state: TRANSACTION, conn: laptop}
"""


def test_a_world_with_a_login_delay_through_the_runner(tmp_path):
    path = tmp_path / "pop3-login-delay.yaml"
    path.write_text(SCENARIO)
    run = load_run(path).result
    assert run.ok, [str(f) for f in run.failures]
