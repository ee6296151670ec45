"""The scenario file format: pydantic models of the YAML a teacher writes.

A scenario is a world (the default world of DESIGN.md plus overrides) and a
script of steps. Each step has an ``id``, an ``action``, optional Markdown
``explain`` narration, an optional ``ask`` question, and optional
``expect`` checks that ``mailsim run`` enforces.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from simulator.mail.mime import MAX_GENERATED, PNG_MIN_SIZE
from simulator.security import mtasts
from simulator.security.pki import CertFault

FORMAT_VERSION = 1


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+")


def _address(value: str) -> str:
    if not _ADDRESS.fullmatch(value):
        raise ValueError(f"{value!r} is not a mail address: write it as local-part@domain, "
                         "e.g. bob@example.net, without spaces or <>")
    return value


Address = Annotated[str, AfterValidator(_address),
                    WithJsonSchema({"type": "string", "pattern": _ADDRESS.pattern})]


# Protocols whose replies carry a status word instead of a number: POP3's +OK and -ERR
# (RFC 1939 3), "+" for a challenge (POP3 AUTH, RFC 5034 4; an IMAP continuation, RFC 9051
# 7.6), IMAP's OK, NO, BAD, BYE and PREAUTH (RFC 9051 7.1) and "*" for its untagged data.
STATUS_WORDS = ("+OK", "-ERR", "+", "OK", "NO", "BAD", "BYE", "PREAUTH", "*")


def reply_code(value: Any) -> int | str:
    """A reply code as a teacher may write it: 250 or "250", or a status word such as OK or -ERR."""
    if isinstance(value, str) and re.fullmatch(r"\s*[2-5][0-9][0-9]\s*", value):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 200 <= value <= 599:
        return value
    if isinstance(value, str) and value.strip().upper() in STATUS_WORDS:
        return value.strip().upper()
    if value is False:
        return "NO"  # YAML 1.1 reads a bare NO as false (the "Norway problem"): IMAP's NO is meant
    raise ValueError(f"a reply code is three digits from 200 to 599, such as 250, or a status word "
                     f"({', '.join(STATUS_WORDS)}); not {value!r}")


ReplyCode = Annotated[int | str, PlainValidator(reply_code),
                      WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 200, "maximum": 599},
                                                {"type": "string", "enum": list(STATUS_WORDS)}]})]


# --- the world ----------------------------------------------------------------


class HostModel(Model):
    name: str = Field(description="Short host name, e.g. alice-laptop")
    addresses: list[str] = Field(min_length=1, description="Documentation-range addresses")
    fqdn: str = ""
    role: Literal["client", "server", "attacker"] = "client"

    @field_validator("addresses")
    @classmethod
    def _documentation_ranges(cls, addresses: list[str]) -> list[str]:
        import ipaddress

        allowed = [ipaddress.ip_network(n) for n in
                   ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]
        for a in addresses:
            try:
                ip = ipaddress.ip_address(a)
            except ValueError:
                raise ValueError(f"{a!r} is not an IP address") from None
            if not any(ip in n for n in allowed):
                raise ValueError(
                    f"{a} is not in a documentation range (192.0.2.0/24, 198.51.100.0/24, "
                    "203.0.113.0/24, 2001:db8::/32); the virtual world never uses real addresses"
                )
        return addresses


class UserModel(Model):
    address: Address
    password: str
    name: str = ""


class MxModel(Model):
    preference: int = Field(ge=0, le=65535)
    host: str


class DomainModel(Model):
    name: str
    mail_host: str
    users: list[UserModel] = []
    mx: list[MxModel] = []
    spf: str = ""
    dmarc: str = ""


_SELECTOR = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"


class DkimModel(Model):
    """How a domain's provider signs its users' mail with DKIM (RFC 6376 5; Ed25519 per RFC 8463)."""

    domain: str = Field(description="The signing domain (d=): a domain of the world, e.g. example.org")
    sign: bool = Field(True, description="false: the domain publishes no key and its mail leaves unsigned")
    selector: str = Field("s1", pattern=_SELECTOR,
                          description="s=: the key is published at <selector>._domainkey.<domain> "
                                      "(RFC 6376 3.1, 3.6.2.1)")
    algorithm: Literal["rsa-sha256", "ed25519-sha256"] = Field(
        "rsa-sha256", description="a=: rsa-sha256 with a 2048-bit key (RFC 6376 3.3, RFC 8301 3.2) or "
                                  "ed25519-sha256 (RFC 8463 3)")
    canonicalization: Literal["simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed",
                              "simple", "relaxed"] = Field(
        "relaxed/relaxed", description="c=: header/body, each simple or relaxed (RFC 6376 3.4); one word "
                                       "names the header algorithm and the body is simple (3.5)")
    expire_after: int | None = Field(
        None, gt=0, le=10 * 365 * 86400,
        description="Seconds from t= to x=: the signature expires then, and a verifier fails it after "
                    "(RFC 6376 3.5). Default: no x=")


class MtaStsModel(Model):
    """A domain's MTA-STS policy (RFC 8461): senders must reach its MX over TLS with a valid certificate.

    The world publishes the TXT record ``_mta-sts.<domain>`` (``v=STSv1; id=...``, RFC 8461 3.1) in its
    DNS. A real sender then fetches the policy over HTTPS from
    ``https://mta-sts.<domain>/.well-known/mta-sts.txt`` (3.3); the virtual world has no HTTPS, so the
    policy is given here and the relay reads it from the world.
    """

    domain: str = Field(description="The receiving domain that publishes the policy, e.g. example.net")
    id: str = Field("20260301", description="The TXT record's id= (1 to 32 letters and digits, RFC 8461 3.1); "
                                            "a sender refetches the policy when it changes")
    mode: Literal["enforce", "testing", "none"] = Field(
        "enforce", description="RFC 8461 5: enforce: deliver only to an MX that matches `mx` over TLS with a "
                               "certificate valid for its name, else defer; testing: deliver anyway, and note "
                               "the failure; none: no policy in force")
    mx: list[str] = Field([], description="The MX hosts the policy allows: names, or `*.` and a name for one "
                                          "leftmost label (RFC 8461 3.2, 4.1)")
    max_age: int = Field(604800, gt=0, le=mtasts.MAX_AGE_LIMIT,
                         description="How long in seconds a sender may cache the policy (RFC 8461 3.2)")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not mtasts.valid_id(value):
            raise ValueError("id is 1 to 32 letters and digits (RFC 8461 3.1)")
        return value

    @field_validator("mx")
    @classmethod
    def _mx(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not mtasts.valid_mx_pattern(pattern):
                raise ValueError(f"mx {pattern!r}: a host name, or '*.' and a host name (RFC 8461 3.2)")
        return value

    @model_validator(mode="after")
    def _patterns_when_in_force(self) -> MtaStsModel:
        if self.mode != "none" and not self.mx:
            raise ValueError(f"mode {self.mode} needs mx: the MX hosts the policy allows (RFC 8461 3.2)")
        return self


class DnsRecordModel(Model):
    name: str
    type: Literal["A", "AAAA", "MX", "TXT", "CNAME"]
    value: str


class DnsRemoveModel(Model):
    name: str
    type: Literal["A", "AAAA", "MX", "TXT", "CNAME"]


class LimitsModel(Model):
    max_message_size: int = Field(10 * 1024 * 1024, gt=0)
    max_recipients: int = Field(100, gt=0)


class TlsModel(Model):
    """The world's TLS: real OpenSSL handshakes, certificates from the world's virtual CA."""

    version: Literal["TLSv1.3", "TLSv1.2"] = Field(
        "TLSv1.3", description="The highest TLS version the clients offer: TLSv1.3 (RFC 8446) or TLSv1.2 "
                               "(RFC 5246), where the server's certificate crosses the wire in the clear")
    starttls: bool = Field(False, description="The mail servers offer STARTTLS in their EHLO reply (RFC 3207)")
    certificates: dict[str, CertFault] = Field(
        {}, description="Per server host, what is wrong with its certificate: expired, not-yet-valid, "
                        "wrong-name, self-signed or unknown-ca (none: a valid one); the client's reason "
                        "for refusing it appears in the trace")
    relay: Literal["none", "opportunistic", "verify"] = Field(
        "opportunistic", description="How the relays (MTA to MX, port 25) use STARTTLS. opportunistic: when the "
                                     "MX offers it, encrypt without checking the certificate, and go on in "
                                     "plaintext when it is not offered (RFC 3207, RFC 7435 opportunistic security, "
                                     "Postfix smtp_tls_security_level=may). verify: require TLS and a certificate "
                                     "from the world's CA naming the MX host, else defer the mail (Postfix "
                                     "'verify'). none: never STARTTLS")
    vulnerable_starttls: list[str] = Field(
        [], description="VULNERABLE BEHAVIOUR, for teaching: mail hosts given the CVE-2011-0411 bug, which read "
                        "the plaintext a client pipelined after STARTTLS as if it had come over TLS. mailsim's "
                        "servers discard it (RFC 3207 4.2); this shows what an unpatched server did")


def _command_line(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError("one command line each, without CR or LF (CRLF is added)")
    return value


class _MitmFields(Model):
    host: str = Field("mallory-box", description="The attacker's host: where the man in the middle runs "
                                                 "(a hostile Wi-Fi access point, a compromised router)")
    between: tuple[str, str] = Field(description="[client host, server host]: the link it sits on; every "
                                                 "connection from the one to the other crosses it")
    strip_starttls: bool = Field(
        True, description="Remove the offer of TLS from the server's plaintext replies: 250-STARTTLS from "
                          "EHLO (RFC 3207 4), STARTTLS from IMAP's CAPABILITY (RFC 9051 6.2.1), STLS from "
                          "POP3's CAPA (RFC 2595 4). An opportunistic client then goes on without TLS; one "
                          "that requires TLS gives up (RFC 3207 6, RFC 8314 5.2)")
    inject_after_starttls: list[Annotated[str, AfterValidator(_command_line)]] = Field(
        [], description="Command lines added after the client's STARTTLS in the same flight (the "
                        "CVE-2011-0411 injection): a correct server discards them when TLS starts")

    @field_validator("between", mode="before")
    @classmethod
    def _a_pair(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) != 2:
            raise ValueError(f"between names two hosts, [client host, server host], not {len(value)}")
        return value

    @model_validator(mode="after")
    def _two_ends(self) -> _MitmFields:
        if self.between[0] == self.between[1]:
            raise ValueError("between names the client host and the server host: two different hosts")
        if self.host in self.between:
            raise ValueError(f"the man in the middle sits between {self.between[0]} and {self.between[1]}; "
                             "its host is a third one (e.g. mallory-box)")
        return self


class MitmModel(_MitmFields):
    """A man in the middle on the link between a client host and a server: an attack, for teaching."""


class EavesdropperModel(Model):
    """A passive eavesdropper on one link: it reads every byte that crosses and changes nothing."""

    host: str = Field("mallory-box", description="The attacker's host: where the listener runs (a shared Wi-Fi, "
                                                 "a tapped cable, a compromised router)")
    link: tuple[str, str] = Field(
        description="[one host, the other host]: every connection between the two, either way, crosses the link. "
                    "Without TLS the eavesdropper decodes AUTH PLAIN / LOGIN, IMAP LOGIN, POP3 USER/PASS and "
                    "the message text; once TLS is up it sees only each record's type and length")

    @field_validator("link", mode="before")
    @classmethod
    def _a_pair(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) != 2:
            raise ValueError(f"link names its two ends, [one host, the other host], not {len(value)} hosts")
        return value

    @model_validator(mode="after")
    def _two_ends(self) -> EavesdropperModel:
        if self.link[0] == self.link[1]:
            raise ValueError("link names the two hosts at its ends: two different hosts")
        if self.host in self.link:
            raise ValueError(f"the eavesdropper listens on the link between {self.link[0]} and {self.link[1]}; "
                             "its host is a third one (e.g. mallory-box)")
        return self


SaslName = Literal["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"]


class SubmissionModel(Model):
    """SMTP AUTH on the providers' submission servers (RFC 4954, RFC 6409 4.3)."""

    auth: bool = Field(False, description="Submission offers SMTP AUTH and requires it (RFC 6409 4.3) of every "
                                          "client outside trusted_networks; the clients then log in by default")
    mechanisms: list[SaslName] = Field(
        ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"],
        description="What AUTH offers: PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195), SCRAM-SHA-256 (RFC 7677)")
    plaintext_auth: bool = Field(
        False, description="Offer PLAIN and LOGIN before TLS too (RFC 4954 4 and RFC 8314 say not to): "
                           "the password crosses the wire in base64 for an eavesdropper to read")
    trusted_networks: list[str] | None = Field(
        None, description="RFC 6409 4.3's protected subnetwork: networks (CIDR) whose clients may submit without "
                          "AUTH; 'provider' is the mail host's own /24. Default: [provider] without auth, none with it")

    @field_validator("trusted_networks")
    @classmethod
    def _networks(cls, value: list[str] | None) -> list[str] | None:
        for net in value or []:
            if net == "provider":
                continue
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"{net!r} is not a network (e.g. 192.0.2.0/24)") from None
        return value


