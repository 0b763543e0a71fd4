"""The HTML report: one self-contained file (inline CSS, inline SVG, no fetch of any kind) that
reads without JavaScript and filters with it.

What an engineer opening a red CI run wants first comes first: the verdict and the counts, what
was read and what was not (each gap with its IAM action), then each workload's flow drawn with
the failing hop in red, then the findings table with filters, the fix commands (with a copy
button) and each rule's explanation folded in, then what was suppressed or baselined, apart.

Every value comes from AWS or from a file the user wrote, so every value is escaped; a Content
Security Policy admits the one inline script by its hash and nothing else, so markup that slipped
through would still not run. The flows are laid out here, in pure Python (lanes for each region
and VPC, columns for each hop), so the report never needs a system package.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import deque
from html import escape
from typing import Any

from preflight import __version__
from preflight.engine import RunResult
from preflight.findings import Finding, Severity
from preflight.registry import catalog
from preflight.report import graphview
from preflight.report.options import Options

MAX_DRAWN = 50  # workloads drawn; the rest are listed by name
MAX_NODES = 60  # nodes in one drawing
ARROW = " \u2192 "


def escape_value(value: object) -> str:
    """Any value, as HTML text or attribute: every value comes from AWS or from a user's file."""
    return escape(str(value), quote=True)


_e = escape_value


_SCRIPT = r"""
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.finding"));
  var form = document.getElementById("filters");
  var shown = document.getElementById("shown");
  form.hidden = false;
  function apply() {
    var want = {};
    ["severity", "family", "workload"].forEach(function (k) { want[k] = form.elements[k].value; });
    var n = 0;
    rows.forEach(function (r) {
      var ok = ["severity", "family", "workload"].every(function (k) {
        return !want[k] || r.getAttribute("data-" + k) === want[k];
      });
      r.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = n + " of " + rows.length + " shown";
    var parts = [];
    Object.keys(want).forEach(function (k) { if (want[k]) { parts.push(k + "=" + encodeURIComponent(want[k])); } });
    history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search);
  }
  location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
    var p = kv.split("="), el = form.elements[p[0]];
    if (p.length === 2 && el) { el.value = decodeURIComponent(p[1]); }
  });
  form.addEventListener("change", apply);
  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var text = b.parentNode.querySelector("code").textContent;
      if (navigator.clipboard) { navigator.clipboard.writeText(text); }
      b.textContent = "copied";
      setTimeout(function () { b.textContent = "copy"; }, 1500);
    });
  });
  apply();
})();
"""

CSS = """
:root { --crit: #b00020; --high: #d9480f; --med: #b7791f; --low: #2b6cb0; --info: #4a5568; --ok: #2f855a; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1400px;
       padding: 0 20px 40px; color: #1a202c; }
h1 { font-size: 22px; margin: 18px 0 6px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #e2e8f0; }
.verdict { display: inline-block; padding: 4px 12px; border-radius: 4px; color: #fff; font-weight: 600; }
.verdict.fail { background: var(--crit); } .verdict.pass { background: var(--ok); }
.verdict.incomplete { background: var(--med); }
.counts span { margin-right: 14px; } .sev { font-weight: 600; text-transform: uppercase; font-size: 12px; }
.sev.critical { color: var(--crit); } .sev.high { color: var(--high); } .sev.medium { color: var(--med); }
.sev.low { color: var(--low); } .sev.info { color: var(--info); }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top;
  padding: 6px 8px; border-bottom: 1px solid #edf2f7; } th { background: #f7fafc; }
td.msg { max-width: 560px; } code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: #f7fafc; padding: 6px 52px 6px 8px; margin: 4px 0; white-space: pre-wrap; word-break: break-all; }
.cmd { position: relative; } button.copy { position: absolute; top: 2px; right: 2px; font-size: 11px; }
details summary { cursor: pointer; color: #2b6cb0; } .muted { color: #718096; }
form#filters { margin: 8px 0; } form#filters label { margin-right: 12px; }
svg.flow { border: 1px solid #e2e8f0; background: #fff; max-width: 100%; height: auto; }
svg .lane text.lane-label { font-size: 11px; fill: #4a5568; } svg .node rect { fill: #edf2f7; stroke: #a0aec0; }
svg .node.service rect { fill: #ebf4ff; stroke: #5a67d8; } svg .node.database rect { fill: #f0fff4; stroke: #38a169; }
svg .node.broken rect { stroke: var(--crit); stroke-width: 2.5; } svg .node text { font-size: 11px; fill: #1a202c; }
svg .node text.kind { fill: #718096; font-size: 10px; }
svg path.edge { fill: none; stroke: #a0aec0; stroke-width: 1.4; }
svg path.edge.flow { stroke-dasharray: 5 4; } svg path.edge.broken { stroke: var(--crit); stroke-width: 2.5; }
svg text.rules { fill: var(--crit); font-size: 11px; font-weight: 600; paint-order: stroke; stroke: #fff;
  stroke-width: 4px; }
"""


