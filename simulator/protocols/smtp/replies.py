"""SMTP replies: the type, the wire format, and the one registry of reply texts.

Every reply the server machine sends comes from :data:`R` (after aiosmtpd's
``testing/statuscodes.py``), so a code, its RFC 3463 enhanced code and its
text are written once. RFC 2034 section 4 puts an enhanced code on every
2xx/4xx/5xx reply except the greeting and the EHLO/HELO response; 3xx replies
(354) never carry one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ENHANCED = re.compile(r"^([245])\.([0-9]{1,3})\.([0-9]{1,3})\Z")  # \Z: "$" would allow a final "\n"


@dataclass(frozen=True, slots=True)
class Reply:
    code: int
    lines: tuple[str, ...]
    enhanced: str = ""

    def __post_init__(self) -> None:
        if not 200 <= self.code <= 599:
            raise ValueError(f"reply code out of range: {self.code}")
        if self.enhanced:
            m = _ENHANCED.match(self.enhanced)
            if not m or m.group(1) != str(self.code)[0]:
                raise ValueError(f"enhanced code {self.enhanced} does not fit {self.code}")
        for line in self.lines:
            if "\r" in line or "\n" in line:
                raise ValueError("reply text may not contain CR or LF")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def is_positive(self) -> bool:
        return self.code < 400

    @property
    def is_transient(self) -> bool:
        return 400 <= self.code < 500

    @property
    def is_permanent(self) -> bool:
        return self.code >= 500

    @property
    def klass(self) -> str:
        """"2xx", "3xx", "4xx" or "5xx": the input a client table sees."""
        return f"{self.code // 100}xx"

    def with_text(self, *lines: str) -> Reply:
        return Reply(self.code, tuple(lines), self.enhanced)

    def format(self, *args: object) -> Reply:
        return Reply(self.code, tuple(line.format(*args) for line in self.lines), self.enhanced)

    def to_bytes(self) -> bytes:
        lines = self.lines or ("",)
        out = []
        for n, line in enumerate(lines):
            sep = " " if n == len(lines) - 1 else "-"
            text = f"{self.enhanced} {line}" if self.enhanced else line
            wire = f"{self.code}{sep}{text}"
            # RFC 4954 4: continue-req = "334" SP [base64]: the space stays before an empty challenge.
            out.append((wire if self.code == 334 else wire.rstrip(" ")) + "\r\n")
        return "".join(out).encode("utf-8")

    def __str__(self) -> str:
        return self.to_bytes().decode("utf-8", "replace").rstrip("\r\n")


def r(code: int, enhanced: str, text: str) -> Reply:
    return Reply(code, (text,), enhanced)


class R:
    """The registry of every reply the SMTP server sends, with its RFC."""

    # Greeting and closing (RFC 5321 3.1, 4.2; no enhanced code on the greeting)
    GREETING = r(220, "", "{} ESMTP mailsim ready")
    BYE = r(221, "2.0.0", "{} closing connection")
    SHUTTING_DOWN = r(421, "4.3.2", "{} service shutting down, closing connection")
    TIMEOUT = r(421, "4.4.2", "{} {}, closing connection")  # {}: the timer, e.g. "idle timeout"
    TOO_MANY_ERRORS = r(421, "4.7.0", "{} too many errors, closing connection")
    TOO_MANY_CONNECTIONS = r(421, "4.7.0", "{} too many connections, try again later")
    # EHLO/HELO (RFC 5321 4.1.1.1). RFC 2034 section 4: enhanced codes "must appear in
    # all 2xx, 4xx, and 5xx response lines other than initial greeting and any response
    # to HELO or EHLO", so none here, the refusals included (Postfix: "501 Syntax: HELO hostname").
    HELO = r(250, "", "{} greets {}")
    HELO_SYNTAX = r(501, "", "Syntax: {} <domain or address literal>")
    BAD_DOMAIN = r(501, "", "Invalid domain name in {}: {}")
    # Transaction (RFC 5321 4.1.1.2 - 4.1.1.5)
    SENDER_OK = r(250, "2.1.0", "Sender {} OK")
    # RFC 5321 3.3: "spaces are not permitted on either side of the colon following FROM
    # in the MAIL command or TO in the RCPT command". Real servers accept them (so do we);
    # the reply says so, for the student reading the transcript.
    SENDER_OK_SPACE = r(250, "2.1.0", "Sender {} OK (accepted, but RFC 5321 section 3.3 allows no space around the colon of FROM:)")
    RECIPIENT_OK = r(250, "2.1.5", "Recipient {} OK")
    RECIPIENT_OK_SPACE = r(250, "2.1.5", "Recipient {} OK (accepted, but RFC 5321 section 3.3 allows no space around the colon of TO:)")
    # A recipient already in the envelope: acknowledged, and delivered once (Postfix's
    # cleanup collapses duplicate recipients the same way).
    RECIPIENT_DUPLICATE = r(250, "2.1.5", "Recipient {} OK (already given: one copy will be delivered)")
    START_DATA = r(354, "", "Start mail input; end with <CRLF>.<CRLF>")
    QUEUED = r(250, "2.0.0", "OK queued as {}")
    RESET = r(250, "2.0.0", "Reset OK")
    NOOP = r(250, "2.0.0", "OK")
    # VRFY (RFC 5321 3.5): 250 only for an address actually verified (3.5.3), with the
    # mailbox in angle brackets (3.5.2); 550 for no such user and 553 "User ambiguous"
    # (3.5.1); 252 where the server cannot or will not verify, which is also what a site
    # that disables VRFY MUST answer (7.3). Postfix's disable_vrfy_command answers 502
    # instead, which 3.5.3 calls "not in full compliance".
    VRFY = r(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery")
    VRFY_NOT_LOCAL = r(252, "2.5.0", "Cannot VRFY {}: not a local domain, but will accept message and attempt delivery")
    VRFY_OK = r(250, "2.1.5", "{}")
    VRFY_NO_SUCH_USER = r(550, "5.1.1", "No such user here: {}")
    VRFY_AMBIGUOUS = r(553, "5.1.4", "User ambiguous")
    VRFY_REFUSED = r(502, "5.5.1", "VRFY command is disabled")
    HELP = r(214, "2.0.0", "Commands: {}")
    # Syntax and sequence (RFC 5321 4.2.2, 4.3.2)
    # RFC 3463 3.6: X.5.2 covers a command "unrecognized"; X.5.1 one out of sequence or unsupported.
    UNKNOWN_COMMAND = r(500, "5.5.2", "Command unrecognized: {}")
    LINE_TOO_LONG = r(500, "5.5.2", "Line too long: a command line is at most 512 octets with its CRLF (RFC 5321 section 4.5.3.1.4)")
    # RFC 5321 2.3.8: only CRLF ends a line, so a command ended by a bare LF is not run.
    # Postfix 3.9 with smtpd_forbid_bare_newline=yes answers "521 5.5.2 ... bare <LF>
    # received" and hangs up; we answer and keep the session, so a student typing into a
    # plain nc (which sends LF) learns why and can retry with nc -C.
    BARE_LF_COMMAND = r(500, "5.5.2", "Command line ended with a bare LF, not run: SMTP lines end with CRLF (RFC 5321 section 2.3.8; with nc, use nc -C)")
    BAD_SYNTAX = r(501, "5.5.4", "Syntax: {}")
    # RFC 5321 4.3.2: DATA, RSET and QUIT take no argument and SHOULD get 501 with one.
    # STARTTLS likewise: RFC 3207 section 4, "STARTTLS" with no parameters, "501 Syntax error
    # (no parameters allowed)". The second field names the rule.
    NO_ARGUMENT = r(501, "5.5.4", "Syntax: {} takes no argument ({})")
    BAD_SENDER_SYNTAX = r(501, "5.1.7", "Bad sender address syntax: {}")
    NOT_IMPLEMENTED = r(502, "5.5.1", "{} not implemented")
    BAD_SEQUENCE = r(503, "5.5.1", "Bad sequence of commands: {}")
    PARAM_NOT_IMPLEMENTED = r(504, "5.5.4", "Parameter value not implemented: {}")
    PARAM_UNKNOWN = r(555, "5.5.4", "MAIL FROM/RCPT TO parameter not recognized: {}")
    # STARTTLS (RFC 3207 4): 220 to go ahead; a second STARTTLS over TLS is out of sequence.
    READY_TLS = r(220, "2.0.0", "Ready to start TLS")
    TLS_ACTIVE = r(503, "5.5.1", "Bad sequence of commands: TLS is already active (RFC 3207 section 4)")
    # Submission without login (RFC 6409 4.3, RFC 4954 6)
    AUTH_REQUIRED = r(530, "5.7.0", "Authentication required")
    # SMTP AUTH (RFC 4954 4 and 6): each code with the enhanced code the RFC gives it.
    AUTH_CHALLENGE = r(334, "", "{}")  # the base64 challenge is the whole text ("" for an empty one)
    AUTH_OK = r(235, "2.7.0", "Authentication successful")
    AUTH_FAILED = r(535, "5.7.8", "Authentication credentials invalid: {}")
    AUTH_BAD_BASE64 = r(501, "5.5.2", "Cannot decode response: not base64 (RFC 4954 section 4)")
    AUTH_CANCELLED = r(501, "5.7.0", "Authentication cancelled by the client (RFC 4954 section 4)")
    AUTH_LINE_TOO_LONG = r(500, "5.5.6", "Authentication exchange line is too long (RFC 4954 section 4)")
    AUTH_UNKNOWN_MECHANISM = r(504, "5.5.4", "Unrecognized authentication type {}; offered: {}")
    AUTH_ENCRYPTION_REQUIRED = r(538, "5.7.11", "Encryption required for requested authentication mechanism {}: use STARTTLS first")
    AUTH_ALREADY = r(503, "5.5.1", "Bad sequence of commands: already authenticated (RFC 4954 section 4)")
    AUTH_SYNTAX = r(501, "5.5.4", "Syntax: AUTH mechanism [initial-response] (RFC 4954 section 4)")
    # RFC 6409 6.1 "Enforce Submission Rights": an MSA MAY refuse a MAIL FROM whose address
    # "appears to have insufficient submission rights or is not authorized with the
    # authentication used", with 550 and an enhanced code such as 5.7.1.
    SENDER_NOT_OURS = r(550, "5.7.1", "Sender address {} rejected: {} is not a domain of this provider, and submission sends only as its own users (RFC 6409 section 6.1)")
    SENDER_LOGIN_MISMATCH = r(550, "5.7.1", "Sender address {} rejected: not owned by user {} (RFC 6409 section 6.1)")
    # Policy and mailbox (RFC 5321 4.2.2, 3.6.2; RFC 3463)
    RELAY_DENIED = r(550, "5.7.1", "Relaying denied: {} is not a domain this server accepts mail for")
    NO_SUCH_USER = r(550, "5.1.1", "Mailbox {} does not exist")
    MAILBOX_NAME_NOT_ALLOWED = r(553, "5.1.3", "Mailbox name not allowed: {}")
    NON_ASCII_NEEDS_SMTPUTF8 = r(553, "5.6.7", "Non-ASCII address needs the SMTPUTF8 parameter: {}")
    TOO_MANY_RECIPIENTS = r(452, "4.5.3", "Too many recipients")
    NO_VALID_RECIPIENTS = r(554, "5.5.1", "No valid recipients")
    LOCAL_ERROR = r(451, "4.3.0", "Local error in processing, try again later")
    INSUFFICIENT_STORAGE = r(452, "4.3.1", "Insufficient system storage")
    # Size (RFC 1870 section 6; RFC 5321 4.5.3.1.7 message content, 4.5.3.1.9 "552 Too much mail data")
    SIZE_EXCEEDED = r(552, "5.3.4", "Message size exceeds fixed maximum of {} octets")
    # Message content. Both are refused at the final dot with 554, one of the end-of-DATA
    # replies of RFC 5321 4.3.2 ("E: 552, 554, 451, 452"); 5.6.0 is RFC 3463 3.7's
    # "other or undefined media error" (the content, not a command, is at fault).
    DATA_LINE_TOO_LONG = r(554, "5.6.0", "Message refused: a text line is longer than 1000 octets with its CRLF (RFC 5321 section 4.5.3.1.6)")
    # RFC 5321 2.3.8: only CRLF ends a line
    BARE_NEWLINE = r(554, "5.6.0", "Message contains a bare CR or LF; only CRLF ends a line (RFC 5321 section 2.3.8)")
    TRANSACTION_FAILED = r(554, "5.0.0", "Transaction failed: {}")
