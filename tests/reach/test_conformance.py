"""The reachability engine against the VPC documentation: one small world per documented branch
of routing, transit gateways, peering, prefix lists, security groups, network ACLs, IPv6 and
appliance routing. Each case names the page (tests/reach/sources.py) that says what AWS does.

Worlds start from a known-good layout and change one thing, so that a case's verdict is the
consequence of that one thing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from preflight.reach import (
    BLOCKED,
    EPHEMERAL_ANY,
    EPHEMERAL_LINUX,
    REACHABLE,
    RETURN,
    UNDECIDED,
    Answer,
    Source,
    internet,
    to_subnet,
)
from tests.reach.sources import SOURCES
from tests.reach.world import World, acl_entry, sg_rule

DB_PORT = 5432


# --- base worlds -------------------------------------------------------------------------------

def one_vpc(v6: bool = False) -> World:
    """VPC 10.0.0.0/16: a public subnet with a NAT gateway, two private app subnets (two AZs)
    routed to it, a database subnet; the database group admits the app group."""
    w = World()
    w.vpc("vpc-a", "10.0.0.0/16", ipv6=["2600:1f18:1:100::/56"] if v6 else [])
    w.subnet("subnet-pub", "vpc-a", "10.0.0.0/24", ipv6=["2600:1f18:1:100::/64"] if v6 else [])
    w.subnet("subnet-app", "vpc-a", "10.0.1.0/24", ipv6=["2600:1f18:1:101::/64"] if v6 else [])
    w.subnet("subnet-app2", "vpc-a", "10.0.2.0/24", az="us-east-1b")
    w.subnet("subnet-db", "vpc-a", "10.0.10.0/24", ipv6=["2600:1f18:1:10a::/64"] if v6 else [])
    w.igw("igw-a", "vpc-a")
    w.nat("nat-a", "subnet-pub", ip="10.0.0.10")
    w.table("rtb-pub", "vpc-a", ["subnet-pub"], [("0.0.0.0/0", "igw-a")] + ([("::/0", "igw-a")] if v6 else []))
    w.table("rtb-app", "vpc-a", ["subnet-app", "subnet-app2"], [("0.0.0.0/0", "nat-a")])
    w.sg("sg-app", "vpc-a")
    w.sg("sg-db", "vpc-a", [sg_rule(groups=["sg-app"], port=DB_PORT)])
    return w


def peered(db_region: str = "us-east-1") -> World:
    """App VPC 10.0.0.0/16 peered with database VPC 172.31.0.0/16, routes both ways, the
    database group admits the app VPC's range."""
    w = one_vpc()
    w.vpc("vpc-b", "172.31.0.0/16", region=db_region)
    w.subnet("subnet-b", "vpc-b", "172.31.0.0/20", az=f"{db_region}a")
    w.subnet("subnet-b2", "vpc-b", "172.31.16.0/20", az=f"{db_region}b")
    w.peering("pcx-ab", "vpc-a", "vpc-b")
    w.route("rtb-app", "172.31.0.0/16", "pcx-ab")
    w.table("rtb-b", "vpc-b", ["subnet-b", "subnet-b2"], [("10.0.0.0/16", "pcx-ab")])
    w.sg("sg-b", "vpc-b", [sg_rule(["10.0.0.0/16"], DB_PORT)])
    return w


def tgw() -> World:
    """App VPC and database VPC 192.168.0.0/16 joined by transit gateway tgw-1: both attached
    (a subnet in each AZ used), one TGW route table with both VPCs propagated."""
    w = one_vpc()
    w.vpc("vpc-c", "192.168.0.0/16")
    w.subnet("subnet-c", "vpc-c", "192.168.1.0/24")
    w.subnet("subnet-c-tgw", "vpc-c", "192.168.0.0/28")
    w.subnet("subnet-a-tgw", "vpc-a", "10.0.255.0/28")
    w.subnet("subnet-a-tgw-b", "vpc-a", "10.0.255.16/28", az="us-east-1b")
    w.route("rtb-app", "192.168.0.0/16", "tgw-1")
    w.table("rtb-c", "vpc-c", ["subnet-c", "subnet-c-tgw"], [("10.0.0.0/16", "tgw-1")])
    w.tgw_attachment("tgw-attach-a", "tgw-1", "vpc-a", ["subnet-a-tgw", "subnet-a-tgw-b"], "tgw-rtb-1")
    w.tgw_attachment("tgw-attach-c", "tgw-1", "vpc-c", ["subnet-c-tgw"], "tgw-rtb-1")
    w.tgw_table("tgw-rtb-1", "tgw-1", [("10.0.0.0/16", "tgw-attach-a", "active"),
                                       ("192.168.0.0/16", "tgw-attach-c", "active")])
    w.sg("sg-c", "vpc-c", [sg_rule(["10.0.0.0/16"], DB_PORT)])
    return w


# --- questions ---------------------------------------------------------------------------------

def ask_db(w: World, src: str = "subnet-app", dst: str = "subnet-db", dst_sg: str = "sg-db",
           src_sg: str = "sg-app", port: int = DB_PORT, eph: tuple[int, int] = EPHEMERAL_ANY,
           family: int | None = None) -> Answer:
    g = w.graph()
    source = Source(w.subnet_rec(src), (w.sg_rec(src_sg),), eph)
    return to_subnet(g, source, w.subnet_rec(dst), (w.sg_rec(dst_sg),), port, family)


def ask_net(w: World, src: str = "subnet-app", family: int = 4, public_ip: bool = False,
            eph: tuple[int, int] = EPHEMERAL_ANY) -> Answer:
    g = w.graph()
    return internet(g, Source(w.subnet_rec(src), (w.sg_rec("sg-app"),), eph, public_ip), 443, family)


def peer_db(w: World, dst: str = "subnet-b") -> Answer:
    return ask_db(w, dst=dst, dst_sg="sg-b")


def tgw_db(w: World) -> Answer:
    return ask_db(w, dst="subnet-c", dst_sg="sg-c")


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    build: Callable[[], World]
    ask: Callable[[World], Answer]
    verdict: str
    stage: str | None = None  # the stage of the first problem, when not reachable
    direction: str | None = None


def _m(base: Callable[[], World], *steps: Callable[[World], object]) -> Callable[[], World]:
    def build() -> World:
        w = base()
        for step in steps:
            step(w)
        return w
    return build


def rt(w: World, table: str) -> dict:
    return next(t for t in w.res["route_tables"] if t["id"] == table)


def drop_route(table: str, destination: str) -> Callable[[World], None]:
    def step(w: World) -> None:
        rt(w, table)["routes"] = [r for r in rt(w, table)["routes"] if r["destination"] != destination]
    return step


def set_route(table: str, destination: str, target: str, state: str = "active",
              origin: str = "CreateRoute") -> Callable[[World], None]:
    return lambda w: w.route(table, destination, target, state, origin)


def patch(collection: str, ident: str, **values: object) -> Callable[[World], None]:
    def step(w: World) -> None:
        next(r for r in w.res[collection] if r["id"] == ident).update(values)
    return step


ACCOUNT, NETWORK = "111122223333", "444455556666"  # the judged account; a network account's


