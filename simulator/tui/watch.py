"""``mailsim play FILE --watch``: which files changed since the last look, and where to stand after a reload.

Plain Python, polled from a Textual timer (no extra dependency): a file's
modification time and size are compared with those of the last look, so a
save is seen however the editor writes it (in place, or a new file renamed over
the old one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

POLL_SECONDS = 0.4


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:  # deleted, or mid-rename: a change, and the load will say what is wrong
        return None
    return st.st_mtime_ns, st.st_size


class Watched:
    """The files a reload depends on (a lesson and the scenario it names) and their last stamps."""

    def __init__(self, files: Iterable[Path] = ()) -> None:
        self._stamps: dict[Path, tuple[int, int] | None] = {}
        self.watch(files)

    @property
    def files(self) -> list[Path]:
        return list(self._stamps)

    def watch(self, files: Iterable[Path]) -> None:
        """Watch ``files`` (replacing the last set) as they are now."""
        self._stamps = {Path(f).resolve(): _stamp(Path(f)) for f in files}

    def add(self, files: Iterable[Path]) -> None:
        for f in files:
            path = Path(f).resolve()
            self._stamps.setdefault(path, _stamp(path))

    def changed(self) -> list[Path]:
        """The files that changed since the last call (or since watched), now taken as seen."""
        out = []
        for path, old in self._stamps.items():
            new = _stamp(path)
            if new != old:
                self._stamps[path] = new
                out.append(path)
        return out


def keep_step(old_ids: Sequence[str], index: int, new_ids: Sequence[str]) -> int:
    """Where to stand in the reloaded steps ``new_ids``: the step that was shown (``old_ids[index]``),
    by its id, if it is still there, else the nearest earlier step that is; else the start."""
    where = {step_id: n for n, step_id in enumerate(new_ids)}
    for i in range(min(index, len(old_ids) - 1), -1, -1):
        if old_ids[i] in where:
            return where[old_ids[i]]
    return 0
