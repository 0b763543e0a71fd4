"""Identity and secrets checks: can each service's role read (and decrypt) what it references?

Permissions are decided by the IAM evaluator (`preflight.iam`), locally, from the documents in
the snapshot and the request context the platform sends. An answer it cannot decide (a condition
key preflight cannot know, a policy it could not read, another account's resource policy) is
reported at medium severity and names what it could not see, never passed silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from preflight.checks.support.roles import (
    BUILD_PRINCIPAL,
    ECR_PULL,
    INSTANCE_PRINCIPAL,
    ecr_repository_arn,
    key_of,
    organization_layers,
    organization_of,
    permission,
    principal_of,
    resolved_secrets,
    role_ref,
    role_trust_hit,
    secret_ref,
    secret_role_arn,
    statement_json,
    trust_document,
    trusts_service,
    why_not_allowed,
    workload_network,
)
from preflight.checks.support.sourcecode import source_location, sources
from preflight.enums import (
    DEPLOYING_OPERATIONS,
    KEY_MANAGED_BY_CUSTOMER,
    OPERATION_SUCCEEDED,
    PRIVATE_ECR,
    ROLLOUT_COMPLETED,
)
from preflight.findings import Fix, Ref, Severity
from preflight.graph import Rec, ResourceGraph, arn_account, cluster_name, is_ecs, ref
from preflight.iam import Context, Decision, Policy, Request, Result, evaluate, own_side
from preflight.iam import requests as iam_requests
from preflight.redact import credential_like
from preflight.refs import SecretRef, parse
from preflight.registry import Hit, check, finding


def _severity(result: Result, certain: Severity) -> Severity:
    return Severity.MEDIUM if result.decision is Decision.UNKNOWN else certain


def _role_word(w: Rec) -> str:
    return "execution role" if is_ecs(w) else "instance role"


@check("IAM001")
def secrets_without_instance_role(g: ResourceGraph) -> Iterator[Hit]:
    for w in g.workloads:
        if not w["secrets"] or secret_role_arn(w):
            continue
        names = ", ".join(s["name"] for s in w["secrets"])
        if w["platform"] != "apprunner":
            yield finding(
                ref("workload", w),
                f"{w['name']} injects secrets ({names}) but its task definition has no execution role; "
                "ECS fetches secrets with the execution role, so tasks fail to start",
                Fix("Create an execution role trusted by ecs-tasks.amazonaws.com that may read the secrets, "
                    "and register a task definition revision with executionRoleArn",
                    (f"aws iam create-role --role-name {w['name'][:40]}-execution "
                     "--assume-role-policy-document " + trust_document("ecs-tasks.amazonaws.com"),)),
                path=(w["name"],),
            )
            continue
        yield finding(
            ref("workload", w),
            f"{w['name']} injects secrets ({names}) but has no instance role; App Runner rejects "
            "the configuration ('Instance Role have to be provided if passing in "
            "RuntimeEnvironmentSecrets') and could not read them anyway",
            Fix("Create an instance role trusted by tasks.apprunner.amazonaws.com that may read "
                "the secrets, and set it on the service",
                (f"aws iam create-role --role-name {w['name'][:40]}-instance-role "
                 "--assume-role-policy-document " + trust_document(INSTANCE_PRINCIPAL),
                 f"aws apprunner update-service --region {w['region']} --service-arn {w['arn']} "
                 "--instance-configuration InstanceRoleArn=<role-arn>")),
            path=(w["name"],),
        )


@check("IAM002")
def instance_role_trust(g: ResourceGraph) -> Iterator[Hit]:
    for w in g.workloads:
        arn = w.get("instance_role_arn")
        if w["platform"] != "apprunner" or not arn:
            continue
        hit = role_trust_hit(
            g, w, arn, INSTANCE_PRINCIPAL, "instance role",
            "deployments fail with 'Failed to assume instance-role-arn'",
            Fix("Create the role (trusted by tasks.apprunner.amazonaws.com) or point the service at an existing one",
                (f"aws apprunner update-service --region {w['region']} --service-arn {w['arn']} "
                 "--instance-configuration InstanceRoleArn=<role-arn>",)))
        if hit is not None:
            yield hit


def _role_reads(g: ResourceGraph) -> Iterator[tuple[Rec, Rec, str, SecretRef, Rec | None]]:
    """(service, role, variable, reference, secret or parameter) for every reference whose role is
    known and whose target is in the snapshot, or is a secret of another account (whose policies
    this account cannot read); broken references are SEC001's, missing roles IAM's."""
    for w in g.workloads:
        role = g.role(secret_role_arn(w))
        if role is None or not role["exists"] or not role.get("complete", True):
            continue
        for var, r, rec in resolved_secrets(g, w):
            if rec is not None or (r.kind == "secretsmanager" and r.account != g.account):
                yield w, role, var, r, rec


_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


def _secret_arn(r: SecretRef, rec: Rec | None) -> str:
    """The full ARN IAM sees: the record's, else the reference's with a stand-in for the random
    suffix when the reference leaves it out (a policy on name-?????? matches it, one on the bare
    name does not, as with the real secret)."""
    if rec is not None and rec.get("arn"):
        return str(rec["arn"])
    return r.arn if _SUFFIX.search(r.name) else f"{r.arn}-XXXXXX"


def read_request(g: ResourceGraph, w: Rec, role: Rec, ref_text: str, r: SecretRef, rec: Rec | None) -> Request:
    """The read the platform makes with `role` to inject the secret or parameter `r`."""
    p = principal_of(role)
    if r.kind == "secretsmanager":
        resource = _secret_arn(r, rec)
        ctx = iam_requests.secret_fetch(p, resource, reference=ref_text, tags=rec.get("tags") if rec else None,
                                        network=workload_network(g, w, "secretsmanager"), org=organization_of(g),
                                        resource_org=organization_of(g, arn_account(resource)))
        policy = (Policy(f"resource policy of secret {rec.get('name')}", rec["resource_policy"])
                  if rec and rec.get("resource_policy") else None)
        seen = rec is not None and rec.get("resource_policy_read", True) is not False
    else:
        resource = (rec or {}).get("arn") or r.arn
        ctx = iam_requests.parameter_fetch(p, resource, network=workload_network(g, w, "ssm"), org=organization_of(g),
                                           resource_org=organization_of(g, arn_account(resource)))
        policy, seen = None, True
    scps, rcps = organization_layers(g, r.account)
    return Request(p, r.action, resource, ctx, policy, seen, scps=scps, rcps=rcps)


def _ref_text(w: Rec, var: str) -> str:
    return next((str(s["ref"]) for s in w["secrets"] if s["name"] == var), "")


_OWN = ("the identity policies", "the permissions boundary")


def _read_fix(role: Rec, var: str, r: SecretRef, resource: str, result: Result, foreign: bool) -> Fix:
    """What to change: the role's policy, unless its own policies already allow the read and what
    refuses it is the secret's resource policy in another account or an organization policy."""
    noun = "secret" if r.kind == "secretsmanager" else "parameter"
    others = [m for m in result.missing if m not in _OWN]
    if result.decision is Decision.IMPLICIT_DENY and others and not any(m in result.missing for m in _OWN):
        resource_side = [m for m in others if m.startswith("the resource policy in account")]
        org_side = [m for m in others if m not in resource_side]
        commands: tuple[str, ...] = ()
        steps = []
        if resource_side:
            steps.append(f"in account {r.account}, add a statement allowing {role['arn']} {r.action} to the "
                         "secret's resource policy (merged with the statements it has)")
            statement = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": role["arn"]}, "Action": r.action, "Resource": "*"}]}
            commands = (f"aws secretsmanager put-resource-policy --region {r.region} --secret-id {resource} "
                        f"--resource-policy '{json.dumps(statement, separators=(',', ':'))}'",)
        if org_side:
            steps.append(f"have the organization's administrators allow {r.action} in "
                         + "; and in ".join(m.split(" (", 1)[0].removeprefix("the ") for m in org_side))
        return Fix(steps[0][0].upper() + "; ".join(steps)[1:], commands)
    return Fix(f"Allow {r.action} on the {noun}"
               + (f" and remove or narrow {', '.join(result.deny_by)}" if result.deny_by else "")
               + (f"; in account {r.account}, let the secret's resource policy and its key's policy allow "
                  f"{role['arn']}" if foreign else ""),
               (f"aws iam put-role-policy --role-name {role['name']} --policy-name "
                f"preflight-{var.lower().replace('_', '-')[:40]} --policy-document "
                f"'{statement_json([r.action], resource)}'",))


