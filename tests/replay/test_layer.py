"""The replay package sits just above the trace: it imports simulator.trace and the stdlib only."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import simulator.replay


def test_replay_imports_only_the_trace_and_the_standard_library() -> None:
    modules = [f"simulator.replay.{m.name}" for m in pkgutil.iter_modules(simulator.replay.__path__)]
    assert "simulator.replay.diff" in modules
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        + "".join(f"import {m}\n" for m in modules)
        + "new = set(sys.modules) - before\n"
        "bad = sorted(m for m in new if m.startswith('simulator.') and m != 'simulator.trace'\n"
        "             and not m.startswith('simulator.replay'))\n"
        "bad += sorted({m.split('.')[0] for m in new} - set(sys.stdlib_module_names) - {'simulator'})\n"
        "print('OK' if not bad else ','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "OK"
