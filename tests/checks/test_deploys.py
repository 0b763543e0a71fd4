"""Fixtures for the deploy blockers ECS010-ECS020: each asserts the exact resources that fail, and
each rule has a world it passes. The AWS page behind each verdict is cited in its test."""

from __future__ import annotations

from typing import Any

import pytest

from preflight import engine
from preflight.checks.deploys import FARGATE_SIZES, fargate_memory_options, parse_cpu, parse_memory, reference_problem
from preflight.findings import Severity
from tests.builders import ACCOUNT, Snap, fired, rule

ECR = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"


def run(s: Snap, *rules: str) -> engine.RunResult:
    return engine.run(s.doc(), tuple(rules) or None)


def _world(**extra: Any) -> tuple[Snap, str, dict[str, Any]]:
    s = Snap()
    vpc = s.vpc("10.0.0.0/16")
    subnet = s.subnet(vpc, "10.0.1.0/24")
    sg = s.sg(vpc, ingress=[rule("tcp", 8080, 8080, groups=["sg-lb"])])
    arn = s.ecs_service("api", [subnet], [sg])
    w = s.find("services", arn)
    w.update(containers=[{"name": "app", "cpu": 256, "memory": 512, "memory_reservation": None, "essential": True,
                          "image": w["images"][0]["image"], "registry_credentials": False, "ports": [8080]}],
             requires_fargate=True, cpu_architecture=None, circuit_breaker={"enable": True, "rollback": True},
             deployment_controller="ECS", health_check_grace=60, lb_bindings=[], target_group_details=[])
    w.update(extra)
    return s, arn, w


# --- ECS010 task-size-invalid ----------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html

VALID = [(cpu, mem) for cpu in FARGATE_SIZES for mem in fargate_memory_options(cpu)]
INVALID = [(256, 4096), (256, 1536), (512, 512), (512, 5120), (1024, 1024), (1024, 9216), (2048, 3072),
           (2048, 4608), (4096, 31744), (8192, 18432), (8192, 65536), (16384, 36864), (16384, 131072),
           (128, 512), (3072, 8192), (32768, 65536)]


def test_the_fargate_table_has_every_documented_size() -> None:
    assert len(VALID) == 3 + 4 + 7 + 13 + 23 + 12 + 12
    assert (256, 512) in VALID and (4096, 30720) in VALID and (8192, 61440) in VALID and (16384, 122880) in VALID


@pytest.mark.parametrize(("cpu", "memory"), VALID)
def test_ecs010_every_fargate_size_passes(cpu: int, memory: int) -> None:
    s, _, w = _world(cpu=str(cpu), memory=str(memory))
    w["containers"][0].update(cpu=None, memory=None)
    assert fired(run(s, "ECS010"), "ECS010") == set()


@pytest.mark.parametrize(("cpu", "memory"), INVALID)
def test_ecs010_sizes_fargate_does_not_offer_fail(cpu: int, memory: int) -> None:
    s, _, w = _world(cpu=str(cpu), memory=str(memory))
    w["containers"][0].update(cpu=None, memory=None)
    assert fired(run(s, "ECS010"), "ECS010") == {"api"}


@pytest.mark.parametrize(("text", "units"), [("1024", 1024), ("1 vCPU", 1024), ("0.25 vcpu", 256), ("2vCPU", 2048),
                                             (512, 512), ("", None), ("lots", None), (None, None)])
def test_cpu_is_read_as_a_task_definition_writes_it(text: object, units: int | None) -> None:
    assert parse_cpu(text) == units


@pytest.mark.parametrize(("text", "mib"), [("2048", 2048), ("2 GB", 2048), ("0.5GB", 512), ("512 MiB", 512),
                                           (1024, 1024), ("big", None)])
def test_memory_is_read_as_a_task_definition_writes_it(text: object, mib: int | None) -> None:
    assert parse_memory(text) == mib


def test_ecs010_the_vcpu_and_gb_forms_pass_and_fail_like_the_numbers() -> None:
    s, _, _w = _world(cpu="1 vCPU", memory="2 GB")
    assert fired(run(s, "ECS010"), "ECS010") == set()
    s, _, _w = _world(cpu="1 vCPU", memory="1 GB")
    assert fired(run(s, "ECS010"), "ECS010") == {"api"}


