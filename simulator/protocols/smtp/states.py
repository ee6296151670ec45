"""The SMTP server and client state tables (RFC 5321), the one source of truth.

The machines enforce these tables and the TUI draws them. A server
transition is taken when its command succeeds; a command that is refused
(501, 550, ...) takes the row's ``refused`` branch, which leaves the state
where it was (RFC 5321 section 4.1.4). A (state, verb) pair missing from the
server table is answered 503. Every effect a row names is a handler of the
machine, listed in its table of handlers.
"""

from __future__ import annotations

from simulator.protocols.machine import (
    InputInfo,
    InputKind,
    StateInfo,
    StateTable,
    Transition,
    register,
)

# --- server -------------------------------------------------------------------

EXPECT_EHLO = "EXPECT_EHLO"
EXPECT_MAIL = "EXPECT_MAIL"
EXPECT_RCPT = "EXPECT_RCPT"
EXPECT_RCPT_OR_DATA = "EXPECT_RCPT_OR_DATA"
IN_DATA = "IN_DATA"
EXPECT_TLS = "EXPECT_TLS"
EXPECT_SASL_RESPONSE = "EXPECT_SASL_RESPONSE"
CLOSED = "CLOSED"

END_OF_DATA = "<CRLF>.<CRLF>"
TIMEOUT = "idle timeout"
SHUTDOWN = "shutdown"
TOO_MANY_ERRORS = "too many errors"
PEER_CLOSED = "peer closed"
TLS_UP = "TLS established"
TLS_FAILED = "TLS handshake failed"
# Inside an AUTH exchange (RFC 4954 4) a client line is no command: its answer to a 334
# challenge, or "*" to cancel; the mechanism's verdict then moves the machine by itself.
SASL_RESPONSE = "SASL response line"
SASL_CANCEL = "*"
SASL_OK = "authentication succeeded"
SASL_FAILED = "authentication failed"

_SERVER_STATES = [
    StateInfo(EXPECT_EHLO, "220 greeting sent; the client must say EHLO or HELO", "RFC 5321 3.1, 4.1.4"),
    StateInfo(EXPECT_MAIL, "Session open, no transaction; waiting for MAIL FROM", "RFC 5321 3.3"),
    StateInfo(EXPECT_RCPT, "MAIL accepted; waiting for the first accepted RCPT TO", "RFC 5321 3.3"),
    StateInfo(EXPECT_RCPT_OR_DATA, "At least one recipient accepted; more RCPT or DATA", "RFC 5321 3.3"),
    StateInfo(IN_DATA, "354 sent; reading the message up to CRLF.CRLF", "RFC 5321 4.1.1.4, 4.5.2"),
    StateInfo(EXPECT_TLS, "220 sent to STARTTLS; the TLS handshake comes next", "RFC 3207 4"),
    StateInfo(EXPECT_SASL_RESPONSE, "AUTH started; the client answers each 334 challenge with a base64 line "
                                    "(or * to cancel)", "RFC 4954 4"),
    StateInfo(CLOSED, "221 or 421 sent, or the peer went away", "RFC 5321 4.1.1.10, 3.8"),
]

_OPEN = [EXPECT_EHLO, EXPECT_MAIL, EXPECT_RCPT, EXPECT_RCPT_OR_DATA]


