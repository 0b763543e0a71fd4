"""Fixtures for DNS001-DNS005, QTA001, QTA002, OPS001 and OPS002."""

from __future__ import annotations

from typing import Any

from preflight import engine
from preflight.findings import Severity
from tests.builders import Snap, fired

VALIDATION = ("_abc.api.example.com.", "_def.acm-validations.aws.")


def domain(name: str, *, status: str = "ACTIVE", www: bool = False,
           records: list[tuple[str, str, str]] | None = None) -> dict[str, Any]:
    recs = records if records is not None else [(*VALIDATION, "SUCCESS")]
    return {"name": name, "www": www, "status": status,
            "records": [{"name": n, "type": "CNAME", "value": v, "status": st} for n, v, st in recs]}


def run(s: Snap, *rules: str) -> engine.RunResult:
    return engine.run(s.doc(), tuple(rules) or None)


def routed(s: Snap, zone: str | None, name: str = "api.example.com", service: str = "api") -> None:
    s.record(name, "CNAME", [f"{service}.us-east-1.awsapprunner.com"], zone=zone)


# --- DNS001 ----------------------------------------------------------------------------------

def test_dns001_deleted_validation_record_in_route53_and_in_dns() -> None:
    s = Snap()
    zone = s.zone("example.com")
    s.service("api", domains=[domain("api.example.com")])
    s.service("web", domains=[domain("www.other.org", records=[("_x.www.other.org.", "_y.acm-validations.aws.", "SUCCESS")])])
    s.record("_x.www.other.org", "CNAME", [], source="dns", status="nxdomain")
    del zone
    assert fired(run(s, "DNS001"), "DNS001") == {"api.example.com", "www.other.org"}


def test_dns001_wrong_value_is_reported() -> None:
    s = Snap()
    zone = s.zone("example.com")
    s.service("api", domains=[domain("api.example.com")])
    s.record("_abc.api.example.com", "CNAME", ["_old.acm-validations.aws."], zone=zone)
    result = run(s, "DNS001")
    assert fired(result, "DNS001") == {"api.example.com"} and "instead" in result.findings[0].message


def test_dns001_present_record_or_unknown_zone_passes() -> None:
    s = Snap()
    zone = s.zone("example.com")
    s.service("api", domains=[domain("api.example.com")])
    s.record("_abc.api.example.com", "CNAME", ["_DEF.acm-validations.aws"], zone=zone)  # case and dot
    s.service("ext", domains=[domain("x.elsewhere.net", records=[("_q.x.elsewhere.net.", "_v.acm.aws.", "SUCCESS")])])
    assert fired(run(s, "DNS001"), "DNS001") == set()  # elsewhere.net was never looked up: not judged


# --- DNS002 ----------------------------------------------------------------------------------

def test_dns002_pending_and_failed_domains() -> None:
    s = Snap()
    s.service("api", domains=[domain("a.example.com", status="PENDING_CERTIFICATE_DNS_VALIDATION",
                                     records=[(*VALIDATION, "PENDING_VALIDATION")]),
                              domain("b.example.com", status="CREATE_FAILED"),
                              domain("c.example.com", records=[(*VALIDATION, "FAILED")]),
                              domain("ok.example.com")])
    result = run(s, "DNS002")
    assert fired(result, "DNS002") == {"a.example.com", "b.example.com", "c.example.com"}
    assert "waits for the certificate validation records" in next(
        f.message for f in result.findings if f.resource.id == "a.example.com")


def test_dns002_active_passes() -> None:
    s = Snap()
    s.service("api", domains=[domain("ok.example.com")])
    assert fired(run(s, "DNS002"), "DNS002") == set()


# --- DNS003 / DNS004 -------------------------------------------------------------------------

def test_dns003_apex_cname_and_stale_a_records() -> None:
    s = Snap()
    z1, z2 = s.zone("example.com"), s.zone("shop.io")
    s.service("api", domains=[domain("example.com")])
    s.record("example.com", "CNAME", ["api.us-east-1.awsapprunner.com"], zone=z1)
    s.service("shop", domains=[domain("shop.io")])
    s.record("shop.io", "A", ["203.0.113.7"], zone=z2)
    assert fired(run(s, "DNS003"), "DNS003") == {"example.com", "shop.io"}


def test_dns003_alias_at_apex_and_subdomain_cname_pass() -> None:
    s = Snap()
    z = s.zone("example.com")
    s.service("api", domains=[domain("example.com")])
    s.record("example.com", "A", [], zone=z, alias="dualstack.api.us-east-1.awsapprunner.com.")
    s.service("sub", domains=[domain("sub.example.com")])
    routed(s, z, "sub.example.com", "sub")
    assert fired(run(s, "DNS003"), "DNS003") == set()


def test_dns004_domain_and_www_not_routed() -> None:
    s = Snap()
    z = s.zone("example.com")
    s.service("api", domains=[domain("api.example.com", www=True)])
    routed(s, z)  # api.example.com is fine, www.api.example.com has nothing
    s.service("old", domains=[domain("old.example.com")])
    s.record("old.example.com", "CNAME", ["legacy.herokuapp.com"], zone=z)
    assert fired(run(s, "DNS004"), "DNS004") == {"www.api.example.com", "old.example.com"}


