"""A mail host's SMTP policy: VRFY that agrees with RCPT (RFC 5321 3.5) and who may send
what through submission (RFC 6409), driven through the real server machine."""

from __future__ import annotations

import pytest

from simulator.agents.mailhost import MX, SUBMISSION, MailHost
from simulator.agents.world import DEFAULT_SPEC, MailWorld, build_world
from simulator.net.world import Peer
from simulator.protocols.smtp.client import ReplyReader
from simulator.protocols.smtp.replies import Reply

ALICE_LAPTOP = Peer("alice-laptop", "192.0.2.10", "alice-laptop.example.org")  # the provider's network
MALLORY_BOX = Peer("mallory-box", "203.0.113.66", "mallory-box.evil.example")


def replies(mh: MailHost, role: str, peer: Peer, *lines: str) -> list[Reply]:
    server = mh.smtp_server(role, peer)
    server.start()
    server.receive_data(b"".join(line.encode() + b"\r\n" for line in lines))
    reader = ReplyReader()
    reader.feed(server.data_to_send())
    out = []
    while (reply := reader.next_reply()) is not None:
        out.append(reply)
    return out[1:]  # after the greeting


def last(mh: MailHost, role: str, peer: Peer, *lines: str) -> Reply:
    return replies(mh, role, peer, *lines)[-1]


def world(vrfy: str = "verify") -> MailWorld:
    spec = DEFAULT_SPEC.copy()
    spec.vrfy = vrfy
    return MailWorld(spec)


# --- VRFY (RFC 5321 3.5, 7.3) -------------------------------------------------------------


@pytest.mark.parametrize("arg", ["bob@example.net", "<bob@example.net>", "bob", "BOB@Example.NET"])
def test_vrfy_verifies_an_existing_mailbox_with_250(arg):
    # RFC 5321 3.5.3: 250 only "if it has actually verified the address"; 3.5.2: the reply
    # carries the mailbox as <local-part@domain>
    mx = world().mailhosts["mx.example.net"]
    reply = last(mx, MX, MALLORY_BOX, "EHLO x.example", f"VRFY {arg}")
    assert (reply.code, reply.enhanced) == (250, "2.1.5")
    assert reply.lines[0].lower() == "<bob@example.net>"


@pytest.mark.parametrize("arg", ["nobody@example.net", "nobody"])
def test_vrfy_of_a_missing_mailbox_gets_550_as_rcpt_does(arg):
    mx = world().mailhosts["mx.example.net"]
    got = replies(mx, MX, MALLORY_BOX, "EHLO x.example", f"VRFY {arg}", "MAIL FROM:<>", "RCPT TO:<nobody@example.net>")
    assert (got[1].code, got[1].enhanced) == (550, "5.1.1")
    assert (got[3].code, got[3].enhanced) == (550, "5.1.1")  # RCPT agrees: the 252-then-550 is gone


def test_vrfy_for_a_domain_the_mx_does_not_serve_says_what_rcpt_says():
    mx = world().mailhosts["mx.example.net"]
    got = replies(mx, MX, MALLORY_BOX, "EHLO x.example", "VRFY carol@elsewhere.example", "MAIL FROM:<>",
                  "RCPT TO:<carol@elsewhere.example>")
    assert got[1] == got[3] and (got[1].code, got[1].enhanced) == (550, "5.7.1")


def test_vrfy_on_submission_for_a_remote_address_gets_252():
    # RFC 5321 3.5.3: an address that "cannot reasonably be verified in real time" (it is
    # relayed) gets 252
    msa = world().mailhosts["mail.example.org"]
    reply = last(msa, SUBMISSION, ALICE_LAPTOP, "EHLO alice-laptop.example.org", "VRFY bob@example.net")
    assert (reply.code, reply.enhanced) == (252, "2.5.0")


def test_vrfy_of_a_user_name_in_several_local_domains_is_ambiguous():
    spec = DEFAULT_SPEC.copy()
    net = spec.domain("example.net")
    assert net is not None
    from simulator.agents.world import DomainSpec, UserSpec
    spec.domains.append(DomainSpec("example.com", "mx.example.net", [UserSpec("bob@example.com", "x")]))
    mx = MailWorld(spec).mailhosts["mx.example.net"]
    reply = last(mx, MX, MALLORY_BOX, "EHLO x.example", "VRFY bob")
    # RFC 5321 3.5.1: "553 User ambiguous", the alternatives may be listed
    assert (reply.code, reply.enhanced) == (553, "5.1.4")
    assert reply.lines == ("User ambiguous", "<bob@example.com>", "<bob@example.net>")


def test_vrfy_disabled_answers_252_without_looking():
    # RFC 5321 7.3: a site that disables VRFY "MUST return a 252 response, rather than a code
    # that could be confused with successful or unsuccessful verification"
    mx = world("disabled").mailhosts["mx.example.net"]
    for arg in ("bob@example.net", "nobody@example.net"):
        reply = last(mx, MX, MALLORY_BOX, "EHLO x.example", f"VRFY {arg}")
        assert (reply.code, reply.enhanced) == (252, "2.5.0")


def test_vrfy_refused_answers_502_as_postfix_does():
    mx = world("refused").mailhosts["mx.example.net"]
    reply = last(mx, MX, MALLORY_BOX, "EHLO x.example", "VRFY bob@example.net")
    assert str(reply) == "502 5.5.1 VRFY command is disabled"


