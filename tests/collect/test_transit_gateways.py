"""Transit gateways and managed prefix lists read from moto: attachments joined with their VPC
subnets, TGW route tables with their routes (SearchTransitGatewayRoutes, filtered by state as
the API requires), prefix lists with their entries; then the engine routes over them."""

from __future__ import annotations

from typing import Any

import pytest
from moto.ec2.models.transit_gateway_route_tables import TransitGatewayRouteTableBackend

from preflight.collect import collect
from preflight.graph import ResourceGraph
from preflight.reach import BLOCKED, EPHEMERAL_ANY, REACHABLE, Source, to_subnet

REGION = "ap-northeast-1"


@pytest.fixture(autouse=True)
def _moto_lists_route_attachments(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto 5.2 keeps a TGW route's attachment as one object where the botocore model's
    `TransitGatewayAttachments` is a list, so it serializes as empty; mended here so that the
    response is shaped as AWS shapes it."""
    search = TransitGatewayRouteTableBackend.search_transit_gateway_routes

    def listed(self: Any, transit_gateway_route_table_id: str, filters: Any, max_results: Any = None) -> Any:
        out = []
        for route in search(self, transit_gateway_route_table_id, filters, max_results):
            attached = route.get("transitGatewayAttachments")
            out.append({**route, "transitGatewayAttachments": [attached] if isinstance(attached, dict) else attached})
        return out
    monkeypatch.setattr(TransitGatewayRouteTableBackend, "search_transit_gateway_routes", listed)


def _world(session: Any) -> dict[str, str]:
    ec2 = session.client("ec2", REGION)
    ids: dict[str, str] = {}
    for name, cidr in (("app", "10.0.0.0/16"), ("db", "192.168.0.0/16")):
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        sub = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace("0.0/16", "1.0/24"),
                                AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
        ids[name], ids[f"{name}_subnet"] = vpc, sub
    # the transit gateway's default route table: each VPC attachment is associated with it
    ids["tgw"] = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    for name in ("app", "db"):
        att = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=ids["tgw"], VpcId=ids[name],
                                                        SubnetIds=[ids[f"{name}_subnet"]])
        ids[f"{name}_att"] = att["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    described = ec2.describe_transit_gateway_attachments()["TransitGatewayAttachments"]
    ids["tgw_rtb"] = described[0]["Association"]["TransitGatewayRouteTableId"]
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=ids["tgw_rtb"], DestinationCidrBlock="10.0.0.0/16",
                                     TransitGatewayAttachmentId=ids["app_att"])
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=ids["tgw_rtb"], DestinationCidrBlock="192.168.0.0/16",
                                     TransitGatewayAttachmentId=ids["db_att"])
    for name, other in (("app", "192.168.0.0/16"), ("db", "10.0.0.0/16")):
        rtb = ec2.create_route_table(VpcId=ids[name])["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=ids[f"{name}_subnet"])
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock=other, TransitGatewayId=ids["tgw"])
    pl = ec2.create_managed_prefix_list(PrefixListName="corp", AddressFamily="IPv4", MaxEntries=5,
                                        Entries=[{"Cidr": "10.0.1.0/24"}])["PrefixList"]["PrefixListId"]
    ids["pl"] = pl
    for name in ("app", "db"):
        ids[f"{name}_sg"] = ec2.create_security_group(GroupName=f"{name}-sg", Description=name,
                                                      VpcId=ids[name])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=ids["db_sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "PrefixListIds": [{"PrefixListId": pl}]}])
    return ids


def _ask(doc: dict[str, Any], ids: dict[str, str]) -> Any:
    g = ResourceGraph.build(doc)
    app, db = g.subnet(REGION, ids["app_subnet"]), g.subnet(REGION, ids["db_subnet"])
    assert app is not None and db is not None
    src = Source(app, (g.security_group(REGION, ids["app_sg"]),), EPHEMERAL_ANY)  # type: ignore[arg-type]
    return to_subnet(g, src, db, (g.security_group(REGION, ids["db_sg"]),), 5432)  # type: ignore[arg-type]


def test_transit_gateway_and_prefix_lists_are_read_and_routed(session: Any) -> None:
    ids = _world(session)
    doc = collect(session, [REGION])
    res = doc["resources"]
    assert not [g for g in doc["gaps"] if "transit" in " ".join(g["collections"])]
    # each subnet keeps its owner (another account's in a shared VPC: tests/unit/test_fleet.py)
    assert {s["owner"] for s in res["subnets"]} == {doc["account"]}
    atts = {a["id"]: a for a in res["transit_gateway_attachments"]}
    assert atts[ids["app_att"]]["subnets"] == [ids["app_subnet"]]
    assert atts[ids["app_att"]]["route_table"] == ids["tgw_rtb"] and atts[ids["app_att"]]["type"] == "vpc"
    table = next(t for t in res["transit_gateway_route_tables"] if t["id"] == ids["tgw_rtb"])
    assert {r["destination"] for r in table["routes"]} == {"10.0.0.0/16", "192.168.0.0/16"}
    assert table["complete"] is True
    corp = next(p for p in res["prefix_lists"] if p["id"] == ids["pl"])
    assert corp["entries"] == ["10.0.1.0/24"] and corp["entries_read"] is True
    answer = _ask(doc, ids)
    assert answer.verdict == REACHABLE, answer.problems
    assert "tgw" in [h.kind for h in answer.legs[0].hops]


def test_a_blackhole_transit_gateway_route_is_read_as_one(session: Any) -> None:
    ids = _world(session)
    ec2 = session.client("ec2", REGION)
    ec2.delete_transit_gateway_route(TransitGatewayRouteTableId=ids["tgw_rtb"], DestinationCidrBlock="192.168.0.0/16")
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=ids["tgw_rtb"], DestinationCidrBlock="192.168.0.0/16",
                                     Blackhole=True)
    answer = _ask(collect(session, [REGION]), ids)
    assert answer.verdict == BLOCKED and answer.first.stage == "tgw"


def test_only_the_prefix_lists_something_names_are_read_entry_by_entry(session: Any) -> None:
    ids = _world(session)
    ec2 = session.client("ec2", REGION)
    spare = ec2.create_managed_prefix_list(PrefixListName="unused", AddressFamily="IPv4", MaxEntries=5,
                                           Entries=[{"Cidr": "10.9.0.0/16"}])["PrefixList"]["PrefixListId"]
    doc = collect(session, [REGION])
    lists = {p["id"]: p for p in doc["resources"]["prefix_lists"]}
    assert lists[ids["pl"]]["entries_read"] is True
    assert lists[spare]["entries_read"] is False and lists[spare]["entries"] == []
    assert doc["api_calls_by_operation"].get("ec2.GetManagedPrefixListEntries") == 1


def test_a_transit_gateway_peering_leads_into_its_other_region(session: Any) -> None:
    ids = _world(session)
    far = session.client("ec2", "us-west-2").create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    peering = session.client("ec2", REGION).create_transit_gateway_peering_attachment(
        TransitGatewayId=ids["tgw"], PeerTransitGatewayId=far, PeerAccountId="123456789012", PeerRegion="us-west-2")
    aid = peering["TransitGatewayPeeringAttachment"]["TransitGatewayAttachmentId"]
    doc = collect(session, [REGION])
    assert "us-west-2" in doc["regions"]
    mine = next(a for a in doc["resources"]["transit_gateway_attachments"] if a["id"] == aid and a["region"] == REGION)
    assert mine["peer_region"] == "us-west-2" and mine["type"] == "peering"