def test_dns004_routed_or_unjudgeable_passes() -> None:
    s = Snap()
    z = s.zone("example.com")
    s.service("api", domains=[domain("api.example.com")])
    routed(s, z)
    s.service("ext", domains=[domain("app.other.net")])
    s.record("app.other.net", "CNAME", [], source="dns", status="noanswer")
    s.record("app.other.net", "A", ["198.51.100.4"], source="dns")
    assert fired(run(s, "DNS004"), "DNS004") == set()


# --- DNS005 ----------------------------------------------------------------------------------

def test_dns005_caa_on_a_parent_without_amazon() -> None:
    s = Snap()
    z = s.zone("example.com")
    s.service("api", domains=[domain("api.example.com")])
    s.record("example.com", "CAA", ['0 issue "letsencrypt.org"'], zone=z)
    assert fired(run(s, "DNS005"), "DNS005") == {"api.example.com"}


def test_dns005_amazon_allowed_closest_set_wins_or_no_caa() -> None:
    s = Snap()
    z = s.zone("example.com")
    s.service("api", domains=[domain("api.example.com")])
    s.record("api.example.com", "CAA", ['0 issue "amazon.com"'], zone=z)
    s.record("example.com", "CAA", ['0 issue "letsencrypt.org"'], zone=z)  # not consulted: a closer set exists
    s.service("b", domains=[domain("b.example.org")])
    assert fired(run(s, "DNS005"), "DNS005") == set()


# --- QTA001 / QTA002 -------------------------------------------------------------------------

def test_qta001_quota_below_and_near_demand() -> None:
    s = Snap(("us-east-1", "eu-west-1"))
    s.service("big", cpu="2 vCPU", asc=s.asc("big-asc", 5))  # 10 vCPU
    s.quota("us-east-1", 6, source="default")
    s.service("eu", cpu="1024", region="eu-west-1", asc=s.asc("eu-asc", 9, region="eu-west-1"))  # 9 of 10
    s.quota("eu-west-1", 10)
    result = run(s, "QTA001")
    assert fired(result, "QTA001") == {"us-east-1/fargate/L-3032A538", "eu-west-1/fargate/L-3032A538"}
    sev = {f.resource.region: f.severity for f in result.findings}
    assert sev == {"us-east-1": Severity.HIGH, "eu-west-1": Severity.MEDIUM}
    us = next(f for f in result.findings if f.resource.region == "us-east-1")
    assert "the AWS default" in us.message and "--desired-value 13" in us.fix.commands[0]


def test_qta001_enough_quota_passes() -> None:
    s = Snap()
    s.service("small", cpu="0.25 vCPU", asc=s.asc("small", 4))
    s.quota("us-east-1", 6)
    assert fired(run(s, "QTA001"), "QTA001") == set()


def test_qta002_services_near_the_quota_with_failed_ones() -> None:
    s = Snap()
    for i in range(24):
        s.service(f"svc-{i:02d}", status="CREATE_FAILED" if i < 3 else "RUNNING")
    result = run(s, "QTA002")
    assert fired(result, "QTA002") == {"us-east-1/apprunner/services"}
    assert "3 of them failed" in result.findings[0].message


def test_qta002_few_services_pass() -> None:
    s = Snap()
    s.service("one")
    assert fired(run(s, "QTA002"), "QTA002") == set()


# --- OPS001 / OPS002 -------------------------------------------------------------------------

def op(status: str, kind: str = "START_DEPLOYMENT") -> dict[str, Any]:
    return {"type": kind, "status": status, "started_at": "2026-11-01T00:00:00Z", "ended_at": "2026-11-01T00:10:00Z"}


def test_ops001_failed_services_and_rollbacks() -> None:
    s = Snap()
    s.service("create-failed", status="CREATE_FAILED", operations=[op("FAILED", "CREATE_SERVICE")])
    s.service("rolled-back", operations=[op("ROLLBACK_SUCCEEDED"), op("SUCCEEDED")])
    s.service("fine-now", operations=[op("SUCCEEDED"), op("ROLLBACK_SUCCEEDED")])
    result = run(s, "OPS001")
    assert fired(result, "OPS001") == {"create-failed", "rolled-back"}
    assert "rolled back" in next(f.message for f in result.findings if f.resource.id == "rolled-back")


def test_ops001_healthy_passes() -> None:
    s = Snap()
    s.service("ok", operations=[op("SUCCEEDED")])
    assert fired(run(s, "OPS001"), "OPS001") == set()


def test_ops002_pending_handshake() -> None:
    s = Snap()
    s.service("api", connection=s.connection("gh", "PENDING_HANDSHAKE"))
    s.service("web", connection=s.connection("gh-ok"))
    assert fired(run(s, "OPS002"), "OPS002") == {"gh"}


def test_ops002_available_connection_passes() -> None:
    s = Snap()
    s.service("web", connection=s.connection("gh-ok"))
    assert fired(run(s, "OPS002"), "OPS002") == set()
