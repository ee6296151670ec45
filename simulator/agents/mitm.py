"""A man in the middle on the link between one client host and one server: STARTTLS stripping and injection.

Before TLS nothing protects what crosses a connection, so an attacker on the
path (a hostile Wi-Fi access point, a compromised router) can change it. Two
classic attacks on STARTTLS, both shown in the trace as ``WireAltered``:

* **stripping** (``strip_starttls``): the server's offer of TLS is taken out
  of its reply (SMTP ``250-STARTTLS``, IMAP ``STARTTLS`` capability, POP3
  ``STLS``; each protocol's registry entry knows its syntax). A client that
  uses TLS only when offered goes on in plaintext, and its AUTH crosses the
  wire for the attacker to read; a client that requires TLS gives up with
  QUIT (RFC 3207 6, RFC 8314 5.2, RFC 8461 for MTA-to-MTA).
* **command injection** (``inject``): lines added after the client's
  STARTTLS, in the same flight, as in CVE-2011-0411 and the "NO STARTTLS"
  study (Poddebniak et al., USENIX Security 2021). A correct server drops
  them with its buffer when TLS starts (RFC 3207 4.2 asks it to discard
  what it knew before TLS); one with the bug reads them as if they had come
  over TLS from the client.

Once TLS is up the attacker sees only records (the connection stops asking
it): it cannot read or change them without the peers noticing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.net.world import Host, Service
from simulator.protocols.registry import protocol_of_service
from simulator.protocols.stripping import OfferStripper
from simulator.trace import C2S, S2C, Event, WireAltered


def _names(host: Host) -> set[str]:
    return {host.name.lower(), host.fqdn.lower(), *host.addresses}


@dataclass
class ManInTheMiddle:
    """An attacker on ``host`` that sits on every link between ``client`` and ``server`` (names or FQDNs)."""

    host: str
    client: str
    server: str
    strip_starttls: bool = True
    inject: tuple[str, ...] = ()  # command lines added after the client's STARTTLS
    sessions: list[MitmSession] = field(default_factory=list)

    def on_link(self, client: Host, server: Host, service: Service) -> MitmSession | None:
        if self.client.lower() not in _names(client) or self.server.lower() not in _names(server):
            return None
        stripper = protocol_of_service(service.name).offer_stripper() if self.strip_starttls else None
        session = MitmSession(self, stripper)
        self.sessions.append(session)
        return session


class MitmSession:
    """The attacker's hold on one connection (the connection's tamper)."""

    def __init__(self, mitm: ManInTheMiddle, stripper: OfferStripper | None) -> None:
        self.mitm = mitm
        self.stripper = stripper
        self._client = b""  # the client's partial line, to find a STARTTLS command in
        self.injected = False

    def client_to_server(self, conn: str, data: bytes) -> tuple[bytes, list[Event]]:
        if self.stripper is not None:
            self.stripper.client_sent(data)
        if not self.mitm.inject or self.injected:
            return data, []
        lines = (self._client + data).split(b"\r\n")
        self._client = lines[-1]
        if not any(line.strip().upper() in (b"STARTTLS", b"STLS") for line in lines[:-1]):
            return data, []
        self.injected = True
        added = b"".join(line.encode("utf-8") + b"\r\n" for line in self.mitm.inject)
        delivered = data + added
        changes = tuple(f"added {line} after STARTTLS" for line in self.mitm.inject)
        return delivered, [WireAltered(conn=conn, attacker=self.mitm.host, direction=C2S, original=data,
                                       delivered=delivered, changes=changes)]

    def server_to_client(self, conn: str, data: bytes) -> tuple[bytes, list[Event]]:
        if self.stripper is None:
            return data, []
        delivered, changes = self.stripper.server_sent(data)
        if not changes:  # nothing taken out (a partial line held back is passed on with its rest)
            return delivered, []
        return delivered, [WireAltered(conn=conn, attacker=self.mitm.host, direction=S2C, original=data,
                                       delivered=delivered, changes=changes)]

