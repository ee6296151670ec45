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
2. DKIM: every signature (RFC 6376 6), the keys fetched through DNS.

Evaluating SPF at MAIL FROM would be possible (RFC 7208 2.4), but DMARC needs
the From field, so everything waits for the final dot, as many MTAs do.

**SPF fail alone does not refuse mail here.** RFC 7208 8.4 lets a receiver
reject a "fail" with 550 5.7.1; but a message whose author domain publishes
DMARC may still pass through an aligned DKIM signature, and rejecting on SPF
before DMARC has been evaluated would defeat that (RFC 7489 10.1, kept by
RFC 9989): so the verdict goes into the header fields and the decision is
left to the domain's policy.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from simulator.mail.message import header_values
from simulator.mail.store import INBOX
from simulator.protocols.smtp.replies import Reply
from simulator.security.dkim import DkimSigner, DkimVerdict, DkimVerifier
from simulator.security.dns import Resolver
from simulator.security.spf import SpfResult, check_helo, check_mail_from, received_spf, step_event
from simulator.trace import CheckStep, Event

Record = Callable[[Event], object]
LINE_WIDTH = 78  # RFC 5322 2.1.1: lines SHOULD be no more than 78 characters


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
    """SPF (HELO, then MAIL FROM) and DKIM of one message, every step recorded as it happens.

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
        on_step=lambda step: record(CheckStep(host=host, check="dkim", text=step.text, result=step.result)))
    return Checks(helo_result, from_result, verdict)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the MX does with a message: the fields it adds, the folder, or the refusal at the final dot."""

    fields: tuple[tuple[str, str], ...] = ()  # (name, value), each prepended in turn: the last ends on top
    folder: str = INBOX
    refusal: Reply | None = None


def verdict(checks: Checks, receiver: str) -> Verdict:
    """Received-SPF for the MAIL FROM identity (RFC 7208 9.1); the message is delivered."""
    return Verdict(fields=(("Received-SPF", fold("Received-SPF", received_spf(checks.mail_from, receiver))),))


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
