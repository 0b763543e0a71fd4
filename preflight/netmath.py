"""CIDR arithmetic the graph and checks share: parsing (cached), overlap, longest-prefix match."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=65536)
def net(cidr: str) -> Network | None:
    """The network of a CIDR string, or None for a prefix list id or garbage."""
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def overlaps(a: str, b: str) -> bool:
    na, nb = net(a), net(b)
    return na is not None and nb is not None and na.version == nb.version and na.overlaps(nb)


def overlapping_pairs(left: Iterable[str], right: Iterable[str]) -> list[tuple[str, str]]:
    rights = list(right)
    return [(a, b) for a in left for b in rights if overlaps(a, b)]


def contains(outer: str, inner: str) -> bool:
    no, ni = net(outer), net(inner)
    return (no is not None and ni is not None and no.version == ni.version
            and ni.subnet_of(no))  # type: ignore[arg-type]


def longest_match(routes: Sequence[dict[str, Any]], destination: str) -> dict[str, Any] | None:
    """The route a packet to every address of `destination` takes: the most specific route
    whose destination contains all of it. Routes to prefix lists are not matched (their CIDRs
    are not in the snapshot)."""
    target = net(destination)
    if target is None:
        return None
    best: dict[str, Any] | None = None
    best_len = -1
    for route in routes:
        rn = net(route["destination"])
        if rn is None or rn.version != target.version or rn.prefixlen <= best_len:
            continue
        if target.subnet_of(rn):  # type: ignore[arg-type]
            best, best_len = route, rn.prefixlen
    return best


def port_in(rule_from: int | None, rule_to: int | None, port: int) -> bool:
    """Whether a rule's port range covers `port` (None or -1 means all ports)."""
    if rule_from is None or rule_to is None or rule_from == -1:
        return True
    return rule_from <= port <= rule_to


def covers_tcp_port(protocol: str, rule_from: int | None, rule_to: int | None, port: int) -> bool:
    return protocol in ("-1", "tcp", "6") and (protocol == "-1" or port_in(rule_from, rule_to, port))


def free_cidr(used: Iterable[str], size: int = 16) -> str:
    """A private /size block in 10.0.0.0/8 that overlaps none of `used` (for fix suggestions)."""
    taken = [n for n in (net(c) for c in used) if n is not None and n.version == 4]
    for candidate in ipaddress.ip_network("10.0.0.0/8").subnets(new_prefix=size):
        if not any(candidate.overlaps(t) for t in taken):
            return str(candidate)
    return "10.0.0.0/16"
