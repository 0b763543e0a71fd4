"""Fixtures for ECS001-ECS008, with the traps: an S3 gateway endpoint on another route table, an
interface endpoint without private DNS, an endpoint group that does not admit the tasks, an image
from another region, a public IP that works (internet gateway) beside one that cannot, an
execution role reused from App Runner, and migration rules that stay silent without a target."""

from __future__ import annotations

from preflight import engine
from preflight.findings import Severity
from tests.builders import ACCOUNT, Snap, fired, rule

ENDPOINTS = ("ecr.api", "ecr.dkr", "logs")


def run(s: Snap, *rules: str, target: str | None = None) -> engine.RunResult:
    return engine.run(s.doc(), tuple(rules) if rules else engine.select_rules(target=target))


def private_vpc(s: Snap, nat: bool = False) -> tuple[str, str, str]:
    """(vpc, private subnet, its route table), routed to a NAT gateway when `nat`."""
    vpc = s.vpc("10.0.0.0/16")
    public = s.subnet(vpc, "10.0.0.0/24")
    s.route_table(vpc, subnets=[public], routes=[("0.0.0.0/0", s.igw(vpc))])
    private = s.subnet(vpc, "10.0.1.0/24")
    rtb = s.route_table(vpc, subnets=[private], routes=[("0.0.0.0/0", s.nat(public))] if nat else [])
    return vpc, private, rtb


def endpoints(s: Snap, vpc: str, rtb: str, *, skip: str = "", sg: str | None = None,
              s3_table: str | None = None, dns: bool = True) -> None:
    for svc in ENDPOINTS:
        if svc != skip:
            s.endpoint(vpc, f"com.amazonaws.us-east-1.{svc}", security_groups=[sg] if sg else [], private_dns=dns)
    if skip != "s3":
        s.endpoint(vpc, "com.amazonaws.us-east-1.s3", "Gateway", route_tables=[s3_table or rtb])


# --- ECS001 ----------------------------------------------------------------------------------

def test_ecs001_private_subnet_without_nat_or_endpoints() -> None:
    s = Snap()
    _, private, _ = private_vpc(s)
    s.ecs_service("api", [private])
    result = run(s, "ECS001")
    assert fired(result, "ECS001") == {"api"}
    [f] = result.findings
    assert "no ecr.api endpoint" in f.message and "no s3 endpoint" in f.message and "no logs endpoint" in f.message


def test_ecs001_endpoints_make_a_private_start_possible() -> None:
    s = Snap()
    vpc, private, rtb = private_vpc(s)
    endpoints(s, vpc, rtb)
    s.ecs_service("api", [private])
    assert fired(run(s, "ECS001"), "ECS001") == set()


def test_ecs001_nat_gateway_passes() -> None:
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    s.ecs_service("api", [private])
    assert fired(run(s, "ECS001"), "ECS001") == set()


def test_ecs001_s3_gateway_on_another_route_table() -> None:
    s = Snap()
    vpc, private, rtb = private_vpc(s)
    endpoints(s, vpc, rtb, s3_table=s.main_table(vpc))
    s.ecs_service("api", [private])
    result = run(s, "ECS001")
    assert fired(result, "ECS001") == {"api"}
    assert "no s3 endpoint" in result.findings[0].message and "ecr.api" not in result.findings[0].message


def test_ecs001_interface_endpoint_without_private_dns() -> None:
    s = Snap()
    vpc, private, rtb = private_vpc(s)
    endpoints(s, vpc, rtb, dns=False)
    s.ecs_service("api", [private], logs=False)
    assert fired(run(s, "ECS001"), "ECS001") == {"api"}


