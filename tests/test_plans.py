"""Checking what is about to be deployed: CloudFormation templates and Terraform plans, alone
(no AWS access at all) and laid over a live account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from preflight import engine
from preflight.collect.plans import load_plan_file, overlay
from preflight.snapshot import source_only, validate
from tests.conftest import CliRun

PLANS = Path(__file__).parent / "plans"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def findings(cli: CliRun, *argv: str) -> tuple[int, list[dict[str, Any]]]:
    code, out, err = cli(["scan", *argv, "--format", "json"])
    assert out, err
    return code, json.loads(out)["findings"]


def where(fs: list[dict[str, Any]], rule: str) -> set[tuple[str, int | None]]:
    return {(f["location"]["file"].rsplit("/", 1)[-1], f["location"].get("line")) for f in fs if f["rule"] == rule}


def test_talk_template_fails_before_deploying(cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var)  # proves no AWS access is needed
    code, fs = findings(cli, "--plan", str(PLANS / "talk-template.yaml"))
    assert code == 1
    assert where(fs, "NET003") == {("talk-template.yaml", 30)}  # PublicSubnetA
    assert where(fs, "IAM001") == {("talk-template.yaml", 52)}  # Backend
    bld003 = next(f for f in fs if f["rule"] == "BLD003")
    assert bld003["severity"] == "high"  # a new service cannot be created on an EOS runtime


def test_talk_terraform_plan_fails_before_apply(cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var)
    code, fs = findings(cli, "--plan", str(PLANS / "talk-plan.json"))
    text = (PLANS / "talk-plan.json").read_text().splitlines()
    assert code == 1
    (_, line), = where(fs, "NET003")
    assert '"address": "aws_subnet.public_a"' in text[line - 1]
    (_, line), = where(fs, "IAM001")
    assert '"address": "aws_apprunner_service.backend"' in text[line - 1]
    assert {f["resource"]["id"] for f in fs if f["rule"] == "NET001"} == {"tf:aws_vpc_peering_connection.to_db"}


def test_planned_peering_of_two_default_ranges(cli: CliRun) -> None:
    code, fs = findings(cli, "--plan", str(PLANS / "peered-defaults.yaml"))
    assert code == 1 and where(fs, "NET001") == {("peered-defaults.yaml", 9)}


def test_fixed_template_passes(tmp_path: Path, cli: CliRun) -> None:
    text = (PLANS / "talk-template.yaml").read_text()
    fixed = text.replace("      NetworkConfiguration:", "      InstanceConfiguration:\n        InstanceRoleArn: !GetAtt Role.Arn\n"
                         "      NetworkConfiguration:").replace("Runtime: NODEJS_18", "Runtime: NODEJS_22")
    fixed = fixed.replace("      GatewayId: !Ref Igw\n", "      NatGatewayId: !Ref Nat\n", 1)
    fixed += """  PublicSubnetNat:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref AppVpc, CidrBlock: 172.31.64.0/24}
  NatRouteTable:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref AppVpc}
  NatDefaultRoute:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref NatRouteTable, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}
  NatSubnetAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref PublicSubnetNat, RouteTableId: !Ref NatRouteTable}
  Nat:
    Type: AWS::EC2::NatGateway
    Properties: {SubnetId: !Ref PublicSubnetNat, AllocationId: eipalloc-0abc}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: tasks.apprunner.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: secrets
          PolicyDocument:
            Statement: [{Effect: Allow, Action: secretsmanager:GetSecretValue, Resource: "*"}]
