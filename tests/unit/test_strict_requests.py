"""The strict request check (tests.doubles.strict) against the installed botocore models, and
preflight's page sizes against the same models.

Sources: the botocore service models installed here (each case names the shape it reads), the
Smithy constraint traits page for what `min`, `max`, `enum` and `pattern` mean
(https://smithy.io/2.0/spec/constraint-traits.html), and, where the model is silent, the API
reference page that `preflight/data/request_limits.json` names for each entry.
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.exceptions
import botocore.session
import pytest

from preflight.collect import OPERATIONS
from preflight.collect.base import _limit_key, documented_limits, largest_page
from tests.doubles import strict

_SESSION = botocore.session.get_session()


def problems(service: str, operation: str, params: dict[str, Any]) -> list[str]:
    return strict.check_request(_SESSION.get_service_model(service), operation, params)


# (service, operation, params, a fragment of the expected problem or None for a valid request)
CASES: list[tuple[str, str, dict[str, Any], str | None]] = [
    # integer ranges: DescribeRouteTablesMaxResults is 5..100, DescribeVpcsMaxResults 5..1000
    ("ec2", "DescribeRouteTables", {"MaxResults": 1000}, "above the maximum 100"),
    ("ec2", "DescribeRouteTables", {"MaxResults": 101}, "above the maximum 100"),
    ("ec2", "DescribeRouteTables", {"MaxResults": 100}, None),
    ("ec2", "DescribeRouteTables", {"MaxResults": 5}, None),
    ("ec2", "DescribeRouteTables", {"MaxResults": 4}, "below the minimum 5"),
    ("ec2", "DescribeVpcs", {"MaxResults": 1000}, None),
    ("ec2", "DescribeVpcs", {"MaxResults": 1001}, "above the maximum 1000"),
    ("ec2", "DescribeSubnets", {"MaxResults": 1000}, None),
    ("ec2", "DescribeSecurityGroups", {"MaxResults": 1001}, "above the maximum 1000"),
    ("ec2", "DescribeNetworkAcls", {"MaxResults": 1000}, None),
    ("ec2", "DescribeNatGateways", {"MaxResults": 1000}, None),
    # App Runner: ListServices MaxResults 1..20, DescribeCustomDomains 1..5
    ("apprunner", "ListServices", {"MaxResults": 20}, None),
    ("apprunner", "ListServices", {"MaxResults": 21}, "above the maximum 20"),
    ("apprunner", "ListServices", {"MaxResults": 0}, "below the minimum 1"),
    ("apprunner", "DescribeCustomDomains", {"ServiceArn": "arn:aws:apprunner:us-east-1:123456789012:service/a/b",
                                            "MaxResults": 6}, "above the maximum 5"),
    ("apprunner", "ListOperations", {"ServiceArn": "arn:aws:apprunner:us-east-1:123456789012:service/a/b",
                                     "MaxResults": 20}, None),
    # required members
    ("apprunner", "DescribeService", {}, "required member 'ServiceArn'"),
    ("ec2", "DescribeVpcAttribute", {"Attribute": "enableDnsSupport"}, "required member 'VpcId'"),
    # unknown members
    ("ec2", "DescribeVpcs", {"Vpc": "vpc-1"}, "unknown member 'Vpc'"),
    # enums: VpcAttributeName
    ("ec2", "DescribeVpcAttribute", {"VpcId": "vpc-1", "Attribute": "enableDnsSupport"}, None),
    ("ec2", "DescribeVpcAttribute", {"VpcId": "vpc-1", "Attribute": "dnsSupport"}, "is not one of"),
    ("ecs", "DescribeServices", {"services": ["a"], "include": ["TAGS"]}, None),
    ("ecs", "DescribeServices", {"services": ["a"], "include": ["tags"]}, "is not one of"),
    ("ecs", "ListTasks", {"desiredStatus": "RUNNING"}, None),
    ("ecs", "ListTasks", {"desiredStatus": "STARTED"}, "is not one of"),
    # string length and pattern: App Runner's ServiceArn is 1..1011 characters of an ARN pattern
    ("apprunner", "DescribeService", {"ServiceArn": "not-an-arn"}, "does not match the pattern"),
    ("apprunner", "DescribeService", {"ServiceArn": "arn:aws:apprunner:us-east-1:123456789012:service/a/"
                                      + "b" * 1000}, "above the maximum 1011"),
    ("apprunner", "DescribeService", {"ServiceArn": ""}, "below the minimum 1"),
    # the \p{L} classes of tag patterns, which Python's re cannot read
    ("ecs", "ListServices", {"cluster": "c", "maxResults": 100}, None),
    # list lengths: GetAccountAuthorizationDetails Filter entries are enums
    ("iam", "GetAccountAuthorizationDetails", {"Filter": ["Role", "LocalManagedPolicy"]}, None),
    ("iam", "GetAccountAuthorizationDetails", {"Filter": ["Roles"]}, "is not one of"),
    ("iam", "GetAccountAuthorizationDetails", {"MaxItems": 1001}, "above the maximum 1000"),
    ("secretsmanager", "ListSecrets", {"MaxResults": 101}, "above the maximum 100"),
    ("ssm", "DescribeParameters", {"MaxResults": 51}, "above the maximum 50"),
    ("elbv2", "DescribeTargetGroups", {"PageSize": 401}, "above the maximum 400"),
    ("elbv2", "DescribeTargetGroups", {"PageSize": 400}, None),
    # types
    ("ec2", "DescribeRouteTables", {"MaxResults": "100"}, "expected an integer"),
    ("ec2", "DescribeRouteTables", {"MaxResults": True}, "expected an integer"),
    ("ec2", "DescribeRouteTables", {"DryRun": "false"}, "expected a boolean"),
    ("ec2", "DescribeRouteTables", {"Filters": {"Name": "vpc-id"}}, "expected a list"),
    ("ec2", "DescribeRouteTables", {"Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}]}, None),
    ("ec2", "DescribeRouteTables", {"Filters": [{"Name": "vpc-id", "Values": [1]}]}, "expected a string"),
    # what the model omits and the API reference states (data/request_limits.json)
    ("ecs", "ListServices", {"maxResults": 101}, "documented maximum 100"),
    ("ecs", "ListClusters", {"maxResults": 0}, "documented minimum 1"),
    ("ecs", "ListTasks", {"maxResults": 100}, None),
    ("ecs", "DescribeServices", {"services": [f"s{i}" for i in range(11)]}, "documented maximum 10"),
    ("ecs", "DescribeServices", {"services": [f"s{i}" for i in range(10)]}, None),
    ("ecs", "DescribeTasks", {"tasks": [f"t{i}" for i in range(101)]}, "documented maximum 100"),
    ("rds", "DescribeDBInstances", {"MaxRecords": 19}, "documented minimum 20"),
    ("rds", "DescribeDBInstances", {"MaxRecords": 101}, "documented maximum 100"),
    ("rds", "DescribeDBSubnetGroups", {"MaxRecords": 100}, None),
    ("ec2", "DescribeVpcEndpoints", {"MaxResults": 1001}, "documented maximum 1000"),
    ("resourcegroupstaggingapi", "GetResources", {"ResourcesPerPage": 101}, "documented maximum 100"),
    ("resourcegroupstaggingapi", "GetResources", {"ResourcesPerPage": 100,
                                                  "ResourceTypeFilters": ["apprunner:service"]}, None),
    # no parameters at all
    ("sts", "GetCallerIdentity", {}, None),
]


@pytest.mark.parametrize(("service", "operation", "params", "expected"), CASES,
                         ids=[f"{c[0]}.{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_each_constraint_as_the_model_states_it(service: str, operation: str, params: dict[str, Any],
                                                expected: str | None) -> None:
    found = problems(service, operation, params)
    if expected is None:
        assert found == []
    else:
        assert any(expected in p for p in found), found


def test_nested_structures_are_checked_too() -> None:
    # ParameterStringFilter.Key is 1..132 characters; Option must be 1..10
    found = problems("ssm", "DescribeParameters", {"ParameterFilters": [{"Key": "Name", "Option": "x" * 11}]})
    assert any("ParameterFilters[0].Option" in p and "above the maximum 10" in p for p in found), found


def test_a_string_enum_inside_a_list_is_checked() -> None:
    found = problems("secretsmanager", "ListSecrets", {"Filters": [{"Key": "names", "Values": ["a"]}]})
    assert any("Filters[0].Key" in p and "is not one of" in p for p in found), found


def test_every_pattern_of_the_services_preflight_reads_can_be_checked() -> None:
    services = sorted({op.service for op in OPERATIONS})
    assert strict.unpatterned(services) == []


# -- the page sizes preflight sends -----------------------------------------------------------

def _page_member(service: str, operation: str) -> str | None:
    if service == "apprunner":  # no botocore paginators: MaxResults by hand
        shape = _SESSION.get_service_model(service).operation_model(operation).input_shape
        return "MaxResults" if shape is not None and "MaxResults" in shape.members else None
    return _limit_key(service, operation)


@pytest.mark.parametrize("op", [op for op in OPERATIONS if _page_member(op.service, op.name)],
                         ids=lambda op: op.key)
def test_every_page_size_is_the_largest_the_operation_accepts(op: Any) -> None:
    member = _page_member(op.service, op.name)
    assert member is not None
    size = largest_page(op.service, op.name, member)
    shape = _SESSION.get_service_model(op.service).operation_model(op.name).input_shape.members[member]
    if shape.type_name == "string":  # Route 53's MaxItems: AWS's default page is its largest
        assert size is None
        return
    top = shape.metadata.get("max") or documented_limits()[f"{op.service}.{op.name}.{member}"]["max"]
    assert size == top
    assert problems(op.service, op.name, {member: size, **_required(op.service, op.name)}) == []


def _required(service: str, operation: str) -> dict[str, Any]:
    """Plausible values for the required members, so that only the page size is judged."""
    shape = _SESSION.get_service_model(service).operation_model(operation).input_shape
    samples = {"ServiceArn": "arn:aws:apprunner:us-east-1:123456789012:service/a/" + "0" * 32,
               "HostedZoneId": "Z0123456789", "ChildId": "123456789012", "TargetId": "123456789012",
               "Filter": "SERVICE_CONTROL_POLICY", "TransitGatewayRouteTableId": "tgw-rtb-0123456789abcdef0",
               "Filters": [{"Name": "state", "Values": ["active", "blackhole"]}],
               "PrefixListId": "pl-0123456789abcdef0"}
    return {m: samples[m] for m in shape.required_members}


def test_route_tables_are_paged_within_their_range() -> None:
    # the bug this module exists for: one MaxResults=1000 for every EC2 describe
    assert largest_page("ec2", "DescribeRouteTables") == 100
    assert largest_page("ec2", "DescribeVpcs") == 1000


def test_documented_limits_name_their_page_and_fill_only_gaps_in_the_model() -> None:
    for key, limit in documented_limits().items():
        service, operation, member = key.split(".", 2)
        assert limit["source"].startswith("https://docs.aws.amazon.com/"), key
        shape = _SESSION.get_service_model(service).operation_model(operation).input_shape
        meta = shape.members[member].metadata
        assert "max" not in meta, f"{key}: the model has a max now; drop the entry"


# -- the hook, end to end against moto --------------------------------------------------------

@pytest.mark.refused_requests
def test_a_refused_request_is_answered_as_aws_answers_it_and_recorded(aws: None) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_route_tables(MaxResults=1000)
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    found = strict.take()
    assert [str(v) for v in found] == ["ec2.DescribeRouteTables: MaxResults: 1000 is above the maximum 100"]
    assert ec2.describe_route_tables(MaxResults=100)["RouteTables"]  # moto's main route table
    assert strict.take() == []


@pytest.mark.refused_requests
def test_json_services_answer_validation_exception(aws: None) -> None:
    ecs = boto3.client("ecs", region_name="us-east-1")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.list_clusters(maxResults=1000)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert strict.take()


@pytest.mark.refused_requests
def test_a_refusal_turned_into_a_gap_is_still_caught(aws: None, session: Any) -> None:
    from preflight.collect.base import paginate

    client = session.client("ec2", region_name="ap-northeast-1")
    with pytest.raises(botocore.exceptions.ClientError):
        paginate(client, "DescribeRouteTables", "RouteTables", page_size=1000)
    assert [v.operation for v in strict.take()] == ["DescribeRouteTables"]


def test_the_transit_gateway_route_search_is_valid_as_sent() -> None:
    """SearchTransitGatewayRoutes requires a filter; preflight asks for the states a packet cares
    about, in values the model's enum holds, and relies on the documented default page (1000, the
    model's maximum)."""
    from preflight.collect import ec2

    sent: list[dict[str, Any]] = []

    class Client:
        def get_paginator(self, name: str) -> Any:
            class Pages:
                def paginate(self, **_: Any) -> Any:
                    return [{"TransitGatewayRouteTables": [{"TransitGatewayRouteTableId": "tgw-rtb-0123456789abcdef0"}]}]
            return Pages()

        meta = type("Meta", (), {"service_model": type("Model", (), {"service_name": "ec2"})()})()

        def search_transit_gateway_routes(self, **params: Any) -> dict[str, Any]:
            sent.append(params)
            return {"Routes": [], "AdditionalRoutesAvailable": False}

    tables = ec2._fetch_tgw_route_tables(Client(), lambda op, e: None)
    assert tables[0]["RoutesComplete"] is True
    assert len(sent) == 1 and problems("ec2", "SearchTransitGatewayRoutes", sent[0]) == []
    assert "MaxResults" not in sent[0]
