"""The talk's backend on ECS Fargate and ECS Express Mode, read from moto (Express Mode's one
operation from a model-validated double), judged by the same graph and rules as App Runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from preflight import engine
from preflight.collect import collect
from preflight.engine import RunResult
from preflight.findings import Severity
from tests.conftest import CliRun
from tests.doubles.worlds import APP_REGION, build_talk_ecs

# the ECS rules about the network and the roles; moto keeps neither a service's circuit breaker nor
# its health check grace period, so ECS018 and ECS020 are judged on their own fixtures
NETWORK_AND_ROLES = ["ECS001", "ECS002", "ECS003", "ECS004", "ECS009", "ECS011", "NET002"]


def scan(session: Any, select: list[str] | None = None) -> tuple[dict[str, Any], RunResult]:
    doc = collect(session, [APP_REGION])
    return doc, engine.run(doc, engine.select_rules(select or []))


def serious(result: RunResult) -> set[tuple[str, str]]:
    return {(f.rule, f.resource.id) for f in result.findings if f.severity >= Severity.HIGH}


def test_private_subnets_without_nat_or_endpoints_cannot_start(session: Any) -> None:
    """Done when: the backend as an ECS Fargate service in private subnets with no NAT and no
    endpoints yields ECS001 and NET002, and nothing else at high or above."""
    build_talk_ecs(session)
    doc, result = scan(session)
    assert result.complete, (result.gaps, result.not_evaluated)
    assert serious(result) == {("ECS001", "talk-be"), ("NET002", "talk-be tasks")}
    ecs001 = next(f for f in result.findings if f.rule == "ECS001")
    for endpoint in ("ecr.api", "ecr.dkr", "s3", "logs", "secretsmanager"):
        assert f"no {endpoint} endpoint" in ecs001.message
    assert "CannotPullContainerError" in ecs001.message
    assert any("--service-name com.amazonaws.ap-northeast-1.s3" in c and "Gateway" in c for c in ecs001.fix.commands)
    backend = next(w for w in doc["resources"]["services"] if w["name"] == "talk-be")
    assert backend["platform"] == "ecs" and backend["egress"]["awsvpc"]["assign_public_ip"] is False


def test_each_region_lists_its_clusters_once(session: Any) -> None:
    """The services and the running Fargate tasks both walk the clusters; one ListClusters walk
    serves both (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListClusters.html)."""
    build_talk_ecs(session, nat=True)
    session.client("ecs", APP_REGION).create_cluster(clusterName="batch")  # a second cluster, no service
    doc, _ = scan(session)
    calls = doc["api_calls_by_operation"]
    # one walk of the clusters, and each of the two readers went through both clusters it gave
    assert (calls["ecs.ListClusters"], calls["ecs.ListServices"], calls["ecs.ListTasks"]) == (1, 2, 2)
    assert not doc["gaps"] and any(w["platform"] == "ecs" for w in doc["resources"]["services"])


def test_with_endpoints_and_no_nat_only_the_internet_is_missing(session: Any) -> None:
    build_talk_ecs(session, endpoints=True)
    _, result = scan(session)
    assert serious(result) == {("NET002", "talk-be tasks")}


def test_with_a_nat_gateway_the_tasks_start_and_reach_the_database(session: Any) -> None:
    world = build_talk_ecs(session, nat=True)
    _, result = scan(session)
    assert serious(result) == set()
    # the database flow was judged: removing the database's admission of the task VPC breaks it
    ec2 = session.client("ec2", "ap-northeast-2")
    ec2.revoke_security_group_ingress(GroupId=world.talk.ids["db_sg"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.10.0.0/16"}]}])
    _, result = scan(session)
    assert serious(result) == {("NET009", world.talk.ids["db_sg"])}
    assert "subnets of the awsvpc network of talk-be tasks" in next(
        f for f in result.findings if f.rule == "NET009").message


def test_endpoint_security_group_must_admit_the_tasks(session: Any) -> None:
    world = build_talk_ecs(session, endpoints=True)
    session.client("ec2", APP_REGION).revoke_security_group_ingress(
        GroupId=world.ids["endpoint_sg"], IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.10.0.0/16"}]}])
    _, result = scan(session, ["ECS001"])
    [f] = result.findings
    assert "no ecr.api endpoint" in f.message and "no s3 endpoint" not in f.message


def test_public_ip_in_private_subnets(session: Any) -> None:
    build_talk_ecs(session, public_ip=True)
    _, result = scan(session, ["ECS002"])
    [f] = result.findings
    assert f.severity is Severity.HIGH and "no NAT gateway either" in f.message
    assert "assignPublicIp=DISABLED" in f.fix.commands[0]


def test_public_ip_behind_a_nat_gateway_is_only_misleading(session: Any) -> None:
    build_talk_ecs(session, public_ip=True, nat=True)
    _, result = scan(session, ["ECS002"])
    [f] = result.findings
    assert f.severity is Severity.LOW and "through the NAT gateway" in f.message


def test_public_ip_in_a_public_subnet_reaches_the_internet_but_bypasses_the_load_balancer(session: Any) -> None:
    world = build_talk_ecs(session, public_ip=True, public_subnet=True, load_balancer=True)
    _, result = scan(session, NETWORK_AND_ROLES)
    assert {f.rule for f in result.findings} == {"ECS003"}  # no NET002, no ECS001, no ECS002
    ec2 = session.client("ec2", APP_REGION)
    ec2.authorize_security_group_ingress(GroupId=world.talk.ids["connector_sg"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    _, result = scan(session, ["ECS003"])
    [f] = result.findings
    assert f.severity is Severity.HIGH and "admits the internet on port 8080" in f.message


def test_without_a_load_balancer_a_public_task_is_a_choice(session: Any) -> None:
    build_talk_ecs(session, public_ip=True, public_subnet=True)
    _, result = scan(session, NETWORK_AND_ROLES)
    assert result.findings == ()


def test_execution_role_that_trusts_app_runner(session: Any) -> None:
    build_talk_ecs(session, nat=True, execution_trust="tasks.apprunner.amazonaws.com")
    _, result = scan(session)
    assert serious(result) == {("ECS004", "talk-be-execution")}


def test_secrets_are_read_with_the_execution_role(session: Any) -> None:
    """IAM003 and IAM004 judge the execution role on ECS: a task role that may read the secret
    does not help, and an execution role without kms:Decrypt fails on the key."""
    world = build_talk_ecs(session, nat=True)
    iam = session.client("iam")
    policy = json.loads(json.dumps(iam.get_role_policy(RoleName="talk-be-execution",
                                                       PolicyName="pull-and-read")["PolicyDocument"]))
    policy["Statement"] = [s for s in policy["Statement"] if s["Action"] != ["kms:Decrypt"]]
    iam.put_role_policy(RoleName="talk-be-execution", PolicyName="pull-and-read", PolicyDocument=json.dumps(policy))
    _, result = scan(session, ["IAM"])
    [f] = [f for f in result.findings if f.severity >= Severity.HIGH]
    assert f.rule == "IAM004" and "role talk-be-execution cannot kms:Decrypt" in f.message
    policy["Statement"] = [s for s in policy["Statement"] if "secretsmanager:GetSecretValue" not in s["Action"]]
    iam.put_role_policy(RoleName="talk-be-execution", PolicyName="pull-and-read", PolicyDocument=json.dumps(policy))
    iam.put_role_policy(RoleName="talk-be-task", PolicyName="reads", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                                "Resource": world.talk.ids["secret"]}]}))
    _, result = scan(session, ["IAM003"])
    [f] = result.findings
    assert "its execution role talk-be-execution cannot secretsmanager:GetSecretValue" in f.message


def test_quota_counts_ecs_and_app_runner_together(session: Any) -> None:
    world = build_talk_ecs(session, nat=True)
    world.talk.quotas.applied[APP_REGION] = 28  # talk-fe 1 x 25 = 25 fits; + talk-be 1 x 2 x 200% = 29 does not
    _, result = scan(session, ["QTA001"])
    [f] = result.findings
    assert f.severity is Severity.HIGH and "need 29 vCPU" in f.message and "talk-be 1 vCPU x 4" in f.message


def test_standalone_fargate_tasks_count_too(session: Any) -> None:
    world = build_talk_ecs(session, nat=True)
    world.talk.quotas.applied[APP_REGION] = 36
    ecs = session.client("ecs", APP_REGION)
    td = ecs.register_task_definition(family="job", cpu="2048", memory="4096", containerDefinitions=[
        {"name": "job", "image": "busybox", "memory": 512}])["taskDefinition"]["taskDefinitionArn"]
    ecs.run_task(cluster="talk", taskDefinition=td, launchType="FARGATE", count=3)

    def task_cpu(parsed: dict[str, Any], **_: Any) -> None:  # AWS reports it; moto leaves it out
        for t in parsed.get("tasks", []):
            t.setdefault("cpu", "2048")
    session._session.register("after-call.ecs.DescribeTasks", task_cpu)
    doc, result = scan(session, ["QTA001"])
    assert len(doc["resources"]["fargate_tasks"]) == 3
    [f] = result.findings
    assert "other running Fargate tasks 6 vCPU" in f.message and "need 35 vCPU" in f.message
    assert f.severity is Severity.MEDIUM  # above 80% of the quota, not over it


def test_express_mode_service(session: Any) -> None:
    world = build_talk_ecs(session, express=True, nat=True)
    doc, result = scan(session)
    backend = next(w for w in doc["resources"]["services"] if w["name"] == "talk-be")
    assert backend["platform"] == "ecs-express"
    assert backend["express"]["ingress"] == [{"access": "PUBLIC", "endpoint": "talk-be.ecs.ap-northeast-1.on.aws"}]
    assert world.express.calls == ["DescribeExpressGatewayService"]  # only for the Express service
    assert serious(result) == set()


def test_certificate_validation_record_deleted(session: Any) -> None:
    """DNS001 on the ACM certificate of the load balancer in front of an ECS service, with the
    record checked in the account's Route 53 zone."""
    world = build_talk_ecs(session, nat=True, load_balancer=True)
    boto3.client("route53").create_hosted_zone(Name="talk-example.com", CallerReference="x")
    _, result = scan(session, ["DNS001", "DNS002"])
    dns001 = [f for f in result.findings if f.rule == "DNS001"]
    assert [(f.resource.type, f.resource.arn) for f in dns001] == [("acm_certificate", world.ids["certificate"])]
    assert "it is gone" in dns001[0].message and "UPSERT" in dns001[0].fix.commands[0]
    assert any(f.rule == "DNS002" and "PENDING_VALIDATION" in f.message for f in result.findings)


