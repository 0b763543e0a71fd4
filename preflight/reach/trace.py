"""Hop-by-hop reachability: where a packet goes from a subnet, and whether its reply comes back.

`Reach.of(graph)` indexes what routing needs once per graph (parsed route tables, transit
gateway attachments and route tables, prefix-list entries, endpoints by id); each question then
walks only the hops of its own flow.

Routing follows the VPC documentation:

- a subnet uses its explicit route table, else its VPC's main one
  (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-route-tables.html);
- the most specific route wins; at equal length a static route beats a prefix-list route, which
  beats a propagated one; a prefix-list route matches each of its entries
  (https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html);
- a destination block that routes split (a more specific route takes part of it) is judged piece
  by piece, and the flow works only if every piece does;
- a route that is not `active` carries nothing; targets are followed: `local` delivers inside the
  VPC, a peering only to addresses of the peer VPC (no transitive or edge-to-edge routing:
  https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html), a NAT gateway
  re-routes from its own subnet with its own address, an internet gateway carries only public
  addresses, a transit gateway routes with the route table associated with the VPC's attachment,
  only for subnets in an Availability Zone where the attachment has a subnet
  (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html), and delivers through
  the target attachment's subnet, whose route table applies from there;
- what preflight cannot see (a virtual private gateway, an instance or interface target, an
  appliance's policy, data not read) makes the answer undecided at that hop, never reachable.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any

from preflight.enums import (
    NAT_AVAILABLE,
    NAT_PENDING,
    NAT_PUBLIC,
    PEERING_ACTIVE,
    PEERING_PENDING,
    PEERING_SETTING_UP,
    PREFIX_LIST_READY,
    ROUTE_ACTIVE,
    ROUTE_PROPAGATED,
    TGW_ASSOCIATED,
    TGW_ATTACHMENT_AVAILABLE,
    TGW_ATTACHMENT_SETTING_UP,
    TGW_PEERING,
    TGW_ROUTE_ACTIVE,
    TGW_ROUTE_PENDING,
    TGW_ROUTE_STATIC,
    TGW_VPC,
    VPCE_AVAILABLE,
    VPCE_GATEWAY,
    VPCE_GWLB,
    VPCE_PENDING,
)
from preflight.graph import Rec, ResourceGraph, key
from preflight.reach.space import NAT64, Net, is_internet, parse, within

REACHABLE, BLOCKED, UNDECIDED = "reachable", "blocked", "undecided"
MAX_HOPS = 24

# collections the engine reads, and the snapshot collection each question depends on
TGW_ATTACHMENTS = "transit_gateway_attachments"
TGW_TABLES = "transit_gateway_route_tables"
PREFIX_LISTS = "prefix_lists"


@dataclass(frozen=True, slots=True)
class Hop:
    kind: str  # subnet, route-table, nat, igw, eigw, peering, tgw, tgw-route-table, endpoint, ...
    id: str


@dataclass(frozen=True, slots=True)
class Crossing:
    """A packet leaving one subnet's network ACL and entering another's. `out_of` / `into` may
    be None when that side's ACL is not evaluated (a transit gateway subnet, the internet)."""

    out_of: Rec | None
    into: Rec | None
    src: Net  # the packet's source block at this point
    dst: Net  # its destination block
    sender: str  # "client" or "nat": whose ephemeral ports a reply on this segment goes to


@dataclass(frozen=True, slots=True)
class Leg:
    """Where one piece of a destination block goes from a subnet."""

    verdict: str
    piece: Net
    hops: tuple[Hop, ...]
    crossings: tuple[Crossing, ...] = ()
    end: str = ""  # subnet | internet | local | service
    end_subnet: Rec | None = None
    src_seen: Net | None = None  # the source address the far end sees (a NAT gateway's)
    via: frozenset[str] = frozenset()  # nat, peering, peering-cross-region, tgw, appliance
    stage: str = ""  # route, peering, nat, igw, tgw, appliance, data
    reason: str = ""
    record: Rec | None = None  # the route (or resource) that decides
    table: Rec | None = None  # the VPC route table of that decision
    subnet: Rec | None = None  # the subnet whose route table decided
    notes: tuple[str, ...] = ()


def _private(block: Net) -> bool:
    return not is_internet(block) and block.version == 4


_LEG_FIELDS = tuple(f.name for f in fields(Leg))


def replace(leg: Leg, **changes: Any) -> Leg:
    """`dataclasses.replace` for a Leg, without its per-call introspection (the walk makes one
    per hop of every question)."""
    return Leg(*[changes[f] if f in changes else getattr(leg, f) for f in _LEG_FIELDS])


@dataclass(slots=True)
class Walk:
    goal: Rec | None  # the destination subnet, or None for the internet
    depth: int = 0
    seen: set[tuple[str, Net]] = field(default_factory=set)


