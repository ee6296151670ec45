"""SCRAM-SHA-256 (RFC 7677, the SCRAM of RFC 5802 with SHA-256): a proof of the password, never the password.

The exchange (RFC 5802 5)::

    C: n,,n=user,r=<client nonce>                                 client-first
    S: r=<client nonce><server nonce>,s=<salt>,i=<iterations>     server-first
    C: c=biws,r=<both nonces>,p=<ClientProof>                     client-final
    S: v=<ServerSignature>                                        server-final

and the derivation each side makes (RFC 5802 3), every step of which is kept
as a :class:`DerivationStep` for the teaching view::

    SaltedPassword  := Hi(Normalize(password), salt, i)      (PBKDF2-HMAC-SHA-256)
    ClientKey       := HMAC(SaltedPassword, "Client Key")
    StoredKey       := H(ClientKey)
    AuthMessage     := client-first-bare "," server-first "," client-final-without-proof
    ClientSignature := HMAC(StoredKey, AuthMessage)
    ClientProof     := ClientKey XOR ClientSignature
    ServerKey       := HMAC(SaltedPassword, "Server Key")
    ServerSignature := HMAC(ServerKey, AuthMessage)

A real server stores only StoredKey and ServerKey (with salt and count); this
one keeps the world's passwords and derives them on the fly from a salt that
is a function of a seed and the user, so the same world gives the same salt.
Channel binding: only ``n,,`` / ``y,,`` (no -PLUS variant is offered).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, field

from simulator.protocols.sasl.mechanism import (
    DerivationStep,
    SaslFailure,
    SaslSuccess,
    SecretKeeper,
    ServerContext,
)
from simulator.protocols.sasl.saslprep import saslprep

NAME = "SCRAM-SHA-256"
HASH = "sha256"
MIN_ITERATIONS = 4096  # RFC 7677 4: "at least 4096"
GS2_HEADER = "n,,"  # RFC 5802 7: no channel binding, no authzid


def h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hmac_(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, HASH).digest()


def hi(password: str, salt: bytes, iterations: int) -> bytes:
    """RFC 5802 2.2: Hi() is PBKDF2 (RFC 8018) with HMAC as the PRF and one block."""
    try:
        normalized = saslprep(password)
    except ValueError as exc:
        raise SaslFailure(str(exc)) from None
    return hashlib.pbkdf2_hmac(HASH, normalized.encode(), salt, iterations)


def xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def salt_for(seed: bytes, user: str) -> bytes:
    """The user's salt: 16 octets derived from the world's seed, the same for every login."""
    return hmac_(seed, b"scram salt " + user.lower().encode())[:16]


def saslname(user: str) -> str:
    """RFC 5802 5.1: "," and "=" in a user name are sent as =2C and =3D."""
    return user.replace("=", "=3D").replace(",", "=2C")


def unsaslname(name: str) -> str:
    rest = name.replace("=2C", "").replace("=3D", "")
    if "=" in rest:
        raise SaslFailure("e=invalid-username-encoding")  # RFC 5802 5.1
    return name.replace("=2C", ",").replace("=3D", "=")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise SaslFailure(f"{what} is not base64") from None


def attributes(message: str) -> dict[str, str]:
    """``a=1,b=2`` -> {"a": "1", "b": "2"} (RFC 5802 5.1: each attribute a single letter)."""
    out: dict[str, str] = {}
    for part in message.split(","):
        key, eq, value = part.partition("=")
        if len(key) != 1 or not eq:
            raise SaslFailure(f"malformed SCRAM attribute {part[:20]!r}")
        out.setdefault(key, value)
    return out


@dataclass(slots=True)
class Derivation:
    """The keys of one exchange, each as a teaching step (RFC 5802 3)."""

    steps: list[DerivationStep] = field(default_factory=list)

    def add(self, name: str, formula: str, value: bytes) -> bytes:
        self.steps.append(DerivationStep(name, formula, value, "RFC 5802 3"))
        return value

    def keys(self, password: str, salt: bytes, iterations: int) -> tuple[bytes, bytes, bytes]:
        """SaltedPassword, ClientKey, StoredKey and ServerKey: what a server would store (less the first)."""
        salted = self.add("SaltedPassword", f"Hi(Normalize(password), salt, {iterations})",
                          hi(password, salt, iterations))
        client_key = self.add("ClientKey", 'HMAC(SaltedPassword, "Client Key")', hmac_(salted, b"Client Key"))
        stored_key = self.add("StoredKey", "H(ClientKey)", h(client_key))
        server_key = self.add("ServerKey", 'HMAC(SaltedPassword, "Server Key")', hmac_(salted, b"Server Key"))
        return client_key, stored_key, server_key

    def value(self, name: str) -> bytes:
        return next(s.value for s in self.steps if s.name == name)


class ScramServer:
    """The server side; ``salt`` and ``server_nonce`` override the seeded ones (RFC test vectors)."""

    name = NAME

    def __init__(self, auth: SecretKeeper, context: ServerContext, *, salt: bytes | None = None,
                 server_nonce: str | None = None) -> None:
        self._auth = auth
        self._context = context
        self._salt = salt
        self._server_nonce = server_nonce
        self._iterations = max(context.scram_iterations, MIN_ITERATIONS)
        self.derivation = Derivation()
        self._user = ""
        self._client_first_bare = ""
        self._server_first = ""
        self._nonce = ""
        self._gs2 = ""
        self._salt_used = b""
        self._stage = 0

    @property
    def steps(self) -> list[DerivationStep]:
        return self.derivation.steps

    def step(self, data: bytes | None) -> bytes | SaslSuccess:
        if self._stage == 0 and data is None:
            return b""  # RFC 4422 3.3: no initial response, so an empty challenge asks for it
        if data is None:
            raise SaslFailure("empty SCRAM message")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise SaslFailure("SCRAM messages are UTF-8 (RFC 5802 5.1)") from None
        self._stage += 1
        if self._stage == 1:
            return self._client_first(text)
        if self._stage == 2:
            return self._client_final(text)
        raise SaslFailure("SCRAM exchange already complete")

    def _client_first(self, text: str) -> bytes:
        flag, _, rest = text.partition(",")
        authzid, _, bare = rest.partition(",")
        if flag.startswith("p="):
            raise SaslFailure("e=server-does-support-channel-binding")  # RFC 5802 7 (we offer no -PLUS)
        if flag not in ("n", "y"):  # RFC 5802 6: "y": the client could bind but thinks we cannot
            raise SaslFailure("malformed SCRAM client-first message: expected n,, before the user")
        attrs = attributes(bare)
        if "m" in attrs:
            raise SaslFailure("e=extensions-not-supported")  # RFC 5802 5.1: mandatory extension
        if "n" not in attrs or "r" not in attrs or not attrs["r"]:
            raise SaslFailure("malformed SCRAM client-first message: n= and r= are needed")
        self._user = unsaslname(attrs["n"])
        if authzid and unsaslname(authzid.removeprefix("a=")).lower() != self._user.lower():
            raise SaslFailure(f"{self._user} may not act as {authzid[2:]}")
        self._gs2 = f"{flag},{authzid},"
        self._client_first_bare = bare
        self._nonce = attrs["r"] + (self._server_nonce or self._context.rng.hex(24))
        salt = self._salt if self._salt is not None else salt_for(self._context.scram_seed, self._user)
        self._salt_used = salt
        self._server_first = f"r={self._nonce},s={b64(salt)},i={self._iterations}"
        return self._server_first.encode()

    def _client_final(self, text: str) -> SaslSuccess:
        without_proof, sep, proof_attr = text.rpartition(",p=")
        if not sep:
            raise SaslFailure("malformed SCRAM client-final message: no proof")
        attrs = attributes(without_proof)
        if unb64(attrs.get("c", ""), "channel binding c=") != self._gs2.encode():
            raise SaslFailure("e=channel-bindings-dont-match")  # RFC 5802 5.1
        if attrs.get("r") != self._nonce:
            raise SaslFailure("e=other-error: the nonce is not the one of this exchange")
        proof = unb64(proof_attr, "proof p=")
        secret = self._auth.shared_secret(self._user)
        # RFC 5802 5.1: an unknown user fails like a wrong password (keys from a made-up secret).
        d = self.derivation
        _, stored_key, server_key = d.keys(secret if secret is not None else f"no such user {self._user}",
                                          self._salt_used, self._iterations)
        auth_message = f"{self._client_first_bare},{self._server_first},{without_proof}".encode()
        d.steps.append(DerivationStep("AuthMessage", "client-first-bare , server-first , client-final-without-proof",
                                      auth_message, "RFC 5802 3"))
        signature = d.add("ClientSignature", "HMAC(StoredKey, AuthMessage)", hmac_(stored_key, auth_message))
        d.steps.append(DerivationStep("ClientProof", "the client's p=", proof, "RFC 5802 3"))
        if len(proof) != len(signature) or secret is None or \
                not hmac.compare_digest(h(xor(proof, signature)), stored_key):
            raise SaslFailure("e=invalid-proof: wrong user name or password")
        d.add("ClientKey (recovered)", "ClientProof XOR ClientSignature", xor(proof, signature))
        server_signature = d.add("ServerSignature", "HMAC(ServerKey, AuthMessage)", hmac_(server_key, auth_message))
        return SaslSuccess(self._user, server_final=f"v={b64(server_signature)}".encode())


class ScramClient:
    """The client side; ``nonce`` is the client nonce (printable, no comma: RFC 5802 5.1)."""

    name = NAME

    def __init__(self, user: str, password: str, nonce: str) -> None:
        if not nonce or "," in nonce or not nonce.isprintable():
            raise ValueError("a SCRAM nonce is printable and has no comma (RFC 5802 5.1)")
        self._user, self._password, self._nonce = user, password, nonce
        self._bare = f"n={saslname(user)},r={nonce}"
        self._expected_signature: bytes | None = None
        self.derivation = Derivation()
        self._verified = False

    @property
    def steps(self) -> list[DerivationStep]:
        return self.derivation.steps

    @property
    def server_verified(self) -> bool:
        return self._verified

    def initial_response(self) -> bytes | None:
        return f"{GS2_HEADER}{self._bare}".encode()

    def respond(self, challenge: bytes) -> bytes:
        if self._expected_signature is None:
            return self._client_final(challenge.decode("utf-8", "replace"))
        return self._check_server_final(challenge.decode("utf-8", "replace"))

    def _client_final(self, server_first: str) -> bytes:
        attrs = attributes(server_first)
        nonce, salt_text, count = attrs.get("r", ""), attrs.get("s", ""), attrs.get("i", "")
        if "m" in attrs:
            raise SaslFailure("the server asks for a mandatory SCRAM extension")
        if not nonce.startswith(self._nonce) or nonce == self._nonce:
            raise SaslFailure("the server's nonce does not extend ours (RFC 5802 5.1)")
        if not count.isdigit() or int(count) < 1:
            raise SaslFailure("the iteration count i= is not a number")
        salt = unb64(salt_text, "salt s=")
        d = self.derivation
        client_key, stored_key, server_key = d.keys(self._password, salt, int(count))
        without_proof = f"c={b64(GS2_HEADER.encode())},r={nonce}"
        auth_message = f"{self._bare},{server_first},{without_proof}".encode()
        d.steps.append(DerivationStep("AuthMessage", "client-first-bare , server-first , client-final-without-proof",
                                      auth_message, "RFC 5802 3"))
        signature = d.add("ClientSignature", "HMAC(StoredKey, AuthMessage)", hmac_(stored_key, auth_message))
        proof = d.add("ClientProof", "ClientKey XOR ClientSignature", xor(client_key, signature))
        self._expected_signature = d.add("ServerSignature", "HMAC(ServerKey, AuthMessage)",
                                         hmac_(server_key, auth_message))
        return f"{without_proof},p={b64(proof)}".encode()

    def _check_server_final(self, server_final: str) -> bytes:
        attrs = attributes(server_final)
        if "e" in attrs:
            raise SaslFailure(f"the server refused: e={attrs['e']}")
        assert self._expected_signature is not None
        if not hmac.compare_digest(unb64(attrs.get("v", ""), "v="), self._expected_signature):
            raise SaslFailure("the server's signature is wrong: it does not know the password (RFC 5802 9)")
        self._verified = True
        return b""
