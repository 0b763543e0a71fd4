"""The questions the checks ask: can a flow from these interfaces reach that subnet (or the
internet) on this port, and can the reply come back?

Each answer lists every problem on the way, in hop order, so a report can show all of them at
once; its verdict is blocked when any problem is a definite block, undecided when the only
problems are things preflight could not verify, and reachable otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from preflight.graph import Rec, ResourceGraph
from preflight.reach.filters import NO, OPEN, YES, Peer, acl_decision, sg_decision
from preflight.reach.space import EPHEMERAL_ANY, INTERNET, Net, is_internet, parse, ports_text
from preflight.reach.trace import BLOCKED, REACHABLE, UNDECIDED, Crossing, Hop, Leg, Reach, Walk, replace

FORWARD, RETURN = "forward", "return"
# Stages a problem can have: where on the path it sits
ROUTE_STAGES = ("route", "igw", "nat", "tgw", "peering")


@dataclass(frozen=True, slots=True)
class Source:
    """The interfaces a flow starts from: their subnet, their security groups (None: not known)
    and the ephemeral ports their replies come back to."""

    subnet: Rec
    groups: tuple[Rec, ...] | None
    ephemeral: tuple[int, int]
    public_ip: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    verdict: str  # blocked | undecided
    stage: str  # route, igw, nat, tgw, peering, appliance, data, security-group-egress, ...
    direction: str  # forward | return
    reason: str
    hops: tuple[Hop, ...]
    piece: Net | None = None
    record: Rec | None = None
    table: Rec | None = None
    subnet: Rec | None = None
    acl: Rec | None = None

    @property
    def path(self) -> tuple[str, ...]:
        return hop_ids(self.hops)


@dataclass(frozen=True, slots=True)
class Answer:
    verdict: str
    hops: tuple[Hop, ...]  # the path of the first problem, else of the flow
    problems: tuple[Problem, ...] = ()
    legs: tuple[Leg, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def path(self) -> tuple[str, ...]:
        return hop_ids(self.hops)

    def of(self, *stages: str, direction: str | None = None, verdict: str | None = BLOCKED) -> list[Problem]:
        return [p for p in self.problems if p.stage in stages and (direction is None or p.direction == direction)
                and (verdict is None or p.verdict == verdict)]

    @property
    def first(self) -> Problem | None:
        blocked = [p for p in self.problems if p.verdict == BLOCKED]
        found = blocked or list(self.problems)
        return found[0] if found else None


def hop_ids(hops: Iterable[Hop]) -> tuple[str, ...]:
    out: list[str] = []
    for h in hops:
        if h.kind == "local":
            continue
        if not out or out[-1] != h.id:
            out.append(h.id)
    return tuple(out)


def _answer(problems: list[Problem], legs: list[Leg], fallback: tuple[Hop, ...]) -> Answer:
    blocked = [p for p in problems if p.verdict == BLOCKED]
    verdict = BLOCKED if blocked else UNDECIDED if problems else REACHABLE
    first = (blocked or problems)[0] if problems else None
    notes = tuple(dict.fromkeys(n for leg in legs for n in leg.notes))
    return Answer(verdict, first.hops if first else (legs[0].hops if legs else fallback),
                  tuple(problems), tuple(legs), notes)


def _from_leg(leg: Leg, direction: str) -> Problem:
    return Problem(leg.verdict, leg.stage or "route", direction, leg.reason, leg.hops, leg.piece,
                   leg.record, leg.table, leg.subnet)


def _acl(reach: Reach, subnet: Rec, egress: bool, peer: Net, ports: tuple[int, int], what: str,
         direction: str, hops: tuple[Hop, ...]) -> Problem | None:
    acl = reach.g.nacl_for(subnet)
    if acl is None:
        if "network_acls" in reach.unread:
            return Problem(UNDECIDED, "data", direction, f"the network ACL of {subnet['id']} was not read",
                           hops, peer, subnet=subnet)
        return None  # a subnet without an association uses its VPC's default ACL, which allows all
    allowed, entry = acl_decision(acl, egress, peer, ports)
    if allowed:
        return None
    rule = f"rule {entry['rule']}" if entry is not None and entry.get("rule") not in (None, 32767) \
        else "no entry allowing it (the final * deny)"
    port = ports_text(*ports)
    reason = (f"network ACL {acl['id']} of {subnet['id']}: {what} {peer} on port{'s' if '-' in port else ''} "
              f"{port} is denied by {rule}")
    return Problem(BLOCKED, "nacl", direction, reason, (*hops, Hop("network-acl", acl["id"])), peer,
                   entry, subnet=subnet, acl=acl)


def _crossing_checks(reach: Reach, crossings: Iterable[Crossing],
                     ports: tuple[int, int] | Callable[[Crossing], tuple[int, int]],
                     direction: str, hops: tuple[Hop, ...]) -> list[Problem]:
    """The ACL verdicts of each crossing; `ports` is the packets' destination port range, or,
    for a reply whose range depends on who sent the original packet, a function of the crossing."""
    out: list[Problem] = []
    for c in crossings:
        p = ports(c) if callable(ports) else ports
        out_word, in_word = ("outbound to", "inbound from") if direction == FORWARD else ("replies to", "replies from")
        if c.out_of is not None:
            found = _acl(reach, c.out_of, True, c.dst, p, out_word, direction, hops)
            if found:
                out.append(found)
        if c.into is not None:
            found = _acl(reach, c.into, False, c.src, p, in_word, direction, hops)
            if found:
                out.append(found)
    return out


def _reply_crossings(crossings: Iterable[Crossing]) -> list[Crossing]:
    """The crossings a reply makes, last first, with source and destination swapped."""
    return [Crossing(c.into, c.out_of, c.dst, c.src, c.sender) for c in reversed(list(crossings))]


def _refs(via: frozenset[str]) -> str:
    if "nat" in via or "peering-cross-region" in via:
        return NO
    if "tgw" in via or "appliance" in via:
        return OPEN
    return YES


def _sg(reach: Reach, groups: tuple[Rec, ...] | None, egress: bool, peer: Peer, port: int,
        direction: str, hops: tuple[Hop, ...], what: str) -> Problem | None:
    stage = "security-group-egress" if egress else "security-group-ingress"
    if groups is None:
        return Problem(UNDECIDED, stage, direction, f"the security groups of {what} are not in the snapshot", hops)
    if not groups:
        return None  # the caller passes () when the groups are unknown but not needed
    region = groups[0].get("region") or ""

    def lists(pl: str) -> list[Net] | None:
        return reach.prefix_list(region, pl)

    decision, why = sg_decision(groups, egress, peer, port, lists, memo=reach.sg_memo)
    if decision == YES:
        return None
    ids = ", ".join(g["id"] for g in groups)
    verdict = UNDECIDED if decision == OPEN else BLOCKED
    side = "allow no egress to" if egress else "admit none of"
    reason = f"security groups {ids} of {what} {side} {peer.net} on port {port}" + (f" ({why})" if why else "")
    return Problem(verdict, stage, direction, reason, (*hops, Hop("security-group", groups[0]["id"])),
                   peer.net, groups[0])


def _outbound(reach: Reach, src: Source, peer: Peer, port: int, leg: Leg, start: tuple[Hop, ...]) -> list[Problem]:
    """The way there, in hop order: the source's egress rules, each ACL crossed, then the
    leg's own routing verdict when it is not reachable."""
    out: list[Problem] = []
    found = _sg(reach, src.groups, True, peer, port, FORWARD, start, f"the interfaces in {src.subnet['id']}")
    if found:
        out.append(found)
    out += _crossing_checks(reach, leg.crossings, (port, port), FORWARD, leg.hops)
    if leg.verdict != REACHABLE:
        out.append(_from_leg(leg, FORWARD))
    return out


