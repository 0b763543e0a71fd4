"""The evidence AWS keeps about deployments that failed, for `preflight diagnose`.

For each workload the scan read, the deployments that failed or rolled back in the window (App
Runner's operations, ECS's rollouts) get what AWS wrote about them:

- App Runner: the operation, and the lines of the service's log groups
  (`/aws/apprunner/<name>/<id>/service`, with the `events` and `deployment/...` streams and the
  build output, and `.../application`) that look like errors;
- ECS: the service's events, the tasks it stopped in the window (`stopCode`, `stoppedReason`,
  each container's `reason` and `exitCode`) and their `awslogs` streams;
- CloudFormation: the first failed events of the stack that owns the service (by its
  `aws:cloudformation:stack-name` tag).

Everything is read-only and bounded: FilterLogEvents asks only for error-looking lines (and
keeps only those), in the deployment's own time range, at most MAX_PAGES pages of PAGE events
per log group; at most
MAX_TASKS stopped tasks and MAX_STACK_PAGES pages of stack events. Every line is redacted as the
scan redacts environment values and cut to MAX_LINE characters before it is kept.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from preflight.collect.aws import Clients, Operation
from preflight.collect.base import iso_time
from preflight.enums import OPERATION_BAD, ROLLOUT_FAILED, STACK_FAILED
from preflight.redact import redact_text

log = logging.getLogger(__name__)

FILTER_LOG_EVENTS = Operation("logs", "FilterLogEvents")
LIST_STOPPED = Operation("ecs", "ListTasks")
DESCRIBE_TASKS = Operation("ecs", "DescribeTasks")
DESCRIBE_STACK_EVENTS = Operation("cloudformation", "DescribeStackEvents")
OPERATIONS = (FILTER_LOG_EVENTS, LIST_STOPPED, DESCRIBE_TASKS, DESCRIBE_STACK_EVENTS)
COLLECTION = "deploy_evidence"

PAGE = 10_000  # FilterLogEvents `limit`: the most the model allows
MAX_PAGES = 3  # per log group and deployment
MAX_TASKS = 5  # stopped tasks described per deployment, the newest
MAX_STACK_PAGES = 3
MAX_LINE = 300
MAX_LINES = 200  # kept per deployment
MARGIN = timedelta(minutes=2)  # log lines are written a little before and after the operation's times
# CloudWatch Logs filter syntax: `?term` matches events with any of the terms (terms are
# case-sensitive, so the usual spellings are listed)
ERROR_TERMS = ("ERROR", "Error", "error", "FAILED", "Failed", "failed", "Fail", "denied", "Denied", "DENIED",
               "Exception", "exception", "timeout", "Timeout", "ETIMEDOUT", "ECONNREFUSED", "ENOTFOUND",
               "EADDRNOTAVAIL", "refused", "unable", "Unable", "Cannot", "cannot", "exited", "exit", "panic",
               "fatal", "Fatal", "FATAL", "\"exec format\"", "\"npm ERR\"", "\"Health check\"", "\"health check\"",
               "rollback", "Rollback")
FILTER_PATTERN = " ".join(f"?{t}" for t in ERROR_TERMS)
# the same terms, applied again to what comes back: a line that is not an error never takes the
# place of one in the MAX_LINES kept
_ERRORISH = re.compile("|".join(re.escape(t.strip('"')) for t in ERROR_TERMS), re.IGNORECASE)

Gap = Callable[[str, Operation, BaseException], None]


def parse_time(value: object) -> datetime | None:
    """A time as botocore gives it (a datetime) or as a record keeps it (ISO 8601), made aware
    (UTC when it names no zone); None when it is neither."""
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif not value:
        return None
    else:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    assert parsed is not None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def failed_deployments(w: dict[str, Any], since: datetime, until: datetime) -> list[dict[str, Any]]:
    """The workload's deployments that failed or rolled back and ended (or started) in the window."""
    bad = OPERATION_BAD if w["platform"] == "apprunner" else ROLLOUT_FAILED
    out = []
    for op in w.get("operations") or []:
        # an ECS rollout still in progress whose tasks keep failing (no circuit breaker) is failing too
        failing = w["platform"] != "apprunner" and int(op.get("failed_tasks") or 0) > 0
        if op.get("status") not in bad and not failing:
            continue
        when = parse_time(op.get("ended_at")) or parse_time(op.get("started_at"))
        if when is None or not since <= when <= until:
            continue
        status = op.get("status") if op.get("status") in bad \
            else f"{op.get('status')} ({op.get('failed_tasks')} failed tasks)"
        out.append({"id": op.get("id") or f"{w['name']}@{op.get('started_at')}", "status": status,
                    "type": op.get("type"), "started_at": op.get("started_at"), "ended_at": op.get("ended_at"),
                    "reason": op.get("reason")})
    return out


