"""Import every module of ``simulator`` below the faces with Textual and Rich refused.

Run as a script in a fresh interpreter (tests/test_layers.py does)::

    python tests/layering_probe.py cli tui export serve

The arguments are the faces: the top-level modules of ``simulator`` that may use Textual.
Every other module, found on disk, is imported with a meta-path finder in front that
refuses ``textual``, ``textual_serve`` and ``rich``. The last line of stdout is a JSON
report ``{"root", "imported", "failed"}``; the exit status is 0 only when every module
imported, 1 when one failed, 2 on bad usage.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

REFUSED = ("textual", "textual_serve", "rich")


class RefuseTextual(importlib.abc.MetaPathFinder):
    """Fails any import of the refused packages, wherever it comes from."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".")[0] in REFUSED:
            raise ImportError(f"{fullname!r} is refused: nothing below the faces may import it")
        return None


def modules_below_the_faces(package_dir: Path, faces: set[str]) -> list[str]:
    """Every module under ``package_dir`` (the ``simulator`` package) but the faces."""
    names = []
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir).with_suffix("").parts
        if parts[0] in faces:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(("simulator", *parts)))
    return names


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: layering_probe.py FACE...", file=sys.stderr)
        return 2
    sys.meta_path.insert(0, RefuseTextual())
    spec = importlib.util.find_spec("simulator")
    if spec is None or spec.origin is None:
        print("simulator is not importable", file=sys.stderr)
        return 2
    root = Path(spec.origin).parent
    imported: list[str] = []
    failed: dict[str, str] = {}
    for name in modules_below_the_faces(root, set(argv)):
        try:
            importlib.import_module(name)
        except BaseException as exc:  # noqa: BLE001 - any failure is the report's subject
            failed[name] = "".join(traceback.format_exception_only(exc)).strip()
        else:
            imported.append(name)
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in REFUSED)
    for name in loaded:  # only possible if something removed the finder
        failed[name] = "loaded although refused"
    print(json.dumps({"root": str(root), "imported": imported, "failed": failed}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
