"""The IMAP and POP3 sandboxes: a message waits to be read, the hint follows the state table,
and the Mailboxes pane shows what the typed session did."""

from __future__ import annotations

from simulator.lesson.sandbox import Sandbox
from simulator.tui.widgets.message import MessagePane
from simulator.tui.widgets.panes import MailboxesPane

BOX = ("mx.example.net", "bob@example.net", "INBOX")


def test_imap_sandbox_has_a_message_to_read() -> None:
    box = Sandbox("imap")
    assert [line.text for line in box.output][0].startswith("Alice has sent Bob a message")
    assert not any(line.side == "C" for line in box.output)  # her SMTP session stays out of the transcript
    assert [m.subject for m in box.mailboxes()[BOX]] == ["Lunch?"]
    assert "LOGIN" in box.hint() and "SELECT" not in box.hint()  # RFC 9051 6: not authenticated yet
    box.send("a1 LOGIN bob@example.net builder")
    assert "SELECT" in box.hint()
    out = box.send("a2 SELECT INBOX")
    assert any(line.text == "* 1 EXISTS" for line in out)
    box.send("a3 FETCH 1 (FLAGS BODY[])")  # RFC 9051 6.4.5: sets \Seen
    (bob,) = [u for u in box.mail_view().users if u.user == "bob@example.net"]
    assert bob.folders[0].messages[0].flags == ("\\Seen",) and bob.folders[0].lit == {1}
    assert [s.summary() for s in bob.sessions] == ["bob-laptop (IMAP) sees INBOX: 1 message, UID 1 ✓"]


def test_pop3_sandbox_locks_the_maildrop_and_deletes_at_quit() -> None:
    box = Sandbox("pop3")
    box.send("USER bob@example.net")
    assert box.hint() == "Valid now: QUIT PASS"
    out = box.send("PASS builder")
    assert out[-1].text.startswith("+OK bob@example.net's maildrop has 1 message")
    assert [u.locked for u in box.mail_view().users if u.user == "bob@example.net"] == [True]  # RFC 1939 8
    box.send("DELE 1")
    assert len(box.mailboxes()[BOX]) == 1  # only marked: RFC 1939 6, removed in UPDATE
    box.send("QUIT")
    assert box.mailboxes()[BOX] == [] and box.closed
    assert not any(u.user == "bob@example.net" for u in box.mail_view().users if u.locked)


async def test_the_imap_sandbox_screen_shows_the_mailbox_and_message(make_app) -> None:
    app = make_app("sandbox", protocol="imap")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        for line in ("a1 LOGIN bob@example.net builder", "a2 SELECT INBOX"):
            await pilot.press(*line, "enter")
            await pilot.pause()
        assert screen.sandbox.state == "SELECTED"
        await pilot.press("right_square_bracket")
        await pilot.pause()
        text = screen.query_one(MailboxesPane).plain_text(width=78)
        assert "bob-laptop (IMAP) sees INBOX: 1 message, UID 1" in text
        assert "Lunch?" in text and "also: Sent, Drafts, Junk, Trash (empty)" in text
        await pilot.press("right_square_bracket")
        await pilot.pause()
        message = screen.query_one(MessagePane).plain_text(width=78)
        assert "Delivered to bob@example.net/INBOX on mx.example.net (UID 1" in message


def test_each_sandbox_has_its_own_help() -> None:
    from simulator.tui.screens.sandbox import sandbox_help

    imap = sandbox_help("imap", "mx.example.net", 143)
    assert "telnet mx.example.net 143" in imap and "a1 LOGIN bob@example.net builder" in imap
    assert "untagged" in imap and "EHLO" not in imap
    pop3 = sandbox_help("pop3", "mx.example.net", 110)
    assert "DELE" in pop3 and "UPDATE" in pop3 and "telnet mx.example.net 110" in pop3
    assert "MAIL FROM:<alice@example.org>" in sandbox_help("smtp", "mx.example.net", 25)


async def test_f1_in_the_pop3_sandbox_explains_pop3(make_app) -> None:
    from simulator.tui.screens.modals import HelpScreen

    app = make_app("sandbox", protocol="pop3")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
