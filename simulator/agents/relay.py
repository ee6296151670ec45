"""The relay (MTA): runs a MailHost's queue, finds the next hop by MX, retries, bounces.

TLS between MTAs (RFC 3207) follows the relay's policy:

- ``opportunistic`` (the default, Postfix ``smtp_tls_security_level = may``):
  STARTTLS when the MX offers it, with no certificate check, and plaintext
  when it does not. RFC 7435 calls this opportunistic security: it beats
  plaintext against an eavesdropper, but a man in the middle who removes the
  offer of STARTTLS goes unnoticed (RFC 3207 6).
- ``verify`` (Postfix ``verify``): TLS is required and the certificate must
  come from the world's CA and name the MX host; otherwise the mail is
  deferred (4.7.x) and retried, never sent in plaintext.
- ``none``: never STARTTLS.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.agents.mailhost import MailHost
from simulator.mail.bounce import FailedRecipient, build_bounce
from simulator.mail.queue import QueueEntry
from simulator.net.dns import NODATA, NXDOMAIN, DnsAnswer, MxHost
from simulator.protocols.smtp.address import domain_of
from simulator.protocols.smtp.client import OutgoingMessage, RecipientResult, SmtpClient
from simulator.protocols.smtp.replies import Reply
from simulator.security.mtasts import StsPolicy, parse_record
from simulator.trace import CheckStep, FaultInjected, Note

SMTP_PORT = 25
RELAY_TLS_POLICIES = ("none", "opportunistic", "verify")
# The SMTP client's STARTTLS policy for each relay policy (RFC 3207 4), and whether it checks the certificate.
_CLIENT_POLICY = {"none": ("none", False), "opportunistic": ("opportunistic", False), "verify": ("required", True)}


@dataclass(frozen=True, slots=True)
class HopResult:
    delivered: list[str]
    deferred: list[tuple[str, Reply]]
    failed: list[tuple[str, Reply, str]]  # recipient, reply, remote MTA


class Relay:
    def __init__(self, mailhost: MailHost, mailhosts: dict[str, MailHost], *, tls: str = "opportunistic",
                 sts: dict[str, StsPolicy] | None = None) -> None:
        if tls not in RELAY_TLS_POLICIES:
            raise ValueError(f"relay TLS policy {tls!r}: one of {', '.join(RELAY_TLS_POLICIES)}")
        self.tls = tls
        # Receiving domain -> its MTA-STS policy, as the sender would fetch it (RFC 8461 3.3); the relays
        # look for policies only in a world that has one.
        self.sts = sts or {}
        self.mailhost = mailhost
        self.world = mailhost.world
        self.mailhosts = mailhosts

    def run_queue(self) -> None:
        """One queue run: try every entry that is due now."""
        for entry in self.mailhost.queue.due(self.world.clock.now()):
            self._attempt(entry)

    def _attempt(self, entry: QueueEntry) -> None:
        entry.attempts += 1
        queue = self.mailhost.queue
        local = [r for r in entry.recipients if self.mailhost.is_local(r) or "@" not in r]
        for rcpt in local:
            self.mailhost.deliver_local(rcpt, entry.mail_from, entry.data)
        if local:
            queue.sent(entry, local, "delivered locally")
        by_domain: dict[str, list[str]] = {}
        for rcpt in list(entry.recipients):
            by_domain.setdefault(domain_of(rcpt), []).append(rcpt)
        bounced: list[FailedRecipient] = []
        data = entry.data
        if by_domain:
            data, changed = self.mailhost.faults.change_body(self.mailhost.name, entry.data)
            if changed:
                self.world.record(FaultInjected(fault="body-changed", detail=f"{changed} of {entry.queue_id} "
                                                "while relaying it"))
        for domain, rcpts in by_domain.items():
            result = self._relay_to_domain(entry, domain, rcpts, data)
            if result.delivered:
                queue.sent(entry, result.delivered, f"relayed to {domain}")
            for rcpt, reply, mta in result.failed:
                queue.failed(entry, [rcpt], str(reply))
                bounced.append(FailedRecipient(rcpt, reply.enhanced or f"{reply.code // 100}.0.0", str(reply), mta))
            for rcpt, reply in result.deferred:
                if not queue.defer(entry, [rcpt], str(reply), self.world.clock.now()):
                    queue.failed(entry, [rcpt], "gave up after the maximum queue lifetime")
                    bounced.append(FailedRecipient(rcpt, "4.4.7", f"{reply} (retried for 5 days)"))
        if bounced:
            self._bounce(entry, bounced)

    def _relay_to_domain(self, entry: QueueEntry, domain: str, rcpts: list[str], data: bytes) -> HopResult:
        asker = self.mailhost.name
        mx_hosts, answer = self.world.dns.mx_hosts(domain, asker)
        known: dict[str, DnsAnswer] = {}  # A answers already fetched, so none is asked twice
        if answer.error in (NXDOMAIN, NODATA):
            # RFC 5321 5.1: no MX records, so the domain itself is the implicit MX.
            a = self.world.dns.query(domain, "A", asker)
            if not a.ok:
                if answer.error == NXDOMAIN:
                    reply = Reply(550, (f"Host or domain name not found: {domain}",), "5.1.2")
                    return HopResult([], [], [(r, reply, "") for r in rcpts])
                if a.error in (NXDOMAIN, NODATA):
                    # RFC 5321 5.1: an unusable implicit MX "MUST be reported as an error".
                    reply = Reply(550, (f"Unable to route: {domain} has no MX and no address record",), "5.4.4")
                    return HopResult([], [], [(r, reply, "") for r in rcpts])
                reply = Reply(451, (f"DNS lookup of {domain} A failed: {a.error}",), "4.4.3")
                return HopResult([], [(r, reply) for r in rcpts], [])
            targets = [domain]
            known[domain] = a
        elif not answer.ok:
            reply = Reply(451, (f"DNS lookup of {domain} MX failed: {answer.error}",), "4.4.3")
            return HopResult([], [(r, reply) for r in rcpts], [])
        else:
            targets = self._in_preference_order(mx_hosts)
        refused: HopResult | None = None
        unusable = 0
        sts = self._sts_policy(domain)
        for target in targets:
            if sts is not None and not self._sts_allows(sts, target):
                reply = Reply(451, (f"MTA-STS: {target} is not an MX the policy of {domain} allows",), "4.7.5")
                refused = refused or HopResult([], [(r, reply) for r in rcpts], [])
                continue
            addr = known.get(target) or self.world.dns.query(target, "A", asker)
            if not addr.ok:
                unusable += addr.error in (NXDOMAIN, NODATA)
                continue
            # Like a real MTA: the name gives an address, and the address is what we connect to;
            # the certificate, if checked, must name the MX host (RFC 8461 4.1, RFC 6125).
            policy, verify = ("required", True) if sts is not None else _CLIENT_POLICY[self.tls]
            client = self._session(entry, rcpts, data, target, addr.records[0], policy, verify)
            if client is None:
                self.world.record(Note(text=f"{target} did not answer; trying the next MX"))
                continue
            tls_problem = self._tls_problem(client, target, required=policy == "required")
            if sts is not None:
                self._sts_verdict(sts, target, tls_problem)
                if tls_problem is not None and sts.mode == "testing":
                    # RFC 8461 5: a testing policy never stops delivery: again, as without a policy.
                    policy, verify = _CLIENT_POLICY[self.tls]
                    client = self._session(entry, rcpts, data, target, addr.records[0], policy, verify)
                    if client is None:
                        self.world.record(Note(text=f"{target} did not answer; trying the next MX"))
                        continue
                    tls_problem = self._tls_problem(client, target, required=policy == "required")
            if tls_problem is not None:
                # Not sent: a deferral, retried later, perhaps through another MX; never plaintext instead.
                self.world.record(Note(text=f"{self.mailhost.host.fqdn} did not send to {target}: "
                                            f"{tls_problem.text}"))
                refused = HopResult([], [(r, tls_problem) for r in rcpts], [])
                continue
            if client.tls_active and not verify:
                self.world.record(Note(text=f"{self.mailhost.host.fqdn} encrypted the hop to {target} without "
                                            "checking its certificate: opportunistic TLS (RFC 7435)"))
            results: list[RecipientResult] = [r for m in client.results for r in m.recipients]
            hop = HopResult(
                [r.recipient for r in results if r.outcome == "delivered"],
                [(r.recipient, r.reply) for r in results if r.outcome == "deferred"],
                [(r.recipient, r.reply, target) for r in results if r.outcome == "failed"],
            )
            if client.session_refused is not None and client.session_refused.is_transient:
                # Turned away before any transaction (e.g. 421 greeting): try the next MX.
                refused = hop
                self.world.record(Note(text=f"{target} refused the session; trying the next MX"))
                continue
            return hop
        if refused is not None:
            return refused
        if unusable == len(targets):
            # RFC 5321 5.1: MX records, but none usable: "MUST be reported as an error".
            reply = Reply(550, (f"Unable to route: no mail exchanger of {domain} has an address",), "5.4.4")
            return HopResult([], [], [(r, reply, "") for r in rcpts])
        reply = Reply(451, (f"Could not connect to any mail exchanger for {domain}",), "4.4.1")
        return HopResult([], [(r, reply) for r in rcpts], [])

    def _session(self, entry: QueueEntry, rcpts: list[str], data: bytes, target: str, address: str,
                 policy: str, verify: bool) -> SmtpClient | None:
        """One SMTP session to ``target`` at ``address``; None if it did not answer."""
        conn = self.world.connect(self.mailhost.name, address, SMTP_PORT, tls_name=target, tls_verify=verify)
        if conn is None:
            return None
        client = SmtpClient(self.mailhost.host.fqdn, [OutgoingMessage(entry.mail_from, list(rcpts), data)],
                            tls=policy)
        conn.run_client(client)
        return client

    def _step(self, text: str, result: str = "", reason: str = "") -> None:
        self.world.record(CheckStep(host=self.mailhost.name, check="mta-sts", text=text, result=result,
                                    reason=reason))

    def _sts_policy(self, domain: str) -> StsPolicy | None:
        """The MTA-STS policy in force for ``domain`` (RFC 8461 3), its discovery shown as check steps.

        The relays of a world that lists no policy do not look (so the default world's traces hold no
        ``_mta-sts`` lookups); once one domain has a policy, every relay looks for every domain.
        """
        if not self.sts:
            return None
        name = f"_mta-sts.{domain}"
        answer = self.world.dns.query(name, "TXT", self.mailhost.name)
        records = [r for r in (parse_record(t) for t in answer.records) if r is not None]
        if not records:
            self._step(f"{name} TXT: no v=STSv1 record, so no policy: TLS as usual (RFC 8461 3.1)")
            return None
        if len(records) > 1:
            self._step(f"{name} TXT: {len(records)} v=STSv1 records; RFC 8461 3.1: the sender "
                       "assumes no policy", result="none", reason="more than one record")
            return None
        policy = self.sts.get(domain.lower())
        self._step(f"{name} TXT: v=STSv1, id={records[0].id}: {domain} has an MTA-STS policy (RFC 8461 3.1)")
        if policy is None:
            self._step(f"the policy is not published at {domain}'s policy host: no policy in force "
                       "(RFC 8461 3.3)", result="none", reason="policy not found")
            return None
        self._step(f"the policy, which a real sender fetches over HTTPS from {policy.url} (RFC 8461 3.3); "
                   "the virtual world has no HTTPS, so it comes from the scenario: "
                   + "; ".join(policy.text().strip().split("\r\n")))
        if policy.mode == "none":
            self._step("mode: none: no policy in force; TLS as usual (RFC 8461 5)", result="none",
                       reason="mode none")
            return None
        return policy

    def _sts_allows(self, sts: StsPolicy, target: str) -> bool:
        """RFC 8461 4.1: the MX host must match an ``mx`` pattern; under ``testing`` it is used anyway."""
        pattern = sts.allows(target)
        if pattern is not None:
            self._step(f"MX {target} matches mx: {pattern} (RFC 8461 4.1)")
            return True
        if sts.mode == "enforce":
            self._step(f"MX {target} matches no mx pattern of the policy ({', '.join(sts.mx)}): not used "
                       "(RFC 8461 4.1, 5)", result="fail", reason="MX not in the policy")
            return False
        self._step(f"MX {target} matches no mx pattern of the policy ({', '.join(sts.mx)}); testing mode: "
                   "used anyway (RFC 8461 5)", result="fail", reason="MX not in the policy (testing)")
        return True

    def _sts_verdict(self, sts: StsPolicy, target: str, problem: Reply | None) -> None:
        if problem is None:
            self._step(f"TLS with {target}, its certificate valid for that name from a trusted CA "
                       "(RFC 8461 4.2): the policy is met", result="pass")
        elif sts.mode == "enforce":
            self._step(f"{problem.text}: enforce mode, so the message is not delivered to {target} "
                       "and waits in the queue (RFC 8461 5)", result="fail", reason="TLS policy not met")
        else:
            self._step(f"{problem.text}: testing mode, so the message is delivered anyway, as without "
                       "a policy; the failure would go in a TLS report (RFC 8461 5, RFC 8460)",
                       result="fail", reason="TLS policy not met (testing)")

    def _tls_problem(self, client: SmtpClient, target: str, *, required: bool) -> Reply | None:
        """Why the session sent nothing for want of TLS (a deferral), or None when TLS was not the problem."""
        if client.error.startswith("TLS handshake failed"):
            # RFC 3463 3.8: X.7.5 "Cryptographic failure"; 4xx, so the message waits in the queue.
            return Reply(451, (f"{client.error} (with {target})",), "4.7.5")
        if required and not client.tls_active and client.session_refused is not None \
                and "STARTTLS" in client.error:
            # RFC 3463 3.8: X.7.4 "Security features not supported".
            return Reply(451, (f"TLS is required, but {target} offered no STARTTLS",), "4.7.4")
        return None

    def _in_preference_order(self, mx_hosts: list[MxHost]) -> list[str]:
        """Lowest preference first; equal preferences in random order (RFC 5321 5.1), seeded."""
        groups: dict[int, list[str]] = {}
        for mx in mx_hosts:
            groups.setdefault(mx.preference, []).append(mx.host)
        ordered: list[str] = []
        for preference in sorted(groups):
            group = groups[preference]
            self.world.rng.shuffle(group)
            ordered += group
        return ordered

    def _bounce(self, entry: QueueEntry, failed: list[FailedRecipient]) -> None:
        if entry.mail_from == "":
            # Never bounce a bounce (RFC 5321 6.1, RFC 3464 2.1): it would loop.
            self.world.record(Note(text=f"bounce {entry.queue_id} is undeliverable; dropped (never bounce a bounce)"))
            return
        mh = self.mailhost
        data = build_bounce(
            reporting_mta=mh.host.fqdn,
            to=entry.mail_from,
            failed=failed,
            original=entry.data,
            date=self.world.clock.datetime(),
            arrival=self.world.clock.datetime_at(entry.created),
            message_id=f"<{self.world.rng.hex(16)}@{mh.host.fqdn}>",
            boundary=f"{self.world.rng.hex(12)}/{mh.host.fqdn}",
        )
        mh.queue.add(mh.new_queue_id(), "", [entry.mail_from], data, self.world.clock.now())
        self.run_queue()
