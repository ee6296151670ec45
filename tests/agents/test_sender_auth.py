"""Sender authentication across the hops: mail.example.org signs on submission, mx.example.net checks
SPF (HELO and MAIL FROM, RFC 7208 2.3, 2.4), DKIM (RFC 6376 6) and DMARC (RFC 9989) at the end of DATA,
every step in the trace, writes Authentication-Results (RFC 8601) and carries out the DMARC disposition."""

from __future__ import annotations

from simulator.agents.faults import BodyChange
from simulator.agents.senderauth import author_domain
from simulator.agents.world import DEFAULT_SPEC, MailWorld, build_world
from simulator.mail.message import parse_message
from simulator.protocols.smtp.client import OutgoingMessage
from simulator.protocols.smtp.replies import Reply
from simulator.security import authresults
from simulator.security.dkim import DkimVerifier
from simulator.security.keys import ED25519_SHA256
from simulator.trace import CheckStep, DnsLookup, Event, FaultInjected, MailboxChanged

BODY = "Hi Bob,\nare you free for lunch on Friday?\nAlice\n"


def submit(world: MailWorld, body: str = BODY) -> None:
    client = world.client("alice-laptop")
    data = client.compose(sender="alice@example.org", to=["bob@example.net"], subject="Lunch", body=body)
    assert client.submit("mail.example.org", [OutgoingMessage("alice@example.org", ["bob@example.net"], data)]).connected


def delivered(world: MailWorld, user: str = "bob@example.net", folder: str = "INBOX") -> list[bytes]:
    mh = world.mailhost_for(user)
    assert mh is not None
    return [m.data for m in mh.store.folder(user, folder).messages]


def checks(world: MailWorld, host: str, check: str = "") -> list[CheckStep]:
    return [e for e in world.trace.events if isinstance(e, CheckStep) and e.host == host
            and (not check or e.check == check)]


def zone(world: MailWorld, name: str, rtype: str) -> list[str]:
    return [r.value for r in world.net.dns.records if r.name == name and r.rtype == rtype]


def send_direct(world: MailWorld, host: str, mail_from: str, data: bytes) -> Reply:
    """``host`` speaks to Bob's MX itself, as a spammer's server does; the reply to the final dot."""
    result = world.client(host).send("mx.example.net", 25, mail_from, ["bob@example.net"], data)
    (message,) = result.results
    (recipient,) = message.recipients
    return recipient.reply


def results_of(raw: bytes) -> dict[str, list[str]]:
    """Authentication-Results read back (RFC 8601): method -> results, in order."""
    field = parse_message(raw)["Authentication-Results"]
    parsed = authresults.parse(str(field))
    assert parsed.authserv_id == "mx.example.net"
    out: dict[str, list[str]] = {}
    for r in parsed.results:
        out.setdefault(r.method, []).append(r.result)
    return out


SPOOF = (b"From: CEO <ceo@example.org>\r\nTo: bob@example.net\r\nSubject: Urgent transfer\r\n"
         b"Date: Mon, 02 Mar 2026 09:00:00 +0000\r\nMessage-ID: <x1@evil.example>\r\n\r\nPay now.\r\n")


def verdicts(world: MailWorld, host: str) -> list[tuple[str, str]]:
    return [(e.check, e.result) for e in checks(world, host) if e.result]


def test_the_default_world_publishes_a_dkim_key_for_each_domain() -> None:
    world = build_world()
    for domain in ("example.org", "example.net", "evil.example"):
        (record,) = zone(world, f"s1._domainkey.{domain}", "TXT")
        assert record.startswith("v=DKIM1; k=rsa; p=MII")  # RFC 6376 3.6.1
    # the SPF record of example.org names the relay's own address, so the direct hop passes
    assert zone(world, "example.org", "TXT") == ["v=spf1 ip4:192.0.2.25 -all"]
    assert world.net.host("mail.example.org").addresses == ["192.0.2.25"]


