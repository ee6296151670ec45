"""Loading scenario and lesson YAML with errors as ``file:line:column: message``.

The YAML is composed into nodes first, so every key and value keeps its
position; pydantic's error locations are then mapped back to those
positions. A teacher sees where the mistake is, never a traceback.

Where PyYAML was built with libyaml, libyaml scans and parses the text (five
times faster than PyYAML's own scanner, which was most of the time the lesson
picker took to appear); the nodes are composed from its events by the same
guarded composer, and every other check (tags, keys, duplicates, aliases,
the expansion budget) runs on those nodes exactly as on PyYAML's own. When
libyaml refuses the text, or composing its events goes past a limit, the text
is parsed again by PyYAML's pure-Python parser, whose error (with its place
and the hints that go with it) is the one reported: the two parsers word their
errors differently and stop at different depths. Where they are known to read
the same text differently (a tab, an empty value, a '?' in a flow value), PyYAML
parses it from the start. ``MAILSIM_YAML=python`` in
the environment turns libyaml off (to compare, or to rule it out).
"""

from __future__ import annotations

import errno
import os
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from simulator.scenario.hints import syntax_hint
from simulator.scenario.models import Lesson, Scenario

M = TypeVar("M", bound=BaseModel)
Path_ = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ContentError:
    file: str
    line: int  # 1-based; 0 when the error is about the whole path (missing, unreadable)
    column: int  # 1-based; 0 with line 0
    message: str

    def __str__(self) -> str:
        if self.line <= 0:
            return f"{self.file}: {self.message}"
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

    def __init__(self, file: str, data: Any, positions: dict[Path_, _Pos],
                 plain: dict[Path_, str] | None = None) -> None:
        self.file = file
        self.data = data
        self.positions = positions
        self.plain = plain or {}  # path -> the text of an unquoted scalar, as written (for hints)

    def error(self, path: Path_, message: str, *, at_key: bool = False) -> ContentError:
        pos = self.positions.get(path)
        while pos is None and path:
            path = path[:-1]
            pos = self.positions.get(path)
        line, col = (pos.key if at_key else pos.value) if pos else (0, 0)
        return ContentError(self.file, line + 1, col + 1, message)


EXTENSION_PREFIX = "x-"  # top-level keys the format ignores (for anchors)
MAX_FILE_BYTES = 2 * 1024 * 1024  # the bundled lessons are a few kB; a teacher's file is never this big
MAX_DEPTH = 100  # nesting of lists and mappings; a scenario needs fewer than ten
MAX_VALUES = 100_000  # values after expanding aliases: refuses an "alias bomb" (billion laughs)

_MERGE = "tag:yaml.org,2002:merge"
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap"}
# What YAML allows in a document (YAML 1.1, section 5.1): everything else, NUL and ESC
# included, is refused by the reader, which cannot say where.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL_NAMES = {0: "NUL", 0x1B: "ESC", 0x7F: "DEL", 0x08: "backspace", 0x0C: "form feed"}


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line, node.start_mark.column)


class _Limit(yaml.MarkedYAMLError):
    """A document past one of the limits above, with the place where it went past."""


