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
from simulator.scenario.suggest import nearest, unknown
from simulator.scenario.world import device_user, world_spec

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
        self.sessions: dict[str, str] = {}  # client-machine sessions open here: name -> "imap" / "pop3"
        self.opened: set[str] = set()  # every connection a connect step opened so far
        self.ports: dict[str, int] = {}  # connection -> the port its last connect step named
        self.problems: list[tuple[DocPath, str]] = []

    def problem(self, path: DocPath, message: str) -> None:
        self.problems.append((path, message))

    def need_host(self, path: DocPath, name: str) -> None:
        if name not in self.host_names:
            guess = nearest(name, self.host_names)
            self.problem(path, f"unknown host {name!r}: did you mean {guess!r}?" if guess else
                         f"unknown host {name!r}; known: {_names(h.name for h in self.spec.hosts)}")

    def need_mail_host(self, path: DocPath, name: str) -> None:
        if name not in self.host_names:
            self.need_host(path, name)
        elif name not in self.mail_hosts and not any(
                h.fqdn == name and h.name in self.mail_hosts for h in self.spec.hosts):
            self.problem(path, f"{name!r} is not a mail host; mail hosts: {_names(self.mail_hosts)}")

    def need_user(self, path: DocPath, address: str) -> None:
        if address.lower() not in self.users and not address.lower().startswith("postmaster@"):
            self.problem(path, unknown("user", address, self.users))

    def need_open_conn(self, at: DocPath, step: Any) -> None:
        if step.conn in self.sessions:
            self.problem((*at, "conn"), f"{step.conn!r} is a device's {self.sessions[step.conn].upper()} "
                         "session; drive it with read, flag, move, delete, idle, sync, logout or drop")
        elif step.conn not in self.open_conns:
            self.problem((*at, "conn") if "conn" in step.model_fields_set else at,
                         f"no connection {step.conn!r} is open here; add a connect step before")


# --- per action (listed in runner.ACTIONS) ----------------------------------------------


def check_connect(refs: References, at: DocPath, step: m.ConnectStep) -> None:
    refs.sessions.pop(step.conn, None)
    refs.need_host((*at, "from"), step.from_)
    refs.need_host((*at, "to"), step.to)
    refs.open_conns.add(step.conn)
    refs.opened.add(step.conn)
    refs.ports[step.conn] = step.port


def check_send(refs: References, at: DocPath, step: m.SendStep) -> None:
    refs.need_open_conn(at, step)


def check_close(refs: References, at: DocPath, step: m.CloseStep) -> None:
    refs.need_open_conn(at, step)
    refs.open_conns.discard(step.conn)


def _check_login(refs: References, at: DocPath, step: m.CheckMailStep | m.OpenMailboxStep) -> None:
    refs.need_host((*at, "from"), step.from_)
    if step.user is None:
        if device_user(refs.spec, step.from_) is None:
            refs.problem((*at, "from"), f"no user is named after the device {step.from_!r} (as bob-phone is "
                         "after bob@example.net); name the user")
        user = None
    else:
        refs.need_user((*at, "user"), step.user)
        user = step.user.lower()
    if step.server is not None:
        refs.need_mail_host((*at, "server"), step.server)
    elif user is not None and user.rpartition("@")[2] not in refs.domains:
        refs.problem((*at, "user"), "the user's domain has no mail host in this world; name a server")
    refs.sessions.pop(step.name, None)
    refs.open_conns.discard(step.name)
    refs.opened.add(step.name)


def check_check_mail(refs: References, at: DocPath, step: m.CheckMailStep) -> None:
    _check_login(refs, at, step)
    if not step.quit:
        refs.sessions[step.name] = "pop3"


def check_open_mailbox(refs: References, at: DocPath, step: m.OpenMailboxStep) -> None:
    _check_login(refs, at, step)
    refs.sessions[step.name] = "imap"


