"""The picker's rows for the bundled lessons and scenarios, kept between runs.

Listing the lessons means loading and checking every lesson and scenario file
(the step and question counts come from the scenario). Once that has passed
without an error, the rows are written to the user's cache folder
(platformdirs, or ``$MAILSIM_CACHE_DIR``), with what they were made from: the
SHA-256 of every file read (each lesson, its scenario, every scenario listed),
the names in both folders, and a stamp of the code that checked them (the
mailsim version, PyYAML's and pydantic's, and the size and modification time
of every module of the simulator package). The next start reads the files
again (a few kB each; hashing them costs a millisecond) and uses the rows only
when all of that is the same, so a file that changed in any byte, a file added
or removed, or other code is checked again in full. Content with errors is
never kept: its errors are found and shown at every start, as before.

Opening a lesson (``mailsim play``, the picker's Enter) always loads and checks
its files; this only spares the picker from doing it for every lesson at once.
A cache that cannot be read or written is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

ENV_CACHE_DIR = "MAILSIM_CACHE_DIR"
FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent.parent  # simulator/
_stamp: str | None = None


def cache_dir() -> Path:
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("mailsim", appauthor=False))


def code_stamp() -> str:
    """What the checks depend on besides the files: versions, and every module of the package."""
    global _stamp
    if _stamp is None:
        from importlib.metadata import PackageNotFoundError, version

        import pydantic
        import yaml

        try:
            mailsim = version("mailsim")
        except PackageNotFoundError:
            mailsim = "source"
        h = hashlib.sha256(f"{FORMAT}\0{mailsim}\0{pydantic.VERSION}\0{yaml.__version__}".encode())
        for module in sorted(_PACKAGE.rglob("*.py")):
            st = module.stat()
            h.update(f"\0{module.relative_to(_PACKAGE)}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        _stamp = h.hexdigest()
    return _stamp


def digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _listing(folders: tuple[Path, ...]) -> list[list[str]]:
    return [sorted(p.name for p in folder.glob("*.yaml")) if folder.is_dir() else [] for folder in folders]


def _file_for(folders: tuple[Path, ...]) -> Path:
    key = "\0".join(str(f.resolve()) for f in folders)
    return cache_dir() / f"picker-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def load(folders: tuple[Path, ...]) -> list[dict[str, Any]] | None:
    """The rows kept for ``folders`` (lessons, scenarios), or None when they are missing or stale."""
    try:
        stored = json.loads(_file_for(folders).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("format") != FORMAT or stored.get("code") != code_stamp():
        return None
    if stored.get("folders") != [str(f.resolve()) for f in folders] or stored.get("listing") != _listing(folders):
        return None
    files = stored.get("files")
    rows = stored.get("rows")
    if not isinstance(files, dict) or not files or not isinstance(rows, list):
        return None
    if any(digest(Path(path)) != sha for path, sha in files.items()):
        return None
    return rows


def digests(files: list[Path]) -> dict[str, str | None]:
    return {str(p.resolve()): digest(p) for p in files}


def save(folders: tuple[Path, ...], before: dict[str, str | None], files: list[Path],
         rows: list[dict[str, Any]]) -> None:
    """Keep ``rows``, made from ``files`` (every file that was read for them), for ``folders``.

    ``before``: the digests taken before the files were loaded; if one changed while they
    were being loaded, the rows may be of either version and nothing is kept.
    """
    now = digests(files)
    if not now or None in now.values() or any(before.get(path, sha) != sha for path, sha in now.items()):
        return
    stored = {"format": FORMAT, "code": code_stamp(), "folders": [str(f.resolve()) for f in folders],
              "listing": _listing(folders), "files": now, "rows": rows}
    target = _file_for(folders)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".picker-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(stored, f)
            os.replace(tmp, target)  # whole or not at all: visitors starting together read either
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass
