"""DKIM options in the scenario YAML (world.dkim): algorithm, canonicalization, selector and x=,
used by the signer at mail.example.org, verified at mx.example.net, and accepted by dkimpy."""

from __future__ import annotations

import pytest

from simulator.scenario.loader import ContentErrors, load_scenario
from simulator.scenario.runner import run_scenario
from simulator.security.canonical import split_message
from simulator.security.dkim import FIELD_NAME, parse_signature
from simulator.trace import CheckStep, MailboxChanged

dkim = pytest.importorskip("dkim", reason="dkimpy is in the test extra: pip install -e '.[test]'")
pytest.importorskip("nacl", reason="dkimpy needs pynacl for Ed25519: pip install -e '.[test]'")

SCENARIO = """\
id: dkim-options
title: DKIM options
world:
  dkim:
    - {{domain: example.org, {options}}}
steps:
  - id: submit
    action: send_message
    from: alice-laptop
    sender: alice@example.org
    to: [bob@example.net]
    subject: "Options   with  spaces"
    body: "Hi Bob,  \\n\\nsee you.\\n\\n\\n"
  - id: relay
    action: run_queue
    host: mail.example.org
    expect:
      mailbox: {{user: bob@example.net, count: 1}}
"""


def run(options: str):
    scenario = load_scenario("dkim-options.yaml", text=SCENARIO.format(options=options))
    result = run_scenario(scenario)
    assert result.ok, result.failures
    delivered = [e for e in result.trace.events if isinstance(e, MailboxChanged) and e.action == "delivered"]
    return result, delivered[-1].raw


def signature_of(raw: bytes):
    fields, _ = split_message(raw)
    found = [f for f in fields if f.key == FIELD_NAME.lower()]
    assert len(found) == 1
    return parse_signature(found[0])


def verdict_at_mx(result) -> str:
    return next(e.result for e in result.trace.events if isinstance(e, CheckStep) and e.check == "dkim"
                and e.host == "mx.example.net" and e.result)


def world_dns(result):
    dns = result.world.net.dns

    def lookup(name, timeout=5):
        text = name.decode() if isinstance(name, bytes) else name
        answer = dns.query(text.rstrip("."), "TXT", "dkimpy")
        return answer.records[0].encode() if answer.records else None

    return lookup


CANONS = ["simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed"]


@pytest.mark.parametrize("canon", CANONS)
@pytest.mark.parametrize("algorithm", ["rsa-sha256", "ed25519-sha256"])
def test_the_signer_uses_the_yaml_options_and_dkimpy_agrees(algorithm: str, canon: str) -> None:
    result, raw = run(f"algorithm: {algorithm}, canonicalization: {canon}, selector: may2026")
    sig = signature_of(raw)
    assert (sig.algorithm, f"{sig.header_canon}/{sig.body_canon}", sig.selector) == (algorithm, canon, "may2026")
    assert sig.expires is None
    assert verdict_at_mx(result) == "pass"
    # The key is published at the chosen selector, of the chosen type, and dkimpy verifies with it.
    record = result.world.net.dns.query("may2026._domainkey.example.org", "TXT", "test").records[0]
    assert ("k=ed25519" in record) == (algorithm == "ed25519-sha256")
    assert not result.world.net.dns.query("s1._domainkey.example.org", "TXT", "test").records
    assert dkim.verify(raw, dnsfunc=world_dns(result)) is True
    assert dkim.verify(raw.replace(b"see you.", b"see you!"), dnsfunc=world_dns(result)) is False


def test_expire_after_writes_x_and_a_late_verifier_fails_it() -> None:
    result, raw = run("algorithm: ed25519-sha256, expire_after: 3600")
    sig = signature_of(raw)
    assert sig.expires == sig.timestamp + 3600
    assert verdict_at_mx(result) == "pass"  # the relay delivers within the hour

    late = load_scenario("late.yaml", text=SCENARIO.format(options="expire_after: 60").replace(
        "  - id: relay\n", "  - id: wait\n    action: advance_clock\n    seconds: 120\n    run_queues: false\n"
                           "  - id: relay\n"))
    steps = run_scenario(late).trace.events
    texts = [e.text for e in steps if isinstance(e, CheckStep) and e.host == "mx.example.net" and e.result]
    assert any("signature expired" in t for t in texts)


def test_sign_false_leaves_mail_unsigned_and_publishes_no_key() -> None:
    result, raw = run("sign: false")
    fields, _ = split_message(raw)
    assert not any(f.key == FIELD_NAME.lower() for f in fields)
    assert verdict_at_mx(result) == "none"
    assert not result.world.net.dns.query("s1._domainkey.example.org", "TXT", "test").records


def test_one_word_canonicalization_means_a_simple_body() -> None:
    sig = signature_of(run("canonicalization: relaxed")[1])
    assert (sig.header_canon, sig.body_canon) == ("relaxed", "simple")  # RFC 6376 3.5 c= default body


@pytest.mark.parametrize(("options", "message"), [
    ("algorithm: rsa-sha1", "rsa-sha256"),
    ("canonicalization: loose/relaxed", "relaxed/relaxed"),
    ("selector: 'bad selector'", "pattern"),
    ("expire_after: 0", "greater than 0"),
])
def test_bad_options_are_located(options: str, message: str) -> None:
    with pytest.raises(ContentErrors) as caught:
        load_scenario("bad.yaml", text=SCENARIO.format(options=options))
    assert message in str(caught.value) and "bad.yaml:5:" in str(caught.value)


def test_an_unknown_or_repeated_domain_is_reported() -> None:
    text = SCENARIO.format(options="selector: a").replace(
        "    - {domain: example.org, selector: a}\n",
        "    - {domain: example.org, selector: a}\n    - {domain: exmaple.org}\n    - {domain: example.org}\n")
    with pytest.raises(ContentErrors) as caught:
        load_scenario("bad.yaml", text=text)
    said = str(caught.value)
    assert "did you mean 'example.org'" in said and "already has DKIM settings" in said
