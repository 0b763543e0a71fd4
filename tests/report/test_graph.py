"""`preflight graph`: the demo account's flows with the broken edges marked."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CliRun


def test_json_view_marks_where_the_packets_stop(cli: CliRun) -> None:
    code, out, _ = cli(["graph", "--format", "json"])
    view = json.loads(out)
    kinds = {n["id"]: n["kind"] for n in view["nodes"]}
    assert code == 0 and kinds["talk-be"] == "service" and kinds["talk-connector"] == "vpc_connector"
    broken = {(e["from"], e["to"]): e["rules"] for e in view["edges"] if e["broken"]}
    assert any(a == "talk-connector" and "NET003" in rules for (a, _), rules in broken.items())
    flow = next(e for e in view["edges"] if e["rel"] == "flow")
    assert (flow["from"], flow["to"]) == ("talk-be", "talk-db")
    assert not any(e["broken"] for e in view["edges"] if e["from"] == "talk-fe")


def test_mermaid_and_dot(tmp_path: Path, cli: CliRun) -> None:
    code, out, _ = cli(["graph"])
    assert code == 0 and out.startswith("flowchart LR") and "linkStyle" in out and "|NET003|" in out
    target = tmp_path / "g.dot"
    code, out, _ = cli(["graph", "--format", "dot", "-o", str(target)])
    text = target.read_text()
    assert code == 0 and out == "" and text.startswith("digraph preflight") and 'color=red' in text


def test_graph_of_a_bad_snapshot_is_one_line(tmp_path: Path, cli: CliRun) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("[]")
    code, out, err = cli(["graph", "--snapshot", str(bad)])
    assert code == 2 and out == "" and err.count("\n") == 1


def test_hops_without_a_record_are_named_by_their_id_prefix() -> None:
    from preflight.report.graphview import kind_of

    assert kind_of("tgw-rtb-0abc") == "transit_gateway_route_table"
    assert kind_of("tgw-attach-0abc") == "transit_gateway_attachment"
    assert kind_of("tgw-0abc") == "transit_gateway"
    assert kind_of("nat-0abc") == "nat_gateway" and kind_of("acl-1") == "network_acl"
    assert kind_of("talk-db") == "resource" and kind_of("internet") == "resource"
