"""Deploy blockers past the network and the secrets: task shapes AWS refuses, load-balancer health
checks that cannot pass, images that do not exist or will not run, log groups that are not there,
subnets out of addresses, deployments that never fail, and Express Mode's infrastructure role.

Each rule judges what was read (a live scan, a plan) and stays silent where it was not: an image
record missing because ECR could not be read is a gap that leaves the rule not evaluated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from preflight.checks.support.roles import permission, role_ref, trust_document, trusts_service, why_not_allowed
from preflight.checks.support.workloads import ecs_workloads, on_fargate
from preflight.enums import (
    ARM64,
    AWSVPC,
    ECR_IMAGE_MALFORMED,
    ECR_IMAGE_MISSING,
    ECS_DEPLOYMENTS,
    TARGET_INSTANCE,
    X86_64,
)
from preflight.findings import Fix, Ref, Severity
from preflight.graph import Rec, ResourceGraph, cluster_name, ref
from preflight.iam import Decision
from preflight.reach.egress import sg_admits
from preflight.registry import Hit, check, finding


def _update(w: Rec, what: str) -> str:
    return f"aws ecs update-service --region {w['region']} --cluster {cluster_name(w)} --service {w['name']} {what}"


# --- ECS010: a task size Fargate does not offer ---------------------------------------------------

# Fargate's task sizes: CPU units -> (lowest MiB, highest MiB, step MiB)
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html
FARGATE_SIZES: dict[int, tuple[int, int, int]] = {
    256: (512, 2048, 512), 512: (1024, 4096, 1024), 1024: (2048, 8192, 1024), 2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024), 8192: (16384, 61440, 4096), 16384: (32768, 122880, 8192),
}


def fargate_memory_options(cpu: int) -> list[int]:
    low, high, step = FARGATE_SIZES[cpu]
    options = list(range(low, high + 1, step))
    return [512, 1024, 2048] if cpu == 256 else options


def parse_cpu(value: object) -> int | None:
    """Task CPU as units: "1024", 1024, "1 vCPU", "0.25 vcpu" (as a task definition may say it)."""
    text = str(value).strip().lower() if value is not None else ""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(vcpu)?", text)
    if not m:
        return None
    number = float(m[1])
    units = number * 1024 if m[2] else number
    return int(units) if units == int(units) else None


def parse_memory(value: object) -> int | None:
    """Task memory as MiB: "2048", 2048, "2 GB", "2gb", "512 MiB"."""
    text = str(value).strip().lower() if value is not None else ""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(gb|mib|mb)?", text)
    if not m:
        return None
    number = float(m[1])
    mib = number * 1024 if m[2] == "gb" else number
    return int(mib) if mib == int(mib) else None


def _size_problems(w: Rec) -> list[str]:
    cpu, memory = parse_cpu(w.get("cpu")), parse_memory(w.get("memory"))
    out: list[str] = []
    # a definition that names FARGATE among its compatibilities is held to Fargate's sizes wherever it runs
    if (on_fargate(w) or w.get("requires_fargate")) and cpu is not None and memory is not None:
        if cpu not in FARGATE_SIZES:
            out.append(f"task CPU {cpu} is not a Fargate size ({', '.join(map(str, FARGATE_SIZES))} units)")
        elif memory not in fargate_memory_options(cpu):
            low, high, step = FARGATE_SIZES[cpu]
            out.append(f"Fargate offers {cpu} CPU units with {low} to {high} MiB in steps of {step} MiB"
                       + (" (512, 1024 or 2048)" if cpu == 256 else "") + f", not {memory} MiB")
    containers = w.get("containers") or []
    if memory is not None:
        for c in containers:
            hard = parse_memory(c.get("memory"))
            if hard is not None and hard > memory:
                out.append(f"container {c.get('name')} has a hard memory limit of {hard} MiB, more than the "
                           f"task's {memory} MiB")
        reserved = sum(parse_memory(c.get("memory_reservation") or c.get("memory")) or 0 for c in containers)
        if reserved > memory:
            out.append(f"the containers reserve {reserved} MiB together, more than the task's {memory} MiB")
    if cpu is not None:
        units = sum(parse_cpu(c.get("cpu")) or 0 for c in containers)
        if units > cpu:
            out.append(f"the containers ask for {units} CPU units together, more than the task's {cpu}")
    return out


@check("ECS010")
def task_size_invalid(g: ResourceGraph) -> Iterator[Hit]:
    for w in ecs_workloads(g):
        problems = _size_problems(w)
        if not problems:
            continue
        cpu = parse_cpu(w.get("cpu"))
        near = cpu if cpu in FARGATE_SIZES else 1024
        yield finding(
            ref("workload", w),
            f"{w['name']}'s task definition cannot run: " + "; ".join(problems)
            + " (ECS refuses it: \"No Fargate configuration exists for given values\" / \"Invalid 'cpu' setting\")",
            Fix(f"Use a Fargate size, e.g. cpu {near} with memory {fargate_memory_options(near)[0]} MiB, and keep "
                "every container's limits within the task's",
                (f"aws ecs register-task-definition --cli-input-json file://taskdef.json  "
                 f"# with \"cpu\": \"{near}\", \"memory\": \"{fargate_memory_options(near)[0]}\"",)),
            path=(w["name"],))


# --- ECS011: a load-balancer health check that cannot succeed ----------------------------------

def _bound_port(w: Rec, tg: str) -> int | None:
    for b in w.get("lb_bindings") or []:
        if b.get("target_group") == tg and isinstance(b.get("port"), int):
            return int(b["port"])
    return int(w["port"]) if str(w.get("port") or "").isdigit() else None


def _container_ports(w: Rec) -> set[int]:
    return {p for c in w.get("containers") or [] for p in c.get("ports") or []}


@check("ECS011")
def health_check_cannot_pass(g: ResourceGraph) -> Iterator[Hit]:
    for w in ecs_workloads(g):
        lbs = w.get("load_balancers") or []
        for tg in w.get("target_group_details") or []:
            port = _bound_port(w, tg["arn"])
            hc = tg.get("health_check") or {}
            problems: list[str] = []
            severity: Severity | None = None
            commands: list[str] = []
            if w.get("network_mode") in AWSVPC and tg.get("target_type") in TARGET_INSTANCE:
                problems.append(f"target group {tg.get('name')} has target type instance, but awsvpc tasks are "
                                "registered by IP address: ECS cannot register them")
                commands.append(f"aws elbv2 create-target-group --region {w['region']} --name {tg.get('name')}-ip "
                                f"--target-type ip --protocol {tg.get('protocol') or 'HTTP'} --port {port or 80} "
                                f"--vpc-id {tg.get('vpc')}")
                severity = Severity.CRITICAL
            hc_port = str(hc.get("port") or "traffic-port")
            if hc.get("enabled") is not False and hc_port.isdigit() and port is not None \
                    and int(hc_port) != port and int(hc_port) not in _container_ports(w):
                problems.append(f"its health check probes port {hc_port}, where no container of the task listens "
                                f"(traffic goes to {port})")
                commands.append(f"aws elbv2 modify-target-group --region {w['region']} --target-group-arn {tg['arn']} "
                                "--health-check-port traffic-port")
            awsvpc = (w.get("egress") or {}).get("awsvpc") or {}
            task_groups = [sg for sg in (g.security_group(w["region"], i) for i in awsvpc.get("security_groups") or [])
                           if sg is not None]
            groups_read = bool(task_groups) and len(task_groups) == len(awsvpc.get("security_groups") or [])
            for lb in lbs:
                if tg["arn"] not in lb.get("target_groups", [tg["arn"]]) or not lb.get("security_groups") \
                        or port is None or not groups_read:
                    continue
                subnets = [s for s in (g.subnet(w["region"], i) for i in lb.get("subnets") or []) if s]
                if not subnets or len(subnets) != len(lb.get("subnets") or []):
                    continue  # where the load balancer's nodes sit is not known: undecided, not judged
                lb_groups = set(lb["security_groups"])
                blocked = [s["id"] for s in subnets
                           if s.get("cidr") and not sg_admits(g, task_groups, s["cidr"], port, lb_groups)]
                if blocked:
                    problems.append(f"the tasks' security groups ({', '.join(sg['id'] for sg in task_groups)}) do "
                                    f"not admit the load balancer ({', '.join(sorted(lb_groups))}) on TCP {port}")
                    commands.append(f"aws ec2 authorize-security-group-ingress --region {w['region']} --group-id "
                                    f"{task_groups[0]['id']} --protocol tcp --port {port} "
                                    f"--source-group {lb['security_groups'][0]}")
            if problems:
                yield finding(
                    Ref(tg.get("name") or tg["arn"], "lb_target_group", w["region"], tg["arn"]),
                    f"{w['name']}'s tasks can never pass the load balancer's health check: " + "; ".join(problems)
                    + ". ECS stops each task as unhealthy and starts another (\"Task failed ELB health checks\"), "
                    "and clients get 502/503",
                    Fix("Register the tasks by IP on the container port, probe that port (traffic-port), and admit the "
                        "load balancer's security group to the tasks on it", tuple(commands)),
                    related=(ref("workload", w),), path=(w["name"], tg.get("name") or tg["arn"]), severity=severity)


@check("ECS020")
def no_health_check_grace(g: ResourceGraph) -> Iterator[Hit]:
    for w in ecs_workloads(g):
        if w["platform"] != "ecs" or not w.get("target_groups") or "health_check_grace" not in w:
            continue
        if w.get("health_check_grace"):
            continue
        yield finding(
            ref("workload", w),
            f"{w['name']} sits behind a load balancer with no health check grace period: the target group's "
            "health checks count from the moment a task is registered, so an app that needs longer to start "
            "than the unhealthy threshold allows is stopped before it ever serves (a heuristic: preflight "
            "cannot know how long the app takes to start)",
            Fix("Give the service a grace period longer than the app's start-up",
                (_update(w, "--health-check-grace-period-seconds 60"),)),
            path=(w["name"],))


# --- ECS012 / ECS013 / ECS014 / ECS015: images -------------------------------------------------

def _images(w: Rec) -> list[tuple[str, str | None]]:
    """(image reference, container) of a workload."""
    out = [(str(i.get("image") or ""), i.get("container")) for i in w.get("images") or []]
    src = w.get("source") or {}
    if w["platform"] == "apprunner" and src.get("type") == "image" and src.get("image"):
        out.append((str(src["image"]), None))
    return out


def _image_records(g: ResourceGraph) -> dict[str, Rec]:
    return {str(r["image"]): r for r in g.snapshot["resources"].get("ecr_images", [])}


@check("ECS012")
def image_not_found(g: ResourceGraph) -> Iterator[Hit]:
    records = _image_records(g)
    for w in g.workloads:
        for image, container in _images(w):
            rec = records.get(image)
            if rec is None or rec["state"] == "present" or (rec.get("error") or "") in ECR_IMAGE_MALFORMED:
                continue
            where = f"{rec['account']}'s {rec['region']} registry"
            if rec["state"] == "missing-repository":
                why = f"repository {rec['repository']} does not exist in {where}"
                severity = None
            elif (rec.get("error") or "") in ECR_IMAGE_MISSING:
                why = f"repository {rec['repository']} has no image {rec['reference']}"
                severity = None
            else:
                why = f"ECR could not return it ({rec.get('error')}: {rec.get('reason') or 'no reason given'})"
                severity = Severity.MEDIUM
            yield finding(
                Ref(image, "container_image", rec["region"]),
                f"{w['name']}{f' (container {container})' if container else ''} runs {image}, but {why}; the "
                "deployment cannot pull it (CannotPullContainerError / App Runner \"Failed to pull your image\")",
                Fix("Push the image (or fix the tag) before deploying, or point the service at one that exists",
                    (f"aws ecr describe-images --region {rec['region']} --registry-id {rec['account']} "
                     f"--repository-name {rec['repository']} --query 'imageDetails[].imageTags'",
                     f"docker push {rec['account']}.dkr.ecr.{rec['region']}.amazonaws.com/{rec['repository']}:"
                     f"{rec['reference'] if not rec['reference'].startswith('sha256:') else '<tag>'}")),
                related=(ref("workload", w),), path=(w["name"], image), severity=severity)


# ECS's CPU architectures as OCI platforms name them
_DOCKER_ARCH = {**dict.fromkeys(X86_64, "amd64"), **dict.fromkeys(ARM64, "arm64")}


@check("ECS013")
def image_architecture_mismatch(g: ResourceGraph) -> Iterator[Hit]:
    records = _image_records(g)
    for w in g.workloads:
        if w["platform"] == "apprunner":
            wanted, platform = "amd64", "App Runner (x86-64 only)"
        elif on_fargate(w):
            arch = str(w.get("cpu_architecture") or "X86_64")
            wanted, platform = _DOCKER_ARCH.get(arch, arch.lower()), f"the task ({arch})"
        else:
            continue  # EC2 capacity: the instances' architecture decides, and preflight does not read them
        for image, _container in _images(w):
            rec = records.get(image)
            archs = rec.get("architectures") if rec else None
            if not archs or wanted in archs:
                continue
            arm = w["platform"] != "apprunner" and "arm64" in archs
            yield finding(
                Ref(image, "container_image", rec["region"] if rec else w["region"]),
                f"{image} is built for {', '.join(archs)} only, but {w['name']} runs on {platform}; the container "
                "exits at once with \"exec format error\"",
                Fix("Build the image for the platform it runs on (docker buildx build --platform linux/amd64, or a "
                    "multi-platform image)" + (", or run the task on ARM64" if arm else ""),
                    ("docker buildx build --platform linux/amd64,linux/arm64 -t " + image + " --push .",
                     *([_update(w, "--task-definition <revision with runtimePlatform cpuArchitecture=ARM64>")]
                       if arm else []))),
                related=(ref("workload", w),), path=(w["name"], image))


# The reference grammar docker and containerd parse (github.com/distribution/reference): a
# lower-case path of components, an optional registry host[:port] first, then :tag and/or @digest.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?)"
_REFERENCE = re.compile(rf"^(?:{_HOST}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::[\w][\w.-]{{0,127}})?"
                        r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$")


def reference_problem(image: str) -> str | None:
    """Why docker would refuse `image` as a reference ("invalid reference format"), or None."""
    if not image:
        return "it is empty"
    if "://" in image:
        return "it has a URL scheme; a reference is host/path:tag"
    if len(image) > 255:
        return "it is longer than the 255 characters ECS allows"
    if not _REFERENCE.match(image):
        name = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.split("/")[-1] else image.split("@")[0]
        first = name.split("/")[0]
        path = name.split("/", 1)[1] if "/" in name and ("." in first or ":" in first) else name
        if path != path.lower():
            return "its repository path has upper-case letters"
        if re.search(r"\s", image):
            return "it contains white space"
        return "it is not host/path:tag or host/path@sha256:digest"
    return None


@check("ECS014")
def image_reference_invalid(g: ResourceGraph) -> Iterator[Hit]:
    records = _image_records(g)
    for w in g.workloads:
        for image, container in _images(w):
            if image.startswith(("cfn:", "tf:", "(known")):
                continue  # known only when the plan is applied
            problem = reference_problem(image)
            rec = records.get(image)
            if problem is None and rec is not None and (rec.get("error") or "") in ECR_IMAGE_MALFORMED:
                problem = f"ECR refuses its tag or digest ({rec['error']})"
            if problem is None:
                continue
            yield finding(
                Ref(image or "(empty)", "container_image", w["region"]),
                f"{w['name']}{f' (container {container})' if container else ''} names the image {image!r}, which "
                f"cannot be pulled: {problem} (\"invalid reference format\")",
                Fix("Write the image as registry/repository:tag in lower case, e.g. "
                    "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.2.3"),
                related=(ref("workload", w),), path=(w["name"],))


_DOCKER_HUB = ("docker.io/", "index.docker.io/", "registry-1.docker.io/")


def docker_hub(image: str) -> bool:
    """An image Docker Hub serves: no registry host (a first component without '.' or ':' that is
    not localhost), or Docker Hub's own host names."""
    if image.startswith(_DOCKER_HUB):
        return True
    first = image.split("/", 1)[0]
    return "/" not in image or ("." not in first and ":" not in first and first != "localhost")


