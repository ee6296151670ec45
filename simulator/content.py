"""Where the scenarios and lessons are: the bundled ones (inside the wheel, or the source
tree) and a teacher's own folders (``mailsim --lessons DIR``, or ``MAILSIM_LESSONS``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

_PACKAGE = Path(__file__).parent
ENV_FOLDERS = "MAILSIM_LESSONS"  # folders of a class machine, separated by os.pathsep (":" or ";")
_added: list[Path] = []
_ID_LINE = re.compile(r"^id:[ \t]*['\"]?([A-Za-z0-9][A-Za-z0-9_.-]*)['\"]?[ \t]*(?:#.*)?$", re.MULTILINE)


def content_dir(kind: str) -> Path:
    """``kind`` is "scenarios" or "lessons"."""
    installed = _PACKAGE / "content" / kind
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / kind


def scenarios_dir() -> Path:
    return content_dir("scenarios")


def lessons_dir() -> Path:
    return content_dir("lessons")


def add_folders(folders: list[str | Path]) -> None:
    """Add a teacher's folders of lessons and scenarios (``--lessons DIR``) for this process."""
    for folder in folders:
        path = Path(folder).expanduser().resolve()
        if path not in _added and not is_bundled(path):
            _added.append(path)


def teacher_folders() -> list[Path]:
    """The teacher's folders: ``--lessons`` ones first, then ``MAILSIM_LESSONS``'s, each once."""
    out: list[Path] = list(_added)
    for part in os.environ.get(ENV_FOLDERS, "").split(os.pathsep):
        if part.strip():
            path = Path(part.strip()).expanduser().resolve()
            if path not in out and not is_bundled(path):
                out.append(path)
    return out


def is_bundled(folder: Path) -> bool:
    """Whether ``folder`` is (inside) the bundled lessons or scenarios."""
    folder = folder.resolve()
    return any(folder == d.resolve() or d.resolve() in folder.parents for d in (lessons_dir(), scenarios_dir()))


def yaml_files(folder: Path) -> list[Path]:
    """The YAML files in a teacher's folder and its subfolders, in name order."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".yaml", ".yml") and p.is_file())


def _declared(path: Path) -> tuple[str, bool]:
    """The ``id:`` a file declares at its top level, and whether it is a lesson (has ``scenario:``)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(65536)
    except OSError:
        return "", False
    match = _ID_LINE.search(head)
    return (match.group(1) if match else ""), re.search(r"^scenario:", head, re.MULTILINE) is not None


def resolve(name: str) -> Path:
    """A path as given, or the name of a lesson or scenario: a bundled one, or one in a
    teacher's folder (by file name, or by the ``id:`` the file declares)."""
    path = Path(name)
    if path.exists():
        return path
    for folder in (lessons_dir(), scenarios_dir()):
        for candidate in (folder / name, folder / f"{name}.yaml"):
            if candidate.is_file():
                return candidate
    folders = teacher_folders()
    for folder in folders:
        for candidate in (folder / name, folder / f"{name}.yaml", folder / f"{name}.yml"):
            if candidate.is_file():
                return candidate
    for folder in folders:
        declared = [(p, *_declared(p)) for p in (yaml_files(folder) if folder.is_dir() else [])]
        # a lesson before the scenario it plays, when both declare the same id
        for candidate, _, _ in sorted((d for d in declared if d[1] == name), key=lambda d: not d[2]):
            return candidate
    return path


def known_names() -> list[str]:
    """The names ``resolve`` finds: bundled lessons and scenarios, and those in teachers' folders."""
    folders = [lessons_dir(), scenarios_dir(), *(f for f in teacher_folders() if f.is_dir())]
    return sorted({p.name.removesuffix(".yaml").removesuffix(".yml") for f in folders for p in yaml_files(f)})
