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
from preflight.snapshot import (
    ORG_SNAPSHOT_KIND,
    SNAPSHOT_VERSION,
    empty_resources,
    is_organization,
    load_schema,
    validate_any,
)


def _ref(raw: dict[str, Any]) -> Ref:
    return Ref(str(raw["id"]), str(raw["type"]), raw.get("region"), raw.get("arn"), raw.get("name"),
               account=raw.get("account"))


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


def read_input(path: str) -> tuple[str, dict[str, Any]]:
    """("report" or "snapshot", the document) of one merge input, checked against its schema."""
    doc = _parsed(path)
    if isinstance(doc, dict) and "snapshot_version" in doc:
        return "snapshot", validate_any(doc, path)
    return "report", _checked_report(doc, path)


def _parsed(path: str) -> Any:
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(path, f"cannot be read: {e}") from e
    try:
        return json.loads(text)
    except ValueError as e:
        raise InputError(path, f"not JSON: {e}") from e


def read_report(path: str) -> dict[str, Any]:
    """A JSON report from a file, checked against the report schema."""
    return _checked_report(_parsed(path), path)


def _checked_report(doc: Any, path: str) -> dict[str, Any]:
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
    # a report of several accounts lists them; a single account's report names its one
    accounts = sorted({str(a) for s in scans for a in (s.get("accounts") or [s.get("account")]) if a})
    unread = sorted({str(a) for s in scans for a in s.get("unread_accounts") or []} - set(accounts))
    gaps = [{"region": g["region"], "service": g["service"], "operation": g["operation"],
             "iam_action": g["iam_action"], "error": g["error"],
             "collections": [], "rules_not_evaluated": list(g.get("rules_not_evaluated") or []),
             **({"account": g["account"]} if g.get("account") else {})}
            for s in scans for g in s["gaps"]]
    not_evaluated = {r["rule"]: r["reason"] for s in scans for r in s.get("rules_not_evaluated") or []}
    crashed = {r["rule"]: r["error"] for s in scans for r in s.get("crashed_rules") or []}
    selected = sorted({r for s in scans for r in s.get("rules_evaluated") or []} | set(not_evaluated) | set(crashed))
    starts = sorted(s["started_at"] for s in scans if s.get("started_at"))
    snapshot = {"account": accounts[0] if len(accounts) == 1 else None, "accounts": accounts,
                "unread_accounts": unread,
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


def join_snapshots(docs: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One organization snapshot from several (shards saved with --save-snapshot, or single
    accounts' snapshots), so that the checks judge the edges between them with both sides read.
    An account in two inputs is refused: two reads of one account disagree on what is true."""
    accounts: dict[str, tuple[str, dict[str, Any]]] = {}
    unread: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    borrowed: list[dict[str, Any]] = []
    calls, duration, starts, callers = 0, 0.0, [], []
    for path, doc in docs:
        members = doc["accounts"] if is_organization(doc) else [doc]
        for member in members:
            account = str(member.get("account") or "")
            if not account:
                raise InputError(path, "a snapshot of sources or plans alone names no account to merge")
            if account in accounts:
                raise InputError(path, f"account {account} is also in {accounts[account][0]}")
            accounts[account] = (path, member)
        for u in doc.get("unread_accounts", []) if is_organization(doc) else []:
            unread.setdefault(u["account"], u)
        borrowed += doc.get("borrowed", []) if is_organization(doc) else []
        notes += doc.get("notes", [])
        calls += int(doc.get("api_calls") or 0)
        duration = max(duration, float(doc.get("duration_s") or 0))
        if doc.get("collected_at"):
            starts.append(str(doc["collected_at"]))
        callers.append(doc.get("caller_account") or doc.get("account"))
    orgs = {str(d["organization"]["id"]): path for path, d in docs
            if is_organization(d) and (d.get("organization") or {}).get("id")}
    if len(orgs) > 1:
        (a, pa), (b, pb) = sorted(orgs.items())[:2]
        raise InputError(pb, f"a snapshot of organization {b}, and {pa} is of {a}: merge the shards of one "
                             "organization's scan")
    org_doc = {"snapshot_version": SNAPSHOT_VERSION, "kind": ORG_SNAPSHOT_KIND,
               "caller_account": next((c for c in callers if c), None),
               "collected_at": min(starts) if starts else None, "duration_s": duration, "api_calls": calls,
               "listed_from_organization": any(d.get("listed_from_organization") for _, d in docs),
               # the organization the shards listed: one, since they are shards of one scan
               "organization": next((d["organization"] for _, d in docs
                                     if is_organization(d) and d.get("organization")), None),
               "accounts": [m for _, (_, m) in sorted(accounts.items())],
               "unread_accounts": [u for a, u in sorted(unread.items()) if a not in accounts],
               "borrowed": _borrowed(borrowed),
               "notes": sorted(set(notes))}
    return org_doc


def _borrowed(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Several shards' reads of one outside account, as one entry per account, each record once."""
    out: dict[str, dict[str, Any]] = {}
    for b in entries:
        kept = out.setdefault(b["account"], {"account": b["account"], "resources": {}, "gaps": []})
        for collection, records in b["resources"].items():
            have = kept["resources"].setdefault(collection, [])
            seen = {r.get("arn") or r.get("name") for r in have}
            have += [r for r in records if (r.get("arn") or r.get("name")) not in seen]
        kept["gaps"] += [g for g in b["gaps"] if g not in kept["gaps"]]
    return [out[a] for a in sorted(out)]