class MailboxAccessModel(Model):
    """How users log in to the mailbox servers: IMAP (RFC 9051 6.2) and POP3 (RFC 1939 7, RFC 5034)."""

    mechanisms: list[SaslName] = Field(
        ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"],
        description="What IMAP AUTHENTICATE lists as AUTH=... (RFC 9051 6.2.2) and POP3 AUTH in CAPA's SASL "
                    "line (RFC 5034 3): PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195), SCRAM-SHA-256 (RFC 7677)")
    plaintext_auth: bool = Field(
        True, description="Let a password cross a connection without TLS: IMAP LOGIN, POP3 USER/PASS and AUTH "
                          "PLAIN / LOGIN before STARTTLS or STLS. false is Dovecot's disable_plaintext_auth=yes: "
                          "IMAP lists LOGINDISABLED and no AUTH=PLAIN and answers LOGIN with NO [PRIVACYREQUIRED] "
                          "(RFC 9051 6.2.3, RFC 5530 3), POP3 leaves USER out of CAPA and refuses it (RFC 2595 4), "
                          "until TLS is up. Default true: the default world's servers offer no TLS, and "
                          "`mailsim serve` is reached over loopback only, which Dovecot too counts as secured")


class AuthModel(Model):
    """How the client logs in with AUTH (RFC 4954); what is left out comes from the world's users."""

    user: str | None = Field(None, description="The login; default: the sender address")
    password: str | None = Field(None, description="Default: the user's password in the world")
    mechanism: SaslName = "PLAIN"


