"""After the checks: severity overrides, suppressions (config and resource tags) and baselines.

A suppressed or baselined finding stays in the result, marked, so that JSON and SARIF keep it;
it no longer counts towards the summary or the exit code. A suppression needs a reason; one
past its expiry date stops suppressing and the report says so.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

from preflight.config import Config
from preflight.engine import RunResult
from preflight.errors import UsageError
from preflight.findings import Finding, Severity, Suppressed
from preflight.registry import resolve

IGNORE_TAG = "preflight:ignore"
REASON_TAG = "preflight:reason"


def _tags_index(snapshot: dict[str, Any]) -> dict[str, dict[str, str]]:
    index: dict[str, dict[str, str]] = {}
    for records in snapshot.get("resources", {}).values():
        for r in records:
            tags = r.get("tags") if isinstance(r, dict) else None
            if isinstance(tags, dict) and IGNORE_TAG in tags:
                for key in (r.get("arn"), r.get("id"), r.get("name")):
                    if key:
                        index[str(key)] = tags
    return index


def _matches(pattern: str | None, f: Finding) -> bool:
    if pattern is None:
        return True
    return any(fnmatchcase(x, pattern) for x in (f.resource.id, f.resource.arn or "") if x)


def apply(result: RunResult, config: Config, baseline: frozenset[str] = frozenset(),
          today: date | None = None) -> RunResult:
    today = today or date.today()
    tags = _tags_index(result.snapshot)
    rules = [(s, resolve(s.rule)) for s in config.suppressions]
    notes = list(result.notes)
    expired_seen: set[int] = set()
    findings = []
    for f in result.findings:
        if f.rule in config.severity:
            f = dataclasses.replace(f, severity=Severity.parse(config.severity[f.rule]))
        suppressed = None
        for i, (s, ids) in enumerate(rules):
            if f.rule not in ids or not _matches(s.resource, f):
                continue
            if s.expires is not None and s.expires < today:
                if i not in expired_seen:
                    expired_seen.add(i)
                    notes.append(f"suppression of {s.rule} for {s.resource or 'every resource'} "
                                 f"({config.path}:{s.line}) expired on {s.expires}; it no longer "
                                 f"suppresses ({s.reason})")
                continue
            suppressed = Suppressed(s.reason, f"config {config.path}:{s.line}",
                                    s.expires.isoformat() if s.expires else None)
            break
        if suppressed is None:
            tagged = tags.get(f.resource.arn or "") or tags.get(f.resource.id)
            if tagged:
                wanted = {x.strip() for x in tagged.get(IGNORE_TAG, "").split(",") if x.strip()}
                tag_ids: set[str] = set()
                for selector in sorted(wanted):
                    try:
                        tag_ids |= resolve(selector)
                    except UsageError:  # a tag is data, not a command line: say so, go on
                        notes.append(f"{f.resource.id} has {IGNORE_TAG} naming unknown rule {selector!r}")
                reason = tagged.get(REASON_TAG, "").strip()
                if f.rule in tag_ids and reason:
                    suppressed = Suppressed(reason, f"tag {IGNORE_TAG}")
                elif f.rule in tag_ids:
                    notes.append(f"{f.resource.id} has {IGNORE_TAG}={tagged[IGNORE_TAG]} but no "
                                 f"{REASON_TAG} tag: not suppressed")
        findings.append(dataclasses.replace(f, suppressed=suppressed, baseline=f.fingerprint in baseline))
    findings.sort(key=Finding.sort_key)
    return dataclasses.replace(result, findings=tuple(findings), notes=tuple(dict.fromkeys(notes)))

