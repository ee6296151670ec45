"""Real TLS over memory: ``ssl.SSLContext.wrap_bio`` on two ``ssl.MemoryBIO`` (DESIGN.md, principle 4).

A :class:`TlsEndpoint` is one side of a session and fills the connection's TLS
slot (the ``TlsEnd`` interface of ``simulator.net.tls``, structurally: this
layer does not import the network): plaintext in with :meth:`send_plain`, the
records for the wire out of :meth:`take_wire`, what arrives from the wire into
:meth:`receive_wire`. OpenSSL does the handshakes; TLS 1.3 by default,
TLS 1.2 when a context is capped at it (RFC 8446, RFC 5246).

A handshake that fails does not raise: the endpoint keeps the reason in
:attr:`TlsEndpoint.failure` (for a certificate, OpenSSL's verification message:
"certificate has expired", "Hostname mismatch, ..."), and the alert it sends
the peer waits in :meth:`take_wire`, so the connection can deliver it and both
sides can say why.
"""

from __future__ import annotations

import ssl
from typing import Literal

from simulator.security.memfile import MemoryFile
from simulator.security.pki import Issued, VirtualCA

Version = Literal["TLSv1.3", "TLSv1.2"]
VERSIONS: dict[str, ssl.TLSVersion] = {"TLSv1.3": ssl.TLSVersion.TLSv1_3, "TLSv1.2": ssl.TLSVersion.TLSv1_2}
_READ_CHUNK = 65536


def client_context(ca: VirtualCA, *, version: str = "TLSv1.3", keylog: str = "",
                   alpn: tuple[str, ...] = (), verify: bool = True) -> ssl.SSLContext:
    """A client that verifies as real clients do: ``ca`` the only trust anchor, the host name checked.

    ``verify=False`` is opportunistic security between MTAs (RFC 7435, Postfix's
    ``smtp_tls_security_level = may``): encrypt, but accept any certificate, since
    refusing one would only push the mail back to plaintext.

    ``version`` is the highest the client offers (a TLS 1.2 client cannot be
    talked into 1.3); ``keylog`` a path for the session secrets (NSS key log format).
    """
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=ca.cert_pem().decode("ascii"))
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # RFC 8996: nothing older
    ctx.maximum_version = VERSIONS[version]
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if keylog:
        ctx.keylog_filename = keylog
    return ctx


def server_context(issued: Issued, *, version: str = "TLSv1.3", alpn: tuple[str, ...] = ()) -> ssl.SSLContext:
    """A server presenting ``issued``'s chain; ``version`` the highest it accepts."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = VERSIONS[version]
    with MemoryFile("cert", issued.cert_pem()) as cert, MemoryFile("key", issued.key_pem()) as key:
        ctx.load_cert_chain(cert.path, key.path)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


def _reason(exc: ssl.SSLError) -> str:
    """A handshake error as a sentence: the verification message, or the alert the peer sent."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return exc.verify_message
    reason = exc.reason or str(exc)
    for prefix in ("TLSV1_ALERT_", "SSLV3_ALERT_", "TLSV13_ALERT_"):
        if reason.startswith(prefix):
            return f"the peer sent the alert {reason.removeprefix(prefix).lower()}"
    return reason.replace("_", " ").lower()


class TlsEndpoint:
    """One side of a TLS session over memory BIOs."""

    def __init__(self, context: ssl.SSLContext, *, server_side: bool, server_hostname: str | None = None) -> None:
        self.side = "server" if server_side else "client"
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._ssl = context.wrap_bio(self._incoming, self._outgoing, server_side=server_side,
                                     server_hostname=None if server_side else server_hostname)
        self._established = False
        self._closing = False
        self.failure = ""  # why the handshake failed ("" while it has not)
        self.verify_code = 0  # X509_V_ERR_* when a certificate was refused

    @property
    def name(self) -> str:
        """What the trace calls the layer: "TLS 1.3, TLS_AES_256_GCM_SHA384" once established."""
        if not self._established:
            return "TLS (handshake not finished)"
        cipher = self._ssl.cipher()
        return f"{self._ssl.version()}, {cipher[0] if cipher else '?'}"

    @property
    def established(self) -> bool:
        return self._established

    @property
    def version(self) -> str:
        return self._ssl.version() or ""

    @property
    def ssl_object(self) -> ssl.SSLObject:
        """The ``ssl.SSLObject`` (peer certificate, cipher, ALPN) for whoever wants to look."""
        return self._ssl

    def start(self) -> None:
        self._handshake()

    def send_plain(self, data: bytes) -> None:
        if not self._established:
            raise RuntimeError(f"TLS {self.side}: application data before the handshake finished")
        view = memoryview(data)
        while view:
            view = view[self._ssl.write(view):]

    def take_wire(self) -> bytes:
        return self._outgoing.read()

    def close(self) -> None:
        """Send close_notify (RFC 8446 6.1, RFC 5246 7.2.1); the alert waits in :meth:`take_wire`."""
        if not self._established or self.failure or self._closing:
            return
        self._closing = True
        try:
            self._ssl.unwrap()
        except ssl.SSLWantReadError:  # the peer's close_notify has not come yet: that is fine
            pass
        except ssl.SSLError as exc:
            self.failure = _reason(exc)

    def receive_wire(self, data: bytes) -> bytes:
        if self.failure:
            return b""
        if data:
            self._incoming.write(data)
        if self._closing:  # only the peer's close_notify can come now: finish the shutdown
            try:
                self._ssl.unwrap()
            except ssl.SSLError:
                pass
            return b""
        if not self._established:
            self._handshake()
            if not self._established:
                return b""
        return self._read_all()

    def _handshake(self) -> None:
        try:
            self._ssl.do_handshake()
        except ssl.SSLWantReadError:
            return
        except ssl.SSLCertVerificationError as exc:
            self.failure, self.verify_code = _reason(exc), exc.verify_code
            return
        except ssl.SSLError as exc:
            self.failure = _reason(exc)
            return
        self._established = True

    def _read_all(self) -> bytes:
        out = bytearray()
        while True:
            try:
                chunk = self._ssl.read(_READ_CHUNK)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLError as exc:  # a broken record: the session is over
                self.failure = _reason(exc)
                break
            if not chunk:  # the peer's close_notify (the ssl module reads it as b""): answer with ours
                self.close()
                break
            out += chunk
        return bytes(out)
