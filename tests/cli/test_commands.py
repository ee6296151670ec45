"""The ``mailsim`` command as a user meets it, through a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MAILSIM = [sys.executable, "-m", "simulator.cli"]


def mailsim(*args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MAILSIM, *args], capture_output=True, text=True, timeout=120, **kw)


def piped_into_head(args: list[str], lines: int) -> tuple[subprocess.CompletedProcess[bytes], bytes]:
    """Run ``mailsim ARGS | head -LINES`` and return mailsim's exit and stderr, and what head printed."""
    producer = subprocess.Popen([*MAILSIM, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.run(["head", f"-{lines}"], stdin=producer.stdout, capture_output=True, timeout=120)
    producer.stdout.close()
    stderr = producer.stderr.read()
    producer.stderr.close()
    producer.wait(timeout=120)
    return subprocess.CompletedProcess(args, producer.returncode, b"", stderr), head.stdout


@pytest.mark.parametrize("args", [["run", "smtp-errors", "-v"], ["schema"], ["export", "smtp-basics"],
                                  ["lessons"]])
def test_a_closed_pipe_ends_quietly(args: list[str]) -> None:
    done, shown = piped_into_head(args, 1)
    assert len(shown.splitlines()) == 1
    assert b"Traceback" not in done.stderr and b"BrokenPipe" not in done.stderr, done.stderr
    assert done.returncode in (0, 141)  # 141: stopped by the closed pipe, as cat would be


def test_json_dash_is_standard_output(tmp_path: Path) -> None:
    done = mailsim("run", "smtp-basics", "--json", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    trace = json.loads(done.stdout)  # nothing but the JSON on stdout
    assert trace["events"] and trace["meta"]["scenario"] == "smtp-basics"
    assert not (tmp_path / "-").exists()
    assert "OK: 7 steps, every expectation met" in done.stderr


def test_json_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    done = mailsim("run", "smtp-basics", "-q", "--json", str(out))
    assert done.returncode == 0 and done.stdout == "OK: 7 steps, every expectation met\n"
    assert json.loads(out.read_text(encoding="utf-8"))["events"]


def test_version() -> None:
    from importlib.metadata import version

    done = mailsim("--version")
    assert done.returncode == 0 and done.stdout == f"mailsim {version('mailsim')}\n"


def test_run_on_a_directory_says_so(tmp_path: Path) -> None:
    done = mailsim("run", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr == (f"{tmp_path}: is a directory; name a scenario or lesson file "
                           "(mailsim validate checks whole folders)\n")


def test_run_of_a_missing_file() -> None:
    done = mailsim("run", "nosuch.yaml")
    assert done.returncode == 2 and done.stderr == "nosuch.yaml: no such file, lesson or scenario\n"


def _without_teacher_folders() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "MAILSIM_LESSONS"}


def test_run_of_a_mistyped_name_suggests_the_nearest_and_says_where_own_lessons_are(tmp_path: Path) -> None:
    done = mailsim("run", "starttsl", env=_without_teacher_folders())
    assert done.returncode == 2 and done.stderr == (
        "starttsl: no such file, lesson or scenario: did you mean 'starttls'? (a lesson in a folder of "
        "your own: add --lessons DIR, or set MAILSIM_LESSONS)\n")
    # a teacher's lesson run by name without its folder: the hint says how to name the folder
    mailsim("new", "greylisting", "--dir", str(tmp_path / "mine"), check=True)
    done = mailsim("run", "greylisting", env=_without_teacher_folders())
    assert done.stderr == ("greylisting: no such file, lesson or scenario (a lesson in a folder of your own: "
                           "add --lessons DIR, or set MAILSIM_LESSONS)\n")
    # with the folder named, a typo finds the teacher's own lesson
    done = mailsim("--lessons", str(tmp_path / "mine"), "run", "greylistng", env=_without_teacher_folders())
    assert done.returncode == 2
    assert done.stderr == "greylistng: no such file, lesson or scenario: did you mean 'greylisting'?\n"


def test_validate_of_a_missing_file_has_no_fake_location() -> None:
    done = mailsim("validate", "nosuch.yaml")
    assert done.returncode == 1
    assert done.stderr == ("nosuch.yaml: no such file or folder\n"
                           "1 error; no scenario or lesson file was checked\n")


def test_validate_of_an_empty_folder_fails(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not YAML", encoding="utf-8")
    done = mailsim("validate", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr == (f"{tmp_path}: no scenario or lesson files here (no *.yaml or *.yml)\n"
                           "1 error; no scenario or lesson file was checked\n")


def test_validate_counts_in_words() -> None:
    done = mailsim("validate", "scenarios/smtp-basics.yaml", cwd=Path(__file__).parents[2])
    assert done.returncode == 0 and done.stdout == "1 file valid\n"


def test_run_and_export_show_the_same_title() -> None:
    lesson_title = "SMTP errors: bounces, relaying denied and protocol mistakes"
    run = mailsim("run", "smtp-errors")
    export = mailsim("export", "smtp-errors")
    assert run.returncode == 0 and export.returncode == 0
    assert run.stdout.splitlines()[0] == f"# {lesson_title}  (smtp-errors, seed 1)"
    assert export.stdout.splitlines()[0] == f"# {lesson_title}"


def test_export_dash_is_standard_output(tmp_path: Path) -> None:
    done = mailsim("export", "smtp-basics", "-f", "mermaid", "-o", "-", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.splitlines()[1] == "sequenceDiagram"
    assert not (tmp_path / "-").exists()


def test_serve_stops_quietly_when_its_log_reader_goes_away() -> None:
    import contextlib
    import re
    import smtplib

    from simulator.serve import LISTENERS

    free = [arg for li in LISTENERS for arg in (f"--{li.name}-port", "0")]  # never the defaults: others may serve
    server = subprocess.Popen([*MAILSIM, "serve", *free],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        while port is None:
            line = server.stdout.readline()
            assert line, server.stderr.read()
            if m := re.match(r"\s+smtp\s+127\.0\.0\.1:(\d+) ", line):
                port = int(m.group(1))
        server.stdout.close()  # like `mailsim serve | head -2`: the reader is gone
        with contextlib.suppress(OSError, smtplib.SMTPException):  # the next log line meets the closed pipe
            smtplib.SMTP("127.0.0.1", port, timeout=10).quit()
        assert server.wait(timeout=30) == 0
        assert server.stderr.read() == ""  # no traceback, nothing at all
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_schema_offers_the_registry_names() -> None:
    from simulator.protocols import registry

    done = mailsim("schema")
    defs = json.loads(done.stdout)["$defs"]
    tables = registry.machine_tables()
    assert defs["ExpectState"]["properties"]["machine"]["enum"] == sorted(tables)
    assert set(defs["ExpectState"]["properties"]["state"]["examples"]) == {
        s for t in tables.values() for s in t.states}
    assert defs["FaultStep"]["properties"]["protocol"]["enum"] == sorted(registry.protocols())
    assert set(defs["FaultStep"]["properties"]["stage"]["examples"]) == {
        stage for name in registry.protocols() for stage in registry.fault_stages(name)}
