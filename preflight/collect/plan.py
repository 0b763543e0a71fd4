"""Planned infrastructure: CloudFormation templates (JSON or YAML, CDK output included) and
Terraform plans (`terraform show -json`), turned into the same snapshot records the live
collectors produce, so that every rule runs on what is about to be deployed.

A planned resource's id is its address (`cfn:LogicalId`, `tf:aws_vpc.main`) unless the plan
names a real one; a reference to another planned resource resolves to that address, a value
only known after deployment is None, and a rule that needs it stays silent rather than pass.
Every record carries `_location` (file and line), which findings inherit.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from preflight.errors import InputError
from preflight.redact import summarize_env
from preflight.snapshot import empty_resources, read_text

Records = dict[str, list[dict[str, Any]]]
log = logging.getLogger(__name__)
_INTRINSICS = (
    "Ref",
    "Condition",
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::FindInMap",
    "Fn::GetAtt",
    "Fn::GetAZs",
    "Fn::ImportValue",
    "Fn::Join",
    "Fn::Select",
    "Fn::Split",
    "Fn::Sub",
    "Fn::If",
    "Fn::Equals",
    "Fn::And",
    "Fn::Or",
    "Fn::Not",
    "Fn::Transform",
    "Fn::Length",
    "Fn::ToJsonString",
)


# Properties whose value decides a rule: when one is known only after deployment (Fn::If,
# Fn::ImportValue, an unresolvable Sub...), the rules that read that resource type are reported
# as not evaluated instead of silently passing.
_DECISIVE = frozenset(
    {
        "VpcId",
        "PeerVpcId",
        "PeerRegion",
        "SubnetId",
        "SubnetIds",
        "Subnets",
        "CidrBlock",
        "DestinationCidrBlock",
        "RouteTableId",
        "GatewayId",
        "NatGatewayId",
        "VpcPeeringConnectionId",
        "TransitGatewayId",
        "SecurityGroups",
        "VPCSecurityGroups",
        "GroupId",
        "SecurityGroupIngress",
        "SecurityGroupEgress",
        "CidrIp",
        "FromPort",
        "ToPort",
        "InstanceRoleArn",
        "VpcConnectorArn",
        "EgressType",
        "PubliclyAccessible",
        "Port",
        "AccessRoleArn",
        "RuntimeEnvironmentSecrets",
        "AssumeRolePolicyDocument",
        "Policies",
        "DBSubnetGroupName",
        "NetworkConfiguration",
        "AwsvpcConfiguration",
        "AssignPublicIp",
        "ExecutionRoleArn",
        "TaskDefinition",
        "ContainerDefinitions",
        "Image",
        "Secrets",
        "ValueFrom",
        "RouteTableIds",
        "SecurityGroupIds",
        "PrivateDnsEnabled",
        "VpcEndpointType",
    }
)
_COLLECTION_OF = {
    "AWS::EC2::VPC": "vpcs",
    "AWS::EC2::Subnet": "subnets",
    "AWS::EC2::RouteTable": "route_tables",
    "AWS::EC2::Route": "route_tables",
    "AWS::EC2::SubnetRouteTableAssociation": "route_tables",
    "AWS::EC2::InternetGateway": "internet_gateways",
    "AWS::EC2::VPCGatewayAttachment": "internet_gateways",
    "AWS::EC2::NatGateway": "nat_gateways",
    "AWS::EC2::VPCPeeringConnection": "peerings",
    "AWS::EC2::SecurityGroup": "security_groups",
    "AWS::EC2::SecurityGroupIngress": "security_groups",
    "AWS::EC2::SecurityGroupEgress": "security_groups",
    "AWS::RDS::DBInstance": "db_instances",
    "AWS::RDS::DBSubnetGroup": "db_subnet_groups",
    "AWS::AppRunner::VpcConnector": "vpc_connectors",
    "AWS::AppRunner::Service": "services",
    "AWS::IAM::Role": "roles",
    "AWS::ECS::Service": "services",
    "AWS::ECS::TaskDefinition": "services",
    "AWS::EC2::VPCEndpoint": "vpc_endpoints",
}
PLAN_GAPS = "_gaps"  # the key under which a loader returns its unknowns, as snapshot gaps
INPUTS = "_inputs"  # the key under which a loader says what it read from its file

_IDENTITY_ATTRS = frozenset(
    {
        "Arn",
        "GroupId",
        "VpcConnectorArn",
        "Id",
        "ServiceArn",
        "RoleId",
        "VpcId",
        "SubnetId",
        "AllocationId",
        "DBInstanceArn",
    }
)


def planned_db_host(address: str, region: str) -> str:
    """A stand-in endpoint for a planned database, so that a service whose environment names it
    (DB_HOST: !GetAtt Db.Endpoint.Address) gets a flow to it like a live one would."""
    label = re.sub(r"[^a-z0-9-]", "-", address.lower())[:60]
    return f"{label}.planned.{region}.rds.amazonaws.com"


# --- CloudFormation YAML with short-form tags ----------------------------------------------------


class _CfnLoader(yaml.SafeLoader):  # type: ignore[misc]
    pass


def _tag(name: str) -> Any:
    full = name if name in ("Ref", "Condition") else f"Fn::{name}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if full == "Fn::GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {full: value}

    return construct


for _name in (
    "Ref",
    "Condition",
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAtt",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "If",
    "Equals",
    "And",
    "Or",
    "Not",
    "Transform",
    "Length",
    "ToJsonString",
):
    _CfnLoader.add_constructor(f"!{_name}", _tag(_name))


def _resource_lines(text: str, names: list[str]) -> dict[str, int]:
    """Line of each logical id's declaration (works for JSON and YAML alike)."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        for name in names:
            if name not in lines and (stripped.startswith((f"{name}:", f'"{name}"', f"'{name}'"))):
                lines[name] = number
    return lines