def test_submission_signs_once_under_the_msa_received_field() -> None:
    world = build_world()
    submit(world)
    (entry,) = world.mailhosts["mail.example.org"].queue.entries.values()
    names = [line.split(b":")[0] for line in entry.data.split(b"\r\n") if line[:1] not in (b" ", b"\t")]
    assert names[:3] == [b"Received", b"DKIM-Signature", b"From"]  # signed before anything else sees it
    assert names.count(b"DKIM-Signature") == 1
    steps = checks(world, "mail.example.org", "dkim")
    assert steps[0].text.startswith("signing for d=example.org with the key at s1._domainkey.example.org")
    assert [s.result for s in steps if s.result] == ["signed"]
    msg = parse_message(entry.data)
    assert "d=example.org" in msg["DKIM-Signature"] and "c=relaxed/relaxed" in msg["DKIM-Signature"]
    assert "a=rsa-sha256" in msg["DKIM-Signature"]


def test_alice_to_bob_passes_spf_and_dkim_with_every_step_in_order() -> None:
    world = build_world()
    submit(world)
    world.run_queues()
    (raw,) = delivered(world)
    msg = parse_message(raw)
    received_spf = " ".join(msg["Received-SPF"].split())  # folded at spaces (RFC 5322 2.2.3)
    assert received_spf.startswith("pass (mx.example.net: domain of alice@example.org designates "
                                          "192.0.2.25 as permitted sender)")
    assert "client-ip=192.0.2.25;" in received_spf and "helo=mail.example.org;" in received_spf
    field = raw[raw.index(b"Received-SPF:"):raw.index(b"\r\nReceived:")]
    assert max(len(line) for line in field.split(b"\r\n")) <= 78
    names = [n.lower() for n in msg.keys()]
    # Return-Path (final delivery) on top, the check results above the MX's Received (RFC 7208 9.1)
    assert names[names.index("received-spf") + 1] == "received"
    assert verdicts(world, "mx.example.net") == [("spf", "pass"), ("spf", "pass"), ("dkim", "pass"),
                                                 ("dmarc", "pass")]
    assert results_of(raw) == {"spf": ["pass", "pass"], "dkim": ["pass"], "dmarc": ["pass"]}
    assert names[:3] == ["return-path", "authentication-results", "received-spf"]
    # The steps are recorded as they happen: each DNS lookup sits right after the step that asked for it.
    events: list[Event] = [e for e in world.trace.events
                           if (isinstance(e, CheckStep) and e.host == "mx.example.net")
                           or (isinstance(e, DnsLookup) and e.asker == "mx.example.net")]
    said = [f"DNS {e.name} {e.rtype}" if isinstance(e, DnsLookup) else f"{e.check}: {e.text.splitlines()[0]}"
            for e in events]
    helo = said.index("spf: checking HELO identity postmaster@mail.example.org for client 192.0.2.25: "
                      "check_host() on mail.example.org (RFC 7208 4)")
    assert said[helo + 1] == "DNS mail.example.org TXT"
    mail_from = next(n for n, s in enumerate(said) if s.startswith("spf: checking MAIL FROM identity alice@"))
    assert helo < mail_from and said[mail_from + 1] == "DNS example.org TXT"
    key = said.index("DNS s1._domainkey.example.org TXT")
    assert said[key - 1].startswith("dkim: signature, tags") and said[key + 1].startswith("dkim: fetched s1.")
    dkim_verdict = said.index("dkim: verdict: pass: example.org signed this message and it arrived unchanged")
    assert said[dkim_verdict + 1] == "DNS _dmarc.example.org TXT"  # DMARC comes last: it needs both
    assert said[-2].startswith("dmarc: aligned and authenticated") and said[-2].endswith("DMARC result: pass")
    assert said[-1].startswith("dmarc: aggregate report (RFC 9989 5.3.7")  # the row example.org's rua= will get
    # ...and all of it before the message reaches the mailbox and the 250 goes back.
    last_check = max(e.seq for e in events)
    delivery = next(e for e in world.trace.events if isinstance(e, MailboxChanged) and e.action == "delivered"
                    and e.user == "bob@example.net")
    assert last_check < delivery.seq


def test_the_delivered_message_still_verifies_with_the_published_key() -> None:
    world = build_world()
    submit(world)
    world.run_queues()
    (raw,) = delivered(world)

    class Zone:
        def query(self, name: str, rtype: str):
            return tuple((r,) for r in zone(world, name, rtype))

    verdict = DkimVerifier(Zone()).verify(raw, now=world.net.clock.timestamp())
    assert verdict.result == "pass"  # the MX's own fields sit above the signature and are not signed


