"""What a real account does that moto's defaults hide, each answered the way the service model
and AWS's pages say AWS answers it.

- opt-in regions that are not enabled: EC2 answers AuthFailure or OptInRequired, JSON services
  UnrecognizedClientException ("The security token included in the request is invalid"):
  https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html
- throttling: botocore's retry modes back off exponentially with a cap per attempt, so the
  attempts bound the time: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
- partitions: arn:aws-cn and arn:aws-us-gov ARNs, and App Runner offered in neither
  (botocore's endpoint data; https://docs.aws.amazon.com/general/latest/gr/apprunner.html)
- assumed-role and IAM Identity Center credentials: the account comes from GetCallerIdentity
  (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html)
- a service listed and then deleted before it is described: App Runner answers
  ResourceNotFoundException (modelled for DescribeService), ECS lists it under `failures` with
  reason MISSING (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html)
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from preflight import engine
from preflight.collect import apprunner, caller_identity, collect, ecs
from preflight.collect.aws import Clients, Settings
from preflight.refs import parse, partition_of
from tests.doubles import apprunner_fake as ar
from tests.doubles.worlds import APP_REGION, build_talk

OTHER = "ap-southeast-1"  # an App Runner region, standing in for one the account has not enabled


def _refuse_region(session: Any, region: str) -> list[str]:
    """Every request to `region` answered as a disabled opt-in region answers it."""
    seen: list[str] = []

    def before_call(model: Any, context: Any, **_: Any) -> Any:
        if context.get("client_region") != region:
            return None
        seen.append(f"{model.service_model.service_name}.{model.name}")
        protocol = model.service_model.metadata["protocol"]
        code = "AuthFailure" if protocol == "ec2" else "UnrecognizedClientException"
        assert code in {"AuthFailure", "UnrecognizedClientException"}
        return (AWSResponse(f"https://{region}.invalid", 401 if protocol == "ec2" else 400, {}, None),
                {"Error": {"Code": code, "Message": "AWS was not able to validate the provided access credentials"},
                 "ResponseMetadata": {"HTTPStatusCode": 401}})

    session._session.register("before-call", before_call)
    return seen


def test_a_region_the_account_has_not_enabled_is_a_gap_named_by_region(session: Any) -> None:
    talk = build_talk("fixed", session)
    seen = _refuse_region(session, OTHER)
    doc = collect(session, [APP_REGION, OTHER], settings=Settings(max_attempts=1))
    assert seen  # every reader went there, and each was refused
    assert doc["gaps"] and {g["region"] for g in doc["gaps"]} == {OTHER}
    assert {g["error"].split(":")[0] for g in doc["gaps"]} <= {"AuthFailure", "UnrecognizedClientException"}
    assert {s["name"] for s in doc["resources"]["services"]} == {s["ServiceName"] for s in talk.fake.services}
    result = engine.run(doc)
    assert not result.complete  # the region's rules are not evaluated: exit 3, never a pass
    assert any(OTHER in why for why in result.not_evaluated.values())


def test_sustained_throttling_is_bounded_by_the_attempts(session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the default attempts, a call that is throttled every time gives up after a bounded
    sleep (botocore caps each backoff at 20 s), and the scan records a gap: it never hangs."""
    from botocore.retries import standard

    slept: list[float] = []
    real = standard.ExponentialBackoff.delay_amount

    def delay(self: Any, context: Any) -> float:
        slept.append(real(self, context))
        return 0.0
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", delay)
    # adaptive mode's client-side token bucket would also wait; the attempts are what is bounded here
    monkeypatch.setattr("botocore.retries.bucket.TokenBucket.acquire", lambda self, amount=1, block=True: True)
    from tests.collect.test_faults import answer, ec2_error

    build_talk("peered-defaults", session)
    answer(session, "Action=DescribeRouteTables", [ec2_error("RequestLimitExceeded", 503)] * 200)
    doc = collect(session, [APP_REGION])
    retries = Settings().max_attempts  # botocore's retries={"max_attempts": N} is N retries after the first try
    calls = len(doc["gaps"])  # one per region read: the talk's two
    assert {g["operation"] for g in doc["gaps"]} == {"DescribeRouteTables"} and calls == 2
    assert len(slept) == calls * retries
    assert max(slept) <= 20 and sum(slept) <= calls * 20 * retries


