"""Condition operators, set qualifiers and missing keys, case by case, each from the AWS page
that defines it (keys of tests/iam/sources.py)."""

from __future__ import annotations

from typing import Any

import pytest

from preflight.iam.conditions import evaluate, evaluate_key
from preflight.iam.context import ABSENT, UNKNOWN, Context, build
from tests.iam.sources import SOURCES

A, U = "absent", "unknown"


def ctx_for(key: str, value: Any, **more: Any) -> Context:
    if value == A:
        return build(more, absent=[key])
    if value == U:
        return build(more)
    return build({key: value, **more})


# (source, operator, key, policy values, request value(s), expected)
CASES: list[tuple[str, str, str, Any, Any, bool | None]] = [
    # String operators
    ("operators", "StringEquals", "aws:PrincipalTag/team", "web", "web", True),
    ("operators", "StringEquals", "aws:PrincipalTag/team", "web", "Web", False),
    ("operators", "StringEquals", "aws:PrincipalTag/team", ["api", "web"], "web", True),
    ("operators", "StringEquals", "aws:PrincipalTag/team", ["api", "db"], "web", False),
    ("operators", "StringEquals", "aws:PrincipalTag/team", "w*", "web", False),
    ("operators", "StringEquals", "aws:PrincipalTag/team", "web", A, False),
    ("operators", "StringEquals", "aws:PrincipalTag/team", "web", U, None),
    ("operators", "StringNotEquals", "aws:PrincipalTag/team", "web", "web", False),
    ("operators", "StringNotEquals", "aws:PrincipalTag/team", "web", "api", True),
    ("operators", "StringNotEquals", "aws:PrincipalTag/team", ["api", "web"], "web", False),
    ("operators", "StringNotEquals", "aws:PrincipalTag/team", "web", A, True),
    ("operators", "StringNotEquals", "aws:PrincipalTag/team", "web", U, None),
    ("operators", "StringEqualsIgnoreCase", "aws:PrincipalTag/team", "WEB", "web", True),
    ("operators", "StringEqualsIgnoreCase", "aws:PrincipalTag/team", "WEB", "api", False),
    ("operators", "StringEqualsIgnoreCase", "aws:PrincipalTag/team", "WEB", A, False),
    ("operators", "StringNotEqualsIgnoreCase", "aws:PrincipalTag/team", "WEB", "web", False),
    ("operators", "StringNotEqualsIgnoreCase", "aws:PrincipalTag/team", "WEB", "api", True),
    ("operators", "StringNotEqualsIgnoreCase", "aws:PrincipalTag/team", "WEB", A, True),
    ("operators", "StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/app-*", "arn:aws:iam::111122223333:role/app-be", True),
    ("operators", "StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/app-*", "arn:aws:iam::111122223333:role/web", False),
    ("operators", "StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/app-?e", "arn:aws:iam::111122223333:role/app-be", True),
    ("operators", "StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/app-?", "arn:aws:iam::111122223333:role/app-be", False),
    ("operators", "StringLike", "aws:PrincipalArn", "*", "anything:at/all", True),
    ("operators", "StringLike", "aws:PrincipalArn", "ARN:*", "arn:aws:iam::1:role/x", False),
    ("operators", "StringLike", "aws:PrincipalArn", "arn:*", A, False),
    ("operators", "StringLike", "aws:PrincipalArn", "arn:*", U, None),
    ("operators", "StringNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/app-*", "arn:aws:iam::111122223333:role/app-be", False),
    ("operators", "StringNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/app-*", "arn:aws:iam::111122223333:role/web", True),
    ("operators", "StringNotLike", "aws:PrincipalArn", ["*:role/web", "*:role/app-*"], "arn:aws:iam::1:role/app-x", False),
    ("operators", "StringNotLike", "aws:PrincipalArn", "arn:*", A, True),
    ("operators", "StringEquals", "aws:PrincipalAccount", "111122223333", "111122223333", True),
    ("operators", "StringEquals", "aws:PrincipalAccount", "111122223333", "444455556666", False),
    ("operators", "StringEquals", "aws:PrincipalAccount", 111122223333, "111122223333", True),
    ("operators", "StringEquals", "aws:RequestedRegion", ["us-east-1", "eu-west-1"], "eu-west-1", True),
    ("operators", "StringNotEquals", "aws:RequestedRegion", ["us-east-1", "eu-west-1"], "ap-northeast-2", True),
    # Numeric operators
    ("operators", "NumericEquals", "s3:max-keys", "10", "10", True),
    ("operators", "NumericEquals", "s3:max-keys", "10", "10.0", True),
    ("operators", "NumericEquals", "s3:max-keys", "10", "11", False),
    ("operators", "NumericEquals", "s3:max-keys", 10, "10", True),
    ("operators", "NumericNotEquals", "s3:max-keys", "10", "11", True),
    ("operators", "NumericNotEquals", "s3:max-keys", "10", "10", False),
    ("operators", "NumericNotEquals", "s3:max-keys", "10", A, True),
    ("operators", "NumericLessThan", "s3:max-keys", "10", "9", True),
    ("operators", "NumericLessThan", "s3:max-keys", "10", "10", False),
    ("operators", "NumericLessThanEquals", "s3:max-keys", "10", "10", True),
    ("operators", "NumericLessThanEquals", "s3:max-keys", "10", "11", False),
    ("operators", "NumericGreaterThan", "s3:max-keys", "10", "11", True),
    ("operators", "NumericGreaterThan", "s3:max-keys", "10", "10", False),
    ("operators", "NumericGreaterThanEquals", "s3:max-keys", "10", "10", True),
    ("operators", "NumericGreaterThanEquals", "s3:max-keys", "10", "9", False),
    ("operators", "NumericLessThan", "s3:max-keys", "10", A, False),
    ("operators", "NumericLessThan", "s3:max-keys", "10", "ten", False),
    ("operators", "NumericLessThan", "s3:max-keys", "10", U, None),
    ("operators", "NumericGreaterThan", "aws:MultiFactorAuthAge", "3600", "7200", True),
    # Date operators
    ("operators", "DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", "2026-12-02T00:00:00Z", True),
    ("operators", "DateLessThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2026-12-02T00:00:00Z", False),
    ("operators", "DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2026-12-02T00:00:00Z", True),
    ("operators", "DateGreaterThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", "2026-12-02T00:00:00Z", False),
    ("operators", "DateEquals", "aws:CurrentTime", "2026-12-02T00:00:00Z", "2026-12-02T00:00:00Z", True),
    ("operators", "DateEquals", "aws:CurrentTime", "2026-12-02", "2026-12-02T00:00:00Z", True),
    ("operators", "DateNotEquals", "aws:CurrentTime", "2026-12-02T00:00:00Z", "2026-12-03T00:00:00Z", True),
    ("operators", "DateNotEquals", "aws:CurrentTime", "2026-12-02T00:00:00Z", A, True),
    ("operators", "DateLessThanEquals", "aws:CurrentTime", "2026-12-02T00:00:00Z", "2026-12-02T00:00:00Z", True),
    ("operators", "DateGreaterThanEquals", "aws:CurrentTime", "2026-12-02T00:00:00Z", "2026-12-01T23:59:59Z", False),
    ("operators", "DateGreaterThan", "aws:CurrentTime", "1700000000", "2026-12-02T00:00:00Z", True),
    ("operators", "DateLessThan", "aws:EpochTime", "2030-01-01T00:00:00Z", "1700000000", True),
    ("operators", "DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00+09:00", "2029-12-31T16:00:00Z", False),
    ("operators", "DateLessThan", "aws:CurrentTime", "not a date", "2026-12-02T00:00:00Z", False),
    ("operators", "DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", A, False),
    ("operators", "DateLessThan", "aws:TokenIssueTime", "2030-01-01T00:00:00Z", U, None),
    # Bool
    ("operators", "Bool", "aws:SecureTransport", "true", "true", True),
    ("operators", "Bool", "aws:SecureTransport", "true", "false", False),
    ("operators", "Bool", "aws:SecureTransport", True, "true", True),
    ("operators", "Bool", "aws:SecureTransport", "TRUE", "true", True),
    ("operators", "Bool", "aws:SecureTransport", "false", "false", True),
    ("operators", "Bool", "aws:MultiFactorAuthPresent", "true", A, False),
    ("operators", "Bool", "aws:MultiFactorAuthPresent", "false", A, False),
    ("operators", "BoolIfExists", "aws:MultiFactorAuthPresent", "false", A, True),
    ("operators", "BoolIfExists", "aws:MultiFactorAuthPresent", "false", "true", False),
    ("operators", "BoolIfExists", "aws:MultiFactorAuthPresent", "false", "false", True),
    ("operators", "Bool", "aws:ViaAWSService", "false", U, None),
    # Binary
    ("operators", "BinaryEquals", "key", "QmluYXJ5VmFsdWU=", "QmluYXJ5VmFsdWU=", True),
    ("operators", "BinaryEquals", "key", "QmluYXJ5VmFsdWU=", "T3RoZXI=", False),
    ("operators", "BinaryEquals", "key", "QmluYXJ5VmFsdWU=", A, False),
    # IP address
    ("operators", "IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.7", True),
    ("operators", "IpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.7", False),
    ("operators", "IpAddress", "aws:SourceIp", "203.0.113.7", "203.0.113.7", True),
    ("operators", "IpAddress", "aws:SourceIp", "2001:db8::/32", "2001:db8:1234::1", True),
    ("operators", "IpAddress", "aws:SourceIp", "2001:db8::/32", "203.0.113.7", False),
    ("operators", "IpAddress", "aws:SourceIp", ["10.0.0.0/8", "203.0.113.0/24"], "203.0.113.9", True),
    ("operators", "IpAddress", "aws:SourceIp", "203.0.113.0/24", A, False),
    ("operators", "IpAddress", "aws:SourceIp", "203.0.113.0/24", U, None),
    ("operators", "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.7", True),
    ("operators", "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.7", False),
    ("operators", "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", A, True),
    ("operators", "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", U, None),
    # ARN operators: each of the six parts on its own
    ("operators", "ArnEquals", "aws:SourceArn", "arn:aws:apprunner:us-east-1:111122223333:service/be/abc",
     "arn:aws:apprunner:us-east-1:111122223333:service/be/abc", True),
    ("operators", "ArnLike", "aws:SourceArn", "arn:aws:apprunner:*:111122223333:service/*",
     "arn:aws:apprunner:us-east-1:111122223333:service/be/abc", True),
    ("operators", "ArnLike", "aws:SourceArn", "arn:aws:apprunner:*:111122223333:service/*",
     "arn:aws:apprunner:us-east-1:444455556666:service/be/abc", False),
    ("operators", "ArnLike", "aws:SourceArn", "arn:aws:ecs:us-east-1:111122223333:*",
     "arn:aws:ecs:us-east-1:111122223333:task/cluster/abc", True),
    ("operators", "ArnLike", "aws:SourceArn", "arn:aws:*", "arn:aws:ecs:us-east-1:111122223333:task/c/abc", False),
    ("operators", "ArnLike", "aws:SourceArn", "arn:aws:*:*:*:*", "arn:aws:ecs:us-east-1:111122223333:task/c/abc", True),
    ("operators", "ArnLike", "aws:SourceArn", "arn:aws:ecs:*:*:*", "not-an-arn", False),
    ("operators", "ArnLike", "aws:PrincipalArn", "arn:aws:iam::111122223333:role/*",
     "arn:aws:iam::111122223333:role/path/app", True),
    ("operators", "ArnLike", "aws:PrincipalArn", "arn:aws:iam::111122223333:role/app",
     "arn:aws:iam::111122223333:role/App", False),
    ("operators", "ArnNotEquals", "aws:PrincipalArn", "arn:aws:iam::111122223333:role/app",
     "arn:aws:iam::111122223333:role/web", True),
    ("operators", "ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::111122223333:role/*",
     "arn:aws:iam::111122223333:role/web", False),
    ("operators", "ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::111122223333:role/*", A, True),
    ("operators", "ArnLike", "aws:SourceArn", "arn:aws:ecs:*:*:*", A, False),
    ("operators", "ArnLikeIfExists", "aws:SourceArn", "arn:aws:ecs:*:*:*", A, True),
    ("operators", "ArnLike", "aws:SourceArn", "arn:aws:ecs:*:*:*", U, None),
    # Null: tests presence
    ("operators", "Null", "aws:SourceVpc", "true", A, True),
    ("operators", "Null", "aws:SourceVpc", "true", "vpc-1", False),
    ("operators", "Null", "aws:SourceVpc", "false", "vpc-1", True),
    ("operators", "Null", "aws:SourceVpc", "false", A, False),
    ("operators", "Null", "aws:SourceVpc", "true", U, None),
    ("operators", "Null", "aws:SourceVpc", True, A, True),
    # ...IfExists with every family
    ("operators", "StringEqualsIfExists", "aws:SourceVpc", "vpc-1", A, True),
    ("operators", "StringEqualsIfExists", "aws:SourceVpc", "vpc-1", "vpc-1", True),
    ("operators", "StringEqualsIfExists", "aws:SourceVpc", "vpc-1", "vpc-2", False),
    ("operators", "StringNotEqualsIfExists", "aws:SourceVpc", "vpc-1", A, True),
    ("operators", "StringNotEqualsIfExists", "aws:SourceVpc", "vpc-1", "vpc-1", False),
    ("operators", "StringLikeIfExists", "aws:SourceVpce", "vpce-*", A, True),
    ("operators", "NumericLessThanIfExists", "s3:max-keys", "10", A, True),
    ("operators", "DateLessThanIfExists", "aws:TokenIssueTime", "2020-01-01T00:00:00Z", A, True),
    ("operators", "IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", A, True),
    ("operators", "IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", "192.0.2.1", False),
    ("operators", "StringEqualsIfExists", "aws:SourceVpc", "vpc-1", U, None),
    # an operator preflight does not know is undecided, never true or false
    ("operators", "StringSortOf", "aws:SourceVpc", "vpc-1", "vpc-1", None),
    ("operators", "ForSomeValues:StringEquals", "aws:TagKeys", "a", ["a"], None),
    # condition key names are case-insensitive
    ("condition", "StringEquals", "AWS:PRINCIPALACCOUNT", "111122223333", "111122223333", True),
    ("condition", "stringequals", "aws:PrincipalAccount", "111122223333", "111122223333", True),
    # multivalued keys with qualifiers
    ("sets", "ForAnyValue:StringEquals", "aws:CalledVia", "secretsmanager.amazonaws.com",
     ["secretsmanager.amazonaws.com"], True),
    ("sets", "ForAnyValue:StringEquals", "aws:CalledVia", "secretsmanager.amazonaws.com",
     ["athena.amazonaws.com", "secretsmanager.amazonaws.com"], True),
    ("sets", "ForAnyValue:StringEquals", "aws:CalledVia", "secretsmanager.amazonaws.com", ["athena.amazonaws.com"], False),
    ("sets", "ForAnyValue:StringEquals", "aws:CalledVia", "secretsmanager.amazonaws.com", A, False),
    ("sets", "ForAnyValue:StringEquals", "aws:CalledVia", "secretsmanager.amazonaws.com", [], False),
    ("sets", "ForAnyValue:StringEquals", "aws:CalledVia", "secretsmanager.amazonaws.com", U, None),
    ("sets", "ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"], ["env"], True),
    ("sets", "ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"], ["env", "team"], True),
    ("sets", "ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"], ["env", "cost"], False),
    ("sets", "ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"], A, True),
    ("sets", "ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"], [], True),
    ("sets", "ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"], U, None),
    ("sets", "ForAllValues:StringLike", "aws:TagKeys", "team-*", ["team-a", "team-b"], True),
    ("sets", "ForAllValues:StringLike", "aws:TagKeys", "team-*", ["team-a", "env"], False),
    ("sets", "ForAnyValue:StringLike", "aws:TagKeys", "team-*", ["env", "team-b"], True),
    ("sets", "ForAnyValue:StringNotEquals", "aws:TagKeys", ["env", "team"], ["env", "cost"], True),
    ("sets", "ForAnyValue:StringNotEquals", "aws:TagKeys", ["env", "team"], ["env", "team"], False),
    ("sets", "ForAllValues:StringNotEquals", "aws:TagKeys", ["env", "team"], ["cost", "owner"], True),
    ("sets", "ForAllValues:StringNotEquals", "aws:TagKeys", ["env", "team"], ["cost", "env"], False),
    ("sets", "ForAllValues:StringNotEquals", "aws:TagKeys", ["env"], A, True),
    ("sets", "ForAnyValue:StringNotEquals", "aws:TagKeys", ["env"], A, False),
    ("sets", "ForAnyValue:StringEqualsIgnoreCase", "aws:TagKeys", "ENV", ["env"], True),
    ("sets", "ForAllValues:StringEqualsIfExists", "aws:TagKeys", "env", A, True),
    ("sets", "ForAnyValue:StringEqualsIfExists", "aws:TagKeys", "env", A, True),
    ("sets", "ForAnyValue:StringEquals", "kms:EncryptionContextKeys", "SecretARN", ["SecretARN", "SecretVersionId"], True),
    ("sets", "ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["SecretARN", "SecretVersionId"],
     ["SecretARN", "SecretVersionId"], True),
    ("sets", "ForAllValues:StringEquals", "kms:EncryptionContextKeys", "SecretARN",
     ["SecretARN", "SecretVersionId"], False),
    # a single-valued operator on a multivalued key: true when any value matches
    ("sets", "StringEquals", "aws:CalledVia", "secretsmanager.amazonaws.com",
     ["athena.amazonaws.com", "secretsmanager.amazonaws.com"], True),
    ("sets", "StringNotEquals", "aws:CalledVia", "secretsmanager.amazonaws.com",
     ["athena.amazonaws.com", "secretsmanager.amazonaws.com"], False),
    # ARNs and KMS keys
    ("kms-cond", "StringEquals", "kms:ViaService", "secretsmanager.us-east-1.amazonaws.com",
     "secretsmanager.us-east-1.amazonaws.com", True),
    ("kms-cond", "StringEquals", "kms:ViaService", "secretsmanager.us-east-1.amazonaws.com",
     "secretsmanager.eu-west-1.amazonaws.com", False),
    ("kms-cond", "StringLike", "kms:ViaService", "secretsmanager.*.amazonaws.com",
     "secretsmanager.eu-west-1.amazonaws.com", True),
    ("kms-cond", "StringEquals", "kms:ViaService", ["ssm.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"],
     "secretsmanager.us-east-1.amazonaws.com", True),
    ("kms-cond", "StringEquals", "kms:CallerAccount", "111122223333", "111122223333", True),
    ("kms-cond", "StringEquals", "kms:CallerAccount", "111122223333", "444455556666", False),
    ("kms-cond", "StringEquals", "kms:EncryptionContext:SecretARN",
     "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
     "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf", True),
    ("kms-cond", "StringLike", "kms:EncryptionContext:SecretARN",
     "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/*",
     "arn:aws:secretsmanager:us-east-1:111122223333:secret:dev/db-AbCdEf", False),
]


