"""The JSON Schema for editors: enums from the registry and the models, shipped up to date,
and named by the first line of every bundled file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.protocols import registry
from simulator.scenario.loader import kind_of
from simulator.scenario.schema import KINDS, SCHEMA_FOLDER, build, modeline, schema_file

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "lessons").glob("*.yaml")) + sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_shipped_schema_is_what_mailsim_schema_prints(kind: str) -> None:
    shipped = ROOT / SCHEMA_FOLDER / schema_file(kind)
    assert json.loads(shipped.read_text(encoding="utf-8")) == build(kind), (
        f"{shipped} is out of date: run  python -m simulator.cli schema {kind} > {SCHEMA_FOLDER}/{schema_file(kind)}")


def test_every_bundled_file_names_its_schema_on_its_first_line() -> None:
    wrong = [f"{p.relative_to(ROOT)}: first line should be  {modeline(kind_of(p))}" for p in BUNDLED
             if p.read_text(encoding="utf-8").split("\n", 1)[0] != modeline(kind_of(p))]
    assert not wrong, "\n".join(wrong)
    # the line points at a file that exists, relative to the bundled file
    for p in BUNDLED:
        assert (p.parent / modeline(kind_of(p)).split("=", 1)[1]).is_file()


def _rule(schema: dict, definition: str, key: str, value: str) -> list[str]:
    """The enum an if/then rule of ``definition`` gives when ``key`` is ``value``."""
    for rule in schema["$defs"][definition]["allOf"]:
        when = rule["if"]
        options = when.get("anyOf", [when])
        if any(o.get("properties", {}).get(key, {}).get("const") == value for o in options):
            return next(iter(rule["then"]["properties"].values()))["enum"]
    raise AssertionError(f"no rule for {key} {value}")


def test_states_follow_the_machine_and_stages_the_protocol() -> None:
    schema = build("scenario")
    for machine, table in registry.machine_tables().items():
        assert _rule(schema, "ExpectState", "machine", machine) == sorted(table.states)
    for name in registry.protocols():
        assert _rule(schema, "FaultStep", "protocol", name) == list(registry.fault_stages(name))
    # no machine named: smtp.server's states; no protocol named: smtp's stages (the models' defaults)
    defaults = [r["then"] for r in schema["$defs"]["ExpectState"]["allOf"] if "anyOf" in r["if"]]
    assert defaults == [{"properties": {"state": {"enum": sorted(registry.machine_tables()["smtp.server"].states)}}}]


def test_closed_sets_are_enums() -> None:
    defs = build("scenario")["$defs"]
    assert defs["ExpectDelivery"]["properties"]["outcome"]["enum"] == ["delivered", "deferred", "failed"]
    assert defs["TlsModel"]["properties"]["version"]["enum"] == ["TLSv1.3", "TLSv1.2"]
    assert defs["ConnectStep"]["properties"]["action"]["const"] == "connect"
    from simulator.scenario.runner import ACTIONS

    mapping = build("scenario")["properties"]["steps"]["items"]["discriminator"]["mapping"]
    assert set(mapping) == set(ACTIONS)  # every action of the runner, and no other
    assert build("lesson")["properties"]["level"]["enum"] == ["beginner", "intermediate", "advanced"]
