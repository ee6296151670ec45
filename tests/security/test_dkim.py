"""DKIM signing and verification (RFC 6376, RFC 8463): fields, steps, every verdict and its reason."""

from __future__ import annotations

import base64
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from simulator.security.canonical import split_message
from simulator.security.dkim import (
    FAIL,
    LINE_WIDTH,
    NEUTRAL,
    NONE,
    PASS,
    PERMERROR,
    POLICY,
    TEMPERROR,
    DkimSigner,
    DkimSignError,
    DkimVerifier,
    _fold_b,
    explain_tags,
    without_b_value,
)
from simulator.security.keys import ED25519_SHA256, RSA_SHA256, DemoKeyring

NOW = 1_772_442_000  # 2026-03-02 09:00 UTC, the virtual clock's default start
KEY_NAME = "s1._domainkey.example.org"
RING = DemoKeyring()
MESSAGE = (b"From: Alice <alice@example.org>\r\n"
           b"To: Bob <bob@example.net>\r\n"
           b"Cc: carol@example.net\r\n"
           b"Cc: dave@example.net\r\n"
           b"Subject: Lunch\r\n"
           b"Date: Mon, 02 Mar 2026 09:00:00 +0000\r\n"
           b"Message-ID: <1@example.org>\r\n"
           b"X-Mailer: mailsim\r\n"
           b"\r\n"
           b"Hello Bob,\r\n"
           b"\r\n"
           b"see you at noon.\r\n")
BODY = split_message(MESSAGE)[1]


def signer(algorithm: str = RSA_SHA256, **kw) -> DkimSigner:
    return DkimSigner("example.org", "s1", RING.key("example.org", "s1", algorithm), **kw)


def world(make_dns, algorithm: str = RSA_SHA256, record: str | None = None):
    key = RING.key("example.org", "s1", algorithm)
    return make_dns({KEY_NAME: record if record is not None else key.record()})


def verify(make_dns, message: bytes, *, algorithm: str = RSA_SHA256, record: str | None = None,
           now: int = NOW, sent_body: bytes | None = None):
    return DkimVerifier(world(make_dns, algorithm, record)).verify(message, now=now, sent_body=sent_body)


def tag(field: bytes, name: str) -> str:
    return re.search(rb"[; ]" + name.encode() + rb"=([^;]*)", b" " + field.replace(b"\r\n", b"")).group(1).decode()


# --- the signer ---------------------------------------------------------------------------------


def test_h_oversigns_from_and_lists_each_present_field() -> None:
    signed = signer().sign(MESSAGE, now=NOW)
    # From once more than it occurs (RFC 6376 8.15); Cc twice since it occurs twice; X-Mailer not chosen
    assert tag(signed.field, "h") == "from:from:to:cc:cc:subject:date:message-id"


def test_tags_from_the_injected_clock() -> None:
    field = signer(expire_after=3600, identity="alice@example.org").sign(MESSAGE, now=NOW + 0.7).field
    assert (tag(field, "t"), tag(field, "x"), tag(field, "i")) == (str(NOW), str(NOW + 3600), "alice@example.org")
    assert (tag(field, "v"), tag(field, "a"), tag(field, "c"), tag(field, "d"), tag(field, "s")) == (
        "1", "rsa-sha256", "relaxed/relaxed", "example.org", "s1")
    assert "i=" not in signer().sign(MESSAGE, now=NOW).field.decode()
    assert " x=" not in signer().sign(MESSAGE, now=NOW).field.decode()


@pytest.mark.parametrize("algorithm", [RSA_SHA256, ED25519_SHA256])
def test_field_is_folded_within_78_characters(algorithm: str) -> None:
    signed = signer(algorithm).sign(MESSAGE, now=NOW)
    assert signed.field.startswith(b"DKIM-Signature: v=1; ") and signed.field.endswith(b"\r\n")
    lines = signed.field[:-2].split(b"\r\n")
    assert all(len(line) <= LINE_WIDTH for line in lines)
    assert all(line[:1] == b" " for line in lines[1:])  # every continuation is folding whitespace
    assert base64.b64decode(tag(signed.field, "b").replace(" ", "")) == base64.b64decode(signed.signature)
    assert signed.message == signed.field + MESSAGE


