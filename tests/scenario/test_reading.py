"""Reading-mail actions (check_mail, open_mailbox, read, flag, move, delete, idle, sync, logout, drop)
and the expectations on mailboxes, session views and downloads: each met when right, failing when wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from simulator.scenario.loader import ContentErrors, load_scenario
from simulator.scenario.runner import default_title, run_scenario
from simulator.trace import CommandReceived, ConnectionClosed, FaultInjected, MailboxChanged

HEAD = """\
id: reading-test
title: Reading test
steps:
  - {id: send1, action: send_message, from: alice-laptop, sender: alice@example.org, to: [bob@example.net],
     subject: "Lunch?", body: "noon?"}
  - {id: relay1, action: run_queue}
"""


def scenario(tmp_path: Path, steps: str):
    path = tmp_path / "reading-test.yaml"
    path.write_text(HEAD + textwrap.indent(textwrap.dedent(steps), "  "), encoding="utf-8")
    return load_scenario(path)


def run(tmp_path: Path, steps: str):
    return run_scenario(scenario(tmp_path, steps))


def errors(tmp_path: Path, steps: str) -> list[str]:
    with pytest.raises(ContentErrors) as info:
        scenario(tmp_path, steps)
    return [str(e).split(":", 1)[1] for e in info.value.errors]


def conn_of(result, host: str) -> list[str]:
    from simulator.trace import ConnectionOpened

    return [e.conn for e in result.trace.events if isinstance(e, ConnectionOpened) and e.client_host == host]


# --- POP3: check_mail (RFC 1939) ------------------------------------------------------------


def test_check_mail_downloads_and_deletes_at_quit(tmp_path: Path) -> None:
    result = run(tmp_path, """\
        - id: laptop
          action: check_mail
          from: bob-laptop
          expect:
            reply: {code: "+OK", contains: maildrop empty}
            downloaded: {count: 1, subjects: ["Lunch?"]}
            mailbox: {user: bob@example.net, count: 0}
            closed: true
        - id: phone
          action: check_mail
          from: bob-phone
          expect: {downloaded: {count: 0}}
        """)
    assert result.ok, result.failures
    (laptop,) = conn_of(result, "bob-laptop")
    sent = [e.verb for e in result.trace.events if isinstance(e, CommandReceived) and e.conn == laptop]
    assert sent == ["USER", "PASS", "UIDL", "RETR", "DELE", "QUIT"]  # RFC 1939 7, 5, 6
    assert default_title(result.scenario.steps[2]) == "bob-laptop checks mail with POP3 (downloads and deletes)"


def test_check_mail_leave_on_server_then_only_new(tmp_path: Path) -> None:
    result = run(tmp_path, """\
        - {id: first, action: check_mail, from: bob-laptop, leave_on_server: true,
           expect: {downloaded: {count: 1}, mailbox: {user: bob@example.net, count: 1}}}
        - {id: again, action: check_mail, from: bob-laptop, leave_on_server: true,
           expect: {downloaded: {count: 0}, mailbox: {user: bob@example.net, count: 1}}}
        - {id: other-device, action: check_mail, from: bob-phone, leave_on_server: true,
           expect: {downloaded: {count: 1}}}
        """)
    assert result.ok, result.failures
    (_, again) = conn_of(result, "bob-laptop")
    verbs = [e.verb for e in result.trace.events if isinstance(e, CommandReceived) and e.conn == again]
    assert verbs == ["USER", "PASS", "UIDL", "QUIT"]  # the UIDL it had seen is skipped, nothing retrieved


def test_dropped_pop3_session_deletes_nothing(tmp_path: Path) -> None:
    result = run(tmp_path, """\
        - {id: laptop, action: check_mail, from: bob-laptop, quit: false, conn: laptop,
           expect: {downloaded: {count: 1}, closed: false, state: {machine: pop3.server, state: TRANSACTION,
                    conn: laptop}}}
        - {id: gone, action: drop, conn: laptop, expect: {closed: true, mailbox: {user: bob@example.net, count: 1}}}
        - {id: again, action: check_mail, from: bob-laptop, only_new: false,
           expect: {downloaded: {count: 1}, mailbox: {user: bob@example.net, count: 0}}}
        """)
    assert result.ok, result.failures
    assert any(isinstance(e, FaultInjected) and e.fault == "drop" for e in result.trace.events)
    closed = [e for e in result.trace.events if isinstance(e, ConnectionClosed)]
    assert closed[-2].by == "fault" and "QUIT" in closed[-2].reason
    # RFC 1939 6: no UPDATE without QUIT, so the first session expunged nothing
    expunged = [e for e in result.trace.events if isinstance(e, MailboxChanged) and e.action == "expunged"]
    assert len(expunged) == 1


def test_pop3_logout_is_quit(tmp_path: Path) -> None:
    result = run(tmp_path, """\
        - {id: laptop, action: check_mail, from: bob-laptop, quit: false}
        - {id: bye, action: logout, conn: bob-laptop,
           expect: {reply: "+OK", closed: true, mailbox: {user: bob@example.net, count: 0}}}
        """)
    assert result.ok, result.failures


def test_downloaded_fails_when_wrong(tmp_path: Path) -> None:
    result = run(tmp_path, """\
        - {id: laptop, action: check_mail, from: bob-laptop, expect: {downloaded: {count: 2, subjects: [Hi]}}}
        - {id: nothing, action: note, text: x, expect: {downloaded: {count: 0}}}
        """)
    assert [str(f) for f in result.failures] == [
        "step 'laptop': downloaded: downloaded 1 message(s), expected 2",
        "step 'laptop': downloaded: downloaded ['Lunch?'], expected ['Hi']",
        "step 'nothing': downloaded: this step downloaded nothing with POP3 (expect downloaded goes with check_mail)",
    ]


# --- IMAP sessions (RFC 9051, RFC 2177, RFC 6851) -------------------------------------------


TWO_DEVICES = """\
    - {id: phone, action: open_mailbox, from: bob-phone, conn: phone,
       expect: {reply: {code: OK}, view: {conn: phone, folder: INBOX, exists: 1, uids: [1], flags: {1: []}},
                state: {machine: imap.server, state: SELECTED, conn: phone}}}
    - {id: laptop, action: open_mailbox, from: bob-laptop, conn: laptop}
    - {id: wait, action: idle, conn: laptop, expect: {reply: "+", state: {machine: imap.server, state: IDLING,
                                                                           conn: laptop}}}
    - id: read
      action: read
      conn: phone
      message: 1
      expect:
        view: [{conn: phone, flags: {1: [\\Seen]}}, {conn: laptop, flags: {1: [\\Seen]}}]
        mailbox: {user: bob@example.net, flags: {"Lunch?": [\\Seen]}}
    - {id: send2, action: send_message, from: alice-laptop, sender: alice@example.org, to: [bob@example.net],
       subject: "Or one?", body: "one?"}
    - {id: relay2, action: run_queue, expect: {view: [{conn: laptop, exists: 2}, {conn: phone, exists: 1}]}}
    - {id: star, action: flag, conn: laptop, message: 2, add: [\\Flagged],
       expect: {mailbox: {user: bob@example.net, flags: {2: [\\Flagged]}}}}
    - {id: file, action: move, conn: laptop, uid: 1, to: Lunch,
       expect: {view: {conn: laptop, exists: 1, uids: [2]},
                mailbox: [{user: bob@example.net, folder: Lunch, subjects: ["Lunch?"]},
                          {user: bob@example.net, count: 1, subjects: ["Or one?"]}]}}
    - {id: news, action: sync, conn: phone, expect: {reply: OK, view: {conn: phone, exists: 1, uids: [2]}}}
    - {id: bin, action: delete, conn: phone, message: 1, expect: {mailbox: {user: bob@example.net, count: 0}}}
    - {id: phone-off, action: logout, conn: phone, expect: {replies: [BYE, OK], closed: true}}
    - {id: laptop-off, action: drop, conn: laptop, expect: {closed: true}}
