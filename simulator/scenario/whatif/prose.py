"""The words of the what-if menu: what a fault does, what follows, and why none fits."""

from __future__ import annotations

from simulator.protocols.smtp.replies import Reply
from simulator.trace import CommandReceived, ConnectionOpened, MailboxView

from .reach import Reach, Target


def consequence(r: Reach, target: Target, reply: Reply) -> str:
    """What happens after ``target`` gets ``reply`` instead of the answer of the base run."""
    if r.opened_by_script(target.conn):  # a session typed line by line
        return "The script goes on regardless, and the server answers what follows accordingly."
    if target.is_mx:
        sender = r.sender_on(target.conn.conn)
        if reply.is_permanent:
            return (f"{target.conn.client_host} gives up on the message and sends a bounce "
                    f"(a delivery status notification, RFC 3464) back to {sender or 'the sender'}.")
        return f"{target.conn.client_host} keeps the message in its queue and tries again later."
    if reply.is_permanent:
        return "The mail client hears the refusal at once: nothing is queued, nothing bounces."
    return "The mail client must try again later."


def reply_fault_text(r: Reach, blurb: str, target: Target, reply: Reply, *, retry: bool) -> str:
    text = f"{blurb} {target.host} answers {target.line} with `{reply}`. {consequence(r, target, reply)}"
    if retry:
        text += " The branch moves the clock on to that retry, so you see the second attempt."
    return text


def host_down_text(r: Reach, blurb: str, conn: ConnectionOpened, *, mx: bool) -> str:
    if mx and not r.opened_by_script(conn):
        domains = sorted({rcpt.rpartition("@")[2] for rcpt in r.recipients_on(conn.conn) if "@" in rcpt})
        of = f", the mail exchanger of {', '.join(domains)}," if domains else ""
        return (f"{blurb} {conn.server_host}{of} is down from here on. {conn.client_host} "
                "cannot connect, keeps the message in its queue and tries again later.")
    return (f"{blurb} {conn.server_host} is down from here on: {conn.client_host} "
            f"cannot connect to port {conn.port} ({conn.service}).")


def login_refused_text(blurb: str, command: CommandReceived, conn: ConnectionOpened, protocol: str,
                       enhanced: str, text: str) -> str:
    """What a refused login does: the answer on the wire, and what the session can do next."""
    if protocol == "imap":
        tag = command.argument.split(" ", 1)[0]
        answer = f"{tag} NO [{enhanced}] {text}"
        after = ("The session stays in the Not Authenticated state (RFC 9051 6.2.3): the commands that "
                 "follow get BAD or NO, and nothing in the mailbox changes.")
    else:
        answer = f"-ERR [{enhanced}] {text}"
        after = ("The session stays in the AUTHORIZATION state (RFC 1939 7): no STAT, RETR or DELE "
                 "works, nothing is downloaded and nothing deleted.")
    return f"{blurb} {conn.server_host} answers {command.verb} from {conn.client_host} with `{answer}`. {after}"


def smtp_wrong_password_text(conn: ConnectionOpened, user: str, mechanism: str) -> str:
    """What a mistyped submission password does (RFC 4954 6)."""
    return (f"The mail client on {conn.client_host} has a mistyped password for {user}. Its AUTH {mechanism} "
            f"to {conn.server_host} is answered `535 5.7.8 Authentication credentials invalid` (RFC 4954 "
            "section 6); unauthenticated, it could get only 530 5.7.0 for MAIL (RFC 6409 section 4.3), so it "
            "says QUIT, and the message is not sent.")


def dropped_text(r: Reach, conn: ConnectionOpened) -> str:
    return (f"The connection from {conn.client_host} to {conn.server_host} drops just before QUIT (Wi-Fi "
            "lost, say). The session never enters the UPDATE state (RFC 1939 6), so the messages it marked "
            "with DELE are not removed: they are still in the maildrop next time.")


def expunged_text(conn: ConnectionOpened, other: str, view: MailboxView, uid: int, command: CommandReceived) -> str:
    verb = command.verb.upper()
    return (f"Just before {conn.client_host} sends {verb}, {other} deletes and expunges UID {uid} of "
            f"{view.user} {view.folder}. Every other session on that mailbox is told `* n EXPUNGE`, but only "
            "when the server may say so (RFC 9051 7.5.1: not during FETCH, STORE or SEARCH, which can still "
            f"name the message by its old number): watch what {conn.client_host} hears and when.")


