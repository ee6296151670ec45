"""The TUI is a viewer: no widget drives or imports the protocol machines; the model has no Textual."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import simulator.tui

TUI = Path(simulator.tui.__file__).parent
FORBIDDEN = ("simulator.protocols.smtp.server", "simulator.protocols.smtp.client",
             "simulator.protocols.imap", "simulator.protocols.pop3", "simulator.net", "simulator.agents")
ALLOWED_PROTOCOL = ("simulator.protocols.machine", "simulator.protocols.registry")  # tables: data the state pane draws


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
            out += [f"{node.module}.{alias.name}" for alias in node.names]
    return out


def test_no_widget_module_imports_the_protocol_machines() -> None:
    widgets = sorted((TUI / "widgets").glob("*.py"))
    assert widgets
    for path in widgets:
        for name in _imports(path):
            if name.startswith("simulator.protocols"):
                assert name.startswith(ALLOWED_PROTOCOL), f"{path.name} imports {name}"
            assert not name.startswith(FORBIDDEN), f"{path.name} imports {name}"


def test_no_tui_module_imports_machines_or_the_network_directly() -> None:
    for path in sorted(TUI.rglob("*.py")):
        for name in _imports(path):
            assert not name.startswith(FORBIDDEN), f"{path.relative_to(TUI)} imports {name}"


def _loaded_textual(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; it must exit 0 and end by printing the JSON list
    of Textual/Rich modules loaded. A crash or a missing report fails the test."""
    code += (
        "\nimport json, sys\n"
        "print('LOADED ' + json.dumps(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('textual', 'rich'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    last = out.stdout.strip().splitlines()[-1:]
    assert last and last[0].startswith("LOADED "), out.stdout
    return json.loads(last[0].removeprefix("LOADED "))


def test_the_lesson_model_and_the_launcher_do_not_import_textual() -> None:
    # Everything below the faces is walked in tests/test_layers.py; the launcher is a face
    # module that the CLI imports for every command, so it must stay Textual-free too.
    assert _loaded_textual(
        "import simulator.lesson.player, simulator.lesson.quiz, simulator.lesson.progress\n"
        "import simulator.lesson.sandbox, simulator.lesson.library, simulator.lesson.message_view\n"
        "import simulator.tui.launch\n"
    ) == []


def test_mailsim_run_does_not_load_textual() -> None:
    assert _loaded_textual(
        "import io, contextlib\n"
        "import simulator.cli as cli\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    status = cli.main(['run', 'smtp-basics', '-q'])\n"
        "assert status == 0, (status, buf.getvalue())\n"
    ) == []


def test_the_textual_check_fails_when_textual_is_loaded() -> None:
    assert "textual.app" in _loaded_textual("import textual.app\n")
