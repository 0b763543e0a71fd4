"""The request contexts App Runner and ECS send, against policies shaped like the ones AWS
documents for them (keys of tests/iam/sources.py)."""

from __future__ import annotations

from typing import Any

import pytest

from preflight.iam import Decision, Policy, Principal, Request, evaluate, trusts
from preflight.iam import requests as rq
from preflight.iam.context import ABSENT, UNKNOWN

ACCT = "111122223333"
ROLE = f"arn:aws:iam::{ACCT}:role/app"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:prod-db-AbCdEf"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/1111aaaa-2222-bbbb-3333-cccc4444dddd"
PARAM = f"arn:aws:ssm:us-east-1:{ACCT}:parameter/app/db"


def doc(*stmts: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(stmts)}


def principal(*stmts: dict[str, Any], tags: dict[str, str] | None = None) -> Principal:
    return Principal(ROLE, (Policy("inline policy app", doc(*stmts)),), tags=tags)


def test_secret_fetch_keys() -> None:
    """apprunner-env / keys: App Runner reads the secret on its own side as the role session."""
    ctx = rq.secret_fetch(principal(), SECRET, reference=SECRET, tags={"app": "be"})
    assert ctx.get("aws:PrincipalArn") == (ROLE,)
    assert ctx.get("aws:PrincipalAccount") == (ACCT,)
    assert ctx.get("aws:SourceVpc") is ABSENT and ctx.get("aws:SourceVpce") is ABSENT
    assert ctx.get("aws:SourceIp") is UNKNOWN
    assert ctx.get("aws:CalledVia") is ABSENT
    assert ctx.get("aws:ViaAWSService") == ("false",)
    assert ctx.get("aws:SecureTransport") == ("true",)
    assert ctx.get("aws:RequestedRegion") == ("us-east-1",)
    assert ctx.get("aws:ResourceTag/app") == ("be",) and ctx.get("secretsmanager:ResourceTag/app") == ("be",)
    assert ctx.get("aws:ResourceTag/other") is ABSENT
    assert ctx.get("aws:PrincipalTag/team") is UNKNOWN  # the role's tags were not given
    assert ctx.get("aws:username") is ABSENT
    assert ctx.get("secretsmanager:SecretId") == (SECRET,)
    assert ctx.get("aws:PrincipalOrgID") is UNKNOWN


def test_ecs_network_through_endpoint() -> None:
    """ecs-secrets: Fargate fetches through the task ENI, so an interface endpoint sets the keys."""
    ctx = rq.secret_fetch(principal(), SECRET, network=rq.Network(vpc="vpc-1", vpce="vpce-1"))
    assert ctx.get("aws:SourceVpc") == ("vpc-1",) and ctx.get("aws:SourceVpce") == ("vpce-1",)
    assert rq.secret_fetch(principal(), SECRET, network=rq.UNSEEN).get("aws:SourceVpc") is UNKNOWN


def test_decrypt_via_secrets_manager_keys() -> None:
    """kms-sm / fas: Secrets Manager asks KMS with the caller's credentials."""
    ctx = rq.secrets_manager_decrypt(principal(), KEY, SECRET)
    assert ctx.get("kms:ViaService") == ("secretsmanager.us-east-1.amazonaws.com",)
    assert ctx.get("kms:CallerAccount") == (ACCT,)
    assert ctx.get("kms:EncryptionContext:SecretARN") == (SECRET,)
    assert ctx.get("kms:EncryptionContext:SecretVersionId") is UNKNOWN
    assert ctx.get("kms:EncryptionContext:Other") is ABSENT
    assert ctx.get("aws:CalledVia") == ("secretsmanager.amazonaws.com",)
    assert ctx.get("aws:ViaAWSService") == ("true",)
    assert ctx.get("aws:SourceVpc") is ABSENT


SM_DEFAULT_KEY_POLICY = doc(
    {"Sid": "Allow access through AWS Secrets Manager for all principals in the account that are authorized to use "
            "AWS Secrets Manager",
     "Effect": "Allow", "Principal": {"AWS": "*"},
     "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:CreateGrant", "kms:DescribeKey"],
     "Resource": "*",
     "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com",
                                    "kms:CallerAccount": ACCT}}},
    {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
     "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": ["kms:Describe*", "kms:Get*", "kms:List*"],
     "Resource": "*"})

