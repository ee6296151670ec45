"""DMARC, RFC 9989 (May 2026, obsoletes RFC 7489): does the From domain's owner vouch for this message?

    result = check_message(message, spf_result, dkim_verdict, resolver)
    result.result        # "pass", "fail", "none", "temperror", "permerror"
    result.disposition   # "none", "quarantine", "reject": what the receiver carries out
    result.events(host)  # one CheckStep per reasoning step, citing sections

The receiver's steps (RFC 9989 5.3): take the Author Domain from the From field (5.3.1);
find its DMARC Policy Record by the DNS Tree Walk (4.10.1); take the SPF and DKIM results
(5.3.3); check that an authenticated domain is aligned with the Author Domain, strictly
(the same name) or relaxed (the same Organizational Domain, 4.10.2) (5.3.4); pass when one
is (5.3.5); on fail apply the policy: p for the Author Domain itself, sp for a subdomain,
np for a subdomain that does not exist, one step milder under t=y (4.7, 5.3.6).

Beside the tree walk the steps show what RFC 7489 would have done with its public suffix
list (RFC 7489 3.2, 6.6.3), and say where the two methods disagree.

What the receiving MX does at the end of DATA, with ``resolver`` the agents' adapter of
the virtual DNS (so every query is a DnsLookup of the MX):

    spf = check_mail_from(client_ip, mail_from, helo, resolver)          # security.spf
    dkim = DkimVerifier(resolver).verify(message, now=now)               # security.dkim
    dmarc = check_message(message, spf, dkim, resolver)
    events = spf.events(host) + dkim.events(host) + dmarc.events(host)
    message = header_field(host, spf=spf, dkim=dkim, dmarc=dmarc) + message   # security.authresults
    dmarc.disposition == "reject":     reply REJECT_REPLY with dmarc.rejection_text(); do not deliver
    dmarc.disposition == "quarantine": deliver to the Junk folder
    otherwise (pass, none, p=none, temperror, permerror): deliver to INBOX
    if dmarc.record and dmarc.record.rua: keep record_element(dmarc, client_ip) for the daily
    aggregate_report(...) to those addresses                             # security.dmarc_report
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from email.policy import compat32

from simulator.security.dkim import DkimVerdict
from simulator.security.dmarc_record import DmarcRecord
from simulator.security.dmarc_walk import (
    DNS_ERROR,
    FOUND,
    Lookups,
    Walk,
    labels,
    normalize,
    psl_organizational_domain,
    public_suffix,
    walk,
)
from simulator.security.dns import NXDOMAIN, TEMPFAIL, Resolver
from simulator.security.spf import SpfResult
from simulator.security.steps import Step
from simulator.trace import CheckStep

PASS, FAIL, NONE, TEMPERROR, PERMERROR = "pass", "fail", "none", "temperror", "permerror"
RESULTS = (PASS, FAIL, NONE, TEMPERROR, PERMERROR)  # registered by RFC 7489 11.2 (RFC 8601 2.7)
MILDER = {"reject": "quarantine", "quarantine": "none", "none": "none"}  # t=y (RFC 9989 4.7)
REJECT_REPLY = (550, "5.7.1")  # RFC 9989 7.2's example: "550 5.7.1 Email rejected per DMARC policy"


@dataclass(frozen=True, slots=True)
class SpfAuth:
    """The SPF result as the aggregate report carries it, uninterpreted (RFC 9990 auth_results)."""

    domain: str
    result: str
    scope: str = "mfrom"
    human: str = ""


@dataclass(frozen=True, slots=True)
class DkimAuth:
    """One DKIM signature's result as the aggregate report carries it."""

    domain: str
    selector: str
    result: str
    human: str = ""


@dataclass(frozen=True, slots=True)
class Alignment:
    """Whether one authenticated identifier is aligned with the Author Domain (None: a DNS error)."""

    mechanism: str  # "spf" or "dkim"
    identifier: str
    mode: str  # "r" relaxed or "s" strict
    aligned: bool | None
    text: str


