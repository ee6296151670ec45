"""AUTHENTICATE with every mechanism (RFC 9051 6.2.2, SASL-IR RFC 4959) and LOGINDISABLED (RFC 9051 6.2.3, 7.2.2).

The exchanges are those of the RFCs: RFC 9051 6.2.2's PLAIN example (user
"test", password "test"), RFC 2195 2's CRAM-MD5 example (tim /
tanstaaftanstaaf, the challenge <1896.697170952@postoffice.reston.mci.net>),
and SCRAM-SHA-256 (RFC 7677) played by the scramp package's client.
"""

from __future__ import annotations

import base64

import pytest
import scramp
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.mail.store import MailStore
from simulator.protocols import sasl
from simulator.protocols.imap import states as S
from simulator.protocols.imap.server import ImapServer, ImapServerConfig
from simulator.trace import CheckStep, StateChanged

PASSWORDS = {"test": "test", "tim": "tanstaaftanstaaf", "bob@example.net": "builder"}
RFC2195_HOST = "postoffice.reston.mci.net"


class Users:
    """The host: passwords, the store, no faults (an ImapPolicy and a sasl.SecretKeeper)."""

    def __init__(self) -> None:
        self.store = MailStore(RFC2195_HOST)
        for user in PASSWORDS:
            self.store.add_user(user)

    def check_password(self, user: str, password: str) -> bool:
        return PASSWORDS.get(user.lower()) == password

    def shared_secret(self, user: str) -> str | None:
        return PASSWORDS.get(user.lower())

    def now(self) -> float:
        return 697170952.0

    def fault(self, stage: str):
        return None


