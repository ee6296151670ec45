"""world.mitm, the mitm step and tls.vulnerable_starttls: mistakes are reported file:line:column."""

from __future__ import annotations

from tests.scenario.yaml_errors import HEAD, STEP
from tests.scenario.yaml_errors import located_errors as _errors


def test_an_unknown_host_on_the_link_is_located_with_a_suggestion(tmp_path):
    text = HEAD + "world:\n  mitm:\n    between: [alice-laptp, mail.example.org]\n" + STEP
    assert _errors(tmp_path, text) == ["5:15: unknown host 'alice-laptp': did you mean 'alice-laptop'?"]


def test_between_takes_exactly_two_hosts(tmp_path):
    text = HEAD + "world:\n  mitm:\n    between: [alice-laptop, mail.example.org, mx.example.net]\n" + STEP
    [error] = _errors(tmp_path, text)
    assert error.startswith("5:14: world.mitm.between: ") and "two hosts" in error and "not 3" in error


def test_the_attacker_is_a_third_host(tmp_path):
    text = HEAD + ("steps:\n  - id: m\n    action: mitm\n    host: alice-laptop\n"
                   "    between: [alice-laptop, mail.example.org]\n")
    [error] = _errors(tmp_path, text)
    assert error.startswith("4:5: steps[0]: ") and "its host is a third one" in error


def test_an_injected_line_is_one_line(tmp_path):
    text = HEAD + ("world:\n  mitm:\n    between: [alice-laptop, mail.example.org]\n"
                   '    inject_after_starttls: ["RSET\\nQUIT"]\n') + STEP
    assert _errors(tmp_path, text) == [
        "6:29: world.mitm.inject_after_starttls[0]: one command line each, without CR or LF (CRLF is added)"]


def test_a_vulnerable_server_must_be_a_mail_host(tmp_path):
    text = HEAD + "world:\n  tls: {starttls: true, vulnerable_starttls: [mx.example.nte]}\n" + STEP
    assert _errors(tmp_path, text) == ["4:47: unknown host 'mx.example.nte': did you mean 'mx.example.net'?"]


def test_a_mitm_step_expects_no_reply(tmp_path):
    text = HEAD + ("steps:\n  - id: m\n    action: mitm\n    between: [alice-laptop, mail.example.org]\n"
                   "    expect: {reply: 250}\n")
    [error] = _errors(tmp_path, text)
    assert error.startswith("7:21: ") and "sends nothing" in error
