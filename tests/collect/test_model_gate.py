"""The talk's worlds scanned through a loopback endpoint that refuses, as AWS does, every request
outside the service model (tests.doubles.model_gate): the same findings as in-process, no
gap. And the bug that made this necessary, reproduced on the wire: one page size of 1000 for
every EC2 describe loses the route tables (DescribeRouteTablesMaxResults is 5..100 in the EC2
model; https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRouteTables.html)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest

from preflight import engine
from preflight.collect import collect
from tests.doubles import strict
from tests.doubles.model_gate import ModelGatedMoto, decode_query
from tests.doubles.worlds import APP_REGION, STAGES, build_talk, seed_ids


@pytest.fixture(scope="module")
def gated() -> Iterator[ModelGatedMoto]:
    with ModelGatedMoto() as server:
        yield server


@pytest.fixture
def wire(gated: ModelGatedMoto, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelGatedMoto]:
    """Every client talks to the gate; the in-process check is off, so the gate alone judges."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", gated.url)
    gated.reset()
    gated.gate.refused.clear()
    seed_ids()
    with strict.paused():
        yield gated


def _findings(result: Any) -> list[tuple[str, str, str, str]]:
    """Rule, resource type, region and severity of each finding: moto's generated ids differ
    between its server and its in-process mock, so ids are compared only by what they point at."""
    import re

    def stable(text: str) -> str:
        return re.sub(r"\b(vpc|subnet|sg|rtb|pcx|igw|nat|acl|eni|vpce)-[0-9a-f]+", r"\1-*", text)
    return sorted((f.rule, f.resource.type, f.resource.region or "", stable(f.message)) for f in result.findings)


def _in_process(stage: str) -> tuple[list[tuple[str, str, str, str]], list[Any]]:
    from moto import mock_aws

    with mock_aws():
        seed_ids()
        session = boto3.Session(region_name=APP_REGION)
        build_talk(stage, session)
        doc = collect(session, [APP_REGION])
    return _findings(engine.run(doc)), doc["gaps"]


@pytest.mark.parametrize("stage", STAGES)
def test_each_talk_stage_through_the_gate_matches_the_in_process_scan(stage: str, wire: ModelGatedMoto) -> None:
    session = boto3.Session(region_name=APP_REGION)
    build_talk(stage, session)
    doc = collect(session, [APP_REGION])
    assert doc["gaps"] == []
    assert wire.refused == []
    assert wire.gate.checked > 50  # the scan's EC2, RDS, IAM, STS and JSON requests were judged
    on_wire = _findings(engine.run(doc))
    expected, gaps = _in_process(stage)
    assert gaps == []
    assert on_wire == expected


@pytest.mark.refused_requests
def test_the_old_page_size_loses_the_route_tables_on_the_wire(wire: ModelGatedMoto,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from preflight.collect import base

    real = base.paginate
    monkeypatch.setattr("preflight.collect.ec2.paginate",
                        lambda client, op, key, **kw: real(client, op, key, page_size=1000, **kw))
    session = boto3.Session(region_name=APP_REGION)
    build_talk("no-routes", session)
    doc = collect(session, [APP_REGION])
    lost = [g for g in doc["gaps"] if g["operation"] == "DescribeRouteTables"]
    assert lost and lost[0]["error"].startswith("InvalidParameterValue")
    assert lost[0]["collections"] == ["route_tables"]
    result = engine.run(doc)
    assert not result.complete
    assert any(r.startswith("ec2.DescribeRouteTables: MaxResults: 1000 is above the maximum 100")
               for r in wire.refused)


@pytest.mark.refused_requests
def test_the_gate_answers_each_protocol_with_its_error(wire: ModelGatedMoto) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_route_tables(MaxResults=101)
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert ec2.describe_route_tables(MaxResults=100)["RouteTables"]
    ecs = boto3.client("ecs", region_name="us-east-1")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.list_clusters(maxResults=101)  # the API reference's 1..100, which the model omits
    assert e.value.response["Error"]["Code"] == "ValidationException"
    rds = boto3.client("rds", region_name="us-east-1")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        rds.describe_db_instances(MaxRecords=19)
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert rds.describe_db_instances(MaxRecords=20)["DBInstances"] == []
    assert len(wire.refused) == 3


def test_query_requests_decode_back_into_their_parameters() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("ec2")
    form = {"Action": "DescribeRouteTables", "Version": "2016-11-15", "MaxResults": "100",
            "Filter.1.Name": "vpc-id", "Filter.1.Value.1": "vpc-1", "Filter.1.Value.2": "vpc-2",
            "RouteTableId.1": "rtb-1", "DryRun": "false"}
    op, params, unknown = decode_query(model, form)
    assert op == "DescribeRouteTables" and unknown == []
    assert params == {"MaxResults": 100, "DryRun": False, "RouteTableIds": ["rtb-1"],
                      "Filters": [{"Name": "vpc-id", "Values": ["vpc-1", "vpc-2"]}]}
    _, _, unknown = decode_query(model, {**form, "Bogus": "1"})
    assert unknown == ["Bogus"]
    rds = botocore.session.get_session().get_service_model("rds")
    op, params, unknown = decode_query(rds, {"Action": "DescribeDBSubnetGroups", "Version": "2014-10-31",
                                             "Filters.Filter.1.Name": "x", "Filters.Filter.1.Values.Value.1": "y",
                                             "MaxRecords": "20"})
    assert (params, unknown) == ({"MaxRecords": 20, "Filters": [{"Name": "x", "Values": ["y"]}]}, [])
