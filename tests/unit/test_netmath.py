"""CIDR math against brute-force references (property tests)."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from preflight.netmath import covers_tcp_port, free_cidr, longest_match, overlaps

cidrs = st.builds(lambda a, p: str(ipaddress.ip_network((a, p), strict=False)),
                  st.integers(0, 2**32 - 1), st.integers(0, 32))


@given(cidrs, cidrs)
def test_overlap_agrees_with_address_sets(a: str, b: str) -> None:
    na, nb = ipaddress.ip_network(a), ipaddress.ip_network(b)
    brute = na.network_address <= nb.broadcast_address and nb.network_address <= na.broadcast_address
    assert overlaps(a, b) == brute


@given(st.lists(cidrs, max_size=12), cidrs)
def test_longest_match_agrees_with_a_linear_scan(dests: list[str], target: str) -> None:
    routes = [{"destination": d, "target": str(i)} for i, d in enumerate(dests)]
    t = ipaddress.ip_network(target)
    containing = [r for r in routes if t.subnet_of(ipaddress.ip_network(r["destination"]))]
    got = longest_match(routes, target)
    if not containing:
        assert got is None
    else:
        best = max(ipaddress.ip_network(r["destination"]).prefixlen for r in containing)
        assert got is not None and ipaddress.ip_network(got["destination"]).prefixlen == best


def test_longest_match_ignores_prefix_lists_and_other_families() -> None:
    routes = [{"destination": "pl-123"}, {"destination": "::/0"}, {"destination": "10.0.0.0/8"}]
    assert longest_match(routes, "10.1.0.0/16") is routes[2]
    assert longest_match(routes, "8.8.8.8/32") is None


def test_ports() -> None:
    assert covers_tcp_port("-1", None, None, 5432)
    assert covers_tcp_port("tcp", 5432, 5432, 5432)
    assert not covers_tcp_port("udp", 0, 65535, 5432)
    assert not covers_tcp_port("tcp", 22, 22, 5432)
    assert covers_tcp_port("6", 0, 65535, 5432)


@given(st.lists(cidrs.filter(lambda c: not c.endswith("/0")), max_size=8))
def test_free_cidr_overlaps_nothing_given(used: list[str]) -> None:
    free = free_cidr(used)
    if not any(overlaps("10.0.0.0/8", u) and ipaddress.ip_network(u).prefixlen <= 8 for u in used):
        assert not any(overlaps(free, u) for u in used)
