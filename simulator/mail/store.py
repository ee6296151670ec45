"""The mailbox store: users, folders, messages with UIDs and flags (RFC 3501 2.3.1)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.mail.message import header_values
from simulator.trace import MailboxChanged

INBOX = "INBOX"


@dataclass(slots=True)
class StoredMessage:
    uid: int
    data: bytes
    internal_date: float
    flags: set[str] = field(default_factory=set)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(slots=True)
class Folder:
    name: str
    uid_validity: int
    uid_next: int = 1
    messages: list[StoredMessage] = field(default_factory=list)


class UnknownMailbox(KeyError):
    pass


class MailStore:
    """Every mailbox one host keeps. ``on_change`` receives a MailboxChanged per effect."""

    def __init__(self, host: str, on_change: Callable[[MailboxChanged], None] | None = None,
                 uid_validity: int = 1) -> None:
        self.host = host
        self.on_change = on_change
        self._uid_validity = uid_validity
        self._users: dict[str, dict[str, Folder]] = {}

    def add_user(self, user: str) -> None:
        key = user.lower()
        if key not in self._users:
            self._users[key] = {}
            self.create_folder(user, INBOX)

    def has_user(self, user: str) -> bool:
        return user.lower() in self._users

    def users(self) -> list[str]:
        return sorted(self._users)

    def folders(self, user: str) -> dict[str, Folder]:
        try:
            return self._users[user.lower()]
        except KeyError:
            raise UnknownMailbox(user) from None

    def folder(self, user: str, name: str = INBOX) -> Folder:
        folders = self.folders(user)
        key = INBOX if name.upper() == INBOX else name
        try:
            return folders[key]
        except KeyError:
            raise UnknownMailbox(f"{user}/{name}") from None

    def create_folder(self, user: str, name: str) -> Folder:
        folders = self.folders(user)
        if name in folders:
            return folders[name]
        folder = Folder(name, self._uid_validity)
        folders[name] = folder
        self._emit(user, name, "created")
        return folder

    def deliver(self, user: str, data: bytes, now: float, folder: str = INBOX) -> StoredMessage:
        f = self.folder(user, folder)
        msg = StoredMessage(uid=f.uid_next, data=data, internal_date=now, flags={"\\Recent"})
        f.uid_next += 1
        f.messages.append(msg)
        self._emit(user, f.name, "delivered", msg)
        return msg

    def set_flags(self, user: str, folder: str, uid: int, flags: set[str]) -> None:
        for msg in self.folder(user, folder).messages:
            if msg.uid == uid:
                msg.flags = set(flags)
                self._emit(user, folder, "flags", msg)
                return
        raise UnknownMailbox(f"{user}/{folder} UID {uid}")

    def expunge(self, user: str, folder: str, uid: int) -> None:
        f = self.folder(user, folder)
        for n, msg in enumerate(f.messages):
            if msg.uid == uid:
                del f.messages[n]
                self._emit(user, folder, "expunged", msg)
                return
        raise UnknownMailbox(f"{user}/{folder} UID {uid}")

    def count(self, user: str, folder: str = INBOX) -> int:
        return len(self.folder(user, folder).messages)

    def _emit(self, user: str, folder: str, action: str, msg: StoredMessage | None = None) -> None:
        if self.on_change is None:
            return
        if msg is None:
            self.on_change(MailboxChanged(host=self.host, user=user.lower(), folder=folder, action=action))
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
                raw=msg.data if action == "delivered" else b"",
            )
        )