def _need_session(refs: References, at: DocPath, step: Any, kinds: tuple[str, ...]) -> None:
    kind = refs.sessions.get(step.conn)
    if kind in kinds:
        return
    if kind is not None:
        refs.problem((*at, "conn"), f"{step.conn!r} is a POP3 session; {step.action} needs an IMAP one "
                     "(open_mailbox)")
    elif step.conn in refs.open_conns:
        refs.problem((*at, "conn"), f"{step.conn!r} was opened by a connect step (raw lines); {step.action} "
                     "needs a device's session: open it with open_mailbox")
    else:
        opener = "open_mailbox" if kinds == ("imap",) else "open_mailbox or check_mail with quit: false"
        refs.problem((*at, "conn"), f"no session {step.conn!r} is open here; add an {opener} step before")


def check_imap_session(refs: References, at: DocPath, step: Any) -> None:
    _need_session(refs, at, step, ("imap",))


def check_logout(refs: References, at: DocPath, step: m.SessionStep) -> None:
    _need_session(refs, at, step, ("imap", "pop3"))
    refs.sessions.pop(step.conn, None)


def check_drop(refs: References, at: DocPath, step: m.SessionStep) -> None:
    if step.conn in refs.open_conns:
        refs.open_conns.discard(step.conn)
        return
    _need_session(refs, at, step, ("imap", "pop3"))
    refs.sessions.pop(step.conn, None)


def check_send_message(refs: References, at: DocPath, step: m.SendMessageStep) -> None:
    refs.need_host((*at, "from"), step.from_)
    if step.server is not None:
        refs.need_host((*at, "server"), step.server)
    elif (domain := step.sender.rpartition("@")[2].lower()) not in refs.domains:
        guess = nearest(domain, refs.domains)
        refs.problem((*at, "sender"), f"the sender's domain {domain!r} has no provider in this world"
                     + (f": did you mean {guess!r}?" if guess else "; name a server"))
    login = step.auth if step.auth is not None else bool(refs.spec.submission_auth)
    if login is not False:
        given = login if isinstance(login, m.AuthModel) else m.AuthModel()
        user = given.user or step.sender
        if given.password is None and refs.spec.credentials(user) is None:
            refs.problem((*at, "auth"), f"no password for {user!r}: the world has no such user; "
                                        "give auth.password or add the user")


def check_run_queue(refs: References, at: DocPath, step: m.RunQueueStep) -> None:
    if step.host is not None:
        refs.need_mail_host((*at, "host"), step.host)


def check_fault(refs: References, at: DocPath, step: m.FaultStep) -> None:
    refs.need_mail_host((*at, "host"), step.host)
    if step.protocol not in registry.protocols():
        refs.problem((*at, "protocol"), unknown("protocol", step.protocol, registry.protocols(),
                                                listed="protocols"))
    elif step.stage not in (stages := registry.fault_stages(step.protocol)):
        guess = nearest(step.stage, stages)
        owners = [p for p in registry.protocols() if step.stage in registry.fault_stages(p)]
        if owners and not guess:  # a stage of another protocol: the fault could never meet it
            said = "" if "protocol" in step.model_fields_set else " (the default)"
            refs.problem((*at, "stage"), f"{step.protocol}{said} has no fault stage {step.stage!r}: it is "
                         f"{owners[0]}'s; add protocol: {owners[0]}")
        else:
            refs.problem((*at, "stage"), f"{step.protocol} has no fault stage {step.stage!r}"
                         + (f": did you mean {guess!r}?" if guess else f"; its stages: {', '.join(stages)}"))
    _no_reply_here(refs, at, step, "a fault step only arms the fault")


def check_change_body(refs: References, at: DocPath, step: m.ChangeBodyStep) -> None:
    refs.need_mail_host((*at, "host"), step.host)
    _no_reply_here(refs, at, step, "a change_body step only arms the change")


def check_certificate(refs: References, at: DocPath, step: m.CertificateStep) -> None:
    refs.need_mail_host((*at, "host"), step.host)
    _no_reply_here(refs, at, step, "a certificate step only changes the host's certificate")


