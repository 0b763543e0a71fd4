"""Organization scans over moto: a management account, a shared-services account (database,
secret, key) and a workload account (ECS Fargate), built by tests.doubles.org_world.

What AWS defines and these tests hold preflight to:

- cross-account access needs both sides: the caller's identity policy and the resource's policy
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html);
- a secret read from another account must be on a customer managed key whose key policy admits
  the reader; aws/secretsmanager cannot be shared
  (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html);
- an SCP that denies an action denies it to every principal of the accounts below it, whatever
  their policies allow (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html);
- a peering carries traffic only where both VPCs' route tables send it across
  (https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-routing.html);
- ListAccounts' `State` replaces the deprecated `Status`
  (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.awsrequest import AWSResponse

from preflight import fleet, rulepacks
from preflight.collect import accounts as acc
from preflight.collect import collect
from preflight.collect.aws import Settings
from preflight.errors import UsageError
from tests.doubles.apprunner_fake import FakeServiceQuotas
from tests.doubles.org_world import REGION, build_org, org_path_of, resource_perimeter_scp, shared_ou_only_rcp

SETTINGS = Settings(platforms=frozenset({"ecs"}), workers=4)


def _quotas() -> FakeServiceQuotas:
    return FakeServiceQuotas(applied={REGION: 100.0})


def _deny_assume(session: boto3.Session, account: str) -> None:
    """AWS's answer when the role is missing or does not trust the caller."""
    def handler(params: Any, **_: Any) -> Any:
        if f"::{account}:" in str(params.get("body")):
            body = {"Error": {"Code": "AccessDenied", "Message": f"not authorized to perform: sts:AssumeRole on "
                                                                 f"arn:aws:iam::{account}:role/PreflightReadOnly"}}
            return AWSResponse("https://sts.invalid", 403, {}, None), body
        return None
    session._session.register("before-call.sts.AssumeRole", handler)


def scan_org(deny: str | None = None, only: list[str] | None = None, shard: acc.Shard | None = None,
             spy: Any = None, progress: Any = None, others: list[str] | None = None) -> dict[str, Any]:
    session = boto3.Session(region_name=REGION)
    quotas = _quotas()

    def prepare(s: boto3.Session) -> None:
        quotas.attach(s)
        if spy is not None:
            spy(s)
    prepare(session)
    if deny:
        _deny_assume(session, deny)
    listed = acc.organization_accounts(acc.Clients(session, acc.ALLOWED, SETTINGS), REGION)
    chosen = acc.choose(listed, only or [], [], shard)
    run = acc.AccountRun(prepare=prepare, progress=progress)
    return acc.collect_accounts(
        session, REGION, chosen, run,
        lambda member, policies: collect(member, [REGION], frozenset(), SETTINGS, None, organization=policies,
                                         require_services=False),
        SETTINGS, listed_from_org=True, others=others or ())


def judged(doc: dict[str, Any]) -> Any:
    rulepacks.load()
    return fleet.run(doc)


def rules_on(result: Any, rule: str) -> list[Any]:
    return [f for f in result.findings if f.rule == rule]


def test_a_good_organization_has_no_cross_account_failure(aws: None) -> None:
    org = build_org()
    doc = scan_org()
    assert {d["account"] for d in doc["accounts"]} == {org.management, org.shared, org.workload}
    assert doc["unread_accounts"] == []
    result = judged(doc)
    assert not {f.rule for f in result.findings} & {"IAM003", "IAM004", "NET005", "NET001", "NET003"}
    assert result.snapshot["accounts"] == sorted([org.management, org.shared, org.workload])


def test_the_shared_account_reads_the_secret_its_neighbour_names(aws: None) -> None:
    org = build_org()
    doc = scan_org()
    shared = next(d for d in doc["accounts"] if d["account"] == org.shared)
    assert [s["arn"] for s in shared["resources"]["secrets"]] == [org.ids["secret"]]
    assert any(k["arn"] == org.ids["key"] for k in shared["resources"]["kms_keys"])
    assert shared["api_calls_by_operation"].get("secretsmanager.ListSecrets") == 1
    # the workload account never reads another account's secret itself
    workload = next(d for d in doc["accounts"] if d["account"] == org.workload)
    assert workload["resources"]["secrets"] == []


