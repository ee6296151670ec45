"""The virtual PKI: a valid chain passes both verifiers; each fault fails with its own reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from simulator.security import pki
from simulator.security.pki import WRONG_NAME_HOST, CertFault, VirtualCA
from simulator.security.tls import TlsEndpoint, client_context, server_context
from tests.security.tls_pair import handshake

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOST = "mx.example.net"


@pytest.fixture(scope="module")
def ca() -> VirtualCA:
    return VirtualCA(seed=7, start=START)


def _client_handshake(ca: VirtualCA, fault: CertFault, version: str = "TLSv1.3") -> tuple[TlsEndpoint, TlsEndpoint]:
    client = TlsEndpoint(client_context(ca, version=version), server_side=False, server_hostname=HOST)
    server = TlsEndpoint(server_context(ca.issue(HOST, fault=fault)), server_side=True)
    handshake(client, server)
    return client, server


def test_the_certificate_carries_the_extensions_real_verifiers_expect(ca: VirtualCA) -> None:
    cert = ca.issue(HOST, also=("localhost", "127.0.0.1")).cert
    ext = {e.oid._name: e for e in cert.extensions}
    assert ext["basicConstraints"].critical and not ext["basicConstraints"].value.ca
    assert ext["keyUsage"].critical and ext["keyUsage"].value.digital_signature
    assert not ext["keyUsage"].value.key_cert_sign
    assert list(ext["extendedKeyUsage"].value) == [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]
    san = ext["subjectAltName"].value
    assert san.get_values_for_type(x509.DNSName) == [HOST, "localhost"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    ca_ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert ext["authorityKeyIdentifier"].value.key_identifier == ca_ski
    assert ext["subjectKeyIdentifier"].value.digest != ca_ski
    assert cert.not_valid_before_utc == START - timedelta(days=1)


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_keys(ca: VirtualCA) -> None:
    first = (ca.cert_pem(), ca.issue(HOST).cert.public_bytes(Encoding.DER))
    pki._root.cache_clear()
    pki._leaf.cache_clear()  # build them again, not read the cache
    again = VirtualCA(seed=7, start=START)
    assert (again.cert_pem(), again.issue(HOST).cert.public_bytes(Encoding.DER)) == first
    other = VirtualCA(seed=8, start=START)
    assert other.cert.public_key() != ca.cert.public_key()
    assert other.issue(HOST).cert.serial_number != ca.issue(HOST).cert.serial_number


def test_a_valid_chain_passes_cryptography_s_verifier_at_the_virtual_time(ca: VirtualCA) -> None:
    leaf = ca.issue(HOST).cert
    verifier = PolicyBuilder().store(Store([ca.cert])).time(START).build_server_verifier(x509.DNSName(HOST))
    assert verifier.verify(leaf, []) == [leaf, ca.cert]
    wrong = PolicyBuilder().store(Store([ca.cert])).time(START).build_server_verifier(x509.DNSName("other.example"))
    with pytest.raises(VerificationError):
        wrong.verify(leaf, [])


@pytest.mark.parametrize("version", ["TLSv1.3", "TLSv1.2"])
def test_a_valid_chain_passes_openssl_in_a_client_handshake(ca: VirtualCA, version: str) -> None:
    client, server = _client_handshake(ca, CertFault.NONE, version)
    assert client.established and server.established and not client.failure
    assert client.version == server.version == version
    peer = client.ssl_object.getpeercert()
    assert dict(x[0] for x in peer["subject"])["commonName"] == HOST


REASONS = {
    CertFault.EXPIRED: ("certificate has expired", "the peer sent the alert certificate_expired"),
    CertFault.NOT_YET_VALID: ("certificate is not yet valid", "the peer sent the alert bad_certificate"),
    CertFault.WRONG_NAME: (f"Hostname mismatch, certificate is not valid for '{HOST}'.",
                           "the peer sent the alert bad_certificate"),
    CertFault.SELF_SIGNED: ("self-signed certificate", "the peer sent the alert unknown_ca"),
    CertFault.UNKNOWN_CA: ("unable to get local issuer certificate", "the peer sent the alert unknown_ca"),
}


@pytest.mark.parametrize("version", ["TLSv1.3", "TLSv1.2"])
@pytest.mark.parametrize("fault", list(REASONS))
def test_each_fault_gives_its_exact_reason_in_a_client_handshake(ca: VirtualCA, fault: CertFault, version: str) -> None:
    client, server = _client_handshake(ca, fault, version)
    assert not client.established and not server.established
    assert (client.failure, server.failure) == REASONS[fault]
    assert client.verify_code != 0


@pytest.mark.parametrize("fault", list(REASONS))
def test_each_fault_is_refused_by_cryptography_s_verifier_too(ca: VirtualCA, fault: CertFault) -> None:
    verifier = PolicyBuilder().store(Store([ca.cert])).time(START).build_server_verifier(x509.DNSName(HOST))
    with pytest.raises(VerificationError):
        verifier.verify(ca.issue(HOST, fault=fault).cert, [])


def test_the_faulty_certificates_are_what_their_names_say(ca: VirtualCA) -> None:
    expired = ca.issue(HOST, fault=CertFault.EXPIRED).cert
    assert expired.not_valid_after_utc < START
    assert ca.issue(HOST, fault=CertFault.NOT_YET_VALID).cert.not_valid_before_utc > START
    wrong = ca.issue(HOST, fault=CertFault.WRONG_NAME).cert
    assert wrong.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == [WRONG_NAME_HOST]
    selfie = ca.issue(HOST, fault=CertFault.SELF_SIGNED).cert
    assert selfie.issuer == selfie.subject and selfie.issuer != ca.cert.subject
    assert ca.issue(HOST, fault=CertFault.UNKNOWN_CA).cert.issuer != ca.cert.subject
