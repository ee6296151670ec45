"""One TLS session of the virtual world: both endpoints, made from the virtual PKI, and its record view.

The client trusts only the world's CA and checks the name it connected to;
the server presents the certificate the PKI issues for its host (with the
scenario's fault, if any). The client's secrets go to a key log in memory
(:class:`~simulator.security.memfile.MemoryFile`), which the record view reads
to decrypt TLS 1.3; once the handshake is over the log is read a last time
and closed, so a session holds no file open.

This fills the connection's TLS slot (``simulator.net.tls``: ``client``,
``server`` and ``observe``) without importing the network.
"""

from __future__ import annotations

import ssl
import weakref
from functools import lru_cache

from simulator.security.memfile import MemoryFile
from simulator.security.pki import CertFault, Issued, VirtualCA
from simulator.security.tls import TlsEndpoint, client_context, server_context
from simulator.security.tls_view import RecordView
from simulator.trace import TlsRecord


@lru_cache(maxsize=64)
def _server_context(issued: Issued, version: str, alpn: tuple[str, ...]) -> ssl.SSLContext:
    return server_context(issued, version=version, alpn=alpn)


class TlsSession:
    """``host``: the server's certificate name; ``server_name``: the name the client asked for (SNI, checked
    unless ``verify`` is False: opportunistic TLS, RFC 7435, which accepts any certificate)."""

    def __init__(self, ca: VirtualCA, host: str, *, server_name: str = "", fault: CertFault = CertFault.NONE,
                 version: str = "TLSv1.3", server_version: str = "TLSv1.3", alpn: tuple[str, ...] = (),
                 verify: bool = True) -> None:
        self._log: MemoryFile | None = MemoryFile("keylog")
        self._secrets = b""
        self._context = client_context(ca, version=version, keylog=self._log.path, alpn=alpn, verify=verify)
        self.client = TlsEndpoint(self._context, server_side=False, server_hostname=server_name or host)
        self.server = TlsEndpoint(_server_context(ca.issue(host, fault=fault), server_version, alpn),
                                  server_side=True)
        self.view = RecordView(self._key_log)

    def observe(self, conn: str, direction: str, wire: bytes) -> list[TlsRecord]:
        """The records in ``wire`` (one direction), decoded; call after the receiver took them."""
        records = self.view.observe(conn, direction, wire)
        if self._log is not None and (self.client.established or self.client.failure or self.server.failure):
            self._release()
        return records

    def _key_log(self) -> bytes:
        return self._log.read() if self._log is not None else self._secrets

    def _release(self) -> None:
        """Every secret of the session is logged by now: keep them, close the log."""
        assert self._log is not None
        self._secrets = self._log.read()
        self._context.keylog_filename = None  # type: ignore[assignment]  # closes OpenSSL's handle of it
        self._log.close()
        self._log = None


class ServedTlsSession:
    """The server end of a session whose client is a real program on loopback (``mailsim serve``).

    The real client makes its own TLS: the bytes on the socket are the wire,
    so there is no virtual client end (:attr:`client` is None) and the server
    end's context keeps the key log, which the record view reads to show
    what the records carry. ``also`` are further names of the certificate
    (``localhost``, ``127.0.0.1``: what a real client on this computer checks).
    """

    client = None

    def __init__(self, ca: VirtualCA, host: str, *, also: tuple[str, ...] = (), fault: CertFault = CertFault.NONE,
                 version: str = "TLSv1.3") -> None:
        self._log: MemoryFile | None = MemoryFile("keylog")
        weakref.finalize(self, self._log.close)  # a client that never finished its handshake: no fd left open
        self._secrets = b""
        # Its own context, not the cached one: the key log belongs to this session.
        self._context = server_context(ca.issue(host, also=also, fault=fault), version=version)
        self._context.keylog_filename = self._log.path
        self.server = TlsEndpoint(self._context, server_side=True)
        self.view = RecordView(self._key_log)

    def observe(self, conn: str, direction: str, wire: bytes) -> list[TlsRecord]:
        records = self.view.observe(conn, direction, wire)
        if self._log is not None and (self.server.established or self.server.failure):
            self._release()
        return records

    def _key_log(self) -> bytes:
        return self._log.read() if self._log is not None else self._secrets

    def _release(self) -> None:
        assert self._log is not None
        self._secrets = self._log.read()
        self._context.keylog_filename = None  # type: ignore[assignment]
        self._log.close()
        self._log = None
