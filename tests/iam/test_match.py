"""Action and Resource matching and policy variables, case by case (keys of tests/iam/sources.py)."""

from __future__ import annotations

from typing import Any

import pytest

from preflight.iam.context import build
from preflight.iam.match import action_matches, resource_matches
from tests.iam.sources import SOURCES

ACTIONS: list[tuple[str, str, str, bool]] = [
    ("action", "secretsmanager:GetSecretValue", "secretsmanager:GetSecretValue", True),
    ("action", "secretsmanager:getsecretvalue", "secretsmanager:GetSecretValue", True),
    ("action", "SecretsManager:GetSecretValue", "secretsmanager:GetSecretValue", True),
    ("action", "secretsmanager:Get*", "secretsmanager:GetSecretValue", True),
    ("action", "secretsmanager:*", "secretsmanager:GetSecretValue", True),
    ("action", "*", "secretsmanager:GetSecretValue", True),
    ("action", "secretsmanager:Describe*", "secretsmanager:GetSecretValue", False),
    ("action", "secretsmanager:GetSecretValu?", "secretsmanager:GetSecretValue", True),
    ("action", "secretsmanager:GetSecret", "secretsmanager:GetSecretValue", False),
    ("action", "kms:*", "secretsmanager:GetSecretValue", False),
    ("action", "kms:Decrypt", "kms:Decrypt", True),
    ("action", "kms:De*", "kms:Decrypt", True),
    ("action", "kms:Encrypt", "kms:Decrypt", False),
    ("action", "*:Decrypt", "kms:Decrypt", True),
    ("action", "ssm:GetParameter", "ssm:GetParameters", False),
    ("action", "ssm:GetParameter*", "ssm:GetParameters", True),
    ("action", "ecr:BatchGetImage", "ecr:BatchGetImage", True),
    ("action", "logs:Put*", "logs:PutLogEvents", True),
    ("action", "logs:Create*", "logs:PutLogEvents", False),
    ("action", "sts:AssumeRole", "sts:AssumeRole", True),
    ("action", "sts:AssumeRole*", "sts:AssumeRoleWithWebIdentity", True),
]


@pytest.mark.parametrize(("source", "pattern", "action", "expected"), ACTIONS)
def test_action(source: str, pattern: str, action: str, expected: bool) -> None:
    assert source in SOURCES
    assert action_matches([pattern], action) is expected