class _DepthGuard:
    """A composer refusing nesting deeper than MAX_DEPTH (PyYAML's composer recurses per level)."""

    _depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Limit(problem=f"lists and mappings are nested more than {MAX_DEPTH} deep here",
                             problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1


class _ComposingLoader(_DepthGuard, yaml.SafeLoader):
    """SafeLoader: PyYAML's pure-Python reader, scanner and parser, and the guarded composer."""


try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml
    _CParser = None

LIBYAML = _CParser is not None and os.environ.get("MAILSIM_YAML", "").strip().lower() != "python"

if _CParser is not None:
    class _LibyamlComposingLoader(_DepthGuard, yaml.composer.Composer, _CParser,  # type: ignore[misc, valid-type]
                                  yaml.resolver.Resolver):
        """libyaml's scanner and parser, PyYAML's composer (with the guard) and resolver.

        The composer and resolver are the pure-Python ones, so the nodes, their tags and their
        marks are what _ComposingLoader makes of the same text; libyaml only makes the events.
        """

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.resolver.Resolver.__init__(self)


def _as_pyyaml_would(root: yaml.Node) -> bool:
    """Make libyaml's nodes what PyYAML's parser makes of the same text; False where that is unsure.

    libyaml marks a plain scalar with style '' where PyYAML says None. Where the two parsers
    are known to differ, the document is left to PyYAML: an empty value (``key:`` with nothing
    after it, ``{a: , b}``), which libyaml places at the next token in flow collections and
    PyYAML right after the colon; and a '?' inside a plain value in a flow collection
    (``{state: A?B}``), which libyaml reads as text and PyYAML refuses.
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, in_flow = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.style == "":
                if node.value == "" or (in_flow and "?" in node.value):
                    return False
                node.style = None
            continue
        in_flow = in_flow or bool(node.flow_style)
        if isinstance(node, yaml.SequenceNode):
            stack += ((item, in_flow) for item in node.value)
        else:
            for key, value in node.value:
                stack += ((key, in_flow), (value, in_flow))
    return True


def compose(text: str, *, libyaml: bool | None = None) -> yaml.Node | None:
    """The node graph of a one-document text (None when it has no document).

    With libyaml (the default where it is built in, see LIBYAML), any failure of the fast
    parse falls back to the pure-Python one, whose exception (the located one) is raised;
    so does a document whose nodes might be placed differently (see _as_pyyaml_would).
    """
    # Where a tab may stand, the parsers disagree (libyaml reads "t\to: x" as a key): PyYAML decides.
    if (LIBYAML if libyaml is None else (libyaml and _CParser is not None)) and "\t" not in text:
        fast = _LibyamlComposingLoader(text)
        try:
            root = fast.get_single_node()
        except Exception:  # noqa: BLE001 - any refusal: PyYAML says what and where, below
            pass
        else:
            if root is None or _as_pyyaml_would(root):
                return root
        finally:
            fast.dispose()
    loader = _ComposingLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of the character at ``index``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def decode(data: bytes, file: str) -> str:
    """The text of a YAML file, or ContentErrors saying why it is not a UTF-8 text file, and where."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ContentErrors([ContentError(file, 0, 0, "this is a PNG image, not a YAML text file")])
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                      (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if data.startswith(bom):
            raise ContentErrors([ContentError(
                file, 0, 0, f"the file is {name} (it starts with a byte-order mark); save it as UTF-8")])
    if data.count(b"\x00") > len(data) // 8:  # not text with a stray NUL: binary, or UTF-16/32 without a BOM
        raise ContentErrors([ContentError(
            file, 0, 0, "a binary file (full of NUL bytes), not text; if it is UTF-16, save it as UTF-8")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8")
        line, col = _position(good + "?", len(good))
        binary = b"\x00" in data[:4096]
        what = "a binary file, not text" if binary else "not UTF-8"
        raise ContentErrors([ContentError(
            file, line, col, f"{what}: byte 0x{data[exc.start]:02x} cannot start a UTF-8 character here; "
            "save the file as UTF-8 (Latin-1 and Windows code pages are not read)")]) from None
    return text.removeprefix("\ufeff")


def read_text(path: str | Path) -> str:
    """Read a content file: size-limited, decoded, checked for characters YAML refuses."""
    file = str(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise ContentErrors([ContentError(file, 0, 0, "is a directory, not a file")]) from None
    except OSError as exc:
        raise ContentErrors([ContentError(file, 0, 0, f"cannot read: {exc.strerror or exc}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ContentErrors([ContentError(
            file, 0, 0, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; "
            "scenario and lesson files are a few kB (split it, or check it is the file you meant)")])
    return decode(data, file)


def _kind(node: yaml.Node) -> str:
    return {"MappingNode": "a mapping", "SequenceNode": "a list"}.get(type(node).__name__, "a single value")


def _unknown_tag(tag: str) -> str:
    shown = "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag
    if shown.startswith("!!python/"):
        return f"{shown} is a Python tag: mailsim files are plain YAML and never build Python objects"
    return f"unknown tag {shown!r}: mailsim files are plain YAML, without tags"


def parse_yaml(text: str, file: str, *, libyaml: bool | None = None) -> Located:
    """Parse YAML keeping positions; raises ContentErrors on syntax errors, duplicate keys,
    tags, keys that are not text, and documents past the limits above.

    ``libyaml``: None for the default (LIBYAML), False for the pure-Python parser alone.
    """
    if len(text) > MAX_FILE_BYTES:
        raise ContentErrors([ContentError(file, 0, 0, f"the text is larger than {MAX_FILE_BYTES} characters")])
    if (bad := _NOT_PRINTABLE.search(text)) is not None:
        line, col = _position(text, bad.start())
        code = ord(bad.group())
        raise ContentErrors([ContentError(
            file, line, col,
            f"{_CONTROL_NAMES.get(code, 'a control character')} (U+{code:04X}) is not allowed in a YAML file; delete it")])
    try:
        root = compose(text, libyaml=libyaml)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if isinstance(exc, _Limit):
            raise ContentErrors([ContentError(file, line, col, problem)]) from None
        line, col, problem = syntax_hint(text, exc, line, col, problem)
        raise ContentErrors([ContentError(file, line, col, f"YAML syntax: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise ContentErrors([ContentError(file, 0, 0, f"YAML: {exc}")]) from None
    if root is None:
        raise ContentErrors([ContentError(file, 1, 1, "the file is empty")])
    constructor = yaml.SafeLoader("")
    positions: dict[Path_, _Pos] = {(): _Pos(_mark(root), _mark(root))}
    plain: dict[Path_, str] = {}
    errors: list[ContentError] = []
    budget = [MAX_VALUES]

    def error(node: yaml.Node, message: str) -> None:
        line, col = _mark(node)
        errors.append(ContentError(file, line + 1, col + 1, message))

    class _Stop(Exception):
        pass

    def scalar(node: yaml.Node) -> tuple[bool, Any]:
        try:
            return True, constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            problem = exc.problem or "cannot read this value"
            if "could not determine a constructor" in problem:
                problem = _unknown_tag(node.tag) + " (quote the value if the ! belongs to it)"
            error(node, problem)
        except ValueError as exc:  # 2026-02-30, an integer of thousands of digits, ...
            what = "date" if node.tag.endswith(":timestamp") else "number" if node.tag.endswith(
                (":int", ":float")) else "value"
            detail = str(exc).split(";")[0]
            if "digits" in detail or "limit" in detail:
                detail = f"{len(str(node.value))} digits, too many for a number"
            shown = node.value if len(node.value) <= 40 else node.value[:20] + "…"
            error(node, f"not a valid {what}: {shown!r} ({detail})")
        return False, None

    def key_of(key_node: yaml.Node) -> tuple[bool, Any]:
        if not isinstance(key_node, yaml.ScalarNode):
            error(key_node, f"a key must be plain text, not {_kind(key_node)}")
            return False, None
        ok, key = scalar(key_node)
        # A whole number may be a key: a message number (expect: {view: {flags: {1: [\\Seen]}}}).
        if ok and not isinstance(key, str) and type(key) is not int:
            error(key_node, f"a key must be text, not {type(key).__name__} {key!r}; quote it "
                  f"(write '{key_node.value}')")
            return False, None
        return ok, key

    def entries(node: yaml.MappingNode, active: tuple[int, ...]) -> list[tuple[yaml.Node, Any, yaml.Node]]:
        """The (key node, key, value node) pairs of a mapping, merge keys (<<) applied."""
        explicit: list[tuple[yaml.Node, Any, yaml.Node]] = []
        sources: list[yaml.MappingNode] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                if isinstance(value_node, yaml.MappingNode):
                    sources.append(value_node)
                elif isinstance(value_node, yaml.SequenceNode) and all(
                        isinstance(v, yaml.MappingNode) for v in value_node.value):
                    sources += value_node.value
                else:
                    error(value_node, "'<<' merges a mapping into this one: give it an alias of a "
                          f"mapping (<<: *defaults) or a list of them, not {_kind(value_node)}")
                continue
            ok, key = key_of(key_node)
            if not ok:
                continue
            if any(k == key for _, k, _ in explicit):
                error(key_node, f"duplicate key {key!r}")
            explicit.append((key_node, key, value_node))
        out = list(explicit)
        have = {k for _, k, _ in explicit}
        for source in sources:
            if id(source) in active:
                error(source, "recursive alias: this mapping merges itself")
                continue
            for item in entries(source, (*active, id(source))):
                if item[1] not in have:
                    have.add(item[1])
                    out.append(item)
        return out

    def walk(node: yaml.Node, path: Path_, active: tuple[int, ...]) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            error(node, f"this document expands to more than {MAX_VALUES} values (aliases that "
                  "repeat aliases?); mailsim refuses it")
            raise _Stop
        if id(node) in active:
            error(node, "recursive alias: this value contains itself")
            return None
        if len(active) >= MAX_DEPTH:
            error(node, f"lists and mappings are nested more than {MAX_DEPTH} deep here (aliases included)")
            return None
        inner = (*active, id(node))
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
            error(node, _unknown_tag(node.tag))
            return None
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, key, value_node in entries(node, inner):
                sub = (*path, key)
                positions.setdefault(sub, _Pos(_mark(key_node), _mark(value_node)))
                out[key] = walk(value_node, sub, inner)
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for n, item in enumerate(node.value):
                positions.setdefault((*path, n), _Pos(_mark(item), _mark(item)))
                items.append(walk(item, (*path, n), inner))
            return items
        if isinstance(node, yaml.ScalarNode) and node.style is None:
            plain.setdefault(path, node.value)
        return scalar(node)[1]

    try:
        data = walk(root, (), ())
    except _Stop:
        data = None
    if errors:
        raise ContentErrors(errors)
    return Located(file, data, positions, plain)


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


_CONTAINER_TYPES = ("list_type", "dict_type", "model_type", "model_attributes_type")


_PATTERN_WORDS = {
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$": "letters, digits, '_', '.' and '-', starting with a letter or digit (no spaces)",
    r"^[a-z0-9][a-z0-9-]*$": "lower-case letters, digits and '-', starting with a letter or digit (no spaces)",
}


def _python_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    return "empty (null)" if value is None else f"a single value ({value!r})" if len(repr(value)) < 40 else "a single value"


def _quoted_names(expected: str) -> list[str]:
    """The names in pydantic's "'a', 'b' or 'c'"."""
    return re.findall(r"'([^']*)'", expected)


def _step_actions() -> list[str]:
    """Every step action, in the order of the format's step union."""
    from simulator.scenario import models as m

    (union, *_) = typing.get_args(m.Step)
    return [name for model in typing.get_args(union)
            for name in typing.get_args(model.model_fields["action"].annotation)]


def _message(doc: Located, root: type[BaseModel] | None, err: Any, loc: tuple[Any, ...],
             path: Path_) -> tuple[Path_, str, bool]:
    """(path, message, at_key) for one pydantic error, worded for a teacher."""
    from simulator.scenario.hints import text_expected
    from simulator.scenario.suggest import nearest

    kind = err["type"]
    where = _describe(path)
    if kind in ("extra_forbidden", "missing", "invalid_key"):  # invalid_key: a number where names go
        parent = path if kind == "missing" else path[:-1]
        what = "missing required key" if kind == "missing" else "unknown key"
        inside = f" in {_describe(parent)}" if parent else ""
        message = f"{what} {loc[-1]!r}{inside}"
        if kind == "extra_forbidden" and isinstance(loc[-1], str):
            siblings = _fields_at(doc, root, path) if root is not None else []
            if (guess := nearest(loc[-1], siblings)) is not None:
                message += f": did you mean {guess!r}?"
        return path, message, True
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = _quoted_names(str(err.get("ctx", {}).get("expected_tags", "")))
        key = str(err.get("ctx", {}).get("discriminator", "action")).strip("'")
        if kind == "union_tag_not_found":  # pydantic names no tags here: the step models do
            tags = tags or (_step_actions() if key == "action" else [])
            return path, f"missing required key {key!r} in {where}; one of: {', '.join(tags)}", True
        tag = str(err.get("ctx", {}).get("tag", ""))
        guess = nearest(tag, tags)
        said = f": did you mean {guess!r}?" if guess else ""
        return (*path, key), f"{_describe((*path, key))}: unknown {key} {tag!r}{said} ({key}s: {', '.join(tags)})", False
    msg = err["msg"].removeprefix("Value error, ")
    if kind == "string_type" and (hint := text_expected(doc.plain.get(path), err.get("input"))):
        msg = hint
    elif kind == "literal_error" and isinstance(err.get("input"), str):
        names = _quoted_names(str(err.get("ctx", {}).get("expected", "")))
        if (guess := nearest(err["input"], names)) is not None:
            msg = f"{err['input']!r} is not one of {', '.join(names)}: did you mean {guess!r}?"
    elif kind == "string_pattern_mismatch" and (words := _PATTERN_WORDS.get(
            str(err.get("ctx", {}).get("pattern", "")))) is not None:
        msg = f"{err.get('input')!r} is not a valid id: {words}"
    elif kind in ("model_attributes_type", "dict_type", "model_type") and not isinstance(err.get("input"), dict):
        msg = f"a mapping (key: value lines) is expected here, not {_python_kind(err.get('input'))}"
    elif kind == "list_type" and not isinstance(err.get("input"), dict | list):
        one = doc.plain.get(path, "item")
        msg = f"a list is expected here, not a single value: write [{one}] (or one '- item' per line)"
    return path, f"{where}: {msg}" if where else msg, False


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation may hold (through Optional, list, dict values, unions, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _keys_of(model: type[BaseModel]) -> dict[str, Any]:
    """A model's keys as written in YAML (aliases) and their annotations."""
    return {(f.alias or name): f.annotation for name, f in model.model_fields.items()}


def _fields_at(doc: Located, root: type[BaseModel], path: Path_) -> list[str]:
    """The keys the mapping holding ``path``'s last key may have (steps chosen by their action)."""
    models: list[type[BaseModel]] = [root]
    data: Any = doc.data
    for part in path[:-1]:
        data = data.get(part) if isinstance(data, dict) else (
            data[part] if isinstance(data, list) and isinstance(part, int) and part < len(data) else None)
        if isinstance(part, int):
            continue
        models = [m for model in models for m in _models_in(_keys_of(model).get(part))]
        if isinstance(data, dict) and len(models) > 1 and "action" in data:
            models = [m for m in models if data["action"] in typing.get_args(
                _keys_of(m).get("action"))] or models
    return sorted({key for model in models for key in _keys_of(model)})


def validation_errors(doc: Located, exc: ValidationError,
                      model: type[BaseModel] | None = None) -> list[ContentError]:
    out: list[ContentError] = []
    seen: set[tuple[int, int, str]] = set()
    mapped = [(tuple(err["loc"]), _path_in_document(doc, tuple(err["loc"])), err) for err in exc.errors()]
    # "one item or a list of them": when the item was given and is wrong, not being a list
    # (or a mapping) is no news; the deeper error is the one that helps.
    said = {path for _, path, err in mapped if err["type"] != "list_type"}
    for loc, path, err in mapped:
        kind = err["type"]
        if kind == "list_type" and any(other[:len(path)] == path for other in said):
            continue
        if kind in _CONTAINER_TYPES and any(len(p) > len(path) and p[:len(path)] == path for _, p, _ in mapped):
            continue
        path, message, at_key = _message(doc, model, err, loc, path)
        e = doc.error(path, message, at_key=at_key)
        key = (e.line, e.column, e.message)
        if key not in seen:  # a union reports one mistake once per alternative
            seen.add(key)
            out.append(e)
    return out


def load_model(path: str | Path, model: type[M], text: str | None = None) -> tuple[M, Located]:
    file = str(path)
    if text is None:
        text = read_text(path)
    doc = parse_yaml(text, file)
    if not isinstance(doc.data, dict):
        raise ContentErrors([doc.error((), "the top level must be a mapping of keys to values")])
    # Top-level keys starting with "x-" are the author's own: a place for YAML anchors
    # (x-defaults: &conn {...}) that steps then merge with <<: *conn.
    data = {k: v for k, v in doc.data.items() if not (isinstance(k, str) and k.startswith(EXTENSION_PREFIX))}
    try:
        return model.model_validate(data), doc
    except ValidationError as exc:
        raise ContentErrors(validation_errors(doc, exc, model)) from None


def load_scenario(path: str | Path, text: str | None = None) -> Scenario:
    """Load and fully check a scenario: schema, then references to hosts and users."""
    from simulator.scenario.references import check_references

    scenario, doc = load_model(path, Scenario, text)
    errors = [doc.error(p, msg) for p, msg in check_references(scenario)]
    if errors:
        raise ContentErrors(sorted(errors, key=lambda e: (e.line, e.column)))
    return scenario


def load_lesson(path: str | Path) -> tuple[Lesson, Scenario]:
    lesson, doc = load_model(path, Lesson)
    scenario_path = Path(path).parent / lesson.scenario
    if not scenario_path.is_file():
        raise ContentErrors([doc.error(("scenario",), f"scenario file not found: {scenario_path}")])
    return lesson, load_scenario(scenario_path)


def kind_of(path: str | Path) -> str:
    """"scenario", "lesson" or "" for a YAML file, by its top-level keys ("" also when unreadable)."""
    try:
        data = parse_yaml(read_text(path), str(path)).data
    except ContentErrors:
        return ""
    if isinstance(data, dict):
        if "steps" in data:
            return "scenario"
        if "scenario" in data:
            return "lesson"
    return ""


def _is_yaml_name(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def _broken_link(path: Path) -> ContentError | None:
    """An error for a symbolic link that points nowhere or at itself, else None."""
    if not path.is_symlink() or path.exists():
        return None
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return ContentError(str(path), 0, 0, f"symbolic link loop (it points at {target})")
    return ContentError(str(path), 0, 0, f"dangling symbolic link: {target} does not exist")


def _files_in(folder: Path, errors: list[ContentError]) -> list[Path]:
    """The YAML files under ``folder``; paths that look like YAML but are not files become errors."""
    files: list[Path] = []
    for p in sorted(folder.rglob("*")):
        if not _is_yaml_name(p):
            continue
        if (broken := _broken_link(p)) is not None:
            errors.append(broken)
        elif p.is_dir():
            errors.append(ContentError(str(p), 0, 0, "is a folder whose name ends in .yaml; skipped"))
        elif p.is_file():
            files.append(p)
        else:
            errors.append(ContentError(str(p), 0, 0, "is not a regular file; skipped"))
    if not files and not errors:
        errors.append(ContentError(str(folder), 0, 0, "no scenario or lesson files here (no *.yaml or *.yml)"))
    return files


def validate_file(path: Path) -> list[ContentError]:
    """The errors of one scenario or lesson file (none when it is valid)."""
    kind = kind_of(path)
    try:
        if kind == "lesson":
            load_lesson(path)
        elif kind == "scenario" or path.parent.name == "scenarios":
            load_scenario(path)
        else:
            doc = parse_yaml(read_text(path), str(path))
            if isinstance(doc.data, dict):
                return [doc.error((), "neither a scenario (it has no 'steps') nor a lesson (no 'scenario')")]
            return [doc.error((), "the top level must be a mapping of keys to values")]
    except ContentErrors as exc:
        return list(exc.errors)
    return []


def validate_paths(paths: list[str | Path]) -> tuple[int, list[ContentError]]:
    """Validate files and folders of scenarios and lessons; returns (files checked, errors).

    Every path gets its own errors and the walk goes on: one bad file never hides the others.
    """
    files: list[Path] = []
    errors: list[ContentError] = []
    for p in map(Path, paths):
        if (broken := _broken_link(p)) is not None:
            errors.append(broken)
        elif p.is_dir():
            files += _files_in(p, errors)
        elif p.is_file():
            files.append(p)
        else:
            errors.append(ContentError(str(p), 0, 0, "no such file or folder"))
    seen = {str(e) for e in errors}
    for f in files:
        for e in validate_file(f):
            if str(e) not in seen:  # a lesson's scenario in the same folder is checked once
                seen.add(str(e))
                errors.append(e)
    return len(files), errors
