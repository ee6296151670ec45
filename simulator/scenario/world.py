"""A scenario's world: the default world with the scenario's overrides applied."""

from __future__ import annotations

from simulator.agents.eavesdropper import Eavesdropper
from simulator.agents.mitm import ManInTheMiddle
from simulator.agents.world import DEFAULT_SPEC, DomainSpec, HostSpec, UserSpec, WorldSpec
from simulator.scenario.models import MitmModel, MitmStep, Scenario, WorldModel
from simulator.security.mtasts import StsPolicy


def world_spec(model: WorldModel) -> WorldSpec:
    spec = DEFAULT_SPEC.copy() if model.default else WorldSpec(hosts=[], domains=[])
    for h in model.hosts:
        spec.hosts = [x for x in spec.hosts if x.name != h.name]
        spec.hosts.append(HostSpec(h.name, list(h.addresses), h.fqdn or h.name, h.role))
    for d in model.domains:
        spec.domains = [x for x in spec.domains if x.name != d.name.lower()]
        spec.domains.append(DomainSpec(
            d.name.lower(), d.mail_host,
            [UserSpec(u.address.lower(), u.password, u.name) for u in d.users],
            [(m.preference, m.host) for m in d.mx], d.spf, d.dmarc,
        ))
    for u in model.users:
        domain = spec.domain(u.address.rpartition("@")[2])
        if domain is not None:
            domain.users = [x for x in domain.users if x.address != u.address.lower()]
            domain.users.append(UserSpec(u.address.lower(), u.password, u.name))
    for k in model.dkim:
        domain = spec.domain(k.domain.rstrip("."))
        if domain is not None:  # the references report a domain the world lacks
            domain.dkim_selector = k.selector if k.sign else ""
            domain.dkim_algorithm = k.algorithm
            domain.dkim_canonicalization = k.canonicalization
            domain.dkim_expire_after = k.expire_after
    spec.dns += [(r.name, r.type, r.value) for r in model.dns]
    spec.dns_remove += [(r.name, r.type) for r in model.remove_dns]
    spec.vrfy = model.vrfy
    spec.pop3_login_delay = model.pop3_login_delay
    spec.tls_version = model.tls.version
    spec.starttls = model.tls.starttls
    spec.relay_tls = model.tls.relay
    spec.mta_sts = [StsPolicy(m.domain, m.id, m.mode, tuple(m.mx), m.max_age) for m in model.mta_sts]
    spec.certificate_faults = {host: str(fault) for host, fault in model.tls.certificates.items()}
    spec.vulnerable_starttls = list(model.tls.vulnerable_starttls)
    spec.mitm = None if model.mitm is None else man_in_the_middle(model.mitm)
    if model.eavesdropper is not None:
        spec.eavesdropper = Eavesdropper(model.eavesdropper.host, model.eavesdropper.link)
    spec.without_8bitmime = list(model.without_8bitmime)
    spec.submission_auth = tuple(model.submission.mechanisms) if model.submission.auth else ()
    spec.plaintext_auth = model.submission.plaintext_auth
    spec.trusted_networks = model.submission.trusted_networks
    spec.mailbox_auth = tuple(model.mailbox.mechanisms)
    spec.mailbox_plaintext_auth = model.mailbox.plaintext_auth
    if model.limits is not None:
        spec.max_message_size = model.limits.max_message_size
        spec.max_recipients = model.limits.max_recipients
    return spec


def man_in_the_middle(model: MitmModel | MitmStep) -> ManInTheMiddle:
    """The attacker a world option or a mitm step describes."""
    return ManInTheMiddle(model.host, model.between[0], model.between[1], strip_starttls=model.strip_starttls,
                          inject=tuple(model.inject_after_starttls))


def scenario_spec(scenario: Scenario) -> WorldSpec:
    return world_spec(scenario.world)


def device_user(spec: WorldSpec, device: str) -> UserSpec | None:
    """The user a device is named after: bob-laptop -> bob@example.net, if exactly one user is called bob."""
    who = device.split("-", 1)[0].lower()
    found = [u for u in spec.users() if u.address.partition("@")[0] == who]
    return found[0] if len(found) == 1 else None


def resolve_login(spec: WorldSpec, device: str, user: str | None, password: str | None,
                  server: str | None) -> tuple[str, str, str]:
    """(user, password, server) of a reading step, the defaults taken from the world.

    The references have checked that each default exists; a wrong password given on
    purpose is kept, so that a scenario can show the server refusing it.
    """
    if user is None:
        found = device_user(spec, device)
        assert found is not None
        user = found.address
    known = next((u for u in spec.users() if u.address == user.lower()), None)
    if password is None:
        assert known is not None
        password = known.password
    if server is None:
        domain = spec.domain(user.rpartition("@")[2])
        assert domain is not None
        server = domain.mail_host
    return user, password, server
