"""The path rules on the production shapes the reachability engine was built for, one test per
category of wrong verdict seen before it (each citing the AWS page that decides it), and the
shapes that used to crash: IPv6-only and dual-stack subnets, half-read records."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from preflight import engine
from preflight.snapshot import load_bundled
from tests.builders import Snap, fired, rule

NET_RULES = ("NET002", "NET004", "NET005", "NET006", "NET009", "NET010", "NET011", "NET014", "ECS001", "ECS002")


class Shop:
    """App Runner in 10.10.0.0/16 (two connector subnets behind a NAT gateway), Postgres in the
    same VPC's 10.10.20.0/24; everything works."""

    def __init__(self) -> None:
        s = self.s = Snap()
        self.vpc = s.vpc("10.10.0.0/16", dns=(True, True))
        self.pub = s.subnet(self.vpc, "10.10.0.0/24")
        self.igw = s.igw(self.vpc)
        self.pub_rt = s.route_table(self.vpc, subnets=[self.pub], routes=[("0.0.0.0/0", self.igw)])
        self.nat = s.nat(self.pub)
        self.priv = [s.subnet(self.vpc, "10.10.1.0/24"), s.subnet(self.vpc, "10.10.2.0/24")]
        self.app_rt = s.route_table(self.vpc, subnets=list(self.priv), routes=[("0.0.0.0/0", self.nat)])
        self.db_sn = s.subnet(self.vpc, "10.10.20.0/24")
        self.conn_sg = s.sg(self.vpc, name="connector")
        self.db_sg = s.sg(self.vpc, [rule("tcp", 5432, 5432, [], groups=[self.conn_sg])], name="db")
        self.host = s.db("pg", [self.db_sn], [self.db_sg])
        self.conn = s.connector("conn", list(self.priv), [self.conn_sg])
        self.svc = s.service("api", connector=self.conn, env={"DB_HOST": self.host})

    def run(self, *rules: str) -> engine.RunResult:
        result = engine.run(self.s.doc(), tuple(rules) or NET_RULES)
        assert result.crashed == {}, result.crashed
        return result

    def rt(self, table: str) -> dict[str, Any]:
        return self.s.find("route_tables", table)


def test_the_shop_passes_every_path_rule() -> None:
    result = Shop().run()
    assert [f.rule for f in result.findings] == []


def test_default_route_to_a_peering_is_no_internet() -> None:
    # https://docs.aws.amazon.com/vpc/latest/peering/invalid-peering-configurations.html (edge to edge)
    w = Shop()
    other = w.s.vpc("172.16.0.0/16")
    pcx = w.s.peering(w.vpc, other)
    w.rt(w.app_rt)["routes"][0].update(target_type="pcx", target=pcx)
    assert fired(w.run("NET002"), "NET002") == {"conn"}


def test_a_blackhole_transit_gateway_route_to_the_database() -> None:
    # https://docs.aws.amazon.com/vpc/latest/tgw/tgw-route-tables.html (blackhole routes drop traffic)
    w = Shop()
    far = w.s.vpc("192.168.0.0/16")
    far_sn = w.s.subnet(far, "192.168.1.0/24")
    far_sg = w.s.sg(far, [rule("tcp", 5432, 5432, ["10.10.0.0/16"])])
    host = w.s.db("far", [far_sn], [far_sg])
    w.s.find("services", w.svc)["env"][0]["endpoint_digests"] += \
        w.s.find("services", w.s.service("api2", connector=w.conn, env={"DB_HOST": host}))["env"][0]["endpoint_digests"]
    w.s.route(w.app_rt, "192.168.0.0/16", "tgw-1")
    w.s.route(w.s.main_table(far), "10.10.0.0/16", "tgw-1")
    w.s.res["transit_gateway_attachments"] = [
        {"id": "tgw-attach-a", "region": "us-east-1", "tgw": "tgw-1", "type": "vpc", "resource": w.vpc,
         "state": "available", "route_table": "tgw-rtb-1", "association_state": "associated",
         "subnets": list(w.priv)},
        {"id": "tgw-attach-b", "region": "us-east-1", "tgw": "tgw-1", "type": "vpc", "resource": far,
         "state": "available", "route_table": "tgw-rtb-1", "association_state": "associated",
         "subnets": [far_sn]}]
    w.s.res["transit_gateway_route_tables"] = [{"id": "tgw-rtb-1", "region": "us-east-1", "tgw": "tgw-1",
                                               "complete": True, "routes": [
        {"destination": "10.10.0.0/16", "attachments": ["tgw-attach-a"], "state": "active", "type": "propagated"},
        {"destination": "192.168.0.0/16", "attachments": [], "state": "blackhole", "type": "static"}]}]
    result = w.run("NET004", "NET014")
    assert fired(result, "NET004") == {w.app_rt}
    assert "blackhole" in result.findings[0].message and "tgw-rtb-1" in result.findings[0].path
    w.s.res["transit_gateway_route_tables"][0]["routes"][1].update(attachments=["tgw-attach-b"], state="active")
    result = w.run("NET004", "NET005", "NET014")
    assert fired(result, "NET004") == set() and fired(result, "NET005") == set()
    assert fired(result, "NET014") == set()


