"""`preflight graph`: the services, their flows and the paths the findings followed, drawn.

Nodes are the resources on the flows (service, connector, subnets, route tables, their targets,
databases) and every resource a finding's path names, each placed in its region and VPC (the
drawing groups them so, which is how the talk's cross-region story reads: two VPCs, a peering
between them, the database on the far side). Edges are the flow skeleton plus each consecutive
pair of a finding's path; only the hop where a path breaks, its last, is marked broken with the
rules that fired there, so the colour points at what to fix.
"""

from __future__ import annotations

import json
import re
from itertools import pairwise
from typing import Any

from preflight.engine import RunResult
from preflight.graph import ResourceGraph, is_awsvpc

# what an AWS id's prefix says it is, for the hops of a path that no record names
_KINDS = {"igw": "internet_gateway", "eigw": "egress_only_internet_gateway", "nat": "nat_gateway",
          "pcx": "vpc_peering_connection", "tgw": "transit_gateway", "tgw-attach": "transit_gateway_attachment",
          "tgw-rtb": "transit_gateway_route_table", "vpce": "vpc_endpoint", "vgw": "vpn_gateway",
          "rtb": "route_table", "subnet": "subnet", "sg": "security_group", "acl": "network_acl",
          "vpc": "vpc", "eni": "network_interface", "i": "instance", "pl": "prefix_list"}


def kind_of(ident: str) -> str:
    if re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", ident):
        return "region"
    if re.fullmatch(r"[a-z-]+/L-[0-9A-F]{8}", ident):
        return "service_quota"
    parts = ident.split("-")
    for n in (2, 1):
        found = _KINDS.get("-".join(parts[:n])) if len(parts) > n else None
        if found:
            return found
    return "resource"


def _places(snapshot: dict[str, Any]) -> dict[str, tuple[str | None, str | None]]:
    """(region, VPC) of every record by its id, name and ARN: where the drawing puts it."""
    res = snapshot.get("resources", {})
    subnet_vpc = {s["id"]: s.get("vpc") for s in res.get("subnets", [])}
    out: dict[str, tuple[str | None, str | None]] = {}
    for collection, records in res.items():
        for r in records if isinstance(records, list) else []:
            if not isinstance(r, dict):
                continue
            region = r.get("region") if isinstance(r.get("region"), str) else None
            vpc = r.get("vpc") if isinstance(r.get("vpc"), str) else None
            if collection == "vpcs":
                vpc = r.get("id")
            elif collection == "internet_gateways" and r.get("vpcs"):
                vpc = r["vpcs"][0]
            elif collection == "vpc_connectors":
                vpc = next((subnet_vpc.get(s) for s in r.get("subnets", []) if subnet_vpc.get(s)), None)
            elif collection == "nat_gateways":
                vpc = vpc or subnet_vpc.get(r.get("subnet") or "")
            for key in (r.get("id"), r.get("name"), r.get("arn")):
                if isinstance(key, str) and key:
                    out.setdefault(key, (region, vpc))
    return out


def build(result: RunResult) -> dict[str, Any]:
    g = ResourceGraph.build(result.snapshot)
    nodes: dict[str, str] = {}
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    places = _places(result.snapshot)

    def edge(a: str, b: str, rel: str) -> None:
        nodes.setdefault(a, kind_of(a))
        nodes.setdefault(b, kind_of(b))
        edges.setdefault((a, b), {"rel": rel, "rules": []})

    targets: dict[int, list[str]] = {}
    for flow in g.flows("database"):  # once: asking per workload walks every flow each time
        if flow.target is not None:
            targets.setdefault(id(flow.workload), []).append(flow.target["id"])
    for w in g.workloads:
        nodes[w["name"]] = "service"
        conn = g.connector_of(w)
        if conn is not None:
            cname = conn.get("name") or conn["arn"]
            nodes[cname] = "awsvpc_network" if is_awsvpc(conn) else "vpc_connector"
            edge(w["name"], cname, "egress")
            for sid in conn["subnets"]:
                subnet = g.subnet(conn["region"], sid)
                nodes[sid] = "subnet"
                edge(cname, sid, "attached")
                table = g.route_table_for(subnet) if subnet else None
                if table:
                    nodes[table["id"]] = "route_table"
                    edge(sid, table["id"], "uses")
        for target in targets.get(id(w), []):
            nodes[target] = "database"
            edge(w["name"], target, "flow")
    for f in result.findings:
        if not f.active:
            continue
        hops = [h for h in f.path if h]
        for h in hops:
            nodes.setdefault(h, f.resource.type if h == f.resource.id else kind_of(h))
        pairs = list(pairwise(hops))
        for a, b in pairs:
            edge(a, b, "path")
        if pairs:  # the path stops at its last hop: that is what the finding is about
            rules = edges[pairs[-1]]["rules"]
            if f.rule not in rules:
                rules.append(f.rule)
        if len(hops) == 1:
            nodes[hops[0]] = nodes.get(hops[0], f.resource.type)

    def place(n: str) -> tuple[str | None, str | None]:
        region, vpc = places.get(n, (None, None))
        return (n if nodes[n] == "region" else region), vpc

    return {"nodes": [{"id": n, "kind": k, "region": place(n)[0], "vpc": place(n)[1]}
                      for n, k in sorted(nodes.items())],
            "edges": [{"from": a, "to": b, "rel": e["rel"], "broken": bool(e["rules"]), "rules": e["rules"]}
                      for (a, b), e in sorted(edges.items())]}