def test_a_resource_policy_that_does_not_admit_the_role_is_iam003_in_the_workload_account(aws: None) -> None:
    org = build_org(secret_admits_workload=False)
    hits = rules_on(judged(scan_org()), "IAM003")
    assert len(hits) == 1
    f = hits[0]
    assert f.severity.label == "critical"
    assert f.resource.account == org.workload
    assert f"but the resource policy in account {org.shared} does not" in f.message
    assert f.fix.commands[0].startswith("aws secretsmanager put-resource-policy")
    assert org.ids["execution_role"] in f.fix.commands[0]


@pytest.mark.parametrize(("ou", "fires"), [("workloads", False), ("shared", True)])
def test_a_secret_shared_with_an_ou_by_org_path(aws: None, ou: str, fires: bool) -> None:
    """A shared-services secret open to every principal whose account sits under one OU
    (aws:PrincipalOrgPaths, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths):
    the scan reads each account's path with the SCP walk, so the read is decided, allowed for the
    workloads OU and refused for another OU's path, never left undecided."""
    from tests.doubles.org_world import session_of

    org = build_org()
    session_of(org.shared).client("secretsmanager", REGION).put_resource_policy(
        SecretId=org.ids["secret"], ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "secretsmanager:GetSecretValue",
            "Resource": "*", "Condition": {"ForAnyValue:StringLike": {
                "aws:PrincipalOrgPaths": org_path_of(org.ous[ou])}}}]}))
    doc = scan_org()
    workload = next(d for d in doc["accounts"] if d["account"] == org.workload)
    assert workload["resources"]["organization"][0]["path"] + "*" == org_path_of(org.ous["workloads"])
    hits = rules_on(judged(doc), "IAM003")
    assert bool(hits) is fires
    if fires:
        assert hits[0].severity.label == "critical"  # decided, not "may not"


def test_a_resource_perimeter_scp_admits_a_secret_of_the_same_organization(aws: None) -> None:
    """The data-perimeter SCP "only resources of our organization"
    (aws:ResourceOrgID against ${aws:PrincipalOrgID},
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid):
    the shared-services secret is the organization's, which the scan knows from that account's own
    record, so the read is allowed, not left undecided."""
    org = build_org()
    resource_perimeter_scp(org)
    found = rules_on(judged(scan_org()), "IAM003")
    assert found == [], found[0].message if found else ""
    # and with the secret's account left out of the scan, whose organization is then unknown:
    # undecided (medium), naming the key, never a pass
    [hit] = rules_on(judged(scan_org(only=[org.workload])), "IAM003")
    assert hit.severity.label == "medium" and "aws:ResourceOrgID" in hit.message


def test_the_rcps_of_the_secret_s_own_ou_judge_a_read_from_another_account(aws: None) -> None:
    """RCPs restrict the resources of the accounts they are attached to, whoever calls
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
    An RCP on the shared-services OU that admits only that OU's principals refuses the workload
    account's read, although the secret's policy and the key admit it. The shared account runs
    no workload; its layers were read all the same, so the verdict is its own OU's, not a guess
    from the workload account's (which has no such RCP: the read would have passed)."""
    org = build_org()
    shared_ou_only_rcp(org)
    doc = scan_org()
    shared = next(d for d in doc["accounts"] if d["account"] == org.shared)
    assert shared["resources"]["organization"][0]["rcps"]  # read though the account runs no workload
    hits = rules_on(judged(doc), "IAM003")
    assert len(hits) == 1 and hits[0].severity.label == "critical", [h.message for h in hits]
    assert "shared-ou-only" in hits[0].message


def test_a_shard_borrows_the_secret_s_owner_layers_with_the_secret(aws: None) -> None:
    """The same RCP, with the shared-services account in another shard: the shard reads the
    secret from its owner for its own workload, and the owner's organization record with it."""
    org = build_org()
    shared_ou_only_rcp(org)
    doc = scan_org(only=[org.workload], others=[org.management, org.shared, org.workload])
    [lent] = doc["borrowed"]
    assert lent["account"] == org.shared and lent["resources"]["organization"][0]["rcps"]
    hits = rules_on(judged(doc), "IAM003")
    assert len(hits) == 1 and hits[0].severity.label == "critical" and "shared-ou-only" in hits[0].message


