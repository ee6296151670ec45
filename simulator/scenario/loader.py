"""Loading scenario and lesson YAML with errors as ``file:line:column: message``.

The YAML is composed into nodes first, so every key and value keeps its
position; pydantic's error locations are then mapped back to those
positions. A teacher sees where the mistake is, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from simulator.scenario.models import Lesson, Scenario

M = TypeVar("M", bound=BaseModel)
Path_ = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ContentError:
    file: str
    line: int  # 1-based
    column: int  # 1-based
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ContentErrors(Exception):
    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class _Pos:
    key: tuple[int, int]  # where the key is (or the item, in a list)
    value: tuple[int, int]  # where the value starts


class Located:
    """A YAML document as Python data, plus the position of every path in it."""

    def __init__(self, file: str, data: Any, positions: dict[Path_, _Pos]) -> None:
        self.file = file
        self.data = data
        self.positions = positions

    def error(self, path: Path_, message: str, *, at_key: bool = False) -> ContentError:
        pos = self.positions.get(path)
        while pos is None and path:
            path = path[:-1]
            pos = self.positions.get(path)
        line, col = (pos.key if at_key else pos.value) if pos else (0, 0)
        return ContentError(self.file, line + 1, col + 1, message)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line, node.start_mark.column)


def parse_yaml(text: str, file: str) -> Located:
    """Parse YAML keeping positions; raises ContentErrors on syntax errors or duplicate keys."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ContentErrors([ContentError(file, line, col, f"YAML syntax: {problem}")]) from None
    if root is None:
        raise ContentErrors([ContentError(file, 1, 1, "the file is empty")])
    constructor = yaml.SafeLoader("")
    positions: dict[Path_, _Pos] = {(): _Pos(_mark(root), _mark(root))}
    errors: list[ContentError] = []

    def walk(node: yaml.Node, path: Path_) -> Any:
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = constructor.construct_object(key_node, deep=True)
                sub = (*path, key)
                if key in out:
                    line, col = _mark(key_node)
                    errors.append(ContentError(file, line + 1, col + 1, f"duplicate key {key!r}"))
                positions[sub] = _Pos(_mark(key_node), _mark(value_node))
                out[key] = walk(value_node, sub)
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for n, item in enumerate(node.value):
                positions[(*path, n)] = _Pos(_mark(item), _mark(item))
                items.append(walk(item, (*path, n)))
            return items
        try:
            return constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            line, col = _mark(node)
            errors.append(ContentError(file, line + 1, col + 1, f"YAML: {exc.problem}"))
            return None

    data = walk(root, ())
    if errors:
        raise ContentErrors(errors)
    return Located(file, data, positions)


def _path_in_document(doc: Located, loc: tuple[Any, ...]) -> Path_:
    """Map a pydantic error location onto a document path, skipping union tags."""
    path: Path_ = ()
    for part in loc:
        if (*path, part) in doc.positions:
            path = (*path, part)
    return path


def _describe(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def validation_errors(doc: Located, exc: ValidationError) -> list[ContentError]:
    out: list[ContentError] = []
    seen: set[tuple[int, int, str]] = set()
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = _path_in_document(doc, loc)
        kind = err["type"]
        if kind in ("extra_forbidden", "missing"):
            parent = path[:-1] if kind == "extra_forbidden" else path
            what = "unknown key" if kind == "extra_forbidden" else "missing required key"
            inside = f" in {_describe(parent)}" if parent else ""
            e = doc.error(path, f"{what} {loc[-1]!r}{inside}", at_key=True)
        else:
            msg = err["msg"].removeprefix("Value error, ")
            where = _describe(path)
            e = doc.error(path, f"{where}: {msg}" if where else msg)
        key = (e.line, e.column, e.message)
        if key not in seen:  # a union reports one mistake once per alternative
            seen.add(key)
            out.append(e)
    return out


def load_model(path: str | Path, model: type[M], text: str | None = None) -> tuple[M, Located]:
    file = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ContentErrors([ContentError(file, 1, 1, f"cannot read: {exc}")]) from None
    doc = parse_yaml(text, file)
    if not isinstance(doc.data, dict):
        raise ContentErrors([doc.error((), "the top level must be a mapping of keys to values")])
    try:
        return model.model_validate(doc.data), doc
    except ValidationError as exc:
        raise ContentErrors(validation_errors(doc, exc)) from None


def load_scenario(path: str | Path, text: str | None = None) -> Scenario:
    """Load and fully check a scenario: schema, then references to hosts and users."""
    from simulator.scenario.references import check_references

    scenario, doc = load_model(path, Scenario, text)
    errors = [doc.error(p, msg) for p, msg in check_references(scenario)]
    if errors:
        raise ContentErrors(errors)
    return scenario


def load_lesson(path: str | Path) -> tuple[Lesson, Scenario]:
    lesson, doc = load_model(path, Lesson)
    scenario_path = Path(path).parent / lesson.scenario
    if not scenario_path.is_file():
        raise ContentErrors([doc.error(("scenario",), f"scenario file not found: {scenario_path}")])
    return lesson, load_scenario(scenario_path)


def kind_of(path: str | Path) -> str:
    """"scenario", "lesson" or "" for a YAML file, by its top-level keys."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except Exception:
        return ""
    if isinstance(data, dict):
        if "steps" in data:
            return "scenario"
        if "scenario" in data:
            return "lesson"
    return ""


def validate_paths(paths: list[str | Path]) -> tuple[int, list[ContentError]]:
    """Validate files and folders of scenarios and lessons; returns (files checked, errors)."""
    files: list[Path] = []
    errors: list[ContentError] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(x for x in p.rglob("*") if x.suffix in (".yaml", ".yml"))
        elif p.is_file():
            files.append(p)
        else:
            errors.append(ContentError(str(p), 1, 1, "no such file or folder"))
    for f in files:
        kind = kind_of(f)
        try:
            if kind == "lesson":
                load_lesson(f)
            elif kind == "scenario" or f.parent.name == "scenarios":
                load_scenario(f)
            else:
                doc = parse_yaml(f.read_text(encoding="utf-8"), str(f))
                errors.append(doc.error((), "neither a scenario (it has no 'steps') nor a lesson (no 'scenario')"))
        except ContentErrors as exc:
            errors += exc.errors
    return len(files), errors