def test_a_body_changed_in_transit_fails_dkim_and_names_the_changed_line() -> None:
    world = build_world()
    # an outbound filter on the provider's relay, after the signing milter: the classic disclaimer bug
    world.faults.add(BodyChange("mail.example.org", "Friday", "Monday"))
    submit(world)
    world.run_queues()
    (raw,) = delivered(world)
    assert b"lunch on Monday?" in raw
    faults = [e for e in world.trace.events if isinstance(e, FaultInjected)]
    assert faults and faults[0].fault == "body-changed" and "'Friday' to 'Monday'" in faults[0].detail
    dkim = checks(world, "mx.example.net", "dkim")
    assert dkim[-1].result == "fail"
    assert dkim[-1].text.startswith("verdict: fail (body hash mismatch)")
    assert "only the body changed" in dkim[-1].text  # the signed header fields arrived intact
    (where,) = [s.text for s in dkim if s.text.startswith("changed in transit")]
    assert "line 2, byte" in where and "Friday" in where and "Monday" in where
    assert ("spf", "pass") in verdicts(world, "mx.example.net")  # SPF is about the path, not the content
    # DMARC passes all the same: SPF of example.org is aligned (RFC 9989 5.3.5)
    assert results_of(raw) == {"spf": ["pass", "pass"], "dkim": ["fail"], "dmarc": ["pass"]}
    assert 'reason="body hash mismatch"' in " ".join(parse_message(raw)["Authentication-Results"].split())


def test_an_appended_footer_is_pointed_out_as_an_added_line() -> None:
    world = build_world()
    world.faults.add(BodyChange("mail.example.org", "", "-- scanned by ExampleScan"))
    submit(world)
    world.run_queues()
    (where,) = [s.text for s in checks(world, "mx.example.net", "dkim") if s.text.startswith("changed in transit")]
    assert "line 4: added" in where and "scanned by Example" in where


def test_a_spoofed_from_example_org_is_refused_at_the_end_of_data() -> None:
    world = build_world()
    assert author_domain(SPOOF) == "example.org"
    reply = send_direct(world, "mail.evil.example", "mallory@evil.example", SPOOF)
    # RFC 9989 7.2: p=reject is carried out as a 5xx at the end of DATA
    assert (reply.code, reply.enhanced) == (550, "5.7.1")
    assert reply.text == "Email rejected per DMARC policy for example.org"
    assert delivered(world) == [] and delivered(world, folder="Junk") == []
    spf = [e for e in checks(world, "mx.example.net", "spf") if e.result]
    assert [e.result for e in spf] == ["pass", "pass"]  # evil.example's own server, evil.example's record
    assert "MAIL FROM mallory@evil.example" in spf[1].text
    dkim = checks(world, "mx.example.net", "dkim")
    assert [(e.text, e.result) for e in dkim] == [("no DKIM-Signature field: the message is not signed", "none")]
    dmarc = checks(world, "mx.example.net", "dmarc")
    assert dmarc[0].text.startswith("Author Domain, from the From field: example.org")
    assert dmarc[-2].result == "fail"
    assert dmarc[-1].text.startswith("aggregate report (RFC 9989 5.3.7, 5.3.8; RFC 9990)")
    assert any("evil.example" in e.text and "not aligned" in e.text for e in dmarc)  # SPF passed, for the wrong domain
    assert any("reject at the end of DATA: 550 5.7.1" in e.text for e in dmarc)


def test_a_spoofed_from_example_net_is_quarantined_in_junk() -> None:
    world = build_world()
    data = SPOOF.replace(b"ceo@example.org", b"it-support@example.net")
    reply = send_direct(world, "mail.evil.example", "mallory@evil.example", data)
    assert reply.code == 250  # p=quarantine: accepted, then kept apart (RFC 9989 5.3.6)
    assert delivered(world) == []
    (raw,) = delivered(world, folder="Junk")
    assert results_of(raw)["dmarc"] == ["fail"]
    assert "(p=quarantine dis=quarantine)" in " ".join(parse_message(raw)["Authentication-Results"].split())
    stored = [e for e in world.trace.events if isinstance(e, MailboxChanged) and e.action == "delivered"]
    assert [(e.user, e.folder) for e in stored] == [("bob@example.net", "Junk")]