def workload_of(f: Finding, names: set[str]) -> str:
    """The workload a finding is about: the resource itself, a related service, or the first hop
    of its path; "(account)" when it concerns none."""
    if f.resource.type.endswith("_service"):
        return f.resource.id
    for r in f.related:
        if r.type.endswith("_service"):
            return r.id
    if f.path and f.path[0] in names:
        return f.path[0]
    return "(account)"


def _verdict(result: RunResult, options: Options) -> tuple[str, str]:
    code = result.exit_code(options.fail_on)
    if options.fail_on is None:
        found = sum(1 for f in result.findings if f.active)
        return ("incomplete" if found or code == 3 else "pass",
                f"REPORT ONLY (--fail-on never): {found} finding{'s' if found != 1 else ''}"
                + ("; part of the state could not be read" if code == 3 else ""))
    threshold = options.fail_on.label
    if code == 1:
        return "fail", f"FAIL: findings at or above {threshold}"
    if code == 3:
        return "incomplete", "NOT FULLY EVALUATED: part of the state could not be read"
    return "pass", f"PASS: nothing at or above {threshold}"


# --- the flow drawings ----------------------------------------------------------------------------

def _subview(view: dict[str, Any], start: str) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Nodes reachable from `start` with their hop distance, and the edges among them."""
    out: dict[str, list[dict[str, Any]]] = view.setdefault("_out", {})
    if not out:
        for e in view["edges"]:
            out.setdefault(e["from"], []).append(e)
    depth = {start: 0}
    queue = deque([start])
    while queue and len(depth) < MAX_NODES:
        n = queue.popleft()
        for e in out.get(n, []):
            if e["to"] not in depth and len(depth) < MAX_NODES:
                depth[e["to"]] = depth[n] + 1
                queue.append(e["to"])
    edges = [e for n in depth for e in out.get(n, []) if e["to"] in depth]
    return depth, edges


NODE_W, NODE_H, COL_W, ROW_H, LEFT, TOP = 168, 40, 240, 52, 150, 10


def _short(text: str, n: int = 26) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def flow_svg(view: dict[str, Any], workload: str) -> str:
    depth, edges = _subview(view, workload)
    info: dict[str, dict[str, Any]] = view.setdefault("_info", {})
    if not info:
        info.update((n["id"], n) for n in view["nodes"])
    lanes: dict[tuple[str, str], dict[int, list[str]]] = {}
    for n in sorted(depth, key=lambda x: (depth[x], x)):
        node = info.get(n, {})
        lanes.setdefault((node.get("region") or "", node.get("vpc") or ""), {}).setdefault(depth[n], []).append(n)
    order = sorted(lanes, key=lambda k: (k != (info.get(workload, {}).get("region") or "",
                                               info.get(workload, {}).get("vpc") or ""), k))
    pos: dict[str, tuple[int, int]] = {}
    y = TOP
    lane_boxes = []
    for key in order:
        rows = max(len(v) for v in lanes[key].values())
        height = rows * ROW_H + 16
        for col, members in lanes[key].items():
            for slot, n in enumerate(members):
                pos[n] = (LEFT + col * COL_W, y + 10 + slot * ROW_H)
        lane_boxes.append((key, y, height))
        y += height + 6
    width = LEFT + (max(depth.values()) + 1) * COL_W
    broken_nodes = {e["to"] for e in edges if e["broken"]}
    parts = [f'<svg class="flow" xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{y + 4}" '
             f'viewBox="0 0 {width} {y + 4}"><title>{_e(workload)}: its flows</title>',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#a0aec0"/></marker>'
             '<marker id="arrow-broken" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#b00020"/></marker></defs>']
    for i, ((region, vpc), top, height) in enumerate(lane_boxes):
        label = " / ".join(x for x in (region, vpc) if x) or "outside any VPC"
        parts.append(f'<g class="lane"><rect x="2" y="{top}" width="{width - 4}" height="{height}" rx="6" '
                     f'fill="{"#f7fafc" if i % 2 == 0 else "#fdfdfe"}" stroke="#e2e8f0"/>'
                     f'<text class="lane-label" x="10" y="{top + 16}">{_e(_short(region or "no region", 22))}</text>'
                     f'<text class="lane-label" x="10" y="{top + 30}">{_e(_short(vpc, 22))}</text>'
                     f'<title>{_e(label)}</title></g>')
    for e in edges:
        (x1, y1), (x2, y2) = pos[e["from"]], pos[e["to"]]
        sx, sy = float(x1 + NODE_W), y1 + NODE_H / 2
        tx, ty = float(x2), y2 + NODE_H / 2
        if x2 <= x1:  # back or sideways: leave from the bottom, come in from below
            sx, sy, tx, ty = x1 + NODE_W / 2, y1 + NODE_H, x2 + NODE_W / 2, y2 + NODE_H
        bend = max(30.0, abs(tx - sx) / 2)
        cls = "edge" + (" flow" if e["rel"] == "flow" else "") + (" broken" if e["broken"] else "")
        marker = "arrow-broken" if e["broken"] else "arrow"
        d = (f"M {sx:.0f} {sy:.0f} C {sx + bend:.0f} {sy:.0f}, {tx - bend:.0f} {ty:.0f}, {tx:.0f} {ty:.0f}"
             if x2 > x1 else f"M {sx:.0f} {sy:.0f} C {sx:.0f} {sy + 40:.0f}, {tx:.0f} {ty + 40:.0f}, {tx:.0f} {ty:.0f}")
        rules = (": " + _e(" ".join(e["rules"]))) if e["rules"] else ""
        parts.append(f'<path class="{cls}" d="{d}" marker-end="url(#{marker})"><title>{_e(e["from"])} \u2192 '
                     f'{_e(e["to"])} ({_e(e["rel"])}{rules})</title></path>')
        if e["rules"]:  # one rule a line, stacked above the middle of the edge
            lines = "".join(f'<tspan x="{(sx + tx) / 2:.0f}" dy="{-12 if i else 0}">{_e(r)}</tspan>'
                            for i, r in enumerate(reversed(e["rules"])))
            parts.append(f'<text class="rules" x="{(sx + tx) / 2:.0f}" y="{(sy + ty) / 2 - 5:.0f}" '
                         f'text-anchor="middle">{lines}</text>')
    for n, (x, yy) in pos.items():
        kind = info.get(n, {}).get("kind", "resource")
        cls = "node " + re.sub(r"[^a-z_]", "", kind) + (" broken" if n in broken_nodes else "")
        parts.append(f'<g class="{cls}" data-id="{_e(n)}"><rect x="{x}" y="{yy}" width="{NODE_W}" height="{NODE_H}" '
                     f'rx="6"/><text x="{x + 8}" y="{yy + 16}">{_e(_short(n))}</text>'
                     f'<text class="kind" x="{x + 8}" y="{yy + 31}">{_e(kind.replace("_", " "))}</text>'
                     f'<title>{_e(n)} ({_e(kind)})</title></g>')
    parts.append("</svg>")
    return "".join(parts)


# --- the page -----------------------------------------------------------------------------------

def _commands(f: Finding) -> str:
    return "".join(f'<div class="cmd"><pre><code>{_e(c)}</code></pre>'
                   '<button type="button" class="copy" hidden>copy</button></div>' for c in f.fix.commands)


def _explain(rule_id: str) -> str:
    r = catalog().get(rule_id)
    if r is None:
        return ""
    refs = "".join(f'<li><a href="{_e(u)}" rel="noreferrer">{_e(u)}</a></li>' for u in r.references)
    return (f"<details><summary>explain {_e(r.id)}</summary><p>{_e(r.summary)}</p><p><b>Why:</b> "
            f"{_e(r.rationale)}</p><p><b>What is checked:</b> {_e(r.checks)}</p><p><b>How to fix:</b> "
            f"{_e(r.fix)}</p><ul>{refs}</ul></details>")


def _row(f: Finding, workload: str) -> str:
    res = f.resource
    where = ", ".join(_e(x) for x in (res.type, res.region) if x)
    loc = f'<div class="muted">at {_e(f.location)}</div>' if f.location else ""
    path = f'<div class="muted">path: {ARROW.join(_e(p) for p in f.path)}</div>' if f.path else ""
    family = re.sub(r"\d+$", "", f.rule)
    return (f'<tr class="finding" id="f-{_e(f.fingerprint)}" data-severity="{_e(f.severity.label)}" '
            f'data-family="{_e(family)}" data-workload="{_e(workload)}">'
            f'<td><span class="sev {_e(f.severity.label)}">{_e(f.severity.label)}</span></td>'
            f"<td><b>{_e(f.rule)}</b><br><span class=\"muted\">{_e(f.name)}</span>"
            f"{'<br><i>heuristic</i>' if f.heuristic else ''}</td>"
            f"<td>{_e(workload)}</td><td>{_e(res.id)}<div class=\"muted\">{where}</div></td>"
            f'<td class="msg">{_e(f.message)}{loc}{path}</td>'
            f"<td>{_e(f.fix.summary)}{_commands(f)}{_explain(f.rule)}</td></tr>")


def _options(name: str, label: str, values: list[str]) -> str:
    opts = "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in values)
    return f'<label>{_e(label)} <select name="{name}"><option value="">all</option>{opts}</select></label>'


def _read_section(result: RunResult) -> str:
    snap = result.snapshot
    res = snap.get("resources", {})
    items = [f"account {_e(snap.get('account') or 'not read')}",
             f"regions {_e(', '.join(snap.get('regions', [])) or 'none')}",
             f"{_e(snap.get('api_calls', 0))} API calls", f"{len(result.selected)} rules selected"]
    for i in snap.get("inputs", []):
        read = sum((i.get("read") or {}).values())
        ignored = sum((i.get("ignored") or {}).values())
        items.append(f"plan {_e(i.get('file'))} ({_e(i.get('format'))}): {read} resources read, {ignored} ignored")
    for s in res.get("sources", []) if isinstance(res.get("sources"), list) else []:
        items.append(f"source {_e(s.get('id'))}")
    out = ["<h2>What was read</h2><ul>", *(f"<li>{x}</li>" for x in items), "</ul>"]
    if result.gaps or result.not_evaluated or result.crashed:
        out.append("<h2>What was not</h2>")
        if result.gaps:
            out.append("<table><tr><th>region</th><th>IAM action</th><th>error</th></tr>")
            out += [f"<tr><td>{_e(g['region'])}</td><td><code>{_e(g['iam_action'])}</code></td>"
                    f"<td>{_e(g['error'])}</td></tr>" for g in result.gaps]
            out.append("</table>")
        if result.not_evaluated:
            out.append("<p>Not evaluated (missing data, not passing):</p><ul>")
            out += [f"<li><b>{_e(r)}</b>: {_e(why)}</li>" for r, why in sorted(result.not_evaluated.items())]
            out.append("</ul>")
        if result.crashed:
            out.append("<p>Crashed rules (a preflight bug; results are incomplete):</p><ul>")
            out += [f"<li><b>{_e(r)}</b>: {_e(err)}</li>" for r, err in sorted(result.crashed.items())]
            out.append("</ul>")
    return "".join(out)


def render(result: RunResult, options: Options | None = None) -> str:
    options = options or Options()
    snap = result.snapshot
    view = graphview.build(result)
    names = {str(w.get("name")) for w in snap.get("resources", {}).get("services", []) if isinstance(w, dict)}
    active = [f for f in result.findings if f.active]
    hidden = [f for f in result.findings if not f.active]
    workload = {f.fingerprint: workload_of(f, names) for f in result.findings}
    kind, text = _verdict(result, options)
    counts = "".join(f'<span class="sev {_e(s)}">{n} {_e(s)}</span>' for s, n in result.counts().items())
    script = _SCRIPT.strip()
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    scope = f"account {snap.get('account')}" if snap.get("account") else "no AWS account read"
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
           f"script-src 'sha256-{digest}'; img-src data:\">",
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>preflight report: {_e(text)}</title><style>{CSS}</style></head><body>",
           f"<h1>preflight {_e(__version__)}: {_e(scope)}</h1>",
           f'<p><span class="verdict {kind}" id="verdict">{_e(text)}</span></p>',
           f'<p class="counts" id="counts">{counts}</p>']
    if hidden:
        out.append(f'<p class="muted">{len(hidden)} more suppressed or in the baseline (listed at the end)</p>')
    out += [f'<p class="muted">Note: {_e(n)}</p>' for n in result.notes]
    out.append(_read_section(result))

    node_ids = {n["id"] for n in view["nodes"]}
    drawn = [w for w in sorted(names) if w in node_ids]
    worst: dict[str, Severity] = {}
    for f in active:
        w = workload[f.fingerprint]
        worst[w] = max(worst.get(w, f.severity), f.severity)
    severity_of = {w: worst.get(w) for w in drawn}
    drawn.sort(key=lambda w: (-int(severity_of[w] or 0) if severity_of[w] is not None else 1, w))
    out.append("<h2>Flows</h2>")
    if not drawn:
        out.append('<p class="muted">No workload in this scan.</p>')
    for w in drawn[:MAX_DRAWN]:
        sev = severity_of[w]
        tag = f' <span class="sev {_e(sev.label)}">{_e(sev.label)}</span>' if sev is not None else ""
        out.append(f'<section class="workload" data-workload="{_e(w)}"><h3>{_e(w)}{tag}</h3>'
                   f"{flow_svg(view, w)}</section>")
    if len(drawn) > MAX_DRAWN:
        rest = ", ".join(_e(w) for w in drawn[MAX_DRAWN:])
        out.append(f'<p class="muted">Not drawn (the first {MAX_DRAWN} by severity are): {rest}</p>')

    out.append(f'<h2>Findings ({len(active)})</h2>')
    if active:
        severities = [s.label for s in sorted(Severity, reverse=True) if any(f.severity == s for f in active)]
        families = sorted({re.sub(r"\d+$", "", f.rule) for f in active})
        workloads = sorted({workload[f.fingerprint] for f in active})
        out.append('<form id="filters" hidden>' + _options("severity", "severity", severities)
                   + _options("family", "rule family", families) + _options("workload", "workload", workloads)
                   + ' <span id="shown" class="muted"></span></form>')
        out.append('<table id="findings"><thead><tr><th>severity</th><th>rule</th><th>workload</th><th>resource</th>'
                   "<th>what is wrong</th><th>fix</th></tr></thead><tbody>")
        out += [_row(f, workload[f.fingerprint]) for f in active]
        out.append("</tbody></table>")
    else:
        out.append("<p>No findings.</p>")
    if hidden:
        out.append(f'<h2>Suppressed and baselined ({len(hidden)})</h2><table id="hidden"><tr><th>rule</th>'
                   "<th>resource</th><th>why hidden</th><th>expires</th></tr>")
        for f in hidden:
            why = (f"suppressed: {f.suppressed.reason} ({f.suppressed.source})" if f.suppressed
                   else "in the baseline")
            expires = f.suppressed.expires if f.suppressed and f.suppressed.expires else ""
            out.append(f'<tr class="hidden-finding"><td>{_e(f.rule)}</td><td>{_e(f.resource.id)}</td>'
                       f"<td>{_e(why)}</td><td>{_e(expires)}</td></tr>")
        out.append("</table>")
    out.append(f"<script>{script}</script>" if active else "")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
