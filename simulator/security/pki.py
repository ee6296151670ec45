"""The virtual PKI: one root CA and per-host certificates, made with ``cryptography.x509``.

Certificates carry the extensions real verifiers expect (RFC 5280 4.2:
BasicConstraints, KeyUsage, ExtendedKeyUsage, SubjectAltName,
SubjectKeyIdentifier, AuthorityKeyIdentifier), so the stdlib ``ssl`` module
(OpenSSL) and ``cryptography.x509.verification`` both accept a valid chain.

Deterministic world (DESIGN.md, principle 5): every key is derived from the
seed and its label (ECDSA P-256, ``ec.derive_private_key``), serial numbers
come from the seed, certificate signatures are deterministic ECDSA (RFC 6979),
and validity is relative to the virtual clock's start. So the same seed and
start give byte-identical certificates in every process; they are cached per
process because building them costs a few milliseconds each.

OpenSSL checks validity against the real clock of the machine (the ``ssl``
module cannot be given a verification time), so the windows are wide: a valid
certificate runs from a day before the virtual start to :data:`VALID_YEARS`
years after it, an expired one ended a day before the start, and a
not-yet-valid one begins :data:`VALID_YEARS` years after it. A scenario whose
start lies more than that far from today would see OpenSSL disagree.

Faults (:class:`CertFault`) make the certificate a scenario asks for:
expired, not yet valid, for another host name, self-signed, or issued by a CA
the clients do not trust. Each gives its own verification error in a client
handshake (OpenSSL's ``verify_message``).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_YEARS = 20  # see the module docstring: OpenSSL reads the real clock
_YEAR = timedelta(days=365)
_DAY = timedelta(days=1)
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

CA_NAME = "mailsim Virtual Root CA"
ROGUE_CA_NAME = "mailsim Untrusted CA"  # the issuer of UNKNOWN_CA certificates; no client trusts it


class CertFault(StrEnum):
    """What is wrong with a host's certificate (the scenario's fault names)."""

    NONE = "none"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    WRONG_NAME = "wrong-name"
    SELF_SIGNED = "self-signed"
    UNKNOWN_CA = "unknown-ca"


WRONG_NAME_HOST = "wrong-host.invalid"  # the name a WRONG_NAME certificate is for (RFC 2606 .invalid)


@dataclass(frozen=True, slots=True)
class Issued:
    """A host's certificate, its private key and the chain a server sends (leaf first)."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    chain: tuple[x509.Certificate, ...]

    def cert_pem(self) -> bytes:
        """The chain the server presents, PEM, leaf first (for ``load_cert_chain``)."""
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def derive_key(seed: int, label: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key that depends only on ``seed`` and ``label``: the same in every run."""
    digest = hashlib.sha256(f"mailsim key {seed} {label}".encode()).digest()
    return ec.derive_private_key(int.from_bytes(digest) % (_P256_ORDER - 1) + 1, ec.SECP256R1())


def serial_number(seed: int, label: str) -> int:
    """A positive serial of at most 20 octets (RFC 5280 4.1.2.2), from the seed."""
    digest = hashlib.sha256(f"mailsim serial {seed} {label}".encode()).digest()
    return int.from_bytes(digest[:16]) >> 1 or 1


def _name(common_name: str, org: str = "mailsim") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


def _alt_names(names: Sequence[str]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for name in names:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            out.append(x509.DNSName(name))
    return out


@lru_cache(maxsize=16)
def _root(seed: int, start: datetime, common_name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = derive_key(seed, f"ca {common_name}")
    subject = _name(common_name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(serial_number(seed, f"ca {common_name}"))
        .not_valid_before(start - _DAY).not_valid_after(start + (VALID_YEARS + 5) * _YEAR)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256(), ecdsa_deterministic=True)  # RFC 6979: same bytes every run
    )
    return cert, key


@lru_cache(maxsize=256)
def _leaf(seed: int, start: datetime, ca_name: str, host: str, extra_names: tuple[str, ...],
          fault: CertFault) -> Issued:
    key = derive_key(seed, f"host {host}")
    names = [WRONG_NAME_HOST] if fault is CertFault.WRONG_NAME else [host, *extra_names]
    subject = _name(names[0])
    if fault is CertFault.EXPIRED:
        not_before, not_after = start - 2 * _YEAR, start - _DAY
    elif fault is CertFault.NOT_YET_VALID:
        not_before, not_after = start + VALID_YEARS * _YEAR, start + (VALID_YEARS + 1) * _YEAR
    else:
        not_before, not_after = start - _DAY, start + VALID_YEARS * _YEAR
    if fault is CertFault.SELF_SIGNED:
        issuer_key, issuer = key, subject
    else:
        issuer_cert, issuer_key = _root(seed, start, ROGUE_CA_NAME if fault is CertFault.UNKNOWN_CA else ca_name)
        issuer = issuer_cert.subject
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(serial_number(seed, f"host {host} {fault} {extra_names}"))
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(_alt_names(names)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    # The server sends its own certificate only: the root is the client's trust anchor
    # already and "MAY be omitted" (RFC 8446 4.4.2); there is no intermediate.
    return Issued(cert, key, (cert,))


class VirtualCA:
    """The world's root CA: the only trust anchor of its clients.

    ``start`` is the virtual clock's start; ``seed`` the world's seed.
    """

    def __init__(self, *, seed: int = 1, start: datetime, name: str = CA_NAME) -> None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self.seed, self.start, self.name = seed, start, name
        self.cert, self._key = _root(seed, start, name)

    def cert_pem(self) -> bytes:
        """The CA certificate, PEM: what a client loads as its trust anchor (``cafile``)."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, host: str, *, also: Sequence[str] = (), fault: CertFault = CertFault.NONE) -> Issued:
        """The certificate of ``host`` (its SubjectAltName also lists ``also``: e.g.
        ``("localhost", "127.0.0.1")`` for ``mailsim serve``), with ``fault`` built in."""
        return _leaf(self.seed, self.start, self.name, host.lower().rstrip("."), tuple(also), CertFault(fault))