@dataclass
class _Cfn:
    resources: dict[str, Any]
    parameters: dict[str, Any]
    region: str
    account: str
    lines: dict[str, int]
    file: str
    out: Records = field(default_factory=empty_resources)
    unknowns: list[tuple[str, str]] = field(default_factory=list)  # (logical id, property)
    current: str = ""

    def resolve(self, value: Any) -> Any:
        """Intrinsic functions resolved as far as the template and parameters allow."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1 and next(iter(value)) in _INTRINSICS:
            try:
                return self._intrinsic(*next(iter(value.items())))
            except (ValueError, TypeError, IndexError, AttributeError, KeyError):
                return None  # a malformed intrinsic is as unknown as an unresolvable one
        return self._properties(value)

    def _intrinsic(self, key: str, arg: Any) -> Any:
        if key == "Ref":
            if arg in self.parameters:
                return self.parameters[arg]
            if arg == "AWS::Region":
                return self.region
            if arg == "AWS::AccountId":
                return self.account
            if arg in self.resources:
                return f"cfn:{arg}"
            return None
        if key == "Fn::GetAtt":
            parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
            target, attr = str(parts[0]), ".".join(map(str, parts[1:]))
            if target not in self.resources:
                return None
            if attr in _IDENTITY_ATTRS:
                return f"cfn:{target}"  # the same id the planned record carries
            if attr == "Endpoint.Address":
                return planned_db_host(target, self.region)
            return f"cfn:{target}.{attr}"
        if key == "Fn::Sub":
            template, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

            def sub(m: re.Match[str]) -> str:
                name = m.group(1)
                v = (
                    extra.get(name)
                    if isinstance(extra, dict) and name in extra
                    else self.resolve({"Ref": name} if "." not in name else {"Fn::GetAtt": name.split(".", 1)})
                )
                if v is None:
                    raise LookupError(name)
                return str(v)

            try:
                return re.sub(r"\$\{([^}!][^}]*)\}", sub, str(template))
            except LookupError:
                return None
        if key == "Fn::Join":
            sep, items = arg
            parts = self.resolve(items)
            return (
                None
                if not isinstance(parts, list) or any(p is None for p in parts)
                else str(sep).join(str(p) for p in parts)
            )
        if key == "Fn::Select":
            index, items = self.resolve(arg)
            try:
                return items[int(index)]
            except (TypeError, ValueError, IndexError):
                return None
        if key == "Fn::Split":
            sep, text = arg
            text = self.resolve(text)
            return text.split(sep) if isinstance(text, str) else None
        return None  # Fn::If, FindInMap, ImportValue...: not known before deployment

    def _properties(self, value: dict[str, Any]) -> dict[str, Any]:
        """A mapping of properties, noting decisive ones that resolved to nothing."""
        out = {}
        for k, v in value.items():
            resolved = self.resolve(v)
            lost = (resolved is None and v is not None) or (
                isinstance(v, list)
                and isinstance(resolved, list)
                and any(r is None and o is not None for r, o in zip(resolved, v, strict=False))
            )
            if lost and k in _DECISIVE and self.current:
                self.unknowns.append((self.current, k))
            out[k] = resolved
        return out

    def props(self, logical: str) -> dict[str, Any]:
        self.current = logical
        props = self.resolve(self.resources[logical].get("Properties") or {})
        self.current = ""
        return props if isinstance(props, dict) else {}

    def loc(self, logical: str) -> dict[str, Any]:
        return {"file": self.file, "line": self.lines.get(logical), "address": logical}


def planned_vpc(
    rid: str,
    region: str,
    account: str,
    cidrs: list[str],
    dns_support: bool,
    dns_hostnames: bool,
    tags: dict[str, str],
    loc: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A planned VPC and the main route table AWS creates with it (local routes only)."""
    vpc = {
        "id": rid,
        "region": region,
        "owner": account,
        "cidrs": cidrs,
        "ipv6_cidrs": [],
        "is_default": False,
        "dns_support": dns_support,
        "dns_hostnames": dns_hostnames,
        "tags": tags,
        "_location": loc,
    }
    main = {
        "id": f"{rid}.main",
        "region": region,
        "vpc": rid,
        "main": True,
        "subnets": [],
        "tags": {},
        "_location": loc,
        "routes": [{"destination": c, "target_type": "local", "target": "local", "state": "active"} for c in cidrs],
    }
    return vpc, main


