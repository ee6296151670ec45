"""The POP3 server and client state tables (RFC 1939, RFC 2449, RFC 5034), the one source of truth.

RFC 1939 3 names three states: AUTHORIZATION (the client identifies
itself), TRANSACTION (it works on the maildrop) and UPDATE (after QUIT: the
messages marked as deleted go, then the connection closes). The server table
adds the waits a line-by-line machine needs: after USER before PASS, inside
a SASL exchange (AUTH), and after STLS while TLS is set up; and CLOSED. A
command no row takes in the current state is answered ``-ERR`` and changes
nothing (RFC 1939 3: "a negative status indicator"). A row's ``refused``
branch is where a command answered ``-ERR`` leads. Every effect a row names
is a handler of the machine, listed in its table of handlers.
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

AUTHORIZATION = "AUTHORIZATION"
EXPECT_PASS = "EXPECT_PASS"
EXPECT_SASL = "EXPECT_SASL"
EXPECT_TLS = "EXPECT_TLS"
TRANSACTION = "TRANSACTION"
UPDATE = "UPDATE"
CLOSED = "CLOSED"

SASL_RESPONSE = "<base64 response>"  # a client line inside an AUTH exchange (RFC 5034 4)
SASL_CANCEL = "*"  # the client gives up the exchange (RFC 5034 4)
SASL_OK = "SASL success"
SASL_FAILED = "SASL failure"
UPDATED = "maildrop updated"
TIMEOUT = "idle timeout"
SHUTDOWN = "shutdown"
PEER_CLOSED = "peer closed"
TLS_UP = "TLS established"
TLS_FAILED = "TLS handshake failed"

_SERVER_STATES = [
    StateInfo(AUTHORIZATION, "+OK greeting sent; the client must identify itself (USER/PASS, APOP or AUTH)",
              "RFC 1939 4"),
    StateInfo(EXPECT_PASS, "USER accepted; PASS comes next (or QUIT)", "RFC 1939 7 (USER)"),
    StateInfo(EXPECT_SASL, "AUTH started; the client answers each + challenge with a base64 line", "RFC 5034 4"),
    StateInfo(EXPECT_TLS, "+OK sent to STLS; the TLS handshake comes next", "RFC 2595 4"),
    StateInfo(TRANSACTION, "Logged in, maildrop locked; the client reads and marks messages", "RFC 1939 4, 5"),
    StateInfo(UPDATE, "QUIT in TRANSACTION: the messages marked as deleted are removed", "RFC 1939 6"),
    StateInfo(CLOSED, "Session over; the maildrop lock is released", "RFC 1939 3, 6"),
]

_LOGIN_WAITS = [AUTHORIZATION, EXPECT_PASS]
_OPEN = [AUTHORIZATION, EXPECT_PASS, EXPECT_SASL, EXPECT_TLS, TRANSACTION]


def _server_transitions() -> list[Transition]:
    A, P, X, T = AUTHORIZATION, EXPECT_PASS, EXPECT_SASL, TRANSACTION
    rows: list[Transition] = []
    rows += [
        Transition(A, "USER", P, "user", "RFC 1939 7 (USER)", refused=A),
        Transition(A, "CAPA", A, "capa", "RFC 2449 5", refused=A),
        # RFC 1939 7: after a +OK to USER "the client may issue either the PASS command ...
        # or the QUIT command": nothing else until PASS is answered.
        *(Transition(s, "QUIT", CLOSED, "quit", "RFC 1939 4 (QUIT)", refused=s) for s in _LOGIN_WAITS),
        Transition(P, "PASS", T, "pass_", "RFC 1939 7 (PASS)", refused=A),
        Transition(A, "APOP", T, "apop", "RFC 1939 7 (APOP)", refused=A),
        Transition(A, "AUTH", X, "auth", "RFC 5034 4", refused=A),
        Transition(X, SASL_RESPONSE, X, "sasl_step", "RFC 5034 4"),
        Transition(X, SASL_CANCEL, A, "sasl_cancel", "RFC 5034 4"),
        Transition(X, SASL_OK, T, "sasl_ok", "RFC 5034 4", refused=A),
        Transition(X, SASL_FAILED, A, "sasl_failed", "RFC 5034 4"),
        Transition(A, "STLS", EXPECT_TLS, "stls", "RFC 2595 4", refused=A),
        Transition(EXPECT_TLS, TLS_UP, A, "tls_up", "RFC 2595 4"),
        Transition(EXPECT_TLS, TLS_FAILED, CLOSED, "tls_failed", "RFC 2595 4"),
        Transition(T, "STAT", T, "stat", "RFC 1939 5 (STAT)", refused=T),
        Transition(T, "LIST", T, "list_", "RFC 1939 5 (LIST)", refused=T),
        Transition(T, "RETR", T, "retr", "RFC 1939 5 (RETR)", refused=T),
        Transition(T, "DELE", T, "dele", "RFC 1939 5 (DELE)", refused=T),
        Transition(T, "NOOP", T, "noop", "RFC 1939 5 (NOOP)", refused=T),
        Transition(T, "RSET", T, "rset", "RFC 1939 5 (RSET)", refused=T),
        Transition(T, "TOP", T, "top", "RFC 1939 7 (TOP)", refused=T),
        Transition(T, "UIDL", T, "uidl", "RFC 1939 7 (UIDL)", refused=T),
        Transition(T, "CAPA", T, "capa", "RFC 2449 5", refused=T),
        Transition(T, "QUIT", UPDATE, "update", "RFC 1939 6", refused=T),
        Transition(UPDATE, UPDATED, CLOSED, "close", "RFC 1939 6"),
    ]
    for s in _OPEN:
        rows += [
            # RFC 1939 3: the autologout timer closes without a response and without UPDATE.
            Transition(s, TIMEOUT, CLOSED, "close_timeout", "RFC 1939 3"),
            Transition(s, SHUTDOWN, CLOSED, "close_shutdown", "RFC 3206 4 ([SYS/TEMP])"),
            # RFC 1939 6: a session that ends other than by QUIT removes nothing.
            Transition(s, PEER_CLOSED, CLOSED, "abandon", "RFC 1939 6"),
        ]
    return rows


COMMANDS = ("USER", "PASS", "APOP", "AUTH", "STLS", "CAPA", "STAT", "LIST", "RETR", "DELE", "NOOP",
            "RSET", "TOP", "UIDL", "QUIT")
_SERVER_INPUTS = [
    *(InputInfo(c, InputKind.COMMAND, "a command line (RFC 1939 3)") for c in COMMANDS),
    InputInfo(SASL_RESPONSE, InputKind.COMMAND, "the client's base64 answer to a + challenge (RFC 5034 4)"),
    InputInfo(SASL_CANCEL, InputKind.COMMAND, "the client cancels the AUTH exchange (RFC 5034 4)"),
    InputInfo(SASL_OK, InputKind.AUTOMATIC, "the SASL mechanism accepted the client (RFC 5034 4)"),
    InputInfo(SASL_FAILED, InputKind.AUTOMATIC, "the SASL mechanism refused the client (RFC 5034 4)"),
    InputInfo(UPDATED, InputKind.AUTOMATIC, "the deletions are done and answered; the server closes (RFC 1939 6)"),
    InputInfo(TIMEOUT, InputKind.TIMER, "no command within the autologout timer (RFC 1939 3)"),
    InputInfo(SHUTDOWN, InputKind.OPERATOR, "the service is stopping"),
    InputInfo(PEER_CLOSED, InputKind.PEER, "the client closed the connection (RFC 1939 6: nothing is deleted)"),
    InputInfo(TLS_UP, InputKind.TLS, "the connection finished the TLS handshake (RFC 2595 4)"),
    InputInfo(TLS_FAILED, InputKind.TLS, "the TLS handshake failed (RFC 2595 4)"),
]

SERVER_TABLE = register(
    StateTable("pop3.server", AUTHORIZATION, _SERVER_STATES, _server_transitions(), _SERVER_INPUTS)
)

KNOWN_COMMANDS = frozenset(COMMANDS)
# Commands other POP3 specifications define that this server does not offer: answered
# "-ERR ... not supported" rather than "unknown" (RFC 1081 RPOP, RFC 6856 UTF8 and LANG).
NOT_SUPPORTED = frozenset({"RPOP", "UTF8", "LANG"})

# --- client -------------------------------------------------------------------

C_EXPECT_GREETING = "EXPECT_GREETING"
C_AUTHORIZATION = "AUTHORIZATION"
C_EXPECT_USER_REPLY = "EXPECT_USER_REPLY"
C_EXPECT_LOGIN_REPLY = "EXPECT_LOGIN_REPLY"
C_EXPECT_SASL_REPLY = "EXPECT_SASL_REPLY"
C_EXPECT_CAPA_REPLY = "EXPECT_CAPA_REPLY"
C_TRANSACTION = "TRANSACTION"
C_EXPECT_RESPONSE = "EXPECT_RESPONSE"
C_EXPECT_QUIT_REPLY = "EXPECT_QUIT_REPLY"
C_EXPECT_STLS_REPLY = "EXPECT_STLS_REPLY"
C_EXPECT_TLS = "EXPECT_TLS"
C_CLOSED = "CLOSED"
C_ERROR = "ERROR"

OK = "+OK"
ERR = "-ERR"
CHALLENGE = "+ challenge"  # RFC 5034 4: "+" SP base64
ASK_LOGIN_USER = "USER/PASS login asked"  # send(Login(...))
ASK_LOGIN_APOP = "APOP login asked"  # send(Login(..., method="APOP"))
ASK_LOGIN_SASL = "AUTH login asked"  # send(Login(..., method="PLAIN")), or another SASL mechanism
AUTH_UNVERIFIED = "+OK, server not verified"  # SCRAM: the server never proved it knows the password
ASK_CAPA = "CAPA asked"  # send(Capa())
ASK_STLS = "STLS asked"  # send(Stls())
C_TLS_UP = "TLS established"
C_TLS_FAILED = "TLS handshake failed"
ASK_COMMAND = "command asked"  # send(Stat()), send(Retr(1)), ...
ASK_REFUSED = "action not possible now"  # a command before login, a second login, APOP with no timestamp
ASK_QUIT = "QUIT asked"  # send(Quit())
CONN_LOST = "connection lost"
BAD_REPLY = "response syntax broken"  # RemoteProtocolError: not an RFC 1939 3 response

_CLIENT_STATES = [
    StateInfo(C_EXPECT_GREETING, "Connected; waiting for the +OK greeting", "RFC 1939 4"),
    StateInfo(C_AUTHORIZATION, "Greeted, not logged in; waiting for the user to ask for a login", "RFC 1939 4"),
    StateInfo(C_EXPECT_USER_REPLY, "USER sent; PASS follows its +OK", "RFC 1939 7 (USER)"),
    StateInfo(C_EXPECT_LOGIN_REPLY, "PASS or APOP sent; waiting for the verdict", "RFC 1939 7"),
    StateInfo(C_EXPECT_SASL_REPLY, "AUTH sent; a + challenge to answer, or the verdict", "RFC 5034 4"),
    StateInfo(C_EXPECT_CAPA_REPLY, "CAPA sent before logging in; reading the capability list", "RFC 2449 5"),
    StateInfo(C_EXPECT_STLS_REPLY, "STLS sent; waiting for +OK", "RFC 2595 4"),
    StateInfo(C_EXPECT_TLS, "+OK to STLS; the connection runs the TLS handshake", "RFC 2595 4"),
    StateInfo(C_TRANSACTION, "Logged in; waiting for the user to ask for the next command", "RFC 1939 5"),
    StateInfo(C_EXPECT_RESPONSE, "A command sent in TRANSACTION; reading its response (multi-line ones to the dot)",
              "RFC 1939 3, 5"),
    StateInfo(C_EXPECT_QUIT_REPLY, "QUIT sent; waiting for the server to sign off", "RFC 1939 6"),
    StateInfo(C_CLOSED, "Session over", "RFC 1939 6"),
    StateInfo(C_ERROR, "The server broke the response syntax; the session is abandoned", "RFC 1939 3"),
]


def _client_transitions() -> list[Transition]:
    G, A, U, L = C_EXPECT_GREETING, C_AUTHORIZATION, C_EXPECT_USER_REPLY, C_EXPECT_LOGIN_REPLY
    S, K, T, R, Q = C_EXPECT_SASL_REPLY, C_EXPECT_CAPA_REPLY, C_TRANSACTION, C_EXPECT_RESPONSE, C_EXPECT_QUIT_REPLY
    rows = [
        Transition(G, OK, A, "greeted", "RFC 1939 4"),
        Transition(G, ERR, Q, "give_up+send_quit", "RFC 1939 4"),
        Transition(A, ASK_LOGIN_USER, U, "send_user", "RFC 1939 7 (USER)"),
        Transition(A, ASK_LOGIN_APOP, L, "send_apop", "RFC 1939 7 (APOP)"),
        Transition(A, ASK_LOGIN_SASL, S, "send_auth", "RFC 5034 4"),
        Transition(A, ASK_CAPA, K, "send_command", "RFC 2449 5"),
        # STLS (RFC 2595 4): on +OK the connection starts TLS; the client forgets the capabilities.
        Transition(A, ASK_STLS, C_EXPECT_STLS_REPLY, "send_command", "RFC 2595 4"),
        Transition(C_EXPECT_STLS_REPLY, OK, C_EXPECT_TLS, "record+start_tls", "RFC 2595 4"),
        Transition(C_EXPECT_STLS_REPLY, ERR, A, "record", "RFC 2595 4"),
        Transition(C_EXPECT_TLS, C_TLS_UP, A, "tls_up", "RFC 2595 4"),
        Transition(C_EXPECT_TLS, C_TLS_FAILED, C_CLOSED, "fail_pending", "RFC 2595 4"),
        # Before logging in only a login, CAPA or QUIT may be sent (RFC 1939 4); APOP needs the
        # greeting's timestamp (RFC 1939 7). Anything else fails here, unsent.
        Transition(A, ASK_REFUSED, A, "refuse_action", "RFC 1939 4"),
        Transition(A, ASK_QUIT, Q, "send_quit", "RFC 1939 4 (QUIT)"),
        Transition(U, OK, L, "send_pass", "RFC 1939 7 (PASS)"),
        Transition(U, ERR, A, "login_failed", "RFC 1939 7 (USER)"),
        Transition(L, OK, T, "logged_in", "RFC 1939 7"),
        Transition(L, ERR, A, "login_failed", "RFC 1939 7"),
        Transition(S, CHALLENGE, S, "send_sasl_response", "RFC 5034 4"),
        Transition(S, OK, T, "logged_in", "RFC 5034 4"),
        # A SCRAM login the server never proved (no valid v=): the client does not trust it, and leaves.
        Transition(S, AUTH_UNVERIFIED, Q, "refuse_unverified+send_quit", "RFC 5802 9"),
        Transition(S, ERR, A, "login_failed", "RFC 5034 4"),
        Transition(K, OK, A, "record", "RFC 2449 5"),
        Transition(K, ERR, A, "record", "RFC 2449 5"),
        # Logged in once, a second login is the user's mistake: refused unsent.
        Transition(T, ASK_REFUSED, T, "refuse_action", "RFC 1939 5"),
        Transition(T, ASK_CAPA, R, "send_command", "RFC 2449 5"),
        Transition(T, ASK_COMMAND, R, "send_command", "RFC 1939 5"),
        Transition(T, ASK_QUIT, Q, "send_quit", "RFC 1939 6"),
        Transition(R, OK, T, "record", "RFC 1939 5"),
        Transition(R, ERR, T, "record", "RFC 1939 5"),
        # A response nobody asked for while idle: the server is going away (shutdown, RFC 3206 4).
        Transition(A, ERR, C_CLOSED, "fail_pending", "RFC 3206 4"),
        Transition(T, ERR, C_CLOSED, "fail_pending", "RFC 3206 4"),
        Transition(Q, OK, C_CLOSED, "close", "RFC 1939 6"),
        Transition(Q, ERR, C_CLOSED, "close", "RFC 1939 6"),
    ]
    for s in [G, A, U, L, S, K, T, R, Q, C_EXPECT_STLS_REPLY, C_EXPECT_TLS]:
        rows.append(Transition(s, CONN_LOST, C_CLOSED, "fail_pending", "RFC 1939 6"))
        rows.append(Transition(s, BAD_REPLY, C_ERROR, "fail_pending", "RFC 1939 3"))
    return rows


_CLIENT_INPUTS = [
    InputInfo(OK, InputKind.REPLY, "a positive status indicator (RFC 1939 3)"),
    InputInfo(ERR, InputKind.REPLY, "a negative status indicator (RFC 1939 3)"),
    InputInfo(CHALLENGE, InputKind.REPLY, "a server challenge inside AUTH (RFC 5034 4)"),
    InputInfo(AUTH_UNVERIFIED, InputKind.REPLY, "+OK to a SCRAM AUTH whose server signature never came (RFC 5802 9)"),
    InputInfo(ASK_LOGIN_USER, InputKind.SEND, "the user asks to log in: send(Login(user, password))"),
    InputInfo(ASK_LOGIN_APOP, InputKind.SEND, "the user asks for an APOP login: send(Login(..., method='APOP'))"),
    InputInfo(ASK_LOGIN_SASL, InputKind.SEND,
              "the user asks for AUTH: send(Login(..., method='PLAIN')), or LOGIN, CRAM-MD5, SCRAM-SHA-256"),
    InputInfo(ASK_CAPA, InputKind.SEND, "the user asks for the capabilities: send(Capa())"),
    InputInfo(ASK_STLS, InputKind.SEND, "the client upgrades to TLS: send(Stls()) (RFC 2595 4)"),
    InputInfo(C_TLS_UP, InputKind.TLS, "the connection finished the TLS handshake STLS asked for"),
    InputInfo(C_TLS_FAILED, InputKind.TLS, "the TLS handshake failed; the connection is gone"),
    InputInfo(ASK_COMMAND, InputKind.SEND, "the user asks for a command: send(Stat()), send(Retr(1)), ..."),
    InputInfo(ASK_REFUSED, InputKind.SEND, "the user asks for something the session cannot do now"),
    InputInfo(ASK_QUIT, InputKind.SEND, "the user ends the session: send(Quit())"),
    InputInfo(CONN_LOST, InputKind.PEER, "the connection closed"),
    InputInfo(BAD_REPLY, InputKind.ERROR, "the server sent something that is not a POP3 response (RFC 1939 3)"),
]

CLIENT_TABLE = register(
    StateTable("pop3.client", C_EXPECT_GREETING, _CLIENT_STATES, _client_transitions(), _CLIENT_INPUTS,
               error=C_ERROR)
)
