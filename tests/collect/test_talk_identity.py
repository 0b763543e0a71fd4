"""The talk's secret, key and instance role in moto: the talk's policy passes; without its KMS
statement IAM004 fires on the key; nothing secret reaches a snapshot or a report."""

from __future__ import annotations

import json
from typing import Any

from preflight import engine
from preflight.collect import collect
from preflight.report import Options, formats
from tests.builders import fired
from tests.doubles.worlds import APP_REGION, build_talk

FORMATS = formats()

IDENTITY = ("IAM001", "IAM002", "IAM003", "IAM004", "IAM005", "IAM006", "SEC001", "SEC002", "SEC003")


def test_the_talks_policy_passes(session: Any) -> None:
    talk = build_talk("fixed", session)
    doc = collect(session, [APP_REGION])
    result = engine.run(doc, IDENTITY)
    assert result.complete and result.findings == ()
    role = next(r for r in doc["resources"]["roles"] if r["arn"] == talk.ids["role"])
    assert [p["name"] for p in role["policies"]] == ["awstest-be-secrets"]
    assert doc["resources"]["secrets"][0]["kms_key_id"] == talk.ids["key"]
    assert doc["resources"]["kms_keys"][0]["manager"] == "CUSTOMER"


def test_without_the_kms_statement_iam004_fires_on_the_key(session: Any) -> None:
    talk = build_talk("fixed", session, kms_statement=False)
    result = engine.run(collect(session, [APP_REGION]), IDENTITY)
    key_id = talk.ids["key"].rsplit("/", 1)[-1]
    assert fired(result, "IAM004") == {key_id}
    assert {f.rule for f in result.findings} == {"IAM004"}
    f = result.findings[0]
    assert "kms:Decrypt" in f.message and "apprunner-awstest-be-instance-role" in f.message
    assert any(c.startswith("aws kms create-grant") for c in f.fix.commands)


def test_no_secret_value_reaches_snapshot_or_report(session: Any) -> None:
    build_talk("fixed", session)
    calls: list[str] = []
    session._session.register("before-parameter-build", lambda model, **_: calls.append(model.name))
    doc = collect(session, [APP_REGION])
    result = engine.run(doc)
    text = json.dumps(doc) + "".join(render(result, Options()) for render in FORMATS.values())
    assert "placeholder-never-read" not in text
    assert "GetSecretValue" not in calls and "GetParameters" not in calls and "GetParameter" not in calls


def test_deleted_secret_and_missing_role(session: Any) -> None:
    import boto3

    talk = build_talk("fixed", session)
    boto3.client("secretsmanager", APP_REGION).delete_secret(SecretId=talk.ids["secret"],
                                                             RecoveryWindowInDays=7)
    boto3.client("iam").delete_role_policy(RoleName="apprunner-awstest-be-instance-role",
                                           PolicyName="awstest-be-secrets")
    boto3.client("iam").delete_role(RoleName="apprunner-awstest-be-instance-role")
    result = engine.run(collect(session, [APP_REGION]), IDENTITY)
    assert fired(result, "SEC001") == {"test/awstest-be/DB_PASSWORD-" + talk.ids["secret"].rsplit("-", 1)[-1]}
    assert fired(result, "IAM002") == {"apprunner-awstest-be-instance-role"}


def test_access_denied_on_iam_leaves_identity_rules_not_evaluated(session: Any) -> None:
    from botocore.exceptions import ClientError

    build_talk("fixed", session)

    def deny(model: Any, **_: Any) -> None:
        if model.name == "GetAccountAuthorizationDetails":
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, model.name)

    session._session.register("before-call.iam.GetAccountAuthorizationDetails", deny)
    doc = collect(session, [APP_REGION])
    assert [g["iam_action"] for g in doc["gaps"]] == ["iam:GetAccountAuthorizationDetails"]
    result = engine.run(doc, IDENTITY)
    assert set(result.not_evaluated) == {"IAM002", "IAM003", "IAM004", "IAM006"}
    assert result.exit_code(None) == 3
