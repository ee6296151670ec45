"""DKIM signing and verification (RFC 6376; ed25519-sha256 per RFC 8463), each step returned as data.

The algorithm is written out here so the teaching view can show every stage: the
canonicalized header fields and body (3.4), the body hash (3.7), the exact data
signed with b= emptied (3.7), the signature, the key record fetched through DNS
(3.6.2) and the verdict. The cryptography itself comes from `cryptography`
(simulator/security/keys.py). DNS comes in as a callable and time as a number, so
nothing here touches the network or a clock.

Results are RFC 8601 2.7.1's words for DKIM, chosen per RFC 6376 6.1 outcome:

=========== =====================================================================
pass        the signature verified
fail        it was checked and did not hold: body hash or signature mismatch, the
            key revoked (3.6.1: "MUST treat this as a failed signature check"),
            the signature expired (x=), the body shorter than l=
policy      verifiable but refused: rsa-sha1 or an RSA key under 1024 bits (RFC 8301)
neutral     the signature has syntax errors or cannot be processed (unknown a=, c=, q=)
temperror   the key could not be fetched for now (DNS SERVFAIL)
permerror   the key is unusable: missing, malformed, of another type than a=,
            restricted by its h=, s= or t=s tags
none        the message carries no DKIM-Signature
=========== =====================================================================
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NoReturn

from cryptography.hazmat.primitives.asymmetric import rsa

from simulator.security import canonical
from simulator.security.canonical import CRLF, RELAXED, HeaderField, select_fields, split_message
from simulator.security.difference import first_difference
from simulator.security.dns import NXDOMAIN, TEMPFAIL, Resolver, txt_text
from simulator.security.keys import (
    HASH_OF,
    KEY_TYPE,
    MIN_RSA_BITS,
    RSA_SHA1,
    KeyRecord,
    KeyRecordError,
    PublicKey,
    SigningKey,
    parse_key_record,
    verify_signature,
)
from simulator.security.steps import Step, show
from simulator.security.taglist import TagListError, colon_list, parse_tags, without_fws
from simulator.trace import CheckStep

FIELD_NAME = "DKIM-Signature"

# RFC 8601 2.7.1 results for DKIM
NONE, PASS, FAIL, POLICY, NEUTRAL, TEMPERROR, PERMERROR = (
    "none", "pass", "fail", "policy", "neutral", "temperror", "permerror")

# why a signature did not pass (RFC 6376 6.1's PERMFAIL / TEMPFAIL reasons)
BODY_HASH_MISMATCH = "body hash mismatch"
SIGNATURE_MISMATCH = "signature mismatch"
KEY_REVOKED = "key revoked"
KEY_MISSING = "key missing"
KEY_UNAVAILABLE = "key unavailable (DNS error)"
KEY_SYNTAX = "key record syntax error"
KEY_TOO_SMALL = "key too small"
KEY_NOT_FOR_EMAIL = "key not for email"
EXPIRED = "signature expired"
SYNTAX = "signature syntax error"
UNSUPPORTED = "unsupported algorithm"
ALGORITHM_MISMATCH = "algorithm mismatch"
HASH_NOT_ALLOWED = "hash not allowed by key"
IDENTITY_NOT_ALLOWED = "identity not allowed by key"
BODY_TOO_SHORT = "body shorter than l="

LINE_WIDTH = 78  # RFC 5322 2.1.1: lines SHOULD be no more than 78 characters
MAX_SIGNATURES = 5  # signatures verified per message (RFC 6376 6.1: a verifier MAY limit them)

# The fields signed by default, in h= order (RFC 6376 5.4.1's list); From is over-signed (8.15)
SIGNED_FIELDS = ("from", "to", "cc", "subject", "date", "message-id", "mime-version", "content-type",
                 "reply-to", "in-reply-to", "references")

TAG_MEANING = {
    "v": "version", "a": "signing algorithm", "b": "the signature", "bh": "hash of the canonicalized body",
    "c": "canonicalization, header/body", "d": "signing domain (SDID)", "h": "header fields signed",
    "i": "identity of the user or agent (AUID)", "l": "body length signed", "q": "key lookup method",
    "s": "selector: the key is at <s>._domainkey.<d>", "t": "signed at", "x": "expires at",
    "z": "copied header fields",
}
_ALGORITHMS = (*KEY_TYPE,)
_DIGITS = re.compile(r"[0-9]{1,76}\Z")  # RFC 6376 3.5: l=, t=, x= are 1*76DIGIT


class SignatureError(ValueError):
    """A DKIM-Signature that cannot be used as written; ``result`` and ``reason`` say how it counts."""

    def __init__(self, text: str, reason: str = SYNTAX, result: str = NEUTRAL) -> None:
        super().__init__(text)
        self.reason = reason
        self.result = result


class DkimSignError(ValueError):
    """A message or signer setting that cannot be signed; str() is a sentence."""


# --- the DKIM-Signature field -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DkimSignature:
    """A parsed DKIM-Signature field (RFC 6376 3.5)."""

    field: HeaderField
    tags: dict[str, str]
    algorithm: str
    domain: str
    selector: str
    signed_fields: tuple[str, ...]
    body_hash: bytes
    signature: bytes
    header_canon: str
    body_canon: str
    identity: str
    length: int | None
    timestamp: int | None
    expires: int | None

    @property
    def key_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"


def parse_signature(field_: HeaderField) -> DkimSignature:
    """Check a DKIM-Signature's syntax (RFC 6376 3.5, 6.1.1); SignatureError says what is wrong."""
    value = field_.raw.partition(b":")[2].decode("utf-8", "replace")
    try:
        tags = parse_tags(value)
    except TagListError as e:
        raise SignatureError(f"not a tag list: {e}") from None
    missing = [t for t in ("v", "a", "b", "bh", "d", "h", "s") if t not in tags]
    if missing:
        raise SignatureError(f"required tag{'s' if len(missing) > 1 else ''} missing: "
                             + ", ".join(f"{t}=" for t in missing) + " (RFC 6376 3.5)")
    if tags["v"] != "1":
        raise SignatureError(f"v={tags['v']}: this verifier knows version 1 only (RFC 6376 3.5)")
    algorithm = tags["a"].lower()
    if algorithm not in _ALGORITHMS:
        raise SignatureError(f"a={tags['a']}: unknown signing algorithm (known: {', '.join(_ALGORITHMS)})",
                             UNSUPPORTED)
    try:
        header_canon, body_canon = canonical.parse_c(tags.get("c", "simple/simple"))
    except ValueError as e:
        raise SignatureError(f"c={tags['c']}: {e}", UNSUPPORTED) from None
    if "dns/txt" not in [m.lower() for m in colon_list(tags.get("q", "dns/txt"))]:
        raise SignatureError(f"q={tags['q']}: the only key lookup method is dns/txt (RFC 6376 3.5)",
                             UNSUPPORTED)
    domain, selector = tags["d"].lower().rstrip("."), tags["s"].lower()
    for name, text in (("d", domain), ("s", selector)):
        if not text or any(c in text for c in " \t\r\n@"):
            raise SignatureError(f"{name}={tags[name]!r} is not a domain name")
    signed = tuple(h for h in colon_list(tags["h"]) if h)
    if "from" not in (h.lower() for h in signed):
        raise SignatureError("h= does not list From: RFC 6376 5.4 requires From to be signed")
    identity = tags.get("i", "@" + domain)
    _, at, idomain = identity.rpartition("@")
    idomain = idomain.lower().rstrip(".")
    if not at or not (idomain == domain or idomain.endswith("." + domain)):
        raise SignatureError(f"i={identity}: its domain is not d={domain} or a subdomain of it (RFC 6376 3.5)")
    numbers: dict[str, int | None] = {}
    for tag in ("l", "t", "x"):
        if tag in tags and not _DIGITS.match(tags[tag]):
            raise SignatureError(f"{tag}={tags[tag]} is not a number")
        numbers[tag] = int(tags[tag]) if tag in tags else None
    if numbers["t"] is not None and numbers["x"] is not None and numbers["x"] <= numbers["t"]:
        raise SignatureError(f"x={numbers['x']} is not after t={numbers['t']} (RFC 6376 3.5)")
    return DkimSignature(
        field=field_, tags=tags, algorithm=algorithm, domain=domain, selector=selector, signed_fields=signed,
        body_hash=_base64(tags, "bh"), signature=_base64(tags, "b"), header_canon=header_canon,
        body_canon=body_canon, identity=identity, length=numbers["l"], timestamp=numbers["t"],
        expires=numbers["x"])