class WorldModel(Model):
    """Overrides of the default world; every list adds to (or replaces by name) the default."""

    default: bool = Field(True, description="Start from the default world of DESIGN.md")
    hosts: list[HostModel] = []
    domains: list[DomainModel] = []
    users: list[UserModel] = Field([], description="Users added to the domain of their address")
    dns: list[DnsRecordModel] = []
    remove_dns: list[DnsRemoveModel] = []
    dkim: list[DkimModel] = Field(
        [], description="DKIM signing per domain (default: every domain signs with rsa-sha256, "
                        "relaxed/relaxed, selector s1, no x=); each entry names one domain once")
    limits: LimitsModel | None = None
    tls: TlsModel = TlsModel()
    without_8bitmime: list[str] = Field(
        [], description="Mail hosts whose SMTP servers offer neither 8BITMIME (RFC 6152) nor SMTPUTF8 "
                        "(which needs it, RFC 6531 3.1): a client then converts 8-bit messages to 7-bit "
                        "MIME before sending them there (RFC 6152 3)")
    mta_sts: list[MtaStsModel] = Field(
        [], description="Domains that publish an MTA-STS policy (RFC 8461): the relays then require verified "
                        "TLS to their MX (enforce) or note where it fails (testing). Only in a world that lists one do "
                        "the relays look up _mta-sts TXT records at all")
    submission: SubmissionModel = SubmissionModel()
    mailbox: MailboxAccessModel = MailboxAccessModel()
    mitm: MitmModel | None = Field(
        None, description="A man in the middle on one link from the start (a mitm step puts one there later). "
                          "A passive eavesdropper is the separate eavesdropper option")
    eavesdropper: EavesdropperModel | None = Field(
        None, description="A passive eavesdropper on one link from the start: it reads the wire and changes "
                          "nothing (what it learns is in the trace and the Wire tab's eavesdropper lens)")
    pop3_login_delay: int = Field(
        0, ge=0, le=86400,
        description="Seconds a user must wait after one POP3 login before the next (RFC 2449 6.5, "
                    "LOGIN-DELAY, announced in CAPA); a login too soon gets -ERR [LOGIN-DELAY] "
                    "(RFC 2449 8.1.1). 0: no delay")
    vrfy: Literal["verify", "disabled", "refused"] = Field(
        "verify",
        description="How the mail servers answer VRFY (RFC 5321 3.5): verify = look the user up "
                    "(250, or 550 for no such user; 3.5.3); disabled = 252 without looking, as "
                    "section 7.3 requires of a site that turns VRFY off; refused = 502 5.5.1, "
                    "what Postfix's disable_vrfy_command=yes answers",
    )


