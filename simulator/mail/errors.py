"""What the mailbox store refuses, each as a sentence a server can send on (RFC 9051 7.1 NO text)."""

from __future__ import annotations


class MailboxError(Exception):
    """A request the store refuses: ``str()`` is a sentence that says why."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "The mailbox store refused the request."


class UnknownMailbox(MailboxError, KeyError):
    """No such user, folder or message. A KeyError too, so ``except KeyError`` still catches it."""

    # KeyError.__str__ would quote the sentence; MailboxError's comes first in the MRO.


class MailboxExists(MailboxError):
    """CREATE or RENAME to a name that is already taken (RFC 9051 6.3.4, 6.3.6)."""