def test_ecs010_container_limits_beyond_the_task_fail_on_any_launch_type() -> None:
    """API_ContainerDefinition: container memory within the task's; reservations and CPU add up."""
    s, _, w = _world(cpu="1024", memory="2048", launch_type="EC2", requires_fargate=False)
    w["containers"][0].update(memory=4096)
    assert fired(run(s, "ECS010"), "ECS010") == {"api"}
    s, _, w = _world(cpu="1024", memory="2048")
    w["containers"] = [dict(w["containers"][0], name=n, cpu=512, memory=None, memory_reservation=768)
                       for n in ("a", "b", "c")]
    result = run(s, "ECS010")
    assert fired(result, "ECS010") == {"api"}
    assert "2304 MiB together" in result.findings[0].message and "1536 CPU units" in result.findings[0].message


def test_ecs010_ec2_tasks_are_not_held_to_the_fargate_table() -> None:
    s, _, w = _world(cpu="3072", memory="5000", launch_type="EC2", requires_fargate=False)
    w["containers"][0].update(cpu=None, memory=None)
    assert fired(run(s, "ECS010"), "ECS010") == set()


def test_ecs010_unknown_sizes_are_not_judged() -> None:
    s, _, _w = _world(cpu=None, memory=None)
    assert fired(run(s, "ECS010"), "ECS010") == set()


# --- ECS011 health-check-cannot-pass -------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/troubleshoot-service-load-balancers.html
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html

TG = "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/api/0123456789abcdef"


def _lb_world(*, target_type: str = "ip", hc_port: str = "traffic-port", lb_sg: str = "sg-lb",
              task_ingress: list[dict[str, Any]] | None = None, lb_subnets: bool = True) -> Snap:
    s = Snap()
    vpc = s.vpc("10.0.0.0/16")
    subnet = s.subnet(vpc, "10.0.1.0/24")
    public = s.subnet(vpc, "10.0.100.0/24")
    sg = s.sg(vpc, ingress=task_ingress if task_ingress is not None else [rule("tcp", 8080, 8080, groups=["sg-lb"])])
    arn = s.ecs_service("api", [subnet], [sg])
    w = s.find("services", arn)
    w.update(containers=[{"name": "app", "cpu": None, "memory": None, "memory_reservation": None, "essential": True,
                          "image": "x", "registry_credentials": True, "ports": [8080]}],
             lb_bindings=[{"target_group": TG, "container": "app", "port": 8080}], target_groups=[TG],
             health_check_grace=60,
             target_group_details=[{"kind": "target_group", "region": "us-east-1", "arn": TG, "name": "api",
                                    "target_type": target_type, "protocol": "HTTP", "port": 80, "vpc": vpc,
                                    "health_check": {"enabled": True, "protocol": "HTTP", "port": hc_port,
                                                     "path": "/health", "matcher": "200"},
                                    "load_balancers": ["arn:lb"]}],
             load_balancers=[{"arn": "arn:lb", "scheme": "internet-facing", "dns_name": "lb.example",
                              "type": "application", "security_groups": [lb_sg],
                              "subnets": [public] if lb_subnets else [], "target_groups": [TG]}])
    return s


def test_ecs011_a_sound_target_group_passes() -> None:
    assert fired(run(_lb_world(), "ECS011"), "ECS011") == set()


def test_ecs011_a_cidr_rule_covering_the_load_balancer_subnets_admits_it() -> None:
    s = _lb_world(task_ingress=[rule("tcp", 8000, 9000, cidrs=["10.0.0.0/16"])])
    assert fired(run(s, "ECS011"), "ECS011") == set()


def test_ecs011_instance_targets_for_awsvpc_tasks_fail_critical() -> None:
    result = run(_lb_world(target_type="instance"), "ECS011")
    assert fired(result, "ECS011") == {"api"}
    assert result.findings[0].severity is Severity.CRITICAL


def test_ecs011_a_health_check_on_another_port_fails() -> None:
    result = run(_lb_world(hc_port="9000"), "ECS011")
    assert fired(result, "ECS011") == {"api"}
    assert any("--health-check-port traffic-port" in c for c in result.findings[0].fix.commands)


def test_ecs011_a_health_check_on_a_port_a_container_maps_passes() -> None:
    s = _lb_world(hc_port="8081")
    s.find("services", s.res["services"][0]["arn"])["containers"][0]["ports"] = [8080, 8081]
    assert fired(run(s, "ECS011"), "ECS011") == set()


