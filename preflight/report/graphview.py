"""`preflight graph`: the services, their flows and the paths the findings followed, drawn.

Nodes are the resources on the flows (service, connector, subnets, route tables, their
targets, databases) and every resource a finding's path names; edges are the flow skeleton
plus each consecutive pair of a finding's path, marked broken with the rules that fired there.
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
    parts = ident.split("-")
    for n in (2, 1):
        found = _KINDS.get("-".join(parts[:n])) if len(parts) > n else None
        if found:
            return found
    return "resource"


def build(result: RunResult) -> dict[str, Any]:
    g = ResourceGraph.build(result.snapshot)
    nodes: dict[str, str] = {}
    edges: dict[tuple[str, str], dict[str, Any]] = {}

    def edge(a: str, b: str, rel: str) -> None:
        nodes.setdefault(a, kind_of(a))
        nodes.setdefault(b, kind_of(b))
        edges.setdefault((a, b), {"rel": rel, "rules": []})

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
        for flow in g.flows("database"):
            if flow.workload is w and flow.target is not None:
                nodes[flow.target["id"]] = "database"
                edge(w["name"], flow.target["id"], "flow")
    for f in result.findings:
        if not f.active:
            continue
        hops = [h for h in f.path if h]
        for h in hops:
            nodes.setdefault(h, f.resource.type if h == f.resource.id else kind_of(h))
        for a, b in pairwise(hops):
            edge(a, b, "path")
            rules = edges[(a, b)]["rules"]
            if f.rule not in rules:
                rules.append(f.rule)
        if len(hops) == 1:
            nodes[hops[0]] = nodes.get(hops[0], f.resource.type)
    return {"nodes": [{"id": n, "kind": k} for n, k in sorted(nodes.items())],
            "edges": [{"from": a, "to": b, "rel": e["rel"], "broken": bool(e["rules"]), "rules": e["rules"]}
                      for (a, b), e in sorted(edges.items())]}


def _mid(name: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def mermaid(view: dict[str, Any]) -> str:
    out = ["flowchart LR"]
    for n in view["nodes"]:
        out.append(f'  {_mid(n["id"])}["{n["id"]}<br/><small>{n["kind"]}</small>"]')
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


def dot(view: dict[str, Any]) -> str:
    out = ["digraph preflight {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    for n in view["nodes"]:
        out.append(f'  "{n["id"]}" [label="{n["id"]}\\n{n["kind"]}"];')
    for e in view["edges"]:
        attrs = ['style=dashed'] if e["rel"] == "flow" else []
        if e["broken"]:
            attrs += ['color=red', 'penwidth=2', f'label="{" ".join(e["rules"])}"']
        out.append(f'  "{e["from"]}" -> "{e["to"]}"' + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    out.append("}")
    return "\n".join(out) + "\n"


def render(result: RunResult, fmt: str) -> str:
    view = build(result)
    if fmt == "json":
        return json.dumps(view, indent=2) + "\n"
    return mermaid(view) if fmt == "mermaid" else dot(view)