@check("IAM003")
def secret_not_readable(g: ResourceGraph) -> Iterator[Hit]:
    for w, role, var, r, rec in _role_reads(g):
        req = read_request(g, w, role, _ref_text(w, var), r, rec)
        result, resource = evaluate(req), req.resource
        if result.allowed:
            continue
        foreign = rec is None
        if foreign and result.decision is Decision.UNKNOWN and not result.undecided:
            why = (f"the secret is in account {r.account}: its resource policy must allow this role, and it must "
                   "be encrypted with a customer managed key whose policy allows the role kms:Decrypt (the AWS "
                   "managed key cannot be shared); preflight cannot read either from this account")
        else:
            why = why_not_allowed(result, r.action, resource)
        yield finding(
            role_ref(role),
            f"{w['name']} cannot read {var}: its {_role_word(w)} {role['name']} "
            f"{'may not' if result.decision is Decision.UNKNOWN else 'cannot'} {r.action} "
            f"{resource}: {why}",
            _read_fix(role, var, r, resource, result, foreign),
            related=(secret_ref(r.kind, resource, r.region), ref("workload", w)),
            path=(w["name"], role["name"], resource),
            severity=_severity(result, Severity.CRITICAL),
        )


def decrypt_request(g: ResourceGraph, role: Rec, key_arn: str, key_policy: object, key_tags: object,
                    r: SecretRef, resource: str) -> Request:
    """The kms:Decrypt Secrets Manager or SSM asks for with `role` when it reads `resource`;
    `key_policy` None when it could not be read (a key of another account)."""
    p = principal_of(role)
    org = organization_of(g)
    via = iam_requests.secrets_manager_decrypt if r.kind == "secretsmanager" else iam_requests.ssm_decrypt
    ctx = via(p, key_arn, resource, key_tags=key_tags, org=org, resource_org=organization_of(g, arn_account(key_arn)))
    scps, rcps = organization_layers(g, arn_account(key_arn))
    return Request(p, "kms:Decrypt", key_arn, ctx,
                   Policy("key policy", key_policy) if key_policy is not None else None, key_policy is not None,
                   key_policy=True, scps=scps, rcps=rcps)


