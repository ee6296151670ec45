"""POP3 AUTH with every mechanism (RFC 5034 4), CAPA's SASL line (RFC 5034 3), and no plaintext before STLS.

The exchanges are RFC 5034 4's examples (AUTH PLAIN with user "test",
password "test", with and without an initial response), RFC 2195 2's
CRAM-MD5 (tim / tanstaaftanstaaf), and SCRAM-SHA-256 (RFC 7677) played by the
scramp package's client.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
import scramp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.protocols import sasl
from simulator.protocols.pop3 import states as S
from simulator.trace import CheckStep

PASSWORDS = {"test": "test", "tim": "tanstaaftanstaaf", "bob@example.net": "builder"}


class Rfc2195Rng:
    def randint(self, a: int, b: int) -> int:
        return 1896

    def hex(self, n: int) -> str:
        return "a1b2c3" * (n // 6) + "z" * (n % 6)


CONTEXT = sasl.ServerContext(hostname="postoffice.reston.mci.net", rng=Rfc2195Rng(), clock=lambda: 697170952.0)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def server(pop3, *lines: str, **config):
    store = pop3.make_store(*pop3.MESSAGES)
    for user in ("test", "tim"):
        store.add_user(user)
    config.setdefault("sasl_context", CONTEXT)
    return pop3.run_server(*lines, store=store, auth=pop3.Auth(dict(PASSWORDS)), **config)


def challenge(run) -> bytes:
    assert run.last.status == "+", run.last
    return base64.b64decode(run.last.line)


def capa(run) -> list[bytes]:
    run.send("CAPA")
    return list(run.last.body)


def test_rfc5034_4_example_auth_plain_after_an_empty_challenge(pop3):
    run = server(pop3, "AUTH PLAIN")
    assert run.output.endswith(b"+ \r\n") and run.state == S.EXPECT_SASL
    run.send("dGVzdAB0ZXN0AHRlc3Q=")  # "test\0test\0test"
    assert run.last.status == "+OK" and run.state == S.TRANSACTION and run.server.user == "test"


def test_rfc5034_4_example_auth_plain_with_an_initial_response(pop3):
    run = server(pop3, "AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=")
    assert run.last.status == "+OK" and run.state == S.TRANSACTION


def test_rfc5034_3_capa_lists_every_mechanism_auth_takes(pop3):
    assert b"SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256" in capa(server(pop3))
    assert b"SASL PLAIN SCRAM-SHA-256" in capa(server(pop3, mechanisms=("PLAIN", "SCRAM-SHA-256")))
    # Without a context (seeded randomness for the challenges) CRAM-MD5 and SCRAM are not offered.
    assert b"SASL PLAIN LOGIN" in capa(server(pop3, sasl_context=None))


def test_rfc2195_2_cram_md5_example_over_pop3(pop3):
    run = server(pop3, "AUTH CRAM-MD5")
    assert run.output.endswith(b"+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n")
    run.send("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw")
    assert run.last.status == "+OK" and run.server.user == "tim"


def test_login_mechanism_two_prompts(pop3):
    run = server(pop3, "AUTH LOGIN")
    assert challenge(run) == b"Username:"
    run.send(b64(b"bob@example.net"))
    assert challenge(run) == b"Password:"
    run.send(b64(b"builder"))
    assert run.last.status == "+OK" and run.state == S.TRANSACTION


@pytest.mark.parametrize("initial", [True, False])
def test_rfc7677_scram_sha_256_against_scramp(pop3, initial):
    client = scramp.ScramClient(["SCRAM-SHA-256"], "bob@example.net", "builder")
    first = b64(client.get_client_first().encode())
    run = server(pop3, f"AUTH SCRAM-SHA-256 {first}") if initial else server(pop3, "AUTH SCRAM-SHA-256", first)
    client.set_server_first(challenge(run).decode())
    run.send(b64(client.get_client_final().encode()))
    client.set_server_final(challenge(run).decode())  # scramp checks the ServerSignature (RFC 5802 9)
    assert run.state == S.EXPECT_SASL
    run.send("")  # the empty answer to the server's final data
    assert run.last.status == "+OK" and run.state == S.TRANSACTION
    assert any(isinstance(e, CheckStep) and e.text.startswith("StoredKey := H(ClientKey)") for e in run.events)


def test_wrong_passwords_are_err_auth(pop3):
    run = server(pop3, "AUTH CRAM-MD5")
    run.send(b64(sasl.CramMd5Client("tim", "guess").respond(challenge(run))))
    assert (run.last.status, run.last.resp_code) == ("-ERR", "AUTH") and run.state == S.AUTHORIZATION
    client = scramp.ScramClient(["SCRAM-SHA-256"], "bob@example.net", "guess")
    run = server(pop3, f"AUTH SCRAM-SHA-256 {b64(client.get_client_first().encode())}")
    client.set_server_first(challenge(run).decode())
    run.send(b64(client.get_client_final().encode()))
    assert run.last.resp_code == "AUTH" and "invalid-proof" in run.last.line
    assert run.state == S.AUTHORIZATION and not run.store.locked(pop3.BOB)


def test_rfc5034_4_star_cancels_with_err(pop3):
    run = server(pop3, "AUTH LOGIN", b64(b"bob@example.net"), "*")
    assert run.last.status == "-ERR" and run.last.line == "authentication cancelled by the client"
    assert run.state == S.AUTHORIZATION
    run.send("USER bob@example.net", "PASS builder")
    assert run.state == S.TRANSACTION  # commands again, not SASL lines


@pytest.mark.parametrize("line", ["not*base64", "=AAA", "AAA=BBB"])
def test_rfc5034_4_malformed_base64_is_err(pop3, line):
    run = server(pop3, "AUTH LOGIN", line)
    assert run.last.line == "the client response is not valid base64" and run.state == S.AUTHORIZATION
    run = server(pop3, f"AUTH PLAIN {line}")
    assert run.last.line == "the client response is not valid base64" and run.state == S.AUTHORIZATION


# --- no password in the clear before STLS (RFC 2595 4, RFC 8314; Dovecot's disable_plaintext_auth) ---


def test_before_stls_capa_hides_user_and_plain_and_user_is_refused(pop3):
    run = server(pop3, stls=True, plaintext_auth=False)
    listed = capa(run)
    assert b"USER" not in listed and b"STLS" in listed and b"SASL CRAM-MD5 SCRAM-SHA-256" in listed
    run.send("USER bob@example.net")
    assert run.last.line == "plaintext authentication disallowed on non-secure connections: use STLS first"
    assert run.last.resp_code == "" and run.state == S.AUTHORIZATION  # no [AUTH]: the credentials are not at fault
    run.send(f"AUTH PLAIN {b64(bytes(1) + b'bob@example.net' + bytes(1) + b'builder')}")
    assert run.last.status == "-ERR" and "use STLS first" in run.last.line and run.state == S.AUTHORIZATION


def test_after_stls_user_pass_and_plain_work(pop3):
    run = server(pop3, "STLS", stls=True, plaintext_auth=False)
    assert run.state == S.EXPECT_TLS
    run.server.take_controls()
    run.call("tls_established")
    listed = capa(run)
    assert b"USER" in listed and b"SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256" in listed and b"STLS" not in listed
    run.send("USER bob@example.net", "PASS builder")
    assert run.last.status == "+OK" and run.state == S.TRANSACTION


def test_pop3s_and_apop_are_not_plaintext(pop3):
    run = server(pop3, tls=True, plaintext_auth=False)
    assert b"USER" in capa(run)
    digest = hashlib.md5((pop3.STAMP + "builder").encode()).hexdigest()
    run = server(pop3, f"APOP bob@example.net {digest}", stls=True, plaintext_auth=False)
    assert run.state == S.TRANSACTION  # APOP sends a digest, never the password (RFC 1939 7)


SCRIPT = (b"AUTH CRAM-MD5\r\n*\r\nAUTH LOGIN\r\n" + b64(b"bob@example.net").encode() + b"\r\n!!\r\n"
          b"AUTH CRAM-MD5\r\ndGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\nSTAT\r\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=len(SCRIPT) - 1), max_size=12))
def test_any_chunking_of_an_auth_exchange_gives_the_same_output(pop3, cuts):
    points = sorted(set(cuts))
    chunks = [SCRIPT[a:b] for a, b in zip([0, *points], [*points, len(SCRIPT)], strict=True)]
    whole = server(pop3).feed(SCRIPT)
    assert server(pop3).feed(*chunks).output == whole.output
    assert [r.status for r in whole.replies] == ["+OK", "+", "-ERR", "+", "+", "-ERR", "+", "+OK", "+OK"]