# --- questions and expectations -------------------------------------------------


class Ask(Model):
    """A predict-then-reveal question the player poses before the step runs."""

    prompt: str = Field(description="The question (Markdown), asked before the step is shown")
    choices: list[str] = Field([], description="Empty for a typed answer; quote numbers: [\"250\", \"550\"]")
    answer: str = Field(description="The right answer: one of the choices, or the text to type")
    why: str = Field("", description="Shown after the answer: why it is right, with the RFC section")

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> Ask:
        if self.choices and self.answer not in self.choices:
            raise ValueError(f"answer {self.answer!r} is not one of the choices {self.choices}")
        return self


class ExpectReply(Model):
    """The last reply of the step: its code (or status word), enhanced status code, and a piece of its text."""

    code: ReplyCode | None = None
    enhanced: str | None = None
    contains: str | None = None


def _flag(value: str) -> str:
    # RFC 9051 2.3.2: a system flag is "\\" and an atom; a keyword is an atom. Case does not matter.
    body = value[1:] if value.startswith("\\") else value
    if not re.fullmatch(r"[!#$&'+,./0-9:;<=>?@A-Z^_`a-z|~-]+", body):
        raise ValueError(f"'{value}' is not a flag: a system flag such as \\Seen, \\Flagged, \\Deleted, "
                         "\\Answered, \\Draft, or a keyword (one word without spaces, brackets, quotes or %*)"
                         " (RFC 9051 2.3.2)")
    if value.startswith("\\") and body.capitalize() not in SYSTEM_FLAGS:
        raise ValueError(f"'{value}' is not a system flag; system flags: "
                         f"{', '.join(chr(92) + f for f in SYSTEM_FLAGS)} (RFC 9051 2.3.2); "
                         "a keyword is written without the backslash")
    return "\\" + body.capitalize() if value.startswith("\\") else value


SYSTEM_FLAGS = ("Seen", "Answered", "Flagged", "Deleted", "Draft")
Flag = Annotated[str, AfterValidator(_flag)]


def _message_key(value: Any) -> int | str:
    """A message named in an expectation: its sequence number (1, 2, ...) or its Subject."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ValueError(f"message numbers start at 1, not {value}")
        return value
    if isinstance(value, str):
        return int(value) if value.isdigit() and int(value) >= 1 else value
    raise ValueError(f"name a message by its number (1, 2, ...) or its subject; not {value!r}")


MessageKey = Annotated[int | str, PlainValidator(_message_key),
                       WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"}]})]


class ExpectMailbox(Model):
    """What the server holds in one folder of one user (the store, not what a device was told)."""

    user: Address
    folder: str = "INBOX"
    count: int | None = Field(None, ge=0, description="How many messages the folder holds")
    subjects: list[str] | None = Field(None, description="The Subject of each message, in order")
    flags: dict[MessageKey, list[Flag]] | None = Field(
        None, description="Per message (its number, or its subject), exactly the flags it has, "
                          "e.g. {1: [\\Seen], 'Lunch?': []}")

    @model_validator(mode="after")
    def _something(self) -> ExpectMailbox:
        if self.count is None and self.subjects is None and self.flags is None:
            raise ValueError("a mailbox expectation needs count, subjects or flags")
        return self


class ExpectView(Model):
    """What one IMAP session was told of its selected mailbox (RFC 9051 7.5.1, 7.5.2, 7.5.3)."""

    conn: str = Field(description="A connection (open_mailbox, or connect to an IMAP port)")
    folder: str | None = Field(None, description="The selected folder; '' for none")
    exists: int | None = Field(None, ge=0, description="How many messages the session knows")
    uids: list[int] | None = Field(None, description="Their UIDs, in the session's sequence order")
    flags: dict[Annotated[int, Field(ge=1)], list[Flag]] | None = Field(
        None, description="Per message number, exactly the flags the session was told")

    @model_validator(mode="after")
    def _something(self) -> ExpectView:
        if all(x is None for x in (self.folder, self.exists, self.uids, self.flags)):
            raise ValueError("a view expectation needs folder, exists, uids or flags")
        return self


class ExpectDownloaded(Model):
    """What this step's check_mail downloaded (RFC 1939 7 RETR)."""

    count: int | None = Field(None, ge=0)
    subjects: list[str] | None = Field(None, description="The Subject of each message, in order")


class ExpectQueue(Model):
    """How many messages wait in a mail host's outbound queue after the step (sent or bounced ones have left it)."""

    host: str
    count: int = Field(ge=0)


class ExpectDelivery(Model):
    """What the submission server answered for one recipient of this step's send_message: delivered (2xx,
    accepted), deferred (4xx) or failed (5xx). Where the message went next, the mailbox and queue
    expectations say."""

    recipient: Address
    outcome: Literal["delivered", "deferred", "failed"]


def _registry_names(schema: dict[str, Any], field: str, names: list[str], *, exact: bool = False) -> None:
    """Offer editors the names the registry knows (validation checks them, with a location)."""
    schema["properties"][field]["enum" if exact else "examples"] = names


def _state_schema(schema: dict[str, Any]) -> None:
    from simulator.protocols.registry import machine_tables

    tables = machine_tables()
    _registry_names(schema, "machine", sorted(tables), exact=True)
    _registry_names(schema, "state", sorted({state for t in tables.values() for state in t.states}))


def _fault_schema(schema: dict[str, Any]) -> None:
    from simulator.protocols.registry import fault_stages, protocols

    _registry_names(schema, "protocol", sorted(protocols()), exact=True)
    _registry_names(schema, "stage", sorted({stage for p in protocols() for stage in fault_stages(p)}))