def _decrypted_key(g: ResourceGraph, r: SecretRef, rec: Rec) -> tuple[str, Rec | None] | None:
    """(key ARN, key record) of a customer managed key the read needs kms:Decrypt on; the record is
    None for a key of another account, which this account cannot describe. None: nothing to ask
    (no key, an AWS managed key, or this account's key whose policy could not be read: a gap)."""
    key, key_id = key_of(g, r, rec)
    if key is None:
        foreign = bool(key_id) and str(key_id).startswith("arn:") and str(key_id).split(":")[4:5] != [g.account]
        return (str(key_id), None) if foreign else None
    if key.get("manager") not in KEY_MANAGED_BY_CUSTOMER or not key.get("arn") or key.get("policy") is None:
        return None
    return str(key["arn"]), key


def _aws_managed_across_accounts(g: ResourceGraph, role: Rec, r: SecretRef, rec: Rec) -> bool:
    """A secret of another account on the AWS managed key aws/secretsmanager (the default): that
    key's policy admits its own account alone, so no other account can decrypt the secret
    (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html)."""
    owner = str(rec.get("arn") or r.arn).split(":")
    if r.kind != "secretsmanager" or len(owner) < 5 or owner[4] in ("", str(role["arn"]).split(":")[4]):
        return False
    key, key_id = key_of(g, r, rec)
    if not key_id or str(key_id).endswith("alias/aws/secretsmanager"):
        return True
    return key is not None and key.get("manager") not in KEY_MANAGED_BY_CUSTOMER


