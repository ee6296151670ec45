"""The relay's STARTTLS between MTAs: opportunistic (RFC 7435, no certificate check), verify, none (RFC 3207)."""

from __future__ import annotations

import pytest

from simulator.agents.mitm import ManInTheMiddle
from simulator.agents.world import DEFAULT_SPEC, MailWorld, build_world
from simulator.protocols.smtp.client import OutgoingMessage
from simulator.trace import BytesSent, ConnectionOpened, QueueChanged, TlsFailed, TlsStarted

SECRET = "the launch code is 0000"


def world(policy: str, *, starttls: bool = True, cert_fault: str = "") -> MailWorld:
    spec = DEFAULT_SPEC.copy()
    spec.starttls, spec.relay_tls = starttls, policy
    if cert_fault:
        spec.certificate_faults = {"mx.example.net": cert_fault}
    return build_world(spec)


def relay_once(w: MailWorld) -> None:
    client = w.client("alice-laptop")
    data = client.compose(sender="alice@example.org", to=["bob@example.net"], subject="Hi", body=SECRET + "\n")
    assert client.submit("mail.example.org", [OutgoingMessage("alice@example.org", ["bob@example.net"], data)],
                         tls="none").connected
    w.run_queues()


def relay_conns(w: MailWorld) -> set[str]:
    return {e.conn for e in w.trace.of_type(ConnectionOpened)
            if e.client_host == "mail.example.org" and e.port == 25}


def tls_on_relay(w: MailWorld) -> list[TlsStarted]:
    conns = relay_conns(w)
    return [e for e in w.trace.of_type(TlsStarted) if e.conn in conns]


def relay_wire(w: MailWorld) -> bytes:
    conns = relay_conns(w)
    return b"".join(e.wire for e in w.trace.of_type(BytesSent) if e.conn in conns)


def relay_plaintext(w: MailWorld) -> list[bytes]:
    conns = relay_conns(w)
    return [e.plaintext for e in w.trace.of_type(BytesSent) if e.conn in conns]


def inbox(w: MailWorld) -> int:
    mh = w.mailhost_for("bob@example.net")
    assert mh is not None
    return len(mh.store.folder("bob@example.net").messages)


def queue(w: MailWorld) -> int:
    return len(w.mailhosts["mail.example.org"].queue)


def test_opportunistic_relay_uses_starttls_when_offered_and_ehlos_again():
    w = world("opportunistic")
    relay_once(w)
    assert inbox(w) == 1 and queue(w) == 0
    assert len(tls_on_relay(w)) == 1
    sent = relay_plaintext(w)
    assert b"STARTTLS\r\n" in sent
    assert [p for p in sent if p.startswith(b"EHLO ")] == [b"EHLO mail.example.org\r\n"] * 2  # RFC 3207 4.2
    wire = relay_wire(w)
    assert SECRET.encode() not in wire  # the eavesdropper on the hop sees records only
    assert any(SECRET.encode() in p for p in sent)  # while the endpoints exchanged the message


def test_opportunistic_relay_goes_on_in_plaintext_when_starttls_is_not_offered():
    w = world("opportunistic", starttls=False)
    relay_once(w)
    assert inbox(w) == 1 and tls_on_relay(w) == []
    assert SECRET.encode() in relay_wire(w)


@pytest.mark.parametrize("fault", ["self-signed", "wrong-name", "expired", "unknown-ca"])
def test_opportunistic_relay_checks_no_certificate(fault):
    # RFC 7435 1.3: encrypt without authenticating; a bad certificate still beats plaintext.
    w = world("opportunistic", cert_fault=fault)
    relay_once(w)
    assert inbox(w) == 1 and len(tls_on_relay(w)) == 1
    assert w.trace.of_type(TlsFailed) == []
    assert SECRET.encode() not in relay_wire(w)


def test_the_submission_client_still_verifies_with_the_same_certificate_fault():
    # Accepting any certificate is the relay's policy only: a MUA requiring TLS still checks the certificate
    # of its submission server and refuses a self-signed one.
    spec = DEFAULT_SPEC.copy()
    spec.starttls, spec.certificate_faults = True, {"mail.example.org": "self-signed"}
    w = build_world(spec)
    client = w.client("alice-laptop")
    data = client.compose(sender="alice@example.org", to=["bob@example.net"], subject="Hi", body="x\n")
    sent = client.submit("mail.example.org", [OutgoingMessage("alice@example.org", ["bob@example.net"], data)],
                         tls="required")
    [failed] = w.trace.of_type(TlsFailed)
    assert "self-signed" in failed.client_reason or "self signed" in failed.client_reason
    assert all(r.outcome != "delivered" for m in sent.results for r in m.recipients)


def test_none_policy_never_starttls():
    w = world("none")
    relay_once(w)
    assert inbox(w) == 1 and tls_on_relay(w) == []
    assert b"STARTTLS\r\n" not in relay_plaintext(w)


def test_verify_policy_delivers_over_tls_with_a_valid_certificate():
    w = world("verify")
    relay_once(w)
    assert inbox(w) == 1 and len(tls_on_relay(w)) == 1


@pytest.mark.parametrize("fault", ["self-signed", "wrong-name", "expired"])
def test_verify_policy_defers_on_a_bad_certificate_and_sends_nothing(fault):
    w = world("verify", cert_fault=fault)
    relay_once(w)
    assert inbox(w) == 0 and queue(w) == 1  # still queued, to be retried (a 4xx, not a bounce)
    [failed] = w.trace.of_type(TlsFailed)
    assert failed.client_reason
    deferred = [e for e in w.trace.of_type(QueueChanged) if e.action == "deferred"]
    assert deferred and "4.7.5" in deferred[-1].detail and "TLS handshake failed" in deferred[-1].detail
    assert not any(p.startswith(b"MAIL FROM") for p in relay_plaintext(w))


def test_verify_policy_defers_when_starttls_is_not_offered():
    w = world("verify", starttls=False)
    relay_once(w)
    assert inbox(w) == 0 and queue(w) == 1
    deferred = [e for e in w.trace.of_type(QueueChanged) if e.action == "deferred"]
    assert deferred and "4.7.4" in deferred[-1].detail
    assert not any(p.startswith(b"MAIL FROM") for p in relay_plaintext(w))
    assert w.mailhosts["mail.example.org"].queue  # nothing bounced: the entry waits


def _stripped(policy: str) -> MailWorld:
    w = world(policy)
    w.add_mitm(ManInTheMiddle("mallory-box", "mail.example.org", "mx.example.net", strip_starttls=True))
    relay_once(w)
    return w


def test_a_man_in_the_middle_strips_opportunistic_relay_tls_silently():
    w = _stripped("opportunistic")
    assert inbox(w) == 1 and tls_on_relay(w) == []
    assert SECRET.encode() in relay_wire(w)  # the attacker read the whole message


def test_verify_policy_is_not_fooled_by_a_stripped_starttls():
    w = _stripped("verify")
    assert inbox(w) == 0 and queue(w) == 1
    assert SECRET.encode() not in relay_wire(w)


def test_unknown_relay_policy_is_refused():
    from simulator.agents.relay import Relay

    w = world("opportunistic")
    with pytest.raises(ValueError, match="relay TLS policy 'maybe'"):
        Relay(w.mailhosts["mail.example.org"], w.mailhosts, tls="maybe")