class ExpectState(Model):
    """The state a protocol machine of a connection is in after the step, a row of its state table."""

    model_config = ConfigDict(json_schema_extra=_state_schema)
    machine: str = Field("smtp.server", description="A machine of the protocol registry, e.g. smtp.server")
    state: str = Field(description="A state of that machine's table (checked when the file is validated)")
    conn: str = Field("main", description="A connection opened by a connect step before")


class Expect(Model):
    """Checks made after the step ran; `mailsim run` fails (exit 1) and names the step when one does not hold."""

    reply: ReplyCode | ExpectReply | None = None
    replies: list[ReplyCode] | None = Field(None, description="One code per reply, for pipelined lines")
    mailbox: list[ExpectMailbox] | ExpectMailbox | None = None
    queue: list[ExpectQueue] | ExpectQueue | None = None
    delivery: list[ExpectDelivery] | ExpectDelivery | None = None
    state: ExpectState | None = None
    closed: bool | None = Field(None, description="Whether the connection is closed after the step")
    view: list[ExpectView] | ExpectView | None = Field(
        None, description="What an IMAP session believes is in its mailbox, as the server told it")
    downloaded: ExpectDownloaded | None = Field(None, description="What this step's check_mail downloaded")

    @field_validator("reply", mode="before")
    @classmethod
    def _code_or_mapping(cls, value: Any) -> Any:
        # One clear message for "reply: two-fifty" instead of one per alternative of the union.
        return value if value is None or isinstance(value, dict | ExpectReply) else reply_code(value)


# --- steps ----------------------------------------------------------------------


