"""Whole requests through AWS's evaluation order: identity, boundary, resource and key policies,
organization policies, principals, cross-account access. Each case names its source page (keys of
tests/iam/sources.py) and the verdict AWS documents for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from preflight.iam import Decision, Policy, Principal, Request, build, evaluate
from preflight.iam import requests as rq
from tests.iam.sources import SOURCES

ACCT, OTHER = "111122223333", "444455556666"
ROLE = f"arn:aws:iam::{ACCT}:role/app"
PATH_ROLE = f"arn:aws:iam::{ACCT}:role/service/app"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/app/apprunner"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:prod-db-AbCdEf"
XSECRET = f"arn:aws:secretsmanager:us-east-1:{OTHER}:secret:prod-db-AbCdEf"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/1111aaaa-2222-bbbb-3333-cccc4444dddd"
XKEY = f"arn:aws:kms:us-east-1:{OTHER}:key/1111aaaa-2222-bbbb-3333-cccc4444dddd"
GET, DECRYPT = "secretsmanager:GetSecretValue", "kms:Decrypt"
ALLOW, IMPLICIT, EXPLICIT, UNDECIDED = (Decision.ALLOW, Decision.IMPLICIT_DENY, Decision.EXPLICIT_DENY,
                                        Decision.UNKNOWN)


def doc(*stmts: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(stmts)}


def allow(action: Any = GET, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = GET, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def rallow(principal: Any, action: Any = GET, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource, **extra}


def rdeny(principal: Any, action: Any = GET, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal, "Action": action, "Resource": resource, **extra}


def aws(*names: str) -> dict[str, Any]:
    return {"AWS": list(names) if len(names) > 1 else names[0]}


@dataclass
class Case:
    id: str
    source: str
    expect: Decision
    identity: list[dict[str, Any]] = field(default_factory=list)
    boundary: dict[str, Any] | None = None
    resource_policy: dict[str, Any] | None = None
    action: str = GET
    resource: str = SECRET
    role: str = ROLE
    session: str | None = "apprunner"
    tags: dict[str, str] | None = None
    context: dict[str, Any] | None = None
    key_policy: bool = False
    seen: bool = True
    scps: list[list[dict[str, Any]]] | None = field(default_factory=list)
    rcps: list[list[dict[str, Any]]] | None = field(default_factory=list)
    role_id: str | None = None


FULL = doc(allow("*", "*"))
C: list[Case] = []


def case(id: str, source: str, expect: Decision, **kw: Any) -> None:
    C.append(Case(id, source, expect, **kw))


# --- identity policies: default deny, explicit allow, explicit deny ------------------------
case("no-policies", "eval", IMPLICIT)
case("allow-exact", "eval", ALLOW, identity=[doc(allow(GET, SECRET))])
case("allow-star", "eval", ALLOW, identity=[doc(allow("*", "*"))])
case("allow-other-action", "eval", IMPLICIT, identity=[doc(allow("secretsmanager:DescribeSecret", SECRET))])
case("allow-other-resource", "eval", IMPLICIT, identity=[doc(allow(GET, SECRET.replace("prod-db", "dev-db")))])
case("deny-wins", "eval-deny", EXPLICIT, identity=[doc(allow(GET, SECRET), deny(GET, SECRET))])
case("deny-other-policy", "eval-deny", EXPLICIT, identity=[doc(allow(GET, SECRET)), doc(deny("*", "*"))])
case("deny-only", "eval-deny", EXPLICIT, identity=[doc(deny(GET, SECRET))])
case("deny-other-action", "eval-deny", ALLOW, identity=[doc(allow(GET, SECRET), deny("secretsmanager:PutSecretValue", "*"))])
case("deny-other-resource", "eval-deny", ALLOW,
     identity=[doc(allow(GET, "*"), deny(GET, SECRET.replace("prod-db", "dev-db")))])
case("effect-case-sensitive", "eval", IMPLICIT, identity=[doc({"Effect": "allow", "Action": GET, "Resource": "*"})])
case("no-resource-in-identity", "resource", IMPLICIT, identity=[doc({"Effect": "Allow", "Action": GET})])
case("no-action", "action", IMPLICIT, identity=[doc({"Effect": "Allow", "Resource": "*"})])
case("statement-as-object", "eval", ALLOW, identity=[{"Version": "2012-10-17", "Statement": allow(GET, SECRET)}])
case("action-list", "action", ALLOW, identity=[doc(allow(["kms:Decrypt", GET], SECRET))])
case("resource-list", "resource", ALLOW, identity=[doc(allow(GET, ["arn:aws:s3:::b", SECRET]))])
case("action-wildcard", "action", ALLOW, identity=[doc(allow("secretsmanager:Get*", SECRET))])
case("action-case", "action", ALLOW, identity=[doc(allow("SECRETSMANAGER:getsecretvalue", SECRET))])
case("resource-case", "resource", IMPLICIT, identity=[doc(allow(GET, SECRET.upper()))])
case("suffix-wildcard", "sm-arn", ALLOW, identity=[doc(allow(GET, SECRET[:-6] + "??????"))])
case("name-prefix-not-a-match", "sm-arn", IMPLICIT,
     identity=[doc(allow(GET, f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:prod-??????"))],
     resource=f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:prod-db-master-AbCdEf")
case("name-star", "sm-arn", ALLOW, identity=[doc(allow(GET, f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:prod-db*"))])
case("without-suffix", "sm-arn", IMPLICIT, identity=[doc(allow(GET, SECRET[:-7]))])
case("region-mismatch", "resource", IMPLICIT, identity=[doc(allow(GET, SECRET.replace("us-east-1", "eu-west-1")))])
case("region-wildcard", "resource", ALLOW, identity=[doc(allow(GET, SECRET.replace("us-east-1", "*")))])
case("account-mismatch", "resource", IMPLICIT, identity=[doc(allow(GET, SECRET.replace(ACCT, OTHER)))])
case("partition-mismatch", "resource", IMPLICIT, identity=[doc(allow(GET, SECRET.replace("arn:aws:", "arn:aws-cn:")))])
case("unparsable-policy", "eval", UNDECIDED, identity=[doc(allow(GET, SECRET)), "{not json"])
case("unparsable-deny-only", "eval", UNDECIDED, identity=["{not json", doc(allow(GET, SECRET))])

# --- NotAction / NotResource ---------------------------------------------------------------
case("notaction-allow", "notaction", ALLOW, identity=[doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})])
case("notaction-allow-excluded", "notaction", IMPLICIT,
     identity=[doc({"Effect": "Allow", "NotAction": "secretsmanager:*", "Resource": "*"})])
case("notaction-deny", "notaction", EXPLICIT,
     identity=[doc(allow(), {"Effect": "Deny", "NotAction": "kms:*", "Resource": "*"})])
case("notaction-deny-excluded", "notaction", ALLOW,
     identity=[doc(allow(), {"Effect": "Deny", "NotAction": "secretsmanager:Get*", "Resource": "*"})])
case("notresource-allow", "notresource", ALLOW,
     identity=[doc({"Effect": "Allow", "Action": GET, "NotResource": SECRET.replace("prod", "dev")})])
case("notresource-allow-excluded", "notresource", IMPLICIT,
     identity=[doc({"Effect": "Allow", "Action": GET, "NotResource": SECRET})])
case("notresource-deny", "notresource", EXPLICIT,
     identity=[doc(allow(), {"Effect": "Deny", "Action": GET, "NotResource": "arn:aws:secretsmanager:*:*:secret:dev/*"})])
case("notresource-deny-excluded", "notresource", ALLOW,
     identity=[doc(allow(), {"Effect": "Deny", "Action": GET, "NotResource": "arn:aws:secretsmanager:*:*:secret:prod-*"})])
case("notaction-notresource", "notresource", ALLOW,
     identity=[doc({"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::*"})])

# --- permissions boundaries ----------------------------------------------------------------
case("boundary-allows", "boundary", ALLOW, identity=[doc(allow(GET, SECRET))], boundary=doc(allow("secretsmanager:*", "*")))
case("boundary-silent", "boundary", IMPLICIT, identity=[doc(allow(GET, SECRET))], boundary=doc(allow("s3:*", "*")))
case("boundary-denies", "boundary", EXPLICIT, identity=[doc(allow(GET, SECRET))], boundary=doc(allow("*", "*"), deny(GET, "*")))
case("boundary-alone", "boundary", IMPLICIT, boundary=doc(allow("*", "*")))
case("boundary-other-resource", "boundary", IMPLICIT, identity=[doc(allow(GET, "*"))],
     boundary=doc(allow(GET, "arn:aws:secretsmanager:*:*:secret:dev-*")))
case("boundary-notaction", "boundary", ALLOW, identity=[doc(allow(GET, "*"))],
     boundary=doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
case("boundary-rp-role-arn", "boundary", IMPLICIT, boundary=doc(allow("s3:*", "*")),
     resource_policy=doc(rallow(aws(ROLE))))
case("boundary-rp-role-arn-allowed", "boundary", ALLOW, boundary=doc(allow(GET, "*")),
     resource_policy=doc(rallow(aws(ROLE))))
case("boundary-rp-session-arn", "boundary", ALLOW, boundary=doc(allow("s3:*", "*")),
     resource_policy=doc(rallow(aws(SESSION))))
case("boundary-rp-star", "boundary", IMPLICIT, boundary=doc(allow("s3:*", "*")), resource_policy=doc(rallow("*")))
case("boundary-rp-account", "boundary", IMPLICIT, boundary=doc(allow("*", "*")), resource_policy=doc(rallow(aws(ACCT))))
case("boundary-rp-session-unknown", "boundary", UNDECIDED, boundary=doc(allow("s3:*", "*")),
     resource_policy=doc(rallow(aws(SESSION))), session=None)
case("boundary-deny-beats-session-grant", "boundary", EXPLICIT, boundary=doc(allow("*", "*"), deny(GET, "*")),
     resource_policy=doc(rallow(aws(SESSION))))
case("boundary-conditional", "boundary", UNDECIDED, identity=[doc(allow(GET, SECRET))],
     boundary=doc(allow("*", "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))

# --- resource policies in the same account --------------------------------------------------
case("rp-role-grants", "eval", ALLOW, resource_policy=doc(rallow(aws(ROLE))))
case("rp-role-path", "principal", ALLOW, role=PATH_ROLE, resource_policy=doc(rallow(aws(PATH_ROLE))))
case("rp-role-path-missing", "principal", IMPLICIT, role=PATH_ROLE, resource_policy=doc(rallow(aws(ROLE))))
case("rp-session-grants", "principal", ALLOW, resource_policy=doc(rallow(aws(SESSION))))
case("rp-other-session", "principal", IMPLICIT, resource_policy=doc(rallow(aws(SESSION.replace("apprunner", "other")))))
case("rp-session-unknown", "principal", UNDECIDED, session=None, resource_policy=doc(rallow(aws(SESSION))))
case("rp-session-unknown-but-identity", "principal", ALLOW, session=None, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc(rallow(aws(SESSION))))
case("rp-star", "principal", ALLOW, resource_policy=doc(rallow("*")))
case("rp-aws-star", "principal", ALLOW, resource_policy=doc(rallow(aws("*"))))
case("rp-account-delegates", "principal", IMPLICIT, resource_policy=doc(rallow(aws(ACCT))))
case("rp-account-root-delegates", "principal", IMPLICIT, resource_policy=doc(rallow(aws(f"arn:aws:iam::{ACCT}:root"))))
case("rp-account-and-identity", "principal", ALLOW, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc(rallow(aws(ACCT))))
case("rp-other-role", "principal", IMPLICIT, resource_policy=doc(rallow(aws(f"arn:aws:iam::{ACCT}:role/web"))))
case("rp-partial-wildcard", "principal", IMPLICIT, resource_policy=doc(rallow(aws(f"arn:aws:iam::{ACCT}:role/*"))))
case("rp-role-id", "principal", ALLOW, role_id="AROAEXAMPLEID123", resource_policy=doc(rallow(aws("AROAEXAMPLEID123"))))
case("rp-other-role-id", "principal", IMPLICIT, role_id="AROAEXAMPLEID123",
     resource_policy=doc(rallow(aws("AROAOTHEREXAMPLE"))))
case("rp-service-principal", "principal", IMPLICIT,
     resource_policy=doc(rallow({"Service": "apprunner.amazonaws.com"})))
case("rp-no-principal", "principal", IMPLICIT, resource_policy=doc(allow(GET, "*")))
case("rp-other-action", "sm-rp", IMPLICIT, resource_policy=doc(rallow(aws(ROLE), "secretsmanager:DescribeSecret")))
case("rp-no-resource", "sm-rp", ALLOW,
     resource_policy=doc({"Effect": "Allow", "Principal": aws(ROLE), "Action": GET}))
case("rp-deny-role", "sm-rp", EXPLICIT, identity=[doc(allow(GET, SECRET))], resource_policy=doc(rdeny(aws(ROLE))))
case("rp-deny-account", "sm-rp", EXPLICIT, identity=[doc(allow(GET, SECRET))], resource_policy=doc(rdeny(aws(ACCT))))
case("rp-deny-root", "sm-rp", EXPLICIT, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc(rdeny(aws(f"arn:aws:iam::{ACCT}:root"))))
case("rp-deny-star", "sm-rp", EXPLICIT, identity=[doc(allow(GET, SECRET))], resource_policy=doc(rdeny("*")))
case("rp-deny-other-role", "sm-rp", ALLOW, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc(rdeny(aws(f"arn:aws:iam::{ACCT}:role/web"))))
case("rp-deny-other-account", "sm-rp", ALLOW, identity=[doc(allow(GET, SECRET))], resource_policy=doc(rdeny(aws(OTHER))))
case("rp-deny-star-unless-role", "sm-rp", ALLOW, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc(rdeny("*", Condition={"StringNotEquals": {"aws:PrincipalArn": ROLE}})))
case("rp-deny-star-unless-other", "sm-rp", EXPLICIT, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc(rdeny("*", Condition={"StringNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/web"}})))
case("rp-deny-star-unless-like", "sm-rp", ALLOW, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc(rdeny("*", Condition={"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/a*"}})))
case("rp-deny-unparsable", "sm-rp", UNDECIDED, identity=[doc(allow(GET, SECRET))], resource_policy="{oops")  # type: ignore[arg-type]

# --- NotPrincipal ----------------------------------------------------------------------------
ALL3 = aws(f"arn:aws:iam::{ACCT}:root", ROLE, SESSION)
case("np-deny-applies", "notprincipal", EXPLICIT, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc({"Effect": "Deny", "NotPrincipal": aws(f"arn:aws:iam::{ACCT}:role/web"), "Action": GET, "Resource": "*"}))
case("np-deny-all-three-listed", "notprincipal", ALLOW, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc({"Effect": "Deny", "NotPrincipal": ALL3, "Action": GET, "Resource": "*"}))
case("np-deny-role-only", "notprincipal", EXPLICIT, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc({"Effect": "Deny", "NotPrincipal": aws(ROLE), "Action": GET, "Resource": "*"}))
case("np-deny-without-account", "notprincipal", EXPLICIT, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc({"Effect": "Deny", "NotPrincipal": aws(ROLE, SESSION), "Action": GET, "Resource": "*"}))
case("np-deny-session-unknown", "notprincipal", UNDECIDED, identity=[doc(allow(GET, SECRET))], session=None,
     resource_policy=doc({"Effect": "Deny", "NotPrincipal": ALL3, "Action": GET, "Resource": "*"}))
case("np-deny-boundary-always", "notprincipal", EXPLICIT, identity=[doc(allow(GET, SECRET))], boundary=FULL,
     resource_policy=doc({"Effect": "Deny", "NotPrincipal": ALL3, "Action": GET, "Resource": "*"}))
case("np-deny-other-action", "notprincipal", ALLOW, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc({"Effect": "Deny", "NotPrincipal": aws(OTHER), "Action": "secretsmanager:DeleteSecret", "Resource": "*"}))
case("np-allow-not-listed", "notprincipal", ALLOW,
     resource_policy=doc({"Effect": "Allow", "NotPrincipal": aws(f"arn:aws:iam::{ACCT}:role/web"), "Action": GET, "Resource": "*"}))
case("np-allow-listed", "notprincipal", IMPLICIT,
     resource_policy=doc({"Effect": "Allow", "NotPrincipal": aws(ROLE), "Action": GET, "Resource": "*"}))
case("np-allow-account-listed", "notprincipal", IMPLICIT,
     resource_policy=doc({"Effect": "Allow", "NotPrincipal": aws(ACCT), "Action": GET, "Resource": "*"}))

# --- conditions evaluated in context ----------------------------------------------------------
TAGGED = {"team": "web"}
case("cond-principal-tag", "keys", ALLOW, tags=TAGGED,
     identity=[doc(allow(GET, "*", Condition={"StringEquals": {"aws:PrincipalTag/team": "web"}}))])
case("cond-principal-tag-other", "keys", IMPLICIT, tags=TAGGED,
     identity=[doc(allow(GET, "*", Condition={"StringEquals": {"aws:PrincipalTag/team": "api"}}))])
case("cond-principal-tag-missing", "keys", IMPLICIT, tags={},
     identity=[doc(allow(GET, "*", Condition={"StringEquals": {"aws:PrincipalTag/team": "web"}}))])
case("cond-principal-tag-unread", "keys", UNDECIDED, tags=None,
     identity=[doc(allow(GET, "*", Condition={"StringEquals": {"aws:PrincipalTag/team": "web"}}))])
case("cond-resource-tag-matches-principal", "variables", ALLOW, tags=TAGGED,
     context={"aws:ResourceTag/team": "web"},
     identity=[doc(allow(GET, "*", Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}))])
case("cond-resource-tag-differs", "variables", IMPLICIT, tags=TAGGED,
     context={"aws:ResourceTag/team": "api"},
     identity=[doc(allow(GET, "*", Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}))])
case("cond-variable-literal-2008", "version", IMPLICIT, tags=TAGGED, context={"aws:ResourceTag/team": "web"},
     identity=[doc(allow(GET, "*", Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}),
                   version="2008-10-17")])
case("cond-resource-variable", "variables", ALLOW, tags=TAGGED,
     identity=[doc(allow(GET, "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*"))],
     resource=f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:web/db-AbCdEf")
case("cond-resource-variable-other", "variables", IMPLICIT, tags=TAGGED,
     identity=[doc(allow(GET, "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*"))],
     resource=f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:api/db-AbCdEf")
case("cond-username-role", "variables", IMPLICIT,
     identity=[doc(allow(GET, "arn:aws:secretsmanager:*:*:secret:${aws:username}/*"))],
     resource=f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:app/db-AbCdEf")
case("cond-principal-arn", "keys", ALLOW,
     identity=[doc(allow(GET, "*", Condition={"ArnEquals": {"aws:PrincipalArn": ROLE}}))])
case("cond-principal-account", "keys", ALLOW,
     identity=[doc(allow(GET, "*", Condition={"StringEquals": {"aws:PrincipalAccount": ACCT}}))])
case("cond-source-vpc-absent", "keys", IMPLICIT,
     identity=[doc(allow(GET, "*", Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}}))])
case("cond-deny-unless-vpce", "keys", EXPLICIT, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc(rdeny("*", Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}})))
case("cond-deny-unless-vpce-ifexists", "operators", EXPLICIT, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc(rdeny("*", Condition={"StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-1"}})))
case("cond-deny-null-vpc", "keys", EXPLICIT, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc(rdeny("*", Condition={"Null": {"aws:SourceVpc": "true"}})))
case("cond-deny-source-ip", "keys", UNDECIDED, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc(rdeny("*", Condition={"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}})))
case("cond-deny-source-ip-but-denied-anyway", "keys", IMPLICIT,
     resource_policy=doc(rdeny("*", Condition={"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}})))
case("cond-deny-insecure", "keys", ALLOW, identity=[doc(allow(GET, SECRET))],
     resource_policy=doc(rdeny("*", Condition={"Bool": {"aws:SecureTransport": "false"}})))
case("cond-mfa-required", "keys", IMPLICIT,
     identity=[doc(allow(GET, "*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))])
case("cond-deny-no-mfa-ifexists", "operators", EXPLICIT, identity=[doc(allow(GET, SECRET),
     deny(GET, "*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))])
case("cond-deny-no-mfa", "operators", ALLOW, identity=[doc(allow(GET, SECRET),
     deny(GET, "*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}))])
case("cond-region", "keys", ALLOW,
     identity=[doc(allow(GET, "*", Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}}))])
case("cond-region-other", "keys", IMPLICIT,
     identity=[doc(allow(GET, "*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}))])
case("cond-deny-region", "scp", EXPLICIT, identity=[doc(allow(GET, SECRET))],
     scps=[[doc(allow("*", "*"), deny("*", "*", Condition={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}))]])
case("cond-resource-account", "keys", ALLOW,
     identity=[doc(allow(GET, "*", Condition={"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}))])
case("cond-secret-tag", "keys", ALLOW, context={"secretsmanager:ResourceTag/app": "be"},
     identity=[doc(allow(GET, "*", Condition={"StringEquals": {"secretsmanager:ResourceTag/app": "be"}}))])
case("cond-secret-tag-unknown", "keys", UNDECIDED,
     identity=[doc(allow(GET, "*", Condition={"StringEquals": {"secretsmanager:ResourceTag/app": "be"}}))])
case("cond-unknown-operator", "operators", UNDECIDED,
     identity=[doc(allow(GET, "*", Condition={"StringMaybe": {"aws:PrincipalAccount": ACCT}}))])
case("cond-unknown-but-other-allow", "operators", ALLOW,
     identity=[doc(allow(GET, "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), allow(GET, SECRET))])
case("cond-unknown-deny-and-allow", "eval-deny", UNDECIDED,
     identity=[doc(allow(GET, SECRET), deny(GET, "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))])
case("cond-unknown-deny-known-deny", "eval-deny", EXPLICIT,
     identity=[doc(allow(GET, SECRET), deny(GET, "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), deny(GET, "*"))])
case("cond-calledvia-absent-direct", "keys", IMPLICIT,
     identity=[doc(allow(GET, "*", Condition={"ForAnyValue:StringEquals": {"aws:CalledVia": "cloudformation.amazonaws.com"}}))])
case("cond-via-aws-service-false", "fas", ALLOW, identity=[doc(allow(GET, SECRET),
     deny(GET, "*", Condition={"Bool": {"aws:ViaAWSService": "true"}}))])

# --- the secret's key: KMS key policies ----------------------------------------------------------
ROOT = f"arn:aws:iam::{ACCT}:root"
TRUST_ACCOUNT = doc({"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": aws(ROOT),
                     "Action": "kms:*", "Resource": "*"})
IDENT_DECRYPT = [doc(allow(DECRYPT, KEY))]
K = dict(action=DECRYPT, resource=KEY, key_policy=True)
case("kms-root-and-identity", "kms-policy", ALLOW, identity=IDENT_DECRYPT, resource_policy=TRUST_ACCOUNT, **K)
case("kms-bare-account-and-identity", "kms-policy", ALLOW, identity=IDENT_DECRYPT,
     resource_policy=doc(rallow(aws(ACCT), "kms:*")), **K)
case("kms-root-no-identity", "kms-policy", IMPLICIT, resource_policy=TRUST_ACCOUNT, **K)
case("kms-identity-without-trust", "kms-auth", IMPLICIT, identity=IDENT_DECRYPT,
     resource_policy=doc(rallow(aws(f"arn:aws:iam::{ACCT}:role/admin"), "kms:*")), **K)
case("kms-identity-star-without-trust", "kms-auth", IMPLICIT, identity=[FULL],
     resource_policy=doc(rallow(aws(f"arn:aws:iam::{ACCT}:role/admin"), "kms:*")), **K)
case("kms-names-role", "kms-auth", ALLOW, resource_policy=doc(rallow(aws(ROLE), DECRYPT)), **K)
case("kms-names-role-boundary", "boundary", IMPLICIT, boundary=doc(allow("s3:*", "*")),
     resource_policy=doc(rallow(aws(ROLE), DECRYPT)), **K)
case("kms-names-session-boundary", "boundary", ALLOW, boundary=doc(allow("s3:*", "*")),
     resource_policy=doc(rallow(aws(SESSION), DECRYPT)), **K)
case("kms-root-boundary-silent", "boundary", IMPLICIT, identity=IDENT_DECRYPT, boundary=doc(allow("s3:*", "*")),
     resource_policy=TRUST_ACCOUNT, **K)
case("kms-root-boundary-allows", "boundary", ALLOW, identity=IDENT_DECRYPT, boundary=doc(allow("kms:*", "*")),
     resource_policy=TRUST_ACCOUNT, **K)
case("kms-deny-in-key-policy", "kms-auth", EXPLICIT, identity=IDENT_DECRYPT,
     resource_policy=doc(TRUST_ACCOUNT["Statement"][0], rdeny("*", DECRYPT)), **K)
case("kms-deny-in-identity", "kms-auth", EXPLICIT, identity=[doc(allow(DECRYPT, KEY), deny("kms:*", "*"))],
     resource_policy=TRUST_ACCOUNT, **K)
case("kms-no-key-policy-read", "kms-auth", UNDECIDED, identity=IDENT_DECRYPT, seen=False, **K)
case("kms-star-via-service", "kms-sm", ALLOW,
     resource_policy=doc(rallow(aws("*"), DECRYPT, Condition={
         "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com", "kms:CallerAccount": ACCT}})),
     context={"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com", "kms:CallerAccount": ACCT}, **K)
case("kms-star-via-other-service", "kms-cond", IMPLICIT,
     resource_policy=doc(rallow(aws("*"), DECRYPT, Condition={
         "StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}})),
     context={"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}, **K)
case("kms-identity-via-service", "kms-cond", ALLOW, resource_policy=TRUST_ACCOUNT,
     identity=[doc(allow(DECRYPT, KEY, Condition={"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}))],
     context={"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}, **K)
case("kms-encryption-context", "kms-cond", ALLOW, resource_policy=TRUST_ACCOUNT,
     identity=[doc(allow(DECRYPT, KEY, Condition={"StringEquals": {"kms:EncryptionContext:SecretARN": SECRET}}))],
     context={"kms:EncryptionContext:SecretARN": SECRET}, **K)
case("kms-encryption-context-other", "kms-cond", IMPLICIT, resource_policy=TRUST_ACCOUNT,
     identity=[doc(allow(DECRYPT, KEY, Condition={"StringLike": {"kms:EncryptionContext:SecretARN": "*:secret:dev/*"}}))],
     context={"kms:EncryptionContext:SecretARN": SECRET}, **K)
case("kms-other-action", "kms-auth", IMPLICIT, identity=[doc(allow("kms:Encrypt", KEY))], resource_policy=TRUST_ACCOUNT, **K)
case("kms-alias-resource", "kms-auth", IMPLICIT, identity=[doc(allow(DECRYPT, f"arn:aws:kms:us-east-1:{ACCT}:alias/db"))],
     resource_policy=TRUST_ACCOUNT, **K)

# --- cross-account ------------------------------------------------------------------------------
X = dict(resource=XSECRET)
case("xacct-identity-only", "xacct", IMPLICIT, identity=[doc(allow(GET, XSECRET))],
     resource_policy=doc(rallow(aws(f"arn:aws:iam::{OTHER}:role/x"))), **X)
case("xacct-no-resource-policy", "xacct", IMPLICIT, identity=[doc(allow(GET, XSECRET))], **X)
case("rp-unseen-same-account", "eval-deny", UNDECIDED, identity=[doc(allow(GET, SECRET))], seen=False)
case("rp-unseen-same-account-identity-silent", "eval", UNDECIDED, seen=False)
case("rp-unseen-same-account-explicit-deny", "eval-deny", EXPLICIT, identity=[doc(deny(GET, "*"))], seen=False)
case("xacct-rp-unseen", "xacct", UNDECIDED, identity=[doc(allow(GET, XSECRET))], seen=False, **X)
case("xacct-rp-unseen-identity-denies", "xacct", IMPLICIT, seen=False, **X)
case("xacct-rp-unseen-explicit-deny", "xacct", EXPLICIT, identity=[doc(deny(GET, "*"))], seen=False, **X)
case("xacct-both", "xacct", ALLOW, identity=[doc(allow(GET, XSECRET))], resource_policy=doc(rallow(aws(ROLE))), **X)
case("xacct-rp-account", "xacct", ALLOW, identity=[doc(allow(GET, XSECRET))], resource_policy=doc(rallow(aws(ACCT))), **X)
case("xacct-rp-root", "xacct", ALLOW, identity=[doc(allow(GET, XSECRET))], resource_policy=doc(rallow(aws(ROOT))), **X)
case("xacct-rp-star", "xacct", ALLOW, identity=[doc(allow(GET, XSECRET))], resource_policy=doc(rallow("*")), **X)
case("xacct-rp-only", "xacct", IMPLICIT, resource_policy=doc(rallow(aws(ROLE))), **X)
case("xacct-rp-session-only", "xacct", IMPLICIT, resource_policy=doc(rallow(aws(SESSION))), **X)
case("xacct-rp-other-account", "xacct", IMPLICIT, identity=[doc(allow(GET, XSECRET))],
     resource_policy=doc(rallow(aws("999988887777"))), **X)
case("xacct-rp-deny", "xacct", EXPLICIT, identity=[doc(allow(GET, XSECRET))],
     resource_policy=doc(rallow(aws(ROLE)), rdeny(aws(ACCT))), **X)
case("xacct-boundary", "xacct", IMPLICIT, identity=[doc(allow(GET, XSECRET))], boundary=doc(allow("s3:*", "*")),
     resource_policy=doc(rallow(aws(ROLE))), **X)
case("xacct-principal-org", "xacct", UNDECIDED, identity=[doc(allow(GET, XSECRET))],
     resource_policy=doc(rallow("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})), **X)
case("xacct-principal-org-known", "xacct", ALLOW, identity=[doc(allow(GET, XSECRET))], context={"aws:PrincipalOrgID": "o-abc"},
     resource_policy=doc(rallow("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})), **X)
XK = dict(action=DECRYPT, resource=XKEY, key_policy=True)
case("xkms-both", "kms-xacct", ALLOW, identity=[doc(allow(DECRYPT, XKEY))], resource_policy=doc(rallow(aws(ROOT), DECRYPT)), **XK)
case("xkms-role", "kms-xacct", ALLOW, identity=[doc(allow(DECRYPT, XKEY))], resource_policy=doc(rallow(aws(ROLE), DECRYPT)), **XK)
case("xkms-key-only", "kms-xacct", IMPLICIT, resource_policy=doc(rallow(aws(ROLE), DECRYPT)), **XK)
case("xkms-identity-only", "kms-xacct", IMPLICIT, identity=[doc(allow(DECRYPT, XKEY))],
     resource_policy=doc(rallow(aws(f"arn:aws:iam::{OTHER}:root"), "kms:*")), **XK)
case("xkms-identity-wrong-resource", "kms-xacct", IMPLICIT, identity=[doc(allow(DECRYPT, KEY))],
     resource_policy=doc(rallow(aws(ROOT), DECRYPT)), **XK)

# --- organization policies -----------------------------------------------------------------------
FULLSCP = doc(allow("*", "*"))
case("scp-full", "scp", ALLOW, identity=[doc(allow(GET, SECRET))], scps=[[FULLSCP], [FULLSCP]])
case("scp-level-missing-allow", "scp", IMPLICIT, identity=[doc(allow(GET, SECRET))], scps=[[FULLSCP], [doc(allow("s3:*", "*"))]])
case("scp-deny", "scp", EXPLICIT, identity=[doc(allow(GET, SECRET))], scps=[[FULLSCP, doc(deny("secretsmanager:*", "*"))]])
case("scp-allow-alone", "scp", IMPLICIT, scps=[[FULLSCP]])
case("scp-does-not-grant-rp", "scp", IMPLICIT, resource_policy=doc(rallow(aws(ROLE))), scps=[[doc(allow("s3:*", "*"))]])
case("scp-unseen", "scp", ALLOW, identity=[doc(allow(GET, SECRET))], scps=None)
case("scp-empty-level", "scp", IMPLICIT, identity=[doc(allow(GET, SECRET))], scps=[[FULLSCP], []])
case("scp-deny-notaction", "scp", ALLOW, identity=[doc(allow(GET, SECRET))],
     scps=[[FULLSCP, doc({"Effect": "Deny", "NotAction": ["secretsmanager:*", "kms:*"], "Resource": "*"})]])
case("rcp-full", "rcp", ALLOW, identity=[doc(allow(GET, SECRET))], rcps=[[doc(rallow("*", "*"))]])
case("rcp-deny-outside-org", "rcp", ALLOW, identity=[doc(allow(GET, SECRET))], context={"aws:PrincipalOrgID": "o-abc"},
     rcps=[[doc(rallow("*", "*")), doc(rdeny("*", "*", Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}))]])
case("rcp-deny-org-unknown", "rcp", UNDECIDED, identity=[doc(allow(GET, SECRET))],
     rcps=[[doc(rallow("*", "*")), doc(rdeny("*", "*", Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}))]])
case("rcp-deny", "rcp", EXPLICIT, identity=[doc(allow(GET, SECRET))], rcps=[[doc(rallow("*", "*")), doc(rdeny("*", GET))]])

# RCPs restrict the resources of the services AWS lists (S3, STS, KMS, SQS, Secrets Manager); for
# a service outside that list an RCP that would restrict the request leaves it undecided, and
# one that would not changes nothing
PARAM = f"arn:aws:ssm:us-east-1:{ACCT}:parameter/prod/db-password"
ORGONLY = doc(rdeny("*", "*", "*", Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}))
case("rcp-kms-deny", "rcp", EXPLICIT, identity=[doc(allow(DECRYPT, KEY))], action=DECRYPT, resource=KEY,
     key_policy=True, resource_policy=doc(rallow(aws(ROOT), "kms:*")),
     rcps=[[doc(rallow("*", "*", "*")), doc(rdeny("*", "kms:*", "*"))]])
case("rcp-unlisted-service-full-access", "rcp", ALLOW, identity=[doc(allow("ssm:GetParameters", PARAM))],
     action="ssm:GetParameters", resource=PARAM, rcps=[[doc(rallow("*", "*", "*"))]])
case("rcp-unlisted-service-would-deny", "rcp", UNDECIDED, identity=[doc(allow("ssm:GetParameters", PARAM))],
     action="ssm:GetParameters", resource=PARAM, rcps=[[doc(rallow("*", "*", "*")), doc(rdeny("*", "*", "*"))]])
case("rcp-unlisted-service-level-without-allow", "rcp", UNDECIDED, identity=[doc(allow("ssm:GetParameters", PARAM))],
     action="ssm:GetParameters", resource=PARAM, rcps=[[doc(rallow("*", "*", "*"))], []])
case("rcp-unlisted-service-identity-denies", "rcp", IMPLICIT, action="ssm:GetParameters", resource=PARAM,
     rcps=[[doc(rallow("*", "*", "*")), doc(rdeny("*", "*", "*"))]])
case("rcp-listed-org-condition-met", "rcp", ALLOW, identity=[doc(allow(GET, SECRET))],
     context={"aws:PrincipalOrgID": "o-abc"}, rcps=[[doc(rallow("*", "*", "*")), ORGONLY]])


def request(c: Case) -> Request:
    principal = Principal(c.role, tuple(Policy(f"policy {i + 1}", d) for i, d in enumerate(c.identity)),
                          Policy("boundary", c.boundary) if c.boundary is not None else None,
                          c.session, c.tags, c.role_id)
    ctx = rq.session_call(principal, c.resource, service_prefix="secretsmanager",
                          resource_tags=None).merged(build(c.context or {}))
    def levels(raw: list[list[dict[str, Any]]] | None, kind: str) -> tuple[tuple[Policy, ...], ...] | None:
        if raw is None:
            return None
        return tuple(tuple(Policy(f"{kind} {i}.{j}", d) for j, d in enumerate(level)) for i, level in enumerate(raw))
    return Request(principal, c.action, c.resource, ctx,
                   Policy("resource policy", c.resource_policy) if c.resource_policy is not None else None,
                   c.seen, c.key_policy, levels(c.scps, "SCP"), levels(c.rcps, "RCP"))


@pytest.mark.parametrize("c", C, ids=[c.id for c in C])
def test_case(c: Case) -> None:
    assert c.source in SOURCES
    result = evaluate(request(c))
    assert result.decision is c.expect, result
    if c.expect is UNDECIDED:
        assert result.undecided or result.unseen, "an undecided verdict says why"
    if c.expect is EXPLICIT:
        assert result.deny_by, "an explicit deny names its statement"


def test_ids_unique() -> None:
    assert len({c.id for c in C}) == len(C)


def test_an_rcp_of_unknown_scope_says_so() -> None:
    c = next(c for c in C if c.id == "rcp-unlisted-service-would-deny")
    assert any("whether resource control policies apply to ssm" in u for u in evaluate(request(c)).undecided)


def test_unseen_scps_are_named() -> None:
    c = next(c for c in C if c.id == "scp-unseen")
    assert evaluate(request(c)).unseen == ("service control policies",)


def test_deciding_statement_is_named() -> None:
    r = evaluate(Request(Principal(ROLE, (Policy("inline policy read", doc(dict(allow(GET, SECRET), Sid="Read"))),)),
                         GET, SECRET))
    assert r.allow_by == ("inline policy read statement 'Read'",)
    r = evaluate(Request(Principal(ROLE, (Policy("inline policy read", doc(allow(GET, SECRET), deny(GET, "*"))),)),
                         GET, SECRET))
    assert r.deny_by == ("inline policy read statement #2",)


def test_a_boundary_that_was_not_read_is_undecided() -> None:
    """boundary: the boundary still limits the role; not having read it is not having none."""
    p = Principal(ROLE, (Policy("policy 1", doc(allow(GET, SECRET))),), Policy("boundary", None))
    result = evaluate(Request(p, GET, SECRET))
    assert result.decision is UNDECIDED and result.unseen == ("the permissions boundary",)
