"""dkimpy and mailsim agree both ways (issue 10): its verify accepts our signatures and ours accepts its,
for rsa-sha256 and ed25519-sha256 and every pairing of simple and relaxed canonicalization."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.security.dkim import FAIL, PASS, DkimSigner, DkimVerifier
from simulator.security.keys import ED25519_SHA256, RSA_SHA256, DemoKeyring, SigningKey

dkim = pytest.importorskip("dkim", reason="dkimpy is in the test extra: pip install -e '.[test]'")
pytest.importorskip("nacl", reason="dkimpy needs pynacl for Ed25519: pip install -e '.[test]'")

NOW = 1_528_637_909  # 2018 (RFC 8463 A): dkimpy checks t= against the real clock


class OneKey:
    """A resolver with one TXT record at every name."""

    def __init__(self, record: str) -> None:
        self.record = record

    def query(self, name: str, rtype: str) -> tuple[str, ...]:
        return (self.record,)

RING = DemoKeyring()
ALGORITHMS = [RSA_SHA256, ED25519_SHA256]
CANONS = [("simple", "simple"), ("simple", "relaxed"), ("relaxed", "simple"), ("relaxed", "relaxed")]
MESSAGES = {
    "plain": (b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Lunch\r\n"
              b"Date: Mon, 02 Mar 2026 09:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n\r\n"
              b"Hello Bob,\r\n\r\nsee you at noon.\r\n"),
    "folded, spaced, empty lines at the end": (
        b"From:   Alice\r\n  <alice@example.org>  \r\nSubject:  a\t long\r\n\tsubject\r\nTo: bob@example.net\r\n\r\n"
        b"  indented  line \t\r\ntabs\there\r\n\r\n\r\n"),
    "empty body": b"From: alice@example.org\r\nSubject: nothing\r\n\r\n",
}


def key(algorithm: str) -> SigningKey:
    return RING.key("example.org", "s1", algorithm)


def dkimpy_private(k: SigningKey) -> bytes:
    if k.algorithm == ED25519_SHA256:
        return base64.b64encode(k.private.private_bytes_raw())  # dkimpy takes the base64 seed
    return k.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.NoEncryption())


def dnsfunc(k: SigningKey):
    record = k.record().encode()
    return lambda name, timeout=5: record if name in (b"s1._domainkey.example.org.", "s1._domainkey.example.org.") \
        else None


def ours(message: bytes, k: SigningKey) -> str:
    return DkimVerifier(OneKey(k.record())).verify(message, now=NOW).result


@pytest.mark.parametrize("name", list(MESSAGES))
@pytest.mark.parametrize("canon", CANONS, ids="/".join)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_dkimpy_verifies_our_signature(algorithm: str, canon: tuple[str, str], name: str) -> None:
    k = key(algorithm)
    signed = DkimSigner("example.org", "s1", k, *canon).sign(MESSAGES[name], now=NOW).message
    assert dkim.verify(signed, dnsfunc=dnsfunc(k)) is True
    assert dkim.verify(signed.replace(b"From:", b"From: x", 1), dnsfunc=dnsfunc(k)) is False


@pytest.mark.parametrize("name", list(MESSAGES))
@pytest.mark.parametrize("canon", CANONS, ids="/".join)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_we_verify_dkimpy_signature(algorithm: str, canon: tuple[str, str], name: str) -> None:
    k = key(algorithm)
    message = MESSAGES[name]
    field = dkim.sign(message, b"s1", b"example.org", dkimpy_private(k), canonicalize=(canon[0].encode(),
                      canon[1].encode()), signature_algorithm=algorithm.encode())
    assert ours(field + message, k) == PASS
    assert ours(field + message + b"P.S.\r\n", k) == FAIL


def test_dkimpy_length_tag_agrees(make_dns) -> None:
    k = key(RSA_SHA256)
    message = MESSAGES["plain"]
    field = dkim.sign(message, b"s1", b"example.org", dkimpy_private(k), length=True)
    assert ours(field + message + b"appended\r\n", k) == PASS
    ours_signed = DkimSigner("example.org", "s1", k, body_length=True).sign(message, now=NOW).message
    assert dkim.verify(ours_signed + b"appended\r\n", dnsfunc=dnsfunc(k)) is True


def test_identity_and_expiry_agree() -> None:
    k = key(ED25519_SHA256)
    message = MESSAGES["plain"]
    ours_signed = DkimSigner("example.org", "s1", k, identity="alice@mail.example.org",
                             expire_after=10 ** 9).sign(message, now=NOW).message  # dkimpy reads the real clock
    assert dkim.verify(ours_signed, dnsfunc=dnsfunc(k)) is True
    field = dkim.sign(message, b"s1", b"example.org", dkimpy_private(k), identity=b"alice@mail.example.org",
                      signature_algorithm=ED25519_SHA256.encode(), include_headers=[b"from", b"subject"])
    verdict = DkimVerifier(OneKey(k.record())).verify(field + message, now=NOW)
    assert (verdict.result, verdict.signatures[0].identity) == (PASS, "alice@mail.example.org")
    assert ours(field + message.replace(b"Lunch", b"Brunch"), k) == FAIL


_line = st.text(st.sampled_from(list("ab Z.,;:\t")), max_size=30).map(str.encode)


@settings(max_examples=25, deadline=None)
@given(st.lists(_line, max_size=6), st.sampled_from(ALGORITHMS), st.sampled_from(CANONS),
       st.text(st.sampled_from(list("ab Z.,;\t")), max_size=20))
def test_both_ways_on_arbitrary_bodies(lines: list[bytes], algorithm: str, canon: tuple[str, str],
                                       subject: str) -> None:
    # SMTP-carried bodies: CRLF lines, no lone CR or LF (dkimpy reads a lone LF as a line end)
    message = f"From: alice@example.org\r\nSubject: {subject}\r\n\r\n".encode() + b"".join(line + b"\r\n" for line in lines)
    k = key(algorithm)
    signed = DkimSigner("example.org", "s1", k, *canon).sign(message, now=NOW).message
    assert dkim.verify(signed, dnsfunc=dnsfunc(k)) is True
    field = dkim.sign(message, b"s1", b"example.org", dkimpy_private(k), canonicalize=(canon[0].encode(),
                      canon[1].encode()), signature_algorithm=algorithm.encode())
    assert ours(field + message, k) == PASS