def planned_peering(
    rid: str, region: str, account: str, vpc: Any, peer_vpc: Any, peer_region: Any, peer_owner: Any, loc: dict[str, Any]
) -> dict[str, Any]:
    """A planned peering: not accepted yet; the sides' CIDRs are filled in by `_link`."""

    def side(vpc_id: Any, side_region: str, owner: str) -> dict[str, Any]:
        return {"vpc": vpc_id, "region": side_region, "owner": owner, "cidrs": [], "allow_dns_from_remote": None}

    return {
        "id": rid,
        "region": region,
        "status": "pending-acceptance",
        "tags": {},
        "_location": loc,
        "requester": side(vpc, region, account),
        "accepter": side(peer_vpc, peer_region or region, peer_owner or account),
    }


def planned_db(ident: str, region: str, engine: Any, address: str | None, port: int, public: bool | None,
               subnet_group: Any, security_groups: list[str], loc: dict[str, Any]) -> dict[str, Any]:
    """A planned RDS instance; its VPC and subnets come from its subnet group in `_link`."""
    return {"id": ident, "arn": None, "kind": "instance", "region": region, "engine": engine, "address": address,
            "port": port, "reader_address": None, "publicly_accessible": public, "vpc": None,
            "subnet_group": subnet_group, "subnets": [], "security_groups": security_groups, "cluster": None,
            "_location": loc}


def planned_subnet_group(name: str, region: str, subnets: list[str], alias: str) -> dict[str, Any]:
    return {"name": name, "region": region, "vpc": None, "subnets": subnets, "_alias": alias}


def planned_connector(rid: str, name: str, region: str, subnets: list[str], security_groups: list[str],
                      loc: dict[str, Any]) -> dict[str, Any]:
    return {"arn": rid, "name": name, "region": region, "subnets": subnets, "security_groups": security_groups,
            "status": "PLANNED", "_location": loc}


def planned_endpoint(rid: str, region: str, vpc: Any, service: Any, kind: Any, subnets: list[str],
                     route_tables: list[str], security_groups: list[str], private_dns: Any,
                     loc: dict[str, Any]) -> dict[str, Any]:
    return {"id": rid, "region": region, "vpc": vpc, "service": service, "type": str(kind or "Gateway"),
            "state": "available", "subnets": subnets, "route_tables": route_tables,
            "security_groups": security_groups, "private_dns": bool(private_dns), "_location": loc}


def planned_role(rid: str, name: str, trust: Any, inline: list[tuple[str, Any]], managed: list[str],
                 loc: dict[str, Any]) -> dict[str, Any]:
    """A planned role with its inline policies; `managed` (policy ARNs) is resolved by
    `_complete_roles` once every policy the plan defines is known."""
    return {"arn": rid, "name": name, "exists": True, "complete": True, "_managed": managed, "trust": trust,
            "boundary": None, "tags": {}, "_location": loc,
            "policies": [{"name": n, "kind": "inline", "arn": None, "document": d} for n, d in inline]}


def _ids(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v is not None]


def _rules(perms: Any, egress: bool = False) -> list[dict[str, Any]]:
    out = []
    for p in perms if isinstance(perms, list) else []:
        if not isinstance(p, dict):
            continue
        proto = str(p.get("IpProtocol", "-1"))
        out.append(
            {
                "protocol": "-1" if proto in ("-1", "all") else proto,
                "from_port": _int(p.get("FromPort")),
                "to_port": _int(p.get("ToPort")),
                "cidrs": _ids(p.get("CidrIp")),
                "ipv6_cidrs": _ids(p.get("CidrIpv6")),
                "groups": [
                    {"id": g, "owner": None, "vpc": None, "peering": None}
                    for g in _ids(p.get("DestinationSecurityGroupId" if egress else "SourceSecurityGroupId"))
                ],
                "prefix_lists": _ids(p.get("DestinationPrefixListId" if egress else "SourcePrefixListId")),
            }
        )
    return out


