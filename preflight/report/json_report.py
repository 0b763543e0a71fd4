"""The JSON report of the public contract, with its schema in `preflight/schemas/report.schema.json`."""

from __future__ import annotations

import json
from typing import Any

from preflight import __version__
from preflight.engine import RunResult
from preflight.findings import Finding
from preflight.registry import catalog
from preflight.report.options import Options

SCHEMA_VERSION = "1"


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule, "name": f.name, "severity": f.severity.label, "title": f.title,
        "message": f.message, "resource": f.resource.to_json(),
        "related": [r.to_json() for r in f.related], "path": list(f.path),
        "fix": {"summary": f.fix.summary, "commands": list(f.fix.commands)},
        "heuristic": f.heuristic, "fingerprint": f.fingerprint,
        **({"location": f.location.to_json()} if f.location else {}),
        **({"suppressed": {"reason": f.suppressed.reason, "source": f.suppressed.source,
                           "expires": f.suppressed.expires}} if f.suppressed else {}),
        **({"baseline": True} if f.baseline else {}),
    }


def document(result: RunResult) -> dict[str, Any]:
    snap = result.snapshot
    rules = catalog()
    gaps = []
    for gap in result.gaps:
        # a merged report's gaps carry the rules their own report left unevaluated
        affected = sorted(gap["rules_not_evaluated"]) if "rules_not_evaluated" in gap else sorted(
            r for r in result.selected if r in rules and set(rules[r].needs) & set(gap["collections"]))
        gaps.append({
            "region": gap["region"], "service": gap["service"], "operation": gap["operation"],
            "iam_action": gap["iam_action"], "error": gap["error"],
            "rules_not_evaluated": affected, **({"account": gap["account"]} if gap.get("account") else {}),
        })
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "preflight", "version": __version__},
        "scan": {
            "account": snap.get("account"),
            "regions": list(snap.get("regions", [])),
            "started_at": snap.get("collected_at"),
            "duration_s": snap.get("duration_s", 0.0),
            "complete": result.complete,
            "api_calls": snap.get("api_calls", 0),
            "gaps": gaps,
            "rules_evaluated": [r for r in result.selected
                                if r not in result.not_evaluated and r not in result.crashed],
            "rules_not_evaluated": [{"rule": r, "reason": why}
                                    for r, why in sorted(result.not_evaluated.items())],
            "crashed_rules": [{"rule": r, "error": e} for r, e in sorted(result.crashed.items())],
            "suppressed": sum(1 for f in result.findings if f.suppressed),
            "baselined": sum(1 for f in result.findings if f.baseline and not f.suppressed),
            "notes": list(result.notes),
            "inputs": list(snap.get("inputs", [])),
            **({"accounts": list(snap["accounts"])} if snap.get("accounts") else {}),
            **({"unread_accounts": list(snap["unread_accounts"])} if snap.get("unread_accounts") else {}),
        },
        "summary": result.counts(),
        "findings": [finding_json(f) for f in result.findings],
    }


def render(result: RunResult, options: Options | None = None) -> str:
    return json.dumps(document(result), indent=2) + "\n"
