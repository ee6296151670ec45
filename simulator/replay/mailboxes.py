"""The Mailboxes pane's view model: per user, the folders worth showing and what each session was told.

Built from a folded :class:`~simulator.replay.world.World` and the events of the
step being shown, so a face can light what that step changed. Every user has
the RFC 6154 special-use folders from the start (Sent, Drafts, Junk, Trash);
empty folders nobody touched are only named, in :attr:`UserBoxes.idle`, so
they do not crowd out the mail.

A session (an IMAP connection with a mailbox selected, RFC 9051 7.5.1) shows
the UIDs and flags its client has been told (:class:`~simulator.trace.MailboxView`),
beside what the store holds: :attr:`SessionBox.behind` says what the client
has not been told yet, which is how a second device learns of ``\\Seen`` set
by the first only at its next NOOP, IDLE or command (RFC 9051 5.2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from simulator.replay.views import MessageRow
from simulator.replay.world import World
from simulator.trace import Event, MailboxChanged, MailboxView

# The system flags (RFC 9051 2.3.2) as one mark each; keywords keep their names.
FLAG_MARKS: dict[str, str] = {
    "\\Seen": "✓",
    "\\Flagged": "⚑",
    "\\Deleted": "✗",
    "\\Answered": "↩",
    "\\Draft": "✎",
}
LEGEND = "✓ seen  ⚑ flagged  ✗ deleted  ↩ answered  ✎ draft"
# The order a folder list reads in: INBOX, then the other folders by name, then the special-use ones.
SPECIAL_ORDER = ("Sent", "Drafts", "Junk", "Trash", "Archive")
# Actions that only say a message is somewhere new (its row is lit) and those that take it away.
_NEW = frozenset({"delivered", "appended", "flags"})
_GONE = frozenset({"expunged", "moved"})


def flag_marks(flags: Iterable[str]) -> str:
    """``("\\Seen", "\\Flagged", "$Work")`` -> ``"✓⚑ $Work"`` (marks first, in legend order)."""
    flags = set(flags)
    marks = "".join(mark for flag, mark in FLAG_MARKS.items() if flag in flags)
    others = " ".join(sorted(f for f in flags if f not in FLAG_MARKS and f != "\\Recent"))
    return " ".join(part for part in (marks, others) if part)


@dataclass(frozen=True, slots=True)
class FolderBox:
    """One folder shown with its messages; ``lit`` are the UIDs the step added or changed,
    ``gone`` says what it took away ("UID 1 expunged", "UID 1 moved to Lunch"), ``changed`` if the step
    touched it at all."""

    name: str
    messages: tuple[MessageRow, ...]
    lit: frozenset[int] = frozenset()
    gone: tuple[str, ...] = ()
    changed: bool = False


@dataclass(frozen=True, slots=True)
class SessionBox:
    """What one session has told its client about its selected folder."""

    conn: str
    who: str  # the client's host
    protocol: str  # "IMAP"
    folder: str
    told: tuple[tuple[int, str], ...]  # (UID, flags space-separated) in sequence order
    read_only: bool
    behind: tuple[str, ...]  # what the store holds that the client has not been told, as phrases
    changed: bool  # the step told it something

    def summary(self) -> str:
        """``bob-phone (IMAP) sees INBOX: 2 messages, UID 1 ✓, UID 2``."""
        n = len(self.told)
        head = f"{self.who} ({self.protocol}) sees {self.folder}{' read-only' if self.read_only else ''}: "
        head += f"{n} message{'' if n == 1 else 's'}"
        items = [f"UID {uid}" + (f" {marks}" if (marks := flag_marks(flags.split())) else "")
                 for uid, flags in self.told]
        return head + (", " + ", ".join(items) if items else "")


@dataclass(frozen=True, slots=True)
class UserBoxes:
    """One user's mailboxes on one host."""

    host: str
    user: str
    folders: tuple[FolderBox, ...]
    idle: tuple[str, ...]  # empty folders nobody has touched: named on one line
    sessions: tuple[SessionBox, ...]
    locked: bool = False  # a POP3 session holds the maildrop (RFC 1939 8)

    @property
    def changed(self) -> bool:
        return any(f.changed for f in self.folders) or any(s.changed for s in self.sessions)