class Rfc2195Rng:
    """Makes the RFC 2195 2 challenge: its "pid" is 1896."""

    def randint(self, a: int, b: int) -> int:
        return 1896

    def hex(self, n: int) -> str:
        return "3rfcv1" * (n // 6) + "x" * (n % 6)


CONTEXT = sasl.ServerContext(hostname=RFC2195_HOST, rng=Rfc2195Rng(), clock=lambda: 697170952.0)


class Session:
    def __init__(self, **config) -> None:
        config.setdefault("sasl_context", CONTEXT)
        self.server = ImapServer(ImapServerConfig(hostname=RFC2195_HOST, **config), Users(), conn="c1")
        self.events = list(self.server.start())
        self.greeting = self.server.data_to_send().decode()

    def lines(self, line: str) -> list[str]:
        self.events += self.server.receive_data(line.encode() + b"\r\n")
        return self.server.data_to_send().decode().split("\r\n")[:-1]

    @property
    def state(self) -> str:
        return self.server.state


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(continuation: str) -> bytes:
    assert continuation.startswith("+ "), continuation
    return base64.b64decode(continuation[2:])


def test_rfc9051_6_2_2_example_plain_after_an_empty_challenge():
    s = Session()
    assert s.lines("A001 AUTHENTICATE PLAIN") == ["+ "]  # RFC 4616 2: an empty challenge asks for the message
    assert s.state == S.AUTHENTICATING
    out = s.lines("dGVzdAB0ZXN0AHRlc3Q=")  # "test\0test\0test", RFC 9051 6.2.2's example
    assert len(out) == 1 and out[0].startswith("A001 OK [CAPABILITY IMAP4rev2")
    assert "AUTH=" not in out[0]  # RFC 9051 6.2.2: the new capabilities, login mechanisms gone
    assert s.state == S.AUTHENTICATED and s.server.user == "test"


def test_rfc9051_6_2_2_example_wrong_credentials_are_no_authenticationfailed():
    s = Session()
    out = s.lines(f"A002 AUTHENTICATE PLAIN {b64(b'test' + bytes(1) + b'test' + bytes(1) + b'wrong')}")
    assert out[0].startswith("A002 NO [AUTHENTICATIONFAILED]")  # RFC 5530 3
    assert s.state == S.NOT_AUTHENTICATED


def test_rfc4959_3_sasl_ir_plain_and_the_empty_initial_response():
    s = Session()
    assert s.lines("a AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=")[0].startswith("a OK [CAPABILITY")
    s = Session()
    # RFC 4959 3: "=" is an initial response of zero octets; PLAIN cannot use one, so it fails.
    assert s.lines("b AUTHENTICATE PLAIN =")[0].startswith("b NO [AUTHENTICATIONFAILED]")


def test_rfc2195_2_cram_md5_example_over_imap():
    s = Session()
    assert "AUTH=CRAM-MD5" in s.greeting
    assert s.lines("A0001 AUTHENTICATE CRAM-MD5") == ["+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"]
    out = s.lines("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw")
    assert out[0].startswith("A0001 OK [CAPABILITY") and s.server.user == "tim"


def test_cram_md5_wrong_digest_is_no_and_an_initial_response_is_bad():
    s = Session()
    challenge = unb64(s.lines("a AUTHENTICATE CRAM-MD5")[0])
    wrong = sasl.CramMd5Client("tim", "guess").respond(challenge)
    assert s.lines(b64(wrong))[0].startswith("a NO [AUTHENTICATIONFAILED]")
    # RFC 9051 6.2.2: an initial response to a mechanism without one MUST get a tagged BAD.
    assert s.lines(f"b AUTHENTICATE CRAM-MD5 {b64(b'tim 0123')}")[0].startswith("b BAD ")
    assert s.state == S.NOT_AUTHENTICATED


def test_login_mechanism_asks_username_then_password():
    s = Session()
    assert s.lines("a AUTHENTICATE LOGIN") == [f"+ {b64(b'Username:')}"]
    assert s.lines(b64(b"bob@example.net")) == [f"+ {b64(b'Password:')}"]
    assert s.lines(b64(b"builder"))[0].startswith("a OK [CAPABILITY")
    assert s.state == S.AUTHENTICATED


def scram_session(*, initial: bool) -> tuple[Session, scramp.ScramClient, str]:
    s = Session()
    client = scramp.ScramClient(["SCRAM-SHA-256"], "bob@example.net", "builder")
    first = b64(client.get_client_first().encode())
    if initial:
        out = s.lines(f"a AUTHENTICATE SCRAM-SHA-256 {first}")
    else:
        assert s.lines("a AUTHENTICATE SCRAM-SHA-256") == ["+ "]
        out = s.lines(first)
    client.set_server_first(unb64(out[0]).decode())
    return s, client, b64(client.get_client_final().encode())


@pytest.mark.parametrize("initial", [True, False])
def test_rfc7677_scram_sha_256_against_scramp_with_and_without_sasl_ir(initial):
    s, client, final = scram_session(initial=initial)
    server_final = s.lines(final)
    # The server's v= goes in a last challenge; scramp checks the ServerSignature (RFC 5802 9).
    client.set_server_final(unb64(server_final[0]).decode())
    assert s.state == S.AUTHENTICATING
    assert s.lines("")[0].startswith("a OK [CAPABILITY") and s.state == S.AUTHENTICATED
    steps = [e.text for e in s.events if isinstance(e, CheckStep) and e.check == "scram"]
    assert any(t.startswith("SaltedPassword := Hi(") for t in steps)
    assert any(t.startswith("ServerSignature := HMAC(ServerKey, AuthMessage)") for t in steps)


def test_scram_wrong_password_and_a_non_empty_answer_to_the_server_final():
    s = Session()
    client = scramp.ScramClient(["SCRAM-SHA-256"], "bob@example.net", "guess")
    out = s.lines(f"a AUTHENTICATE SCRAM-SHA-256 {b64(client.get_client_first().encode())}")
    client.set_server_first(unb64(out[0]).decode())
    out = s.lines(b64(client.get_client_final().encode()))
    assert out[0].startswith("a NO [AUTHENTICATIONFAILED]") and "invalid-proof" in out[0]
    s, client, final = scram_session(initial=True)
    s.lines(final)
    assert s.lines(b64(b"more"))[0].startswith("a NO [AUTHENTICATIONFAILED]")
    assert s.state == S.NOT_AUTHENTICATED


def test_rfc9051_6_2_2_star_cancels_a_multi_step_exchange_with_bad():
    s, _, _ = scram_session(initial=True)
    assert s.lines("*") == ["a BAD AUTHENTICATE cancelled by the client (RFC 9051 6.2.2)"]
    assert s.state == S.NOT_AUTHENTICATED
    assert s.lines("b NOOP") == ["b OK NOOP completed"]  # commands again, not SASL lines


@pytest.mark.parametrize("line", ["not*base64", "=AAA", "AAA=BBB"])
def test_rfc9051_6_2_2_invalid_base64_is_bad_in_a_response_and_in_the_initial_response(line):
    s = Session()
    s.lines("a AUTHENTICATE LOGIN")
    assert s.lines(line) == ["a BAD The response is not valid base64 (RFC 9051 6.2.2)"]
    assert s.state == S.NOT_AUTHENTICATED
    assert s.lines(f"b AUTHENTICATE PLAIN {line}")[0].startswith("b BAD ")
    assert s.state == S.NOT_AUTHENTICATED


def test_the_verdict_rows_are_what_the_trace_shows():
    s = Session()
    s.lines("a AUTHENTICATE LOGIN")
    s.lines(b64(b"bob@example.net"))
    s.lines(b64(b"wrong"))
    moves = [(e.from_state, e.to_state, e.trigger) for e in s.events if isinstance(e, StateChanged)]
    assert moves == [(S.NOT_AUTHENTICATED, S.AUTHENTICATING, "AUTHENTICATE"),
                     (S.AUTHENTICATING, S.AUTHENTICATING, S.SASL_RESPONSE),  # the user name: Password: next
                     (S.AUTHENTICATING, S.AUTHENTICATING, S.SASL_RESPONSE),  # the password: the verdict follows
                     (S.AUTHENTICATING, S.NOT_AUTHENTICATED, S.SASL_FAILED)]


def test_unknown_and_unconfigured_mechanisms_are_no_cannot():
    s = Session(mechanisms=("PLAIN", "SCRAM-SHA-256"))
    assert "AUTH=PLAIN" in s.greeting and "AUTH=SCRAM-SHA-256" in s.greeting and "AUTH=CRAM-MD5" not in s.greeting
    assert s.lines("a AUTHENTICATE CRAM-MD5")[0].startswith("a NO [CANNOT] Unsupported")
    assert s.lines("b AUTHENTICATE GSSAPI")[0].startswith("b NO [CANNOT] Unsupported")
    # Without a context (no seeded randomness) the challenge-response mechanisms are not offered.
    s = Session(sasl_context=None)
    assert "AUTH=PLAIN" in s.greeting and "AUTH=SCRAM" not in s.greeting and "AUTH=CRAM" not in s.greeting


# --- LOGINDISABLED before TLS (RFC 9051 6.2.3, 7.2.2; RFC 3501 6.2.3, 7.2.1) ----------------


def caps(line: str) -> set[str]:
    return set(line.split("[CAPABILITY ", 1)[1].split("]", 1)[0].split())


def test_rfc9051_6_2_3_logindisabled_and_no_plaintext_mechanisms_before_starttls():
    s = Session(starttls=True, plaintext_auth=False)
    before = caps(s.greeting)
    assert {"STARTTLS", "LOGINDISABLED", "AUTH=CRAM-MD5", "AUTH=SCRAM-SHA-256"} <= before
    assert "AUTH=PLAIN" not in before and "AUTH=LOGIN" not in before
    out = s.lines("a LOGIN bob@example.net builder")
    assert out == ["a NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections: "
                   "use STARTTLS first"]  # RFC 5530 3
    assert s.lines(f"b AUTHENTICATE PLAIN {b64(bytes(1) + b'bob@example.net' + bytes(1) + b'builder')}")[0] \
        .startswith("b NO [PRIVACYREQUIRED]")
    assert s.state == S.NOT_AUTHENTICATED


def test_rfc9051_6_2_1_after_starttls_login_works_and_logindisabled_is_gone():
    s = Session(starttls=True, plaintext_auth=False)
    assert s.lines("a STARTTLS") == ["a OK Begin TLS negotiation now"]
    s.server.take_controls()
    s.events += s.server.tls_established()
    listed = s.lines("b CAPABILITY")[0]
    assert "LOGINDISABLED" not in listed and "STARTTLS" not in listed
    assert "AUTH=PLAIN" in listed and "AUTH=LOGIN" in listed
    assert s.lines("c LOGIN bob@example.net builder")[0].startswith("c OK [CAPABILITY")
    assert s.state == S.AUTHENTICATED


def test_implicit_tls_never_shows_logindisabled_and_plaintext_auth_true_never_does():
    assert "LOGINDISABLED" not in Session(tls=True, plaintext_auth=False).greeting
    s = Session(starttls=True, plaintext_auth=True)
    assert "LOGINDISABLED" not in s.greeting and "AUTH=PLAIN" in s.greeting
    assert s.lines("a LOGIN bob@example.net builder")[0].startswith("a OK")


# --- however the bytes are cut, the exchange is the same ------------------------------------

SCRIPT = (b"a AUTHENTICATE CRAM-MD5\r\n*\r\nb AUTHENTICATE LOGIN\r\n" + b64(b"bob@example.net").encode()
          + b"\r\n!!\r\nc AUTHENTICATE CRAM-MD5\r\ndGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\nd NOOP\r\n")


def replay(chunks: list[bytes]) -> bytes:
    s = Session()
    out = b""
    for chunk in chunks:
        s.server.receive_data(chunk)
        out += s.server.data_to_send()
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(SCRIPT) - 1), max_size=12))
def test_any_chunking_of_a_sasl_exchange_gives_the_same_output(cuts):
    points = sorted(set(cuts))
    chunks = [SCRIPT[a:b] for a, b in zip([0, *points], [*points, len(SCRIPT)], strict=True)]
    whole = replay([SCRIPT])
    assert replay(chunks) == whole
    lines = whole.decode().split("\r\n")
    assert lines[0].startswith("+ ") and lines[1].startswith("a BAD ")  # the cancel
    assert any(line.startswith("b BAD The response is not valid base64") for line in lines)
    assert any(line.startswith("c OK [CAPABILITY") for line in lines) and lines[-2] == "d OK NOOP completed"