def test_an_scp_on_the_workload_ou_makes_iam003_fire_although_the_role_allows_it(aws: None) -> None:
    org = build_org(scp_denies_secrets=True)
    doc = scan_org()
    workload = next(d for d in doc["accounts"] if d["account"] == org.workload)
    levels = workload["resources"]["organization"][0]["scps"]
    assert [p["target"] for p in levels[1]][-1] == org.ous["workloads"]
    hits = rules_on(judged(doc), "IAM003")
    assert len(hits) == 1 and hits[0].resource.account == org.workload
    assert "no-secret-values" in hits[0].message
    assert hits[0].severity.label == "critical"


def test_an_scp_two_ous_up_is_inherited_by_the_workload_account(aws: None) -> None:
    # every SCP attached above an account, root and each OU on the path, applies to it
    # (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_auth.html)
    org = build_org(scp_denies_secrets=True, nested=True)
    doc = scan_org()
    workload = next(d for d in doc["accounts"] if d["account"] == org.workload)
    levels = workload["resources"]["organization"][0]["scps"]
    targets = [{p["target"] for p in level} for level in levels]
    # root, environments, workloads, then the account itself: top down
    assert len(levels) == 4
    assert org.ous["environments"] in targets[1] and org.ous["workloads"] in targets[2]
    hits = rules_on(judged(doc), "IAM003")
    assert len(hits) == 1 and hits[0].resource.account == org.workload
    assert "no-secret-values" in hits[0].message


def test_an_allow_list_scp_without_the_action_is_an_implicit_deny_at_its_level(aws: None) -> None:
    # an action must be allowed at every level from the root to the account; an OU whose SCPs do
    # not allow it denies it although the root's FullAWSAccess does
    # (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html)
    org = build_org(allow_list=True)
    result = judged(scan_org())
    hits = rules_on(result, "IAM003")
    assert len(hits) == 1 and hits[0].resource.account == org.workload
    assert "its identity policies allow secretsmanager:GetSecretValue" in hits[0].message
    assert "the service control policies at OU level 1 (SCP only-these-services;" in hits[0].message
    # the role is not what to change: its policy already allows the read
    assert hits[0].fix.commands == () and "organization's administrators" in hits[0].fix.summary


def test_the_same_organization_without_the_allow_list_passes(aws: None) -> None:
    build_org(nested=True)
    found = rules_on(judged(scan_org()), "IAM003")
    assert found == [], found[0].message if found else ""


def test_the_management_account_reads_the_policies_once_per_ou(aws: None) -> None:
    build_org(extra_accounts=4)
    doc = scan_org()
    calls = doc["api_calls_by_operation"]
    # the root, two OUs and six member accounts (the management account has no layer): one list
    # per target and policy type, one ListParents per account and OU, each policy described once
    assert calls["organizations.ListPoliciesForTarget"] == 2 * (1 + 2 + 6)
    assert calls["organizations.ListParents"] == 6 + 2
    assert calls["organizations.DescribePolicy"] == 2  # FullAWSAccess and RCPFullAWSAccess, as moto has them


def test_a_cross_account_peering_without_the_accepter_s_route_is_net005(aws: None) -> None:
    org = build_org(accepter_route=False)
    hits = rules_on(judged(scan_org()), "NET005")
    assert len(hits) == 1
    f = hits[0]
    assert f.resource.account == org.shared
    assert f.resource.id == org.ids["shared_net"]["private_rt"]
    assert "payments-db" in f.path and "payments-api" in f.message


def test_the_accepter_s_route_unread_is_undecided_never_a_pass(aws: None) -> None:
    org = build_org(accepter_route=False)
    doc = scan_org(only=[org.management, org.workload])  # the shared account is not scanned
    result = judged(doc)
    assert not rules_on(result, "NET005")
    undecided = [f for f in result.findings if f.severity.label in ("low", "info", "medium")
                 and org.shared in f.message]
    assert undecided, [f.message for f in result.findings]
    secret = rules_on(result, "IAM003")
    assert secret and secret[0].severity.label == "medium" and org.shared in secret[0].message


