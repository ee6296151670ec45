"""The JSON Schema of the scenario and lesson formats, for editors (``mailsim schema``).

pydantic writes the schema from the models; this adds what a model cannot say:
the states a state expectation may name depend on its machine, and the stages a
fault may replace depend on its protocol. Both are read from the protocol
registry, so the schema can never offer a state or stage the code lacks. The
shipped copies in ``schema/`` are this output (a test keeps them equal).
"""

from __future__ import annotations

from typing import Any

from simulator.protocols import registry
from simulator.scenario.models import Lesson, Scenario

DIALECT = "https://json-schema.org/draft/2020-12/schema"
KINDS = {"scenario": Scenario, "lesson": Lesson}
SCHEMA_FOLDER = "schema"  # in the repository, and beside lessons/ and scenarios/ in the wheel


def schema_file(kind: str) -> str:
    """The shipped schema's file name, e.g. ``scenario.schema.json``."""
    return f"{kind}.schema.json"


def modeline(kind: str) -> str:
    """The first line of a bundled file: where yaml-language-server (VS Code, Neovim, ...) finds its schema."""
    return f"# yaml-language-server: $schema=../{SCHEMA_FOLDER}/{schema_file(kind)}"


def _depends(key: str, default: str, choices: dict[str, list[str]], field: str) -> list[dict[str, Any]]:
    """``if key is X then field is one of choices[X]``, one rule per X (X = default when key is absent)."""
    rules: list[dict[str, Any]] = []
    for name, names in sorted(choices.items()):
        when: dict[str, Any] = {"properties": {key: {"const": name}}, "required": [key]}
        if name == default:
            when = {"anyOf": [when, {"not": {"required": [key]}}]}
        rules.append({"if": when, "then": {"properties": {field: {"enum": list(names)}}}})
    return rules


def build(kind: str) -> dict[str, Any]:
    """The JSON Schema of ``kind`` ("scenario" or "lesson")."""
    schema = KINDS[kind].model_json_schema(by_alias=True)
    schema["$schema"] = DIALECT
    schema["title"] = f"mailsim {kind}"
    schema["patternProperties"] = {"^x-": {"description": "ignored: a place for YAML anchors to merge with <<"}}
    defs = schema.get("$defs", {})
    if "ExpectState" in defs:
        states = {machine: sorted(table.states) for machine, table in registry.machine_tables().items()}
        default = defs["ExpectState"]["properties"]["machine"].get("default", "smtp.server")
        defs["ExpectState"]["allOf"] = _depends("machine", default, states, "state")
    if "FaultStep" in defs:
        stages = {name: list(registry.fault_stages(name)) for name in registry.protocols()}
        default = defs["FaultStep"]["properties"]["protocol"].get("default", "smtp")
        defs["FaultStep"]["allOf"] = _depends("protocol", default, stages, "stage")
    return schema
