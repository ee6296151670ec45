"""``mailsim new NAME [--from TEMPLATE]``: a scenario and its lesson, ready to run, from a template.

A template is a folder under ``templates/`` holding ``scenario.yaml`` and ``lesson.yaml``,
each valid and runnable as it is (tests run them). The copies are named after NAME:
``NAME.yaml`` (the lesson, what a teacher opens) and ``NAME.scenario.yaml``; both get the
id NAME. Beside them goes ``schema/`` with the JSON Schemas, so that the first line of each
file (``# yaml-language-server: $schema=schema/...``) works in an editor wherever the folder
is, with no path into the installed package.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from simulator import content
from simulator.scenario.schema import SCHEMA_FOLDER, build, schema_file
from simulator.scenario.suggest import nearest

TEMPLATES_DIR = Path(__file__).parent / "templates"
# The templates in the order `mailsim new --list` shows them.
TEMPLATES = ("blank", "smtp-send", "pop3-vs-imap", "tls", "spoofing")
DEFAULT_TEMPLATE = "blank"
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")  # the id pattern of Scenario and Lesson (models.py)
_TOP_LEVEL = {key: re.compile(rf"^{key}:[ \t]*(.*?)[ \t]*$", re.MULTILINE) for key in ("id", "scenario", "title")}


class ScaffoldError(Exception):
    """Why nothing was written (a bad name, an unknown template, a file in the way)."""


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    folder: Path

    @property
    def scenario(self) -> Path:
        return self.folder / "scenario.yaml"

    @property
    def lesson(self) -> Path:
        return self.folder / "lesson.yaml"


@dataclass(frozen=True)
class Created:
    lesson: Path
    scenario: Path
    schemas: tuple[Path, ...]
    template: Template


def modeline(kind: str) -> str:
    """The first line of a created file: its schema in ``schema/`` beside it."""
    return f"# yaml-language-server: $schema={SCHEMA_FOLDER}/{schema_file(kind)}"


def templates() -> list[Template]:
    out = []
    for name in TEMPLATES:
        folder = TEMPLATES_DIR / name
        found = _TOP_LEVEL["title"].search((folder / "lesson.yaml").read_text(encoding="utf-8"))
        out.append(Template(name, found.group(1).strip("\"'") if found else name, folder))
    return out


def template(name: str) -> Template:
    for t in templates():
        if t.name == name:
            return t
    guess = nearest(name, list(TEMPLATES))
    said = f" (did you mean {guess!r}?)" if guess else ""
    raise ScaffoldError(f"no template {name!r}{said}; the templates are: {', '.join(TEMPLATES)} "
                        "(mailsim new --list describes them)")


def check_name(name: str) -> None:
    """NAME becomes the id of both files and their file names: say plainly what is wrong with it."""
    if name.lower().endswith((".yaml", ".yml")):
        raise ScaffoldError(f"give the name without .yaml: mailsim new {Path(name).stem} makes "
                            f"{Path(name).stem}.yaml and {Path(name).stem}.scenario.yaml")
    if not NAME_PATTERN.fullmatch(name):
        hint = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        suggestion = f"; for example {hint!r}" if hint and NAME_PATTERN.fullmatch(hint) else ""
        raise ScaffoldError(f"{name!r} cannot be a lesson's name: it becomes the lesson's id and file "
                            f"name, so use lowercase letters, digits and hyphens, starting with a letter "
                            f"or digit{suggestion}")
    bundled = {p.stem for folder in (content.lessons_dir(), content.scenarios_dir()) for p in folder.glob("*.yaml")}
    if name in bundled:
        raise ScaffoldError(f"{name!r} is the id of a bundled lesson or scenario; the picker would refuse a "
                            f"second one. Choose a name of your own, e.g. {name}-2 or my-{name}")


def _substitute(text: str, key: str, value: str, source: Path) -> str:
    new, count = _TOP_LEVEL[key].subn(f"{key}: {value}", text, count=1)
    if count != 1:  # a template without the key: a broken template, caught by the tests
        raise ScaffoldError(f"template file {source} has no top-level {key}: line")
    return new


def _with_modeline(text: str, kind: str) -> str:
    first, _, rest = text.partition("\n")
    return f"{modeline(kind)}\n{rest}" if first.startswith("# yaml-language-server:") else f"{modeline(kind)}\n{text}"


def _schema_in_the_way(path: Path, kind: str) -> bool:
    """An existing file at a schema's place that is not a mailsim schema (which we may refresh)."""
    if not path.exists():
        return False
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("title") != f"mailsim {kind}"
    except (OSError, ValueError, AttributeError):
        return True


def create(name: str, template_name: str = DEFAULT_TEMPLATE, folder: Path | str = ".") -> Created:
    """Write NAME.yaml, NAME.scenario.yaml and schema/ into ``folder``; nothing if any check fails."""
    check_name(name)
    chosen = template(template_name)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ScaffoldError(f"{folder} is a file, not a folder")
    lesson_path, scenario_path = folder / f"{name}.yaml", folder / f"{name}.scenario.yaml"
    schemas = {kind: folder / SCHEMA_FOLDER / schema_file(kind) for kind in ("scenario", "lesson")}
    taken = [p for p in (lesson_path, scenario_path) if p.exists() or p.is_symlink()]
    taken += [p for kind, p in schemas.items() if _schema_in_the_way(p, kind)]
    if taken:
        raise ScaffoldError(f"{' and '.join(str(p) for p in taken)} already exist{'s' if len(taken) == 1 else ''}; "
                            "mailsim new never overwrites a file: choose another name or --dir")
    scenario_text = _substitute(_with_modeline(chosen.scenario.read_text(encoding="utf-8"), "scenario"),
                                "id", name, chosen.scenario)
    lesson_text = _with_modeline(chosen.lesson.read_text(encoding="utf-8"), "lesson")
    lesson_text = _substitute(_substitute(lesson_text, "id", name, chosen.lesson),
                              "scenario", scenario_path.name, chosen.lesson)
    (folder / SCHEMA_FOLDER).mkdir(parents=True, exist_ok=True)
    for kind in ("scenario", "lesson"):
        schemas[kind].write_text(json.dumps(build(kind), indent=2) + "\n", encoding="utf-8")
    # "x": exclusive creation, so a file that appeared meanwhile is never overwritten either
    with open(scenario_path, "x", encoding="utf-8", newline="\n") as f:
        f.write(scenario_text)
    with open(lesson_path, "x", encoding="utf-8", newline="\n") as f:
        f.write(lesson_text)
    return Created(lesson_path, scenario_path, (schemas["scenario"], schemas["lesson"]), chosen)
