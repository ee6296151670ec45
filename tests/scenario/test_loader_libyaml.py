"""libyaml's parser (the fast path) and PyYAML's pure-Python one (the slow path) give the same
documents, models and located errors: libyaml only makes the events, and any refusal of its
falls back to the pure-Python parser for the error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import content
from simulator.scenario import loader
from simulator.scenario.loader import ContentErrors, parse_yaml, read_text, validate_paths

pytestmark = pytest.mark.skipif(not loader.LIBYAML, reason="PyYAML without libyaml: only the pure-Python path exists")

BAD = Path(__file__).parent / "bad"
BUNDLED = sorted(content.lessons_dir().glob("*.yaml")) + sorted(content.scenarios_dir().glob("*.yaml"))


def parsed(text: str, *, libyaml: bool) -> tuple[str, object]:
    """What parse_yaml makes of ``text``: the document with every position, or the errors."""
    try:
        doc = parse_yaml(text, "f.yaml", libyaml=libyaml)
    except ContentErrors as exc:
        return "errors", [str(e) for e in exc.errors]
    return "document", (doc.data, doc.positions, doc.plain)


def loaded(path: Path, monkeypatch: pytest.MonkeyPatch, *, libyaml: bool) -> object:
    monkeypatch.setattr(loader, "LIBYAML", libyaml)
    if loader.kind_of(path) == "lesson":
        lesson, scenario = loader.load_lesson(path)
        return lesson.model_dump(), scenario.model_dump()
    return loader.load_scenario(path).model_dump()


def test_the_bundled_content_is_there() -> None:
    assert len(BUNDLED) >= 30


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bundled_file_gives_the_same_document_and_model(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = read_text(path)
    fast, slow = parsed(text, libyaml=True), parsed(text, libyaml=False)
    assert fast[0] == "document"
    assert fast == slow
    assert loaded(path, monkeypatch, libyaml=True) == loaded(path, monkeypatch, libyaml=False)


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.iterdir()))
def test_bad_file_gives_the_same_errors(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "LIBYAML", True)
    fast = [str(e) for e in validate_paths([BAD / name])[1]]
    monkeypatch.setattr(loader, "LIBYAML", False)
    slow = [str(e) for e in validate_paths([BAD / name])[1]]
    assert fast and fast == slow


def test_the_environment_can_turn_libyaml_off() -> None:
    code = "from simulator.scenario import loader; print(loader.LIBYAML)"
    for value, expected in (("python", "False"), ("", "True")):
        env = dict(os.environ, MAILSIM_YAML=value, PYTHONPATH=os.pathsep.join(sys.path))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
        assert done.stdout.strip() == expected, done.stderr


@pytest.mark.parametrize("text", [
    # positions after characters of 2, 3 and 4 UTF-8 bytes, on one line, in flow and block style
    "a: {b: é, c: €, d: 𝄞, e: [x, é, y]}\nf: é\n",
    "- 'é': \"€\"\n  g: 𝄞 𝄞\n- h\n",
    # line breaks YAML 1.1 knows: CR LF, a lone CR, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR
    "a: 1\r\nb: 2\r\n", "a: 1\rb: 2\r", "a: x\x85b: y\n", "a: x\u2028b: y\n", "a: 'x\u2029y'\nb: 2\n",
    # anchors, aliases and merges, including the refusals
    "x: &a {p: 1}\ny: {<<: *a, q: 2}\nz: *a\n", "a: &a [*a]\n", "a: *nowhere\n",
    # scalars the resolver types: yes/no, numbers, dates, nulls
    "a: yes\nb: 0o17\nc: 1_000\nd: 2026-12-02\ne: ~\nf: .inf\ng: 0x1F\n",
    # block scalars, quoting styles, comments, document markers
    "a: |\n  one\n  two\nb: >-\n  folded\n  text\n# end\n", "%YAML 1.1\n---\na: 1\n...\n", "---\na: 1\n---\nb: 2\n",
    # refusals: syntax, tabs, deep nesting, a bomb
    "a: [1, 2\n", "a:\n\t- b\n", "a: b: c\n", "[" * 150 + "]" * 150 + "\n", "{a: " * 120 + "1" + "}" * 120,
    "a: &a [" + ", ".join(["x"] * 10) + "]\n" + "".join(
        f"{c}: &{c} [" + ", ".join([f"*{p}"] * 10) + "]\n" for p, c in zip("abcde", "bcdef", strict=True)),
])
def test_tricky_texts_give_the_same_result(text: str) -> None:
    assert parsed(text, libyaml=True) == parsed(text, libyaml=False)


SOURCE = (content.scenarios_dir() / "smtp-basics.yaml").read_text(encoding="utf-8")
YAMLISH = st.sampled_from(["&a ", "*a", "<<: ", "!!str ", "!x ", "[", "]", "{", "}", ": ", "- ", "\n", "  ",
                           "\t", "'", '"', "\\", "é", "\r", "\x85", "\u2028", "? ", "|", ">", "#", "%YAML 1.1\n",
                           "---\n", "...\n", ",", "@", "`", "yes", "0x", "~", "2026-02-30"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.integers(0, len(SOURCE)), st.integers(0, 40), YAMLISH), max_size=6))
def test_mutated_texts_give_the_same_result(edits: list[tuple[int, int, str]]) -> None:
    text = SOURCE
    for at, cut, insert in edits:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut:]
    assert parsed(text, libyaml=True) == parsed(text, libyaml=False)