def zone_of(subnet: Rec) -> Rec:
    """A subnet's Availability Zone, by name and by id."""
    return {k: subnet[k] for k in ("az", "az_id") if subnet.get(k)}


def same_zone(a: Rec, b: Rec) -> bool:
    """Whether two subnets are in one Availability Zone. An AZ name maps to a different zone in
    each account, its id to the same one everywhere
    (https://docs.aws.amazon.com/global-infrastructure/latest/regions/az-ids.html), so ids decide
    when both sides have them; names only when one lacks its id."""
    if a.get("az_id") and b.get("az_id"):
        return bool(a["az_id"] == b["az_id"])
    return bool(a.get("az")) and a.get("az") == b.get("az")


def _scan_too(account: str) -> str:
    return f"scan account {account} too (--account {account})"


def _route_net(route: Rec) -> Net | None:
    return parse(route.get("destination"))




class _Index:
    """One route table's routes, indexed for longest-prefix questions about whole blocks."""

    def __init__(self, routes: list[tuple[Net, int, Rec, str | None]]) -> None:
        self.routes = routes
        self.unread: dict[int, list[str]] = {}
        self.by_len: dict[tuple[int, int], dict[int, tuple[Net, int, Rec, str | None]]] = {}
        rows: dict[int, list[tuple[int, int, tuple[Net, int, Rec, str | None]]]] = {4: [], 6: []}
        for r in routes:
            n = r[0]
            if r[3] is not None:
                self.unread.setdefault(n.version, []).append(r[3])
                continue
            slot = self.by_len.setdefault((n.version, n.prefixlen), {})
            k = int(n.network_address) >> (n.max_prefixlen - n.prefixlen)
            if k not in slot or r[1] > slot[k][1]:
                slot[k] = r
        for (version, _), slot in self.by_len.items():
            rows[version].extend((int(r[0].network_address), r[0].prefixlen, r) for r in slot.values())
        self.rows = {v: sorted(rs, key=lambda x: (x[0], x[1])) for v, rs in rows.items()}
        self.starts = {v: [x[0] for x in rs] for v, rs in self.rows.items()}
        self.lens = {v: sorted({plen for (ver, plen) in self.by_len if ver == v}, reverse=True) for v in (4, 6)}
        for v in self.unread:
            self.unread[v] = sorted(set(self.unread[v]))

    def best(self, dest: Net) -> tuple[Net, int, Rec, str | None] | None:
        width, d_int = dest.max_prefixlen, int(dest.network_address)
        for plen in self.lens[dest.version]:
            if plen <= dest.prefixlen:
                hit = self.by_len[(dest.version, plen)].get(d_int >> (width - plen))
                if hit is not None:
                    return hit
        return None

    def pieces(self, dest: Net, whole: Callable[[Net], bool] | None = None
               ) -> Iterator[tuple[Net, tuple[Net, int, Rec, str | None] | None, list[str]]]:
        """As `Reach._partition`; a route block for which `whole` is true is one piece, not split
        further (an internet question does not split private space)."""
        v = dest.version
        unread = self.unread.get(v, [])
        d_int, d_len = int(dest.network_address), dest.prefixlen
        d_end = d_int + dest.num_addresses
        starts, rows = self.starts[v], self.rows[v]
        lo, hi = bisect_left(starts, d_int), bisect_left(starts, d_end)
        covered = 0
        top_end = -1
        for i in range(lo, hi):
            n_int, n_len, r = rows[i]
            if n_len <= d_len or n_int < top_end:
                continue  # the block itself (or a route containing it), or inside a piece already taken
            size = 1 << (dest.max_prefixlen - n_len)
            top_end = n_int + size
            covered += size
            if whole is not None and whole(r[0]):
                yield r[0], r, unread
            else:
                yield from self.pieces(r[0], whole)
        if covered < d_end - d_int:
            yield dest, self.best(dest), unread


