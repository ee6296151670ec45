"""DKIM keys and key records (RFC 6376 3.6.1, RFC 8463 4.2), and the bundled demonstration keys."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from simulator.security.keys import (
    DEMO_RSA_KEYS,
    ED25519_SHA256,
    RSA_SHA256,
    DemoKeyring,
    KeyRecordError,
    SigningKey,
    demo_rsa_key,
    ed25519_key,
    key_from_pem,
    parse_key_record,
    verify_signature,
)


def test_rfc8463_ed25519_key_gives_its_public_key(rfc8463) -> None:
    key = ed25519_key(base64.b64decode(rfc8463.private))
    assert key.p_value() == rfc8463.public
    assert key.record() == rfc8463.dns["brisbane._domainkey.football.example.com"]


def test_every_bundled_key_is_a_distinct_rsa_2048_key() -> None:
    keys = [demo_rsa_key(n) for n in range(DEMO_RSA_KEYS)]
    assert all(k.private.key_size == 2048 and k.algorithm == RSA_SHA256 for k in keys)
    assert len({k.p_value() for k in keys}) == DEMO_RSA_KEYS
    assert demo_rsa_key(DEMO_RSA_KEYS).p_value() == keys[0].p_value()  # wraps around


def test_keyring_is_deterministic_and_hands_out_keys_in_order() -> None:
    a, b = DemoKeyring(), DemoKeyring()
    first = a.key("example.org", "s1")
    assert a.key("example.org", "s1") is first
    assert a.key("Example.ORG", "S1") is first
    assert a.key("example.net", "s1").p_value() != first.p_value()
    assert b.key("example.org", "s1").p_value() == first.p_value() == demo_rsa_key(0).p_value()
    ed = a.key("example.org", "s1", ED25519_SHA256)
    assert ed.p_value() == b.key("example.org", "s1", ED25519_SHA256).p_value()
    assert ed.p_value() != a.key("example.org", "s2", ED25519_SHA256).p_value()
    with pytest.raises(ValueError, match="rsa-sha1"):
        a.key("example.org", "s1", "rsa-sha1")


def test_rsa_signatures_are_deterministic_so_transcripts_repeat() -> None:
    key = DemoKeyring().key("example.org", "s1")
    assert key.sign(b"data") == key.sign(b"data")
    assert verify_signature(RSA_SHA256, key.public_key(), b"data", key.sign(b"data"))
    assert not verify_signature(RSA_SHA256, key.public_key(), b"datA", key.sign(b"data"))


def test_pem_round_trip() -> None:
    key = demo_rsa_key(3)
    assert key_from_pem(key.private_pem()).p_value() == key.p_value()
    ed = ed25519_key(bytes(32))
    assert key_from_pem(ed.private_pem()).algorithm == ED25519_SHA256


def test_signing_key_refuses_a_mismatched_key() -> None:
    with pytest.raises(ValueError, match="ed25519"):
        SigningKey(ED25519_SHA256, demo_rsa_key(0).private)
    with pytest.raises(ValueError, match="rsa-sha1"):
        SigningKey("rsa-sha1", demo_rsa_key(0).private)


def test_record_flags_and_parse_back() -> None:
    key = demo_rsa_key(1)
    text = key.record(testing=True, strict=True)
    assert text.startswith("v=DKIM1; k=rsa; t=y:s; p=")
    record = parse_key_record(text)
    assert record.testing and record.strict and not record.revoked
    assert record.public_key().public_numbers() == key.public_key().public_numbers()


def test_record_defaults_and_unknown_tags() -> None:
    record = parse_key_record("p=" + demo_rsa_key(0).p_value() + "; zz=ignored")
    assert (record.key_type, record.hashes, record.flags, record.services) == ("rsa", None, (), ("*",))
    assert record.allows_hash("sha256")
    assert not parse_key_record("h=sha1; p=").allows_hash("sha256")


def test_bare_rsapublickey_is_accepted() -> None:
    pkcs1 = demo_rsa_key(0).public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    record = parse_key_record("k=rsa; p=" + base64.b64encode(pkcs1).decode())
    assert isinstance(record.public_key(), rsa.RSAPublicKey)


def test_empty_p_is_revoked() -> None:
    assert parse_key_record("v=DKIM1; p=").revoked


@pytest.mark.parametrize("text, says", [
    ("v=DKIM1; k=rsa", "no p= tag"),
    ("k=rsa; v=DKIM1; p=", "come first"),
    ("v=DKIM2; p=", "DKIM1"),
    ("k=dsa; p=", "unknown key type"),
    ("p=not*base64", "base64"),
    ("v=DKIM1; =x", "not a tag list"),
])
def test_record_errors(text: str, says: str) -> None:
    with pytest.raises(KeyRecordError, match=says):
        parse_key_record(text)


@pytest.mark.parametrize("text, says", [
    ("k=ed25519; p=" + base64.b64encode(b"short").decode(), "32 bytes"),
    ("k=rsa; p=" + base64.b64encode(b"not a key").decode(), "not an RSA public key"),
])
def test_record_key_errors(text: str, says: str) -> None:
    with pytest.raises(KeyRecordError, match=says):
        parse_key_record(text).public_key()