def _groups(view: dict[str, Any]) -> dict[str | None, dict[str | None, list[dict[str, Any]]]]:
    """Nodes by region, then VPC (None: not in one)."""
    out: dict[str | None, dict[str | None, list[dict[str, Any]]]] = {}
    for n in view["nodes"]:
        out.setdefault(n.get("region"), {}).setdefault(n.get("vpc"), []).append(n)
    return out


def _mid(name: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _label(text: str) -> str:
    return text.replace('"', "'")


def mermaid(view: dict[str, Any]) -> str:
    out = ["flowchart LR"]
    for region, vpcs in sorted(_groups(view).items(), key=lambda kv: kv[0] or ""):
        indent = "  "
        if region:
            out.append(f'  subgraph {_mid("region " + region)}["{_label(region)}"]')
            indent = "    "
        for vpc, members in sorted(vpcs.items(), key=lambda kv: kv[0] or ""):
            inner = indent
            if vpc:
                out.append(f'{indent}subgraph {_mid("vpc " + vpc)}["{_label(vpc)}"]')
                inner = indent + "  "
            for n in members:
                out.append(f'{inner}{_mid(n["id"])}["{_label(n["id"])}<br/><small>{n["kind"]}</small>"]')
            if vpc:
                out.append(f"{indent}end")
        if region:
            out.append("  end")
    broken = []
    for i, e in enumerate(view["edges"]):
        label = f"|{' '.join(e['rules'])}|" if e["rules"] else ""
        arrow = "-.->" if e["rel"] == "flow" else "-->"
        out.append(f"  {_mid(e['from'])} {arrow}{label} {_mid(e['to'])}")
        if e["broken"]:
            broken.append(str(i))
    if broken:
        out.append(f"  linkStyle {','.join(broken)} stroke:#d00,stroke-width:2px")
    return "\n".join(out) + "\n"


def _q(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot(view: dict[str, Any]) -> str:
    out = ["digraph preflight {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];",
           "  edge [color=gray40];"]
    for r, (region, vpcs) in enumerate(sorted(_groups(view).items(), key=lambda kv: kv[0] or "")):
        indent = "  "
        if region:
            out += [f"  subgraph cluster_r{r} {{", f'    label="{_q(region)}"; style=rounded; color=gray60;']
            indent = "    "
        for v, (vpc, members) in enumerate(sorted(vpcs.items(), key=lambda kv: kv[0] or "")):
            inner = indent
            if vpc:
                out += [f"{indent}subgraph cluster_r{r}_v{v} {{", f'{indent}  label="{_q(vpc)}"; style=dashed;']
                inner = indent + "  "
            for n in members:
                out.append(f'{inner}"{_q(n["id"])}" [label="{_q(n["id"])}\\n{n["kind"]}"];')
            if vpc:
                out.append(f"{indent}}}")
        if region:
            out.append("  }")
    for e in view["edges"]:
        attrs = ['style=dashed'] if e["rel"] == "flow" else []
        if e["broken"]:
            attrs += ['color=red', 'penwidth=2', f'label="{" ".join(e["rules"])}"']
        out.append(f'  "{_q(e["from"])}" -> "{_q(e["to"])}"' + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    out.append("}")
    return "\n".join(out) + "\n"


def render(result: RunResult, fmt: str) -> str:
    view = build(result)
    if fmt == "json":
        return json.dumps(view, indent=2) + "\n"
    return mermaid(view) if fmt == "mermaid" else dot(view)