class StepBase(Model):
    """The keys every step has, whatever its action."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Unique in the scenario")
    title: str = Field("", description="The step's heading; default: one made from the action")
    explain: str = Field("", description="The narration shown with the step (Markdown); cite RFC sections")
    ask: Ask | None = Field(None, description="A question asked before the step is shown")
    expect: Expect | None = Field(None, description="Checks after the step; mailsim run fails when one does not hold")


class ConnectStep(StepBase):
    """A host opens a TCP connection to a port of another host and reads the greeting; the connection
    keeps the name conn for later send, close and expect steps. A host that is down or a port where
    nothing listens is refused, and the trace says why."""

    action: Literal["connect"]
    from_: str = Field(alias="from", description="The client host, e.g. alice-laptop")
    to: str = Field(description="The server host, e.g. mail.example.org")
    port: int = Field(ge=1, le=65535, description="25 (MX), 587 (submission), 110 (POP3), 143 (IMAP), ...")
    conn: str = Field("main", description="The connection's name, for the steps that use it")


class SendStep(StepBase):
    """Send raw protocol lines on an open connection (CRLF is added to each)."""

    action: Literal["send"]
    line: str | None = Field(None, description="One command line")
    lines: list[str] | None = Field(None, description="Several lines, sent together (pipelining, or a message "
                                                     "after DATA ending with \".\")")
    data: str | None = Field(None, description="Raw text sent as is; \\n becomes CRLF unless raw_newlines")
    raw_newlines: bool = False
    conn: str = "main"

    @model_validator(mode="after")
    def _one_payload(self) -> SendStep:
        given = [x for x in (self.line, self.lines, self.data) if x is not None]
        if len(given) != 1:
            raise ValueError("a send step needs exactly one of line, lines or data")
        return self


class CloseStep(StepBase):
    """The client closes the connection without a word (no QUIT or LOGOUT)."""

    action: Literal["close"]
    conn: str = "main"


_MIME_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*")
MAX_ATTACHMENT = MAX_GENERATED  # base64 makes it 4/3 larger; the default server takes 10 MiB
# What a header field cannot hold: CR, LF and the other characters Python's email takes for line ends.
_NOT_IN_HEADER = re.compile("[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")


def _header_text(value: str) -> str:
    if (bad := _NOT_IN_HEADER.search(value)) is not None:
        raise ValueError(f"a header field holds one line of text; U+{ord(bad.group()):04X} (a control "
                         "character or line break) cannot be in it (RFC 5322 2.2)")
    return value


def _mime_type(value: str) -> str:
    # RFC 2045 5.1: type "/" subtype, each a token; multipart and message types are
    # structures the builder makes itself, never a leaf given here.
    if not _MIME_TYPE.fullmatch(value):
        raise ValueError(f"{value!r} is not a MIME type: write type/subtype, e.g. text/plain, image/png, "
                         "application/pdf (RFC 2045 5.1)")
    if value.split("/")[0].lower() in ("multipart", "message"):
        raise ValueError(f"{value}: an attachment is a leaf part; multipart and message types are "
                         "structures (RFC 2046 5), not attachments given here")
    return value.lower()


class AttachmentModel(Model):
    """One attachment of a send_message step: exactly one of text, base64 or size."""

    filename: str = Field(min_length=1, max_length=200,
                          description="The name the recipient sees (Content-Disposition filename, RFC 2183 2.3); "
                                      "non-ASCII names are sent as RFC 2231 parameters")
    content_type: str = Field("", description="type/subtype, e.g. text/csv or image/png; default: guessed "
                                              "from the file name, else application/octet-stream")
    text: str | None = Field(None, description="The content as text (sent as charset utf-8 for text/* types)")
    base64: str | None = Field(None, description="The content as base64 (RFC 4648 4); whitespace is ignored")
    size: int | None = Field(None, ge=1, le=MAX_ATTACHMENT,
                             description="Generate this many octets that look like the type: text lines, "
                                         "a valid PNG, else pseudo-random octets (the same on every run)")
    inline: bool = Field(False, description="Content-Disposition inline (shown in the message) instead of "
                                            "attachment (RFC 2183 2.1, 2.2)")

    @field_validator("filename")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        # RFC 2183 2.3: a name only; the receiver must not be told a path.
        if any(c in value for c in "/\\") or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError(f"{value!r}: a file name, without folders (/ or \\) or control characters "
                             "(RFC 2183 2.3)")
        if value != value.strip():
            raise ValueError(f"{value!r}: a file name neither starts nor ends with a blank (readers drop them)")
        return value

    @field_validator("content_type")
    @classmethod
    def _type(cls, value: str) -> str:
        return value and _mime_type(value)

    @field_validator("base64")
    @classmethod
    def _base64(cls, value: str | None) -> str | None:
        if value is None:
            return None
        import base64
        import binascii

        compact = re.sub(r"\s+", "", value)
        try:
            data = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("not base64: only A-Z a-z 0-9 + / and = padding, in groups of four "
                             "(RFC 4648 4); check for a cut line or a stray character") from None
        if len(data) > MAX_ATTACHMENT:
            raise ValueError(f"the decoded content has {len(data)} octets; at most {MAX_ATTACHMENT}")
        return compact

    @model_validator(mode="after")
    def _one_content(self) -> AttachmentModel:
        given = [k for k in ("text", "base64", "size") if getattr(self, k) is not None]
        if len(given) != 1:
            said = f"it has {' and '.join(given)}" if given else "it has none"
            raise ValueError(f"attachment {self.filename!r} needs exactly one of text, base64 or size; {said}")
        if self.size is not None and self.mime_type == "image/png" and self.size < PNG_MIN_SIZE:
            raise ValueError(f"a generated image/png needs size {PNG_MIN_SIZE} or more (a 1x1 PNG and its chunks)")
        return self

    @property
    def mime_type(self) -> str:
        if self.content_type:
            return self.content_type
        import mimetypes

        guessed, _ = mimetypes.guess_type(self.filename, strict=True)
        if guessed and not guessed.startswith(("multipart/", "message/")):
            return guessed
        return "application/octet-stream"


class SendMessageStep(StepBase):
    """A mail client composes a message and submits it in one go (RFC 6409)."""

    action: Literal["send_message"]
    from_: str = Field(alias="from", description="The client host")
    sender: Address = Field(description="The From address and the envelope sender")
    envelope_from: str | None = Field(None, description="MAIL FROM, if it differs from sender ('' for <>)")
    to: list[Address] = Field(min_length=1)
    cc: list[Address] = []
    subject: str = Field(description="Non-ASCII text is sent as RFC 2047 encoded words")
    body: str = Field(description="The text/plain part")
    from_name: str = Field("", description="Display name in From, e.g. Zoë (RFC 5322 3.4; encoded per RFC 2047)")
    html: str | None = Field(None, description="An HTML version of the body: multipart/alternative (RFC 2046 5.1.4)")
    attachments: list[AttachmentModel] = Field(
        [], description="Files attached after the body: multipart/mixed (RFC 2046 5.1.3)")
    eight_bit: bool = Field(
        False, description="Write non-ASCII text parts as 8bit instead of quoted-printable/base64; sent with "
                           "BODY=8BITMIME, or converted back to 7-bit if the server lacks 8BITMIME (RFC 6152)")
    server: str | None = Field(None, description="Submission server; default: the sender's provider")
    port: int = 587
    use_pipelining: bool = True
    tls: Literal["none", "opportunistic", "required"] | None = Field(
        None, description="STARTTLS policy (RFC 3207): opportunistic uses TLS when offered, required gives up "
                          "with QUIT when it is not. Default: opportunistic where submission requires AUTH, else none")
    auth: AuthModel | bool | None = Field(
        None, description="Log in with AUTH (RFC 4954): true (the sender's own credentials, PLAIN), false (no "
                          "login), or {user, password, mechanism}. Default: log in where submission offers AUTH")
    tls_version: Literal["TLSv1.3", "TLSv1.2"] | None = Field(
        None, description="The highest TLS version this client offers for this message (default: world.tls.version): "
                          "TLSv1.2 shows the server's certificate in the clear (RFC 5246 7.4.2), TLSv1.3 encrypts it "
                          "(RFC 8446 4.4.2)")

    @field_validator("envelope_from")
    @classmethod
    def _null_or_address(cls, value: str | None) -> str | None:
        return value if not value else _address(value)

    @field_validator("subject", "from_name")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return _header_text(value)


# --- reading mail: steps driving the POP3 and IMAP client machines -------------------


class CheckMailStep(StepBase):
    """A device downloads mail with POP3 (RFC 1939): log in, UIDL, RETR each new message, DELE, QUIT."""

    action: Literal["check_mail"]
    from_: str = Field(alias="from", description="The device, e.g. bob-laptop")
    user: Address | None = Field(None, description="Default: the world's user the device is named after "
                                                   "(bob-laptop: bob@...)")
    password: str | None = Field(None, description="Default: the user's password in the world")
    server: str | None = Field(None, description="Default: the mail host of the user's domain")
    port: int = Field(110, ge=1, le=65535, description="110 (RFC 1939 3) or 995, implicit TLS (RFC 8314)")
    login: Literal["USER", "APOP", "PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"] = Field(
        "USER", description="USER/PASS (RFC 1939 7), APOP (RFC 1939 7), or AUTH (RFC 5034 4) with a SASL "
                            "mechanism: PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195), SCRAM-SHA-256 (RFC 7677)")
    tls: Literal["none", "opportunistic", "required"] = Field(
        "none", description="STLS before the login (RFC 2595 4): none; opportunistic (when CAPA lists STLS); "
                            "required (no STLS: QUIT without sending the password, as RFC 8314 5.2 advises). "
                            "Port 995 is TLS from the start (RFC 8314)")
    leave_on_server: bool = Field(False, description="Keep the messages on the server (no DELE)")
    only_new: bool = Field(True, description="Skip messages this device downloaded before (by their UIDL)")
    quit: bool = Field(True, description="End with QUIT (the DELEs take effect in UPDATE, RFC 1939 6); "
                                         "false keeps the session open under conn, for logout or drop")
    conn: str = Field("", description="The connection's name; default: the device's name")

    @property
    def name(self) -> str:
        return self.conn or self.from_


class OpenMailboxStep(StepBase):
    """A device opens a mailbox with IMAP (RFC 9051): LOGIN, then SELECT; the session stays open."""

    action: Literal["open_mailbox"]
    from_: str = Field(alias="from", description="The device, e.g. bob-phone")
    user: Address | None = Field(None, description="Default: the world's user the device is named after "
                                                   "(bob-phone: bob@...)")
    password: str | None = Field(None, description="Default: the user's password in the world")
    server: str | None = Field(None, description="Default: the mail host of the user's domain")
    port: int = Field(143, ge=1, le=65535, description="143 (RFC 9051) or 993, implicit TLS (RFC 8314)")
    folder: str = Field("INBOX", min_length=1)
    read_only: bool = Field(False, description="EXAMINE instead of SELECT (RFC 9051 6.3.3): nothing changes")
    tls: Literal["none", "opportunistic", "required"] = Field(
        "none", description="STARTTLS before the login (RFC 9051 6.2.1), then CAPABILITY again: none; "
                            "opportunistic (when the server lists STARTTLS); required (no STARTTLS: LOGOUT "
                            "without sending the password, as RFC 8314 5.2 advises). Port 993 is TLS from "
                            "the start (RFC 8314)")
    authenticate: SaslName | None = Field(
        None, description="Log in with AUTHENTICATE and this SASL mechanism (RFC 9051 6.2.2; the initial "
                          "response with the command where the server lists SASL-IR, RFC 4959): PLAIN (RFC "
                          "4616), LOGIN, CRAM-MD5 (RFC 2195), SCRAM-SHA-256 (RFC 7677). Default: the LOGIN "
                          "command (RFC 9051 6.2.3)")
    conn: str = Field("", description="The session's name for later steps; default: the device's name")

    @property
    def name(self) -> str:
        return self.conn or self.from_


class _OnMessage(StepBase):
    conn: str = Field(description="An IMAP session opened by open_mailbox")
    message: int | None = Field(None, ge=1, description="Its message sequence number in that session")
    uid: int | None = Field(None, ge=1, description="Or its UID (RFC 9051 2.3.1.1): the UID form of the command")

    @model_validator(mode="after")
    def _one_message(self) -> _OnMessage:
        if (self.message is None) == (self.uid is None):
            raise ValueError(f"a {self.action} step names exactly one of message (its number) or uid")
        return self

    @property
    def sequence(self) -> str:
        return str(self.uid if self.uid is not None else self.message)

    @property
    def which(self) -> str:
        return f"UID {self.uid}" if self.uid is not None else f"message {self.message}"


class ReadStep(_OnMessage):
    """FETCH the whole message: BODY[] sets \\Seen, BODY.PEEK[] does not (RFC 9051 6.4.5)."""

    action: Literal["read"]
    peek: bool = Field(False, description="BODY.PEEK[]: read without setting \\Seen")


class FlagStep(_OnMessage):
    """STORE +FLAGS / -FLAGS (RFC 9051 6.4.6)."""

    action: Literal["flag"]
    add: list[Flag] = []
    remove: list[Flag] = []

    @model_validator(mode="after")
    def _some_flag(self) -> FlagStep:
        if not self.add and not self.remove:
            raise ValueError("a flag step needs add or remove, e.g. add: [\\Flagged]")
        return self


class MoveStep(_OnMessage):
    """MOVE to another folder (RFC 6851); if it does not exist yet, CREATE it on [TRYCREATE]."""

    action: Literal["move"]
    to: str = Field(min_length=1, description="The destination folder, e.g. Trash or Projects/Lunch")
    create: bool = Field(True, description="On NO [TRYCREATE] CREATE the folder and MOVE again "
                                           "(RFC 9051 6.4.8, 6.3.4)")


class DeleteStep(_OnMessage):
    """STORE +FLAGS (\\Deleted), then EXPUNGE (RFC 9051 6.4.6, 6.4.3)."""

    action: Literal["delete"]
    expunge: bool = Field(True, description="Also EXPUNGE (removes every message marked \\Deleted)")


class SessionStep(StepBase):
    """On an open session: idle (IMAP IDLE, then DONE), sync (IMAP NOOP), logout (IMAP LOGOUT or POP3
    QUIT), drop (the connection breaks without a word)."""

    action: Literal["idle", "sync", "logout", "drop"]
    conn: str = Field(description="A session (open_mailbox, or check_mail with quit: false); drop also "
                                  "takes a connect step's connection")


class RunQueueStep(StepBase):
    """A relay sends what waits in its queue: MX lookup in DNS, an SMTP session to port 25 of the MX,
    and then a delivery, a retry later (4xx) or a bounce to the sender (5xx)."""

    action: Literal["run_queue"]
    host: str | None = Field(None, description="Mail host; default: every mail host")


class AdvanceClockStep(StepBase):
    """Move the virtual clock on; the queues then retry what is due (no bytes cross until they do)."""

    action: Literal["advance_clock"]
    seconds: float = Field(gt=0)
    run_queues: bool = Field(True, description="Let every queue runner wake up afterwards")


class FaultStep(StepBase):
    """From this step on, a mail host answers a command (the stage) with the chosen reply instead of its
    own, the next `times` times: e.g. 451 4.7.1 at RCPT (greylisting) or 552 at the final dot of DATA."""

    model_config = ConfigDict(json_schema_extra=_fault_schema)

    action: Literal["fault"]
    host: str
    protocol: str = Field("smtp", description="A protocol of the registry: smtp, imap or pop3")
    stage: str = Field(description="A fault stage of that protocol (smtp: MAIL, RCPT, DATA), "
                                   "checked when the file is validated")
    code: int = Field(ge=400, le=599)
    enhanced: str = ""
    text: str = "Fault injected by the scenario"
    times: int = Field(1, ge=0, description="0 means for ever")


class ChangeBodyStep(StepBase):
    """A relay that changes the body of the next message(s) it passes on, after DKIM signed them: a
    scanner's footer, a rewritten link. The receiver's body hash then fails (RFC 6376 3.7, 6.1.3)."""

    action: Literal["change_body"]
    host: str = Field(description="The mail host whose relay changes what it sends on, e.g. mail.example.org")
    old: str = Field("", description="Text of the body replaced where it first occurs; empty: add `new` "
                                     "as the last line(s)")
    new: str = Field(min_length=1, description="The text put in (lines end in CRLF on the wire)")
    times: int = Field(1, ge=0, description="How many messages it changes; 0 means every one")


class HostDownStep(StepBase):
    """host_down: a host stops answering, so connections to it fail ("host is down"); host_up: it is back."""

    action: Literal["host_down", "host_up"]
    host: str


class CheckStepModel(StepBase):
    """Only checks (and narration): no action on the world."""

    action: Literal["check"]


class NoteStep(StepBase):
    """A remark for the class in the trace; nothing crosses the wire."""

    action: Literal["note"]
    text: str


class CertificateStep(StepBase):
    """From this step on, a mail host serves a certificate with a fault (or a valid one again): the next
    TLS handshake with it shows what a verifying client says (RFC 5280 6.1.3, RFC 9525 6)."""

    action: Literal["certificate"]
    host: str = Field(description="The mail host whose certificate changes, e.g. mail.example.org")
    fault: CertFault = Field(description="expired, not-yet-valid, wrong-name, self-signed, unknown-ca, "
                                         "or none for a valid certificate again")


class DnsPublishModel(DnsRecordModel):
    """A record a dns step adds to the world's DNS."""