@dataclass(frozen=True, slots=True)
class DmarcResult:
    result: str  # one of RESULTS
    author_domain: str
    policy_domain: str = ""  # where the DMARC Policy Record applied was found
    record: DmarcRecord | None = None
    policy: str = NONE  # the policy the record asks for this message
    policy_tag: str = ""  # the tag it came from: "p", "sp" or "np"
    disposition: str = NONE  # what the receiver does: none, quarantine, reject
    organizational_domain: str = ""
    alignments: tuple[Alignment, ...] = ()
    spf: SpfAuth | None = None
    dkim: tuple[DkimAuth, ...] = ()
    reason: str = ""
    queries: int = 0  # _dmarc names the tree walks needed (the RFC 7489 comparison's not counted)
    psl_policy_domain: str = ""  # what RFC 7489's method would have used
    psl_organizational_domain: str = ""
    steps: tuple[Step, ...] = ()

    @property
    def spf_aligned(self) -> bool:
        return any(a.aligned for a in self.alignments if a.mechanism == "spf")

    @property
    def dkim_aligned(self) -> bool:
        return any(a.aligned for a in self.alignments if a.mechanism == "dkim")

    @property
    def testing(self) -> bool:
        return self.record is not None and self.record.testing

    def events(self, host: str) -> list[CheckStep]:
        """The steps as trace events of the receiving host; the verdict's carries the result."""
        return [CheckStep(host=host, check="dmarc", text=step.text, result=step.result, reason=step.reason)
                for step in self.steps]

    def comment(self) -> str:
        """What Authentication-Results says of the policy in a comment, e.g. "p=reject dis=quarantine"."""
        if self.record is None:
            return ""
        parts = [f"{self.policy_tag or 'p'}={self.policy}", f"dis={self.disposition}"]
        if self.testing:
            parts.append("t=y")
        return " ".join(parts)

    def rejection_text(self) -> str:
        """The reply text for a rejection at the end of DATA, naming DMARC (RFC 9989 7.2)."""
        return f"Email rejected per DMARC policy for {self.policy_domain or self.author_domain}"


def author_domains(message: bytes) -> list[str]:
    """The domains in the RFC5322.From field(s), as A-labels, each once (RFC 9989 5.3.1)."""
    # UTF-8 header fields (RFC 6532) are read as text: a U-label stays a U-label until converted
    head = re.split(rb"\r?\n\r?\n", message, maxsplit=1)[0].decode("utf-8", "replace")
    headers = HeaderParser(policy=compat32).parsestr(head, headersonly=True)
    found: list[str] = []
    for _, address in email.utils.getaddresses([str(v) for v in headers.get_all("From", [])]):
        domain = normalize(address.rpartition("@")[2]) if "@" in address else ""
        if domain and not domain.isascii():
            try:
                domain = domain.encode("idna").decode("ascii")  # U-label to A-label (RFC 5890 2.3)
            except UnicodeError:
                pass
        if domain and domain not in found:
            found.append(domain)
    return found


def check_message(message: bytes, spf: SpfResult | None, dkim: DkimVerdict | None,
                  resolver: Resolver, *, compare_psl: bool = True) -> DmarcResult:
    """DMARC for a received message: the From field's one Author Domain, then :func:`evaluate`."""
    domains = author_domains(message)
    if len(domains) != 1:
        what = "no domain" if not domains else f"{len(domains)} domains ({', '.join(domains)})"
        text = (f"the From field holds {what}: DMARC needs exactly one Author Domain, so it cannot "
                f"be checked (RFC 9989 5.3.1); DMARC result: permerror")
        return DmarcResult(PERMERROR, ",".join(domains), reason="not exactly one Author Domain",
                           spf=_spf_auth(spf), dkim=_dkim_auth(dkim), steps=(Step(text, PERMERROR),))
    return evaluate(domains[0], spf, dkim, resolver, compare_psl=compare_psl)


def evaluate(author_domain: str, spf: SpfResult | None, dkim: DkimVerdict | None,
             resolver: Resolver, *, compare_psl: bool = True) -> DmarcResult:
    """RFC 9989 5.3.2 to 5.3.6 for one Author Domain, given the SPF (MAIL FROM) and DKIM results.

    Never raises for anything found in DNS. ``compare_psl`` adds the RFC 7489 public
    suffix list method beside the tree walk (its queries, if any, go through ``resolver`` too).
    """
    return _Evaluation(normalize(author_domain), spf, dkim, resolver, compare_psl).run()


