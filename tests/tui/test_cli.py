"""The TUI's commands, short of opening a terminal: argument checks and refusals."""

from __future__ import annotations

import shlex
import sys

import pytest

from simulator.cli import main
from simulator.tui.launch import is_loopback, web_command


@pytest.mark.parametrize(("host", "ok"), [("127.0.0.1", True), ("::1", True), ("[::1]", True),
                                          ("localhost", True), ("127.0.0.53", True), ("0.0.0.0", False),
                                          ("192.0.2.1", False), ("example.org", False)])
def test_loopback_hosts(host: str, ok: bool) -> None:
    assert is_loopback(host) is ok


def test_web_refuses_a_public_address_without_public(capsys) -> None:
    assert main(["web", "--host", "0.0.0.0"]) == 2
    assert "--public" in capsys.readouterr().err


def test_web_command_runs_this_interpreter() -> None:
    assert shlex.split(web_command(None, False)) == [sys.executable, "-m", "simulator.cli", "--visitor"]
    assert shlex.split(web_command("/x/l.yaml", True))[-3:] == ["play", "/x/l.yaml", "--present"]


def test_play_of_a_missing_file(capsys) -> None:
    assert main(["play", "no-such-lesson"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_sandbox_refuses_a_protocol_that_does_not_exist(capsys) -> None:
    from simulator.lesson.sandbox import available_protocols

    assert {"smtp", "imap", "pop3"} <= set(available_protocols())
    assert main(["sandbox", "gopher"]) == 2
    assert "not a protocol" in capsys.readouterr().err
