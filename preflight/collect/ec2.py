"""EC2 networking: API calls (`get_*`) and pure transforms (`transform_*`) into snapshot records.

One paginated describe per resource type and region; nothing is fetched per resource except
the two VPC DNS attributes, which EC2 only serves one VPC at a time, and which are fetched only
for the VPCs a flow passes through (see `collect.dns_attribute_tasks`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from preflight.collect.aws import Operation
from preflight.collect.base import Task, paginate
from preflight.enums import (
    CIDR_IN_USE,
    IGW_ATTACHED,
    IPV6_CIDR_IN_USE,
    NAT_GONE,
    TGW_PEERING,
    TGW_ROUTE_READ,
    TGW_VPC,
    VPCE_GONE,
)

SERVICE = "ec2"


def _op(name: str) -> Operation:
    return Operation(SERVICE, name)


def _tags(raw: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in raw or ()}


# --- transforms (pure) -------------------------------------------------------------------

def transform_vpcs(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    out = []
    for v in raw:
        cidrs = [
            a["CidrBlock"] for a in v.get("CidrBlockAssociationSet", [])
            if a.get("CidrBlockState", {}).get("State", "associated") in CIDR_IN_USE
        ] or ([v["CidrBlock"]] if v.get("CidrBlock") else [])
        ipv6 = [
            a["Ipv6CidrBlock"] for a in v.get("Ipv6CidrBlockAssociationSet", [])
            if a.get("Ipv6CidrBlock")
            and a.get("Ipv6CidrBlockState", {}).get("State", "associated") in IPV6_CIDR_IN_USE
        ]
        out.append({
            "id": v["VpcId"], "region": region, "owner": v.get("OwnerId"),
            "cidrs": cidrs, "ipv6_cidrs": ipv6, "is_default": bool(v.get("IsDefault")),
            "dns_support": None, "dns_hostnames": None, "tags": _tags(v.get("Tags")),
        })
    return out


def transform_subnets(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [{
        "id": s["SubnetId"], "region": region, "vpc": s["VpcId"], "cidr": s.get("CidrBlock"),
        "owner": s.get("OwnerId"),  # another account's when the VPC is shared with this one (AWS RAM)
        "ipv6_cidrs": [a["Ipv6CidrBlock"] for a in s.get("Ipv6CidrBlockAssociationSet", [])
                       if a.get("Ipv6CidrBlock")],
        "az": s.get("AvailabilityZone"), "az_id": s.get("AvailabilityZoneId"),
        "ipv6_native": bool(s.get("Ipv6Native")),
        "available_ips": s.get("AvailableIpAddressCount"),
        "tags": _tags(s.get("Tags")),
    } for s in raw]


_TARGET_KEYS = (
    ("GatewayId", None), ("NatGatewayId", "nat"), ("VpcPeeringConnectionId", "pcx"),
    ("TransitGatewayId", "tgw"), ("NetworkInterfaceId", "eni"), ("InstanceId", "instance"),
    ("EgressOnlyInternetGatewayId", "eigw"), ("LocalGatewayId", "lgw"),
    ("CarrierGatewayId", "cagw"), ("CoreNetworkArn", "corenetwork"),
)


def route_target(route: dict[str, Any]) -> tuple[str, str]:
    """(kind, id) of a route's target. `GatewayId` covers local, igw-, vgw- and vpce-."""
    for key, kind in _TARGET_KEYS:
        value = route.get(key)
        if not value:
            continue
        if kind is not None:
            return kind, value
        if value == "local":
            return "local", "local"
        prefix = value.split("-", 1)[0]
        return {"igw": "igw", "vgw": "vgw", "vpce": "vpce"}.get(prefix, "gateway"), value
    return "unknown", ""