@check("IAM004")
def kms_decrypt_denied(g: ResourceGraph) -> Iterator[Hit]:
    for w, role, var, r, rec in _role_reads(g):
        if rec is None:
            continue  # another account's secret: IAM003 says its key cannot be seen
        if _aws_managed_across_accounts(g, role, r, rec):
            resource = str(rec.get("arn") or r.arn)
            owner = resource.split(":")[4]
            yield finding(
                secret_ref(r.kind, resource, r.region),
                f"{w['name']} cannot decrypt {var}: {resource} in account {owner} is encrypted with the AWS "
                f"managed key aws/secretsmanager, whose key policy admits account {owner} alone, so role "
                f"{role['name']} of another account can never kms:Decrypt it, whatever the policies say",
                Fix(f"In account {owner}, re-encrypt the secret with a customer managed key whose key policy "
                    f"allows {role['arn']} kms:Decrypt (and let the role's policy allow it too)",
                    (f"aws secretsmanager update-secret --region {r.region} --secret-id {resource} "
                     "--kms-key-id <customer-managed-key-arn>",)),
                related=(role_ref(role), ref("workload", w)),
                path=(w["name"], role["name"], resource, "alias/aws/secretsmanager"))
            continue
        found = _decrypted_key(g, r, rec)
        if found is None:
            continue
        key_arn, key = found
        resource = rec["arn"] or r.arn
        result = evaluate(decrypt_request(g, role, key_arn, key["policy"] if key else None,
                                          key.get("tags") if key else None, r, resource))
        if result.allowed:
            continue
        key_id = str((key or {}).get("id") or key_arn.rsplit("/", 1)[-1])
        key_region = key_arn.split(":")[3]
        yield finding(
            Ref((key or {}).get("id") or key_arn, "kms_key", key_region, key_arn),
            f"{w['name']} cannot decrypt {var}: {resource} is encrypted with customer managed "
            f"key {key_arn}, and role {role['name']} "
            f"{'may not' if result.decision is Decision.UNKNOWN else 'cannot'} kms:Decrypt it: "
            f"{why_not_allowed(result, 'kms:Decrypt', key_arn, explained=('the key policy',))}"
            + ("" if "the key policy" not in result.missing
               else "; the key policy must trust the account (so that the role's policy counts) "
               "or name the role"),
            Fix("Allow kms:Decrypt on the key in the role's policy (the key policy must trust "
                "the account), or give the role a grant on the key",
                (f"aws iam put-role-policy --role-name {role['name']} --policy-name "
                 f"preflight-kms-{key_id} --policy-document "
                 f"'{statement_json(['kms:Decrypt'], key_arn)}'",
                 f"aws kms create-grant --region {key_region} --key-id {key_arn} "
                 f"--grantee-principal {role['arn']} --operations Decrypt")),
            related=(role_ref(role), secret_ref(r.kind, resource, r.region), ref("workload", w)),
            path=(w["name"], role["name"], resource, key_arn),
            severity=_severity(result, Severity.CRITICAL),
        )


_ENV_TAGS = ("environment", "env", "stage", "stack", "tier")
_ENV_WORDS = {
    "prod": "prod", "production": "prod", "prd": "prod", "live": "prod",
    "staging": "staging", "stage": "staging", "stg": "staging", "preprod": "staging",
    "dev": "dev", "development": "dev", "develop": "dev",
    "test": "test", "testing": "test", "qa": "test", "uat": "test",
}


def environment(w: Rec) -> str | None:
    """The environment a service belongs to, from a tag or a word in its name (a heuristic)."""
    for k, v in (w.get("tags") or {}).items():
        if k.lower() in _ENV_TAGS and v:
            return str(_ENV_WORDS.get(v.lower(), v.lower()))
    for word in re.split(r"[-_.]", w["name"].lower()):
        if word in _ENV_WORDS:
            return _ENV_WORDS[word]
    return None


