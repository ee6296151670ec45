"""MailboxChanged as every face reads it: the words of each action, and the mailboxes after each step."""

from __future__ import annotations

from simulator.mail.store import MailStore
from simulator.replay.diff import Letter, mailboxes
from simulator.replay.reader import Replay
from simulator.trace import Recorder, StepStarted

BOB = "bob@example.net"
HOST = "mx.example.net"


def raw(subject: str) -> bytes:
    return f"Subject: {subject}\r\n\r\nbody\r\n".encode()


def run() -> Replay:
    """One step per store action, so the world can be read after each."""
    rec = Recorder(lambda: 0.0)
    store = MailStore(HOST, on_change=rec.record)
    store.add_user(BOB)
    steps = [
        ("deliver", lambda: store.deliver(BOB, raw("one"), 0.0)),
        ("append", lambda: store.append(BOB, "Drafts", raw("draft"), flags=["\\Draft"], now=0.0)),
        ("flag", lambda: store.store_flags(BOB, "INBOX", [1], ["\\Seen", "\\Flagged"], "add")),
        ("copy", lambda: store.copy(BOB, "INBOX", [1], "Trash")),
        ("move", lambda: store.move(BOB, "Drafts", [1], "Sent")),
        ("create", lambda: store.create_folder(BOB, "Work/2026")),
        ("file", lambda: store.copy(BOB, "INBOX", [1], "Work/2026")),
        ("rename", lambda: store.rename_folder(BOB, "Work", "Jobs")),
        ("delete", lambda: store.delete_folder(BOB, "Jobs/2026")),
        ("expunge", lambda: (store.store_flags(BOB, "Trash", [1], ["\\Deleted"], "add"),
                             store.expunge_deleted(BOB, "Trash"))),
        ("rename-inbox", lambda: store.rename_folder(BOB, "INBOX", "Old")),
    ]
    for step_id, act in steps:
        rec.record(StepStarted(step_id=step_id))
        act()
    return Replay(rec.trace)


def boxes(replay: Replay, step_id: str) -> dict[str, list[tuple[int, str, tuple[str, ...]]]]:
    step = next(s.index for s in replay.steps if s.step_id == step_id)
    return {folder: [(m.uid, m.subject, m.flags) for m in rows]
            for (host, user, folder), rows in replay.view(step).mailboxes.items()
            if rows or folder not in ("Drafts", "Junk", "Sent", "Trash", "INBOX")}


def words(replay: Replay, step_id: str) -> list[str]:
    step = next(s.index for s in replay.steps if s.step_id == step_id)
    return [t.text for t in replay.lines if t.step == step and t.level != "heading"]


def test_each_action_says_what_it_did() -> None:
    r = run()
    on = f"mailbox on {HOST}: "
    assert words(r, "setup")[1] == on + "created bob@example.net Sent (\\Sent)"
    assert words(r, "deliver") == [on + 'delivered to bob@example.net INBOX UID 1 "one"']
    assert words(r, "append") == [on + 'appended to bob@example.net Drafts UID 1 "draft", flags \\Draft']
    assert words(r, "flag") == [on + 'flags changed in bob@example.net INBOX UID 1 "one": \\Flagged \\Seen']
    assert words(r, "copy") == [on + 'copied bob@example.net INBOX UID 1 "one" to Trash UID 1']
    assert words(r, "move") == [on + 'moved bob@example.net Drafts UID 1 "draft" to Sent UID 1']
    assert words(r, "create") == [on + "created bob@example.net Work", on + "created bob@example.net Work/2026"]
    assert words(r, "rename") == [on + "renamed bob@example.net Work to Jobs",
                                  on + "renamed bob@example.net Work/2026 to Jobs/2026"]
    assert words(r, "delete") == [on + "deleted bob@example.net Jobs/2026"]
    assert words(r, "rename-inbox") == [
        on + "renamed bob@example.net INBOX to Old (its messages move, INBOX stays and is empty)"]


def test_the_mailboxes_after_each_step() -> None:
    r = run()
    seen = ("\\Flagged", "\\Seen")
    assert boxes(r, "deliver") == {"INBOX": [(1, "one", ())]}
    assert boxes(r, "append") == {"INBOX": [(1, "one", ())], "Drafts": [(1, "draft", ("\\Draft",))]}
    assert boxes(r, "flag")["INBOX"] == [(1, "one", seen)]
    assert boxes(r, "copy")["Trash"] == [(1, "one", seen)]
    after_move = boxes(r, "move")
    assert "Drafts" not in after_move and after_move["Sent"] == [(1, "draft", ("\\Draft",))]
    assert boxes(r, "file")["Work/2026"] == [(1, "one", seen)] and boxes(r, "file")["Work"] == []
    after_rename = boxes(r, "rename")
    assert after_rename["Jobs/2026"] == [(1, "one", seen)] and "Work/2026" not in after_rename
    assert "Jobs/2026" not in boxes(r, "delete")
    assert "Trash" not in boxes(r, "expunge")
    last = boxes(r, "rename-inbox")
    assert last["Old"] == [(1, "one", seen)] and "INBOX" not in last  # INBOX is there, and empty
    step = r.steps[-1].index
    assert r.view(step).mailboxes[(HOST, BOB, "INBOX")] == []


def test_the_timeline_diff_follows_copies_moves_and_renames() -> None:
    r = run()
    left, history = mailboxes(r.index)
    assert left[f"{BOB} Old"] == [Letter("one", False)]
    assert left[f"{BOB} INBOX"] == [] and left[f"{BOB} Sent"] == [Letter("draft", False)]
    assert f"{BOB} Jobs/2026" not in left and f"{BOB} Trash" in left and left[f"{BOB} Trash"] == []
    assert [what for (what, _), _ in history[f"{BOB} INBOX"]] == ["delivered", "flags", "copied", "copied", "renamed"]