def test_ecs011_tasks_that_do_not_admit_the_load_balancer_fail() -> None:
    result = run(_lb_world(task_ingress=[rule("tcp", 8080, 8080, groups=["sg-other"])]), "ECS011")
    assert fired(result, "ECS011") == {"api"}
    assert any("--source-group sg-lb" in c for c in result.findings[0].fix.commands)
    result = run(_lb_world(task_ingress=[rule("tcp", 80, 80, groups=["sg-lb"])]), "ECS011")
    assert fired(result, "ECS011") == {"api"}


def test_ecs011_a_load_balancer_whose_subnets_are_unknown_is_not_judged() -> None:
    s = _lb_world(task_ingress=[], lb_subnets=False)
    assert fired(run(s, "ECS011"), "ECS011") == set()


def test_ecs011_a_gap_on_target_groups_leaves_it_not_evaluated() -> None:
    s = _lb_world(target_type="instance")
    s.gaps.append({"region": "us-east-1", "service": "elbv2", "operation": "DescribeTargetGroups",
                   "iam_action": "elasticloadbalancing:DescribeTargetGroups", "error": "AccessDenied",
                   "collections": ["certificates", "target_groups"]})
    result = run(s, "ECS011")
    assert fired(result, "ECS011") == set() and "ECS011" in result.not_evaluated


# --- ECS020 no-health-check-grace-period (heuristic) ----------------------------------------------

def test_ecs020_no_grace_period_behind_a_load_balancer_fails() -> None:
    s = _lb_world()
    s.res["services"][0]["health_check_grace"] = 0
    assert fired(run(s, "ECS020"), "ECS020") == {"api"}


def test_ecs020_a_grace_period_or_no_load_balancer_passes() -> None:
    assert fired(run(_lb_world(), "ECS020"), "ECS020") == set()
    s, _, _w = _world(health_check_grace=None)
    assert fired(run(s, "ECS020"), "ECS020") == set()


# --- ECS012 image-not-found / ECS013 image-architecture-mismatch -----------------------------------
# https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html

def _image(s: Snap, image: str, state: str = "present", *, error: str | None = None,
           architectures: list[str] | None = None) -> None:
    repo = image.split("/", 1)[1].split(":")[0].split("@")[0]
    s.res.setdefault("ecr_images", []).append({
        "region": "us-east-1", "id": image, "image": image, "account": ACCOUNT, "repository": repo,
        "reference": image.rsplit(":", 1)[-1], "state": state, "error": error, "reason": None,
        "media_type": None, "architectures": architectures})


def test_ecs012_a_missing_repository_or_tag_fails() -> None:
    s, _arn, _w = _world()
    _image(s, f"{ECR}/app:1", "missing-repository", error="RepositoryNotFoundException")
    s.service("web", image=f"{ECR}/web:2")
    _image(s, f"{ECR}/web:2", "failed", error="ImageNotFound")
    assert fired(run(s, "ECS012"), "ECS012") == {f"{ECR}/app:1", f"{ECR}/web:2"}


def test_ecs012_another_failure_is_medium_and_a_present_image_passes() -> None:
    s, _, _w = _world()
    _image(s, f"{ECR}/app:1", "failed", error="KmsError")
    result = run(s, "ECS012")
    assert fired(result, "ECS012") == {f"{ECR}/app:1"} and result.findings[0].severity is Severity.MEDIUM
    s, _, _w = _world()
    _image(s, f"{ECR}/app:1")
    assert fired(run(s, "ECS012"), "ECS012") == set()


def test_ecs012_an_unread_registry_is_not_evaluated_not_passed() -> None:
    s, _, _w = _world()
    s.gaps.append({"region": "us-east-1", "service": "ecr", "operation": "BatchGetImage",
                   "iam_action": "ecr:BatchGetImage", "error": "AccessDeniedException", "collections": ["ecr_images"]})
    result = run(s, "ECS012")
    assert "ECS012" in result.not_evaluated


def test_ecs013_an_arm64_only_image_on_x86_fails_for_fargate_and_app_runner() -> None:
    """App Runner is x86-64 only (service-source-image.html); a task without runtimePlatform is X86_64."""
    s, _, _w = _world()
    _image(s, f"{ECR}/app:1", architectures=["arm64"])
    s.service("web", image=f"{ECR}/web:2")
    _image(s, f"{ECR}/web:2", architectures=["arm64"])
    assert fired(run(s, "ECS013"), "ECS013") == {f"{ECR}/app:1", f"{ECR}/web:2"}