# the app's account maps us-east-1a to use1-az1, the database's account maps us-east-1b there
CROSS_ACCOUNT_ZONES = {
    "subnet-app": ("us-east-1a", "use1-az1"), "subnet-a-tgw": ("us-east-1a", "use1-az1"),
    "subnet-a-tgw-b": ("us-east-1b", "use1-az2"), "subnet-c": ("us-east-1b", "use1-az1"),
    "subnet-c-tgw": ("us-east-1a", "use1-az2"), "subnet-c-tgw-b": ("us-east-1b", "use1-az1")}


def _zones(zones: dict[str, tuple[str, str]]) -> Callable[[World], None]:
    """Subnets' AZ names and ids (after the subnets they name exist)."""
    def step(w: World) -> None:
        for s in w.res["subnets"]:
            if s["id"] in zones:
                s["az"], s["az_id"] = zones[s["id"]]
    return step


def acl(subnets: list[str], *entries: dict, vpc: str = "vpc-a", aid: str = "acl-x") -> Callable[[World], None]:
    return lambda w: w.acl(aid, vpc, subnets, list(entries))


def sg_in(gid: str, *rules: dict) -> Callable[[World], None]:
    return patch("security_groups", gid, ingress=list(rules))


def sg_out(gid: str, *rules: dict) -> Callable[[World], None]:
    return patch("security_groups", gid, egress=list(rules))


A, D = "allow", "deny"
ALLOW_ALL = (acl_entry(100, A, "0.0.0.0/0", False), acl_entry(100, A, "0.0.0.0/0", True))