def _no_reply_here(refs: References, at: DocPath, step: m.StepBase, why: str) -> None:
    """A reply expectation on a step that sends nothing can never be met."""
    ex = step.expect
    for key in ("reply", "replies"):
        if ex is not None and getattr(ex, key) is not None:
            refs.problem((*at, "expect", key), f"{why} and sends nothing, so no reply can be checked "
                         "here; put this expectation on the step that meets it")


def check_host(refs: References, at: DocPath, step: m.HostDownStep) -> None:
    refs.need_host((*at, "host"), step.host)
    _no_reply_here(refs, at, step, f"a {step.action} step only changes the host")


def _check_mitm_hosts(refs: References, at: DocPath, model: m.MitmModel | m.MitmStep) -> None:
    refs.need_host((*at, "host"), model.host)
    refs.need_host((*at, "between", 0), model.between[0])
    refs.need_host((*at, "between", 1), model.between[1])


def check_mitm(refs: References, at: DocPath, step: m.MitmStep) -> None:
    _check_mitm_hosts(refs, at, step)
    _no_reply_here(refs, at, step, "a mitm step only puts the attacker on the link")


def check_dns(refs: References, at: DocPath, step: m.DnsStep) -> None:
    _no_reply_here(refs, at, step, "a dns step only changes the world's DNS records")


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
        for k, mx in enumerate(d.mx):
            # An MX may name a host outside the world on purpose (mail to it is deferred);
            # one a letter away from a host of the world is a typing mistake.
            if mx.host.rstrip(".") not in refs.host_names and (guess := nearest(mx.host, refs.host_names)):
                refs.problem(("world", "domains", n, "mx", k, "host"),
                             f"unknown host {mx.host!r}: did you mean {guess!r}?")
    named: dict[str, int] = {}
    for n, k in enumerate(scenario.world.dkim):
        name = k.domain.lower().rstrip(".")
        if name not in refs.domains:
            refs.problem(("world", "dkim", n, "domain"), unknown("domain", k.domain, refs.domains))
        elif name in named:
            refs.problem(("world", "dkim", n, "domain"),
                         f"{k.domain} already has DKIM settings (world.dkim entry {named[name] + 1})")
        named.setdefault(name, n)
    _check_dns_removals(refs, scenario)
    for host in scenario.world.tls.certificates:
        refs.need_mail_host(("world", "tls", "certificates", host), host)
    for n, host in enumerate(scenario.world.tls.vulnerable_starttls):
        refs.need_mail_host(("world", "tls", "vulnerable_starttls", n), host)
    if scenario.world.mitm is not None:
        _check_mitm_hosts(refs, ("world", "mitm"), scenario.world.mitm)
    if scenario.world.eavesdropper is not None:
        refs.need_host(("world", "eavesdropper", "host"), scenario.world.eavesdropper.host)
        for n, end in enumerate(scenario.world.eavesdropper.link):
            refs.need_host(("world", "eavesdropper", "link", n), end)
    for n, host in enumerate(scenario.world.without_8bitmime):
        refs.need_mail_host(("world", "without_8bitmime", n), host)
    for n, policy in enumerate(scenario.world.mta_sts):
        if policy.domain.lower() not in refs.domains:
            refs.problem(("world", "mta_sts", n, "domain"), unknown("domain", policy.domain, refs.domains))
    for n, u in enumerate(scenario.world.users):
        domain = u.address.rpartition("@")[2].lower()
        if domain not in refs.domains:
            guess = nearest(domain, refs.domains)
            refs.problem(("world", "users", n, "address"),
                         f"no domain {domain!r} in the world for this user"
                         + (f": did you mean {guess!r}?" if guess else f"; domains: {_names(refs.domains)}"))


