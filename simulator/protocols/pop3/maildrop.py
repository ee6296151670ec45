"""One POP3 session's view of a maildrop: numbered messages, deletion marks, unique ids.

At login the server takes a snapshot of the user's INBOX (POP3 sees no other
folder): message numbers 1..n stay the same for the whole session (RFC 1939
5: "message-number ... relative to the maildrop"), mail that arrives later
is seen at the next login. DELE only marks a message: it disappears from
STAT, LIST and every other command (RFC 1939 5) but is removed from the
store only in UPDATE, after QUIT (RFC 1939 6); RSET clears the marks.

Unique ids (RFC 1939 7, UIDL) are built from the folder's UIDVALIDITY and the
message's UID, as Dovecot's ``%08Xu%08Xv`` does, so the same message keeps
its id across sessions and an IMAP client and a POP3 client agree on it.

POP3 has no flags: retrieving a message here leaves its flags (``\\Seen``)
as they were, so a mailbox read by POP3 still shows as unread over IMAP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.mail.store import Folder, StoredMessage
from simulator.protocols.pop3.multiline import message_lines, wire_size


@dataclass(slots=True)
class DropMessage:
    number: int
    stored: StoredMessage
    unique_id: str
    deleted: bool = False
    _lines: list[bytes] | None = field(default=None, repr=False)

    @property
    def lines(self) -> list[bytes]:
        if self._lines is None:
            self._lines = message_lines(self.stored.data)
        return self._lines

    @property
    def size(self) -> int:
        return wire_size(self.lines)


def unique_id(uid_validity: int, uid: int) -> str:
    """A UIDL unique-id: 1 to 70 characters from 0x21 to 0x7E (RFC 1939 7)."""
    return f"{uid:08X}{uid_validity:08X}"


class Maildrop:
    def __init__(self, user: str, folder: Folder) -> None:
        self.user = user
        self.folder = folder.name
        self.messages = [DropMessage(n, msg, unique_id(folder.uid_validity, msg.uid))
                         for n, msg in enumerate(folder.messages, 1)]

    def visible(self) -> list[DropMessage]:
        return [m for m in self.messages if not m.deleted]

    def stat(self) -> tuple[int, int]:
        """Messages and octets, those marked as deleted left out (RFC 1939 5, STAT)."""
        shown = self.visible()
        return len(shown), sum(m.size for m in shown)

    def get(self, number: int) -> DropMessage | None:
        """Message ``number`` (marked as deleted or not), None if there is none."""
        return self.messages[number - 1] if 1 <= number <= len(self.messages) else None

    def reset(self) -> None:
        for m in self.messages:
            m.deleted = False

    def marked(self) -> list[DropMessage]:
        return [m for m in self.messages if m.deleted]
