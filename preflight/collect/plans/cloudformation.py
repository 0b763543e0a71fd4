"""CloudFormation templates (JSON or YAML with short-form tags, CDK output included) as planned
records.

Intrinsic functions are resolved the way CloudFormation resolves them when it creates the stack,
as far as the template and the --parameter values allow
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html):
`Fn::FindInMap` over the template's own Mappings, `Conditions` with their parameter values, `Fn::If`
on a decided condition, `AWS::NoValue`, `Fn::Cidr`, the pseudo parameters, list parameters, and a
resource's `Condition` (a resource whose condition is false is not created). What only deployment
decides (`Fn::ImportValue`, `Fn::GetAZs`, an SSM-typed parameter, a condition on a parameter with no
value) is None, and a decisive property that ends up None is a gap naming the property and why.

Resources another stack or tool defines are not guessed at: a nested stack whose template is a
local file is read (its parameters and outputs joined to the parent); one at a URL is a gap, as
is a macro or `Fn::ForEach` that rewrites the template at deployment.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import yaml

from preflight.collect.plans.records import (
    EXPORTS,
    INPUTS,
    PLAN_GAPS,
    Records,
    acl_entry,
    complete_roles,
    default_key_policy,
    deny_all,
    engine_port,
    finish_network,
    id_list,
    link,
    planned_connector,
    planned_db,
    planned_db_host,
    planned_endpoint,
    planned_load_balancers,
    planned_peering,
    planned_role,
    planned_subnet_group,
    planned_vpc,
    role_policy_gaps,
    to_int,
    vpc_defaults,
)
from preflight.errors import InputError
from preflight.redact import summarize_env
from preflight.refs import parameter_arn, partition_of
from preflight.snapshot import empty_resources, read_text

_INTRINSICS = frozenset({
    "Ref", "Condition", "Fn::Base64", "Fn::Cidr", "Fn::FindInMap", "Fn::GetAtt", "Fn::GetAZs", "Fn::ImportValue",
    "Fn::Join", "Fn::Select", "Fn::Split", "Fn::Sub", "Fn::If", "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not",
    "Fn::Transform", "Fn::Length", "Fn::ToJsonString",
})
# the value of {"Ref": "AWS::NoValue"}: the property (or list item) is removed
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html)
_NOVALUE: Any = type("_NoValue", (), {"__repr__": lambda self: "AWS::NoValue"})()
# transforms whose effect on the template is known: SAM expands only its own AWS::Serverless::*
# types and Globals; the language extensions add Fn::ForEach (a gap), Fn::Length, Fn::ToJsonString
# and a FindInMap default (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/transform-reference.html)
_KNOWN_TRANSFORMS = frozenset({"AWS::Serverless-2016-10-31", "AWS::LanguageExtensions", "AWS::CodeDeployBlueGreen"})
_NESTED_DEPTH = 5  # nested stacks are followed this deep; real templates rarely go past 3

# Properties whose value decides a rule: when one resolves to nothing (an import, an undecided
# condition...), the rules that read that resource type are reported as not evaluated.
_DECISIVE = frozenset({
    "VpcId", "PeerVpcId", "PeerRegion", "SubnetId", "SubnetIds", "Subnets", "CidrBlock", "DestinationCidrBlock",
    "RouteTableId", "GatewayId", "NatGatewayId", "VpcPeeringConnectionId", "TransitGatewayId", "SecurityGroups",
    "VPCSecurityGroups", "VpcSecurityGroupIds", "GroupId", "SecurityGroupIngress", "SecurityGroupEgress", "CidrIp",
    "FromPort", "ToPort", "InstanceRoleArn", "VpcConnectorArn", "EgressType", "PubliclyAccessible", "Port",
    "AccessRoleArn", "RuntimeEnvironmentSecrets", "AssumeRolePolicyDocument", "Policies", "PolicyDocument",
    "ManagedPolicyArns", "Roles", "DBSubnetGroupName", "DBClusterIdentifier", "NetworkConfiguration",
    "AwsvpcConfiguration", "AssignPublicIp", "ExecutionRoleArn", "TaskDefinition", "ContainerDefinitions",
    "Image", "Secrets", "ValueFrom", "RouteTableIds", "SecurityGroupIds", "PrivateDnsEnabled", "VpcEndpointType",
    "KmsKeyId", "KeyPolicy", "TargetKeyId", "SecretId", "ResourcePolicy", "NetworkAclId", "RuleNumber",
    "RuleAction", "Protocol", "PortRange", "Egress", "Ipv6CidrBlock", "Value", "Name",
})
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
    "AWS::EC2::NetworkAcl": "network_acls",
    "AWS::EC2::NetworkAclEntry": "network_acls",
    "AWS::EC2::SubnetNetworkAclAssociation": "network_acls",
    "AWS::EC2::VPCEndpoint": "vpc_endpoints",
    "AWS::RDS::DBInstance": "db_instances",
    "AWS::RDS::DBCluster": "db_clusters",
    "AWS::RDS::DBSubnetGroup": "db_subnet_groups",
    "AWS::AppRunner::VpcConnector": "vpc_connectors",
    "AWS::AppRunner::Service": "services",
    "AWS::ECS::Service": "services",
    "AWS::ECS::TaskDefinition": "services",
    "AWS::IAM::Role": "roles",
    "AWS::IAM::Policy": "role_policies",
    "AWS::IAM::ManagedPolicy": "role_policies",
    "AWS::SecretsManager::Secret": "secrets",
    "AWS::SecretsManager::ResourcePolicy": "secrets",
    "AWS::KMS::Key": "kms_keys",
    "AWS::KMS::Alias": "kms_keys",
    "AWS::SSM::Parameter": "ssm_parameters",
}
# the resource types this reader turns into records; any other is listed as ignored in scan.inputs
_CFN_READ = frozenset(_COLLECTION_OF) | {"AWS::CloudFormation::Stack", "AWS::SecretsManager::SecretTargetAttachment"}
# every collection a rule may read: what a nested stack at a URL or a macro may hold
_EVERYTHING = sorted(set(_COLLECTION_OF.values()) | {"transit_gateway_attachments"})

_IDENTITY_ATTRS = frozenset({
    "Arn", "GroupId", "VpcConnectorArn", "Id", "ServiceArn", "RoleId", "VpcId", "SubnetId", "AllocationId",
    "DBInstanceArn", "DBClusterArn", "NetworkAclId", "RouteTableId",
})
_ROUTE_TARGETS = {
    "AWS::EC2::InternetGateway": "igw",
    "AWS::EC2::EgressOnlyInternetGateway": "eigw",
    "AWS::EC2::NatGateway": "nat",
    "AWS::EC2::VPCPeeringConnection": "pcx",
    "AWS::EC2::TransitGateway": "tgw",
    "AWS::EC2::VPNGateway": "vgw",
    "AWS::EC2::VPCEndpoint": "vpce",
}


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
    # the functions of a template's Rules section
    # (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html)
    "Contains",
    "EachMemberEquals",
    "EachMemberIn",
    "RefAll",
    "ValueOf",
    "ValueOfAll",
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
class _Param:
    value: Any  # the --parameter value, else the Default; None when neither
    kind: str  # the parameter's Type
    given: bool


@dataclass
class _Cfn:
    """One template being read: its sections, what its references resolve to, and what could not
    be resolved (logical id, property, why)."""

    doc: dict[str, Any]
    parameters: dict[str, _Param]
    region: str
    account: str
    lines: dict[str, int]
    file: str
    prefix: str = ""  # a nested stack's records are named cfn:<Parent>/<Logical>
    depth: int = 0
    out: Records = field(default_factory=empty_resources)
    unknowns: list[tuple[str, str, str]] = field(default_factory=list)
    current: str = ""
    reason: str = ""
    children: dict[str, _Cfn | None] = field(default_factory=dict)
    imports: dict[str, Any] = field(default_factory=dict)  # Export name -> value, from the other templates
    outputs_of: dict[str, dict[str, Any]] = field(default_factory=dict)
    _conditions: dict[str, tuple[bool | None, str]] = field(default_factory=dict)
    _resolving: set[tuple[str, str]] = field(default_factory=set)

    @property
    def resources(self) -> dict[str, Any]:
        res = self.doc.get("Resources")
        return {k: v for k, v in res.items() if isinstance(v, dict)} if isinstance(res, dict) else {}

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    def rid(self, logical: str) -> str:
        return f"cfn:{self.prefix}{logical}"

    def type_of(self, logical: str) -> str:
        return str(self.resources.get(logical, {}).get("Type", ""))

    def unknown(self, why: str) -> None:
        self.reason = why
        return None

    # --- values ---------------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """A property value with its intrinsic functions resolved as far as the template allows."""
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not _NOVALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1 and next(iter(value)) in _INTRINSICS:
            key, arg = next(iter(value.items()))
            try:
                return self._intrinsic(key, arg)
            except (ValueError, TypeError, IndexError, AttributeError, KeyError, LookupError):
                return self.unknown(f"its {key} is malformed")
        return self._properties(value)

    def _properties(self, value: dict[str, Any]) -> dict[str, Any]:
        """A mapping of properties, noting decisive ones that resolved to nothing."""
        out = {}
        for k, v in value.items():
            self.reason = ""
            if k == "Tags" and self.current:  # no rule reads a tag's value from a plan
                saved, self.current = self.current, ""
                resolved = self.resolve(v)
                self.current = saved
                out[k] = resolved
                continue
            resolved = self.resolve(v)
            if resolved is _NOVALUE:
                continue
            lost = (resolved is None and v is not None) or (
                isinstance(v, list) and isinstance(resolved, list) and None in resolved)
            if lost and k in _DECISIVE and self.current:
                self.unknowns.append((self.current, k, self.reason or "it is known only after deployment"))
            out[k] = resolved
        return out

    def _intrinsic(self, key: str, arg: Any) -> Any:
        if key == "Ref":
            return self._ref(str(arg))
        if key == "Fn::GetAtt":
            parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
            parts = [self.resolve(p) for p in parts]
            return self._get_att(str(parts[0]), ".".join(map(str, parts[1:])))
        if key == "Fn::Sub":
            return self._sub(arg)
        if key == "Fn::Join":
            sep, items = arg
            parts = self.resolve(items)
            if not isinstance(parts, list) or any(p is None for p in parts):
                return self.unknown(self.reason or "a part of its Fn::Join is known only after deployment")
            return str(sep).join(_text(p) for p in parts)
        if key == "Fn::Select":
            index, items = self.resolve(arg[0]), self.resolve(arg[1])
            if items is None or index is None:
                return None
            return items[int(index)]
        if key == "Fn::Split":
            sep, text = arg
            text = self.resolve(text)
            return text.split(str(sep)) if isinstance(text, str) else None
        if key == "Fn::If":
            name, yes, no = arg
            decided = self.condition(str(name))
            if decided is not None:
                return self.resolve(yes if decided else no)
            why = self.reason
            a, b = self.resolve(yes), self.resolve(no)
            if a is not None and a == b:
                return a  # both branches agree: the condition does not matter
            return self.unknown(f"condition {name} is decided at deployment ({why})")
        if key == "Fn::FindInMap":
            return self._find_in_map(arg)
        if key == "Fn::Cidr":
            return self._cidr(arg)
        if key == "Fn::Base64":
            text = self.resolve(arg)
            return None if text is None else base64.b64encode(_text(text).encode()).decode()
        if key == "Fn::Length":
            items = self.resolve(arg)
            return len(items) if isinstance(items, list) else None
        if key == "Fn::ToJsonString":
            value = self.resolve(arg)
            return None if _holds_none(value) else json.dumps(value, separators=(",", ":"))
        if key == "Fn::GetAZs":
            return self.unknown("the region's Availability Zones are listed at deployment (Fn::GetAZs)")
        if key == "Fn::ImportValue":
            name = self.resolve(arg)
            if isinstance(name, str) and name in self.imports:
                return self.imports[name]  # another scanned template exports it
            return self.unknown(f"it is imported from another stack's export {name or '(unnamed)'}")
        if key == "Fn::Transform":
            return self.unknown(f"macro {(arg or {}).get('Name') if isinstance(arg, dict) else arg} "
                                "computes it at deployment")
        if key in ("Condition", "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
            decided = self._decide({key: arg})
            return None if decided is None else ("true" if decided else "false")
        return self.unknown(f"{key} is not known before deployment")

    def _ref(self, name: str) -> Any:
        if name in self.parameters:
            p = self.parameters[name]
            if p.value is None:
                return self.unknown(f"parameter {name} has no Default: pass --parameter {name}=VALUE")
            if p.kind.startswith("AWS::SSM::Parameter::Value<") and not p.given:
                return self.unknown(f"parameter {name} is read from SSM parameter {p.value} at deployment: "
                                    f"pass --parameter {name}=VALUE")
            if p.kind in ("CommaDelimitedList",) or p.kind.startswith(("List<", "AWS::SSM::Parameter::Value<List<")):
                return [x.strip() for x in str(p.value).split(",")] if not isinstance(p.value, list) else p.value
            return p.value
        pseudo: dict[str, Any] = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com",
            "AWS::NotificationARNs": [],
        }
        if name == "AWS::NoValue":
            return _NOVALUE
        if name in pseudo:
            return pseudo[name]
        if name in ("AWS::StackName", "AWS::StackId"):
            given = self.parameters.get(f"--{name}")
            if given is not None:
                return given.value
            return self.unknown(f"{name} is chosen at deployment (pass --parameter {name}=VALUE)")
        if name not in self.resources:
            return self.unknown(f"{name} is neither a parameter nor a resource of this template")
        rtype = self.type_of(name)
        if rtype == "AWS::SecretsManager::Secret":
            return self.secret_arn(name)  # Ref of a secret is its ARN
        if rtype == "AWS::KMS::Key":
            return self.key_id(name)  # Ref of a key is its key id
        if rtype == "AWS::SSM::Parameter":
            named = self.peek(name, "Name")
            return named if isinstance(named, str) else self.rid(name)
        if rtype == "AWS::IAM::Role":
            return self.role_name(name)  # Ref of a role is its name
        if rtype == "AWS::SecretsManager::SecretTargetAttachment":
            # Ref of the attachment is the ARN of the secret it attaches (CDK's cluster.secret)
            # (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-secretsmanager-secrettargetattachment.html)
            return self.peek(name, "SecretId")
        return self.rid(name)

    def _get_att(self, target: str, attr: str) -> Any:
        if target not in self.resources:
            return self.unknown(f"{target} is not a resource of this template")
        rtype = self.type_of(target)
        if rtype == "AWS::CloudFormation::Stack" and attr.startswith("Outputs."):
            return self.nested_output(target, attr[len("Outputs."):])
        if rtype == "AWS::EC2::VPC":
            if attr == "CidrBlock":
                return self.peek(target, "CidrBlock")
            if attr == "DefaultNetworkAcl":
                return f"{self.rid(target)}.default-acl"
            if attr == "DefaultSecurityGroup":
                return f"{self.rid(target)}.default-sg"
        if rtype == "AWS::IAM::Role" and attr == "Arn":
            return self.role_arn(target)
        if rtype == "AWS::SecretsManager::Secret" and attr == "Id":
            return self.secret_arn(target)
        if rtype == "AWS::KMS::Key":
            if attr == "Arn":
                return self.key_arn(target)
            if attr == "KeyId":
                return self.key_id(target)
        if rtype in ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"):
            if attr in ("Endpoint.Address", "ReadEndpoint.Address"):
                return planned_db_host(f"{self.prefix}{target}" + (".reader" if attr.startswith("Read") else ""),
                                       self.region)
            if attr == "Endpoint.Port":
                return self.peek(target, "Port") or engine_port(self.peek(target, "Engine"))
        if attr in _IDENTITY_ATTRS:
            return self.rid(target)  # the same id the planned record carries
        return f"{self.rid(target)}.{attr}"

    def _sub(self, arg: Any) -> Any:
        template, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
        missing: list[str] = []

        def sub(m: re.Match[str]) -> str:
            name = m.group(1).strip()
            if isinstance(extra, dict) and name in extra:
                v = extra[name]
            elif "." in name and name.split(".", 1)[0] in self.resources:
                v = self._get_att(*name.split(".", 1))
            else:
                v = self._ref(name)
            if v is None or v is _NOVALUE:
                missing.append(self.reason or f"${{{name}}} is known only after deployment")
                return ""
            return _text(v)

        # ${!Literal} is written out as ${Literal}
        # (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html)
        text = re.sub(r"\$\{([^}!][^}]*)\}", sub, str(template))
        if missing:
            return self.unknown(missing[0])
        return text.replace("${!", "${")

    def _find_in_map(self, arg: Any) -> Any:
        mapping, top, second = (self.resolve(a) for a in arg[:3])
        default = arg[3].get("DefaultValue") if len(arg) > 3 and isinstance(arg[3], dict) else None
        if mapping is None or top is None or second is None:
            return None
        table = (self.doc.get("Mappings") or {}).get(str(mapping))
        row = table.get(_text(top)) if isinstance(table, dict) else None
        if isinstance(row, dict) and _text(second) in row:
            return self.resolve(row[_text(second)])
        if default is not None:
            return self.resolve(default)
        # CloudFormation rejects the template: no value to check against
        return self.unknown(f"mapping {mapping} has no {top}.{second}, so CloudFormation would reject the template")

    def _cidr(self, arg: Any) -> Any:
        block, count, bits = (self.resolve(a) for a in arg)
        if block is None or count is None or bits is None:
            return None
        net = ipaddress.ip_network(str(block), strict=False)
        # cidrBits is the host part: 8 gives /24 subnets of an IPv4 block, /120 of an IPv6 one
        # (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-cidr.html)
        prefix = net.max_prefixlen - int(bits)
        subnets = net.subnets(new_prefix=prefix)
        out = []
        for _ in range(int(count)):
            out.append(str(next(subnets)))
        return out

    # --- conditions -----------------------------------------------------------------------------

    def condition(self, name: str) -> bool | None:
        """A named condition's value, None when only deployment decides it (self.reason says why)."""
        if name in self._conditions:
            decided, why = self._conditions[name]
            if decided is None:
                self.reason = why
            return decided
        conditions = self.doc.get("Conditions") or {}
        if name not in conditions:
            self.unknown(f"there is no condition {name}")
            return None
        self._conditions[name] = (None, f"condition {name} refers to itself")
        self.reason = ""
        decided = self._decide(conditions[name])
        self._conditions[name] = (decided, self.reason or "its inputs are known only at deployment")
        return self.condition(name)

    def _decide(self, expr: Any) -> bool | None:
        """Condition functions in three-valued logic: an And with one false member is false even
        when another is undecided
        (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-conditions.html)."""
        if isinstance(expr, bool):
            return expr
        if isinstance(expr, str) and expr.lower() in ("true", "false"):
            return expr.lower() == "true"
        if not isinstance(expr, dict) or len(expr) != 1:
            self.unknown("a condition is malformed")
            return None
        key, arg = next(iter(expr.items()))
        if key == "Condition":
            return self.condition(str(arg))
        if key == "Fn::Equals":
            a, b = self.resolve(arg[0]), self.resolve(arg[1])
            if a is None or b is None:
                return None
            return _text(a) == _text(b)
        if key == "Fn::Not":
            inner = self._decide(arg[0] if isinstance(arg, list) else arg)
            return None if inner is None else not inner
        if key in ("Fn::And", "Fn::Or"):
            values = [self._decide(a) for a in arg]
            stop: bool = key == "Fn::Or"  # Or: any true decides; And: any false decides
            if stop in values:
                return stop
            return None if None in values else (not stop)
        self.unknown(f"{key} in a condition is not known before deployment")
        return None

    # --- what other resources are named by ------------------------------------------------------

    def peek(self, logical: str, prop: str) -> Any:
        """One property of another resource, resolved without recording its unknowns."""
        if (logical, prop) in self._resolving:
            return None
        saved, self.current = self.current, ""
        self._resolving.add((logical, prop))
        try:
            value = self.resolve(((self.resources.get(logical) or {}).get("Properties") or {}).get(prop))
        finally:
            self._resolving.discard((logical, prop))
            self.current = saved
        return value

    def _token(self, logical: str, size: int) -> str:
        return hashlib.sha256(f"{self.file}:{self.prefix}{logical}".encode()).hexdigest()[:size]

    def secret_arn(self, logical: str) -> str:
        """The ARN a planned secret will have: its name, then the six random characters Secrets
        Manager appends (stood in for here), so that policies written for `name-??????` match."""
        name = self.peek(logical, "Name")
        if not isinstance(name, str):
            name = f"{logical}-{self._token(logical, 12)}"  # CloudFormation generates one from the logical id
        return (f"arn:{self.partition}:secretsmanager:{self.region}:{self.account}:secret:"
                f"{name}-XXXXXX")

    def role_name(self, logical: str) -> str:
        name = self.peek(logical, "RoleName")
        # without a RoleName CloudFormation makes one from the stack name, the logical id and a suffix
        return name if isinstance(name, str) else f"{logical}-{self._token(logical, 12)}"

    def role_arn(self, logical: str) -> str:
        """The ARN a planned role will have, so that key and resource policies that trust the
        account or name the role judge it as they will the real one."""
        path = self.peek(logical, "Path")
        path = path if isinstance(path, str) and path.startswith("/") and path.endswith("/") else "/"
        return f"arn:{self.partition}:iam::{self.account}:role{path}{self.role_name(logical)}"

    def key_id(self, logical: str) -> str:
        return str(uuid.UUID(self._token(logical, 32)))

    def key_arn(self, logical: str) -> str:
        return f"arn:{self.partition}:kms:{self.region}:{self.account}:key/{self.key_id(logical)}"

    # --- nested stacks --------------------------------------------------------------------------

    def nested(self, logical: str) -> _Cfn | None:
        """The child template of an AWS::CloudFormation::Stack when it is a local file, read with
        the parameters the parent passes; None (and a gap) otherwise."""
        if logical in self.children:
            return self.children[logical]
        self.children[logical] = None
        url = self.peek(logical, "TemplateURL")
        if not isinstance(url, str) or re.match(r"^[a-z][a-z0-9+.-]*://", url, re.I):
            self._gap(logical, "TemplateURL", f"the nested stack's template is at {url or 'an unknown address'}, "
                      "which preflight does not fetch, so nothing in it is checked (pass the child template as "
                      "its own --plan with --parameter values)", _EVERYTHING)
            return None
        if self.depth >= _NESTED_DEPTH:
            self._gap(logical, "TemplateURL", f"nested stacks deeper than {_NESTED_DEPTH} are not read", _EVERYTHING)
            return None
        path = url if os.path.isabs(url) else os.path.normpath(os.path.join(os.path.dirname(self.file), url))
        passed = self.peek(logical, "Parameters") or {}
        values = {str(k): (",".join(map(_text, v)) if isinstance(v, list) else _text(v))
                  for k, v in passed.items() if v is not None} if isinstance(passed, dict) else {}
        try:
            child = read_template(path, read_text(path), values, self.region, self.account,
                                  f"{self.prefix}{logical}/", self.depth + 1, self.imports)
        except InputError as e:
            self._gap(logical, "TemplateURL", f"the nested stack's template could not be read ({e.problem})",
                      _EVERYTHING)
            return None
        self.children[logical] = child
        return child

    def nested_output(self, logical: str, name: str) -> Any:
        child = self.nested(logical)
        if child is None:
            return self.unknown(f"it is an output of nested stack {logical}, whose template is not read")
        output = (child.doc.get("Outputs") or {}).get(name)
        if not isinstance(output, dict):
            return self.unknown(f"nested stack {logical} has no output {name}")
        value = child.resolve(output.get("Value"))
        return value if value is not None else self.unknown(child.reason or f"output {name} of {logical} is unknown")

    def exports(self) -> dict[str, Any]:
        """The Export name and value of each output that has both before deployment
        (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/outputs-section-structure.html)."""
        out: dict[str, Any] = {}
        for spec in (self.doc.get("Outputs") or {}).values():
            if not isinstance(spec, dict) or not isinstance(spec.get("Export"), dict):
                continue
            if spec.get("Condition") and self.condition(str(spec["Condition"])) is False:
                continue
            name, value = self.resolve(spec["Export"].get("Name")), self.resolve(spec.get("Value"))
            if isinstance(name, str) and value is not None:
                out[name] = value
        return out

    # --- gaps -----------------------------------------------------------------------------------

    def _gap(self, logical: str, prop: str, why: str, collections: list[str]) -> None:
        self.out[PLAN_GAPS].append({
            "region": self.region, "service": "plan", "operation": f"{self.prefix}{logical}.{prop}",
            "iam_action": "none (a planned value)",
            "error": f"{self.file}:{self.lines.get(logical) or '?'}: {logical}.{prop}: {why}",
            "collections": collections})

    def props(self, logical: str) -> dict[str, Any]:
        self.current = logical
        props = self.resolve(self.resources[logical].get("Properties") or {})
        self.current = ""
        return props if isinstance(props, dict) else {}

    def loc(self, logical: str) -> dict[str, Any]:
        meta = self.resources.get(logical, {}).get("Metadata")
        cdk = meta.get("aws:cdk:path") if isinstance(meta, dict) else None
        return {"file": self.file, "line": self.lines.get(logical),
                "address": f"{self.prefix}{logical}" + (f" ({cdk})" if isinstance(cdk, str) else "")}


