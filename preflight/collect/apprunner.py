"""App Runner services, VPC connectors and auto scaling configurations.

App Runner has no botocore paginators, so `NextToken` is followed by hand. Environment variable
values are read here and never leave this module: the transform keeps only what
`preflight.redact.summarize_env` derives from them.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from preflight.collect.aws import Operation
from preflight.collect.base import (
    NOT_FOUND_CODES,
    GapSink,
    Task,
    Vanished,
    error_code,
    follow_tokens,
    iso_time,
    largest_page,
    paginate,
)
from preflight.redact import summarize_env

SERVICE = "apprunner"
TAGS_GAP = ("service_tags",)  # unknown tags leave services known; IAM005 and tag suppressions need them
LIST_SERVICES = Operation(SERVICE, "ListServices")
DESCRIBE_SERVICE = Operation(SERVICE, "DescribeService")
# Tags of every App Runner service in a region come from one paginated Resource Groups Tagging
# API read, instead of one ListTagsForResource per service.
GET_TAGGED = Operation("resourcegroupstaggingapi", "GetResources", "tag")
LIST_CONNECTORS = Operation(SERVICE, "ListVpcConnectors")
DESCRIBE_ASC = Operation(SERVICE, "DescribeAutoScalingConfiguration")
LIST_OPERATIONS = Operation(SERVICE, "ListOperations")
DESCRIBE_DOMAINS = Operation(SERVICE, "DescribeCustomDomains")
LIST_CONNECTIONS = Operation(SERVICE, "ListConnections")
LIST_ASCS = Operation(SERVICE, "ListAutoScalingConfigurations")
OPERATIONS = (LIST_SERVICES, DESCRIBE_SERVICE, GET_TAGGED, LIST_CONNECTORS, DESCRIBE_ASC, LIST_OPERATIONS,
              DESCRIBE_DOMAINS, LIST_CONNECTIONS, LIST_ASCS)

def transform_service(raw: dict[str, Any], region: str) -> dict[str, Any]:
    svc = raw["Service"]
    src = svc.get("SourceConfiguration", {})
    code = src.get("CodeRepository")
    image = src.get("ImageRepository")
    if image:
        cfg = image.get("ImageConfiguration", {})
        source = {"type": "image", "image": image.get("ImageIdentifier"),
                  "repository_type": image.get("ImageRepositoryType"),
                  "configuration_source": "API", "runtime": None}
    else:
        code = code or {}
        code_cfg = code.get("CodeConfiguration", {})
        cfg = code_cfg.get("CodeConfigurationValues", {})
        source = {"type": "code", "repository": code.get("RepositoryUrl"),
                  "directory": code.get("SourceDirectory"),
                  "branch": (code.get("SourceCodeVersion") or {}).get("Value"),
                  "configuration_source": code_cfg.get("ConfigurationSource"),
                  "runtime": cfg.get("Runtime")}
    auth = src.get("AuthenticationConfiguration", {})
    source.update({"auto_deploy": src.get("AutoDeploymentsEnabled"),
                   "connection_arn": auth.get("ConnectionArn"),
                   "access_role_arn": auth.get("AccessRoleArn")})
    net = svc.get("NetworkConfiguration", {})
    egress = net.get("EgressConfiguration", {})
    instance = svc.get("InstanceConfiguration", {})
    asc = svc.get("AutoScalingConfigurationSummary", {})
    return {
        "arn": svc["ServiceArn"], "name": svc["ServiceName"], "id": svc.get("ServiceId"),
        "region": region, "platform": "apprunner", "status": svc.get("Status"),
        "url": svc.get("ServiceUrl"), "source": source,
        "port": str(cfg.get("Port") or "8080"),
        "cpu": instance.get("Cpu"), "memory": instance.get("Memory"),
        "instance_role_arn": instance.get("InstanceRoleArn"),
        "egress": {"type": egress.get("EgressType", "DEFAULT"),
                   "connector_arn": egress.get("VpcConnectorArn")},
        "public": (net.get("IngressConfiguration") or {}).get("IsPubliclyAccessible", True),
        "env": summarize_env(cfg.get("RuntimeEnvironmentVariables")),
        "secrets": [{"name": k, "ref": v}
                    for k, v in sorted((cfg.get("RuntimeEnvironmentSecrets") or {}).items())],
        "autoscaling_config_arn": asc.get("AutoScalingConfigurationArn"),
        "tags": {},  # from the tagging API: see attach_tags
        "domains": [{"name": d["DomainName"], "www": bool(d.get("EnableWWWSubdomain")),
                     "status": d.get("Status"),
                     "records": [{"name": r.get("Name"), "type": r.get("Type"), "value": r.get("Value"),
                                  "status": r.get("Status")} for r in d.get("CertificateValidationRecords", [])]}
                    for d in raw.get("CustomDomains", [])],
        "dns_target": svc.get("ServiceUrl"),
        "operations": [{"id": o.get("Id"), "type": o.get("Type"), "status": o.get("Status"),
                        "started_at": iso_time(o.get("StartedAt")), "ended_at": iso_time(o.get("EndedAt"))}
                       for o in raw.get("Operations", [])],
    }



def transform_services(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [transform_service(r, region) for r in raw]


def transform_connectors(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    # Every revision is listed; a service names one revision's ARN, so keep them all.
    return [{
        "arn": c["VpcConnectorArn"], "name": c.get("VpcConnectorName"), "region": region,
        "revision": c.get("VpcConnectorRevision"), "status": c.get("Status"),
        "subnets": list(c.get("Subnets", [])), "security_groups": list(c.get("SecurityGroups", [])),
    } for c in raw]


def transform_autoscaling(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [{
        "arn": a["AutoScalingConfigurationArn"], "name": a.get("AutoScalingConfigurationName"),
        "region": region, "max_concurrency": a.get("MaxConcurrency"),
        "min_size": a.get("MinSize"), "max_size": a.get("MaxSize"),
        "is_default": a.get("IsDefault"),
    } for a in raw]


def _page(operation: str) -> int | None:
    """App Runner has no botocore paginators: each list sends the largest MaxResults its model allows."""
    return largest_page(SERVICE, operation, "MaxResults")


def _matches(summary: dict[str, Any], wanted: frozenset[str]) -> bool:
    return not wanted or summary["ServiceName"] in wanted or summary["ServiceArn"] in wanted


def tasks(region: str, wanted: frozenset[str] = frozenset(), workers: int = 4) -> list[Task]:
    def fetch_services(client: Any, gap: GapSink) -> list[dict[str, Any]]:
        summaries = follow_tokens(client.list_services, "ServiceSummaryList", MaxResults=_page("ListServices"))
        chosen = [s for s in summaries if _matches(s, wanted)]

        # Each service needs three reads that depend only on its ARN; they go to the pool as
        # separate jobs, so a service costs one round trip of wall time, not three.
        vanished: set[str] = set()

        def failed(op: Operation, arn: str, e: Exception) -> None:
            if error_code(e) in NOT_FOUND_CODES:  # deleted after ListServices listed it
                vanished.add(arn)
                gap(op, Vanished(f"App Runner service {arn} was deleted while it was read ({op.name}: "
                                 f"{error_code(e)}); it is not evaluated"))
            else:  # recorded as a gap; the other services go on
                gap(op, e)

        def describe(arn: str) -> dict[str, Any] | None:
            try:
                described: dict[str, Any] = client.describe_service(ServiceArn=arn)
                return described
            except Exception as e:
                failed(DESCRIBE_SERVICE, arn, e)
                return None

        def operations(arn: str) -> list[dict[str, Any]] | None:
            try:  # the newest operations come first; one page is enough to find the last deploy
                found: list[dict[str, Any]] = client.list_operations(
                    ServiceArn=arn, MaxResults=_page("ListOperations")).get("OperationSummaryList", [])
                return found
            except Exception as e:
                failed(LIST_OPERATIONS, arn, e)
                return None

        def domains(arn: str) -> list[dict[str, Any]] | None:
            try:
                return follow_tokens(client.describe_custom_domains, "CustomDomains", ServiceArn=arn,
                                     MaxResults=_page("DescribeCustomDomains"))
            except Exception as e:
                failed(DESCRIBE_DOMAINS, arn, e)
                return None

        arns = [s["ServiceArn"] for s in chosen]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            readers: tuple[tuple[str, Callable[[str], Any]], ...] = (
                ("service", describe), ("Operations", operations), ("CustomDomains", domains))
            jobs = {name: [pool.submit(fn, a) for a in arns] for name, fn in readers}
            out: list[dict[str, Any]] = []
            for i in range(len(arns)):
                described = jobs["service"][i].result()
                results = {key: jobs[key][i].result() for key in ("Operations", "CustomDomains")}
                if described is None or arns[i] in vanished:
                    continue
                for key, value in results.items():
                    if value is not None:
                        described[key] = value
                out.append(described)
            return out

    def fetch_connectors(client: Any, _gap: GapSink) -> list[dict[str, Any]]:
        return follow_tokens(client.list_vpc_connectors, "VpcConnectors", MaxResults=_page("ListVpcConnectors"))

    def fetch_connections(client: Any, _gap: GapSink) -> list[dict[str, Any]]:
        return follow_tokens(client.list_connections, "ConnectionSummaryList", MaxResults=_page("ListConnections"))

    def fetch_ascs(client: Any, _gap: GapSink) -> list[dict[str, Any]]:
        return follow_tokens(client.list_auto_scaling_configurations,
                             "AutoScalingConfigurationSummaryList", MaxResults=_page("ListAutoScalingConfigurations"))

    return [
        Task("services", LIST_SERVICES, region, fetch_services, transform_services),
        Task("vpc_connectors", LIST_CONNECTORS, region, fetch_connectors, transform_connectors),
        Task("connections", LIST_CONNECTIONS, region, fetch_connections, transform_connections),
        Task("autoscaling_summaries", LIST_ASCS, region, fetch_ascs, transform_asc_summaries),
    ]


def tags_task(region: str) -> Task:
    """Tags of the region's App Runner services, attached to them by `attach_tags`."""
    def fetch(client: Any, _gap: GapSink) -> list[dict[str, Any]]:
        return paginate(client, "GetResources", "ResourceTagMappingList",
                        ResourceTypeFilters=["apprunner:service"])

    def transform(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
        return [{"arn": r["ResourceARN"], "region": region,
                 "tags": {t["Key"]: t.get("Value", "") for t in r.get("Tags") or []}} for r in raw]
    return Task("apprunner_tags", GET_TAGGED, region, fetch, transform, TAGS_GAP)


def attach_tags(services: list[dict[str, Any]], tagged: list[dict[str, Any]]) -> None:
    by_arn = {t["arn"]: t["tags"] for t in tagged}
    for w in services:
        if w["platform"] == "apprunner":
            w["tags"] = by_arn.get(w["arn"], {})


def transform_connections(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [{"arn": c["ConnectionArn"], "name": c.get("ConnectionName"), "region": region,
             "provider": c.get("ProviderType"), "status": c.get("Status")} for c in raw]


def transform_asc_summaries(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [{"arn": a["AutoScalingConfigurationArn"], "name": a.get("AutoScalingConfigurationName"),
             "region": region, "revision": a.get("AutoScalingConfigurationRevision"),
             "status": a.get("Status"), "is_default": bool(a.get("IsDefault"))} for a in raw]


def autoscaling_task(region: str, arns: list[str]) -> Task:
    """Describes the auto scaling configurations that the collected services use."""
    def fetch(client: Any, gap: GapSink) -> list[dict[str, Any]]:
        out = []
        for arn in arns:
            try:
                out.append(client.describe_auto_scaling_configuration(
                    AutoScalingConfigurationArn=arn)["AutoScalingConfiguration"])
            except Exception as e:
                gap(DESCRIBE_ASC, e)
        return out
    return Task("autoscaling_configs", DESCRIBE_ASC, region, fetch, transform_autoscaling)