def _line(source: str, at: Any, text: str) -> dict[str, Any]:
    clean = redact_text(" ".join(str(text).split()))
    return {"source": source, "timestamp": at if isinstance(at, str) or at is None else iso_time(at),
            "text": clean[:MAX_LINE] + ("\u2026" if len(clean) > MAX_LINE else "")}


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _window(dep: dict[str, Any], until: datetime) -> tuple[datetime, datetime]:
    start = parse_time(dep.get("started_at")) or until - timedelta(hours=1)
    end = parse_time(dep.get("ended_at")) or until
    return start - MARGIN, min(end + MARGIN, until)


def _filter(client: Any, group: str, start: datetime, end: datetime, gap: Gap, region: str,
            streams: list[str] | None = None) -> tuple[list[dict[str, Any]], int]:
    """Error-looking events of one log group in the time range: (lines, calls made)."""
    out: list[dict[str, Any]] = []
    args: dict[str, Any] = {"logGroupName": group, "startTime": _ms(start), "endTime": _ms(end),
                            "filterPattern": FILTER_PATTERN, "limit": PAGE}
    if streams:
        args["logStreamNames"] = streams[:100]
    calls = 0
    for _ in range(MAX_PAGES):
        try:
            calls += 1
            page = client.filter_log_events(**args)
        except Exception as e:
            code = str(getattr(e, "response", {}).get("Error", {}).get("Code", ""))
            if code == "ResourceNotFoundException":  # the group was never created: nothing was logged
                return out, calls
            gap(region, FILTER_LOG_EVENTS, e)
            return out, calls
        for event in page.get("events") or []:
            if not _ERRORISH.search(str(event.get("message") or "")):
                continue
            at = datetime.fromtimestamp(int(event.get("timestamp") or 0) / 1000, UTC)
            out.append(_line(f"{group}/{event.get('logStreamName') or ''}", iso_time(at), event.get("message") or ""))
        token = page.get("nextToken")
        if not token:
            break
        args["nextToken"] = token
    return out, calls


def _apprunner(clients: Clients, w: dict[str, Any], dep: dict[str, Any], until: datetime,
               gap: Gap) -> tuple[list[dict[str, Any]], int]:
    lines = [_line("apprunner:operation", dep.get("ended_at"),
                   f"{dep.get('type')} {dep.get('status')} (operation {dep['id']}, started {dep.get('started_at')})")]
    calls = 0
    if not w.get("id"):
        return lines, calls
    client = clients.get("logs", w["region"])
    start, end = _window(dep, until)
    for kind in ("service", "application"):
        found, n = _filter(client, f"/aws/apprunner/{w['name']}/{w['id']}/{kind}", start, end, gap, w["region"])
        lines += found
        calls += n
    return lines, calls