def _block(subnet: Rec, family: int) -> Net | None:
    if family == 4:
        return parse(subnet.get("cidr"))
    return next((n for n in (parse(c) for c in subnet.get("ipv6_cidrs") or []) if n), None)


def family_of(src: Rec, dst: Rec | None = None) -> int | None:
    """The address family a flow uses: IPv4 when both ends have it, else IPv6 when both do."""
    if src.get("cidr") and (dst is None or dst.get("cidr")):
        return 4
    if src.get("ipv6_cidrs") and (dst is None or dst.get("ipv6_cidrs")):
        return 6
    return None


def to_subnet(g: ResourceGraph, src: Source, dst: Rec, dst_groups: tuple[Rec, ...] | None,
              port: int, family: int | None = None) -> Answer:
    """Can the interfaces of `src` open a TCP connection to an interface in `dst` (behind
    `dst_groups`) on `port`, and does the reply come back?"""
    reach = Reach.of(g)
    start = (Hop("subnet", src.subnet["id"]),)
    fam = family or family_of(src.subnet, dst)
    if fam is None:
        return _answer([Problem(UNDECIDED, "data", FORWARD, (
            f"{src.subnet['id']} and {dst['id']} share no address family (an IPv6-only subnet and an "
            "IPv4-only one); NAT64 paths are not followed"), start)], [], start)
    src_net, dst_net = _block(src.subnet, fam), _block(dst, fam)
    assert src_net is not None and dst_net is not None
    legs = reach.walk(src.subnet, dst_net, src_net, src.public_ip, Walk(dst))
    problems: list[Problem] = []
    src_ids = frozenset(x["id"] for x in src.groups or ())
    dst_ids = frozenset(x["id"] for x in dst_groups or ())
    for leg in legs:
        refs = _refs(leg.via)
        problems += _outbound(reach, src, Peer(leg.piece, dst_ids, refs), port, leg, start)
        if leg.verdict != REACHABLE:
            # the way back is its own question (as if the way there worked): both sides get fixed
            problems += _return(reach, g, src, dst, replace(leg, via=leg.via - {"nat"}), src_net, fam)
            continue
        seen = leg.src_seen or src_net
        nat = "nat" in leg.via
        found = _sg(reach, dst_groups, False, Peer(seen, frozenset() if nat else src_ids, NO if nat else refs,
                                                   groups_unknown=src.groups is None and not nat), port,
                    FORWARD, leg.hops, f"the destination in {dst['id']}")
        if found:
            problems.append(found)
        problems += _return(reach, g, src, dst, leg, seen, fam)
    return _answer(problems, legs, start)