def _unknown_words(why: str) -> str:
    if "would reject" in why:
        return f"cannot be resolved: {why}"
    return f"is known only after deployment ({why})"


def _text(value: Any) -> str:
    """A value as CloudFormation writes it into a string: booleans lower case, numbers plain."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _pruned(value: Any) -> Any:
    """`value` without the None items of its lists."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pruned(v) for v in value if v is not None]
    return value


def _holds_none(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_holds_none(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_none(v) for v in value)
    return False


def _parse(path: str, text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, Loader=_CfnLoader)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        mark = getattr(e, "problem_mark", None)
        tag = re.search(r"for the tag '(![^']+)'", str(e))
        if tag:  # a preprocessor's directive (Rain's !Rain::Embed...) or a typo'd intrinsic
            raise InputError(path, f"{tag.group(1)} is not a CloudFormation intrinsic function; if a tool "
                                   "(Rain, a macro) expands it, pass the template that tool writes",
                             (mark.line + 1) if mark else None) from e
        raise InputError(
            path,
            f"not a CloudFormation template: {str(e).splitlines()[0]}",
            (mark.line + 1) if mark else getattr(e, "lineno", None),
        ) from e
    if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict):
        raise InputError(path, "not a CloudFormation template (no Resources mapping)")
    return doc


