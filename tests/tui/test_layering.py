"""The TUI is a viewer: no widget drives or imports the protocol machines; the model has no Textual."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import simulator.tui

TUI = Path(simulator.tui.__file__).parent
FORBIDDEN = ("simulator.protocols.smtp.server", "simulator.protocols.smtp.client",
             "simulator.protocols.imap", "simulator.protocols.pop3", "simulator.net", "simulator.agents")
ALLOWED_PROTOCOL = ("simulator.protocols.machine",)  # state tables are data, drawn by the state pane


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


def test_the_lesson_model_does_not_import_textual() -> None:
    code = (
        "import sys\n"
        "import simulator.lesson.player, simulator.lesson.quiz, simulator.lesson.progress\n"
        "import simulator.lesson.sandbox, simulator.lesson.library, simulator.lesson.message_view\n"
        "import simulator.tui.launch\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == ""


def test_mailsim_run_does_not_load_textual() -> None:
    code = (
        "import sys, io, contextlib\n"
        "import simulator.cli as cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['run', 'smtp-basics', '-q'])\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1:] in ([], [""]), out.stdout
