"""ECS checks: can a Fargate task start (pull its image, fetch its secrets, ship its logs), is its
public IP doing what the service expects, and can ECS assume its execution role?

The rules that mean the same on App Runner and ECS (paths to databases and the internet, secrets
the role cannot read, the vCPU quota) are the NET, IAM, SEC and QTA checks over the same graph:
an ECS service's awsvpc network is its egress attachment there. This module holds only what is
ECS's own; the migration view from App Runner to ECS Express Mode is `checks.migration`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from preflight.checks.support.roles import (
    ECR_PULL,
    TASKS_PRINCIPAL,
    ecr_repository_arn,
    permission,
    role_ref,
    role_trust_hit,
    statement_json,
    trust_document,
    why_not_allowed,
    workload_network,
)
from preflight.checks.support.workloads import ecs_workloads, on_fargate
from preflight.enums import (
    AWSLOGS,
    ROUTE_ACTIVE,
    VPCE_AVAILABLE,
    VPCE_INTERFACE,
)
from preflight.findings import Fix, Severity
from preflight.graph import Rec, ResourceGraph, cluster_name, ref
from preflight.reach.egress import OK, Egress, attachment_egress, sg_admits
from preflight.refs import parse, partition_of
from preflight.registry import Hit, check, finding


def _network_update(w: Rec, subnets: list[str], sgs: list[str], public: bool) -> str:
    return (f"aws ecs update-service --region {w['region']} --cluster {cluster_name(w)} --service {w['name']} "
            f"--network-configuration 'awsvpcConfiguration={{subnets=[{','.join(subnets)}],"
            f"securityGroups=[{','.join(sgs)}],assignPublicIp={'ENABLED' if public else 'DISABLED'}}}'")


# --- ECS001: the path a task needs before its container starts ---------------------------------

@dataclass(frozen=True, slots=True)
class Need:
    """An AWS endpoint a task must reach before it runs, and why."""

    service: str  # endpoint suffix: ecr.api, ecr.dkr, s3, logs, secretsmanager, ssm
    why: str
    gateway: bool = False


def startup_needs(g: ResourceGraph, w: Rec) -> tuple[list[Need], list[str]]:
    """(endpoints a private start needs, things no endpoint in this VPC can serve)."""
    region = w["region"]
    needs: dict[str, Need] = {}
    outside: list[str] = []
    for img in w.get("images", []):
        if img.get("registry") == "ecr" and img.get("registry_region") == region:
            for svc in ("ecr.api", "ecr.dkr"):
                needs.setdefault(svc, Need(svc, f"pull {img['image']}"))
            needs.setdefault("s3", Need("s3", "image layers live in S3", gateway=True))
        elif img.get("registry") == "ecr":
            outside.append(f"image {img['image']} is in ECR in {img.get('registry_region')}, which an "
                           f"endpoint in {region} cannot serve")
        else:
            outside.append(f"image {img['image']} comes from a registry outside AWS's private network")
    if AWSLOGS & set(w.get("log_drivers", [])):
        needs.setdefault("logs", Need("logs", "the awslogs log driver"))
    for s in w.get("secrets", []):
        if s["ref"].startswith(("cfn:", "tf:")):
            continue
        r = parse(s["ref"], region, g.account)
        if r.region != region:
            outside.append(f"secret {s['name']} is in {r.region}, which an endpoint in {region} cannot serve")
            continue
        needs.setdefault(r.kind, Need(r.kind, f"inject {s['name']}"))
    return list(needs.values()), outside


def _endpoint_works(g: ResourceGraph, e: Rec, need: Need, subnet: Rec, table_id: str | None,
                    task_sgs: set[str]) -> bool:
    if e.get("state") not in VPCE_AVAILABLE:
        return False
    if need.gateway:
        return (e.get("type") or "").lower() == "gateway" and table_id in e.get("route_tables", [])
    if (e.get("type") or "").lower() not in VPCE_INTERFACE or not e.get("private_dns"):
        return False
    groups = [sg for sg in (g.security_group(e["region"], i) for i in e.get("security_groups", [])) if sg]
    if not groups:
        return True  # groups not in the snapshot: not judged
    return sg_admits(g, groups, subnet["cidr"], 443, task_sgs)


def missing_endpoints(g: ResourceGraph, w: Rec, conn: Rec, subnet: Rec, needs: list[Need]) -> list[Need]:
    endpoints = g.endpoints_by_vpc.get(f"{subnet['region']}:{subnet['vpc']}", [])
    table = g.route_table_for(subnet)
    task_sgs = {sg["id"] for sg in g.connector_security_groups(conn)}
    out = []
    for need in needs:
        name = f"com.amazonaws.{subnet['region']}.{need.service}"
        if not any(e.get("service") == name and _endpoint_works(g, e, need, subnet, table["id"] if table else None,
                                                               task_sgs) for e in endpoints):
            out.append(need)
    return out


def _endpoint_commands(region: str, vpc: str, subnets: list[str], tables: list[str], missing: list[Need]) -> list[str]:
    out = []
    for need in missing:
        name = f"com.amazonaws.{region}.{need.service}"
        if need.gateway:
            out.append(f"aws ec2 create-vpc-endpoint --region {region} --vpc-id {vpc} --vpc-endpoint-type Gateway "
                       f"--service-name {name} --route-table-ids {' '.join(tables)}")
        else:
            out.append(f"aws ec2 create-vpc-endpoint --region {region} --vpc-id {vpc} --vpc-endpoint-type Interface "
                       f"--service-name {name} --subnet-ids {' '.join(subnets)} "
                       "--security-group-ids <sg-admitting-443-from-the-tasks> --private-dns-enabled")
    return out


@check("ECS001")
def image_pull_path(g: ResourceGraph) -> Iterator[Hit]:
    for w in ecs_workloads(g):
        conn = g.connector_of(w)
        if conn is None or not on_fargate(w):
            continue
        subnets = [s for s in (g.subnet(conn["region"], i) for i in conn["subnets"]) if s]
        needs, outside = startup_needs(g, w)
        broken: list[tuple[Rec, Egress, list[Need]]] = []
        for subnet in subnets:
            eg = attachment_egress(g, conn, subnet)
            if eg.verdict != "none":
                continue  # the internet works (or cannot be verified): not judged here
            missing = missing_endpoints(g, w, conn, subnet, needs)
            if missing or outside:
                broken.append((subnet, eg, missing))
        if not broken:
            continue
        region = w["region"]
        first, eg, _ = broken[0]
        all_missing = list({n.service: n for _, _, m in broken for n in m}.values())
        parts = [f"{s['id']}: {e.reason}" for s, e, _ in broken]
        what = [f"no {n.service} endpoint ({n.why})" for n in all_missing] + outside
        tables = sorted({e.table["id"] for _, e, _ in broken if e.table})
        commands = _endpoint_commands(region, first["vpc"], [s["id"] for s, _, _ in broken], tables, all_missing)
        public = [s["id"] for s, e, _ in broken if e.route and e.route["target_type"] == "igw"]
        if public:  # the classic: public subnets, but no public IP on the tasks
            commands.insert(0, _network_update(w, list(conn["subnets"]), list(conn["security_groups"]), True))
        commands += [f"aws ec2 create-route --region {region} --route-table-id {t} "
                     "--destination-cidr-block 0.0.0.0/0 --nat-gateway-id <nat-id>" for t in tables
                     if not any(e.table and e.table["id"] == t and e.route and e.route["target_type"] == "igw"
                                for _, e, _ in broken)]
        yield finding(
            ref("workload", w),
            f"tasks of {w['name']} cannot start in {', '.join(s['id'] for s, _, _ in broken)}: no path to the "
            f"internet ({'; '.join(parts)}) and {'; '.join(what)}. They stop with CannotPullContainerError or "
            "ResourceInitializationError before the container runs",
            Fix(("Turn on assignPublicIp (the subnets route to an internet gateway), or give" if public else "Give")
                + " the task subnets a route to a NAT gateway, or create the VPC endpoints a private start "
                "needs" + (" (and move the image or secret into this region)" if outside else ""),
                tuple(commands)),
            related=(ref("vpc_connector", conn), ref("subnet", first)),
            path=(w["name"], conn["name"], first["id"], *((eg.table["id"],) if eg.table else ())),
        )


# --- ECS002 / ECS003: assignPublicIp ---------------------------------------------------------

def _igw_route(g: ResourceGraph, subnet: Rec) -> bool:
    _, route = g.route_for(subnet, "0.0.0.0/0")
    return bool(route and route["target_type"] == "igw" and route["state"] in ROUTE_ACTIVE)


@check("ECS002")
def public_ip_without_igw(g: ResourceGraph) -> Iterator[Hit]:
    for w in ecs_workloads(g):
        conn = g.connector_of(w)
        if conn is None or not conn.get("assign_public_ip"):
            continue
        subnets = [s for s in (g.subnet(conn["region"], i) for i in conn["subnets"]) if s]
        useless = [s for s in subnets if g.route_table_for(s) is not None and not _igw_route(g, s)]
        if not useless:
            continue
        via_nat = all(attachment_egress(g, conn, s).verdict == OK for s in useless)
        first = useless[0]
        table = g.route_table_for(first)
        assert table is not None
        yield finding(
            ref("subnet", first),
            f"{w['name']} gives its tasks public IPs, but {', '.join(s['id'] for s in useless)} "
            "route 0.0.0.0/0 to no internet gateway, so the public IP carries nothing"
            + ("; traffic leaves through the NAT gateway instead" if via_nat else
               "; with no NAT gateway either, tasks reach nothing outside the VPC"),
            Fix("Turn assignPublicIp off and rely on a NAT gateway, or run the tasks in subnets whose "
                "default route goes to an internet gateway",
                (_network_update(w, [s["id"] for s in subnets], list(conn["security_groups"]), False),)),
            related=(ref("workload", w), ref("vpc_connector", conn)),
            path=(w["name"], conn["name"], first["id"], table["id"]),
            severity=Severity.LOW if via_nat else None,
        )


def _fronted(w: Rec) -> bool:
    return bool(w.get("load_balancers") or (w.get("express") or {}).get("ingress"))


def _open_ingress(sgs: list[Rec]) -> list[str]:
    out = []
    for sg in sgs:
        for r in sg["ingress"]:
            if any(c in ("0.0.0.0/0", "::/0") for c in r["cidrs"] + r["ipv6_cidrs"]):
                ports = "all ports" if r["protocol"] == "-1" else f"port {r['from_port']}" + (
                    f"-{r['to_port']}" if r["to_port"] != r["from_port"] else "")
                out.append(f"{sg['id']} admits the internet on {ports}")
    return out


@check("ECS003")
def private_subnet_public_ip(g: ResourceGraph) -> Iterator[Hit]:
    for w in ecs_workloads(g):
        conn = g.connector_of(w)
        if conn is None or not conn.get("assign_public_ip") or not _fronted(w):
            continue
        subnets = [s for s in (g.subnet(conn["region"], i) for i in conn["subnets"]) if s]
        exposed = [s for s in subnets if _igw_route(g, s)]
        if not exposed:
            continue
        sgs = g.connector_security_groups(conn)
        opened = _open_ingress(sgs)
        front = "a load balancer" if w.get("load_balancers") else "its Express Mode endpoint"
        yield finding(
            ref("workload", w),
            f"{w['name']} is served through {front}, yet its tasks get public IPs in "
            f"{', '.join(s['id'] for s in exposed)} (routed to an internet gateway): anyone can reach "
            "them directly, around the load balancer"
            + (f"; {'; '.join(opened)}" if opened else "; only the security groups stand in the way"),
            Fix("Run the tasks in private subnets (default route to a NAT gateway) with assignPublicIp off, "
                "and admit only the load balancer's security group",
                (_network_update(w, ["<private-subnet-ids>"], list(conn["security_groups"]), False),)),
            related=(ref("vpc_connector", conn), *(ref("security_group", sg) for sg in sgs)),
            path=(w["name"], conn["name"], exposed[0]["id"]),
            severity=Severity.HIGH if opened else None,
        )


# --- ECS004: the execution role -------------------------------------------------------------

def _needs_execution_role(w: Rec) -> list[str]:
    why = []
    if any(i.get("registry") == "ecr" for i in w.get("images", [])):
        why.append("pull from private ECR")
    if AWSLOGS & set(w.get("log_drivers", [])):
        why.append("send logs with awslogs")
    return why


@check("ECS004")
def execution_role_trust(g: ResourceGraph) -> Iterator[Hit]:
    trust_doc = trust_document(TASKS_PRINCIPAL)
    for w in ecs_workloads(g):
        arn = w.get("execution_role_arn")
        if not arn:
            why = _needs_execution_role(w) if on_fargate(w) and not w["secrets"] else []
            if why:  # with secrets, IAM001 says it
                yield finding(
                    ref("workload", w),
                    f"{w['name']}'s task definition has no execution role, which Fargate needs to "
                    f"{' and '.join(why)}; tasks fail to start",
                    Fix("Create an execution role trusted by ecs-tasks.amazonaws.com with the "
                        "AmazonECSTaskExecutionRolePolicy, and register a task definition revision naming it",
                        (f"aws iam create-role --role-name {w['name'][:40]}-execution --assume-role-policy-document "
                         + trust_doc,
                         f"aws iam attach-role-policy --role-name {w['name'][:40]}-execution --policy-arn "
                         f"arn:{g.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")),
                    path=(w["name"],))
            continue
        hit = role_trust_hit(
            g, w, arn, TASKS_PRINCIPAL, "execution role",
            "tasks fail to start: ECS cannot assume it to pull the image or fetch secrets",
            Fix("Create the role, trusted by ecs-tasks.amazonaws.com, or register a task definition "
                "revision naming an existing one",
                (f"aws iam create-role --role-name {arn.rsplit('/', 1)[-1]} --assume-role-policy-document "
                 + trust_document(TASKS_PRINCIPAL),)))
        if hit is not None:
            yield hit


# --- ECS009: what the execution role may do -------------------------------------------------

# A stand-in task id for the log stream ARN: awslogs names streams prefix/container/task-id (or
# the task id alone without a prefix), and a policy scoped to a prefix must match it as it would
# the real stream.
REPRESENTATIVE_TASK_ID = "0123456789abcdef0123456789abcdef"


def _execution_needs(w: Rec, account: str) -> list[tuple[str, str, str]]:
    """(action, resource, why) the execution role must be allowed before a task starts."""
    out: list[tuple[str, str, str]] = []
    for img in w.get("images", []):
        repo = ecr_repository_arn(str(img.get("image") or ""))
        if repo is None:
            continue
        if not out:
            out.append(("ecr:GetAuthorizationToken", "*", f"pull {img['image']}"))
        out += [(a, repo[1], f"pull {img['image']}") for a in ECR_PULL if a != "ecr:BatchCheckLayerAvailability"]
    groups = w.get("log_groups")
    if groups:
        for lg in groups:
            if not isinstance(lg, dict) or not lg.get("group"):
                continue
            region = str(lg.get("region") or w["region"])
            prefix = lg.get("stream_prefix")
            stream = f"{prefix}/{lg.get('container')}/{REPRESENTATIVE_TASK_ID}" if prefix else REPRESENTATIVE_TASK_ID
            arn = (f"arn:{partition_of(region)}:logs:{region}:{account}:log-group:{lg['group']}"
                   f":log-stream:{stream}")
            if any(res == arn for _, res, _ in out):
                continue  # two containers writing the same group and prefix: one question
            out += [(a, arn, f"write {lg.get('container')}'s logs to {lg['group']}")
                    for a in ("logs:CreateLogStream", "logs:PutLogEvents")]
    elif AWSLOGS & set(w.get("log_drivers", [])):
        out += [(a, "*", "the awslogs log driver") for a in ("logs:CreateLogStream", "logs:PutLogEvents")]
    return out


@check("ECS009")
def execution_role_permissions(g: ResourceGraph) -> Iterator[Hit]:
    from preflight.iam import Decision

    for w in ecs_workloads(g):
        role = g.role(w.get("execution_role_arn"))
        if role is None or not role["exists"] or not role.get("complete", True):
            continue  # missing roles are ECS004's; unreadable ones a gap
        denied = []
        for action, resource, why in _execution_needs(w, g.account):
            service = action.split(":")[0]
            result = permission(g, role, action, resource,
                                workload_network(g, w, "ecr.api" if service == "ecr" else service))
            if not result.allowed:
                denied.append((action, resource, why, result))
        if not denied:
            continue
        certain = any(r.decision is not Decision.UNKNOWN for *_, r in denied)
        actions = sorted({a for a, *_ in denied})
        resources = sorted({res for _, res, *_ in denied})
        yield finding(
            role_ref(role),
            f"{w['name']}'s execution role {role['name']} "
            f"{'cannot' if certain else 'may not be able to'} do what a task needs before it starts: "
            + "; ".join(f"{why_not_allowed(r, a, res)} (to {why})" for a, res, why, r in denied)
            + ". Tasks stop with CannotPullContainerError or ResourceInitializationError",
            Fix("Attach AmazonECSTaskExecutionRolePolicy to the execution role, or allow the listed actions",
                (f"aws iam attach-role-policy --role-name {role['name']} --policy-arn "
                 f"arn:{g.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
                 f"aws iam put-role-policy --role-name {role['name']} --policy-name preflight-task-start "
                 f"--policy-document '{statement_json(actions, resources[0] if len(resources) == 1 else '*')}'")),
            related=(ref("workload", w),), path=(w["name"], role["name"]),
            severity=None if certain else Severity.MEDIUM)
