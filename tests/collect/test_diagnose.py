"""`preflight diagnose` over moto (CloudWatch Logs, ECS, CloudFormation, IAM, EC2) and the App
Runner double: the talk's backend, whose deployment rolled back because behind its VPC connector
it had no internet, is diagnosed as a network timeout confirmed by NET002; evidence is bounded,
redacted in every format, and a refused log read is a named gap with exit 3."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest
from botocore.stub import Stubber

from preflight.collect import evidence
from preflight.snapshot import load_schema
from tests.conftest import CliRun
from tests.doubles import apprunner_fake as ar
from tests.doubles.worlds import APP_REGION, build_talk

SECRET = "hunter2-Very-Secret"


@pytest.fixture(autouse=True)
def _one_session(session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line makes its own session; it gets the test's, with the App Runner double."""
    monkeypatch.setattr(boto3, "Session", lambda **_: session)
NOW = datetime.now(UTC)


def _failed(session: Any, lines: list[str], *, stream: str = "events", status: str = "ROLLBACK_SUCCEEDED",
            kind: str = "service", ago: timedelta = timedelta(hours=1)) -> dict[str, Any]:
    """The talk's half-way account with a failed deployment of the backend an hour ago and what
    App Runner logged about it."""
    talk = build_talk("peered-defaults", session)
    backend = talk.ids["backend_arn"]
    service = next(s for s in talk.fake.services if s["ServiceArn"] == backend)
    ended = NOW - ago
    talk.fake.operations[backend] = [ar.operation(backend, "START_DEPLOYMENT", status, ended)]
    logs = session.client("logs", APP_REGION)
    group = f"/aws/apprunner/talk-be/{service['ServiceId']}/{kind}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    start = int((ended - timedelta(minutes=1)).timestamp() * 1000)
    for i in range(0, len(lines), 5000):  # PutLogEvents takes at most 10,000 events
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
            {"timestamp": start + j, "message": m} for j, m in enumerate(lines[i:i + 5000], i)])
    return {"talk": talk, "group": group, "backend": backend}


def _diagnose(cli: CliRun, *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = cli(["diagnose", "--region", APP_REGION, "--format", "json", *args])
    return code, (json.loads(out) if out.strip().startswith("{") else {}), err


STORY = ["[AppRunner] Deployment with ID : 1 started. Triggering event : SERVICE_UPDATE",
         "Server listening on port 8080",
         f"Error: connect ETIMEDOUT 52.119.1.1:443 while fetching config with DB_PASSWORD={SECRET}",
         f"retrying with postgres://talk:{SECRET}@db.internal:5432/talk",
         "[AppRunner] Health check failed on protocol `TCP`[Port: '8080']. Check your configured port number.",
         "[AppRunner] Deployment with ID : 1 failed."]


def test_the_talk_backend_is_a_network_timeout_confirmed_by_net002(session: Any, cli: CliRun) -> None:
    _failed(session, STORY)
    code, doc, err = _diagnose(cli)
    assert code == 1, err
    jsonschema.validate(doc, load_schema("diagnose.schema.json"))
    [d] = doc["diagnoses"]
    assert d["workload"]["id"] == "talk-be" and d["deployment"]["status"] == "ROLLBACK_SUCCEEDED"
    assert (d["cause"]["category"], d["cause"]["rule"], d["cause"]["confidence"]) == (
        "network-timeout", "NET002", "confirmed")
    assert d["cause"]["fix"]["commands"]  # NET002's own fix
    assert d["findings"] and all(len(fp) > 8 for fp in d["findings"])
    assert d["evidence"][0]["text"].startswith("Error: connect ETIMEDOUT")
    assert {e["source"].split("/")[-1] for e in d["evidence"]} >= {"events"}


def test_a_planted_credential_never_appears_in_any_format(session: Any, cli: CliRun) -> None:
    _failed(session, STORY)
    for fmt in ("json", "text", "markdown"):
        code, out, _ = cli(["diagnose", "--region", APP_REGION, "--format", fmt])
        assert code == 1 and "ETIMEDOUT" in out
        assert SECRET not in out and "<redacted>" in out, fmt


def test_a_healthy_window_exits_0(session: Any, cli: CliRun) -> None:
    talk = build_talk("peered-defaults", session)
    backend = talk.ids["backend_arn"]
    talk.fake.operations[backend] = [ar.operation(backend, "START_DEPLOYMENT", "SUCCEEDED", NOW - timedelta(hours=1))]
    code, doc, err = _diagnose(cli)
    assert code == 0, err
    assert doc["diagnoses"] == [] and doc["summary"]["failed_deployments"] == 0


def test_a_failure_outside_the_window_is_not_read(session: Any, cli: CliRun) -> None:
    _failed(session, STORY, ago=timedelta(hours=30))
    code, doc, _ = _diagnose(cli)
    assert code == 0 and doc["diagnoses"] == []
    code, doc, _ = _diagnose(cli, "--since", "2d")
    assert code == 1 and len(doc["diagnoses"]) == 1


def test_access_denied_on_filter_log_events_is_a_named_gap_and_exit_3(session: Any, cli: CliRun) -> None:
    _failed(session, STORY)

    def deny(**_: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform "
                                     "logs:FilterLogEvents"}}, "FilterLogEvents")
    session._session.register("before-call.logs.FilterLogEvents", deny)
    code, doc, _ = _diagnose(cli)
    assert code == 3
    assert any(g["iam_action"] == "logs:FilterLogEvents" for g in doc["scan"]["gaps"])
    [d] = doc["diagnoses"]
    assert d["evidence"][0]["source"] == "apprunner:operation"  # what could be read is still shown


