"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

Rules come from the catalog with `security-severity` (GitHub's scale: 9+ critical, 7+ high, 4+
medium), which GitHub shows for the rules tagged `security` (`SECURITY_RULES`). Every result
needs a physical location: the file and line that declared the problem (apprunner.yaml, a
template) when there is one, else `Options.artifact` (the preflight config, or a path the user
names). The resource's ARN (or id) is the logical location, and the finding's fingerprint is a
partial fingerprint, so code scanning de-duplicates across runs.
"""

from __future__ import annotations

import json
from typing import Any

from preflight import __version__
from preflight.engine import RunResult
from preflight.findings import Finding, Severity
from preflight.registry import catalog
from preflight.report.options import Options

SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0", Severity.INFO: "0.0"}
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note", Severity.INFO: "note"}
HELP_URI = "https://github.com/preflight-apprunner/preflight#rules"
# The rules whose findings are security weaknesses (exposure, credentials, shared privilege), not
# deploy failures: GitHub code scanning shows `security-severity` only for rules tagged
# `security`, and files the others by their level (error, warning, note).
SECURITY_RULES = frozenset({"NET012", "SEC002", "IAM005", "ECS003"})


def _rule(rule_id: str) -> dict[str, Any]:
    r = catalog()[rule_id]
    text = f"{r.summary}\n\nWhy: {r.rationale}\n\nChecked: {r.checks}\n\nFix: {r.fix}"
    markdown = (f"{r.summary}\n\n**Why.** {r.rationale}\n\n**What is checked.** {r.checks}\n\n"
                f"**How to fix.** {r.fix}\n\n" + "\n".join(f"- <{u}>" for u in r.references))
    return {
        "id": r.id, "name": r.name,
        "shortDescription": {"text": r.title},
        "fullDescription": {"text": r.summary},
        "help": {"text": text, "markdown": markdown},
        "helpUri": r.references[0] if r.references else HELP_URI,
        "defaultConfiguration": {"level": LEVEL[r.severity]},
        "properties": {"security-severity": SECURITY_SEVERITY[r.severity],
                       "precision": "medium" if r.heuristic else "high",
                       "tags": ["aws", "app-runner", r.family.lower(),
                                *(["security"] if r.id in SECURITY_RULES else [])]},
    }


def _result(f: Finding, index: int, artifact: str) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": (f.location.line if f.location and f.location.line else 1)}
    if f.location and f.location.column:
        region["startColumn"] = f.location.column
    text = f.message
    if f.fix.commands:
        text += "\nFix: " + f.fix.summary + "\n" + "\n".join(f.fix.commands)
    return {
        "ruleId": f.rule, "ruleIndex": index, "level": LEVEL[f.severity],
        "message": {"text": text},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": f.location.file if f.location else artifact},
                                 "region": region},
            "logicalLocations": [{"fullyQualifiedName": f.resource.arn or f.resource.id,
                                  "name": f.resource.id, "kind": "resource"}],
        }],
        "partialFingerprints": {"preflightFingerprint/v1": f.fingerprint},
        **({"suppressions": [{"kind": "external", "justification": f.suppressed.reason}]}
           if f.suppressed else {}),
        **({"baselineState": "unchanged"} if f.baseline else {}),
        "properties": {"severity": f.severity.label, "security-severity": SECURITY_SEVERITY[f.severity],
                       "resourceType": f.resource.type, "path": list(f.path)},
    }


def document(result: RunResult, options: Options) -> dict[str, Any]:
    ids = list(result.selected)
    index = {rid: i for i, rid in enumerate(ids)}
    notifications = [{"level": "warning", "message": {"text": f"{g['region']} {g['iam_action']}: {g['error']}"}}
                     for g in result.gaps]
    notifications += [{"level": "error", "message": {"text": f"rule {r} crashed: {e}"}}
                      for r, e in sorted(result.crashed.items())]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "preflight", "version": __version__, "informationUri": HELP_URI,
                                "rules": [_rule(r) for r in ids]}},
            "results": [_result(f, index[f.rule], options.artifact) for f in result.findings],
            "invocations": [{"executionSuccessful": result.complete,
                             "toolExecutionNotifications": notifications}],
            "properties": {"account": result.snapshot.get("account"),
                           "regions": list(result.snapshot.get("regions", []))},
        }],
    }


def render(result: RunResult, options: Options | None = None) -> str:
    return json.dumps(document(result, options or Options()), indent=2) + "\n"
