"""Roles, principals and secret references as the identity, ECS and migration checks all see them.

Shared by more than one check family, so it lives here rather than in one family's module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from preflight.enums import SECURE_STRING, VPCE_AVAILABLE, VPCE_INTERFACE
from preflight.findings import Fix, Ref, Severity
from preflight.graph import Rec, ResourceGraph, is_ecs, ref
from preflight.iam import Decision, Policy, Principal, Request, Result, evaluate, trusts
from preflight.iam import requests as iam_requests
from preflight.iam.context import normal_tags
from preflight.refs import SecretRef, parse, partition_of
from preflight.registry import Hit, finding

TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"


INSTANCE_PRINCIPAL = "tasks.apprunner.amazonaws.com"


BUILD_PRINCIPAL = "build.apprunner.amazonaws.com"


ECR_PULL = ("ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability")


def identity_policies(role: Rec) -> list[Policy]:
    return [Policy(f"{p['kind']} policy {p['name']}", p["document"]) for p in role.get("policies", [])]


def boundary_policy(role: Rec) -> Policy | None:
    b = role.get("boundary")
    if not isinstance(b, dict):
        return None
    name = str(b.get("arn") or "(unnamed)").rsplit("/", 1)[-1]
    return Policy(f"permissions boundary {name}", b.get("document"))


Levels = tuple[tuple[Policy, ...], ...]


def _organization_record(g: ResourceGraph, account: str | None = None) -> Rec | None:
    """The organization record of `account` (default: the scanned one). A single account's
    snapshot holds one record, its own; a view over several accounts holds one per account, each
    naming its account."""
    records = g.snapshot["resources"].get("organization") or []
    account = account or g.account
    tagged = [r for r in records if r.get("account")]
    if tagged:
        return next((r for r in tagged if r["account"] == account), None)
    return records[0] if records and account == g.account else None


def organization_layers(g: ResourceGraph, resource_account: str | None = None
                        ) -> tuple[Levels | None, Levels | None]:
    """(SCP levels, RCP levels) of a request: the SCPs of the scanned account (the principal's)
    and the RCPs of the account that owns the resource; None for a layer preflight did not read.

    RCPs apply to the resources of the accounts they are attached to, whoever calls
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html),
    so a secret in another account is judged with that account's RCPs when that account was
    read, and with none known otherwise: the scanned account's own levels (its OUs) need not be
    the other account's, and guessing with them could deny what AWS allows."""
    own = _organization_record(g)
    if own is None:
        return None, None
    owner = _organization_record(g, resource_account) if resource_account else own
    return _levels(own.get("scps"), "SCP"), _levels(owner.get("rcps"), "RCP") if owner is not None else None


def _levels(raw: object, kind: str) -> Levels | None:
    if not isinstance(raw, list):
        return None
    return tuple(tuple(Policy(f"{kind} {p.get('name') or p.get('id')}", p.get("document"))
                       for p in level if isinstance(p, dict)) for level in raw if isinstance(level, list))


def organization_of(g: ResourceGraph, account: str | None = None) -> iam_requests.Org | None:
    """The organization of the scanned account, or of another read account, as read (None: not read)."""
    record = _organization_record(g, account)
    if record is None or not isinstance(record.get("in_organization"), bool):
        return None
    path = record.get("path")
    return iam_requests.Org(record["in_organization"], record.get("id"), path if isinstance(path, str) else None)


def principal_of(role: Rec) -> Principal:
    """The role as the evaluator sees it; App Runner and ECS choose the session name themselves."""
    return Principal(role["arn"], tuple(identity_policies(role)), boundary_policy(role), None,
                     normal_tags(role.get("tags")), role.get("id"))


def trusts_service(trust: object, service: str, role_arn: str = "*", account: str | None = None) -> bool | None:
    """Whether a role's trust policy lets `service` assume it (None: undecided)."""
    result = trusts(trust, service, role_arn, iam_requests.trust_context(service, account))
    return None if result.decision is Decision.UNKNOWN else result.allowed


def permission(g: ResourceGraph, role: Rec, action: str, resource: str,
               network: iam_requests.Network = iam_requests.SERVICE_SIDE) -> Result:
    """May `role` do `action` on `resource`, which has a resource policy preflight does not read
    (an ECR repository, a log group)? In the role's own account its identity policies decide; in
    another account that account's policy must allow too, so the answer is undecided unless the
    role's own policies already refuse."""
    p = principal_of(role)
    parts = resource.split(":")
    foreign = len(parts) > 4 and bool(p.account) and parts[4] not in ("", p.account)
    ctx = iam_requests.session_call(p, resource, network=network, org=organization_of(g))
    scps, rcps = organization_layers(g, parts[4] if len(parts) > 4 else None)
    return evaluate(Request(p, action, resource, ctx, None, not foreign, scps=scps, rcps=rcps))


def workload_network(g: ResourceGraph, w: Rec, service: str) -> iam_requests.Network:
    """Where a platform's call for `w` to `service` (e.g. "secretsmanager") comes from: App Runner's
    own side, or (Fargate) the task's network, through an interface endpoint when the VPC has one."""
    if not is_ecs(w):
        return iam_requests.SERVICE_SIDE
    awsvpc = (w.get("egress") or {}).get("awsvpc") or {}
    subnets = (g.subnet(w["region"], s) for s in awsvpc.get("subnets") or [])
    subnet = next((s for s in subnets if s is not None), None)
    if subnet is None:
        return iam_requests.UNSEEN
    for e in g.endpoints_by_vpc.get(f"{subnet['region']}:{subnet['vpc']}", []):
        if (str(e.get("type", "")).lower() in VPCE_INTERFACE and e.get("state") in VPCE_AVAILABLE
                and str(e.get("service", "")).endswith(f".{service}")):
            return iam_requests.Network(vpc=subnet["vpc"], vpce=e["id"])
    return iam_requests.Network()