@check("ECS015")
def docker_hub_anonymous(g: ResourceGraph) -> Iterator[Hit]:
    for w in ecs_workloads(g):
        for c in w.get("containers") or []:
            image = str(c.get("image") or "")
            if not image or c.get("registry_credentials") or not docker_hub(image) or reference_problem(image):
                continue
            yield finding(
                Ref(image, "container_image", w["region"]),
                f"{w['name']}'s container {c.get('name')} pulls {image} from Docker Hub without credentials; Docker "
                "Hub limits anonymous pulls per source address, and tasks behind one NAT gateway share it, so a "
                "scale-out or redeploy fails with \"toomanyrequests\" (a heuristic: the limit depends on traffic)",
                Fix("Copy the image to ECR (or an ECR pull-through cache rule), or give the container "
                    "repositoryCredentials for a Docker Hub account",
                    (f"aws ecr create-pull-through-cache-rule --region {w['region']} "
                     "--ecr-repository-prefix docker-hub --upstream-registry-url registry-1.docker.io "
                     "--credential-arn <secret-arn>",)),
                related=(ref("workload", w),), path=(w["name"], str(c.get("name"))))


# --- ECS016: the awslogs group ---------------------------------------------------------------

@check("ECS016")
def log_group_missing(g: ResourceGraph) -> Iterator[Hit]:
    known = {(r["region"], r["name"]): r for r in g.snapshot["resources"].get("log_groups", [])}
    for w in ecs_workloads(g):
        for lg in w.get("log_groups") or []:
            rec = known.get((str(lg.get("region") or w["region"]), str(lg.get("group"))))
            if rec is None or rec["exists"]:
                continue
            region = str(lg.get("region") or w["region"])
            role = g.role(w.get("execution_role_arn"))
            arn = f"arn:{g.partition}:logs:{region}:{g.account}:log-group:{lg['group']}"
            if lg.get("create"):
                if role is None or not role.get("exists"):
                    continue  # no role to judge: ECS004 and the gaps speak for it
                result = permission(g, role, "logs:CreateLogGroup", arn)
                if result.allowed:
                    continue
                why = (f"the container asks the driver to create it (awslogs-create-group), but "
                       f"{why_not_allowed(result, 'logs:CreateLogGroup', arn)} for the execution role {role['name']}")
                severity = Severity.MEDIUM if result.decision is Decision.UNKNOWN else None
            else:
                why = "and nothing creates it (no awslogs-create-group)"
                severity = None
            yield finding(
                Ref(str(lg["group"]), "cloudwatch_log_group", region, arn),
                f"{w['name']}'s container {lg.get('container')} logs to {lg['group']} in {region}, which does not "
                f"exist, {why}; tasks stop before the container starts (ResourceInitializationError: failed to "
                "validate logger args ... The specified log group does not exist)",
                Fix("Create the log group before deploying",
                    (f"aws logs create-log-group --region {region} --log-group-name {lg['group']}",)),
                related=(ref("workload", w), *((role_ref(role),) if role else ())),
                path=(w["name"], str(lg["group"])), severity=severity)


