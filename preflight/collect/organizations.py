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
        record["scps"], record["rcps"] = levels_of(
            account, lambda child: next(iter(paginate(client, "ListParents", "Parents", ChildId=child)), None),
            lambda target, kind: [
                {"id": p["Id"], "name": p.get("Name"), "target": target,
                 "document": client.describe_policy(PolicyId=p["Id"])["Policy"].get("Content")}
                for p in paginate(client, "ListPoliciesForTarget", "Policies", TargetId=target, Filter=kind)])
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


def levels_of(account: str, parent: Callable[[str], dict[str, Any] | None],
              policies: Callable[[str, str], list[dict[str, Any]]]) -> tuple[list[Any], list[Any]]:
    """(SCP levels, RCP levels) of `account`, root first: `parent` answers ListParents' first
    parent of an id, `policies` the policies of one type attached to a target."""
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
    out: list[list[Any]] = []
    for kind in (next(iter(ORG_SCP)), next(iter(ORG_RCP))):
        levels = [policies(target, kind) for target in reversed(chain)]
        out.append(levels if any(levels) else [])
    return out[0], out[1]


def task(region: str, account: str) -> Task:
    return Task("organization", DESCRIBE_ORGANIZATION, region,
                lambda client, gap: [fetch(client, account, gap)], lambda raw, _region: list(raw))
