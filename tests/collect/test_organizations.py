"""Organization SCPs and RCPs read with moto's Organizations, and what the permission rules make
of them. References: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html,
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from preflight import engine
from preflight.collect import organizations
from tests.builders import Snap

GET = "secretsmanager:GetSecretValue"


def gap_sink(*_: Any) -> None:
    raise AssertionError("no partial failure expected")


@mock_aws
def test_not_in_an_organization_adds_no_layer() -> None:
    client = boto3.client("organizations", "us-east-1")
    record = organizations.fetch(client, "123456789012", gap_sink)
    assert record == {"in_organization": False, "scps": [], "rcps": []}


@mock_aws
def test_levels_root_first_with_the_account_s_own_policies() -> None:
    client = boto3.client("organizations", "us-east-1")
    client.create_organization(FeatureSet="ALL")
    root = client.list_roots()["Roots"][0]["Id"]
    client.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ou = client.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
    account = client.create_account(AccountName="app", Email="app@example.com")["CreateAccountStatus"]["AccountId"]
    client.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
    deny = client.create_policy(Name="no-secrets", Description="", Type="SERVICE_CONTROL_POLICY", Content=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": GET, "Resource": "*"}]}))["Policy"]
    client.attach_policy(PolicyId=deny["PolicySummary"]["Id"], TargetId=ou)
    record = organizations.fetch(client, account, gap_sink)
    assert record["in_organization"] is True
    levels = record["scps"]
    assert len(levels) == 3  # root, OU, account
    assert [p["target"] for p in levels[1]] == [ou] * len(levels[1])
    assert "no-secrets" in {p["name"] for p in levels[1]}
    # the account's aws:PrincipalOrgPaths, read with the same ListParents walk
    assert record["path"] == f"{record['id']}/{root}/{ou}/"
    # and the management account has no layer at all
    assert organizations.fetch(client, record["management_account"], gap_sink)["scps"] == []


def test_org_path_is_the_organization_root_and_ous_down_to_the_parent() -> None:
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths"""
    chain = ["111122223333", "ou-ab12-apps", "ou-ab12-prod", "r-ab12"]
    assert organizations.org_path("o-abc123", chain) == "o-abc123/r-ab12/ou-ab12-prod/ou-ab12-apps/"
    assert organizations.org_path("o-abc123", ["111122223333", "r-ab12"]) == "o-abc123/r-ab12/"
    assert organizations.org_path("o-abc123", ["111122223333", "ou-ab12-apps"]) is None  # the walk stopped short
    assert organizations.org_path(None, chain) is None
    # the root is told by its id, whose form the Organizations model fixes
    import botocore.session

    model = botocore.session.get_session().get_service_model("organizations")
    assert model.shape_for("RootId").metadata["pattern"].startswith("^r-")


def _world(org: dict[str, Any] | None) -> dict[str, Any]:
    s = Snap()
    secret = s.secret("db")
    s.service("api", role=s.role("reader", statements=[{"Effect": "Allow", "Action": GET, "Resource": secret}]),
              secrets={"DB": secret})
    doc = s.doc()
    if org is not None:
        doc["resources"]["organization"] = [org]
    return doc


FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.mark.parametrize(("scps", "fires"), [
    ([[{"name": "FullAWSAccess", "document": FULL}]], False),
    ([[{"name": "FullAWSAccess", "document": FULL}],
      [{"name": "FullAWSAccess", "document": FULL},
       {"name": "no-secrets", "document": {"Statement": [{"Effect": "Deny", "Action": "secretsmanager:*",
                                                           "Resource": "*"}]}}]], True),
    ([[{"name": "FullAWSAccess", "document": FULL}],
      [{"name": "only-s3", "document": {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}]],
     True),
])
def test_scps_take_permissions_away(scps: list[Any], fires: bool) -> None:
    run = engine.run(_world({"in_organization": True, "scps": scps, "rcps": []}), ("IAM003",))
    assert bool(run.findings) is fires
    if fires:
        assert "SCP" in run.findings[0].message


def test_unreadable_organization_is_not_a_pass_but_denials_stand() -> None:
    doc = _world(None)
    doc["gaps"] = [{"region": "us-east-1", "service": "organizations", "operation": "ListParents",
                    "iam_action": "organizations:ListParents", "error": "AccessDeniedException",
                    "collections": ["organization"]}]
    run = engine.run(doc, ("IAM003",))
    assert "IAM003" in run.not_evaluated and run.findings == ()
    s = Snap()
    secret = s.secret("db")
    s.service("api", role=s.role("nothing", statements=[]), secrets={"DB": secret})
    denied = s.doc()
    denied["gaps"] = doc["gaps"]
    run = engine.run(denied, ("IAM003",))
    assert "IAM003" in run.not_evaluated and [f.rule for f in run.findings] == ["IAM003"]


def test_a_member_that_may_not_read_its_policies_keeps_the_organization_id() -> None:
    """A member account may call DescribeOrganization but not ListParents: the id stays known (so
    aws:PrincipalOrgID is decided), the layers are unknown, and the refusal is a gap."""
    from botocore.stub import Stubber

    client = boto3.client("organizations", "us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    stub = Stubber(client)
    stub.add_response("describe_organization", {"Organization": {
        "Id": "o-abc1234567", "FeatureSet": "ALL", "MasterAccountId": "999988887777"}})
    stub.add_client_error("list_parents", "AccessDeniedException", "not the management account", 400)
    refused: list[str] = []
    with stub:
        record = organizations.fetch(client, "111122223333", lambda op, e: refused.append(op.name))
    assert record == {"in_organization": True, "id": "o-abc1234567", "management_account": "999988887777",
                      "scps": None, "rcps": None}
    assert refused == ["ListParents"]
    doc = _world(record)
    doc["gaps"] = [{"region": "us-east-1", "service": "organizations", "operation": "ListParents",
                    "iam_action": "organizations:ListParents", "error": "AccessDeniedException",
                    "collections": ["organization"]}]
    from preflight import snapshot

    snapshot.validate(doc, "<test>")
    assert "IAM003" in engine.run(doc, ("IAM003",)).not_evaluated


def test_the_refused_call_is_the_one_named() -> None:
    """The gap names the call that was refused, so the read-only policy can be fixed."""
    from botocore.stub import Stubber

    client = boto3.client("organizations", "us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    stub = Stubber(client)
    stub.add_response("describe_organization", {"Organization": {
        "Id": "o-abc1234567", "FeatureSet": "ALL", "MasterAccountId": "999988887777"}})
    stub.add_response("list_parents", {"Parents": [{"Id": "r-ab12", "Type": "ROOT"}]})
    stub.add_client_error("list_policies_for_target", "AccessDeniedException", "no", 400)
    refused: list[str] = []
    with stub:
        record = organizations.fetch(client, "111122223333", lambda op, e: refused.append(op.name))
    assert refused == ["ListPoliciesForTarget"] and record["scps"] is None and record["id"] == "o-abc1234567"


def test_an_unread_account_s_resources_get_no_guessed_rcps() -> None:
    """RCPs are the resource owner's: a resource in an account that was not read is judged with
    no RCP known (never with the scanned account's own levels, which belong to its OUs)."""
    from preflight.checks.support.roles import organization_layers
    from preflight.graph import ResourceGraph

    s = Snap()
    doc = s.doc()
    rcp = {"id": "p-x", "name": "deny-all", "target": "ou-x", "document": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]})}
    doc["resources"]["organization"] = [{"in_organization": True, "id": "o-abc123", "scps": [], "rcps": [[rcp]]}]
    g = ResourceGraph.build(doc)
    assert organization_layers(g, g.account)[1] is not None
    assert organization_layers(g, "999999999999") == ((), None)
