"""Real `terraform show -json` plans (tests/plans/real, see its README) read the way their examples
are written.

Each expectation comes from the example's own source at the pinned tag, not from what the reader
printed: e.g. terraform-aws-vpc `examples/complete` sets `single_nat_gateway = true` and leaves
`create_database_subnet_route_table` false, so every private, database, elasticache and redshift
subnet shares the one private route table whose default route is the NAT gateway; App Runner's
`examples/complete` puts its connectors in the VPC's private subnets and plans no NAT gateway.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from preflight.collect.plans import load_plan_file
from tests.conftest import CliRun

REAL = Path(__file__).parent.parent / "plans" / "real"
SCHEMA = json.loads((Path(__file__).parents[2] / "preflight" / "schemas" / "report.schema.json").read_text())

# file -> (exit code, findings, gap operations that must be there (substrings), read counts)
EXPECT: dict[str, tuple[int, set[str], list[str], dict[str, int]]] = {
    # three private subnets, one route table each, no NAT, nothing deployed into them
    "terraform-aws-vpc--simple": (0, set(), [], {"aws_vpc": 1, "aws_subnet": 3, "aws_route_table": 3,
                                                  "aws_route_table_association": 3}),
    "terraform-aws-vpc--network-acls": (0, set(), [], {"aws_vpc": 1, "aws_network_acl": 2}),
    # endpoints from a for_each over `local.endpoints`: their subnets are an element the plan
    # does not show; the flow-log role's policy comes from a policy document read at apply
    "terraform-aws-vpc--complete": (3, set(), ['aws_vpc_endpoint.this["ecs"].subnet_ids',
                                               "vpc_flow_log_cloudwatch[0].policy_arn"],
                                    {"aws_vpc": 1, "aws_subnet": 18, "aws_route_table_association": 18,
                                     "aws_nat_gateway": 1, "aws_vpc_endpoint": 6}),
    # database/elasticache/redshift tables chosen by `coalescelist(...)` over two table lists
    "terraform-aws-vpc--separate-route-tables": (3, set(), ["aws_route_table_association.database[0].route_table_id"],
                                                 {"aws_vpc": 1, "aws_subnet": 18}),
    # the service module writes network_configuration as a dynamic block
    "terraform-aws-ecs--fargate": (3, set(), ["network_configuration.0.subnets"],
                                   {"aws_ecs_service": 1, "aws_ecs_task_definition": 2, "aws_nat_gateway": 1}),
    # ... and its load_balancer block too: the target group is not pinned, so ECS003 is undecided
    "terraform-aws-ecs--complete": (3, set(), ["network_configuration.0.subnets", "load_balancer.0.target_group_arn"],
                                    {"aws_ecs_service": 1}),
    # image services whose image block is built from variables at apply; the secret's name is
    # a random suffix
    "terraform-aws-app-runner--complete": (3, set(), ["source_configuration.0.image_repository",
                                                      "aws_secretsmanager_secret.this.name"],
                                           {"aws_apprunner_service": 3, "aws_apprunner_vpc_connector": 2,
                                            "aws_secretsmanager_secret": 1}),
}


def test_every_committed_plan_has_an_expectation() -> None:
    assert {p.stem for p in REAL.glob("*.json")} == set(EXPECT)


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_a_real_plan_reads_to_its_expected_report(name: str, cli: CliRun, tmp_path: Path) -> None:
    code_wanted, findings_wanted, gaps_wanted, read_wanted = EXPECT[name]
    out = tmp_path / "r.json"
    code, _, err = cli(["scan", "--plan", str(REAL / f"{name}.json"), "--format", "json", "--output", str(out)])
    assert code == code_wanted, err
    report = json.loads(out.read_text())
    jsonschema.validate(report, SCHEMA)
    assert {f["rule"] for f in report["findings"]} == findings_wanted
    ops = [g["operation"] for g in report["scan"]["gaps"]]
    for want in gaps_wanted:
        assert any(want in op for op in ops), (want, ops)
    (entry,) = report["scan"]["inputs"]
    assert entry["format"] == "terraform-plan"
    for rtype, n in read_wanted.items():
        assert entry["read"].get(rtype) == n, (rtype, entry["read"])
    assert "internal error" not in err and "Traceback" not in err


def _records(name: str) -> dict[str, Any]:
    return load_plan_file(str(REAL / f"{name}.json"), {}, "us-east-1", "123456789012")


def test_vpc_complete_routes_every_private_tier_through_the_one_nat() -> None:
    r = _records("terraform-aws-vpc--complete")
    vpc = "tf:module.vpc.aws_vpc.this[0]"
    by_subnet = {s: t for t in r["route_tables"] for s in t["subnets"]}
    for tier in ("private", "database", "elasticache", "redshift"):
        for i in range(3):
            table = by_subnet[f"tf:module.vpc.aws_subnet.{tier}[{i}]"]
            assert table["id"] == "tf:module.vpc.aws_route_table.private[0]", tier
            assert ("0.0.0.0/0", "nat") in {(x["destination"], x["target_type"]) for x in table["routes"]}
    for i in range(3):
        public = by_subnet[f"tf:module.vpc.aws_subnet.public[{i}]"]
        assert ("0.0.0.0/0", "igw") in {(x["destination"], x["target_type"]) for x in public["routes"]}
        intra = by_subnet[f"tf:module.vpc.aws_subnet.intra[{i}]"]
        assert [(x["destination"], x["target_type"]) for x in intra["routes"]] == [("10.0.0.0/16", "local")]
    # every table, the main one included, has the VPC's local route, which AWS adds itself
    # (https://docs.aws.amazon.com/vpc/latest/userguide/RouteTables.html#route-table-routes)
    assert all(t["vpc"] == vpc for t in r["route_tables"])
    assert all(("10.0.0.0/16", "local") in {(x["destination"], x["target_type"]) for x in t["routes"]}
               for t in r["route_tables"])
    assert any(t["main"] for t in r["route_tables"])
    assert {s["vpc"] for s in r["subnets"]} == {vpc}


def test_app_runner_complete_connectors_sit_in_the_private_subnets() -> None:
    r = _records("terraform-aws-app-runner--complete")
    private = [f"tf:module.vpc.aws_subnet.private[{i}]" for i in range(3)]
    assert [c["subnets"] for c in r["vpc_connectors"]] == [private, private]
    services = {s["name"]: s for s in r["services"]}
    assert services["ex-complete-code-base"]["egress"]["type"] == "DEFAULT"
    assert services["ex-complete-private"]["egress"]["connector_arn"] == (
        "tf:module.app_runner_private.aws_apprunner_vpc_connector.this[0]")
    # instance roles come through the module's own role (created with count)
    assert services["ex-complete-private"]["instance_role_arn"] == "tf:module.app_runner_private.aws_iam_role.instance[0]"
    # no NAT gateway is planned: the private tables hold only the local route
    tables = {s: t for t in r["route_tables"] for s in t["subnets"]}
    for s in private:
        assert [x["target_type"] for x in tables[s]["routes"]] == ["local"]


def test_network_acls_example_reads_each_acl_with_its_rules_and_the_implicit_denies() -> None:
    # examples/network-acls: a public and an elasticache ACL with dedicated rules, and the
    # VPC's default ACL; every ACL ends in the `*` deny rule for IPv4 and IPv6
    # (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html#nacl-rules)
    r = _records("terraform-aws-vpc--network-acls")
    acls = {a["id"]: a for a in r["network_acls"]}
    public, cache = acls["tf:module.vpc.aws_network_acl.public[0]"], acls["tf:module.vpc.aws_network_acl.elasticache[0]"]
    assert len(public["subnets"]) == len(cache["subnets"]) == 3
    assert len(cache["entries"]) == 1 + 5 + 4
    assert len(public["entries"]) == 6 + 7 + 4
    for acl in acls.values():
        denies = {(e["egress"], e["cidr"]) for e in acl["entries"] if e["action"] == "deny"}
        assert {(False, "0.0.0.0/0"), (True, "0.0.0.0/0"), (False, "::/0"), (True, "::/0")} <= denies
