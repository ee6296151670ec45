"""A corpus of broken scenario files: each gives one located error, never a traceback.

Every file in ``bad/`` is one class of mistake a teacher (or a careless download) makes;
its expected message, with line and column, is below. ``merge-keys.yaml`` is the valid
file that uses YAML merge keys, which must load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from simulator.protocols.registry import PROTOCOLS
from simulator.scenario import loader
from simulator.scenario.loader import ContentErrors, load_scenario, validate_paths
from simulator.scenario.models import Step
from simulator.scenario.references import machine_tables

HERE = Path(__file__).parent
BAD = HERE / "bad"
SERVER_STATES = ", ".join(sorted(machine_tables()["smtp.server"].states))
# The actions in the order the models list them (the discriminator's tags).
ACTION_NAMES = ", ".join(tag for step in typing.get_args(typing.get_args(Step)[0])
                         for tag in typing.get_args(step.model_fields["action"].annotation))

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
    "unknown-state.yaml": "9:63: smtp.server has no state 'EXPECT_HELO': did you mean 'EXPECT_EHLO'?",
    "fault-stage.yaml": "7:12: smtp has no fault stage 'HELO'; its stages: MAIL, RCPT, DATA",
    "fault-protocol.yaml": "7:15: unknown protocol 'gopher'; protocols: " + ", ".join(sorted(PROTOCOLS)),
    "state-other-conn.yaml": "9:60: no connection 'second' was opened by a connect step before this "
                             "expectation, so its state cannot be checked",
    # YAML traps, with the hint for each
    "tab.yaml": '9:1: YAML syntax: a tab character: YAML indents with spaces only; replace the tab with spaces',
    "no-space-colon.yaml": "7:8: YAML syntax: a space is needed after the colon in 'to:mx.example.net' (write 'to: mx.example.net'); without it YAML reads one word",
    "colon-in-value.yaml": '2:12: YAML syntax: the value of \'title\' holds \': \', which YAML reads as a new key; quote the whole value (title: "SMTP: the basics")',
    "indent-more.yaml": '9:13: YAML syntax: this line is indented further than the key above it; keys of one mapping start in the same column',
    "indent-less.yaml": '6:4: YAML syntax: the indentation here does not line up with the lines above; keys of one mapping start in the same column, list items (- ) too',
    "dash-no-space.yaml": "9:3: YAML syntax: a space is needed after the '-' that starts a list item (write '- id: quit'); without it YAML reads '-id' as a key",
    "dash-no-space-first.yaml": "4:3: YAML syntax: a space is needed after the '-' that starts a list item (write '- id: connect'); without it YAML reads '-id' as a key",
    "missing-action.yaml": f"4:5: missing required key 'action' in steps[0]; one of: {ACTION_NAMES}",
    "unclosed-quote.yaml": '2:8: YAML syntax: the quoted text that starts here is never closed: add the closing quote',
    "dup-key.yaml": "3:1: duplicate key 'title'",
    "empty.yaml": '1:1: the file is empty',
    "comments-only.yaml": '1:1: the file is empty',
    "top-list.yaml": '1:1: the top level must be a mapping of keys to values',
    "neither.yaml": "1:1: neither a scenario (it has no 'steps') nor a lesson (no 'scenario')",
    "bom.yaml": ["4:5: missing required key 'text' in steps[0]", "4:30: unknown key 'txet' in steps[0]: did you mean 'text'?"],
    # values of the wrong type or form
    "number-choices.yaml": ['11:17: steps[0].ask.choices[0]: YAML reads 220 as a number, but text is expected here: quote it ("220")', '11:22: steps[0].ask.choices[1]: YAML reads 554 as a number, but text is expected here: quote it ("554")'],
    "bool-subject.yaml": '9:14: steps[0].subject: YAML reads NO as a yes/no value (true or false), but text is expected here: quote it ("NO")',
    "null-title.yaml": '2:7: title: this is empty (YAML reads it as null), but text is expected here; write the text, or "" for empty text',
    "port-text.yaml": '8:11: steps[0].port: Input should be a valid integer, unable to parse string as an integer',
    "port-range.yaml": '8:11: steps[0].port: Input should be less than or equal to 65535',
    "list-expected.yaml": "8:9: steps[0].to: a list is expected here, not a single value: write [bob@example.net] (or one '- item' per line)",
    "step-id-spaces.yaml": "4:10: steps[0].id: 'first step' is not a valid id: letters, digits, '_', '.' and '-', starting with a letter or digit (no spaces)",
    "not-a-mapping-step.yaml": "4:5: steps[0]: a mapping (key: value lines) is expected here, not a single value ('connect to mx.example.net')",
    "two-payloads.yaml": '9:5: steps[1]: a send step needs exactly one of line, lines or data',
    "tls-version.yaml": "4:18: world.tls.version: 'TLSv1.1' is not one of TLSv1.3, TLSv1.2: did you mean 'TLSv1.3'?",
    "lesson-level.yaml": "4:8: level: 'beginer' is not one of beginner, intermediate, advanced: did you mean 'beginner'?",
    # unknown and missing keys
    "unknown-key.yaml": "9:5: unknown key 'explian' in steps[0]: did you mean 'explain'?",
    "missing-key.yaml": "4:5: missing required key 'port' in steps[0]",
    "missing-title.yaml": "1:1: missing required key 'title'",
    "typo-action.yaml": "10:13: steps[1].action: unknown action 'sned': did you mean 'send'? "
                         f"(actions: {ACTION_NAMES})",
    "typo-outcome.yaml": "11:62: steps[0].expect.delivery.outcome: 'delivred' is not one of delivered, deferred, failed: did you mean 'delivered'?",
    # cross-references, with the nearest valid name
    "typo-host.yaml": "7:9: unknown host 'mx.exmaple.net': did you mean 'mx.example.net'?",
    "typo-user.yaml": "9:30: unknown user 'bob@exmaple.net': did you mean 'bob@example.net'?",
    "typo-user-domain.yaml": "5:17: no domain 'exmaple.net' in the world for this user: did you mean 'example.net'?",
    "typo-dns.yaml": "5:14: no DNS name 'exmaple.net' in the world, so nothing to remove: did you mean 'example.net'?",
    "typo-mx.yaml": "7:35: unknown host 'mx.exmaple.net': did you mean 'mx.example.net'?",
    "typo-stage.yaml": "7:12: smtp has no fault stage 'RCTP': did you mean 'RCPT'?",
    "typo-state.yaml": "9:51: smtp.server has no state 'EXPECT_EHL': did you mean 'EXPECT_EHLO'?",
    "typo-machine.yaml": "9:31: unknown machine 'smtp.sever': did you mean 'smtp.server'?",
    "machine-protocol.yaml": "9:31: connection 'main' is to port 25 (smtp), so it has no imap.server to check; use smtp.server",
    "typo-sender-domain.yaml": "7:13: the sender's domain 'exmaple.org' has no provider in this world: did you mean 'example.org'?",
    "fault-other-protocol.yaml": "7:12: smtp (the default) has no fault stage 'RETR': it is pop3's; add protocol: pop3",
    "fault-reply.yaml": "9:21: a fault step only arms the fault and sends nothing, so no reply can be checked "
                        "here; put this expectation on the step that meets it",
    "lesson-no-scenario.yaml": f"9:11: scenario file not found: {BAD / '../scenarios/tiny.yaml'}",
}


def located(path: Path, expected: str) -> str:
    return f"{path}:{expected}" if expected[0].isdigit() else f"{path}: {expected}"


def all_located(path: Path, expected: str | list[str]) -> list[str]:
    return [located(path, e) for e in ([expected] if isinstance(expected, str) else expected)]


def test_the_corpus_has_at_least_forty_files() -> None:
    assert len(EXPECTED) >= 40


def test_every_bad_file_has_an_expected_message() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gives_its_located_error(name: str) -> None:
    path = BAD / name
    count, errors = validate_paths([path])
    assert count == 1
    assert [str(e) for e in errors] == all_located(path, EXPECTED[name])


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
    lines = [line for n in sorted(EXPECTED) for line in all_located(BAD / n, EXPECTED[n])]
    assert done.stderr.splitlines() == lines + [f"{len(lines)} errors; {len(EXPECTED)} files checked"]


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


def test_generated_files_give_located_errors_in_bounded_time(tmp_path: Path) -> None:
    """Files too big or odd to commit: made here, checked by the command in a subprocess with a timeout."""
    big = tmp_path / "big.yaml"  # 1.5 MB, under the size limit, with a mistake at its end
    big.write_text("id: big\ntitle: Big\nsummary: |\n" + "  a line of narration\n" * 70_000
                   + "steps:\n  - {id: n, action: note, txt: hi}\n", encoding="utf-8")
    noise = tmp_path / "noise.yaml"
    noise.write_bytes(bytes((n * 7919 + 13) % 256 for n in range(65_536)))
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    done = subprocess.run([sys.executable, "-m", "simulator.cli", "validate", str(big), str(noise), str(folder)],
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"{folder}: no scenario or lesson files here (no *.yaml or *.yml)",  # a folder is walked, as lessons/ is
        f"{big}:70005:5: missing required key 'text' in steps[0]",
        f"{big}:70005:27: unknown key 'txt' in steps[0]: did you mean 'text'?",
        f"{noise}:1:2: a binary file, not text: byte 0xfc cannot start a UTF-8 character here; save the file "
        "as UTF-8 (Latin-1 and Windows code pages are not read)",
        "4 errors; 2 files checked",
    ]
