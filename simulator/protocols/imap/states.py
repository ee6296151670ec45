"""The IMAP server and client state tables (RFC 9051 3, 6), the one source of truth.

The server is in one of the states of RFC 9051 3 (Not Authenticated,
Authenticated, Selected, Logout), plus the states where it reads something
other than a command: the lines of an AUTHENTICATE exchange (6.2.2), the
``DONE`` that ends IDLE (6.3.13, RFC 2177) and the TLS handshake after
STARTTLS (6.2.1). A command that fails (``NO``, or ``BAD`` for its arguments)
takes its row's ``refused`` branch, which is where RFC 9051 says the session
stays: a failed SELECT in the Selected state leaves no mailbox selected
(6.3.2). A command no row takes in the current state is answered ``BAD``
(RFC 9051 7.1.3: "the command is ... invalid in the current state").
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

NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
AUTHENTICATING = "AUTHENTICATING"
AUTHENTICATED = "AUTHENTICATED"
SELECTED = "SELECTED"
IDLING = "IDLING"
IDLING_UNSELECTED = "IDLING_UNSELECTED"
EXPECT_TLS = "EXPECT_TLS"
LOGOUT = "LOGOUT"

SASL_RESPONSE = "SASL response line"
SASL_CANCEL = "*"  # RFC 9051 6.2.2: the client cancels the exchange
SASL_OK = "authentication succeeded"
SASL_FAILED = "authentication failed"
DONE = "DONE"
TIMEOUT = "autologout timer"
SHUTDOWN = "shutdown"
TOO_MANY_ERRORS = "too many errors"
PEER_CLOSED = "peer closed"
TLS_UP = "TLS established"
TLS_FAILED = "TLS handshake failed"
MAILBOX_GONE = "selected mailbox deleted"

_SERVER_STATES = [
    StateInfo(NOT_AUTHENTICATED, "Greeting sent; the client must log in (LOGIN or AUTHENTICATE)", "RFC 9051 3.1"),
    StateInfo(AUTHENTICATING, "AUTHENTICATE in progress; the next line is the client's SASL response", "RFC 9051 6.2.2"),
    StateInfo(AUTHENTICATED, "Logged in; no mailbox selected (SELECT, LIST, APPEND, ...)", "RFC 9051 3.2"),
    StateInfo(SELECTED, "A mailbox is selected; its messages can be fetched, searched, stored", "RFC 9051 3.3"),
    StateInfo(IDLING, "IDLE with a mailbox selected: changes are pushed until the client sends DONE",
              "RFC 9051 6.3.13, RFC 2177"),
    StateInfo(IDLING_UNSELECTED, "IDLE with no mailbox selected; waiting for DONE", "RFC 9051 6.3.13"),
    StateInfo(EXPECT_TLS, "OK sent to STARTTLS; the TLS handshake comes next", "RFC 9051 6.2.1"),
    StateInfo(LOGOUT, "BYE sent, or the client went away: the connection closes", "RFC 9051 3.4"),
]

ANY_STATE = [("CAPABILITY", "RFC 9051 6.1.1"), ("NOOP", "RFC 9051 6.1.2"), ("ID", "RFC 2971 3.1")]
NOT_AUTHENTICATED_COMMANDS = [("LOGIN", "RFC 9051 6.2.3"), ("AUTHENTICATE", "RFC 9051 6.2.2"),
                              ("STARTTLS", "RFC 9051 6.2.1")]
AUTHENTICATED_COMMANDS = [
    ("CREATE", "RFC 9051 6.3.4"), ("DELETE", "RFC 9051 6.3.5"),
    ("RENAME", "RFC 9051 6.3.6"), ("SUBSCRIBE", "RFC 9051 6.3.7"), ("UNSUBSCRIBE", "RFC 9051 6.3.8"),
    ("LIST", "RFC 9051 6.3.9, RFC 5258"), ("LSUB", "RFC 3501 6.3.9"), ("NAMESPACE", "RFC 9051 6.3.10"),
    ("STATUS", "RFC 9051 6.3.11"), ("APPEND", "RFC 9051 6.3.12"),
]
SELECTED_COMMANDS = [
    ("CHECK", "RFC 3501 6.4.1"), ("EXPUNGE", "RFC 9051 6.4.3"), ("SEARCH", "RFC 9051 6.4.4"),
    ("FETCH", "RFC 9051 6.4.5"), ("STORE", "RFC 9051 6.4.6"), ("COPY", "RFC 9051 6.4.7"),
    ("MOVE", "RFC 9051 6.4.8, RFC 6851"), ("UID FETCH", "RFC 9051 6.4.9"), ("UID SEARCH", "RFC 9051 6.4.9"),
    ("UID STORE", "RFC 9051 6.4.9"), ("UID COPY", "RFC 9051 6.4.9"), ("UID MOVE", "RFC 9051 6.4.9, RFC 6851"),
    ("UID EXPUNGE", "RFC 9051 6.4.9"),
]
UID_COMMANDS = frozenset(name.split(" ", 1)[1] for name, _ in SELECTED_COMMANDS if name.startswith("UID "))


def _server_transitions() -> list[Transition]:
    NA, AU, SE = NOT_AUTHENTICATED, AUTHENTICATED, SELECTED
    rows: list[Transition] = []
    for s in (NA, AU, SE):
        rows += [Transition(s, name, s, name.lower(), rfc, refused=s) for name, rfc in ANY_STATE]
        rows.append(Transition(s, "LOGOUT", LOGOUT, "logout", "RFC 9051 6.1.3", refused=s))
    rows += [
        Transition(NA, "LOGIN", AU, "login", "RFC 9051 6.2.3", refused=NA),
        Transition(NA, "AUTHENTICATE", AUTHENTICATING, "authenticate", "RFC 9051 6.2.2", refused=NA),
        # Each response line feeds the mechanism: it answers with one more "+" challenge, or its
        # verdict becomes the next, automatic input (as SMTP AUTH's, RFC 4954 4).
        Transition(AUTHENTICATING, SASL_RESPONSE, AUTHENTICATING, "sasl_step", "RFC 9051 6.2.2"),
        Transition(AUTHENTICATING, SASL_OK, AU, "sasl_ok", "RFC 9051 6.2.2", refused=NA),
        # RFC 9051 6.2.2: NO for wrong credentials ([AUTHENTICATIONFAILED], RFC 5530 3), BAD for a
        # line that is not base64.
        Transition(AUTHENTICATING, SASL_FAILED, NA, "sasl_failed", "RFC 9051 6.2.2", refused=NA),
        # RFC 9051 6.2.2: the server answers a cancelled exchange with a tagged BAD.
        Transition(AUTHENTICATING, SASL_CANCEL, NA, "sasl_cancel", "RFC 9051 6.2.2", refused=NA),
        Transition(NA, "STARTTLS", EXPECT_TLS, "starttls", "RFC 9051 6.2.1", refused=NA),
        Transition(EXPECT_TLS, TLS_UP, NA, "tls_up", "RFC 9051 6.2.1"),
        Transition(EXPECT_TLS, TLS_FAILED, LOGOUT, "tls_failed", "RFC 9051 6.2.1"),
    ]
    for s in (AU, SE):
        rows += [Transition(s, name, s, name.lower(), rfc, refused=s) for name, rfc in AUTHENTICATED_COMMANDS]
        # RFC 9051 6.3.2: a failed SELECT or EXAMINE leaves no mailbox selected.
        rows += [
            Transition(s, "SELECT", SE, "select", "RFC 9051 6.3.2", refused=AU),
            Transition(s, "EXAMINE", SE, "examine", "RFC 9051 6.3.3", refused=AU),
        ]
    # RFC 9051 6.3.1 (RFC 5161 3.1): ENABLE only before a mailbox is selected.
    rows.append(Transition(AU, "ENABLE", AU, "enable", "RFC 9051 6.3.1", refused=AU))
    # Another session deleted the selected mailbox: nothing is left to answer about (RFC 9051 7.1.5 BYE).
    rows += [Transition(s, MAILBOX_GONE, LOGOUT, "close_deleted", "RFC 9051 7.1.5") for s in (SE, IDLING)]
    rows += [
        Transition(AU, "IDLE", IDLING_UNSELECTED, "idle", "RFC 9051 6.3.13", refused=AU),
        Transition(SE, "IDLE", IDLING, "idle", "RFC 9051 6.3.13", refused=SE),
        # A line other than DONE ends IDLE too, with a BAD (RFC 2177 3 allows no other).
        Transition(IDLING, DONE, SE, "done", "RFC 9051 6.3.13", refused=SE),
        Transition(IDLING_UNSELECTED, DONE, AU, "done", "RFC 9051 6.3.13", refused=AU),
        Transition(SE, "CLOSE", AU, "close", "RFC 9051 6.4.1", refused=SE),
        Transition(SE, "UNSELECT", AU, "unselect", "RFC 9051 6.4.2", refused=SE),
    ]
    rows += [Transition(SE, name, SE, name.lower().replace(" ", "_"), rfc, refused=SE)
             for name, rfc in SELECTED_COMMANDS]
    for s in (NA, AU, SE):
        rows.append(Transition(s, TOO_MANY_ERRORS, LOGOUT, "close_errors", "RFC 9051 7.1.5 (BYE)"))
    for s in (NA, AUTHENTICATING, AU, SE, IDLING, IDLING_UNSELECTED, EXPECT_TLS):
        rows += [
            Transition(s, TIMEOUT, LOGOUT, "close_timeout", "RFC 9051 5.4"),
            Transition(s, SHUTDOWN, LOGOUT, "close_shutdown", "RFC 9051 7.1.5"),
            Transition(s, PEER_CLOSED, LOGOUT, "abandon", "RFC 9051 3.4"),
        ]
    return rows


COMMANDS = [name for name, _ in ANY_STATE] + ["LOGOUT"] + [name for name, _ in NOT_AUTHENTICATED_COMMANDS] + [
    "ENABLE", *(name for name, _ in AUTHENTICATED_COMMANDS)] + ["SELECT", "EXAMINE", "IDLE", "CLOSE", "UNSELECT"] + [
    name for name, _ in SELECTED_COMMANDS]

_SERVER_INPUTS = [
    *(InputInfo(c, InputKind.COMMAND, "a tagged command (RFC 9051 6)") for c in COMMANDS),
    InputInfo(SASL_RESPONSE, InputKind.COMMAND, "a base64 line answering the server's challenge (RFC 9051 6.2.2)"),
    InputInfo(SASL_CANCEL, InputKind.COMMAND, "a line holding only * cancels AUTHENTICATE (RFC 9051 6.2.2)"),
    InputInfo(SASL_OK, InputKind.AUTOMATIC, "the SASL mechanism accepted the client's proof (RFC 9051 6.2.2)"),
    InputInfo(SASL_FAILED, InputKind.AUTOMATIC,
              "the mechanism refused the client, or a line was not base64 (RFC 9051 6.2.2)"),
    InputInfo(DONE, InputKind.COMMAND, "the line DONE ends IDLE (RFC 2177 3)"),
    InputInfo(TIMEOUT, InputKind.TIMER, "no command for at least 30 minutes (RFC 9051 5.4)"),
    InputInfo(SHUTDOWN, InputKind.OPERATOR, "the service is stopping (RFC 9051 7.1.5)"),
    InputInfo(MAILBOX_GONE, InputKind.OPERATOR, "another session deleted the mailbox this one has selected"),
    InputInfo(TOO_MANY_ERRORS, InputKind.LIMIT, "the client sent too many invalid commands"),
    InputInfo(PEER_CLOSED, InputKind.PEER, "the client closed the connection"),
    InputInfo(TLS_UP, InputKind.TLS, "the connection finished the TLS handshake (RFC 9051 6.2.1)"),
    InputInfo(TLS_FAILED, InputKind.TLS, "the TLS handshake failed"),
]

SERVER_TABLE = register(
    StateTable("imap.server", NOT_AUTHENTICATED, _SERVER_STATES, _server_transitions(), _SERVER_INPUTS)
)

KNOWN_COMMANDS = frozenset(SERVER_TABLE.inputs(InputKind.COMMAND)) - {SASL_RESPONSE, SASL_CANCEL, DONE}
COMMAND_STATES = frozenset({NOT_AUTHENTICATED, AUTHENTICATED, SELECTED})  # where a line is a command

# --- client -------------------------------------------------------------------

C_EXPECT_GREETING = "EXPECT_GREETING"
C_NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
C_EXPECT_LOGIN = "EXPECT_LOGIN_RESULT"
C_AUTHENTICATED = "AUTHENTICATED"
C_EXPECT_SELECT = "EXPECT_SELECT_RESULT"
C_SELECTED = "SELECTED"
C_EXPECT_RESULT = "EXPECT_COMMAND_RESULT"
C_EXPECT_IDLE = "EXPECT_IDLE_CONTINUATION"
C_IDLING = "IDLING"
C_EXPECT_DONE = "EXPECT_IDLE_RESULT"
C_EXPECT_LOGOUT = "EXPECT_LOGOUT_RESULT"
C_EXPECT_STARTTLS = "EXPECT_STARTTLS_RESULT"
C_EXPECT_TLS = "EXPECT_TLS"
C_EXPECT_CAPABILITY = "EXPECT_CAPABILITY_RESULT"
C_LOGGED_OUT = "LOGGED_OUT"
C_ERROR = "ERROR"

GREETING_OK = "* OK greeting"
GREETING_PREAUTH = "* PREAUTH greeting"
BYE = "* BYE"
TAGGED_OK = "tagged OK"
TAGGED_FAIL = "tagged NO/BAD"
GO_AHEAD = "+ continuation"
AUTH_UNVERIFIED = "tagged OK, server not verified"  # SCRAM: the server never proved it knows the password
SEND_LOGIN = "login asked"
SEND_SELECT = "select asked"
SEND_COMMAND = "command asked"
SEND_IDLE = "idle asked"
SEND_DONE = "done asked"
SEND_LOGOUT = "logout asked"
SEND_STARTTLS = "starttls asked"
SEND_CAPABILITY = "capability asked"
C_TLS_UP = "TLS established"
C_TLS_FAILED = "TLS handshake failed"
CONN_LOST = "connection lost"
BAD_RESPONSE = "response syntax broken"

_CLIENT_STATES = [
    StateInfo(C_EXPECT_GREETING, "Connected; waiting for the server's greeting", "RFC 9051 7.1"),
    StateInfo(C_NOT_AUTHENTICATED, "Greeted; nothing asked yet, not logged in", "RFC 9051 3.1"),
    StateInfo(C_EXPECT_LOGIN, "LOGIN or AUTHENTICATE sent; answering any + challenge, then its tagged result",
              "RFC 9051 6.2.2, 6.2.3"),
    StateInfo(C_AUTHENTICATED, "Logged in, no mailbox selected; nothing asked", "RFC 9051 3.2"),
    StateInfo(C_EXPECT_SELECT, "SELECT or EXAMINE sent; reading the mailbox's data", "RFC 9051 6.3.2"),
    StateInfo(C_SELECTED, "A mailbox is selected; nothing asked", "RFC 9051 3.3"),
    StateInfo(C_EXPECT_RESULT, "A command sent in the selected state; reading its responses", "RFC 9051 6.4"),
    StateInfo(C_EXPECT_IDLE, "IDLE sent; waiting for the + continuation", "RFC 2177 3"),
    StateInfo(C_IDLING, "Idling: the server pushes EXISTS, EXPUNGE, FETCH until DONE", "RFC 2177 3"),
    StateInfo(C_EXPECT_DONE, "DONE sent; waiting for IDLE's tagged result", "RFC 2177 3"),
    StateInfo(C_EXPECT_LOGOUT, "LOGOUT sent; waiting for BYE and the tagged OK", "RFC 9051 6.1.3"),
    StateInfo(C_EXPECT_STARTTLS, "STARTTLS sent; waiting for its tagged result", "RFC 9051 6.2.1"),
    StateInfo(C_EXPECT_TLS, "OK to STARTTLS; the connection runs the TLS handshake", "RFC 9051 6.2.1"),
    StateInfo(C_EXPECT_CAPABILITY, "CAPABILITY sent before login; reading the capability list", "RFC 9051 6.1.1"),
    StateInfo(C_LOGGED_OUT, "Session over", "RFC 9051 3.4"),
    StateInfo(C_ERROR, "The server broke the response syntax; the session is abandoned", "RFC 9051 7"),
]


def _client_transitions() -> list[Transition]:
    G, NA, EL, AU = C_EXPECT_GREETING, C_NOT_AUTHENTICATED, C_EXPECT_LOGIN, C_AUTHENTICATED
    ES, SE, ER, EI = C_EXPECT_SELECT, C_SELECTED, C_EXPECT_RESULT, C_EXPECT_IDLE
    ID, ED, EO, OUT = C_IDLING, C_EXPECT_DONE, C_EXPECT_LOGOUT, C_LOGGED_OUT
    ET, TL, EC = C_EXPECT_STARTTLS, C_EXPECT_TLS, C_EXPECT_CAPABILITY
    rows = [
        # STARTTLS (RFC 9051 6.2.1): on OK the connection starts TLS; then the client forgets what it
        # was told of the capabilities and asks again with CAPABILITY (6.1.1).
        Transition(NA, SEND_STARTTLS, ET, "send_command", "RFC 9051 6.2.1"),
        Transition(ET, TAGGED_OK, TL, "start_tls", "RFC 9051 6.2.1"),
        Transition(ET, TAGGED_FAIL, NA, "failed", "RFC 9051 6.2.1"),
        Transition(TL, C_TLS_UP, NA, "tls_up", "RFC 9051 6.2.1"),
        Transition(TL, C_TLS_FAILED, OUT, "lost", "RFC 9051 6.2.1"),
        Transition(NA, SEND_CAPABILITY, EC, "send_command", "RFC 9051 6.1.1"),
        Transition(EC, TAGGED_OK, NA, "completed", "RFC 9051 6.1.1"),
        Transition(EC, TAGGED_FAIL, NA, "failed", "RFC 9051 6.1.1"),
        Transition(G, GREETING_OK, NA, "greeted", "RFC 9051 7.1.1"),
        Transition(G, GREETING_PREAUTH, AU, "greeted", "RFC 9051 7.1.4"),
        Transition(NA, SEND_LOGIN, EL, "send_login", "RFC 9051 6.2.3"),
        Transition(EL, TAGGED_OK, AU, "logged_in", "RFC 9051 6.2.3"),
        Transition(EL, TAGGED_FAIL, NA, "failed", "RFC 9051 6.2.3"),
        # AUTHENTICATE (RFC 9051 6.2.2): each "+" challenge gets the mechanism's answer (or "*").
        Transition(EL, GO_AHEAD, EL, "send_sasl_response", "RFC 9051 6.2.2"),
        # A SCRAM login the server never proved (no valid v=): the client does not trust it, and leaves.
        Transition(EL, AUTH_UNVERIFIED, C_EXPECT_LOGOUT, "refuse_unverified", "RFC 5802 9"),
        Transition(AU, SEND_SELECT, ES, "send_select", "RFC 9051 6.3.2"),
        Transition(SE, SEND_SELECT, ES, "send_select", "RFC 9051 6.3.2"),
        Transition(ES, TAGGED_OK, SE, "selected", "RFC 9051 6.3.2"),
        Transition(ES, TAGGED_FAIL, AU, "failed", "RFC 9051 6.3.2"),
        Transition(SE, SEND_COMMAND, ER, "send_command", "RFC 9051 6.4"),
        Transition(ER, TAGGED_OK, SE, "completed", "RFC 9051 6.4"),
        Transition(ER, TAGGED_FAIL, SE, "failed", "RFC 9051 6.4"),
        Transition(SE, SEND_IDLE, EI, "send_idle", "RFC 2177 3"),
        Transition(EI, GO_AHEAD, ID, "idling", "RFC 2177 3"),
        Transition(EI, TAGGED_FAIL, SE, "failed", "RFC 2177 3"),
        Transition(ID, SEND_DONE, ED, "send_done", "RFC 2177 3"),
        Transition(ED, TAGGED_OK, SE, "completed", "RFC 2177 3"),
        Transition(ED, TAGGED_FAIL, SE, "failed", "RFC 2177 3"),
        Transition(EO, BYE, EO, "bye", "RFC 9051 6.1.3"),
        Transition(EO, TAGGED_OK, OUT, "logged_out", "RFC 9051 6.1.3"),
        Transition(EO, TAGGED_FAIL, OUT, "logged_out", "RFC 9051 6.1.3"),
    ]
    for s in (NA, AU, SE):
        rows.append(Transition(s, SEND_LOGOUT, EO, "send_logout", "RFC 9051 6.1.3"))
    for s in (G, NA, EL, AU, ES, SE, ER, EI, ID, ED, EO, ET, TL, EC):
        rows.append(Transition(s, CONN_LOST, OUT, "lost", "RFC 9051 3.4"))
        rows.append(Transition(s, BAD_RESPONSE, C_ERROR, "lost", "RFC 9051 7"))
        if s != EO:
            rows.append(Transition(s, BYE, OUT, "bye", "RFC 9051 7.1.5"))
    return rows


_CLIENT_INPUTS = [
    *(InputInfo(i, InputKind.REPLY, "a response of the server (RFC 9051 7)") for i in (
        GREETING_OK, GREETING_PREAUTH, BYE, TAGGED_OK, TAGGED_FAIL, GO_AHEAD, AUTH_UNVERIFIED)),
    InputInfo(SEND_LOGIN, InputKind.SEND, "the user logs in: send(Login(...)) or send(Authenticate(...))"),
    InputInfo(SEND_SELECT, InputKind.SEND, "the user opens a mailbox: send(Select(...))"),
    InputInfo(SEND_COMMAND, InputKind.SEND, "the user asks for FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE, NOOP"),
    InputInfo(SEND_IDLE, InputKind.SEND, "the user waits for news: send(Idle())"),
    InputInfo(SEND_DONE, InputKind.SEND, "the user ends IDLE: send(Done())"),
    InputInfo(SEND_LOGOUT, InputKind.SEND, "the user ends the session: send(Logout())"),
    InputInfo(SEND_STARTTLS, InputKind.SEND, "the client upgrades to TLS: send(StartTls()) (RFC 9051 6.2.1)"),
    InputInfo(SEND_CAPABILITY, InputKind.SEND, "the client asks what the server offers: send(Capability())"),
    InputInfo(C_TLS_UP, InputKind.TLS, "the connection finished the TLS handshake STARTTLS asked for"),
    InputInfo(C_TLS_FAILED, InputKind.TLS, "the TLS handshake failed; the connection is gone"),
    InputInfo(CONN_LOST, InputKind.PEER, "the connection closed"),
    InputInfo(BAD_RESPONSE, InputKind.ERROR, "the server sent something that is not a response (RFC 9051 7)"),
]

CLIENT_TABLE = register(
    StateTable("imap.client", C_EXPECT_GREETING, _CLIENT_STATES, _client_transitions(), _CLIENT_INPUTS,
               error=C_ERROR)
)