"""
    fixed = fixed[: fixed.index("  PeerToSeoul:")] + fixed[fixed.index("  PublicSubnetNat:"):]
    path = tmp_path / "fixed.yaml"
    path.write_text(fixed)
    code, fs = findings(cli, "--plan", str(path), "--fail-on", "high")
    assert {f["rule"] for f in fs if f["severity"] in ("critical", "high")} == set(), fs
    assert code == 0


def test_parameters_and_unknown_values() -> None:
    planned = load_plan_file(str(PLANS / "talk-template.yaml"), {"DbPasswordSecretArn": "/talk/db"},
                             "ap-northeast-1", "123456789012")
    service = planned["services"][0]
    assert service["secrets"] == [{"name": "DB_PASSWORD", "ref": "/talk/db"}]
    subnet = planned["subnets"][0]
    assert subnet["az"] is None  # !Select [0, !GetAZs ""] is only known at deployment


def test_plan_laid_over_the_live_account(session: Any) -> None:
    from preflight.collect import collect
    from tests.doubles.worlds import APP_REGION, build_talk

    build_talk("fixed", session)
    live = collect(session, [APP_REGION])
    planned = load_plan_file(str(PLANS / "talk-template.yaml"), {}, APP_REGION, live["account"])
    doc = validate(overlay(live, planned, ["talk-template.yaml"]), "<overlay>")
    names = [s["name"] for s in doc["resources"]["services"]]
    assert sorted(names) == ["talk-be", "talk-be", "talk-fe"]  # the planned one beside the live one
    result = engine.run(doc, ("IAM001", "NET003"))
    assert {(f.rule, f.resource.id) for f in result.findings} == {("IAM001", "talk-be"), ("NET003", "cfn:PublicSubnetA")}


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "invalid JSON"), ('{"a": 1}', "neither a CloudFormation template, a Terraform plan"),
    ("Resources: [1, 2]\n", "no Resources mapping"), ("a: [\n", "not a CloudFormation template"),
])
def test_bad_plan_files_are_one_line(tmp_path: Path, cli: CliRun, content: str, message: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(content)
    code, out, err = cli(["scan", "--plan", str(path)])
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_bad_parameter_is_a_usage_error(cli: CliRun) -> None:
    code, _, err = cli(["scan", "--plan", str(PLANS / "talk-template.yaml"), "--parameter", "novalue"])
    assert code == 2 and "KEY=VALUE" in err


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_every_corpus_template_parses() -> None:
    templates = [p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file()
                 and "AWSTemplateFormatVersion" in p.read_text(errors="replace")[:5000]]
    assert templates
    for path in templates:
        planned = load_plan_file(str(path), {}, "us-east-1", "123456789012")
        doc = source_only([])
        validate(overlay(doc, planned, [str(path)]), str(path))
        assert engine.run(overlay(doc, planned, [str(path)])).crashed == {}, path


def test_a_value_known_only_after_deployment_leaves_rules_not_evaluated(tmp_path: Path, cli: CliRun) -> None:
    text = (PLANS / "talk-template.yaml").read_text().replace(
        "      Subnets: [!Ref PublicSubnetA]", "      Subnets: [!ImportValue shared-private-subnet]")
    path = tmp_path / "imported.yaml"
    path.write_text(text)
    code, out, _ = cli(["scan", "--plan", str(path), "--format", "json", "--select", "NET003"])
    report = json.loads(out)
    assert code == 3 and report["findings"] == []
    gap = report["scan"]["gaps"][0]
    assert gap["operation"] == "Connector.Subnets" and "known only after deployment" in gap["error"]
    assert gap["rules_not_evaluated"] == ["NET003"]


def test_aws_cli_input_json_for_create_service(cli: CliRun) -> None:
    code, fs = findings(cli, "--plan", str(PLANS / "create-service.json"))
    rules = {f["rule"]: f for f in fs}
    assert code == 1 and {"IAM001", "IAM006", "SEC002", "BLD009"} <= set(rules)
    # named from the repository root, as code scanning resolves it
    assert rules["IAM001"]["location"] == {"file": "tests/plans/create-service.json", "line": 2}
    assert "not-shown" not in json.dumps(fs)


def test_terraform_value_known_only_after_apply(tmp_path: Path, cli: CliRun) -> None:
    plan = json.loads((PLANS / "talk-plan.json").read_text())
    connector = next(r for r in plan["planned_values"]["root_module"]["resources"]
                     if r["address"] == "aws_apprunner_vpc_connector.talk")
    plan["configuration"]["root_module"]["resources"] = [
        c for c in plan["configuration"]["root_module"]["resources"] if c["address"] != connector["address"]]
    plan["resource_changes"].append({"address": connector["address"], "type": connector["type"],
                                     "change": {"actions": ["create"], "after_unknown": {"subnets": True}}})
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    code, out, _ = cli(["scan", "--plan", str(path), "--format", "json", "--select", "NET003"])
    report = json.loads(out)
    assert code == 3 and report["findings"] == []
    assert report["scan"]["gaps"][0]["operation"] == "aws_apprunner_vpc_connector.talk.subnets"


def test_a_malformed_intrinsic_is_unknown_not_an_error(tmp_path: Path, cli: CliRun) -> None:
    text = (PLANS / "talk-template.yaml").read_text().replace("[!Ref PublicSubnetA]", "[!Join oops]", 1)
    path = tmp_path / "bad-join.yaml"
    path.write_text(text)
    code, out, _ = cli(["scan", "--plan", str(path), "--format", "json", "--select", "NET003"])
    assert code == 3 and json.loads(out)["scan"]["gaps"][0]["operation"] == "Connector.Subnets"


def test_a_plan_with_impossible_shapes_is_one_line(tmp_path: Path, cli: CliRun) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"ServiceName": "x", "SourceConfiguration": "nope"}))
    code, out, err = cli(["scan", "--plan", str(path)])
    assert code == 2 and out == "" and "unexpected structure" in err and err.count("\n") == 1


def test_planned_ecs_service_without_nat_or_endpoints(cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    """The talk's backend planned as an ECS Fargate service in private subnets: ECS001 and
    NET002 at the service's line before anything exists; with the endpoints planned too (a second
    template), only NET002."""
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    code, fs = findings(cli, "--plan", str(PLANS / "ecs-template.yaml"),
                        "--select", "ECS", "--select", "NET", "--fail-on", "high")
    assert code == 1
    assert {f["rule"] for f in fs if f["severity"] in ("critical", "high")} == {"ECS001", "NET002"}
    assert where(fs, "ECS001") == {("ecs-template.yaml", 56)}  # Backend
    code, fs = findings(cli, "--plan", str(PLANS / "ecs-template.yaml"), "--plan", str(PLANS / "ecs-endpoints.yaml"),
                        "--select", "ECS", "--select", "NET")
    assert {f["rule"] for f in fs if f["severity"] in ("critical", "high")} == {"NET002"}


def test_planned_ecs_service_naming_an_existing_task_definition_is_not_judged(tmp_path: Path, cli: CliRun) -> None:
    text = (PLANS / "ecs-template.yaml").read_text().replace(
        "TaskDefinition: !Ref BackendTask", "TaskDefinition: arn:aws:ecs:ap-northeast-1:123456789012:task-definition/x:1")
    path = tmp_path / "t.yaml"
    path.write_text(text)
    code, out, _ = cli(["scan", "--plan", str(path), "--select", "ECS001",
                        "--format", "json", "--fail-on", "high"])
    report = json.loads(out)
    assert code == 3 and report["findings"] == []
    assert any("Backend.TaskDefinition" in g["operation"] for g in report["scan"]["gaps"])


def test_planned_ecs_service_in_a_terraform_plan(cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same service as a Terraform plan, whose ids are known only after apply and resolve
    through the configuration's references; the execution role reused from App Runner's trust
    is ECS004, and the secret the plan names but the account does not hold is SEC001's."""
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    code, fs = findings(cli, "--plan", str(PLANS / "ecs-plan.json"), "--select", "ECS", "--select", "NET",
                        "--fail-on", "high")
    text = (PLANS / "ecs-plan.json").read_text().splitlines()
    assert code == 1
    got = {(f["rule"], f["resource"]["id"]) for f in fs if f["severity"] in ("critical", "high")}
    assert got == {("ECS001", "talk-be"), ("NET002", "talk-be tasks"), ("ECS004", "talk-be-execution")}
    ecs001 = next(f for f in fs if f["rule"] == "ECS001")
    assert "no secretsmanager endpoint (inject DB_PASSWORD)" in ecs001["message"]
    assert '"address": "aws_ecs_service.be"' in text[ecs001["location"]["line"] - 1]


def test_a_planned_role_with_a_policy_outside_the_plan_is_not_judged(tmp_path: Path, cli: CliRun) -> None:
    """AmazonECSTaskExecutionRolePolicy is known (its document ships with preflight); a policy that
    only exists in the account is not, so the rules that read what the role may do are not
    evaluated (exit 3), never passed."""
    code, out, _ = cli(["scan", "--plan", str(PLANS / "ecs-template.yaml"), "--select", "ECS009",
                        "--format", "json", "--fail-on", "high"])
    assert code == 0 and json.loads(out)["findings"] == []
    text = (PLANS / "ecs-template.yaml").read_text().replace(
        "[arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy]",
        "[arn:aws:iam::123456789012:policy/team-pull]")
    path = tmp_path / "t.yaml"
    path.write_text(text)
    code, out, _ = cli(["scan", "--plan", str(path), "--select", "ECS009", "--select", "IAM003",
                        "--format", "json", "--fail-on", "high"])
    report = json.loads(out)
    assert code == 3 and report["findings"] == []
    [gap] = report["scan"]["gaps"]
    assert "team-pull" in gap["error"] and set(gap["rules_not_evaluated"]) == {"ECS009", "IAM003"}