def test_ecs001_endpoint_group_must_admit_https_from_the_tasks() -> None:
    s = Snap()
    vpc, private, rtb = private_vpc(s)
    closed = s.sg(vpc, ingress=[rule("tcp", 443, 443, ["10.9.0.0/16"])])
    endpoints(s, vpc, rtb, sg=closed)
    s.ecs_service("closed", [private])
    tasks = s.sg(vpc)
    by_group = s.sg(vpc, ingress=[rule("tcp", 443, 443, groups=[tasks])])
    vpc2, sub2, rtb2 = private_vpc(s)
    endpoints(s, vpc2, rtb2, sg=by_group)  # admits the tasks' group, not a range
    s.ecs_service("by-group", [sub2], [tasks])
    assert fired(run(s, "ECS001"), "ECS001") == {"closed"}


def test_ecs001_image_from_another_region_needs_the_internet() -> None:
    s = Snap()
    vpc, private, rtb = private_vpc(s)
    endpoints(s, vpc, rtb)
    s.ecs_service("api", [private], image=f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/app:1")
    s.ecs_service("hub", [private], image="nginx:1.27")
    result = run(s, "ECS001")
    assert fired(result, "ECS001") == {"api", "hub"}
    assert any("in ECR in eu-west-1" in f.message for f in result.findings)


def test_ecs001_secrets_need_their_endpoint() -> None:
    s = Snap()
    vpc, private, rtb = private_vpc(s)
    endpoints(s, vpc, rtb)
    s.ecs_service("api", [private], secrets={"DB_PASSWORD": s.secret("db")})
    result = run(s, "ECS001")
    assert fired(result, "ECS001") == {"api"}
    assert "no secretsmanager endpoint (inject DB_PASSWORD)" in result.findings[0].message


def test_ecs001_public_ip_next_to_an_internet_gateway_works() -> None:
    s = Snap()
    vpc = s.vpc("10.0.0.0/16")
    public = s.subnet(vpc, "10.0.0.0/24")
    s.route_table(vpc, subnets=[public], routes=[("0.0.0.0/0", s.igw(vpc))])
    s.ecs_service("with-ip", [public], public_ip=True)
    s.ecs_service("without-ip", [public])
    assert fired(run(s, "ECS001"), "ECS001") == {"without-ip"}


# --- ECS002 ----------------------------------------------------------------------------------

def test_ecs002_public_ip_without_internet_gateway() -> None:
    s = Snap()
    _, private, _ = private_vpc(s)
    s.ecs_service("stuck", [private], public_ip=True)
    s.ecs_service("no-ip", [private])
    result = run(s, "ECS002")
    assert fired(result, "ECS002") == {private}
    assert result.findings[0].severity is Severity.HIGH


def test_ecs002_behind_nat_is_low() -> None:
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    s.ecs_service("api", [private], public_ip=True)
    result = run(s, "ECS002")
    assert fired(result, "ECS002") == {private}
    assert result.findings[0].severity is Severity.LOW


def test_ecs002_public_subnet_passes() -> None:
    s = Snap()
    vpc = s.vpc("10.0.0.0/16")
    public = s.subnet(vpc, "10.0.0.0/24")
    s.route_table(vpc, subnets=[public], routes=[("0.0.0.0/0", s.igw(vpc))])
    s.ecs_service("api", [public], public_ip=True)
    assert fired(run(s, "ECS002"), "ECS002") == set()


# --- ECS003 ----------------------------------------------------------------------------------

def test_ecs003_public_tasks_behind_a_load_balancer() -> None:
    s = Snap()
    vpc = s.vpc("10.0.0.0/16")
    public = s.subnet(vpc, "10.0.0.0/24")
    s.route_table(vpc, subnets=[public], routes=[("0.0.0.0/0", s.igw(vpc))])
    world = s.sg(vpc, ingress=[rule("tcp", 8080, 8080, ["0.0.0.0/0"])])
    lb_only = s.sg(vpc, ingress=[rule("tcp", 8080, 8080, groups=["sg-lb"])])
    s.ecs_service("open", [public], [world], public_ip=True, load_balancer=True)
    s.ecs_service("guarded", [public], [lb_only], public_ip=True, express=True)
    s.ecs_service("direct", [public], [world], public_ip=True)  # no load balancer: a choice
    result = run(s, "ECS003")
    assert fired(result, "ECS003") == {"open", "guarded"}
    sev = {f.resource.id: f.severity for f in result.findings}
    assert sev == {"open": Severity.HIGH, "guarded": Severity.MEDIUM}


def test_ecs003_private_tasks_behind_a_load_balancer_pass() -> None:
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    s.ecs_service("api", [private], load_balancer=True)
    assert fired(run(s, "ECS003"), "ECS003") == set()


# --- ECS004 ----------------------------------------------------------------------------------

def test_ecs004_execution_role_trust() -> None:
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    s.ecs_service("reused", [private], execution_role=s.role("apprunner-role"))
    s.ecs_service("ok", [private], execution_role=s.role("exec", trust="ecs-tasks.amazonaws.com"))
    s.ecs_service("missing", [private], execution_role=s.role("gone", exists=False))
    s.ecs_service("none", [private])
    s.ecs_service("public-image", [private], image="public.ecr.aws/x/y:1", logs=False)
    assert fired(run(s, "ECS004"), "ECS004") == {"apprunner-role", "gone", "none"}


def test_ecs004_trusted_role_passes() -> None:
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    s.ecs_service("ok", [private], execution_role=s.role("exec", trust="ecs-tasks.amazonaws.com"))
    assert fired(run(s, "ECS004"), "ECS004") == set()


# --- reused rules on ECS -------------------------------------------------------------------

def test_ecs_reuses_iam001_iam003_and_net002() -> None:
    s = Snap()
    _, private, _ = private_vpc(s)
    secret = s.secret("db")
    s.ecs_service("no-exec", [private], secrets={"DB_PASSWORD": secret})
    s.ecs_service("task-role-only", [private], secrets={"DB_PASSWORD": secret},
                  execution_role=s.role("exec", trust="ecs-tasks.amazonaws.com"),
                  task_role=s.role("task", trust="ecs-tasks.amazonaws.com", statements=[
                      {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret}]))
    result = run(s, "IAM001", "IAM003", "NET002", "ECS004")
    assert fired(result, "IAM001") == {"no-exec"}
    assert fired(result, "IAM003") == {"exec"}
    assert fired(result, "NET002") == {"no-exec tasks", "task-role-only tasks"}
    assert fired(result, "ECS004") == set()  # IAM001 already says the missing role


def test_quota_counts_ecs_fargate_services() -> None:
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    s.quota("us-east-1", 4)
    s.ecs_service("api", [private], desired=2, cpu="1024")  # 2 tasks x 200% = 4 vCPU at a deployment
    s.ecs_service("ec2", [private], desired=10, launch_type="EC2")  # not Fargate
    result = run(s, "QTA001")
    assert fired(result, "QTA001") == {"us-east-1/fargate/L-3032A538"}
    assert result.findings[0].severity is Severity.MEDIUM and "need 4 vCPU" in result.findings[0].message


# --- ECS005-ECS008: the migration view -------------------------------------------------------

def test_ecs005_to_ecs008_need_a_target() -> None:
    s = Snap()
    s.service("api")
    assert not {f.rule for f in run(s).findings} & {"ECS005", "ECS006", "ECS007", "ECS008"}
    assert fired(run(s, target="ecs-express"), "ECS005") == set()  # an image service needs no image


def test_ecs005_source_code_service() -> None:
    s = Snap()
    s.service("code")
    s.res["services"][-1]["source"] = {"type": "code", "repository": "https://github.com/x/y", "runtime": "NODEJS_18"}
    s.service("image")
    result = run(s, target="ecs-express")
    assert fired(result, "ECS005") == {"code"}
    assert "FROM node:22-slim" in next(f for f in result.findings if f.rule == "ECS005").fix.summary


def test_ecs006_roles_split() -> None:
    s = Snap()
    key = s.key()
    secret = s.secret("db", key=key)
    s.service("api", secrets={"DB_PASSWORD": secret}, role=s.role("inst"))
    s.service("both", role=s.role("both", trust="ecs-tasks.amazonaws.com"))
    s.service("plain")
    result = run(s, target="ecs-express")
    assert fired(result, "ECS006") == {"api"}
    [f] = [f for f in result.findings if f.rule == "ECS006"]
    assert any(key in c and "kms:Decrypt" in c for c in f.fix.commands)
    assert any("update-assume-role-policy --role-name inst" in c for c in f.fix.commands)


def test_ecs006_task_trust_and_no_secrets_passes() -> None:
    s = Snap()
    s.service("api", role=s.role("inst", trust="ecs-tasks.amazonaws.com"))
    assert fired(run(s, target="ecs-express"), "ECS006") == set()


def test_ecs007_custom_domains() -> None:
    s = Snap()
    s.service("api", domains=[{"name": "api.example.com", "status": "ACTIVE", "www": False, "records": []}])
    s.service("bare")
    assert fired(run(s, target="ecs-express"), "ECS007") == {"api"}


def test_ecs007_no_custom_domain_passes() -> None:
    s = Snap()
    s.service("api")
    assert fired(run(s, target="ecs-express"), "ECS007") == set()


def test_ecs008_carry_over_is_information() -> None:
    s = Snap()
    vpc = s.vpc("10.0.0.0/16")
    sub = s.subnet(vpc, "10.0.1.0/24")
    conn = s.connector("c", [sub], [])
    s.service("api", connector=conn, env={"MODE": "prod"})
    result = run(s, target="ecs-express")
    assert fired(result, "ECS008") == {"api"}
    [f] = [f for f in result.findings if f.rule == "ECS008"]
    assert f.severity is Severity.INFO and f"subnets=[{sub}]" in f.fix.commands[0]
    assert "{name=MODE,value=<value>}" in f.fix.commands[0]  # values never reach the snapshot


def test_ecs008_no_app_runner_service_passes() -> None:
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    s.ecs_service("api", [private])
    assert fired(run(s, target="ecs-express"), "ECS008") == set()


# --- reused operations rules on ECS -----------------------------------------------------------

def rollout(status: str, primary: bool = True, ended: str = "2026-11-01T00:00:00Z") -> dict[str, object]:
    return {"type": "DEPLOYMENT", "status": status, "reason": "circuit breaker", "primary": primary,
            "started_at": ended, "ended_at": ended}


def test_ops001_failed_ecs_rollout() -> None:
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    s.ecs_service("broken", [private], operations=[rollout("FAILED"), rollout("COMPLETED", primary=False)])
    s.ecs_service("old-failure", [private], operations=[rollout("COMPLETED"), rollout("FAILED", primary=False)])
    s.ecs_service("rolling", [private], operations=[rollout("IN_PROGRESS")])
    result = run(s, "OPS001")
    assert fired(result, "OPS001") == {"broken"}
    assert "FAILED (circuit breaker)" in result.findings[0].message


def test_ops001_failed_express_deployment_is_its_rollout_state() -> None:
    """An Express service is an ECS service: a failed deployment is the primary deployment's
    rolloutState FAILED (DeploymentRolloutState in the ECS model), never an Express status, whose
    ExpressGatewayServiceStatusCode is only ACTIVE, DRAINING or INACTIVE
    (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ExpressGatewayServiceStatus.html)."""
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    s.ecs_service("express-broken", [private], express=True,
                  operations=[rollout("FAILED"), rollout("COMPLETED", primary=False)])
    s.ecs_service("express-ok", [private], express=True, operations=[rollout("COMPLETED")])
    result = run(s, "OPS001")
    assert fired(result, "OPS001") == {"express-broken"}


def test_sec003_rotated_after_the_last_ecs_rollout() -> None:
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    secret = s.secret("db", rotated="2026-11-05T00:00:00Z")
    s.ecs_service("stale", [private], secrets={"PW": secret}, operations=[rollout("COMPLETED")])
    s.ecs_service("fresh", [private], secrets={"PW": secret},
                  operations=[rollout("COMPLETED", ended="2026-11-06T00:00:00Z")])
    result = run(s, "SEC003")
    assert {f.related[0].id for f in result.findings} == {"stale"}
    assert "--force-new-deployment" in result.findings[0].fix.commands[0]


def test_dns_rules_on_an_ecs_certificate_compare_with_the_load_balancer() -> None:
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    zone = s.zone("example.com")
    cert = {"name": "example.com", "kind": "acm", "certificate_arn": "arn:aws:acm:us-east-1:1:certificate/x",
            "status": "ISSUED", "www": False, "records": []}
    s.record("example.com", "A", zone=zone, alias="dualstack.lb-1.us-east-1.elb.amazonaws.com")
    s.ecs_service("routed", [private], domains=[cert], dns_target="lb-1.us-east-1.elb.amazonaws.com")
    s.ecs_service("unknown-target", [private], domains=[cert])  # several load balancers: not compared
    result = run(s, "DNS002", "DNS003", "DNS004")
    assert result.findings == ()


# --- reused identity and path rules on ECS ------------------------------------------------------

def test_sec001_and_sec002_on_ecs() -> None:
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    exec_role = s.role("exec", trust="ecs-tasks.amazonaws.com")
    missing = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:gone-AbCdEf"
    s.ecs_service("api", [private], secrets={"PW": missing}, execution_role=exec_role,
                  env={"DATABASE_URL": "postgres://u:hunter2@db.example/app"})
    s.ecs_service("clean", [private], secrets={"PW": s.secret("db")}, execution_role=exec_role, env={"MODE": "x"})
    result = run(s, "SEC001", "SEC002")
    assert fired(result, "SEC001") == {"gone-AbCdEf"}
    assert fired(result, "SEC002") == {"api/DATABASE_URL"}
    sec001 = next(f for f in result.findings if f.rule == "SEC001")
    assert "register-task-definition" in sec001.fix.commands[0]
    assert "the container's secrets" in next(f for f in result.findings if f.rule == "SEC002").fix.summary


def test_ecs_database_path_routes_and_groups() -> None:
    """An ECS service reaching a database in a peered VPC: the task subnets' routes (NET004), the
    return routes (NET005) and the tasks' egress rules (NET010), as for a connector."""
    s = Snap()
    app = s.vpc("10.0.0.0/16")
    tasks = s.subnet(app, "10.0.1.0/24")
    app_rt = s.route_table(app, subnets=[tasks])
    data = s.vpc("10.9.0.0/16")
    db_subnet = s.subnet(data, "10.9.1.0/24")
    data_rt = s.route_table(data, subnets=[db_subnet])
    pcx = s.peering(app, data)
    closed = s.sg(app, egress=[])
    db_sg = s.sg(data, ingress=[rule("tcp", 5432, 5432, ["10.0.0.0/16"])])
    host = s.db("db", [db_subnet], [db_sg])
    s.ecs_service("api", [tasks], [closed], env={"DB_HOST": host})
    result = run(s, "NET004", "NET005", "NET010")
    assert fired(result, "NET004") == {app_rt} and fired(result, "NET005") == {data_rt}
    assert fired(result, "NET010") == {closed}
    assert "task subnet" in next(f for f in result.findings if f.rule == "NET004").message
    s.route(app_rt, "10.9.0.0/16", pcx)
    s.route(data_rt, "10.0.0.0/16", pcx)
    s.find("security_groups", closed)["egress"] = [rule("-1", None, None, ["0.0.0.0/0"])]
    result = run(s, "NET004", "NET005", "NET010")
    assert fired(result, "NET004") == set() and fired(result, "NET005") == set() and fired(result, "NET010") == set()


def test_ecs001_public_subnet_without_public_ip_suggests_turning_it_on() -> None:
    s = Snap()
    vpc = s.vpc("10.0.0.0/16")
    public = s.subnet(vpc, "10.0.0.0/24")
    s.route_table(vpc, subnets=[public], routes=[("0.0.0.0/0", s.igw(vpc))])
    s.ecs_service("api", [public])
    result = run(s, "ECS001")
    assert fired(result, "ECS001") == {"api"}
    [f] = result.findings
    assert f.fix.summary.startswith("Turn on assignPublicIp") and "assignPublicIp=ENABLED" in f.fix.commands[0]
    assert not any("create-route" in c for c in f.fix.commands)  # a NAT route there would break the subnet


# --- ECS009 ----------------------------------------------------------------------------------

EXECUTION_POLICY = [{"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
                                                   "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
                                                   "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]


def test_ecs009_execution_role_without_pull_or_log_rights() -> None:
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    logs_only = s.role("logs-only", trust="ecs-tasks.amazonaws.com", statements=[
        {"Effect": "Allow", "Action": "logs:*", "Resource": "*"}])
    other_repo = s.role("other-repo", trust="ecs-tasks.amazonaws.com", statements=[
        {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "logs:*"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
         "Resource": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/other"}])
    s.ecs_service("a", [private], execution_role=logs_only)
    s.ecs_service("b", [private], execution_role=other_repo)
    s.ecs_service("ok", [private], execution_role=s.role("full", trust="ecs-tasks.amazonaws.com",
                                                          statements=EXECUTION_POLICY))
    s.ecs_service("public", [private], image="public.ecr.aws/x/y:1", logs=False,
                  execution_role=s.role("empty", trust="ecs-tasks.amazonaws.com"))
    result = run(s, "ECS009")
    assert fired(result, "ECS009") == {"logs-only", "other-repo"}
    msg = next(f.message for f in result.findings if f.resource.id == "other-repo")
    assert "ecr:BatchGetImage" in msg and "repository/app" in msg and "GetAuthorizationToken" not in msg


def test_ecs009_managed_policy_shape_passes() -> None:
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    s.ecs_service("ok", [private], execution_role=s.role("full", trust="ecs-tasks.amazonaws.com",
                                                          statements=EXECUTION_POLICY))
    assert fired(run(s, "ECS009"), "ECS009") == set()


def test_ecs009_log_rights_scoped_to_the_task_log_group() -> None:
    """logs-arn: CreateLogStream and PutLogEvents are asked on the task's own log stream ARN
    (awslogs-group, awslogs-region, prefix/container/task-id), so a policy scoped to the group
    passes and one scoped to another group does not."""
    s = Snap()
    _, private, _ = private_vpc(s, nat=True)
    pull = {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "ecr:BatchGetImage",
                                          "ecr:GetDownloadUrlForLayer"], "Resource": "*"}

    def logs_to(resource: str) -> dict[str, object]:
        return {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": resource}

    group = f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/ecs/app"
    for name, stmt in (("scoped", logs_to(group + ":*")), ("streams", logs_to(group + ":log-stream:web/*")),
                       ("other-group", logs_to(f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/ecs/other:*")),
                       ("other-region", logs_to(group.replace("eu-west-1", "us-east-1") + ":*")),
                       ("other-prefix", logs_to(group + ":log-stream:api/*"))):
        arn = s.ecs_service(name, [private], execution_role=s.role(name, trust="ecs-tasks.amazonaws.com",
                                                                    statements=[pull, stmt]))
        s.find("services", arn)["log_groups"] = [{"container": "app", "group": "/ecs/app", "region": "eu-west-1",
                                                   "stream_prefix": "web"}]
    result = run(s, "ECS009")
    assert fired(result, "ECS009") == {"other-group", "other-region", "other-prefix"}
    msg = next(f.message for f in result.findings if f.resource.id == "other-group")
    assert "log-group:/ecs/app:log-stream:web/app/" in msg
