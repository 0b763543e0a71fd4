"""Fixtures for the path rules (NET002, NET004-NET011, NET013, COST001), with the traps: a more
specific route that wins over the peering, a NAT gateway in a private subnet, a valid
same-region security group reference, a pending peering, a default-deny ACL on the database."""

from __future__ import annotations

from typing import Any

from preflight import engine
from preflight.findings import Severity
from tests.builders import Snap, fired, rule

APP, FAR = "us-east-1", "eu-north-1"  # eu-north-1 has no App Runner


class World:
    """A working cross-region design: App Runner in 10.10.0.0/16 (private subnets behind a NAT
    gateway), Postgres in 172.31.0.0/16, an active peering with DNS resolution, routes both
    ways, security groups that admit exactly what they must."""

    def __init__(self, db_region: str = FAR, public_db: bool | None = False) -> None:
        s = self.s = Snap((APP, db_region))
        self.app = s.vpc("10.10.0.0/16", APP, dns=(True, True))
        self.dbv = s.vpc("172.31.0.0/16", db_region, dns=(True, True))
        self.public_sn = s.subnet(self.app, "10.10.0.0/24")
        self.igw = s.igw(self.app)
        self.public_rt = s.route_table(self.app, subnets=[self.public_sn],
                                       routes=[("0.0.0.0/0", self.igw)])
        self.nat = s.nat(self.public_sn)
        self.priv = [s.subnet(self.app, "10.10.1.0/24"), s.subnet(self.app, "10.10.2.0/24")]
        self.pcx = s.peering(self.app, self.dbv, dns=(False, True))
        self.app_rt = s.route_table(self.app, subnets=self.priv,
                                    routes=[("0.0.0.0/0", self.nat), ("172.31.0.0/16", self.pcx)])
        self.db_sn = [s.subnet(self.dbv, "172.31.0.0/20"), s.subnet(self.dbv, "172.31.16.0/20")]
        self.db_rt = s.main_table(self.dbv)
        s.route(self.db_rt, "10.10.0.0/16", self.pcx)
        self.conn_sg = s.sg(self.app, name="connector")
        self.db_sg = s.sg(self.dbv, [rule("tcp", 5432, 5432, ["10.10.0.0/16"])], name="db")
        self.host = s.db("pg", self.db_sn, [self.db_sg], public=public_db)
        self.conn = s.connector("conn", self.priv, [self.conn_sg], region=APP)
        self.svc = s.service("api", connector=self.conn, env={"DB_HOST": self.host}, region=APP)

    def run(self, *rules: str) -> engine.RunResult:
        return engine.run(self.s.doc(), tuple(rules) or None)

    def rt(self, table: str) -> dict[str, Any]:
        return self.s.find("route_tables", table)


def test_the_working_design_has_information_only() -> None:
    w = World()
    result = w.run()
    assert {(f.rule, f.resource.id) for f in result.findings} == {("NET013", "pg"), ("COST001", w.nat)}
    assert result.exit_code(Severity.LOW) == 0


# --- NET002 no-internet-egress ---------------------------------------------------------------

def test_net002_nat_gateway_in_a_private_subnet() -> None:
    w = World()
    hidden = w.s.subnet(w.app, "10.10.9.0/24")  # no explicit table: main table, no default route
    w.s.find("nat_gateways", w.nat)["subnet"] = hidden
    result = w.run("NET002")
    assert fired(result, "NET002") == {"conn"}
    assert "a NAT gateway needs a public subnet" in result.findings[0].message


def test_net002_unavailable_private_or_missing_nat_and_no_default_route() -> None:
    for mutate in (
        lambda w: w.s.find("nat_gateways", w.nat).update(state="failed"),
        lambda w: w.s.find("nat_gateways", w.nat).update(connectivity="private"),
        lambda w: w.s.res["nat_gateways"].clear(),
        lambda w: w.rt(w.app_rt)["routes"].pop(0),
        lambda w: w.rt(w.app_rt)["routes"][0].update(state="blackhole"),
    ):
        w = World()
        mutate(w)
        assert fired(w.run("NET002"), "NET002") == {"conn"}


def test_net002_one_broken_subnet_of_several_is_reported() -> None:
    # App Runner spreads connections over every connector subnet, so one subnet without a NAT
    # route fails part of the requests (https://docs.aws.amazon.com/apprunner/latest/dg/network-vpc.html)
    w = World()
    lonely = w.s.subnet(w.app, "10.10.3.0/24")
    w.s.find("vpc_connectors", w.conn)["subnets"].append(lonely)
    result = w.run("NET002")
    assert fired(result, "NET002") == {"conn"}
    assert "1 of its 3 subnets do not reach the internet" in result.findings[0].message
    assert lonely in result.findings[0].message


