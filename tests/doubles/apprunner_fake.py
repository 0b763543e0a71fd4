"""A stateful App Runner double for moto-built worlds (moto does not implement App Runner).

It answers App Runner calls from botocore's `before-call` event, so no request is sent, and it
validates every response against the App Runner service model exactly as botocore's `Stubber`
does, so a canned shape that AWS would never return fails the test that uses it. Unit tests of
the App Runner collector use `Stubber` itself; this double serves the end-to-end worlds, whose
calls run concurrently and in no fixed order, which `Stubber`'s queue cannot serve.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters

_MODEL = botocore.session.get_session().get_service_model("apprunner")
CREATED = datetime(2026, 11, 1, tzinfo=UTC)


def service(name: str, region: str, account: str, *, image: str | None = None,
            repository: str | None = None, runtime: str = "NODEJS_18",
            configuration_source: str = "API", env: dict[str, str] | None = None,
            secrets: dict[str, str] | None = None, instance_role: str | None = None,
            access_role: str | None = None, connector_arn: str | None = None,
            cpu: str = "1024", memory: str = "2048", port: str = "8080",
            status: str = "RUNNING", service_id: str | None = None,
            asc_arn: str | None = None, connection_arn: str | None = None) -> dict[str, Any]:
    """A `DescribeService` `Service` shaped by the model."""
    sid = service_id or (name.replace("-", "") + "0" * 32)[:32]
    arn = f"arn:aws:apprunner:{region}:{account}:service/{name}/{sid}"
    values: dict[str, Any] = {"Port": port}
    if env:
        values["RuntimeEnvironmentVariables"] = dict(env)
    if secrets:
        values["RuntimeEnvironmentSecrets"] = dict(secrets)
    if image:
        src: dict[str, Any] = {"ImageRepository": {
            "ImageIdentifier": image,
            "ImageRepositoryType": "ECR_PUBLIC" if image.startswith("public.ecr.aws") else "ECR",
            "ImageConfiguration": values}}
    else:
        code: dict[str, Any] = {"ConfigurationSource": configuration_source}
        if configuration_source == "API":
            code["CodeConfigurationValues"] = {"Runtime": runtime, **values}
        src = {"CodeRepository": {
            "RepositoryUrl": repository or f"https://github.com/example/{name}",
            "SourceCodeVersion": {"Type": "BRANCH", "Value": "main"},
            "CodeConfiguration": code}}
    src["AutoDeploymentsEnabled"] = True
    auth = {k: v for k, v in (("AccessRoleArn", access_role), ("ConnectionArn", connection_arn)) if v}
    if auth:
        src["AuthenticationConfiguration"] = auth
    instance: dict[str, Any] = {"Cpu": cpu, "Memory": memory}
    if instance_role:
        instance["InstanceRoleArn"] = instance_role
    egress: dict[str, Any] = {"EgressType": "VPC" if connector_arn else "DEFAULT"}
    if connector_arn:
        egress["VpcConnectorArn"] = connector_arn
    asc = asc_arn or (f"arn:aws:apprunner:{region}:{account}:autoscalingconfiguration/"
                      "DefaultConfiguration/1/" + "0" * 32)
    return {
        "ServiceName": name, "ServiceId": sid, "ServiceArn": arn,
        "ServiceUrl": f"{sid[:10]}.{region}.awsapprunner.com",
        "CreatedAt": CREATED, "UpdatedAt": CREATED, "Status": status,
        "SourceConfiguration": src, "InstanceConfiguration": instance,
        "HealthCheckConfiguration": {"Protocol": "TCP", "Path": "/", "Interval": 5, "Timeout": 2,
                                     "HealthyThreshold": 1, "UnhealthyThreshold": 5},
        "AutoScalingConfigurationSummary": {
            "AutoScalingConfigurationArn": asc,
            "AutoScalingConfigurationName": asc.split("/")[1], "AutoScalingConfigurationRevision": 1},
        "NetworkConfiguration": {"EgressConfiguration": egress,
                                 "IngressConfiguration": {"IsPubliclyAccessible": True},
                                 "IpAddressType": "IPV4"},
        "ObservabilityConfiguration": {"ObservabilityEnabled": False},
    }


def connector(name: str, region: str, account: str, subnets: list[str],
              security_groups: list[str], revision: int = 1) -> dict[str, Any]:
    return {
        "VpcConnectorName": name,
        "VpcConnectorArn": f"arn:aws:apprunner:{region}:{account}:vpcconnector/{name}/{revision}/"
                           + "c" * 32,
        "VpcConnectorRevision": revision, "Subnets": list(subnets),
        "SecurityGroups": list(security_groups), "Status": "ACTIVE", "CreatedAt": CREATED,
    }


def autoscaling(arn: str, max_size: int = 25, min_size: int = 1) -> dict[str, Any]:
    parts = arn.split("/")
    return {"AutoScalingConfigurationArn": arn, "AutoScalingConfigurationName": parts[1],
            "AutoScalingConfigurationRevision": int(parts[2]), "Latest": True,
            "Status": "ACTIVE", "MaxConcurrency": 100, "MinSize": min_size,
            "MaxSize": max_size, "CreatedAt": CREATED, "HasAssociatedService": True,
            "IsDefault": parts[1] == "DefaultConfiguration"}


def operation(arn: str, kind: str, status: str, ended: datetime) -> dict[str, Any]:
    """An `OperationSummary` as `ListOperations` returns it."""
    return {"Id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{arn}/{kind}/{ended}")), "Type": kind, "Status": status,
            "TargetArn": arn, "StartedAt": ended, "EndedAt": ended, "UpdatedAt": ended}


@dataclass
class FakeAppRunner:
    """Holds services, connectors and auto scaling configurations, per region."""

    services: list[dict[str, Any]] = field(default_factory=list)
    connectors: list[dict[str, Any]] = field(default_factory=list)
    autoscaling: list[dict[str, Any]] = field(default_factory=list)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    operations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # newest first
    domains: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # service ARN -> CustomDomains
    connections: list[dict[str, Any]] = field(default_factory=list)
    denied: set[str] = field(default_factory=set)  # operation names answered AccessDenied
    page_size: int | None = None  # forces pagination in tests
    calls: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, session: boto3.Session) -> None:
        """Serve App Runner for every client this session creates from now on."""
        session._session.register("before-call.apprunner", self._handle)
        # the tags of App Runner services come from the Resource Groups Tagging API
        session._session.register("before-call.resource-groups-tagging-api.GetResources", self._handle)

    # -- dispatch ----------------------------------------------------------------------------

    def _handle(self, model: Any, params: Any, context: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        op = model.name
        with self._lock:
            self.calls.append(op)
        region = context["client_region"]
        raw = params.get("body") or b"{}"
        body = json.loads(raw.decode() if isinstance(raw, bytes) else raw or "{}")
        if op in self.denied:
            return self._error(403, "AccessDeniedException", f"not authorized to perform apprunner:{op}")
        handler = getattr(self, f"_{op}", None)
        if handler is None:
            raise NotImplementedError(f"FakeAppRunner does not serve {op}")
        result = handler(region, body)
        if isinstance(result, tuple):
            return result
        validate_parameters(result, model.output_shape)  # the Stubber's own check
        return AWSResponse("https://apprunner.invalid", 200, {}, None), copy.deepcopy(result)

    @staticmethod
    def _error(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
        return (AWSResponse("https://apprunner.invalid", status, {}, None),
                {"Error": {"Code": code, "Message": message},
                 "ResponseMetadata": {"HTTPStatusCode": status}})

    def _page(self, key: str, items: list[Any], body: dict[str, Any], limit: int,
              **extra: Any) -> dict[str, Any]:
        """One page of `items` under `key`, with NextToken when more remain."""
        size = min(self.page_size or limit, body.get("MaxResults") or limit)
        start = int(body.get("NextToken") or 0)
        end = start + size
        out: dict[str, Any] = {key: items[start:end], **extra}
        if end < len(items):
            out["NextToken"] = str(end)
        return out

    @staticmethod
    def _region_of(arn: str) -> str:
        return arn.split(":")[3]

    def _ListServices(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        mine = [s for s in self.services if self._region_of(s["ServiceArn"]) == region]
        summaries = [{k: s[k] for k in ("ServiceName", "ServiceId", "ServiceArn", "ServiceUrl",
                                        "CreatedAt", "UpdatedAt", "Status")} for s in mine]
        return self._page("ServiceSummaryList", summaries, body, 20)

    def _find(self, arn: str) -> dict[str, Any] | None:
        return next((s for s in self.services if s["ServiceArn"] == arn), None)

    def _DescribeService(self, region: str, body: dict[str, Any]) -> Any:
        svc = self._find(body["ServiceArn"])
        if svc is None:
            return self._error(400, "ResourceNotFoundException", "service not found")
        return {"Service": svc}

    def _ListTagsForResource(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        tags = self.tags.get(body["ResourceArn"], {})
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}

    def _GetResources(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        """The tagging API's view of App Runner services: only those with tags, as AWS lists
        resources that are (or were) tagged."""
        if "apprunner:service" not in (body.get("ResourceTypeFilters") or []):
            return {"ResourceTagMappingList": []}
        tagged = [{"ResourceARN": s["ServiceArn"], "Tags": [{"Key": k, "Value": v} for k, v in
                                                            sorted(self.tags[s["ServiceArn"]].items())]}
                  for s in self.services
                  if self._region_of(s["ServiceArn"]) == region and self.tags.get(s["ServiceArn"])]
        size = min(self.page_size or 100, body.get("ResourcesPerPage") or 100)
        start = int(body.get("PaginationToken") or 0)
        end = start + size
        return {"ResourceTagMappingList": tagged[start:end], "PaginationToken": str(end) if end < len(tagged) else ""}

    def _ListOperations(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        arn = body["ServiceArn"]
        ops = self.operations.get(arn) or [operation(arn, "CREATE_SERVICE", "SUCCEEDED", CREATED)]
        return self._page("OperationSummaryList", ops, body, 20)

    def _DescribeCustomDomains(self, region: str, body: dict[str, Any]) -> Any:
        svc = self._find(body["ServiceArn"])
        if svc is None:
            return self._error(400, "ResourceNotFoundException", "service not found")
        return self._page("CustomDomains", self.domains.get(svc["ServiceArn"], []), body, 5,
                          DNSTarget=svc["ServiceUrl"], ServiceArn=svc["ServiceArn"], VpcDNSTargets=[])

    def _ListConnections(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        mine = [c for c in self.connections if self._region_of(c["ConnectionArn"]) == region]
        return self._page("ConnectionSummaryList", mine, body, 100)

    def _ListAutoScalingConfigurations(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        arns = sorted({s["AutoScalingConfigurationSummary"]["AutoScalingConfigurationArn"] for s in self.services
                       if self._region_of(s["ServiceArn"]) == region}
                      | {a["AutoScalingConfigurationArn"] for a in self.autoscaling
                         if self._region_of(a["AutoScalingConfigurationArn"]) == region})
        summaries = []
        for arn in arns:
            full = next((a for a in self.autoscaling if a["AutoScalingConfigurationArn"] == arn),
                        None) or autoscaling(arn)
            summaries.append({k: full[k] for k in ("AutoScalingConfigurationArn", "AutoScalingConfigurationName",
                                                   "AutoScalingConfigurationRevision", "Status", "CreatedAt",
                                                   "HasAssociatedService", "IsDefault")})
        return self._page("AutoScalingConfigurationSummaryList", summaries, body, 100)

    def _ListVpcConnectors(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        mine = [c for c in self.connectors if self._region_of(c["VpcConnectorArn"]) == region]
        return self._page("VpcConnectors", mine, body, 100)

    def _DescribeAutoScalingConfiguration(self, region: str, body: dict[str, Any]) -> Any:
        arn = body["AutoScalingConfigurationArn"]
        found = next((a for a in self.autoscaling if a["AutoScalingConfigurationArn"] == arn), None)
        if found is None:
            found = autoscaling(arn) if "/DefaultConfiguration/" in arn else None
        if found is None:
            return self._error(400, "ResourceNotFoundException", "no such configuration")
        return {"AutoScalingConfiguration": found}


def custom_domain(name: str, *, www: bool = False, status: str = "ACTIVE",
                  records: list[tuple[str, str, str]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    """A `CustomDomain` as `DescribeCustomDomains` returns it; records are (name, value, status)."""
    return {"DomainName": name, "EnableWWWSubdomain": www, "Status": status,
            "CertificateValidationRecords": [{"Name": n, "Type": "CNAME", "Value": v, "Status": st}
                                             for n, v, st in records]}


def connection(name: str, region: str, account: str, status: str = "AVAILABLE") -> dict[str, Any]:
    return {"ConnectionName": name, "ProviderType": "GITHUB", "Status": status, "CreatedAt": CREATED,
            "ConnectionArn": f"arn:aws:apprunner:{region}:{account}:connection/{name}/" + "d" * 32}


_QUOTAS = botocore.session.get_session().get_service_model("service-quotas")


@dataclass
class FakeServiceQuotas:
    """Service Quotas for `fargate`, which moto does not serve; model-validated like the App
    Runner double. `applied` maps region -> value; a region without one has only the default."""

    applied: dict[str, float] = field(default_factory=dict)
    default: float = 6.0
    denied: bool = False

    def attach(self, session: boto3.Session) -> None:
        session._session.register("before-call.service-quotas", self._handle)

    def _quota(self, region: str, value: float) -> dict[str, Any]:
        return {"Quota": {"ServiceCode": "fargate", "ServiceName": "AWS Fargate", "QuotaCode": "L-3032A538",
                          "QuotaName": "Fargate On-Demand vCPU resource count", "Value": value,
                          "QuotaArn": f"arn:aws:servicequotas:{region}::fargate/L-3032A538",
                          "Adjustable": True, "GlobalQuota": False}}

    def answer(self, operation: str, region: str) -> Any:
        """The response dict, or (AWSResponse, error) for an error."""
        if self.denied:
            return FakeAppRunner._error(403, "AccessDeniedException", "not authorized")
        if operation == "GetServiceQuota":
            if region not in self.applied:
                return FakeAppRunner._error(400, "NoSuchResourceException", "no applied quota")
            return self._quota(region, self.applied[region])
        if operation == "GetAWSDefaultServiceQuota":
            return self._quota(region, self.default)
        raise NotImplementedError(operation)

    def _handle(self, model: Any, context: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        result = self.answer(model.name, context["client_region"])
        if isinstance(result, tuple):
            return result
        validate_parameters(result, model.output_shape)
        return AWSResponse("https://servicequotas.invalid", 200, {}, None), result
