"""The mailbox store: users, folders, messages with UIDs and flags (RFC 9051 2.3, 6.3).

Every user has INBOX and the four RFC 6154 special-use folders (Sent,
Drafts, Junk, Trash), and may make more, in a hierarchy with ``/`` as its
delimiter. Each folder has its own UIDVALIDITY and UIDNEXT: UIDs only grow
and are never given twice within one UIDVALIDITY (RFC 9051 2.3.1.1). A
folder made again under a name that was deleted gets a new, greater
UIDVALIDITY, so a client's cached UIDs of the old one are known to be stale.

Every change is recorded as a :class:`~simulator.trace.MailboxChanged`
(``on_change``) and told, synchronously, to every watcher of the folder
(:mod:`simulator.mail.watch`). Methods that change something take
``origin=``: whoever asked (an IMAP session), handed on in the
:class:`FolderChange` so that it can tell its own changes from others'.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from simulator.mail import flags as flagset
from simulator.mail.errors import MailboxError, MailboxExists, UnknownMailbox
from simulator.mail.message import header_values
from simulator.mail.names import DELIMITER, INBOX, canonical, checked, is_inferior, superiors
from simulator.mail.watch import FolderChange, Listener, Watch, notify
from simulator.trace import MailboxChanged

__all__ = [
    "DEFAULT_FOLDERS", "DELIMITER", "INBOX", "SPECIAL_USES", "Folder", "FolderChange", "MailStore",
    "MailboxError", "MailboxExists", "StoredMessage", "UnknownMailbox", "Watch",
]

# RFC 6154 2: the attributes of mailboxes that really hold messages (\All and \Flagged
# name virtual views of other mailboxes, which this store does not keep).
SPECIAL_USES = ("\\Archive", "\\Drafts", "\\Junk", "\\Sent", "\\Trash")

# Every user's folders, made with the user.
DEFAULT_FOLDERS: tuple[tuple[str, str], ...] = (
    (INBOX, ""), ("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Junk", "\\Junk"), ("Trash", "\\Trash"))


@dataclass(slots=True)
class StoredMessage:
    """One message in one folder. ``flags`` holds system flags and keywords (RFC 9051 2.3.2)."""

    uid: int
    data: bytes
    internal_date: float  # seconds since the epoch (RFC 9051 2.3.3)
    flags: set[str] = field(default_factory=set)

    @property
    def size(self) -> int:
        """RFC822.SIZE: the octets of the message as stored (RFC 9051 2.3.4)."""
        return len(self.data)


@dataclass(slots=True, eq=False)
class Folder:
    """One mailbox. ``messages`` is in sequence order, which is also UID order.

    ``noselect``: the name stays only because it has inferiors; it holds no
    messages and cannot be selected (RFC 9051 6.3.5, 7.3.1 ``\\Noselect``).
    """

    name: str
    uid_validity: int
    uid_next: int = 1
    messages: list[StoredMessage] = field(default_factory=list)
    special_use: str = ""
    noselect: bool = False
    watchers: list[Watch] = field(default_factory=list, repr=False)

    def by_uid(self, uid: int) -> StoredMessage | None:
        """The message with ``uid``, or None."""
        n = bisect_left(self.messages, uid, key=_uid)
        if n < len(self.messages) and self.messages[n].uid == uid:
            return self.messages[n]
        return None

    def seq_of(self, uid: int) -> int:
        """The message sequence number (1-based) of ``uid``, or 0 when it is not here."""
        n = bisect_left(self.messages, uid, key=_uid)
        return n + 1 if n < len(self.messages) and self.messages[n].uid == uid else 0

    def _take_uid(self) -> int:
        uid = self.uid_next
        self.uid_next += 1
        return uid


def _uid(msg: StoredMessage) -> int:
    return msg.uid


@dataclass(slots=True)
class _User:
    folders: dict[str, Folder] = field(default_factory=dict)
    subscriptions: set[str] = field(default_factory=set)
    lock: object | None = None  # the POP3 session holding the maildrop (RFC 1939 8)


class MailStore:
    """Every mailbox one host keeps. ``on_change`` receives a MailboxChanged per effect.

    ``uid_validity`` is the first UIDVALIDITY handed out; each folder made
    afterwards gets the next number, so values are deterministic and a name
    made again never gets an old one.
    """

    def __init__(self, host: str, on_change: Callable[[MailboxChanged], None] | None = None,
                 uid_validity: int = 1) -> None:
        self.host = host
        self.on_change = on_change
        self._next_validity = uid_validity
        self._users: dict[str, _User] = {}

    # --- users ------------------------------------------------------------------------

    def add_user(self, user: str) -> None:
        """Make ``user`` (case-insensitive) with INBOX, Sent, Drafts, Junk and Trash; again is a no-op."""
        key = user.lower()
        if key in self._users:
            return
        self._users[key] = _User()
        for name, special_use in DEFAULT_FOLDERS:
            self._make(key, name, special_use)

    def has_user(self, user: str) -> bool:
        return user.lower() in self._users

    def users(self) -> list[str]:
        return sorted(self._users)

    def _user(self, user: str) -> _User:
        try:
            return self._users[user.lower()]
        except KeyError:
            raise UnknownMailbox(f"There is no user {user} on {self.host}.") from None

    # --- folders ----------------------------------------------------------------------

    def folders(self, user: str) -> dict[str, Folder]:
        """The user's folders by name, \\Noselect ones included (the caller must not change the dict)."""
        return self._user(user).folders

    def folder(self, user: str, name: str = INBOX) -> Folder:
        """The folder ``name`` (INBOX in any case) of ``user``, or UnknownMailbox."""
        folders = self.folders(user)
        try:
            return folders[canonical(name)]
        except KeyError:
            raise UnknownMailbox(f"{user} has no mailbox named {name!r}.") from None

    def has_children(self, user: str, name: str) -> bool:
        """Whether ``name`` has inferiors (LIST \\HasChildren, RFC 9051 7.3.1)."""
        name = canonical(name)
        return any(is_inferior(other, name) for other in self.folders(user))

    def _selectable(self, user: str, name: str) -> Folder:
        folder = self.folder(user, name)
        if folder.noselect:
            raise MailboxError(f"{folder.name} holds no messages: it is only a level of the hierarchy "
                               "(\\Noselect, RFC 9051 6.3.5).")
        return folder

    def create_folder(self, user: str, name: str, special_use: str = "", *, origin: object | None = None) -> Folder:
        """CREATE (RFC 9051 6.3.4): also makes the missing superiors; CREATE-SPECIAL-USE (RFC 6154 3).

        Making a name that is only a \\Noselect level turns it into a real
        mailbox with a new UIDVALIDITY.
        """
        folders = self.folders(user)
        name = checked(name)
        existing = folders.get(name)
        if existing is not None and not existing.noselect:
            raise MailboxExists(f"{user} already has a mailbox named {name!r}.")
        if special_use and special_use not in SPECIAL_USES:
            raise MailboxError(f"{special_use} is not a special use this store keeps: it keeps "
                               f"{', '.join(SPECIAL_USES)} (RFC 6154 2).")
        for above in superiors(name):
            if above not in folders:
                self._make(user, above, "")
        if existing is not None:
            del folders[name]
        return self._make(user, name, special_use)

    def _make(self, user: str, name: str, special_use: str) -> Folder:
        folder = Folder(name, self._next_validity, special_use=special_use)
        self._next_validity += 1
        self._user(user).folders[name] = folder
        self._emit(user, name, "created", special_use=special_use)
        return folder

    def delete_folder(self, user: str, name: str, *, origin: object | None = None) -> None:
        """DELETE (RFC 9051 6.3.5).

        INBOX cannot be deleted. A mailbox with inferiors loses its messages
        and stays as a \\Noselect level; a \\Noselect level with inferiors is
        refused; anything else goes, and its watchers are told ``deleted``.
        Subscriptions are left alone (RFC 9051 6.3.7).
        """
        folder = self.folder(user, name)
        if folder.name == INBOX:
            raise MailboxError("INBOX cannot be deleted (RFC 9051 6.3.5).")
        children = self.has_children(user, folder.name)
        if children and folder.noselect:
            raise MailboxError(f"{folder.name} has inferior mailboxes and is no mailbox itself: "
                               "delete those first (RFC 9051 6.3.5).")
        folders = self.folders(user)
        if children:
            folders[folder.name] = Folder(folder.name, folder.uid_validity, folder.uid_next, noselect=True)
        else:
            del folders[folder.name]
        self._emit(user, folder.name, "deleted")
        self._tell(folder, FolderChange("deleted", origin=origin))
        for watch in list(folder.watchers):
            watch.close()

    def rename_folder(self, user: str, old: str, new: str, *, origin: object | None = None) -> Folder:
        """RENAME (RFC 9051 6.3.6): the inferiors move with it; missing superiors of ``new`` are made.

        Renaming INBOX moves its messages into a new mailbox ``new`` and
        leaves INBOX empty (its UIDNEXT unchanged, so no UID comes again);
        INBOX's inferiors stay where they are.
        """
        folder = self.folder(user, old)
        new = checked(new)
        folders = self.folders(user)
        if new in folders:
            raise MailboxExists(f"{user} already has a mailbox named {new!r}.")
        if folder.name != INBOX and (new == folder.name or is_inferior(new, folder.name)):
            raise MailboxError(f"{folder.name} cannot be renamed to {new!r}, a name below itself.")
        for above in superiors(new):
            if above not in folders:
                self._make(user, above, "")
        if folder.name == INBOX:
            return self._rename_inbox(user, folder, new, origin)
        top = folder.name
        moving = [top] + [n for n in folders if is_inferior(n, top)]
        for name in moving:
            target = new + name[len(top):]
            moved = folders.pop(name)
            moved.name = target
            folders[target] = moved
            self._emit(user, name, "renamed", dest=target)
            self._tell(moved, FolderChange("renamed", origin=origin, name=target))
        return folder

    def _rename_inbox(self, user: str, inbox: Folder, new: str, origin: object | None) -> Folder:
        moved = Folder(new, self._next_validity, inbox.uid_next, inbox.messages)
        self._next_validity += 1
        inbox.messages = []
        self.folders(user)[new] = moved
        self._emit(user, INBOX, "renamed", dest=new)
        for msg in moved.messages:
            self._tell(inbox, FolderChange("expunge", msg.uid, origin=origin))
        return moved

    # --- subscriptions (RFC 9051 6.3.7, 6.3.8) -------------------------------------------

    def subscribe(self, user: str, name: str, *, origin: object | None = None) -> None:
        """Add ``name`` to the subscriptions; the mailbox need not exist (RFC 9051 6.3.7)."""
        name = checked(name)
        subs = self._user(user).subscriptions
        if name not in subs:
            subs.add(name)
            self._emit(user, name, "subscribed")

    def unsubscribe(self, user: str, name: str, *, origin: object | None = None) -> None:
        """Remove ``name`` from the subscriptions, or MailboxError if it was not there (RFC 9051 6.3.8)."""
        name = canonical(name).removesuffix(DELIMITER) or name
        subs = self._user(user).subscriptions
        if name not in subs:
            raise MailboxError(f"{user} is not subscribed to {name!r}.")
        subs.remove(name)
        self._emit(user, name, "unsubscribed")

    def subscriptions(self, user: str) -> set[str]:
        return set(self._user(user).subscriptions)

    # --- messages in ------------------------------------------------------------------

    def deliver(self, user: str, data: bytes, now: float, folder: str = INBOX) -> StoredMessage:
        """A message arrives by SMTP (the MDA): no flags, internal date ``now``."""
        f = self._selectable(user, folder)
        msg = StoredMessage(uid=f._take_uid(), data=data, internal_date=now)
        f.messages.append(msg)
        self._emit(user, f.name, "delivered", msg)
        self._tell(f, FolderChange("exists", msg.uid, frozenset(msg.flags)))
        return msg

    def append(self, user: str, folder: str, data: bytes, *, flags: Iterable[str] = (),
               internal_date: float | None = None, now: float, origin: object | None = None) -> StoredMessage:
        """APPEND (RFC 9051 6.3.12): the flags and internal date given, else none and ``now``."""
        f = self._selectable(user, folder)
        kept = flagset.apply(set(), flags, "set")
        msg = StoredMessage(uid=f._take_uid(), data=data,
                            internal_date=now if internal_date is None else internal_date, flags=kept)
        f.messages.append(msg)
        self._emit(user, f.name, "appended", msg)
        self._tell(f, FolderChange("exists", msg.uid, frozenset(msg.flags), origin))
        return msg

    # --- flags ------------------------------------------------------------------------

    def set_flags(self, user: str, folder: str, uid: int, flags: Iterable[str], *, origin: object | None = None) -> None:
        """Replace the flags of one message, or UnknownMailbox if ``uid`` is not there."""
        f = self.folder(user, folder)
        msg = f.by_uid(uid)
        if msg is None:
            raise UnknownMailbox(f"{user}'s {f.name} has no message with UID {uid}.")
        self._change_flags(user, f, msg, flagset.apply(msg.flags, flags, "set"), origin)

    def store_flags(self, user: str, folder: str, uids: Iterable[int], flags: Iterable[str], mode: str,
                    *, origin: object | None = None) -> list[StoredMessage]:
        """STORE FLAGS / +FLAGS / -FLAGS (RFC 9051 6.4.6) on the messages of ``uids`` that exist.

        Returns those messages in sequence order (changed or not, as STORE
        answers each with FETCH); an event and a watcher call only for each
        one whose flags really changed. UIDs not in the folder are skipped.
        """
        f = self.folder(user, folder)
        flagset.check_mode(mode)
        given = [flagset.flag(x) for x in flags]
        out = self._pick(f, uids)
        for msg in out:
            self._change_flags(user, f, msg, flagset.apply(msg.flags, given, mode), origin)
        return out

    def _change_flags(self, user: str, f: Folder, msg: StoredMessage, new: set[str], origin: object | None) -> None:
        if new == msg.flags:
            return
        msg.flags = new
        self._emit(user, f.name, "flags", msg)
        self._tell(f, FolderChange("flags", msg.uid, frozenset(new), origin))

    # --- copy and move ----------------------------------------------------------------

    def copy(self, user: str, src: str, uids: Iterable[int], dest: str, *,
             origin: object | None = None) -> list[tuple[int, int]]:
        """COPY (RFC 9051 6.4.7): flags and internal date kept, new UIDs in ``dest``.

        Returns (source UID, new UID) pairs in source UID order (COPYUID,
        RFC 4315 3). UIDs not in ``src`` are skipped.
        """
        return self._transfer(user, src, uids, dest, "copied", origin)

    def move(self, user: str, src: str, uids: Iterable[int], dest: str, *,
             origin: object | None = None) -> list[tuple[int, int]]:
        """MOVE (RFC 6851 3.1): as COPY, then the originals are expunged from ``src``."""
        return self._transfer(user, src, uids, dest, "moved", origin)

    def _transfer(self, user: str, src: str, uids: Iterable[int], dest: str, action: str,
                  origin: object | None) -> list[tuple[int, int]]:
        s = self._selectable(user, src)
        d = self._selectable(user, dest)
        out = []
        for msg in self._pick(s, uids):
            copied = StoredMessage(uid=d._take_uid(), data=msg.data, internal_date=msg.internal_date,
                                   flags=set(msg.flags))
            d.messages.append(copied)
            if action == "moved":
                s.messages.remove(msg)
            self._emit(user, s.name, action, msg, dest=d.name, dest_uid=copied.uid)
            self._tell(d, FolderChange("exists", copied.uid, frozenset(copied.flags), origin))
            if action == "moved":
                self._tell(s, FolderChange("expunge", msg.uid, origin=origin))
            out.append((msg.uid, copied.uid))
        return out

    # --- expunge ----------------------------------------------------------------------

    def expunge(self, user: str, folder: str, uid: int, *, origin: object | None = None) -> None:
        """Remove one message, whatever its flags (POP3 UPDATE, RFC 1939 6), or UnknownMailbox."""
        f = self.folder(user, folder)
        msg = f.by_uid(uid)
        if msg is None:
            raise UnknownMailbox(f"{user}'s {f.name} has no message with UID {uid}.")
        self._remove(user, f, msg, origin)

    def expunge_deleted(self, user: str, folder: str, uids: Iterable[int] | None = None, *,
                        origin: object | None = None) -> list[int]:
        """EXPUNGE (RFC 9051 6.4.3), or UID EXPUNGE with ``uids`` (6.4.9): the \\Deleted ones go.

        Returns the UIDs removed, in the order they were removed (ascending).
        """
        f = self.folder(user, folder)
        chosen = f.messages if uids is None else self._pick(f, uids)
        doomed = [m for m in chosen if flagset.DELETED in m.flags]
        for msg in doomed:
            self._remove(user, f, msg, origin)
        return [m.uid for m in doomed]

    def _remove(self, user: str, f: Folder, msg: StoredMessage, origin: object | None) -> None:
        f.messages.remove(msg)
        self._emit(user, f.name, "expunged", msg)
        self._tell(f, FolderChange("expunge", msg.uid, origin=origin))

    # --- reading ----------------------------------------------------------------------

    def count(self, user: str, folder: str = INBOX) -> int:
        return len(self.folder(user, folder).messages)

    @staticmethod
    def _pick(f: Folder, uids: Iterable[int]) -> list[StoredMessage]:
        """The messages of ``uids`` that are in ``f``, in sequence order, each once."""
        found = {uid: msg for uid in uids if (msg := f.by_uid(uid)) is not None}
        return [found[uid] for uid in sorted(found)]

    # --- watching and locking -----------------------------------------------------------

    def watch(self, user: str, folder: str, listener: Listener) -> Watch:
        """Call ``listener`` with every change to the folder until the watch is closed."""
        f = self._selectable(user, folder)
        w = Watch(listener, f.watchers)
        f.watchers.append(w)
        return w

    def lock(self, user: str, holder: object) -> bool:
        """Take the exclusive maildrop lock for a POP3 session (RFC 1939 8); False if another holds it.

        Taking it again as its holder is True.
        """
        u = self._user(user)
        if u.lock is not None and u.lock is not holder:
            return False
        if u.lock is None:
            u.lock = holder
            self._emit(user, INBOX, "locked")
        return True

    def unlock(self, user: str, holder: object) -> None:
        """Release the lock if ``holder`` has it (so a session can always unlock when it ends)."""
        u = self._user(user)
        if u.lock is holder and holder is not None:
            u.lock = None
            self._emit(user, INBOX, "unlocked")

    def locked(self, user: str) -> bool:
        return self._user(user).lock is not None

    # --- telling ----------------------------------------------------------------------

    @staticmethod
    def _tell(f: Folder, change: FolderChange) -> None:
        if f.watchers:
            notify(f.watchers, change)

    def _emit(self, user: str, folder: str, action: str, msg: StoredMessage | None = None, *,
              dest: str = "", dest_uid: int = 0, special_use: str = "") -> None:
        if self.on_change is None:
            return
        if msg is None:
            self.on_change(MailboxChanged(host=self.host, user=user.lower(), folder=folder, action=action,
                                          dest=dest, special_use=special_use))
            return
        message_id, subject = header_values(msg.data, "Message-ID", "Subject")
        self.on_change(
            MailboxChanged(
                host=self.host,
                user=user.lower(),
                folder=folder,
                action=action,
                uid=msg.uid,
                message_id=message_id,
                subject=subject,
                flags=tuple(sorted(msg.flags)),
                size=msg.size,
                raw=msg.data if action in ("delivered", "appended") else b"",
                dest=dest,
                dest_uid=dest_uid,
            )
        )

