"""A corpus of broken scenario files: each gives one located error, never a traceback.

Every file in ``bad/`` is one class of mistake a teacher (or a careless download) makes;
its expected message, with line and column, is below. ``merge-keys.yaml`` is the valid
file that uses YAML merge keys, which must load.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.protocols.registry import PROTOCOLS
from simulator.scenario import loader
from simulator.scenario.loader import ContentErrors, load_scenario, validate_paths
from simulator.scenario.references import machine_tables

HERE = Path(__file__).parent
BAD = HERE / "bad"
SERVER_STATES = ", ".join(sorted(machine_tables()["smtp.server"].states))

EXPECTED = {
    # not UTF-8 text
    "latin1.yaml": "2:11: not UTF-8: byte 0xe9 cannot start a UTF-8 character here; save the file as UTF-8 "
                   "(Latin-1 and Windows code pages are not read)",
    "utf16.yaml": "the file is UTF-16 (it starts with a byte-order mark); save it as UTF-8",
    "binary.yaml": "a binary file (full of NUL bytes), not text; if it is UTF-16, save it as UTF-8",
    "png.yaml": "this is a PNG image, not a YAML text file",
    # characters YAML refuses
    "nul.yaml": "2:10: NUL (U+0000) is not allowed in a YAML file; delete it",
    "esc.yaml": "12:11: ESC (U+001B) is not allowed in a YAML file; delete it",
    # keys
    "list-key.yaml": "3:1: a key must be plain text, not a list",
    "tagged-key.yaml": "3:1: unknown tag '!key': mailsim files are plain YAML, without tags "
                       "(quote the value if the ! belongs to it)",
    # a number may be a key (a message number: expect: {view: {flags: {1: [\\Seen]}}}), but not a step's
    "int-key.yaml": "9:5: unknown key 1 in steps[0]",
    # tags, merges, aliases, values
    "merge-scalar.yaml": "9:9: '<<' merges a mapping into this one: give it an alias of a mapping "
                         "(<<: *defaults) or a list of them, not a single value",
    "custom-tag.yaml": "8:11: unknown tag '!port': mailsim files are plain YAML, without tags "
                       "(quote the value if the ! belongs to it)",
    "python-tag.yaml": "3:8: !!python/object/apply:os.system is a Python tag: mailsim files are plain YAML "
                       "and never build Python objects",
    "big-int.yaml": "3:7: not a valid number: '99999999999999999999…' (5000 digits, too many for a number)",
    "bad-date.yaml": "3:8: not a valid date: '2026-02-30' (day is out of range for month)",
    "recursive-alias.yaml": "3:10: recursive alias: this value contains itself",
    "deep-list.yaml": "3:109: lists and mappings are nested more than 100 deep here",
    "deep-map.yaml": "3:403: lists and mappings are nested more than 100 deep here",
    "alias-bomb.yaml": "1:14: this document expands to more than 100000 values (aliases that repeat "
                       "aliases?); mailsim refuses it",
    # valid YAML, wrong scenario
    "dup-id.yaml": "10:9: step id 'connect' is used twice (first by step 1)",
    "bad-rcpt.yaml": "18:10: steps[2].to[0]: 'bob at example.net' is not a mail address: write it as "
                     "local-part@domain, e.g. bob@example.net, without spaces or <>",
    "same-address.yaml": "3:32: address 192.0.2.10 is also alice-laptop's; each host needs its own addresses",
    "code-words.yaml": "13:21: steps[1].expect.reply: a reply code is three digits from 200 to 599, "
                       "such as 250, or a status word (+OK, -ERR, +, OK, NO, BAD, BYE, PREAUTH, *); "
                       "not 'two-twenty-one'",
    "unknown-machine.yaml": "9:43: unknown machine 'gopher.server'; machines: "
                            + ", ".join(sorted(machine_tables())),
    "unknown-state.yaml": f"9:63: smtp.server has no state 'EXPECT_HELO'; its states: {SERVER_STATES}",
    "fault-stage.yaml": "7:12: smtp has no fault stage 'HELO'; its stages: MAIL, RCPT, DATA",
    "fault-protocol.yaml": "7:15: unknown protocol 'gopher'; protocols: " + ", ".join(sorted(PROTOCOLS)),
    "state-other-conn.yaml": "9:60: no connection 'second' was opened by a connect step before this "
                             "expectation, so its state cannot be checked",
}


def located(path: Path, expected: str) -> str:
    return f"{path}:{expected}" if expected[0].isdigit() else f"{path}: {expected}"


def test_every_bad_file_has_an_expected_message() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gives_its_located_error(name: str) -> None:
    path = BAD / name
    count, errors = validate_paths([path])
    assert count == 1
    assert [str(e) for e in errors] == [located(path, EXPECTED[name])]


@pytest.mark.parametrize("name", ["alias-bomb.yaml", "deep-list.yaml", "python-tag.yaml", "latin1.yaml"])
def test_run_reports_the_same_error_and_exits_2(name: str, capsys) -> None:
    from simulator.cli import main

    assert main(["run", str(BAD / name)]) == 2
    assert capsys.readouterr().err == located(BAD / name, EXPECTED[name]) + "\n"


def test_validate_walks_the_whole_corpus_without_a_traceback() -> None:
    done = subprocess.run([sys.executable, "-m", "simulator.cli", "validate", str(BAD)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [located(BAD / n, EXPECTED[n]) for n in sorted(EXPECTED)] + [
        f"{len(EXPECTED)} errors; {len(EXPECTED)} files checked"]


def test_merge_keys_are_supported() -> None:
    scenario = load_scenario(HERE / "merge-keys.yaml")
    first, again = scenario.steps
    assert (first.from_, first.to, first.port) == ("alice-laptop", "mx.example.net", 25)
    assert (again.from_, again.to, again.port) == ("alice-laptop", "mx.example.net", 587)  # own key wins


def test_merge_precedence_and_error_positions(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "x-a: &a {from: alice-laptop, to: mx.example.net, port: 25}\n"
        "x-b: &b {port: 587, colour: red}\n"
        "id: m\ntitle: M\nsteps:\n"
        "  - {id: c, action: connect, <<: [*a, *b]}\n", encoding="utf-8")
    with pytest.raises(ContentErrors) as info:
        load_scenario(path)
    # The earlier mapping of the list wins (port 25); b's unknown key is reported where it is written.
    assert [str(e) for e in info.value.errors] == [f"{path}:2:21: unknown key 'colour' in steps[0]"]


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"id: huge\ntitle: Huge\nsummary: " + b"x" * (loader.MAX_FILE_BYTES + 10) + b"\n")
    count, errors = validate_paths([path])
    assert [str(e) for e in errors] == [
        f"{path}: the file is larger than 2 MiB; scenario and lesson files are a few kB "
        "(split it, or check it is the file you meant)"]


def test_folder_walk_reports_odd_paths_and_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_bytes((HERE / "merge-keys.yaml").read_bytes())
    (tmp_path / "folder.yaml").mkdir()
    os.symlink("loop.yaml", tmp_path / "loop.yaml")
    os.symlink("nowhere.yaml", tmp_path / "dangling.yaml")
    bad = tmp_path / "z-bad.yaml"
    bad.write_bytes((BAD / "nul.yaml").read_bytes())
    count, errors = validate_paths([tmp_path])
    assert count == 2  # good.yaml and z-bad.yaml were read
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'dangling.yaml'}: dangling symbolic link: nowhere.yaml does not exist",
        f"{tmp_path / 'folder.yaml'}: is a folder whose name ends in .yaml; skipped",
        f"{tmp_path / 'loop.yaml'}: symbolic link loop (it points at loop.yaml)",
        located(bad, EXPECTED["nul.yaml"]),
    ]
    # named directly, each is still an error of its own path
    count, errors = validate_paths([tmp_path / "loop.yaml", tmp_path / "folder.yaml"])
    assert [str(e) for e in errors][0] == f"{tmp_path / 'loop.yaml'}: symbolic link loop (it points at loop.yaml)"


def test_yes_and_no_keys_must_be_quoted(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text("id: k\ntitle: K\nyes: 1\nsteps: []\n", encoding="utf-8")
    with pytest.raises(ContentErrors) as info:
        load_scenario(path)
    assert str(info.value.errors[0]) == f"{path}:3:1: a key must be text, not bool True; quote it (write 'yes')"