@dataclass(frozen=True, slots=True)
class MailboxesView:
    users: tuple[UserBoxes, ...]  # users with mail, a touched folder or a session, sorted
    quiet: tuple[tuple[str, str], ...]  # (host, user) whose folders are all empty and untouched


def _folder_key(name: str) -> tuple[int, int, str]:
    if name == "INBOX":
        return (0, 0, name)
    if name in SPECIAL_ORDER:
        return (2, SPECIAL_ORDER.index(name), name)
    return (1, 0, name)


def _behind(view: MailboxView, rows: dict[int, MessageRow]) -> tuple[str, ...]:
    told = dict(zip(view.uids, view.flags, strict=False))
    out = []
    new = [uid for uid in sorted(rows) if uid not in told]
    if new:
        out.append("not told yet of UID " + ", ".join(map(str, new)))
    gone = [uid for uid in view.uids if uid not in rows]
    if gone:
        out.append("UID " + ", ".join(map(str, gone)) + " expunged, not told yet")
    for uid in view.uids:
        row = rows.get(uid)
        if row is not None and set(row.flags) - {"\\Recent"} != set(told[uid].split()) - {"\\Recent"}:
            out.append(f"UID {uid} is now {flag_marks(row.flags) or 'unflagged'} in the store")
    return tuple(out)


def _protocol(world: World, conn: str) -> str:
    for machine in world.conn_machines.get(conn, []):
        if machine.endswith(".server"):
            return machine.split(".")[0].upper()
    return "IMAP"


def mailboxes_view(world: World, events: Iterable[Event] = ()) -> MailboxesView:
    """The pane's model for the world after a step whose events are ``events``."""
    lit: dict[tuple[str, str, str], set[int]] = {}
    gone: dict[tuple[str, str, str], list[str]] = {}
    touched_now: set[tuple[str, str, str]] = set()
    told_now: set[str] = set()
    for e in events:
        if isinstance(e, MailboxView):
            told_now.add(e.conn)
        elif isinstance(e, MailboxChanged):
            key = (e.host, e.user, e.folder)
            touched_now.add(key)
            if e.action in _NEW:
                lit.setdefault(key, set()).add(e.uid)
            if e.action in _GONE:
                went = f"moved to {e.dest}" if e.action == "moved" else "expunged"
                gone.setdefault(key, []).append(f"UID {e.uid} {went}")
            if e.action in ("copied", "moved"):
                dest = (e.host, e.user, e.dest)
                touched_now.add(dest)
                lit.setdefault(dest, set()).add(e.dest_uid)
            if e.action == "renamed":
                touched_now.add((e.host, e.user, e.dest))

    selected = {(v.host, v.user, v.folder) for v in world.views.values()}
    users: dict[tuple[str, str], list[str]] = {}
    for host, user, folder in world.mailboxes:
        users.setdefault((host, user), []).append(folder)
    sessions: dict[tuple[str, str], list[SessionBox]] = {}
    for conn, v in sorted(world.views.items()):
        if conn in world.closed:
            continue
        rows = world.mailboxes.get((v.host, v.user, v.folder), {})
        opened = world.conns.get(conn)
        sessions.setdefault((v.host, v.user), []).append(SessionBox(
            conn, opened.client_host if opened is not None else (v.peer or conn), _protocol(world, conn), v.folder,
            tuple(zip(v.uids, v.flags, strict=False)), v.read_only, _behind(v, rows), conn in told_now))
        users.setdefault((v.host, v.user), [])

    out: list[UserBoxes] = []
    quiet: list[tuple[str, str]] = []
    for (host, user), folders in sorted(users.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        shown: list[FolderBox] = []
        idle: list[str] = []
        for name in sorted(folders, key=_folder_key):
            key = (host, user, name)
            box = world.mailboxes[key]
            if box or key in world.touched or key in selected:
                shown.append(FolderBox(name, tuple(box[uid] for uid in sorted(box)), frozenset(lit.get(key, ())),
                                       tuple(gone.get(key, ())), key in touched_now))
            else:
                idle.append(name)
        locked = (host, user) in world.locked
        mine = tuple(sessions.get((host, user), ()))
        if not shown and not mine and not locked:
            quiet.append((host, user))
            continue
        out.append(UserBoxes(host, user, tuple(shown), tuple(idle), mine, locked))
    return MailboxesView(tuple(out), tuple(quiet))
