"""The migration view: what an App Runner service keeps, and what breaks, on ECS Express Mode.

These rules run only with `preflight scan --target ecs-express`. Each finding is about one App
Runner service and says what to do before (or while) moving it; the last one, at info, lists
what carries over as a ready-to-edit `create-express-gateway-service` command.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from preflight.checks.support.roles import TASKS_PRINCIPAL, key_of, resolved_secrets, trust_document, trusts_service
from preflight.enums import KEY_MANAGED_BY_CUSTOMER, SERVICE_GONE
from preflight.findings import Fix, Ref
from preflight.graph import Rec, ResourceGraph, ref
from preflight.registry import Hit, check, finding

TARGET = "ecs-express"
# App Runner managed runtimes -> an official base image of the same language (newest LTS).
BASE_IMAGES = {"NODEJS": "node:22-slim", "PYTHON": "python:3.12-slim", "CORRETTO": "amazoncorretto:21",
               "GO": "golang:1.23", "DOTNET": "mcr.microsoft.com/dotnet/aspnet:8.0", "PHP": "php:8.3-apache",
               "RUBY": "ruby:3.3-slim"}


def apprunner_services(g: ResourceGraph) -> list[Rec]:
    return [w for w in g.workloads if w["platform"] == "apprunner" and w.get("status") not in SERVICE_GONE]


def _repo_name(w: Rec) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in w["name"].lower())


def _image_uri(g: ResourceGraph, w: Rec) -> str:
    src = w.get("source") or {}
    if src.get("type") == "image" and src.get("image"):
        return str(src["image"])
    return f"{g.account or '<account>'}.dkr.ecr.{w['region']}.amazonaws.com/{_repo_name(w)}:latest"


@check("ECS005")
def source_service_needs_image(g: ResourceGraph) -> Iterator[Hit]:
    for w in apprunner_services(g):
        src = w.get("source") or {}
        if src.get("type") != "code":
            continue
        runtime = str(src.get("runtime") or "")
        base = BASE_IMAGES.get(runtime.split("_", 1)[0].upper(), "<a base image for your runtime>")
        uri = _image_uri(g, w)
        registry = uri.split("/", 1)[0]
        yield finding(
            ref("workload", w),
            f"{w['name']} is built by App Runner from {src.get('repository') or 'source code'}"
            f"{' (runtime ' + runtime + ')' if runtime else ''}; ECS Express Mode runs a container image, so "
            "there is nothing to deploy until the build produces one",
            Fix(f"Add a Dockerfile (e.g. FROM {base}, the build and start commands of apprunner.yaml or the "
                "service's build settings), build the image in CI and push it to ECR",
                (f"aws ecr create-repository --region {w['region']} --repository-name {_repo_name(w)}",
                 f"aws ecr get-login-password --region {w['region']} | docker login --username AWS "
                 f"--password-stdin {registry}",
                 f"docker build -t {uri} . && docker push {uri}")),
            path=(w["name"], str(src.get("repository") or "source")))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _execution_role_name(w: Rec) -> str:
    """The execution role ECS006 tells the user to create, so that ECS008's command names it."""
    return f"{w['name'][:40]}-execution"


def _execution_role_arn(g: ResourceGraph, w: Rec) -> str:
    return f"arn:{g.partition}:iam::{g.account or '<account>'}:role/{_execution_role_name(w)}"


def _policy(statements: list[dict[str, object]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))


