"""Which addresses a fetch may connect to: never link-local or cloud metadata, and by default
nothing private or loopback.

A source, or a redirect it sends us on, must not make TradeWatch reach into the network it runs
in (169.254.169.254 answers cloud credentials). `refusal(addresses, allow_private)` names the
first refused address and its range, or None; ALWAYS_REFUSED holds for every source, PRIVATE is
lifted by a catalog entry's `allow_private = true` (a source on the operator's own network, or a
test server on 127.0.0.1). `resolve` is the default resolver (the system's, via the event loop);
tests pass a stub. An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as IPv4.
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Awaitable, Callable, Iterable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


RangeTable = tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...]


def _networks(table: Iterable[tuple[str, str]]) -> RangeTable:
    return tuple((ipaddress.ip_network(cidr), label) for cidr, label in table)


ALWAYS_REFUSED = _networks((
    ("169.254.0.0/16", "link-local / cloud metadata"),
    ("fe80::/10", "IPv6 link-local"),
    ("fd00:ec2::254/128", "cloud metadata"),
    ("0.0.0.0/8", "'this network'"),
    ("::/128", "unspecified"),
    ("224.0.0.0/4", "multicast"),
    ("ff00::/8", "IPv6 multicast"),
    ("240.0.0.0/4", "reserved"),
))
PRIVATE = _networks((
    ("127.0.0.0/8", "loopback"),
    ("::1/128", "IPv6 loopback"),
    ("10.0.0.0/8", "private"),
    ("172.16.0.0/12", "private"),
    ("192.168.0.0/16", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("198.18.0.0/15", "benchmarking"),
    ("fc00::/7", "IPv6 unique local (fd00::/8)"),
))

LIFTED_BY = "; a source on your own network may set allow_private = true"


def refusal(addresses: Iterable[str], allow_private: bool) -> str | None:
    """'169.254.169.254 is in 169.254.0.0/16 (link-local / cloud metadata)' for the first refused
    address, or None when every address may be reached."""
    for text in addresses:
        address = _address(text)
        if address is None:
            continue
        label = _range_of(address, ALWAYS_REFUSED)
        if label:
            return f"{text} is in {label}"
        label = None if allow_private else _range_of(address, PRIVATE)
        if label:
            return f"{text} is in {label}{LIFTED_BY}"
    return None


def _range_of(address: Address, table: RangeTable) -> str | None:
    for network, label in table:
        if address.version == network.version and address in network:
            return f"{network} ({label})"
    return None


def literal(host: str) -> str | None:
    """`host` itself when it is an IP address (brackets allowed), else None."""
    address = _address(host.strip("[]"))
    return str(address) if address is not None else None


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])   # drop an IPv6 zone ("fe80::1%eth0")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


async def resolve(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for `host` ([] when it cannot resolve it: the
    connection attempt then reports that)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]
