"""Where the bundled scenarios and lessons are: inside the wheel, or the source tree."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).parent


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


def resolve(name: str) -> Path:
    """A path as given, or the name of a bundled lesson or scenario."""
    path = Path(name)
    if path.exists():
        return path
    for folder in (lessons_dir(), scenarios_dir()):
        for candidate in (folder / name, folder / f"{name}.yaml"):
            if candidate.is_file():
                return candidate
    return path
