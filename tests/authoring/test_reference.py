"""docs/authoring.md's generated blocks are what the code says now (the world builder, the models,
the runner's action table, the what-if catalogue, the templates), and the generator reads them all."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from simulator.agents.world import DEFAULT_SPEC
from simulator.authoring import reference
from simulator.scenario import models as m
from simulator.scenario.runner import ACTIONS
from simulator.scenario.whatif.catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "authoring.md"


def test_the_guide_is_what_the_code_generates() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    stale = [b.name for b in reference.blocks(text) if b.text != reference.render(b.name)]
    assert not stale, (f"docs/authoring.md is out of date in: {', '.join(stale)}; run  "
                       f"PYTHONPATH=$PWD python -m simulator.authoring.reference  and read the diff")


def test_every_section_is_in_the_guide_once() -> None:
    names = [b.name for b in reference.blocks(GUIDE.read_text(encoding="utf-8"))]
    assert sorted(names) == sorted(reference.SECTIONS)


def test_the_world_table_has_every_host_user_and_record_of_the_default_world() -> None:
    world = reference.render("world")
    for host in DEFAULT_SPEC.hosts:
        assert re.search(rf"^\| `{re.escape(host.name)}` \|.*\| {re.escape(', '.join(host.addresses))} \|", world, re.M)
    for user in DEFAULT_SPEC.users():
        assert f"| `{user.address}` | `{user.password}` |" in world
    for domain in DEFAULT_SPEC.domains:
        assert f"| `_dmarc.{domain.name}` | TXT |" in world or not domain.dmarc
        assert f"| `{domain.name}` | MX | `10 {domain.mail_host}` |" in world
        assert f"| `{domain.dkim_selector}._domainkey.{domain.name}` | TXT | `v=DKIM1; k=rsa; p=" in world
    from simulator.agents.world import build_world

    for host in build_world().net.hosts.values():  # what each server listens on, port by port
        row = next(line for line in world.splitlines() if line.startswith(f"| `{host.name}` |"))
        for port, service in host.services.items():
            assert f"{service.name} {port}" in row
        assert ("(TLS)" in row) == any(s.implicit_tls for s in host.services.values())
    assert "smtp 25" in world and "imap 143" in world  # the default world's servers do listen


def _models(root: type) -> set[type]:
    seen: set[type] = set()
    todo = [root, *([] if root is m.Lesson else reference._step_models())]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for info in model.model_fields.values():
            todo += list(reference._models_in(info.annotation))
    return seen


@pytest.mark.parametrize(("section", "root"), [("scenario", m.Scenario), ("lesson", m.Lesson)])
def test_every_key_of_every_model_has_a_row(section: str, root: type) -> None:
    text = reference.render(section)
    headings = re.split(r"^### ", text, flags=re.M)
    for model in _models(root):
        table = next((h for h in headings if h.startswith(f"`{reference._PATHS[model]}`")), None)
        assert table is not None, f"no table for {model.__name__}"
        for name, info in model.model_fields.items():
            if issubclass(model, m.StepBase) and model is not m.StepBase and name in m.StepBase.model_fields:
                continue  # the keys every step has are in the steps[] table
            assert f"\n| `{info.alias or name}` |" in table, f"{model.__name__}.{name}"


def test_keys_read_their_type_default_and_description_from_the_model() -> None:
    text = reference.render("scenario")
    port = m.ConnectStep.model_fields["port"]
    assert (f"| `port` | integer; ≥ 1, ≤ 65535 | **required** | {port.description} | `port: 587` |") in text
    assert "| `vrfy` | one of `verify`, `disabled`, `refused` | `verify` |" in text
    assert "| `sender` | mail address | **required** |" in text


def test_every_action_of_the_runner_is_described() -> None:
    text = reference.render("actions")
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()[2:]}
    described = {a.strip("`") for names in rows for a in names.split(", ")}
    assert described == set(ACTIONS)
    for line in rows.values():
        assert len(line.split(" | ")[1]) > 20  # a docstring of the step model says what it does


def test_every_fault_of_the_catalogue_and_every_stage_is_listed() -> None:
    from simulator.protocols import registry

    text = reference.render("faults")
    for spec in CATALOGUE:
        assert f"| `{spec.id}` | {spec.title} |" in text
    for protocol in registry.protocols():
        assert f"| `{protocol}` | " + ", ".join(f"`{s}`" for s in registry.fault_stages(protocol)) + " |" in text


def test_every_expectation_is_listed() -> None:
    first_table = reference.render("expectations").split("\n\n")[0]
    assert [line.split(" | ")[0].strip("|` ") for line in first_table.splitlines()[2:]] == list(m.Expect.model_fields)
    from simulator.protocols import registry

    text = reference.render("expectations")
    for name, table in registry.machine_tables().items():
        assert f"| `{name}` | " + ", ".join(f"`{s}`" for s in table.states) + " |" in text


def test_regenerating_rewrites_only_the_blocks(tmp_path: Path) -> None:
    copy = tmp_path / "authoring.md"
    shutil.copy(GUIDE, copy)
    text = copy.read_text(encoding="utf-8")
    stale = text.replace("| `alice@example.org` | `wonderland` |", "| `alice@example.org` | `hunter2` |")
    stale = stale.replace("Greylisting is a real anti-spam trick", "Greylisting is a handy trick")
    copy.write_text(stale, encoding="utf-8")
    assert reference.main(["--check", str(copy)]) == 1
    assert reference.main([str(copy)]) == 0
    new = copy.read_text(encoding="utf-8")
    assert "`wonderland`" in new and "`hunter2`" not in new  # the block came back from the code
    assert "Greylisting is a handy trick" in new  # the hand-written text was left alone
    assert reference.main(["--check", str(copy)]) == 0


def test_the_readme_links_the_guide() -> None:
    assert "(docs/authoring.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