def _int(v: Any) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _target(cfn: _Cfn, value: Any) -> str:
    """Route target kind from the referenced planned resource's type, or the id's prefix."""
    text = str(value or "")
    if text.startswith("cfn:"):
        rtype = cfn.resources.get(text[4:].split(".")[0], {}).get("Type", "")
        return {
            "AWS::EC2::InternetGateway": "igw",
            "AWS::EC2::NatGateway": "nat",
            "AWS::EC2::VPCPeeringConnection": "pcx",
            "AWS::EC2::TransitGateway": "tgw",
        }.get(rtype, "gateway")
    return {"igw": "igw", "nat": "nat", "pcx": "pcx", "tgw": "tgw", "vgw": "vgw", "eni": "eni"}.get(
        text.split("-", 1)[0], "gateway"
    )


# the resource types the CloudFormation reader turns into records; any other type is listed as
# ignored in the report's scan.inputs
_CFN_READ = frozenset({
    "AWS::AppRunner::Service", "AWS::AppRunner::VpcConnector", "AWS::EC2::InternetGateway", "AWS::EC2::NatGateway",
    "AWS::EC2::Route", "AWS::EC2::RouteTable", "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::SecurityGroupIngress", "AWS::EC2::Subnet", "AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::VPC",
    "AWS::EC2::VPCEndpoint", "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::VPCPeeringConnection", "AWS::ECS::Service",
    "AWS::ECS::TaskDefinition", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::IAM::Role",
    "AWS::RDS::DBInstance", "AWS::RDS::DBSubnetGroup",
})


