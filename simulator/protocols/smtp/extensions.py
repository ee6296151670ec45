"""The SMTP service extensions the server can offer, each declared once (RFC 5321 2.2).

An :class:`Extension` says what it brings: its EHLO keyword line, the MAIL
FROM parameters it defines (with their checks) and the commands it adds. The
server accepts a parameter or command only if an extension it offers
declares it, so ``extensions=("PIPELINING",)`` refuses ``SIZE=``,
``BODY=8BITMIME`` and ``SMTPUTF8`` with 555 (RFC 5321 4.1.1.11) and
``STARTTLS`` with 502. A line may depend on whether TLS is up: STARTTLS is
never offered over TLS (RFC 3207 4.2), and AUTH offers its plaintext
mechanisms only over TLS (RFC 4954 4, RFC 8314 5.2) unless the server allows them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.protocols.smtp.replies import R, Reply

if TYPE_CHECKING:
    from simulator.protocols.smtp.server import SmtpServerConfig

# A parameter check: (its value or None, the server's config) -> None to accept, or the refusal.
ParamCheck = Callable[[str | None, "SmtpServerConfig"], Reply | None]


@dataclass(frozen=True, slots=True)
class Extension:
    keyword: str
    rfc: str
    mail_params: tuple[tuple[str, ParamCheck], ...] = ()  # MAIL FROM parameters it defines
    commands: tuple[str, ...] = ()  # verbs it adds
    # The EHLO line, when not the bare keyword: (config, TLS is up) -> the line, or None to leave it out.
    line: Callable[[SmtpServerConfig, bool], str | None] | None = None

    def ehlo_line(self, config: SmtpServerConfig, *, tls: bool = False) -> str | None:
        return self.line(config, tls) if self.line else self.keyword


def _size(value: str | None, config: SmtpServerConfig) -> Reply | None:
    if value is None or not (value.isascii() and value.isdigit()):
        return R.BAD_SYNTAX.format("SIZE=<number of octets>")
    if int(value) > config.max_message_size:
        return R.SIZE_EXCEEDED.format(config.max_message_size)  # RFC 1870 section 6
    return None


def _body(value: str | None, config: SmtpServerConfig) -> Reply | None:
    if value is None or value.upper() not in ("7BIT", "8BITMIME", "BINARYMIME"):
        return R.BAD_SYNTAX.format("BODY=7BIT or BODY=8BITMIME")
    if value.upper() == "BINARYMIME":  # RFC 3030: needs CHUNKING (BDAT), which is not offered
        return R.PARAM_NOT_IMPLEMENTED.format("BODY=BINARYMIME")
    return None


def _auth_param(value: str | None, config: SmtpServerConfig) -> Reply | None:
    """RFC 4954 5: ``AUTH=<mailbox>`` or ``AUTH=<>``, an xtext the server may ignore (and this one does)."""
    if value is None or not value:
        return R.BAD_SYNTAX.format("AUTH=<mailbox> or AUTH=<> (RFC 4954 section 5)")
    return None


def _auth_line(config: SmtpServerConfig, tls: bool) -> str | None:
    offered = config.auth_offered(tls=tls)
    return "AUTH " + " ".join(offered) if offered else None


def _smtputf8(value: str | None, config: SmtpServerConfig) -> Reply | None:
    if value is not None:
        return R.BAD_SYNTAX.format("SMTPUTF8 takes no value")  # RFC 6531 3.4
    return None


EXTENSIONS: dict[str, Extension] = {ext.keyword: ext for ext in (
    Extension("PIPELINING", "RFC 2920"),
    Extension("SIZE", "RFC 1870", mail_params=(("SIZE", _size),),
              line=lambda config, tls: f"SIZE {config.max_message_size}"),
    Extension("8BITMIME", "RFC 6152", mail_params=(("BODY", _body),)),
    Extension("ENHANCEDSTATUSCODES", "RFC 2034"),
    Extension("SMTPUTF8", "RFC 6531", mail_params=(("SMTPUTF8", _smtputf8),)),
    Extension("STARTTLS", "RFC 3207", commands=("STARTTLS",),
              line=lambda config, tls: None if tls else "STARTTLS"),  # RFC 3207 4.2: not over TLS
    Extension("AUTH", "RFC 4954", mail_params=(("AUTH", _auth_param),), commands=("AUTH",), line=_auth_line),
)}

# Verbs that exist only as part of an extension: 502 unless that extension is offered.
EXTENSION_COMMANDS: dict[str, str] = {verb: ext.keyword for ext in EXTENSIONS.values() for verb in ext.commands}


def check_offered(keywords: tuple[str, ...]) -> None:
    unknown = [k for k in keywords if k not in EXTENSIONS]
    if unknown:
        raise ValueError(f"unknown SMTP extension(s) {', '.join(unknown)}; known: {', '.join(EXTENSIONS)}")