DECRYPT_CASES: list[tuple[str, dict[str, Any], dict[str, Any] | None, Decision]] = [
    ("kms-sm", SM_DEFAULT_KEY_POLICY, None, Decision.ALLOW),
    ("kms-policy", doc({"Effect": "Allow", "Principal": {"AWS": ACCT}, "Action": "kms:*", "Resource": "*"}),
     {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY,
      "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}}, Decision.ALLOW),
    ("kms-cond", doc({"Effect": "Allow", "Principal": {"AWS": ACCT}, "Action": "kms:*", "Resource": "*"}),
     {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY,
      "Condition": {"StringLike": {"kms:EncryptionContext:SecretARN": f"arn:aws:secretsmanager:*:{ACCT}:secret:prod-*"}}},
     Decision.ALLOW),
    ("kms-cond", doc({"Effect": "Allow", "Principal": {"AWS": ACCT}, "Action": "kms:*", "Resource": "*"}),
     {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY,
      "Condition": {"StringEquals": {"kms:EncryptionContext:SecretVersionId": "v1"}}}, Decision.UNKNOWN),
    ("kms-cond", doc({"Effect": "Allow", "Principal": {"AWS": ACCT}, "Action": "kms:*", "Resource": "*"}),
     {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY,
      "Condition": {"ForAnyValue:StringEquals": {"aws:CalledVia": "secretsmanager.amazonaws.com"}}}, Decision.ALLOW),
    ("kms-cond", doc({"Effect": "Allow", "Principal": {"AWS": ACCT}, "Action": "kms:*", "Resource": "*"}),
     {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY,
      "Condition": {"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}}}, Decision.IMPLICIT_DENY),
    ("kms-sm", doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*",
                    "Condition": {"StringEquals": {"kms:CallerAccount": "444455556666"}}}), None, Decision.IMPLICIT_DENY),
]


@pytest.mark.parametrize(("source", "key_policy", "identity", "expected"), DECRYPT_CASES)
def test_decrypt_through_secrets_manager(source: str, key_policy: dict[str, Any], identity: dict[str, Any] | None,
                                         expected: Decision) -> None:
    p = principal(*([identity] if identity else []))
    req = Request(p, "kms:Decrypt", KEY, rq.secrets_manager_decrypt(p, KEY, SECRET), Policy("key policy", key_policy),
                  key_policy=True)
    assert evaluate(req).decision is expected


def test_parameter_decrypt_via_ssm() -> None:
    """ssm-kms: SSM decrypts a SecureString with the PARAMETER_ARN encryption context."""
    p = principal({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY,
                   "Condition": {"StringEquals": {"kms:EncryptionContext:PARAMETER_ARN": PARAM,
                                                  "kms:ViaService": "ssm.us-east-1.amazonaws.com"}}})
    kp = Policy("key policy", doc({"Effect": "Allow", "Principal": {"AWS": ACCT}, "Action": "kms:*", "Resource": "*"}))
    assert evaluate(Request(p, "kms:Decrypt", KEY, rq.ssm_decrypt(p, KEY, PARAM), kp, key_policy=True)).allowed


def test_vpce_deny_in_secret_policy_blocks_app_runner() -> None:
    """sm-rp: a secret restricted to a VPC endpoint cannot be read by App Runner (no VPC keys)."""
    rp = Policy("resource policy", doc({"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                                        "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}))
    p = principal({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": SECRET})
    assert evaluate(Request(p, "secretsmanager:GetSecretValue", SECRET, rq.secret_fetch(p, SECRET), rp)).decision \
        is Decision.EXPLICIT_DENY
    ecs = rq.secret_fetch(p, SECRET, network=rq.Network(vpc="vpc-1", vpce="vpce-1"))
    assert evaluate(Request(p, "secretsmanager:GetSecretValue", SECRET, ecs, rp)).allowed


TRUSTS: list[tuple[str, Any, str, Decision]] = [
    ("principal", {"Statement": [{"Effect": "Allow", "Principal": {"Service": "tasks.apprunner.amazonaws.com"},
                                  "Action": "sts:AssumeRole"}]}, "tasks.apprunner.amazonaws.com", Decision.ALLOW),
    ("principal", {"Statement": [{"Effect": "Allow", "Principal": {"Service": ["ecs-tasks.amazonaws.com",
                                                                              "tasks.apprunner.amazonaws.com"]},
                                  "Action": "sts:AssumeRole"}]}, "tasks.apprunner.amazonaws.com", Decision.ALLOW),
    ("principal", {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                  "Action": "sts:AssumeRole"}]}, "tasks.apprunner.amazonaws.com", Decision.IMPLICIT_DENY),
    ("principal", {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole"}]},
     "tasks.apprunner.amazonaws.com", Decision.IMPLICIT_DENY),
    ("principal", {"Statement": [{"Effect": "Allow", "Principal": {"Service": "tasks.apprunner.amazonaws.com"},
                                  "Action": "sts:TagSession"}]}, "tasks.apprunner.amazonaws.com", Decision.IMPLICIT_DENY),
    ("principal", {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                  "Action": "sts:AssumeRole",
                                  "Condition": {"StringEquals": {"aws:SourceAccount": ACCT}}}]},
     "ecs-tasks.amazonaws.com", Decision.ALLOW),
    ("principal", {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                  "Action": "sts:AssumeRole",
                                  "Condition": {"StringEquals": {"aws:SourceAccount": "444455556666"}}}]},
     "ecs-tasks.amazonaws.com", Decision.IMPLICIT_DENY),
    ("principal", {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                  "Action": "sts:AssumeRole",
                                  "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:ecs:us-east-1:{ACCT}:*"}}}]},
     "ecs-tasks.amazonaws.com", Decision.UNKNOWN),
    ("eval-deny", {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                  "Action": "sts:AssumeRole"},
                                 {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}]},
     "ecs-tasks.amazonaws.com", Decision.EXPLICIT_DENY),
    ("principal", None, "ecs-tasks.amazonaws.com", Decision.IMPLICIT_DENY),
    # no external id is passed by App Runner or ECS, and service principals carry no PrincipalArn
    ("keys", {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                             "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}]},
     "ecs-tasks.amazonaws.com", Decision.IMPLICIT_DENY),
    ("keys", {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                             "Action": "sts:AssumeRole"},
                            {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                             "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalAccount": ACCT}}}]},
     "ecs-tasks.amazonaws.com", Decision.EXPLICIT_DENY),
    ("keys", {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                             "Action": "sts:AssumeRole"},
                            {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                             "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ACCT},
                                           "Null": {"aws:PrincipalAccount": "false"}}}]},
     "ecs-tasks.amazonaws.com", Decision.ALLOW),
    ("principal", '{"Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},'
                  '"Action":["sts:AssumeRole"]}]}', "ecs-tasks.amazonaws.com", Decision.ALLOW),
    ("principal", "{broken", "ecs-tasks.amazonaws.com", Decision.UNKNOWN),
]