def load_cloudformation(path: str, text: str, parameters: dict[str, str], region: str, account: str) -> Records:
    try:
        doc = json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, Loader=_CfnLoader)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        mark = getattr(e, "problem_mark", None)
        raise InputError(
            path,
            f"not a CloudFormation template: {str(e).splitlines()[0]}",
            (mark.line + 1) if mark else getattr(e, "lineno", None),
        ) from e
    if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict):
        raise InputError(path, "not a CloudFormation template (no Resources mapping)")
    params = {
        k: (parameters[k] if k in parameters else (v or {}).get("Default"))
        for k, v in (doc.get("Parameters") or {}).items()
        if isinstance(v, dict) or v is None
    }
    resources = {k: v for k, v in doc["Resources"].items() if isinstance(v, dict)}
    cfn = _Cfn(resources, params, region, account, _resource_lines(text, list(resources)), path)
    out = cfn.out
    tables: dict[str, dict[str, Any]] = {}
    for logical, res in resources.items():
        rtype, p, rid, loc = res.get("Type"), cfn.props(logical), f"cfn:{logical}", cfn.loc(logical)
        if rtype == "AWS::EC2::VPC":
            vpc, main = planned_vpc(
                rid,
                region,
                account,
                _ids(p.get("CidrBlock")),
                p.get("EnableDnsSupport", True) in (True, "true"),
                p.get("EnableDnsHostnames", False) in (True, "true"),
                {},
                loc,
            )
            out["vpcs"].append(vpc)
            tables[main["id"]] = main
        elif rtype == "AWS::EC2::Subnet":
            out["subnets"].append(
                {
                    "id": rid,
                    "region": region,
                    "vpc": p.get("VpcId"),
                    "cidr": p.get("CidrBlock"),
                    "ipv6_cidrs": [],
                    "az": p.get("AvailabilityZone"),
                    "tags": {},
                    "_location": loc,
                }
            )
        elif rtype == "AWS::EC2::RouteTable":
            tables[rid] = {
                "id": rid,
                "region": region,
                "vpc": p.get("VpcId"),
                "main": False,
                "subnets": [],
                "routes": [],
                "tags": {},
                "_location": loc,
            }
        elif rtype == "AWS::EC2::InternetGateway":
            out["internet_gateways"].append({"id": rid, "region": region, "vpcs": [], "tags": {}, "_location": loc})
        elif rtype == "AWS::EC2::NatGateway":
            out["nat_gateways"].append(
                {
                    "id": rid,
                    "region": region,
                    "vpc": None,
                    "subnet": p.get("SubnetId"),
                    "state": "available",
                    "connectivity": p.get("ConnectivityType", "public"),
                    "tags": {},
                    "_location": loc,
                }
            )
        elif rtype == "AWS::EC2::VPCPeeringConnection":
            out["peerings"].append(
                planned_peering(
                    rid,
                    region,
                    account,
                    p.get("VpcId"),
                    p.get("PeerVpcId"),
                    p.get("PeerRegion"),
                    p.get("PeerOwnerId"),
                    loc,
                )
            )
        elif rtype == "AWS::EC2::SecurityGroup":
            out["security_groups"].append(
                {
                    "id": rid,
                    "region": region,
                    "vpc": p.get("VpcId"),
                    "name": p.get("GroupName") or logical,
                    "tags": {},
                    "ingress": _rules(p.get("SecurityGroupIngress")),
                    "egress": _rules(p.get("SecurityGroupEgress"), True)
                    or _rules([{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}], True),
                    "_location": loc,
                }
            )
        elif rtype == "AWS::RDS::DBInstance":
            public = p.get("PubliclyAccessible")
            out["db_instances"].append(planned_db(
                str(p.get("DBInstanceIdentifier") or rid), region, p.get("Engine"),
                planned_db_host(logical, region), _int(p.get("Port")) or 5432,
                public in (True, "true") if public is not None else None,
                p.get("DBSubnetGroupName"), _ids(p.get("VPCSecurityGroups")), loc))
        elif rtype == "AWS::RDS::DBSubnetGroup":
            out["db_subnet_groups"].append(planned_subnet_group(
                str(p.get("DBSubnetGroupName") or rid), region, _ids(p.get("SubnetIds")), rid))
        elif rtype == "AWS::AppRunner::VpcConnector":
            out["vpc_connectors"].append(planned_connector(
                rid, p.get("VpcConnectorName") or logical, region, _ids(p.get("Subnets")),
                _ids(p.get("SecurityGroups")), loc))
        elif rtype == "AWS::AppRunner::Service":
            out["services"].append(_cfn_service(logical, p, region, loc))
        elif rtype == "AWS::EC2::VPCEndpoint":
            out["vpc_endpoints"].append(planned_endpoint(
                rid, region, p.get("VpcId"), p.get("ServiceName"), p.get("VpcEndpointType"),
                _ids(p.get("SubnetIds")), _ids(p.get("RouteTableIds")), _ids(p.get("SecurityGroupIds")),
                p.get("PrivateDnsEnabled"), loc))
        elif rtype == "AWS::IAM::Role":
            out["roles"].append(planned_role(
                rid, str(p.get("RoleName") or logical), p.get("AssumeRolePolicyDocument"),
                [(str(x.get("PolicyName")), x.get("PolicyDocument")) for x in p.get("Policies") or []
                 if isinstance(x, dict)],
                _ids(p.get("ManagedPolicyArns")), loc))
    for logical, res in resources.items():  # second pass: what attaches to what
        rtype, p = res.get("Type"), cfn.props(logical)
        if rtype == "AWS::ECS::Service":
            td_ref = p.get("TaskDefinition")
            td = cfn.props(td_ref[4:]) if isinstance(td_ref, str) and td_ref[4:] in resources else None
            if td is None:  # an existing task definition: its images, roles and secrets are not here
                cfn.unknowns.append((logical, "TaskDefinition"))
            out["services"].append(_cfn_ecs_service(logical, p, td, region, cfn.loc(logical)))
        if rtype == "AWS::EC2::SubnetRouteTableAssociation" and p.get("RouteTableId") in tables:
            tables[p["RouteTableId"]]["subnets"].append(p.get("SubnetId"))
        elif rtype == "AWS::EC2::Route" and p.get("RouteTableId") in tables:
            target = next(
                (
                    p.get(k)
                    for k in (
                        "GatewayId",
                        "NatGatewayId",
                        "VpcPeeringConnectionId",
                        "TransitGatewayId",
                        "NetworkInterfaceId",
                    )
                    if p.get(k)
                ),
                None,
            )
            tables[p["RouteTableId"]]["routes"].append(
                {
                    "destination": p.get("DestinationCidrBlock") or p.get("DestinationIpv6CidrBlock") or "?",
                    "target_type": _target(cfn, target),
                    "target": str(target),
                    "state": "active",
                }
            )
        elif rtype == "AWS::EC2::VPCGatewayAttachment":
            for igw in out["internet_gateways"]:
                if igw["id"] == p.get("InternetGatewayId"):
                    igw["vpcs"].append(p.get("VpcId"))
        elif rtype in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            for sg in out["security_groups"]:
                if sg["id"] == p.get("GroupId"):
                    egress = rtype.endswith("Egress")
                    sg["egress" if egress else "ingress"] += _rules([p], egress)
        elif rtype in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for role in out["roles"]:
                if role["arn"] in _ids(p.get("Roles")) or role["name"] in _ids(p.get("Roles")):
                    role["policies"].append({"name": str(p.get("PolicyName") or p.get("ManagedPolicyName") or logical),
                                             "kind": "inline" if rtype.endswith("::Policy") else "managed",
                                             "arn": None, "document": p.get("PolicyDocument")})
    documents = {f"cfn:{k}": cfn.props(k).get("PolicyDocument") for k, r in resources.items()
                 if r.get("Type") == "AWS::IAM::ManagedPolicy"}
    outside = _complete_roles(out["roles"], documents)
    for table in tables.values():
        table["subnets"] = [s for s in table["subnets"] if s]
    out["route_tables"] = list(tables.values())
    _link(out)
    out[PLAN_GAPS] = [
        {
            "region": region,
            "service": "plan",
            "operation": f"{logical}.{prop}",
            "iam_action": "none (a planned value)",
            "error": f"{path}:{cfn.lines.get(logical) or '?'}: {logical}.{prop} "
            "is known only after deployment (or needs a --parameter)",
            "collections": [_COLLECTION_OF[rtype]],
        }
        for logical, prop in dict.fromkeys(cfn.unknowns)
        if (rtype := resources[logical].get("Type")) in _COLLECTION_OF
    ] + role_policy_gaps(outside, region, path)
    read: dict[str, int] = {}
    ignored: dict[str, int] = {}
    for res in resources.values():
        rtype = str(res.get("Type"))
        bucket = read if rtype in _CFN_READ else ignored
        bucket[rtype] = bucket.get(rtype, 0) + 1
    out[INPUTS] = [{"file": path, "format": "cloudformation", "region": region,
                    "read": dict(sorted(read.items())), "ignored": dict(sorted(ignored.items())), "inferred": []}]
    return out


