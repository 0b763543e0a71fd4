"""The reports of `preflight diagnose`: JSON (schemas/diagnose.schema.json), text and Markdown.

Evidence lines were redacted and cut when they were read (collect.evidence); they are user data
and are printed as they are, never interpreted.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from preflight import __version__
from preflight.engine import RunResult
from preflight.report.json_report import SCHEMA_VERSION
from preflight.report.json_report import document as scan_document

FORMATS = ("text", "json", "markdown", "html")


def document(result: RunResult, diagnoses: list[dict[str, Any]]) -> dict[str, Any]:
    window = result.snapshot.get("diagnose_window") or {}
    confidence = {c: sum(1 for d in diagnoses if d["cause"]["confidence"] == c) for c in ("confirmed", "likely",
                                                                                          "unknown")}
    return {"schema_version": SCHEMA_VERSION, "tool": {"name": "preflight", "version": __version__},
            "scan": scan_document(result)["scan"],
            "window": {"since": window.get("since", ""), "until": window.get("until", "")},
            "summary": {"failed_deployments": len(diagnoses), **confidence},
            "diagnoses": diagnoses}


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, 100, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False,
                         break_long_words=False) or [indent]


def text(result: RunResult, diagnoses: list[dict[str, Any]]) -> str:
    doc = document(result, diagnoses)
    window = doc["window"]
    out = [f"preflight {__version__} diagnose: account {result.snapshot.get('account') or 'unknown'}, "
           f"{window['since']} to {window['until']}", ""]
    if not diagnoses:
        out.append("No failed or rolled-back deployment in the window.")
    for d in diagnoses:
        w, dep, cause = d["workload"], d["deployment"], d["cause"]
        out.append(f"{w['id']} ({w['region']}): deployment {dep['id']} {dep['status']}, "
                   f"{dep['started_at']} to {dep['ended_at']}")
        rule = f" {cause['rule']}" if cause["rule"] else ""
        out += _wrap(f"cause: {cause['category']}{rule} ({cause['confidence']}): {cause['summary']}", "  ")
        if cause["fix"]:
            out += _wrap(f"fix: {cause['fix']['summary']}", "  ")
            out += [f"    $ {c}" for c in cause["fix"]["commands"]]
        shown = len(d["evidence"])
        out.append(f"  evidence ({shown} of {d.get('evidence_total', shown)} lines, {d.get('calls', 0)} calls):")
        out += [f"    [{e['source']} {e['timestamp'] or ''}] {e['text']}" for e in d["evidence"]]
        out.append("")
    summary = doc["summary"]
    out.append(f"Summary: {summary['failed_deployments']} failed deployments: {summary['confirmed']} confirmed, "
               f"{summary['likely']} likely, {summary['unknown']} unknown")
    if result.gaps:
        out += ["", "Incomplete: these reads failed"]
        out += [f"  - {g['region']} {g['iam_action']}: {g['error']}" for g in result.gaps]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def markdown(result: RunResult, diagnoses: list[dict[str, Any]]) -> str:
    doc = document(result, diagnoses)
    out = [f"## preflight diagnose: {doc['summary']['failed_deployments']} failed deployments", "",
           f"Window {doc['window']['since']} to {doc['window']['until']}.", ""]
    if diagnoses:
        out += ["| workload | deployment | cause | rule | confidence |", "|---|---|---|---|---|"]
        for d in diagnoses:
            dep = d["deployment"]
            out.append(f"| {_md(d['workload']['id'])} | {_md(str(dep['id']))} {_md(str(dep['status']))} | "
                       f"{d['cause']['category']} | {d['cause']['rule'] or ''} | {d['cause']['confidence']} |")
    for d in diagnoses:
        cause = d["cause"]
        out += ["", f"### {_md(d['workload']['id'])}", "", _md(cause["summary"])]
        if cause["fix"]:
            out += ["", f"**Fix:** {_md(cause['fix']['summary'])}"]
            if cause["fix"]["commands"]:
                out += ["", "```sh", *cause["fix"]["commands"], "```"]
        out += ["", "<details><summary>evidence</summary>", "", "```text",
                *[f"[{e['source']} {e['timestamp'] or ''}] {e['text']}".replace("```", "'''") for e in d["evidence"]],
                "```", "", "</details>"]
    if result.gaps:
        out += ["", "**Incomplete:** " + "; ".join(f"`{g['iam_action']}` in {g['region']}" for g in result.gaps)]
    return "\n".join(out) + "\n"


def html(result: RunResult, diagnoses: list[dict[str, Any]]) -> str:
    """One self-contained page, no script at all: the verdict, then each failed deployment with
    its cause, fix, the workload's flow (the failing hop in red) and its evidence."""
    from preflight.report import graphview
    from preflight.report.html import CSS, flow_svg
    from preflight.report.html import escape_value as e

    doc = document(result, diagnoses)
    summary, window = doc["summary"], doc["window"]
    failed = summary["failed_deployments"]
    code = 3 if any(set(g["collections"]) & {"deploy_evidence", "services", "ecs_services"} for g in result.gaps) \
        else 1 if failed else 0
    kind, verdict = {0: ("pass", "No failed deployment in the window"),
                     1: ("fail", f"{failed} failed deployment{'s' if failed != 1 else ''}: {summary['confirmed']} "
                                 f"confirmed, {summary['likely']} likely, {summary['unknown']} unknown"),
                     3: ("incomplete", "Evidence could not be read: the window is not proven quiet")}[code]
    view = graphview.build(result)
    nodes = {n["id"] for n in view["nodes"]}
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
           f"<title>preflight diagnose: {e(verdict)}</title><style>{CSS}</style></head><body>",
           f"<h1>preflight {e(__version__)} diagnose: account {e(result.snapshot.get('account') or 'unknown')}</h1>",
           f'<p><span class="verdict {kind}" id="verdict">{e(verdict)}</span></p>',
           f'<p class="muted">window {e(window["since"])} to {e(window["until"])}</p>']
    for d in diagnoses:
        w, dep, cause = d["workload"], d["deployment"], d["cause"]
        rule = f" {cause['rule']}" if cause["rule"] else ""
        out.append(f'<section class="diagnosis" data-workload="{e(w["id"])}"><h2>{e(w["id"])} '
                   f'<span class="muted">{e(w["region"])}</span></h2>'
                   f"<p>deployment {e(dep['id'])} <b>{e(dep['status'])}</b>, {e(dep['started_at'])} to "
                   f"{e(dep['ended_at'])}</p><p><b>cause: {e(cause['category'])}{e(rule)} ({e(cause['confidence'])})"
                   f"</b>: {e(cause['summary'])}</p>")
        if cause["fix"]:
            out.append(f"<p>fix: {e(cause['fix']['summary'])}</p>"
                       + "".join(f"<pre><code>{e(c)}</code></pre>" for c in cause["fix"]["commands"]))
        if w["id"] in nodes:
            out.append(flow_svg(view, w["id"]))
        out.append(f"<table><tr><th>source</th><th>time</th><th>evidence ({len(d['evidence'])} of "
                   f"{d.get('evidence_total', len(d['evidence']))})</th></tr>")
        out += [f'<tr class="evidence"><td><code>{e(x["source"])}</code></td><td>{e(x["timestamp"] or "")}</td>'
                f"<td>{e(x['text'])}</td></tr>" for x in d["evidence"]]
        out.append("</table></section>")
    if result.gaps:
        out.append("<h2>What could not be read</h2><ul>")
        out += [f"<li><code>{e(g['iam_action'])}</code> in {e(g['region'])}: {e(g['error'])}</li>" for g in result.gaps]
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render(result: RunResult, diagnoses: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "html":
        return html(result, diagnoses)
    if fmt == "json":
        return json.dumps(document(result, diagnoses), indent=2) + "\n"
    return markdown(result, diagnoses) if fmt == "markdown" else text(result, diagnoses)
