"""A mailbox front: one IMAP and POP3 server for the mailboxes of every provider in the world.

In the Internet each provider runs its own IMAP and POP3 server, and a mail
client is set up with its provider's host name: Bob's with mx.example.net,
Alice's with mail.example.org. ``mailsim serve`` has one loopback port per
protocol, so a real client cannot choose the host by name. The front stands
in for that choice, as a Dovecot does that serves several domains from one
address (its user database finds each login's mail location by the domain):
it is a virtual host of its own (:data:`FRONT_HOST`), whose IMAP and POP3
server machines are the same machines the providers run, given a per-session
:class:`SessionDirectory` in place of one host's store. At login the
directory looks up the domain of the login address, and from then on the
session reads and changes that domain's mail host's store: the very mailboxes
the MX delivers into and the providers' own IMAP sessions watch.

What the trace shows is what happened: the connection goes to the front; a
:class:`~simulator.trace.Note` says which mail host's mailboxes the login
reached (or that no host keeps that domain); the session's MailboxView
events name that mail host. Passwords are checked by that mail host, and
POP3's maildrop lock and LOGIN-DELAY are that host's, so a device reading
through the front and one reading in the virtual world exclude each other
as two clients of one server do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulator.agents.mailhost import MailHost
from simulator.net.world import Host, Peer, ServerMachine, Service, World
from simulator.protocols import sasl
from simulator.protocols.registry import protocol
from simulator.protocols.smtp.address import domain_of
from simulator.trace import Note

FRONT_HOST = "mailbox-front"
FRONT_FQDN = "mailboxes.serve.example"  # RFC 2606: .example names nothing real
FRONT_ADDRESS = "192.0.2.143"  # RFC 5737 TEST-NET-1, like the real client's address

# The front's services: (protocol, port); 993 and 995 run TLS from the first byte (RFC 8314).
FRONT_SERVICES = (("imap", 143), ("imap", 993), ("pop3", 110), ("pop3", 995))


class SessionDirectory:
    """One session's view of the world's mailboxes: the store, passwords and login log of the login's host.

    It is the IMAP machine's policy (``store``, ``check_password``, ``now``,
    ``fault``), its SASL authenticator, and the POP3 machine's store,
    authenticator and login log. Until a login names a user it belongs to no
    mail host (``host`` is the front's name and no user exists).
    """

    def __init__(self, world: World, find: Callable[[str], MailHost | None], front: str, conn: str,
                 reached: dict[str, str] | None = None) -> None:
        self.world = world
        self._reached = reached if reached is not None else {}
        self._find = find
        self.front = front
        self.conn = conn
        self.mailhost: MailHost | None = None
        self._told: set[str] = set()

    @property
    def store(self) -> SessionDirectory:
        return self  # the IMAP policy's store: the same routing, by user

    @property
    def host(self) -> str:
        """The mail host whose mailboxes the session reads (the front's name before a login)."""
        return self.mailhost.name if self.mailhost is not None else self.front

    def route(self, user: str) -> MailHost | None:
        """The mail host that keeps ``user``'s mailboxes, told in the trace once per user."""
        mh = self._find(user)
        key = user.lower()
        if key not in self._told:
            self._told.add(key)
            domain = domain_of(user) if "@" in user else ""
            if mh is None:
                text = (f"{self.conn}: the login {user!r} names no domain whose mailboxes this world keeps"
                        if domain else f"{self.conn}: the login {user!r} is no address, so it names no mail host")
            else:
                text = (f"{self.conn}: the login {user} reaches the mailboxes on {mh.name}, the mail host of "
                        f"{domain} ({FRONT_FQDN} looks the domain up)")
            self.world.record(Note(text=text))
        if mh is not None and mh.store.has_user(user):
            self.mailhost = mh
            self._reached[self.conn] = mh.name
        return mh

    def _mh(self, user: str) -> MailHost:
        mh = self._find(user)
        if mh is None:
            raise KeyError(user)
        return mh

    # --- authenticator (IMAP policy, SASL, POP3) --------------------------------

    def check_password(self, user: str, password: str) -> bool:
        mh = self.route(user)
        return mh is not None and mh.check_password(user, password)

    def shared_secret(self, user: str) -> str | None:
        mh = self.route(user)
        return None if mh is None else mh.shared_secret(user)

    def now(self) -> float:
        return self.world.clock.now()

    def fault(self, stage: str) -> Any:
        """A scenario's IMAP fault of the host the session reached (of the front before a login)."""
        owner = self.mailhost
        return None if owner is None else owner.faults.reply_for(owner.name, stage, "imap")

    # --- POP3 login log (LOGIN-DELAY, RFC 2449 6.5) ------------------------------

    def seconds_since_login(self, user: str) -> float | None:
        return self._mh(user).seconds_since_login(user)

    def logged_in(self, user: str) -> None:
        self._mh(user).logged_in(user)

    # --- the mailbox store, by user ------------------------------------------------

    def has_user(self, user: str) -> bool:
        mh = self.route(user)
        return mh is not None and mh.store.has_user(user)

    def folders(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.folders(user, *a, **k)

    def folder(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.folder(user, *a, **k)

    def has_children(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.has_children(user, *a, **k)

    def create_folder(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.create_folder(user, *a, **k)

    def delete_folder(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.delete_folder(user, *a, **k)

    def rename_folder(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.rename_folder(user, *a, **k)

    def subscribe(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.subscribe(user, *a, **k)

    def unsubscribe(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.unsubscribe(user, *a, **k)

    def subscriptions(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.subscriptions(user, *a, **k)

    def append(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.append(user, *a, **k)

    def set_flags(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.set_flags(user, *a, **k)

    def store_flags(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.store_flags(user, *a, **k)

    def copy(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.copy(user, *a, **k)

    def move(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.move(user, *a, **k)

    def expunge(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.expunge(user, *a, **k)

    def expunge_deleted(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.expunge_deleted(user, *a, **k)

    def count(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.count(user, *a, **k)

    def watch(self, user: str, *a: Any, **k: Any) -> Any:
        return self._mh(user).store.watch(user, *a, **k)

    def lock(self, user: str, holder: object) -> bool:
        return self._mh(user).store.lock(user, holder)

    def unlock(self, user: str, holder: object) -> None:
        self._mh(user).store.unlock(user, holder)

    def locked(self, user: str) -> bool:
        return self._mh(user).store.locked(user)


class MailboxFront:
    """The front host and its IMAP / POP3 services, in ``world``, over the mail hosts ``find`` names.

    ``find(address)`` gives the mail host of an address's domain (the mail
    world's ``mailhost_for``); ``tls`` says the connection can start TLS, so
    IMAP offers STARTTLS and POP3 STLS (RFC 9051 6.2.1, RFC 2595 4). A
    scenario's IMAP fault applies once the login has named its mail host
    (the LOGIN stage itself is asked before that, so it is the front's: none).
    """

    def __init__(self, world: World, find: Callable[[str], MailHost | None], *, tls: bool = True,
                 append_limit: int = 10 * 1024 * 1024, login_delay: int = 0, name: str = FRONT_HOST,
                 fqdn: str = FRONT_FQDN, address: str = FRONT_ADDRESS,
                 mechanisms: tuple[str, ...] = sasl.ALL, plaintext_auth: bool = True) -> None:
        self.world = world
        self.find = find
        self.tls = tls
        # IMAP AUTHENTICATE and POP3 AUTH (RFC 9051 6.2.2, RFC 5034 4), and whether a password may
        # cross without TLS (False: LOGINDISABLED, and USER refused before STLS).
        self.mechanisms = mechanisms
        self.plaintext_auth = plaintext_auth
        self.append_limit = append_limit
        self.login_delay = login_delay  # the world's POP3 LOGIN-DELAY (RFC 2449 6.5), kept per mail host
        self.host = world.hosts.get(name) or world.add_host(Host(name, [address], fqdn, "server"))
        self.reached: dict[str, str] = {}  # connection -> the mail host its login reached
        self._builders: dict[str, Callable[[Peer], ServerMachine]] = {
            "imap": self._imap, "pop3": self._pop3}
        for protocol_name, port in FRONT_SERVICES:
            spec = protocol(protocol_name)
            info = spec.service_on(port)
            assert info is not None, (protocol_name, port)
            self.host.listen(Service(info.name, port, self._builders[spec.name], implicit_tls=info.implicit_tls))

    @property
    def name(self) -> str:
        return self.host.name

    def directory(self, peer: Peer) -> SessionDirectory:
        return SessionDirectory(self.world, self.find, self.host.name, peer.conn, self.reached)

    def sasl_context(self) -> sasl.ServerContext:
        """What CRAM-MD5's challenge (RFC 2195) and SCRAM's nonce and salt (RFC 5802) are made from here."""
        return sasl.ServerContext(hostname=self.host.fqdn, rng=self.world.rng, clock=self.world.clock.timestamp,
                                  scram_seed=f"scram:{self.host.fqdn}".encode())

    def _auth_settings(self) -> dict[str, Any]:
        return {"mechanisms": self.mechanisms, "sasl_context": self.sasl_context(),
                "plaintext_auth": self.plaintext_auth}

    def _imap(self, peer: Peer) -> ServerMachine:
        return protocol("imap").new_server(
            hostname=self.host.fqdn, policy=self.directory(peer), peer_host=peer.fqdn, conn=peer.conn,
            append_limit=self.append_limit, starttls=self.tls and not peer.tls, tls=peer.tls,
            **self._auth_settings())

    def _pop3(self, peer: Peer) -> ServerMachine:
        directory = self.directory(peer)
        pid = self.world.rng.randint(1000, 99999)
        stamp = f"<{pid}.{int(self.world.clock.timestamp())}@{self.host.fqdn}>"
        return protocol("pop3").new_server(
            hostname=self.host.fqdn, store=directory, auth=directory, apop_timestamp=stamp, conn=peer.conn,
            stls=self.tls, tls=peer.tls, login_delay=self.login_delay, logins=directory, **self._auth_settings())