"""


def test_imap_two_devices(tmp_path: Path) -> None:
    result = run(tmp_path, TWO_DEVICES)
    assert result.ok, result.failures
    (laptop,) = conn_of(result, "bob-laptop")
    verbs = [e.verb for e in result.trace.events if isinstance(e, CommandReceived) and e.conn == laptop]
    # RFC 2177 3: DONE ends IDLE before the next command; RFC 9051 6.4.8: NO [TRYCREATE], CREATE, MOVE again
    assert verbs == ["LOGIN", "SELECT", "FETCH", "IDLE", "DONE", "STORE", "UID MOVE", "CREATE", "UID MOVE"]
    titles = [default_title(s) for s in result.scenario.steps[2:]]
    assert titles == [
        "bob-phone opens INBOX with IMAP", "bob-laptop opens INBOX with IMAP", "laptop waits for news (IDLE)",
        "phone reads message 1", "alice@example.org sends 'Or one?'", "run queue", "laptop flags message 2 +\\Flagged",
        "laptop moves UID 1 to Lunch", "phone asks what changed (NOOP)", "phone deletes message 1",
        "phone logs out", "laptop's connection drops"]


def test_read_peek_leaves_unseen(tmp_path: Path) -> None:
    result = run(tmp_path, """\
        - {id: phone, action: open_mailbox, from: bob-phone}
        - {id: peek, action: read, conn: bob-phone, message: 1, peek: true,
           expect: {mailbox: {user: bob@example.net, flags: {1: []}}, view: {conn: bob-phone, flags: {1: []}}}}
        """)
    assert result.ok, result.failures


def test_view_and_mailbox_fail_when_wrong(tmp_path: Path) -> None:
    result = run(tmp_path, """\
        - {id: phone, action: open_mailbox, from: bob-phone, conn: phone}
        - id: wrong
          action: read
          conn: phone
          message: 1
          expect:
            view: {conn: phone, folder: Trash, exists: 2, uids: [7], flags: {1: [\\Flagged], 3: []}}
            mailbox: {user: bob@example.net, count: 3, subjects: [Hi], flags: {1: [], Nope: [], 9: []}}
        """)
    assert [str(f) for f in result.failures] == [
        "step 'wrong': mailbox: bob@example.net INBOX holds 1 message(s), expected 3",
        "step 'wrong': mailbox: bob@example.net INBOX holds ['Lunch?'], expected ['Hi']",
        "step 'wrong': mailbox: bob@example.net INBOX message 1 (UID 1) has flags \\Seen, expected (none)",
        "step 'wrong': mailbox: bob@example.net INBOX has no message with subject 'Nope'; subjects: ['Lunch?']",
        "step 'wrong': mailbox: bob@example.net INBOX has no message 9; it holds 1",
        "step 'wrong': view: session 'phone' has INBOX selected, expected Trash",
        "step 'wrong': view: session 'phone' knows 1 message(s) in INBOX, expected 2",
        "step 'wrong': view: session 'phone' knows UIDs [1], expected [7]",
        "step 'wrong': view: session 'phone' was told message 1 (UID 1) has flags \\Seen, expected \\Flagged",
        "step 'wrong': view: session 'phone' knows no message 3; it knows 1",
    ]


def test_unknown_folder_and_never_selected(tmp_path: Path) -> None:
    result = run(tmp_path, """\
        - {id: raw, action: connect, from: bob-phone, to: mx.example.net, port: 143, conn: raw}
        - {id: look, action: check, expect: {view: {conn: raw, exists: 0},
                                              mailbox: {user: bob@example.net, folder: Nowhere, count: 0}}}
        """)
    assert [str(f) for f in result.failures] == [
        "step 'look': mailbox: bob@example.net has no mailbox named 'Nowhere'.",
        "step 'look': view: session 'raw' was never told of a mailbox (no SELECT answered)",
    ]


def test_move_without_create_stops_at_trycreate(tmp_path: Path) -> None:
    result = run(tmp_path, """\
        - {id: phone, action: open_mailbox, from: bob-phone}
        - {id: file, action: move, conn: bob-phone, message: 1, to: Lunch, create: false,
           expect: {reply: {code: NO, enhanced: TRYCREATE}, mailbox: {user: bob@example.net, count: 1}}}
        """)
    assert result.ok, result.failures


def test_wrong_password_is_refused(tmp_path: Path) -> None:
    result = run(tmp_path, """\
        - {id: phone, action: open_mailbox, from: bob-phone, password: wrong,
           expect: {reply: NO, state: {machine: imap.client, state: NOT_AUTHENTICATED, conn: bob-phone}}}
        - {id: read, action: read, conn: bob-phone, message: 1}
        """)
    assert [str(f) for f in result.failures] == [
        "step 'read': read: session 'bob-phone' has no mailbox selected (NOT_AUTHENTICATED)"]


# --- validation: located errors -------------------------------------------------------------


def test_located_errors(tmp_path: Path) -> None:
    got = errors(tmp_path, """\
        - {id: a, action: read, conn: phone, message: 1}
        - {id: b, action: open_mailbox, from: mail.example.org}
        - {id: c, action: check_mail, from: bob-laptop, user: carol@example.net}
        - {id: d, action: connect, from: bob-phone, to: mx.example.net, port: 143, conn: raw}
        - {id: e, action: flag, conn: raw, message: 1, add: [\\Seen]}
        - {id: f, action: check_mail, from: bob-laptop, quit: false, conn: pop}
        - {id: g, action: idle, conn: pop, expect: {view: {conn: pop, exists: 1}}}
        - {id: h, action: send, conn: pop, line: NOOP}
        - {id: i, action: logout, conn: nobody}
        """)
    assert got == [
        "7:33: no session 'phone' is open here; add an open_mailbox step before",
        "8:41: no user is named after the device 'mail.example.org' (as bob-phone is after bob@example.net); "
        "name the user",
        "9:57: unknown user 'carol@example.net'; known: alice@example.org, bob@example.net, mallory@evil.example",
        "11:33: 'raw' was opened by a connect step (raw lines); flag needs a device's session: open it with "
        "open_mailbox",
        "13:33: 'pop' is a POP3 session; idle needs an IMAP one (open_mailbox)",
        "13:60: 'pop' is a POP3 session: POP3 has no view of a mailbox to check; expect downloaded instead",
        "14:33: 'pop' is a device's POP3 session; drive it with read, flag, move, delete, idle, sync, logout "
        "or drop",
        "15:35: no session 'nobody' is open here; add an open_mailbox or check_mail with quit: false step before",
    ]


@pytest.mark.parametrize(("step", "message"), [
    ("{id: a, action: read, conn: p}", "a read step names exactly one of message (its number) or uid"),
    ("{id: a, action: read, conn: p, message: 1, uid: 2}", "a read step names exactly one of message"),
    ("{id: a, action: flag, conn: p, message: 1}", "a flag step needs add or remove"),
    ("{id: a, action: flag, conn: p, message: 1, add: [\\Bogus]}", "'\\Bogus' is not a system flag"),
    ("{id: a, action: flag, conn: p, message: 1, add: ['two words']}", "'two words' is not a flag"),
    ("{id: a, action: check, expect: {mailbox: {user: bob@example.net}}}",
     "a mailbox expectation needs count, subjects or flags"),
    ("{id: a, action: check, expect: {view: {conn: p}}}", "a view expectation needs folder, exists, uids or flags"),
    ("{id: a, action: check, expect: {mailbox: {user: bob@example.net, flags: {0: []}}}}",
     "message numbers start at 1, not 0"),
])
def test_model_errors(tmp_path: Path, step: str, message: str) -> None:
    (got,) = errors(tmp_path, f"- {step}\n")
    assert message in got, got


# --- the bundled reading-mail content ------------------------------------------------------


READING = ("pop3-download-delete", "pop3-dropped-connection", "pop3-vs-imap", "imap-two-devices")


@pytest.mark.parametrize("name", READING)
def test_bundled_scenario_and_lesson_run_with_expectations_met(name: str) -> None:
    from simulator import content
    from simulator.scenario.loader import load_lesson

    lesson, scenario = load_lesson(content.content_dir("lessons") / f"{name}.yaml")
    result = run_scenario(scenario)
    assert result.ok, result.failures
    assert sum(1 for s in scenario.steps if s.ask is not None) >= 2  # issue 8.7: two predict questions
    assert lesson.topic in ("POP3", "IMAP") and lesson.rfcs


def test_interrupted_download_is_fetched_again(tmp_path: Path) -> None:
    # only_new skips what a device downloaded in a session the server signed off, not a dropped one
    result = run(tmp_path, """\
        - {id: a, action: check_mail, from: bob-laptop, leave_on_server: true, quit: false}
        - {id: b, action: drop, conn: bob-laptop}
        - {id: c, action: check_mail, from: bob-laptop, leave_on_server: true, expect: {downloaded: {count: 1}}}
        - {id: d, action: check_mail, from: bob-laptop, leave_on_server: true, expect: {downloaded: {count: 0}}}
        """)
    assert result.ok, result.failures


def test_sync_fetches_flags_of_new_messages(tmp_path: Path) -> None:
    result = run(tmp_path, """\
        - {id: phone, action: open_mailbox, from: bob-phone}
        - {id: send2, action: send_message, from: alice-laptop, sender: alice@example.org, to: [bob@example.net],
           subject: "Or one?", body: "one?"}
        - {id: relay2, action: run_queue, expect: {view: {conn: bob-phone, exists: 1}}}
        - {id: news, action: sync, conn: bob-phone, expect: {view: {conn: bob-phone, exists: 2, uids: [1, 2]}}}
        """)
    assert result.ok, result.failures
    (phone,) = conn_of(result, "bob-phone")
    sent = [f"{e.verb} {e.argument}" for e in result.trace.events if isinstance(e, CommandReceived)
            and e.conn == phone]
    assert sent[-2:] == ["NOOP [a4]", "FETCH [a5] 2:* (UID FLAGS)"]  # RFC 9051 6.1.2, then only the new one


def test_mailsim_schema_lists_the_reading_actions_and_expectations() -> None:
    from simulator.scenario.schema import build

    schema = build("scenario")
    actions = {tuple(d["properties"]["action"].get("enum", [d["properties"]["action"].get("const")]))
               for d in schema["$defs"].values() if "action" in d.get("properties", {})}
    named = {a for group in actions for a in group}
    assert {"check_mail", "open_mailbox", "read", "flag", "move", "delete", "idle", "sync", "logout",
            "drop"} <= named
    expect = schema["$defs"]["Expect"]["properties"]
    assert {"view", "downloaded", "mailbox"} <= set(expect)
    assert {"count", "subjects", "flags"} <= set(schema["$defs"]["ExpectMailbox"]["properties"])
    assert {"conn", "folder", "exists", "uids", "flags"} <= set(schema["$defs"]["ExpectView"]["properties"])