def test_ecs013_matching_or_unknown_architectures_pass() -> None:
    s, _, _w = _world(cpu_architecture="ARM64")
    _image(s, f"{ECR}/app:1", architectures=["arm64"])
    assert fired(run(s, "ECS013"), "ECS013") == set()
    s, _, _w = _world()
    _image(s, f"{ECR}/app:1", architectures=["amd64", "arm64"])
    assert fired(run(s, "ECS013"), "ECS013") == set()
    s, _, _w = _world()
    _image(s, f"{ECR}/app:1", architectures=None)  # a single-platform manifest: not judged
    assert fired(run(s, "ECS013"), "ECS013") == set()
    s, _, _w = _world(cpu_architecture="ARM64")
    _image(s, f"{ECR}/app:1", architectures=["amd64"])
    assert fired(run(s, "ECS013"), "ECS013") == {f"{ECR}/app:1"}


# --- ECS014 image-reference-invalid ---------------------------------------------------------------
# https://github.com/distribution/reference/blob/main/reference.go (the grammar docker parses)

GOOD_REFERENCES = ["nginx", "nginx:1.27", "library/nginx:latest", "docker.io/library/nginx", "ghcr.io/org/app:v1",
                   f"{ECR}/app:1", f"{ECR}/team/app@sha256:{'a' * 64}", f"{ECR}/app:1@sha256:{'b' * 64}",
                   "localhost:5000/app", "registry.example.com:443/a_b/c-d.e:TAG_1", "public.ecr.aws/x/y:1",
                   "my__app/x", "a--b/c"]
BAD_REFERENCES = ["", "https://ghcr.io/org/app:v1", "MyOrg/App:1", f"{ECR}/App:1", "nginx:", "nginx: 1",
                  "app:-1", f"app@sha256:{'a' * 10}", "a" * 256, "-app", "app_", "ghcr.io//app", "app:1:2"]


@pytest.mark.parametrize("image", GOOD_REFERENCES)
def test_valid_references_parse(image: str) -> None:
    assert reference_problem(image) is None


@pytest.mark.parametrize("image", BAD_REFERENCES)
def test_invalid_references_are_named(image: str) -> None:
    assert reference_problem(image)


def test_ecs014_a_malformed_reference_fails_and_a_good_one_passes() -> None:
    s, _, w = _world()
    w["images"][0]["image"] = "https://ghcr.io/Org/App:1"
    s.service("web", image="ghcr.io/org/web:2")
    assert fired(run(s, "ECS014"), "ECS014") == {"https://ghcr.io/Org/App:1"}
    s, _, _w = _world()
    assert fired(run(s, "ECS014"), "ECS014") == set()


def test_ecs014_ecr_refusing_a_tag_fails() -> None:
    s, _, _w = _world()
    _image(s, f"{ECR}/app:1", "failed", error="InvalidImageTag")
    assert fired(run(s, "ECS014"), "ECS014") == {f"{ECR}/app:1"}
    assert fired(run(s, "ECS012"), "ECS012") == set()  # one cause, one rule


# --- ECS015 docker-hub-anonymous-pull (heuristic) --------------------------------------------------

def test_ecs015_docker_hub_without_credentials_fails() -> None:
    s, _, w = _world()
    w["containers"] = [dict(w["containers"][0], name=n, image=i) for n, i in
                       (("a", "nginx:1.27"), ("b", "docker.io/library/redis:7"), ("c", "ghcr.io/org/app:1"),
                        ("d", f"{ECR}/app:1"), ("e", "localhost:5000/x"))]
    assert fired(run(s, "ECS015"), "ECS015") == {"nginx:1.27", "docker.io/library/redis:7"}


def test_ecs015_credentials_pass() -> None:
    s, _, w = _world()
    w["containers"][0].update(image="nginx:1.27", registry_credentials=True)
    assert fired(run(s, "ECS015"), "ECS015") == set()


# --- ECS016 log-group-missing -----------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html

def _logs_world(*, exists: bool, create: bool = False, statements: list[dict[str, Any]] = ()) -> Snap:  # type: ignore[assignment]
    s = Snap()
    vpc = s.vpc("10.0.0.0/16")
    role = s.role("exec", trust="ecs-tasks.amazonaws.com", statements=list(statements))
    arn = s.ecs_service("api", [s.subnet(vpc, "10.0.1.0/24")], [], execution_role=role)
    s.find("services", arn)["log_groups"] = [{"container": "app", "group": "/ecs/api", "region": "us-east-1",
                                               "stream_prefix": "app", "create": create}]
    s.res["log_groups"] = [{"region": "us-east-1", "id": "/ecs/api", "name": "/ecs/api", "exists": exists}]
    return s