def test_net002_an_unreadable_transit_gateway_is_undecided_not_a_pass() -> None:
    w = World()
    w.rt(w.app_rt)["routes"][0].update(target_type="tgw", target="tgw-0abc")
    result = w.run("NET002", "NET014")
    assert fired(result, "NET002") == set()
    assert fired(result, "NET014") == {"conn"}
    assert "tgw-0abc" in result.findings[0].message and "not read" in result.findings[0].message


# --- NET004 no-route-to-target / NET005 no-return-route --------------------------------------

def test_net004_more_specific_route_wins_over_the_peering() -> None:
    w = World()
    other = w.s.vpc("192.168.0.0/16", APP)
    stray = w.s.peering(w.app, other)
    w.s.route(w.app_rt, "172.31.0.0/20", stray)  # narrower than the peering route
    result = w.run("NET004", "NET005")
    assert fired(result, "NET004") == {w.app_rt}
    assert fired(result, "NET005") == set()
    f = result.findings[0]
    assert stray in f.message and "172.31.0.0/20" in f.message
    assert any(f"replace-route --region {APP} --route-table-id {w.app_rt} --destination-cidr-block "
               f"172.31.0.0/20 --vpc-peering-connection-id {w.pcx}" in c for c in f.fix.commands)


def test_net004_missing_route_and_missing_peering() -> None:
    w = World()
    w.rt(w.app_rt)["routes"].pop(1)
    result = w.run("NET004")
    assert fired(result, "NET004") == {w.app_rt}
    assert any("create-route" in c and "172.31.0.0/16" in c and w.pcx in c
               for c in result.findings[0].fix.commands)
    w = World()
    w.s.res["peerings"].clear()
    result = w.run("NET004")
    assert fired(result, "NET004") == {w.app_rt}
    assert result.findings[0].fix.commands[0].startswith("aws ec2 create-vpc-peering-connection")


def test_net005_missing_return_route() -> None:
    w = World()
    w.rt(w.db_rt)["routes"].clear()
    result = w.run("NET004", "NET005")
    assert fired(result, "NET005") == {w.db_rt}
    assert fired(result, "NET004") == set()


def test_net005_return_through_another_target() -> None:
    w = World()
    w.rt(w.db_rt)["routes"][0].update(target_type="nat", target="nat-elsewhere")
    assert fired(w.run("NET005"), "NET005") == {w.db_rt}


def test_net004_net005_pass_on_the_working_design() -> None:
    result = World().run("NET004", "NET005")
    assert fired(result, "NET004") == set() and fired(result, "NET005") == set()


# --- NET006 peering-not-active ---------------------------------------------------------------

def test_net006_pending_peering_is_reported_on_both_route_tables() -> None:
    w = World()
    w.s.find("peerings", w.pcx)["status"] = "pending-acceptance"
    result = w.run("NET004", "NET005", "NET006")
    assert fired(result, "NET006") == {w.app_rt, w.db_rt}
    assert fired(result, "NET004") == set() and fired(result, "NET005") == set()
    assert all("accept-vpc-peering-connection --region eu-north-1" in f.fix.commands[0]
               for f in result.findings)
    assert all("api depends on it" in f.message for f in result.findings)


def test_net006_blackhole_route_and_deleted_peering() -> None:
    w = World()
    w.rt(w.app_rt)["routes"][1]["state"] = "blackhole"
    w.s.route(w.db_rt, "192.168.0.0/16", "pcx-gone")
    assert fired(w.run("NET006"), "NET006") == {w.app_rt, w.db_rt}


def test_net006_active_peering_passes() -> None:
    assert fired(World().run("NET006"), "NET006") == set()


# --- NET007 peering-dns-resolution-off -------------------------------------------------------

def test_net007_severity_follows_the_database_public_flag() -> None:
    for public, severity in ((True, Severity.HIGH), (False, Severity.LOW)):
        w = World(public_db=public)
        w.s.find("peerings", w.pcx)["accepter"]["allow_dns_from_remote"] = False
        result = w.run("NET007")
        assert fired(result, "NET007") == {w.pcx}
        assert result.findings[0].severity == severity


