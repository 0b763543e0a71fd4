"""Classification of failed deployments: for each category, real log lines (from the sources the
signature cites) give the right category; a current finding of the signature's rule on the same
workload makes it confirmed, the evidence alone likely, no signature unknown."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from preflight import diagnosis, engine
from preflight.diagnosis import CATEGORIES, match, signatures
from preflight.report.diagnoses import document
from preflight.snapshot import load_schema
from tests.builders import Snap

# (a line as AWS or the runtime writes it, its category); sources in failure_signatures.json
LINES = [
    ("[AppRunner] Health check failed on protocol `TCP`[Port: '8080']. Check your configured port number.",
     "health-check"),
    ("Health check failed on port '3000'. Check your configured port number", "health-check"),
    ("[AppRunner] Health check failed on protocol `HTTP`[Path: '/'], [Port: '8080'].", "health-check"),
    ("Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/a/b)",
     "health-check"),
    ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
     "unable to retrieve secret from asm: service call has been retried 1 time(s): AccessDeniedException: User: "
     "arn:aws:sts::1:assumed-role/exec/x is not authorized to perform: secretsmanager:GetSecretValue", "secret-fetch"),
    ("ResourceInitializationError: unable to pull secrets or registry auth: pull command failed", "secret-fetch"),
    ("InvalidRequestException: Instance Role have to be provided if passing in RuntimeEnvironmentSecrets",
     "secret-fetch"),
    ("AccessDeniedException: The ciphertext refers to a customer master key that does not exist; kms:Decrypt",
     "secret-fetch"),
    ("InvalidRequestException: Error in assuming access role arn:aws:iam::1:role/apprunner-access", "role-assume"),
    ("Failed to assume instance-role-arn", "role-assume"),
    ("ECS was unable to assume the role 'arn:aws:iam::1:role/ecsTaskExecutionRole'", "role-assume"),
    ("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
     "1.dkr.ecr.us-east-1.amazonaws.com/app:2: not found", "image-pull"),
    ("CannotPullContainerError: inspect image has been retried 1 time(s): httpReaderSeeker: failed open: "
     "unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/sha256:aa: 429 Too Many "
     "Requests - Server message: toomanyrequests: You have reached your pull rate limit.", "image-pull"),
    ("CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed open: "
     "failed to do request: Get https://prod-x.s3.dualstack.us-east-1.amazonaws.com: dial tcp 52.1.2.3:443: i/o timeout",
     "image-pull"),
    ("[AppRunner] Failed to pull your application image. Be sure you configure your service with a valid access "
     "role to your ECR repository.", "image-pull"),
    ("You are using Node.js 16.20.2. For Next.js, Node.js version >= v18.17.0 is required.", "build"),
    ("error next@14.2.3: The engine \"node\" is incompatible with this module. Expected version \">=18.17.0\".",
     "build"),
    ("Error: Could not find a production build in the '/app/.next' directory. Try building your app with "
     "'next build' before starting the production server.", "build"),
    ("[AppRunner] Failed to build your application source code. Reason: Failed to execute 'build' command.", "build"),
    ("npm ERR! code ELIFECYCLE", "build"),
    ("exec /usr/local/bin/docker-entrypoint.sh: exec format error", "start-command"),
    ("Error: listen EADDRNOTAVAIL: address not available 169.254.172.2:3000", "start-command"),
    ("Error: Cannot find module '/app/dist/server.js'", "start-command"),
    ("Essential container in task exited", "start-command"),
    ("ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed "
     "to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.",
     "start-command"),
    ("(service web) was unable to place a task. Reason: You've reached the limit on the number of vCPUs you can "
     "run concurrently.", "quota"),
    ("(service api) failed to launch a task with (error ENI ... insufficient free addresses in subnet)", "quota"),
    ("Error: connect ETIMEDOUT 172.31.3.4:5432", "network-timeout"),
    ("could not connect to server: Connection timed out Is the server running on host \"db\" and accepting TCP/IP "
     "connections on port 5432?", "network-timeout"),
    ("getaddrinfo ENOTFOUND secretsmanager.ap-northeast-1.amazonaws.com", "network-timeout"),
    ("Error: connect ECONNREFUSED 10.0.1.5:5432", "network-timeout"),
    ("ECS Deployment Circuit Breaker was triggered", "unknown"),
]


def test_the_catalog_validates_and_cites_its_sources() -> None:
    sigs = signatures()
    assert len(sigs) >= 20 and {s.category for s in sigs} == set(CATEGORIES)
    assert all(s.sources and all(u.startswith("https://") for u in s.sources) for s in sigs)
    from preflight.registry import catalog

    assert {r for s in sigs for r in s.rules} <= set(catalog())


@pytest.mark.parametrize(("line", "category"), LINES)
def test_a_real_line_names_its_category(line: str, category: str) -> None:
    found = match(line)
    assert found is not None and found.category == category, found


@pytest.mark.parametrize("line", ["GET /health 200 3ms", "Server listening on port 8080", "Compiled successfully",
                                  "[AppRunner] Deployment completed successfully."])
def test_ordinary_lines_match_nothing(line: str) -> None:
    assert match(line) is None


def _world(lines: list[str], *, platform: str = "apprunner") -> tuple[Snap, str]:
    s = Snap()
    arn = s.service("api", role=None)
    s.res.setdefault("deploy_evidence", []).append({
        "workload": arn, "name": "api", "region": "us-east-1", "platform": platform, "calls": 3,
        "deployment": {"id": "op-1", "status": "ROLLBACK_SUCCEEDED", "started_at": "2026-12-07T10:00:00Z",
                       "ended_at": "2026-12-07T10:12:00Z"},
        "evidence": [{"source": "/aws/apprunner/api/x/service/events", "timestamp": "2026-12-07T10:05:00Z",
                      "text": t} for t in lines]})
    return s, arn


def _diagnose(s: Snap) -> list[dict[str, Any]]:
    return diagnosis.diagnose(engine.run(s.doc()))


def test_a_finding_of_the_signature_s_rule_confirms_it_with_the_finding_s_fix() -> None:
    s, arn = _world(["Error: connect ETIMEDOUT 52.95.1.1:443",
                     "[AppRunner] Health check failed on protocol `TCP`[Port: '8080']."])
    vpc = s.vpc("10.0.0.0/16")
    subnet = s.subnet(vpc, "10.0.1.0/24")
    s.route_table(vpc, subnets=[subnet], routes=[])
    conn = s.connector("c", [subnet], [])
    w = s.find("services", arn)
    w["egress"] = {"type": "VPC", "connector_arn": conn}
    [d] = _diagnose(s)
    assert d["cause"]["category"] == "network-timeout"  # the timeout came first in the chain: it failed the check
    assert (d["cause"]["rule"], d["cause"]["confidence"]) == ("NET002", "confirmed")
    assert d["cause"]["fix"]["commands"] and d["findings"]
    assert d["evidence"][0]["text"].startswith("Error: connect ETIMEDOUT")


def test_the_evidence_alone_is_likely() -> None:
    s, _ = _world(["[AppRunner] Failed to pull your application image. Be sure you configure your service"])
    [d] = _diagnose(s)
    assert (d["cause"]["category"], d["cause"]["rule"], d["cause"]["confidence"]) == ("image-pull", "IAM006", "likely")


def test_no_signature_is_unknown_and_still_shows_the_evidence() -> None:
    s, _ = _world(["starting", "something odd happened: error 42", "done"])
    [d] = _diagnose(s)
    assert d["cause"] == {"category": "unknown", "rule": None, "confidence": "unknown", "fix": None,
                          "summary": d["cause"]["summary"]}
    assert d["evidence"][0]["text"] == "something odd happened: error 42"  # the error-looking line first
    assert len(d["evidence"]) == 3


@pytest.mark.parametrize(("line", "category"), [(line, c) for line, c in LINES if c != "unknown"])
def test_every_category_diagnoses_a_deployment(line: str, category: str) -> None:
    s, _ = _world(["[AppRunner] Deployment with ID : op-1 started.", line])
    [d] = _diagnose(s)
    assert d["cause"]["category"] == category and d["cause"]["confidence"] in ("likely", "confirmed")


def test_the_document_matches_its_schema() -> None:
    s, _ = _world(["Error: connect ETIMEDOUT 52.95.1.1:443"])
    result = engine.run(s.doc())
    doc = document(result, diagnosis.diagnose(result))
    jsonschema.validate(doc, load_schema("diagnose.schema.json"))
    assert doc["summary"]["failed_deployments"] == 1


def test_exit_codes() -> None:
    s, _ = _world(["x"])
    result = engine.run(s.doc())
    assert diagnosis.exit_code(result, diagnosis.diagnose(result)) == 1
    quiet = engine.run(Snap().doc())
    assert diagnosis.exit_code(quiet, []) == 0
    s.gaps.append({"region": "us-east-1", "service": "logs", "operation": "FilterLogEvents",
                   "iam_action": "logs:FilterLogEvents", "error": "AccessDeniedException", "collections":
                   ["deploy_evidence"]})
    result = engine.run(s.doc())
    assert diagnosis.exit_code(result, diagnosis.diagnose(result)) == 3


def test_a_replayed_snapshot_is_bounded_and_redacted_again() -> None:
    s, _ = _world(["x" * 5000, "DB_PASSWORD=hunter2 and postgres://u:pw@h/db", "AKIAABCDEFGHIJKLMNOP"])
    [d] = _diagnose(s)
    texts = [e["text"] for e in d["evidence"]]
    assert max(len(t) for t in texts) <= 301
    assert not any("hunter2" in t or "u:pw@" in t or "AKIAABCDEFGHIJKLMNOP" in t for t in texts)