def test_a_managed_prefix_list_in_the_database_group() -> None:
    # https://docs.aws.amazon.com/vpc/latest/userguide/managed-prefix-lists.html
    w = Shop()
    w.s.find("security_groups", w.db_sg)["ingress"] = [rule("tcp", 5432, 5432, [], prefix_lists=["pl-0app"])]
    result = w.run("NET009", "NET014")  # entries not in the snapshot: undecided, not a critical
    assert fired(result, "NET009") == set()
    assert fired(result, "NET014") == {"api"}
    w.s.res["prefix_lists"] = [{"id": "pl-0app", "region": "us-east-1", "name": "app", "state": "create-complete",
                                "entries": ["10.10.1.0/24", "10.10.2.0/24"], "entries_read": True}]
    result = w.run("NET009", "NET014")
    assert fired(result, "NET009") == set() and fired(result, "NET014") == set()
    w.s.res["prefix_lists"][0]["entries"] = ["10.10.1.0/24"]
    assert fired(w.run("NET009"), "NET009") == {w.db_sg}


def test_two_rules_that_together_admit_the_connector_subnets() -> None:
    # https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html (rules are aggregated)
    w = Shop()
    w.s.find("security_groups", w.db_sg)["ingress"] = [
        rule("tcp", 5432, 5432, ["10.10.1.0/25"]), rule("tcp", 5432, 5432, ["10.10.1.128/25", "10.10.2.0/24"])]
    assert fired(w.run("NET009"), "NET009") == set()


def test_a_split_default_route_through_the_nat_is_internet() -> None:
    # https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html (longest prefix)
    w = Shop()
    w.rt(w.app_rt)["routes"] = []
    w.s.route(w.app_rt, "0.0.0.0/1", w.nat)
    w.s.route(w.app_rt, "128.0.0.0/1", w.nat)
    assert fired(w.run("NET002"), "NET002") == set()


def test_the_internet_path_crosses_the_nat_subnet_acl() -> None:
    # https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html
    w = Shop()
    acl = w.s.nacl(w.vpc, [w.pub], [(100, False, "6", "allow", "10.10.0.0/16", 443, 443),
                                    (100, True, "6", "allow", "0.0.0.0/0", 443, 443),
                                    (110, False, "6", "allow", "0.0.0.0/0", 32768, 60999),  # too narrow
                                    (110, True, "6", "allow", "10.10.0.0/16", 1024, 65535)])
    result = w.run("NET011")
    assert fired(result, "NET011") == {acl}
    assert "1024-65535" in result.findings[0].message
    w.s.find("network_acls", acl)["entries"][2].update(from_port=1024, to_port=65535)
    assert fired(w.run("NET011"), "NET011") == set()