class Reach:
    """The routing index of one graph, and the questions asked of it."""

    def __init__(self, g: ResourceGraph) -> None:
        self.g = g
        res = g.snapshot["resources"]
        gaps = g.snapshot.get("gaps") or []
        self.unread: set[str] = {c for gap in gaps for c in gap.get("collections") or []}
        self.has = {name: name in res and name not in self.unread for name in (TGW_ATTACHMENTS, TGW_TABLES)}
        self.lists: dict[str, list[Net] | None] = {}
        for pl in res.get(PREFIX_LISTS, []):
            usable = pl.get("entries_read", True) and (pl.get("state") in PREFIX_LIST_READY or not pl.get("state"))
            nets = [n for n in (parse(c) for c in pl.get("entries") or []) if n is not None]
            self.lists[f"{pl['region']}:{pl['id']}"] = nets if usable else None
        self.attachments: dict[str, Rec] = {}
        self.vpc_attachments: dict[tuple[str, str, str], Rec] = {}  # (region, tgw, vpc)
        for a in res.get(TGW_ATTACHMENTS, []):
            self.attachments[key(a["region"], a["id"])] = a
            if a.get("type") in TGW_VPC:
                cur = self.vpc_attachments.get((a["region"], a["tgw"], a["resource"]))
                if cur is None or (a.get("state") in TGW_ATTACHMENT_AVAILABLE):
                    self.vpc_attachments[(a["region"], a["tgw"], a["resource"])] = a
        self.tgw_tables = {key(t["region"], t["id"]): t for t in res.get(TGW_TABLES, [])}
        self.endpoints: dict[str, Rec] = {}
        for group in g.endpoints_by_vpc.values():
            for e in group:
                self.endpoints[key(e["region"], e["id"])] = e
        self._tables: dict[str, list[tuple[Net, int, Rec, str | None]]] = {}
        self._indexes: dict[int, _Index] = {}
        self._blocks: dict[str, list[Net]] = {}
        self.sg_memo: dict[Any, Any] = {}  # what a set of security groups admits, per direction and port

    @classmethod
    def of(cls, g: ResourceGraph) -> Reach:
        cached = g.cache.get("reach")
        if cached is None:
            cached = cls(g)
            g.cache["reach"] = cached
        assert isinstance(cached, Reach)
        return cached

    # --- prefix lists and route tables ------------------------------------------------------

    def prefix_list(self, region: str, pl_id: str) -> list[Net] | None:
        """A managed prefix list's entries; None when they were not read."""
        return self.lists.get(f"{region}:{pl_id}")

    def _routes(self, table: Rec) -> list[tuple[Net, int, Rec, str | None]]:
        """(block, priority, route, unread prefix list) for every route of a VPC route table:
        prefix-list routes expand to their entries; priority orders routes of equal length
        (2 static, 1 prefix list, 0 propagated). The VPC's local routes are implied where the
        table lacks them (they cannot be deleted, only retargeted)."""
        k = key(table["region"], table["id"])
        cached = self._tables.get(k)
        if cached is not None:
            return cached
        out: list[tuple[Net, int, Rec, str | None]] = []
        explicit: set[Net] = set()
        for route in table["routes"]:
            n = _route_net(route)
            if n is not None:
                explicit.add(n)
                prio = 0 if route.get("origin") in ROUTE_PROPAGATED else 2
                out.append((n, prio, route, None))
                continue
            dest = str(route.get("destination") or "")
            if dest.startswith("pl-"):
                entries = self.prefix_list(table["region"], dest)
                if entries is None and self._gateway_endpoint(table["region"], route):
                    continue  # an AWS service's public ranges (S3, DynamoDB): never a private
                    # destination, never the internet at large
                if entries is None:
                    out.append((parse("0.0.0.0/0"), -1, route, dest))  # type: ignore[arg-type]
                    out.append((parse("::/0"), -1, route, dest))  # type: ignore[arg-type]
                else:
                    out.extend((e, 1, route, None) for e in entries)
        vpc = self.g.vpc(table["region"], table.get("vpc"))
        for c in (vpc or {}).get("cidrs", []) + (vpc or {}).get("ipv6_cidrs", []):
            n = parse(c)
            if n is not None and n not in explicit:
                out.append((n, 3, {"destination": c, "target_type": "local", "target": "local",
                                   "state": "active", "implied": True}, None))
        self._tables[k] = out
        return out

    def _partition(self, dest: Net, routes: list[tuple[Net, int, Rec, str | None]],
                   whole: Callable[[Net], bool] | None = None
                   ) -> Iterator[tuple[Net, tuple[Net, int, Rec, str | None] | None, list[str]]]:
        """Pieces of `dest` with the route each takes (None: no route), and the unread prefix
        lists that could take that piece instead. Blocks either nest or are disjoint, so the
        pieces are the outermost routes inside `dest` (each split again by the routes inside
        it) and, when those do not cover it, the rest of `dest` on the best route containing it.
        A table can hold thousands of propagated routes: lookups go through an index (by prefix
        length for the routes containing a block, sorted by address for those inside it)."""
        index = self._index(routes)
        yield from index.pieces(dest, whole)

    def _index(self, routes: list[tuple[Net, int, Rec, str | None]]) -> _Index:
        k = id(routes)
        found = self._indexes.get(k)
        if found is None or found.routes is not routes:
            found = _Index(routes)
            self._indexes[k] = found
        return found

    # --- walking -----------------------------------------------------------------------------

    def walk(self, subnet: Rec, dest: Net, src: Net, public: bool, w: Walk,
             hops: tuple[Hop, ...] = (), crossings: tuple[Crossing, ...] = (),
             via: frozenset[str] = frozenset(), sender: str = "client") -> list[Leg]:
        """The legs of `dest` routed from `subnet`, for a packet from `src`."""
        hops = (*hops, Hop("subnet", subnet["id"]))
        if w.depth > MAX_HOPS or (subnet["id"], dest) in w.seen:
            # a packet that comes back to where it was routed from circles until it expires
            return [Leg(BLOCKED, dest, hops, crossings, stage="route", subnet=subnet,
                        reason=f"the route for {dest} from {subnet['id']} loops back on itself")]
        w.seen.add((subnet["id"], dest))
        w.depth += 1
        table = self.g.route_table_for(subnet)
        if table is None:
            owner = self._other_account(subnet.get("owner"))
            shared = (f" (the subnet is shared from account {owner}, whose route tables are its own: "
                      f"{_scan_too(owner)})") if owner else ""
            return [Leg(UNDECIDED, dest, hops, crossings, stage="data", subnet=subnet,
                        reason=f"the route table of {subnet['id']} is not in the snapshot{shared}")]
        hops = (*hops, Hop("route-table", table["id"]))
        legs: list[Leg] = []
        private = _private if w.goal is None else None
        for piece, chosen, unread in self._partition(dest, self._routes(table), private):
            base = Leg(UNDECIDED, piece, hops, crossings, via=via, table=table, subnet=subnet,
                       src_seen=src)
            if chosen is None:
                if unread:
                    legs.append(replace(base, stage="data", reason=(
                        f"route table {table['id']} has no route for {piece} except perhaps through "
                        f"prefix list {', '.join(unread)}, whose entries were not read")))
                else:
                    legs.append(replace(base, verdict=BLOCKED, stage="route",
                                        reason=f"route table {table['id']} has no route for {piece}"))
                continue
            found = self._follow(subnet, table, piece, chosen[2], src, public, w, base, sender)
            for leg in found if isinstance(found, list) else [found]:
                if unread and leg.verdict == REACHABLE:
                    lists = ", ".join(unread)
                    leg = replace(leg, verdict=UNDECIDED, stage="data", table=table, subnet=subnet,
                                  reason=f"route table {table['id']} routes prefix list {lists}, whose "
                                         f"entries were not read and may take {piece} elsewhere")
                legs.append(leg)
        return legs

    def _gateway_endpoint(self, region: str, route: Rec) -> bool:
        """Whether a route goes to a gateway endpoint (S3, DynamoDB): a prefix-list route to a
        `vpce-` target whose endpoint is a gateway one, or is not in the snapshot (a gateway
        endpoint's routes are the only prefix-list routes AWS creates for a `vpce-`)."""
        if route.get("target_type") != "vpce":
            return False
        e = self.endpoints.get(key(region, str(route.get("target"))))
        return e is None or str(e.get("type") or "").lower() in VPCE_GATEWAY

    def _follow(self, subnet: Rec, table: Rec, piece: Net, route: Rec, src: Net, public: bool,
                w: Walk, base: Leg, sender: str) -> Any:
        kind, target = route["target_type"], route["target"]
        hops = (*base.hops, Hop(kind if kind != "local" else "local", target))
        leg = replace(base, hops=hops, record=route)
        def where() -> str:  # built only when a verdict needs the words
            return f"route table {table['id']} sends {piece} to {target} (route {route['destination']})"
        if route.get("state", "active") not in ROUTE_ACTIVE:
            stage = "peering" if kind == "pcx" else "route"
            return replace(leg, verdict=BLOCKED, stage=stage,
                           reason=f"{where()}, which is a {route.get('state')} route")
        out = Crossing(subnet, None, src, piece, sender)
        if w.goal is None and not is_internet(piece) and kind != "nat":
            # an internet question: private space is not the internet, wherever it is routed
            return replace(leg, verdict=REACHABLE, end="local", reason="private address space")
        if kind == "local":
            return self._local(subnet, piece, src, w, leg, sender)
        if kind in ("igw", "eigw"):
            if kind == "eigw" and piece.version == 4:
                return replace(leg, verdict=BLOCKED, stage="route",
                               reason=f"{where()}, an egress-only internet gateway, which carries IPv6 only")
            if not is_internet(piece):
                return replace(leg, verdict=BLOCKED, stage="igw",
                               reason=f"{where()}, an internet gateway, which does not carry private addresses")
            if piece.version == 4 and not public:
                return replace(leg, verdict=BLOCKED, stage="igw", reason=(
                    f"{where()}, an internet gateway, which interfaces with private addresses only "
                    "cannot use (they need a NAT gateway, or a public IP)"))
            return replace(leg, verdict=REACHABLE, end="internet", crossings=(*leg.crossings, out),
                           reason=f"through {'egress-only ' if kind == 'eigw' else ''}internet gateway {target}")
        if kind == "nat":
            return self._nat(subnet, piece, src, w, leg, target, where, sender)
        if kind == "pcx":
            return self._peering(subnet, piece, src, w, leg, target, where, sender)
        if kind == "tgw":
            return self._tgw(subnet, piece, src, w, leg, target, sender)
        if kind == "vpce":
            return self._endpoint(subnet, piece, src, public, w, leg, target, where, sender)
        if kind == "vgw":
            return replace(leg, stage="route", reason=(
                f"{where()}, a virtual private gateway: what lies beyond (on-premises, over VPN or "
                "Direct Connect) cannot be seen from AWS"))
        if kind in ("eni", "instance"):
            return replace(leg, stage="appliance", reason=(
                f"{where()}, an instance or network interface (a NAT instance or an appliance): "
                "whether it forwards the flow cannot be read"))
        return replace(leg, stage="route", reason=f"{where()}, a {kind or 'unknown'} target preflight does not follow")

    def _local(self, subnet: Rec, piece: Net, src: Net, w: Walk, leg: Leg, sender: str) -> Leg:
        goal = w.goal
        if goal is None:
            return replace(leg, verdict=REACHABLE, end="local", reason="inside the VPC")
        here = key(subnet["region"], subnet["vpc"])
        if key(goal["region"], goal["vpc"]) != here or not self._in_subnet(goal, piece):
            return replace(leg, verdict=BLOCKED, stage="route", reason=(
                f"route table {leg.table['id'] if leg.table else '?'} keeps {piece} inside "
                f"{subnet['vpc']} (its local route), where the destination is not"))
        crossing = () if goal["id"] == subnet["id"] else (Crossing(subnet, goal, src, piece, sender),)
        return replace(leg, verdict=REACHABLE, end="subnet", end_subnet=goal,
                       hops=(*leg.hops, Hop("subnet", goal["id"])) if crossing else leg.hops,
                       crossings=(*leg.crossings, *crossing), reason="through the VPC's local route")

    def _in_subnet(self, subnet: Rec, piece: Net) -> bool:
        k = key(subnet["region"], subnet["id"])
        blocks = self._blocks.get(k)
        if blocks is None:
            found = [parse(c) for c in [subnet.get("cidr"), *subnet.get("ipv6_cidrs", [])]]
            blocks = self._blocks[k] = [b for b in found if b is not None]
        return any(within(piece, b) or within(b, piece) for b in blocks)

    def _nat(self, subnet: Rec, piece: Net, src: Net, w: Walk, leg: Leg, target: str, where: Callable[[], str],
             sender: str) -> Any:
        nat = self.g.nat_by_id.get(target)
        if nat is None:
            if "nat_gateways" in self.unread:
                return replace(leg, stage="data", reason=f"{where()}; NAT gateways were not read")
            return replace(leg, verdict=BLOCKED, stage="nat", reason=f"{where()}, a NAT gateway that does not exist")
        if nat.get("state") in NAT_PENDING:
            return replace(leg, stage="nat", record=nat, reason=f"NAT gateway {target} is still pending")
        if nat.get("state") not in NAT_AVAILABLE:
            return replace(leg, verdict=BLOCKED, stage="nat", record=nat,
                           reason=f"NAT gateway {target} is {nat.get('state')}")
        family6 = piece.version == 6
        if family6 and not within(piece, NAT64):
            return replace(leg, verdict=BLOCKED, stage="nat", record=nat, reason=(
                f"{where()}, a NAT gateway, which translates IPv6 only for the NAT64 prefix 64:ff9b::/96"))
        nat_subnet = self.g.subnet(nat["region"], nat.get("subnet") or "")
        if nat_subnet is None:
            return replace(leg, stage="data", record=nat,
                           reason=f"the subnet of NAT gateway {target} is not in the snapshot")
        address = parse(next(iter(nat.get("private_ips") or []), None)) or parse(nat_subnet.get("cidr"))
        if address is None:
            return replace(leg, stage="data", reason=f"NAT gateway {target}'s address is unknown")
        onward = parse("0.0.0.0/0") if family6 else piece
        assert onward is not None
        crossing = () if nat_subnet["id"] == subnet["id"] else (
            Crossing(subnet, nat_subnet, src, piece, sender),)
        public = nat.get("connectivity") in NAT_PUBLIC
        legs = self.walk(nat_subnet, onward, address, public, w, (*leg.hops, Hop("nat", target)),
                         (*leg.crossings, *crossing), leg.via | {"nat"}, sender="nat")
        out = []
        for x in legs:
            if x.verdict == BLOCKED and x.stage in ("route", "igw") and not x.reason.startswith("NAT gateway"):
                why = f"NAT gateway {target} sits in {nat_subnet['id']}, where {x.reason}"
                if not public and x.stage == "igw":
                    why += f" ({target} is a private NAT gateway)"
                elif public and is_internet(onward):
                    why += " (a NAT gateway needs a public subnet, routed to an internet gateway)"
                x = replace(x, reason=why)
            out.append(x)
        return out

    def _peering(self, subnet: Rec, piece: Net, src: Net, w: Walk, leg: Leg, target: str,
                 where: Callable[[], str], sender: str) -> Leg:
        pcx = self.g.peerings.get(target)
        if pcx is None:
            if "peerings" in self.unread:
                return replace(leg, stage="data", reason=f"{where()}; peering connections were not read")
            return replace(leg, verdict=BLOCKED, stage="route",
                           reason=f"{where()}, a peering connection that does not exist")
        status = pcx.get("status")
        if status in PEERING_PENDING | PEERING_SETTING_UP:
            return replace(leg, verdict=BLOCKED, stage="peering", record=pcx,
                           reason=f"{where()}, a peering connection that is {status}, not active")
        if status not in PEERING_ACTIVE:
            return replace(leg, verdict=BLOCKED, stage="peering", record=pcx,
                           reason=f"{where()}, a peering connection that is {status}")
        here = (subnet["region"], subnet["vpc"])
        sides = [pcx["requester"], pcx["accepter"]]
        mine = [s for s in sides if (s.get("region"), s.get("vpc")) == here]
        if not mine:
            return replace(leg, verdict=BLOCKED, stage="peering", record=pcx,
                           reason=f"{where()}, a peering connection that does not join {subnet['vpc']}")
        other = sides[1] if mine[0] is sides[0] else sides[0]
        vpc = self.g.vpc(other.get("region") or "", other.get("vpc"))
        blocks = [parse(c) for c in ((vpc["cidrs"] + vpc.get("ipv6_cidrs", [])) if vpc
                                     else other.get("cidrs") or [])]
        if not any(b is not None and within(piece, b) for b in blocks):
            return replace(leg, verdict=BLOCKED, stage="route", record=pcx, reason=(
                f"{where()}, but {piece} is not inside {other.get('vpc')}, the peer VPC: a peering "
                "carries traffic only between the two VPCs (no transitive or edge-to-edge routing)"))
        cross = "peering-cross-region" if other.get("region") != subnet["region"] else "peering"
        goal = w.goal
        hops = (*leg.hops, Hop("vpc", str(other.get("vpc"))))
        if vpc is None:
            return replace(leg, hops=hops, stage="data", record=pcx, via=leg.via | {cross}, reason=(
                f"the peer VPC {other.get('vpc')} ({other.get('region')}, account {other.get('owner')}) "
                "was not read"))
        if goal is None or (goal["region"], goal["vpc"]) != (vpc["region"], vpc["id"]) \
                or not self._in_subnet(goal, piece):
            return replace(leg, hops=hops, verdict=BLOCKED, stage="route", record=pcx, reason=(
                f"{where()}: {piece} is in the peer VPC {vpc['id']}, not where the destination is"))
        return replace(leg, verdict=REACHABLE, end="subnet", end_subnet=goal, via=leg.via | {cross},
                       hops=(*hops, Hop("subnet", goal["id"])),
                       crossings=(*leg.crossings, Crossing(subnet, goal, src, piece, sender)),
                       reason=f"through peering {target}")

    # --- transit gateways ---------------------------------------------------------------------

    def _tgw(self, subnet: Rec, piece: Net, src: Net, w: Walk, leg: Leg, tgw: str, sender: str) -> Any:
        region = subnet["region"]
        def where() -> str:
            return f"route table {leg.table['id'] if leg.table else '?'} sends {piece} to transit gateway {tgw}"
        if not self.has[TGW_ATTACHMENTS]:
            return replace(leg, stage="data", reason=(
                f"{where()}, whose attachments were not read (ec2:DescribeTransitGatewayAttachments)"))
        att = self.vpc_attachments.get((region, tgw, subnet["vpc"]))
        if att is None:
            return replace(leg, verdict=BLOCKED, stage="tgw",
                           reason=f"{where()}, but {subnet['vpc']} has no attachment to {tgw}")
        if att.get("state") in TGW_ATTACHMENT_SETTING_UP:
            return replace(leg, stage="tgw", record=att,
                           reason=f"{where()}; attachment {att['id']} is {att.get('state')}")
        if att.get("state") not in TGW_ATTACHMENT_AVAILABLE:
            return replace(leg, verdict=BLOCKED, stage="tgw", record=att,
                           reason=f"{where()}; attachment {att['id']} is {att.get('state')}")
        entry = self._attachment_subnet(att, subnet)
        if entry is None:
            return replace(leg, verdict=BLOCKED, stage="tgw", record=att, reason=(
                f"{where()}, but attachment {att['id']} has no subnet in {subnet.get('az') or 'its'} "
                f"Availability Zone, so traffic from {subnet['id']} cannot reach the transit gateway"))
        if entry == "unknown":
            return replace(leg, stage="data", record=att,
                           reason=f"the subnets of attachment {att['id']} are not in the snapshot")
        assert isinstance(entry, dict)
        # https://docs.aws.amazon.com/vpc/latest/tgw/tgw-nacls.html: from instances to the transit
        # gateway, the instance subnet's outbound rules and the transit gateway subnet's inbound
        # rules apply (both of one ACL when it is the same subnet)
        crossing = Crossing(subnet, entry, src, piece, sender)
        hops = (*leg.hops, Hop("tgw-attachment", att["id"]), Hop("tgw", tgw))
        leg = replace(leg, hops=hops, crossings=(*leg.crossings, crossing), via=leg.via | {"tgw"})
        return self._tgw_route(att, piece, src, w, leg, zone_of(subnet), sender)

    def _attachment_subnet(self, att: Rec, near: Rec) -> Rec | str | None:
        subnets = [self.g.subnet(att["region"], s) for s in att.get("subnets") or []]
        known = [s for s in subnets if s is not None]
        if not known:  # a VPC attachment always has a subnet: none known means none read
            return "unknown"
        if not (near.get("az") or near.get("az_id")):
            return known[0]
        same = [s for s in known if same_zone(near, s)]
        return same[0] if same else None

    def _tgw_route(self, att: Rec, piece: Net, src: Net, w: Walk, leg: Leg, zone: Rec,
                   sender: str) -> Any:
        w.depth += 1
        table_id = att.get("route_table")
        owner = self._other_account(att.get("tgw_owner"))
        if not table_id and owner:
            # a gateway shared from another account (AWS RAM): its route tables, and which of them
            # an attachment is associated with, are the owner's to read
            # (https://docs.aws.amazon.com/vpc/latest/tgw/working-with-transit-gateways.html)
            return replace(leg, stage="data", record=att, reason=(
                f"attachment {att['id']} is on transit gateway {att.get('tgw')} of account {owner}, whose "
                f"route tables were not read; {_scan_too(owner)}"))
        if not table_id or att.get("association_state") not in TGW_ASSOCIATED | {None}:
            return replace(leg, verdict=BLOCKED, stage="tgw", record=att, reason=(
                f"attachment {att['id']} is associated with no transit gateway route table, so the "
                "transit gateway drops its traffic"))
        table = self.tgw_tables.get(key(att["region"], table_id))
        if table is None or not self.has[TGW_TABLES]:
            whose = f" (it is account {owner}'s: {_scan_too(owner)})" if owner else " (ec2:SearchTransitGatewayRoutes)"
            return replace(leg, stage="data", reason=f"transit gateway route table {table_id} was not read{whose}")
        if (table["id"], piece) in w.seen or w.depth > MAX_HOPS:
            return replace(leg, verdict=BLOCKED, stage="tgw", reason=f"the transit gateway route for {piece} loops")
        w.seen.add((table["id"], piece))
        hops = (*leg.hops, Hop("tgw-route-table", table["id"]))
        out: list[Leg] = []
        for sub, chosen, unread in self._partition(piece, self._tgw_routes(att["region"], table)):
            base = replace(leg, piece=sub, hops=hops)
            if chosen is None:
                if unread or not table.get("complete", True):
                    out.append(replace(base, stage="data", reason=(
                        f"transit gateway route table {table['id']} was read only in part")))
                else:
                    out.append(replace(base, verdict=BLOCKED, stage="tgw", record=table, reason=(
                        f"transit gateway route table {table['id']} has no route for {sub}")))
                continue
            out.extend(self._tgw_target(table, chosen[2], sub, src, w, base, zone, sender))
        return out

    def _other_account(self, owner: object) -> str | None:
        """`owner` (a record's owner account) when it is known and not the account judged."""
        mine = self.g.account
        return str(owner) if owner and mine and str(owner) != mine else None

    def _tgw_routes(self, region: str, table: Rec) -> list[tuple[Net, int, Rec, str | None]]:
        """A TGW route table's routes as `_routes` gives a VPC table's: static over propagated,
        prefix-list references expanded to their entries."""
        k = "tgw:" + key(table["region"], table["id"])
        cached = self._tables.get(k)
        if cached is not None:
            return cached
        routes: list[tuple[Net, int, Rec, str | None]] = []
        for r in table.get("routes", []):
            n = parse(r.get("destination"))
            prio = 2 if r.get("type") in TGW_ROUTE_STATIC else 0
            if n is not None:
                routes.append((n, prio, r, None))
            elif str(r.get("destination") or "").startswith("pl-"):
                entries = self.prefix_list(region, str(r["destination"]))
                if entries is None:
                    routes += [(parse("0.0.0.0/0"), -1, r, str(r["destination"])),  # type: ignore[list-item]
                               (parse("::/0"), -1, r, str(r["destination"]))]  # type: ignore[list-item]
                else:
                    routes += [(e, 1, r, None) for e in entries]
        self._tables[k] = routes
        return routes

    def _tgw_target(self, table: Rec, route: Rec, piece: Net, src: Net, w: Walk, leg: Leg,
                    zone: Rec, sender: str) -> list[Leg]:
        def where() -> str:
            return f"transit gateway route table {table['id']} sends {piece}"
        state = route.get("state")
        if state in TGW_ROUTE_PENDING:
            return [replace(leg, stage="tgw", record=route, reason=f"{where()} along a pending route")]
        if state not in TGW_ROUTE_ACTIVE:
            return [replace(leg, verdict=BLOCKED, stage="tgw", record=route,
                            reason=f"{where()} to a {state} route (route {route.get('destination')})")]
        targets = route.get("attachments") or []
        if not targets:  # an active route always has one: this record is not what AWS returns
            return [replace(leg, stage="data", record=route,
                            reason=f"{where()} along an active route that names no attachment")]
        att = self.attachments.get(key(table["region"], targets[0]))
        if att is None:
            return [replace(leg, stage="data", reason=f"{where()} to attachment {targets[0]}, which was not read")]
        hops = (*leg.hops, Hop("tgw-attachment", att["id"]))
        leg = replace(leg, hops=hops, record=route)
        if att.get("state") in TGW_ATTACHMENT_SETTING_UP:
            return [replace(leg, stage="tgw", record=att,
                            reason=f"{where()} to attachment {att['id']}, which is {att.get('state')}")]
        if att.get("state") not in TGW_ATTACHMENT_AVAILABLE:
            return [replace(leg, verdict=BLOCKED, stage="tgw", record=att,
                            reason=f"{where()} to attachment {att['id']}, which is {att.get('state')}")]
        if att.get("type") in TGW_PEERING:
            peer = self.attachments.get(key(str(att.get("peer_region") or ""), att["id"]))
            if peer is None:
                return [replace(leg, stage="data", reason=(
                    f"{where()} over transit gateway peering {att['id']} to {att.get('peer_region')}, "
                    "whose side was not read"))]
            onward = replace(leg, hops=(*hops, Hop("tgw", str(peer.get("tgw")))))
            return list(self._tgw_route(peer, piece, src, w, onward, {}, sender))
        if att.get("type") not in TGW_VPC:
            return [replace(leg, stage="route", record=att, reason=(
                f"{where()} to a {att.get('type')} attachment ({att['id']}): what lies beyond it "
                "(on-premises, or an appliance) cannot be seen from AWS"))]
        exit_subnet = self._attachment_subnet(att, zone)
        if exit_subnet is None:
            exit_subnet = self._attachment_subnet(att, {})
        if not isinstance(exit_subnet, dict):
            return [replace(leg, stage="data", reason=f"the subnets of attachment {att['id']} are not in the snapshot")]
        # into the VPC at the attachment's subnet: from there its route table applies, and its
        # outbound ACL rules (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-nacls.html) are the
        # ones of the crossing from it to the next subnet
        return self.walk(exit_subnet, piece, src, False, w, leg.hops, leg.crossings, leg.via, sender)

    # --- endpoints -------------------------------------------------------------------------------

    def _endpoint(self, subnet: Rec, piece: Net, src: Net, public: bool, w: Walk, leg: Leg,
                  target: str, where: Callable[[], str], sender: str) -> Any:
        e = self.endpoints.get(key(subnet["region"], target))
        etype = str((e or {}).get("type") or "").lower()
        if e is not None and etype in VPCE_GATEWAY:
            if w.goal is None and is_internet(piece):
                return replace(leg, verdict=REACHABLE, end="service",
                               reason=f"to {e.get('service')} through gateway endpoint {target}")
            return replace(leg, verdict=BLOCKED, stage="route", record=e, reason=(
                f"{where()}, a gateway endpoint, which carries only traffic to its service"))
        if e is not None and etype not in VPCE_GWLB:
            return replace(leg, stage="route", record=e,
                           reason=f"{where()}, a {etype} endpoint preflight does not follow")
        if e is not None and e.get("state") in VPCE_PENDING:
            return replace(leg, stage="appliance", record=e, reason=f"endpoint {target} is still pending")
        if e is not None and e.get("state") not in VPCE_AVAILABLE:
            return replace(leg, verdict=BLOCKED, stage="appliance", record=e,
                           reason=f"{where()}, an endpoint that is {e.get('state')}")
        appliance = f"endpoint {target} (a Gateway Load Balancer or Network Firewall endpoint)"
        subnet_ids = (e or {}).get("subnets") or []
        at = self.g.subnet(subnet["region"], subnet_ids[0]) if subnet_ids else None
        if at is None:
            return replace(leg, stage="appliance", reason=(
                f"{where()}, {appliance}: the appliance's policy and the subnet it returns traffic to "
                "were not read"))
        crossing = () if at["id"] == subnet["id"] else (Crossing(subnet, at, src, piece, sender),)
        legs = self.walk(at, piece, src, public, w, (*leg.hops, Hop("endpoint", target)),
                         (*leg.crossings, *crossing), leg.via | {"appliance"}, sender)
        note = f"{appliance} inspects the flow, and its policy was not read"
        return [replace(x, verdict=UNDECIDED, stage="appliance", reason=note, notes=(*x.notes, note))
                if x.verdict == REACHABLE else x for x in legs]