def _base64(tags: dict[str, str], tag: str) -> bytes:
    try:
        return base64.b64decode(without_fws(tags[tag]), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{tag}= is not valid base64") from None


def explain_tags(tags: dict[str, str]) -> list[str]:
    """One line per tag: "d=example.org  signing domain (SDID)" (times shown in UTC too)."""
    lines = []
    for tag, value in tags.items():
        shown = without_fws(value) if tag in ("b", "bh") else " ".join(value.split())
        if len(shown) > 52:
            shown = shown[:51] + "…"
        meaning = TAG_MEANING.get(tag, "unknown tag, ignored (RFC 6376 3.2)")
        if tag in ("t", "x") and _DIGITS.match(value):
            meaning += f" ({_utc(int(value))})"
        lines.append(f"{tag}={shown}  {meaning}")
    return lines


def _utc(seconds: int) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return "beyond the calendar"


def without_b_value(raw: bytes) -> bytes:
    """The field with the b= value deleted, surrounding whitespace included (RFC 6376 3.7)."""
    name, colon, value = raw.partition(b":")
    parts = value.split(b";")
    for i, part in enumerate(parts):
        tag, eq, _ = part.partition(b"=")
        if eq and tag.strip(b" \t\r\n") == b"b":
            parts[i] = tag + eq
            break
    return name + colon + b";".join(parts)


def hash_input(fields: Sequence[HeaderField], names: Sequence[str], signature_field: bytes,
               header_canon: str) -> tuple[bytes, list[tuple[str, bytes | None]]]:
    """The data signed (RFC 6376 3.7): each h= field canonicalized, then the DKIM-Signature field
    with b= empty, canonicalized, without its final CRLF. Also each h= entry with what it signed."""
    canon = canonical.HEADER[header_canon]
    chosen = zip(names, select_fields(fields, names), strict=True)
    signed = [(name, canon(f) if f is not None else None) for name, f in chosen]
    own = HeaderField(FIELD_NAME, without_b_value(signature_field.removesuffix(CRLF)) + CRLF)
    return b"".join(c for _, c in signed if c is not None) + canon(own)[:-2], signed


def body_hash(body: bytes, body_canon: str, algorithm: str, length: int | None = None) -> tuple[bytes, bytes]:
    """(the canonicalized body, its hash), the hash over the first ``length`` bytes when l= is given."""
    canon = canonical.BODY[body_canon](body)
    hashed = canon if length is None else canon[:length]
    return canon, hashlib.new(HASH_OF[algorithm], hashed).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _show_signed(signed: list[tuple[str, bytes | None]]) -> str:
    lines = []
    seen: dict[str, int] = {}
    for name, canon in signed:
        n = seen[name.lower()] = seen.get(name.lower(), 0) + 1
        if canon is None:
            lines.append(f"  ({name} #{n}: no such field; listed so that one added later breaks the signature, "
                         "RFC 6376 8.15)")
        else:
            lines.append(show(canon, max_lines=4))
    return "\n".join(lines)


# --- signing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signed:
    """A signing's outcome: the field to prepend, the signed message and the steps that made it."""

    field: bytes  # "DKIM-Signature: ...\r\n", folded
    message: bytes  # the field followed by the message it signs
    steps: tuple[Step, ...]
    body_hash: str  # bh=
    signature: str  # b=
    signed_data: bytes  # the header hash input
    body: bytes  # the body as signed, for DkimVerifier.verify(sent_bodies={signature: body})

    def events(self, host: str) -> list[CheckStep]:
        """The signing steps as trace events of the signing host."""
        return _events(host, self.steps)


@dataclass(frozen=True, slots=True)
class DkimSigner:
    """Signs messages for ``domain`` with the key published at ``selector._domainkey.domain``."""

    domain: str
    selector: str
    key: SigningKey
    header_canon: str = RELAXED
    body_canon: str = RELAXED
    identity: str = ""  # i=; empty: not written (a verifier takes "@" + d)
    expire_after: int | None = None  # seconds from t= to x=; None: no x=
    signed_fields: tuple[str, ...] | None = None  # h= as given, instead of the default choice
    body_length: bool = False  # write l= (RFC 6376 8.2 explains the risk)

    def __post_init__(self) -> None:
        canonical.parse_c(f"{self.header_canon}/{self.body_canon}")
        if self.expire_after is not None and self.expire_after <= 0:
            raise DkimSignError("expire_after must be a positive number of seconds (x= comes after t=)")
        for what, name in (("domain", self.domain), ("selector", self.selector)):
            if not name or any(c in name for c in " \t\r\n;@="):
                raise DkimSignError(f"{what} {name!r} is not a domain name")
        idomain = self.identity.rpartition("@")[2].lower()
        if self.identity and ("@" not in self.identity or not (
                idomain == self.domain.lower() or idomain.endswith("." + self.domain.lower()))):
            raise DkimSignError(f"i={self.identity}: its domain must be {self.domain} or a subdomain of it "
                                "(RFC 6376 3.5)")

    def choose_fields(self, fields: Sequence[HeaderField]) -> list[str]:
        """h=: the fields of SIGNED_FIELDS present, each as often as it occurs, From once more (8.15)."""
        if self.signed_fields is not None:
            return list(self.signed_fields)
        names = []
        for name in SIGNED_FIELDS:
            count = sum(1 for f in fields if f.key == name)
            names += [name] * (count + 1 if name == "from" else count)
        return names

    def sign(self, message: bytes, *, now: float) -> Signed:
        fields, body = split_message(message)
        names = self.choose_fields(fields)
        if "from" not in (n.lower() for n in names):
            raise DkimSignError("h= must list From (RFC 6376 5.4)")
        if not any(f.key == "from" for f in fields):
            raise DkimSignError("the message has no From field to sign (RFC 6376 5.4, RFC 5322 3.6)")
        steps = [Step(f"signing for d={self.domain} with the key at {self.selector}._domainkey.{self.domain} "
                      f"({self.key.algorithm}), canonicalization {self.header_canon}/{self.body_canon}")]
        canon_body, bh = body_hash(body, self.body_canon, self.key.algorithm)
        steps.append(Step(f"body canonicalized ({self.body_canon}, RFC 6376 3.4), {len(canon_body)} bytes:\n"
                          + show(canon_body)))
        steps.append(Step(f"body hash: SHA-256 of those {len(canon_body)} bytes, base64: bh={_b64(bh)}"))
        timestamp = int(now)
        tags = [("v", "1"), ("a", self.key.algorithm), ("c", f"{self.header_canon}/{self.body_canon}"),
                ("d", self.domain), ("s", self.selector)]
        if self.identity:
            tags.append(("i", self.identity))
        tags.append(("t", str(timestamp)))
        if self.expire_after is not None:
            tags.append(("x", str(timestamp + self.expire_after)))
        if self.body_length:
            tags.append(("l", str(len(canon_body))))
        prefix = _fold(tags, names, _b64(bh))
        data, signed = hash_input(fields, names, prefix + CRLF, self.header_canon)
        steps.append(Step(f"header fields signed, h={':'.join(names)}, canonicalized ({self.header_canon}):\n"
                          + _show_signed(signed)))
        steps.append(Step(f"data signed (RFC 6376 3.7: those fields, then this DKIM-Signature with b= empty "
                          f"and no final CRLF), {len(data)} bytes, SHA-256 {hashlib.sha256(data).hexdigest()}:\n"
                          + show(data, max_lines=40, wrap=True)))
        signature = self.key.sign(data)
        b = _b64(signature)
        header = prefix + _fold_b(prefix, b) + CRLF
        steps.append(Step(f"signed with {self.key.algorithm}: a {len(signature)}-byte signature, b=\n"
                          + show(b.encode(), wrap=True)))
        steps.append(Step("DKIM-Signature field prepended to the message:\n"
                          + show(header, max_lines=40, width=LINE_WIDTH + 2)))
        return Signed(field=header, message=header + message, steps=tuple(steps), body_hash=_b64(bh),
                      signature=b, signed_data=data, body=body)


def _fold(tags: list[tuple[str, str]], names: list[str], bh: str) -> bytes:
    """The field up to and including "b=", folded before LINE_WIDTH at tag ends and h= colons."""
    words = [(f"{t}={v};", " ") for t, v in tags]
    for i, name in enumerate(names):
        text = ("h=" if i == 0 else "") + name + (":" if i < len(names) - 1 else ";")
        words.append((text, " " if i == 0 else ""))
    words += [(f"bh={bh};", " "), ("b=", " ")]
    lines, line = [], f"{FIELD_NAME}:"
    for text, sep in words:
        if len(line) + len(sep) + len(text) > LINE_WIDTH:
            lines.append(line)
            line = " " + text
        else:
            line += sep + text
    lines.append(line)
    return "\r\n".join(lines).encode("ascii")


def _fold_b(prefix: bytes, b: str) -> bytes:
    """The b= value, filling the line "b=" is on, then lines of LINE_WIDTH (base64 may hold FWS, 3.5)."""
    room = LINE_WIDTH - len(prefix.rsplit(CRLF, 1)[-1])
    chunks = [b[:room]] + [b[i:i + LINE_WIDTH - 1] for i in range(room, len(b), LINE_WIDTH - 1)]
    return "\r\n ".join(chunks).encode("ascii")  # an empty first chunk: "b=" ends its line


# --- verifying ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignatureVerdict:
    """One DKIM-Signature's result, with what RFC 8601 2.7.1 puts in Authentication-Results."""

    result: str
    reason: str = ""
    domain: str = ""  # header.d
    selector: str = ""  # header.s
    identity: str = ""  # header.i
    algorithm: str = ""  # header.a
    b: str = ""  # the b= value; RFC 6008 header.b takes its first characters
    testing: bool = False  # the key record says t=y
    steps: tuple[Step, ...] = ()

    def properties(self) -> dict[str, str]:
        """Authentication-Results properties (RFC 8601 2.7.1; header.a and header.b from RFC 6008 2)."""
        if not self.domain:
            return {}
        return {"header.d": self.domain, "header.i": self.identity, "header.s": self.selector,
                "header.a": self.algorithm, "header.b": self.b[:8]}


@dataclass(frozen=True, slots=True)
class DkimVerdict:
    """A message's DKIM outcome: pass when any signature passes, else the first signature's result."""

    result: str
    signatures: tuple[SignatureVerdict, ...]
    steps: tuple[Step, ...]

    @property
    def reason(self) -> str:
        return next((s.reason for s in self.signatures if s.result == self.result), "")

    def events(self, host: str) -> list[CheckStep]:
        """The verification steps as trace events of the verifying host; the verdict's carries the result."""
        return _events(host, self.steps)


def _events(host: str, steps: Sequence[Step]) -> list[CheckStep]:
    return [CheckStep(host=host, check="dkim", text=step.text, result=step.result, reason=step.reason)
            for step in steps]


class DkimVerifier:
    """Verifies DKIM signatures, fetching keys as TXT records through ``resolver`` (RFC 6376 6.1, 3.6.2)."""

    def __init__(self, resolver: Resolver, *, max_signatures: int = MAX_SIGNATURES) -> None:
        self._resolve = resolver
        self._max = max_signatures

    def verify(self, message: bytes, *, now: float, sent_body: bytes | None = None,
               sent_bodies: Mapping[str, bytes] | None = None,
               on_step: Callable[[Step], None] | None = None) -> DkimVerdict:
        """Verify every DKIM-Signature (up to max_signatures) at virtual time ``now`` (POSIX seconds).

        The body as the signer saw it, when the caller knows it, lets a body hash mismatch
        name the first line and byte that changed: ``sent_body`` for every signature, or
        ``sent_bodies`` by each signature's b= value (what :attr:`Signed.signature` gives,
        so a world can remember :attr:`Signed.body` for every message it signed).
        ``on_step`` is called with each step as it is taken, so a caller can record the
        steps in order with the DNS lookups they cause.
        """
        tell = on_step or (lambda step: None)
        fields, body = split_message(message)
        found = [f for f in fields if f.key == FIELD_NAME.lower()]
        if not found:
            step = Step("no DKIM-Signature field: the message is not signed", NONE)
            tell(step)
            return DkimVerdict(NONE, (), (step,))
        steps = [Step(f"{len(found)} DKIM-Signature field{'s' if len(found) > 1 else ''} found"
                      + (f"; the first {self._max} are checked" if len(found) > self._max else ""))]
        tell(steps[0])
        verdicts = []
        for n, f in enumerate(found[:self._max], 1):
            check = _Check(self._resolve, fields, body, int(now), sent_body, sent_bodies or {}, tell=tell)
            verdict = check.run(f, f"signature {n} of {len(found)}" if len(found) > 1 else "signature")
            verdicts.append(verdict)
            steps += verdict.steps
        result = PASS if any(v.result == PASS for v in verdicts) else verdicts[0].result
        if len(verdicts) > 1:
            summary = ", ".join(f"{v.domain or '?'}: {v.result}" for v in verdicts)
            reason = next((v.reason for v in verdicts if v.result == result), "")
            steps.append(Step(f"DKIM verdict: {result} ({summary})", result, reason))
            tell(steps[-1])
        return DkimVerdict(result, tuple(verdicts), tuple(steps))


class _Concluded(Exception):
    """Raised by :meth:`_Check.conclude`: the verdict is reached, the remaining steps do not run."""

    def __init__(self, verdict: SignatureVerdict) -> None:
        self.verdict = verdict


@dataclass
class _Check:
    """One signature's verification, in RFC 6376 6.1's order, collecting its steps."""

    resolve: Resolver
    fields: list[HeaderField]
    body: bytes
    now: int
    sent_body: bytes | None
    sent_bodies: Mapping[str, bytes]
    steps: list[Step] = field(default_factory=list)
    sig: DkimSignature | None = None
    testing: bool = False
    tell: Callable[[Step], None] = lambda step: None

    def say(self, text: str) -> None:
        self.steps.append(Step(text))
        self.tell(self.steps[-1])

    def conclude(self, result: str, reason: str, text: str) -> NoReturn:
        self.steps.append(Step(f"verdict: {result}" + (f" ({reason})" if reason else "") + f": {text}", result,
                               reason))
        self.tell(self.steps[-1])
        sig = self.sig
        raise _Concluded(SignatureVerdict(
            result=result, reason=reason, steps=tuple(self.steps), testing=self.testing,
            domain=sig.domain if sig else "", selector=sig.selector if sig else "",
            identity=sig.identity if sig else "", algorithm=sig.algorithm if sig else "",
            b=without_fws(sig.tags["b"]) if sig else ""))

    def run(self, field_: HeaderField, label: str) -> SignatureVerdict:
        try:
            self.verify(field_, label)
        except _Concluded as done:
            return done.verdict
        raise AssertionError("every path through a DKIM check ends in a verdict")

    def verify(self, field_: HeaderField, label: str) -> NoReturn:
        sig = self.check_signature(field_, label)  # 6.1.1
        record, public = self.fetch_key(sig)  # 6.1.2
        self.check_hashes(sig, record, public)  # 6.1.3

    def check_signature(self, field_: HeaderField, label: str) -> DkimSignature:
        try:
            tags = parse_tags(field_.raw.partition(b":")[2].decode("utf-8", "replace"))
        except TagListError:
            tags = {}
        self.say(f"{label}, tags (RFC 6376 3.5):\n" + "\n".join("  " + line for line in explain_tags(tags))
                 if tags else f"{label}:\n" + show(field_.raw, max_lines=8))
        try:
            self.sig = sig = parse_signature(field_)
        except SignatureError as e:
            self.conclude(e.result, e.reason, str(e))
        if sig.algorithm == RSA_SHA1:
            self.conclude(POLICY, UNSUPPORTED, "rsa-sha1 signatures are not to be considered valid (RFC 8301 3.1)")
        if sig.expires is not None and self.now > sig.expires:
            self.conclude(FAIL, EXPIRED, f"x= says it expired at {_utc(sig.expires)}, and it is now {_utc(self.now)}")
        if sig.timestamp is not None and sig.timestamp > self.now:
            self.say(f"t= is {sig.timestamp - self.now} s in the future: the signer's clock is ahead "
                     "(RFC 6376 3.5 lets a verifier ignore such a signature; this one goes on)")
        return sig

    def fetch_key(self, sig: DkimSignature) -> tuple[KeyRecord, PublicKey]:
        answer = self.resolve.query(sig.key_name, "TXT")
        if answer is TEMPFAIL:
            self.say(f"fetched {sig.key_name} TXT: the query failed (SERVFAIL or no answer)")
            self.conclude(TEMPERROR, KEY_UNAVAILABLE, "the key could not be fetched; a later try may succeed "
                          "(RFC 6376 6.1.2)")
        if answer is NXDOMAIN or not answer:
            self.say(f"fetched {sig.key_name} TXT: " + ("NXDOMAIN, no such name" if answer is NXDOMAIN else
                                                        "the name has no TXT record"))
            self.conclude(PERMERROR, KEY_MISSING, f"no key is published at {sig.key_name} (RFC 6376 6.1.2)")
        records = [txt_text(r) for r in answer]  # type: ignore[arg-type]
        self.say(f"fetched {sig.key_name} TXT ({len(records)} record{'s' if len(records) > 1 else ''}):\n"
                 + "\n".join(show(r.encode(), wrap=True) for r in records))
        errors = []
        for text in records:  # RFC 6376 6.1.2: the first record that parses is the key
            try:
                record = parse_key_record(text)
                break
            except KeyRecordError as e:
                errors.append(str(e))
        else:
            self.conclude(PERMERROR, KEY_SYNTAX, "; ".join(errors))
        self.testing = record.testing
        return record, self.check_record(sig, record)

    def check_record(self, sig: DkimSignature, record: KeyRecord) -> PublicKey:
        if record.revoked:
            self.conclude(FAIL, KEY_REVOKED, "p= is empty: the domain has revoked this key (RFC 6376 3.6.1)")
        if record.key_type != KEY_TYPE[sig.algorithm]:
            self.conclude(PERMERROR, ALGORITHM_MISMATCH, f"the key is k={record.key_type} but a={sig.algorithm} "
                          f"needs k={KEY_TYPE[sig.algorithm]} (RFC 6376 6.1.2)")
        if not record.allows_hash(HASH_OF[sig.algorithm]):
            self.conclude(PERMERROR, HASH_NOT_ALLOWED, f"the key allows h={':'.join(record.hashes or ())}, "
                          f"not {HASH_OF[sig.algorithm]} (RFC 6376 3.6.1)")
        if not {"*", "email"} & {s.lower() for s in record.services}:
            self.conclude(PERMERROR, KEY_NOT_FOR_EMAIL, f"s={':'.join(record.services)}: the key is not for email "
                          "(RFC 6376 3.6.1)")
        idomain = sig.identity.rpartition("@")[2].lower().rstrip(".")
        if record.strict and idomain != sig.domain:
            self.conclude(PERMERROR, IDENTITY_NOT_ALLOWED, f"the key says t=s, so i= must be in {sig.domain} "
                          f"itself, not {idomain} (RFC 6376 3.6.1)")
        try:
            public = record.public_key()
        except KeyRecordError as e:
            self.conclude(PERMERROR, KEY_SYNTAX, str(e))
        bits = public.key_size if isinstance(public, rsa.RSAPublicKey) else 0
        if record.key_type == "rsa" and bits < MIN_RSA_BITS:
            self.conclude(POLICY, KEY_TOO_SMALL, f"a {bits}-bit RSA key is too small to be trusted "
                          f"(RFC 8301 3.2: at least {MIN_RSA_BITS})")
        size = f"{bits}-bit RSA" if record.key_type == "rsa" else "Ed25519 (32-byte)"
        flags = {"y": "testing (t=y): the domain is trying DKIM out",
                 "s": "strict (t=s): i= may not be a subdomain"}
        notes = "".join(f"; {flags.get(f, f't={f} unknown, ignored')}" for f in record.flags)
        self.say(f"key record: k={record.key_type}, {'a' if record.key_type == 'rsa' else 'an'} {size} public key"
                 + (f"; h={':'.join(record.hashes)}" if record.hashes else "") + notes)
        return public

    def check_hashes(self, sig: DkimSignature, record: KeyRecord, public: PublicKey) -> NoReturn:
        canon_body, computed = body_hash(self.body, sig.body_canon, sig.algorithm, sig.length)
        self.say(f"body canonicalized ({sig.body_canon}, RFC 6376 3.4), {len(canon_body)} bytes:\n"
                 + show(canon_body))
        if sig.length is not None:
            self.check_length(sig, canon_body)
        body_ok = computed == sig.body_hash
        self.say(f"body hash computed {_b64(computed)}\n"
                 f"body hash in bh=    {_b64(sig.body_hash)}: " + ("they match" if body_ok else "they differ"))
        data, signed = hash_input(self.fields, sig.signed_fields, sig.field.raw, sig.header_canon)
        self.say(f"header fields signed, h={':'.join(sig.signed_fields)}, canonicalized ({sig.header_canon}):\n"
                 + _show_signed(signed))
        self.say(f"data signed (RFC 6376 3.7: those fields, then this DKIM-Signature with b= empty and no "
                 f"final CRLF), {len(data)} bytes, SHA-256 {hashlib.sha256(data).hexdigest()}:\n"
                 + show(data, max_lines=40, wrap=True))
        valid = verify_signature(sig.algorithm, public, data, sig.signature)
        self.say(f"signature b= ({len(sig.signature)} bytes) checked with the {sig.algorithm} public key: "
                 + ("valid" if valid else "it does not match that data") + "\n"
                 + show(_b64(sig.signature).encode(), wrap=True))
        if not body_ok:
            self.explain_body(sig)
            headers = ("the header fields did arrive as signed: only the body changed" if valid else
                       "the header signature does not hold either")
            self.conclude(FAIL, BODY_HASH_MISMATCH, f"the body is not the one that was signed; {headers}")
        if not valid:
            self.conclude(FAIL, SIGNATURE_MISMATCH, "the signed header fields (or the DKIM-Signature itself) "
                          "changed after signing, or another key signed them")
        testing = " (the key is in testing mode, t=y; RFC 6376 3.6.1 asks verifiers to treat it alike)" \
            if record.testing else ""
        self.conclude(PASS, "", f"{sig.domain} signed this message and it arrived unchanged{testing}")

    def check_length(self, sig: DkimSignature, canon_body: bytes) -> None:
        assert sig.length is not None
        if sig.length > len(canon_body):
            self.conclude(FAIL, BODY_TOO_SHORT, f"l={sig.length} but the canonicalized body has only "
                          f"{len(canon_body)} bytes (RFC 6376 3.5)")
        unsigned = len(canon_body) - sig.length
        self.say(f"warning: l={sig.length} signs only the first {sig.length} bytes of the body; "
                 + (f"{unsigned} bytes after them are not covered and could have been added by anyone "
                    "(RFC 6376 8.2)" if unsigned else "here that is all of it, but text could be appended "
                    "without breaking the signature (RFC 6376 8.2)"))

    def explain_body(self, sig: DkimSignature) -> None:
        sent_body = self.sent_bodies.get(without_fws(sig.tags["b"]), self.sent_body)
        if sent_body is None:
            return
        canon = canonical.BODY[sig.body_canon]
        _, sent_hash = body_hash(sent_body, sig.body_canon, sig.algorithm, sig.length)
        if sent_hash != sig.body_hash:
            self.say("the body as sent does not give bh= either: the signer hashed another body")
        else:
            change = first_difference(canon(sent_body), canon(self.body))
            self.say(f"changed in transit ({sig.body_canon} canonicalization): {change}")
