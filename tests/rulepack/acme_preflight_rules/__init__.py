"""An example rule pack: one rule, registered from outside preflight through an entry point.

Installed (see docs/architecture.md, "Rule packs"), its pyproject declares

    [project.entry-points."preflight.rules"]
    acme = "acme_preflight_rules"
"""

from __future__ import annotations

from collections.abc import Iterator

from preflight.findings import Fix
from preflight.graph import ResourceGraph, ref
from preflight.registry import Hit, check, finding

CATALOG = {"rules": [{
    "id": "XACME001", "name": "workload-without-owner-tag", "severity": "low",
    "title": "A workload has no owner tag",
    "summary": "Every App Runner or ECS service must carry an `owner` tag naming the team on call.",
    "rationale": "The on-call rota is looked up from the owner tag when a deploy fails.",
    "checks": "The tags of every App Runner and ECS service in the scan.",
    "fix": "Tag the service with owner=<team>.",
    "references": ["https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html"],
    "needs": ["services"],
}]}


@check("XACME001")
def workload_without_owner(g: ResourceGraph) -> Iterator[Hit]:
    for w in g.workloads:
        if "owner" not in (w.get("tags") or {}):
            yield finding(ref("workload", w), f"{w['name']} has no owner tag",
                          Fix("Tag the service with its owner"))