@check("IAM005")
def role_shared_across_environments(g: ResourceGraph) -> Iterator[Hit]:
    by_role: dict[str, list[tuple[Rec, str]]] = {}
    by_secret: dict[str, list[tuple[Rec, str]]] = {}
    for w in g.workloads:
        env = environment(w)
        if env is None:
            continue
        if w.get("instance_role_arn"):
            by_role.setdefault(w["instance_role_arn"], []).append((w, env))
        for _, r, _rec in resolved_secrets(g, w):
            by_secret.setdefault(r.arn, []).append((w, env))
    for kind, groups in (("role", by_role), ("secret", by_secret)):
        for arn, users in sorted(groups.items()):
            envs = sorted({e for _, e in users})
            if len(envs) < 2:
                continue
            services = ", ".join(f"{w['name']} ({e})" for w, e in sorted(users, key=lambda x: x[0]["name"]))
            resource = (Ref(arn.rsplit("/", 1)[-1], "iam_role", None, arn) if kind == "role"
                        else secret_ref(parse(arn, "", g.account).kind, arn, arn.split(":")[3]))
            yield finding(
                resource,
                f"{kind} {arn} serves services of different environments ({', '.join(envs)}): "
                f"{services}. A mistake or a leak in one environment reaches the others",
                Fix(f"Give each environment its own {kind}"
                    + (" and policy, granting only that environment's secrets" if kind == "role" else "")),
                related=tuple(ref("workload", w) for w, _ in users),
                path=(arn,),
            )


@check("IAM006")
def ecr_access_role(g: ResourceGraph) -> Iterator[Hit]:
    for w in g.workloads:
        src = w.get("source") or {}
        if w["platform"] != "apprunner" or src.get("type") != "image" or src.get("repository_type") not in PRIVATE_ECR:
            continue
        arn = src.get("access_role_arn")
        fix_cmd = (f"aws apprunner update-service --region {w['region']} --service-arn {w['arn']} "
                   "--source-configuration 'AuthenticationConfiguration={AccessRoleArn=<role-arn>}'")
        if not arn:
            yield finding(
                ref("workload", w),
                f"{w['name']} pulls {src.get('image')} from private ECR without an access role; "
                "App Runner cannot pull the image",
                Fix("Create an access role trusted by build.apprunner.amazonaws.com with "
                    "AWSAppRunnerServicePolicyForECRAccess and set it on the service",
                    ("aws iam create-role --role-name apprunner-ecr-access --assume-role-policy-document "
                     + trust_document(BUILD_PRINCIPAL),
                     "aws iam attach-role-policy --role-name apprunner-ecr-access --policy-arn "
                     f"arn:{g.partition}:iam::aws:policy/service-role/AWSAppRunnerServicePolicyForECRAccess",
                     fix_cmd)),
                path=(w["name"],))
            continue
        role = g.role(arn)
        if role is None:
            continue
        problems: list[str] = []
        undecided = 0  # problems that are "cannot tell" (a resource policy not read), not "denied"
        if not role["exists"]:
            problems.append(f"access role {arn} does not exist")
        else:
            if trusts_service(role.get("trust"), BUILD_PRINCIPAL, arn, g.account) is not True:
                problems.append(f"it does not trust {BUILD_PRINCIPAL}")
            repo = ecr_repository_arn(str(src.get("image") or ""))
            if role.get("complete", True):
                checks = [(a, repo[1] if repo else "*") for a in ECR_PULL] + [("ecr:GetAuthorizationToken", "*")]
                for action, resource in checks:
                    result = permission(g, role, action, resource)
                    if result.decision is not Decision.ALLOW:
                        problems.append(why_not_allowed(result, action, resource))
                        undecided += result.decision is Decision.UNKNOWN
        if not problems:
            continue
        certain = undecided < len(problems)
        yield finding(
            Ref(role["name"], "iam_role", None, arn),
            f"{w['name']} {'cannot' if certain else 'may not be able to'} pull {src.get('image')}: "
            + "; ".join(problems),
            Fix("Trust build.apprunner.amazonaws.com and attach AWSAppRunnerServicePolicyForECRAccess",
                (f"aws iam attach-role-policy --role-name {role['name']} --policy-arn "
                 f"arn:{g.partition}:iam::aws:policy/service-role/AWSAppRunnerServicePolicyForECRAccess",
                 f"aws iam update-assume-role-policy --role-name {role['name']} --policy-document "
                 + trust_document(BUILD_PRINCIPAL))),
            related=(ref("workload", w),), path=(w["name"], role["name"]),
            severity=None if certain else Severity.MEDIUM)


