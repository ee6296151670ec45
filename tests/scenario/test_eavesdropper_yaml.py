"""world.eavesdropper: mistakes are reported file:line:column."""

from __future__ import annotations

from tests.scenario.yaml_errors import HEAD, STEP
from tests.scenario.yaml_errors import located_errors as _errors


def test_an_unknown_host_on_the_link_is_located_with_a_suggestion(tmp_path):
    text = HEAD + "world:\n  eavesdropper:\n    link: [alice-laptop, mail.exmple.org]\n" + STEP
    [error] = _errors(tmp_path, text)
    assert error.startswith("5:26: ") and "unknown host 'mail.exmple.org'" in error


def test_an_unknown_listener_host_is_located(tmp_path):
    text = HEAD + "world:\n  eavesdropper:\n    host: eve-box\n    link: [alice-laptop, mail.example.org]\n" + STEP
    [error] = _errors(tmp_path, text)
    assert error.startswith("5:11: ") and "unknown host 'eve-box'" in error


def test_a_link_has_two_ends(tmp_path):
    text = HEAD + "world:\n  eavesdropper:\n    link: [alice-laptop]\n" + STEP
    [error] = _errors(tmp_path, text)
    assert error.startswith("5:11: world.eavesdropper.link: ") and "not 1" in error


def test_the_two_ends_differ_and_the_listener_is_a_third_host(tmp_path):
    same = HEAD + "world:\n  eavesdropper:\n    link: [alice-laptop, alice-laptop]\n" + STEP
    assert "two different hosts" in _errors(tmp_path, same)[0]
    on_link = HEAD + "world:\n  eavesdropper:\n    host: alice-laptop\n    link: [alice-laptop, mail.example.org]\n" + STEP
    assert "its host is a third one" in _errors(tmp_path, on_link)[0]


def test_an_unknown_key_is_located(tmp_path):
    text = HEAD + "world:\n  eavesdropper:\n    between: [alice-laptop, mail.example.org]\n" + STEP
    errors = _errors(tmp_path, text)
    assert any(e.startswith("4:3: ") or e.startswith("5:5: ") for e in errors), errors