def _return(reach: Reach, g: ResourceGraph, src: Source, dst: Rec, leg: Leg, seen: Net, fam: int) -> list[Problem]:
    """The reply: routed from the destination's subnet back to the address it saw."""
    back_to = src.subnet
    nat_subnet = None
    if "nat" in leg.via:
        nat = next((g.nat_by_id.get(h.id) for h in leg.hops if h.kind == "nat"), None)
        nat_subnet = g.subnet(nat["region"], nat.get("subnet") or "") if nat else None
        back_to = nat_subnet or _subnet_holding(g, src.subnet["region"], seen) or src.subnet
    ports = EPHEMERAL_ANY if "nat" in leg.via else src.ephemeral
    legs = reach.walk(dst, seen, leg.piece, False, Walk(back_to))
    out: list[Problem] = []
    for back in legs:
        out += _crossing_checks(reach, back.crossings, ports, RETURN, back.hops)
        if back.verdict != REACHABLE:
            out.append(_from_leg(back, RETURN))
    return out


def _subnet_holding(g: ResourceGraph, region: str, net: Net) -> Rec | None:
    for s in g.subnets.values():
        block = parse(s.get("cidr"))
        if s["region"] == region and block is not None and block.version == net.version \
                and net.subnet_of(block):  # type: ignore[arg-type]
            return s
    return None


# Public blocks more specific than this that a route takes elsewhere are carve-outs (an on-premises
# public range over a VPN, a partner's range over a peering): noted, not a loss of the internet.
CARVE_OUT = {4: 8, 6: 16}


def internet(g: ResourceGraph, src: Source, port: int = 443, family: int = 4) -> Answer:
    """Can the interfaces of `src` open a TCP connection to the internet on `port` (IPv4 or
    IPv6), and does the reply come back? Every public piece of the address space that a route
    table splits off is followed; pieces inside the VPC or in private space are not the internet."""
    reach = Reach.of(g)
    start = (Hop("subnet", src.subnet["id"]),)
    src_net = _block(src.subnet, family)
    if src_net is None:
        return _answer([Problem(BLOCKED, "route", FORWARD,
                                f"{src.subnet['id']} has no IPv{family} addresses", start)], [], start)
    legs = reach.walk(src.subnet, INTERNET[family], src_net, src.public_ip, Walk(None))
    problems: list[Problem] = []
    kept: list[Leg] = []
    notes: list[str] = []
    for leg in legs:
        if leg.end in ("local", "service") or not is_internet(leg.piece):
            continue
        if leg.piece.prefixlen > CARVE_OUT[family] and leg.verdict != REACHABLE:
            notes.append(f"{leg.piece} goes elsewhere ({leg.reason})")
            continue
        kept.append(leg)
    for leg in kept:
        problems += _outbound(reach, src, Peer(leg.piece), port, leg, start)
        if leg.verdict != REACHABLE:
            continue

        def reply_ports(c: Crossing, client: tuple[int, int] = src.ephemeral) -> tuple[int, int]:
            return EPHEMERAL_ANY if c.sender == "nat" else client
        problems += _crossing_checks(reach, _reply_crossings(leg.crossings), reply_ports, RETURN, leg.hops)
    if not kept and not problems:
        problems.append(Problem(BLOCKED, "route", FORWARD, f"no route from {src.subnet['id']} leads to the internet",
                                legs[0].hops if legs else start))
    answer = _answer(problems, kept or legs, start)
    return Answer(answer.verdict, answer.hops, answer.problems, answer.legs, (*answer.notes, *notes))
