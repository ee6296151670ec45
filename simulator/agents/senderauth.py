"""Sender authentication in the mail hosts: DKIM signing on submission; SPF and DKIM at the MX.

**Signing** (RFC 6376 5): the provider signs its users' mail once, on the
submission server, after it has completed the message (Message-ID, Date,
RFC 6409 8) and before anything else handles it, as an OpenDKIM milter on the
submission port does. The key is chosen by the domain of the From field (the
"signing table"): mail whose author is not in one of the host's signing
domains leaves unsigned. The DKIM-Signature sits under the MSA's own Received
field, where a milter's inserted field lands.

**Checking** (the receiving MX): at the end of DATA, when the whole message is
known, in this order, each step a ``CheckStep`` in the trace as it happens:

1. SPF of the HELO identity, then of the MAIL FROM identity, with the address
   the connection came from (RFC 7208 2.3, 2.4; the DNS lookups fall between
   the steps that asked for them);
2. DKIM: every signature (RFC 6376 6), the keys fetched through DNS;
3. DMARC (RFC 9989 5.3): the From field's domain, its policy found by the DNS
   tree walk, SPF and DKIM aligned with it or not.

Evaluating SPF at MAIL FROM would be possible (RFC 7208 2.4), but DMARC needs
the From field, so everything waits for the final dot, as many MTAs do.

**What follows** (:func:`verdict`): the MX removes Authentication-Results fields
that claim its own name (RFC 8601 5), adds Received-SPF (RFC 7208 9.1) and
Authentication-Results (RFC 8601) above its Received field, and carries out the
DMARC disposition: none delivers to INBOX, quarantine to the user's Junk
folder, reject refuses the message with 550 5.7.1 at the end of DATA (RFC 9989
7.2, the example reply there).

**SPF fail alone does not refuse mail whose author domain publishes DMARC.**
RFC 7208 8.4 lets a receiver reject a "fail"; but such a message may still
pass DMARC through an aligned DKIM signature (a forwarded message does), and
rejecting on SPF before DMARC has been evaluated defeats that (RFC 9989 keeps
RFC 7489 10.1's advice): the domain's policy decides. Only when no DMARC
policy applies does an SPF fail of MAIL FROM refuse the message, with 550
5.7.23 "SPF validation failed" (RFC 7208 8.4; the code is RFC 7372 3.2's),
as an SPF policy daemon in front of Postfix does.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from simulator.mail.message import header_values
from simulator.mail.store import INBOX
from simulator.protocols.smtp.replies import Reply
from simulator.security import authresults, dmarc, dmarc_report
from simulator.security.dkim import DkimSigner, DkimVerdict, DkimVerifier
from simulator.security.dmarc import DmarcResult
from simulator.security.dns import Resolver
from simulator.security.spf import SpfResult, check_helo, check_mail_from, received_spf, step_event
from simulator.trace import CheckStep, Event

Record = Callable[[Event], object]
LINE_WIDTH = 78  # RFC 5322 2.1.1: lines SHOULD be no more than 78 characters
JUNK = "Junk"  # where a quarantined message goes: the user's \\Junk folder (RFC 6154 2)


def author_domain(data: bytes) -> str:
    """The domain of the (first) From field's address, lower case; "" when there is none."""
    value = header_values(data, "From")[0]
    addresses = [addr for _, addr in email.utils.getaddresses([value]) if "@" in addr]
    return addresses[0].rpartition("@")[2].lower().rstrip(".") if addresses else ""


@dataclass(frozen=True, slots=True)
class Signature:
    """What signing did to a message: the message out, and the body as signed (by its b= value)."""

    message: bytes
    b: str = ""
    body: bytes = b""


def sign(data: bytes, signers: Mapping[str, DkimSigner], host: str, now: float, record: Record) -> Signature:
    """Sign ``data`` with the signer of its author's domain, recording each step; unsigned when there is none."""
    domain = author_domain(data)
    signer = signers.get(domain)
    if signer is None:
        return Signature(data)
    signed = signer.sign(data, now=now)
    for event in signed.events(host):
        record(event)
    record(CheckStep(host=host, check="dkim", result="signed",
                     text=f"signed for d={signer.domain} (s={signer.selector}, {signer.key.algorithm}, "
                          f"{signer.header_canon}/{signer.body_canon}): the receiver will fetch the key at "
                          f"{signer.selector}._domainkey.{signer.domain}"))
    return Signature(signed.message, signed.signature, signed.body)


@dataclass(frozen=True, slots=True)
class Checks:
    """What the MX found about one incoming message."""

    helo: SpfResult
    mail_from: SpfResult
    dkim: DkimVerdict
    dmarc: DmarcResult