def test_net007_checks_the_database_side_only() -> None:
    w = World(public_db=True)  # requester (app side) is off, accepter (db side) is on
    assert fired(w.run("NET007"), "NET007") == set()
    w.s.find("peerings", w.pcx)["accepter"]["allow_dns_from_remote"] = None  # not read
    assert fired(w.run("NET007"), "NET007") == set()


# --- NET008 vpc-dns-attributes-off -----------------------------------------------------------

def test_net008_connector_vpc_without_dns_support() -> None:
    w = World()
    w.s.find("vpcs", w.app)["dns_support"] = False
    assert fired(w.run("NET008"), "NET008") == {w.app}


def test_net008_public_database_needs_hostnames_on_both_sides() -> None:
    w = World(public_db=True)
    w.s.find("vpcs", w.dbv)["dns_hostnames"] = False
    assert fired(w.run("NET008"), "NET008") == {w.dbv}
    w = World(public_db=False)  # a private database resolves privately anyway
    w.s.find("vpcs", w.dbv)["dns_hostnames"] = False
    assert fired(w.run("NET008"), "NET008") == set()


def test_net008_unknown_attributes_are_not_reported() -> None:
    w = World()
    w.s.find("vpcs", w.app).update(dns_support=None, dns_hostnames=None)
    assert fired(w.run("NET008"), "NET008") == set()


# --- NET009 target-sg-blocks-source ----------------------------------------------------------

def test_net009_database_admits_its_own_range_only() -> None:
    w = World()
    w.s.find("security_groups", w.db_sg)["ingress"] = [rule("tcp", 5432, 5432, ["172.31.0.0/16"])]
    result = w.run("NET009")
    assert fired(result, "NET009") == {w.db_sg}
    assert "10.10.1.0/24, 10.10.2.0/24" in result.findings[0].message


def test_net009_partial_admission_names_the_missing_subnet() -> None:
    w = World()
    w.s.find("security_groups", w.db_sg)["ingress"] = [rule("tcp", 5432, 5432, ["10.10.1.0/24"])]
    result = w.run("NET009")
    assert fired(result, "NET009") == {w.db_sg}
    assert "10.10.2.0/24" in result.findings[0].message and "10.10.1.0/24" not in result.findings[0].message


def test_net009_cross_region_group_reference_is_called_out() -> None:
    w = World()
    w.s.find("security_groups", w.db_sg)["ingress"] = [rule("tcp", 5432, 5432, groups=[w.conn_sg])]
    result = w.run("NET009")
    assert fired(result, "NET009") == {w.db_sg}
    assert "cannot be referenced across regions" in result.findings[0].message


def test_net009_same_region_group_reference_is_valid() -> None:
    w = World(db_region=APP)
    w.s.find("security_groups", w.db_sg)["ingress"] = [rule("tcp", 5432, 5432, groups=[w.conn_sg])]
    assert fired(w.run("NET009"), "NET009") == set()


def test_net009_all_traffic_rule_admits() -> None:
    w = World()
    w.s.find("security_groups", w.db_sg)["ingress"] = [rule("-1", None, None, ["10.0.0.0/8"])]
    assert fired(w.run("NET009"), "NET009") == set()


# --- NET010 connector-sg-egress-blocks -------------------------------------------------------

def test_net010_egress_limited_to_https_blocks_the_database() -> None:
    w = World()
    w.s.find("security_groups", w.conn_sg)["egress"] = [rule("tcp", 443, 443, ["0.0.0.0/0"])]
    result = w.run("NET010")
    assert fired(result, "NET010") == {w.conn_sg}
    assert "port 5432" in result.findings[0].message


def test_net010_egress_limited_to_the_database_blocks_https() -> None:
    w = World()
    w.s.find("security_groups", w.conn_sg)["egress"] = [rule("tcp", 5432, 5432, ["172.31.0.0/16"])]
    result = w.run("NET010")
    assert fired(result, "NET010") == {w.conn_sg}
    assert "443" in result.findings[0].message


def test_net010_default_group_is_used_when_the_connector_names_none() -> None:
    w = World()
    default = w.s.sg(w.app, egress=[], name="default")
    w.s.find("vpc_connectors", w.conn)["security_groups"] = []
    assert fired(w.run("NET010"), "NET010") == {default}


def test_net010_open_egress_passes() -> None:
    assert fired(World().run("NET010"), "NET010") == set()


# --- NET011 nacl-blocks ----------------------------------------------------------------------

