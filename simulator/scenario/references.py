"""Checks that a scenario only names hosts, users and connections that exist."""

from __future__ import annotations

from typing import Any

from simulator.scenario import models as m
from simulator.scenario.world import world_spec


def check_references(scenario: m.Scenario) -> list[tuple[tuple[Any, ...], str]]:
    """Return (document path, message) for every dangling reference."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    spec = world_spec(scenario.world)
    host_names = {h.name for h in spec.hosts} | {h.fqdn for h in spec.hosts if h.fqdn}
    mail_hosts = {d.mail_host for d in spec.domains}
    users = {u.address for u in spec.users()}
    domains = {d.name for d in spec.domains}

    def need_host(path: tuple[Any, ...], name: str) -> None:
        if name not in host_names:
            problems.append((path, f"unknown host {name!r}; known: {', '.join(sorted(h.name for h in spec.hosts))}"))

    def need_mail_host(path: tuple[Any, ...], name: str) -> None:
        if name not in host_names:
            need_host(path, name)
        elif name not in mail_hosts and not any(h.fqdn == name and h.name in mail_hosts for h in spec.hosts):
            problems.append((path, f"{name!r} is not a mail host; mail hosts: {', '.join(sorted(mail_hosts))}"))

    def need_user(path: tuple[Any, ...], address: str) -> None:
        if address.lower() not in users and not address.lower().startswith("postmaster@"):
            problems.append((path, f"unknown user {address!r}; known: {', '.join(sorted(users))}"))

    for n, d in enumerate(scenario.world.domains):
        need_host(("world", "domains", n, "mail_host"), d.mail_host)
    for n, u in enumerate(scenario.world.users):
        if u.address.rpartition("@")[2].lower() not in domains:
            problems.append((("world", "users", n, "address"),
                             f"no domain {u.address.rpartition('@')[2]!r} in the world for this user"))
    open_conns: set[str] = set()
    for i, step in enumerate(scenario.steps):
        at = ("steps", i)
        if isinstance(step, m.ConnectStep):
            need_host((*at, "from"), step.from_)
            need_host((*at, "to"), step.to)
            open_conns.add(step.conn)
        elif isinstance(step, m.SendStep | m.CloseStep):
            if step.conn not in open_conns:
                problems.append(((*at, "conn") if "conn" in step.model_fields_set else at,
                                 f"no connection {step.conn!r} is open here; add a connect step before"))
            if isinstance(step, m.CloseStep):
                open_conns.discard(step.conn)
        elif isinstance(step, m.SendMessageStep):
            need_host((*at, "from"), step.from_)
            if step.server is not None:
                need_host((*at, "server"), step.server)
            elif step.sender.rpartition("@")[2].lower() not in domains:
                problems.append(((*at, "sender"), "the sender's domain has no provider in this world; name a server"))
        elif isinstance(step, m.RunQueueStep) and step.host is not None:
            need_mail_host((*at, "host"), step.host)
        elif isinstance(step, m.FaultStep):
            need_mail_host((*at, "host"), step.host)
        elif isinstance(step, m.HostDownStep):
            need_host((*at, "host"), step.host)
        if step.expect is not None:
            ex = step.expect
            for key, items in (("mailbox", ex.mailbox), ("queue", ex.queue)):
                if items is None:
                    continue
                seq = items if isinstance(items, list) else [items]
                for n, item in enumerate(seq):
                    p = (*at, "expect", key, n) if isinstance(items, list) else (*at, "expect", key)
                    if isinstance(item, m.ExpectMailbox):
                        need_user((*p, "user"), item.user)
                    else:
                        need_mail_host((*p, "host"), item.host)
    return problems
