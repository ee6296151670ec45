"""DKIM keys: signing keys, the key record in DNS (RFC 6376 3.6.1), and the virtual world's demonstration keys.

Algorithms: rsa-sha256 (RFC 6376 3.3.2, RSASSA-PKCS1-v1_5 over the header hash input) and
ed25519-sha256 (RFC 8463 3: PureEdDSA Ed25519 over the SHA-256 digest of that input).
rsa-sha1 is named only so a verifier can refuse it (RFC 8301 3.1).

Where the world's keys come from, and why (DESIGN.md principle 5, deterministic runs):
RSA PKCS#1 v1.5 signatures are deterministic given the key, and so are Ed25519 ones,
so a golden transcript needs the same key every run. `cryptography` cannot derive an
RSA key from a seed, so the RSA keys are twelve 2048-bit demonstration keys bundled
as PEM files in ``simulator/security/demo-keys/`` (shipped in the wheel as package data),
handed out by :class:`DemoKeyring` in the order a world asks for them. Ed25519 keys are
derived from the domain and selector (RFC 8032 5.1.5: any 32 bytes are a private key).
These keys are public: they are for the simulator's virtual domains, never for real mail.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from simulator.security.taglist import TagListError, colon_list, parse_tags, without_fws

RSA_SHA256 = "rsa-sha256"
ED25519_SHA256 = "ed25519-sha256"
RSA_SHA1 = "rsa-sha1"
SIGNING_ALGORITHMS = (RSA_SHA256, ED25519_SHA256)
KEY_TYPE = {RSA_SHA256: "rsa", ED25519_SHA256: "ed25519", RSA_SHA1: "rsa"}  # a= -> the k= it needs
HASH_OF = {RSA_SHA256: "sha256", ED25519_SHA256: "sha256", RSA_SHA1: "sha1"}
MIN_RSA_BITS = 1024  # RFC 8301 3.2: verifiers MUST NOT consider smaller keys valid
SIGN_RSA_BITS = 2048  # RFC 8301 3.2: signers SHOULD use at least 2048 bits
DEMO_RSA_KEYS = 12

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey


class KeyRecordError(ValueError):
    """A DKIM key record that cannot be used; str() is a sentence."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    algorithm: str  # the a= value it signs with
    private: PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        if self.algorithm not in SIGNING_ALGORITHMS:
            raise ValueError(f"cannot sign with {self.algorithm!r}: use one of {', '.join(SIGNING_ALGORITHMS)}")
        if not isinstance(self.private, _PRIVATE_TYPE[self.algorithm]):
            raise ValueError(f"{self.algorithm} needs a {KEY_TYPE[self.algorithm]} private key")

    @property
    def key_type(self) -> str:
        return KEY_TYPE[self.algorithm]

    def public_key(self) -> PublicKey:
        return self.private.public_key()

    def p_value(self) -> str:
        """The p= of the key record: base64 of the public key (RFC 6376 3.6.1; RFC 8463 4.2)."""
        return base64.b64encode(_PUBLIC_BYTES[self.key_type](self.public_key())).decode("ascii")

    def record(self, *, testing: bool = False, strict: bool = False) -> str:
        """The TXT record to publish at ``selector._domainkey.domain`` (RFC 6376 3.6.1)."""
        flags = ":".join(f for f, on in (("y", testing), ("s", strict)) if on)
        return f"v=DKIM1; k={self.key_type}; " + (f"t={flags}; " if flags else "") + f"p={self.p_value()}"

    def sign(self, data: bytes) -> bytes:
        return _SIGN[self.algorithm](self.private, data)

    def private_pem(self) -> bytes:
        return self.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())


def ed25519_key(private_bytes: bytes) -> SigningKey:
    """An ed25519-sha256 key from its 32 private bytes (RFC 8032 5.1.5)."""
    return SigningKey(ED25519_SHA256, ed25519.Ed25519PrivateKey.from_private_bytes(private_bytes))


