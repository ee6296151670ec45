"""What a teacher most likely meant, for the YAML traps that give a cryptic message.

The YAML reader says *what* it could not read ("mapping values are not allowed
here"); these hints say *why*, in the words of the mistakes people make: a
tab, a missing space after a colon, a colon inside a value, indentation that
does not line up, an unclosed quote, and a bare word or number that YAML reads
as something other than text (``NO`` is false in YAML 1.1, ``250`` a number).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

# "key:value" at the start of a line (or after "- "): a key with no space after its colon.
_NO_SPACE = re.compile(r"^(\s*(?:-\s+)?)([A-Za-z_][\w.-]*):([^\s:/][^#]*?)\s*$")
_KEY_THEN_VALUE = re.compile(r"^\s*(?:-\s+)?[^\s:#'\"][^:#]*:\s")
# "-key: value": a list item with no space after its dash.
_DASH_NO_SPACE = re.compile(r"^(\s*)-([A-Za-z_][^:]*:.*)$")
LOOK_BACK = 5  # lines above a syntax error searched for the line that caused it


def _no_space_after_colon(lines: list[str], last: int) -> tuple[int, int, str] | None:
    """The nearest line at or above ``last`` (0-based) written ``key:value``, as (line, column, hint)."""
    for n in range(min(last, len(lines) - 1), max(-1, last - LOOK_BACK - 1), -1):
        match = _NO_SPACE.match(lines[n])
        if match is not None:
            indent, key, value = match.groups()
            column = len(indent) + len(key) + 1  # 0-based column of the colon
            return n + 1, column + 1, (f"a space is needed after the colon in '{key}:{value}' "
                                       f"(write '{key}: {value}'); without it YAML reads one word")
    return None


def _dash_without_space(lines: list[str], last: int) -> tuple[int, str, str] | None:
    """(line, indent, item) of a '-key: value' list item at ``last`` (0-based) or on the line above it,
    where the reader stumbles on the next key."""
    for n in (last, last - 1):
        if 0 <= n < len(lines) and (match := _DASH_NO_SPACE.match(lines[n])) is not None:
            return n + 1, match.group(1), match.group(2)
    return None


def syntax_hint(text: str, exc: yaml.MarkedYAMLError, line: int, col: int,
                problem: str) -> tuple[int, int, str]:
    """(line, column, message) for a YAML syntax error: the reader's position and words,
    or the place and words of the mistake that most likely caused it."""
    lines = text.split("\n")
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    if "'\\t'" in problem or "tab" in problem.lower():
        tab = here.find("\t")
        return line, (tab + 1 if tab >= 0 else col), (
            "a tab character: YAML indents with spaces only; replace the tab with spaces")
    if exc.context and "quoted scalar" in exc.context and exc.context_mark is not None:
        mark = exc.context_mark
        return mark.line + 1, mark.column + 1, (
            "the quoted text that starts here is never closed: add the closing quote")
    if "could not find expected ':'" in problem or problem.startswith("expected <block end>"):
        found = _no_space_after_colon(lines, line - 1)
        if found is not None:
            return found
    found = _dash_without_space(lines, line - 1)
    if found is not None and (problem == "mapping values are not allowed here"
                              or problem.startswith("expected <block end>")):
        at, indent, item = found
        return at, len(indent) + 1, (f"a space is needed after the '-' that starts a list item "
                                       f"(write '- {item.rstrip()}'); without it YAML reads "
                                       f"'-{item.split(':')[0]}' as a key")
    if problem == "mapping values are not allowed here":
        before = here[: col - 1]
        if _KEY_THEN_VALUE.match(before):
            key = before.split(":")[0].strip().removeprefix("- ").strip()
            return line, col, (f"the value of '{key}' holds ': ', which YAML reads as a new key; "
                               f"quote the whole value ({key}: \"{before.split(':', 1)[1].strip()}"
                               f"{here[col - 1:].rstrip()}\")")
        return line, col, ("this line is indented further than the key above it; keys of one "
                           "mapping start in the same column")
    if problem.startswith("expected <block end>"):
        return line, col, ("the indentation here does not line up with the lines above; keys of "
                           "one mapping start in the same column, list items (- ) too")
    return line, col, problem


_READ_AS = {bool: "a yes/no value (true or false)", int: "a number", float: "a number"}


def text_expected(raw: str | None, value: Any) -> str | None:
    """The hint for a bare value where text was expected (``choices: [250, 550]``, ``subject: NO``)."""
    if raw is None:
        return None
    if value is None:
        return ("this is empty (YAML reads it as null), but text is expected here; "
                "write the text, or \"\" for empty text")
    what = _READ_AS.get(type(value))
    if what is None:
        return None
    return f"YAML reads {raw} as {what}, but text is expected here: quote it (\"{raw}\")"
