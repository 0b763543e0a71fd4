"""`preflight merge`: several JSON reports (shards of one scan, or scans of several accounts or
regions) joined into one result that every format renders and that exits like a single scan.

Findings are kept once by fingerprint (the same rule on the same resources in two reports is one
finding; the more severe copy wins). Each keeps the suppression or baseline state its report gave
it. What was not read is the union of what each report could not read, so a merge of a complete
and an incomplete report is incomplete (exit 3 unless a finding fails the threshold).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from preflight.engine import RunResult
from preflight.errors import InputError
from preflight.findings import Finding, Fix, Location, Ref, Severity, Suppressed
from preflight.snapshot import empty_resources, load_schema


def _ref(raw: dict[str, Any]) -> Ref:
    return Ref(str(raw["id"]), str(raw["type"]), raw.get("region"), raw.get("arn"), raw.get("name"))


def finding_from_json(raw: dict[str, Any]) -> Finding:
    """A finding as `json_report.finding_json` wrote it."""
    loc = raw.get("location")
    sup = raw.get("suppressed")
    return Finding(
        rule=raw["rule"], name=raw["name"], severity=Severity.parse(raw["severity"]), title=raw["title"],
        message=raw["message"], resource=_ref(raw["resource"]),
        fix=Fix(raw["fix"]["summary"], tuple(raw["fix"].get("commands") or ())),
        related=tuple(_ref(r) for r in raw.get("related") or ()), path=tuple(raw.get("path") or ()),
        heuristic=bool(raw.get("heuristic")), fingerprint=raw["fingerprint"],
        location=Location(loc["file"], loc.get("line"), loc.get("column"), loc.get("address")) if loc else None,
        suppressed=Suppressed(sup["reason"], sup["source"], sup.get("expires")) if sup else None,
        baseline=bool(raw.get("baseline")))


def read_report(path: str) -> dict[str, Any]:
    """A JSON report from a file, checked against the report schema."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(path, f"cannot be read: {e}") from e
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise InputError(path, f"not JSON: {e}") from e
    validator = jsonschema.Draft202012Validator(load_schema("report.schema.json"))
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(path, f"not a preflight JSON report (--format json): at {where}: {error.message[:200]}")
    return dict(doc)


def merge(docs: list[dict[str, Any]]) -> RunResult:
    findings: dict[str, Finding] = {}
    for doc in docs:
        for raw in doc["findings"]:
            f = finding_from_json(raw)
            kept = findings.get(f.fingerprint)
            if kept is None or (f.severity, f.active) > (kept.severity, kept.active):
                findings[f.fingerprint] = f
    scans = [d["scan"] for d in docs]
    accounts = sorted({str(s["account"]) for s in scans if s.get("account")})
    gaps = [{"region": g["region"], "service": g["service"], "operation": g["operation"],
             "iam_action": g["iam_action"], "error": g["error"],
             "collections": [], "rules_not_evaluated": list(g.get("rules_not_evaluated") or [])}
            for s in scans for g in s["gaps"]]
    not_evaluated = {r["rule"]: r["reason"] for s in scans for r in s.get("rules_not_evaluated") or []}
    crashed = {r["rule"]: r["error"] for s in scans for r in s.get("crashed_rules") or []}
    selected = sorted({r for s in scans for r in s.get("rules_evaluated") or []} | set(not_evaluated) | set(crashed))
    starts = sorted(s["started_at"] for s in scans if s.get("started_at"))
    snapshot = {"account": accounts[0] if len(accounts) == 1 else None, "accounts": accounts,
                "regions": sorted({r for s in scans for r in s["regions"]}),
                "collected_at": starts[0] if starts else None,
                "duration_s": max((float(s.get("duration_s") or 0) for s in scans), default=0.0),
                "api_calls": sum(int(s.get("api_calls") or 0) for s in scans),
                "inputs": [i for s in scans for i in s.get("inputs") or []],
                "gaps": gaps, "resources": empty_resources()}
    ordered = tuple(sorted(findings.values(), key=Finding.sort_key))
    notes = tuple(dict.fromkeys(n for s in scans for n in s.get("notes") or []))
    if len(accounts) > 1:
        notes = (f"merged from {len(docs)} reports over accounts {', '.join(accounts)}", *notes)
    return RunResult(snapshot, ordered, tuple(selected), not_evaluated, crashed, tuple(gaps), notes)