def test_access_denied_on_ecs_leaves_ecs_rules_not_evaluated(session: Any) -> None:
    build_talk_ecs(session)

    def deny(**_: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListClusters")
    session._session.register("before-call.ecs.ListClusters", deny)
    doc, result = scan(session)
    assert {(g["operation"], tuple(g["collections"])) for g in doc["gaps"]} == {
        ("ListClusters", ("ecs_services",)), ("ListTasks", ("fargate_tasks",))}
    assert {"ECS001", "ECS002", "ECS003", "ECS004", "QTA001"} <= set(result.not_evaluated)
    assert "NET002" not in result.not_evaluated  # App Runner's connectors are still judged
    assert result.exit_code(Severity.HIGH) == 3  # nothing high left to see, and the scan is incomplete


def test_migration_view_runs_only_with_a_target(session: Any, tmp_path: Path, cli: CliRun) -> None:
    from preflight.snapshot import save
    from tests.doubles import apprunner_fake as ar
    from tests.doubles.worlds import build_talk

    talk = build_talk("fixed", session)
    talk.fake.domains[talk.ids["backend_arn"]] = [ar.custom_domain("api.talk-example.com")]
    boto3.client("route53").create_hosted_zone(Name="talk-example.com", CallerReference="x")
    path = tmp_path / "snap.json"
    save(collect(session, [APP_REGION]), str(path))
    code, out, _ = cli(["scan", "--snapshot", str(path), "--format", "json", "--fail-on", "never"])
    assert not [f for f in json.loads(out)["findings"] if f["rule"] in ("ECS005", "ECS006", "ECS007", "ECS008")]
    code, out, _ = cli(["scan", "--snapshot", str(path), "--format", "json", "--fail-on", "never",
                        "--service", "talk-be", "--target", "ecs-express", "--select", "ECS"])
    found = {(f["rule"], f["resource"]["id"]): f for f in json.loads(out)["findings"]}
    assert set(found) == {("ECS005", "talk-be"), ("ECS006", "talk-be"), ("ECS007", "talk-be"), ("ECS008", "talk-be")}
    roles = found[("ECS006", "talk-be")]
    assert "does not trust ecs-tasks.amazonaws.com" in roles["message"]
    assert any("kms:Decrypt" in c and talk.ids["key"] in c for c in roles["fix"]["commands"])
    carry = found[("ECS008", "talk-be")]["fix"]["commands"][0]
    assert carry.startswith("aws ecs create-express-gateway-service") and "valueFrom=" + talk.ids["secret"] in carry
    assert "subnets=[" + ",".join(talk.ids["app_network"]["private_subnets"]) in carry
    assert code == 0


@pytest.mark.parametrize("image, registry, region", [
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1", "ecr", "eu-west-1"),
    ("public.ecr.aws/nginx/nginx:latest", "ecr-public", None),
    ("nginx:1.27", "other", None),
    ("ghcr.io/acme/app@sha256:abc", "other", None),
    (None, "other", None),
])
def test_image_origin(image: str | None, registry: str, region: str | None) -> None:
    from preflight.collect.ecs import image_origin

    got = image_origin(image)
    assert (got["registry"], got["registry_region"]) == (registry, region)


def test_every_format_and_the_graph_render_an_ecs_account(session: Any, tmp_path: Path, cli: CliRun) -> None:
    from preflight.snapshot import save

    build_talk_ecs(session, load_balancer=True, express=True, public_ip=True)
    path = tmp_path / "snap.json"
    save(collect(session, [APP_REGION]), str(path))
    for fmt in ("text", "json", "sarif", "junit", "markdown"):
        code, out, err = cli(["scan", "--snapshot", str(path), "--format", fmt])
        assert code == 1 and "ECS001" in out and "ECS002" in out, (fmt, err)
    code, out, _ = cli(["scan", "--snapshot", str(path), "--format", "json", "--select", "ECS001"])
    [f] = json.loads(out)["findings"]
    assert f["resource"]["type"] == "ecs_express_service"
    assert f["path"][:2] == ["talk-be", "talk-be tasks"]  # the same hop names NET002 uses
    code, out, _ = cli(["graph", "--snapshot", str(path)])
    assert code == 0 and "talk-be tasks<br/><small>awsvpc_network</small>" in out
    assert "the awsvpc network of" not in out  # no second node for the same attachment


def test_a_team_on_app_runner_alone_can_leave_ecs_unread(session: Any, cli: CliRun) -> None:
    """--platform apprunner: no ECS read at all, so a policy without ECS actions is no gap."""
    from preflight.collect.aws import Settings

    build_talk_ecs(session, replace=False)

    def deny(**_: Any) -> None:
        raise AssertionError("ECS must not be called")
    session._session.register("before-call.ecs", deny)
    doc = collect(session, [APP_REGION], settings=Settings(platforms=frozenset({"apprunner"})))
    assert doc["gaps"] == [] and doc["platforms"] == ["apprunner"]
    assert {w["platform"] for w in doc["resources"]["services"]} == {"apprunner"}
    assert not any(op.startswith("ecs.") for op in doc["api_calls_by_operation"])
    code, _, err = cli(["scan", "--platform", "lambda"])
    assert code == 2 and "--platform" in err


def test_platform_narrows_a_snapshot(session: Any, tmp_path: Path, cli: CliRun) -> None:
    from preflight.snapshot import save

    build_talk_ecs(session, replace=False)
    path = tmp_path / "s.json"
    save(collect(session, [APP_REGION]), str(path))
    seen = {}
    for platform in ("apprunner", "ecs"):
        _, out, _ = cli(["scan", "--snapshot", str(path), "--platform", platform, "--format", "json",
                         "--fail-on", "never"])
        seen[platform] = {f["resource"]["type"] for f in json.loads(out)["findings"]
                          if f["resource"]["type"].endswith("_service")}
    assert seen == {"apprunner": {"apprunner_service"}, "ecs": {"ecs_service"}}


def test_the_demo_shows_the_migration_view(cli: CliRun) -> None:
    code, out, _ = cli(["demo", "--target", "ecs-express", "--select", "ECS", "--format", "json"])
    found = {(f["rule"], f["resource"]["id"]) for f in json.loads(out)["findings"]}
    assert found == {("ECS005", "talk-be"), ("ECS005", "talk-fe"), ("ECS006", "talk-be"),
                     ("ECS008", "talk-be"), ("ECS008", "talk-fe")}
    carry = next(f for f in json.loads(out)["findings"] if f["rule"] == "ECS008" and f["resource"]["id"] == "talk-be")
    roles = next(f for f in json.loads(out)["findings"] if f["rule"] == "ECS006")
    assert "--role-name talk-be-execution" in roles["fix"]["commands"][1]
    assert "--execution-role-arn arn:aws:iam::123456789012:role/talk-be-execution" in carry["fix"]["commands"][0]
    assert "4 environment variables" in carry["message"] and "1 secret reference," in carry["message"]
    assert code == 0