def _server_transitions() -> list[Transition]:
    rows: list[Transition] = []
    for s in _OPEN:
        rows += [
            Transition(s, "EHLO", EXPECT_MAIL, "greet", "RFC 5321 4.1.1.1", refused=s),
            Transition(s, "HELO", EXPECT_MAIL, "greet", "RFC 5321 4.1.1.1", refused=s),
        ]
    rows += [
        Transition(EXPECT_MAIL, "MAIL", EXPECT_RCPT, "start_mail", "RFC 5321 4.1.1.2", refused=EXPECT_MAIL),
        Transition(EXPECT_RCPT, "RCPT", EXPECT_RCPT_OR_DATA, "add_recipient", "RFC 5321 4.1.1.3",
                   refused=EXPECT_RCPT),
        Transition(EXPECT_RCPT_OR_DATA, "RCPT", EXPECT_RCPT_OR_DATA, "add_recipient", "RFC 5321 4.1.1.3",
                   refused=EXPECT_RCPT_OR_DATA),
        # RFC 5321 3.3 and RFC 2920 3.1: DATA with no accepted recipient gets 554.
        Transition(EXPECT_RCPT, "DATA", EXPECT_RCPT, "refuse_no_recipients", "RFC 5321 3.3"),
        Transition(EXPECT_RCPT_OR_DATA, "DATA", IN_DATA, "start_data", "RFC 5321 4.1.1.4",
                   refused=EXPECT_RCPT_OR_DATA),
        Transition(IN_DATA, END_OF_DATA, EXPECT_MAIL, "end_data", "RFC 5321 4.1.1.4"),
        # RFC 3207 4: STARTTLS after EHLO, outside a transaction; then the handshake,
        # after which the session starts again from EHLO (RFC 3207 4.2).
        Transition(EXPECT_MAIL, "STARTTLS", EXPECT_TLS, "start_tls", "RFC 3207 4", refused=EXPECT_MAIL),
        Transition(EXPECT_TLS, TLS_UP, EXPECT_EHLO, "tls_up", "RFC 3207 4.2"),
        Transition(EXPECT_TLS, TLS_FAILED, CLOSED, "tls_failed", "RFC 3207 4.1"),
        # RFC 4954 4: AUTH after EHLO and outside a transaction (a refusal: 501, 503, 504, 538);
        # each response line feeds the mechanism; its verdict is 235 or 535 (501 for bad base64).
        Transition(EXPECT_MAIL, "AUTH", EXPECT_SASL_RESPONSE, "start_auth", "RFC 4954 4", refused=EXPECT_MAIL),
        Transition(EXPECT_SASL_RESPONSE, SASL_RESPONSE, EXPECT_SASL_RESPONSE, "sasl_step", "RFC 4954 4"),
        Transition(EXPECT_SASL_RESPONSE, SASL_CANCEL, EXPECT_MAIL, "sasl_cancel", "RFC 4954 4"),
        Transition(EXPECT_SASL_RESPONSE, SASL_OK, EXPECT_MAIL, "sasl_ok", "RFC 4954 4, 6"),
        Transition(EXPECT_SASL_RESPONSE, SASL_FAILED, EXPECT_MAIL, "sasl_failed", "RFC 4954 4, 6"),
    ]
    for s in _OPEN:
        rows += [
            Transition(s, "RSET", EXPECT_EHLO if s == EXPECT_EHLO else EXPECT_MAIL, "reset", "RFC 5321 4.1.1.5",
                       refused=s),
            Transition(s, "NOOP", s, "noop", "RFC 5321 4.1.1.9"),
            Transition(s, "VRFY", s, "vrfy", "RFC 5321 3.5.3", refused=s),
            Transition(s, "HELP", s, "help", "RFC 5321 4.1.1.8"),
            Transition(s, "QUIT", CLOSED, "quit", "RFC 5321 4.1.1.10", refused=s),
            Transition(s, TOO_MANY_ERRORS, CLOSED, "close_errors", "RFC 5321 4.2.2 (421)"),
        ]
    for s in [*_OPEN, IN_DATA, EXPECT_TLS, EXPECT_SASL_RESPONSE]:
        rows += [
            Transition(s, TIMEOUT, CLOSED, "close_timeout", "RFC 5321 4.5.3.2"),
            Transition(s, SHUTDOWN, CLOSED, "close_shutdown", "RFC 5321 3.8"),
            Transition(s, PEER_CLOSED, CLOSED, "abandon", "RFC 5321 3.8"),
        ]
    return rows


