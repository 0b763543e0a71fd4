"""The flows the path checks judge, asked of the reachability engine (`preflight.reach`).

A database flow starts at the interfaces of the workload's egress attachment (an App Runner VPC
connector, or an ECS service's awsvpc network) and ends at the database's interfaces: every pair
of (attachment subnet, database subnet) is one question, since App Runner and ECS spread
connections over every subnet they are given and a database can sit in any subnet of its group.
An internet flow asks, for each attachment subnet, whether HTTPS reaches the internet.

App Runner's connector interfaces are Hyperplane interfaces, whose replies come back to ports
1024-65535; Fargate tasks are Linux clients (ports 32768-60999). Both get private addresses
only, unless an ECS service turns on assignPublicIp.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from preflight.graph import Flow, Rec, ResourceGraph, is_awsvpc
from preflight.netmath import overlapping_pairs
from preflight.reach import (
    BLOCKED,
    EPHEMERAL_ANY,
    EPHEMERAL_LINUX,
    REACHABLE,
    ROUTE_STAGES,
    Answer,
    Reach,
    Source,
    internet,
    to_subnet,
)
from preflight.reach.filters import YES, Peer, sg_decision
from preflight.reach.space import parse

OK = "ok"


@dataclass(frozen=True, slots=True)
class DbPath:
    """One database flow with the engine's answer for every subnet pair."""

    flow: Flow
    src_vpc: Rec
    dst_vpc: Rec
    src_subnets: tuple[Rec, ...]
    dst_subnets: tuple[Rec, ...]
    src_sgs: tuple[Rec, ...]
    dst_sgs: tuple[Rec, ...]
    port: int
    overlap: bool  # the two VPCs' ranges overlap (NET001's business; routing is meaningless)
    answers: tuple[tuple[Rec, Rec, Answer], ...]  # (source subnet, database subnet, answer)
    peerings: tuple[str, ...] = ()  # peering connections (any state) joining the two VPCs

    @property
    def same_vpc(self) -> bool:
        return self.src_vpc is self.dst_vpc

    @property
    def same_region(self) -> bool:
        """Security group references work only inside one region."""
        return bool(self.src_vpc["region"] == self.dst_vpc["region"])

    @property
    def db(self) -> Rec:
        assert self.flow.target is not None  # a DbPath is only made for a database flow
        return self.flow.target

    @property
    def connector(self) -> Rec:
        assert self.flow.egress is not None  # ... that leaves through a connector
        return self.flow.egress


def source(g: ResourceGraph, conn: Rec, subnet: Rec) -> Source:
    """The interfaces of an egress attachment in one of its subnets."""
    groups = g.connector_security_groups(conn)
    named = conn.get("security_groups") or []
    known: tuple[Rec, ...] | None = tuple(groups)
    if named and len(groups) < len(named):
        known = None  # a group the attachment names is not in the snapshot
    elif not groups:
        known = None
    linux = is_awsvpc(conn)
    return Source(subnet, known, EPHEMERAL_LINUX if linux else EPHEMERAL_ANY,
                  public_ip=bool(conn.get("assign_public_ip")))


def db_paths(g: ResourceGraph) -> list[DbPath]:
    """Every database flow whose two ends are in the snapshot, memoised on the graph."""
    cached = g.cache.get("db_paths")
    if cached is None:
        cached = list(_db_paths(g))
        g.cache["db_paths"] = cached
    return list(cached)


def _db_paths(g: ResourceGraph) -> Iterator[DbPath]:
    for flow in g.flows("database"):
        conn, db = flow.egress, flow.target
        if conn is None or db is None or not db.get("vpc") or flow.port is None:
            continue
        src = tuple(s for s in (g.subnet(conn["region"], i) for i in conn["subnets"]) if s)
        dst = tuple(s for s in (g.subnet(db["region"], i) for i in db["subnets"]) if s)
        if not src or not dst:
            continue
        src_vpc = g.vpc(conn["region"], src[0]["vpc"])
        dst_vpc = g.vpc(db["region"], db["vpc"])
        if src_vpc is None or dst_vpc is None:
            continue
        same = src_vpc is dst_vpc
        overlap = not same and bool(overlapping_pairs(src_vpc["cidrs"], dst_vpc["cidrs"]))
        found = [sg for sg in (g.security_group(db["region"], i) for i in db["security_groups"]) if sg]
        dst_sgs: tuple[Rec, ...] | None = tuple(found) if len(found) == len(db["security_groups"]) and found else None
        answers: list[tuple[Rec, Rec, Answer]] = []
        if not overlap:
            for s in src:
                for d in dst:
                    if not (s.get("cidr") or s.get("ipv6_cidrs")):
                        continue  # a subnet record without addresses: nothing to ask
                    answers.append((s, d, to_subnet(g, source(g, conn, s), d, dst_sgs, int(flow.port))))
        yield DbPath(flow, src_vpc, dst_vpc, src, dst, tuple(g.connector_security_groups(conn)),
                     tuple(found), int(flow.port), overlap, tuple(answers),
                     () if same else tuple(sorted(p["id"] for p in g.peerings_between(src_vpc, dst_vpc))))