class DnsWithdrawModel(DnsRemoveModel):
    """A record a dns step takes out of the world's DNS (every value of that name and type)."""


class DnsStep(StepBase):
    """From this step on, the world's DNS holds other records: a domain publishes a record (a DMARC
    policy, an SPF record) or withdraws one. Every later lookup sees the change; nothing crosses the wire."""

    action: Literal["dns"]
    publish: list[DnsPublishModel] = Field([], description="Records added, e.g. {name: _dmarc.example.org, "
                                                           "type: TXT, value: \"v=DMARC1; p=reject\"}")
    remove: list[DnsWithdrawModel] = Field([], description="Records removed (every value of that name and type)")

    @model_validator(mode="after")
    def _changes_something(self) -> DnsStep:
        if not self.publish and not self.remove:
            raise ValueError("a dns step needs publish or remove (or both)")
        return self


class MitmStep(StepBase, _MitmFields):
    """From this step on, a man in the middle sits on the link between two hosts (see world.mitm)."""

    action: Literal["mitm"]


Step = Annotated[
    ConnectStep | SendStep | CloseStep | SendMessageStep | RunQueueStep | AdvanceClockStep
    | FaultStep | ChangeBodyStep | HostDownStep | CheckStepModel | NoteStep | MitmStep | CertificateStep | DnsStep
    | CheckMailStep
    | OpenMailboxStep | ReadStep
    | FlagStep | MoveStep | DeleteStep | SessionStep,
    Field(discriminator="action"),
]


