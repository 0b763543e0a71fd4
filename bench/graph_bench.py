"""Benchmark of the pure half: graph build plus every check, on a large synthetic snapshot.

    python bench/graph_bench.py                      # 10,000 subnets, 50,000 security group rules
    python bench/graph_bench.py --subnets 2000 --rules 10000

No AWS and no moto: the snapshot is generated in memory in the collectors' record shapes. It
holds VPCs of four subnets each, a route table per VPC with a NAT default route and peering
routes, cross-region peerings between neighbouring VPCs, security groups of ten rules each,
one database per five VPCs with two App Runner services (with VPC connectors) reaching it,
one through the peering and one through the transit gateway, so every path check has flows to
walk. Timing is wall clock on one core (the checks are
single-threaded), best of three runs.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from preflight import engine
from preflight.graph import ResourceGraph
from preflight.snapshot import empty_resources
from tests.builders import rule

REGIONS = ("us-east-1", "eu-north-1")


def synthetic(subnets: int, rules: int) -> dict[str, Any]:
    res: dict[str, list[dict[str, Any]]] = {**empty_resources(), "transit_gateway_attachments": [],
                                            "transit_gateway_route_tables": [], "prefix_lists": []}
    tgw_routes: dict[str, list[dict[str, Any]]] = {r: [] for r in REGIONS}
    vpcs = subnets // 4
    groups_per_vpc = max(1, rules // 10 // vpcs)
    for v in range(vpcs):
        region = REGIONS[v % 2]
        vid = f"vpc-{v:08x}"
        base = f"10.{v // 256}.{v % 256}"
        res["vpcs"].append({"id": vid, "region": region, "owner": "1", "cidrs": [f"{base}.0/24"],
                            "ipv6_cidrs": [], "is_default": False, "dns_support": True,
                            "dns_hostnames": True, "tags": {}})
        sns = []
        for s in range(4):
            sid = f"subnet-{v:06x}{s:02x}"
            sns.append(sid)
            res["subnets"].append({"id": sid, "region": region, "vpc": vid,
                                   "cidr": f"{base}.{s * 64}/26", "tags": {}})
        nat = f"nat-{v:08x}"
        res["nat_gateways"].append({"id": nat, "region": region, "vpc": vid, "subnet": sns[0],
                                    "state": "available", "connectivity": "public", "tags": {}})
        igw = f"igw-{v:08x}"
        res["internet_gateways"].append({"id": igw, "region": region, "vpcs": [vid], "tags": {}})
        routes = [{"destination": "0.0.0.0/0", "target_type": "nat", "target": nat, "state": "active"},
                  {"destination": "10.0.0.0/8", "target_type": "tgw", "target": f"tgw-{region}", "state": "active"}]
        res["transit_gateway_attachments"].append({
            "id": f"tgw-attach-{v:08x}", "region": region, "tgw": f"tgw-{region}", "type": "vpc", "resource": vid,
            "state": "available", "route_table": f"tgw-rtb-{region}", "association_state": "associated",
            "subnets": [sns[3]]})
        tgw_routes[region].append({"destination": f"{base}.0/24", "attachments": [f"tgw-attach-{v:08x}"],
                                   "state": "active", "type": "propagated"})
        for n in (v - 1, v + 1):
            if 0 <= n < vpcs:
                pcx = f"pcx-{min(v, n):08x}"
                routes.append({"destination": f"10.{n // 256}.{n % 256}.0/24", "target_type": "pcx",
                               "target": pcx, "state": "active"})
        res["route_tables"].append({"id": f"rtb-{v:08x}", "region": region, "vpc": vid, "main": True,
                                    "subnets": sns[1:], "routes": routes, "tags": {}})
        res["route_tables"].append({"id": f"rtb-p{v:07x}", "region": region, "vpc": vid, "main": False,
                                    "subnets": sns[:1], "tags": {}, "routes": [
                                        {"destination": "0.0.0.0/0", "target_type": "igw",
                                         "target": igw, "state": "active"}]})
        if v > 0:
            p = v - 1
            res["peerings"].append({
                "id": f"pcx-{p:08x}", "region": REGIONS[p % 2], "status": "active", "tags": {},
                "requester": {"vpc": f"vpc-{p:08x}", "region": REGIONS[p % 2], "owner": "1",
                              "cidrs": [f"10.{p // 256}.{p % 256}.0/24"], "allow_dns_from_remote": True},
                "accepter": {"vpc": vid, "region": region, "owner": "1",
                             "cidrs": [f"{base}.0/24"], "allow_dns_from_remote": True}})
        for gnum in range(groups_per_vpc):
            res["security_groups"].append({
                "id": f"sg-{v:06x}{gnum:02x}", "region": region, "vpc": vid, "name": f"g{gnum}",
                "ingress": [rule("tcp", 5432, 5432, [f"10.{(v + k) // 256 % 256}.{(v + k) % 256}.0/24"])
                            for k in range(-1, 8)],
                "egress": [rule("-1", None, None, ["0.0.0.0/0"])], "tags": {}})
        if v % 5 == 1:  # a database here, reached from the previous VPC through the peering
            address = f"db{v}.abc.{region}.rds.amazonaws.com"
            res["db_instances"].append({
                "id": f"db{v}", "arn": None, "kind": "instance", "region": region,
                "engine": "postgres", "address": address, "port": 5432, "reader_address": None,
                "publicly_accessible": False, "vpc": vid, "subnets": sns[1:3],
                "security_groups": [f"sg-{v:06x}00"], "cluster": None})
            prev = v - 1
            arn = f"arn:aws:apprunner:{REGIONS[prev % 2]}:1:vpcconnector/c{prev}/1/x"
            res["vpc_connectors"].append({"arn": arn, "name": f"c{prev}", "region": REGIONS[prev % 2],
                                          "subnets": [f"subnet-{prev:06x}01", f"subnet-{prev:06x}02"],
                                          "security_groups": [f"sg-{prev:06x}00"]})
            from preflight.redact import summarize_env
            res["services"].append({
                "arn": f"arn:aws:apprunner:{REGIONS[prev % 2]}:1:service/s{prev}/x", "name": f"s{prev}",
                "region": REGIONS[prev % 2], "platform": "apprunner", "status": "RUNNING", "port": "8080",
                "egress": {"type": "VPC", "connector_arn": arn},
                "env": summarize_env({"DB_HOST": address}), "secrets": [], "tags": {}})
        if v % 5 == 3:  # a service two VPCs away reaches that database through the transit gateway
            far, here = v - 2, f"db{v - 2}.abc.{region}.rds.amazonaws.com"
            arn = f"arn:aws:apprunner:{region}:1:vpcconnector/t{v}/1/x"
            res["vpc_connectors"].append({"arn": arn, "name": f"t{v}", "region": region,
                                          "subnets": [f"subnet-{v:06x}01", f"subnet-{v:06x}02"],
                                          "security_groups": [f"sg-{v:06x}00"]})
            from preflight.redact import summarize_env
            res["services"].append({
                "arn": f"arn:aws:apprunner:{region}:1:service/t{v}/x", "name": f"t{v}", "region": region,
                "platform": "apprunner", "status": "RUNNING", "port": "8080",
                "egress": {"type": "VPC", "connector_arn": arn},
                "env": summarize_env({"DB_HOST": here}), "secrets": [], "tags": {}})
            del far
    for region in REGIONS:
        res["transit_gateway_route_tables"].append({"id": f"tgw-rtb-{region}", "region": region,
                                                    "tgw": f"tgw-{region}", "complete": True,
                                                    "routes": tgw_routes[region]})
    return {"snapshot_version": "1", "account": "1", "regions": list(REGIONS), "gaps": [],
            "api_calls": 0, "resources": res}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subnets", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=50_000)
    args = parser.parse_args()
    doc = synthetic(args.subnets, args.rules)
    res = doc["resources"]
    n_rules = sum(len(g["ingress"]) + len(g["egress"]) for g in res["security_groups"])
    best_build = best_total = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        ResourceGraph.build(doc)
        t1 = time.perf_counter()
        result = engine.run(doc)
        t2 = time.perf_counter()
        best_build = min(best_build, t1 - t0)
        best_total = min(best_total, t2 - t1)
    print(f"subnets {len(res['subnets'])}, security group rules {n_rules}, vpcs {len(res['vpcs'])}, "
          f"peerings {len(res['peerings'])}, services {len(res['services'])}, "
          f"databases {len(res['db_instances'])}")
    print(f"graph build alone: {best_build:.2f} s; graph build + all {len(result.selected)} checks: "
          f"{best_total:.2f} s; findings {len(result.findings)}; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
