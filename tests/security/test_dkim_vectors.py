"""RFC 6376 and RFC 8463 examples with exact values."""

from __future__ import annotations

import base64
import hashlib

from simulator.security.canonical import relaxed_body, simple_body, split_message
from simulator.security.dkim import PASS, DkimSigner, DkimVerifier, parse_signature
from simulator.security.keys import ed25519_key


def test_rfc8463_a3_message_passes_both_signatures(rfc8463, make_dns) -> None:
    verdict = DkimVerifier(make_dns(rfc8463.dns)).verify(rfc8463.signatures + rfc8463.message,
                                                         now=rfc8463.time + 60)
    assert [(s.result, s.algorithm, s.selector) for s in verdict.signatures] == [
        (PASS, "ed25519-sha256", "brisbane"), (PASS, "rsa-sha256", "test")]
    assert verdict.result == PASS


def test_rfc8463_a3_each_signature_fails_on_a_changed_body(rfc8463, make_dns) -> None:
    tampered = rfc8463.message.replace(b"We lost", b"We won")
    verdict = DkimVerifier(make_dns(rfc8463.dns)).verify(rfc8463.signatures + tampered, now=rfc8463.time)
    assert [s.reason for s in verdict.signatures] == ["body hash mismatch"] * 2


def test_our_signer_with_the_rfc8463_key_gives_its_body_hash(rfc8463, make_dns) -> None:
    key = ed25519_key(base64.b64decode(rfc8463.private))
    signed = DkimSigner("football.example.com", "brisbane", key).sign(rfc8463.message, now=rfc8463.time)
    assert signed.body_hash == "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="
    assert DkimVerifier(make_dns(rfc8463.dns)).verify(signed.message, now=rfc8463.time).result == PASS


def test_rfc8463_signature_tags(rfc8463) -> None:
    fields, _ = split_message(rfc8463.signatures + rfc8463.message)
    sig = parse_signature(fields[0])
    assert sig.signed_fields == ("from", "to", "subject", "date", "message-id", "from", "subject", "date")
    assert (sig.header_canon, sig.body_canon, sig.timestamp, sig.identity) == (
        "relaxed", "relaxed", 1528637909, "@football.example.com")
    assert len(sig.signature) == 64  # an Ed25519 signature (RFC 8032 5.1.6)


def test_rfc6376_a2_body_hash() -> None:
    # RFC 6376 A.2 signs this body with c=simple/simple and gives bh=2jUSOH9N...; RFC 8463's
    # body, with two spaces after "game.", gives the same hash under relaxed canonicalization
    body = b"Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n"
    digest = base64.b64encode(hashlib.sha256(simple_body(body)).digest()).decode()
    assert digest == "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="


def test_empty_body_hashes() -> None:
    # RFC 6376 3.4.3: the empty body is one CRLF under simple; 3.4.4 with erratum 1384: nothing under relaxed
    assert base64.b64encode(hashlib.sha256(simple_body(b"")).digest()) == \
        b"frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY="
    assert base64.b64encode(hashlib.sha256(relaxed_body(b"")).digest()) == \
        b"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
