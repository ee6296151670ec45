"""STLS (RFC 2595 4) through a scenario whose world offers TLS: real TLS under POP3."""

from __future__ import annotations

import textwrap

from simulator.scenario.loader import load_scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import BytesSent, TlsStarted

SCENARIO = """\
id: pop3-stls
title: POP3 with STLS
world:
  tls: {{starttls: {starttls}}}
steps:
  - id: connect
    action: connect
    from: bob-laptop
    to: mx.example.net
    port: 110
  - id: capa
    action: send
    line: CAPA
    expect: {{reply: {{code: "+OK"{contains}}}}}
  - id: stls
    action: send
    line: STLS
    expect: {{reply: "{stls}"}}
  - id: login
    action: send
    lines: [USER bob@example.net, PASS builder]
    expect:
      replies: ["+OK", "+OK"]
      state: {{machine: pop3.server, state: TRANSACTION}}
"""


def _run(tmp_path, starttls: bool):
    text = SCENARIO.format(starttls=str(starttls).lower(), contains=", contains: STLS" if starttls else "",
                           stls="+OK" if starttls else "-ERR")
    path = tmp_path / "pop3-stls.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return run_scenario(load_scenario(path))


def test_stls_where_the_world_offers_tls_hides_the_password(tmp_path):
    result = _run(tmp_path, True)
    assert result.ok, [str(f) for f in result.failures]
    assert [e.mode for e in result.trace.of_type(TlsStarted)] == ["starttls"]
    sent = [e for e in result.trace.of_type(BytesSent) if e.plaintext.startswith(b"USER")][0]
    assert b"PASS builder" in sent.plaintext and b"builder" not in sent.wire  # ciphertext on the wire


def test_no_stls_where_the_world_offers_none(tmp_path):
    result = _run(tmp_path, False)
    assert result.ok, [str(f) for f in result.failures]
    assert result.trace.of_type(TlsStarted) == []
    sent = [e for e in result.trace.of_type(BytesSent) if e.plaintext.startswith(b"USER")][0]
    assert b"PASS builder" in sent.wire  # plaintext POP3: an eavesdropper reads the password


POP3S = """\
id: pop3s
title: POP3 over implicit TLS
world:
  tls: {starttls: true}
steps:
  - id: connect
    action: connect
    from: bob-laptop
    to: mx.example.net
    port: 995
    expect: {reply: "+OK"}
  - id: capa
    action: send
    line: CAPA
  - id: stls
    action: send
    line: STLS
    expect: {reply: {code: "-ERR", contains: already active}}
  - id: login
    action: send
    lines: [USER bob@example.net, PASS builder]
    expect: {replies: ["+OK", "+OK"]}
"""


def test_pop3s_on_995_is_tls_from_the_first_byte(tmp_path):
    path = tmp_path / "pop3s.yaml"
    path.write_text(POP3S, encoding="utf-8")
    result = run_scenario(load_scenario(path))
    assert result.ok, [str(f) for f in result.failures]
    assert [e.mode for e in result.trace.of_type(TlsStarted)] == ["implicit"]
    greeting = [e for e in result.trace.of_type(BytesSent) if e.plaintext.startswith(b"+OK")][0]
    assert greeting.wire != greeting.plaintext  # even the greeting is encrypted
    capa = [e for e in result.trace.of_type(BytesSent) if e.plaintext.startswith(b"+OK capability")][0]
    assert b"STLS" not in capa.plaintext and b"USER" in capa.plaintext