def _complete_roles(roles: list[dict[str, Any]], documents: dict[str, Any]) -> list[tuple[str, str]]:
    """Adds the managed policies a planned role names whose documents the plan holds; a role that
    names any other (an AWS managed policy, one that exists already) is incomplete: its
    permissions are not judged. Returns (role name, policy) for each policy outside the plan."""
    outside = []
    known = {**_aws_managed_documents(), **documents}
    for role in roles:
        for arn in role.pop("_managed", []):
            if arn in known:
                role["policies"].append({"name": arn.rsplit("/", 1)[-1], "kind": "managed",
                                         "arn": None if arn in documents else arn, "document": known[arn]})
            else:
                role["complete"] = False
                outside.append((role["name"], arn))
    return outside


def _aws_managed_documents() -> dict[str, Any]:
    """AWS managed policies whose documents preflight carries (see data/aws_managed_policies.json)."""
    from importlib import resources as pkg

    data = json.loads(pkg.files("preflight.data").joinpath("aws_managed_policies.json").read_text("utf-8"))
    return {arn: entry["document"] for arn, entry in data["policies"].items()}


def role_policy_gaps(outside: list[tuple[str, str]], region: str, path: str) -> list[dict[str, Any]]:
    return [{"region": region, "service": "plan", "operation": f"{name}.policies",
             "iam_action": "none (a planned value)",
             "error": f"{path}: role {name} uses policy {arn}, whose document is not in the plan; "
                      "what the role may do is not judged",
             "collections": ["role_policies"]} for name, arn in outside]


def _cfn_service(logical: str, p: dict[str, Any], region: str, loc: dict[str, Any]) -> dict[str, Any]:
    src = p.get("SourceConfiguration") or {}
    image = src.get("ImageRepository") or {}
    code = src.get("CodeRepository") or {}
    cfg = image.get("ImageConfiguration") or (
        (code.get("CodeConfiguration") or {}).get("CodeConfigurationValues") or {}
    )
    env = {e.get("Name"): e.get("Value") for e in cfg.get("RuntimeEnvironmentVariables") or [] if isinstance(e, dict)}
    secrets = [
        {"name": str(e.get("Name")), "ref": str(e.get("Value"))}
        for e in cfg.get("RuntimeEnvironmentSecrets") or []
        if isinstance(e, dict) and e.get("Value")
    ]
    net = p.get("NetworkConfiguration") or {}
    egress = net.get("EgressConfiguration") or {}
    auth = src.get("AuthenticationConfiguration") or {}
    instance = p.get("InstanceConfiguration") or {}
    return {
        "arn": f"cfn:{logical}",
        "name": str(p.get("ServiceName") or logical),
        "id": None,
        "region": region,
        "platform": "apprunner",
        "status": "PLANNED",
        "url": None,
        "source": {
            "type": "image" if image else "code",
            "image": image.get("ImageIdentifier"),
            "repository_type": image.get("ImageRepositoryType"),
            "configuration_source": (code.get("CodeConfiguration") or {}).get("ConfigurationSource", "API"),
            "runtime": cfg.get("Runtime"),
            "access_role_arn": auth.get("AccessRoleArn"),
            "connection_arn": auth.get("ConnectionArn"),
        },
        "port": str(cfg.get("Port") or "8080"),
        "cpu": instance.get("Cpu"),
        "memory": instance.get("Memory"),
        "instance_role_arn": instance.get("InstanceRoleArn"),
        "egress": {"type": egress.get("EgressType", "DEFAULT"), "connector_arn": egress.get("VpcConnectorArn")},
        "public": True,
        "env": summarize_env({k: v for k, v in env.items() if k}),
        "secrets": secrets,
        "autoscaling_config_arn": p.get("AutoScalingConfigurationArn"),
        "tags": {},
        "operations": [],
        "domains": [],
        "_location": loc,
    }