# --- ECS017: subnets without the addresses a deployment needs ------------------------------------

@check("ECS017")
def subnet_addresses_exhausted(g: ResourceGraph) -> Iterator[Hit]:
    for w in ecs_workloads(g):
        awsvpc = (w.get("egress") or {}).get("awsvpc") or {}
        subnets = [g.subnet(w["region"], s) for s in awsvpc.get("subnets") or []]
        if not subnets or any(s is None or not isinstance(s.get("available_ips"), int) for s in subnets):
            continue
        if w["platform"] == "ecs-express":
            peak = int((w.get("express") or {}).get("max_tasks") or 0)
        else:
            desired = w.get("desired_count")
            if not isinstance(desired, int):
                continue
            peak = math.ceil(desired * int(w.get("deployment_max_percent") or 200) / 100)
        free = sum(int(s["available_ips"]) for s in subnets if s)
        if peak <= free:
            continue
        ids = [s["id"] for s in subnets if s]
        yield finding(
            ref("workload", w),
            f"{w['name']} needs up to {peak} task network interfaces during a deployment (one address each), but "
            f"its subnets ({', '.join(ids)}) have {free} free addresses; tasks beyond that fail to start "
            "(\"ENI ... insufficient free addresses in subnet\") and the rollout stalls",
            Fix("Add subnets with free addresses to the service (or free addresses in these), or lower the "
                "deployment's maximum percent",
                (_update(w, "--deployment-configuration maximumPercent=100,minimumHealthyPercent=50")
                 if w["platform"] == "ecs" else
                 f"aws ec2 create-subnet --region {w['region']} --vpc-id <vpc> --cidr-block <free /24>",)),
            path=(w["name"], *ids))


