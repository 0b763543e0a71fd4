"""The talk's account, built in moto with App Runner served by the model-validated double."""

from __future__ import annotations

from typing import Any

import pytest

from preflight import engine
from preflight.collect import ALLOWED, OPERATIONS, collect
from preflight.collect.aws import is_read_only
from preflight.findings import Severity
from tests.builders import fired
from tests.doubles.worlds import APP_REGION, DB_REGION, build_talk, build_talk_ecs


def scan(session: Any, regions: list[str] | None = None, **kw: Any) -> dict[str, Any]:
    return collect(session, regions or [APP_REGION], **kw)


def test_halfway_talk_fires_the_first_rules_on_the_right_resources(session: Any) -> None:
    talk = build_talk("halfway", session)
    doc = scan(session)
    result = engine.run(doc)
    ids = talk.ids
    assert fired(result, "NET001") == {ids["pcx"]}
    assert fired(result, "NET003") == set(ids["tokyo_subnets"][:2])
    assert fired(result, "NET012") == {"talk-db"}
    assert fired(result, "NET002") == {"talk-connector"}
    assert {f.severity for f in result.findings if f.rule == "NET012"} == {Severity.CRITICAL}
    assert result.complete and result.exit_code(Severity.HIGH) == 1


def test_fixed_talk_passes_the_default_gate(session: Any) -> None:
    build_talk("fixed", session)
    result = engine.run(scan(session))
    assert {f.rule for f in result.findings} == {"NET013", "COST001", "BLD003", "BLD009"}
    assert max(f.severity for f in result.findings) == Severity.MEDIUM  # nodejs16 past its support
    assert result.exit_code(Severity.HIGH) == 0


def test_the_database_region_is_followed_from_the_peering_and_the_environment(session: Any) -> None:
    talk = build_talk("halfway", session)
    doc = scan(session)
    assert doc["requested_regions"] == [APP_REGION]
    assert doc["regions"] == [APP_REGION, DB_REGION]
    assert {d["id"] for d in doc["resources"]["db_instances"]} == {"talk-db"}
    # App Runner is not collected where the graph only led us (ap-northeast-2 has none)
    assert {s["region"] for s in doc["resources"]["services"]} == {APP_REGION}
    assert talk.fake.calls.count("ListServices") == 1


def test_env_values_never_reach_the_snapshot(session: Any) -> None:
    import json

    talk = build_talk("halfway", session)
    backend = next(s for s in talk.fake.services if s["ServiceName"] == "talk-be")
    env = backend["SourceConfiguration"]["CodeRepository"]["CodeConfiguration"][
        "CodeConfigurationValues"]["RuntimeEnvironmentVariables"]
    env["API_TOKEN"] = "tok-5f0c9e2b-never-stored"
    env["DATABASE_URL"] = f"postgres://talk:pw-91ab77@{talk.ids['db_address']}:5432/talk"
    doc = scan(session)
    text = json.dumps(doc)
    assert "tok-5f0c9e2b-never-stored" not in text and "pw-91ab77" not in text
    svc = next(s for s in doc["resources"]["services"] if s["name"] == "talk-be")
    assert {e["name"] for e in svc["env"]} == set(env)
    assert all(set(e) == {"name", "endpoint_digests", "endpoint_regions", "url_password"}
               for e in svc["env"])
    url = next(e for e in svc["env"] if e["name"] == "DATABASE_URL")
    assert url["url_password"] and url["endpoint_regions"] == [DB_REGION]


def test_service_filter_describes_only_the_named_service(session: Any) -> None:
    talk = build_talk("halfway", session)
    doc = scan(session, services=frozenset({"talk-fe"}))
    assert [s["name"] for s in doc["resources"]["services"]] == ["talk-fe"]
    assert talk.fake.calls.count("DescribeService") == 1


def test_unknown_service_is_a_usage_error(session: Any) -> None:
    from preflight.errors import UsageError

    build_talk("halfway", session)
    with pytest.raises(UsageError, match="no App Runner or ECS service 'nope'"):
        scan(session, services=frozenset({"nope"}))


def test_access_denied_becomes_a_gap_and_leaves_rules_not_evaluated(session: Any) -> None:
    talk = build_talk("halfway", session)
    talk.fake.denied.add("ListVpcConnectors")
    doc = scan(session)
    assert [(g["region"], g["iam_action"]) for g in doc["gaps"]] == [
        (APP_REGION, "apprunner:ListVpcConnectors")]
    result = engine.run(doc)
    assert set(result.not_evaluated) == {"NET002", "NET003", "NET004", "NET005", "NET007", "NET008", "NET014",
                                         "NET009", "NET010", "NET011", "COST001", "QTA002"}
    assert fired(result, "NET012") == {"talk-db"}  # unaffected rules still run


def test_denied_describe_of_one_service_keeps_the_others(session: Any) -> None:
    talk = build_talk("halfway", session)
    talk.fake.denied.add("ListOperations")
    doc = scan(session)
    assert {s["name"] for s in doc["resources"]["services"]} == {"talk-be", "talk-fe"}
    assert {g["operation"] for g in doc["gaps"]} == {"ListOperations"}


