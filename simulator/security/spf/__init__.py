"""SPF, RFC 7208: may this client address send mail for this domain? Step by step.

    result = check_mail_from("192.0.2.10", "alice@example.org", "mail.example.org", resolver)
    result.result        # "pass", "fail", ... (RFC 7208 2.6)
    result.events(host)  # one CheckStep per term evaluated

``resolver`` is any :class:`simulator.security.dns.Resolver`.
"""

from simulator.security.spf.check import (
    DEFAULT_EXPLANATION,
    LOOKUP_LIMIT,
    NAME_LIMIT,
    RESULTS,
    VOID_LIMIT,
    SpfResult,
    SpfStep,
    check_helo,
    check_host,
    check_mail_from,
    step_event,
)
from simulator.security.spf.errors import SpfSyntaxError
from simulator.security.spf.header import received_spf
from simulator.security.spf.record import SpfRecord, parse_record

__all__ = [
    "DEFAULT_EXPLANATION",
    "LOOKUP_LIMIT",
    "NAME_LIMIT",
    "RESULTS",
    "VOID_LIMIT",
    "SpfRecord",
    "SpfResult",
    "SpfStep",
    "SpfSyntaxError",
    "check_helo",
    "check_host",
    "check_mail_from",
    "parse_record",
    "received_spf",
    "step_event",
]