def secret_ref(kind: str, arn: str, region: str) -> Ref:
    return Ref(arn.split(":")[6] if kind == "secretsmanager" else arn.split("parameter/", 1)[-1],
               "secretsmanager_secret" if kind == "secretsmanager" else "ssm_parameter", region, arn)


def role_ref(role: Rec) -> Ref:
    return Ref(role["name"], "iam_role", None, role["arn"])


def resolved_secrets(g: ResourceGraph, w: Rec) -> Iterator[tuple[str, SecretRef, Rec | None]]:
    """(variable, parsed reference, the secret or parameter record if found) for a service."""
    for s in w["secrets"]:
        if s["ref"].startswith(("cfn:", "tf:")):
            continue  # a secret that is itself being planned: nothing to resolve yet
        r = parse(s["ref"], w["region"], g.account)
        rec = g.secret(r.region, r.arn, r.name) if r.kind == "secretsmanager" \
            else g.parameter(r.region, r.name, r.account)
        yield s["name"], r, rec


def secret_role_arn(w: Rec) -> str | None:
    """The role that reads a workload's secrets: App Runner's instance role, ECS's execution
    role (ECS injects secrets before the container starts; the task role is the app's own)."""
    return w.get("execution_role_arn") if is_ecs(w) else w.get("instance_role_arn")


def trust_document(principal: str) -> str:
    """A trust policy letting `principal` assume a role, as a shell-quoted CLI argument."""
    return "'" + json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}]},
        separators=(",", ":")) + "'"


def role_trust_hit(g: ResourceGraph, w: Rec, arn: str, principal: str, what: str, failure: str,
                   create: Fix) -> Hit | None:
    """A finding when the role a platform must assume for `w` is missing or does not trust
    `principal` (medium when its trust has conditions preflight cannot evaluate)."""
    role = g.role(arn)
    if role is None:
        return None  # not collected: the gap says so
    if not role["exists"]:
        return finding(
            Ref(role["name"], "iam_role", None, arn),
            f"{w['name']}'s {what} {arn} does not exist; {failure}", create,
            related=(ref("workload", w),), path=(w["name"], role["name"]))
    trusted = trusts_service(role.get("trust"), principal, arn, g.account)
    if trusted is True:
        return None
    return finding(
        role_ref(role),
        f"{w['name']}'s {what} {role['name']} "
        + ("may not be assumable by" if trusted is None else "does not trust")
        + f" {principal}"
        + (" (its trust policy has conditions preflight cannot evaluate)" if trusted is None else f"; {failure}"),
        Fix(f"Let {principal} assume the role",
            (f"aws iam update-assume-role-policy --role-name {role['name']} --policy-document "
             + trust_document(principal),)),
        related=(ref("workload", w),), path=(w["name"], role["name"]),
        severity=None if trusted is False else Severity.MEDIUM,
    )


def key_of(g: ResourceGraph, r: SecretRef, rec: Rec) -> tuple[Rec | None, str | None]:
    key_id = rec.get("kms_key_id") if r.kind == "secretsmanager" else rec.get("key_id")
    if r.kind == "ssm" and rec.get("type") not in SECURE_STRING:
        return None, None
    if not key_id:
        return None, None
    return g.kms_key(rec["region"], key_id), key_id


def ecr_repository_arn(image: str) -> tuple[str, str] | None:
    """(region, repository ARN) of a private ECR image URI."""
    m = re.match(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)", image)
    if not m:
        return None
    account, region, repo = m.groups()
    return region, f"arn:{partition_of(region)}:ecr:{region}:{account}:repository/{repo}"


def statement_json(actions: list[str], resource: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions if len(actions) > 1 else actions[0], "Resource": resource}]},
        separators=(",", ":"))


_ORG_LAYERS = ("service control policies", "resource control policies")


def why_not_allowed(result: Result, action: str, resource: str, explained: tuple[str, ...] = ()) -> str:
    """Why `result` is not an allow. Layers in `explained` are left out of the list of what
    must allow too: the caller says more about them."""
    if result.decision is Decision.EXPLICIT_DENY:
        return f"{action} on {resource} is explicitly denied by {', '.join(result.deny_by)}"
    if result.decision is Decision.UNKNOWN:
        reasons = []
        if result.undecided:
            reasons.append("what preflight cannot know: " + "; ".join(result.undecided))
        unseen = [u for u in result.unseen if u not in _ORG_LAYERS]
        if unseen:
            reasons.append(", ".join(unseen) + " preflight could not read")
        return (f"whether {action} on {resource} is allowed depends on "
                + ("; and on ".join(reasons) or "conditions preflight cannot evaluate"))
    missing = [m for m in result.missing if m != "the identity policies" and m not in explained]
    if missing and "the identity policies" not in result.missing:
        return (f"its identity policies allow {action} on {resource}, but {' and '.join(missing)} "
                f"{'does' if len(missing) == 1 else 'do'} not")
    return f"no statement allows {action} on {resource}" + (
        f" ({' and '.join(missing)} must allow it too)" if missing else "")
