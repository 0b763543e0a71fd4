"""Address and port arithmetic for the reachability engine.

Everything here is exact set arithmetic over CIDR blocks and port intervals. Two CIDR blocks
either nest or are disjoint, which keeps "is this block covered by the union of those" exact
without general interval sets.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from preflight.netmath import Network, net

Net = Network  # an IPv4 or IPv6 block

INTERNET = {4: ipaddress.ip_network("0.0.0.0/0"), 6: ipaddress.ip_network("::/0")}
# The well-known NAT64 prefix: an IPv6-only subnet reaches IPv4 destinations through it and a
# NAT gateway (https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-nat64-dns64.html).
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Address space that is not on the internet (RFC 6890 special-purpose blocks that are not
# globally reachable): a route for one of these never counts as internet egress.
_NOT_INTERNET = tuple(ipaddress.ip_network(c) for c in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
    "::/8", "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b::/96"))
EPHEMERAL_ANY = (1024, 65535)  # NAT gateways, Hyperplane interfaces (App Runner connectors)
EPHEMERAL_LINUX = (32768, 60999)  # the Linux kernel's default ip_local_port_range
ALL_PORTS = (0, 65535)


def parse(cidr: str | None) -> Net | None:
    """The network of a CIDR string; None for a prefix-list id, None or garbage (the project's
    one cached parser, `preflight.netmath.net`)."""
    return net(cidr) if cidr and isinstance(cidr, str) else None


def within(inner: Net, outer: Net) -> bool:
    """Whether every address of `inner` is in `outer` (integer compare: the engine asks this
    hundreds of thousands of times on a large account)."""
    if inner.version != outer.version or inner.prefixlen < outer.prefixlen:
        return False
    shift = outer.max_prefixlen - outer.prefixlen
    return (int(inner.network_address) >> shift) == (int(outer.network_address) >> shift)


def meets(a: Net, b: Net) -> bool:
    """Whether two blocks share an address: for CIDR blocks, one holds the other."""
    return within(a, b) or within(b, a)


def covered(target: Net, nets: Iterable[Net]) -> bool:
    """Whether every address of `target` is in the union of `nets`."""
    inner: list[Net] = []
    for n in nets:
        if n.version != target.version:
            continue
        if within(target, n):
            return True
        if within(n, target):
            inner.append(n)
    if not inner:
        return False
    merged = ipaddress.collapse_addresses(inner)  # type: ignore[type-var]
    return sum(m.num_addresses for m in merged) >= target.num_addresses


@lru_cache(maxsize=65536)
def is_internet(piece: Net) -> bool:
    """Whether a block is (mostly) internet address space: not inside a special-purpose block.
    IPv6 internet is the global unicast space 2000::/3."""
    if any(within(piece, s) for s in _NOT_INTERNET):
        return False
    if piece.version == 6:
        return meets(piece, ipaddress.ip_network("2000::/3"))
    return True


def ports_text(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}-{hi}"
