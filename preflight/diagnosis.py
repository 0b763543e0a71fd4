"""`preflight diagnose`: from the evidence of a failed deployment to its cause and the rule whose
finding explains it.

Each line of evidence is matched against the failure signatures (preflight/data/
failure_signatures.json, each with its sources); the first signature that matches a line names
its category. A deployment takes the cause that comes first in the chain of a failing start
(a secret or role the platform could not use stops a task before an image is pulled, which is
before the app builds, starts, reaches its dependencies and answers a health check), so a health
check that failed because the database timed out is a network-timeout (see CATEGORIES). Then the scan of the same
workloads decides the confidence: a current finding of one of the signature's rules on that
workload confirms it (and gives its fix); without one the cause is likely, from the evidence
alone; when no signature matched it is unknown, and the evidence is still shown, the most
relevant lines first.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources as pkg
from typing import Any

import jsonschema

from preflight.engine import RunResult
from preflight.errors import CatalogError
from preflight.findings import Finding
from preflight.redact import redact_text
from preflight.snapshot import load_schema

# The order a failing start meets them in. A dependency that times out makes the app exit and the
# health check fail after it, so network-timeout comes before start-command and health-check; a
# missing module or the wrong CPU stops the app before it connects to anything, so the two never
# compete in practice.
CATEGORIES = ("secret-fetch", "role-assume", "image-pull", "build", "quota", "network-timeout", "start-command",
              "health-check", "unknown")
EVIDENCE_SHOWN = 20
MAX_LINE = 300  # characters of one evidence line, as the collector keeps them
_ERRORISH = re.compile(r"(?i)error|fail|denied|exception|timeout|refused|unable|cannot|exit|fatal|unhealthy")


@dataclass(frozen=True, slots=True)
class Signature:
    id: str
    category: str
    pattern: re.Pattern[str]
    rules: tuple[str, ...]
    summary: str
    fix: str
    sources: tuple[str, ...]


@cache
def signatures() -> tuple[Signature, ...]:
    raw = json.loads(pkg.files("preflight.data").joinpath("failure_signatures.json").read_text("utf-8"))
    try:
        jsonschema.validate(raw, load_schema("signatures.schema.json"))
        return tuple(Signature(s["id"], s["category"], re.compile(s["pattern"], re.IGNORECASE), tuple(s["rules"]),
                               s["summary"], s["fix"], tuple(s["sources"])) for s in raw["signatures"])
    except (jsonschema.ValidationError, re.error) as e:
        raise CatalogError(f"failure signatures are invalid: {e}") from e


def match(text: str) -> Signature | None:
    return next((s for s in signatures() if s.pattern.search(text)), None)


def _on(f: Finding, record: dict[str, Any]) -> bool:
    """Whether a finding concerns the workload of an evidence record."""
    arn, name = record["workload"], record["name"]
    refs = (f.resource, *f.related)
    return any(r.arn == arn or (r.type.endswith("_service") and r.id == name) for r in refs) or \
        (bool(f.path) and f.path[0] == name)


def diagnose(result: RunResult) -> list[dict[str, Any]]:
    """One diagnosis per failed deployment in the snapshot's evidence (see `collect.evidence`)."""
    rules = set(result.selected)
    out = []
    for record in result.snapshot.get("resources", {}).get("deploy_evidence", []):
        # a replayed snapshot is a file someone may have edited: bound and redact every line again
        lines = [{"source": str(x.get("source") or "")[:300], "timestamp": x.get("timestamp"),
                  "text": _bounded(redact_text(str(x.get("text") or "")))}
                 for x in record.get("evidence") or [] if isinstance(x, dict)]
        matched = [(match(str(line.get("text") or "")), i) for i, line in enumerate(lines)]
        hits = [(sig, i) for sig, i in matched if sig is not None]
        findings = [f for f in result.findings if f.active and _on(f, record)]
        chosen: Signature | None = None
        if hits:
            chosen = min(hits, key=lambda h: (CATEGORIES.index(h[0].category), signatures().index(h[0]), h[1]))[0]
        cause: dict[str, Any]
        related: list[Finding] = []
        if chosen is None:
            cause = {"category": "unknown", "rule": None, "confidence": "unknown",
                     "summary": "no known failure signature matched the evidence preflight read; the lines below "
                                "are the most relevant it found",
                     "fix": None}
            related = findings
        else:
            confirming = next((f for r in chosen.rules for f in findings if f.rule == r), None)
            if confirming is not None:
                related = [f for f in findings if f.rule in chosen.rules]
                cause = {"category": chosen.category, "rule": confirming.rule, "confidence": "confirmed",
                         "summary": f"{chosen.summary}; the scan finds it now ({confirming.rule}): "
                                    + (confirming.message if len(confirming.message) <= 240
                                       else confirming.message[:239] + "\u2026"),
                         "fix": {"summary": confirming.fix.summary, "commands": list(confirming.fix.commands)}}
            else:
                unchecked = [r for r in chosen.rules if r not in rules]
                cause = {"category": chosen.category, "rule": chosen.rules[0] if chosen.rules else None,
                         "confidence": "likely" if chosen.category != "unknown" else "unknown",
                         "summary": chosen.summary + (" (the scan finds none of "
                                                      f"{', '.join(chosen.rules)} on this workload now"
                                                      + (f"; {', '.join(unchecked)} not run" if unchecked else "")
                                                      + ")" if chosen.rules else ""),
                         "fix": {"summary": chosen.fix, "commands": []}}
            cause["signature"] = {"id": chosen.id, "sources": list(chosen.sources)}

        ordered = [line for _, line in sorted(enumerate(lines), key=lambda item: _relevance(item, matched, chosen))]
        dep = record.get("deployment") or {}
        out.append({
            "workload": {"id": record["name"], "arn": record["workload"],
                         "type": f"{str(record.get('platform', 'apprunner')).replace('-', '_')}_service",
                         "region": record["region"]},
            "deployment": {"id": dep.get("id"), "status": dep.get("status"), "started_at": dep.get("started_at"),
                           "ended_at": dep.get("ended_at")},
            "cause": cause,
            "evidence": ordered[:EVIDENCE_SHOWN],
            "evidence_total": len(lines),
            "calls": record.get("calls", 0),
            "findings": [f.fingerprint for f in related],
        })
    return out


def _bounded(text: str) -> str:
    return text if len(text) <= MAX_LINE else text[: MAX_LINE] + "\u2026"


def _relevance(item: tuple[int, dict[str, Any]], matched: list[tuple[Signature | None, int]],
               chosen: Signature | None) -> tuple[int, int]:
    """Lines of the cause first, then other known signatures, then error-looking lines, then the rest."""
    i, line = item
    sig = matched[i][0]
    if sig is not None:
        return (0 if sig is chosen else 1), i
    return (2 if _ERRORISH.search(str(line.get("text") or "")) else 3), i


EVIDENCE_GAPS = frozenset({"deploy_evidence", "services", "ecs_services"})


def exit_code(result: RunResult, diagnoses: list[dict[str, Any]]) -> int:
    """3 when evidence (or the workloads themselves) could not be read: a quiet window would not be
    proof of health; else 1 when a deployment failed in the window, 0 when none did."""
    if any(set(g["collections"]) & EVIDENCE_GAPS for g in result.gaps):
        return 3
    return 1 if diagnoses else 0
