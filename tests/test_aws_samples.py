"""AWS's own sample CloudFormation templates (tests/plans/aws-samples, Apache-2.0), read as a user
would pass them: each case lists the files, the arguments, the exit code and the findings, with
why that is the right answer for the template as AWS wrote it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CliRun

SAMPLES = Path(__file__).parent / "plans" / "aws-samples"
ECS = "ECS/FargateLaunchType"
STACK = ("--parameter", "AWS::StackName=production")  # the stack name the service templates import from

# What every one of AWS's sample ECS services has, as written: no deployment circuit breaker
# (DeploymentConfiguration sets only the percentages, so a bad revision never fails: ECS018), no
# HealthCheckGracePeriodSeconds behind the load balancer (ECS020, a heuristic) and the default
# image nginx pulled from Docker Hub without credentials (ECS015, a heuristic).
SAMPLE_SERVICE = {("ECS018", "medium"), ("ECS020", "low"), ("ECS015", "low")}

# (files, extra arguments, exit code at --fail-on low, {(rule, severity)}, why)
CASES: list[tuple[tuple[str, ...], tuple[str, ...], int, set[tuple[str, str]], str]] = [
    (("AppRunner/AppRunnerServiceFromECR.yaml",), (), 1, {("IAM006", "medium"), ("OPS003", "info")},
     "the image's default is in account 123456789012, not the scan's: whether the access role may pull "
     "depends on that repository's policy, which is not in the template; OPS003 notes that App Runner is "
     "closed to new customers (a heuristic, info on a plan)"),
    (("VPC/VPC_With_Managed_NAT_And_Private_Subnet.yaml",), (), 0, set(),
     "a VPC with NAT gateways and custom NACLs that allow the traffic; no workload, nothing to break"),
    (("VPC/FindInMapAZs.yaml",), (), 0, set(), "FindInMap over the template's own Mappings resolves"),
    (("RDS/RDS_MySQL_With_Read_Replica.yaml",), (), 0, set(),
     "private instances (PubliclyAccessible false), a group that admits only another group"),
    ((f"{ECS}/clusters/public-vpc.yaml",), (), 0, set(), "a public VPC, no service yet"),
    ((f"{ECS}/clusters/private-vpc.yaml",), (), 0, set(), "a private VPC with NAT gateways, no service yet"),
    ((f"{ECS}/clusters/public-vpc.yaml", f"{ECS}/services/public-service.yaml"), STACK, 1,
     {("ECS003", "medium"), *SAMPLE_SERVICE},
     "tasks behind the load balancer also get public IPs in subnets routed to the internet gateway: only "
     "their security group (which admits the load balancer's alone) keeps them from being reached directly"),
    ((f"{ECS}/clusters/private-vpc.yaml", f"{ECS}/services/private-subnet-private-service.yaml"), STACK, 1,
     {("COST001", "info"), *SAMPLE_SERVICE}, "private tasks reach ECR through the NAT gateways, which cost money"),
    ((f"{ECS}/clusters/private-vpc.yaml", f"{ECS}/services/private-subnet-public-service.yaml"), STACK, 1,
     {("ECS002", "low"), ("COST001", "info"), *SAMPLE_SERVICE},
     "the service asks for public IPs in subnets whose default route is a NAT gateway: the IPs carry nothing"),
    # the service template alone imports everything from the cluster stack: nothing it needs is known
    ((f"{ECS}/services/public-service.yaml",), (), 3, set(),
     "its subnets, security groups and execution role are imports from a stack not scanned"),
]


def _scan(cli: CliRun, files: tuple[str, ...], argv: tuple[str, ...]) -> tuple[int, dict]:
    args = ["scan"]
    for f in files:
        args += ["--plan", str(SAMPLES / f)]
    code, out, err = cli([*args, *argv, "--format", "json", "--fail-on", "low"])
    assert out, err
    return code, json.loads(out)


@pytest.mark.parametrize(("files", "argv", "code", "expected", "why"), CASES,
                         ids=["+".join(Path(f).stem for f in c[0]) for c in CASES])
def test_an_aws_sample_gives_the_findings_written_down(cli: CliRun, files: tuple[str, ...], argv: tuple[str, ...],
                                                       code: int, expected: set[tuple[str, str]], why: str) -> None:
    got_code, report = _scan(cli, files, argv)
    assert {(f["rule"], f["severity"]) for f in report["findings"]} == expected, why
    assert got_code == code, why
    if code != 3:
        assert report["scan"]["gaps"] == [] and report["scan"]["rules_not_evaluated"] == [], why


def test_imports_join_whichever_order_the_files_come_in(cli: CliRun) -> None:
    files = (f"{ECS}/services/private-subnet-public-service.yaml", f"{ECS}/clusters/private-vpc.yaml")
    code, report = _scan(cli, files, STACK)
    assert code == 1 and "ECS002" in {f["rule"] for f in report["findings"]}


def test_without_the_stack_name_the_imports_are_named_gaps(cli: CliRun) -> None:
    code, report = _scan(cli, (f"{ECS}/clusters/private-vpc.yaml", f"{ECS}/services/public-service.yaml"), ())
    assert code == 3
    assert any("another stack's export" in g["error"] for g in report["scan"]["gaps"])


def test_every_sample_in_the_folder_reads_without_a_crash(cli: CliRun) -> None:
    for path in sorted(SAMPLES.rglob("*.yaml")):
        code, out, err = cli(["scan", "--plan", str(path), "--format", "json"])
        assert code in (0, 1, 3), (path, err)
        assert all(i["format"] == "cloudformation" for i in json.loads(out)["scan"]["inputs"]), path
