"""The App Runner collector against botocore's Stubber (moto has no App Runner)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber

from preflight.collect import apprunner
from tests.doubles import apprunner_fake as ar

REGION = "eu-west-1"
ACCOUNT = "111122223333"


def summary(svc: dict[str, Any]) -> dict[str, Any]:
    return {k: svc[k] for k in ("ServiceName", "ServiceId", "ServiceArn", "ServiceUrl",
                                "CreatedAt", "UpdatedAt", "Status")}


def test_services_follow_next_token_and_describe_each() -> None:
    client = boto3.client("apprunner", REGION)
    a = ar.service("alpha", REGION, ACCOUNT, image="public.ecr.aws/x/a:1",
                   env={"DB_HOST": "db1.abc.eu-west-1.rds.amazonaws.com", "MODE": "prod"})
    b = ar.service("beta", REGION, ACCOUNT, runtime="PYTHON_311", secrets={
        "PW": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:pw-AbCdEf"})
    with Stubber(client) as stub:
        stub.add_response("list_services", {"ServiceSummaryList": [summary(a)], "NextToken": "t1"},
                          {"MaxResults": 20})
        stub.add_response("list_services", {"ServiceSummaryList": [summary(b)]},
                          {"MaxResults": 20, "NextToken": "t1"})
        # one worker takes the reads in the order they are queued: every describe, then every
        # service's tags, operations and custom domains
        for svc in (a, b):
            stub.add_response("describe_service", {"Service": svc}, {"ServiceArn": svc["ServiceArn"]})
        for svc in (a, b):
            stub.add_response("list_operations", {"OperationSummaryList": [{
                "Id": "0" * 36, "Type": "START_DEPLOYMENT", "Status": "SUCCEEDED",
                "TargetArn": svc["ServiceArn"], "StartedAt": ar.CREATED, "EndedAt": ar.CREATED}]},
                {"ServiceArn": svc["ServiceArn"], "MaxResults": 20})
        for svc in (a, b):
            stub.add_response("describe_custom_domains", {
                "DNSTarget": svc["ServiceUrl"], "ServiceArn": svc["ServiceArn"], "VpcDNSTargets": [], "CustomDomains": [{
                    "DomainName": "api.example.com", "EnableWWWSubdomain": False, "Status": "ACTIVE",
                    "CertificateValidationRecords": [{"Name": "_x.api.example.com.", "Type": "CNAME",
                                                      "Value": "_y.acm-validations.aws.", "Status": "SUCCESS"}]}]},
                {"ServiceArn": svc["ServiceArn"], "MaxResults": 5})
        task = apprunner.tasks(REGION, workers=1)[0]
        gaps: list[Any] = []
        raw = task.fetch(client, lambda op, e: gaps.append((op, e)))
        stub.assert_no_pending_responses()
    records = task.transform(raw, REGION)
    assert gaps == []
    assert [r["name"] for r in records] == ["alpha", "beta"]
    alpha, beta = records
    assert alpha["source"]["type"] == "image" and alpha["tags"] == {}  # tags come from tags_task
    assert alpha["domains"] == [{"name": "api.example.com", "www": False, "status": "ACTIVE", "records": [
        {"name": "_x.api.example.com.", "type": "CNAME", "value": "_y.acm-validations.aws.", "status": "SUCCESS"}]}]
    assert alpha["operations"] == [{"id": "0" * 36, "type": "START_DEPLOYMENT", "status": "SUCCEEDED",
                                    "started_at": "2026-11-01T00:00:00Z", "ended_at": "2026-11-01T00:00:00Z"}]
    assert [e["name"] for e in alpha["env"]] == ["DB_HOST", "MODE"]
    assert alpha["env"][0]["endpoint_regions"] == [REGION]
    assert beta["source"]["runtime"] == "PYTHON_311"
    assert beta["secrets"] == [{"name": "PW", "ref": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:pw-AbCdEf"}]


def test_failed_describe_is_a_partial_gap() -> None:
    client = boto3.client("apprunner", REGION)
    a = ar.service("alpha", REGION, ACCOUNT, image="public.ecr.aws/x/a:1")
    with Stubber(client) as stub:
        stub.add_response("list_services", {"ServiceSummaryList": [summary(a)]})
        stub.add_client_error("describe_service", "AccessDeniedException", "no", 403)
        stub.add_client_error("list_operations", "AccessDeniedException", "no", 403)
        stub.add_response("describe_custom_domains", {
            "DNSTarget": a["ServiceUrl"], "ServiceArn": a["ServiceArn"], "VpcDNSTargets": [], "CustomDomains": []})
        task = apprunner.tasks(REGION, workers=1)[0]
        gaps: list[Any] = []
        raw = task.fetch(client, lambda op, e: gaps.append(op.iam_action))
    # the service is dropped (nothing to judge without its description); each refused read is a gap
    assert raw == [] and gaps == ["apprunner:DescribeService", "apprunner:ListOperations"]


def test_connectors_page_by_hand() -> None:
    client = boto3.client("apprunner", REGION)
    c1 = ar.connector("conn-one", REGION, ACCOUNT, ["subnet-1"], ["sg-1"])
    c2 = ar.connector("conn-two", REGION, ACCOUNT, ["subnet-2"], [])
    with Stubber(client) as stub:
        stub.add_response("list_vpc_connectors", {"VpcConnectors": [c1], "NextToken": "n"})
        stub.add_response("list_vpc_connectors", {"VpcConnectors": [c2]})
        task = apprunner.tasks(REGION)[1]
        records = task.transform(task.fetch(client, lambda *_: None), REGION)
    assert [(r["name"], r["subnets"], r["security_groups"]) for r in records] == [
        ("conn-one", ["subnet-1"], ["sg-1"]), ("conn-two", ["subnet-2"], [])]


def test_the_double_rejects_a_response_the_model_would_not_allow() -> None:
    import pytest
    from botocore.exceptions import ParamValidationError

    fake = ar.FakeAppRunner()
    bad = ar.service("alpha", REGION, ACCOUNT, image="public.ecr.aws/x/a:1")
    bad["Status"] = 7  # not a string
    fake.services.append(bad)
    session = boto3.Session(region_name=REGION)
    fake.attach(session)
    with pytest.raises(ParamValidationError):
        session.client("apprunner").describe_service(ServiceArn=bad["ServiceArn"])


def test_tags_come_from_the_tagging_api_a_page_at_a_time() -> None:
    client = boto3.client("resourcegroupstaggingapi", REGION)
    a = ar.service("alpha", REGION, ACCOUNT, image="public.ecr.aws/x/a:1")
    b = ar.service("beta", REGION, ACCOUNT, image="public.ecr.aws/x/b:1")
    with Stubber(client) as stub:
        stub.add_response("get_resources", {"ResourceTagMappingList": [
            {"ResourceARN": a["ServiceArn"], "Tags": [{"Key": "env", "Value": "prod"}]}], "PaginationToken": "p2"},
            {"ResourceTypeFilters": ["apprunner:service"], "ResourcesPerPage": 100})
        stub.add_response("get_resources", {"ResourceTagMappingList": [
            {"ResourceARN": b["ServiceArn"], "Tags": [{"Key": "preflight:ignore", "Value": "NET003"}]}],
            "PaginationToken": ""},
            {"ResourceTypeFilters": ["apprunner:service"], "ResourcesPerPage": 100, "PaginationToken": "p2"})
        task = apprunner.tags_task(REGION)
        tagged = task.transform(task.fetch(client, lambda *_: None), REGION)
        stub.assert_no_pending_responses()
    services = [{"arn": a["ServiceArn"], "platform": "apprunner"}, {"arn": b["ServiceArn"], "platform": "apprunner"},
                {"arn": "arn:aws:apprunner:eu-west-1:1:service/c/0", "platform": "apprunner"}]
    apprunner.attach_tags(services, tagged)
    assert [s["tags"] for s in services] == [{"env": "prod"}, {"preflight:ignore": "NET003"}, {}]