def retry_text(wait: float) -> str:
    minutes = f"{wait / 60:g} minutes" if wait >= 60 else f"{wait:g} seconds"
    return (f"{minutes.capitalize()} later the message is due again (RFC 5321 "
            "section 4.5.4.1 asks for retries spread over days); the queue runner "
            "wakes up and tries the MX once more.")


def listed(items: list[str], conjunction: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def nothing_fits_text(r: Reach, wants: list[str], reasons: list[str]) -> str:
    """Why no fault of the catalogue fits the step.

    ``wants`` is what the faults act on (each fault's phrase, in catalogue order);
    ``reasons`` say why a fault that finds what it wants in the step still does not fit.
    """
    verbs = r.verbs()
    opened = sorted({e.server_host for e in r.own() if isinstance(e, ConnectionOpened)})
    held = []
    if verbs:
        held.append(f"sends {listed(verbs)}")
    if opened:
        held.append("opens a connection to " + listed(opened))
    holds = f"This step {' and '.join(held)}" if held else "No command is sent in this step"
    unique_wants = list(dict.fromkeys(wants))
    text = f"{holds}; the faults act on {listed(unique_wants, 'or')}."
    if reasons:
        text += " " + " ".join(dict.fromkeys(reasons))
    return text


def body_changed_text(conn: ConnectionOpened, footer: str) -> str:
    """What the body-changed fault does: a relay's filter adds a line after DKIM signed the message."""
    return (f"A content filter on {conn.client_host} adds a line to the body after the message was signed, "
            f"as it relays it to {conn.server_host}: `{footer}`. {conn.server_host} hashes the body it receives; "
            "the hash no longer matches bh=, so DKIM fails with a body hash mismatch (RFC 6376 3.7, 6.1.3). "
            "Unless SPF is aligned, DMARC fails too, and the From domain's policy decides what happens "
            "(RFC 9989 4.7).")


def spoofed_from_text(sender: str, attacker: str, envelope_from: str, mx: str) -> str:
    """What the spoofed-from fault does: an attacker's own server sends the message with the sender's From."""
    domain = sender.rpartition("@")[2]
    spf = envelope_from.rpartition("@")[2]
    return (f"Instead of {sender}'s provider, {attacker} sends the message straight to {mx} with "
            f"`From: {sender}` and its own envelope sender {envelope_from}. SPF can pass, but for {spf}, "
            f"not {domain}; there is no DKIM signature of {domain}. With no aligned pass DMARC fails "
            f"(RFC 9989 3.2.10), and {domain}'s policy decides: p=reject refuses it at the end of DATA, "
            "p=quarantine sends it to Junk, p=none delivers it.")


def starttls_stripped_text(attacker: str, conn: ConnectionOpened, offer: str, policy: str | None) -> str:
    """What the starttls-stripped fault does: a man in the middle deletes the offer of TLS (RFC 3207 6)."""
    text = (f"{attacker} sits on the link between {conn.client_host} and {conn.server_host} (a hostile access "
            f"point) and deletes {offer} on its way to the client, as RFC 3207 section 6 warns. ")
    if policy == "required":
        return text + ("The client requires TLS: it gives up with QUIT, and nothing is sent (RFC 8314 5.2).")
    if policy == "opportunistic":
        return text + ("The client uses TLS only when it is offered: it goes on without TLS, and its login "
                       "and message cross the wire in plaintext for the attacker to read.")
    return text + ("A client that uses TLS only when offered goes on in plaintext, its login readable on the "
                   "wire; one that requires TLS gives up (RFC 8314 5.2).")


def certificate_expired_text(conn: ConnectionOpened, how: str, loses: str) -> str:
    """What the certificate-expired fault does: the server's certificate is past its notAfter date."""
    return (f"{conn.server_host}'s certificate has expired: nobody renewed it, and its notAfter date has passed "
            f"(RFC 5280 4.1.2.5). In the TLS handshake {how}, {conn.client_host}'s client checks the validity "
            "period (RFC 5280 6.1.3) and refuses: \"certificate has expired\". It sends a certificate_expired "
            "alert and closes the connection before any command crosses TLS, since a mail client must not "
            f"treat a session whose certificate cannot be validated as confidential (RFC 8314 5.3). {loses}")