# -- partitions -------------------------------------------------------------------------------

def test_every_region_botocore_knows_is_in_the_partition_preflight_derives() -> None:
    session = botocore.session.get_session()
    checked = 0
    for partition in session.get_available_partitions():
        for service in ("ec2", "ecs", "sts"):
            for region in session.get_available_regions(service, partition_name=partition):
                assert partition_of(region) == partition, region
                checked += 1
    assert checked > 50


@pytest.mark.parametrize(("arn", "partition", "region"), [
    ("arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:db-AbCdEf", "aws-cn", "cn-north-1"),
    ("arn:aws-us-gov:secretsmanager:us-gov-west-1:111122223333:secret:db-AbCdEf", "aws-us-gov", "us-gov-west-1"),
    ("arn:aws-cn:ssm:cn-northwest-1:111122223333:parameter/app/db", "aws-cn", "cn-northwest-1"),
])
def test_other_partitions_arns_parse(arn: str, partition: str, region: str) -> None:
    ref = parse(arn, "us-east-1", "999999999999")
    assert (ref.partition, ref.region, ref.account) == (partition, region, "111122223333")
    assert ref.arn.startswith(f"arn:{partition}:")


def test_a_bare_parameter_name_takes_the_services_partition() -> None:
    ref = parse("/app/db", "cn-north-1", "111122223333")
    assert ref.arn == "arn:aws-cn:ssm:cn-north-1:111122223333:parameter/app/db"


def test_a_china_region_is_read_and_app_runners_absence_is_stated(aws: None) -> None:
    session = boto3.Session(region_name="cn-north-1")
    doc = collect(session, ["cn-north-1"])
    assert doc["partition"] == "aws-cn" and doc["gaps"] == []
    assert doc["apprunner_regions"] == []
    assert doc["notes"] == ["App Runner is not offered in cn-north-1 (partition aws-cn): no App Runner service "
                            "was read there"]
    assert engine.run(doc).notes == tuple(doc["notes"])


def test_a_region_of_another_partition_is_refused_with_why(aws: None) -> None:
    from preflight.errors import UsageError

    with pytest.raises(UsageError, match="aws-cn partition"):
        collect(boto3.Session(region_name="us-east-1"), ["us-east-1", "cn-north-1"])


def test_arns_that_fixes_build_are_in_the_snapshots_partition() -> None:
    from preflight.checks.migration import _execution_role_arn
    from preflight.checks.support.roles import ecr_repository_arn as _ecr_repository_arn
    from preflight.graph import ResourceGraph
    from preflight.snapshot import load_bundled

    doc = load_bundled("talk.snapshot.json")
    w = doc["resources"]["services"][0]
    assert _execution_role_arn(ResourceGraph.build(doc), w).startswith("arn:aws:iam::")
    china = ResourceGraph.build({**doc, "partition": "aws-cn"})
    assert _execution_role_arn(china, w).startswith("arn:aws-cn:iam::123456789012:role/")
    found = _ecr_repository_arn("111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1")
    assert found == ("cn-north-1", "arn:aws-cn:ecr:cn-north-1:111122223333:repository/app")


# -- who is calling ---------------------------------------------------------------------------

@pytest.mark.parametrize(("arn", "partition"), [
    ("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/jane", "aws"),
    ("arn:aws:sts::111122223333:assumed-role/preflight-ci/GitHubActions", "aws"),
    ("arn:aws-us-gov:sts::111122223333:assumed-role/ReadOnly/ops", "aws-us-gov"),
    ("arn:aws:iam::111122223333:user/ci", "aws"),
])
def test_the_account_and_partition_come_from_get_caller_identity(arn: str, partition: str) -> None:
    session = boto3.Session(region_name="us-east-1")
    clients = Clients(session, frozenset({("sts", "GetCallerIdentity")}))
    client = clients.get("sts", "us-east-1")
    with Stubber(client) as stub:
        stub.add_response("get_caller_identity", {"UserId": "AROAEXAMPLE:jane", "Account": "111122223333", "Arn": arn})
        assert caller_identity(clients, "us-east-1") == ("111122223333", partition)


