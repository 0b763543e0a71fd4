"""`preflight graph`: the demo account's flows with the broken edges marked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CliRun


def test_json_view_marks_where_the_packets_stop(cli: CliRun) -> None:
    code, out, _ = cli(["graph", "--format", "json"])
    view = json.loads(out)
    kinds = {n["id"]: n["kind"] for n in view["nodes"]}
    assert code == 0 and kinds["talk-be"] == "service" and kinds["talk-connector"] == "vpc_connector"
    broken = {(e["from"], e["to"]): e["rules"] for e in view["edges"] if e["broken"]}
    # only the hop where the path stops is broken: the route to the internet gateway, not the
    # service's edge to its connector
    assert any(a.startswith("rtb-") and b.startswith("igw-") and "NET003" in rules
               for (a, b), rules in broken.items())
    assert ("talk-be", "talk-connector") not in broken
    flow = next(e for e in view["edges"] if e["rel"] == "flow")
    assert (flow["from"], flow["to"]) == ("talk-be", "talk-db")
    assert not any(e["broken"] for e in view["edges"] if e["from"] == "talk-fe")


def test_mermaid_and_dot(tmp_path: Path, cli: CliRun) -> None:
    code, out, _ = cli(["graph"])
    assert code == 0 and out.startswith("flowchart LR") and "linkStyle" in out and "NET003|" in out
    target = tmp_path / "g.dot"
    code, out, _ = cli(["graph", "--format", "dot", "-o", str(target)])
    text = target.read_text()
    assert code == 0 and out == "" and text.startswith("digraph preflight") and 'color=red' in text


def test_nodes_are_placed_in_their_region_and_vpc(cli: CliRun) -> None:
    _, out, _ = cli(["graph", "--format", "json"])
    where = {n["id"]: (n["region"], n["vpc"]) for n in json.loads(out)["nodes"]}
    assert where["talk-db"][0] == "ap-northeast-2" and where["talk-db"][1]
    assert where["talk-connector"][0] == "ap-northeast-1" and where["talk-connector"][1]
    assert where["talk-db"][1] != where["talk-connector"][1]  # the talk's two VPCs, peered
    assert where["talk-be"] == ("ap-northeast-1", None)  # App Runner runs outside the VPC


def test_dot_groups_by_region_and_vpc_and_renders(tmp_path: Path, cli: CliRun) -> None:
    import shutil
    import subprocess

    _, text, _ = cli(["graph", "--format", "dot"])
    assert 'label="ap-northeast-2"' in text and text.count("subgraph cluster_") >= 4
    assert text.count("color=red") == text.count("label=\"NET") + text.count("label=\"QTA")
    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot is not installed (apt-get install graphviz) to render the drawing")
    (tmp_path / "g.dot").write_text(text)
    svg = subprocess.run(["dot", "-Tsvg", str(tmp_path / "g.dot")], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    # graphviz writes '-' as &#45; in SVG text
    assert "<svg" in svg and "talk&#45;db" in svg and "ap&#45;northeast&#45;2" in svg and "vpc_peering_connection" in svg


def test_mermaid_groups_by_region_and_vpc(cli: CliRun) -> None:
    _, text, _ = cli(["graph"])
    assert 'subgraph n_region_ap_northeast_2["ap-northeast-2"]' in text and text.count("subgraph") >= 4
    assert text.count("subgraph") == text.count("\n    end") + text.count("\n  end")


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