class Scenario(Model):
    """A world and a script of steps: what `mailsim run` runs and `mailsim play` steps through."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="The scenario's name, unique among the files shown")
    title: str = Field(description="Shown in the picker and above the steps")
    summary: str = Field("", description="A paragraph on what happens (Markdown)")
    format: Literal[1] = Field(FORMAT_VERSION, description="The version of this file format")
    seed: int = Field(1, description="Seeds every random choice (queue ids, nonces): the same seed, the same run")
    start: datetime = Field(datetime.fromisoformat("2026-03-02T09:00:00+00:00"),
                            description="The virtual clock's time at the first step")
    world: WorldModel = Field(WorldModel(), description="Changes to the default world")
    steps: list[Step] = Field(min_length=1, description="Step ids are unique (checked with the references)")


# --- lessons --------------------------------------------------------------------


class RfcRef(Model):
    """One RFC section the lesson rests on, listed in the picker and the handout."""

    rfc: int = Field(gt=0, description="The RFC's number")
    section: str = Field("", description="The section, quoted so YAML keeps it text: \"4.2.1\"")
    title: str = Field("", description="The section's title as the RFC gives it")


class Lesson(Model):
    """Narration around a scenario: what the picker lists and the player shows first and last."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="The lesson's name, unique among the lessons shown")
    title: str = Field(description="Shown in the picker and the player")
    topic: str = Field(description="The picker's heading, e.g. SMTP, TLS or DMARC; the bundled topics "
                                   "come in teaching order")
    order: int = Field(0, description="Teaching order within the topic")
    level: Literal["beginner", "intermediate", "advanced"]
    minutes: int = Field(gt=0, description="About how long the lesson takes")
    objectives: list[str] = Field(min_length=1, description="What the student can do afterwards, one line each")
    intro: str = Field(description="Shown before the first step (Markdown)")
    summary: str = Field(description="Shown after the last step (Markdown), with the RFC sections")
    scenario: str = Field(description="Path of the scenario, relative to the lesson file")
    rfcs: list[RfcRef] = []