def test_b_value_starts_on_a_new_line_when_b_ends_a_full_line() -> None:
    prefix = b"DKIM-Signature: v=1;\r\n " + b"x" * (LINE_WIDTH - 3) + b"b="
    folded = _fold_b(prefix, "A" * 100)
    assert folded == b"\r\n " + b"A" * 77 + b"\r\n " + b"A" * 23


def test_folding_holds_for_every_selector_length(make_dns) -> None:
    key = RING.key("example.org", "s1", ED25519_SHA256)
    dns = make_dns()
    for n in range(1, 70):  # moves "b=" along the line, to the very end of it for some n
        selector = "s" * n
        dns.add(f"{selector}._domainkey.example.org", key.record())
        signed = DkimSigner("example.org", selector, key).sign(MESSAGE, now=NOW)
        assert all(len(line) <= LINE_WIDTH for line in signed.field[:-2].split(b"\r\n")), n
        assert DkimVerifier(dns).verify(signed.message, now=NOW).result == PASS, n


@pytest.mark.parametrize("settings, says", [
    ({"identity": "alice@evil.example"}, "subdomain"),
    ({"identity": "example.org"}, "subdomain"),
    ({"selector": ""}, "not a domain name"),
    ({"domain": "example.org; x=1"}, "not a domain name"),
    ({"expire_after": 0}, "positive"),
])
def test_signer_settings_are_checked(settings: dict, says: str) -> None:
    args = {"domain": "example.org", "selector": "s1", "key": RING.key("example.org", "s1"), **settings}
    with pytest.raises(DkimSignError, match=says):
        DkimSigner(**args)


def test_signing_is_deterministic() -> None:
    assert signer().sign(MESSAGE, now=NOW).field == signer().sign(MESSAGE, now=NOW).field
    assert signer(ED25519_SHA256).sign(MESSAGE, now=NOW).field == signer(ED25519_SHA256).sign(MESSAGE, now=NOW).field


def test_signing_steps_show_the_stages() -> None:
    steps = [s.text for s in signer().sign(MESSAGE, now=NOW).steps]
    assert "body canonicalized (relaxed" in steps[1] and "see you at noon.↵" in steps[1]
    assert steps[2].startswith("body hash: SHA-256")
    assert "from #2: no such field" in steps[3]
    assert steps[4].startswith("data signed") and "b=↵" not in steps[4] and steps[4].rstrip().endswith("b=")
    assert steps[5].startswith("signed with rsa-sha256: a 256-byte signature, b=\n")
    assert "↵" in steps[6] and "⤷" not in steps[6]  # the folded field, shown line by line as it is


def test_message_without_from_cannot_be_signed() -> None:
    with pytest.raises(DkimSignError, match="no From"):
        signer().sign(b"To: bob@example.net\r\n\r\nhi\r\n", now=NOW)
    with pytest.raises(DkimSignError, match="must list From"):
        signer(signed_fields=("to",)).sign(MESSAGE, now=NOW)


def test_unknown_canonicalization_is_refused() -> None:
    with pytest.raises(ValueError, match="nowsp"):
        signer(body_canon="nowsp")


def test_without_b_value_keeps_bh() -> None:
    raw = b"DKIM-Signature: a=x; bh=abc; b=de\r\n f; t=1\r\n"
    assert without_b_value(raw) == b"DKIM-Signature: a=x; bh=abc; b=; t=1\r\n"


# --- verification: pass ---------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", [RSA_SHA256, ED25519_SHA256])
@pytest.mark.parametrize("canon", [("simple", "simple"), ("relaxed", "relaxed"), ("simple", "relaxed"),
                                   ("relaxed", "simple")])
def test_sign_then_verify(make_dns, algorithm: str, canon: tuple[str, str]) -> None:
    signed = signer(algorithm, header_canon=canon[0], body_canon=canon[1]).sign(MESSAGE, now=NOW)
    verdict = verify(make_dns, signed.message, algorithm=algorithm)
    assert (verdict.result, verdict.reason) == (PASS, "")
    sig = verdict.signatures[0]
    assert (sig.domain, sig.selector, sig.algorithm, sig.identity) == ("example.org", "s1", algorithm, "@example.org")
    assert sig.b == signed.signature