def test_ten_thousand_events_are_read_in_bounded_calls(session: Any, cli: CliRun, tmp_path: Path) -> None:
    noise = [f"GET /api/items/{i} 200 {i % 17}ms" for i in range(10_000)]
    lines = [*STORY[:2], *noise[:4000], STORY[2], *noise[4000:], STORY[4]]
    _failed(session, lines, kind="application", stream="instance/abc")
    saved = tmp_path / "evidence.json"
    code, doc, err = _diagnose(cli, "--save-snapshot", str(saved))
    assert code == 1, err
    [d] = doc["diagnoses"]
    # the service group does not exist (ResourceNotFound: 1 call); the application group's 10,004
    # events take two pages of PAGE (moto ignores the filter pattern; the collector filters again)
    assert d["calls"] == 3 <= 1 + evidence.MAX_PAGES
    assert (d["cause"]["category"], d["cause"]["rule"], d["cause"]["confidence"]) == (
        "network-timeout", "NET002", "confirmed")
    assert d["evidence_total"] <= evidence.MAX_LINES
    calls = json.loads(saved.read_text())["api_calls_by_operation"]
    assert calls["logs.FilterLogEvents"] <= 2 * evidence.MAX_PAGES
    # replayed from the snapshot: the same diagnosis, no AWS
    code2, out, _ = cli(["diagnose", "--snapshot", str(saved), "--format", "json"])
    replay = json.loads(out)
    assert code2 == 1 and replay["diagnoses"][0]["cause"] == d["cause"]


def test_a_snapshot_without_evidence_is_a_usage_error(cli: CliRun, demo_snapshot: str) -> None:
    code, _, err = cli(["diagnose", "--snapshot", demo_snapshot])
    assert code == 2 and "no deployment evidence" in err


@pytest.mark.parametrize("since", ["0h", "31d", "soon", "", "24"])
def test_a_bad_window_is_a_usage_error(cli: CliRun, since: str) -> None:
    code, _, err = cli(["diagnose", "--since", since])
    assert code == 2 and "--since" in err


class _Clients:
    def __init__(self, clients: dict[str, Any]) -> None:
        self.clients = clients

    def get(self, service: str, region: str) -> Any:
        return self.clients[service]


