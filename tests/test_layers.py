"""Layering (DESIGN.md "Layers"): the import-linter contracts hold, every module below the
faces imports with Textual refused, and both checks fail when an upward import is planted."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "simulator"
CONFIG = ROOT / ".importlinter"
PROBE = Path(__file__).with_name("layering_probe.py")
FACES = ("cli", "tui", "export", "serve")

_spec = importlib.util.spec_from_file_location("layering_probe", PROBE)
assert _spec is not None and _spec.loader is not None
probe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(probe)

LINT = (
    "import sys\n"
    "from importlinter.cli import lint_imports\n"
    "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))\n"
)


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}


def run_probe(tree: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = subprocess.run(
        [sys.executable, str(PROBE), *FACES],
        cwd=tree, env=_env(tree), capture_output=True, text=True, timeout=120,
    )
    lines = out.stdout.strip().splitlines()
    assert lines, f"the probe printed nothing (exit {out.returncode}): {out.stderr}"
    report = json.loads(lines[-1])
    assert report["root"] == str(tree / "simulator"), "the probe imported another copy"
    return out, report


def run_lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LINT, str(tree / ".importlinter")],
        cwd=tree, env=_env(tree), capture_output=True, text=True, timeout=120,
    )


def test_the_import_contracts_hold() -> None:
    out = run_lint(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken." in out.stdout, out.stdout
    assert "DESIGN.md layers" in out.stdout and "KEPT" in out.stdout


def test_every_module_below_the_faces_imports_with_textual_refused() -> None:
    out, report = run_probe(ROOT)
    assert out.returncode == 0, report["failed"] or out.stderr
    assert report["failed"] == {}
    expected = probe.modules_below_the_faces(PACKAGE, set(FACES))
    assert report["imported"] == expected
    # The walk reaches every layer below the faces, and none of the faces.
    for name in ("simulator.trace", "simulator.mail.store", "simulator.protocols.smtp.server",
                 "simulator.net.world", "simulator.agents.world", "simulator.scenario.runner",
                 "simulator.lesson.player", "simulator.content", "simulator.replay.index"):
        assert name in report["imported"]
    assert not [n for n in report["imported"] if n.split(".")[1:2] and n.split(".")[1] in FACES]


def test_the_probe_refuses_textual_itself() -> None:
    code = (
        "import sys, runpy\n"
        f"sys.argv = [{str(PROBE)!r}, 'cli']\n"
        f"mod = runpy.run_path({str(PROBE)!r}, run_name='probe')\n"
        "sys.meta_path.insert(0, mod['RefuseTextual']())\n"
        "try:\n"
        "    import textual.app\n"
        "except ImportError as exc:\n"
        "    print('refused:', exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("refused: 'textual' is refused"), out.stdout


# --- the checks can fail: plant an upward import in a copy of the package ----------------

PLANTS = {
    # The import issue 6 names: mail (low) reaching up to lesson. No Textual comes with it,
    # so only the layers contract sees it.
    "mail-imports-lesson": ("mail/store.py", "import simulator.lesson.player  # planted\n"),
    # Reaching up to a face drags Textual in: both checks see it.
    "mail-imports-tui": ("mail/store.py", "import simulator.tui.app  # planted\n"),
    # A lazy import inside a function: only the static contract sees it.
    "machine-imports-textual-lazily": (
        "protocols/lines.py", "\n\ndef _planted() -> None:\n    import textual  # noqa: F401\n",
    ),
    # replay imports only trace (DESIGN.md): not even the mail layer just above it.
    "replay-imports-mail": ("replay/index.py", "import simulator.mail.message  # planted\n"),
    # The bottom layer reaching up.
    "trace-imports-net": ("trace.py", "import simulator.net.clock  # planted\n"),
    # security takes a resolver, never the virtual world's DNS (DESIGN.md), nor the clock.
    "security-imports-net": ("security/spf/check.py", "import simulator.net.dns  # planted\n"),
    "security-reads-the-clock": ("security/spf/check.py", "import time  # planted\n"),
}


def _planted_tree(tmp_path: Path, plant: str | None) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(PACKAGE, tree / "simulator", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(CONFIG, tree / ".importlinter")
    if plant is not None:
        rel, text = PLANTS[plant]
        target = tree / "simulator" / rel
        source = target.read_text(encoding="utf-8")
        target.write_text(source + text if text.startswith("\n") else _after_future_import(source, text),
                          encoding="utf-8")
    return tree


def _after_future_import(source: str, line: str) -> str:
    """Insert an import line after the module's ``from __future__`` import."""
    marker = "from __future__ import annotations\n"
    assert marker in source
    return source.replace(marker, marker + line, 1)


def test_an_unplanted_copy_passes_both_checks(tmp_path: Path) -> None:
    tree = _planted_tree(tmp_path, None)
    assert run_lint(tree).returncode == 0
    out, report = run_probe(tree)
    assert out.returncode == 0 and report["failed"] == {}


@pytest.mark.parametrize(
    ("plant", "broken"),
    [
        ("mail-imports-lesson", ["simulator.mail.store -> simulator.lesson.player"]),
        ("mail-imports-tui", ["simulator.mail.store -> simulator.tui.app",
                              "nothing below the faces imports Textual or Rich BROKEN"]),
        ("machine-imports-textual-lazily", ["simulator.protocols.lines -> textual",
                                            "protocol machines touch no sockets"]),
        ("replay-imports-mail", ["simulator.replay.index -> simulator.mail.message"]),
        ("trace-imports-net", ["simulator.trace -> simulator.net.clock"]),
        ("security-imports-net", ["simulator.security.spf.check -> simulator.net.dns"]),
        ("security-reads-the-clock", ["simulator.security.spf.check -> time",
                                      "security checks touch no sockets"]),
    ],
)
def test_lint_imports_fails_on_a_planted_import(tmp_path: Path, plant: str, broken: list[str]) -> None:
    out = run_lint(_planted_tree(tmp_path, plant))
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Contracts: " in out.stdout and " broken." in out.stdout and "0 broken." not in out.stdout
    for text in broken:
        assert text in out.stdout, out.stdout


def test_the_probe_fails_on_a_planted_import_of_a_face(tmp_path: Path) -> None:
    out, report = run_probe(_planted_tree(tmp_path, "mail-imports-tui"))
    assert out.returncode == 1
    assert "simulator.mail.store" in report["failed"]
    assert "is refused: nothing below the faces may import it" in report["failed"]["simulator.mail.store"]
    # Everything that imports the store fails with it; what does not, still imports.
    assert "simulator.agents.mailhost" in report["failed"]
    assert "simulator.trace" in report["imported"]


def test_protocol_machines_do_no_io() -> None:
    """At run time too: a standard-library module the machines import must not pull in IO
    (the contract sees only the machines' own import statements)."""
    code = (
        "import json, sys\n"
        "import simulator.protocols.smtp.server, simulator.protocols.smtp.client\n"
        "bad = ('socket', 'asyncio', 'ssl', 'selectors', 'pydantic', 'textual',\n"
        "       'simulator.scenario', 'simulator.net')\n"
        "print(json.dumps(sorted(m for m in bad if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(ROOT),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
