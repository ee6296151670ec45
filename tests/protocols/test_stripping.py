"""What a STARTTLS-stripping man in the middle does to each protocol's plaintext (RFC 3207 6)."""

from __future__ import annotations

from simulator.protocols.registry import protocol

EHLO = (b"250-mail.example.org greets alice-laptop.example.org\r\n250-PIPELINING\r\n250-STARTTLS\r\n"
        b"250 AUTH PLAIN LOGIN\r\n")


def test_smtp_removes_the_starttls_line_of_the_ehlo_reply_byte_for_byte():
    out, changes = protocol("smtp").offer_stripper().server_sent(EHLO)
    assert out == (b"250-mail.example.org greets alice-laptop.example.org\r\n250-PIPELINING\r\n"
                   b"250 AUTH PLAIN LOGIN\r\n")
    assert changes == ("removed 250-STARTTLS",)


def test_smtp_keeps_the_reply_well_formed_when_starttls_was_its_last_line():
    # RFC 5321 4.2.1: the last line has a space after the code; the one before it must get it.
    out, changes = protocol("smtp").offer_stripper().server_sent(b"250-mx greets you\r\n250-SIZE 100\r\n"
                                                                 b"250 STARTTLS\r\n")
    assert out == b"250-mx greets you\r\n250 SIZE 100\r\n"
    assert changes == ("removed 250 STARTTLS", "made 250 SIZE 100 the last line")


def test_smtp_holds_a_partial_line_until_its_end_comes():
    stripper = protocol("smtp").offer_stripper()
    first, _ = stripper.server_sent(EHLO[:70])
    rest, changes = stripper.server_sent(EHLO[70:])
    assert first + rest == EHLO.replace(b"250-STARTTLS\r\n", b"")
    assert changes == ("removed 250-STARTTLS",)


def test_smtp_leaves_other_replies_alone():
    stripper = protocol("smtp").offer_stripper()
    data = b"220 mail.example.org ESMTP\r\n250 2.1.0 Sender <starttls@example.org> OK\r\n"
    assert stripper.server_sent(data) == (data, ())


def test_imap_removes_starttls_from_greeting_tagged_and_untagged_capability_lists():
    stripper = protocol("imap").offer_stripper()
    out, changes = stripper.server_sent(
        b"* OK [CAPABILITY IMAP4rev2 STARTTLS AUTH=PLAIN] mx ready\r\n"
        b"* CAPABILITY IMAP4rev2 STARTTLS LOGINDISABLED\r\na1 OK CAPABILITY completed\r\n")
    assert out == (b"* OK [CAPABILITY IMAP4rev2 AUTH=PLAIN] mx ready\r\n"
                   b"* CAPABILITY IMAP4rev2 LOGINDISABLED\r\na1 OK CAPABILITY completed\r\n")
    assert changes == ("removed STARTTLS from the CAPABILITY list",) * 2


def test_imap_passes_a_literal_through_untouched():
    body = b"* CAPABILITY IMAP4rev2 STARTTLS\r\n"  # message text that merely looks like a response
    data = b"* 1 FETCH (BODY[] {%d}\r\n" % len(body) + body + b")\r\n"
    assert protocol("imap").offer_stripper().server_sent(data) == (data, ())


CAPA = b"+OK capability list follows\r\nTOP\r\nUSER\r\nSTLS\r\n.\r\n"


def test_pop3_removes_stls_from_the_capa_reply_only():
    stripper = protocol("pop3").offer_stripper()
    greeting = b"+OK POP3 ready\r\n"
    assert stripper.server_sent(greeting) == (greeting, ())
    stripper.client_sent(b"CAPA\r\n")
    out, changes = stripper.server_sent(CAPA)
    assert out == b"+OK capability list follows\r\nTOP\r\nUSER\r\n.\r\n"
    assert changes == ("removed STLS from the CAPA reply",)
    # A message that has a line reading STLS is the message, not a capability.
    stripper.client_sent(b"RETR 1\r\n")
    message = b"+OK 12 octets\r\nSTLS\r\nhi\r\n.\r\n"
    assert stripper.server_sent(message) == (message, ())


def test_pop3_keeps_replies_paired_with_commands_across_a_sasl_exchange():
    stripper = protocol("pop3").offer_stripper()
    stripper.server_sent(b"+OK ready\r\n")
    stripper.client_sent(b"AUTH PLAIN\r\n")
    stripper.server_sent(b"+ \r\n")
    stripper.client_sent(b"AGJvYgBidWlsZGVy\r\n")  # the answer to the challenge is no command
    stripper.server_sent(b"+OK logged in\r\n")
    stripper.client_sent(b"CAPA\r\n")
    out, changes = stripper.server_sent(CAPA)
    assert b"STLS" not in out and changes == ("removed STLS from the CAPA reply",)