@check("ECS006")
def roles_split(g: ResourceGraph) -> Iterator[Hit]:
    for w in apprunner_services(g):
        role = g.role(w.get("instance_role_arn"))
        secrets = [(var, r, rec) for var, r, rec in resolved_secrets(g, w)]
        trusted = (trusts_service(role.get("trust"), TASKS_PRINCIPAL, role["arn"], g.account)
                   if role and role["exists"] else None)
        problems = []
        commands = []
        if role is not None and role["exists"] and trusted is not True:
            problems.append(f"its instance role {role['name']} becomes the task role, and does not trust "
                            f"{TASKS_PRINCIPAL} yet")
            trust = role.get("trust") or {"Version": "2012-10-17", "Statement": []}
            statements = list(trust.get("Statement") or [])
            statements.append({"Effect": "Allow", "Principal": {"Service": TASKS_PRINCIPAL},
                               "Action": "sts:AssumeRole"})
            commands.append(f"aws iam update-assume-role-policy --role-name {role['name']} --policy-document "
                            f"'{_policy(statements)}'")
        if secrets:
            arns = sorted({rec["arn"] if rec and rec.get("arn") else r.arn for _, r, rec in secrets})
            keys = sorted({k["arn"] for _, r, rec in secrets if rec is not None
                           for k in [key_of(g, r, rec)[0]]
                           if k and k.get("manager") in KEY_MANAGED_BY_CUSTOMER and k.get("arn")})
            actions = sorted({r.action for _, r, _ in secrets})
            problems.append(f"ECS injects secrets ({', '.join(v for v, _, _ in secrets)}) with the execution "
                            "role, not the task role, so an execution role must be able to read them"
                            + (" and decrypt them with " + ", ".join(keys) if keys else ""))
            name = _execution_role_name(w)
            reads: list[dict[str, object]] = [{"Effect": "Allow", "Action": actions, "Resource": arns}]
            if keys:
                reads.append({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": keys})
            commands += [
                f"aws iam create-role --role-name {name} --assume-role-policy-document "
                + trust_document(TASKS_PRINCIPAL),
                f"aws iam attach-role-policy --role-name {name} --policy-arn "
                f"arn:{g.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
                f"aws iam put-role-policy --role-name {name} --policy-name read-secrets --policy-document "
                f"'{_policy(reads)}'",
            ]
        if not problems:
            continue
        yield finding(
            ref("workload", w),
            f"moving {w['name']} to ECS Express Mode splits its role in two: " + "; ".join(problems),
            Fix("Let the instance role be assumed by ECS tasks, and create an execution role that may read "
                "the secrets", tuple(commands)),
            related=tuple(r for r in ([Ref(role["name"], "iam_role", None, role["arn"])] if role else [])),
            path=(w["name"], *((role["name"],) if role else ())))


@check("ECS007")
def domains_move(g: ResourceGraph) -> Iterator[Hit]:
    for w in apprunner_services(g):
        domains = [d for d in w.get("domains", []) if d.get("kind") != "acm"]
        if not domains:
            continue
        names = ", ".join(d["name"] for d in domains)
        first = domains[0]["name"]
        yield finding(
            ref("workload", w),
            f"{w['name']}'s custom domains ({names}) point at App Runner ({w.get('dns_target')}); an Express "
            "Mode service has its own endpoint and needs its own ACM certificate, so each name must be "
            "validated again and re-pointed. Keep App Runner's validation records until the domain is "
            "disassociated from App Runner, or its certificate stops renewing",
            Fix("Request an ACM certificate for the names, add its validation records, then switch the DNS "
                "records to the new endpoint",
                (f"aws acm request-certificate --region {w['region']} --domain-name {first} --validation-method DNS"
                 + "".join(f" --subject-alternative-names {d['name']}" for d in domains[1:2]),)),
            related=tuple(Ref(d["name"], "apprunner_custom_domain", w["region"]) for d in domains),
            path=(w["name"], *(d["name"] for d in domains)))


@check("ECS008")
def carries_over(g: ResourceGraph) -> Iterator[Hit]:
    asc = {a["arn"]: a for a in g.snapshot["resources"].get("autoscaling_configs", [])}
    for w in apprunner_services(g):
        conn = g.connector_of(w)
        keeps = [f"port {w.get('port')}", f"{w.get('cpu') or '1024'} CPU units / {w.get('memory') or '2048'} MB"]
        if w["env"]:
            keeps.append(f"{_count(len(w['env']), 'environment variable')} (values are not in the snapshot: "
                         "copy them)")
        if w["secrets"]:
            keeps.append(f"{_count(len(w['secrets']), 'secret reference')}, unchanged")
        if conn is not None:
            keeps.append(f"the connector's subnets ({', '.join(conn['subnets'])}) and security groups")
        max_size = (asc.get(w.get("autoscaling_config_arn") or "") or {}).get("max_size")
        if max_size:
            keeps.append(f"at most {max_size} instances as maxTaskCount")
        env = ",".join(f"{{name={e['name']},value=<value>}}" for e in w["env"][:20])
        secrets = ",".join(f"{{name={s['name']},valueFrom={s['ref']}}}" for s in w["secrets"][:20])
        container = f"image={_image_uri(g, w)},containerPort={w.get('port') or 8080}"
        if env:
            container += f",environment=[{env}]"
        if secrets:
            container += f",secrets=[{secrets}]"
        command = (f"aws ecs create-express-gateway-service --region {w['region']} --service-name {w['name']} "
                   "--infrastructure-role-arn <ecsInfrastructureRoleForExpressServices-arn> "
                   f"--execution-role-arn {_execution_role_arn(g, w)} "
                   + (f"--task-role-arn {w['instance_role_arn']} " if w.get("instance_role_arn") else "")
                   + f"--cpu {w.get('cpu') or '1024'} --memory {w.get('memory') or '2048'} "
                   f"--primary-container '{container}'"
                   + (f" --network-configuration 'subnets=[{','.join(conn['subnets'])}],"
                      f"securityGroups=[{','.join(conn['security_groups'])}]'" if conn is not None else "")
                   + (f" --scaling-target 'minTaskCount=1,maxTaskCount={max_size}'" if max_size else ""))
        yield finding(
            ref("workload", w),
            f"{w['name']} on ECS Express Mode keeps: " + "; ".join(keeps),
            Fix("Create the Express Mode service from these settings once the image and the roles exist",
                (command,)),
            path=(w["name"],))