def test_vrfy_refusals_count_towards_the_error_limit():
    mx = build_world().mailhosts["mx.example.net"]
    got = replies(mx, MX, MALLORY_BOX, "EHLO x.example", *[f"VRFY u{i}@example.net" for i in range(25)])
    assert [r.code for r in got[-2:]] == [550, 421]
    assert len(got) == 1 + 20 + 1  # the 20th error closes the session


# --- submission rights (RFC 6409 6.1) ------------------------------------------------------


@pytest.mark.parametrize("sender", ["alice@example.org", "nobody@EXAMPLE.ORG", ""])
def test_submission_from_the_providers_network_takes_its_own_domains(sender):
    msa = build_world().mailhosts["mail.example.org"]
    reply = last(msa, SUBMISSION, ALICE_LAPTOP, "EHLO alice-laptop.example.org", f"MAIL FROM:<{sender}>")
    assert (reply.code, reply.enhanced) == (250, "2.1.0")  # <> too: RFC 6409 3.2 allows it


@pytest.mark.parametrize("sender", ["mallory@evil.example", "bob@example.net"])
def test_submission_refuses_senders_of_other_domains_even_from_its_network(sender):
    # RFC 6409 6.1: "The MSA MAY issue an error response to a MAIL command if the address in
    # MAIL FROM appears to have insufficient submission rights" - 550 with 5.7.1
    msa = build_world().mailhosts["mail.example.org"]
    got = replies(msa, SUBMISSION, ALICE_LAPTOP, "EHLO alice-laptop.example.org", f"MAIL FROM:<{sender}>",
                  "RCPT TO:<bob@example.net>")
    assert (got[1].code, got[1].enhanced) == (550, "5.7.1")
    assert "is not a domain of this provider" in got[1].text and sender.split("@")[1] in got[1].text
    assert got[2].code == 503  # no transaction was opened
    assert len(msa.queue) == 0


def test_the_mx_still_takes_any_sender():
    # on port 25 the sender is someone else's user: only submission vouches for its senders
    mx = build_world().mailhosts["mx.example.net"]
    reply = last(mx, MX, MALLORY_BOX, "EHLO x.example", "MAIL FROM:<mallory@evil.example>")
    assert reply.code == 250


def test_outside_the_network_submission_still_asks_for_a_login_first():
    msa = build_world().mailhosts["mail.example.org"]
    reply = last(msa, SUBMISSION, MALLORY_BOX, "EHLO x.example", "MAIL FROM:<alice@example.org>")
    assert (reply.code, reply.enhanced) == (530, "5.7.0")  # RFC 6409 4.3


@pytest.mark.parametrize(
    ("sender", "code"),
    [("alice@example.org", 250), ("ALICE@example.org", 250), ("", 250), ("postmaster@example.org", 550),
     ("bob@example.net", 550)],
)
def test_a_logged_in_user_sends_only_as_itself(sender, code):
    # Once AUTH exists the session carries the login; the sender is tied to it, as Postfix's
    # reject_sender_login_mismatch does (RFC 6409 6.1: "not authorized with the
    # authentication used"). Set by hand here, from any network.
    msa = build_world().mailhosts["mail.example.org"]
    server = msa.smtp_server(SUBMISSION, MALLORY_BOX)
    server.session.authenticated = "alice@example.org"
    server.start()
    server.receive_data(f"EHLO x.example\r\nMAIL FROM:<{sender}>\r\n".encode())
    reader = ReplyReader()
    reader.feed(server.data_to_send())
    *_, reply = iter(lambda: reader.next_reply(), None)
    assert reply.code == code
    if code == 550:
        assert str(reply) == f"550 5.7.1 Sender address <{sender}> rejected: not owned by user alice@example.org (RFC 6409 section 6.1)"


def test_a_hundred_identical_rcpts_deliver_one_copy():
    # duplicates are collapsed in the envelope (as Postfix's cleanup does), so the MX
    # delivers one message per mailbox, however often the client names it
    world = build_world()
    mx = world.mailhosts["mx.example.net"]
    server = mx.smtp_server(MX, MALLORY_BOX)
    server.start()
    lines = ["EHLO x.example", "MAIL FROM:<mallory@evil.example>", *["RCPT TO:<bob@example.net>"] * 100, "DATA"]
    server.receive_data("".join(f"{line}\r\n" for line in lines).encode() + b"Subject: hi\r\n\r\nhello\r\n.\r\n")
    assert server.data_to_send().decode().rstrip().splitlines()[-1].startswith("250 2.0.0")
    assert mx.store.count("bob@example.net", "INBOX") == 1


def test_recipients_that_differ_only_in_case_reach_the_one_mailbox_once():
    # The server keeps both (RFC 5321 2.4: a local part is case-sensitive), but this host's
    # mailboxes are not, so the MDA delivers one copy to bob@example.net.
    world = build_world()
    mx = world.mailhosts["mx.example.net"]
    server = mx.smtp_server(MX, MALLORY_BOX)
    server.start()
    lines = ["EHLO x.example", "MAIL FROM:<>", "RCPT TO:<bob@example.net>", "RCPT TO:<Bob@example.net>", "DATA"]
    server.receive_data("".join(f"{line}\r\n" for line in lines).encode() + b"Subject: hi\r\n\r\nhello\r\n.\r\n")
    assert server.data_to_send().decode().rstrip().splitlines()[-1].startswith("250 2.0.0")
    assert mx.store.count("bob@example.net", "INBOX") == 1
