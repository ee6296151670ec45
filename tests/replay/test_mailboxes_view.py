"""The Mailboxes pane's view model: folders worth showing, flag marks, the step's changes, what sessions were told."""

from __future__ import annotations

from functools import cache

from simulator.mail.store import MailStore
from simulator.replay.arrivals import arrivals
from simulator.replay.index import Index
from simulator.replay.mailboxes import MailboxesView, UserBoxes, flag_marks
from simulator.replay.reader import Replay
from simulator.scenario.loader import load_scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import MailboxChanged, Recorder, StepStarted

BOB = "bob@example.net"
HOST = "mx.example.net"


@cache
def two_devices() -> Replay:
    return Replay(run_scenario(load_scenario("scenarios/imap-commands.yaml")).trace)


def at(replay: Replay, step_id: str) -> MailboxesView:
    n = [s.step_id for s in replay.steps].index(step_id)
    view = replay.view(n).mail
    assert view is not None
    return view


def bob(view: MailboxesView) -> UserBoxes:
    return next(u for u in view.users if u.user == BOB)


def test_flag_marks_are_compact_and_keep_keywords() -> None:
    # RFC 9051 2.3.2: system flags; keywords ($Junk) are shown by name, \Recent never.
    assert flag_marks(["\\Flagged", "\\Seen"]) == "✓⚑"
    assert flag_marks(["\\Deleted", "$Junk", "\\Recent"]) == "✗ $Junk"
    assert flag_marks([]) == ""


def test_setup_folders_are_named_not_listed() -> None:
    view = at(two_devices(), "relay")
    b = bob(view)
    assert [f.name for f in b.folders] == ["INBOX"]
    assert b.idle == ("Sent", "Drafts", "Junk", "Trash")  # RFC 6154 special-use folders, empty
    assert (HOST, BOB) not in view.quiet and ("mail.example.org", "alice@example.org") in view.quiet
    assert bob(view).folders[0].lit == {1} and bob(view).folders[0].changed  # delivered in this step


def test_seen_spreads_to_the_idling_phone() -> None:
    view = bob(at(two_devices(), "laptop-reads"))
    (inbox,) = view.folders
    assert inbox.messages[0].flags == ("\\Seen",) and inbox.lit == {1}  # RFC 9051 6.4.5: BODY[] sets \Seen
    summaries = [s.summary() for s in view.sessions]
    assert summaries == ["bob-phone (IMAP) sees INBOX: 1 message, UID 1 ✓",
                         "bob-laptop (IMAP) sees INBOX: 1 message, UID 1 ✓"]
    assert all(s.changed for s in view.sessions) and not any(s.behind for s in view.sessions)


def test_a_session_not_idling_is_behind_until_its_next_command() -> None:
    replay = two_devices()
    arrived = bob(at(replay, "relay-again"))
    phone, laptop = arrived.sessions
    assert phone.told == ((1, "\\Seen"), (2, "")) and phone.changed  # RFC 2177: * 2 EXISTS at once
    assert laptop.behind == ("not told yet of UID 2",) and not laptop.changed
    (_, laptop) = bob(at(replay, "laptop-noop")).sessions  # RFC 9051 6.1.2: NOOP hears of it
    assert laptop.behind == () and [uid for uid, _ in laptop.told] == [1, 2]


def test_an_expunge_shows_what_went() -> None:
    view = bob(at(two_devices(), "laptop-deletes"))
    assert view.folders[0].gone == ("UID 1 expunged",) and [m.uid for m in view.folders[0].messages] == [2]
    assert [s.told for s in view.sessions] == [((2, ""),), ((2, ""),)]  # both told * 1 EXPUNGE


def test_closed_sessions_leave_the_pane() -> None:
    view = bob(at(two_devices(), "laptop-logout"))
    assert view.sessions == ()
    assert [f.name for f in view.folders] == ["INBOX"]


def store_run() -> Replay:
    rec = Recorder(lambda: 0.0)
    store = MailStore(HOST, on_change=rec.record)
    rec.record(StepStarted(step_id="setup"))
    store.add_user(BOB)
    steps = [
        ("deliver", lambda: store.deliver(BOB, b"Subject: one\r\n\r\nbody\r\n", 0.0)),
        ("sent-copy", lambda: store.append(BOB, "Sent", b"Subject: mine\r\n\r\nhi\r\n", flags=["\\Seen"], now=0.0)),
        ("archive", lambda: (store.create_folder(BOB, "Work"), store.move(BOB, "INBOX", [1], "Work"))),
    ]
    for step_id, act in steps:
        rec.record(StepStarted(step_id=step_id))
        act()
    return Replay(rec.trace)


def test_touched_folders_show_even_when_empty() -> None:
    replay = store_run()
    sent = bob(at(replay, "sent-copy"))
    assert [f.name for f in sent.folders] == ["INBOX", "Sent"] and sent.idle == ("Drafts", "Junk", "Trash")
    moved = bob(at(replay, "archive"))
    # The move empties INBOX: it stays listed (it held mail), the new folder sits before the special-use ones.
    assert [f.name for f in moved.folders] == ["INBOX", "Work", "Sent"]
    assert moved.folders[0].gone == ("UID 1 moved to Work",) and moved.folders[1].lit == {1}


def test_arrivals_follow_a_copy_back_to_its_bytes() -> None:
    pairs = Index(store_run().trace).of(MailboxChanged)
    got = [(a.how, a.folder, a.uid, a.source) for _, a in arrivals(pairs)]
    assert got == [("delivered", "INBOX", 1, ""), ("appended", "Sent", 1, ""), ("moved", "Work", 1, "INBOX")]
    moved = arrivals(pairs)[-1][1]
    assert moved.raw.startswith(b"Subject: one")  # the MOVE event carries no bytes: found from the delivery
    assert moved.heading(24) == f"Moved from INBOX (UID 1) to {BOB}/Work on {HOST} (UID 1, 24 bytes)"
    assert arrivals(pairs)[1][1].heading(22).startswith("Appended by a client (IMAP APPEND) to")
