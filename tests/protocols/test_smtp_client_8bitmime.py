"""The SMTP client and 8-bit data (RFC 6152 3): BODY=8BITMIME to a server that offers
8BITMIME, a 7-bit conversion of the message to one that does not."""

from __future__ import annotations

import email
import email.policy

from simulator.mail.mime import Body, compose, is_seven_bit, render
from simulator.protocols.smtp.client import OutgoingMessage, SmtpClient
from simulator.protocols.smtp.server import SmtpServer, SmtpServerConfig

WITHOUT_8BITMIME = ("PIPELINING", "SIZE", "ENHANCEDSTATUSCODES")


def eight_bit_message() -> bytes:
    msg = compose([("From", "zoe@example.org"), ("To", "bob@example.net"), ("Subject", "Straße")],
                  Body("Grüße aus Köln\n"), boundary=lambda: "X", eight_bit=True)
    data = render(msg)
    assert b"Content-Transfer-Encoding: 8bit" in data and not data.isascii()
    return data


def session(data: bytes, smtp, **config) -> tuple[bytes, list]:
    """Run one message through a client and a server; what the client wrote, and what the server accepted."""
    policy = smtp.Policy()
    server = SmtpServer(SmtpServerConfig("mx.example.net", **config), policy)
    client = SmtpClient("client.example.org", [OutgoingMessage("zoe@example.org", ["bob@example.net"], data)])
    server.start()
    written = b""
    for _ in range(30):
        client.receive_data(server.data_to_send())
        out = client.data_to_send()
        if not out:
            break
        written += out
        server.receive_data(out)
    assert client.closed
    return written, policy.accepted


def mail_line(written: bytes) -> bytes:
    return next(line for line in written.split(b"\r\n") if line.startswith(b"MAIL FROM:"))


def test_8bit_message_goes_with_body_8bitmime_when_offered(smtp) -> None:
    data = eight_bit_message()
    written, accepted = session(data, smtp)
    assert mail_line(written).endswith(b" BODY=8BITMIME")
    assert accepted[0].data == data  # the octets arrive as they were (RFC 6152 3)
    assert accepted[0].params.get("BODY") == "8BITMIME"


def test_no_8bit_octet_reaches_a_server_without_8bitmime(smtp) -> None:
    data = eight_bit_message()
    written, accepted = session(data, smtp, extensions=WITHOUT_8BITMIME)
    assert b"BODY=" not in mail_line(written)
    assert written.isascii()  # RFC 6152 3: never 8-bit octets without the extension
    got = accepted[0].data
    assert is_seven_bit(got)
    assert f"SIZE={len(got)}".encode() in mail_line(written)  # the size of what was sent
    parsed = email.message_from_bytes(got, policy=email.policy.default)
    assert parsed["Content-Transfer-Encoding"] == "quoted-printable"
    original = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed.get_payload(decode=True) == original.get_payload(decode=True) == "Grüße aus Köln\r\n".encode()
    assert parsed["Subject"] == "Straße"


def test_ascii_message_is_not_touched_without_8bitmime(smtp) -> None:
    data = b"Subject: hi\r\n\r\nplain ASCII\r\n"
    _, accepted = session(data, smtp, extensions=WITHOUT_8BITMIME)
    assert accepted[0].data == data