_VERBS = ["EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "VRFY", "HELP", "QUIT", "STARTTLS", "AUTH"]
_SERVER_INPUTS = [
    *(InputInfo(v, InputKind.COMMAND, "a command line (RFC 5321 4.1)") for v in _VERBS),
    InputInfo(SASL_RESPONSE, InputKind.COMMAND, "a base64 line answering a 334 challenge (RFC 4954 4)"),
    InputInfo(SASL_CANCEL, InputKind.COMMAND, "a line holding only * cancels AUTH (RFC 4954 4)"),
    InputInfo(SASL_OK, InputKind.AUTOMATIC, "the mechanism accepted the client's proof (RFC 4954 4)"),
    InputInfo(SASL_FAILED, InputKind.AUTOMATIC, "the mechanism refused it, or a line was not base64 (RFC 4954 4)"),
    InputInfo(END_OF_DATA, InputKind.DATA_END, "the final dot of the message (RFC 5321 4.1.1.4)"),
    InputInfo(TIMEOUT, InputKind.TIMER, "no command within the server's timeout (RFC 5321 4.5.3.2)"),
    InputInfo(SHUTDOWN, InputKind.OPERATOR, "the service is stopping (RFC 5321 3.8)"),
    InputInfo(TOO_MANY_ERRORS, InputKind.LIMIT, "the client made too many errors (RFC 5321 4.2.2 421)"),
    InputInfo(PEER_CLOSED, InputKind.PEER, "the client closed the connection (RFC 5321 3.8)"),
    InputInfo(TLS_UP, InputKind.TLS, "the connection finished the TLS handshake (RFC 3207 4.2)"),
    InputInfo(TLS_FAILED, InputKind.TLS, "the TLS handshake failed (RFC 3207 4.1)"),
]

SERVER_TABLE = register(
    StateTable("smtp.server", EXPECT_EHLO, _SERVER_STATES, _server_transitions(), _SERVER_INPUTS)
)

# Verbs the server knows (RFC 5321 4.1) but does not offer: answered 502.
NOT_IMPLEMENTED_VERBS = frozenset(
    {"EXPN", "TURN", "ETRN", "ATRN", "BDAT", "SEND", "SOML", "SAML"}
)
KNOWN_VERBS = frozenset(SERVER_TABLE.inputs(InputKind.COMMAND)) - {SASL_RESPONSE, SASL_CANCEL}

# --- client -------------------------------------------------------------------

C_EXPECT_GREETING = "EXPECT_GREETING"
C_EXPECT_EHLO_REPLY = "EXPECT_EHLO_REPLY"
C_EXPECT_HELO_REPLY = "EXPECT_HELO_REPLY"
C_EXPECT_MAIL_REPLY = "EXPECT_MAIL_REPLY"
C_EXPECT_RCPT_REPLY = "EXPECT_RCPT_REPLY"
C_EXPECT_DATA_REPLY = "EXPECT_DATA_REPLY"
C_EXPECT_DATA_END_REPLY = "EXPECT_DATA_END_REPLY"
C_EXPECT_RSET_REPLY = "EXPECT_RSET_REPLY"
C_EXPECT_QUIT_REPLY = "EXPECT_QUIT_REPLY"
C_EXPECT_STARTTLS_REPLY = "EXPECT_STARTTLS_REPLY"
C_EXPECT_TLS = "EXPECT_TLS"
C_EXPECT_AUTH_REPLY = "EXPECT_AUTH_REPLY"
C_READY = "READY"
C_CLOSED = "CLOSED"
C_ERROR = "ERROR"

# Client inputs: the reply class, qualified where the next step depends on
# what is left to do. "next" = another message waits; "done" = none does.
OK_NEXT, OK_DONE = "2xx, next message", "2xx, no message left"
FAIL_NEXT, FAIL_DONE = "4xx/5xx, next message", "4xx/5xx, no message left"
EHLO_UNSUPPORTED = "500/502"  # RFC 5321 3.2: fall back to HELO
RCPT_MORE = "reply, more recipients due"
RCPT_LAST_OK = "last reply, some accepted"
RCPT_LAST_NONE = "last reply, none accepted"
RCPT_LAST_NONE_PIPELINED = "last reply, none accepted, DATA pipelined"
MAIL_FAIL_PIPELINED = "4xx/5xx, RCPT pipelined"
GO_AHEAD = "354"
ANY_FAIL = "4xx/5xx"
CONN_LOST = "connection lost"
# Where the next step waits for the user (a client driven with send()): nothing queued, no QUIT asked.
OK_IDLE, FAIL_IDLE = "2xx, nothing queued", "4xx/5xx, nothing queued"
SEND_MESSAGE = "message to send"  # send(SendMessage(...))
SEND_QUIT = "QUIT asked"  # send(Quit())
BAD_REPLY = "reply syntax broken"  # RemoteProtocolError: not an RFC 5321 4.2 reply
# STARTTLS and AUTH (RFC 3207, RFC 4954): what the EHLO reply means for a client that wants them.
STARTTLS_OFFERED = "2xx, STARTTLS offered"
TLS_NOT_OFFERED = "2xx, no STARTTLS, TLS required"  # RFC 3207 4: a required-TLS client gives up
AUTH_DUE = "2xx, AUTH due"
AUTH_NOT_OFFERED = "2xx, mechanism not offered"
TLS_REFUSED_OPTIONAL = "4xx/5xx, TLS optional"  # opportunistic TLS goes on in plaintext
CHALLENGE = "334"
AUTH_UNVERIFIED = "235, server not verified"  # SCRAM: the server never proved it knows the password

_CLIENT_STATES = [
    StateInfo(C_EXPECT_GREETING, "Connected; waiting for the 220 greeting", "RFC 5321 3.1"),
    StateInfo(C_EXPECT_EHLO_REPLY, "EHLO sent; waiting for the extension list", "RFC 5321 4.1.1.1"),
    StateInfo(C_EXPECT_HELO_REPLY, "HELO sent after EHLO was not understood", "RFC 5321 3.2"),
    StateInfo(C_EXPECT_MAIL_REPLY, "MAIL FROM sent", "RFC 5321 4.1.1.2"),
    StateInfo(C_EXPECT_RCPT_REPLY, "RCPT TO sent; reading one reply per recipient", "RFC 5321 4.1.1.3"),
    StateInfo(C_EXPECT_DATA_REPLY, "DATA sent; waiting for 354", "RFC 5321 4.1.1.4"),
    StateInfo(C_EXPECT_DATA_END_REPLY, "Message and final dot sent; waiting for the verdict", "RFC 5321 4.1.1.4"),
    StateInfo(C_EXPECT_RSET_REPLY, "Transaction abandoned; RSET sent", "RFC 5321 4.1.1.5"),
    StateInfo(C_EXPECT_QUIT_REPLY, "QUIT sent; waiting for 221", "RFC 5321 4.1.1.10"),
    StateInfo(C_EXPECT_STARTTLS_REPLY, "STARTTLS sent; waiting for 220", "RFC 3207 4"),
    StateInfo(C_EXPECT_TLS, "220 to STARTTLS; the connection runs the TLS handshake", "RFC 3207 4.1"),
    StateInfo(C_EXPECT_AUTH_REPLY, "AUTH sent; answering each 334 until 235 or a refusal", "RFC 4954 4"),
    StateInfo(C_READY, "Session open, nothing to send; waiting for a message or QUIT", "RFC 5321 3.3"),
    StateInfo(C_CLOSED, "Session over", "RFC 5321 3.8"),
    StateInfo(C_ERROR, "The server broke the reply syntax; the session is abandoned", "RFC 5321 4.2"),
]


def _client_transitions() -> list[Transition]:
    G, E, H = C_EXPECT_GREETING, C_EXPECT_EHLO_REPLY, C_EXPECT_HELO_REPLY
    M, RC, D = C_EXPECT_MAIL_REPLY, C_EXPECT_RCPT_REPLY, C_EXPECT_DATA_REPLY
    DE, RS, Q = C_EXPECT_DATA_END_REPLY, C_EXPECT_RSET_REPLY, C_EXPECT_QUIT_REPLY
    rows = [
        Transition(G, "2xx", E, "send_ehlo", "RFC 5321 3.1"),
        Transition(G, ANY_FAIL, Q, "give_up+send_quit", "RFC 5321 3.1"),
        Transition(E, STARTTLS_OFFERED, C_EXPECT_STARTTLS_REPLY, "send_starttls", "RFC 3207 4"),
        Transition(E, TLS_NOT_OFFERED, Q, "refuse_plaintext+send_quit", "RFC 3207 4"),
        Transition(E, AUTH_DUE, C_EXPECT_AUTH_REPLY, "send_auth", "RFC 4954 4"),
        Transition(E, AUTH_NOT_OFFERED, Q, "refuse_unauthenticated+send_quit", "RFC 4954 4"),
        Transition(H, TLS_NOT_OFFERED, Q, "refuse_plaintext+send_quit", "RFC 3207 4"),
        Transition(H, AUTH_NOT_OFFERED, Q, "refuse_unauthenticated+send_quit", "RFC 4954 4"),
        Transition(C_EXPECT_STARTTLS_REPLY, "2xx", C_EXPECT_TLS, "start_tls", "RFC 3207 4"),
        Transition(C_EXPECT_STARTTLS_REPLY, ANY_FAIL, Q, "give_up+send_quit", "RFC 3207 4"),
        # RFC 3207 4: "If the client receives the 454 response, the client must decide whether
        # or not to continue": opportunistic TLS goes on, after a fresh EHLO, in plaintext.
        Transition(C_EXPECT_STARTTLS_REPLY, TLS_REFUSED_OPTIONAL, E, "send_ehlo", "RFC 3207 4"),
        # RFC 3207 4.2: the client MUST discard what it knew and send EHLO again.
        Transition(C_EXPECT_TLS, TLS_UP, E, "send_ehlo", "RFC 3207 4.2"),
        Transition(C_EXPECT_TLS, TLS_FAILED, C_CLOSED, "fail_pending", "RFC 3207 4.1"),
        Transition(C_EXPECT_AUTH_REPLY, CHALLENGE, C_EXPECT_AUTH_REPLY, "send_sasl_response", "RFC 4954 4"),
        Transition(C_EXPECT_AUTH_REPLY, OK_NEXT, M, "authenticated+send_mail", "RFC 4954 4"),
        Transition(C_EXPECT_AUTH_REPLY, OK_DONE, Q, "authenticated+send_quit", "RFC 4954 4"),
        Transition(C_EXPECT_AUTH_REPLY, OK_IDLE, C_READY, "authenticated", "RFC 4954 4"),
        Transition(C_EXPECT_AUTH_REPLY, AUTH_UNVERIFIED, Q, "refuse_unverified+send_quit", "RFC 5802 9"),
        Transition(C_EXPECT_AUTH_REPLY, ANY_FAIL, Q, "give_up+send_quit", "RFC 4954 4"),
        Transition(E, OK_NEXT, M, "send_mail", "RFC 5321 4.1.1.1"),
        Transition(E, OK_DONE, Q, "send_quit", "RFC 5321 4.1.1.1"),
        Transition(E, EHLO_UNSUPPORTED, H, "send_helo", "RFC 5321 3.2"),
        Transition(E, ANY_FAIL, Q, "give_up+send_quit", "RFC 5321 3.2"),
        Transition(H, OK_NEXT, M, "send_mail", "RFC 5321 4.1.1.1"),
        Transition(H, OK_DONE, Q, "send_quit", "RFC 5321 4.1.1.1"),
        Transition(H, ANY_FAIL, Q, "give_up+send_quit", "RFC 5321 4.1.1.1"),
        Transition(M, "2xx", RC, "send_rcpt", "RFC 5321 4.1.1.2"),
        Transition(M, FAIL_NEXT, M, "fail_message+send_mail", "RFC 5321 4.1.1.2"),
        Transition(M, FAIL_DONE, Q, "fail_message+send_quit", "RFC 5321 4.1.1.2"),
        Transition(M, MAIL_FAIL_PIPELINED, RC, "fail_message", "RFC 2920 3.1"),
        Transition(RC, RCPT_MORE, RC, "send_rcpt", "RFC 5321 4.1.1.3"),
        Transition(RC, RCPT_LAST_OK, D, "send_data", "RFC 5321 4.1.1.4"),
        Transition(RC, RCPT_LAST_NONE, RS, "send_rset", "RFC 5321 3.3"),
        Transition(RC, RCPT_LAST_NONE_PIPELINED, D, "await_data_reply", "RFC 2920 3.1"),
        Transition(D, GO_AHEAD, DE, "send_message", "RFC 5321 4.1.1.4"),
        Transition(D, ANY_FAIL, RS, "fail_message+send_rset", "RFC 5321 4.1.1.4"),
        Transition(DE, OK_NEXT, M, "deliver+send_mail", "RFC 5321 4.1.1.4"),
        Transition(DE, OK_DONE, Q, "deliver+send_quit", "RFC 5321 4.1.1.4"),
        Transition(DE, FAIL_NEXT, M, "fail_message+send_mail", "RFC 5321 4.1.1.4"),
        Transition(DE, FAIL_DONE, Q, "fail_message+send_quit", "RFC 5321 4.1.1.4"),
        Transition(RS, OK_NEXT, M, "send_mail", "RFC 5321 4.1.1.5"),
        Transition(RS, OK_DONE, Q, "send_quit", "RFC 5321 4.1.1.5"),
        Transition(RS, ANY_FAIL, Q, "give_up+send_quit", "RFC 5321 4.1.1.5"),
        Transition(Q, "2xx", C_CLOSED, "close", "RFC 5321 4.1.1.10"),
        Transition(Q, ANY_FAIL, C_CLOSED, "close", "RFC 5321 4.1.1.10"),
    ]
    RD = C_READY
    rows += [
        Transition(E, OK_IDLE, RD, "idle", "RFC 5321 4.1.1.1"),
        Transition(H, OK_IDLE, RD, "idle", "RFC 5321 4.1.1.1"),
        Transition(M, FAIL_IDLE, RD, "fail_message", "RFC 5321 4.1.1.2"),
        Transition(DE, OK_IDLE, RD, "deliver", "RFC 5321 4.1.1.4"),
        Transition(DE, FAIL_IDLE, RD, "fail_message", "RFC 5321 4.1.1.4"),
        Transition(RS, OK_IDLE, RD, "idle", "RFC 5321 4.1.1.5"),
        Transition(RD, SEND_MESSAGE, M, "send_mail", "RFC 5321 3.3"),
        Transition(RD, SEND_QUIT, Q, "send_quit", "RFC 5321 4.1.1.10"),
    ]
    for s in [G, E, H, M, RC, D, DE, RS, Q, RD, C_EXPECT_STARTTLS_REPLY, C_EXPECT_TLS, C_EXPECT_AUTH_REPLY]:
        rows.append(Transition(s, CONN_LOST, C_CLOSED, "fail_pending", "RFC 5321 3.8"))
        rows.append(Transition(s, BAD_REPLY, C_ERROR, "fail_pending", "RFC 5321 4.2"))
        if s != Q:
            rows.append(Transition(s, "421", C_CLOSED, "fail_pending", "RFC 5321 3.8"))
    return rows


_CLIENT_INPUTS = [
    *(InputInfo(i, InputKind.REPLY, "a reply of the server (RFC 5321 4.2)") for i in (
        "2xx", ANY_FAIL, OK_NEXT, OK_DONE, FAIL_NEXT, FAIL_DONE, EHLO_UNSUPPORTED, RCPT_MORE,
        RCPT_LAST_OK, RCPT_LAST_NONE, RCPT_LAST_NONE_PIPELINED, MAIL_FAIL_PIPELINED, GO_AHEAD, "421",
        OK_IDLE, FAIL_IDLE, STARTTLS_OFFERED, TLS_NOT_OFFERED, AUTH_DUE, AUTH_NOT_OFFERED, TLS_REFUSED_OPTIONAL,
        CHALLENGE, AUTH_UNVERIFIED)),
    InputInfo(TLS_UP, InputKind.TLS, "the connection finished the TLS handshake (RFC 3207 4.2)"),
    InputInfo(TLS_FAILED, InputKind.TLS, "the TLS handshake failed; the connection is gone (RFC 3207 4.1)"),
    InputInfo(SEND_MESSAGE, InputKind.SEND, "the user hands over a message: send(SendMessage(...))"),
    InputInfo(SEND_QUIT, InputKind.SEND, "the user ends the session: send(Quit())"),
    InputInfo(CONN_LOST, InputKind.PEER, "the connection closed"),
    InputInfo(BAD_REPLY, InputKind.ERROR, "the server sent something that is not a reply (RFC 5321 4.2)"),
]

CLIENT_TABLE = register(
    StateTable("smtp.client", C_EXPECT_GREETING, _CLIENT_STATES, _client_transitions(), _CLIENT_INPUTS,
               error=C_ERROR)
)
