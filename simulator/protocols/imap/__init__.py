"""IMAP4rev2 (RFC 9051) with the IMAP4rev1 (RFC 3501) behaviour real clients ask for."""
