"""ECS Express Mode for moto-built worlds: moto serves clusters, services and task definitions,
but not `DescribeExpressGatewayService`, and never marks a service as Express-managed.

`FakeExpressMode` answers that one operation from botocore's `before-call` event, validating the
response against the ECS service model as `Stubber` does, and marks the services it holds with
`resourceManagementType: ECS` in moto's DescribeServices answers, as ECS does.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters

CREATED = datetime(2026, 11, 1, tzinfo=UTC)


def express_service(arn: str, cluster: str, *, subnets: list[str], security_groups: list[str],
                    image: str, port: int = 8080, execution_role: str | None = None,
                    task_role: str | None = None, task_definition: str | None = None,
                    access: str = "PUBLIC", max_tasks: int = 4) -> dict[str, Any]:
    """An `ECSExpressGatewayService` as DescribeExpressGatewayService returns it."""
    name = arn.rsplit("/", 1)[-1]
    region = arn.split(":")[3]
    config: dict[str, Any] = {
        "serviceRevisionArn": f"{arn}/revision/1", "cpu": "1024", "memory": "2048",
        "networkConfiguration": {"subnets": subnets, "securityGroups": security_groups},
        "primaryContainer": {"image": image, "containerPort": port},
        "scalingTarget": {"minTaskCount": 1, "maxTaskCount": max_tasks},
        "ingressPaths": [{"accessType": access, "endpoint": f"{name}.ecs.{region}.on.aws"}],
        "createdAt": CREATED,
    }
    if execution_role:
        config["executionRoleArn"] = execution_role
    if task_role:
        config["taskRoleArn"] = task_role
    if task_definition:
        config["taskDefinitionArn"] = task_definition
    return {"cluster": cluster, "serviceName": name, "serviceArn": arn,
            "infrastructureRoleArn": f"arn:aws:iam::{arn.split(':')[4]}:role/ecsInfrastructureRoleForExpressServices",
            "status": {"statusCode": "ACTIVE"}, "activeConfigurations": [config],
            "createdAt": CREATED, "updatedAt": CREATED}


@dataclass
class FakeExpressMode:
    services: dict[str, dict[str, Any]] = field(default_factory=dict)  # service ARN -> description
    calls: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, session: boto3.Session) -> None:
        session._session.register("before-call.ecs.DescribeExpressGatewayService", self._describe)
        session._session.register("after-call.ecs.DescribeServices", self._mark)

    def _describe(self, model: Any, params: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        import json

        body = json.loads(params.get("body") or b"{}")
        with self._lock:
            self.calls.append(model.name)
        svc = self.services.get(body.get("serviceArn", ""))
        if svc is None:
            return (AWSResponse("https://ecs.invalid", 400, {}, None),
                    {"Error": {"Code": "ResourceNotFoundException", "Message": "not an Express service"},
                     "ResponseMetadata": {"HTTPStatusCode": 400}})
        result = {"service": copy.deepcopy(svc)}
        validate_parameters(result, model.output_shape)
        return AWSResponse("https://ecs.invalid", 200, {}, None), result

    def _mark(self, parsed: dict[str, Any], **_: Any) -> None:
        for svc in parsed.get("services", []):
            svc["resourceManagementType"] = "ECS" if svc.get("serviceArn") in self.services else "CUSTOMER"