def test_spf_fail_from_an_unauthorised_address_under_p_reject() -> None:
    world = build_world()
    data = b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: hi\r\n\r\nhello\r\n"
    # mallory-box is 203.0.113.66, not in example.org's ip4:192.0.2.25
    reply = send_direct(world, "mallory-box", "alice@example.org", data)
    (result,) = [e for e in checks(world, "mx.example.net", "spf") if e.result and "MAIL FROM" in e.text]
    assert result.result == "fail"
    assert "203.0.113.66 is not one of example.org's designated mail servers" in result.text  # RFC 7208 6.2
    assert (reply.code, reply.enhanced) == (550, "5.7.1")  # DMARC decides, not SPF alone


def test_spf_fail_without_a_dmarc_policy_is_refused_by_spf() -> None:
    spec = DEFAULT_SPEC.copy()
    evil = spec.domain("evil.example")
    assert evil is not None and not evil.dmarc
    evil.spf = "v=spf1 ip4:203.0.113.25 -all"  # only mail.evil.example, not mallory-box
    world = MailWorld(spec)
    data = b"From: mallory@evil.example\r\nTo: bob@example.net\r\nSubject: hi\r\n\r\nhello\r\n"
    reply = send_direct(world, "mallory-box", "mallory@evil.example", data)
    assert (reply.code, reply.enhanced) == (550, "5.7.23")  # RFC 7208 8.4, RFC 7372 3.2
    assert reply.text == "SPF validation failed: 203.0.113.66 is not one of evil.example's designated mail servers"
    assert checks(world, "mx.example.net", "dmarc")[-1].result == "none"
    assert delivered(world) == []


def test_without_a_dmarc_policy_the_results_are_recorded_and_the_mail_delivered() -> None:
    world = build_world()
    data = b"From: mallory@evil.example\r\nTo: bob@example.net\r\nSubject: hi\r\n\r\nhello\r\n"
    assert send_direct(world, "mallory-box", "mallory@evil.example", data).code == 250
    (raw,) = delivered(world)
    # mallory-box.evil.example publishes no SPF for HELO; evil.example allows its whole /24
    assert results_of(raw) == {"spf": ["none", "pass"], "dkim": ["none"], "dmarc": ["none"]}


def test_a_forged_authentication_results_field_is_removed() -> None:
    world = build_world()
    data = (b"Authentication-Results: mx.example.net;\r\n\tdkim=pass header.d=example.org;\r\n\tdmarc=pass\r\n"
            b"Authentication-Results: other.example; spf=pass\r\n"
            b"From: mallory@evil.example\r\nTo: bob@example.net\r\nSubject: trust me\r\n\r\nhello\r\n")
    assert send_direct(world, "mail.evil.example", "mallory@evil.example", data).code == 250
    (raw,) = delivered(world)
    fields = parse_message(raw).get_all("Authentication-Results")
    assert len(fields) == 2  # ours, and the other server's, which is not ours to judge
    assert results_of(raw)["dkim"] == ["none"]
    assert str(fields[1]).startswith("other.example;")
    assert any("removed 1 Authentication-Results field" in e.text for e in checks(world, "mx.example.net"))


def test_domains_sign_with_the_algorithm_and_canonicalization_they_are_given() -> None:
    spec = DEFAULT_SPEC.copy()
    org = spec.domain("example.org")
    assert org is not None
    org.dkim_algorithm, org.dkim_canonicalization, org.dkim_selector = ED25519_SHA256, "simple/simple", "e1"
    world = MailWorld(spec)
    submit(world)
    world.run_queues()
    (raw,) = delivered(world)
    signature = parse_message(raw)["DKIM-Signature"]
    assert "a=ed25519-sha256" in signature and "c=simple/simple" in signature and "s=e1" in signature
    assert [v for v in verdicts(world, "mx.example.net") if v[0] == "dkim"] == [("dkim", "pass")]


def test_a_domain_without_a_selector_does_not_sign() -> None:
    spec = DEFAULT_SPEC.copy()
    org = spec.domain("example.org")
    assert org is not None
    org.dkim_selector = ""
    world = MailWorld(spec)
    submit(world)
    world.run_queues()
    assert b"DKIM-Signature" not in delivered(world)[0]
    assert not zone(world, "s1._domainkey.example.org", "TXT")
    assert [v for v in verdicts(world, "mx.example.net") if v[0] != "spf"] == [("dkim", "none"), ("dmarc", "pass")]