# --- the internet ------------------------------------------------------------------------------

def internet_answers(g: ResourceGraph, conn: Rec, subnet: Rec) -> list[tuple[int, Answer]]:
    """HTTPS to the internet from one attachment subnet, per address family it uses: IPv4 when
    it has IPv4 addresses, IPv6 for an IPv6-only subnet."""
    memo: dict[tuple[str, str], list[tuple[int, Answer]]] = g.cache.setdefault("internet", {})
    k = (conn["arn"], f"{subnet['region']}:{subnet['id']}")
    if k not in memo:
        src = source(g, conn, subnet)
        families = [4] if subnet.get("cidr") else [6] if subnet.get("ipv6_cidrs") else []
        memo[k] = [(f, internet(g, src, 443, f)) for f in families]
    return memo[k]


@dataclass(frozen=True, slots=True)
class Egress:
    """How one attachment subnet reaches the internet, for the rules that only need the gist."""

    subnet: Rec
    table: Rec | None
    route: Rec | None
    verdict: str  # ok | none | unverified
    reason: str
    nat: Rec | None = None
    answer: Answer | None = None


def route_problems(answer: Answer) -> list[str]:
    return [p.reason for p in answer.of(*ROUTE_STAGES)]


def attachment_egress(g: ResourceGraph, conn: Rec, subnet: Rec) -> Egress:
    """The gist of the internet answer: `none` when routing (a route, NAT gateway, internet
    gateway, peering or transit gateway) blocks it, `ok` when the flow is reachable, else
    `unverified` (security groups and ACLs are the NET010 / NET011 findings)."""
    answers = internet_answers(g, conn, subnet)
    if not answers:
        return Egress(subnet, g.route_table_for(subnet), None, "none", f"{subnet['id']} has no addresses")
    _, answer = answers[0]
    table = g.route_table_for(subnet)
    legs = answer.legs
    route = _default_route(table) if table is not None else None  # what a fix replaces
    nat = next((g.nat_by_id.get(h.id) for leg in legs for h in leg.hops if h.kind == "nat"), None)
    blocked = answer.of(*ROUTE_STAGES)
    if blocked:
        return Egress(subnet, table, route, "none", blocked[0].reason, nat, answer)
    unsure = [p for p in answer.problems if p.stage in ("data", "appliance", *ROUTE_STAGES)]
    if unsure:
        return Egress(subnet, table, route, "unverified", unsure[0].reason, nat, answer)
    how = next((leg.reason for leg in legs if leg.verdict == REACHABLE), "reachable")
    return Egress(subnet, table, route, OK, how, nat, answer)


def sg_admits(g: ResourceGraph, groups: list[Rec], cidr: str, port: int, peer_groups: set[str]) -> bool:
    """Whether these groups' ingress admits every address of `cidr` (or one of `peer_groups`,
    referenced inside one VPC) on TCP `port`."""
    block = parse(cidr)
    if block is None:
        return False
    region = groups[0].get("region", "") if groups else ""
    decision, _ = sg_decision(groups, False, Peer(block, frozenset(peer_groups), YES), port,
                              lambda pl: Reach.of(g).prefix_list(region, pl))
    return decision == YES


def _default_route(table: Rec) -> Rec | None:
    return next((r for r in table["routes"] if r["destination"] == "0.0.0.0/0"), None)


__all__ = ["BLOCKED", "OK", "DbPath", "Egress", "attachment_egress", "db_paths", "internet_answers",
           "route_problems", "sg_admits", "source"]
