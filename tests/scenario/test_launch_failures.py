"""`mailsim run`: a failed expectation is printed at the key it is about, as file:line:column."""

from __future__ import annotations

import textwrap
from pathlib import Path

from simulator.cli import main

SCENARIO = textwrap.dedent("""\
    # yaml-language-server: $schema=../schema/scenario.schema.json
    id: fail
    title: Fail
    steps:
      - id: connect
        action: connect
        from: alice-laptop
        to: mx.example.net
        port: 25
        expect:
          reply: 250
          state: {machine: smtp.server, state: EXPECT_MAIL}
      - id: quit
        action: send
        line: QUIT
        expect: {reply: 221, mailbox: {user: bob@example.net, count: 1}}
    """)


def test_failures_name_file_line_and_column_of_each_expectation(tmp_path: Path, capsys) -> None:
    path = tmp_path / "fail.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    assert main(["run", "-q", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"FAILED {path}:11:7: step 'connect': reply: code 220, expected 250",
        f"FAILED {path}:12:7: step 'connect': state: smtp.server is in EXPECT_EHLO, expected EXPECT_MAIL",
        f"FAILED {path}:16:26: step 'quit': mailbox: bob@example.net INBOX holds 0 message(s), expected 1",
    ]


def test_a_lessons_failures_are_located_in_its_scenario(tmp_path: Path, capsys) -> None:
    (tmp_path / "scenarios").mkdir()
    scenario = tmp_path / "scenarios" / "fail.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    lesson = tmp_path / "lesson.yaml"
    lesson.write_text("id: l\ntitle: L\ntopic: SMTP\nlevel: beginner\nminutes: 1\nobjectives: [o]\n"
                      "intro: i\nsummary: s\nscenario: scenarios/fail.yaml\n", encoding="utf-8")
    assert main(["run", "-q", str(lesson)]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        f"FAILED {lesson.parent / 'scenarios/fail.yaml'}:11:7: step 'connect': reply: code 220, expected 250")


def test_a_failed_action_is_located_at_its_step(tmp_path: Path, capsys) -> None:
    path = tmp_path / "closed.yaml"
    path.write_text(textwrap.dedent("""\
        id: closed
        title: Closed
        steps:
          - {id: connect, action: connect, from: alice-laptop, to: mx.example.net, port: 25}
          - {id: quit, action: send, line: QUIT, expect: {closed: true}}
          - {id: again, action: send, line: NOOP, expect: {reply: 250}}
        """), encoding="utf-8")
    assert main(["run", "-q", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"FAILED {path}:6:5: step 'again': send: connection 'main' is not open", err