def _api_shape(value: Any) -> Any:
    """CloudFormation's ECS properties are the API's members with a capital first letter."""
    if isinstance(value, dict):
        return {(k[:1].lower() + k[1:]) if isinstance(k, str) else k: _api_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_api_shape(v) for v in value]
    return value


def _cfn_ecs_service(logical: str, p: dict[str, Any], td: dict[str, Any] | None, region: str,
                     loc: dict[str, Any]) -> dict[str, Any]:
    """An AWS::ECS::Service (with the AWS::ECS::TaskDefinition it names, when planned too) as the
    live collector would record it."""
    from preflight.collect.ecs import transform_service

    svc = _api_shape(p)
    svc.update(serviceArn=f"cfn:{logical}", serviceName=str(p.get("ServiceName") or logical),
               clusterArn=p.get("Cluster"), status="PLANNED",
               taskDefinition=p.get("TaskDefinition") if isinstance(p.get("TaskDefinition"), str) else None)
    record = transform_service(svc, _api_shape(td) if td is not None else None, None, region)
    record["_location"] = loc
    return record


def _link(out: Records) -> None:
    """Fill in what planned records imply about each other (VPC of a NAT, peering CIDRs, an
    RDS instance's subnets through its subnet group, GetAtt-style references)."""
    subnet_vpc = {s["id"]: s["vpc"] for s in out["subnets"]}
    vpc_cidrs = {v["id"]: v["cidrs"] for v in out["vpcs"]}
    for n in out["nat_gateways"]:
        n["vpc"] = n["vpc"] or subnet_vpc.get(n["subnet"])
    for p in out["peerings"]:
        for side in ("requester", "accepter"):
            p[side]["cidrs"] = p[side]["cidrs"] or list(vpc_cidrs.get(p[side]["vpc"] or "", []))
    groups = {}
    for g in out["db_subnet_groups"]:
        g["vpc"] = g["vpc"] or next((subnet_vpc[s] for s in g["subnets"] if s in subnet_vpc), None)
        groups[g["name"]] = g
        groups[g.pop("_alias", g["name"])] = g
    for db in out["db_instances"]:
        group = groups.get(db.get("subnet_group") or "")
        if group:
            db["subnets"], db["vpc"] = group["subnets"], group["vpc"]


def load_plan_file(path: str, parameters: dict[str, str], region: str, account: str) -> Records:
    """Records of a template, plan or CLI input. A file whose parts have shapes no tool writes
    (a string where a mapping belongs, a list too short) is one InputError, never a crash."""
    text = read_text(path)
    try:
        out = _load_plan(path, text, parameters, region, account)
    except InputError:
        raise
    except RecursionError as e:
        raise InputError(path, "nested too deeply") from e
    except Exception as e:
        if not _recognised(text):
            raise InputError(path, f"unexpected structure ({type(e).__name__}: {str(e)[:120]}); is it a "
                                   "template, a `terraform show -json` plan or --cli-input-json?") from e
        # a real plan or template the reader fails on: its resources are unchecked, said so, and
        # the rest of the scan (other plans, sources, the account) still reports
        log.debug("reading %s failed", path, exc_info=True)
        out = empty_resources()
        out[PLAN_GAPS] = [{
            "region": region, "service": "plan", "operation": f"read {path}", "iam_action": "none (a planned value)",
            "error": f"{path}: preflight could not read this file ({type(e).__name__}: {str(e)[:160]}), so "
                     "nothing in it was checked; this is a preflight bug, please report it",
            "collections": sorted(empty_resources()),
        }]
    if INPUTS not in out:
        out[INPUTS] = [{"file": path, "format": "cli-input-json" if out.get("services") or out.get("vpc_connectors")
                        else "unreadable", "region": region,
                        "read": {k: len(v) for k, v in sorted(out.items()) if v and k not in (PLAN_GAPS, INPUTS)},
                        "ignored": {}, "inferred": []}]
    return out


