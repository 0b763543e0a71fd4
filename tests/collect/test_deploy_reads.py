"""The reads behind the deploy-blocker rules: ECR images (BatchGetImage), CloudWatch Logs groups
(DescribeLogGroups) and target groups and load balancers (ELBv2) over moto; the ECS deployment
settings moto does not keep (circuit breaker, grace period, runtime platform) over botocore's
Stubber, shaped as the service model says. Every request passes the model gate of tests/conftest."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from preflight import engine
from preflight.collect import collect, ecr, ecs, logs
from preflight.collect.aws import Settings
from tests.conftest import CliRun

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's
HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
INDEX = "application/vnd.oci.image.index.v1+json"
SINGLE = "application/vnd.docker.distribution.manifest.v2+json"


def _gaps() -> tuple[list[Any], Any]:
    found: list[Any] = []
    return found, lambda op, e: found.append((op.iam_action, str(e)))


def _index(*archs: str) -> str:
    return json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + str(i) * 64, "size": 10,
         "platform": {"architecture": a, "os": "linux" if a != "unknown" else "unknown"}}
        for i, a in enumerate(archs, 1)]})


def _push(client: Any, repo: str, tag: str, manifest: str, media: str) -> None:
    with contextlib.suppress(client.exceptions.RepositoryAlreadyExistsException):
        client.create_repository(repositoryName=repo)
    client.put_image(repositoryName=repo, imageTag=tag, imageManifest=manifest, imageManifestMediaType=media)


def test_images_present_missing_and_their_platforms(session: Any) -> None:
    client = session.client("ecr", REGION)
    _push(client, "multi", "1", _index("amd64", "arm64", "unknown"), INDEX)  # "unknown": an attestation
    _push(client, "arm", "1", _index("arm64"), INDEX)
    _push(client, "single", "1", json.dumps({"schemaVersion": 2, "mediaType": SINGLE, "config": {
        "mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": "sha256:" + "c" * 64},
        "layers": []}), SINGLE)
    wanted = [ecr.parse_uri(f"{HOST}/{r}") for r in ("multi:1", "arm:1", "single:1", "single:2", "gone:1", "single")]
    task = ecr.images_task(REGION, [w for w in wanted if w])
    gaps, sink = _gaps()
    records = {r["image"].split("/", 1)[1]: r for r in task.transform(task.fetch(client, sink), REGION)}
    assert gaps == []
    assert records["multi:1"]["architectures"] == ["amd64", "arm64"] and records["multi:1"]["state"] == "present"
    assert records["arm:1"]["architectures"] == ["arm64"]
    assert records["single:1"]["state"] == "present" and records["single:1"]["architectures"] is None
    assert (records["single:2"]["state"], records["single:2"]["error"]) == ("failed", "ImageNotFound")
    assert records["gone:1"]["state"] == "missing-repository"
    assert records["single"]["reference"] == "latest"  # no tag means latest, as docker reads it


def test_an_image_uri_is_read_as_ecs_reads_it() -> None:
    digest = "sha256:" + "d" * 64
    assert ecr.parse_uri(f"{HOST}/team/app@{digest}") == {
        "account": ACCOUNT, "region": REGION, "repository": "team/app", "image": f"{HOST}/team/app@{digest}",
        "reference": digest, "key": "imageDigest"}
    assert ecr.parse_uri("nginx:1") is None and ecr.parse_uri("public.ecr.aws/x/y:1") is None


def test_access_denied_on_the_registry_is_a_gap_not_an_answer() -> None:
    client = boto3.client("ecr", REGION)
    with Stubber(client) as stub:
        stub.add_client_error("batch_get_image", "AccessDeniedException", "not authorized", 400)
        task = ecr.images_task(REGION, [ecr.parse_uri(f"{HOST}/app:1")])  # type: ignore[list-item]
        gaps, sink = _gaps()
        assert task.transform(task.fetch(client, sink), REGION) == []
    assert gaps and gaps[0][0] == "ecr:BatchGetImage" and task.unknown == ["ecr_images"]


def test_log_groups_exact_names_across_pages(session: Any) -> None:
    client = session.client("logs", REGION)
    for i in range(120):  # more groups share the prefix than one page holds
        client.create_log_group(logGroupName=f"/ecs/api-{i:03d}")
    client.create_log_group(logGroupName="/ecs/api")
    task = logs.groups_task(REGION, ["/ecs/api", "/ecs/api-119", "/ecs/ap", "/ecs/none"])
    gaps, sink = _gaps()
    records = {r["name"]: r["exists"] for r in task.transform(task.fetch(client, sink), REGION)}
    assert gaps == []
    assert records == {"/ecs/api": True, "/ecs/api-119": True, "/ecs/ap": False, "/ecs/none": False}


def test_a_log_group_read_refused_is_a_gap() -> None:
    client = boto3.client("logs", REGION)
    with Stubber(client) as stub:
        stub.add_client_error("describe_log_groups", "AccessDeniedException", "no", 400)
        task = logs.groups_task(REGION, ["/ecs/api"])
        gaps, sink = _gaps()
        assert task.transform(task.fetch(client, sink), REGION) == []
    assert gaps[0][0] == "logs:DescribeLogGroups"


def test_target_groups_and_load_balancers_carry_what_health_checks_need(session: Any) -> None:
    ec2 = session.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]
               ["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    lb_sg = ec2.create_security_group(GroupName="lb", Description="lb", VpcId=vpc)["GroupId"]
    elb = session.client("elbv2", REGION)
    lb = elb.create_load_balancer(Name="api", Subnets=subnets, SecurityGroups=[lb_sg])["LoadBalancers"][0]
    tg = elb.create_target_group(Name="api", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance",
                                 HealthCheckPort="9000", HealthCheckPath="/health")["TargetGroups"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    task = ecs.ingress_task(REGION, [tg["TargetGroupArn"]])
    gaps, sink = _gaps()
    ingress = task.transform(task.fetch(elb, sink), REGION)
    w = {"platform": "ecs", "target_groups": [tg["TargetGroupArn"]]}
    ecs.attach_ingress([w], ingress, [])
    assert gaps == []
    [detail] = w["target_group_details"]
    assert detail["target_type"] == "instance" and detail["health_check"]["port"] == "9000"
    assert detail["health_check"]["path"] == "/health"
    [front] = w["load_balancers"]
    assert front["security_groups"] == [lb_sg] and sorted(front["subnets"]) == sorted(subnets)
    assert front["target_groups"] == [tg["TargetGroupArn"]]


ECS_ONLY = Settings(platforms=frozenset({"ecs"}))  # moto serves no App Runner
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/web"
TD = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/api:3"


def test_deployment_settings_and_task_shape_are_read() -> None:
    client = boto3.client("ecs", REGION)
    svc = {"serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/web/api", "serviceName": "api",
           "clusterArn": CLUSTER, "status": "ACTIVE", "desiredCount": 2, "runningCount": 2, "launchType": "FARGATE",
           "taskDefinition": TD, "healthCheckGracePeriodSeconds": 45, "deploymentController": {"type": "ECS"},
           "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100,
                                       "deploymentCircuitBreaker": {"enable": True, "rollback": False}},
           "loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "app", "containerPort": 3000}]}
    taskdef = {"taskDefinitionArn": TD, "family": "api", "cpu": "512", "memory": "1024", "networkMode": "awsvpc",
               "requiresCompatibilities": ["FARGATE"],
               "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
               "containerDefinitions": [{
                   "name": "app", "image": "nginx:1", "cpu": 256, "memory": 512, "memoryReservation": 256,
                   "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:x"},
                   "portMappings": [{"containerPort": 3000}, {"containerPort": 9000}],
                   "logConfiguration": {"logDriver": "awslogs", "options": {
                       "awslogs-group": "/ecs/api", "awslogs-create-group": "true"}}}]}
    with Stubber(client) as stub:
        stub.add_response("list_clusters", {"clusterArns": [CLUSTER]}, {"maxResults": 100})
        stub.add_response("list_services", {"serviceArns": [svc["serviceArn"]]}, {"cluster": CLUSTER, "maxResults": 100})
        stub.add_response("describe_services", {"services": [svc], "failures": []},
                          {"cluster": CLUSTER, "services": ANY, "include": ["TAGS"]})
        stub.add_response("describe_task_definition", {"taskDefinition": taskdef}, {"taskDefinition": TD})
        task = ecs.services_task(REGION)
        gaps, sink = _gaps()
        [w] = task.transform(task.fetch(client, sink), REGION)
    assert gaps == []
    assert w["circuit_breaker"] == {"enable": True, "rollback": False} and w["deployment_controller"] == "ECS"
    assert w["health_check_grace"] == 45 and w["cpu_architecture"] == "ARM64" and w["requires_fargate"]
    assert w["lb_bindings"] == [{"target_group": "arn:tg", "container": "app", "port": 3000}]
    [c] = w["containers"]
    assert (c["cpu"], c["memory"], c["memory_reservation"], c["ports"]) == (256, 512, 256, [3000, 9000])
    assert c["registry_credentials"] is True and w["log_groups"][0]["create"] is True


@pytest.fixture
def deployed(session: Any) -> dict[str, str]:
    """An ECS service whose image tag was never pushed and whose log group was never created, in
    a network otherwise fit to run it."""
    ec2 = session.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/28")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="api", Description="api", VpcId=vpc)["GroupId"]
    iam = session.client("iam", REGION)
    role = iam.create_role(RoleName="exec", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    _push(session.client("ecr", REGION), "api", "1", _index("arm64"), INDEX)
    client = session.client("ecs", REGION)
    client.create_cluster(clusterName="web")
    td = client.register_task_definition(
        family="api", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="4096",
        executionRoleArn=role["Role"]["Arn"], containerDefinitions=[{
            "name": "app", "image": f"{HOST}/api:2", "essential": True, "portMappings": [{"containerPort": 8080}],
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/api",
                                                                     "awslogs-region": REGION}}}])
    client.create_service(cluster="web", serviceName="api", taskDefinition=td["taskDefinition"]["taskDefinitionArn"],
                          desiredCount=6, launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                              "subnets": [subnet], "securityGroups": [sg]}})
    return {"subnet": subnet}


def test_a_scan_of_the_account_finds_each_blocker(session: Any, deployed: dict[str, str]) -> None:
    doc = collect(session, [REGION], settings=ECS_ONLY)
    result = engine.run(doc, ("ECS010", "ECS012", "ECS016", "ECS017"))
    assert result.not_evaluated == {} and result.crashed == {}  # (moto has no Service Quotas: that gap stays)
    assert {(f.rule, f.resource.id) for f in result.findings} == {
        ("ECS010", "api"), ("ECS012", f"{HOST}/api:2"), ("ECS016", "/ecs/api"), ("ECS017", "api")}
    assert doc["api_calls_by_operation"]["ecr.BatchGetImage"] == 1
    assert doc["api_calls_by_operation"]["logs.DescribeLogGroups"] == 1


def test_pushing_the_image_and_creating_the_group_clears_them(session: Any, deployed: dict[str, str]) -> None:
    _push(session.client("ecr", REGION), "api", "2", _index("amd64"), INDEX)
    session.client("logs", REGION).create_log_group(logGroupName="/ecs/api")
    result = engine.run(collect(session, [REGION], settings=ECS_ONLY), ("ECS012", "ECS013", "ECS016"))
    assert result.findings == () and result.not_evaluated == {}


def test_iam_policy_lists_the_new_reads(cli: CliRun) -> None:
    code, out, _ = cli(["iam-policy"])
    assert code == 0
    actions = set(json.loads(out)["Statement"][0]["Action"])
    assert {"ecr:BatchGetImage", "logs:DescribeLogGroups", "elasticloadbalancing:DescribeTargetGroups"} <= actions
