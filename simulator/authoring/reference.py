"""The generated parts of docs/authoring.md: the default world, every key of the scenario and
lesson formats, the actions, expectations and faults, all read from the code that defines them.

    python -m simulator.authoring.reference            rewrite the generated blocks of docs/authoring.md
    python -m simulator.authoring.reference --check    exit 1 if they differ from what the code says

A block sits between ``<!-- BEGIN GENERATED name ... -->`` and ``<!-- END GENERATED name -->``;
the text around the blocks is written by hand and left as it is. tests/authoring/test_reference.py
fails when a block is out of date, so the guide cannot drift from the models, the world builder,
the runner's action table or the what-if catalogue.
"""

from __future__ import annotations

import argparse
import enum
import re
import sys
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from simulator import content
from simulator.agents.world import build_world
from simulator.protocols import registry
from simulator.scenario import models as m
from simulator.scenario.loader import ContentErrors, kind_of, load_scenario, parse_yaml, read_text
from simulator.scenario.runner import ACTIONS

REGENERATE = "python -m simulator.authoring.reference"
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "authoring.md"
TUTORIAL = GUIDE.parent / "tutorial"
TEMPLATES = Path(__file__).parent / "templates"
_BLOCK = re.compile(r"(<!-- BEGIN GENERATED (?P<name>[a-z-]+)[^>]*-->\n)(?P<body>.*?)(<!-- END GENERATED (?P=name) -->)",
                    re.DOTALL)
EXAMPLE_WIDTH = 60


# --- small text helpers ----------------------------------------------------------


def _cell(text: str) -> str:
    """Text for one Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(text: str) -> str:
    text = _cell(text)
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cut(text: str, width: int = EXAMPLE_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _plain(value: Any) -> Any:
    """Models, enums and dates as the plain data YAML writes."""
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="json", by_alias=True, exclude_unset=True))
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _flow(value: Any) -> str:
    """A value as a teacher writes it in YAML, on one line."""
    value = _plain(value)
    if isinstance(value, str) and "\n" in value.strip():
        value = value.strip().split("\n")[0] + " …"  # the first line of a block of narration
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False)
    text = text.strip()
    if text.endswith("\n..."):
        text = text[:-4].strip()
    return " ".join(text.split())


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def _doc(model: type) -> str:
    """A model's docstring as one paragraph ('' when it has none of its own)."""
    text = model.__dict__.get("__doc__") or ""
    return " ".join(text.split())


# --- types, defaults and constraints of a field ----------------------------------


_NAMED = {id(m.Address): "mail address", id(m.ReplyCode): "reply code (250, or a status word: "
          + ", ".join(m.STATUS_WORDS) + ")", id(m.Flag): "flag (\\Seen, \\Flagged, ... or a keyword)",
          id(m.MessageKey): "message number or Subject"}


def _model_name(model: type[BaseModel]) -> str:
    return _PATHS.get(model, model.__name__)


_VALIDATED = {m._address: "mail address", m.reply_code: _NAMED[id(m.ReplyCode)], m._flag: _NAMED[id(m.Flag)],
              m._message_key: _NAMED[id(m.MessageKey)]}


def field_type(info: FieldInfo) -> str:
    """The type of a field, named by its validator where one makes a plain str something more."""
    for item in info.metadata:
        func = getattr(item, "func", None)
        if func in _VALIDATED:
            return _VALIDATED[func]
    return type_text(info.annotation)


def type_text(annotation: Any) -> str:
    """A field's type in words: "text", "list of mail address", "one of `a`, `b`", "see `world.tls`"."""
    if id(annotation) in _NAMED:
        return _NAMED[id(annotation)]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_text(args[0])
    if origin is Literal:
        return "one of " + ", ".join(_code(str(a)) for a in args)
    if origin in (typing.Union, types.UnionType):
        parts = [a for a in args if a is not type(None)]
        if len(parts) > 2 and all(isinstance(a, type) and issubclass(a, m.StepBase) for a in parts):
            return "step (its action decides its keys: see below)"
        if len(parts) == 2 and typing.get_origin(parts[0]) is list and typing.get_args(parts[0])[0] is parts[1]:
            parts = [parts[1]]  # "X or a list of X" reads as X, list allowed
            return f"{type_text(parts[0])}, or a list of them"
        return " or ".join(dict.fromkeys(type_text(a) for a in parts))
    if origin is tuple:
        return "list of " + ", ".join(type_text(a) for a in args) if len(set(args)) > 1 else \
            f"list of {len(args)} {type_text(args[0])}"
    if origin is list:
        return f"list of {type_text(args[0])}"
    if origin is dict:
        return f"mapping of {type_text(args[0])} to {type_text(args[1])}"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return f"mapping: see `{_model_name(annotation)}`"
        if issubclass(annotation, enum.Enum):
            return "one of " + ", ".join(_code(e.value) for e in annotation)
        return {str: "text", int: "integer", float: "number", bool: "true or false",
                datetime: "date and time (ISO 8601)"}.get(annotation, annotation.__name__)
    return str(annotation)


