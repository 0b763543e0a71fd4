"""The ECS collector against botocore's Stubber: an Express Mode service (which moto does not
serve) is recognised by DescribeServices' resourceManagementType and described once."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from preflight.collect import ecs
from tests.doubles.ecs_fake import express_service

REGION = "eu-west-1"
ACCOUNT = "111122223333"
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/web"
TD = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/api:3"


def service(name: str, managed: str) -> dict[str, Any]:
    return {"serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/web/{name}", "serviceName": name,
            "clusterArn": CLUSTER, "status": "ACTIVE", "desiredCount": 2, "runningCount": 2,
            "launchType": "FARGATE", "taskDefinition": TD, "resourceManagementType": managed,
            "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100},
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}},
            "tags": [{"key": "env", "value": "prod"}]}


def test_express_service_is_described_once_and_plain_services_are_not() -> None:
    client = boto3.client("ecs", REGION)
    plain, express = service("api", "CUSTOMER"), service("web", "ECS")
    taskdef = {"taskDefinitionArn": TD, "family": "api", "revision": 3, "cpu": "512", "memory": "1024",
               "networkMode": "awsvpc", "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/exec",
               "containerDefinitions": [{
                   "name": "app", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/api:3",
                   "portMappings": [{"containerPort": 3000}],
                   "environment": [{"name": "DATABASE_URL", "value": "postgres://u:p@db.x.eu-west-1.rds.amazonaws.com/a"}],
                   "secrets": [{"name": "TOKEN", "valueFrom": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/token"}],
                   "logConfiguration": {"logDriver": "awslogs"}}]}
    with Stubber(client) as stub:
        stub.add_response("list_clusters", {"clusterArns": [CLUSTER]}, {"maxResults": 100})
        stub.add_response("list_services", {"serviceArns": [plain["serviceArn"], express["serviceArn"]]},
                          {"cluster": CLUSTER, "maxResults": 100})
        stub.add_response("describe_services", {"services": [plain, express], "failures": []},
                          {"cluster": CLUSTER, "services": ANY, "include": ["TAGS"]})
        stub.add_response("describe_task_definition", {"taskDefinition": taskdef}, {"taskDefinition": TD})
        stub.add_response("describe_express_gateway_service", {"service": express_service(
            express["serviceArn"], CLUSTER, subnets=["subnet-1"], security_groups=["sg-1"],
            image="nginx:1", max_tasks=6)}, {"serviceArn": express["serviceArn"], "include": ["TAGS"]})
        task = ecs.services_task(REGION)
        gaps: list[Any] = []
        records = task.transform(task.fetch(client, lambda op, e: gaps.append((op, e))), REGION)
        stub.assert_no_pending_responses()
    assert gaps == []
    api, web = records
    assert (api["platform"], web["platform"]) == ("ecs", "ecs-express")
    assert web["express"]["max_tasks"] == 6 and web["express"]["ingress"][0]["access"] == "PUBLIC"
    assert api["port"] == "3000" and api["cpu"] == "512" and api["tags"] == {"env": "prod"}
    assert api["secrets"] == [{"name": "TOKEN", "ref": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/token",
                               "container": "app"}]
    [env] = api["env"]  # the value is gone; what the checks need is kept
    assert env["name"] == "DATABASE_URL" and env["url_password"] and env["endpoint_regions"] == [REGION]
    assert api["images"][0]["registry"] == "ecr" and api["log_drivers"] == ["awslogs"]


def test_failed_task_definition_read_is_a_partial_gap() -> None:
    client = boto3.client("ecs", REGION)
    with Stubber(client) as stub:
        stub.add_response("list_clusters", {"clusterArns": [CLUSTER]})
        stub.add_response("list_services", {"serviceArns": [service("api", "CUSTOMER")["serviceArn"]]})
        stub.add_response("describe_services", {"services": [service("api", "CUSTOMER")]})
        stub.add_client_error("describe_task_definition", "AccessDeniedException", "no", 400)
        task = ecs.services_task(REGION)
        gaps: list[Any] = []
        records = task.transform(task.fetch(client, lambda op, e: gaps.append(op.iam_action)), REGION)
    assert gaps == ["ecs:DescribeTaskDefinition"]
    assert records[0]["images"] == [] and task.unknown == ["ecs_services"]
