"""ECS services (Fargate and Express Mode), their task definitions, running Fargate tasks, and
the load balancers and ACM certificates in front of them.

An ECS service becomes a workload record of the same shape as an App Runner service: its
`awsvpc` configuration is its egress attachment (`egress.awsvpc`), its containers' plain-text
environment goes through `summarize_env` (values never leave this module), and `secrets[]`
keeps each `valueFrom` reference. What only ECS has (execution and task roles, images, log
drivers, desired count, deployment maximum) sits beside it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from preflight.collect.aws import Operation
from preflight.collect.base import NOT_FOUND_CODES, GapSink, Task, Vanished, error_code, iso_time, paginate
from preflight.enums import (
    AWSLOGS,
    DEPLOYMENT_PRIMARY,
    DNS_VALIDATION,
    ECS_SERVICE_INACTIVE,
    FAILURE_MISSING,
    INTERNET_FACING,
    MANAGED_BY_ECS,
    PUBLIC_IP_ENABLED,
)

SERVICE = "ecs"
LIST_CLUSTERS = Operation(SERVICE, "ListClusters")
LIST_SERVICES = Operation(SERVICE, "ListServices")
DESCRIBE_SERVICES = Operation(SERVICE, "DescribeServices")
DESCRIBE_TASK_DEFINITION = Operation(SERVICE, "DescribeTaskDefinition")
DESCRIBE_EXPRESS = Operation(SERVICE, "DescribeExpressGatewayService")
LIST_TASKS = Operation(SERVICE, "ListTasks")
DESCRIBE_TASKS = Operation(SERVICE, "DescribeTasks")
DESCRIBE_TARGET_GROUPS = Operation("elbv2", "DescribeTargetGroups", "elasticloadbalancing")
DESCRIBE_LOAD_BALANCERS = Operation("elbv2", "DescribeLoadBalancers", "elasticloadbalancing")
DESCRIBE_LISTENERS = Operation("elbv2", "DescribeListeners", "elasticloadbalancing")
DESCRIBE_CERTIFICATE = Operation("acm", "DescribeCertificate")
OPERATIONS = (LIST_CLUSTERS, LIST_SERVICES, DESCRIBE_SERVICES, DESCRIBE_TASK_DEFINITION, DESCRIBE_EXPRESS,
              LIST_TASKS, DESCRIBE_TASKS, DESCRIBE_TARGET_GROUPS, DESCRIBE_LOAD_BALANCERS,
              DESCRIBE_LISTENERS, DESCRIBE_CERTIFICATE)

# A failed ECS read leaves ECS workloads unknown, not App Runner's: rules that would judge them
# name this collection in their needs.
ECS_GAP = ("ecs_services",)
EVENTS_KEPT = 50
CERT_GAP = ("certificates",)
INGRESS_GAP = ("certificates", "target_groups")


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def image_origin(image: str | None) -> dict[str, Any]:
    """Where an image is pulled from: private ECR (and its region), public ECR, or elsewhere."""
    text = image or ""
    host = text.split("/", 1)[0] if "/" in text else ""
    if ".dkr.ecr." in host and ".amazonaws.com" in host:
        region = host.split(".dkr.ecr.", 1)[1].split(".amazonaws.com", 1)[0]
        return {"registry": "ecr", "registry_region": region, "registry_account": host.split(".", 1)[0]}
    if host == "public.ecr.aws":
        return {"registry": "ecr-public", "registry_region": None, "registry_account": None}
    return {"registry": "other", "registry_region": None, "registry_account": None}


def _capacity(svc: dict[str, Any]) -> str | None:
    if svc.get("launchType"):
        return str(svc["launchType"])
    providers = {p.get("capacityProvider") for p in svc.get("capacityProviderStrategy") or []}
    if providers and providers <= {"FARGATE", "FARGATE_SPOT"}:
        return "FARGATE"
    return "CAPACITY_PROVIDER" if providers else None


def transform_service(svc: dict[str, Any], taskdef: dict[str, Any] | None, express: dict[str, Any] | None,
                      region: str) -> dict[str, Any]:
    from preflight.redact import summarize_env

    td = taskdef or {}
    containers = td.get("containerDefinitions") or []
    env: dict[str, str] = {}
    secrets: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    logs: set[str] = set()
    log_groups: list[dict[str, Any]] = []
    ports: list[int] = []
    shapes: list[dict[str, Any]] = []
    for c in containers:
        shapes.append({"name": c.get("name"), "cpu": c.get("cpu"), "memory": c.get("memory"),
                       "memory_reservation": c.get("memoryReservation"), "essential": c.get("essential", True),
                       "image": c.get("image"), "registry_credentials": bool(c.get("repositoryCredentials")),
                       "ports": [int(p["containerPort"]) for p in c.get("portMappings") or []
                                 if isinstance(p, dict) and isinstance(p.get("containerPort"), int)]})
        for e in c.get("environment") or []:
            if e.get("name"):
                env[e["name"]] = str(e.get("value", ""))
        for s in c.get("secrets") or []:
            secrets.append({"name": s["name"], "ref": s["valueFrom"], "container": c.get("name")})
        images.append({"container": c.get("name"), "image": c.get("image"), **image_origin(c.get("image"))})
        driver = (c.get("logConfiguration") or {}).get("logDriver")
        if driver:
            logs.add(str(driver))
        options = (c.get("logConfiguration") or {}).get("options") or {}
        if driver in AWSLOGS and options.get("awslogs-group"):
            log_groups.append({"container": c.get("name"), "group": options["awslogs-group"],
                               "region": options.get("awslogs-region") or region,
                               "stream_prefix": options.get("awslogs-stream-prefix"),
                               # the driver's awslogs-create-group option takes the string "true"
                               "create": str(options.get("awslogs-create-group", "")).lower() == "true"})
        ports += [int(p["containerPort"]) for p in c.get("portMappings") or [] if p.get("containerPort")]
    lb_ports = [int(lb["containerPort"]) for lb in svc.get("loadBalancers") or [] if lb.get("containerPort")]
    port = next(iter(lb_ports or ports), None)
    net = (svc.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    deploy = svc.get("deploymentConfiguration") or {}
    breaker = deploy.get("deploymentCircuitBreaker")
    # ECS lists the PRIMARY (newest) deployment first, then the ACTIVE ones it replaces
    rollouts = [{"id": d.get("id"), "type": "DEPLOYMENT", "status": d.get("rolloutState"),
                 "reason": d.get("rolloutStateReason"), "failed_tasks": d.get("failedTasks") or 0,
                 "primary": d.get("status") in DEPLOYMENT_PRIMARY,
                 "started_at": iso_time(d.get("createdAt")), "ended_at": iso_time(d.get("updatedAt"))}
                for d in sorted(svc.get("deployments") or [], key=lambda d: d.get("status") not in DEPLOYMENT_PRIMARY)]
    record: dict[str, Any] = {
        "arn": svc["serviceArn"], "name": svc["serviceName"], "id": None, "region": region,
        "platform": "ecs-express" if express is not None else "ecs",
        "status": svc.get("status"), "cluster": svc.get("clusterArn"),
        "launch_type": _capacity(svc), "task_definition": svc.get("taskDefinition"),
        "port": str(port or ""), "cpu": td.get("cpu"), "memory": td.get("memory"),
        "desired_count": svc.get("desiredCount"), "running_count": svc.get("runningCount"),
        "deployment_max_percent": deploy.get("maximumPercent"),
        "circuit_breaker": None if not isinstance(breaker, dict) else {
            "enable": breaker.get("enable") is True, "rollback": breaker.get("rollback") is True},
        "deployment_controller": (svc.get("deploymentController") or {}).get("type"),
        "health_check_grace": svc.get("healthCheckGracePeriodSeconds"),
        "requires_fargate": "FARGATE" in (td.get("requiresCompatibilities") or []),
        "cpu_architecture": (td.get("runtimePlatform") or {}).get("cpuArchitecture"),
        "containers": shapes,
        "lb_bindings": [{"target_group": lb.get("targetGroupArn"), "container": lb.get("containerName"),
                         "port": lb.get("containerPort")} for lb in svc.get("loadBalancers") or []
                        if lb.get("targetGroupArn")],
        "task_role_arn": td.get("taskRoleArn"), "execution_role_arn": td.get("executionRoleArn"),
        "network_mode": td.get("networkMode"),
        "egress": {"type": "VPC" if net else "DEFAULT", "connector_arn": None,
                   "awsvpc": None if not net else {
                       "subnets": list(net.get("subnets") or []),
                       "security_groups": list(net.get("securityGroups") or []),
                       "assign_public_ip": net.get("assignPublicIp") in PUBLIC_IP_ENABLED}},
        "env": summarize_env(env), "secrets": secrets, "images": images, "log_drivers": sorted(logs),
        "log_groups": log_groups,
        "target_groups": sorted({lb["targetGroupArn"] for lb in svc.get("loadBalancers") or []
                                 if lb.get("targetGroupArn")}),
        "tags": {t["key"]: t.get("value", "") for t in svc.get("tags") or [] if t.get("key")},
        "domains": [], "load_balancers": [], "operations": rollouts, "dns_target": None,
        # the service's newest events (ECS keeps the last 100), for `preflight diagnose`
        "events": [{"id": e.get("id"), "at": iso_time(e.get("createdAt")), "message": str(e.get("message") or "")[:500]}
                   for e in (svc.get("events") or [])[:EVENTS_KEPT]],
    }
    if express is not None:
        configs = express.get("activeConfigurations") or [{}]
        newest = max(configs, key=lambda c: str(c.get("createdAt") or ""))
        scaling = newest.get("scalingTarget") or {}
        status = express.get("status") or {}
        record["express"] = {
            "status": status.get("statusCode"), "reason": status.get("statusReason"),
            "infrastructure_role_arn": express.get("infrastructureRoleArn"),
            "min_tasks": scaling.get("minTaskCount"), "max_tasks": scaling.get("maxTaskCount"),
            "ingress": [{"access": p.get("accessType"), "endpoint": p.get("endpoint")}
                        for p in newest.get("ingressPaths") or []],
        }
        record["status"] = status.get("statusCode") or record["status"]
        record["dns_target"] = next((p["endpoint"] for p in record["express"]["ingress"] if p["endpoint"]), None)
    return record


def _matches(svc: dict[str, Any], wanted: frozenset[str]) -> bool:
    return not wanted or svc["serviceName"] in wanted or svc["serviceArn"] in wanted


def shared_clusters() -> Callable[[Any], list[str]]:
    """One ListClusters walk for the tasks of one region that need the cluster list: the first
    caller reads it, the others wait and get the same list (or the same error)."""
    lock = threading.Lock()
    memo: list[Any] = []

    def clusters(client: Any) -> list[str]:
        with lock:
            if not memo:
                try:
                    memo.append(_list_clusters(client))
                except Exception as e:
                    memo.append(e)
            if isinstance(memo[0], Exception):
                raise memo[0]
            return list(memo[0])
    return clusters


def region_tasks(region: str, wanted: frozenset[str] = frozenset()) -> list[Task]:
    """The services and running Fargate tasks of one region, reading its clusters once."""
    clusters = shared_clusters()
    return [services_task(region, wanted, clusters), fargate_tasks_task(region, clusters)]


def _list_clusters(client: Any) -> list[str]:
    return [str(a) for a in paginate(client, "ListClusters", "clusterArns")]


def services_task(region: str, wanted: frozenset[str] = frozenset(),
                  clusters: Callable[[Any], list[str]] = _list_clusters) -> Task:
    def fetch(client: Any, gap: GapSink) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        taskdefs: dict[str, dict[str, Any] | None] = {}
        for cluster in clusters(client):
            arns = paginate(client, "ListServices", "serviceArns", cluster=cluster)
            for batch in _chunks(arns, 10):
                try:
                    described = client.describe_services(cluster=cluster, services=batch, include=["TAGS"])
                except Exception as e:
                    gap(DESCRIBE_SERVICES, e)
                    continue
                out += [s for s in described.get("services", []) if _matches(s, wanted)
                        and s.get("status") not in ECS_SERVICE_INACTIVE]
                for failure in described.get("failures") or []:
                    if failure.get("reason") in FAILURE_MISSING:  # deleted after ListServices
                        gap(DESCRIBE_SERVICES, Vanished(
                            f"ECS service {failure.get('arn')} was deleted while it was read (DescribeServices: "
                            "MISSING); it is not evaluated"))
                    else:  # a service ECS would not describe is unknown, never absent
                        gap(DESCRIBE_SERVICES, RuntimeError(
                            f"{failure.get('reason')}: {failure.get('arn')} {failure.get('detail') or ''}".strip()))
        for svc in out:
            arn = svc.get("taskDefinition")
            if arn and arn not in taskdefs:
                try:
                    taskdefs[arn] = client.describe_task_definition(taskDefinition=arn)["taskDefinition"]
                except Exception as e:
                    gap(DESCRIBE_TASK_DEFINITION, e)
                    taskdefs[arn] = None
            svc["_taskdef"] = taskdefs.get(arn or "")
            if svc.get("resourceManagementType") in MANAGED_BY_ECS:
                try:
                    svc["_express"] = client.describe_express_gateway_service(
                        serviceArn=svc["serviceArn"], include=["TAGS"])["service"]
                except Exception as e:
                    if error_code(e) in NOT_FOUND_CODES:
                        gap(DESCRIBE_EXPRESS, Vanished(
                            f"ECS Express service {svc['serviceArn']} was deleted while it was read "
                            f"(DescribeExpressGatewayService: {error_code(e)}); it is not evaluated"))
                        svc["_gone"] = True
                    else:
                        gap(DESCRIBE_EXPRESS, e)
                    svc["_express"] = {}
        return [s for s in out if not s.get("_gone")]

    def transform(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
        return [transform_service(s, s.get("_taskdef"), s.get("_express"), region) for s in raw]

    return Task("services", LIST_CLUSTERS, region, fetch, transform, ECS_GAP)


def fargate_tasks_task(region: str, clusters: Callable[[Any], list[str]] = _list_clusters) -> Task:
    """Running Fargate tasks, for the vCPU they hold against the account's quota."""
    def fetch(client: Any, gap: GapSink) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for cluster in clusters(client):
            arns = paginate(client, "ListTasks", "taskArns", cluster=cluster,
                            launchType="FARGATE", desiredStatus="RUNNING")
            for batch in _chunks(arns, 100):
                try:
                    out += client.describe_tasks(cluster=cluster, tasks=batch).get("tasks", [])
                except Exception as e:
                    gap(DESCRIBE_TASKS, e)
        return out

    def transform(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
        return [{"arn": t["taskArn"], "region": region, "cluster": t.get("clusterArn"),
                 "group": t.get("group"), "cpu": t.get("cpu"), "status": t.get("lastStatus")} for t in raw]

    return Task("fargate_tasks", LIST_TASKS, region, fetch, transform)


def ingress_task(region: str, target_groups: list[str]) -> Task:
    """Load balancers in front of the services' target groups, with their HTTPS certificates."""
    def fetch(client: Any, gap: GapSink) -> list[dict[str, Any]]:
        groups: list[dict[str, Any]] = []
        for batch in _chunks(target_groups, 20):
            groups += client.describe_target_groups(TargetGroupArns=batch).get("TargetGroups", [])
        lb_arns = sorted({a for g in groups for a in g.get("LoadBalancerArns") or []})
        lbs: list[dict[str, Any]] = []
        for batch in _chunks(lb_arns, 20):
            try:
                lbs += client.describe_load_balancers(LoadBalancerArns=batch).get("LoadBalancers", [])
            except Exception as e:
                gap(DESCRIBE_LOAD_BALANCERS, e)
        for lb in lbs:
            try:
                lb["_listeners"] = paginate(client, "DescribeListeners", "Listeners",
                                            LoadBalancerArn=lb["LoadBalancerArn"])
            except Exception as e:
                gap(DESCRIBE_LISTENERS, e)
        return [{"groups": groups, "lbs": lbs}]

    def transform(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
        out = []
        for bundle in raw:
            by_lb = {lb["LoadBalancerArn"]: lb for lb in bundle["lbs"]}
            for g in bundle["groups"]:
                out.append({"kind": "target_group", "region": region, "arn": g["TargetGroupArn"],
                            "name": g.get("TargetGroupName"), "target_type": g.get("TargetType"),
                            "protocol": g.get("Protocol"), "port": g.get("Port"), "vpc": g.get("VpcId"),
                            "health_check": {"enabled": g.get("HealthCheckEnabled"),
                                             "protocol": g.get("HealthCheckProtocol"),
                                             "port": g.get("HealthCheckPort"), "path": g.get("HealthCheckPath"),
                                             "matcher": (g.get("Matcher") or {}).get("HttpCode")},
                            "load_balancers": list(g.get("LoadBalancerArns") or [])})
                for lb_arn in g.get("LoadBalancerArns") or []:
                    lb = by_lb.get(lb_arn) or {}
                    out.append({
                        "kind": "load_balancer",
                        "region": region, "target_group": g["TargetGroupArn"], "arn": lb_arn,
                        "scheme": lb.get("Scheme"), "dns_name": lb.get("DNSName"), "type": lb.get("Type"),
                        "security_groups": list(lb.get("SecurityGroups") or []),
                        "subnets": [z["SubnetId"] for z in lb.get("AvailabilityZones") or [] if z.get("SubnetId")],
                        "certificates": sorted({c["CertificateArn"] for li in lb.get("_listeners", [])
                                                for c in li.get("Certificates") or []
                                                if c.get("CertificateArn")}),
                    })
        return out

    return Task("ecs_ingress", DESCRIBE_TARGET_GROUPS, region, fetch, transform, INGRESS_GAP)


def certificates_task(region: str, arns: list[str]) -> Task:
    def fetch(client: Any, gap: GapSink) -> list[dict[str, Any]]:
        out = []
        for arn in arns:
            try:
                out.append(client.describe_certificate(CertificateArn=arn)["Certificate"])
            except Exception as e:
                gap(DESCRIBE_CERTIFICATE, e)
        return out

    def transform(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
        return [{
            "arn": c["CertificateArn"], "region": region, "name": c.get("DomainName"),
            "status": c.get("Status"), "type": c.get("Type"), "renewal": c.get("RenewalEligibility"),
            "not_after": iso_time(c.get("NotAfter")),
            "records": [{"name": (o.get("ResourceRecord") or {}).get("Name"),
                         "type": (o.get("ResourceRecord") or {}).get("Type"),
                         "value": (o.get("ResourceRecord") or {}).get("Value"),
                         "status": o.get("ValidationStatus"), "domain": o.get("DomainName")}
                        for o in c.get("DomainValidationOptions") or []
                        if o.get("ValidationMethod", "DNS") in DNS_VALIDATION and o.get("ResourceRecord")],
        } for c in raw]

    return Task("ecs_certificates", DESCRIBE_CERTIFICATE, region, fetch, transform, CERT_GAP)


def attach_ingress(services: list[dict[str, Any]], ingress: list[dict[str, Any]],
                   certificates: list[dict[str, Any]]) -> None:
    """Puts each ECS service's load balancers, and its certificates as domains, on its record."""
    by_group: dict[str, list[dict[str, Any]]] = {}
    groups = {g["arn"]: g for g in ingress if g.get("kind") == "target_group"}
    for lb in ingress:
        if lb.get("kind") != "target_group":
            by_group.setdefault(lb["target_group"], []).append(lb)
    certs = {c["arn"]: c for c in certificates}
    for w in services:
        if w["platform"] == "apprunner":
            continue
        lbs = {lb["arn"]: lb for tg in w.get("target_groups", []) for lb in by_group.get(tg, [])}
        served = {a: sorted({tg for tg in w.get("target_groups", []) for lb in by_group.get(tg, []) if lb["arn"] == a})
                  for a in lbs}
        w["load_balancers"] = [{"arn": a, "scheme": lb["scheme"], "dns_name": lb["dns_name"],
                                "type": lb.get("type"), "security_groups": lb.get("security_groups", []),
                                "subnets": lb.get("subnets", []), "target_groups": served[a]}
                               for a, lb in sorted(lbs.items())]
        w["target_group_details"] = [groups[tg] for tg in w.get("target_groups", []) if tg in groups]
        public = sorted({lb["dns_name"] for lb in lbs.values() if lb["scheme"] in INTERNET_FACING and lb["dns_name"]})
        if len(public) == 1:  # the name its domains must point at (an alias or a CNAME)
            w["dns_target"] = public[0]
        w["domains"] = [{"name": c["name"], "kind": "acm", "certificate_arn": c["arn"],
                         "status": c["status"], "www": False,
                         "records": [{k: r[k] for k in ("name", "type", "value", "status")}
                                     for r in c["records"]]}
                        for c in (certs.get(a) for a in sorted({a for lb in lbs.values()
                                                                for a in lb["certificates"]})) if c]