def _constraints(info: FieldInfo) -> str:
    words = []
    for item in info.metadata:
        for attr, word in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            if getattr(item, attr, None) is not None:
                words.append(f"{word} {getattr(item, attr)}")
        if getattr(item, "min_length", None):
            words.append(f"at least {item.min_length}")
        if getattr(item, "max_length", None):
            words.append(f"at most {item.max_length}")
        if getattr(item, "pattern", None):
            words.append(f"matches {_code(item.pattern)}")
    return ", ".join(words)


def default_text(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "not set"
    if isinstance(value, BaseModel):
        return "its defaults"
    return _code(_flow(value))


# --- where each model appears, and examples from real files ----------------------


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def _step_models() -> list[type[m.StepBase]]:
    return list(_models_in(m.Step))


def _actions_of(model: type[m.StepBase]) -> tuple[str, ...]:
    return typing.get_args(model.model_fields["action"].annotation)


def _key(name: str, info: FieldInfo) -> str:
    return info.alias or name


def _paths() -> dict[type[BaseModel], str]:
    """Each model's place in a file, e.g. TlsModel -> world.tls (the first place, breadth first)."""
    paths: dict[type[BaseModel], str] = {m.Scenario: "scenario", m.Lesson: "lesson", m.StepBase: "steps[]",
                                         m.Expect: "steps[].expect", m.Ask: "steps[].ask"}
    for step in _step_models():
        paths[step] = f"steps[] with action: {' / '.join(_actions_of(step))}"
    queue: list[type[BaseModel]] = [m.Scenario, m.Lesson, m.StepBase, m.Expect, m.Ask, *_step_models()]
    while queue:
        model = queue.pop(0)
        base = paths[model] if model not in (m.Scenario, m.Lesson) else ""
        if model in _step_models():
            base = "steps[]"
        base = base.removesuffix("[]") if model in (m.Expect, m.Ask) else base
        for name, info in model.model_fields.items():
            for inner in _models_in(info.annotation):
                if inner not in paths:
                    many = typing.get_origin(info.annotation) is list or any(
                        typing.get_origin(a) is list for a in typing.get_args(info.annotation))
                    paths[inner] = f"{base + '.' if base else ''}{_key(name, info)}{'[]' if many else ''}"
                    queue.append(inner)
    return paths


_PATHS: dict[type[BaseModel], str] = {}


def _example_files() -> list[Path]:
    """Files whose values serve as examples: the tutorial and the templates first, then the bundled content."""
    own = sorted(TUTORIAL.glob("*.yaml")) + sorted(TEMPLATES.glob("*/*.yaml"))
    bundled = sorted(content.scenarios_dir().glob("*.yaml")) + sorted(content.lessons_dir().glob("*.yaml"))
    return own + bundled


def _walk(instance: BaseModel, seen: dict[tuple[type, str], Any]) -> None:
    for name in type(instance).model_fields:
        if name not in instance.model_fields_set:
            continue
        value = getattr(instance, name)
        seen.setdefault((type(instance), name), value)
        for item in value if isinstance(value, list | tuple) else value.values() if isinstance(value, dict) else [value]:
            if isinstance(item, BaseModel):
                _walk(item, seen)


def collect_examples() -> dict[tuple[type, str], Any]:
    seen: dict[tuple[type, str], Any] = {}
    for path in _example_files():
        try:
            if kind_of(path) == "lesson":
                data = parse_yaml(read_text(path), str(path)).data
                _walk(m.Lesson.model_validate(data), seen)
            elif kind_of(path) == "scenario":
                _walk(load_scenario(path), seen)
        except (ContentErrors, ValueError):
            continue  # a broken file is validate's business, not the guide's
    return seen


def _example(model: type[BaseModel], name: str, info: FieldInfo, examples: dict) -> str:
    key = _key(name, info)
    if (model, name) in examples:
        value = examples[(model, name)]
        if isinstance(value, list) and value and isinstance(value[0], BaseModel | dict):
            value = value[:1]
        return _code(_cut(f"{key}: {_flow(value)}"))
    annotation = info.annotation
    choices = typing.get_args(annotation) if typing.get_origin(annotation) is Literal else ()
    if choices:
        return _code(f"{key}: {choices[-1] if len(choices) > 1 else choices[0]}")
    if annotation is bool:
        return _code(f"{key}: {'false' if info.default else 'true'}")
    if not info.is_required() and info.default not in (None, "", [], {}) and not isinstance(info.default, BaseModel):
        return _code(_cut(f"{key}: {_flow(info.default)}"))
    return ""


# --- the sections ----------------------------------------------------------------


def world_section() -> list[str]:
    world = build_world()
    net, spec = world.net, world.spec
    out = ["Hosts (every address is from a documentation range, RFC 5737 and RFC 3849):", ""]
    rows = []
    for host in net.hosts.values():
        services = ", ".join(f"{s.name} {port}" + (" (TLS)" if s.implicit_tls else "")
                             for port, s in sorted(host.services.items()))
        rows.append([_code(host.name), _code(host.fqdn) if host.fqdn != host.name else "",
                     ", ".join(host.addresses), host.role, services or "none (a client)"])
    out += _table(["host", "DNS name", "address", "role", "listens on"], rows)
    out += ["", "Users (they log in with their full address):", ""]
    rows = [[_code(u.address), _code(u.password), u.name, _code(d.mail_host)]
            for d in spec.domains for u in d.users]
    out += _table(["user", "password", "name", "mailbox on"], rows)
    out += ["", "Domains:", ""]
    rows = []
    for d in spec.domains:
        mx = ", ".join(f"{p} {h}" for p, h in d.mx) or f"10 {net.host(d.mail_host).fqdn}"
        dkim = f"{d.dkim_selector}._domainkey ({d.dkim_algorithm}, {d.dkim_canonicalization})" if d.dkim_selector \
            else "does not sign"
        rows.append([_code(d.name), _code(d.mail_host), mx, dkim])
    out += _table(["domain", "mail host (submission, MX, mailboxes)", "MX", "DKIM signing"], rows)
    out += ["", "DNS records (long keys cut):", ""]
    rows = [[_code(r.name), r.rtype, _code(_cut(r.value, 70))] for r in net.dns.records]
    out += _table(["name", "type", "value"], rows)
    return out


def _key_table(model: type[BaseModel], examples: dict, skip: set[str] = frozenset()) -> list[str]:
    rows = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        kind = field_type(info)
        limits = _constraints(info)
        rows.append([_code(_key(name, info)), _cell(kind + (f"; {limits}" if limits else "")),
                     default_text(info), _cell(info.description or ""), _example(model, name, info, examples)])
    return _table(["key", "type", "default", "what it is", "example"], rows)


def _model_sections(roots: list[type[BaseModel]], examples: dict, level: str = "###") -> list[str]:
    out: list[str] = []
    done: set[type] = set()
    queue = list(roots)
    while queue:
        model = queue.pop(0)
        if model in done:
            continue
        done.add(model)
        out += ["", f"{level} `{_PATHS.get(model, model.__name__)}`", ""]
        if _doc(model):
            out += [_doc(model), ""]
        skip = set(m.StepBase.model_fields) if issubclass(model, m.StepBase) and model is not m.StepBase else set()
        out += _key_table(model, examples, skip)
        for name, info in model.model_fields.items():
            if name not in skip:
                queue += [inner for inner in _models_in(info.annotation) if inner not in done]
    return out[1:]


def scenario_section() -> list[str]:
    examples = collect_examples()
    out = ["A scenario file is a mapping with these keys; `world` and each step's keys follow.", ""]
    out += _model_sections([m.Scenario, m.StepBase], examples)
    out += ["", "Each action adds its own keys to those of every step:"]
    out += [""] + _model_sections(_step_models(), examples)
    return out


def lesson_section() -> list[str]:
    out = ["A lesson file names its scenario and adds what the picker and the player show around it."]
    return out + [""] + _model_sections([m.Lesson], collect_examples())


def actions_section() -> list[str]:
    by_action = {a: model for model in _step_models() for a in _actions_of(model)}
    rows = []
    for model in dict.fromkeys(by_action[action] for action in ACTIONS):  # the runner's order
        own = [f"`{_key(n, i)}`" for n, i in model.model_fields.items() if n not in m.StepBase.model_fields
               and n != "action"]
        names = ", ".join(_code(a) for a in _actions_of(model) if a in ACTIONS)
        rows.append([names, _cell(_doc(model)), ", ".join(own) or "none"])
    return _table(["action", "what it does on the wire", "its keys"], rows)


def expectations_section() -> list[str]:
    rows = []
    for name, info in m.Expect.model_fields.items():
        inner = list(_models_in(info.annotation))
        what = (_doc(inner[0]) if inner else "") or info.description or ""
        keys = ", ".join(f"`{_key(n, i)}`" for n, i in inner[0].model_fields.items()) if inner else ""
        rows.append([_code(name), _cell(type_text(info.annotation)), _cell(what), keys])
    out = _table(["expect key", "value", "what it checks", "its keys"], rows)
    out += ["", "The machines `state:` may name, and their states (each machine's table in the protocol "
            "registry; the States tab draws them):", ""]
    rows = [[_code(name), ", ".join(_code(state) for state in table.states)]
            for name, table in sorted(registry.machine_tables().items())]
    return out + _table(["machine", "states"], rows)


def faults_section() -> list[str]:
    from simulator.scenario.whatif.catalogue import CATALOGUE

    out = ["A `fault` step replaces a server's reply at one of these stages (the protocol's fault stages "
           "in the registry):", ""]
    rows = [[_code(name), ", ".join(_code(s) for s in registry.fault_stages(name))] for name in registry.protocols()]
    out += _table(["protocol", "stages"], rows)
    out += ["", "The what-if menu (`w` in `mailsim play`) offers these faults on a step where they bite; "
            "each is a change to a copy of the scenario, run beside the original:", ""]
    rows = [[_code(spec.id), _cell(spec.title), _cell(spec.wants),
             "yes" if spec.available else _cell(f"not yet: needs {spec.needs}")] for spec in CATALOGUE]
    out += _table(["fault", "what happens", "acts on", "offered"], rows)
    return out


def templates_section() -> list[str]:
    from simulator.authoring.scaffold import templates

    rows = []
    for t in templates():
        scenario = load_scenario(t.scenario)
        asks = sum(step.ask is not None for step in scenario.steps)
        rows.append([_code(t.name), _cell(t.title), _cell(scenario.summary), f"{len(scenario.steps)} steps, {asks} questions"])
    return _table(["template", "title", "what happens", "size"], rows)


SECTIONS: dict[str, Callable[[], list[str]]] = {
    "templates": templates_section,
    "world": world_section,
    "scenario": scenario_section,
    "lesson": lesson_section,
    "actions": actions_section,
    "expectations": expectations_section,
    "faults": faults_section,
}


@dataclass(frozen=True)
class Block:
    name: str
    text: str


def render(name: str) -> str:
    if not _PATHS:
        _PATHS.update(_paths())
    return "\n".join(SECTIONS[name]()) + "\n"


def update(text: str) -> str:
    """``text`` with every generated block replaced by what the code produces now."""
    unknown = [b.group("name") for b in _BLOCK.finditer(text) if b.group("name") not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown generated block(s): {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    return _BLOCK.sub(lambda b: b.group(1) + render(b.group("name")) + b.group(4), text)


def blocks(text: str) -> list[Block]:
    return [Block(b.group("name"), b.group("body")) for b in _BLOCK.finditer(text)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether the guide is up to date")
    parser.add_argument("file", nargs="?", default=str(GUIDE), help="the guide (default docs/authoring.md)")
    args = parser.parse_args(argv)
    path = Path(args.file)
    text = path.read_text(encoding="utf-8")
    new = update(text)
    if args.check:
        if new != text:
            stale = [b.name for b, n in zip(blocks(text), blocks(new), strict=True) if b.text != n.text]
            print(f"{path}: generated block(s) out of date: {', '.join(stale)}; run  {REGENERATE}", file=sys.stderr)
            return 1
        print(f"{path}: up to date")
        return 0
    if new != text:
        path.write_text(new, encoding="utf-8")
        print(f"{path}: regenerated")
    else:
        print(f"{path}: already up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
