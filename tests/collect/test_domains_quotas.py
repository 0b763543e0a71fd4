"""Custom domains through moto's Route 53 and a DNS server on 127.0.0.1; the Fargate quota
through the Service Quotas double (moto serves only `vpc`)."""

from __future__ import annotations

from typing import Any

from preflight import engine
from preflight.collect import collect
from preflight.collect.aws import Settings
from tests.builders import fired
from tests.dnsserver import DnsServer
from tests.doubles import apprunner_fake as ar
from tests.doubles.worlds import APP_REGION, build_talk

DOMAIN_RULES = ("DNS001", "DNS002", "DNS003", "DNS004", "DNS005")


def _with_domains(session: Any, talk: Any) -> None:
    backend = talk.ids["backend_arn"]
    frontend = talk.ids["frontend_arn"]
    talk.fake.domains[backend] = [ar.custom_domain(
        "api.talk-example.com", records=[("_a1.api.talk-example.com.", "_v1.acm-validations.aws.", "SUCCESS")])]
    talk.fake.domains[frontend] = [ar.custom_domain(
        "www.non-amazon.example", records=[("_b2.www.non-amazon.example.", "_v2.acm-validations.aws.", "SUCCESS")])]
    r53 = session.client("route53")
    zone = r53.create_hosted_zone(Name="talk-example.com", CallerReference="talk")["HostedZone"]["Id"]
    target = next(s["ServiceUrl"] for s in talk.fake.services if s["ServiceArn"] == backend)
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "api.talk-example.com", "Type": "CNAME", "TTL": 300,
                                                   "ResourceRecords": [{"Value": target}]}}]})
    # the validation CNAME was deleted once the domain was active (the talk's question)


def test_route53_and_non_amazon_dns(session: Any) -> None:
    talk = build_talk("fixed", session)
    _with_domains(session, talk)
    front = next(s["ServiceUrl"] for s in talk.fake.services if s["ServiceArn"] == talk.ids["frontend_arn"])
    with DnsServer({("www.non-amazon.example", "CNAME"): [front + "."],
                    ("_b2.www.non-amazon.example", "CNAME"): ["_v2.acm-validations.aws."],
                    ("non-amazon.example", "CAA"): ['0 issue "letsencrypt.org"']}) as dns:
        doc = collect(session, [APP_REGION], settings=Settings(dns_resolver=dns.address))
    assert ("www.non-amazon.example", "CNAME") in dns.queries
    assert not any(n.endswith("talk-example.com") for n, _ in dns.queries)  # Route 53 answered those
    result = engine.run(doc, DOMAIN_RULES)
    assert result.complete
    assert fired(result, "DNS001") == {"api.talk-example.com"}
    assert fired(result, "DNS005") == {"www.non-amazon.example"}
    assert fired(result, "DNS004") == set() and fired(result, "DNS003") == set()


def test_unreachable_resolver_is_a_gap(session: Any) -> None:
    import socket

    talk = build_talk("fixed", session)
    _with_domains(session, talk)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        silent = f"127.0.0.1:{s.getsockname()[1]}"  # bound, never answers
        doc = collect(session, [APP_REGION], settings=Settings(dns_resolver=silent))
    assert {g["service"] for g in doc["gaps"]} == {"dns"}
    result = engine.run(doc, DOMAIN_RULES)
    assert set(result.not_evaluated) == {"DNS001", "DNS003", "DNS004", "DNS005"}


def test_quota_only_as_aws_default_is_still_found(session: Any) -> None:
    talk = build_talk("fixed", session)
    talk.quotas.applied.clear()
    talk.quotas.default = 6
    doc = collect(session, [APP_REGION])
    assert doc["resources"]["quotas"] == [{
        "region": APP_REGION, "service_code": "fargate", "quota_code": "L-3032A538",
        "name": "Fargate On-Demand vCPU resource count", "value": 6.0, "source": "default"}]
    result = engine.run(doc, ("QTA001",))
    assert fired(result, "QTA001") == {f"{APP_REGION}/fargate/L-3032A538"}  # 2 services x 1 vCPU x 25


def test_applied_quota_wins_over_the_default(session: Any) -> None:
    talk = build_talk("fixed", session)
    talk.quotas.applied[APP_REGION] = 100
    result = engine.run(collect(session, [APP_REGION]), ("QTA001",))
    assert fired(result, "QTA001") == set()


def test_access_denied_on_service_quotas_leaves_qta001_not_evaluated(session: Any) -> None:
    talk = build_talk("fixed", session)
    talk.quotas.denied = True
    doc = collect(session, [APP_REGION])
    assert [g["iam_action"] for g in doc["gaps"]] == ["servicequotas:GetServiceQuota"]
    result = engine.run(doc, ("QTA001", "OPS001"))
    assert set(result.not_evaluated) == {"QTA001"}
    assert result.exit_code(None) == 3


def test_pending_connection_and_rolled_back_service(session: Any) -> None:
    talk = build_talk("fixed", session)
    conn = ar.connection("github-talk", APP_REGION, "123456789012", "PENDING_HANDSHAKE")
    talk.fake.connections.append(conn)
    backend = next(s for s in talk.fake.services if s["ServiceArn"] == talk.ids["backend_arn"])
    backend["SourceConfiguration"]["AuthenticationConfiguration"] = {"ConnectionArn": conn["ConnectionArn"]}
    talk.fake.operations[talk.ids["frontend_arn"]] = [
        ar.operation(talk.ids["frontend_arn"], "START_DEPLOYMENT", "ROLLBACK_SUCCEEDED", ar.CREATED)]
    result = engine.run(collect(session, [APP_REGION]), ("OPS001", "OPS002"))
    assert fired(result, "OPS002") == {"github-talk"}
    assert fired(result, "OPS001") == {"talk-fe"}
