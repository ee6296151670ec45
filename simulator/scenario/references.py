"""Checks that a scenario only names hosts, users, connections, machines and states that exist.

These are the checks a schema cannot make. Each problem carries the document
path of the mistake, so the loader reports it as ``file:line:column``. The
per-action checks (``check_connect`` ...) are listed in the runner's action
table beside each action's handler and default title.
"""

from __future__ import annotations

from typing import Any

from simulator.protocols import registry
from simulator.scenario import models as m
from simulator.scenario.world import world_spec

DocPath = tuple[Any, ...]


def machine_tables() -> dict[str, Any]:
    """Every registered state table by machine name (e.g. ``smtp.server``), from the protocol registry."""
    return registry.machine_tables()


def _names(names: Any) -> str:
    return ", ".join(sorted(names))


class References:
    """What a scenario's world holds, and the problems found so far, as the steps are walked."""

    def __init__(self, scenario: m.Scenario) -> None:
        self.spec = world_spec(scenario.world)
        self.host_names = {h.name for h in self.spec.hosts} | {h.fqdn for h in self.spec.hosts if h.fqdn}
        self.mail_hosts = {d.mail_host for d in self.spec.domains}
        self.users = {u.address for u in self.spec.users()}
        self.domains = {d.name for d in self.spec.domains}
        self.open_conns: set[str] = set()  # connections open at this point of the script
        self.opened: set[str] = set()  # every connection a connect step opened so far
        self.problems: list[tuple[DocPath, str]] = []

    def problem(self, path: DocPath, message: str) -> None:
        self.problems.append((path, message))

    def need_host(self, path: DocPath, name: str) -> None:
        if name not in self.host_names:
            self.problem(path, f"unknown host {name!r}; known: {_names(h.name for h in self.spec.hosts)}")

    def need_mail_host(self, path: DocPath, name: str) -> None:
        if name not in self.host_names:
            self.need_host(path, name)
        elif name not in self.mail_hosts and not any(
                h.fqdn == name and h.name in self.mail_hosts for h in self.spec.hosts):
            self.problem(path, f"{name!r} is not a mail host; mail hosts: {_names(self.mail_hosts)}")

    def need_user(self, path: DocPath, address: str) -> None:
        if address.lower() not in self.users and not address.lower().startswith("postmaster@"):
            self.problem(path, f"unknown user {address!r}; known: {_names(self.users)}")

    def need_open_conn(self, at: DocPath, step: Any) -> None:
        if step.conn not in self.open_conns:
            self.problem((*at, "conn") if "conn" in step.model_fields_set else at,
                         f"no connection {step.conn!r} is open here; add a connect step before")


# --- per action (listed in runner.ACTIONS) ----------------------------------------------


def check_connect(refs: References, at: DocPath, step: m.ConnectStep) -> None:
    refs.need_host((*at, "from"), step.from_)
    refs.need_host((*at, "to"), step.to)
    refs.open_conns.add(step.conn)
    refs.opened.add(step.conn)


def check_send(refs: References, at: DocPath, step: m.SendStep) -> None:
    refs.need_open_conn(at, step)


def check_close(refs: References, at: DocPath, step: m.CloseStep) -> None:
    refs.need_open_conn(at, step)
    refs.open_conns.discard(step.conn)


def check_send_message(refs: References, at: DocPath, step: m.SendMessageStep) -> None:
    refs.need_host((*at, "from"), step.from_)
    if step.server is not None:
        refs.need_host((*at, "server"), step.server)
    elif step.sender.rpartition("@")[2].lower() not in refs.domains:
        refs.problem((*at, "sender"), "the sender's domain has no provider in this world; name a server")


def check_run_queue(refs: References, at: DocPath, step: m.RunQueueStep) -> None:
    if step.host is not None:
        refs.need_mail_host((*at, "host"), step.host)


