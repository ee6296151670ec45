"""Alice's client submits with STARTTLS and SMTP AUTH through the real TLS layer (RFC 3207, RFC 4954, RFC 6409 4.3)."""

from __future__ import annotations

import base64

import pytest

from simulator.agents.mua import Credentials
from simulator.agents.world import DEFAULT_SPEC, build_world
from simulator.trace import BytesSent, CheckStep, StateChanged, TlsStarted

ALL = ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256")
PLAIN_BLOB = base64.b64encode(b"\0alice@example.org\0wonderland")  # what AUTH PLAIN sends
PASSWORD_B64 = b"d29uZGVybGFuZA"  # "wonderland" alone, as AUTH LOGIN sends it


def world(*, starttls: bool = True, plaintext_auth: bool = False, trusted: list[str] | None = None):
    spec = DEFAULT_SPEC.copy()
    spec.starttls, spec.submission_auth, spec.plaintext_auth = starttls, ALL, plaintext_auth
    spec.trusted_networks = trusted
    return build_world(spec)


def submit(w, *, tls: str = "opportunistic", mechanism: str | None = "PLAIN", password: str = "wonderland"):
    client = w.client("alice-laptop")
    data = client.compose(sender="alice@example.org", to=["bob@example.net"], subject="hi", body="hello")
    auth = Credentials("alice@example.org", password, mechanism) if mechanism else None
    return client.send("mail.example.org", 587, "alice@example.org", ["bob@example.net"], data, tls=tls, auth=auth)


def wire(w) -> bytes:
    return b"".join(e.wire for e in w.trace.of_type(BytesSent))


def outcomes(sent) -> list[str]:
    return [r.outcome for m in sent.results for r in m.recipients]


def test_rfc3207_rfc4954_starttls_then_auth_plain_the_eavesdropper_sees_no_password():
    w = world()
    sent = submit(w)
    assert sent.tls and sent.authenticated and outcomes(sent) == ["delivered"]
    assert PLAIN_BLOB not in wire(w) and b"wonderland" not in wire(w)
    assert any(PLAIN_BLOB in e.plaintext for e in w.trace.of_type(BytesSent))  # the endpoints saw it
    assert len(w.trace.of_type(TlsStarted)) == 1
    # RFC 3207 4.2: EHLO again after the handshake
    ehlos = [e for e in w.trace.of_type(BytesSent) if e.plaintext.startswith(b"EHLO ")]
    assert len(ehlos) == 2


def test_without_tls_the_eavesdropper_reads_the_base64_password():
    w = world(starttls=False, plaintext_auth=True)
    sent = submit(w, tls="none")
    assert not sent.tls and sent.authenticated
    assert PLAIN_BLOB in wire(w)
    assert base64.b64decode(PLAIN_BLOB).split(b"\0")[2] == b"wonderland"  # what the eavesdropper decodes
    w = world(starttls=False, plaintext_auth=True)
    submit(w, tls="none", mechanism="LOGIN")
    assert PASSWORD_B64 in wire(w)
    w = world()
    submit(w, mechanism="LOGIN")
    assert PASSWORD_B64 not in wire(w)


def test_rfc6409_4_3_submission_requires_auth_once_offered():
    w = world()
    sent = submit(w, mechanism=None)
    assert outcomes(sent) == ["failed"] and sent.results[0].recipients[0].reply.code == 530


def test_rfc6409_4_3_protected_subnetwork_is_a_world_option():
    w = world(trusted=["192.0.2.0/24"])
    assert outcomes(submit(w, mechanism=None)) == ["delivered"]


def test_rfc4954_6_wrong_password_535_and_the_client_quits():
    w = world()
    sent = submit(w, password="guess")
    assert not sent.authenticated and outcomes(sent) == ["failed"]
    assert sent.results[0].recipients[0].reply.code == 535


@pytest.mark.parametrize("mechanism", ALL)
def test_every_mechanism_logs_in_over_starttls(mechanism):
    w = world()
    sent = submit(w, mechanism=mechanism)
    assert sent.authenticated and outcomes(sent) == ["delivered"], sent


def test_scram_derivation_appears_as_steps_in_the_trace():
    w = world(starttls=False)
    sent = submit(w, tls="none", mechanism="SCRAM-SHA-256")
    assert sent.authenticated
    texts = [e.text for e in w.trace.of_type(CheckStep) if e.check == "scram"]
    assert [t.split(" :=")[0] for t in texts][:4] == ["SaltedPassword", "ClientKey", "StoredKey", "ServerKey"]
    assert b"wonderland" not in wire(w)


def test_plain_not_offered_before_tls_client_gives_up():
    w = world(starttls=False)
    sent = submit(w, tls="none", mechanism="PLAIN")
    assert not sent.authenticated and "does not offer AUTH PLAIN" in sent.error
    assert b"AUTH" not in b"".join(e.plaintext for e in w.trace.of_type(BytesSent) if e.direction == "c2s")


def test_rfc3207_4_required_tls_not_offered_quits_before_any_password():
    w = world(starttls=False, plaintext_auth=True)
    sent = submit(w, tls="required")
    assert not sent.tls and not sent.authenticated and "TLS is required" in sent.error
    client_bytes = b"".join(e.plaintext for e in w.trace.of_type(BytesSent) if e.direction == "c2s")
    assert b"AUTH" not in client_bytes and client_bytes.endswith(b"QUIT\r\n")


def test_required_tls_with_a_bad_certificate_never_sends_the_password():
    w = world()
    from simulator.security.pki import CertFault

    w.tls.faults["mail.example.org"] = CertFault("expired")
    sent = submit(w, tls="required")
    assert not sent.authenticated and "TLS handshake failed" in sent.error
    assert PLAIN_BLOB not in b"".join(e.plaintext for e in w.trace.of_type(BytesSent))
    client_states = [e.to_state for e in w.trace.of_type(StateChanged) if e.machine == "smtp.client"]
    assert client_states[-1] == "CLOSED"