def _ecs(clients: Clients, w: dict[str, Any], dep: dict[str, Any], until: datetime,
         gap: Gap) -> tuple[list[dict[str, Any]], int]:
    start, end = _window(dep, until)
    lines = [_line("ecs:event", dep.get("ended_at"), f"deployment {dep['id']} {dep.get('status')}: "
                                                       f"{dep.get('reason') or ''}")]
    for e in w.get("events") or []:
        at = parse_time(e.get("at"))
        if at is not None and start <= at <= end:
            lines.append(_line("ecs:event", e.get("at"), e.get("message") or ""))
    calls = 0
    client = clients.get("ecs", w["region"])
    cluster = w.get("cluster")
    try:
        calls += 1
        arns = client.list_tasks(cluster=cluster, serviceName=w["name"], desiredStatus="STOPPED",
                                 maxResults=100).get("taskArns", [])
        tasks: list[dict[str, Any]] = []
        if arns:
            calls += 1
            tasks = client.describe_tasks(cluster=cluster, tasks=arns[:100]).get("tasks", [])
    except Exception as e:
        gap(w["region"], LIST_STOPPED, e)
        return lines, calls
    stopped = []
    for t in tasks:
        when = parse_time(t.get("stoppedAt") or t.get("stoppingAt"))
        if when is not None and start <= when <= end:
            stopped.append((when, t))
    stopped.sort(key=lambda x: x[0], reverse=True)
    streams: dict[str, list[str]] = {}
    for when, t in stopped[:MAX_TASKS]:
        task_id = str(t.get("taskArn", "")).rsplit("/", 1)[-1]
        lines.append(_line("ecs:stoppedReason", iso_time(when),
                           f"task {task_id} {t.get('stopCode') or ''}: {t.get('stoppedReason') or ''}"))
        for c in t.get("containers") or []:
            if c.get("reason") or c.get("exitCode") not in (None, 0):
                lines.append(_line("ecs:stoppedReason", iso_time(when), f"container {c.get('name')} exit code "
                                                                    f"{c.get('exitCode')}: {c.get('reason') or ''}"))
        for lg in w.get("log_groups") or []:
            if lg.get("group") and lg.get("stream_prefix"):
                streams.setdefault(str(lg["group"]), []).append(f"{lg['stream_prefix']}/{lg['container']}/{task_id}")
    for group, names in sorted(streams.items()):
        region = next((str(lg.get("region") or w["region"]) for lg in w.get("log_groups") or []
                       if lg.get("group") == group), w["region"])
        found, n = _filter(clients.get("logs", region), group, start, end, gap, region, names)
        lines += found
        calls += n
    return lines, calls


def _stack(clients: Clients, w: dict[str, Any], dep: dict[str, Any], until: datetime,
           gap: Gap) -> tuple[list[dict[str, Any]], int]:
    stack = (w.get("tags") or {}).get("aws:cloudformation:stack-name")
    if not stack:
        return [], 0
    start, end = _window(dep, until)
    client = clients.get("cloudformation", w["region"])
    lines: list[dict[str, Any]] = []
    args: dict[str, Any] = {"StackName": stack}
    calls = 0
    for _ in range(MAX_STACK_PAGES):
        try:
            calls += 1
            page = client.describe_stack_events(**args)
        except Exception as e:
            gap(w["region"], DESCRIBE_STACK_EVENTS, e)
            return lines, calls
        events = page.get("StackEvents") or []
        for event in events:  # newest first
            when = parse_time(event.get("Timestamp"))
            if when is not None and start <= when <= end and event.get("ResourceStatus") in STACK_FAILED:
                lines.append(_line("cloudformation:event", iso_time(when),
                                   f"{event.get('LogicalResourceId')} {event.get('ResourceStatus')}: "
                                   f"{event.get('ResourceStatusReason') or ''}"))
        oldest = parse_time(events[-1].get("Timestamp")) if events else None
        if not page.get("NextToken") or (oldest is not None and oldest < start):
            break
        args["NextToken"] = page["NextToken"]
    lines.reverse()  # oldest first: the first failure is the cause, the rest follow from it
    return lines, calls


def collect_evidence(clients: Clients, services: list[dict[str, Any]], since: datetime, until: datetime,
                     gap: Gap) -> list[dict[str, Any]]:
    """One record per failed deployment in the window, with its evidence and the calls it took."""
    out = []
    for w in services:
        if w.get("status") == "PLANNED":
            continue
        for dep in failed_deployments(w, since, until):
            reader = _apprunner if w["platform"] == "apprunner" else _ecs
            lines, calls = reader(clients, w, dep, until, gap)
            stack_lines, more = _stack(clients, w, dep, until, gap)
            out.append({"workload": w["arn"], "name": w["name"], "region": w["region"], "platform": w["platform"],
                        "deployment": dep, "evidence": (lines + stack_lines)[:MAX_LINES], "calls": calls + more})
    return out