def _dns_names(refs: References) -> set[str]:
    """The names the world's DNS holds records for before ``remove_dns`` applies."""
    spec = refs.spec
    names = {(h.fqdn or h.name).lower() for h in spec.hosts}
    names |= {d.name for d in spec.domains} | {f"_dmarc.{d.name}" for d in spec.domains if d.dmarc}
    names |= {f"_mta-sts.{p.domain.lower()}" for p in spec.mta_sts}  # RFC 8461 3.1, published by the world
    return names | {name.lower().rstrip(".") for name, _, _ in spec.dns}


def _check_dns_removals(refs: References, scenario: m.Scenario) -> None:
    names = _dns_names(refs)
    for n, r in enumerate(scenario.world.remove_dns):
        if r.name.lower().rstrip(".") not in names:
            guess = nearest(r.name.lower(), names)
            refs.problem(("world", "remove_dns", n, "name"),
                         f"no DNS name {r.name!r} in the world, so nothing to remove"
                         + (f": did you mean {guess!r}?" if guess else ""))


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
    for path, item in _each(ex.view, (*p, "view")):
        if item.conn not in refs.opened:
            refs.problem((*path, "conn"), f"no connection {item.conn!r} was opened before this expectation "
                         "(open_mailbox, or connect to an IMAP port)")
        elif refs.sessions.get(item.conn) == "pop3":
            refs.problem((*path, "conn"), f"{item.conn!r} is a POP3 session: POP3 has no view of a mailbox "
                         "to check; expect downloaded instead")
    if ex.state is not None:
        sp = (*p, "state")
        tables = machine_tables()
        table = tables.get(ex.state.machine)
        if table is None:
            refs.problem((*sp, "machine"), unknown("machine", ex.state.machine, tables, listed="machines"))
        elif (clash := _protocol_clash(refs, ex.state)) is not None:
            refs.problem((*sp, "machine"), clash)
        elif ex.state.state not in table.states:
            guess = nearest(ex.state.state, table.states)
            refs.problem((*sp, "state"), f"{ex.state.machine} has no state {ex.state.state!r}"
                         + (f": did you mean {guess!r}?" if guess else f"; its states: {_names(table.states)}"))
        if ex.state.conn not in refs.opened:
            where = (*sp, "conn") if "conn" in ex.state.model_fields_set else sp
            refs.problem(where, f"no connection {ex.state.conn!r} was opened by a connect step before "
                         "this expectation, so its state cannot be checked")


def _protocol_clash(refs: References, state: m.ExpectState) -> str | None:
    """Why ``state.machine`` cannot be read on its connection (it speaks another protocol), or None."""
    port = refs.ports.get(state.conn)
    machine_protocol = registry.protocol_of_machine(state.machine)
    if port is None or machine_protocol is None:
        return None
    spoken = next((p for p in registry.PROTOCOLS.values() if p.service_on(port) is not None), None)
    if spoken is None or spoken.name == machine_protocol.name:
        return None
    return (f"connection {state.conn!r} is to port {port} ({spoken.name}), so it has no "
            f"{state.machine} to check; use {spoken.name}.server")


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
            _check_delivery(refs, at, step)
    return refs.problems


def _check_delivery(refs: References, at: DocPath, step: m.StepBase) -> None:
    """expect.delivery reads what the submission server answered to this step's own send_message."""
    assert step.expect is not None
    items = _each(step.expect.delivery, (*at, "expect", "delivery"))
    if not isinstance(step, m.SendMessageStep):
        for path, _item in items:
            refs.problem(path, f"a {step.action} step sends no message, so there is no delivery to check: "
                         "expect.delivery checks the submission server's answer to this step's own "
                         "send_message; put it on that step (mailbox and queue say where mail went later)")
        return
    recipients = {r.lower() for r in (*step.to, *step.cc)}
    for path, item in items:
        if item.recipient.lower() not in recipients:
            guess = nearest(item.recipient, [*step.to, *step.cc])
            refs.problem((*path, "recipient"), f"{item.recipient!r} is not a recipient of this step's message"
                         + (f": did you mean {guess!r}?" if guess else f" (to/cc: {', '.join([*step.to, *step.cc])})"))