# --- ECS018: deployments that never fail ---------------------------------------------------------

@check("ECS018")
def deployment_never_fails(g: ResourceGraph) -> Iterator[Hit]:
    for w in ecs_workloads(g):
        if w["platform"] != "ecs" or "circuit_breaker" not in w:
            continue  # Express Mode rolls back on its own; older snapshots did not read the setting
        if (w.get("deployment_controller") or "ECS") not in ECS_DEPLOYMENTS:
            continue  # CodeDeploy or an external controller decides
        breaker = w.get("circuit_breaker") or {}
        if breaker.get("enable") and breaker.get("rollback"):
            continue
        state = "enabled without rollback" if breaker.get("enable") else "off"
        yield finding(
            ref("workload", w),
            f"{w['name']}'s deployment circuit breaker is {state}: a revision whose tasks never become healthy "
            "keeps ECS replacing them for hours, the deployment stays IN_PROGRESS, and a pipeline that waits "
            "on it neither fails nor rolls back",
            Fix("Turn on the circuit breaker with rollback, and have CI wait for the rollout's state rather than "
                "for a timeout",
                (_update(w, "--deployment-configuration 'deploymentCircuitBreaker={enable=true,rollback=true}'"),
                 f"aws ecs describe-services --region {w['region']} --cluster {cluster_name(w)} --services "
                 f"{w['name']} --query 'services[0].deployments[0].rolloutState'  # poll: COMPLETED passes, "
                 "FAILED fails the job")),
            path=(w["name"],))


