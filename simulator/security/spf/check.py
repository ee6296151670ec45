"""check_host() (RFC 7208 4): evaluate a domain's SPF record for a client address, step by step.

Every term evaluated becomes an :class:`SpfStep` a student can read ("ip4:192.0.2.0/24:
no match (RFC 7208 5.6)"); the caller turns them into ``CheckStep`` trace events,
as they happen (``on_step``) or afterwards (:meth:`SpfResult.events`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import ip_address

from simulator.security.dns import NXDOMAIN, TEMPFAIL, Answer, MxRecord, Resolver, txt_text
from simulator.security.spf.addresses import (
    Address,
    address_rtype,
    client_address,
    in_network,
    reverse_name,
)
from simulator.security.spf.errors import SpfSyntaxError
from simulator.security.spf.macros import (
    MacroString,
    MacroValues,
    expand,
    expand_domain,
    parse_macro_string,
)
from simulator.security.spf.record import (
    Mechanism,
    SpfRecord,
    is_spf,
    parse_record,
)
from simulator.trace import CheckStep

RESULTS = ("none", "neutral", "pass", "fail", "softfail", "temperror", "permerror")
LOOKUP_LIMIT = 10  # terms that query DNS (RFC 7208 4.6.4)
VOID_LIMIT = 2  # terms whose query found nothing (RFC 7208 4.6.4)
NAME_LIMIT = 10  # MX or PTR names looked at per term (RFC 7208 4.6.4)
DEFAULT_EXPLANATION = "%{i} is not one of %{d}'s designated mail servers"


@dataclass(frozen=True, slots=True)
class SpfStep:
    """One reasoning step; ``depth`` counts the include/redirect levels it is inside."""

    text: str
    depth: int = 0
    result: str = ""  # set on the concluding step only


@dataclass(frozen=True, slots=True)
class SpfResult:
    result: str  # one of RESULTS
    domain: str  # the <domain> checked first
    sender: str  # <sender> as checked ("postmaster@..." when it had no local part)
    ip: str
    helo: str = ""
    identity: str = "mailfrom"  # "mailfrom" or "helo" (RFC 7208 2.3, 2.4)
    explanation: str = ""  # on fail: exp= text or the default (RFC 7208 6.2)
    mechanism: str = ""  # the term that decided, "" when none matched
    reason: str = ""  # what went wrong, for temperror and permerror
    steps: tuple[SpfStep, ...] = ()
    lookups: int = 0
    void_lookups: int = 0

    def events(self, host: str) -> list[CheckStep]:
        """The steps as trace events, indented by include/redirect depth."""
        return [step_event(host, step) for step in self.steps]


def step_event(host: str, step: SpfStep) -> CheckStep:
    return CheckStep(host=host, check="spf", text="  " * step.depth + step.text, result=step.result)


class _Abort(Exception):
    """temperror or permerror: ends the whole check, however deep (RFC 7208 5.2, 6.1)."""

    def __init__(self, result: str, reason: str) -> None:
        super().__init__(reason)
        self.result = result
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Outcome:
    result: str
    mechanism: str = ""
    record: SpfRecord | None = None  # the record that decided (its exp= explains a fail)
    domain: str = ""


def valid_domain(name: str) -> str:
    """Why ``name`` cannot be queried, or "" (RFC 7208 4.3: labels of 1 to 63 octets,
    more than one label; a trailing dot is allowed)."""
    name = name[:-1] if name.endswith(".") else name
    labels = name.split(".")
    if name.startswith("["):
        return f"{name!r} is an address literal, not a domain name"
    if len(labels) < 2:
        return f"{name!r} is not a multi-label domain name"
    if any(not label for label in labels):
        return f"{name!r} has an empty label"
    if any(len(label) > 63 for label in labels):
        return f"{name!r} has a label longer than 63 characters"
    if len(name) > 253:
        return f"{name!r} is longer than 253 characters"
    return ""


def check_host(
    ip: str | Address,
    domain: str,
    sender: str,
    helo: str,
    resolver: Resolver,
    *,
    receiver: str = "unknown",
    now: float = 0.0,
    default_explanation: str = DEFAULT_EXPLANATION,
    identity: str = "mailfrom",
    on_step: Callable[[SpfStep], None] | None = None,
) -> SpfResult:
    """RFC 7208 4: whether ``ip`` may send mail for ``domain``, with every step taken.

    ``sender`` is the MAIL FROM or HELO identity; without a local part it is
    checked as postmaster@ its domain (4.3). ``receiver`` and ``now`` are the
    %{r} and %{t} of an explanation. Never raises for anything found in DNS.
    """
    check = _Check(
        resolver, client_address(ip), sender, helo, receiver, now, default_explanation, on_step
    )
    return check.run(domain, identity, mapped=client_address(ip) != ip_address(ip))


def check_helo(ip: str | Address, helo: str, resolver: Resolver, **options) -> SpfResult:
    """The HELO identity (RFC 7208 2.3): check_host(ip, helo, "postmaster@" helo)."""
    return check_host(ip, helo, helo, helo, resolver, identity="helo", **options)


def check_mail_from(
    ip: str | Address, mail_from: str, helo: str, resolver: Resolver, **options
) -> SpfResult:
    """The MAIL FROM identity (RFC 7208 2.4): its domain; a null reverse-path ("<>")
    is checked as postmaster@ the HELO name."""
    mail_from = mail_from.strip()
    if mail_from.startswith("<") and mail_from.endswith(">"):
        mail_from = mail_from[1:-1]
    if not mail_from:
        return check_host(ip, helo, "postmaster@" + helo, helo, resolver, **options)
    return check_host(ip, mail_from.rpartition("@")[2], mail_from, helo, resolver, **options)


class _Check:
    """One check_host() call: the lookup counters and the steps span every include and redirect."""

    def __init__(
        self,
        resolver: Resolver,
        ip: Address,
        sender: str,
        helo: str,
        receiver: str,
        now: float,
        default_explanation: str,
        on_step: Callable[[SpfStep], None] | None,
    ) -> None:
        self.resolver = resolver
        self.ip = ip
        local, at, sender_domain = sender.rpartition("@")
        if not at:
            local, sender_domain = "", sender
        # RFC 7208 4.3: no local part -> "postmaster".
        self.sender = f"{local or 'postmaster'}@{sender_domain}"
        self.helo = helo
        self.receiver = receiver
        self.now = now
        self.default_explanation = default_explanation
        self.on_step = on_step
        self.steps: list[SpfStep] = []
        self.lookups = 0
        self.voids = 0
        self._validated: list[str] | None = None
        self.values = MacroValues(
            self.sender, "", ip, helo, receiver, now, validated_name=self._validated_name
        )
        self._matchers: dict[str, Callable[[Mechanism, str, int], bool]] = {
            "all": self._all,
            "include": self._include,
            "a": self._a,
            "mx": self._mx,
            "ptr": self._ptr,
            "ip4": self._ip,
            "ip6": self._ip,
            "exists": self._exists,
        }

    # --- steps ---------------------------------------------------------------

    def say(self, text: str, depth: int = 0, result: str = "") -> None:
        step = SpfStep(text, depth, result)
        self.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)

    # --- the check -------------------------------------------------------------

    def run(self, domain: str, identity: str, mapped: bool) -> SpfResult:
        domain = domain[:-1] if domain.endswith(".") else domain
        name = "HELO" if identity == "helo" else "MAIL FROM"
        self.say(
            f"checking {name} identity {self.sender} for client {self.ip}:"
            f" check_host() on {domain} (RFC 7208 4)"
        )
        if mapped:
            self.say(f"the client's IPv4-mapped IPv6 address is checked as {self.ip} (RFC 7208 5)")
        outcome, reason, explanation = _Outcome("none"), "", ""
        problem = valid_domain(domain)
        if problem:
            self.say(f"{problem}: the result is none (RFC 7208 4.3)")
        else:
            try:
                outcome = self.evaluate(domain, 0)
            except _Abort as abort:
                outcome, reason = _Outcome(abort.result), abort.reason
                self.say(f"{reason}: {abort.result}")
        if outcome.result == "fail":
            explanation = self.explain(outcome)
        who = self.helo if identity == "helo" else self.sender
        because = f" ({explanation})" if explanation else ""
        self.say(f"SPF result for {name} {who}: {outcome.result}{because}", result=outcome.result)
        return SpfResult(
            result=outcome.result,
            domain=domain,
            sender=self.sender,
            ip=str(self.ip),
            helo=self.helo,
            identity=identity,
            explanation=explanation,
            mechanism=outcome.mechanism,
            reason=reason,
            steps=tuple(self.steps),
            lookups=self.lookups,
            void_lookups=self.voids,
        )

    def evaluate(self, domain: str, depth: int) -> _Outcome:
        """check_host() on one domain: fetch its record (4.4, 4.5), then its terms in order (4.6)."""
        record = self.fetch(domain, depth)
        if record is None:
            return _Outcome("none", domain=domain)
        for mechanism in record.mechanisms:
            if self._matchers[mechanism.name](mechanism, domain, depth):
                result = mechanism.result
                self.say(f"{mechanism.text} matches: {result} (RFC 7208 4.6.2)", depth)
                return _Outcome(result, mechanism.text, record, domain)
        if record.redirect is not None:
            return self.redirect(record, domain, depth)
        self.say("no mechanism matched and there is no redirect=: neutral (RFC 7208 4.7)", depth)
        return _Outcome("neutral", "", record, domain)

    def fetch(self, domain: str, depth: int) -> SpfRecord | None:
        answer = self.resolver.query(domain, "TXT")
        if answer is TEMPFAIL:
            raise _Abort("temperror", f"the TXT lookup for {domain} failed (RFC 7208 4.4)")
        if answer is NXDOMAIN:
            self.say(f"{domain} does not exist (NXDOMAIN): no SPF record (RFC 7208 4.3)", depth)
            return None
        raw = [r for r in answer if not isinstance(r, MxRecord)]
        texts = [txt_text(r) for r in raw]
        records = [t for t in texts if is_spf(t)]
        others = len(texts) - len(records)
        aside = f" ({others} other TXT record{'s' * (others != 1)} ignored)" if others else ""
        if not records:
            self.say(
                f"{domain} has no TXT record starting 'v=spf1'{aside}: no SPF record (RFC 7208 4.5)",
                depth,
            )
            return None
        if len(records) > 1:
            raise _Abort(
                "permerror",
                f"{domain} publishes {len(records)} SPF records, one is allowed (RFC 7208 4.5)",
            )
        strings = raw[texts.index(records[0])]
        if not isinstance(strings, str) and len(strings) > 1:
            aside += f" (its {len(strings)} strings joined, RFC 7208 3.3)"
        self.say(f"the SPF record of {domain} (RFC 7208 4.5): {records[0]!r}{aside}", depth)
        try:
            record = parse_record(records[0])
        except SpfSyntaxError as e:
            raise _Abort("permerror", f"syntax error in the record of {domain}: {e}") from None
        for modifier in record.unknown:
            self.say(f"{modifier.text}: an unknown modifier, ignored (RFC 7208 6)", depth)
        return record

    # --- limits ---------------------------------------------------------------

    def count_lookup(self, term: str) -> None:
        self.lookups += 1
        if self.lookups > LOOKUP_LIMIT:
            raise _Abort(
                "permerror",
                f"{term} would be DNS lookup {self.lookups}: the limit of {LOOKUP_LIMIT}"
                " DNS lookups is reached (RFC 7208 4.6.4)",
            )

    def count_void(self, term: str) -> None:
        self.voids += 1
        if self.voids > VOID_LIMIT:
            raise _Abort(
                "permerror",
                f"{term} is void lookup {self.voids}: more than {VOID_LIMIT} lookups found"
                " nothing (RFC 7208 4.6.4)",
            )

    def query(self, name: str, rtype: str, term: str) -> Answer:
        """A mechanism's query: a DNS error ends the check in temperror (RFC 7208 5)."""
        answer = self.resolver.query(name, rtype)
        if answer is TEMPFAIL:
            raise _Abort("temperror", f"{term}: the {rtype} lookup for {name} failed (RFC 7208 5)")
        return answer

    def target(self, mechanism: Mechanism, domain: str) -> str:
        if mechanism.domain is None:
            return domain
        return expand_domain(mechanism.domain, self.values.for_domain(domain))

    def addresses(self, name: str, term: str, depth: int, *, void_counts: bool) -> list[str]:
        rtype = address_rtype(self.ip)
        answer = self.query(name, rtype, term)
        if answer is NXDOMAIN or not answer:
            what = "does not exist" if answer is NXDOMAIN else f"has no {rtype} record"
            self.say(f"{term}: {name} {what}", depth)
            if void_counts:
                self.count_void(term)
            return []
        return [r for r in answer if isinstance(r, str)]

    def _cidr_text(self, mechanism: Mechanism) -> str:
        bits = mechanism.cidr4 if address_rtype(self.ip) == "A" else mechanism.cidr6
        return f"/{bits}"

    def _matches(self, addresses: list[str], mechanism: Mechanism) -> str:
        return next(
            (a for a in addresses if in_network(self.ip, a, mechanism.cidr4, mechanism.cidr6)), ""
        )

    # --- mechanisms (RFC 7208 5) ------------------------------------------------

    def _all(self, mechanism: Mechanism, domain: str, depth: int) -> bool:
        return True

    def _ip(self, mechanism: Mechanism, domain: str, depth: int) -> bool:
        hit = bool(self._matches([mechanism.network], mechanism))
        family = "IPv4" if mechanism.name == "ip4" else "IPv6"
        client = "IPv4" if address_rtype(self.ip) == "A" else "IPv6"
        bits = mechanism.cidr4 if mechanism.name == "ip4" else mechanism.cidr6
        if family != client:
            self.say(
                f"{mechanism.text}: {self.ip} is {client}, so an {mechanism.name} never matches it (RFC 7208 5.6)",
                depth,
            )
        elif not hit:
            self.say(
                f"{mechanism.text}: {self.ip} is not in {mechanism.network}/{bits}: no match (RFC 7208 5.6)",
                depth,
            )
        else:
            self.say(
                f"{mechanism.text}: {self.ip} is in {mechanism.network}/{bits} (RFC 7208 5.6)",
                depth,
            )
        return hit

    def _a(self, mechanism: Mechanism, domain: str, depth: int) -> bool:
        self.count_lookup(mechanism.text)
        name = self.target(mechanism, domain)
        if problem := valid_domain(name):
            self.say(f"{mechanism.text}: {problem}, so nothing can match (RFC 7208 4.8)", depth)
            return False
        found = self.addresses(name, mechanism.text, depth, void_counts=True)
        hit = self._matches(found, mechanism)
        if found:
            cidr = self._cidr_text(mechanism)
            verdict = (
                f"{self.ip} is in {hit}{cidr}"
                if hit
                else f"{self.ip} is in none of them ({cidr}): no match"
            )
            self.say(
                f"{mechanism.text}: {name} has {', '.join(found)}; {verdict} (RFC 7208 5.3)", depth
            )
        return bool(hit)

    def _mx(self, mechanism: Mechanism, domain: str, depth: int) -> bool:
        self.count_lookup(mechanism.text)
        name = self.target(mechanism, domain)
        if problem := valid_domain(name):
            self.say(f"{mechanism.text}: {problem}, so nothing can match (RFC 7208 4.8)", depth)
            return False
        answer = self.query(name, "MX", mechanism.text)
        if answer is NXDOMAIN or not answer:
            what = "does not exist" if answer is NXDOMAIN else "has no MX record"
            self.say(
                f"{mechanism.text}: {name} {what}; no match, and no implicit MX (RFC 7208 5.4)",
                depth,
            )
            self.count_void(mechanism.text)
            return False
        hosts = sorted((r for r in answer if isinstance(r, MxRecord)), key=lambda r: r.preference)
        if len(hosts) > NAME_LIMIT:
            raise _Abort(
                "permerror",
                f"{mechanism.text}: {name} has {len(hosts)} MX records, more than"
                f" {NAME_LIMIT} (RFC 7208 4.6.4)",
            )
        self.say(
            f"{mechanism.text}: {name} MX {', '.join(h.exchange or '.' for h in hosts)} (RFC 7208 5.4)",
            depth,
        )
        for host in hosts:
            exchange = host.exchange.rstrip(".")
            if not exchange:
                self.say(f"{mechanism.text}: a null MX has no address (RFC 7505)", depth)
                continue
            found = self.addresses(exchange, mechanism.text, depth, void_counts=False)
            hit = self._matches(found, mechanism)
            if hit:
                self.say(
                    f"{mechanism.text}: {exchange} has {hit}; {self.ip} is in"
                    f" {hit}{self._cidr_text(mechanism)} (RFC 7208 5.4)",
                    depth,
                )
                return True
            if found:
                self.say(
                    f"{mechanism.text}: {exchange} has {', '.join(found)}; {self.ip} is in none of them ({self._cidr_text(mechanism)})",
                    depth,
                )
        return False

    def _ptr(self, mechanism: Mechanism, domain: str, depth: int) -> bool:
        self.count_lookup(mechanism.text)
        target = self.target(mechanism, domain).lower()
        names = self.validated_names(mechanism.text, depth, void_counts=True)
        for name in names:
            if name == target or name.endswith("." + target):
                self.say(
                    f"{mechanism.text}: {name} is a validated name of {self.ip} and"
                    f" is in {target} (RFC 7208 5.5)",
                    depth,
                )
                return True
        listed = f"validated names {', '.join(names)}" if names else "no validated name"
        self.say(f"{mechanism.text}: {listed}; none is in {target}: no match (RFC 7208 5.5)", depth)
        return False

    def validated_names(self, term: str, depth: int, *, void_counts: bool) -> list[str]:
        """The PTR names of ip whose own addresses include ip (RFC 7208 5.5); at most
        the first 10 names are looked at (4.6.4); a DNS error skips a name."""
        reverse = reverse_name(self.ip)
        answer = self.resolver.query(reverse, "PTR")
        if answer is TEMPFAIL:
            self.say(f"{term}: the PTR lookup for {reverse} failed: no match (RFC 7208 5.5)", depth)
            return []
        if answer is NXDOMAIN or not answer:
            self.say(f"{term}: {reverse} has no PTR record (RFC 7208 5.5)", depth)
            if void_counts:
                self.count_void(term)
            return []
        names = [r.rstrip(".").lower() for r in answer if isinstance(r, str)]
        if len(names) > NAME_LIMIT:
            self.say(
                f"{term}: {reverse} has {len(names)} PTR records; only the first {NAME_LIMIT}"
                " are looked at (RFC 7208 4.6.4)",
                depth,
            )
            names = names[:NAME_LIMIT]
        rtype = address_rtype(self.ip)
        validated = []
        for name in names:
            if valid_domain(name):
                continue
            found = self.resolver.query(name, rtype)
            if found is TEMPFAIL or found is NXDOMAIN:
                self.say(f"{term}: {name}: {found}, skipped (RFC 7208 5.5)", depth)
                continue
            if any(isinstance(a, str) and in_network(self.ip, a, 32, 128) for a in found):
                validated.append(name)
            else:
                self.say(f"{term}: {name} does not point back to {self.ip}: not validated", depth)
        return validated

    def _validated_name(self, domain: str) -> str:
        """%{p} (RFC 7208 7.3): <domain> itself, else a subdomain of it, else any validated name."""
        if self._validated is None:
            self._validated = self.validated_names("%{p}", 0, void_counts=False)
        domain = domain.lower()
        for name in self._validated:
            if name == domain:
                return name
        for name in self._validated:
            if name.endswith("." + domain):
                return name
        return self._validated[0] if self._validated else "unknown"

    def _exists(self, mechanism: Mechanism, domain: str, depth: int) -> bool:
        self.count_lookup(mechanism.text)
        name = self.target(mechanism, domain)
        if problem := valid_domain(name):
            self.say(f"{mechanism.text}: {problem}, so nothing can match (RFC 7208 4.8)", depth)
            return False
        answer = self.query(name, "A", mechanism.text)  # A even for an IPv6 client (5.7)
        if answer is NXDOMAIN or not answer:
            self.say(f"{mechanism.text}: {name} has no A record: no match (RFC 7208 5.7)", depth)
            self.count_void(mechanism.text)
            return False
        self.say(f"{mechanism.text}: {name} has an A record: match (RFC 7208 5.7)", depth)
        return True

    def _include(self, mechanism: Mechanism, domain: str, depth: int) -> bool:
        self.count_lookup(mechanism.text)
        name = self.target(mechanism, domain)
        self.say(f"{mechanism.text}: evaluating the SPF record of {name} (RFC 7208 5.2)", depth)
        inner = self.nested(name, depth + 1)
        if inner.result == "none":
            raise _Abort("permerror", f"{mechanism.text}: {name} has no SPF record (RFC 7208 5.2)")
        hit = inner.result == "pass"
        effect = f"so {mechanism.qualifier}include matches" if hit else "so include does not match"
        self.say(f"{mechanism.text} -> {inner.result}, {effect} (RFC 7208 5.2)", depth)
        return hit

    def redirect(self, record: SpfRecord, domain: str, depth: int) -> _Outcome:
        assert record.redirect is not None
        term = record.redirect.text
        self.count_lookup(term)
        name = expand_domain(record.redirect.value, self.values.for_domain(domain))
        self.say(f"no mechanism matched: {term} hands the check to {name} (RFC 7208 6.1)", depth)
        inner = self.nested(name, depth + 1)
        if inner.result == "none":
            raise _Abort("permerror", f"{term}: {name} has no SPF record (RFC 7208 6.1)")
        self.say(f"{term} -> {inner.result} (RFC 7208 6.1)", depth)
        return inner

    def nested(self, name: str, depth: int) -> _Outcome:
        problem = valid_domain(name)
        if problem:
            self.say(f"{problem}: check_host() gives none (RFC 7208 4.3)", depth)
            return _Outcome("none", domain=name)
        return self.evaluate(name, depth)

    # --- explanation (RFC 7208 6.2) -------------------------------------------

    def explain(self, outcome: _Outcome) -> str:
        values = self.values.for_domain(outcome.domain)
        text = self.exp_text(outcome, values)
        if text is None:
            text = self._expand_text(self.default_explanation, values) or self.default_explanation
            self.say(f"explanation (the receiver's default): {text!r}")
        return text

    def exp_text(self, outcome: _Outcome, values: MacroValues) -> str | None:
        record = outcome.record
        if record is None or record.exp is None:
            return None
        term = record.exp.text
        name = expand_domain(record.exp.value, values)
        if valid_domain(name):
            self.say(f"{term}: {name!r} cannot be looked up; exp= is ignored (RFC 7208 6.2)")
            return None
        answer = self.resolver.query(name, "TXT")  # not counted (RFC 7208 4.6.4)
        if answer is TEMPFAIL or answer is NXDOMAIN or len(answer) != 1:
            found = str(answer) if not isinstance(answer, tuple) else f"{len(answer)} TXT records"
            self.say(f"{term}: {name} gave {found}, not one: exp= is ignored (RFC 7208 6.2)")
            return None
        record_text = txt_text(answer[0]) if not isinstance(answer[0], MxRecord) else ""
        text = self._expand_text(record_text, values)
        if text is None:
            self.say(
                f"{term}: {record_text!r} is not a valid explanation: exp= is ignored (RFC 7208 6.2)"
            )
            return None
        self.say(f"{term}: explanation {text!r} (RFC 7208 6.2)")
        return text

    def _expand_text(self, text: str, values: MacroValues) -> str | None:
        try:
            parts: MacroString = parse_macro_string(text, spaces=True)
        except SpfSyntaxError:
            return None
        return expand(parts, values)
