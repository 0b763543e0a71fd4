"""The organization's SCPs and RCPs that apply to this account, when the account may read them.

Organizations' read calls: DescribeOrganization (any member may call it), then ListParents up to
the root and ListPoliciesForTarget / DescribePolicy at every level (the management account or a
delegated administrator may). The result is one record:

- not in an organization (AWSOrganizationsNotInUseException), or consolidated billing only, or
  this is the management account (SCPs and RCPs do not apply to it): no organization layer;
- otherwise the policies of each level, root first, per policy type; a type with no policy at
  any level is not enabled and adds no layer.

A refused call is a gap on the "organization" collection: the permission rules then say they were
not fully evaluated (an SCP could still deny what the account's policies allow), while their
denials stand, since an organization policy can only take permissions away.

References: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html,
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.exceptions

from preflight.collect.aws import Operation
from preflight.collect.base import GapSink, Task, error_code, paginate
from preflight.enums import ORG_ALL_FEATURES, ORG_RCP, ORG_ROOT, ORG_SCP

DESCRIBE_ORGANIZATION = Operation("organizations", "DescribeOrganization")
LIST_PARENTS = Operation("organizations", "ListParents")
LIST_POLICIES_FOR_TARGET = Operation("organizations", "ListPoliciesForTarget")
DESCRIBE_POLICY = Operation("organizations", "DescribePolicy")
OPERATIONS = (DESCRIBE_ORGANIZATION, LIST_PARENTS, LIST_POLICIES_FOR_TARGET, DESCRIBE_POLICY)
_BY_NAME = {op.name: op for op in OPERATIONS}

MAX_DEPTH = 7  # a root and at most five levels of OUs, then the account


def fetch(client: Any, account: str, gap: GapSink) -> dict[str, Any]:
    try:
        org = client.describe_organization()["Organization"]
    except botocore.exceptions.ClientError as e:
        if error_code(e) == "AWSOrganizationsNotInUseException":
            return {"in_organization": False, "scps": [], "rcps": []}
        raise
    record = base_record(org)
    if not has_policies(org, account):
        return record
    try:
        def parent(child: str) -> dict[str, Any] | None:
            return next(iter(paginate(client, "ListParents", "Parents", ChildId=child)), None)
        chain = chain_of(account, parent)
        record["path"] = org_path(record.get("id"), chain)
        record["scps"], record["rcps"] = levels_of(
            account, parent,
            lambda target, kind: [
                {"id": p["Id"], "name": p.get("Name"), "target": target,
                 "document": client.describe_policy(PolicyId=p["Id"])["Policy"].get("Content")}
                for p in paginate(client, "ListPoliciesForTarget", "Policies", TargetId=target, Filter=kind)],
            chain)
    except botocore.exceptions.ClientError as e:  # a member account usually may not: the id stays known
        gap(_BY_NAME.get(e.operation_name, LIST_PARENTS), e)
        record["scps"] = record["rcps"] = None
    return record


def base_record(org: dict[str, Any]) -> dict[str, Any]:
    """The record of an account in `org` (DescribeOrganization's Organization), before its layers."""
    return {"in_organization": True, "id": org.get("Id"), "management_account": org.get("MasterAccountId"),
            "scps": [], "rcps": []}


def has_policies(org: dict[str, Any], account: str) -> bool:
    """SCPs and RCPs exist only with all features, and never apply to the management account."""
    return org.get("FeatureSet") in ORG_ALL_FEATURES and org.get("MasterAccountId") != account


def chain_of(account: str, parent: Callable[[str], dict[str, Any] | None]) -> list[str]:
    """`account`, then its OUs up to the root: `parent` answers ListParents' first parent of an id."""
    chain = [account]
    child = account
    for _ in range(MAX_DEPTH):
        found = parent(child)
        if found is None:
            break
        chain.append(found["Id"])
        if found.get("Type") in ORG_ROOT:
            break
        child = found["Id"]
    return chain


def org_path(org_id: str | None, chain: list[str]) -> str | None:
    """The value of `aws:PrincipalOrgPaths` for the account of `chain`: the organization id, the
    root and each OU down to the account's parent, each followed by a slash
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths).
    None when the chain did not reach the root (a root id is `r-...`: the model's RootId pattern)."""
    if not org_id or len(chain) < 2 or not chain[-1].startswith("r-"):
        return None
    return f"{org_id}/" + "".join(f"{x}/" for x in reversed(chain[1:]))


def levels_of(account: str, parent: Callable[[str], dict[str, Any] | None],
              policies: Callable[[str, str], list[dict[str, Any]]],
              chain: list[str] | None = None) -> tuple[list[Any], list[Any]]:
    """(SCP levels, RCP levels) of `account`, root first: `parent` answers ListParents' first
    parent of an id, `policies` the policies of one type attached to a target."""
    chain = chain or chain_of(account, parent)
    out: list[list[Any]] = []
    for kind in (next(iter(ORG_SCP)), next(iter(ORG_RCP))):
        levels = [policies(target, kind) for target in reversed(chain)]
        out.append(levels if any(levels) else [])
    return out[0], out[1]


def task(region: str, account: str) -> Task:
    return Task("organization", DESCRIBE_ORGANIZATION, region,
                lambda client, gap: [fetch(client, account, gap)], lambda raw, _region: list(raw))