@check("SEC001")
def secret_reference_broken(g: ResourceGraph) -> Iterator[Hit]:
    for w in g.workloads:
        for var, r, rec in resolved_secrets(g, w):
            what = "secret" if r.kind == "secretsmanager" else "parameter"
            problem: str | None = None
            if r.kind == "ssm" and r.account != g.account:
                problem = (f"parameter {r.arn} is in account {r.account}; "
                           f"{'ECS' if is_ecs(w) else 'App Runner'} cannot read SSM parameters from another "
                           "account" + (" unless the parameter is shared with this one" if is_ecs(w) else ""))
            elif r.account != g.account:
                continue  # a secret shared from another account: its metadata is not readable here
            elif rec is None:
                problem = f"{what} {r.arn} does not exist in {r.region}"
            elif rec.get("deleted"):
                problem = f"secret {rec['arn']} is scheduled for deletion ({rec.get('deleted_date')})"
            else:
                key, key_id = key_of(g, r, rec)
                if key is not None and key.get("state") not in ("Enabled", None):
                    problem = f"its KMS key {key_id} is {key['state']}"
            if problem is None:
                continue
            yield finding(
                secret_ref(r.kind, rec["arn"] if rec and rec.get("arn") else r.arn, r.region),
                f"{w['name']} references {var} from {r.arn}, but {problem}; the deployment fails",
                Fix(f"Point {var} at an existing {what} in this account, or restore it",
                    (f"aws secretsmanager restore-secret --region {r.region} --secret-id {rec['arn']}",)
                    if rec and rec.get("deleted") else
                    (f"aws ecs register-task-definition --region {w['region']} --cli-input-json "
                     "<the task definition with the corrected secrets[].valueFrom>",) if is_ecs(w) else
                    (f"aws apprunner update-service --region {w['region']} --service-arn {w['arn']} "
                     "--source-configuration <configuration with the corrected RuntimeEnvironmentSecrets>",)),
                related=(ref("workload", w),), path=(w["name"], r.arn),
            )


@check("SEC002")
def plaintext_secret_env(g: ResourceGraph) -> Iterator[Hit]:
    for w in g.workloads:
        names = [e["name"] for e in w["env"] if credential_like(e["name"], e["url_password"])]
        for name in names:
            entry = next(e for e in w["env"] if e["name"] == name)
            why = "a URL with a password in it" if entry["url_password"] else "a credential, by its name"
            yield finding(
                Ref(f"{w['name']}/{name}", "environment_variable", w["region"]),
                f"{w['name']} passes {name} as a plain-text environment variable ({why}); anyone "
                "who can describe the service reads it (the value is not shown here)",
                Fix(f"Store {name} in Secrets Manager and reference it from the container's secrets "
                    "(valueFrom; the execution role must be allowed to read it)" if is_ecs(w) else
                    f"Store {name} in Secrets Manager and reference it from RuntimeEnvironmentSecrets "
                    "(the instance role must be allowed to read it)",
                    (f"aws secretsmanager create-secret --region {w['region']} --name "
                     f"{w['name']}/{name} --secret-string file://value.txt",)),
                related=(ref("workload", w),), path=(w["name"], name),
            )
    yield from _source_plaintext_secrets(g)


def _source_plaintext_secrets(g: ResourceGraph) -> Iterator[Hit]:
    """SEC002 over an apprunner.yaml's `run.env` and build env (one rule, two inputs)."""
    for src in sources(g):
        cfg = src.get("config") or {}
        for e in cfg.get("run_env", []) + cfg.get("build_env", []):
            if credential_like(e["name"], e["url_password"]):
                yield finding(
                    Ref(f"{src['id']}/{e['name']}", "environment_variable", None),
                    f"{cfg['file']} sets {e['name']} in plain text (the value is not shown here); it is "
                    "committed with the code and visible to anyone who can read the repository",
                    Fix(f"Move {e['name']} to run.secrets with a Secrets Manager or SSM reference",
                        ("run:\n  secrets:\n    - name: " + e["name"] + "\n      value-from: <secret-arn>",)),
                    path=(src["id"], e["name"]), location=source_location(src, e.get("line")), severity=Severity.HIGH)


