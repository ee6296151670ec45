"""The faces read a trace only through simulator.replay: none of them tests an event's kind itself."""

from __future__ import annotations

import ast
from pathlib import Path

from simulator import trace

ROOT = Path(__file__).resolve().parents[2] / "simulator"
FACES = [ROOT / "cli.py", *sorted((ROOT / "export").rglob("*.py")), *sorted((ROOT / "lesson").rglob("*.py")),
         *sorted((ROOT / "tui").rglob("*.py"))]
EVENT_NAMES = {cls.__name__ for cls in trace.EVENT_TYPES.values()}
# A synthetic trace is written, not read: it builds events and never asks what they are.
WRITERS = {ROOT / "lesson" / "synthetic.py"}


def kind_tests(path: Path, root: Path = ROOT.parent) -> list[str]:
    """Every ``isinstance(x, SomeEvent)`` and ``type(x) is SomeEvent`` in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: set[str] = set()
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "isinstance" and len(node.args) == 2:
            names = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Compare) and any(isinstance(op, ast.Is | ast.Eq) for op in node.ops):
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        hit = names & EVENT_NAMES
        if hit:
            found.append(f"{path.relative_to(root)}:{node.lineno}: {', '.join(sorted(hit))}")
    return found


def test_no_face_interprets_an_event_kind_itself() -> None:
    assert FACES and len(EVENT_NAMES) > 10
    found = [hit for path in FACES if path not in WRITERS for hit in kind_tests(path)]
    assert found == [], "faces must read events through simulator.replay:\n" + "\n".join(found)


def test_the_check_finds_a_planted_kind_test(tmp_path: Path) -> None:
    planted = tmp_path / "face.py"
    planted.write_text("def f(e):\n    return isinstance(e, (BytesSent, int)) or type(e) is Note\n", encoding="utf-8")
    assert kind_tests(planted, tmp_path) == ["face.py:2: BytesSent", "face.py:2: Note"]