def _recognised(text: str) -> bool:
    """A Terraform plan or a CloudFormation template whose top-level shape is right: a failure
    reading it is preflight's, not the file's."""
    try:
        doc = json.loads(text) if text.lstrip().startswith("{") else None
    except ValueError:
        return False
    if isinstance(doc, dict):
        pv, rc = doc.get("planned_values"), doc.get("resource_changes")
        shaped = isinstance(pv, (dict, type(None))) and isinstance(rc, (list, type(None)))
        if (pv is not None or rc is not None) and shaped:
            return True
        return isinstance(doc.get("Resources"), dict) and all(isinstance(r, dict) for r in doc["Resources"].values())
    return doc is None and bool(re.search(r"(?m)^Resources:\s*$", text))


def _load_plan(path: str, text: str, parameters: dict[str, str], region: str, account: str) -> Records:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(path, f"invalid JSON at column {e.colno}: {e.msg}", e.lineno) from e
        if isinstance(doc, dict) and ("planned_values" in doc or "resource_changes" in doc):
            from preflight.collect.terraform import load_terraform

            return load_terraform(path, doc, text, region, account)
        if isinstance(doc, dict) and isinstance(doc.get("Resources"), dict):
            return load_cloudformation(path, text, parameters, region, account)
        if isinstance(doc, dict) and ("SourceConfiguration" in doc or "VpcConnectorName" in doc):
            return load_cli_input(path, doc, text, region, account)
        raise InputError(
            path,
            "neither a CloudFormation template, a Terraform plan (terraform show -json) "
            "nor App Runner CLI input (--cli-input-json)",
        )
    return load_cloudformation(path, text, parameters, region, account)


def overlay(live: dict[str, Any], planned: Records, sources: list[str]) -> dict[str, Any]:
    """Planned records laid over a snapshot: a planned record replaces the live one with the same
    id, new ones are added."""
    resources = {k: list(v) for k, v in live["resources"].items()}
    gaps = list(live.get("gaps", [])) + list(planned.get(PLAN_GAPS, []))
    inputs = list(live.get("inputs", [])) + list(planned.get(INPUTS, []))
    for collection, records in planned.items():
        if not records or collection in (PLAN_GAPS, INPUTS):
            continue
        key = (
            "name"
            if collection == "db_subnet_groups"
            else ("arn" if collection in ("services", "vpc_connectors", "roles", "secrets", "kms_keys") else "id")
        )
        replaced = {r.get(key) for r in records}
        resources[collection] = [r for r in resources.get(collection, []) if r.get(key) not in replaced] + records
    regions = sorted(
        {*live.get("regions", []), *(r["region"] for k, rs in planned.items() if k not in (PLAN_GAPS, INPUTS)
                                     for r in rs if r.get("region"))}
    )
    return {**live, "regions": regions, "plans": sources, "inputs": inputs, "resources": resources, "gaps": gaps}


def load_cli_input(path: str, doc: dict[str, Any], text: str, region: str, account: str) -> Records:
    """The JSON given to `aws apprunner create-service`, `update-service` or
    `create-vpc-connector` with --cli-input-json, shaped by the same transform as a live
    service."""
    from preflight.collect.apprunner import transform_connectors, transform_service

    out = empty_resources()
    line = next((i for i, t in enumerate(text.splitlines(), 1) if '"ServiceName"' in t or '"VpcConnectorName"' in t), 1)
    loc = {"file": path, "line": line, "address": "cli-input"}
    if "VpcConnectorName" in doc:
        name = str(doc["VpcConnectorName"])
        arn = f"arn:aws:apprunner:{region}:{account}:vpcconnector/{name}/planned"
        record = transform_connectors([{**doc, "VpcConnectorArn": arn, "Status": "PLANNED"}], region)[0]
        out["vpc_connectors"].append({**record, "_location": loc})
        return out
    name = str(doc.get("ServiceName") or str(doc.get("ServiceArn", "service/planned/x")).split("/")[1])
    arn = str(doc.get("ServiceArn") or f"arn:aws:apprunner:{region}:{account}:service/{name}/planned")
    raw = {"Service": {**doc, "ServiceName": name, "ServiceArn": arn, "Status": "PLANNED"}}
    record = transform_service(raw, region)
    record["status"] = "PLANNED" if "ServiceArn" not in doc else "RUNNING"
    out["services"].append({**record, "_location": loc})
    return out
