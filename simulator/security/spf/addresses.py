"""The client address as SPF sees it: its family, its reverse name, its dotted form."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

Address = IPv4Address | IPv6Address


def client_address(ip: str | Address) -> Address:
    """Parse ``ip``; an IPv4-mapped IPv6 address is IPv4 (RFC 7208 5, 5.6)."""
    addr = ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(addr, IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def dotted(addr: Address) -> str:
    """The %{i} form (RFC 7208 7.3): dotted quad, or 32 dot-separated nibbles for IPv6.

    The nibbles are upper case, as in the RFC 7208 test suite's explanations;
    DNS names are case-insensitive (RFC 4343), so queries do not care.
    """
    if isinstance(addr, IPv4Address):
        return str(addr)
    return ".".join(f"{addr.packed.hex():0>32}".upper())


def readable(addr: Address) -> str:
    """The %{c} form (RFC 7208 7.3): dotted quad, or RFC 5952 text for IPv6."""
    return str(addr)


def version_label(addr: Address) -> str:
    """The %{v} macro: "in-addr" or "ip6" (RFC 7208 7.3)."""
    return "in-addr" if isinstance(addr, IPv4Address) else "ip6"


def reverse_name(addr: Address) -> str:
    """The PTR query name: 4.3.2.1.in-addr.arpa or the ip6.arpa nibbles (RFC 7208 5.5)."""
    return addr.reverse_pointer


def address_rtype(addr: Address) -> str:
    """A for an IPv4 client, AAAA for IPv6 (RFC 7208 5.3)."""
    return "A" if isinstance(addr, IPv4Address) else "AAAA"


def in_network(addr: Address, network: str, cidr4: int, cidr6: int) -> bool:
    """Whether ``addr`` lies in ``network``/cidr of its own family; mixed families never match."""
    try:
        other = ip_address(network)
    except ValueError:
        return False
    if isinstance(addr, IPv4Address):
        if not isinstance(other, IPv4Address):
            return False
        return addr in IPv4Network((other, cidr4), strict=False)
    if not isinstance(other, IPv6Address):
        return False
    return addr in IPv6Network((other, cidr6), strict=False)
