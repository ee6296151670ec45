"""SASL mechanisms against their RFCs' examples, against each other, and SCRAM against scramp."""

from __future__ import annotations

import base64
import random

import pytest
import scramp

from simulator.protocols import sasl
from simulator.protocols.sasl.cram_md5 import CramMd5Server, digest
from simulator.protocols.sasl.scram import ScramClient, ScramServer, salt_for


class Secrets:
    def __init__(self, **passwords: str) -> None:
        self.passwords = passwords

    def check_password(self, user: str, password: str) -> bool:
        return self.passwords.get(user) == password

    def shared_secret(self, user: str) -> str | None:
        return self.passwords.get(user)


class Rng(random.Random):
    def hex(self, n: int) -> str:
        return "".join(f"{self.getrandbits(4):x}" for _ in range(n))


def context(seed: int = 7, clock: float = 697170952.0, hostname: str = "postoffice.reston.mci.net"):
    return sasl.ServerContext(hostname=hostname, rng=Rng(seed), clock=lambda: clock)


USERS = Secrets(tim="tanstaaftanstaaf", user="pencil", alice="wonderland")


def run(server, client) -> sasl.SaslSuccess:
    """Play a whole exchange as a protocol machine would: initial response, then challenges."""
    result = server.step(client.initial_response())
    while not isinstance(result, sasl.SaslSuccess):
        result = server.step(client.respond(result))
    if result.server_final is not None:
        assert client.respond(result.server_final) == b""
    assert client.server_verified
    return result


# --- PLAIN (RFC 4616) -------------------------------------------------------------


def test_rfc4616_2_message_is_authzid_nul_authcid_nul_password():
    client = sasl.PlainClient("tim", "tanstaaftanstaaf")
    assert client.initial_response() == b"\0tim\0tanstaaftanstaaf"
    assert run(sasl.PlainServer(USERS), client).user == "tim"


def test_rfc4616_4_examples_authzid_other_user_refused_and_wrong_password():
    # RFC 4616 4: "Kurt" acting as "Ursel" -- a server may refuse it, and this one does.
    with pytest.raises(sasl.SaslFailure, match="may not act as"):
        sasl.PlainServer(USERS).step(b"Ursel\0Kurt\0xipj3plmq")
    with pytest.raises(sasl.SaslFailure, match="wrong"):
        sasl.PlainServer(USERS).step(b"\0tim\0wrong")
    with pytest.raises(sasl.SaslFailure, match="malformed"):
        sasl.PlainServer(USERS).step(b"tim tanstaaftanstaaf")


def test_rfc4616_2_no_initial_response_gets_an_empty_challenge():
    assert sasl.PlainServer(USERS).step(None) == b""


# --- LOGIN ------------------------------------------------------------------------


def test_login_prompts_username_then_password():
    server = sasl.LoginServer(USERS)
    assert server.step(None) == b"Username:"
    assert server.step(b"alice") == b"Password:"
    assert server.step(b"wonderland") == sasl.SaslSuccess("alice")


def test_login_user_name_as_initial_response_rfc4954_4():
    server = sasl.LoginServer(USERS)
    assert server.step(b"alice") == b"Password:"
    with pytest.raises(sasl.SaslFailure):
        server.step(b"builder")


def test_login_client_answers_in_order():
    assert run(sasl.LoginServer(USERS), sasl.LoginClient("alice", "wonderland")).user == "alice"


# --- CRAM-MD5 (RFC 2195) ----------------------------------------------------------


def test_rfc2195_2_example_digest():
    challenge = b"<1896.697170952@postoffice.reston.mci.net>"
    assert digest("tanstaaftanstaaf", challenge) == "b913a602c7eda7a495b4e6e7334d3890"
    assert sasl.CramMd5Client("tim", "tanstaaftanstaaf").respond(challenge) == \
        b"tim b913a602c7eda7a495b4e6e7334d3890"


def test_rfc2195_2_challenge_is_pid_clock_at_host_and_deterministic():
    first = CramMd5Server(USERS, context()).step(None)
    assert first == CramMd5Server(USERS, context()).step(None)
    assert first.startswith(b"<") and first.endswith(b".697170952@postoffice.reston.mci.net>")
    assert first[1:].split(b".")[0].isdigit()