def check_incoming(
    data: bytes,
    *,
    client_ip: str,
    helo: str,
    mail_from: str,
    receiver: str,
    host: str,
    resolver: Resolver,
    now: float,
    record: Record,
    sent_bodies: Mapping[str, bytes] | None = None,
) -> Checks:
    """SPF (HELO, then MAIL FROM), DKIM and DMARC of one message, every step recorded as it happens.

    ``sent_bodies`` maps a signature's b= value to the body its signer hashed, so a
    body hash mismatch names the line and byte that changed on the way.
    """
    def on_step(step) -> None:
        record(step_event(host, step))

    options = {"receiver": receiver, "now": now, "on_step": on_step}
    from_result = None
    if mail_from:
        helo_result = check_helo(client_ip, helo, resolver, **options)
    else:  # RFC 7208 2.4: a null reverse-path is checked as postmaster@ the HELO name: one check
        helo_result = from_result = check_mail_from(client_ip, mail_from, helo, resolver, **options)
    if from_result is None:
        from_result = check_mail_from(client_ip, mail_from, helo, resolver, **options)
    verdict = DkimVerifier(resolver).verify(
        data, now=now, sent_bodies=sent_bodies,
        on_step=lambda step: record(CheckStep(host=host, check="dkim", text=step.text, result=step.result,
                                              reason=step.reason)))
    policy = dmarc.check_message(data, from_result, verdict, resolver)
    for event in policy.events(host):
        record(event)
    return Checks(helo_result, from_result, verdict, policy)


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One message's row of the aggregate report the receiver sends the Policy Domain (RFC 9990).

    ``xml`` is the <record> as sent (count 1); rows with the same ``xml`` are counted together
    in the daily report. ``when`` is the virtual time the message was checked (POSIX seconds).
    """

    result: DmarcResult
    source_ip: str
    envelope_to: str
    xml: str
    when: float

    @property
    def policy_domain(self) -> str:
        return self.result.policy_domain

    @property
    def rua(self) -> tuple[str, ...]:
        return tuple(self.result.record.rua) if self.result.record is not None else ()


def report_row(checks: Checks, *, client_ip: str, envelope_to: str, host: str, now: float,
               record: Record) -> ReportRow | None:
    """The aggregate report row of a checked message, recorded as a DMARC step; None when no report is due.

    A receiver keeps the results for its reports (RFC 9989 5.3.7) and sends them at least once
    every 24 hours (5.3.8) to the rua= addresses of the DMARC Policy Record it applied (4.7,
    RFC 9990): no record, or a record without rua=, and nobody asked for a report.
    """
    policy = checks.dmarc
    if policy.record is None or not policy.record.rua:
        return None
    element = dmarc_report.record_element(policy, client_ip, envelope_to=envelope_to)
    xml = dmarc_report.to_xml(element)
    record(CheckStep(host=host, check="dmarc", text=(
        f"aggregate report (RFC 9989 5.3.7, 5.3.8; RFC 9990): this message adds a row to the daily report for "
        f"{policy.policy_domain}, "
        f"sent to {', '.join(policy.record.rua)}; rows alike are counted together:\n"
        + "\n".join("  " + line for line in xml.splitlines()))))
    return ReportRow(policy, client_ip, envelope_to, xml, now)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the MX does with a message: the fields it adds, the folder, or the refusal at the final dot."""

    fields: tuple[tuple[str, str], ...] = ()  # (name, value), each prepended in turn: the last ends on top
    folder: str = INBOX
    refusal: Reply | None = None


def verdict(checks: Checks, receiver: str, host: str, record: Record) -> Verdict:
    """The header fields the MX adds and what it does with the message (see the module docstring)."""
    policy = checks.dmarc
    helo = checks.helo if checks.helo is not checks.mail_from else None
    results = authresults.method_results(spf=checks.mail_from, helo=helo, dkim=checks.dkim, dmarc=policy)
    fields = (
        ("Received-SPF", fold("Received-SPF", received_spf(checks.mail_from, receiver))),
        (authresults.FIELD_NAME, authresults.field_value(receiver, results).lstrip(" ")),
    )
    if policy.disposition == "reject":
        code, enhanced = dmarc.REJECT_REPLY
        return Verdict(refusal=Reply(code, (policy.rejection_text(),), enhanced))
    if policy.disposition == "quarantine":
        return Verdict(fields, JUNK)
    if checks.mail_from.result == "fail" and policy.record is None:
        spf = checks.mail_from
        record(CheckStep(host=host, check="spf", text=(
            f"no DMARC policy covers {policy.author_domain or 'the From domain'}, so the SPF fail of "
            f"{spf.sender} decides: refused at the end of DATA, 550 5.7.23 (RFC 7208 8.4, RFC 7372 3.2)")))
        return Verdict(refusal=Reply(550, (f"SPF validation failed: {spf.explanation}",), "5.7.23"))
    return Verdict(fields)


def without_forged_results(data: bytes, authserv_id: str) -> tuple[bytes, int]:
    """``data`` without the Authentication-Results fields that claim to come from ``authserv_id``.

    RFC 8601 5: a receiver MUST remove (or rename) such fields arriving from outside,
    or a sender could write its own "dkim=pass" under the receiver's name.
    """
    head, sep, body = data.partition(b"\r\n\r\n")
    kept: list[bytes] = []
    removed = 0
    dropping = False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                kept.append(line)
            continue
        name, colon, value = line.partition(b":")
        ours = value.split(b";")[0].split(b"(")[0].strip().lower() == authserv_id.lower().encode()
        dropping = bool(colon) and name.strip().lower() == b"authentication-results" and ours
        removed += dropping
        if not dropping:
            kept.append(line)
    return b"\r\n".join(kept) + sep + body, removed


def fold(name: str, value: str, width: int = LINE_WIDTH) -> str:
    """``value`` folded at spaces so that no line of the field passes ``width`` (RFC 5322 2.1.1, 2.2.3)."""
    lines, line = [], f"{name}:"
    for word in value.split(" "):
        if len(line) + 1 + len(word) > width and line.strip() and not line.endswith(":"):
            lines.append(line)
            line = "\t" + word
        else:
            line += " " + word
    lines.append(line)
    return "\r\n".join(lines)[len(name) + 2:]