# -- deleted while read -----------------------------------------------------------------------

def test_an_app_runner_service_deleted_before_it_is_described_is_skipped_and_said() -> None:
    region, account = "eu-west-1", "111122223333"
    client = boto3.client("apprunner", region)
    keep = ar.service("keep", region, account, image="public.ecr.aws/x/a:1")
    gone = ar.service("gone", region, account, image="public.ecr.aws/x/b:1")
    summaries = [{k: s[k] for k in ("ServiceName", "ServiceId", "ServiceArn", "ServiceUrl", "CreatedAt",
                                    "UpdatedAt", "Status")} for s in (keep, gone)]
    with Stubber(client) as stub:
        stub.add_response("list_services", {"ServiceSummaryList": summaries}, {"MaxResults": 20})
        stub.add_response("describe_service", {"Service": keep}, {"ServiceArn": keep["ServiceArn"]})
        stub.add_client_error("describe_service", "ResourceNotFoundException", "service not found", 400,
                              expected_params={"ServiceArn": gone["ServiceArn"]})
        for svc in (keep, gone):
            stub.add_response("list_operations", {"OperationSummaryList": []},
                              {"ServiceArn": svc["ServiceArn"], "MaxResults": 20})
        stub.add_response("describe_custom_domains", {"DNSTarget": keep["ServiceUrl"], "ServiceArn": keep["ServiceArn"],
                                                      "CustomDomains": [], "VpcDNSTargets": []},
                          {"ServiceArn": keep["ServiceArn"], "MaxResults": 5})
        stub.add_client_error("describe_custom_domains", "ResourceNotFoundException", "service not found", 400,
                              expected_params={"ServiceArn": gone["ServiceArn"], "MaxResults": 5})
        task = apprunner.tasks(region, workers=1)[0]
        reported: list[Any] = []
        raw = task.fetch(client, lambda op, e: reported.append((op.name, e)))
        stub.assert_no_pending_responses()
    assert [r["name"] for r in task.transform(raw, region)] == ["keep"]
    assert [type(e).__name__ for _, e in reported] == ["Vanished", "Vanished"]
    assert "was deleted while it was read" in str(reported[0][1])


def test_an_ecs_service_ecs_reports_missing_is_skipped_and_said_another_failure_is_a_gap() -> None:
    region = "eu-west-1"
    client = boto3.client("ecs", region)
    cluster = f"arn:aws:ecs:{region}:111122223333:cluster/main"
    arns = [f"arn:aws:ecs:{region}:111122223333:service/main/{n}" for n in ("gone", "odd")]
    with Stubber(client) as stub:
        stub.add_response("list_clusters", {"clusterArns": [cluster]}, {"maxResults": 100})
        stub.add_response("list_services", {"serviceArns": arns}, {"cluster": cluster, "maxResults": 100})
        stub.add_response("describe_services", {"services": [], "failures": [
            {"arn": arns[0], "reason": "MISSING"}, {"arn": arns[1], "reason": "INTERNAL", "detail": "try again"}]},
            {"cluster": cluster, "services": arns, "include": ["TAGS"]})
        task = ecs.services_task(region)
        reported: list[Any] = []
        raw = task.fetch(client, lambda op, e: reported.append((op.name, e)))
        stub.assert_no_pending_responses()
    assert raw == []
    kinds = [(name, type(e).__name__) for name, e in reported]
    assert kinds == [("DescribeServices", "Vanished"), ("DescribeServices", "RuntimeError")]
    assert "INTERNAL" in str(reported[1][1])


def test_a_vanished_service_is_a_note_not_a_gap(session: Any) -> None:
    talk = build_talk("fixed", session)
    gone = talk.fake.services[0]["ServiceArn"]
    original = talk.fake._DescribeService

    def describe(region: str, body: dict[str, Any]) -> Any:
        if body["ServiceArn"] == gone:
            return talk.fake._error(400, "ResourceNotFoundException", "service not found")
        return original(region, body)
    talk.fake._DescribeService = describe  # type: ignore[method-assign]
    doc = collect(session, [APP_REGION])
    assert doc["gaps"] == []
    assert any(gone in n for n in doc["notes"])
    assert gone not in {s["arn"] for s in doc["resources"]["services"]}