def test_rfc2195_exchange_and_wrong_secret():
    assert run(CramMd5Server(USERS, context()), sasl.CramMd5Client("tim", "tanstaaftanstaaf")).user == "tim"
    server = CramMd5Server(USERS, context())
    challenge = server.step(None)
    with pytest.raises(sasl.SaslFailure, match="wrong"):
        server.step(sasl.CramMd5Client("tim", "guess").respond(challenge))
    unknown = CramMd5Server(USERS, context())
    challenge = unknown.step(None)
    with pytest.raises(sasl.SaslFailure, match="wrong"):  # no such user: the same words
        unknown.step(sasl.CramMd5Client("nobody", "x").respond(challenge))


# --- SCRAM-SHA-256 (RFC 7677, RFC 5802) ------------------------------------------

# RFC 7677 3: the example exchange for user "user", password "pencil".
C_NONCE = "rOprNGfwEbeRWgbNEkqO"
S_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
SERVER_FIRST = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
CLIENT_FINAL = (b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_rfc7677_3_example_client_side():
    client = ScramClient("user", "pencil", C_NONCE)
    assert client.initial_response() == CLIENT_FIRST
    assert client.respond(SERVER_FIRST) == CLIENT_FINAL
    assert client.respond(SERVER_FINAL) == b""
    assert client.server_verified


def test_rfc7677_3_example_server_side_and_derivation_steps():
    server = ScramServer(USERS, context(), salt=SALT, server_nonce=S_NONCE)
    assert server.step(CLIENT_FIRST) == SERVER_FIRST
    result = server.step(CLIENT_FINAL)
    assert result == sasl.SaslSuccess("user", SERVER_FINAL)
    names = [s.name for s in server.steps]
    for name in ("SaltedPassword", "ClientKey", "StoredKey", "ServerKey", "AuthMessage", "ClientSignature",
                 "ClientProof", "ServerSignature"):
        assert name in names
    proof = base64.b64decode(CLIENT_FINAL.rpartition(b"p=")[2])
    assert server.derivation.value("ClientProof") == proof
    assert server.derivation.value("ServerSignature") == base64.b64decode(SERVER_FINAL[2:])


def test_rfc5802_3_client_steps_agree_with_server_steps():
    client = ScramClient("user", "pencil", C_NONCE)
    client.respond(SERVER_FIRST)
    server = ScramServer(USERS, context(), salt=SALT, server_nonce=S_NONCE)
    server.step(CLIENT_FIRST)
    server.step(CLIENT_FINAL)
    for name in ("SaltedPassword", "ClientKey", "StoredKey", "ServerKey", "ClientSignature", "ClientProof",
                 "ServerSignature"):
        assert client.derivation.value(name) == server.derivation.value(name), name


def test_scram_salt_is_deterministic_from_seed_and_user():
    assert salt_for(b"s", "alice") == salt_for(b"s", "ALICE")
    assert salt_for(b"s", "alice") != salt_for(b"t", "alice") != salt_for(b"s", "bob")


def test_scramp_client_against_our_server():
    client = scramp.ScramClient(["SCRAM-SHA-256"], "alice", "wonderland", c_nonce="fyko+d2lbbFgONRv9qkxdawL")
    server = ScramServer(USERS, context())
    server_first = server.step(client.get_client_first().encode())
    client.set_server_first(server_first.decode())
    result = server.step(client.get_client_final().encode())
    assert isinstance(result, sasl.SaslSuccess) and result.user == "alice"
    client.set_server_final(result.server_final.decode())  # raises if our signature were wrong


def test_our_client_against_scramp_server():
    mech = scramp.ScramMechanism("SCRAM-SHA-256")
    auth_info = mech.make_auth_info("wonderland", iteration_count=4096, salt=salt_for(b"seed", "alice"))
    server = mech.make_server(lambda user: auth_info)
    client = ScramClient("alice", "wonderland", "0123456789abcdef")
    server.set_client_first(client.initial_response().decode())
    final = client.respond(server.get_server_first().encode())
    server.set_client_final(final.decode())
    assert client.respond(server.get_server_final().encode()) == b""
    assert client.server_verified


def test_scramp_client_wrong_password_is_refused():
    client = scramp.ScramClient(["SCRAM-SHA-256"], "alice", "guess")
    server = ScramServer(USERS, context())
    client.set_server_first(server.step(client.get_client_first().encode()).decode())
    with pytest.raises(sasl.SaslFailure, match="invalid-proof"):
        server.step(client.get_client_final().encode())


def test_scram_unknown_user_fails_like_a_wrong_password():
    server = ScramServer(USERS, context())
    client = ScramClient("nobody", "x", "abc")
    with pytest.raises(sasl.SaslFailure, match="invalid-proof"):
        server.step(client.respond(server.step(client.initial_response())))


def test_rfc5802_client_refuses_a_server_that_does_not_know_the_password():
    client = ScramClient("user", "pencil", C_NONCE)
    client.respond(SERVER_FIRST)
    with pytest.raises(sasl.SaslFailure, match="signature"):
        client.respond(b"v=" + base64.b64encode(b"\0" * 32))
    assert not client.server_verified


def test_rfc5802_7_channel_binding_p_refused_and_mandatory_extension_refused():
    with pytest.raises(sasl.SaslFailure, match="channel-binding"):
        ScramServer(USERS, context()).step(b"p=tls-unique,,n=user,r=abc")
    with pytest.raises(sasl.SaslFailure, match="extensions-not-supported"):
        ScramServer(USERS, context()).step(b"n,,m=x,n=user,r=abc")


def test_rfc5802_5_1_nonce_must_be_the_exchanges():
    server = ScramServer(USERS, context(), salt=SALT, server_nonce=S_NONCE)
    server.step(CLIENT_FIRST)
    with pytest.raises(sasl.SaslFailure, match="nonce"):
        server.step(CLIENT_FINAL.replace(b"k0,p=", b"k1,p="))


# --- the wire: base64 and "*" (RFC 4422 3.5, RFC 4954 4) ----------------------------------


def test_rfc4954_4_decode_cancel_malformed_and_empty_initial_response():
    assert sasl.decode_response("AHRpbQB0YW5zdGFhZnRhbnN0YWFm") == b"\0tim\0tanstaaftanstaaf"
    with pytest.raises(sasl.SaslCancelled):
        sasl.decode_response("*")
    with pytest.raises(sasl.MalformedResponse):
        sasl.decode_response("not base64!")
    with pytest.raises(sasl.MalformedResponse):
        sasl.decode_response("AHRpbQ")  # missing padding
    assert sasl.decode_response("=", initial=True) == b""
    assert sasl.encode(b"", initial=True) == "="
    assert sasl.encode(b"") == ""


def test_server_mechanism_registry_offers_only_what_is_asked():
    assert sasl.mechanisms() == ("PLAIN",)  # what server_mechanism takes when none is named
    with pytest.raises(KeyError):
        sasl.server_mechanism("CRAM-MD5", USERS)  # not offered by default
    with pytest.raises(KeyError):
        sasl.server_mechanism("SCRAM-SHA-256", USERS, offered=sasl.ALL)  # needs a context
    mech = sasl.server_mechanism("scram-sha-256", USERS, context(), offered=sasl.ALL)
    assert mech.name == "SCRAM-SHA-256"


@pytest.mark.parametrize("name", sasl.ALL)
def test_every_mechanism_client_against_server(name):
    server = sasl.server_mechanism(name, USERS, context(), offered=sasl.ALL)
    client = sasl.client_mechanism(name, "alice", "wonderland", nonce="n0nce")
    assert run(server, client).user == "alice"


@pytest.mark.parametrize("name", sasl.ALL)
def test_every_mechanism_refuses_a_wrong_password(name):
    server = sasl.server_mechanism(name, USERS, context(), offered=sasl.ALL)
    client = sasl.client_mechanism(name, "alice", "builder", nonce="n0nce")
    with pytest.raises(sasl.SaslFailure):
        run(server, client)


def test_available_leaves_out_plaintext_before_tls_and_challenges_without_a_context():
    ctx = context()
    assert sasl.available(sasl.ALL, tls=False, plaintext_auth=False, context=ctx) == ("CRAM-MD5", "SCRAM-SHA-256")
    assert sasl.available(sasl.ALL, tls=True, plaintext_auth=False, context=ctx) == sasl.ALL
    assert sasl.available(sasl.ALL, tls=False, plaintext_auth=True, context=None) == ("PLAIN", "LOGIN")
    assert sasl.available(("SCRAM-SHA-256", "GSSAPI"), tls=True, plaintext_auth=True, context=ctx) == (
        "SCRAM-SHA-256",)
