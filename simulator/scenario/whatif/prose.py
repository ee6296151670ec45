"""The words of the what-if menu: what a fault does, what follows, and why none fits."""

from __future__ import annotations

from simulator.protocols.smtp.replies import Reply
from simulator.trace import ConnectionOpened

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