def test_a_secret_on_the_aws_managed_key_cannot_cross_accounts(aws: None) -> None:
    org = build_org(aws_managed_key=True)
    hits = rules_on(judged(scan_org()), "IAM004")
    assert len(hits) == 1
    assert "aws/secretsmanager" in hits[0].message and hits[0].resource.arn == org.ids["secret"]
    assert hits[0].resource.account == org.shared


def test_a_key_policy_that_does_not_admit_the_role_is_iam004(aws: None) -> None:
    build_org(key_admits_workload=False)
    hits = rules_on(judged(scan_org()), "IAM004")
    assert len(hits) == 1 and hits[0].severity.label == "critical"


def test_an_account_whose_role_cannot_be_assumed_is_a_named_gap(aws: None) -> None:
    org = build_org()
    doc = scan_org(deny=org.shared)
    assert [u["account"] for u in doc["unread_accounts"]] == [org.shared]
    assert doc["unread_accounts"][0]["iam_action"] == "sts:AssumeRole"
    result = judged(doc)
    gap = next(g for g in result.gaps if g.get("account") == org.shared)
    assert "AccessDenied" in gap["error"] and org.shared in gap["error"]
    assert result.exit_code(None) == 3
    assert not result.complete


def test_shards_partition_the_accounts_stably() -> None:
    ids = [f"{n:012d}" for n in range(1000, 1400)]
    shards = [acc.Shard(k, 3) for k in (1, 2, 3)]
    held = [[a for a in ids if s.holds(a)] for s in shards]
    assert sorted(a for part in held for a in part) == ids
    assert all(90 < len(part) < 180 for part in held)
    assert [a for a in ids if acc.Shard(2, 3).holds(a)] == held[1]  # the same every run


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "x/3", "1", "", "1/3/2", "-1/3"])
def test_a_bad_shard_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--shard"):
        acc.Shard.parse(text)


@pytest.mark.parametrize(("account", "active"), [
    ({"State": "ACTIVE", "Status": "ACTIVE"}, True),
    ({"State": "SUSPENDED", "Status": "SUSPENDED"}, False),
    ({"State": "PENDING_CLOSURE"}, False),
    ({"State": "CLOSED"}, False),
    ({"State": "PENDING_ACTIVATION"}, False),
    ({"Status": "ACTIVE"}, True),  # a response from before State existed
    ({"Status": "PENDING_CLOSURE"}, False),
    ({}, False),
])
def test_only_active_accounts_are_scanned(account: dict[str, str], active: bool) -> None:
    assert acc.is_active(account) is active


def test_choose_names_excludes_and_refuses_strangers() -> None:
    listed = [{"id": "111111111111", "name": "a"}, {"id": "222222222222", "name": "b"},
              {"id": "333333333333", "name": "c"}]
    assert [a["id"] for a in acc.choose(listed, [], ["222222222222"], None)] == ["111111111111", "333333333333"]
    assert [a["id"] for a in acc.choose(listed, ["333333333333"], [], None)] == ["333333333333"]
    with pytest.raises(UsageError, match="not an active account"):
        acc.choose(listed, ["444444444444"], [], None)
    assert [a["id"] for a in acc.choose(None, ["444444444444"], [], None)] == ["444444444444"]


def test_list_accounts_refused_to_a_member_is_one_usage_line(aws: None) -> None:
    org = build_org()
    creds = boto3.client("sts", REGION).assume_role(
        RoleArn=f"arn:aws:iam::{org.workload}:role/x", RoleSessionName="member")["Credentials"]
    member = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"], region_name=REGION)

    def refuse(**_: Any) -> Any:
        return AWSResponse("https://organizations.invalid", 400, {}, None), {"Error": {
            "Code": "AccessDeniedException", "Message": "You don't have permissions to access this resource."}}
    member._session.register("before-call.organizations.ListAccounts", refuse)
    with pytest.raises(UsageError, match="management account or a delegated administrator"):
        acc.organization_accounts(acc.Clients(member, acc.ALLOWED, SETTINGS), REGION)