@pytest.mark.parametrize(("source", "trust", "service", "expected"), TRUSTS)
def test_trust(source: str, trust: Any, service: str, expected: Decision) -> None:
    assert trusts(trust, service, ROLE, rq.trust_context(service, ACCT)).decision is expected


def test_keys_a_role_session_never_carries() -> None:
    """keys: aws:SourceAccount/aws:SourceArn come with service principals only; reads carry no
    request tags; the organization keys follow what preflight read."""
    ctx = rq.secret_fetch(principal(), SECRET)
    for key in ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:TagKeys", "aws:RequestTag/env"):
        assert ctx.get(key) is ABSENT, key
    assert rq.secret_fetch(principal(), SECRET, org=rq.Org(False)).get("aws:PrincipalOrgID") is ABSENT
    member = rq.secret_fetch(principal(), SECRET, org=rq.Org(True, "o-abc123"))
    assert member.get("aws:PrincipalOrgID") == ("o-abc123",) and member.get("aws:ResourceOrgID") == ("o-abc123",)
    other = rq.secret_fetch(principal(), SECRET.replace(ACCT, "444455556666"), org=rq.Org(True, "o-abc123"))
    assert other.get("aws:ResourceOrgID") is UNKNOWN
    assert member.get("aws:PrincipalOrgPaths") is UNKNOWN  # the OUs were not read
    placed = rq.secret_fetch(principal(), SECRET, org=rq.Org(True, "o-abc123", DEV))
    assert placed.get("aws:PrincipalOrgPaths") == (DEV,) and placed.get("aws:ResourceOrgPaths") == (DEV,)
    assert rq.secret_fetch(principal(), SECRET, org=rq.Org(False)).get("aws:PrincipalOrgPaths") is ABSENT
    # a resource in another account whose organization preflight read (an organization scan)
    theirs = SECRET.replace(ACCT, "444455556666")
    borrowed = rq.secret_fetch(principal(), theirs, org=rq.Org(True, "o-abc123", DEV),
                               resource_org=rq.Org(True, "o-abc123", PROD))
    assert borrowed.get("aws:ResourceOrgID") == ("o-abc123",) and borrowed.get("aws:ResourceOrgPaths") == (PROD,)
    outside = rq.secret_fetch(principal(), theirs, org=rq.Org(True, "o-abc123"), resource_org=rq.Org(False))
    assert outside.get("aws:ResourceOrgID") is ABSENT