def test_ecs016_a_missing_group_fails_and_an_existing_one_passes() -> None:
    assert fired(run(_logs_world(exists=False), "ECS016"), "ECS016") == {"/ecs/api"}
    assert fired(run(_logs_world(exists=True), "ECS016"), "ECS016") == set()


def test_ecs016_create_group_needs_the_permission() -> None:
    allow = [{"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": "*"}]
    assert fired(run(_logs_world(exists=False, create=True), "ECS016"), "ECS016") == {"/ecs/api"}
    assert fired(run(_logs_world(exists=False, create=True, statements=allow), "ECS016"), "ECS016") == set()


# --- ECS017 subnet-addresses-exhausted ---------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_definition_parameters.html

@pytest.mark.parametrize(("free", "desired", "max_percent", "fails"), [
    (3, 2, 200, True), (4, 2, 200, False), (2, 2, 100, False), (5, 3, 200, True), (6, 3, 200, False),
    (3, 3, 150, True), (5, 3, 150, False),
])
def test_ecs017_free_addresses_against_the_rollout_peak(free: int, desired: int, max_percent: int, fails: bool) -> None:
    s, _, _w = _world(desired_count=desired, deployment_max_percent=max_percent)
    s.res["subnets"][0]["available_ips"] = free
    assert fired(run(s, "ECS017"), "ECS017") == ({"api"} if fails else set())


def test_ecs017_a_small_subnet_fails_and_express_counts_its_maximum() -> None:
    s, _, _w = _world(desired_count=4)
    s.res["subnets"][0]["available_ips"] = 6
    result = run(s, "ECS017")
    assert fired(result, "ECS017") == {"api"} and "up to 8 task network interfaces" in result.findings[0].message
    s = Snap()
    vpc = s.vpc("10.0.0.0/16")
    s.ecs_service("x", [s.subnet(vpc, "10.0.1.0/28")], express=True, desired=20)
    s.res["subnets"][0]["available_ips"] = 11
    assert fired(run(s, "ECS017"), "ECS017") == {"x"}


def test_ecs017_unknown_free_addresses_are_not_judged() -> None:
    s, _, _w = _world()
    assert fired(run(s, "ECS017"), "ECS017") == set()


# --- ECS018 deployment-never-fails -------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html

@pytest.mark.parametrize(("breaker", "controller", "fails"), [
    (None, "ECS", True), ({"enable": False, "rollback": False}, "ECS", True),
    ({"enable": True, "rollback": False}, "ECS", True), ({"enable": True, "rollback": True}, "ECS", False),
    (None, "CODE_DEPLOY", False), (None, None, True),
])
def test_ecs018_the_circuit_breaker_with_rollback(breaker: Any, controller: str | None, fails: bool) -> None:
    s, _, _w = _world(circuit_breaker=breaker, deployment_controller=controller)
    assert fired(run(s, "ECS018"), "ECS018") == ({"api"} if fails else set())


def test_ecs018_no_breaker_fails_and_names_the_ci_wait() -> None:
    s, _, _w = _world(circuit_breaker=None)
    result = run(s, "ECS018")
    assert fired(result, "ECS018") == {"api"}
    assert any("rolloutState" in c for c in result.findings[0].fix.commands)


def test_ecs018_express_mode_and_unread_settings_pass() -> None:
    s = Snap()
    vpc = s.vpc("10.0.0.0/16")
    s.ecs_service("x", [s.subnet(vpc, "10.0.1.0/24")], express=True)
    s.ecs_service("old", [s.subnet(vpc, "10.0.2.0/24")])  # no circuit_breaker key: an older snapshot
    assert fired(run(s, "ECS018"), "ECS018") == set()


# --- ECS019 express-infrastructure-role --------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/express-service-infrastructure-iam-role.html

def _express(role: str | None) -> Snap:
    s = Snap()
    vpc = s.vpc("10.0.0.0/16")
    arn = s.ecs_service("x", [s.subnet(vpc, "10.0.1.0/24")], express=True)
    s.find("services", arn)["express"]["infrastructure_role_arn"] = role
    return s