def _spf_auth(spf: SpfResult | None) -> SpfAuth | None:
    if spf is None:
        return None
    scope = "helo" if spf.identity == "helo" else "mfrom"
    return SpfAuth(normalize(spf.domain), spf.result, scope, spf.reason or spf.explanation)


def _dkim_auth(dkim: DkimVerdict | None) -> tuple[DkimAuth, ...]:
    if dkim is None:
        return ()
    return tuple(DkimAuth(normalize(s.domain), s.selector, s.result, s.reason)
                 for s in dkim.signatures if s.domain)


class _Concluded(Exception):
    def __init__(self, result: DmarcResult) -> None:
        super().__init__(result.result)
        self.result = result


class _Evaluation:
    def __init__(self, author: str, spf: SpfResult | None, dkim: DkimVerdict | None,
                 resolver: Resolver, compare_psl: bool) -> None:
        self.author = author
        self.spf = spf
        self.dkim = dkim
        self.resolver = resolver
        self.lookups = Lookups(resolver)
        self.compare_psl = compare_psl
        self.steps: list[Step] = []
        self.walks: dict[str, Walk] = {}
        self.fields: dict[str, object] = {"spf": _spf_auth(spf), "dkim": _dkim_auth(dkim)}
        self.tree_names: set[str] = set()  # the names the tree walks asked for, whoever asked first
        self.existence_unknown = False
        self.orgs: dict[str, str | None] = {}

    def say(self, text: str) -> None:
        self.steps.append(Step(text))

    def conclude(self, result: str, text: str, brief: str = "", **fields: object) -> _Concluded:
        """The verdict; ``brief`` (else the reason) is the few words a timeline diff shows beside it."""
        self.steps.append(Step(f"{text}; DMARC result: {result}", result, brief or str(fields.get("reason", ""))))
        self.fields.update(fields)
        return _Concluded(DmarcResult(result, self.author, queries=len(self.tree_names), steps=tuple(self.steps),
                                      **self.fields))  # type: ignore[arg-type]

    def run(self) -> DmarcResult:
        try:
            self.say(f"Author Domain, from the From field: {self.author} (RFC 9989 5.3.1)")
            if len(labels(self.author)) < 1:
                raise self.conclude(PERMERROR, "the Author Domain is empty", reason="no Author Domain")
            record = self.discover()
            record = self.check_record(record)
            self.choose_policy(record)
            alignments = self.align(record)
            raise self.verdict(record, alignments)
        except _Concluded as done:
            return done.result

    # --- policy discovery (4.10.1) --------------------------------------------------------------

    def discover(self) -> DmarcRecord:
        first = self.lookups.get(self.author)
        self.tree_names.add(self.author)
        self.say(f"{first.describe()} (RFC 9989 4.10.1: the Author Domain is asked first)")
        if first.outcome == DNS_ERROR:
            raise self.conclude(TEMPERROR, "the DMARC Policy Record cannot be looked up now (RFC 9989 4.10.1, 5.3.6)",
                                reason=f"DNS error looking up {first.query_name}")
        if first.record is not None:
            self.say("the Author Domain has its own record: it is the DMARC Policy Domain, and its p= applies "
                     "(RFC 9989 4.10.1)")
            self.fields["policy_domain"] = self.author
            self.psl_discovery(self.author)
            return first.record
        tree = self.walk_from(self.author, purpose="to find the Organizational Domain's or the PSD's record (4.10.1)",
                              skip_first=True)
        if tree.failed:
            raise self.conclude(TEMPERROR, "the tree walk hit a DNS error: the policy cannot be found now "
                                           "(RFC 9989 4.10.1, 5.3.6)", reason="DNS error in the tree walk")
        if not tree.records:
            self.psl_discovery("")
            raise self.conclude(NONE, "no DMARC Policy Record for the Author Domain, its Organizational Domain "
                                      "or its PSD: the DMARC mechanism does not apply (RFC 9989 4.10.1, 5.3.2)",
                                reason="no DMARC policy")
        org, _ = tree.organizational_domain()
        record = next((r for r in tree.records if r.domain == org), None)
        if record is None:
            record = next(r for r in tree.records if r.psd == "y")
            self.say(f"{org} has no record of its own: the Public Suffix Domain's record at _dmarc.{record.domain} "
                     f"applies (RFC 9989 4.10.1)")
        else:
            self.say(f"the record of the Organizational Domain {org} applies (RFC 9989 4.10.1)")
        unused = [r.domain for r in tree.records if r is not record]
        if unused:
            self.say(f"not used for this Author Domain: the record{'s' if len(unused) > 1 else ''} at "
                     f"{', '.join('_dmarc.' + d for d in unused)} (only the Author Domain's, its Organizational "
                     f"Domain's or its PSD's record applies, 4.10.1)")
        self.fields["policy_domain"] = record.domain
        self.psl_discovery(record.domain)
        return record

    def walk_from(self, start: str, *, purpose: str, skip_first: bool = False) -> Walk:
        """A tree walk (reusing answers already had), shown as one step: each query on a line."""
        if start in self.walks:
            return self.walks[start]
        before = set(self.lookups.cache)
        tree = walk(start, self.lookups)
        self.walks[start] = tree
        self.tree_names.update(lookup.name for lookup in tree.lookups)
        lines = []
        for lookup in tree.lookups[1 if skip_first else 0:]:
            lines.append("  " + lookup.describe() + ("" if lookup.name not in before else "  (answer already had)"))
        head = f"DNS Tree Walk from {start} {purpose}, at most 8 queries (RFC 9989 4.10):"
        if not lines:
            lines.append("  (no names above it)")
        self.say("\n".join([head, *lines, f"  the walk stops: {tree.stop}"]))
        return tree

    def check_record(self, record: DmarcRecord) -> DmarcRecord:
        self.say("\n".join([f"DMARC Policy Record of {record.domain}, tag by tag (RFC 9989 4.7):",
                            *("  " + line for line in record.tag_lines())]))
        for note in record.notes:
            self.say(note)
        if not record.usable_policy():
            raise self.conclude(PERMERROR, f"{record.invalid_policy} is not a valid policy and rua= names no valid "
                                           f"reporting URI: the receiver applies no DMARC processing (RFC 9989 4.10.1)",
                                record=record, reason=f"invalid {record.invalid_policy}")
        if record.invalid_policy:
            self.say(f"{record.invalid_policy} is not valid, but rua= names a reporting URI: the receiver acts as if "
                     f"the record said p=none (RFC 9989 4.10.1)")
        applied = record.as_applied()
        self.fields["record"] = applied
        return applied

    def choose_policy(self, record: DmarcRecord) -> None:
        assert record.p is not None
        if record.domain == self.author:
            self.say(f"the record is the Author Domain's own: p={record.p} applies (RFC 9989 4.10.1)")
            self.fields.update(policy=record.p, policy_tag="p")
            return
        tag, policy = ("sp", record.sp) if record.sp is not None else ("p", record.p)
        if record.np is not None:
            answer = self.resolver.query(self.author, "A")
            if answer is NXDOMAIN:
                self.say(f"{self.author} does not exist (NXDOMAIN, RFC 8020): np={record.np} applies to a "
                         f"non-existent subdomain (RFC 9989 3.2.13, 4.7, Appendix A.4)")
                self.fields.update(policy=record.np, policy_tag="np")
                return
            if answer is TEMPFAIL:
                self.existence_unknown = True
                self.say(f"whether {self.author} exists cannot be told now (DNS error): np= or {tag}= is undecided")
            else:
                self.say(f"{self.author} exists (its A query did not answer NXDOMAIN): np= does not apply "
                         f"(RFC 9989 Appendix A.4)")
        why = "sp= is the policy for subdomains" if tag == "sp" else "there is no sp=, so p= covers subdomains too"
        self.say(f"{self.author} is a subdomain of {record.domain}: {why}: {tag}={policy} applies (RFC 9989 4.7, 4.10.1)")
        self.fields.update(policy=policy, policy_tag=tag)

    # --- identifiers and alignment (5.3.3, 5.3.4, 4.4, 4.10.2) -------------------------------------

    def identifiers(self) -> tuple[str | None, list[str]]:
        spf_id = None
        if self.spf is None:
            self.say("SPF was not checked: there is no SPF-Authenticated Identifier (RFC 9989 4.4.2)")
        elif self.spf.identity == "helo":
            self.say("the SPF result is for the HELO identity; DMARC uses only the MAIL FROM identity (RFC 9989 3.2.4)")
        elif self.spf.result != PASS:
            self.say(f"SPF gave {self.spf.result} for {self.spf.domain}: no SPF-Authenticated Identifier "
                     f"(RFC 9989 4.4.2)")
        else:
            spf_id = normalize(self.spf.domain)
            self.say(f"SPF passed for the MAIL FROM domain {spf_id}: the SPF-Authenticated Identifier "
                     f"(RFC 9989 4.4.2)")
        dkim_ids: list[str] = []
        signatures = self.dkim.signatures if self.dkim is not None else ()
        for sig in signatures:
            d = normalize(sig.domain)
            if sig.result == PASS and d and d not in dkim_ids:
                dkim_ids.append(d)
            elif sig.result != PASS:
                reason = f" ({sig.reason})" if sig.reason else ""
                self.say(f"the DKIM signature d={sig.domain or '?'} did not pass: {sig.result}{reason}; it "
                         f"authenticates nothing (RFC 9989 4.4.1)")
        if dkim_ids:
            self.say(f"DKIM passed for d={', d='.join(dkim_ids)}: DKIM-Authenticated "
                     f"Identifier{'s' if len(dkim_ids) > 1 else ''} (RFC 9989 4.4.1)")
        elif not signatures:
            self.say("no DKIM signature was verified: there is no DKIM-Authenticated Identifier (RFC 9989 4.4.1)")
        return spf_id, dkim_ids

    def align(self, record: DmarcRecord) -> list[Alignment]:
        spf_id, dkim_ids = self.identifiers()
        pairs = ([("spf", spf_id, record.aspf)] if spf_id else []) + [("dkim", d, record.adkim) for d in dkim_ids]
        return [self.align_one(mechanism, identifier, mode) for mechanism, identifier, mode in pairs]

    def align_one(self, mechanism: str, identifier: str, mode: str) -> Alignment:
        name = {"spf": "SPF", "dkim": "DKIM"}[mechanism]
        label = f"{name} {identifier}"
        if mode == "s":
            same = identifier == self.author
            text = (f"{label}: strict alignment (a{mechanism}=s) needs the very name {self.author}: "
                    f"{'aligned' if same else 'not aligned'} (RFC 9989 3.2.10.2, 4.4)")
            self.say(text)
            return Alignment(mechanism, identifier, mode, same, text)
        if identifier == self.author:
            text = f"{label}: the same name as the Author Domain: aligned, relaxed (RFC 9989 3.2.10.1, 4.10.2)"
            self.say(text)
            return Alignment(mechanism, identifier, mode, True, text)
        author_org = self.organizational(self.author)
        other_org = self.organizational(identifier)
        if author_org is None or other_org is None:
            text = f"{label}: a DNS error leaves its Organizational Domain unknown: alignment undecided (RFC 9989 5.3.6)"
            self.say(text)
            return Alignment(mechanism, identifier, mode, None, text)
        aligned = author_org == other_org
        text = (f"{label}: relaxed alignment (a{mechanism}=r) compares Organizational Domains: {identifier} → "
                f"{other_org}, {self.author} → {author_org}: {'aligned' if aligned else 'not aligned'} "
                f"(RFC 9989 3.2.10.1, 4.10.2)")
        self.say(text)
        self.psl_alignment(identifier, aligned)
        return Alignment(mechanism, identifier, mode, aligned, text)

    def organizational(self, name: str) -> str | None:
        if name not in self.orgs:
            tree = self.walk_from(name, purpose="for its Organizational Domain (4.10.2)")
            org, why = (None, "") if tree.failed else tree.organizational_domain()
            if org is not None:
                self.say(f"Organizational Domain of {name}: {org}: {why}")
            self.orgs[name] = org
            if name == self.author:
                self.fields["organizational_domain"] = org or ""
        return self.orgs[name]

    # --- verdict and policy (5.3.5, 5.3.6, 4.7 t) ---------------------------------------------------

    def verdict(self, record: DmarcRecord, alignments: Sequence[Alignment]) -> _Concluded:
        fields = {"alignments": tuple(alignments)}
        winners = [a for a in alignments if a.aligned]
        if winners:
            names = ", ".join(f"{a.mechanism.upper()} {a.identifier}" for a in winners)
            return self.conclude(PASS, f"aligned and authenticated: {names}: the Author Domain's use is validated "
                                       f"(RFC 9989 5.3.5); the policy is not applied", disposition=NONE, **fields)
        if any(a.aligned is None for a in alignments) or self.existence_unknown:
            return self.conclude(TEMPERROR, "a DNS query needed to decide did not complete: the message neither "
                                            "passes nor fails (RFC 9989 5.3.6)", disposition=NONE,
                                 reason="DNS error", **fields)
        why = ("no authenticated identifier is aligned with the Author Domain" if alignments
               else "there is no authenticated identifier at all")
        policy = str(self.fields.get("policy", NONE))
        disposition = policy
        if record.testing and policy != NONE:
            disposition = MILDER[policy]
            self.say(f"t=y: the Domain Owner is testing its policy, so one level milder is applied: "
                     f"{policy} → {disposition} (RFC 9989 4.7, Appendix A.6)")
        action = {"none": "deliver as usual (p=none MUST NOT change handling, RFC 9989 5.4)",
                  "quarantine": "quarantine: deliver to the Junk folder",
                  "reject": f"reject at the end of DATA: {REJECT_REPLY[0]} {REJECT_REPLY[1]} (RFC 9989 7.2)"}[disposition]
        tag = f"{self.fields.get('policy_tag', 'p')}={policy}" + (" t=y" if record.testing else "")
        done = {"none": "delivered", "quarantine": "quarantined", "reject": "refused"}[disposition]
        return self.conclude(FAIL, f"{why} (RFC 9989 5.3.5); {self.fields.get('policy_tag', 'p')}={policy}: "
                                   f"{action}", brief=f"{tag}: {done}", disposition=disposition, reason=why,
                             **fields)

    # --- beside it: RFC 7489's public suffix list --------------------------------------------------

    def psl_discovery(self, tree_domain: str) -> None:
        if not self.compare_psl:
            return
        org = psl_organizational_domain(self.author)
        self.fields["psl_organizational_domain"] = org
        text = (f"The method RFC 9989 replaced (RFC 7489 3.2, 6.6.3): the public suffix list says {self.author} "
                f"ends in the public suffix {public_suffix(self.author)}, so its Organizational Domain is {org}; "
                f"RFC 7489 asks _dmarc.{self.author}")
        found = self.lookups.get(self.author)
        if found.outcome != FOUND and org != self.author:
            text += f", then _dmarc.{org} and nothing else"
            found = self.lookups.get(org)
        psl_domain = found.name if found.outcome == FOUND else ""
        self.fields["psl_policy_domain"] = psl_domain
        got = f"the record at _dmarc.{psl_domain}" if psl_domain else "no record"
        if psl_domain == tree_domain:
            text += f": {got}, the same as the tree walk"
        else:
            tree = f"the record at _dmarc.{tree_domain}" if tree_domain else "no record"
            text += f": {got}, where the tree walk finds {tree}: the two methods differ"
        self.say(text)

    def psl_alignment(self, identifier: str, aligned: bool) -> None:
        if not self.compare_psl:
            return
        a, b = psl_organizational_domain(identifier), psl_organizational_domain(self.author)
        psl_aligned = a == b
        verdict = "the same verdict" if psl_aligned == aligned else "a different verdict from the tree walk's"
        self.say(f"RFC 7489's public suffix list would say {identifier} → {a}, {self.author} → {b}: "
                 f"{'aligned' if psl_aligned else 'not aligned'}, {verdict} (RFC 7489 3.1, 3.2)")