def test_verification_steps(make_dns) -> None:
    dns = world(make_dns)
    verdict = DkimVerifier(dns).verify(signer().sign(MESSAGE, now=NOW).message, now=NOW)
    texts = [s.text for s in verdict.steps]
    assert dns.asked == [KEY_NAME]
    assert texts[0] == "1 DKIM-Signature field found"
    assert "d=example.org  signing domain (SDID)" in texts[1]
    assert texts[2].startswith(f"fetched {KEY_NAME} TXT (1 record):\n  v=DKIM1; k=rsa; p=")
    assert texts[3] == "key record: k=rsa, a 2048-bit RSA public key"
    assert any(t.startswith("body hash computed") and t.endswith("they match") for t in texts)
    assert any(t.startswith("data signed") and "dkim-signature:v=1;" in t for t in texts)
    assert any("public key: valid\n" in t for t in texts)
    assert [s.result for s in verdict.steps] == [""] * (len(texts) - 1) + [PASS]  # only the verdict concludes


def test_steps_become_check_step_events(make_dns) -> None:
    signed = signer().sign(MESSAGE, now=NOW)
    sent = signed.events("mail.example.org")
    assert [(e.host, e.check, e.text, e.result) for e in sent] == [
        ("mail.example.org", "dkim", s.text, "") for s in signed.steps]
    got = verify(make_dns, signed.message).events("mx.example.net")
    assert {e.host for e in got} == {"mx.example.net"} and got[-1].result == PASS
    assert got[-1].text.startswith("verdict: pass: example.org signed this message")


def test_no_signature_is_none(make_dns) -> None:
    verdict = verify(make_dns, MESSAGE)
    assert verdict.result == NONE and verdict.signatures == ()
    assert verdict.steps[-1].result == NONE


def test_testing_key_is_reported_and_still_passes(make_dns) -> None:
    key = RING.key("example.org", "s1")
    verdict = verify(make_dns, signer().sign(MESSAGE, now=NOW).message, record=key.record(testing=True))
    assert verdict.result == PASS and verdict.signatures[0].testing
    assert any("testing (t=y)" in s.text for s in verdict.steps)


def test_body_length_tag_warns_about_appended_text(make_dns) -> None:
    signed = signer(body_length=True).sign(MESSAGE, now=NOW)
    assert tag(signed.field, "l") == str(len(BODY))
    verdict = verify(make_dns, signed.message + b"Click here!\r\n")
    assert verdict.result == PASS
    assert any(s.text.startswith(f"warning: l={len(BODY)}") and "13 bytes after them are not covered" in s.text
               for s in verdict.steps)


def test_relaxed_header_survives_refolding_and_simple_does_not(make_dns) -> None:
    refold = {b"Subject: Lunch\r\n": b"Subject:\r\n  Lunch\r\n"}
    for canon, result in (("relaxed", PASS), ("simple", FAIL)):
        signed = signer(header_canon=canon).sign(MESSAGE, now=NOW).message
        changed = signed.replace(*next(iter(refold.items())))
        verdict = verify(make_dns, changed)
        assert verdict.result == result, canon


def test_future_timestamp_is_noted(make_dns) -> None:
    verdict = verify(make_dns, signer().sign(MESSAGE, now=NOW + 120).message, now=NOW)
    assert verdict.result == PASS
    assert any("120 s in the future" in s.text for s in verdict.steps)


def test_one_passing_signature_of_two_passes(make_dns) -> None:
    signed = signer().sign(MESSAGE, now=NOW).message
    other = DkimSigner("example.net", "s1", RING.key("example.net", "s1")).sign(signed, now=NOW).message
    dns = world(make_dns)
    verdict = DkimVerifier(dns).verify(other, now=NOW)
    assert [s.result for s in verdict.signatures] == [PERMERROR, PASS]  # example.net publishes no key here
    assert verdict.result == PASS
    assert verdict.steps[-1].result == PASS and "example.net: permerror" in verdict.steps[-1].text