@pytest.mark.parametrize(("source", "operator", "key", "policy", "request_value", "expected"), CASES,
                         ids=[f"{c[1]}-{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_operator(source: str, operator: str, key: str, policy: Any, request_value: Any,
                  expected: bool | None) -> None:
    assert source in SOURCES
    outcome = evaluate_key(operator, key, policy, ctx_for(key, request_value), True)
    assert outcome.value is expected
    if expected is None:
        assert outcome.unknown_keys, "an undecided condition names what it could not judge"


# Blocks: every operator must hold, every key under an operator must hold (source: "condition")
BLOCKS: list[tuple[dict[str, Any], dict[str, Any], bool | None]] = [
    ({"StringEquals": {"aws:PrincipalAccount": "1", "aws:RequestedRegion": "us-east-1"}},
     {"aws:PrincipalAccount": "1", "aws:RequestedRegion": "us-east-1"}, True),
    ({"StringEquals": {"aws:PrincipalAccount": "1", "aws:RequestedRegion": "us-east-1"}},
     {"aws:PrincipalAccount": "1", "aws:RequestedRegion": "eu-west-1"}, False),
    ({"StringEquals": {"aws:PrincipalAccount": "1"}, "Bool": {"aws:SecureTransport": "true"}},
     {"aws:PrincipalAccount": "1", "aws:SecureTransport": "true"}, True),
    ({"StringEquals": {"aws:PrincipalAccount": "1"}, "Bool": {"aws:SecureTransport": "true"}},
     {"aws:PrincipalAccount": "1", "aws:SecureTransport": "false"}, False),
    # a known false decides even when another key is unknown
    ({"StringEquals": {"aws:PrincipalAccount": "1"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
     {"aws:PrincipalAccount": "2"}, False),
    ({"StringEquals": {"aws:PrincipalAccount": "1"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
     {"aws:PrincipalAccount": "1"}, None),
    ({}, {}, True),
    ({"StringEquals": "not a block"}, {}, None),
]


@pytest.mark.parametrize(("block", "values", "expected"), BLOCKS)
def test_block(block: dict[str, Any], values: dict[str, Any], expected: bool | None) -> None:
    assert SOURCES["condition"]
    assert evaluate(block, build(values), True).value is expected


def test_unknown_key_is_named() -> None:
    out = evaluate({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, build({}), True)
    assert out.value is None and out.unknown_keys == ["aws:SourceIp"]


def test_states() -> None:
    ctx = build({"a": "1"}, absent=["b"])
    assert ctx.get("A") == ("1",) and ctx.get("b") is ABSENT and ctx.get("c") is UNKNOWN
