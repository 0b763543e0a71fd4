"""Whether the CloudWatch Logs groups that `awslogs` containers write to exist.

A group is looked up by `DescribeLogGroups` with the group's name as prefix; an exact name in
the answer means it exists. Nothing about log events is read.
"""

from __future__ import annotations

from typing import Any

from preflight.collect.aws import Operation
from preflight.collect.base import GapSink, Task, largest_page

DESCRIBE_LOG_GROUPS = Operation("logs", "DescribeLogGroups")
OPERATIONS = (DESCRIBE_LOG_GROUPS,)
GAP = ("log_groups",)
PAGE = largest_page("logs", "DescribeLogGroups") or 50  # `limit`: at most 50 in the service model
MAX_PAGES = 20  # a prefix that matches more than 1,000 groups is a gap, not an endless read


def referenced(services: list[dict[str, Any]]) -> dict[str, list[str]]:
    """region -> the awslogs groups of the ECS workloads."""
    out: dict[str, set[str]] = {}
    for w in services:
        for g in w.get("log_groups") or []:
            if g.get("group"):
                out.setdefault(str(g.get("region") or w["region"]), set()).add(str(g["group"]))
    return {r: sorted(names) for r, names in out.items()}


def groups_task(region: str, names: list[str]) -> Task:
    def fetch(client: Any, gap: GapSink) -> list[dict[str, Any]]:
        out = []
        for name in names:
            token: str | None = None
            exists: bool | None = False
            for _ in range(MAX_PAGES):
                args: dict[str, Any] = {"logGroupNamePrefix": name, "limit": PAGE}
                if token:
                    args["nextToken"] = token
                try:
                    page = client.describe_log_groups(**args)
                except Exception as e:
                    gap(DESCRIBE_LOG_GROUPS, e)
                    exists = None
                    break
                if any(g.get("logGroupName") == name for g in page.get("logGroups") or []):
                    exists = True
                    break
                token = page.get("nextToken")
                if not token:
                    break
            else:
                gap(DESCRIBE_LOG_GROUPS, RuntimeError(f"more than {PAGE * MAX_PAGES} log groups start with {name}"))
                exists = None
            if exists is not None:
                out.append({"name": name, "exists": exists})
        return out

    def transform(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
        return [{"region": region, "id": r["name"], "name": r["name"], "exists": r["exists"]} for r in raw]

    return Task("log_groups", DESCRIBE_LOG_GROUPS, region, fetch, transform, GAP)
