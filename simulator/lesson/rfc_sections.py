"""The RFC sections mailsim's lessons and scenarios cite, with each section's title, and where
each title was checked against the RFC's own text.

A lesson's ``rfcs:`` list must give these titles (tests/lesson/test_rfc_citations.py), and
every "RFC N section S" in narration must name a section listed here. A title that has not
yet been read in the RFC's text has no ``source``: it was written from memory and awaits
checking; ``None`` as a title means the section is cited in narration but its title is not
known here (the citation itself is still unchecked). :func:`citations` finds the citations in
a text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Where a title was read. Each is the RFC's own text (its table of contents, or the section
# heading itself), in a copy found in a public repository or web page.
R2177 = "RFC 2177 text, section headings (giantpanda-imap/tmail docs/rfc/rfc2177.txt)"
R2195 = "RFC 2195 text, section headings (giantpanda-imap/tmail docs/rfc/rfc2195.txt)"
R3207 = "RFC 3207 text, section headings (elook.org/computing/rfc/rfc3207.html)"
R4616 = "RFC 4616 text, section headings (giantpanda-imap/tmail docs/rfc/rfc4616.txt)"
R4959 = "RFC 4959 text, section headings (giantpanda-imap/tmail docs/rfc/rfc4959.txt)"
R5246 = "RFC 5246 text, table of contents (pingu342/rfc rfc5246.txt)"
R5321 = "RFC 5321 text, table of contents and section headings (toorop/tmail doc/rfc5321.txt)"
R8446 = "RFC 8446 text, table of contents (tlswg/tls13-rfc rfc8446.txt)"
R8314_33 = "RFC 8314 section 3.3 heading, quoted from rfc-editor.org/rfc/rfc8314"
# RFC 9989 was published from draft-ietf-dmarc-dmarcbis-41 (rfc-editor.org xmldiff); its numbers and titles here were counted
# from the headings of a late revision of the draft's source, not read in the RFC itself.
D9989 = "RFC 9989 as draft-ietf-dmarc-dmarcbis (markdown source, a late revision): numbers counted from its headings"
R9051 = 'RFC 9051 text, section headings (rfc-editor.org/rfc/rfc9051 page, saved as Markdown in a public repository)'
R5322 = 'RFC 5322 text, table of contents (mailhedgehog/email rfc5322.txt)'
R1939 = 'RFC 1939 text, table of contents (AdaCore/aws docs/rfc1939.txt)'
R5280 = 'RFC 5280 text, table of contents (firedancer-io/firedancer rfc5280.txt)'
R2045 = 'RFC 2045 text, table of contents (HokuNZ/SwiftIMAP rfc2045.txt)'
R2183 = 'RFC 2183 text, section headings (AdaCore/aws docs/rfc2183.txt)'
R2046 = 'RFC 2046 text, table of contents (HokuNZ/SwiftIMAP rfc2046.txt)'
R5530 = 'RFC 5530 text, section headings (giantpanda-imap/tmail docs/rfc/rfc5530.txt)'
R7208 = 'RFC 7208 text, table of contents (wttw/spf docs/rfc7208.txt)'


@dataclass(frozen=True)
class S:
    """One section: its title as the RFC's table of contents gives it, and where that was read."""

    title: str | None
    source: str | None = None
    draft: bool = False  # read in the draft the RFC was published from, not in the RFC

    @property
    def verified(self) -> bool:
        return self.source is not None and self.title is not None and not self.draft