def test_fargate_tasks_reply_on_linux_ports() -> None:
    # https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html (Linux kernels)
    w = Shop()
    w.s.ecs_service("worker", list(w.priv), [w.conn_sg], env={"DB_HOST": w.host})
    acl = w.s.nacl(w.vpc, [w.db_sn], [(100, False, "6", "allow", "10.10.0.0/16", 5432, 5432),
                                      (100, True, "6", "allow", "10.10.0.0/16", 32768, 60999)])
    result = w.run("NET011")
    # the App Runner connector's replies need 1024-65535; the Fargate tasks' do not
    assert fired(result, "NET011") == {acl}
    assert "api -> pg" in result.findings[0].message


def test_ipv6_only_and_dual_stack_subnets_do_not_crash_any_rule() -> None:
    w = Shop()
    v6 = w.s.subnet(w.vpc, None)  # type: ignore[arg-type]
    w.s.find("subnets", v6)["ipv6_cidrs"] = ["2600:1f18:1:1ff::/64"]
    w.s.find("subnets", w.priv[0])["ipv6_cidrs"] = ["2600:1f18:1:101::/64"]
    w.s.find("vpcs", w.vpc)["ipv6_cidrs"] = ["2600:1f18:1:100::/56"]
    w.s.find("vpc_connectors", w.conn)["subnets"].append(v6)
    w.s.ecs_service("v6", [v6], [w.conn_sg], env={"DB_HOST": w.host})
    result = w.run(*NET_RULES)
    assert result.crashed == {}
    assert "NET014" in {f.rule for f in result.findings}  # the IPv6-only subnet to an IPv4 database


HOSTILE = [
    ("route destination is garbage", lambda d: d["resources"]["route_tables"][0]["routes"].append(
        {"destination": "not-a-cidr", "target_type": "igw", "target": "igw-x", "state": "active"})),
    ("route target unknown kind", lambda d: d["resources"]["route_tables"][0]["routes"].append(
        {"destination": "10.200.0.0/16", "target_type": "unknown", "target": "", "state": "active"})),
    ("nacl entry without cidr or rule number", lambda d: d["resources"]["network_acls"][0]["entries"].append(
        {"rule": None, "egress": True, "protocol": "6", "action": "deny", "cidr": None,
         "from_port": None, "to_port": None})),
    ("sg rule with no ports and odd protocol", lambda d: d["resources"]["security_groups"][0]["ingress"].append(
        {"protocol": "58", "from_port": None, "to_port": None, "cidrs": ["::/0"], "ipv6_cidrs": [], "groups": [],
         "prefix_lists": ["pl-missing"]})),
    ("subnet without cidr", lambda d: d["resources"]["subnets"][0].update(cidr=None)),
    ("nat without subnet", lambda d: [n.update(subnet=None) for n in d["resources"]["nat_gateways"]]),
    ("peering sides without vpc", lambda d: [p["accepter"].update(vpc=None) for p in d["resources"]["peerings"]]),
    ("tgw records half shaped", lambda d: d["resources"].update(
        transit_gateway_attachments=[{"id": "tgw-attach-1", "region": "ap-northeast-1", "tgw": None, "type": None,
                                      "state": None, "route_table": None, "subnets": []}],
        transit_gateway_route_tables=[{"id": "tgw-rtb-1", "region": "ap-northeast-1", "tgw": None,
                                       "routes": [{"destination": None, "attachments": [], "state": None}]}],
        prefix_lists=[{"id": "pl-1", "region": "ap-northeast-1", "entries": ["garbage", "10.0.0.0/8"]}])),
    ("every route a tgw route", lambda d: [r.update(target_type="tgw", target="tgw-1")
                                          for t in d["resources"]["route_tables"] for r in t["routes"]
                                          if r["target_type"] != "local"]),
]


@pytest.mark.parametrize(("name", "mutate"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_odd_records_never_crash_a_path_rule(name: str, mutate: Any) -> None:
    doc = copy.deepcopy(load_bundled("talk.snapshot.json"))
    mutate(doc)
    result = engine.run(doc, NET_RULES)
    assert result.crashed == {}, result.crashed
    assert not set(result.not_evaluated) & set(NET_RULES), result.not_evaluated  # judged, not skipped