CASES: list[Case] = [
    # --- route tables: main vs explicit, longest prefix, state --------------------------------
    Case("same-vpc local route", "subnet-route-tables", one_vpc, ask_db, REACHABLE),
    Case("subnet without explicit table uses the main table", "subnet-route-tables",
         _m(one_vpc, lambda w: w.subnet("subnet-loose", "vpc-a", "10.0.3.0/24")),
         lambda w: ask_db(w, src="subnet-loose"), REACHABLE),
    Case("local route is implied when a table lacks it", "subnet-route-tables",
         _m(one_vpc, drop_route("rtb-app", "10.0.0.0/16")), ask_db, REACHABLE),
    Case("more specific route to an igw steals a same-VPC database", "route-priority",
         _m(one_vpc, set_route("rtb-app", "10.0.10.0/24", "igw-a")), ask_db, BLOCKED, "igw"),
    Case("local route retargeted to a middlebox interface is undecided", "middlebox",
         _m(one_vpc, set_route("rtb-app", "10.0.0.0/16", "eni-0appliance")), ask_db, UNDECIDED, "appliance"),
    Case("subnet route to a middlebox for the database subnet", "middlebox",
         _m(one_vpc, set_route("rtb-app", "10.0.10.0/24", "eni-0appliance")), ask_db, UNDECIDED, "appliance"),
    Case("peering route wins over the default route", "route-priority", peered, peer_db, REACHABLE),
    Case("no route to the peer VPC falls to the NAT and dies at the igw", "route-priority",
         _m(peered, drop_route("rtb-app", "172.31.0.0/16")), peer_db, BLOCKED, "igw"),
    Case("no route at all for the peer VPC", "route-priority",
         _m(peered, drop_route("rtb-app", "172.31.0.0/16"), drop_route("rtb-app", "0.0.0.0/0")),
         peer_db, BLOCKED, "route"),
    Case("a narrower route to another peering takes part of the range", "route-priority",
         _m(peered, lambda w: w.vpc("vpc-z", "192.168.0.0/16"), lambda w: w.peering("pcx-az", "vpc-a", "vpc-z"),
            set_route("rtb-app", "172.31.0.0/20", "pcx-az")), peer_db, BLOCKED, "route"),
    Case("a narrower route to the same peering is fine", "route-priority",
         _m(peered, set_route("rtb-app", "172.31.0.0/20", "pcx-ab")), peer_db, REACHABLE),
    Case("the narrower route only takes the other database subnet", "route-priority",
         _m(peered, lambda w: w.vpc("vpc-z", "192.168.0.0/16"), lambda w: w.peering("pcx-az", "vpc-a", "vpc-z"),
            set_route("rtb-app", "172.31.16.0/20", "pcx-az")), peer_db, REACHABLE),
    Case("... and breaks the second database subnet", "route-priority",
         _m(peered, lambda w: w.vpc("vpc-z", "192.168.0.0/16"), lambda w: w.peering("pcx-az", "vpc-a", "vpc-z"),
            set_route("rtb-app", "172.31.16.0/20", "pcx-az")), lambda w: peer_db(w, "subnet-b2"), BLOCKED, "route"),
    Case("a /32 inside the database subnet routed elsewhere splits it", "route-priority",
         _m(peered, set_route("rtb-app", "172.31.5.5/32", "igw-a")), peer_db, BLOCKED, "igw"),
    Case("a blackhole route", "route-options",
         _m(peered, set_route("rtb-app", "172.31.0.0/16", "pcx-ab", "blackhole")), peer_db, BLOCKED, "peering"),
    Case("a blackhole default route: no internet", "route-options",
         _m(one_vpc, set_route("rtb-app", "0.0.0.0/0", "nat-a", "blackhole")), ask_net, BLOCKED, "route"),
    Case("a filtered route carries nothing", "route-options",
         _m(one_vpc, set_route("rtb-app", "0.0.0.0/0", "nat-a", "filtered")), ask_net, BLOCKED, "route"),
    Case("static route beats a propagated one of the same length", "route-priority",
         _m(peered, set_route("rtb-app", "172.31.0.0/16", "pcx-ab"),
            lambda w: rt(w, "rtb-app")["routes"].append({"destination": "172.31.0.0/16", "target_type": "vgw",
                                                         "target": "vgw-1", "state": "active",
                                                         "origin": "EnableVgwRoutePropagation"})),
         peer_db, REACHABLE),
    Case("a propagated VPN route for the database is undecided", "vpn",
         _m(peered, drop_route("rtb-app", "172.31.0.0/16"),
            set_route("rtb-app", "172.31.0.0/16", "vgw-1", origin="EnableVgwRoutePropagation")),
         peer_db, UNDECIDED, "route"),
    Case("a route table missing from the snapshot", "subnet-route-tables",
         _m(one_vpc, lambda w: w.res["route_tables"].clear()), ask_db, UNDECIDED, "data"),
    Case("a route to an instance (NAT instance) is undecided", "route-options",
         _m(one_vpc, set_route("rtb-app", "0.0.0.0/0", "i-0natinstance")), ask_net, UNDECIDED, "appliance"),
    Case("a route to a carrier or local gateway is not followed", "route-options",
         _m(one_vpc, set_route("rtb-app", "0.0.0.0/0", "lgw-0abc")), ask_net, UNDECIDED, "route"),

    # --- internet egress: NAT gateway, internet gateway, split defaults ------------------------
    Case("private subnet through a public NAT gateway", "nat", one_vpc, ask_net, REACHABLE),
    Case("second app subnet shares the table", "nat", one_vpc, lambda w: ask_net(w, "subnet-app2"), REACHABLE),
    Case("private subnet routed straight to the igw, no public IP", "igw",
         _m(one_vpc, set_route("rtb-app", "0.0.0.0/0", "igw-a")), ask_net, BLOCKED, "igw"),
    Case("igw route with a public IP (ECS assignPublicIp)", "igw",
         _m(one_vpc, set_route("rtb-app", "0.0.0.0/0", "igw-a")), lambda w: ask_net(w, public_ip=True), REACHABLE),
    Case("NAT gateway in a private subnet", "nat",
         _m(one_vpc, patch("nat_gateways", "nat-a", subnet="subnet-app2")), ask_net, BLOCKED, "route"),
    Case("NAT gateway whose subnet routes back to a NAT gateway: a loop", "nat",
         _m(one_vpc, lambda w: w.subnet("subnet-pub2", "vpc-a", "10.0.4.0/24"),
            lambda w: w.nat("nat-b", "subnet-pub2"),
            lambda w: w.table("rtb-pub2", "vpc-a", ["subnet-pub2"], [("0.0.0.0/0", "nat-a")]),
            patch("nat_gateways", "nat-a", subnet="subnet-pub2"),
            set_route("rtb-pub2", "0.0.0.0/0", "nat-b")), ask_net, BLOCKED, "route"),
    Case("private NAT gateway cannot reach the internet", "nat",
         _m(one_vpc, patch("nat_gateways", "nat-a", connectivity="private")), ask_net, BLOCKED, "igw"),
    Case("failed NAT gateway", "nat", _m(one_vpc, patch("nat_gateways", "nat-a", state="failed")),
         ask_net, BLOCKED, "nat"),
    Case("deleting NAT gateway", "nat", _m(one_vpc, patch("nat_gateways", "nat-a", state="deleting")),
         ask_net, BLOCKED, "nat"),
    Case("pending NAT gateway is undecided", "nat", _m(one_vpc, patch("nat_gateways", "nat-a", state="pending")),
         ask_net, UNDECIDED, "nat"),
    Case("route to a NAT gateway that does not exist", "route-options",
         _m(one_vpc, lambda w: w.res["nat_gateways"].clear()), ask_net, BLOCKED, "nat"),
    Case("NAT gateways not read", "nat",
         _m(one_vpc, lambda w: w.res["nat_gateways"].clear(), lambda w: w.gap("nat_gateways")),
         ask_net, UNDECIDED, "data"),
    Case("split default route through the NAT gateway", "route-priority",
         _m(one_vpc, drop_route("rtb-app", "0.0.0.0/0"), set_route("rtb-app", "0.0.0.0/1", "nat-a"),
            set_route("rtb-app", "128.0.0.0/1", "nat-a"),
            set_route("rtb-pub", "0.0.0.0/1", "igw-a"), set_route("rtb-pub", "128.0.0.0/1", "igw-a")),
         ask_net, REACHABLE),
    Case("half of a split default route is missing", "route-priority",
         _m(one_vpc, drop_route("rtb-app", "0.0.0.0/0"), set_route("rtb-app", "0.0.0.0/1", "nat-a")),
         ask_net, BLOCKED, "route"),
    Case("default route to a peering is not internet egress", "peering-invalid",
         _m(peered, set_route("rtb-app", "0.0.0.0/0", "pcx-ab")), ask_net, BLOCKED, "route"),
    Case("default route to a virtual private gateway is undecided", "vpn",
         _m(one_vpc, set_route("rtb-app", "0.0.0.0/0", "vgw-1")), ask_net, UNDECIDED, "route"),
    Case("a small public range routed to a VPN is a carve-out", "route-priority",
         _m(one_vpc, set_route("rtb-app", "203.0.113.0/24", "vgw-1")), ask_net, REACHABLE),
    Case("a private range routed anywhere does not touch the internet answer", "route-priority",
         _m(one_vpc, set_route("rtb-app", "192.168.0.0/16", "vgw-1")), ask_net, REACHABLE),
    Case("an S3 gateway endpoint route (prefix list unread) is not the internet", "gateway-endpoints",
         _m(one_vpc, lambda w: w.endpoint("vpce-s3", "vpc-a", "Gateway", "com.amazonaws.us-east-1.s3"),
            set_route("rtb-app", "pl-63a5400a", "vpce-s3")), ask_net, REACHABLE),
    Case("only an S3 gateway endpoint: no internet", "gateway-endpoints",
         _m(one_vpc, drop_route("rtb-app", "0.0.0.0/0"),
            lambda w: w.endpoint("vpce-s3", "vpc-a", "Gateway", "com.amazonaws.us-east-1.s3"),
            set_route("rtb-app", "pl-63a5400a", "vpce-s3")), ask_net, BLOCKED, "route"),
    Case("gateway endpoint with its prefix list read", "gateway-endpoints",
         _m(one_vpc, lambda w: w.endpoint("vpce-s3", "vpc-a", "Gateway", "com.amazonaws.us-east-1.s3"),
            lambda w: w.prefix_list("pl-63a5400a", ["52.216.0.0/15", "3.5.0.0/19"]),
            set_route("rtb-app", "pl-63a5400a", "vpce-s3")), ask_net, REACHABLE),
    Case("public subnet's own internet path", "igw", one_vpc,
         lambda w: ask_net(w, "subnet-pub", public_ip=True), REACHABLE),
    Case("igw route in a VPC whose igw is detached shows as blackhole", "route-options",
         _m(one_vpc, set_route("rtb-pub", "0.0.0.0/0", "igw-a", "blackhole")), ask_net, BLOCKED, "route"),

    # --- peering -----------------------------------------------------------------------------
    Case("active same-region peering", "peering-basics", peered, peer_db, REACHABLE),
    Case("active cross-region peering", "peering-basics", lambda: peered("eu-north-1"), peer_db, REACHABLE),
    Case("pending-acceptance peering", "peering-basics",
         _m(peered, patch("peerings", "pcx-ab", status="pending-acceptance")), peer_db, BLOCKED, "peering"),
    Case("provisioning peering", "peering-basics",
         _m(peered, patch("peerings", "pcx-ab", status="provisioning")), peer_db, BLOCKED, "peering"),
    Case("deleted peering", "peering-basics",
         _m(peered, patch("peerings", "pcx-ab", status="deleted")), peer_db, BLOCKED, "peering"),
    Case("rejected peering", "peering-basics",
         _m(peered, patch("peerings", "pcx-ab", status="rejected")), peer_db, BLOCKED, "peering"),
    Case("route to a peering that does not exist", "peering-routing",
         _m(peered, lambda w: w.res["peerings"].clear()), peer_db, BLOCKED, "route"),
    Case("peerings not read", "peering-routing",
         _m(peered, lambda w: w.res["peerings"].clear(), lambda w: w.gap("peerings")), peer_db, UNDECIDED, "data"),
    Case("missing return route on the database side", "peering-routing",
         _m(peered, drop_route("rtb-b", "10.0.0.0/16")), peer_db, BLOCKED, "route", RETURN),
    Case("return route covers only the other app subnet", "peering-routing",
         _m(peered, drop_route("rtb-b", "10.0.0.0/16"), set_route("rtb-b", "10.0.2.0/24", "pcx-ab")),
         peer_db, BLOCKED, "route", RETURN),
    Case("return route narrowed to the app subnet is enough", "peering-routing",
         _m(peered, drop_route("rtb-b", "10.0.0.0/16"), set_route("rtb-b", "10.0.1.0/24", "pcx-ab")),
         peer_db, REACHABLE),
    Case("return through the database VPC's igw instead", "peering-routing",
         _m(peered, drop_route("rtb-b", "10.0.0.0/16"), lambda w: w.igw("igw-b", "vpc-b"),
            set_route("rtb-b", "0.0.0.0/0", "igw-b")), peer_db, BLOCKED, "igw", RETURN),
    Case("transitive peering is not supported", "peering-invalid",
         _m(peered, lambda w: w.vpc("vpc-t", "10.99.0.0/16"), lambda w: w.subnet("subnet-t", "vpc-t", "10.99.0.0/24"),
            lambda w: w.sg("sg-t", "vpc-t", [sg_rule(["10.0.0.0/16"], DB_PORT)]),
            set_route("rtb-app", "10.99.0.0/16", "pcx-ab")),
         lambda w: ask_db(w, dst="subnet-t", dst_sg="sg-t"), BLOCKED, "route"),
    Case("the peering does not join the source VPC", "peering-routing",
         _m(peered, lambda w: w.vpc("vpc-y", "10.50.0.0/16"), lambda w: w.vpc("vpc-x", "10.60.0.0/16"),
            lambda w: w.peering("pcx-xy", "vpc-x", "vpc-y"), set_route("rtb-app", "172.31.0.0/16", "pcx-xy")),
         peer_db, BLOCKED, "peering"),
    Case("the peer VPC was not read (another account)", "peering-basics",
         _m(peered, lambda w: w.res["vpcs"].remove(next(v for v in w.res["vpcs"] if v["id"] == "vpc-b"))),
         lambda w: ask_net(w), REACHABLE),
    Case("peered database group admits a same-region group reference", "peering-sg",
         _m(peered, sg_in("sg-b", sg_rule(groups=["sg-app"], port=DB_PORT))), peer_db, REACHABLE),
    Case("a group reference across regions admits nothing", "peering-sg",
         _m(lambda: peered("eu-north-1"), sg_in("sg-b", sg_rule(groups=["sg-app"], port=DB_PORT))),
         peer_db, BLOCKED, "security-group-ingress"),
    Case("database group admits only the other app subnet", "sg-rules",
         _m(peered, sg_in("sg-b", sg_rule(["10.0.2.0/24"], DB_PORT))), peer_db, BLOCKED, "security-group-ingress"),
    Case("two /25 rules together admit the app subnet", "sg",
         _m(peered, sg_in("sg-b", sg_rule(["10.0.1.0/25"], DB_PORT), sg_rule(["10.0.1.128/25"], DB_PORT))),
         peer_db, REACHABLE),
    Case("two CIDRs of one rule together admit it", "sg",
         _m(peered, sg_in("sg-b", sg_rule(["10.0.1.0/25", "10.0.1.128/25"], DB_PORT))), peer_db, REACHABLE),
    Case("one /25 alone does not", "sg",
         _m(peered, sg_in("sg-b", sg_rule(["10.0.1.0/25"], DB_PORT))), peer_db, BLOCKED, "security-group-ingress"),

    # --- transit gateways --------------------------------------------------------------------
    Case("two VPCs through one transit gateway", "tgw-how", tgw, tgw_db, REACHABLE),
    Case("transit gateway data not read", "tgw-how",
         _m(tgw, lambda w: w.res.pop("transit_gateway_attachments"), lambda w: w.res.pop("transit_gateway_route_tables")),
         tgw_db, UNDECIDED, "data"),
    Case("TGW attachments refused", "tgw-how", _m(tgw, lambda w: w.gap("transit_gateway_attachments")),
         tgw_db, UNDECIDED, "data"),
    Case("TGW route tables refused", "tgw-rt", _m(tgw, lambda w: w.gap("transit_gateway_route_tables")),
         tgw_db, UNDECIDED, "data"),
    Case("blackhole TGW route", "tgw-rt",
         _m(tgw, lambda w: w.res["transit_gateway_route_tables"][0]["routes"][1].update(state="blackhole")),
         tgw_db, BLOCKED, "tgw"),
    Case("TGW route table without a route for the database", "tgw-rt",
         _m(tgw, lambda w: w.res["transit_gateway_route_tables"][0]["routes"].pop(1)), tgw_db, BLOCKED, "tgw"),
    Case("TGW route table read only in part", "tgw-rt",
         _m(tgw, lambda w: w.res["transit_gateway_route_tables"][0]["routes"].pop(1),
            lambda w: w.res["transit_gateway_route_tables"][0].update(complete=False)), tgw_db, UNDECIDED, "data"),
    Case("pending TGW route", "tgw-rt",
         _m(tgw, lambda w: w.res["transit_gateway_route_tables"][0]["routes"][1].update(state="pending")),
         tgw_db, UNDECIDED, "tgw"),
    Case("the app VPC is not attached to that TGW", "tgw-vpc",
         _m(tgw, lambda w: w.res["transit_gateway_attachments"].pop(0)), tgw_db, BLOCKED, "tgw"),
    Case("attachment pending acceptance", "tgw-vpc",
         _m(tgw, patch("transit_gateway_attachments", "tgw-attach-a", state="pendingAcceptance")),
         tgw_db, UNDECIDED, "tgw"),
    Case("attachment deleted", "tgw-vpc",
         _m(tgw, patch("transit_gateway_attachments", "tgw-attach-a", state="deleted")), tgw_db, BLOCKED, "tgw"),
    Case("no attachment subnet in the source's AZ", "tgw-vpc",
         _m(tgw, patch("transit_gateway_attachments", "tgw-attach-a", subnets=["subnet-a-tgw-b"])),
         tgw_db, BLOCKED, "tgw"),
    Case("attachment subnet in the second AZ serves the second app subnet", "tgw-vpc",
         _m(tgw, patch("transit_gateway_attachments", "tgw-attach-a", subnets=["subnet-a-tgw-b"])),
         lambda w: ask_db(w, src="subnet-app2", dst="subnet-c", dst_sg="sg-c"), REACHABLE),
    Case("attachment whose subnets were not read", "tgw-vpc",
         _m(tgw, patch("transit_gateway_attachments", "tgw-attach-a", subnets=[])), tgw_db, UNDECIDED, "data"),
    Case("attachment associated with no TGW route table", "tgw-rt",
         _m(tgw, patch("transit_gateway_attachments", "tgw-attach-a", route_table=None, association_state=None)),
         tgw_db, BLOCKED, "tgw"),
    Case("associated with a route table lacking the database range", "tgw-rt",
         _m(tgw, lambda w: w.tgw_table("tgw-rtb-2", "tgw-1", [("10.0.0.0/16", "tgw-attach-a", "active")]),
            patch("transit_gateway_attachments", "tgw-attach-a", route_table="tgw-rtb-2")), tgw_db, BLOCKED, "tgw"),
    Case("static TGW route beats a propagated blackhole of the same range", "tgw-rt",
         _m(tgw, lambda w: w.res["transit_gateway_route_tables"][0]["routes"][1].update(state="blackhole"),
            lambda w: w.res["transit_gateway_route_tables"][0]["routes"].append(
                {"destination": "192.168.0.0/16", "attachments": ["tgw-attach-c"], "state": "active",
                 "type": "static"})), tgw_db, REACHABLE),
    Case("more specific TGW blackhole for the database subnet", "tgw-rt",
         _m(tgw, lambda w: w.res["transit_gateway_route_tables"][0]["routes"].append(
             {"destination": "192.168.1.0/24", "attachments": [], "state": "blackhole", "type": "static"})),
         tgw_db, BLOCKED, "tgw"),
    Case("TGW route through a prefix-list reference", "tgw-pl",
         _m(tgw, lambda w: w.prefix_list("pl-corp", ["192.168.0.0/16"]),
            lambda w: w.res["transit_gateway_route_tables"][0]["routes"][1].update(destination="pl-corp",
                                                                                   type="static")),
         tgw_db, REACHABLE),
    Case("TGW route to a VPN attachment is undecided", "tgw-how",
         _m(tgw, lambda w: w.tgw_attachment("tgw-attach-vpn", "tgw-1", None, rtype="vpn"),
            lambda w: w.res["transit_gateway_route_tables"][0]["routes"][1].update(attachments=["tgw-attach-vpn"])),
         tgw_db, UNDECIDED, "route"),
    # --- a transit gateway shared from another account (the judged account is 111122223333) ---
    Case("shared TGW: the attachment's association is not visible to the attachment owner", "tgw-share",
         _m(tgw, patch("transit_gateway_attachments", "tgw-attach-a", tgw_owner=NETWORK, route_table=None,
                       association_state=None)), tgw_db, UNDECIDED, "data"),
    Case("own TGW: an attachment with no association drops its traffic", "tgw-rt",
         _m(tgw, patch("transit_gateway_attachments", "tgw-attach-a", tgw_owner=ACCOUNT, route_table=None,
                       association_state=None)), tgw_db, BLOCKED, "tgw"),
    Case("shared TGW: its route tables live in the owner's account", "tgw-share",
         _m(tgw, patch("transit_gateway_attachments", "tgw-attach-a", tgw_owner=NETWORK),
            lambda w: w.res["transit_gateway_route_tables"].clear()), tgw_db, UNDECIDED, "data"),
    Case("shared TGW with its route tables borrowed from the owner routes", "tgw-share",
         _m(tgw, patch("transit_gateway_attachments", "tgw-attach-a", tgw_owner=NETWORK),
            patch("transit_gateway_attachments", "tgw-attach-c", tgw_owner=NETWORK)), tgw_db, REACHABLE),
    Case("TGW exit subnet chosen by AZ id, not by an AZ name another account maps elsewhere", "az-ids",
         _m(tgw, lambda w: w.subnet("subnet-c-tgw-b", "vpc-c", "192.168.0.16/28", az="us-east-1b"),
            _zones(CROSS_ACCOUNT_ZONES),
            patch("transit_gateway_attachments", "tgw-attach-c", subnets=["subnet-c-tgw", "subnet-c-tgw-b"]),
            acl(["subnet-c-tgw"], vpc="vpc-c", aid="acl-c-tgw-closed")), tgw_db, REACHABLE),
    Case("TGW exit subnet in the source's AZ id is the one whose ACL applies", "az-ids",
         _m(tgw, lambda w: w.subnet("subnet-c-tgw-b", "vpc-c", "192.168.0.16/28", az="us-east-1b"),
            _zones(CROSS_ACCOUNT_ZONES),
            patch("transit_gateway_attachments", "tgw-attach-c", subnets=["subnet-c-tgw", "subnet-c-tgw-b"]),
            acl(["subnet-c-tgw-b"], vpc="vpc-c", aid="acl-c-tgw-closed")), tgw_db, BLOCKED, "nacl"),
    Case("the database VPC has no route back to the TGW", "tgw-how",
         _m(tgw, drop_route("rtb-c", "10.0.0.0/16")), tgw_db, BLOCKED, "route", RETURN),
    Case("return TGW route blackholed", "tgw-rt",
         _m(tgw, lambda w: w.res["transit_gateway_route_tables"][0]["routes"][0].update(state="blackhole")),
         tgw_db, BLOCKED, "tgw", RETURN),
    Case("a group reference across a transit gateway is undecided", "tgw-how",
         _m(tgw, sg_in("sg-c", sg_rule(groups=["sg-app"], port=DB_PORT))), tgw_db, UNDECIDED, "security-group-ingress"),
    Case("TGW subnet ACL denies inbound from the app subnet", "tgw-nacl",
         _m(tgw, acl(["subnet-a-tgw"], acl_entry(100, A, "0.0.0.0/0", True))), tgw_db, BLOCKED, "nacl"),
    Case("TGW subnet ACL outbound rules do not apply on the way in", "tgw-nacl",
         _m(tgw, acl(["subnet-a-tgw"], acl_entry(100, A, "0.0.0.0/0", False),
                     # its outbound rules judge only what the transit gateway sends back in: the reply
                     acl_entry(100, A, "10.0.1.0/24", True, "6", (1024, 65535)))), tgw_db, REACHABLE),
    Case("exit TGW subnet ACL denies outbound to the database", "tgw-nacl",
         _m(tgw, acl(["subnet-c-tgw"], acl_entry(100, A, "0.0.0.0/0", False), vpc="vpc-c")), tgw_db, BLOCKED, "nacl"),
    Case("exit TGW subnet ACL inbound rules do not apply on the way out", "tgw-nacl",
         _m(tgw, acl(["subnet-c-tgw"], acl_entry(100, A, "0.0.0.0/0", True), vpc="vpc-c"),
            # the reply enters the TGW through this subnet: its inbound rule for the reply
            lambda w: w.res["network_acls"][-1]["entries"].insert(
                0, acl_entry(90, A, "192.168.1.0/24", False))), tgw_db, REACHABLE),
    Case("centralised egress through a TGW and an egress VPC's NAT", "tgw-how",
         _m(tgw, drop_route("rtb-app", "0.0.0.0/0"), set_route("rtb-app", "0.0.0.0/0", "tgw-1"),
            lambda w: w.subnet("subnet-c-pub", "vpc-c", "192.168.100.0/24"), lambda w: w.igw("igw-c", "vpc-c"),
            lambda w: w.nat("nat-c", "subnet-c-pub"),
            lambda w: w.table("rtb-c-pub", "vpc-c", ["subnet-c-pub"], [("0.0.0.0/0", "igw-c"),
                                                                      ("10.0.0.0/16", "tgw-1")]),
            set_route("rtb-c", "0.0.0.0/0", "nat-c"),
            lambda w: w.res["transit_gateway_route_tables"][0]["routes"].append(
                {"destination": "0.0.0.0/0", "attachments": ["tgw-attach-c"], "state": "active", "type": "static"})),
         ask_net, REACHABLE),
    Case("centralised egress with no TGW default route", "tgw-rt",
         _m(tgw, drop_route("rtb-app", "0.0.0.0/0"), set_route("rtb-app", "0.0.0.0/0", "tgw-1")),
         ask_net, BLOCKED, "tgw"),
    Case("transit gateway peering to another region", "tgw-peering",
         _m(tgw, lambda w: w.tgw_attachment("tgw-attach-peer", "tgw-1", None, rtype="peering",
                                            peer_region="eu-west-1"),
            lambda w: w.tgw_attachment("tgw-attach-peer", "tgw-2", None, table="tgw-rtb-eu", rtype="peering",
                                       region="eu-west-1", peer_region="us-east-1"),
            lambda w: w.tgw_table("tgw-rtb-eu", "tgw-2", [("192.168.0.0/16", "tgw-attach-peer", "blackhole",
                                                          "static")], region="eu-west-1"),
            lambda w: w.res["transit_gateway_route_tables"][0]["routes"][1].update(
                attachments=["tgw-attach-peer"], type="static")),
         tgw_db, BLOCKED, "tgw"),
    Case("transit gateway peering whose far side was not read", "tgw-peering",
         _m(tgw, lambda w: w.tgw_attachment("tgw-attach-peer", "tgw-1", None, rtype="peering",
                                            peer_region="eu-west-1"),
            lambda w: w.res["transit_gateway_route_tables"][0]["routes"][1].update(attachments=["tgw-attach-peer"])),
         tgw_db, UNDECIDED, "data"),

    # --- prefix lists ------------------------------------------------------------------------
    Case("security group rule through a prefix list", "prefix-lists",
         _m(one_vpc, lambda w: w.prefix_list("pl-app", ["10.0.1.0/24", "10.0.2.0/24"]),
            sg_in("sg-db", sg_rule(prefix_lists=["pl-app"], port=DB_PORT))), ask_db, REACHABLE),
    Case("prefix list that lacks the app subnet", "prefix-lists",
         _m(one_vpc, lambda w: w.prefix_list("pl-app", ["10.0.2.0/24"]),
            sg_in("sg-db", sg_rule(prefix_lists=["pl-app"], port=DB_PORT))), ask_db, BLOCKED,
         "security-group-ingress"),
    Case("prefix list entries not read", "prefix-lists",
         _m(one_vpc, lambda w: w.prefix_list("pl-app", None),
            sg_in("sg-db", sg_rule(prefix_lists=["pl-app"], port=DB_PORT))), ask_db, UNDECIDED,
         "security-group-ingress"),
    Case("prefix list plus a CIDR together", "prefix-lists",
         _m(one_vpc, lambda w: w.prefix_list("pl-app", ["10.0.1.0/25"]),
            sg_in("sg-db", sg_rule(["10.0.1.128/25"], DB_PORT), sg_rule(prefix_lists=["pl-app"], port=DB_PORT))),
         ask_db, REACHABLE),
    Case("route to a prefix list through the peering", "prefix-lists",
         _m(peered, drop_route("rtb-app", "172.31.0.0/16"), lambda w: w.prefix_list("pl-db", ["172.31.0.0/16"]),
            set_route("rtb-app", "pl-db", "pcx-ab")), peer_db, REACHABLE),
    Case("a CIDR route beats a prefix-list route of the same length", "route-priority",
         _m(peered, lambda w: w.prefix_list("pl-db", ["172.31.0.0/16"]), set_route("rtb-app", "pl-db", "igw-a")),
         peer_db, REACHABLE),
    Case("a more specific prefix-list entry beats a shorter CIDR route", "route-priority",
         _m(peered, lambda w: w.prefix_list("pl-db", ["172.31.0.0/20"]), set_route("rtb-app", "pl-db", "igw-a")),
         peer_db, BLOCKED, "igw"),
    Case("a route to an unread prefix list could take the database", "prefix-lists",
         _m(peered, lambda w: w.prefix_list("pl-db", None), set_route("rtb-app", "pl-db", "igw-a")),
         peer_db, UNDECIDED, "data"),
    Case("egress rule to a prefix list of the database subnets", "prefix-lists",
         _m(peered, lambda w: w.prefix_list("pl-db", ["172.31.0.0/16"]),
            sg_out("sg-app", sg_rule(prefix_lists=["pl-db"], port=DB_PORT))), peer_db, REACHABLE),

    # --- security groups ----------------------------------------------------------------------
    Case("database group admits nothing", "sg", _m(one_vpc, sg_in("sg-db")), ask_db, BLOCKED,
         "security-group-ingress"),
    Case("database group admits another port", "sg-rules",
         _m(one_vpc, sg_in("sg-db", sg_rule(groups=["sg-app"], port=3306))), ask_db, BLOCKED, "security-group-ingress"),
    Case("a port range covering the database port", "sg-rules",
         _m(one_vpc, sg_in("sg-db", sg_rule(["10.0.0.0/16"], (5000, 6000)))), ask_db, REACHABLE),
    Case("all-traffic rule from the VPC", "sg-rules",
         _m(one_vpc, sg_in("sg-db", sg_rule(["10.0.0.0/16"], protocol="-1"))), ask_db, REACHABLE),
    Case("UDP rule does not admit TCP", "sg-rules",
         _m(one_vpc, sg_in("sg-db", sg_rule(["10.0.0.0/16"], DB_PORT, "udp"))), ask_db, BLOCKED,
         "security-group-ingress"),
    Case("protocol number 6 is TCP", "sg-rules",
         _m(one_vpc, sg_in("sg-db", sg_rule(["10.0.0.0/16"], DB_PORT, "6"))), ask_db, REACHABLE),
    Case("ICMP rule does not admit TCP", "sg-rules",
         _m(one_vpc, sg_in("sg-db", sg_rule(["10.0.0.0/16"], protocol="icmp"))), ask_db, BLOCKED,
         "security-group-ingress"),
    Case("union across two groups on the database", "sg",
         _m(one_vpc, lambda w: w.sg("sg-db2", "vpc-a", [sg_rule(["10.0.1.128/25"], DB_PORT)]),
            sg_in("sg-db", sg_rule(["10.0.1.0/25"], DB_PORT))),
         lambda w: to_subnet(w.graph(), Source(w.subnet_rec("subnet-app"), (w.sg_rec("sg-app"),), EPHEMERAL_ANY),
                             w.subnet_rec("subnet-db"), (w.sg_rec("sg-db"), w.sg_rec("sg-db2")), DB_PORT),
         REACHABLE),
    Case("reference to a group the source does not carry", "sg-rules",
         _m(one_vpc, lambda w: w.sg("sg-other", "vpc-a"), sg_in("sg-db", sg_rule(groups=["sg-other"], port=DB_PORT))),
         ask_db, BLOCKED, "security-group-ingress"),
    Case("source egress allows nothing", "sg", _m(one_vpc, sg_out("sg-app")), ask_db, BLOCKED,
         "security-group-egress"),
    Case("source egress only to 443 blocks the database", "sg-rules",
         _m(one_vpc, sg_out("sg-app", sg_rule(["0.0.0.0/0"], 443))), ask_db, BLOCKED, "security-group-egress"),
    Case("source egress by reference to the database group", "sg-rules",
         _m(one_vpc, sg_out("sg-app", sg_rule(groups=["sg-db"], port=DB_PORT))), ask_db, REACHABLE),
    Case("source egress only to the database: no internet", "sg",
         _m(one_vpc, sg_out("sg-app", sg_rule(groups=["sg-db"], port=DB_PORT))), ask_net, BLOCKED,
         "security-group-egress"),
    Case("egress 443 split over two /1 rules", "sg",
         _m(one_vpc, sg_out("sg-app", sg_rule(["0.0.0.0/1", "128.0.0.0/1"], 443))), ask_net, REACHABLE),
    Case("the reply needs no security group rule (stateful)", "sg",
         _m(one_vpc, sg_in("sg-app"), sg_out("sg-db")), ask_db, REACHABLE),
    Case("groups of the source unknown", "sg",
         one_vpc, lambda w: to_subnet(w.graph(), Source(w.subnet_rec("subnet-app"), None, EPHEMERAL_ANY),
                                      w.subnet_rec("subnet-db"), (w.sg_rec("sg-db"),), DB_PORT),
         UNDECIDED, "security-group-egress"),
    Case("behind a NAT gateway the database sees the NAT's address", "nat-scenarios",
         _m(peered, drop_route("rtb-app", "172.31.0.0/16"), set_route("rtb-pub", "172.31.0.0/16", "pcx-ab"),
            sg_in("sg-b", sg_rule(["10.0.0.10/32"], DB_PORT)), set_route("rtb-b", "10.0.0.0/16", "pcx-ab")),
         peer_db, REACHABLE),
    Case("behind a NAT gateway the app subnet's range is not what arrives", "nat-scenarios",
         _m(peered, drop_route("rtb-app", "172.31.0.0/16"), set_route("rtb-pub", "172.31.0.0/16", "pcx-ab"),
            sg_in("sg-b", sg_rule(["10.0.1.0/24"], DB_PORT))), peer_db, BLOCKED, "security-group-ingress"),

    # --- network ACLs ------------------------------------------------------------------------
    Case("default ACLs allow everything", "nacl", one_vpc, ask_db, REACHABLE),
    Case("a custom ACL with no entries denies all", "nacl",
         _m(one_vpc, acl(["subnet-db"])), ask_db, BLOCKED, "nacl"),
    Case("database ACL allows the port in, ephemeral out", "nacl-ephemeral",
         _m(one_vpc, acl(["subnet-db"], acl_entry(100, A, "10.0.1.0/24", False, "6", (5432, 5432)),
                         acl_entry(100, A, "10.0.1.0/24", True, "6", (1024, 65535)))), ask_db, REACHABLE),
    Case("database ACL without the reply rule", "nacl-ephemeral",
         _m(one_vpc, acl(["subnet-db"], acl_entry(100, A, "10.0.1.0/24", False, "6", (5432, 5432)))),
         ask_db, BLOCKED, "nacl", RETURN),
    Case("reply range 32768-60999 suffices for Linux tasks", "nacl-ephemeral",
         _m(one_vpc, acl(["subnet-db"], acl_entry(100, A, "10.0.1.0/24", False, "6", (5432, 5432)),
                         acl_entry(100, A, "10.0.1.0/24", True, "6", (32768, 60999)))),
         lambda w: ask_db(w, eph=EPHEMERAL_LINUX), REACHABLE),
    Case("... but not for App Runner's connector (1024-65535)", "apprunner-vpc",
         _m(one_vpc, acl(["subnet-db"], acl_entry(100, A, "10.0.1.0/24", False, "6", (5432, 5432)),
                         acl_entry(100, A, "10.0.1.0/24", True, "6", (32768, 60999)))),
         ask_db, BLOCKED, "nacl", RETURN),
    Case("deny before allow decides (rule order)", "nacl-rules",
         _m(one_vpc, acl(["subnet-db"], acl_entry(50, D, "10.0.1.0/24", False), *ALLOW_ALL)),
         ask_db, BLOCKED, "nacl"),
    Case("allow before deny decides (rule order)", "nacl-rules",
         _m(one_vpc, acl(["subnet-db"], acl_entry(50, A, "10.0.0.0/16", False), acl_entry(60, D, "10.0.1.0/24", False),
                         acl_entry(100, A, "0.0.0.0/0", True))), ask_db, REACHABLE),
    Case("a partial deny of the app subnet", "nacl-rules",
         _m(one_vpc, acl(["subnet-db"], acl_entry(50, D, "10.0.1.128/25", False), *ALLOW_ALL)),
         ask_db, BLOCKED, "nacl"),
    Case("a deny on another port does not apply", "nacl-rules",
         _m(one_vpc, acl(["subnet-db"], acl_entry(50, D, "10.0.1.0/24", False, "6", (22, 22)), *ALLOW_ALL)),
         ask_db, REACHABLE),
    Case("a UDP deny does not apply to TCP", "nacl-rules",
         _m(one_vpc, acl(["subnet-db"], acl_entry(50, D, "10.0.1.0/24", False, "17"), *ALLOW_ALL)),
         ask_db, REACHABLE),
    Case("two allows that together cover the reply ports", "nacl-rules",
         _m(one_vpc, acl(["subnet-db"], acl_entry(100, A, "10.0.1.0/24", False, "6", (5432, 5432)),
                         acl_entry(110, A, "10.0.1.0/24", True, "6", (1024, 30000)),
                         acl_entry(120, A, "10.0.1.0/24", True, "6", (30001, 65535)))), ask_db, REACHABLE),
    Case("a hole in the reply ports", "nacl-rules",
         _m(one_vpc, acl(["subnet-db"], acl_entry(100, A, "10.0.1.0/24", False, "6", (5432, 5432)),
                         acl_entry(110, A, "10.0.1.0/24", True, "6", (1024, 30000)),
                         acl_entry(120, A, "10.0.1.0/24", True, "6", (30002, 65535)))), ask_db, BLOCKED, "nacl"),
    Case("source ACL denies outbound to the database", "nacl",
         _m(one_vpc, acl(["subnet-app"], acl_entry(100, A, "0.0.0.0/0", False))), ask_db, BLOCKED, "nacl"),
    Case("same-subnet traffic does not cross an ACL", "nacl",
         _m(one_vpc, acl(["subnet-app"])), lambda w: ask_db(w, dst="subnet-app"), REACHABLE),
    Case("internet path: app ACL without HTTPS out", "nacl",
         _m(one_vpc, acl(["subnet-app"], acl_entry(100, A, "0.0.0.0/0", False))), ask_net, BLOCKED, "nacl"),
    Case("internet path: NAT subnet ACL denies the app's traffic in", "nacl",
         _m(one_vpc, acl(["subnet-pub"], acl_entry(100, A, "0.0.0.0/0", True),
                         acl_entry(100, A, "0.0.0.0/0", False, "6", (1024, 65535)))), ask_net, BLOCKED, "nacl"),
    Case("internet path: NAT subnet ACL with the documented rules", "nacl-ephemeral",
         _m(one_vpc, acl(["subnet-pub"], acl_entry(100, A, "10.0.0.0/16", False, "6", (443, 443)),
                         acl_entry(110, A, "0.0.0.0/0", False, "6", (1024, 65535)),
                         acl_entry(100, A, "0.0.0.0/0", True, "6", (443, 443)),
                         acl_entry(110, A, "10.0.0.0/16", True, "6", (1024, 65535)))), ask_net, REACHABLE),
    Case("internet path: NAT subnet ACL with replies only on 32768-60999", "nacl-ephemeral",
         _m(one_vpc, acl(["subnet-pub"], acl_entry(100, A, "10.0.0.0/16", False, "6", (443, 443)),
                         acl_entry(110, A, "0.0.0.0/0", False, "6", (32768, 60999)),
                         acl_entry(100, A, "0.0.0.0/0", True, "6", (443, 443)),
                         acl_entry(110, A, "10.0.0.0/16", True, "6", (1024, 65535)))), ask_net, BLOCKED, "nacl"),
    Case("internet path: app ACL replies in on 1024-65535", "nacl-ephemeral",
         _m(one_vpc, acl(["subnet-app"], acl_entry(100, A, "0.0.0.0/0", True, "6", (443, 443)),
                         acl_entry(100, A, "0.0.0.0/0", False, "6", (1024, 65535)))), ask_net, REACHABLE),
    Case("internet path: app ACL forgets the replies", "nacl-ephemeral",
         _m(one_vpc, acl(["subnet-app"], acl_entry(100, A, "0.0.0.0/0", True, "6", (443, 443)))),
         ask_net, BLOCKED, "nacl", RETURN),
    Case("ACLs not read", "nacl",
         _m(one_vpc, lambda w: w.res["network_acls"].clear(), lambda w: w.gap("network_acls")), ask_db,
         UNDECIDED, "data"),
    Case("peered database ACL must admit the peer range", "nacl",
         _m(peered, acl(["subnet-b"], acl_entry(100, A, "172.31.0.0/16", False), acl_entry(100, A, "0.0.0.0/0", True),
                        vpc="vpc-b")), peer_db, BLOCKED, "nacl"),

    # --- appliances: Network Firewall, Gateway Load Balancer ---------------------------------
    Case("internet through a Network Firewall endpoint (not read) is undecided", "network-firewall",
         _m(one_vpc, set_route("rtb-app", "0.0.0.0/0", "vpce-0nfw")), ask_net, UNDECIDED, "appliance"),
    Case("database through a firewall endpoint is a route, undecided", "network-firewall",
         _m(peered, set_route("rtb-app", "172.31.0.0/16", "vpce-0nfw")), peer_db, UNDECIDED, "appliance"),
    Case("GWLB endpoint whose subnet routes on to the NAT", "gwlb-endpoints",
         _m(one_vpc, lambda w: w.subnet("subnet-fw", "vpc-a", "10.0.5.0/28"),
            lambda w: w.endpoint("vpce-gwlb", "vpc-a", "GatewayLoadBalancer", subnets=["subnet-fw"]),
            lambda w: w.table("rtb-fw", "vpc-a", ["subnet-fw"], [("0.0.0.0/0", "nat-a")]),
            set_route("rtb-app", "0.0.0.0/0", "vpce-gwlb")), ask_net, UNDECIDED, "appliance"),
    Case("GWLB endpoint whose subnet has no onward route blocks", "gwlb-endpoints",
         _m(one_vpc, lambda w: w.subnet("subnet-fw", "vpc-a", "10.0.5.0/28"),
            lambda w: w.endpoint("vpce-gwlb", "vpc-a", "GatewayLoadBalancer", subnets=["subnet-fw"]),
            lambda w: w.table("rtb-fw", "vpc-a", ["subnet-fw"], []),
            set_route("rtb-app", "0.0.0.0/0", "vpce-gwlb")), ask_net, BLOCKED, "route"),
    Case("a rejected GWLB endpoint", "gwlb-endpoints",
         _m(one_vpc, lambda w: w.endpoint("vpce-gwlb", "vpc-a", "GatewayLoadBalancer", state="rejected"),
            set_route("rtb-app", "0.0.0.0/0", "vpce-gwlb")), ask_net, BLOCKED, "appliance"),
    Case("a gateway endpoint cannot carry a private destination", "gateway-endpoints",
         _m(one_vpc, lambda w: w.endpoint("vpce-s3", "vpc-a", "Gateway", "com.amazonaws.us-east-1.s3"),
            set_route("rtb-app", "10.0.10.0/24", "vpce-s3")), ask_db, BLOCKED, "route"),

    # --- IPv6 and dual stack --------------------------------------------------------------------
    Case("dual-stack subnet: IPv4 database flow", "ipv6", lambda: one_vpc(v6=True), ask_db, REACHABLE),
    Case("dual-stack subnet: IPv6 database flow by the local route", "ipv6",
         _m(lambda: one_vpc(v6=True), sg_in("sg-db", sg_rule(v6=["2600:1f18:1:101::/64"], port=DB_PORT))),
         lambda w: ask_db(w, family=6), REACHABLE),
    Case("IPv6 database flow: an IPv4-only rule does not admit it", "sg-rules",
         _m(lambda: one_vpc(v6=True), sg_in("sg-db", sg_rule(["10.0.1.0/24"], DB_PORT))),
         lambda w: ask_db(w, family=6), BLOCKED, "security-group-ingress"),
    Case("IPv6 internet through the igw", "igw",
         _m(lambda: one_vpc(v6=True), set_route("rtb-app", "::/0", "igw-a")), lambda w: ask_net(w, family=6),
         REACHABLE),
    Case("IPv6 internet through an egress-only igw", "eigw",
         _m(lambda: one_vpc(v6=True), set_route("rtb-app", "::/0", "eigw-1")), lambda w: ask_net(w, family=6),
         REACHABLE),
    Case("IPv6 with no ::/0 route", "ipv6", lambda: one_vpc(v6=True), lambda w: ask_net(w, family=6),
         BLOCKED, "route"),
    Case("IPv6 default route to a NAT gateway", "nat64",
         _m(lambda: one_vpc(v6=True), set_route("rtb-app", "::/0", "nat-a")), lambda w: ask_net(w, family=6),
         BLOCKED, "nat"),
    Case("an egress-only igw carries no IPv4", "eigw",
         _m(one_vpc, set_route("rtb-app", "0.0.0.0/0", "eigw-1")), ask_net, BLOCKED, "route"),
    Case("IPv6-only subnet has no IPv4 internet question", "ipv6",
         _m(lambda: one_vpc(v6=True), lambda w: w.subnet("subnet-v6", "vpc-a", None, ipv6=["2600:1f18:1:1ff::/64"])),
         lambda w: ask_net(w, "subnet-v6"), BLOCKED, "route"),
    Case("IPv6-only subnet to an IPv4-only database is undecided", "nat64",
         _m(one_vpc, lambda w: w.subnet("subnet-v6", "vpc-a", None, ipv6=["2600:1f18:1:1ff::/64"])),
         lambda w: ask_db(w, src="subnet-v6"), UNDECIDED, "data"),
    Case("IPv6-only subnet through NAT64 to the IPv4 internet", "nat64",
         _m(lambda: one_vpc(v6=True), lambda w: w.subnet("subnet-v6", "vpc-a", None, ipv6=["2600:1f18:1:1ff::/64"]),
            lambda w: w.table("rtb-v6", "vpc-a", ["subnet-v6"], [("64:ff9b::/96", "nat-a"), ("::/0", "eigw-1")])),
         lambda w: ask_net(w, "subnet-v6", family=6), REACHABLE),
    Case("IPv6 ACL denies what IPv4 allows", "nacl",
         _m(lambda: one_vpc(v6=True), set_route("rtb-app", "::/0", "eigw-1"),
            acl(["subnet-app"], acl_entry(100, A, "0.0.0.0/0", False), acl_entry(100, A, "0.0.0.0/0", True))),
         lambda w: ask_net(w, family=6), BLOCKED, "nacl"),
]


def test_the_suite_is_large_and_cites_its_sources() -> None:
    assert len(CASES) >= 120
    assert len({c.name for c in CASES}) == len(CASES)
    assert {c.source for c in CASES} <= set(SOURCES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    answer = case.ask(case.build())
    detail = [(p.verdict, p.stage, p.direction, p.reason) for p in answer.problems]
    assert answer.verdict == case.verdict, detail
    if case.verdict != REACHABLE:
        first = answer.first
        assert first is not None
        if case.stage is not None:
            assert first.stage == case.stage, detail
        if case.direction is not None:
            assert first.direction == case.direction, detail
        assert first.reason  # every verdict says why
        assert answer.path  # and where