def check_fault(refs: References, at: DocPath, step: m.FaultStep) -> None:
    refs.need_mail_host((*at, "host"), step.host)
    if step.protocol not in registry.protocols():
        refs.problem((*at, "protocol"),
                     f"unknown protocol {step.protocol!r}; protocols: {_names(registry.protocols())}")
    elif step.stage not in (stages := registry.fault_stages(step.protocol)):
        refs.problem((*at, "stage"), f"{step.protocol} has no fault stage {step.stage!r}; "
                     f"its stages: {', '.join(stages)}")


def check_host(refs: References, at: DocPath, step: m.HostDownStep) -> None:
    refs.need_host((*at, "host"), step.host)


def check_nothing(refs: References, at: DocPath, step: m.StepBase) -> None:
    """Actions that name nothing in the world (check, note, advance_clock)."""


# --- whole scenario ---------------------------------------------------------------------


def _check_world(refs: References, scenario: m.Scenario) -> None:
    owners: dict[str, list[str]] = {}
    for h in refs.spec.hosts:
        for address in h.addresses:
            owners.setdefault(address, []).append(h.name)
    reported: set[str] = set()
    for n, h in enumerate(scenario.world.hosts):
        for k, address in enumerate(h.addresses):
            others = [o for o in owners.get(address, []) if o != h.name]
            if others and address not in reported:
                reported.add(address)
                refs.problem(("world", "hosts", n, "addresses", k),
                             f"address {address} is also {others[0]}'s; each host needs its own addresses")
    for n, d in enumerate(scenario.world.domains):
        refs.need_host(("world", "domains", n, "mail_host"), d.mail_host)
    for host in scenario.world.tls.certificates:
        refs.need_mail_host(("world", "tls", "certificates", host), host)
    for n, host in enumerate(scenario.world.without_8bitmime):
        refs.need_mail_host(("world", "without_8bitmime", n), host)
    for n, u in enumerate(scenario.world.users):
        if u.address.rpartition("@")[2].lower() not in refs.domains:
            refs.problem(("world", "users", n, "address"),
                         f"no domain {u.address.rpartition('@')[2]!r} in the world for this user")


def _each(value: Any, path: DocPath) -> list[tuple[DocPath, Any]]:
    """(path, item) for an expectation given as one item or a list of them."""
    if value is None:
        return []
    if isinstance(value, list):
        return [((*path, n), item) for n, item in enumerate(value)]
    return [(path, value)]


def _check_expect(refs: References, at: DocPath, ex: m.Expect) -> None:
    p = (*at, "expect")
    for path, item in _each(ex.mailbox, (*p, "mailbox")):
        refs.need_user((*path, "user"), item.user)
    for path, item in _each(ex.queue, (*p, "queue")):
        refs.need_mail_host((*path, "host"), item.host)
    if ex.state is not None:
        sp = (*p, "state")
        tables = machine_tables()
        table = tables.get(ex.state.machine)
        if table is None:
            refs.problem((*sp, "machine"), f"unknown machine {ex.state.machine!r}; machines: {_names(tables)}")
        elif ex.state.state not in table.states:
            refs.problem((*sp, "state"), f"{ex.state.machine} has no state {ex.state.state!r}; "
                         f"its states: {_names(table.states)}")
        if ex.state.conn not in refs.opened:
            where = (*sp, "conn") if "conn" in ex.state.model_fields_set else sp
            refs.problem(where, f"no connection {ex.state.conn!r} was opened by a connect step before "
                         "this expectation, so its state cannot be checked")


def check_references(scenario: m.Scenario) -> list[tuple[DocPath, str]]:
    """Return (document path, message) for every dangling reference."""
    from simulator.scenario.runner import ACTIONS  # the runner's table lists each action's check

    refs = References(scenario)
    _check_world(refs, scenario)
    first_at: dict[str, int] = {}
    for i, step in enumerate(scenario.steps):
        at = ("steps", i)
        if step.id in first_at:
            refs.problem((*at, "id"), f"step id {step.id!r} is used twice (first by step {first_at[step.id] + 1})")
        first_at.setdefault(step.id, i)
        ACTIONS[step.action].check(refs, at, step)
        if step.expect is not None:
            _check_expect(refs, at, step.expect)
    return refs.problems