def test_ecs_stopped_tasks_their_logs_and_the_stack_events(session: Any) -> None:
    """ECS's stopped tasks over the Stubber (moto's ListTasks does not keep stop reasons per service),
    their awslogs streams and the owning stack's events over moto."""
    logs = session.client("logs", "us-east-1")
    logs.create_log_group(logGroupName="/ecs/api")
    logs.create_log_stream(logGroupName="/ecs/api", logStreamName="app/app/0123abcd")
    at = NOW - timedelta(minutes=30)
    logs.put_log_events(logGroupName="/ecs/api", logStreamName="app/app/0123abcd", logEvents=[
        {"timestamp": int(at.timestamp() * 1000), "message": "Error: Cannot find module '/app/server.js'"}])
    ecs = boto3.client("ecs", "us-east-1")
    cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/web"
    task = "arn:aws:ecs:us-east-1:123456789012:task/web/0123abcd"
    w = {"arn": "arn:aws:ecs:us-east-1:123456789012:service/web/api", "name": "api", "region": "us-east-1",
         "platform": "ecs", "cluster": cluster, "status": "ACTIVE",
         "tags": {}, "events": [{"id": "e1", "at": at.isoformat(), "message": "(service api) has started 1 tasks"}],
         "log_groups": [{"container": "app", "group": "/ecs/api", "region": "us-east-1", "stream_prefix": "app"}],
         "operations": [{"id": "ecs-svc/1", "type": "DEPLOYMENT", "status": "FAILED", "reason": "tasks failed to start",
                         "started_at": (at - timedelta(minutes=5)).isoformat(), "ended_at": at.isoformat()}]}
    with Stubber(ecs) as stub:
        stub.add_response("list_tasks", {"taskArns": [task]}, {"cluster": cluster, "serviceName": "api",
                                                               "desiredStatus": "STOPPED", "maxResults": 100})
        stub.add_response("describe_tasks", {"tasks": [{
            "taskArn": task, "stopCode": "EssentialContainerExited", "stoppedAt": at,
            "stoppedReason": "Essential container in task exited",
            "containers": [{"name": "app", "exitCode": 1, "reason": ""}]}], "failures": []},
            {"cluster": cluster, "tasks": [task]})
        gaps: list[Any] = []
        [record] = evidence.collect_evidence(_Clients({"ecs": ecs, "logs": logs}), [w], NOW - timedelta(hours=24),
                                             NOW, lambda *a: gaps.append(a))
    assert gaps == []
    sources = [e["source"] for e in record["evidence"]]
    assert sources[:2] == ["ecs:event", "ecs:event"] and "ecs:stoppedReason" in sources  # the rollout, then the events
    assert any(e["text"] == "Error: Cannot find module '/app/server.js'" for e in record["evidence"])
    assert record["calls"] == 3  # ListTasks, DescribeTasks, one FilterLogEvents page


def test_an_ecs_rollout_that_keeps_failing_tasks_is_a_failed_deployment() -> None:
    """No circuit breaker: the rollout stays IN_PROGRESS while its tasks fail; diagnose reads it."""
    at = NOW - timedelta(minutes=10)
    w = {"platform": "ecs", "name": "api", "operations": [
        {"id": "ecs-svc/2", "status": "IN_PROGRESS", "failed_tasks": 7, "started_at": at.isoformat(),
         "ended_at": at.isoformat()},
        {"id": "ecs-svc/1", "status": "COMPLETED", "failed_tasks": 0, "started_at": at.isoformat(),
         "ended_at": at.isoformat()}]}
    [dep] = evidence.failed_deployments(w, NOW - timedelta(hours=1), NOW)
    assert dep["id"] == "ecs-svc/2" and dep["status"] == "IN_PROGRESS (7 failed tasks)"


def test_the_owning_stack_s_first_failure_is_read() -> None:
    """DescribeStackEvents (newest first, over the Stubber): only the failed events in the window,
    oldest first, and paging stops once the events are older than the window."""
    cfn = boto3.client("cloudformation", "us-east-1")
    at = NOW - timedelta(minutes=20)
    w = {"arn": "arn:aws:ecs:us-east-1:123456789012:service/web/api", "name": "api", "region": "us-east-1",
         "tags": {"aws:cloudformation:stack-name": "web"}}
    dep = {"id": "d", "started_at": (at - timedelta(minutes=5)).isoformat(), "ended_at": at.isoformat()}
    event = {"StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/web/1", "StackName": "web",
             "EventId": "e"}
    with Stubber(cfn) as stub:
        stub.add_response("describe_stack_events", {"NextToken": "t", "StackEvents": [
            {**event, "LogicalResourceId": "Service", "ResourceStatus": "UPDATE_ROLLBACK_IN_PROGRESS", "Timestamp": at},
            {**event, "LogicalResourceId": "Service", "ResourceStatus": "UPDATE_FAILED", "Timestamp": at,
             "ResourceStatusReason": "Resource handler returned message: \"ECS Deployment Circuit Breaker was "
                                     "triggered\""},
            {**event, "LogicalResourceId": "TaskDef", "ResourceStatus": "CREATE_FAILED",
             "Timestamp": at - timedelta(minutes=1), "ResourceStatusReason": "Invalid 'cpu' setting for task"},
            {**event, "LogicalResourceId": "Old", "ResourceStatus": "UPDATE_FAILED",
             "Timestamp": at - timedelta(days=2), "ResourceStatusReason": "long ago"}]}, {"StackName": "web"})
        lines, calls = evidence._stack(_Clients({"cloudformation": cfn}), w, dep, NOW, lambda *a: None)
    assert calls == 1  # the page reached past the window: no second call
    assert [x["text"] for x in lines] == [
        "TaskDef CREATE_FAILED: Invalid 'cpu' setting for task",
        "Service UPDATE_FAILED: Resource handler returned message: \"ECS Deployment Circuit Breaker was triggered\""]
    assert {x["source"] for x in lines} == {"cloudformation:event"}
