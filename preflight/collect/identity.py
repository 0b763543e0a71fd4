"""Identity and secrets: IAM roles, Secrets Manager and SSM metadata, KMS keys.

Only what services reference is read: the instance and access roles they name, the secrets and
parameters their `RuntimeEnvironmentSecrets` point at, and the KMS keys those are encrypted
with. Secrets Manager is listed once per region (a batched read with every secret's key,
rotation and deletion dates); nothing here ever reads a secret's value or a decrypted
parameter: `GetSecretValue` and `GetParameter(s)` are refused by the guard even if declared.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import botocore.exceptions

from preflight.collect.aws import Operation
from preflight.collect.base import GapSink, Task, iso_time, largest_page, paginate
from preflight.enums import KEY_MANAGED_BY_CUSTOMER
from preflight.refs import SecretRef, secret_name_candidates

GET_AUTH_DETAILS = Operation("iam", "GetAccountAuthorizationDetails")
GET_POLICY = Operation("iam", "GetPolicy")
GET_POLICY_VERSION = Operation("iam", "GetPolicyVersion")
LIST_SECRETS = Operation("secretsmanager", "ListSecrets")
GET_RESOURCE_POLICY = Operation("secretsmanager", "GetResourcePolicy")
DESCRIBE_KEY = Operation("kms", "DescribeKey")
GET_KEY_POLICY = Operation("kms", "GetKeyPolicy")
DESCRIBE_PARAMETERS = Operation("ssm", "DescribeParameters")
OPERATIONS = (GET_AUTH_DETAILS, GET_POLICY,
              GET_POLICY_VERSION, LIST_SECRETS, GET_RESOURCE_POLICY, DESCRIBE_KEY, GET_KEY_POLICY,
              DESCRIBE_PARAMETERS)



def _code(e: BaseException) -> str:
    if isinstance(e, botocore.exceptions.ClientError):
        return str(e.response.get("Error", {}).get("Code", ""))
    return ""


# --- roles --------------------------------------------------------------------------------------

def _default_document(policy: dict[str, Any]) -> Any:
    return next((v.get("Document") for v in policy.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), None)


def fetch_roles(client: Any, arns: list[str], gap: GapSink) -> list[dict[str, Any]]:
    """The referenced roles with their inline, attached and boundary policies.

    One paginated GetAccountAuthorizationDetails (roles and the account's own managed policies
    with their versions) replaces four or more calls per role; only AWS managed policies that a
    referenced role uses are read one by one, once each.
    """
    details: dict[str, list[dict[str, Any]]] = {"RoleDetailList": [], "Policies": []}
    for page in client.get_paginator("get_account_authorization_details").paginate(
            Filter=["Role", "LocalManagedPolicy"],
            PaginationConfig={"PageSize": largest_page("iam", "GetAccountAuthorizationDetails")}):
        details["RoleDetailList"] += page.get("RoleDetailList", [])
        details["Policies"] += page.get("Policies", [])
    local = {p["Arn"]: _default_document(p) for p in details["Policies"]}
    by_name = {r["RoleName"]: r for r in details["RoleDetailList"]}
    aws_managed: dict[str, Any] = {}

    def document(arn: str) -> Any:
        if arn in local:
            return local[arn]
        if arn not in aws_managed:
            try:
                version = client.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
                aws_managed[arn] = client.get_policy_version(
                    PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            except Exception as e:
                gap(GET_POLICY_VERSION, e)
                aws_managed[arn] = None
        return aws_managed[arn]

    out = []
    for arn in arns:
        name = arn.rsplit("/", 1)[-1]
        role = by_name.get(name)
        if role is None:
            out.append({"arn": arn, "name": name, "exists": False})
            continue
        policies = [{"name": p["PolicyName"], "kind": "inline", "arn": None, "document": p.get("PolicyDocument")}
                    for p in role.get("RolePolicyList", [])]
        policies += [{"name": p["PolicyName"], "kind": "managed", "arn": p["PolicyArn"],
                      "document": document(p["PolicyArn"])} for p in role.get("AttachedManagedPolicies", [])]
        pb = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        out.append({
            "arn": role["Arn"], "name": name, "exists": True, "id": role.get("RoleId"),
            "complete": all(p["document"] is not None for p in policies),
            "trust": role.get("AssumeRolePolicyDocument"),
            "boundary": {"arn": pb, "document": document(pb)} if pb else None, "policies": policies,
            "tags": {t["Key"]: t.get("Value", "") for t in role.get("Tags", [])}})
    return out


def roles_task(region: str, arns: list[str]) -> Task:
    return Task("roles", GET_AUTH_DETAILS, region, lambda client, gap: fetch_roles(client, arns, gap),
                lambda raw, _region: list(raw))


# --- Secrets Manager ----------------------------------------------------------------------------

def transform_secret(s: dict[str, Any], region: str, policy: Any, policy_read: bool = True) -> dict[str, Any]:
    """A secret's metadata. `resource_policy_read` is False when GetResourcePolicy failed: the secret
    may have a policy (a Deny in it would apply) that preflight did not see."""
    arn = s["ARN"]
    return {
        "arn": arn, "name": s.get("Name"), "region": region, "account": arn.split(":")[4],
        "kms_key_id": s.get("KmsKeyId"), "deleted": bool(s.get("DeletedDate")),
        "deleted_date": iso_time(s.get("DeletedDate")),
        "rotation_enabled": bool(s.get("RotationEnabled")),
        "last_rotated": iso_time(s.get("LastRotatedDate")),
        "resource_policy": policy, "resource_policy_read": policy_read,
        "tags": {t["Key"]: t.get("Value", "") for t in s.get("Tags") or [] if t.get("Key")},
    }


def secrets_task(region: str, refs: list[SecretRef]) -> Task:
    def fetch(client: Any, gap: GapSink) -> list[dict[str, Any]]:
        listed = paginate(client, "ListSecrets", "SecretList", IncludePlannedDeletion=True)
        wanted_arns = {r.arn for r in refs}
        wanted_names = {n for r in refs for n in secret_name_candidates(r.name)}
        chosen = [s for s in listed if s["ARN"] in wanted_arns or s.get("Name") in wanted_names]

        def one(s: dict[str, Any]) -> dict[str, Any]:
            policy = None
            try:
                policy = client.get_resource_policy(SecretId=s["ARN"]).get("ResourcePolicy")
            except Exception as e:
                gap(GET_RESOURCE_POLICY, e)
                return transform_secret(s, region, None, policy_read=False)
            return transform_secret(s, region, policy)
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(one, chosen))
    return Task("secrets", LIST_SECRETS, region, fetch, lambda raw, _region: list(raw))


# --- SSM ------------------------------------------------------------------------------------------

def parameters_task(region: str, refs: list[SecretRef]) -> Task:
    names = sorted({r.name for r in refs})

    def fetch(client: Any, gap: GapSink) -> list[dict[str, Any]]:
        out = []
        for i in range(0, len(names), 50):  # the filter takes at most 50 values
            out += paginate(client, "DescribeParameters", "Parameters", ParameterFilters=[
                {"Key": "Name", "Option": "Equals", "Values": names[i:i + 50]}])
        return out

    def transform(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
        return [{"arn": p.get("ARN"), "name": p["Name"], "region": region, "type": p.get("Type"),
                 "key_id": p.get("KeyId")} for p in raw]
    return Task("ssm_parameters", DESCRIBE_PARAMETERS, region, fetch, transform)


# --- KMS ------------------------------------------------------------------------------------------

def keys_task(region: str, key_ids: list[str]) -> Task:
    def fetch(client: Any, gap: GapSink) -> list[dict[str, Any]]:
        out = []
        for requested in key_ids:
            try:
                meta = client.describe_key(KeyId=requested)["KeyMetadata"]
            except botocore.exceptions.ClientError as e:
                if _code(e) == "NotFoundException":
                    out.append({"arn": None, "id": None, "region": region, "manager": None,
                                "state": "missing", "policy": None, "requested": [requested]})
                    continue
                gap(DESCRIBE_KEY, e)
                continue
            policy = None
            if meta.get("KeyManager") in KEY_MANAGED_BY_CUSTOMER:
                try:
                    policy = client.get_key_policy(KeyId=meta["Arn"], PolicyName="default")["Policy"]
                except Exception as e:
                    gap(GET_KEY_POLICY, e)
            out.append({"arn": meta["Arn"], "id": meta["KeyId"], "region": region,
                        "manager": meta.get("KeyManager"), "state": meta.get("KeyState"),
                        "policy": policy, "requested": [requested]})
        return out
    return Task("kms_keys", DESCRIBE_KEY, region, fetch, lambda raw, _region: list(raw))