# --- ECS019: Express Mode's infrastructure role --------------------------------------------------

EXPRESS_POLICY = "AmazonECSInfrastructureRoleforExpressGatewayServices"
INFRA_PRINCIPAL = "ecs.amazonaws.com"


@check("ECS019")
def express_infrastructure_role(g: ResourceGraph) -> Iterator[Hit]:
    for w in ecs_workloads(g):
        if w["platform"] != "ecs-express":
            continue
        arn = (w.get("express") or {}).get("infrastructure_role_arn")
        role = g.role(arn) if arn else None
        create = (f"aws iam create-role --role-name ecsInfrastructureRoleForExpressServices "
                  f"--assume-role-policy-document {trust_document(INFRA_PRINCIPAL)}",
                  "aws iam attach-role-policy --role-name ecsInfrastructureRoleForExpressServices --policy-arn "
                  f"arn:{g.partition}:iam::aws:policy/service-role/{EXPRESS_POLICY}")
        if not arn:
            problem, severity, subject = "has no infrastructure role", None, ref("workload", w)
        elif role is None:
            continue  # not read: the gap says so
        elif not role.get("exists"):
            problem, severity, subject = f"names the infrastructure role {arn}, which does not exist", None, \
                Ref(arn.rsplit("/", 1)[-1], "iam_role", None, arn)
        else:
            trusted = trusts_service(role.get("trust"), INFRA_PRINCIPAL, arn, g.account)
            managed = any(p.get("name") == EXPRESS_POLICY for p in role.get("policies") or [])
            if trusted is True and managed:
                continue
            parts = []
            if trusted is not True:
                parts.append(f"{'may not be' if trusted is None else 'is not'} assumable by {INFRA_PRINCIPAL}")
            if not managed:
                parts.append(f"does not have the {EXPRESS_POLICY} managed policy (its own policies may grant the "
                             "same; preflight does not judge them against everything Express creates)")
            problem = f"has the infrastructure role {role['name']}, which " + " and ".join(parts)
            severity = Severity.MEDIUM if trusted is True or trusted is None else None
            subject = role_ref(role)
        yield finding(
            subject,
            f"Express Mode service {w['name']} {problem}; Express uses that role to create and change the load "
            "balancer, target groups, security groups and scaling for the service, so its deployments fail",
            Fix(f"Use a role trusted by {INFRA_PRINCIPAL} with the {EXPRESS_POLICY} managed policy", create),
            related=(ref("workload", w),), path=(w["name"],), severity=severity)