PROD = "o-abc123/r-ab12/ou-ab12-prod/ou-ab12-apps/"  # an account two OUs below the root
DEV = "o-abc123/r-ab12/ou-ab12-dev/"
ORG_CASES: list[tuple[str, dict[str, Any], rq.Org | None, Decision]] = [
    ("operators", {"StringNotEqualsIfExists": {"aws:SourceAccount": ACCT}}, None, Decision.EXPLICIT_DENY),
    ("operators", {"StringNotEquals": {"aws:SourceAccount": ACCT}}, None, Decision.EXPLICIT_DENY),
    ("keys", {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}, rq.Org(True, "o-abc123"), Decision.ALLOW),
    ("keys", {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}, rq.Org(True, "o-zzz999"), Decision.EXPLICIT_DENY),
    ("keys", {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}, rq.Org(False), Decision.EXPLICIT_DENY),
    ("keys", {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}, None, Decision.UNKNOWN),
    ("keys", {"Null": {"aws:RequestTag/env": "false"}}, None, Decision.ALLOW),
    # aws:PrincipalOrgPaths: the organization, root and OUs down to the account's parent, each
    # with a trailing slash; multivalued (one path per account)
    ("keys", {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": "o-abc123/r-ab12/ou-ab12-prod/*"}},
     rq.Org(True, "o-abc123", PROD), Decision.ALLOW),
    ("keys", {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": "o-abc123/r-ab12/ou-ab12-prod/*"}},
     rq.Org(True, "o-abc123", DEV), Decision.EXPLICIT_DENY),
    ("keys", {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": "o-abc123/r-ab12/ou-ab12-prod/*"}},
     rq.Org(True, "o-abc123"), Decision.UNKNOWN),
    ("keys", {"ForAllValues:StringNotEquals": {"aws:PrincipalOrgPaths": PROD}}, rq.Org(True, "o-abc123", PROD),
     Decision.ALLOW),
    ("keys", {"ForAllValues:StringNotEquals": {"aws:PrincipalOrgPaths": "o-abc123/r-ab12/ou-ab12-prod/"}},
     rq.Org(True, "o-abc123", PROD), Decision.EXPLICIT_DENY),  # the exact path is the child OU's
]


@pytest.mark.parametrize(("source", "condition", "org", "expected"), ORG_CASES)
def test_perimeter_denies(source: str, condition: dict[str, Any], org: rq.Org | None, expected: Decision) -> None:
    p = principal({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": SECRET})
    rp = Policy("resource policy", doc({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
                                        "Condition": condition}))
    ctx = rq.secret_fetch(p, SECRET, org=org)
    assert evaluate(Request(p, "secretsmanager:GetSecretValue", SECRET, ctx, rp)).decision is expected