S = "arn:aws:secretsmanager:us-east-1:111122223333:secret:"
RESOURCES: list[tuple[str, str, str, bool]] = [
    ("resource", "*", S + "db-AbCdEf", True),
    ("resource", S + "db-AbCdEf", S + "db-AbCdEf", True),
    ("resource", S + "db-abcdef", S + "db-AbCdEf", False),  # ARNs are case-sensitive
    ("resource", S + "db-??????", S + "db-AbCdEf", True),
    ("sm-arn", S + "db-??????", S + "db-master-AbCdEf", False),
    ("sm-arn", S + "db-*", S + "db-master-AbCdEf", True),
    ("sm-arn", S + "db*", S + "db-AbCdEf", True),
    ("sm-arn", S + "db", S + "db-AbCdEf", False),
    ("sm-arn", S + "prod-db-??????", S + "prod-db-master-AbCdEf", False),
    ("sm-arn", S + "prod/*", S + "prod/db-AbCdEf", True),
    ("sm-arn", S + "prod/*", S + "dev/db-AbCdEf", False),
    ("resource", "arn:aws:secretsmanager:*:111122223333:secret:db-??????", S + "db-AbCdEf", True),
    ("resource", "arn:aws:secretsmanager:*:*:secret:*", S + "db-AbCdEf", True),
    ("resource", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:*", S + "db-AbCdEf", False),
    ("resource", "arn:aws:secretsmanager:us-east-1:444455556666:secret:*", S + "db-AbCdEf", False),
    ("resource", "arn:aws-cn:secretsmanager:us-east-1:111122223333:secret:*", S + "db-AbCdEf", False),
    ("resource", "arn:aws:secretsmanager:us-east-?:111122223333:secret:*", S + "db-AbCdEf", True),
    ("resource", "arn:aws:secretsmanager:us-*-1:111122223333:secret:*", S + "db-AbCdEf", True),
    # a wildcard inside a segment does not cross the colons that follow
    ("resource", "arn:aws:secretsmanager:us-*1:secret:*", S + "db-AbCdEf", False),
    # a * that ends a segment may
    ("resource", "arn:aws:secretsmanager:*", S + "db-AbCdEf", True),
    ("resource", "arn:aws:*", S + "db-AbCdEf", True),
    ("resource", "arn:*", S + "db-AbCdEf", True),
    ("resource", "arn:aws:kms:*", S + "db-AbCdEf", False),
    ("resource", "arn:aws:kms:us-east-1:111122223333:key/*", "arn:aws:kms:us-east-1:111122223333:key/1234", True),
    ("resource", "arn:aws:kms:us-east-1:111122223333:alias/*", "arn:aws:kms:us-east-1:111122223333:key/1234", False),
    ("resource", "arn:aws:ssm:us-east-1:111122223333:parameter/app/*",
     "arn:aws:ssm:us-east-1:111122223333:parameter/app/db/password", True),
    ("resource", "arn:aws:ssm:us-east-1:111122223333:parameter/app/db",
     "arn:aws:ssm:us-east-1:111122223333:parameter/app/db/password", False),
    ("resource", "arn:aws:ecr:us-east-1:111122223333:repository/be",
     "arn:aws:ecr:us-east-1:111122223333:repository/be", True),
    ("resource", "arn:aws:ecr:us-east-1:111122223333:repository/b?",
     "arn:aws:ecr:us-east-1:111122223333:repository/be", True),
    ("logs-arn", "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/be:*",
     "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/be:log-stream:ecs/be/abc", True),
    ("logs-arn", "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/be:log-stream:*",
     "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/be:log-stream:ecs/be/abc", True),
    ("logs-arn", "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/other:*",
     "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/be:log-stream:ecs/be/abc", False),
    ("logs-arn", "arn:aws:logs:*:*:*",
     "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/be:log-stream:ecs/be/abc", True),
    ("logs-arn", "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/*",
     "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/be:log-stream:ecs/be/abc", True),
]


@pytest.mark.parametrize(("source", "pattern", "arn", "expected"), RESOURCES)
def test_resource(source: str, pattern: str, arn: str, expected: bool) -> None:
    assert source in SOURCES
    assert resource_matches([pattern], arn, None, True, []) is expected


# Policy variables: (pattern, context values, resource, expected)
R = "arn:aws:secretsmanager:us-east-1:111122223333:secret:"
VARIABLES: list[tuple[str, dict[str, Any], str, bool | None]] = [
    (R + "${aws:PrincipalTag/team}/*", {"aws:PrincipalTag/team": "web"}, R + "web/db-AbCdEf", True),
    (R + "${aws:PrincipalTag/team}/*", {"aws:PrincipalTag/team": "api"}, R + "web/db-AbCdEf", False),
    (R + "${aws:PrincipalTag/team}/*", {"aws:PrincipalTag/team": None}, R + "web/db-AbCdEf", False),
    (R + "${aws:PrincipalTag/team}/*", {}, R + "web/db-AbCdEf", None),
    (R + "${aws:PrincipalTag/team, 'shared'}/*", {"aws:PrincipalTag/team": None}, R + "shared/db-AbCdEf", True),
    (R + "${aws:PrincipalTag/team,'shared'}/*", {"aws:PrincipalTag/team": None}, R + "web/db-AbCdEf", False),
    (R + "${aws:PrincipalTag/team, 'shared'}/*", {"aws:PrincipalTag/team": "web"}, R + "web/db-AbCdEf", True),
    # a variable's value is literal: a * in it is no wildcard
    (R + "${aws:PrincipalTag/team}/*", {"aws:PrincipalTag/team": "*"}, R + "web/db-AbCdEf", False),
    (R + "${aws:PrincipalTag/team}/*", {"aws:PrincipalTag/team": "*"}, R + "*/db-AbCdEf", True),
    (R + "${aws:username}/*", {"aws:username": None}, R + "alice/db-AbCdEf", False),
    (R + "${aws:username}/*", {"aws:username": "alice"}, R + "alice/db-AbCdEf", True),
    (R + "${aws:PrincipalAccount}/*", {"aws:PrincipalAccount": "111122223333"}, R + "111122223333/db-AbCdEf", True),
    (R + "x${*}y", {}, R + "x*y", True),
    (R + "x${*}y", {}, R + "xzy", False),
    (R + "x${?}y", {}, R + "x?y", True),
    (R + "x${$}y", {}, R + "x$y", True),
    (R + "${AWS:PRINCIPALTAG/TEAM}/*", {"aws:PrincipalTag/team": "web"}, R + "web/db-AbCdEf", True),
]


@pytest.mark.parametrize(("pattern", "values", "arn", "expected"), VARIABLES)
def test_variables(pattern: str, values: dict[str, Any], arn: str, expected: bool | None) -> None:
    assert SOURCES["variables"]
    unknown: list[str] = []
    assert resource_matches([pattern], arn, build(values), True, unknown) is expected
    assert bool(unknown) == (expected is None)


def test_variables_are_literal_before_2012_10_17() -> None:
    """Version 2008-10-17 (or none): ${...} is plain text (source: "version")."""
    assert SOURCES["version"]
    ctx = build({"aws:PrincipalTag/team": "web"})
    assert resource_matches([R + "${aws:PrincipalTag/team}/*"], R + "web/db-AbCdEf", ctx, False, []) is False
    assert resource_matches([R + "${aws:PrincipalTag/team}/*"], R + "${aws:PrincipalTag/team}/x", ctx, False, []) is True
