"""The world's TLS: the virtual CA, each server's certificate (and its fault), the versions in use.

:class:`VirtualTls` is the network's ``tls_provider``: for each connection
that starts TLS (a machine's STARTTLS, or an implicit-TLS service) it builds a
:class:`~simulator.security.tls_session.TlsSession`, real OpenSSL over memory,
whose client trusts only the world's CA and checks the name it connected to.
"""

from __future__ import annotations

from functools import partial

from simulator.net.tls import TlsFactory
from simulator.net.world import Host
from simulator.security.pki import CertFault, VirtualCA
from simulator.security.tls import VERSIONS
from simulator.security.tls_session import ServedTlsSession, TlsSession


class VirtualTls:
    def __init__(self, ca: VirtualCA, *, version: str = "TLSv1.3", server_version: str = "TLSv1.3") -> None:
        for v in (version, server_version):
            if v not in VERSIONS:
                raise ValueError(f"unknown TLS version {v!r} (one of {', '.join(VERSIONS)})")
        self.ca = ca
        self.version = version  # the highest the clients offer
        self.server_version = server_version  # the highest the servers accept
        self.faults: dict[str, CertFault] = {}  # server host name -> what is wrong with its certificate
        self.client_versions: dict[str, str] = {}  # client host name -> the highest version it offers, if not ``version``

    def __call__(self, client: Host, server: Host, name: str, *, verify: bool = True) -> TlsFactory:
        version = self.client_versions.get(client.name, self.version)  # the client's, when it connects

        def session() -> TlsSession:
            # The certificate is the one the server has when the handshake starts: a certificate step
            # between the connect and a STARTTLS changes it.
            return TlsSession(self.ca, server.fqdn, server_name=name, verify=verify,
                              fault=self.faults.get(server.name, CertFault.NONE), version=version,
                              server_version=self.server_version)

        return session

    def served(self, server: Host, also: tuple[str, ...]) -> TlsFactory:
        """The TLS of a connection whose client is a real program (``mailsim serve``): the server end only,
        its certificate also naming ``also`` (``localhost``, ``127.0.0.1``)."""
        return partial(ServedTlsSession, self.ca, server.fqdn, also=also,
                       fault=self.faults.get(server.name, CertFault.NONE), version=self.server_version)
