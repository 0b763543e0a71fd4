"""The human report: grouped by severity, each finding with its path and a copy-pasteable fix.

Readable at 80 columns; commands are never wrapped so they stay copy-pasteable. Colour only when
the caller says the stream is a terminal (the CLI also honours NO_COLOR).
"""

from __future__ import annotations

import textwrap
from typing import Any

from preflight import __version__
from preflight.engine import RunResult
from preflight.findings import Finding, Severity
from preflight.report.options import Options

WIDTH = 80
_COLORS = {Severity.CRITICAL: "1;31", Severity.HIGH: "31", Severity.MEDIUM: "33",
           Severity.LOW: "36", Severity.INFO: "37"}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent,
                         break_on_hyphens=False, break_long_words=False) or [indent]


def _finding(f: Finding, color: bool) -> list[str]:
    res = f.resource
    where = ", ".join(x for x in (res.type, res.region) if x)
    head = f"{_paint(f.severity.label.upper(), _COLORS[f.severity], color)}  {f.rule} {f.name}"
    lines = [head, *_wrap(f"{res.id} ({where})", "  ")]
    if f.location:
        lines += _wrap(f"at {f.location}", "  ")
    lines += _wrap(f.message + (" [heuristic]" if f.heuristic else ""), "  ")
    if f.path:
        lines += _wrap("path: " + " -> ".join(f.path), "  ")
    lines += _wrap("fix: " + f.fix.summary, "  ")
    lines += [f"    $ {c}" for c in f.fix.commands]
    return lines


def _input_line(item: dict[str, Any]) -> str:
    """What one --plan file gave: `read 42 resources of 9 types, ignored 3 (aws_s3_bucket x2, ...)`."""
    read, ignored = item.get("read") or {}, item.get("ignored") or {}
    line = (f"{item.get('file')} ({item.get('format')}, {item.get('region') or 'no region'}): read "
            f"{sum(read.values())} resources of {len(read)} types")
    if ignored:
        top = sorted(ignored.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(f"{k} x{n}" if n > 1 else k for k, n in top[:4])
        line += f"; ignored {sum(ignored.values())} ({shown}{', ...' if len(top) > 4 else ''})"
    if item.get("inferred"):
        line += f"; {len(item['inferred'])} links inferred (see --format json)"
    return line


def by_account(findings: list[Finding], snap: dict[str, Any]) -> list[tuple[str | None, list[Finding]]]:
    """Findings by severity, and first by owning account when the scan read several accounts
    (one group, account None, otherwise)."""
    ordered = sorted(findings, key=lambda f: -int(f.severity))
    if len(snap.get("accounts") or []) < 2:
        return [(None, ordered)] if ordered else []
    groups: dict[str, list[Finding]] = {}
    for f in ordered:
        groups.setdefault(f.resource.account or str(snap.get("account") or "unknown"), []).append(f)
    return sorted(groups.items())


def render(result: RunResult, options: Options | None = None) -> str:
    color = bool(options and options.color)
    snap = result.snapshot
    regions = ", ".join(snap.get("regions", [])) or "none"
    several = snap.get("accounts") or []
    scope = (f"{len(several)} accounts, regions {regions}" if len(several) > 1
             else f"account {snap.get('account') or 'unknown'}, regions {regions}" if snap.get("regions")
             else "local sources only, no AWS access")
    out = [f"preflight {__version__}: {scope}",
           f"{snap.get('api_calls', 0)} API calls, {len(result.selected)} rules"]
    for item in snap.get("inputs", []):
        out += _wrap(_input_line(item), "  ")
    out.append("")
    active = [f for f in result.findings if f.active]
    if not active:
        out += ["No findings.", ""]
    names = snap.get("account_names") or {}
    for account, group in by_account(active, snap):
        if account is not None:
            count = f"{len(group)} finding{'s' if len(group) != 1 else ''}"
            out += [_paint(f"Account {account}" + (f" ({names[account]})" if names.get(account) else "")
                           + f": {count}", "1", color), ""]
        for f in group:
            out += [*_finding(f, color), ""]
    counts = result.counts()
    out.append("Summary: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    hidden = len(result.findings) - len(active)
    if hidden:
        suppressed = sum(1 for f in result.findings if f.suppressed)
        out.append(f"Not shown: {suppressed} suppressed, {hidden - suppressed} already in the baseline "
                   "(all are in --format json)")
    for note in result.notes:
        out += _wrap(f"Note: {note}", "")
    if result.gaps:
        out += ["", _paint("Incomplete scan: these reads failed", "1;33", color)]
        for gap in result.gaps:
            where = f"account {gap['account']} " if gap.get("account") else ""
            out += _wrap(f"- {where}{gap['region']} {gap['iam_action']}: {gap['error']}", "  ")
    if result.not_evaluated:
        out += ["", "Not evaluated (missing data, not passing): "
                + ", ".join(sorted(result.not_evaluated))]
    if result.crashed:
        out += ["", _paint("Crashed rules (a preflight bug; results are incomplete):", "1;31",
                           color)]
        out += [f"  - {r}: {e}" for r, e in sorted(result.crashed.items())]
    return "\n".join(out) + "\n"
