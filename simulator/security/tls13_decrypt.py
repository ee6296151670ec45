"""TLS 1.3 records decrypted with the session's key log: the teaching view, never the endpoints' path.

The key log (``SSLContext.keylog_filename``, the NSS key log format) holds the
traffic secrets OpenSSL derived. From each, RFC 8446 7.3 makes the record
keys: ``key = HKDF-Expand-Label(secret, "key", "", key_length)`` and
``iv = HKDF-Expand-Label(secret, "iv", "", 12)``; a record's nonce is the iv
XOR its 64-bit sequence number (5.3), its additional data the record header
(5.2), and its true content type the last non-zero byte of the inner
plaintext (5.4). Each direction starts with the handshake traffic secret and
moves to the application traffic secret after its Finished (7.1); a KeyUpdate
moves on to the next generation (7.2).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from simulator.security.tls_records import Record

AEAD = type[AESGCM] | type[ChaCha20Poly1305]


@dataclass(frozen=True, slots=True)
class Suite:
    name: str
    aead: AEAD
    key_length: int
    hash: type[hashes.SHA256] | type[hashes.SHA384]


SUITES = {  # RFC 8446 B.4
    0x1301: Suite("TLS_AES_128_GCM_SHA256", AESGCM, 16, hashes.SHA256),
    0x1302: Suite("TLS_AES_256_GCM_SHA384", AESGCM, 32, hashes.SHA384),
    0x1303: Suite("TLS_CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, 32, hashes.SHA256),
}

# The key log labels of each direction's secrets, in the order they are used.
CLIENT_SECRETS = ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0")
SERVER_SECRETS = ("SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0")


class DecryptError(Exception):
    """A record the keys at hand do not open (wrong secret, or the log lacks it)."""


def hkdf_expand_label(secret: bytes, label: str, context: bytes, length: int,
                      hash: type[hashes.SHA256] | type[hashes.SHA384]) -> bytes:
    """RFC 8446 7.1: HKDF-Expand(Secret, HkdfLabel, Length), the label prefixed with "tls13 "."""
    full = b"tls13 " + label.encode("ascii")
    info = length.to_bytes(2) + bytes([len(full)]) + full + bytes([len(context)]) + context
    return HKDFExpand(hash(), length, info).derive(secret)


def parse_key_log(text: bytes) -> dict[str, bytes]:
    """``LABEL <client_random hex> <secret hex>`` lines to {label: secret} (one session per log)."""
    secrets: dict[str, bytes] = {}
    for line in text.decode("ascii", "replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and not line.startswith("#"):
            secrets[parts[0]] = bytes.fromhex(parts[2])
    return secrets


class DirectionKeys:
    """The record protection of one direction: current key, iv and sequence number."""

    def __init__(self, suite: Suite, secret: bytes) -> None:
        self.suite = suite
        self._use(secret)

    def _use(self, secret: bytes) -> None:
        self.secret = secret
        self._aead = self.suite.aead(hkdf_expand_label(secret, "key", b"", self.suite.key_length, self.suite.hash))
        self._iv = hkdf_expand_label(secret, "iv", b"", 12, self.suite.hash)
        self.seq = 0

    def rekey(self, secret: bytes) -> None:
        self._use(secret)

    def update(self) -> None:
        """KeyUpdate (RFC 8446 7.2): application_traffic_secret_N+1 from N."""
        size = self.suite.hash.digest_size
        self._use(hkdf_expand_label(self.secret, "traffic upd", b"", size, self.suite.hash))

    def open(self, record: Record) -> tuple[int, bytes]:
        """(true content type, content) of a protected record; the sequence number moves on."""
        nonce = bytes(a ^ b for a, b in zip(self._iv, self.seq.to_bytes(12), strict=True))
        try:
            inner = self._aead.decrypt(nonce, record.fragment, record.header())
        except InvalidTag as exc:
            raise DecryptError(f"record {self.seq} does not open with these keys") from exc
        self.seq += 1
        end = len(inner.rstrip(b"\0"))  # RFC 8446 5.4: zero padding after the content type
        if not end:
            raise DecryptError("an inner plaintext of only padding (RFC 8446 5.4: unexpected_message)")
        return inner[end - 1], inner[:end - 1]