def transform_route_tables(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    out = []
    for t in raw:
        routes = []
        for r in t.get("Routes", []):
            dest = (r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock")
                    or r.get("DestinationPrefixListId"))
            if not dest:
                continue
            kind, target = route_target(r)
            routes.append({"destination": dest, "target_type": kind, "target": target,
                           "state": r.get("State", "active"), "origin": r.get("Origin")})
        assoc = t.get("Associations", [])
        out.append({
            "id": t["RouteTableId"], "region": region, "vpc": t["VpcId"],
            "main": any(a.get("Main") for a in assoc),
            "subnets": sorted(a["SubnetId"] for a in assoc if a.get("SubnetId")),
            "routes": routes, "tags": _tags(t.get("Tags")),
        })
    return out


def transform_internet_gateways(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [{
        "id": g["InternetGatewayId"], "region": region,
        "vpcs": [a["VpcId"] for a in g.get("Attachments", [])
                 if a.get("State") in IGW_ATTACHED],
        "tags": _tags(g.get("Tags")),
    } for g in raw]


def transform_nat_gateways(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [{
        "id": n["NatGatewayId"], "region": region, "vpc": n.get("VpcId"),
        "subnet": n.get("SubnetId"), "state": n.get("State"),
        "connectivity": n.get("ConnectivityType", "public"),
        "private_ips": [a["PrivateIp"] for a in n.get("NatGatewayAddresses", []) if a.get("PrivateIp")],
        "tags": _tags(n.get("Tags")),
    } for n in raw if n.get("State") not in NAT_GONE]


def _peer_side(info: dict[str, Any], default_region: str) -> dict[str, Any]:
    cidrs = [c["CidrBlock"] for c in info.get("CidrBlockSet", []) if c.get("CidrBlock")]
    if not cidrs and info.get("CidrBlock"):
        cidrs = [info["CidrBlock"]]
    options = info.get("PeeringOptions") or {}
    allow = options.get("AllowDnsResolutionFromRemoteVpc")
    return {
        "vpc": info.get("VpcId"), "region": info.get("Region") or default_region,
        "owner": info.get("OwnerId"), "cidrs": cidrs,
        "allow_dns_from_remote": allow if isinstance(allow, bool) else None,
    }


def transform_peerings(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [{
        "id": p["VpcPeeringConnectionId"], "region": region,
        "status": p.get("Status", {}).get("Code", "unknown"),
        "requester": _peer_side(p.get("RequesterVpcInfo", {}), region),
        "accepter": _peer_side(p.get("AccepterVpcInfo", {}), region),
        "tags": _tags(p.get("Tags")),
    } for p in raw]


def _sg_rules(perms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rules = []
    for p in perms:
        proto = str(p.get("IpProtocol", "-1"))
        rules.append({
            "protocol": "-1" if proto in ("-1", "all") else proto,
            "from_port": p.get("FromPort"), "to_port": p.get("ToPort"),
            "cidrs": [r["CidrIp"] for r in p.get("IpRanges", []) if r.get("CidrIp")],
            "ipv6_cidrs": [r["CidrIpv6"] for r in p.get("Ipv6Ranges", []) if r.get("CidrIpv6")],
            "groups": [{"id": g.get("GroupId"), "owner": g.get("UserId"), "vpc": g.get("VpcId"),
                        "peering": g.get("VpcPeeringConnectionId")}
                       for g in p.get("UserIdGroupPairs", [])],
            "prefix_lists": [x["PrefixListId"] for x in p.get("PrefixListIds", [])
                             if x.get("PrefixListId")],
        })
    return rules


def transform_security_groups(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [{
        "id": g["GroupId"], "region": region, "vpc": g.get("VpcId"), "name": g.get("GroupName"),
        "ingress": _sg_rules(g.get("IpPermissions", [])),
        "egress": _sg_rules(g.get("IpPermissionsEgress", [])),
        "tags": _tags(g.get("Tags")),
    } for g in raw]


def transform_network_acls(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    out = []
    for a in raw:
        entries = []
        for e in a.get("Entries", []):
            ports = e.get("PortRange") or {}
            entries.append({
                "rule": e.get("RuleNumber"), "egress": bool(e.get("Egress")),
                "protocol": str(e.get("Protocol", "-1")), "action": e.get("RuleAction"),
                "cidr": e.get("CidrBlock") or e.get("Ipv6CidrBlock"),
                "from_port": ports.get("From"), "to_port": ports.get("To"),
            })
        out.append({
            "id": a["NetworkAclId"], "region": region, "vpc": a.get("VpcId"),
            "default": bool(a.get("IsDefault")),
            "subnets": sorted(x["SubnetId"] for x in a.get("Associations", []) if x.get("SubnetId")),
            "entries": entries, "tags": _tags(a.get("Tags")),
        })
    return out


def transform_vpc_endpoints(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [{
        "id": e["VpcEndpointId"], "region": region, "vpc": e.get("VpcId"),
        "service": e.get("ServiceName"), "type": e.get("VpcEndpointType"),
        "state": str(e.get("State", "")).lower(), "subnets": e.get("SubnetIds", []),
        "route_tables": e.get("RouteTableIds", []),
        "security_groups": [g["GroupId"] for g in e.get("Groups", []) if g.get("GroupId")],
        "private_dns": bool(e.get("PrivateDnsEnabled")),
    } for e in raw if str(e.get("State", "")).lower() not in VPCE_GONE]


# --- transit gateways and managed prefix lists ---------------------------------------------

def transform_tgw_attachments(raw: dict[str, list[dict[str, Any]]], region: str) -> list[dict[str, Any]]:
    """Attachments as one region sees them, with a VPC attachment's subnets and a peering's
    far region joined from their own describes."""
    subnets = {a["TransitGatewayAttachmentId"]: list(a.get("SubnetIds") or []) for a in raw.get("vpc", [])}
    peers: dict[str, str | None] = {}
    for p in raw.get("peering", []):
        sides = [p.get("RequesterTgwInfo") or {}, p.get("AccepterTgwInfo") or {}]
        far = [side.get("Region") for side in sides if side.get("Region") and side.get("Region") != region]
        peers[p["TransitGatewayAttachmentId"]] = far[0] if far else region
    out = []
    for a in raw.get("attachments", []):
        assoc = a.get("Association") or {}
        aid = a["TransitGatewayAttachmentId"]
        out.append({
            "id": aid, "region": region, "tgw": a.get("TransitGatewayId"), "type": a.get("ResourceType"),
            "resource": a.get("ResourceId"), "owner": a.get("ResourceOwnerId"), "state": a.get("State"),
            "tgw_owner": a.get("TransitGatewayOwnerId"),  # a network account's gateway, shared through RAM
            "route_table": assoc.get("TransitGatewayRouteTableId"), "association_state": assoc.get("State"),
            "subnets": subnets.get(aid, []), "peer_region": peers.get(aid),
            "tags": _tags(a.get("Tags")),
        })
    return out


def transform_tgw_route_tables(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    out = []
    for t in raw:
        routes = [{
            "destination": r.get("DestinationCidrBlock") or r.get("PrefixListId"),
            "attachments": [x["TransitGatewayAttachmentId"] for x in r.get("TransitGatewayAttachments", [])
                            if x.get("TransitGatewayAttachmentId")],
            "state": r.get("State"), "type": r.get("Type"),
        } for r in t.get("Routes", [])]
        out.append({"id": t["TransitGatewayRouteTableId"], "region": region, "tgw": t.get("TransitGatewayId"),
                    "complete": bool(t.get("RoutesComplete", True)), "routes": routes,
                    "tags": _tags(t.get("Tags"))})
    return out


def transform_prefix_lists(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [{
        "id": p["PrefixListId"], "region": region, "name": p.get("PrefixListName"), "state": p.get("State"),
        "family": p.get("AddressFamily"), "owner": p.get("OwnerId"),
        "entries": [e["Cidr"] for e in p.get("Entries") or [] if e.get("Cidr")],
        "entries_read": p.get("Entries") is not None,
    } for p in raw]


def _fetch_tgw_attachments(client: Any, gap: Any) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"attachments": paginate(
        client, "DescribeTransitGatewayAttachments", "TransitGatewayAttachments")}
    kinds = {a.get("ResourceType") for a in out["attachments"]}
    for name, op, key, wanted in (
            ("vpc", "DescribeTransitGatewayVpcAttachments", "TransitGatewayVpcAttachments", TGW_VPC),
            ("peering", "DescribeTransitGatewayPeeringAttachments", "TransitGatewayPeeringAttachments", TGW_PEERING)):
        if not kinds & wanted:
            continue  # no attachment of that kind: nothing to join
        try:
            out[name] = paginate(client, op, key)
        except Exception as e:
            gap(_op(op), e)
    return out


def _fetch_tgw_route_tables(client: Any, gap: Any) -> list[dict[str, Any]]:
    """Every TGW route table with its routes. SearchTransitGatewayRoutes must be filtered: the
    states a packet cares about are asked for (active, blackhole); `AdditionalRoutesAvailable`
    on the last page means AWS returned fewer routes than the table holds."""
    tables = paginate(client, "DescribeTransitGatewayRouteTables", "TransitGatewayRouteTables")
    # MaxResults is left out: its documented default is 1000, the largest the model allows
    # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SearchTransitGatewayRoutes.html)
    for t in tables:
        routes: list[dict[str, Any]] = []
        more = False
        try:
            token: str | None = None
            while True:
                page = client.search_transit_gateway_routes(
                    TransitGatewayRouteTableId=t["TransitGatewayRouteTableId"],
                    Filters=[{"Name": "state", "Values": sorted(TGW_ROUTE_READ)}],
                    **({"NextToken": token} if token else {}))
                routes.extend(page.get("Routes", []))
                more = bool(page.get("AdditionalRoutesAvailable"))
                token = page.get("NextToken")
                if not token:
                    break
        except Exception as e:
            gap(_op("SearchTransitGatewayRoutes"), e)
            more = True
        t["Routes"], t["RoutesComplete"] = routes, not more
    return tables


def _fetch_prefix_lists(client: Any, _gap: Any) -> list[dict[str, Any]]:
    """Every managed prefix list (the account's and AWS's); entries come later, for the lists a
    route or a security group rule names (`prefix_list_entries_task`)."""
    return paginate(client, "DescribeManagedPrefixLists", "PrefixLists")


def referenced_prefix_lists(resources: dict[str, list[dict[str, Any]]]) -> dict[str, set[str]]:
    """region -> prefix-list ids that a route (VPC or transit gateway) or a security group rule names."""
    out: dict[str, set[str]] = {}
    for t in resources.get("route_tables", []) + resources.get("transit_gateway_route_tables", []):
        for r in t["routes"]:
            if str(r.get("destination") or "").startswith("pl-"):
                out.setdefault(t["region"], set()).add(r["destination"])
    for sg in resources.get("security_groups", []):
        for rule in sg["ingress"] + sg["egress"]:
            out.setdefault(sg["region"], set()).update(rule.get("prefix_lists") or [])
    return {r: ids for r, ids in out.items() if ids}


def prefix_list_entries_task(region: str, ids: list[str]) -> Task:
    op = _op("GetManagedPrefixListEntries")

    def fetch(client: Any, gap: Any) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for pl in ids:
            try:
                found[pl] = [e["Cidr"] for e in paginate(client, op.name, "Entries", PrefixListId=pl) if e.get("Cidr")]
            except Exception as e:
                gap(op, e)  # that list stays unread; the engine says so where it matters
                break
        return found

    def transform(raw: dict[str, list[str]], region: str) -> list[dict[str, Any]]:
        return [{"id": pl, "region": region, "entries": cidrs} for pl, cidrs in sorted(raw.items())]
    return Task("prefix_list_entries", op, region, fetch, transform, gap_collections=("prefix_lists",))


def attach_prefix_list_entries(resources: dict[str, list[dict[str, Any]]]) -> None:
    entries = {(e["region"], e["id"]): e["entries"] for e in resources.pop("prefix_list_entries", [])}
    for pl in resources.get("prefix_lists", []):
        found = entries.get((pl["region"], pl["id"]))
        if found is not None:
            pl["entries"], pl["entries_read"] = found, True


# --- the table that wires API calls to transforms ---------------------------------------

# collection -> (operation, result key, transform)
COLLECTIONS: dict[str, tuple[str, str, Any]] = {
    "vpcs": ("DescribeVpcs", "Vpcs", transform_vpcs),
    "subnets": ("DescribeSubnets", "Subnets", transform_subnets),
    "route_tables": ("DescribeRouteTables", "RouteTables", transform_route_tables),
    "internet_gateways": ("DescribeInternetGateways", "InternetGateways",
                          transform_internet_gateways),
    "nat_gateways": ("DescribeNatGateways", "NatGateways", transform_nat_gateways),
    "peerings": ("DescribeVpcPeeringConnections", "VpcPeeringConnections", transform_peerings),
    "security_groups": ("DescribeSecurityGroups", "SecurityGroups", transform_security_groups),
    "network_acls": ("DescribeNetworkAcls", "NetworkAcls", transform_network_acls),
    "vpc_endpoints": ("DescribeVpcEndpoints", "VpcEndpoints", transform_vpc_endpoints),
}

# collection -> (first operation, fetch, transform) for the reads that join several calls
JOINED: dict[str, tuple[str, Any, Any]] = {
    "transit_gateway_attachments": ("DescribeTransitGatewayAttachments", _fetch_tgw_attachments,
                                    transform_tgw_attachments),
    "transit_gateway_route_tables": ("DescribeTransitGatewayRouteTables", _fetch_tgw_route_tables,
                                     transform_tgw_route_tables),
    "prefix_lists": ("DescribeManagedPrefixLists", _fetch_prefix_lists, transform_prefix_lists),
}
JOINED_OPERATIONS = ("DescribeTransitGatewayVpcAttachments", "DescribeTransitGatewayPeeringAttachments",
                     "SearchTransitGatewayRoutes", "GetManagedPrefixListEntries")

OPERATIONS = (*tuple(_op(op) for op, _, _ in COLLECTIONS.values()), _op("DescribeVpcAttribute"),
              *tuple(_op(op) for op, _, _ in JOINED.values()), *tuple(_op(op) for op in JOINED_OPERATIONS))


def tasks(region: str) -> list[Task]:
    out = []
    for collection, (op, key, transform) in COLLECTIONS.items():
        def fetch(client: Any, _gap: Any, op: str = op, key: str = key) -> list[dict[str, Any]]:
            return paginate(client, op, key)
        out.append(Task(collection, _op(op), region, fetch, transform))
    for collection, (op, joined, transform) in JOINED.items():
        out.append(Task(collection, _op(op), region, joined, transform))
    return out


def get_vpc_dns_attributes(client: Any, vpc_id: str) -> tuple[bool, bool]:
    support = client.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")
    hostnames = client.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
    return (bool(support["EnableDnsSupport"]["Value"]),
            bool(hostnames["EnableDnsHostnames"]["Value"]))