def test_not_in_an_organization_is_one_usage_line(aws: None) -> None:
    session = boto3.Session(region_name=REGION)

    def answer(**_: Any) -> Any:  # AWS's answer (moto lists its default account instead)
        return AWSResponse("https://organizations.invalid", 400, {}, None), {"Error": {
            "Code": "AWSOrganizationsNotInUseException",
            "Message": "Your account is not a member of an organization."}}
    session._session.register("before-call.organizations.ListAccounts", answer)
    with pytest.raises(UsageError, match="not in an organization"):
        acc.organization_accounts(acc.Clients(session, acc.ALLOWED, SETTINGS), REGION)


def test_an_organization_scan_calls_only_declared_reads(aws: None) -> None:
    from preflight.collect import ALLOWED
    from preflight.collect.aws import is_read_only

    build_org(secret_admits_workload=False)
    seen: set[tuple[str, str]] = set()

    def spy(session: boto3.Session) -> None:
        session._session.register("before-call", lambda model, **_: seen.add(
            (model.service_model.service_name, model.name)))
    doc = scan_org(spy=spy)
    assert doc["accounts"]
    assert seen <= ALLOWED | acc.ALLOWED
    assert all(is_read_only(s, o) for s, o in seen)
    assert ("secretsmanager", "GetSecretValue") not in seen and ("sts", "AssumeRole") in seen


def test_the_organization_snapshot_is_valid_and_replays_the_same(aws: None, tmp_path: Path) -> None:
    from preflight import snapshot as snap

    build_org(accepter_route=False)
    doc = snap.validate_organization(scan_org(), "<test>")
    path = tmp_path / "org.json"
    snap.save(doc, str(path))
    again = snap.load_any(str(path))
    assert [f.fingerprint for f in judged(again).findings] == [f.fingerprint for f in judged(doc).findings]


def test_an_assume_role_that_times_out_is_retried_then_a_gap(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    org = build_org()
    tries: list[str] = []
    original = acc.assume

    def flaky(clients: Any, region: str, account: str, *rest: Any) -> Any:
        if account == org.shared:
            tries.append(account)
            raise botocore.exceptions.ConnectTimeoutError(endpoint_url="https://sts.invalid")
        return original(clients, region, account, *rest)
    monkeypatch.setattr(acc, "assume", flaky)
    doc = scan_org()
    assert tries == [org.shared, org.shared]  # one retry
    assert [u["account"] for u in doc["unread_accounts"]] == [org.shared]
    assert json.dumps(doc)  # the record is plain data


def test_progress_counts_every_account_read_or_not(aws: None) -> None:
    """A scan of hundreds of accounts says how far it is: once per account, unread ones too."""
    org = build_org()
    seen: list[tuple[str, int, int]] = []
    scan_org(deny=org.shared, progress=lambda what, done, total: seen.append((what, done, total)))
    assert sorted(d for _, d, _ in seen) == [1, 2, 3] and {t for _, _, t in seen} == {3}
    assert {w for w, _, _ in seen} == {f"account {a}" for a in (org.management, org.shared, org.workload)}


def test_an_assumed_session_shares_the_parsed_service_models(aws: None) -> None:
    # one parse of each service model per process, not one per account nor one for preflight's
    # own model look-ups (the org benchmark measured 1.7 GB for 50 accounts with a loader per
    # session, 0.6 GB with the assumed sessions sharing the caller's, and less again with one
    # loader for the process: see the closing note of the organization issue)
    from preflight.collect import base
    from preflight.collect.aws import shared_loader

    org = build_org()
    session = boto3.Session(region_name=REGION)
    clients = acc.Clients(session, acc.ALLOWED, SETTINGS)
    member = acc.assume(clients, REGION, org.shared, acc.DEFAULT_ROLE, "aws", None)
    assert member._session.get_component("data_loader") is session._session.get_component("data_loader")
    assert base._models().get_component("data_loader") is shared_loader()
    ec2 = [acc.Clients(s, acc.ALLOWED, SETTINGS).get("ec2", REGION) for s in (session, member)]
    assert ec2[0].meta.service_model._service_description is ec2[1].meta.service_model._service_description
    assert member.client("sts", REGION).get_caller_identity()["Account"] == org.shared
