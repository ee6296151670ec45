"""Security beside the protocols: TLS, PKI, DKIM, SPF, DMARC (DESIGN.md "Layers").

Nothing here imports the virtual world (``simulator.net``) or anything above it:
checks that need DNS take a resolver (:mod:`simulator.security.dns`).
"""