def _when(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _last_deploy(w: Rec) -> str | None:
    """When the service last finished a successful deployment (App Runner) or rollout (ECS)."""
    ops = w.get("operations") or []
    if is_ecs(w):
        return next((o["ended_at"] for o in ops if o.get("status") in ROLLOUT_COMPLETED and o.get("ended_at")), None)
    return next((o["ended_at"] for o in ops
                 if o.get("status") in OPERATION_SUCCEEDED and o.get("type") in DEPLOYING_OPERATIONS
                 and o.get("ended_at")), None)


@check("SEC003")
def secret_rotated_after_deploy(g: ResourceGraph) -> Iterator[Hit]:
    for w in g.workloads:
        deployed = _last_deploy(w)
        if deployed is None:
            continue
        for var, r, rec in resolved_secrets(g, w):
            rotated = rec.get("last_rotated") if rec and r.kind == "secretsmanager" else None
            if not rotated or _when(rotated) <= _when(deployed):
                continue
            if is_ecs(w):
                cluster = cluster_name(w)
                why = ("ECS injects secrets when a task starts, so the tasks started before the rotation "
                       "still run with the old value")
                command = (f"aws ecs update-service --region {w['region']} --cluster {cluster} --service {w['name']} "
                           "--force-new-deployment")
            else:
                why = "App Runner reads secrets only when it deploys, so the service still runs with the old value"
                command = f"aws apprunner start-deployment --region {w['region']} --service-arn {w['arn']}"
            yield finding(
                secret_ref(r.kind, rec["arn"] if rec else r.arn, r.region),
                f"{var} of {w['name']} was rotated at {rotated}, after the service's last successful "
                f"deployment at {deployed}; {why}",
                Fix("Redeploy the service so that it reads the current value", (command,)),
                related=(ref("workload", w),), path=(w["name"], r.arn),
            )


# --- --verify-iam: the same questions, asked of AWS's policy simulator -------------------------

_BOOLEAN_KEYS = frozenset({"aws:securetransport", "aws:viaawsservice", "aws:principalisawsservice"})
_LIST_KEYS = frozenset({"aws:calledvia", "kms:encryptioncontextkeys"})


def _context_entries(ctx: Context) -> list[dict[str, Any]]:
    """The known keys of a request context as the simulator's ContextEntries (ContextKeyType
    values from the model's ContextKeyTypeEnum); absent and unknown keys are left out."""
    out: list[dict[str, Any]] = []
    for key, values in sorted(ctx.values.items()):
        if not 5 <= len(key) <= 256 or not values:
            continue
        kind = ("boolean" if key in _BOOLEAN_KEYS else "date" if key == "aws:currenttime"
                else "numeric" if key == "aws:epochtime" else "stringList" if key in _LIST_KEYS or len(values) > 1
                else "string")
        out.append({"ContextKeyName": key, "ContextKeyValues": list(values), "ContextKeyType": kind})
    return out


def simulation_questions(g: ResourceGraph) -> list[dict[str, Any]]:
    """IAM003's and IAM004's requests, on the role's own side (identity policies and boundary,
    as the simulator judges a role), with preflight's verdict, for `--verify-iam` to ask."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()

    def add(rule: str, w: Rec, role: Rec, req: Request) -> None:
        if (role["arn"], req.action, req.resource) in seen:
            return
        seen.add((role["arn"], req.action, req.resource))
        local = own_side(req)
        out.append({"rule": rule, "workload": w["name"], "role": role["arn"], "action": req.action,
                    "resource": req.resource, "context": _context_entries(req.context),
                    "local": local.decision.value, "local_by": list(local.deny_by or local.allow_by)})

    for w, role, var, r, rec in _role_reads(g):
        if rec is None:
            continue
        read = read_request(g, w, role, _ref_text(w, var), r, rec)
        add("IAM003", w, role, read)
        key_arn, key = _decrypted_key(g, r, rec) or ("", None)
        if key is not None:  # a key of another account: the simulator cannot judge its policy either
            add("IAM004", w, role, decrypt_request(g, role, key_arn, key["policy"], key.get("tags"), r, read.resource))
    return out


# the simulator's EvalDecision values as verdicts (tests/collect/test_simulate.py holds them equal
# to preflight.enums.SIMULATOR_DECISION, which is checked against the model)
SIMULATOR_VERDICTS = {"allowed": Decision.ALLOW, "explicitDeny": Decision.EXPLICIT_DENY,
                      "implicitDeny": Decision.IMPLICIT_DENY}


@check("IAM007")
def simulator_disagrees(g: ResourceGraph) -> Iterator[Hit]:
    for q in g.snapshot["resources"].get("iam_simulations") or []:
        theirs = SIMULATOR_VERDICTS.get(str(q.get("simulator")))
        try:
            ours = Decision(q.get("local"))
        except ValueError:
            continue
        if theirs is None or ours is Decision.UNKNOWN or theirs is ours:
            continue
        role = g.role(q["role"]) or {"name": str(q["role"]).rsplit("/", 1)[-1], "arn": q["role"]}
        hints = []
        if q.get("organizations_allowed") is False:
            hints.append("the simulator says an organization SCP refuses it, which preflight does not read")
        if q.get("missing_context"):
            hints.append("the simulator reported context keys it was not given: " + ", ".join(q["missing_context"]))
        yield finding(
            role_ref(role),
            f"{q.get('action')} on {q.get('resource')} for {role['name']} ({q.get('rule')}, service "
            f"{q.get('workload')}): preflight says {ours.value}"
            + (f" ({', '.join(q.get('local_by') or [])})" if q.get("local_by") else "")
            + f", AWS's policy simulator says {theirs.value}"
            + (f" (matched {', '.join(q['matched'])})" if q.get("matched") else "")
            + ("; " + "; ".join(hints) if hints else ""),
            Fix("Trust neither verdict blindly: read the named statements; if the simulator is right, report it "
                "to preflight with the policies involved",
                (f"aws iam simulate-principal-policy --policy-source-arn {q['role']} --action-names "
                 f"{q.get('action')} --resource-arns {q.get('resource')}",)),
            path=(str(q.get("workload")), role["name"], str(q.get("resource"))))


# --- IAM008: an access role created in the same Terraform plan as the service ---------------------

_TF_ROLE = re.compile(r"^(?:module\.[^.]+(?:\[[^\]]*\])?\.)*aws_iam_role\.")


@check("IAM008")
def role_created_with_service(g: ResourceGraph) -> Iterator[Hit]:
    waits = {i.get("file") for i in g.snapshot.get("inputs", []) if "time_sleep" in (i.get("ignored") or {})}
    for w in g.workloads:
        if w.get("status") != "PLANNED" or w["platform"] != "apprunner":
            continue
        arn = (w.get("source") or {}).get("access_role_arn")
        role = g.role(arn) if arn else None
        where = (role or {}).get("_location") or {}
        if role is None or not _TF_ROLE.match(str(where.get("address") or "")) or where.get("file") in waits:
            continue  # an existing role, one CloudFormation creates, or a plan with a wait in it
        yield finding(
            role_ref(role),
            f"the plan creates {w['name']}'s access role {role['name']} in the same apply as the service; App "
            "Runner assumes it (as build.apprunner.amazonaws.com) to pull the image while it creates the service, "
            "and a role seconds old may not have propagated: the first apply fails with \"InvalidRequestException: "
            "Error in assuming access role\" and a second one works (a heuristic: the delay varies)",
            Fix("Put a wait between the role (with its policy attachment) and the service, or create the role in an "
                "earlier apply",
                ('resource "time_sleep" "access_role" {\n  depends_on      = [aws_iam_role_policy_attachment.<name>]\n'
                 '  create_duration = "15s"\n}  # then depends_on = [time_sleep.access_role] on the service',)),
            related=(ref("workload", w),), path=(w["name"], role["name"]))