def _parameters(path: str, doc: dict[str, Any], given: dict[str, str]) -> dict[str, _Param]:
    """Each declared parameter's value: the --parameter one, else its Default. A value outside
    AllowedValues is refused here as CloudFormation would refuse it."""
    out = {}
    for name, spec in (doc.get("Parameters") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        value = given.get(name, spec.get("Default"))
        allowed = spec.get("AllowedValues")
        if name in given and isinstance(allowed, list) and allowed and value not in [_text(a) for a in allowed]:
            raise InputError(path, f"--parameter {name}={value}: not one of the template's AllowedValues "
                                   f"({', '.join(_text(a) for a in allowed[:10])})")
        out[str(name)] = _Param(value, str(spec.get("Type") or "String"), name in given)
    for pseudo in ("AWS::StackName", "AWS::StackId"):  # the stack's own name, when the user says it
        if pseudo in given:
            out[f"--{pseudo}"] = _Param(given[pseudo], "String", True)
    return out


def load_cloudformation(path: str, text: str, parameters: dict[str, str], region: str, account: str,
                        imports: dict[str, Any] | None = None) -> Records:
    cfn = read_template(path, text, parameters, region, account, imports=imports)
    cfn.out[EXPORTS] = [{"name": k, "value": v} for k, v in cfn.exports().items()]
    return cfn.out


def read_template(path: str, text: str, parameters: dict[str, str], region: str, account: str,
                  prefix: str = "", depth: int = 0, imports: dict[str, Any] | None = None) -> _Cfn:
    doc = _parse(path, text)
    cfn = _Cfn(doc, _parameters(path, doc, parameters), region, account,
               _resource_lines(text, [str(k) for k in doc["Resources"]]), path, prefix, depth,
               imports=dict(imports or {}))
    cfn.out[PLAN_GAPS] = []
    _transforms(cfn)
    created, skipped = _created(cfn)
    _Builder(cfn, created).build()
    read: dict[str, int] = {}
    ignored: dict[str, int] = {}
    for logical in created:
        rtype = cfn.type_of(logical)
        bucket = read if rtype in _CFN_READ else ignored
        bucket[rtype] = bucket.get(rtype, 0) + 1
    cfn.out[INPUTS] = [{"file": path, "format": "cloudformation", "region": region,
                        "read": dict(sorted(read.items())), "ignored": dict(sorted(ignored.items())),
                        "inferred": [f"{k} not created: condition {c} is false" for k, c in skipped]}]
    for child in cfn.children.values():
        if child is not None:
            for collection, records in child.out.items():
                cfn.out.setdefault(collection, []).extend(records)
    return cfn


def _transforms(cfn: _Cfn) -> None:
    """A macro rewrites the template at deployment: what it makes is not in the file."""
    names = cfn.doc.get("Transform") or []
    for name in names if isinstance(names, list) else [names]:
        label = name.get("Name") if isinstance(name, dict) else name
        if label not in _KNOWN_TRANSFORMS:
            cfn._gap("Transform", str(label), f"macro {label} rewrites the template at deployment, so what it "
                     "creates is not checked", _EVERYTHING)
    for key, body in (cfn.doc.get("Resources") or {}).items():
        if str(key).startswith("Fn::ForEach::"):
            types = {str(r.get("Type")) for r in (body[2] if isinstance(body, list) and len(body) > 2
                                                   and isinstance(body[2], dict) else {}).values()
                     if isinstance(r, dict)}
            cfn._gap(str(key), "Resources", "Fn::ForEach is expanded at deployment (AWS::LanguageExtensions); "
                     "the resources it makes are not checked",
                     sorted({_COLLECTION_OF[t] for t in types if t in _COLLECTION_OF}) or _EVERYTHING)


def _created(cfn: _Cfn) -> tuple[list[str], list[tuple[str, str]]]:
    """The resources the stack creates: a resource whose Condition is false is not created
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/conditions-section-structure.html);
    one whose condition only deployment decides is read, with a gap saying so."""
    created, skipped = [], []
    for logical, res in cfn.resources.items():
        name = res.get("Condition")
        if name is None:
            created.append(logical)
            continue
        decided = cfn.condition(str(name))
        if decided is False:
            skipped.append((logical, str(name)))
            continue
        created.append(logical)
        if decided is None and cfn.type_of(logical) in _COLLECTION_OF:
            cfn._gap(logical, "Condition", f"whether it is created depends on condition {name}, decided at "
                     f"deployment ({cfn.reason})", [_COLLECTION_OF[cfn.type_of(logical)]])
    return created, skipped


class _Builder:
    """The records of one template's created resources."""

    def __init__(self, cfn: _Cfn, created: list[str]) -> None:
        self.cfn, self.created = cfn, created
        self.out = cfn.out
        self.tables: dict[str, dict[str, Any]] = {}
        self.sgs: dict[str, dict[str, Any]] = {}
        self.nacls: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, dict[str, Any]] = {}
        self.secrets: dict[str, dict[str, Any]] = {}

    def build(self) -> None:
        cfn = self.cfn
        first = {
            "AWS::EC2::VPC": self._vpc, "AWS::EC2::Subnet": self._subnet, "AWS::EC2::RouteTable": self._table,
            "AWS::EC2::InternetGateway": self._igw, "AWS::EC2::NatGateway": self._nat,
            "AWS::EC2::VPCPeeringConnection": self._peering, "AWS::EC2::SecurityGroup": self._sg,
            "AWS::EC2::NetworkAcl": self._nacl, "AWS::RDS::DBInstance": self._db, "AWS::RDS::DBCluster": self._cluster,
            "AWS::RDS::DBSubnetGroup": self._subnet_group, "AWS::AppRunner::VpcConnector": self._connector,
            "AWS::AppRunner::Service": self._service, "AWS::EC2::VPCEndpoint": self._endpoint,
            "AWS::IAM::Role": self._role, "AWS::KMS::Key": self._key, "AWS::SecretsManager::Secret": self._secret,
            "AWS::SSM::Parameter": self._parameter, "AWS::CloudFormation::Stack": self._stack,
        }
        second = {
            "AWS::ECS::Service": self._ecs_service, "AWS::EC2::SubnetRouteTableAssociation": self._association,
            "AWS::EC2::Route": self._route, "AWS::EC2::VPCGatewayAttachment": self._attachment,
            "AWS::EC2::SecurityGroupIngress": self._sg_rule, "AWS::EC2::SecurityGroupEgress": self._sg_rule,
            "AWS::EC2::NetworkAclEntry": self._nacl_entry,
            "AWS::EC2::SubnetNetworkAclAssociation": self._nacl_association,
            "AWS::IAM::Policy": self._policy, "AWS::IAM::ManagedPolicy": self._policy,
            "AWS::KMS::Alias": self._alias, "AWS::SecretsManager::ResourcePolicy": self._secret_policy,
        }
        for handlers in (first, second):
            for logical in self.created:
                handler = handlers.get(cfn.type_of(logical))
                if handler is None:
                    continue
                p = _shaped(cfn, logical, cfn.props(logical))
                try:
                    handler(logical, p, cfn.rid(logical), cfn.loc(logical))
                except (TypeError, AttributeError, ValueError, KeyError, IndexError) as e:
                    # a shape CloudFormation would reject deeper than _shaped looks: the resource is
                    # a gap, the rest of the template is still read
                    cfn.unknowns.append((logical, "Properties", f"a property has a shape CloudFormation would "
                                                               f"reject ({type(e).__name__}), so it is not read"))
        documents = {cfn.rid(k): cfn.props(k).get("PolicyDocument") for k in self.created
                     if cfn.type_of(k) == "AWS::IAM::ManagedPolicy"}
        outside = complete_roles(self.out["roles"], documents)
        self._finish()
        self._symbolic_secrets()
        link(self.out)
        region, path = cfn.region, cfn.file
        self.out[PLAN_GAPS] += [
            {"region": region, "service": "plan", "operation": f"{cfn.prefix}{logical}.{prop}",
             "iam_action": "none (a planned value)",
             "error": f"{path}:{cfn.lines.get(logical) or '?'}: {logical}.{prop} " + _unknown_words(why),
             "collections": [_COLLECTION_OF[rtype]]}
            for (logical, prop), why in {(lg, pr): w for lg, pr, w in reversed(cfn.unknowns)}.items()
            if (rtype := cfn.type_of(logical)) in _COLLECTION_OF
        ] + role_policy_gaps(outside, region, path)

    def _symbolic_secrets(self) -> None:
        """A secret a service names by a resource whose ARN preflight cannot derive (a custom
        resource, a type it does not read) cannot be judged: a gap, never a silent pass."""
        cfn = self.cfn
        known = {s["arn"] for s in self.out["secrets"]} | {p["arn"] for p in self.out["ssm_parameters"]}
        for svc in self.out["services"]:
            for ref in svc.get("secrets") or []:
                value = str(ref.get("ref") or "")
                if value.startswith(cfn.rid("")) and value not in known:
                    logical = str(svc["arn"])[len(cfn.rid("")):]
                    cfn._gap(logical, "Secrets", f"{ref.get('name')} names {value[4:]}, whose ARN is known only "
                             "after deployment, so whether the role may read it is not judged", ["secrets"])
            roles = {r["arn"] for r in self.out["roles"]}
            access = (svc.get("source") or {}).get("access_role_arn") if isinstance(svc.get("source"), dict) else None
            named = (("instance role", svc.get("instance_role_arn")), ("access role", access),
                     ("execution role", svc.get("execution_role_arn")), ("task role", svc.get("task_role_arn")))
            for what, arn in named:
                if isinstance(arn, str) and arn.startswith(cfn.rid("")) and arn not in roles:
                    logical = str(svc["arn"])[len(cfn.rid("")):]
                    cfn._gap(logical, what, f"its {what} is {arn[4:]}, which is not a role of this template, so "
                             "what the role may do is not judged", ["roles", "role_policies"])

    def _finish(self) -> None:
        finish_network(self.out, self.tables, self.sgs, self.nacls)
        self.out["kms_keys"] = list(self.keys.values())
        self.out["secrets"] = list(self.secrets.values())

    # --- network ----------------------------------------------------------------------------------

    def _vpc_of(self, logical: str, p: dict[str, Any]) -> str:
        """The VPC a resource is in; when it is not known (an import, or not given: a security
        group without VpcId is in the default VPC) a stand-in that matches no VPC, with a gap."""
        vpc = p.get("VpcId")
        if isinstance(vpc, str) and vpc:
            return vpc
        if "VpcId" not in p:
            self.cfn.unknowns.append((logical, "VpcId", "it names no VpcId (a security group without one is in "
                                                        "the region's default VPC)"))
        return f"{self.cfn.rid('')}(unknown VPC of {logical})"

    def _vpc(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        cfn = self.cfn
        vpc, main = planned_vpc(rid, cfn.region, cfn.account, id_list(p.get("CidrBlock")),
                                p.get("EnableDnsSupport", True) in (True, "true"),
                                p.get("EnableDnsHostnames", False) in (True, "true"), {}, loc)
        if p.get("Ipv4IpamPoolId") and not p.get("CidrBlock"):
            cfn.unknowns.append((logical, "CidrBlock", "it is allocated from an IPAM pool at deployment"))
        self.out["vpcs"].append(vpc)
        self.tables[main["id"]] = main
        acl, sg = vpc_defaults(rid, cfn.region, loc)
        self.nacls[acl["id"]], self.sgs[sg["id"]] = acl, sg

    def _subnet(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self.out["subnets"].append({"id": rid, "region": self.cfn.region, "vpc": self._vpc_of(logical, p),
                                    "cidr": p.get("CidrBlock"), "ipv6_cidrs": id_list(p.get("Ipv6CidrBlock")),
                                    "az": p.get("AvailabilityZone"), "tags": {}, "_location": loc})

    def _table(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self.tables[rid] = {"id": rid, "region": self.cfn.region, "vpc": self._vpc_of(logical, p), "main": False,
                            "subnets": [], "routes": [], "tags": {}, "_location": loc}

    def _igw(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self.out["internet_gateways"].append({"id": rid, "region": self.cfn.region, "vpcs": [], "tags": {},
                                              "_location": loc})

    def _nat(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self.out["nat_gateways"].append({"id": rid, "region": self.cfn.region, "vpc": None,
                                         "subnet": p.get("SubnetId"), "state": "available",
                                         "connectivity": p.get("ConnectivityType", "public"), "tags": {},
                                         "_location": loc})

    def _peering(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self.out["peerings"].append(planned_peering(rid, self.cfn.region, self.cfn.account, p.get("VpcId"),
                                                    p.get("PeerVpcId"), p.get("PeerRegion"), p.get("PeerOwnerId"),
                                                    loc))

    def _sg(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        # a group created without egress rules allows all outbound traffic
        # (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-securitygroup.html)
        self.sgs[rid] = {"id": rid, "region": self.cfn.region, "vpc": self._vpc_of(logical, p),
                         "name": p.get("GroupName") or logical, "tags": {},
                         "ingress": _rules(p.get("SecurityGroupIngress")),
                         "egress": _rules(p.get("SecurityGroupEgress"), True)
                         or _rules([{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}], True), "_location": loc}

    def _sg_rule(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        group = self.sgs.get(str(p.get("GroupId")))
        if group is None and p.get("GroupName"):
            group = next((g for g in self.sgs.values() if g["name"] == p.get("GroupName")), None)
        if group is not None:
            egress = self.cfn.type_of(logical).endswith("Egress")
            group["egress" if egress else "ingress"] += _rules([p], egress)

    def _nacl(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        # a new network ACL denies everything until entries are added
        self.nacls[rid] = {"id": rid, "region": self.cfn.region, "vpc": self._vpc_of(logical, p), "default": False,
                           "subnets": [], "entries": deny_all(), "tags": {}, "_location": loc}

    def _nacl_entry(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        acl = self.nacls.get(str(p.get("NetworkAclId")))
        if acl is None:
            if p.get("NetworkAclId"):
                self.cfn.unknowns.append((logical, "NetworkAclId", f"it names {p.get('NetworkAclId')}, which is "
                                                                   "not in the template"))
            return
        ports: dict[str, Any] = p["PortRange"] if isinstance(p.get("PortRange"), dict) else {}
        egress = p.get("Egress") in (True, "true")
        entry = acl_entry(p.get("RuleNumber"), egress, p.get("Protocol"), p.get("RuleAction"),
                          p.get("CidrBlock") or p.get("Ipv6CidrBlock"), ports.get("From"), ports.get("To"))
        acl["entries"] = sorted([entry, *acl["entries"]], key=lambda e: (e["egress"], e["rule"]))

    def _nacl_association(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        acl = self.nacls.get(str(p.get("NetworkAclId")))
        if acl is not None and p.get("SubnetId"):
            acl["subnets"].append(str(p["SubnetId"]))

    def _association(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        table = self.tables.get(str(p.get("RouteTableId")))
        if table is not None:
            table["subnets"].append(p.get("SubnetId"))

    def _route(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        table = self.tables.get(str(p.get("RouteTableId")))
        if table is None:
            return
        target = next((p.get(k) for k in ("GatewayId", "NatGatewayId", "VpcPeeringConnectionId",
                                          "TransitGatewayId", "EgressOnlyInternetGatewayId", "NetworkInterfaceId",
                                          "VpcEndpointId", "InstanceId", "CarrierGatewayId", "LocalGatewayId")
                       if p.get(k)), None)
        table["routes"].append({"destination": p.get("DestinationCidrBlock") or p.get("DestinationIpv6CidrBlock")
                                or p.get("DestinationPrefixListId") or "?",
                                "target_type": _target(self.cfn, target), "target": str(target), "state": "active"})

    def _attachment(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        for igw in self.out["internet_gateways"]:
            if igw["id"] == p.get("InternetGatewayId") and isinstance(p.get("VpcId"), str):
                igw["vpcs"].append(p["VpcId"])

    def _endpoint(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self.out["vpc_endpoints"].append(planned_endpoint(
            rid, self.cfn.region, self._vpc_of(logical, p), p.get("ServiceName"), p.get("VpcEndpointType"),
            id_list(p.get("SubnetIds")), id_list(p.get("RouteTableIds")), id_list(p.get("SecurityGroupIds")),
            p.get("PrivateDnsEnabled"), loc))

    # --- databases --------------------------------------------------------------------------------

    def _db(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        cfn = self.cfn
        public = p.get("PubliclyAccessible")
        db = planned_db(str(p.get("DBInstanceIdentifier") or rid), cfn.region, p.get("Engine"),
                        planned_db_host(f"{cfn.prefix}{logical}", cfn.region),
                        to_int(p.get("Port")) or engine_port(p.get("Engine")) or 5432,
                        public in (True, "true") if public is not None else None,
                        p.get("DBSubnetGroupName"), id_list(p.get("VPCSecurityGroups")), loc)
        db["cluster"] = p.get("DBClusterIdentifier")
        self.out["db_instances"].append(db)

    def _cluster(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        cfn = self.cfn
        db = planned_db(str(p.get("DBClusterIdentifier") or rid), cfn.region, p.get("Engine"),
                        planned_db_host(f"{cfn.prefix}{logical}", cfn.region),
                        to_int(p.get("Port")) or engine_port(p.get("Engine")) or 3306, None,
                        p.get("DBSubnetGroupName"), id_list(p.get("VpcSecurityGroupIds")), loc)
        db["kind"] = "cluster"
        self.out["db_clusters"].append(db)

    def _subnet_group(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self.out["db_subnet_groups"].append(planned_subnet_group(
            str(p.get("DBSubnetGroupName") or rid), self.cfn.region, id_list(p.get("SubnetIds")), rid))

    # --- identity, secrets, keys ------------------------------------------------------------------

    def _role(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self.out["roles"].append(planned_role(
            self.cfn.role_arn(logical), self.cfn.role_name(logical), p.get("AssumeRolePolicyDocument"),
            [(str(x.get("PolicyName")), x.get("PolicyDocument")) for x in p.get("Policies") or []
             if isinstance(x, dict)], id_list(p.get("ManagedPolicyArns")), loc))

    def _policy(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        inline = self.cfn.type_of(logical) == "AWS::IAM::Policy"
        for role in self.out["roles"]:
            if role["arn"] in id_list(p.get("Roles")) or role["name"] in id_list(p.get("Roles")):
                role["policies"].append({"name": str(p.get("PolicyName") or p.get("ManagedPolicyName") or logical),
                                         "kind": "inline" if inline else "managed", "arn": None,
                                         "document": p.get("PolicyDocument")})

    def _key(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        cfn = self.cfn
        policy = p.get("KeyPolicy")
        if policy is None and "KeyPolicy" not in (cfn.resources[logical].get("Properties") or {}):
            # a key created without a policy gets the default one
            # (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kms-key.html)
            policy = default_key_policy(cfn.partition, cfn.account)
        arn = cfn.key_arn(logical)
        self.keys[rid] = {"arn": arn, "id": cfn.key_id(logical), "region": cfn.region, "manager": "CUSTOMER",
                          "state": "Disabled" if p.get("Enabled") in (False, "false") else "Enabled",
                          "policy": json.dumps(policy) if isinstance(policy, dict) else policy,
                          "requested": [arn, cfn.key_id(logical), rid], "_location": loc}

    def _alias(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        target, name = p.get("TargetKeyId"), p.get("AliasName")
        key = next((k for k in self.keys.values() if target in k["requested"]), None)
        if key is not None and isinstance(name, str):
            cfn = self.cfn
            key["requested"] += [name, f"arn:{cfn.partition}:kms:{cfn.region}:{cfn.account}:{name}"]

    def _secret(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        cfn = self.cfn
        arn = cfn.secret_arn(logical)
        self.secrets[rid] = {"arn": arn, "name": p.get("Name") if isinstance(p.get("Name"), str)
                             else arn.rsplit(":", 1)[-1][:-7], "region": cfn.region, "account": cfn.account,
                             "kms_key_id": str(p["KmsKeyId"]) if p.get("KmsKeyId") else None, "deleted": False,
                             "rotation_enabled": False, "last_rotated": None, "resource_policy": None,
                             "resource_policy_read": True, "tags": {}, "_location": loc}

    def _secret_policy(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        secret = next((s for s in self.secrets.values() if s["arn"] == p.get("SecretId")
                       or s["name"] == p.get("SecretId")), None)
        if secret is not None:
            policy = p.get("ResourcePolicy")
            secret["resource_policy"] = json.loads(policy) if isinstance(policy, str) else policy

    def _parameter(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        cfn = self.cfn
        name = p.get("Name")
        if not isinstance(name, str):
            cfn.unknowns.append((logical, "Name", "the parameter's name is generated at deployment"))
            return
        self.out["ssm_parameters"].append({"arn": parameter_arn(cfn.partition, cfn.region, cfn.account, name),
                                           "name": name, "region": cfn.region, "type": p.get("Type"),
                                           "key_id": None, "_location": loc})

    # --- workloads --------------------------------------------------------------------------------

    def _connector(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self.out["vpc_connectors"].append(planned_connector(
            rid, p.get("VpcConnectorName") or logical, self.cfn.region, id_list(p.get("Subnets")),
            id_list(p.get("SecurityGroups")), loc))

    def _service(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self.out["services"].append(_cfn_service(logical, rid, p, self.cfn.region, loc))

    def _ecs_service(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        cfn = self.cfn
        td_ref = p.get("TaskDefinition")
        td_logical = td_ref[len(cfn.rid("")):] if isinstance(td_ref, str) and td_ref.startswith(cfn.rid("")) else ""
        td = _shaped(cfn, td_logical, cfn.props(td_logical)) if td_logical in cfn.resources else None
        if td is None:  # an existing task definition: its images, roles and secrets are not here
            cfn.unknowns.append((logical, "TaskDefinition", "it names a task definition that is not in the template"))
        # an item known only after deployment (an imported subnet) is already a gap: the record
        # keeps what is known, as the live reader would, never a None where an id belongs
        self.out["services"].append(_cfn_ecs_service(logical, rid, _pruned(p), _pruned(td) if td else None,
                                                     cfn.region, loc))

    def _stack(self, logical: str, p: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self.cfn.nested(logical)


# the type each property the reader uses must have; a value of another type is what CloudFormation
# rejects at validation, so the property is dropped and named in a gap instead of read wrongly
_STRINGS = frozenset({
    "VpcId", "SubnetId", "RouteTableId", "GatewayId", "NatGatewayId", "VpcPeeringConnectionId", "TransitGatewayId",
    "InternetGatewayId", "GroupId", "NetworkAclId", "DBSubnetGroupName", "DBClusterIdentifier",
    "DBInstanceIdentifier", "Engine", "VpcConnectorName", "ServiceName", "RoleName", "KmsKeyId", "TargetKeyId",
    "AliasName", "SecretId", "PeerVpcId", "PeerRegion", "PeerOwnerId", "ConnectivityType", "VpcEndpointType",
    "GroupName", "TemplateURL", "EgressOnlyInternetGatewayId", "NetworkInterfaceId", "VpcEndpointId",
    "DestinationIpv6CidrBlock", "DestinationPrefixListId", "AvailabilityZone", "Cluster", "ExecutionRoleArn",
    "TaskRoleArn", "InstanceRoleArn", "AccessRoleArn", "VpcConnectorArn", "ImageIdentifier", "Image",
    "TaskDefinition", "ValueFrom", "EgressType", "ImageRepositoryType", "AssignPublicIp",
})
_CIDRS = frozenset({"CidrBlock", "DestinationCidrBlock", "Ipv6CidrBlock", "DestinationIpv6CidrBlock"})
_LISTS = frozenset({
    "SubnetIds", "Subnets", "SecurityGroups", "VPCSecurityGroups", "VpcSecurityGroupIds", "SecurityGroupIds",
    "RouteTableIds", "SecurityGroupIngress", "SecurityGroupEgress", "Policies", "ManagedPolicyArns", "Roles",
    "ContainerDefinitions",
})
_MAPPINGS = frozenset({
    "SourceConfiguration", "NetworkConfiguration", "InstanceConfiguration", "AssumeRolePolicyDocument",
    "PolicyDocument", "PortRange", "Parameters",
})


def _shaped(cfn: _Cfn, logical: str, p: dict[str, Any]) -> dict[str, Any]:
    """`p` with each property of the wrong type removed and named in a gap, at every depth."""
    out: dict[str, Any] = {}
    for k, v in p.items():
        if isinstance(v, dict):
            v = _shaped(cfn, logical, v)
        elif isinstance(v, list):
            v = [_shaped(cfn, logical, x) if isinstance(x, dict) else x for x in v]
        wrong = ""
        if v is None:
            pass
        elif k in _STRINGS and not isinstance(v, str):
            wrong = "is not a string"
        elif k in _CIDRS and not _is_cidr(v):
            wrong = "is not a CIDR block"
        elif k in _LISTS and not isinstance(v, list):
            wrong = "is not a list"
        elif k in _MAPPINGS and not isinstance(v, dict):
            wrong = "is not a mapping"
        if wrong:
            cfn.unknowns.append((logical, k, f"its value {wrong}, which CloudFormation rejects"))
            continue
        out[k] = v
    return out


def _is_cidr(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return "/" in value


def _rules(perms: Any, egress: bool = False) -> list[dict[str, Any]]:
    out = []
    for p in perms if isinstance(perms, list) else []:
        if not isinstance(p, dict):
            continue
        proto = str(p.get("IpProtocol", "-1"))
        out.append({
            "protocol": "-1" if proto in ("-1", "all") else proto,
            "from_port": to_int(p.get("FromPort")),
            "to_port": to_int(p.get("ToPort")),
            "cidrs": id_list(p.get("CidrIp")),
            "ipv6_cidrs": id_list(p.get("CidrIpv6")),
            "groups": [{"id": g, "owner": None, "vpc": None, "peering": None}
                       for g in id_list(p.get("DestinationSecurityGroupId" if egress else "SourceSecurityGroupId"))],
            "prefix_lists": id_list(p.get("DestinationPrefixListId" if egress else "SourcePrefixListId")),
        })
    return out


def _target(cfn: _Cfn, value: Any) -> str:
    """Route target kind from the referenced planned resource's type, or the id's prefix."""
    text = str(value or "")
    if text.startswith(cfn.rid("")):
        return _ROUTE_TARGETS.get(cfn.type_of(text[len(cfn.rid("")):].split(".")[0]), "gateway")
    return {"igw": "igw", "nat": "nat", "pcx": "pcx", "tgw": "tgw", "vgw": "vgw", "eni": "eni",
            "eigw": "eigw", "vpce": "vpce"}.get(text.split("-", 1)[0], "gateway")


def _cfn_service(logical: str, rid: str, p: dict[str, Any], region: str, loc: dict[str, Any]) -> dict[str, Any]:
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
        "arn": rid,
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


def _cfn_ecs_service(logical: str, rid: str, p: dict[str, Any], td: dict[str, Any] | None, region: str,
                     loc: dict[str, Any]) -> dict[str, Any]:
    """An AWS::ECS::Service (with the AWS::ECS::TaskDefinition it names, when planned too) as the
    live collector would record it."""
    from preflight.collect.ecs import transform_service

    svc = _api_shape(p)
    svc.update(serviceArn=rid, serviceName=str(p.get("ServiceName") or logical),
               clusterArn=p.get("Cluster"), status="PLANNED",
               taskDefinition=p.get("TaskDefinition") if isinstance(p.get("TaskDefinition"), str) else None)
    record = transform_service(svc, _api_shape(td) if td is not None else None, None, region)
    planned_load_balancers(record)
    record["_location"] = loc
    return record
