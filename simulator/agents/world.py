"""The mail world: hosts, domains, users and DNS as data, and the builder that wires them.

:data:`DEFAULT_SPEC` is the default world of DESIGN.md: example.org (Alice),
example.net (Bob), evil.example (Mallory). Scenarios override parts of it.
"""

from __future__ import annotations

import copy
import ipaddress
from dataclasses import dataclass, field
from datetime import datetime

from simulator.agents.eavesdropper import Eavesdropper
from simulator.agents.faults import FaultBoard
from simulator.agents.mailhost import MX, SUBMISSION, MailHost, MailHostConfig
from simulator.agents.mitm import ManInTheMiddle
from simulator.agents.mua import MailClient
from simulator.agents.relay import Relay
from simulator.agents.tls import VirtualTls
from simulator.net.clock import DEFAULT_START
from simulator.net.world import Host, World
from simulator.protocols import sasl
from simulator.security import dmarc_report
from simulator.security.dkim import DkimSigner
from simulator.security.keys import RSA_SHA256, DemoKeyring
from simulator.security.mtasts import StsPolicy, record_text
from simulator.security.pki import CertFault, VirtualCA


@dataclass
class HostSpec:
    name: str
    addresses: list[str]
    fqdn: str = ""
    role: str = "client"  # "client", "server" or "attacker"


@dataclass
class UserSpec:
    address: str
    password: str
    name: str = ""


@dataclass
class DomainSpec:
    name: str
    mail_host: str  # keeps the mailboxes, runs submission and the MX
    users: list[UserSpec] = field(default_factory=list)
    mx: list[tuple[int, str]] = field(default_factory=list)  # empty: MX 10 -> mail_host
    spf: str = ""
    dmarc: str = ""
    # DKIM (RFC 6376): the provider signs its users' mail with the key published at
    # <dkim_selector>._domainkey.<name>; an empty selector: the domain does not sign.
    dkim_selector: str = "s1"
    dkim_algorithm: str = RSA_SHA256  # or "ed25519-sha256" (RFC 8463)
    dkim_canonicalization: str = "relaxed/relaxed"  # header/body, "simple" or "relaxed" each (RFC 6376 3.4)
    dkim_expire_after: int | None = None  # seconds from t= to x= (RFC 6376 3.5); None: no x=


# The SMTP extensions of a server from before 8BITMIME: the default set without 8BITMIME and
# SMTPUTF8, which may only be offered with it (RFC 6531 3.1).
SEVEN_BIT_EXTENSIONS = ("PIPELINING", "SIZE", "ENHANCEDSTATUSCODES")


def _named(host: Host, names: list[str]) -> bool:
    return host.name in names or host.fqdn in names