def key_from_pem(pem: bytes, algorithm: str | None = None) -> SigningKey:
    """A signing key from a PEM private key; the algorithm follows from the key type unless given."""
    private = serialization.load_pem_private_key(pem, password=None)
    if algorithm is None:
        algorithm = ED25519_SHA256 if isinstance(private, ed25519.Ed25519PrivateKey) else RSA_SHA256
    return SigningKey(algorithm, private)  # type: ignore[arg-type]


def generate_key(algorithm: str) -> SigningKey:
    """A fresh random key (not deterministic: for keys a scenario does not need to repeat)."""
    if algorithm == ED25519_SHA256:
        return SigningKey(algorithm, ed25519.Ed25519PrivateKey.generate())
    return SigningKey(algorithm, rsa.generate_private_key(public_exponent=65537, key_size=SIGN_RSA_BITS))


def _sign_rsa_sha256(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _sign_ed25519_sha256(key: ed25519.Ed25519PrivateKey, data: bytes) -> bytes:
    return key.sign(hashlib.sha256(data).digest())


_SIGN: dict[str, Callable] = {RSA_SHA256: _sign_rsa_sha256, ED25519_SHA256: _sign_ed25519_sha256}
_PRIVATE_TYPE = {RSA_SHA256: rsa.RSAPrivateKey, ED25519_SHA256: ed25519.Ed25519PrivateKey}


def _rsa_public_bytes(key: rsa.RSAPublicKey) -> bytes:
    # SubjectPublicKeyInfo, as every signer publishes it (RFC 6376 erratum 3017)
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _ed25519_public_bytes(key: ed25519.Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


_PUBLIC_BYTES: dict[str, Callable] = {"rsa": _rsa_public_bytes, "ed25519": _ed25519_public_bytes}


def verify_signature(algorithm: str, key: PublicKey, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``algorithm``'s signature of the header hash input ``data``."""
    try:
        _VERIFY[algorithm](key, data, signature)
    except InvalidSignature:
        return False
    return True


def _verify_rsa(digest: hashes.HashAlgorithm) -> Callable:
    def verify(key: rsa.RSAPublicKey, data: bytes, signature: bytes) -> None:
        key.verify(signature, data, padding.PKCS1v15(), digest)
    return verify


def _verify_ed25519_sha256(key: ed25519.Ed25519PublicKey, data: bytes, signature: bytes) -> None:
    key.verify(signature, hashlib.sha256(data).digest())


_VERIFY: dict[str, Callable] = {RSA_SHA256: _verify_rsa(hashes.SHA256()), RSA_SHA1: _verify_rsa(hashes.SHA1()),
                                ED25519_SHA256: _verify_ed25519_sha256}


# --- the key record in DNS ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A parsed DKIM key record (RFC 6376 3.6.1)."""

    key_type: str  # k=, default "rsa"
    public: bytes  # p= decoded; empty: the key is revoked
    hashes: tuple[str, ...] | None  # h=, None when absent (every hash allowed)
    flags: tuple[str, ...]  # t=: "y" testing, "s" no subdomains in i=
    services: tuple[str, ...]  # s=, default "*"
    notes: str = ""

    @property
    def revoked(self) -> bool:
        return not self.public

    @property
    def testing(self) -> bool:
        return "y" in self.flags

    @property
    def strict(self) -> bool:
        return "s" in self.flags

    def allows_hash(self, hash_name: str) -> bool:
        return self.hashes is None or hash_name in self.hashes

    def public_key(self) -> PublicKey:
        """The key p= carries; KeyRecordError when it is not a key of type k=."""
        return _LOAD_PUBLIC[self.key_type](self.public)


def parse_key_record(text: str) -> KeyRecord:
    """Parse a key record; KeyRecordError says what is wrong. Unknown tags are ignored (3.6.1)."""
    try:
        tags = parse_tags(text)
    except TagListError as e:
        raise KeyRecordError(f"not a tag list: {e}") from None
    if "v" in tags and (tags["v"] != "DKIM1" or next(iter(tags)) != "v"):
        raise KeyRecordError("v= must be DKIM1 and come first (RFC 6376 3.6.1)")
    if "p" not in tags:
        raise KeyRecordError("the record has no p= tag (RFC 6376 3.6.1: required)")
    key_type = tags.get("k", "rsa")
    if key_type not in _LOAD_PUBLIC:
        raise KeyRecordError(f"unknown key type k={key_type} (known: rsa, ed25519)")
    try:
        public = base64.b64decode(without_fws(tags["p"]), validate=True)
    except (binascii.Error, ValueError):
        raise KeyRecordError("p= is not valid base64") from None
    hashes_ = tuple(h.lower() for h in colon_list(tags["h"])) if "h" in tags else None
    return KeyRecord(key_type=key_type, public=public, hashes=hashes_,
                     flags=tuple(colon_list(tags["t"])) if "t" in tags else (),
                     services=tuple(colon_list(tags["s"])) if "s" in tags else ("*",),
                     notes=tags.get("n", ""))


def _load_rsa(data: bytes) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_der_public_key(data)
    except ValueError:
        # RFC 6376 3.6.1 names the bare RSAPublicKey (PKCS#1); some publish that
        pem = b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(data) + b"-----END RSA PUBLIC KEY-----\n"
        try:
            key = serialization.load_pem_public_key(pem)
        except ValueError:
            raise KeyRecordError("p= is not an RSA public key (DER SubjectPublicKeyInfo or RSAPublicKey)") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyRecordError("k=rsa but p= holds another kind of key")
    return key


def _load_ed25519(data: bytes) -> ed25519.Ed25519PublicKey:
    if len(data) != 32:
        raise KeyRecordError(f"an Ed25519 public key is 32 bytes (RFC 8463 4.2), p= holds {len(data)}")
    return ed25519.Ed25519PublicKey.from_public_bytes(data)


_LOAD_PUBLIC: dict[str, Callable[[bytes], PublicKey]] = {"rsa": _load_rsa, "ed25519": _load_ed25519}


# --- the virtual world's keys -------------------------------------------------------------------


@functools.cache
def demo_rsa_key(n: int) -> SigningKey:
    """Bundled demonstration RSA-2048 key number ``n`` (0-based, wraps around after DEMO_RSA_KEYS).

    Loaded once per process: loading checks the private key, about 0.15 s each, and every
    world (each scenario run, each what-if branch) asks for the same few keys again.
    """
    name = f"demo-rsa-{n % DEMO_RSA_KEYS + 1:02d}.pem"
    return key_from_pem(resources.files("simulator.security").joinpath("demo-keys", name).read_bytes(), RSA_SHA256)


def demo_ed25519_key(domain: str, selector: str) -> SigningKey:
    """The Ed25519 key of (domain, selector), derived from those names alone."""
    seed = hashlib.sha256(b"mailsim demonstration ed25519 key\0" + domain.lower().encode()
                          + b"\0" + selector.lower().encode()).digest()
    return ed25519_key(seed)


class DemoKeyring:
    """The signing keys of one virtual world, the same on every run.

    RSA keys come from the bundled set in the order the world first asks for a
    (domain, selector); past twelve, keys are shared. Ed25519 keys are derived.
    """

    def __init__(self) -> None:
        self._rsa: dict[tuple[str, str], SigningKey] = {}

    def key(self, domain: str, selector: str, algorithm: str = RSA_SHA256) -> SigningKey:
        if algorithm == ED25519_SHA256:
            return demo_ed25519_key(domain, selector)
        if algorithm != RSA_SHA256:
            raise ValueError(f"cannot sign with {algorithm!r}: use one of {', '.join(SIGNING_ALGORITHMS)}")
        name = (domain.lower(), selector.lower())
        if name not in self._rsa:
            self._rsa[name] = demo_rsa_key(len(self._rsa))
        return self._rsa[name]