def test_denied_tags_leave_the_services_judged(session: Any) -> None:
    talk = build_talk("halfway", session)
    talk.fake.denied.add("GetResources")
    doc = scan(session)
    assert [(g["iam_action"], g["collections"]) for g in doc["gaps"]] == [("tag:GetResources", ["service_tags"])]
    result = engine.run(doc)
    assert set(result.not_evaluated) == {"IAM005"}
    assert {s["name"]: s["tags"] for s in doc["resources"]["services"]} == {"talk-be": {}, "talk-fe": {}}


def test_every_call_a_scan_makes_is_a_declared_read(session: Any) -> None:
    """Drives the whole collector against moto, recording each operation botocore builds."""
    build_talk("halfway", session)
    seen: list[tuple[str, str]] = []

    def record(model: Any, **_: Any) -> None:
        seen.append((model.service_model.service_name, model.name))

    session._session.register("before-parameter-build", record)
    doc = scan(session)
    assert seen, "no call recorded"
    assert set(seen) <= ALLOWED
    assert all(is_read_only(s, o) for s, o in seen)
    assert sum(doc["api_calls_by_operation"].values()) == len(seen) == doc["api_calls"]


def test_declared_operations_are_reads_and_never_secret_values() -> None:
    assert all(is_read_only(op.service, op.name) for op in OPERATIONS)
    assert not {("secretsmanager", "GetSecretValue"), ("ssm", "GetParameters")} & ALLOWED


def test_the_guard_refuses_a_write_before_it_is_sent(session: Any) -> None:
    from preflight.collect.aws import Clients
    from preflight.errors import ReadOnlyViolation

    clients = Clients(session, ALLOWED)
    ec2 = clients.get("ec2", APP_REGION)
    with pytest.raises(ReadOnlyViolation, match="ec2:CreateVpc"):
        ec2.create_vpc(CidrBlock="10.0.0.0/16")
    assert len(ec2.describe_vpcs()["Vpcs"]) == 1  # nothing was created
    sm = clients.get("secretsmanager", APP_REGION)
    with pytest.raises(ReadOnlyViolation, match="GetSecretValue"):
        sm.get_secret_value(SecretId="x")


def test_declaring_a_write_is_refused() -> None:
    from preflight.collect.aws import Guard
    from preflight.errors import ReadOnlyViolation

    with pytest.raises(ReadOnlyViolation, match=r"ec2\.CreateRoute"):
        Guard(frozenset({("ec2", "CreateRoute")}))


def test_api_calls_do_not_grow_with_resources(session: Any) -> None:
    build_talk("halfway", session)
    small = scan(session)["api_calls_by_operation"]
    import boto3

    ec2 = boto3.client("ec2", APP_REGION)
    for i in range(30):
        vpc = ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")["Vpc"]["VpcId"]
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{i}.1.0/24")
        ec2.create_security_group(GroupName=f"g{i}", Description="x", VpcId=vpc)
    assert scan(session)["api_calls_by_operation"] == small


def test_unreachable_endpoint_is_a_gap_not_an_empty_list(session: Any, monkeypatch: Any) -> None:
    """RDS in every region points at a closed loopback port: the scan completes with gaps."""
    import socket

    from preflight.collect.aws import Settings

    talk = build_talk("halfway", session)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_RDS", f"http://127.0.0.1:{closed}")
    doc = scan(session, settings=Settings(max_attempts=1, connect_timeout=1, read_timeout=1))
    rds_gaps = {(g["region"], g["operation"]) for g in doc["gaps"]}
    assert rds_gaps == {(r, op) for r in (APP_REGION, DB_REGION)
                        for op in ("DescribeDBInstances", "DescribeDBClusters", "DescribeDBSubnetGroups")}
    assert all(g["error"].startswith("endpoint unreachable") for g in doc["gaps"])
    result = engine.run(doc)
    assert set(result.not_evaluated) == {"NET004", "NET005", "NET007", "NET009", "NET011", "NET012", "NET014",
                                         "NET013"}
    assert fired(result, "NET003") == set(talk.ids["tokyo_subnets"][:2])


def test_progress_reports_every_task(session: Any) -> None:
    build_talk("halfway", session)
    seen: list[tuple[str, int, int]] = []
    scan(session, progress=lambda what, done, total: seen.append((what, done, total)))
    assert seen and [d for _, d, _ in seen] == list(range(1, len(seen) + 1))
    assert seen[-1][1] == seen[-1][2]  # everything announced was done
    assert any(what.startswith("ec2.DescribeVpcs in ap-northeast-2") for what, _, _ in seen)


