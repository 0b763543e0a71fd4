"""Path semantics: does a packet of a flow get there and back?

Pure functions over the `ResourceGraph`. A database flow starts in the subnets of the workload's
egress attachment (a VPC connector) and ends in the database's subnets. Each direction is a
`Leg`: the source subnet's effective route table, its longest-prefix route to the other side's
subnet CIDR, and whether that route leads where it must (`local` inside one VPC, else a
peering between the two VPCs). Security groups and network ACLs are evaluated here too, so
that every check reads one answer.

Not modelled yet: transit gateway routing (a route to a `tgw-` target is "unverified", never
"ok"), prefix-list destinations, and IPv6-only paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from preflight.enums import ACL_ALLOW, ACL_DENY, NAT_AVAILABLE, NAT_PUBLIC, PEERING_ACTIVE, ROUTE_ACTIVE
from preflight.graph import Flow, Rec, ResourceGraph
from preflight.netmath import (
    contains,
    covers_tcp_port,
    longest_match,
    more_specific_overlaps,
    net,
    overlapping_pairs,
)

OK = "ok"
BAD_ROUTE = ("no-route", "elsewhere", "partial")
BAD_PEERING = ("blackhole", "peering-inactive")
# Return traffic goes to the client's ephemeral port; AWS documents 1024-65535 for the
# NAT gateway and Hyperplane interfaces, so an ACL must allow the whole range.
EPHEMERAL_SAMPLES = (1024, 32768, 65535)


@dataclass(frozen=True, slots=True)
class Leg:
    """Routing from one subnet toward one destination CIDR."""

    subnet: Rec
    destination: str
    table: Rec | None
    route: Rec | None
    verdict: str  # ok | no-table | no-route | elsewhere | partial | blackhole | peering-inactive | unverified
    shadow: tuple[Rec, ...] = ()  # more specific routes that take part of the destination elsewhere


@dataclass(frozen=True, slots=True)
class DbPath:
    """Everything about one database flow that the path checks need."""

    flow: Flow
    src_vpc: Rec
    dst_vpc: Rec
    src_subnets: tuple[Rec, ...]
    dst_subnets: tuple[Rec, ...]
    src_sgs: tuple[Rec, ...]
    dst_sgs: tuple[Rec, ...]
    port: int
    expected: frozenset[str]  # route targets that lead to the other side: "local" or pcx ids
    overlap: bool  # the two VPCs' ranges overlap (NET001's business; routing is meaningless)

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

    @property
    def peerings(self) -> tuple[str, ...]:
        return tuple(sorted(x for x in self.expected if x != "local"))


def leg(g: ResourceGraph, subnet: Rec, destination: str, expected: frozenset[str]) -> Leg:
    table = g.route_table_for(subnet)
    if table is None:
        return Leg(subnet, destination, None, None, "no-table")
    route = longest_match(table["routes"], destination)
    if route is None:
        return Leg(subnet, destination, table, None, "no-route")
    target = route["target"] if route["target_type"] != "local" else "local"
    if route["target_type"] == "tgw":
        return Leg(subnet, destination, table, route, "unverified")
    if target not in expected:
        return Leg(subnet, destination, table, route, "elsewhere")
    if route["state"] not in ROUTE_ACTIVE:  # blackhole, or filtered (RouteState): no traffic
        return Leg(subnet, destination, table, route, "blackhole")
    if route["target_type"] == "pcx":
        peering = g.peerings.get(target)
        if peering is not None and peering["status"] not in PEERING_ACTIVE:
            return Leg(subnet, destination, table, route, "peering-inactive")
    shadow = tuple(r for r in more_specific_overlaps(table["routes"], destination, route)
                   if (r["target"] if r["target_type"] != "local" else "local") not in expected)
    return Leg(subnet, destination, table, route, "partial" if shadow else OK, shadow)


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
        expected = frozenset({"local"}) if same else frozenset(
            p["id"] for p in g.peerings_between(src_vpc, dst_vpc))
        dst_sgs = tuple(sg for sg in (g.security_group(db["region"], i)
                                      for i in db["security_groups"]) if sg)
        yield DbPath(flow, src_vpc, dst_vpc, src, dst, tuple(g.connector_security_groups(conn)),
                     dst_sgs, int(flow.port), expected, overlap)


def forward_legs(g: ResourceGraph, path: DbPath) -> list[Leg]:
    return [leg(g, s, d["cidr"], path.expected) for s in path.src_subnets for d in path.dst_subnets
            if d.get("cidr")]


def return_legs(g: ResourceGraph, path: DbPath) -> list[Leg]:
    return [leg(g, d, s["cidr"], path.expected) for d in path.dst_subnets for s in path.src_subnets
            if s.get("cidr")]


# --- security groups -------------------------------------------------------------------------

def sg_admits(rules: list[dict[str, Any]], cidr: str, port: int, peer_groups: set[str]) -> bool:
    """Whether any rule admits all of `cidr` (or one of `peer_groups`) on TCP `port`."""
    for rule in rules:
        if not covers_tcp_port(rule["protocol"], rule["from_port"], rule["to_port"], port):
            continue
        if any(contains(c, cidr) for c in rule["cidrs"] + rule["ipv6_cidrs"]):
            return True
        if peer_groups and any(gr.get("id") in peer_groups for gr in rule["groups"]):
            return True
    return False


def referenced_groups(rules: list[dict[str, Any]], port: int, groups: set[str]) -> bool:
    return any(covers_tcp_port(r["protocol"], r["from_port"], r["to_port"], port)
               and any(gr.get("id") in groups for gr in r["groups"]) for r in rules)


# --- network ACLs ------------------------------------------------------------------------------

def nacl_decision(acl: Rec, egress: bool, cidr: str, port: int) -> tuple[bool, dict[str, Any] | None]:
    """(allowed, deciding entry) for TCP traffic to or from all of `cidr` on `port`.

    Entries are evaluated in rule-number order; the first that matches decides. An entry that
    covers only part of the range decides for that part: a partial deny denies, a partial
    allow does not allow the rest, so evaluation goes on.
    """
    target = net(cidr)
    if target is None:
        return True, None
    for entry in sorted((e for e in acl["entries"] if e["egress"] == egress),
                        key=lambda e: e["rule"]):
        if entry["protocol"] not in ("-1", "6", "tcp"):
            continue
        if entry["protocol"] != "-1" and entry["from_port"] is not None and not (
                entry["from_port"] <= port <= entry["to_port"]):
            continue
        en = net(entry["cidr"] or "")
        if en is None or en.version != target.version or not en.overlaps(target):
            continue
        if target.subnet_of(en):  # type: ignore[arg-type]
            return entry["action"] in ACL_ALLOW, entry
        if entry["action"] in ACL_DENY:
            return False, entry
    return False, None  # nothing matched: the implicit final deny


# --- the internet ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Egress:
    """How one connector subnet reaches the internet (or why it does not)."""

    subnet: Rec
    table: Rec | None
    route: Rec | None
    verdict: str  # ok | unverified | none
    reason: str
    nat: Rec | None = None


def internet_egress(g: ResourceGraph, subnet: Rec, public_ip: bool = False) -> Egress:
    """How `subnet` reaches the internet. Interfaces with private addresses only (App Runner
    connectors, ECS tasks without assignPublicIp) need a NAT gateway; an ECS task with a public
    IP may use an internet gateway directly."""
    table = g.route_table_for(subnet)
    if table is None:
        return Egress(subnet, None, None, "unverified", "its route table is not in the snapshot")
    route = longest_match(table["routes"], "0.0.0.0/0")
    if route is None:
        return Egress(subnet, table, None, "none", f"route table {table['id']} has no 0.0.0.0/0 route")
    if route["state"] not in ROUTE_ACTIVE:
        return Egress(subnet, table, route, "none",
                      f"its 0.0.0.0/0 route to {route['target']} is a {route['state']} route")
    kind = route["target_type"]
    if kind == "igw" and public_ip:
        return Egress(subnet, table, route, OK, f"through internet gateway {route['target']} (public IPs)")
    if kind == "igw":
        return Egress(subnet, table, route, "none",
                      f"its 0.0.0.0/0 route goes to internet gateway {route['target']}, which "
                      "interfaces with private addresses only cannot use")
    if kind != "nat":
        return Egress(subnet, table, route, "unverified",
                      f"its 0.0.0.0/0 route goes to {route['target']}, which preflight cannot follow")
    nat = g.nat_by_id.get(route["target"])
    if nat is None:
        return Egress(subnet, table, route, "none",
                      f"its 0.0.0.0/0 route goes to NAT gateway {route['target']}, which does not exist")
    if nat["state"] not in NAT_AVAILABLE:
        return Egress(subnet, table, route, "none",
                      f"NAT gateway {nat['id']} is {nat['state']}", nat)
    if nat["connectivity"] not in NAT_PUBLIC:
        return Egress(subnet, table, route, "none",
                      f"NAT gateway {nat['id']} is a private NAT gateway", nat)
    nat_subnet = g.subnet(nat["region"], nat["subnet"]) if nat.get("subnet") else None
    if nat_subnet is None:
        return Egress(subnet, table, route, "unverified",
                      f"the subnet of NAT gateway {nat['id']} is not in the snapshot", nat)
    up = internet_egress_of_nat_subnet(g, nat_subnet)
    if up is not None:
        return Egress(subnet, table, route, "none",
                      f"NAT gateway {nat['id']} sits in {nat_subnet['id']}, {up}", nat)
    return Egress(subnet, table, route, OK, f"through NAT gateway {nat['id']}", nat)


def attachment_egress(g: ResourceGraph, conn: Rec, subnet: Rec) -> Egress:
    return internet_egress(g, subnet, bool(conn.get("assign_public_ip")))


def internet_egress_of_nat_subnet(g: ResourceGraph, subnet: Rec) -> str | None:
    """None when the NAT gateway's subnet routes 0.0.0.0/0 to an internet gateway, else why not."""
    table = g.route_table_for(subnet)
    route = longest_match(table["routes"], "0.0.0.0/0") if table else None
    if route is None:
        return "which has no 0.0.0.0/0 route (a NAT gateway needs a public subnet)"
    if route["target_type"] != "igw" or route["state"] not in ROUTE_ACTIVE:
        return (f"whose 0.0.0.0/0 route goes to {route['target']}, not to an internet gateway "
                "(a NAT gateway needs a public subnet)")
    return None
