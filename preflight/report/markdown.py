"""Markdown for $GITHUB_STEP_SUMMARY or a pull-request comment."""

from __future__ import annotations

from preflight import __version__
from preflight.engine import RunResult
from preflight.findings import Severity
from preflight.report.options import Options
from preflight.report.text import by_account

ICON = {Severity.CRITICAL: "🔴", Severity.HIGH: "🟠", Severity.MEDIUM: "🟡", Severity.LOW: "🔵", Severity.INFO: "⚪"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(result: RunResult, options: Options | None = None) -> str:
    opts = options or Options()
    snap = result.snapshot
    counts = result.counts()
    shown = [f for f in result.findings if f.active]
    failing = [f for f in shown if opts.fail_on is not None and f.severity >= opts.fail_on]
    verdict = ("❌ **fails**" if failing else "⚠️ **incomplete**" if not result.complete else "✅ **passes**")
    regions = ", ".join(f"`{r}`" for r in snap.get("regions", []))
    several = snap.get("accounts") or []
    scope = (f"{len(several)} accounts, regions {regions}" if len(several) > 1
             else f"account `{snap.get('account')}`, regions {regions}" if snap.get("regions")
             else "local sources only")
    out = [f"## preflight {__version__}: {verdict}", "",
           f"{scope}; {len(result.selected)} rules; gate: "
           f"{opts.fail_on.label if opts.fail_on is not None else 'never'}", "",
           "| " + " | ".join(f"{ICON[s]} {s.label}" for s in sorted(Severity, reverse=True)) + " |",
           "|" + "---:|" * len(Severity),
           "| " + " | ".join(str(counts[s.label]) for s in sorted(Severity, reverse=True)) + " |", ""]
    names = snap.get("account_names") or {}
    for account, group in by_account(shown, snap):
        if account is not None:
            out += [f"### Account `{account}`" + (f" ({_cell(names[account])})" if names.get(account) else ""), ""]
        out += ["| severity | rule | resource | finding |", "|---|---|---|---|"]
        out += [f"| {ICON[f.severity]} {f.severity.label} | `{f.rule}` {f.name} | `{_cell(f.resource.id)}` "
                f"({f.resource.region or 'global'}) | {_cell(f.message)} |" for f in group]
        out.append("")
    if shown:
        out += ["<details><summary>Fixes</summary>", ""]
        for f in shown:
            where = f" (`{f.location}`)" if f.location else ""
            out += [f"**{f.rule} {_cell(f.resource.id)}**{where}: {f.fix.summary}", ""]
            if f.fix.commands:
                out += ["```sh", *f.fix.commands, "```", ""]
        out += ["</details>", ""]
    hidden = len(result.findings) - len(shown)
    if hidden or result.notes:
        out += [f"{hidden} finding(s) suppressed or already in the baseline." if hidden else "",
                *(f"- {_cell(n)}" for n in result.notes), ""]
    if result.gaps or result.not_evaluated or result.crashed:
        out += ["### Not evaluated", ""]
        out += [f"- {'account `' + g['account'] + '` ' if g.get('account') else ''}`{g['region']}` "
                f"`{g['iam_action']}`: {_cell(g['error'])}" for g in result.gaps]
        out += [f"- rule `{r}` not evaluated: {_cell(why)}" for r, why in sorted(result.not_evaluated.items())]
        out += [f"- rule `{r}` crashed: {_cell(e)}" for r, e in sorted(result.crashed.items())]
        out.append("")
    return "\n".join(out)