def test_a_full_scan_calls_exactly_the_declared_operations(session: Any, monkeypatch: Any) -> None:
    """A world that needs every collector: identity with a managed policy and a boundary, an
    SSM parameter, a KMS key, a custom domain in Route 53 and one outside it, a quota that
    exists only as the AWS default. The operations called must be exactly the declared list."""
    import json as _json

    import boto3

    from preflight.collect.aws import Settings
    from tests.dnsserver import DnsServer
    from tests.doubles import apprunner_fake as ar

    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # before moto's IAM backend exists
    # ECS beside App Runner: an Express Mode service behind a load balancer with an ACM
    # certificate, and a running standalone Fargate task
    talk = build_talk_ecs(session, nat=True, express=True, load_balancer=True, replace=False).talk
    ecs = boto3.client("ecs", APP_REGION)
    job = ecs.register_task_definition(family="job", cpu="256", memory="512", containerDefinitions=[
        {"name": "job", "image": "busybox", "memory": 512}])["taskDefinition"]["taskDefinitionArn"]
    ecs.run_task(cluster="talk", taskDefinition=job, launchType="FARGATE")
    talk.quotas.applied.clear()
    iam = boto3.client("iam")
    iam.attach_role_policy(RoleName="apprunner-awstest-be-instance-role",
                           PolicyArn="arn:aws:iam::aws:policy/AWSAppRunnerReadOnlyAccess")
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": "*"}]}
    managed = iam.create_policy(PolicyName="read-params", PolicyDocument=_json.dumps(doc))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="apprunner-awstest-be-instance-role", PolicyArn=managed)
    iam.put_role_permissions_boundary(RoleName="apprunner-awstest-be-instance-role", PermissionsBoundary=managed)
    boto3.client("ssm", APP_REGION).put_parameter(Name="/talk/api-key", Value="x", Type="SecureString")
    backend = next(s for s in talk.fake.services if s["ServiceArn"] == talk.ids["backend_arn"])
    backend["SourceConfiguration"]["CodeRepository"]["CodeConfiguration"]["CodeConfigurationValues"][
        "RuntimeEnvironmentSecrets"]["API_KEY"] = "/talk/api-key"
    boto3.client("route53").create_hosted_zone(Name="talk-example.com", CallerReference="x")
    talk.fake.domains[talk.ids["backend_arn"]] = [ar.custom_domain("api.talk-example.com"),
                                                  ar.custom_domain("www.elsewhere.example")]
    seen: set[tuple[str, str]] = set()
    session._session.register("before-parameter-build", lambda model, **_: seen.add(
        (model.service_model.service_name, model.name)))
    boto3.client("organizations", "us-east-1").create_organization(FeatureSet="ALL")
    with DnsServer({}) as dns:
        scan(session, settings=Settings(dns_resolver=dns.address))
    # moto scans as the organization's management account, where no SCP or RCP applies, so the
    # member-only reads stop at DescribeOrganization; tests/collect/test_organizations.py reads
    # them for a member account
    member_only = {("organizations", "ListParents"), ("organizations", "ListPoliciesForTarget"),
                   ("organizations", "DescribePolicy")}
    # the talk's world has no transit gateway and names no prefix list: the joins, route searches
    # and entry reads that follow one are read by tests/collect/test_transit_gateways.py
    tgw_only = {("ec2", "DescribeTransitGatewayVpcAttachments"), ("ec2", "DescribeTransitGatewayPeeringAttachments"),
                ("ec2", "SearchTransitGatewayRoutes"), ("ec2", "GetManagedPrefixListEntries")}
    # a scan reads no deployment evidence: `preflight diagnose` does (tests/collect/test_diagnose.py)
    diagnose_only = {("logs", "FilterLogEvents"), ("cloudformation", "DescribeStackEvents")}
    assert seen == ALLOWED - member_only - tgw_only - diagnose_only


def test_every_app_runner_list_is_followed_page_by_page() -> None:
    """One item per page: services, connectors, domains and configurations all still arrive.
    Operations are the exception by design: only the newest page (20 in AWS) is read."""
    whole = _app_runner_records(page_size=None)
    paged = _app_runner_records(page_size=1)
    assert [o["type"] for o in whole["services"][0]["operations"]] == ["START_DEPLOYMENT", "UPDATE_SERVICE"]
    assert [o["type"] for o in paged["services"][0]["operations"]] == ["START_DEPLOYMENT"]
    for records in (whole, paged):
        for service in records["services"]:
            service.pop("operations")
    assert paged == whole and len(whole["services"]) == 2


def _app_runner_records(page_size: int | None) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from tests.doubles import apprunner_fake as ar
    from tests.doubles.worlds import seed_ids

    with mock_aws():
        seed_ids()
        session = boto3.Session(region_name=APP_REGION)
        talk = build_talk("fixed", session)
        talk.fake.page_size = page_size
        backend = talk.ids["backend_arn"]
        talk.fake.operations[backend] = [ar.operation(backend, kind, "SUCCEEDED", ar.CREATED)
                                         for kind in ("START_DEPLOYMENT", "UPDATE_SERVICE")]
        res = scan(session)["resources"]
    return {k: res[k] for k in ("services", "vpc_connectors", "autoscaling_summaries", "connections")}