# --- verification: every way to fail -------------------------------------------------------------


def _small_rsa_record() -> str:
    public = rsa.RSAPublicNumbers(65537, (1 << 767) + 1).public_key()
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


def _edit(field: bytes, old: bytes, new: bytes) -> bytes:
    assert old in field, old
    return field.replace(old, new, 1)


SIGNED = signer(expire_after=600).sign(MESSAGE, now=NOW)
F = SIGNED.field
CASES = {  # name: (message, record or None for the right one, now, result, reason)
    "body changed": (F + MESSAGE.replace(b"noon", b"one"), None, NOW, FAIL, "body hash mismatch"),
    "subject changed": (F + MESSAGE.replace(b"Lunch", b"Dinner"), None, NOW, FAIL, "signature mismatch"),
    "From added above": (b"From: Mallory <ceo@example.org>\r\n" + SIGNED.message, None, NOW, FAIL,
                         "signature mismatch"),
    "tag changed": (_edit(F, b"c=relaxed/relaxed", b"c=relaxed/simple") + MESSAGE, None, NOW, FAIL,
                    "signature mismatch"),
    "expired": (SIGNED.message, None, NOW + 601, FAIL, "signature expired"),
    "key revoked": (SIGNED.message, "v=DKIM1; k=rsa; p=", NOW, FAIL, "key revoked"),
    "key missing": (SIGNED.message, "", NOW, PERMERROR, "key missing"),
    "key syntax": (SIGNED.message, "v=DKIM1; k=rsa; p=AAAA", NOW, PERMERROR, "key record syntax error"),
    "key not a tag list": (SIGNED.message, "v=DKIM1; k=rsa; =x", NOW, PERMERROR, "key record syntax error"),
    "key type": (SIGNED.message, RING.key("example.org", "s1", ED25519_SHA256).record(), NOW, PERMERROR,
                 "algorithm mismatch"),
    "key hash": (SIGNED.message, "h=sha1; " + RING.key("example.org", "s1").record()[9:], NOW, PERMERROR,
                 "hash not allowed by key"),
    "key service": (SIGNED.message, "v=DKIM1; s=chat; " + RING.key("example.org", "s1").record()[9:], NOW,
                    PERMERROR, "key not for email"),
    "key too small": (SIGNED.message, _small_rsa_record(), NOW, POLICY, "key too small"),
    "rsa-sha1": (_edit(F, b"a=rsa-sha256", b"a=rsa-sha1") + MESSAGE, None, NOW, POLICY, "unsupported algorithm"),
    "unknown a=": (_edit(F, b"a=rsa-sha256", b"a=rsa-sha512") + MESSAGE, None, NOW, NEUTRAL,
                   "unsupported algorithm"),
    "unknown c=": (_edit(F, b"c=relaxed/relaxed", b"c=nowsp") + MESSAGE, None, NOW, NEUTRAL,
                   "unsupported algorithm"),
    "v=2": (_edit(F, b"v=1", b"v=2") + MESSAGE, None, NOW, NEUTRAL, "signature syntax error"),
    "bh missing": (re.sub(rb" bh=[^;]*;", b"", F) + MESSAGE, None, NOW, NEUTRAL, "signature syntax error"),
    "From not signed": (_edit(F, b"h=from:from:", b"h=") + MESSAGE, None, NOW, NEUTRAL, "signature syntax error"),
    "i= elsewhere": (_edit(F, b"d=example.org;", b"d=example.org; i=@evil.example;") + MESSAGE, None, NOW,
                     NEUTRAL, "signature syntax error"),
    "x before t": (_edit(F, f"x={NOW + 600}".encode(), f"x={NOW - 1}".encode()) + MESSAGE, None, NOW, NEUTRAL,
                   "signature syntax error"),
    "l= too long": (_edit(F, b"t=", b"l=9999; t=") + MESSAGE, None, NOW, FAIL, "body shorter than l="),
    "not a tag list": (b"DKIM-Signature: v=1; a\r\n" + MESSAGE, None, NOW, NEUTRAL, "signature syntax error"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_verdicts(make_dns, case: str) -> None:
    message, record, now, result, reason = CASES[case]
    dns = world(make_dns, record=record)
    if record == "":
        dns.records.clear()
    verdict = DkimVerifier(dns).verify(message, now=now)
    assert (verdict.result, verdict.reason) == (result, reason)
    assert verdict.steps[-1].result == result and reason in verdict.steps[-1].text


def test_dns_failure_is_temperror(make_dns) -> None:
    dns = world(make_dns)
    dns.failing.add(KEY_NAME)
    verdict = DkimVerifier(dns).verify(SIGNED.message, now=NOW)
    assert (verdict.result, verdict.reason) == (TEMPERROR, "key unavailable (DNS error)")


def test_name_without_txt_record_is_key_missing(make_dns) -> None:
    dns = world(make_dns)
    dns.empty.add(KEY_NAME)
    verdict = DkimVerifier(dns).verify(SIGNED.message, now=NOW)
    assert (verdict.result, verdict.reason) == (PERMERROR, "key missing")
    assert "the name has no TXT record" in verdict.steps[-2].text


def test_strict_key_refuses_a_subdomain_identity(make_dns) -> None:
    signed = signer(identity="alice@mail.example.org").sign(MESSAGE, now=NOW)
    key = RING.key("example.org", "s1")
    assert verify(make_dns, signed.message, record=key.record()).result == PASS
    verdict = verify(make_dns, signed.message, record=key.record(strict=True))
    assert (verdict.result, verdict.reason) == (PERMERROR, "identity not allowed by key")


def test_body_hash_failure_names_the_changed_byte(make_dns) -> None:
    sent = b"Hi Bob,\r\n\r\nHello there\r\n"
    signed = signer().sign(MESSAGE.replace(BODY, sent), now=NOW).message
    verdict = verify(make_dns, signed.replace(b"Hello", b"Hallo"), sent_body=sent)
    texts = [s.text for s in verdict.steps]
    assert "changed in transit (relaxed canonicalization): line 3, byte 2: 'Hello there' became 'Hallo there'" \
        in texts
    assert "only the body changed" in texts[-1]


def test_sent_bodies_by_signature(make_dns) -> None:
    first = signer().sign(MESSAGE, now=NOW)
    relayed = DkimSigner("example.net", "s1", RING.key("example.net", "s1")).sign(first.message, now=NOW)
    dns = world(make_dns)
    dns.add("s1._domainkey.example.net", RING.key("example.net", "s1").record())
    changed = relayed.message.replace(b"noon", b"nooN")
    verdict = DkimVerifier(dns).verify(changed, now=NOW, sent_bodies={first.signature: first.body,
                                                                        relayed.signature: relayed.body})
    said = [s.text for s in verdict.steps if s.text.startswith("changed in transit")]
    assert said == ["changed in transit (relaxed canonicalization): line 3, byte 15: 'see you at noon.' became "
                    "'see you at nooN.'"] * 2
    assert [s.reason for s in verdict.signatures] == ["body hash mismatch"] * 2


def test_properties_for_authentication_results(make_dns) -> None:
    sig = verify(make_dns, SIGNED.message).signatures[0]
    assert sig.properties() == {"header.d": "example.org", "header.i": "@example.org", "header.s": "s1",
                                "header.a": "rsa-sha256", "header.b": SIGNED.signature[:8]}


def test_body_hash_failure_when_the_sent_body_was_not_what_was_signed(make_dns) -> None:
    verdict = verify(make_dns, SIGNED.message.replace(b"noon", b"one"), sent_body=b"something else\r\n")
    assert any("the signer hashed another body" in s.text for s in verdict.steps)


def test_explain_tags_marks_unknown_tags() -> None:
    lines = explain_tags({"t": str(NOW), "zz": "1"})
    assert lines == ["t=1772442000  signed at (2026-03-02 09:00:00 UTC)", "zz=1  unknown tag, ignored (RFC 6376 3.2)"]