def test_net011_default_deny_acl_on_the_database_subnets() -> None:
    w = World()
    acl = w.s.nacl(w.dbv, w.db_sn, [
        (100, False, "6", "allow", "10.10.0.0/16", 5432, 5432),   # inbound port: fine
        (32767, False, "-1", "deny", "0.0.0.0/0", None, None),
        (32767, True, "-1", "deny", "0.0.0.0/0", None, None),     # replies: denied
    ])
    result = w.run("NET011")
    assert fired(result, "NET011") == {acl}
    message = result.findings[0].message
    assert "replies to 10.10.1.0/24 on ports 1024-65535 is denied by no entry allowing it" in message


def test_net011_partial_deny_before_an_allow() -> None:
    w = World()
    acl = w.s.nacl(w.app, w.priv, [
        (50, True, "-1", "deny", "172.31.8.0/24", None, None),
        (100, True, "-1", "allow", "0.0.0.0/0", None, None),
        (100, False, "-1", "allow", "0.0.0.0/0", None, None),
    ])
    assert fired(w.run("NET011"), "NET011") == {acl}


def test_net011_open_acls_pass() -> None:
    w = World()
    w.s.nacl(w.dbv, w.db_sn, [(100, False, "-1", "allow", "0.0.0.0/0", None, None),
                              (100, True, "-1", "allow", "0.0.0.0/0", None, None)], default=True)
    w.s.nacl(w.app, w.priv, [(100, False, "6", "allow", "172.31.0.0/16", 1024, 65535),
                             (100, True, "6", "allow", "172.31.0.0/16", 5432, 5432),
                             (110, True, "6", "allow", "0.0.0.0/0", 443, 443),  # HTTPS out
                             (110, False, "6", "allow", "0.0.0.0/0", 1024, 65535)])  # its replies
    assert fired(w.run("NET011"), "NET011") == set()


def test_net011_internet_path_without_https_rules_is_blocked() -> None:
    # the same ACL without the two internet entries: the connector's HTTPS through the NAT
    # gateway leaves by the outbound rules and comes back on 1024-65535 inbound
    # (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html)
    w = World()
    acl = w.s.nacl(w.app, w.priv, [(100, False, "6", "allow", "172.31.0.0/16", 1024, 65535),
                                   (100, True, "6", "allow", "172.31.0.0/16", 5432, 5432)])
    result = w.run("NET011")
    assert fired(result, "NET011") == {acl}
    assert "the internet" in result.findings[0].message


# --- NET013 region-without-apprunner / COST001 nat-gateway-cost ------------------------------

def test_net013_database_where_app_runner_does_not_run() -> None:
    result = World().run("NET013")
    assert fired(result, "NET013") == {"pg"}
    assert "eu-central-1" in result.findings[0].message


def test_net013_same_region_passes() -> None:
    assert fired(World(db_region=APP).run("NET013"), "NET013") == set()


def test_cost001_names_the_nat_gateway_and_existing_endpoints() -> None:
    w = World()
    w.s.endpoint(w.app, f"com.amazonaws.{APP}.secretsmanager")
    result = w.run("COST001")
    assert fired(result, "COST001") == {w.nat}
    assert "$32.85" in result.findings[0].message and "secretsmanager" in result.findings[0].message


def test_cost001_no_nat_gateway_passes() -> None:
    w = World()
    w.rt(w.app_rt)["routes"].pop(0)
    assert fired(w.run("COST001"), "COST001") == set()


def test_overlapping_vpcs_leave_routing_to_net001() -> None:
    w = World()
    w.s.find("vpcs", w.app)["cidrs"] = ["172.31.0.0/16"]
    result = w.run()
    assert fired(result, "NET001") == {w.pcx}
    assert {f.rule for f in result.findings} & {"NET004", "NET005", "NET009", "NET010", "NET011"} == set()


# --- NET014 path-not-verified ------------------------------------------------------------------

def test_net014_the_working_design_is_fully_verified() -> None:
    assert fired(World().run("NET014"), "NET014") == set()


def test_net014_a_database_route_through_a_firewall_endpoint_is_undecided() -> None:
    # a route to a Network Firewall / Gateway Load Balancer endpoint is a route (not NET004):
    # whether the appliance passes the flow cannot be read, so the flow is undecided
    # (https://docs.aws.amazon.com/network-firewall/latest/developerguide/arch-igw-ngw.html)
    w = World()
    w.rt(w.app_rt)["routes"][1].update(target_type="vpce", target="vpce-0firewall")
    result = w.run("NET004", "NET014")
    assert fired(result, "NET004") == set()
    assert fired(result, "NET014") == {"api"}
    assert "vpce-0firewall" in result.findings[0].message
