"""TLS 1.2 AEAD records decrypted with the key log's master secret (the teaching view).

The key log line ``CLIENT_RANDOM <client random> <master secret>`` gives the
master secret; the key block is ``PRF(master_secret, "key expansion",
server_random + client_random)`` (RFC 5246 6.3) with the suite's PRF hash,
cut into the client and server write keys and IVs (no MAC keys for AEAD
suites). AES-GCM (RFC 5288 3) sends an 8-byte explicit nonce after the 4-byte
implicit salt; ChaCha20-Poly1305 (RFC 7905 2) XORs the sequence number into
its 12-byte IV. The additional data is the sequence number, type, version and
plaintext length (RFC 5246 6.2.3.3). CBC suites are not opened here.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from simulator.security.tls13_decrypt import DecryptError
from simulator.security.tls_records import Record

TAG = 16


@dataclass(frozen=True, slots=True)
class Suite12:
    name: str
    chacha: bool  # ChaCha20-Poly1305 (RFC 7905) rather than AES-GCM (RFC 5288)
    key_length: int
    prf_hash: str  # hashlib name of the PRF's hash (RFC 5246 5; RFC 5289 for the SHA-384 suites)

    @property
    def iv_length(self) -> int:
        return 12 if self.chacha else 4


SUITES_12 = {
    0xC02B: Suite12("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", False, 16, "sha256"),
    0xC02C: Suite12("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", False, 32, "sha384"),
    0xC02F: Suite12("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", False, 16, "sha256"),
    0xC030: Suite12("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", False, 32, "sha384"),
    0x009E: Suite12("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", False, 16, "sha256"),
    0x009F: Suite12("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", False, 32, "sha384"),
    0xCCA8: Suite12("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", True, 32, "sha256"),
    0xCCA9: Suite12("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", True, 32, "sha256"),
}


def prf(secret: bytes, label: bytes, seed: bytes, length: int, hash_name: str) -> bytes:
    """RFC 5246 5: P_hash(secret, label + seed), as many bytes as asked."""
    seed = label + seed
    out, a = b"", seed
    while len(out) < length:
        a = hmac.digest(secret, a, hash_name)
        out += hmac.digest(secret, a + seed, hash_name)
    return out[:length]


class Direction12Keys:
    """One direction's AEAD state after its ChangeCipherSpec (sequence numbers from 0)."""

    def __init__(self, suite: Suite12, master: bytes, client_random: bytes, server_random: bytes,
                 *, client: bool) -> None:
        n, iv = suite.key_length, suite.iv_length
        block = prf(master, b"key expansion", server_random + client_random, 2 * (n + iv), suite.prf_hash)
        key = block[:n] if client else block[n:2 * n]
        self._iv = block[2 * n:2 * n + iv] if client else block[2 * n + iv:2 * n + 2 * iv]
        self._aead = ChaCha20Poly1305(key) if suite.chacha else AESGCM(key)
        self._chacha = suite.chacha
        self.seq = 0

    def open(self, record: Record) -> bytes:
        fragment = record.fragment
        if self._chacha:
            nonce = bytes(a ^ b for a, b in zip(self._iv, self.seq.to_bytes(12), strict=True))
        else:
            nonce, fragment = self._iv + fragment[:8], fragment[8:]
        if len(fragment) < TAG:
            raise DecryptError("a record shorter than its authentication tag")
        aad = self.seq.to_bytes(8) + bytes([record.type]) + record.version.to_bytes(2) + (len(fragment) - TAG).to_bytes(2)
        try:
            plain = self._aead.decrypt(nonce, fragment, aad)
        except InvalidTag as exc:
            raise DecryptError(f"record {self.seq} does not open with these keys") from exc
        self.seq += 1
        return plain