@dataclass
class WorldSpec:
    hosts: list[HostSpec]
    domains: list[DomainSpec]
    dns: list[tuple[str, str, str]] = field(default_factory=list)  # extra records
    dns_remove: list[tuple[str, str]] = field(default_factory=list)
    max_message_size: int = 10 * 1024 * 1024
    max_recipients: int = 100
    vrfy: str = "verify"  # how every mail host answers VRFY: see mailhost.VRFY_MODES
    pop3_login_delay: int = 0  # seconds between two POP3 logins of a user (RFC 2449 6.5); 0: none
    tls_version: str = "TLSv1.3"  # the highest TLS version the clients offer ("TLSv1.2" to show 1.2)
    starttls: bool = False  # the mail servers offer STARTTLS (RFC 3207)
    relay_tls: str = "opportunistic"  # the relays' STARTTLS policy: none, opportunistic (RFC 7435), verify
    mta_sts: list[StsPolicy] = field(default_factory=list)  # domains' MTA-STS policies (RFC 8461)
    certificate_faults: dict[str, str] = field(default_factory=dict)  # server host -> pki.CertFault value
    without_8bitmime: list[str] = field(default_factory=list)  # server hosts offering no 8BITMIME/SMTPUTF8
    # SMTP AUTH on submission (RFC 4954, RFC 6409 4.3): the mechanisms offered (empty: no AUTH).
    submission_auth: tuple[str, ...] = ()
    plaintext_auth: bool = False  # PLAIN and LOGIN offered before TLS too
    # IMAP AUTHENTICATE and POP3 AUTH (RFC 9051 6.2.2, RFC 5034): the mechanisms the mailbox servers offer,
    # and whether a password may cross without TLS there (False: LOGINDISABLED, USER refused before STLS).
    mailbox_auth: tuple[str, ...] = sasl.ALL
    mailbox_plaintext_auth: bool = True
    # RFC 6409 4.3's "protected subnetwork": clients here may submit without AUTH ("provider":
    # the mail host's own /24 or /64). None: "provider" while submission offers no AUTH, none once it does.
    trusted_networks: list[str] | None = None
    mitm: ManInTheMiddle | None = None  # an attacker on one link from the start (see agents.mitm)
    eavesdropper: Eavesdropper | None = None  # a listener on one link from the start (see agents.eavesdropper)
    # VULNERABLE, for teaching: server hosts that read plaintext pipelined after STARTTLS (CVE-2011-0411).
    vulnerable_starttls: list[str] = field(default_factory=list)

    def credentials(self, user: str) -> str | None:
        """The password of ``user`` in this world (what the user's client is set up with)."""
        return next((u.password for u in self.users() if u.address == user.lower()), None)

    def copy(self) -> WorldSpec:
        return copy.deepcopy(self)

    def host(self, name: str) -> HostSpec | None:
        return next((h for h in self.hosts if h.name == name or h.fqdn == name), None)

    def domain(self, name: str) -> DomainSpec | None:
        return next((d for d in self.domains if d.name == name.lower()), None)

    def users(self) -> list[UserSpec]:
        return [u for d in self.domains for u in d.users]


DEFAULT_SPEC = WorldSpec(
    hosts=[
        HostSpec("alice-laptop", ["192.0.2.10"], "alice-laptop.example.org"),
        HostSpec("mail.example.org", ["192.0.2.25"], role="server"),
        HostSpec("mx.example.net", ["198.51.100.25"], role="server"),
        HostSpec("bob-phone", ["198.51.100.30"], "bob-phone.example.net"),
        HostSpec("bob-laptop", ["198.51.100.31"], "bob-laptop.example.net"),
        HostSpec("mail.evil.example", ["203.0.113.25"], role="attacker"),
        HostSpec("mallory-box", ["203.0.113.66"], "mallory-box.evil.example", role="attacker"),
    ],
    domains=[
        DomainSpec(
            "example.org", "mail.example.org",
            [UserSpec("alice@example.org", "wonderland", "Alice")],
            spf="v=spf1 ip4:192.0.2.25 -all",
            dmarc="v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.org",
        ),
        DomainSpec(
            "example.net", "mx.example.net",
            [UserSpec("bob@example.net", "builder", "Bob")],
            spf="v=spf1 ip4:198.51.100.25 -all",
            dmarc="v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.net",
        ),
        DomainSpec(
            "evil.example", "mail.evil.example",
            [UserSpec("mallory@evil.example", "mallory", "Mallory")],
            spf="v=spf1 ip4:203.0.113.0/24 ~all",
        ),
    ],
    # The mail servers' own names publish SPF too, for the HELO identity (RFC 7208 2.3).
    dns=[
        ("mail.example.org", "TXT", "v=spf1 a -all"),
        ("mx.example.net", "TXT", "v=spf1 a -all"),
        ("mail.evil.example", "TXT", "v=spf1 a -all"),
    ],
)


DAY = 86400  # reports go out at least once every 24 hours (RFC 9989 5.3.8): one report a day


@dataclass(frozen=True)
class DmarcReport:
    """An aggregate report document, named as RFC 9990 asks, and the rua= addresses it goes to."""

    filename: str
    policy_domain: str
    rua: tuple[str, ...]
    xml: str


