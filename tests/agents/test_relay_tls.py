"""The relay's STARTTLS between MTAs: opportunistic (RFC 7435, no certificate check), verify, none (RFC 3207)."""

from __future__ import annotations

import pytest

from simulator.agents.mitm import ManInTheMiddle
from simulator.agents.world import DEFAULT_SPEC, MailWorld, build_world
from simulator.protocols.smtp.client import OutgoingMessage
from simulator.security.mtasts import StsPolicy
from simulator.trace import (
    BytesSent,
    CheckStep,
    ConnectionOpened,
    DnsLookup,
    Note,
    QueueChanged,
    TlsFailed,
    TlsStarted,
)

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


def test_the_deferral_note_gives_the_whole_reason():
    w = world("verify", starttls=False)
    relay_once(w)
    notes = [e.text for e in w.trace.of_type(Note) if "did not send" in e.text]
    assert notes == ["mail.example.org did not send to mx.example.net: "
                     "TLS is required, but mx.example.net offered no STARTTLS"]


# --- MTA-STS (RFC 8461) ---------------------------------------------------------------------------------------

def sts_world(mode: str, *, mx: tuple[str, ...] = ("mx.example.net",), cert_fault: str = "",
              strip: bool = False) -> MailWorld:
    spec = DEFAULT_SPEC.copy()
    spec.starttls = True
    spec.mta_sts = [StsPolicy("example.net", "20260301", mode, mx, 604800)]
    if cert_fault:
        spec.certificate_faults = {"mx.example.net": cert_fault}
    w = build_world(spec)
    if strip:
        w.add_mitm(ManInTheMiddle("mallory-box", "mail.example.org", "mx.example.net", strip_starttls=True))
    relay_once(w)
    return w


def sts_steps(w: MailWorld) -> list[CheckStep]:
    return [e for e in w.trace.of_type(CheckStep) if e.check == "mta-sts"]


def test_the_policy_record_is_published_and_discovered():
    w = sts_world("enforce")
    assert w.net.dns.query("_mta-sts.example.net", "TXT").records == ("v=STSv1; id=20260301;",)
    lookups = [(e.name, e.rtype) for e in w.trace.of_type(DnsLookup) if e.asker == "mail.example.org"]
    assert ("_mta-sts.example.net", "TXT") in lookups
    texts = [s.text for s in sts_steps(w)]
    assert any("https://mta-sts.example.net/.well-known/mta-sts.txt" in t and "mode: enforce" in t for t in texts)


def test_enforce_with_valid_tls_delivers_and_passes():
    w = sts_world("enforce")
    assert inbox(w) == 1 and len(tls_on_relay(w)) == 1
    assert sts_steps(w)[-1].result == "pass"


@pytest.mark.parametrize("fault", ["self-signed", "wrong-name", "expired"])
def test_enforce_defers_on_a_bad_certificate(fault):
    w = sts_world("enforce", cert_fault=fault)
    assert inbox(w) == 0 and queue(w) == 1
    assert sts_steps(w)[-1].result == "fail" and "enforce" in sts_steps(w)[-1].text
    assert not any(p.startswith(b"MAIL FROM") for p in relay_plaintext(w))


def test_enforce_defers_when_a_man_in_the_middle_strips_starttls():
    w = sts_world("enforce", strip=True)
    assert inbox(w) == 0 and queue(w) == 1
    assert SECRET.encode() not in relay_wire(w)
    deferred = [e for e in w.trace.of_type(QueueChanged) if e.action == "deferred"]
    assert "4.7.4" in deferred[-1].detail


@pytest.mark.parametrize(("fault", "strip"), [("self-signed", False), ("", True)])
def test_testing_mode_delivers_and_records_the_failure(fault, strip):
    w = sts_world("testing", cert_fault=fault, strip=strip)
    assert inbox(w) == 1 and queue(w) == 0
    failed = [s for s in sts_steps(w) if s.result == "fail"]
    assert failed and "testing mode" in failed[-1].text
    assert len(relay_conns(w)) == 2  # the failed try, then delivery as without a policy


def test_enforce_never_uses_an_mx_the_policy_does_not_list():
    w = sts_world("enforce", mx=("*.mail.example.net",))
    assert inbox(w) == 0 and queue(w) == 1 and relay_conns(w) == set()
    assert any(s.result == "fail" and "matches no mx pattern" in s.text for s in sts_steps(w))


def test_wildcard_pattern_allows_the_mx():
    w = sts_world("enforce", mx=("*.example.net",))
    assert inbox(w) == 1 and sts_steps(w)[-1].result == "pass"


def test_mode_none_is_no_policy():
    w = sts_world("none", cert_fault="self-signed")
    assert inbox(w) == 1 and all(s.result in ("", "none") for s in sts_steps(w))


def test_without_any_policy_the_relay_looks_up_none():
    w = world("opportunistic")
    relay_once(w)
    assert not any(e.name.startswith("_mta-sts.") for e in w.trace.of_type(DnsLookup))