SECTIONS: dict[tuple[int, str], S] = {
    # RFC 1939
    (1939, '1'): S('Introduction', R1939),
    (1939, '3'): S('Basic Operation', R1939),
    (1939, '4'): S('The AUTHORIZATION State', R1939),
    (1939, '5'): S('The TRANSACTION State', R1939),
    (1939, '6'): S('The UPDATE State', R1939),
    (1939, '7'): S('Optional POP3 Commands', R1939),
    (1939, '13'): S('Security Considerations', R1939),
    # RFC 2034
    (2034, '4'): S(None),
    # RFC 2045
    (2045, '4'): S('MIME-Version Header Field', R2045),
    (2045, '5'): S('Content-Type Header Field', R2045),
    (2045, '6.7'): S('Quoted-Printable Content-Transfer-Encoding', R2045),
    (2045, '6.8'): S('Base64 Content-Transfer-Encoding', R2045),
    # RFC 2046
    (2046, '5.1'): S('Multipart Media Type', R2046),
    (2046, '5.1.1'): S('Common Syntax', R2046),
    (2046, '5.1.3'): S('Mixed Subtype', R2046),
    (2046, '5.1.4'): S('Alternative Subtype', R2046),
    # RFC 2047
    (2047, '2'): S('Syntax of encoded-words'),
    # RFC 2177
    (2177, '3'): S('Specification', R2177),
    # RFC 2183
    (2183, '2'): S('The Content-Disposition Header Field', R2183),
    (2183, '2.2'): S('The Attachment Disposition Type', R2183),
    (2183, '2.3'): S('The Filename Parameter', R2183),
    # RFC 2195
    (2195, '2'): S('Challenge-Response Authentication Mechanism (CRAM)', R2195),
    # RFC 2231
    (2231, '4'): S('Parameter Value Character Set and Language Information'),
    # RFC 2449
    (2449, '5'): S('The CAPA Command'),
    (2449, '6.2'): S(None),
    (2449, '6.7'): S(None),
    (2449, '8'): S(None),
    (2449, '8.1.2'): S(None),
    # RFC 2505
    (2505, '1.5'): S(None),
    (2505, '2.1'): S('Restricting unauthorized Mail Relay usage'),
    (2505, '2.6.1'): S(None),
    # RFC 2595
    (2595, '4'): S('POP3 STARTTLS extension'),
    # RFC 2920
    (2920, '3.1'): S('Client use of pipelining'),
    # RFC 3206
    (3206, '5'): S(None),
    # RFC 3207
    (3207, '3'): S('The STARTTLS Keyword', R3207),
    (3207, '4'): S('The STARTTLS Command', R3207),
    (3207, '4.2'): S('Result of the STARTTLS Command'),
    (3207, '4.3'): S('STARTTLS on the Submission Port'),
    (3207, '6'): S('Security Considerations'),
    # RFC 3463
    (3463, '3'): S('Enumerated Status Codes'),
    (3463, '3.2'): S('Addressing Status'),
    (3463, '3.4'): S('Mail system status'),
    (3463, '3.6'): S('Message Content or Media Status'),
    (3463, '3.7'): S('Message Content or Message Media Status'),
    (3463, '3.8'): S('Security or Policy Status'),
    # RFC 3464
    (3464, '2'): S('Format of a Delivery Status Notification'),
    # RFC 4616
    (4616, '2'): S('PLAIN SASL Mechanism', R4616),
    (4616, '5'): S('Security Considerations', R4616),
    # RFC 4954
    (4954, '3'): S('The Authentication Service Extension'),
    (4954, '4'): S('The AUTH Command'),
    (4954, '6'): S('Status Codes'),
    # RFC 4959
    (4959, '3'): S('IMAP Changes to the IMAP AUTHENTICATE Command', R4959),
    # RFC 5034
    (5034, '3'): S(None),
    (5034, '4'): S('The AUTH Command'),
    # RFC 5246
    (5246, '7.3'): S('Handshake Protocol Overview', R5246),
    (5246, '7.4.1.2'): S('Client Hello', R5246),
    (5246, '7.4.1.3'): S('Server Hello', R5246),
    (5246, '7.4.2'): S('Server Certificate', R5246),
    (5246, '7.4.3'): S('Server Key Exchange Message', R5246),
    (5246, '7.4.5'): S('Server Hello Done', R5246),
    # RFC 5280
    (5280, '3.2'): S('Certification Paths and Trust', R5280),
    (5280, '4.1.2.5'): S('Validity', R5280),
    (5280, '4.2.1.6'): S('Subject Alternative Name', R5280),
    (5280, '6.1'): S('Basic Path Validation', R5280),
    (5280, '6.1.3'): S('Basic Certificate Processing', R5280),
    # RFC 5321
    (5321, '2.3.8'): S('Lines', R5321),
    (5321, '3.1'): S('Session Initiation', R5321),
    (5321, '3.3'): S('Mail Transactions', R5321),
    (5321, '3.5.1'): S('Overview', R5321),
    (5321, '3.5.3'): S('Meaning of VRFY or EXPN Success Response', R5321),
    (5321, '3.6.2'): S('Mail eXchange Records and Relaying', R5321),
    (5321, '3.6.3'): S('Message Submission Servers as Relays', R5321),
    (5321, '3.9'): S('Mailing Lists and Aliases', R5321),
    (5321, '3.9.1'): S('Alias', R5321),
    (5321, '3.9.2'): S('List', R5321),
    (5321, '4.1.1'): S('Command Semantics and Syntax', R5321),
    (5321, '4.1.1.1'): S('Extended HELLO (EHLO) or HELLO (HELO)', R5321),
    (5321, '4.1.1.2'): S('MAIL (MAIL)', R5321),
    (5321, '4.1.1.3'): S('RECIPIENT (RCPT)', R5321),
    (5321, '4.1.1.4'): S('DATA (DATA)', R5321),
    (5321, '4.1.1.5'): S('RESET (RSET)', R5321),
    (5321, '4.1.1.6'): S('VERIFY (VRFY)', R5321),
    (5321, '4.1.1.7'): S('EXPAND (EXPN)', R5321),
    (5321, '4.1.1.9'): S('NOOP (NOOP)', R5321),
    (5321, '4.1.1.10'): S('QUIT (QUIT)', R5321),
    (5321, '4.1.4'): S('Order of Commands', R5321),
    (5321, '4.2'): S('SMTP Replies', R5321),
    (5321, '4.2.1'): S('Reply Code Severities and Theory', R5321),
    (5321, '4.2.2'): S('Reply Codes by Function Groups', R5321),
    (5321, '4.2.3'): S('Reply Codes in Numeric Order', R5321),
    (5321, '4.2.4'): S('Reply Code 502', R5321),
    (5321, '4.2.5'): S('Reply Codes after DATA and the Subsequent <CRLF>.<CRLF>', R5321),
    (5321, '4.3.2'): S('Command-Reply Sequences', R5321),
    (5321, '4.4'): S('Trace Information', R5321),
    (5321, '4.5.2'): S('Transparency', R5321),
    (5321, '4.5.3.1'): S('Size Limits and Minimums', R5321),
    (5321, '4.5.3.1.4'): S('Command Line', R5321),
    (5321, '4.5.3.1.6'): S('Text Line', R5321),
    (5321, '4.5.4.1'): S('Sending Strategy'),
    (5321, '4.5.5'): S('Messages with a Null Reverse-Path', R5321),
    (5321, '5.1'): S('Locating the Target Host', R5321),
    (5321, '6.1'): S('Reliable Delivery and Replies by Email', R5321),
    (5321, '7.1'): S('Mail Security and Spoofing', R5321),
    (5321, '7.3'): S('VRFY, EXPN, and Security', R5321),
    # RFC 5322
    (5322, '2.1'): S('General Description', R5322),
    (5322, '2.2'): S('Header Fields', R5322),
    (5322, '2.2.3'): S('Long Header Fields', R5322),
    (5322, '2.3'): S('Body', R5322),
    (5322, '3.2.5'): S('Miscellaneous Tokens', R5322),
    (5322, '3.4'): S('Address Specification', R5322),
    (5322, '3.6.2'): S('Originator Fields', R5322),
    # RFC 5530
    (5530, '3'): S('Response Codes', R5530),
    # RFC 5802
    (5802, '3'): S('SCRAM Algorithm Overview'),
    (5802, '5'): S('SCRAM Authentication Exchange'),
    # RFC 6066
    (6066, '3'): S('Server Name Indication'),
    # RFC 6125
    (6125, '6.4'): S('Matching the DNS Domain Name Portion'),
    # RFC 6152
    (6152, '3'): S('The 8bit-MIMEtransport Service Extension'),
    # RFC 6154
    (6154, '2'): S(None),
    # RFC 6376
    (6376, '1.2'): S('Signing Identity'),
    (6376, '3.4'): S('Canonicalization'),
    (6376, '3.4.1'): S('The "simple" Header Canonicalization Algorithm'),
    (6376, '3.4.2'): S('The "relaxed" Header Canonicalization Algorithm'),
    (6376, '3.4.4'): S('The "relaxed" Body Canonicalization Algorithm'),
    (6376, '3.5'): S('The DKIM-Signature Header Field'),
    (6376, '3.6.2'): S('DNS Binding'),
    (6376, '3.7'): S('Computing the Message Hashes'),
    (6376, '5'): S('Signer Actions'),
    (6376, '5.1'): S('Determine Whether the Email Should Be Signed and by Whom'),
    (6376, '5.3'): S('Normalize the Message to Prevent Transport Conversions'),
    (6376, '5.4.1'): S('Recommended Signature Content'),
    (6376, '6'): S('Verifier Actions'),
    (6376, '6.1'): S('Extract Signatures from the Message'),
    (6376, '6.1.2'): S('Get the Public Key'),
    (6376, '6.1.3'): S('Compute the Verification'),
    # RFC 6409
    (6409, '3.1'): S('Submission Identification'),
    (6409, '3.2'): S(None),
    (6409, '4.3'): S('Require Authentication'),
    (6409, '6.1'): S('Enforce Submission Rights'),
    # RFC 6851
    (6851, '3'): S('MOVE and UID MOVE'),
    (6851, '3.3'): S(None),
    # RFC 7208
    (7208, '2.2'): S('Checking Authorization', R7208),
    (7208, '2.3'): S('The "HELO" Identity', R7208),
    (7208, '2.4'): S('The "MAIL FROM" Identity', R7208),
    (7208, '2.6'): S('Results of Evaluation', R7208),
    (7208, '2.6.3'): S('Pass', R7208),
    (7208, '2.6.4'): S('Fail', R7208),
    (7208, '4'): S('The check_host() Function', R7208),
    (7208, '4.6.2'): S('Mechanisms', R7208),
    (7208, '5.1'): S('"all"', R7208),
    (7208, '5.3'): S('"a"', R7208),
    (7208, '5.6'): S('"ip4" and "ip6"', R7208),
    (7208, '8.4'): S('Fail', R7208),
    (7208, '8.5'): S('Softfail', R7208),
    (7208, '9.1'): S('The Received-SPF Header Field', R7208),
    # RFC 7677
    (7677, '3'): S('SCRAM-SHA-256 and SCRAM-SHA-256-PLUS'),
    # RFC 8301
    (8301, '3.2'): S('Key Sizes'),
    # RFC 8314
    (8314, '1'): S('Introduction'),
    (8314, '3'): S('Implicit TLS'),
    (8314, '3.1'): S('Implicit TLS for POP'),
    (8314, '3.2'): S('Implicit TLS for IMAP'),
    (8314, '3.3'): S('Implicit TLS for SMTP Submission', R8314_33),
    (8314, '5.2'): S('Minimum Confidentiality Level'),
    (8314, '5.3'): S('Certificate Validation'),
    # RFC 8446
    (8446, '1.2'): S('Major Differences from TLS 1.2', R8446),
    (8446, '2'): S('Protocol Overview', R8446),
    (8446, '4.1.2'): S('Client Hello', R8446),
    (8446, '4.1.3'): S('Server Hello', R8446),
    (8446, '4.2.1'): S('Supported Versions', R8446),
    (8446, '4.2.8'): S('Key Share', R8446),
    (8446, '4.3.1'): S('Encrypted Extensions', R8446),
    (8446, '4.4.2'): S('Certificate', R8446),
    (8446, '4.4.3'): S('Certificate Verify', R8446),
    (8446, '4.6.1'): S('New Session Ticket Message', R8446),
    (8446, '5.1'): S('Record Layer', R8446),
    (8446, '5.2'): S('Record Payload Protection', R8446),
    (8446, '6.1'): S('Closure Alerts', R8446),
    (8446, '6.2'): S('Error Alerts', R8446),
    (8446, 'D.4'): S('Middlebox Compatibility Mode', R8446),
    # RFC 7435
    (7435, '1'): S('Introduction'),
    # RFC 8461
    (8461, '3.1'): S('MTA-STS TXT Records'),
    (8461, '3.2'): S('MTA-STS Policies'),
    (8461, '3.3'): S('HTTPS Policy Fetching'),
    (8461, '4.1'): S('MX Host Validation'),
    (8461, '4.2'): S('Recipient MTA Certificate Validation'),
    (8461, '5'): S('Policy Application'),
    (8461, '10'): S('Security Considerations'),
    # RFC 8463
    (8463, '3'): S('Ed25519-SHA256 Signing Algorithm'),
    (8463, '4.2'): S('Key Syntax'),
    (8463, '6'): S(None),
    # RFC 8601
    (8601, '2.2'): S('Formal Definition'),
    (8601, '2.5'): S(None),
    (8601, '2.7'): S('Defined Methods and Result Values'),
    (8601, '2.7.1'): S('DKIM and DomainKeys'),
    (8601, '5'): S('Removing Existing Header Fields'),
    # RFC 9051
    (9051, '2.2'): S('Commands and Responses', R9051),
    (9051, '2.2.1'): S('Client Protocol Sender and Server Protocol Receiver', R9051),
    (9051, '2.3.1'): S('Message Numbers', R9051),
    (9051, '2.3.1.1'): S('Unique Identifier (UID) Message Attribute', R9051),
    (9051, '2.3.2'): S('Flags Message Attribute', R9051),
    (9051, '4.3'): S('String'),
    (9051, '5.2'): S('Mailbox Size and Message Status Updates', R9051),
    (9051, '6.1.2'): S('NOOP Command', R9051),
    (9051, '6.1.3'): S('LOGOUT Command', R9051),
    (9051, '6.2.1'): S('STARTTLS Command', R9051),
    (9051, '6.2.2'): S('AUTHENTICATE Command', R9051),
    (9051, '6.2.3'): S('LOGIN Command', R9051),
    (9051, '6.3.2'): S('SELECT Command', R9051),
    (9051, '6.3.13'): S('IDLE Command'),
    (9051, '6.4.5'): S('FETCH Command', R9051),
    (9051, '6.4.6'): S('STORE Command', R9051),
    (9051, '7.1'): S('Server Responses - Generic Status Responses', R9051),
    (9051, '7.1.1'): S('OK Response', R9051),
    (9051, '7.2.2'): S('CAPABILITY Response', R9051),
    (9051, '7.4.1'): S('EXISTS Response', R9051),
    (9051, '7.5.1'): S('EXPUNGE Response', R9051),
    (9051, '7.5.2'): S('FETCH Response', R9051),
    # RFC 9525
    (9525, '6'): S('Verifying Service Identity'),
    (9525, '6.3'): S('Matching the DNS Domain Name Portion'),
    # RFC 9989
    (9989, '3.2.10'): S('Identifier Alignment', D9989, draft=True),
    (9989, '3.2.10.1'): S('Relaxed Alignment', D9989, draft=True),
    (9989, '4.4'): S('Identifier Alignment Explained', D9989, draft=True),
    (9989, '4.7'): S('DMARC Policy Record Format', D9989, draft=True),
    (9989, '4.10'): S('DNS Tree Walk', D9989, draft=True),
    (9989, '4.10.1'): S('DMARC Policy Discovery', D9989, draft=True),
    (9989, '5.3'): S('Mail Receiver Actions', D9989, draft=True),
    (9989, '5.3.1'): S('Extract Author Domain', D9989, draft=True),
    (9989, '5.3.2'): S('Determine If The DMARC Mechanism Applies', D9989, draft=True),
    (9989, '5.3.4'): S('Conduct Identifier Alignment Checks If Necessary', D9989, draft=True),
    (9989, '5.3.5'): S('Determine DMARC "Pass" or "Fail"', D9989, draft=True),
    (9989, '5.3.6'): S('Apply Policy If Appropriate', D9989, draft=True),
    (9989, '7.2'): S('Rejecting Messages', D9989, draft=True),
}

_SECTION = r"(?:[A-Z](?:\.\d+)+|\d+(?:\.\d+)*)"
_CITATION = re.compile(
    r"RFC\s+(\d{3,5})\s+\(?sections?\s+(" + _SECTION + r"(?:(?:,\s*(?:and\s+)?|\s+and\s+)" + _SECTION + r")*)")


def citations(text: str) -> list[tuple[int, str]]:
    """Every (rfc, section) that ``text`` cites as "RFC N section S" (or "sections S, T and U"),
    in order; line breaks inside a citation are allowed, as in wrapped YAML text."""
    found: list[tuple[int, str]] = []
    for match in _CITATION.finditer(text):
        rfc = int(match.group(1))
        found.extend((rfc, section) for section in re.findall(_SECTION, match.group(2)))
    return found


def covered_rfcs() -> frozenset[int]:
    """The RFCs this table lists sections of."""
    return frozenset(rfc for rfc, _ in SECTIONS)


def unverified() -> list[tuple[int, str]]:
    """The sections whose titles have not been read in the RFC's text."""
    return [key for key, entry in SECTIONS.items() if not entry.verified]