def _managed(s: Snap, arn: str) -> None:
    s.find("roles", arn)["policies"].append({"name": "AmazonECSInfrastructureRoleforExpressGatewayServices",
                                             "kind": "managed", "arn": "arn:aws:iam::aws:policy/service-role/x",
                                             "document": {"Statement": []}})


def test_ecs019_a_usable_infrastructure_role_passes() -> None:
    s = _express(None)
    role = s.role("infra", trust="ecs.amazonaws.com")
    _managed(s, role)
    s.res["services"][0]["express"]["infrastructure_role_arn"] = role
    assert fired(run(s, "ECS019"), "ECS019") == set()


def test_ecs019_missing_untrusted_or_unmanaged_roles_fail() -> None:
    assert fired(run(_express(None), "ECS019"), "ECS019") == {"x"}
    s = _express(None)
    gone = s.role("gone", exists=False)
    s.res["services"][0]["express"]["infrastructure_role_arn"] = gone
    assert fired(run(s, "ECS019"), "ECS019") == {"gone"}
    s = _express(None)
    wrong = s.role("wrong", trust="ecs-tasks.amazonaws.com")
    _managed(s, wrong)
    s.res["services"][0]["express"]["infrastructure_role_arn"] = wrong
    result = run(s, "ECS019")
    assert fired(result, "ECS019") == {"wrong"} and result.findings[0].severity is Severity.CRITICAL
    s = _express(None)
    bare = s.role("bare", trust="ecs.amazonaws.com")
    s.res["services"][0]["express"]["infrastructure_role_arn"] = bare
    result = run(s, "ECS019")
    assert fired(result, "ECS019") == {"bare"} and result.findings[0].severity is Severity.MEDIUM


# --- IAM008 role-created-with-service / OPS003 apprunner-closed-to-new-customers (heuristics) --------
# https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
# https://docs.aws.amazon.com/apprunner/latest/dg/apprunner-availability-change.html

def _planned(s: Snap, name: str, *, role_planned: bool, live_too: bool = False) -> str:
    role = s.role(f"{name}-access", trust="build.apprunner.amazonaws.com")
    if role_planned:
        s.find("roles", role)["_location"] = {"file": "plan.json", "line": 3, "address": f"aws_iam_role.{name}"}
    arn = s.service(name, image=f"{ECR}/{name}:1", access_role=role, status="PLANNED")
    s.find("services", arn)["_location"] = {"file": "main.tf", "line": 9, "address": f"aws_apprunner_service.{name}"}
    if live_too:
        s.service("old")
    return arn


def test_iam008_a_role_planned_with_its_service_fires() -> None:
    s = Snap()
    _planned(s, "web", role_planned=True)
    assert fired(run(s, "IAM008"), "IAM008") == {"web-access"}
    s = Snap()
    _planned(s, "web", role_planned=True)
    s.res["roles"][0]["_location"]["address"] = 'module.app["x"].aws_iam_role.access'
    assert fired(run(s, "IAM008"), "IAM008") == {"web-access"}


def test_iam008_an_existing_role_a_cloudformation_role_or_a_wait_passes() -> None:
    s = Snap()
    _planned(s, "web", role_planned=False)
    assert fired(run(s, "IAM008"), "IAM008") == set()
    s = Snap()
    _planned(s, "web", role_planned=True)
    s.res["roles"][0]["_location"]["address"] = "AccessRole"  # a CloudFormation logical id
    assert fired(run(s, "IAM008"), "IAM008") == set()
    s = Snap()
    _planned(s, "web", role_planned=True)
    doc = s.doc()
    doc["inputs"] = [{"file": "plan.json", "format": "terraform-plan", "ignored": {"time_sleep": 1}}]
    assert fired(engine.run(doc, ("IAM008",)), "IAM008") == set()


def test_ops003_a_first_app_runner_service_is_info_on_a_plan_and_medium_on_an_account() -> None:
    s = Snap()
    _planned(s, "web", role_planned=False)
    doc = s.doc()
    doc["account"] = None
    result = engine.run(doc, ("OPS003",))
    assert fired(result, "OPS003") == {"web"} and result.findings[0].severity is Severity.INFO
    s = Snap()
    _planned(s, "web", role_planned=False)
    result = run(s, "OPS003")
    assert fired(result, "OPS003") == {"web"} and result.findings[0].severity is Severity.MEDIUM


def test_ops003_an_existing_customer_passes() -> None:
    s = Snap()
    _planned(s, "web", role_planned=False, live_too=True)
    assert fired(run(s, "OPS003"), "OPS003") == set()
