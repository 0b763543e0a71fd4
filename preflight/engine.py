"""Runs the selected checks over a graph and gathers what they found and what they could not see.

A rule whose data has a gap (a collection that could not be read) is not run: it is reported as
not evaluated, never as passing. A check that raises is reported as crashed and the run goes on.
"""

from __future__ import annotations

import dataclasses
import logging
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from preflight import rulepacks
from preflight.errors import UsageError
from preflight.findings import Finding, Location, Severity, fingerprint
from preflight.graph import ResourceGraph
from preflight.registry import Rule, catalog, resolve
from preflight.snapshot import RESTRICTING

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunResult:
    snapshot: dict[str, Any]
    findings: tuple[Finding, ...]
    selected: tuple[str, ...]
    not_evaluated: dict[str, str]  # rule id -> why
    crashed: dict[str, str]  # rule id -> error
    gaps: tuple[dict[str, Any], ...] = field(default=())
    notes: tuple[str, ...] = field(default=())  # expired suppressions and the like, for every format

    @property
    def complete(self) -> bool:
        return not self.gaps and not self.not_evaluated and not self.crashed

    def counts(self) -> dict[str, int]:
        out = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for f in self.findings:
            if f.active:
                out[f.severity.label] += 1
        return out

    def exit_code(self, fail_on: Severity | None) -> int:
        """0 clean, 1 findings at or above `fail_on`, 3 clean but incomplete (contract)."""
        if fail_on is not None and any(f.active and f.severity >= fail_on for f in self.findings):
            return 1
        return 0 if self.complete else 3


def select_rules(select: Iterable[str] = (), ignore: Iterable[str] = (),
                 target: str | None = None, verify_iam: bool = False) -> tuple[str, ...]:
    """Rule ids to run. Migration rules (those with a `target`) run only when `target` names
    their platform, and the simulator comparison (target "verify-iam") only with `verify_iam`,
    whatever --select says; --select and --ignore narrow the rest."""
    rulepacks.load()
    rules = catalog()
    ids = {r.id for r in rules.values()
           if r.target is None or r.target == target or (r.target == "verify-iam" and verify_iam)}
    chosen = set().union(*(resolve(s) for s in select)) if select else ids
    dropped = set().union(*(resolve(s) for s in ignore)) if ignore else set()
    result = tuple(sorted((chosen & ids) - dropped))
    if not result and (select or ignore):
        # a gate that runs nothing must not report "no findings" and pass
        raise UsageError("--select and --ignore leave no rule to run"
                         + (" (rules of a --target, or of --verify-iam, run only with it)" if chosen - ids else ""))
    return result


def rules_missing_data(rules: Iterable[Rule], gaps: Iterable[dict[str, Any]]) -> dict[str, str]:
    missing: dict[str, str] = {}
    gaps = list(gaps)
    for rule in rules:
        for gap in gaps:
            if set(rule.needs) & set(gap["collections"]):
                missing.setdefault(rule.id, f"{gap['iam_action']} failed in {gap['region']}: "
                                            f"{gap['error']}")
    return missing


def _locate(snapshot: dict[str, Any], findings: list[Finding]) -> list[Finding]:
    """A finding on a planned resource points at the file and line that declares it."""
    where: dict[str, Location] = {}
    for records in snapshot.get("resources", {}).values():
        for r in records:
            loc = r.get("_location") if isinstance(r, dict) else None
            if loc:
                for key in (r.get("arn"), r.get("id"), r.get("name")):
                    if key:
                        where.setdefault(str(key), Location(loc["file"], loc.get("line"),
                                                           address=str(loc["address"]) if loc.get("address") else None))
    if not where:
        return findings
    return [f if f.location else dataclasses.replace(
        f, location=where.get(f.resource.arn or "") or where.get(f.resource.id)) for f in findings]


def run(snapshot: dict[str, Any], selected: tuple[str, ...] | None = None) -> RunResult:
    rulepacks.load()
    rules = catalog()
    selected = selected if selected is not None else select_rules()
    graph = ResourceGraph.build(snapshot)
    gaps = tuple(snapshot.get("gaps", ()))
    not_evaluated = rules_missing_data((rules[r] for r in selected), gaps)
    # a rule missing only what can restrict (SCPs, RCPs) still reports what it found
    skipped = rules_missing_data((rules[r] for r in selected),
                                 [g for g in gaps if not set(g["collections"]) <= set(RESTRICTING)])
    registered = rulepacks.checks()
    findings: list[Finding] = []
    crashed: dict[str, str] = {}
    for rule_id in selected:
        if rule_id in skipped:
            continue
        rule = rules[rule_id]
        try:
            hits = list(registered[rule_id](graph))
        except Exception as e:  # a broken check must not hide the others' findings
            log.debug("rule %s crashed:\n%s", rule_id, traceback.format_exc())
            crashed[rule_id] = f"{type(e).__name__}: {e}"
            continue
        seen: set[str] = set()
        for hit in hits:
            fp = fingerprint(rule_id, hit.resource, hit.related)
            if fp in seen:
                continue
            seen.add(fp)
            findings.append(Finding(
                rule=rule_id, name=rule.name, severity=hit.severity or rule.severity,
                title=rule.title, message=hit.message, resource=hit.resource, fix=hit.fix,
                related=hit.related, path=hit.path, heuristic=rule.heuristic, fingerprint=fp,
                location=hit.location,
            ))
    findings = _locate(snapshot, findings)
    findings.sort(key=Finding.sort_key)
    return RunResult(snapshot, tuple(findings), selected, not_evaluated, crashed, gaps,
                     tuple(str(n) for n in snapshot.get("notes", ())))