def _home_network(address: str) -> str:
    """The provider's own network around a server address: its /24 (IPv4) or /64 (IPv6)."""
    return str(ipaddress.ip_network(f"{address}/{64 if ':' in address else 24}", strict=False))


class MailWorld:
    """A World populated with mail hosts, their relays and the faults in force."""

    def __init__(self, spec: WorldSpec, *, seed: int = 1, start: datetime = DEFAULT_START) -> None:
        self.spec = spec
        self.net = World(seed=seed, start=start)
        self.faults = FaultBoard()
        self.tls = VirtualTls(VirtualCA(seed=seed, start=start), version=spec.tls_version)
        self.net.tls_provider = self.tls
        self.mailhosts: dict[str, MailHost] = {}
        self.relays: dict[str, Relay] = {}
        self.keys = DemoKeyring()  # the same keys on every run
        self.sent_bodies: dict[str, bytes] = {}  # DKIM b= -> the body signed, for every host's verifier
        self._build()

    @property
    def trace(self):
        return self.net.trace

    def _build(self) -> None:
        net, spec = self.net, self.spec
        for h in spec.hosts:
            net.add_host(Host(h.name, list(h.addresses), h.fqdn or h.name, h.role))
            for addr in h.addresses:
                net.dns.add(h.fqdn or h.name, "AAAA" if ":" in addr else "A", addr)
        for d in spec.domains:
            server = net.host(d.mail_host)
            mh = self.mailhosts.get(server.name)
            if mh is None:
                home = [_home_network(a) for a in server.addresses]
                trusted = spec.trusted_networks
                if trusted is None:  # RFC 6409 4.3: the provider's own network, until AUTH is offered
                    trusted = [] if spec.submission_auth else ["provider"]
                trusted = [n for net in trusted for n in (home if net == "provider" else [net])]
                mh = MailHost(net, server, MailHostConfig(
                    max_message_size=spec.max_message_size, max_recipients=spec.max_recipients,
                    trusted_networks=list(trusted), vrfy=spec.vrfy,
                    starttls=spec.starttls, pop3_login_delay=spec.pop3_login_delay,
                    smtp_extensions=SEVEN_BIT_EXTENSIONS if _named(server, spec.without_8bitmime) else None,
                    submission_auth=spec.submission_auth, plaintext_auth=spec.plaintext_auth,
                    mailbox_auth=spec.mailbox_auth, mailbox_plaintext_auth=spec.mailbox_plaintext_auth),
                    self.faults, self.sent_bodies)
                self.mailhosts[server.name] = mh
            mh.config.local_domains.add(d.name)
            mh.store.add_user(f"postmaster@{d.name}")
            for u in d.users:
                mh.add_user(u.address, u.password)
            for pref, mx in d.mx or [(10, server.fqdn)]:
                net.dns.add(d.name, "MX", f"{pref} {mx}")
            if d.spf:
                net.dns.add(d.name, "TXT", d.spf)
            if d.dmarc:
                net.dns.add(f"_dmarc.{d.name}", "TXT", d.dmarc)
            if d.dkim_selector:
                mh.config.dkim_signers[d.name] = signer = self._signer(d)
                net.dns.add(f"{d.dkim_selector}._domainkey.{d.name}", "TXT", signer.key.record())
        for host, fault in spec.certificate_faults.items():
            self.tls.faults[net.host(host).name] = CertFault(fault)
        for host in spec.vulnerable_starttls:
            net.keeps_plaintext_after_starttls.add(net.host(host).name)
        if spec.mitm is not None:
            self.add_mitm(spec.mitm)
        if spec.eavesdropper is not None:
            net.listeners.append(spec.eavesdropper)
        sts = {p.domain.lower(): p for p in spec.mta_sts}
        for policy in sts.values():  # RFC 8461 3.1: the TXT record that says a policy exists
            net.dns.add(f"_mta-sts.{policy.domain}", "TXT", record_text(policy.id))
        for name, rtype, value in spec.dns:
            net.dns.add(name, rtype, value)
        for name, rtype in spec.dns_remove:
            net.dns.remove(name, rtype)
        for mh in self.mailhosts.values():
            mh.listen("smtp", 25, MX)
            mh.listen("smtp", 587, SUBMISSION)
            mh.listen("smtp", 465, SUBMISSION)  # submissions: implicit TLS (RFC 8314 3.3)
            mh.listen("pop3", 110)
            mh.listen("pop3", 995)  # pop3s: implicit TLS (RFC 8314 3.3)
            mh.listen("imap", 143)
            mh.listen("imap", 993)  # imaps: implicit TLS (RFC 8314 3.3)
            self.relays[mh.name] = Relay(mh, self.mailhosts, tls=spec.relay_tls, sts=sts)

    def add_mitm(self, mitm: ManInTheMiddle) -> None:
        """Put a man in the middle on its link: connections opened from now on cross it."""
        self.net.attackers.append(mitm)

    def _signer(self, d: DomainSpec) -> DkimSigner:
        header_canon, _, body_canon = d.dkim_canonicalization.partition("/")
        return DkimSigner(d.name, d.dkim_selector, self.keys.key(d.name, d.dkim_selector, d.dkim_algorithm),
                          header_canon=header_canon, body_canon=body_canon or "simple",
                          expire_after=d.dkim_expire_after)

    def dmarc_reports(self) -> list[DmarcReport]:
        """The aggregate reports the receiving MXs owe (RFC 9990): one per receiver, Policy Domain and UTC day.

        Each report holds the rows of the messages it checked, rows alike counted together; the
        report period is the day (in virtual time) the messages arrived.
        """
        reports = []
        for mh in self.mailhosts.values():
            org = sorted(mh.config.local_domains)[0] if mh.config.local_domains else mh.host.fqdn
            days: dict[tuple[str, int], list] = {}
            for row in mh.dmarc_rows:
                begin = int(row.when) - int(row.when) % DAY
                days.setdefault((row.policy_domain, begin), []).append(row)
            for (domain, begin), rows in days.items():
                counts: dict[str, list] = {}
                for row in rows:
                    counts.setdefault(row.xml, []).append(row)
                records = [dmarc_report.record_element(same[0].result, same[0].source_ip, count=len(same),
                                                       envelope_to=same[0].envelope_to) for same in counts.values()]
                end = begin + DAY
                xml = dmarc_report.aggregate_report(
                    rows[-1].result, records, org_name=org, email=f"postmaster@{org}",
                    report_id=f"{begin}.{domain}@{mh.host.fqdn}", begin=begin, end=end)
                reports.append(DmarcReport(dmarc_report.report_filename(org, rows[-1].result, begin, end),
                                           domain, rows[-1].rua, xml))
        return reports

    def mailhost_for(self, address: str) -> MailHost | None:
        domain = self.spec.domain(address.rpartition("@")[2])
        return self.mailhosts.get(self.net.host(domain.mail_host).name) if domain else None

    def provider_of(self, address: str) -> MailHost | None:
        return self.mailhost_for(address)

    def client(self, host: str) -> MailClient:
        return MailClient(self.net, host)

    def run_queues(self) -> None:
        for relay in self.relays.values():
            relay.run_queue()

    def mailbox_count(self, user: str, folder: str = "INBOX") -> int:
        mh = self.mailhost_for(user)
        if mh is None or not mh.store.has_user(user):
            raise KeyError(f"no mailbox for {user}")
        return mh.store.count(user, folder)


def build_world(spec: WorldSpec | None = None, *, seed: int = 1, start: datetime = DEFAULT_START) -> MailWorld:
    return MailWorld(spec.copy() if spec else DEFAULT_SPEC.copy(), seed=seed, start=start)
