"""Terraform plans (`terraform show -json tfplan`) as snapshot records.

Every planned instance gets the id `tf:<instance address>` (`tf:module.vpc.aws_subnet.private[0]`)
unless its value is known (an existing resource, a data source). Values Terraform knows only after
apply are resolved through the configuration's references by `tfplan.Plan`; what cannot be
resolved becomes a gap naming the attribute and the collections it leaves unknown, so the rules
that read them are not evaluated instead of passing. Locations point at the resource's address in
the plan file (a plan does not keep .tf line numbers).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from preflight.collect.plans.records import (
    INPUTS,
    PLAN_GAPS,
    acl_entry,
    complete_roles,
    default_key_policy,
    deny_all,
    engine_port,
    finish_network,
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
    port_number,
    role_policy_gaps,
    vpc_defaults,
)
from preflight.collect.plans.tfplan import UNSET, Addr, Answer, Plan, instance_address
from preflight.redact import summarize_env
from preflight.refs import partition_of
from preflight.snapshot import empty_resources

Records = dict[str, list[dict[str, Any]]]

# Attribute -> the resource types an unknown value there can name.
_VPC = ("aws_vpc", "aws_default_vpc")
_SUBNET = ("aws_subnet", "aws_default_subnet")
_SG = ("aws_security_group", "aws_default_security_group")
_RT = ("aws_route_table", "aws_default_route_table")
_ROLE = ("aws_iam_role",)
_SECRET = ("aws_secretsmanager_secret", "aws_secretsmanager_secret_version", "aws_ssm_parameter")
_KEY = ("aws_kms_key", "aws_kms_alias", "aws_kms_replica_key")

# Default ports of the engines RDS runs, for a planned database that does not set one
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ConnectToInstance.html lists them
# per engine in the engine-specific connection pages).

# Types the reader turns into records, and the snapshot collection each feeds.
COLLECTION_OF = {
    "aws_vpc": "vpcs", "aws_default_vpc": "vpcs",
    "aws_subnet": "subnets", "aws_default_subnet": "subnets",
    "aws_route_table": "route_tables", "aws_default_route_table": "route_tables",
    "aws_route": "route_tables", "aws_route_table_association": "route_tables",
    "aws_main_route_table_association": "route_tables",
    "aws_internet_gateway": "internet_gateways", "aws_internet_gateway_attachment": "internet_gateways",
    "aws_egress_only_internet_gateway": "internet_gateways",
    "aws_nat_gateway": "nat_gateways",
    "aws_vpc_peering_connection": "peerings", "aws_vpc_peering_connection_accepter": "peerings",
    "aws_vpc_peering_connection_options": "peerings",
    "aws_security_group": "security_groups", "aws_default_security_group": "security_groups",
    "aws_security_group_rule": "security_groups",
    "aws_vpc_security_group_ingress_rule": "security_groups",
    "aws_vpc_security_group_egress_rule": "security_groups",
    "aws_network_acl": "network_acls", "aws_default_network_acl": "network_acls",
    "aws_network_acl_rule": "network_acls", "aws_network_acl_association": "network_acls",
    "aws_db_instance": "db_instances", "aws_rds_cluster": "db_clusters",
    "aws_db_subnet_group": "db_subnet_groups",
    "aws_apprunner_vpc_connector": "vpc_connectors", "aws_apprunner_service": "services",
    "aws_ecs_service": "services", "aws_ecs_task_definition": "services",
    "aws_vpc_endpoint": "vpc_endpoints",
    "aws_iam_role": "roles", "aws_iam_role_policy": "roles", "aws_iam_role_policy_attachment": "roles",
    "aws_iam_policy_attachment": "roles", "aws_iam_policy": "roles",
    "aws_secretsmanager_secret": "secrets", "aws_ssm_parameter": "ssm_parameters",
    "aws_kms_key": "kms_keys", "aws_kms_alias": "kms_keys",
    "aws_ec2_transit_gateway_vpc_attachment": "transit_gateway_attachments",
}


class _Tf:
    """One plan file being read: the resolver, the records' ids and what could not be known."""

    def __init__(self, path: str, doc: dict[str, Any], text: str, region: str, account: str) -> None:
        self.path, self.account = path, account
        self.plan = Plan(doc)
        self.region = _plan_region(doc, self.plan) or region
        self.partition = partition_of(self.region)
        self.text = text
        self.gaps: list[tuple[str, str, str, str]] = []  # (address, attribute, why, collection)
        self.inferred: list[str] = []
        self.idents: dict[str, str] = {}  # instance address -> the id its record carries
        self._lines: dict[str, int] | None = None

    # --- ids ------------------------------------------------------------------------------------

    def ident(self, address: str) -> str:
        return self.idents.get(address) or f"tf:{address}"

    def _gap(self, address: str, attr: str, why: str, collection: str) -> None:
        self.gaps.append((address, attr, why, collection))

    def one(self, address: str, path: tuple[str | int, ...], types: tuple[str, ...], collection: str,
            decisive: bool = True) -> Any:
        """A single value: the planned one when known, else the id of the instance it names."""
        plan = self.plan
        if not plan.is_unknown(address, path):
            v = plan.known(address, path)
            if not plan.null_reference(address, path):
                return v if v not in ("", []) else None
            answer = plan.resolve(plan.addrs[address], path, types)
            if not isinstance(answer, Answer) or not (answer.targets or answer.values):
                return None
            decisive = False
        else:
            answer = plan.resolve(plan.addrs[address], path, types)
        if answer is UNSET:
            return None
        assert isinstance(answer, Answer)
        if answer.values:
            return answer.values[0]
        if answer.targets:
            target = instance_address(answer.targets[0])
            if answer.inferred:
                self.inferred.append(f"{address}.{_dotted(path)} = {target} (the one candidate; the plan "
                                     "does not show the local or for_each element it goes through)")
            return self.ident(target)
        if decisive:
            self._gap(address, _dotted(path), answer.why or "it is known only after apply", collection)
        return None

    def many(self, address: str, path: tuple[str | int, ...], types: tuple[str, ...], collection: str) -> list[str]:
        """A list of ids: the known elements, plus every instance an unknown part names."""
        plan = self.plan
        known = plan.known(address, path)
        values = ([str(x) for x in known if x] if isinstance(known, list)
                  else [str(known)] if isinstance(known, str) and known else [])
        if not plan.is_unknown(address, path):
            if not plan.null_reference(address, path):
                return values
            answer = plan.resolve(plan.addrs[address], path, types, many=True)
            if not isinstance(answer, Answer) or not (answer.targets or answer.values):
                return values
        else:
            answer = plan.resolve(plan.addrs[address], path, types, many=True)
        if answer is UNSET:
            return values
        assert isinstance(answer, Answer)
        if answer.targets or answer.values:
            if answer.inferred:
                self.inferred.append(f"{address}.{_dotted(path)} = "
                                     f"{', '.join(instance_address(t) for t in answer.targets)} (inferred)")
            return list(dict.fromkeys([*values, *answer.values,
                                       *(self.ident(instance_address(t)) for t in answer.targets)]))
        self._gap(address, _dotted(path), answer.why or "it is known only after apply", collection)
        return values

    def loc(self, address: str) -> dict[str, Any]:
        if self._lines is None:
            self._lines = {}
            for i, line in enumerate(self.text.splitlines(), 1):
                for m in re.finditer(r'"address":\s*"((?:[^"\\]|\\.)*)"', line):
                    try:
                        self._lines.setdefault(json.loads(f'"{m.group(1)}"'), i)
                    except ValueError:
                        continue
        return {"file": self.path, "line": self._lines.get(address), "address": address}


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


def _plan_region(doc: dict[str, Any], plan: Plan) -> str | None:
    """The region the plan's default provider deploys to: its constant `region`, else what a
    `data.aws_region` read, else the region of a planned subnet's availability zone."""
    providers = ((doc.get("configuration") or {}).get("provider_config")) or {}
    aws = providers.get("aws") if isinstance(providers, dict) else None
    const = (((aws or {}).get("expressions") or {}).get("region") or {}).get("constant_value")
    if isinstance(const, str) and const:
        return const
    for address, a in plan.addrs.items():
        if a.mode == "data" and a.type == "aws_region" and not a.modules:
            name = plan.values(address).get("name") or plan.values(address).get("region")
            if isinstance(name, str) and name:
                return name
    for address, a in plan.addrs.items():
        if a.type == "aws_subnet":
            az = plan.values(address).get("availability_zone")
            if isinstance(az, str) and re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d[a-z]", az):
                return az[:-1]
    return None


def _tags(v: dict[str, Any]) -> dict[str, str]:
    tags = v.get("tags_all") or v.get("tags") or {}
    return {str(k): str(x) for k, x in tags.items()} if isinstance(tags, dict) else {}


def _json(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def load_terraform(path: str, doc: dict[str, Any], text: str, region: str, account: str) -> Records:
    tf = _Tf(path, doc, text, region, account)
    reader = _Reader(tf)
    return reader.read()


class _Reader:
    def __init__(self, tf: _Tf) -> None:
        self.tf = tf
        self.out = empty_resources()
        self.tables: dict[str, dict[str, Any]] = {}
        self.sgs: dict[str, dict[str, Any]] = {}
        self.nacls: dict[str, dict[str, Any]] = {}
        self.read_types: Counter[str] = Counter()
        self.ignored: Counter[str] = Counter()
        self.documents: dict[str, Any] = {}

    # each handler takes (address, values, record id, location)
    def read(self) -> Records:
        tf, plan = self.tf, self.tf.plan
        managed = [(a, plan.addrs[a]) for a in plan.addrs if plan.addrs[a].mode == "managed"]
        self._name_ids(managed)
        first: dict[str, Callable[[str, dict[str, Any], str, dict[str, Any]], None]] = {
            "aws_vpc": self._vpc, "aws_default_vpc": self._vpc, "aws_subnet": self._subnet,
            "aws_default_subnet": self._subnet, "aws_route_table": self._route_table,
            "aws_default_route_table": self._route_table, "aws_internet_gateway": self._igw,
            "aws_egress_only_internet_gateway": self._eigw, "aws_nat_gateway": self._nat,
            "aws_vpc_peering_connection": self._peering, "aws_security_group": self._sg,
            "aws_default_security_group": self._sg, "aws_network_acl": self._nacl,
            "aws_default_network_acl": self._nacl, "aws_db_instance": self._db,
            "aws_rds_cluster": self._cluster, "aws_db_subnet_group": self._subnet_group,
            "aws_apprunner_vpc_connector": self._connector, "aws_apprunner_service": self._service,
            "aws_vpc_endpoint": self._endpoint, "aws_iam_role": self._role,
            "aws_iam_policy": self._policy, "aws_secretsmanager_secret": self._secret,
            "aws_ssm_parameter": self._parameter, "aws_kms_key": self._key,
            "aws_ec2_transit_gateway_vpc_attachment": self._tgw_attachment,
        }
        second: dict[str, Callable[[str, dict[str, Any], str, dict[str, Any]], None]] = {
            "aws_route_table_association": self._association, "aws_route": self._route,
            "aws_main_route_table_association": self._main_association,
            "aws_security_group_rule": self._sg_rule, "aws_vpc_security_group_ingress_rule": self._sg_rule,
            "aws_vpc_security_group_egress_rule": self._sg_rule, "aws_network_acl_rule": self._nacl_rule,
            "aws_network_acl_association": self._nacl_association,
            "aws_iam_role_policy": self._role_policy, "aws_iam_role_policy_attachment": self._attachment,
            "aws_iam_policy_attachment": self._attachment, "aws_internet_gateway_attachment": self._igw_attach,
            "aws_vpc_peering_connection_options": self._peering_options,
            "aws_vpc_peering_connection_accepter": self._accepter, "aws_kms_alias": self._alias,
            "aws_ecs_task_definition": lambda *a: None,
        }
        def order(item: tuple[str, Addr]) -> int:  # VPCs first, the adopted defaults after them
            t = item[1].type
            return 0 if t in _VPC else 2 if t.startswith("aws_default_") else 1
        managed.sort(key=order)
        for stage in (first, second):
            for address, a in managed:
                handler = stage.get(a.type)
                if handler is not None:
                    handler(address, plan.values(address), tf.ident(address), tf.loc(address))
                    self.read_types[a.type] += 1
        for address, a in managed:
            if a.type == "aws_ecs_service":
                self._ecs_service(address)
                self.read_types[a.type] += 1
            elif a.type not in first and a.type not in second:
                self.ignored[a.type] += 1
        self._finish_tables()
        outside = complete_roles(self.out["roles"], self.documents)
        link(self.out)
        self._link_peerings()
        out: Records = self.out
        out[PLAN_GAPS] = [
            {"region": tf.region, "service": "plan", "operation": f"{address}.{attr}",
             "iam_action": "none (a planned value)",
             "error": f"{tf.path}: {address}.{attr} is not known before apply: {why}",
             "collections": [collection]}
            for address, attr, why, collection in dict.fromkeys(tf.gaps)
        ] + role_policy_gaps(outside, tf.region, tf.path)
        out[INPUTS] = [{
            "file": tf.path, "format": "terraform-plan", "region": tf.region,
            "read": dict(sorted(self.read_types.items())),
            "ignored": dict(sorted(self.ignored.items())),
            "inferred": tf.inferred[:50],
        }]
        return out

    # --- ids for records other resources name by ARN or name ----------------------------------

    def _name_ids(self, managed: list[tuple[str, Addr]]) -> None:
        tf = self.tf
        for address, a in managed:
            v = tf.plan.values(address)
            if a.type == "aws_secretsmanager_secret" and isinstance(v.get("name"), str) and v["name"]:
                # AWS appends six random characters to a new secret's ARN
                tf.idents[address] = (f"arn:{tf.partition}:secretsmanager:{tf.region}:{tf.account}:secret:"
                                      f"{v['name']}-PLANED")
            elif a.type == "aws_ssm_parameter" and isinstance(v.get("name"), str) and v["name"]:
                name = v["name"]
                tf.idents[address] = f"arn:{tf.partition}:ssm:{tf.region}:{tf.account}:parameter/{name.lstrip('/')}"
            elif a.type == "aws_kms_key":
                label = re.sub(r"[^A-Za-z0-9-]", "-", address)[:80]
                tf.idents[address] = f"arn:{tf.partition}:kms:{tf.region}:{tf.account}:key/planned-{label}"
            elif a.type == "aws_iam_role" and isinstance(v.get("name"), str) and v["name"]:
                tf.idents[address] = f"arn:{tf.partition}:iam::{tf.account}:role{v.get('path') or '/'}{v['name']}"
            elif a.type == "aws_secretsmanager_secret_version":
                pass
        for address, a in managed:  # a secret version's id is its secret's
            if a.type == "aws_secretsmanager_secret_version":
                secret = tf.one(address, ("secret_id",), ("aws_secretsmanager_secret",), "secrets", decisive=False)
                if secret:
                    tf.idents[address] = str(secret)
            elif a.type == "aws_kms_alias":
                key = tf.one(address, ("target_key_id",), ("aws_kms_key",), "kms_keys", decisive=False)
                if key:
                    tf.idents[address] = str(key)

    # --- network ------------------------------------------------------------------------------

    def _vpc(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        cidr = v.get("cidr_block") if isinstance(v.get("cidr_block"), str) else None
        if cidr is None and self.tf.plan.is_unknown(address, ("cidr_block",)):
            self.tf._gap(address, "cidr_block", "it is allocated at apply (IPAM) or computed", "vpcs")
        if address.split(".")[-2:-1] == ["aws_default_vpc"] or ".aws_default_vpc." in f".{address}":
            cidr = cidr or "172.31.0.0/16"
        vpc, main = planned_vpc(rid, self.tf.region, self.tf.account, [cidr] if cidr else [],
                                v.get("enable_dns_support", True) is not False,
                                bool(v.get("enable_dns_hostnames", False)), _tags(v), loc)
        self.out["vpcs"].append(vpc)
        self.tables[main["id"]] = main
        acl, sg = vpc_defaults(rid, self.tf.region, loc)
        self.nacls[acl["id"]] = acl
        self.sgs.setdefault(sg["id"], sg)  # an aws_default_security_group read first keeps its rules

    def _vpc_of(self, address: str, collection: str) -> str:
        vpc = self.tf.one(address, ("vpc_id",), _VPC, collection)
        return str(vpc) if vpc else f"tf:(unknown VPC of {address})"

    def _subnet(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        cidr = v.get("cidr_block") if isinstance(v.get("cidr_block"), str) else None
        if cidr is None and self.tf.plan.is_unknown(address, ("cidr_block",)):
            self.tf._gap(address, "cidr_block", "it is computed at apply", "subnets")
        ipv6 = v.get("ipv6_cidr_block")
        self.out["subnets"].append({
            "id": rid, "region": self.tf.region, "vpc": self._vpc_of(address, "subnets"), "cidr": cidr,
            "ipv6_cidrs": [ipv6] if isinstance(ipv6, str) and ipv6 else [],
            "az": v.get("availability_zone"), "tags": _tags(v), "_location": loc,
            "map_public_ip": bool(v.get("map_public_ip_on_launch"))})

    def _route_table(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        default = ".aws_default_route_table." in f".{address}"
        vpc = None
        if default:
            # aws_default_route_table adopts the VPC's main table, named by the VPC's
            # default_route_table_id: the table's id is the VPC's
            vpc = self.tf.one(address, ("default_route_table_id",), _VPC, "route_tables", decisive=False)
            vpc = str(vpc) if vpc else self._only_vpc(address)
            rid = f"{vpc}.main" if vpc else rid
        routes = []
        for i, route in enumerate(v.get("route") or []):
            if isinstance(route, dict):
                routes.append(self._route_record(address, ("route", i), route))
        if self.tf.plan.is_unknown(address, ("route",)) and self.tf.plan.expression(
                self.tf.plan.addrs[address], ("route",)) is not None:
            self.tf._gap(address, "route", "its inline routes are known only after apply", "route_tables")
        record = self.tables.get(rid) if default else None
        if record is not None:
            record["routes"] = [r for r in record["routes"] if r["target_type"] == "local"] + routes
            record["_location"] = loc
            return
        self.tables[rid] = {"id": rid, "region": self.tf.region,
                            "vpc": vpc or self._vpc_of(address, "route_tables"), "main": default,
                            "subnets": [], "routes": routes, "tags": _tags(v), "_location": loc}

    def _only_vpc(self, address: str) -> str | None:
        vpcs = [x["id"] for x in self.out["vpcs"]]
        return vpcs[0] if len(vpcs) == 1 else None

    def _route_record(self, address: str, base: tuple[str | int, ...], route: dict[str, Any]) -> dict[str, Any]:
        tf = self.tf
        dest = (route.get("cidr_block") or route.get("destination_cidr_block") or route.get("ipv6_cidr_block")
                or route.get("destination_ipv6_cidr_block") or route.get("destination_prefix_list_id")
                or route.get("prefix_list_id"))
        if not dest:
            tf._gap(address, _dotted((*base, "destination")), "the destination is known only after apply",
                    "route_tables")
            dest = "?"
        for key, kind, types in (
            ("gateway_id", "igw", ("aws_internet_gateway", "aws_vpn_gateway", "aws_vpc_endpoint")),
            ("egress_only_gateway_id", "eigw", ("aws_egress_only_internet_gateway",)),
            ("nat_gateway_id", "nat", ("aws_nat_gateway",)),
            ("vpc_peering_connection_id", "pcx", ("aws_vpc_peering_connection",)),
            ("transit_gateway_id", "tgw", ("aws_ec2_transit_gateway",)),
            ("vpc_endpoint_id", "vpce", ("aws_vpc_endpoint",)),
            ("network_interface_id", "eni", ("aws_network_interface",)),
            ("carrier_gateway_id", "gateway", ("aws_ec2_carrier_gateway",)),
            ("local_gateway_id", "gateway", ()),
        ):
            value = route.get(key)
            at = (*base, key)
            if not value and (tf.plan.is_unknown(address, at) or tf.plan.null_reference(address, at)):
                value = tf.one(address, at, types, "route_tables")
                if value is None:
                    return {"destination": str(dest), "target_type": "unknown", "target": "", "state": "active"}
            if value:
                text = str(value)
                if key == "gateway_id":
                    if text == "local":
                        kind = "local"
                    elif text.startswith("tf:"):
                        kind = ("igw" if "aws_internet_gateway" in text else "vgw" if "aws_vpn_gateway" in text
                                else "vpce" if "aws_vpc_endpoint" in text else "gateway")
                    else:
                        kind = {"igw": "igw", "vgw": "vgw", "vpce": "vpce"}.get(text.split("-", 1)[0], "gateway")
                return {"destination": str(dest), "target_type": kind, "target": text, "state": "active"}
        return {"destination": str(dest), "target_type": "unknown", "target": "", "state": "active"}

    def _route(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        table = self._table(address)
        if table is not None:
            table["routes"].append(self._route_record(address, (), v))

    def _table(self, address: str) -> dict[str, Any] | None:
        ref = self.tf.one(address, ("route_table_id",), _RT, "route_tables")
        if ref is None:
            return None
        found = self.tables.get(str(ref))
        if found is None and ".aws_default_route_table." in str(ref):
            found = next((t for t in self.tables.values() if t["main"] and t.get("_location", {}).get("address")
                          == str(ref)[3:]), None)
        if found is None:
            self.tf._gap(address, "route_table_id", f"it names {ref}, which is not in the plan", "route_tables")
        return found

    def _association(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        if v.get("gateway_id") or self.tf.plan.expression(self.tf.plan.addrs[address], ("gateway_id",)):
            return  # an edge association (ingress routing), not a subnet's table
        table = self._table(address)
        subnet = self.tf.one(address, ("subnet_id",), _SUBNET, "route_tables")
        if table is not None and subnet:
            table["subnets"].append(str(subnet))

    def _main_association(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        table = self._table(address)
        vpc = self.tf.one(address, ("vpc_id",), _VPC, "route_tables")
        if table is None or not vpc:
            return
        old = self.tables.get(f"{vpc}.main")
        if old is not None and old is not table:
            old["main"] = False
        table["main"] = True

    def _finish_tables(self) -> None:
        finish_network(self.out, self.tables, self.sgs, self.nacls)

    def _igw(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        vpc = self.tf.one(address, ("vpc_id",), _VPC, "internet_gateways", decisive=False)
        self.out["internet_gateways"].append({"id": rid, "region": self.tf.region, "vpcs": [str(vpc)] if vpc else [],
                                              "tags": _tags(v), "_location": loc})

    def _eigw(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self._igw(address, v, rid, loc)

    def _igw_attach(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        igw = self.tf.one(address, ("internet_gateway_id",), ("aws_internet_gateway",), "internet_gateways")
        vpc = self.tf.one(address, ("vpc_id",), _VPC, "internet_gateways")
        for g in self.out["internet_gateways"]:
            if g["id"] == igw and vpc and vpc not in g["vpcs"]:
                g["vpcs"].append(str(vpc))

    def _nat(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self.out["nat_gateways"].append({
            "id": rid, "region": self.tf.region, "vpc": None,
            "subnet": self.tf.one(address, ("subnet_id",), _SUBNET, "nat_gateways"), "state": "available",
            "connectivity": v.get("connectivity_type") or "public", "tags": _tags(v), "_location": loc})

    def _peering(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        tf = self.tf
        peer_region = v.get("peer_region") or tf.region
        record = planned_peering(rid, tf.region, tf.account, tf.one(address, ("vpc_id",), _VPC, "peerings"),
                                 tf.one(address, ("peer_vpc_id",), _VPC, "peerings"), peer_region,
                                 v.get("peer_owner_id"), loc)
        if v.get("auto_accept") is True and peer_region == tf.region and not v.get("peer_owner_id"):
            record["status"] = "active"
        for side, block in (("requester", "requester"), ("accepter", "accepter")):
            opts = (v.get(block) or [None])[0]
            if isinstance(opts, dict):
                record[side]["allow_dns_from_remote"] = bool(opts.get("allow_remote_vpc_dns_resolution"))
        self.out["peerings"].append(record)

    def _accepter(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        ref = self.tf.one(address, ("vpc_peering_connection_id",), ("aws_vpc_peering_connection",), "peerings")
        for p in self.out["peerings"]:
            if p["id"] == ref and v.get("auto_accept") is True:
                p["status"] = "active"

    def _peering_options(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        ref = self.tf.one(address, ("vpc_peering_connection_id",), ("aws_vpc_peering_connection",), "peerings")
        for p in self.out["peerings"]:
            if p["id"] != ref:
                continue
            for side in ("requester", "accepter"):
                opts = (v.get(side) or [None])[0]
                if isinstance(opts, dict) and "allow_remote_vpc_dns_resolution" in opts:
                    p[side]["allow_dns_from_remote"] = bool(opts["allow_remote_vpc_dns_resolution"])

    def _link_peerings(self) -> None:
        regions = {v["id"]: v["region"] for v in self.out["vpcs"]}
        for p in self.out["peerings"]:
            for side in ("requester", "accepter"):
                if p[side]["vpc"] in regions:
                    p[side]["region"] = regions[p[side]["vpc"]]

    def _sg(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        default = ".aws_default_security_group." in f".{address}"
        vpc = self._vpc_of(address, "security_groups")
        if default:
            rid = f"{vpc}.default-sg"
        rules: dict[str, list[dict[str, Any]]] = {}
        for direction in ("ingress", "egress"):
            rules[direction] = []
            for i, x in enumerate(v.get(direction) or []):
                if isinstance(x, dict):
                    groups = [str(g) for g in x.get("security_groups") or []]
                    if self.tf.plan.is_unknown(address, (direction, i, "security_groups")):
                        groups = self.tf.many(address, (direction, i, "security_groups"), _SG, "security_groups")
                    if x.get("self"):
                        groups.append(rid)
                    rules[direction].append(_rule(x.get("protocol"), x.get("from_port"), x.get("to_port"),
                                                  x.get("cidr_blocks"), x.get("ipv6_cidr_blocks"), groups,
                                                  x.get("prefix_list_ids")))
            if self.tf.plan.is_unknown(address, (direction,)) and not v.get(direction) and \
                    self.tf.plan.expression(self.tf.plan.addrs[address], (direction,)) is not None:
                self.tf._gap(address, direction, "its rules are known only after apply", "security_groups")
        # an aws_security_group without egress blocks has no egress rules: the provider revokes
        # the allow-all rule AWS creates with a new group (the resource's "NOTE on Egress rules"
        # in the hashicorp/aws documentation); separate rule resources add theirs below
        self.sgs[rid] = {"id": rid, "region": self.tf.region, "vpc": vpc, "name": v.get("name") or address,
                         "ingress": rules["ingress"], "egress": rules["egress"], "tags": _tags(v), "_location": loc}

    def _sg_rule(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        tf = self.tf
        ref = tf.one(address, ("security_group_id",), _SG, "security_groups")
        sg = self._sg_record(ref)
        if sg is None:
            if ref:
                tf._gap(address, "security_group_id", f"it names {ref}, which is not in the plan", "security_groups")
            return
        kind = address.rsplit(".", 2)[-2] if "." in address else ""
        egress = v.get("type") == "egress" or "egress_rule" in kind
        if "aws_vpc_security_group_" in address:
            other = v.get("referenced_security_group_id") or (
                tf.one(address, ("referenced_security_group_id",), _SG, "security_groups")
                if tf.plan.is_unknown(address, ("referenced_security_group_id",)) else None)
            record = _rule(v.get("ip_protocol"), v.get("from_port"), v.get("to_port"),
                           [v["cidr_ipv4"]] if v.get("cidr_ipv4") else [],
                           [v["cidr_ipv6"]] if v.get("cidr_ipv6") else [], [str(other)] if other else [],
                           [v["prefix_list_id"]] if v.get("prefix_list_id") else [])
        else:
            # the provider refuses source_security_group_id beside cidr_blocks, ipv6_cidr_blocks
            # or self (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/security_group_rule):
            # with one of those set, an unknown source group is the provider's empty default
            exclusive = bool(v.get("cidr_blocks") or v.get("ipv6_cidr_blocks") or v.get("self"))
            other = v.get("source_security_group_id")
            if not other and not exclusive and tf.plan.is_unknown(address, ("source_security_group_id",)):
                other = tf.one(address, ("source_security_group_id",), _SG, "security_groups")
            groups = [str(other)] if other else []
            if v.get("self"):
                groups.append(sg["id"])
            record = _rule(v.get("protocol"), v.get("from_port"), v.get("to_port"), v.get("cidr_blocks"),
                           v.get("ipv6_cidr_blocks"), groups, v.get("prefix_list_ids"))
        sg["egress" if egress else "ingress"].append(record)

    def _sg_record(self, ref: Any) -> dict[str, Any] | None:
        if not ref:
            return None
        found = self.sgs.get(str(ref))
        if found is None and ".aws_default_security_group." in str(ref):
            found = next((g for g in self.sgs.values() if g.get("_location", {}).get("address") == str(ref)[3:]), None)
        return found

    def _nacl(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        tf = self.tf
        default = ".aws_default_network_acl." in f".{address}"
        entries = []
        for direction in ("ingress", "egress"):
            for x in v.get(direction) or []:
                if isinstance(x, dict):
                    entries.append(acl_entry(x.get("rule_no"), direction == "egress", x.get("protocol"),
                                              x.get("action"), x.get("cidr_block") or x.get("ipv6_cidr_block"),
                                              x.get("from_port"), x.get("to_port")))
        if default:
            vpc = tf.one(address, ("default_network_acl_id",), _VPC, "network_acls", decisive=False)
            vpc = str(vpc) if vpc else self._only_vpc(address)
            acl = self.nacls.get(f"{vpc}.default-acl")
            if acl is not None:
                # aws_default_network_acl replaces the default ACL's rules with its own
                acl["entries"] = entries + deny_all()
                acl["_location"] = loc
                acl["_address"] = address
            else:
                tf._gap(address, "default_network_acl_id", "which VPC's default ACL it manages is not known",
                        "network_acls")
            return
        subnets = tf.many(address, ("subnet_ids",), _SUBNET, "network_acls")
        self.nacls[rid] = {"id": rid, "region": tf.region, "vpc": self._vpc_of(address, "network_acls"),
                           "default": False, "subnets": subnets, "entries": entries + deny_all(),
                           "tags": _tags(v), "_location": loc}

    def _nacl_rule(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        ref = self.tf.one(address, ("network_acl_id",), ("aws_network_acl", "aws_default_network_acl"), "network_acls")
        acl = self.nacls.get(str(ref)) if ref else None
        if acl is None and ref and ".aws_default_network_acl." in str(ref):
            acl = next((a for a in self.nacls.values() if a.get("_address") == str(ref)[3:]), None)
        if acl is None:
            if ref:
                self.tf._gap(address, "network_acl_id", f"it names {ref}, which is not in the plan", "network_acls")
            return
        acl["entries"].insert(0, acl_entry(v.get("rule_number"), bool(v.get("egress")), v.get("protocol"),
                                            v.get("rule_action"), v.get("cidr_block") or v.get("ipv6_cidr_block"),
                                            v.get("from_port"), v.get("to_port")))

    def _nacl_association(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        ref = self.tf.one(address, ("network_acl_id",), ("aws_network_acl",), "network_acls")
        subnet = self.tf.one(address, ("subnet_id",), _SUBNET, "network_acls")
        acl = self.nacls.get(str(ref)) if ref else None
        if acl is not None and subnet:
            acl["subnets"].append(str(subnet))

    def _endpoint(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        tf = self.tf
        kind = v.get("vpc_endpoint_type") or "Gateway"  # the provider's default
        # a gateway endpoint is route table entries; interface (and gateway load balancer)
        # endpoints are ENIs in subnets behind security groups: only what the type uses is read
        # (https://docs.aws.amazon.com/vpc/latest/privatelink/concepts.html)
        gateway = kind == "Gateway"
        self.out["vpc_endpoints"].append(planned_endpoint(
            rid, tf.region, self._vpc_of(address, "vpc_endpoints"), v.get("service_name"), kind,
            [] if gateway else tf.many(address, ("subnet_ids",), _SUBNET, "vpc_endpoints"),
            tf.many(address, ("route_table_ids",), _RT, "vpc_endpoints") if gateway else [],
            [] if gateway else tf.many(address, ("security_group_ids",), _SG, "vpc_endpoints"),
            v.get("private_dns_enabled"), loc))

    def _tgw_attachment(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        tf = self.tf
        tgw = v.get("transit_gateway_id") or tf.one(address, ("transit_gateway_id",), ("aws_ec2_transit_gateway",),
                                                     "transit_gateway_attachments")
        self.out.setdefault("transit_gateway_attachments", []).append({
            "id": rid, "region": tf.region, "tgw": tgw, "type": "vpc",
            "resource": tf.one(address, ("vpc_id",), _VPC, "transit_gateway_attachments"),
            "state": "available", "route_table": None, "association_state": None,
            "subnets": tf.many(address, ("subnet_ids",), _SUBNET, "transit_gateway_attachments"),
            "peer_region": None, "_location": loc})
        # the TGW's route tables are not modelled from plans: a flow through it stays undecided
        tf._gap(address, "transit_gateway_default_route_table_association",
                "the transit gateway's route tables are created at apply", "transit_gateway_route_tables")

    # --- databases ----------------------------------------------------------------------------

    def _db(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        tf = self.tf
        public = v.get("publicly_accessible")
        engine = v.get("engine")
        cluster = tf.one(address, ("cluster_identifier",), ("aws_rds_cluster",), "db_instances", decisive=False)
        ident = str(v.get("identifier") or rid)
        db = planned_db(ident, tf.region, engine, planned_db_host(address, tf.region),
                        int(v.get("port") or engine_port(engine) or 5432),
                        public if isinstance(public, bool) else False if public is None and not
                        tf.plan.is_unknown(address, ("publicly_accessible",)) else None,
                        self._subnet_group_ref(address),
                        tf.many(address, ("vpc_security_group_ids",), _SG, "db_instances"), loc)
        db["cluster"] = cluster
        db["_address"] = address
        self.out["db_instances"].append(db)

    def _cluster(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        tf = self.tf
        engine = v.get("engine")
        ident = str(v.get("cluster_identifier") or rid)
        db = planned_db(ident, tf.region, engine, planned_db_host(address, tf.region),
                        int(v.get("port") or engine_port(engine) or 3306), None,
                        self._subnet_group_ref(address),
                        tf.many(address, ("vpc_security_group_ids",), _SG, "db_clusters"), loc)
        db["kind"] = "cluster"
        db["_address"] = address
        self.out["db_clusters"].append(db)
        tf.idents.setdefault(address, ident)

    def _subnet_group_ref(self, address: str) -> str | None:
        v = self.tf.plan.values(address)
        if isinstance(v.get("db_subnet_group_name"), str) and v["db_subnet_group_name"]:
            return str(v["db_subnet_group_name"])
        ref = self.tf.one(address, ("db_subnet_group_name",), ("aws_db_subnet_group",), "db_instances")
        return str(ref) if ref else None

    def _subnet_group(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self.out["db_subnet_groups"].append(planned_subnet_group(
            str(v.get("name") or rid), self.tf.region, self.tf.many(address, ("subnet_ids",), _SUBNET,
                                                                    "db_subnet_groups"), rid))

    # --- identity -----------------------------------------------------------------------------

    def _role(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        tf = self.tf
        trust = _json(v.get("assume_role_policy"))
        if trust is None and tf.plan.is_unknown(address, ("assume_role_policy",)):
            tf._gap(address, "assume_role_policy", "the trust policy is known only after apply", "roles")
        inline = []
        for i, x in enumerate(v.get("inline_policy") or []):
            if isinstance(x, dict) and x.get("policy"):
                inline.append((str(x.get("name")), _json(x.get("policy"))))
            elif tf.plan.is_unknown(address, ("inline_policy", i, "policy")):
                tf._gap(address, f"inline_policy.{i}.policy", "the policy is known only after apply", "role_policies")
        role = planned_role(rid, str(v.get("name") or address), trust, inline,
                            [str(a) for a in v.get("managed_policy_arns") or []], loc)
        role["_address"] = address
        self.out["roles"].append(role)

    def _policy(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        doc = _json(v.get("policy"))
        self.documents[rid] = doc
        if v.get("arn"):
            self.documents[str(v["arn"])] = doc
        if doc is None:
            self.documents.pop(rid, None)
            self._unknown_policies = getattr(self, "_unknown_policies", set()) | {rid}

    def _roles_named(self, address: str, key: str, many: bool) -> list[dict[str, Any]]:
        tf = self.tf
        if many:
            targets = tf.many(address, (key,), _ROLE, "role_policies")
        else:
            one = tf.one(address, (key,), _ROLE, "role_policies")
            targets = [str(one)] if one else []
        return [r for r in self.out["roles"] if r["arn"] in targets or r["name"] in targets
                or f"tf:{r.get('_address')}" in targets]

    def _role_policy(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        doc = _json(v.get("policy"))
        for role in self._roles_named(address, "role", False):
            if doc is None:
                self.tf._gap(address, "policy", "the policy is known only after apply", "role_policies")
                role["complete"] = False
                continue
            role["policies"].append({"name": str(v.get("name") or address), "kind": "inline", "arn": None,
                                     "document": doc})

    def _attachment(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        tf = self.tf
        many = ".aws_iam_policy_attachment." in f".{address}"
        arn = v.get("policy_arn") or tf.one(address, ("policy_arn",), ("aws_iam_policy",), "role_policies")
        for role in self._roles_named(address, "roles" if many else "role", many):
            if not arn or str(arn) in getattr(self, "_unknown_policies", set()):
                tf._gap(address, "policy_arn", "the attached policy is known only after apply", "role_policies")
                role["complete"] = False
                continue
            role["_managed"].append(str(arn))

    def _secret(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        tf = self.tf
        if not rid.startswith("arn:"):
            tf._gap(address, "name", "the secret's name (so its ARN) is known only after apply", "secrets")
        key = v.get("kms_key_id") or tf.one(address, ("kms_key_id",), _KEY, "secrets")
        policy = _json(v.get("policy"))
        self.out["secrets"].append({
            "arn": rid, "name": v.get("name"), "region": tf.region, "account": tf.account,
            "kms_key_id": str(key) if key else None, "deleted": False, "rotation_enabled": False,
            "last_rotated": None, "resource_policy": policy, "resource_policy_read": True,
            "tags": _tags(v), "_location": loc})

    def _parameter(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        tf = self.tf
        if not isinstance(v.get("name"), str):
            tf._gap(address, "name", "the parameter's name is known only after apply", "ssm_parameters")
            return
        key = v.get("key_id") or (tf.one(address, ("key_id",), _KEY, "ssm_parameters")
                                  if v.get("type") == "SecureString" else None)
        self.out["ssm_parameters"].append({"arn": rid, "name": v["name"], "region": tf.region,
                                           "type": v.get("type"), "key_id": str(key) if key else None,
                                           "_location": loc})

    def _key(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        tf = self.tf
        policy: Any = v.get("policy")
        if not policy and tf.plan.is_unknown(address, ("policy",)):
            if tf.plan.expression(tf.plan.addrs[address], ("policy",)) is None:
                policy = json.dumps(default_key_policy(tf.partition, tf.account))
            else:
                tf._gap(address, "policy", "the key policy is known only after apply", "kms_keys")
                policy = None
        elif not policy:
            policy = json.dumps(default_key_policy(tf.partition, tf.account))
        self.out["kms_keys"].append({
            "arn": rid, "id": rid.rsplit("/", 1)[-1], "region": tf.region, "manager": "CUSTOMER",
            "state": "Enabled" if v.get("is_enabled", True) is not False else "Disabled",
            "policy": policy, "requested": [rid, f"tf:{address}"], "_location": loc})

    def _alias(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        name = v.get("name")
        for key in self.out["kms_keys"]:
            if key["arn"] == rid and isinstance(name, str):
                key["requested"].append(name)
                key["requested"].append(f"tf:{address}")

    # --- workloads ----------------------------------------------------------------------------

    def _connector(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        tf = self.tf
        self.out["vpc_connectors"].append(planned_connector(
            rid, str(v.get("vpc_connector_name") or address), tf.region,
            tf.many(address, ("subnets",), _SUBNET, "vpc_connectors"),
            tf.many(address, ("security_groups",), _SG, "vpc_connectors"), loc))

    def _service(self, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> None:
        self.out["services"].append(_tf_service(self.tf, address, v, rid, loc))

    def _ecs_service(self, address: str) -> None:
        self.out["services"].append(_tf_ecs_service(self.tf, address))


def _rule(protocol: Any, from_port: Any, to_port: Any, cidrs: Any, ipv6: Any, groups: list[str],
          prefix_lists: Any = None) -> dict[str, Any]:
    proto = str(protocol if protocol is not None else "-1").lower()
    proto = "-1" if proto in ("-1", "all") else proto
    ports = (None, None) if proto == "-1" else (port_number(from_port), port_number(to_port))
    return {"protocol": proto, "from_port": ports[0], "to_port": ports[1],
            "cidrs": [str(c) for c in cidrs or [] if c], "ipv6_cidrs": [str(c) for c in ipv6 or [] if c],
            "groups": [{"id": g, "owner": None, "vpc": None, "peering": None} for g in groups],
            "prefix_lists": [str(p) for p in prefix_lists or [] if p]}


def _block(v: dict[str, Any], *keys: str) -> dict[str, Any]:
    node: Any = v
    for k in keys:
        node = node.get(k) if isinstance(node, dict) else None
        node = node[0] if isinstance(node, list) and node else node
    return node if isinstance(node, dict) else {}


def _tf_service(tf: _Tf, address: str, v: dict[str, Any], rid: str, loc: dict[str, Any]) -> dict[str, Any]:
    src = _block(v, "source_configuration")
    image = _block(src, "image_repository")
    code = _block(src, "code_repository")
    if not image and not code and tf.plan.is_unknown(address, ("source_configuration", 0, "image_repository")):
        # the whole image block waits on apply (an ECR repository created in the same plan)
        image = {"image_identifier": None, "image_repository_type": None}
        tf._gap(address, "source_configuration.0.image_repository",
                "the image, its environment and secrets are known only after apply", "services")
    image_cfg = _block(image, "image_configuration")
    code_cfg = _block(code, "code_configuration")
    code_values = _block(code_cfg, "code_configuration_values")
    cfg = image_cfg if image else code_values
    cfg_path: tuple[str | int, ...] = (("source_configuration", 0, "image_repository", 0, "image_configuration", 0)
                                       if image else ("source_configuration", 0, "code_repository", 0,
                                                      "code_configuration", 0, "code_configuration_values", 0))
    instance = _block(v, "instance_configuration")
    egress = _block(v, "network_configuration", "egress_configuration")
    connector = tf.one(address, ("network_configuration", 0, "egress_configuration", 0, "vpc_connector_arn"),
                       ("aws_apprunner_vpc_connector",), "services")
    role = tf.one(address, ("instance_configuration", 0, "instance_role_arn"), _ROLE, "services")
    # the access role pulls from private ECR; a code or ECR Public source does not use it
    # (AuthenticationConfiguration, https://docs.aws.amazon.com/apprunner/latest/api/API_AuthenticationConfiguration.html)
    access = tf.one(address, ("source_configuration", 0, "authentication_configuration", 0, "access_role_arn"),
                    _ROLE, "services") if image and image.get("image_repository_type") != "ECR_PUBLIC" else None
    connection = _block(src, "authentication_configuration").get("connection_arn")
    secrets_known = cfg.get("runtime_environment_secrets") or {}
    secrets: list[dict[str, str]] = []
    if tf.plan.is_unknown(address, (*cfg_path, "runtime_environment_secrets")):
        expr = tf.plan.expression(tf.plan.addrs[address], (*cfg_path, "runtime_environment_secrets"))
        unknown = tf.plan.known(address, (*cfg_path, "runtime_environment_secrets"))
        flags: Any = tf.plan.unknown.get(address, {})
        for step in (*cfg_path, "runtime_environment_secrets"):
            flags = flags[step] if isinstance(flags, list) and isinstance(step, int) and len(flags) > step else (
                flags.get(step) if isinstance(flags, dict) else flags)
        if flags is True or (expr is not None and not isinstance(unknown, dict)):
            # the whole map is known only after apply: which secrets the service reads is unknown
            tf._gap(address, _dotted((*cfg_path, "runtime_environment_secrets")),
                    "the map of secrets is known only after apply", "services")
        elif isinstance(flags, dict):
            for name, flag in flags.items():
                if flag is True:
                    target = tf.one(address, (*cfg_path, "runtime_environment_secrets", name), _SECRET, "secrets")
                    secrets.append({"name": str(name), "ref": str(target) if target else "tf:(known after apply)"})
    secrets += [{"name": str(k), "ref": str(val)} for k, val in sorted(secrets_known.items()) if val is not None]
    env = cfg.get("runtime_environment_variables") or {}
    env_path = (*cfg_path, "runtime_environment_variables")
    env_set = tf.plan.expression(tf.plan.addrs[address], env_path) is not None
    if tf.plan.is_unknown(address, env_path) and (not isinstance(env, dict) or (not env and env_set)):
        tf._gap(address, _dotted((*cfg_path, "runtime_environment_variables")),
                "the environment is known only after apply", "services")
    env = _planned_env(tf, address, cfg_path, env if isinstance(env, dict) else {})
    return {
        "arn": rid, "name": str(v.get("service_name") or address), "id": None, "region": tf.region,
        "platform": "apprunner", "status": "PLANNED", "url": None,
        "source": {
            "type": "image" if image else "code", "image": image.get("image_identifier"),
            "repository_type": image.get("image_repository_type"),
            "configuration_source": code_cfg.get("configuration_source", "API"),
            "runtime": code_values.get("runtime"), "access_role_arn": access,
            "connection_arn": connection or (f"tf:{address}.connection" if tf.plan.is_unknown(
                address, ("source_configuration", 0, "authentication_configuration", 0, "connection_arn")) else None),
        },
        "port": str(cfg.get("port") or "8080"), "cpu": instance.get("cpu"), "memory": instance.get("memory"),
        "instance_role_arn": role,
        "egress": {"type": egress.get("egress_type") or ("VPC" if connector else "DEFAULT"),
                   "connector_arn": connector},
        "public": True, "env": summarize_env(env), "secrets": secrets,
        "autoscaling_config_arn": None, "tags": _tags(v), "operations": [], "domains": [],
        "_location": loc,
    }


def _planned_env(tf: _Tf, address: str, cfg_path: tuple[str | int, ...], env: dict[str, Any]) -> dict[str, Any]:
    """Environment values; one known only after apply that names a planned database becomes that
    database's stand-in endpoint (DB_HOST = aws_db_instance.db.address), so its flow is checked."""
    out = {str(k): val for k, val in env.items() if val is not None}
    flags: Any = tf.plan.unknown.get(address, {})
    for step in (*cfg_path, "runtime_environment_variables"):
        flags = flags[step] if isinstance(flags, list) and isinstance(step, int) and len(flags) > step else (
            flags.get(step) if isinstance(flags, dict) else None)
    if isinstance(flags, dict):
        for name, flag in flags.items():
            if flag is not True:
                continue
            answer = tf.plan.resolve(tf.plan.addrs[address], (*cfg_path, "runtime_environment_variables", name),
                                     ("aws_db_instance", "aws_rds_cluster"))
            if isinstance(answer, Answer) and answer.targets:
                out[str(name)] = planned_db_host(instance_address(answer.targets[0]), tf.region)
            else:
                out[str(name)] = "(known after apply)"
    return out


def _tf_taskdef(tf: _Tf, address: str) -> dict[str, Any] | None:
    """An aws_ecs_task_definition in the API's shape; None when its containers are known only
    after apply (an image from a repository created in the same plan, say)."""
    v = tf.plan.values(address)
    text = v.get("container_definitions")
    try:
        containers = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        containers = None
    if not isinstance(containers, list):
        tf._gap(address, "container_definitions", "the containers are known only after apply", "services")
        return None
    return {"containerDefinitions": [c for c in containers if isinstance(c, dict)],
            "cpu": v.get("cpu"), "memory": v.get("memory"), "networkMode": v.get("network_mode"),
            "requiresCompatibilities": v.get("requires_compatibilities"),
            "runtimePlatform": {"cpuArchitecture": _block(v, "runtime_platform").get("cpu_architecture")},
            "executionRoleArn": _string(v.get("execution_role_arn")) or tf.one(address, ("execution_role_arn",),
                                                                               _ROLE, "services"),
            "taskRoleArn": _string(v.get("task_role_arn")) or tf.one(address, ("task_role_arn",), _ROLE, "services")}


def _breaker(block: dict[str, Any]) -> dict[str, Any] | None:
    """aws_ecs_service.deployment_circuit_breaker in the API's shape (absent: no breaker)."""
    if not block:
        return None
    return {"enable": block.get("enable") is True, "rollback": block.get("rollback") is True}


def _string(value: Any) -> str | None:
    """A value the provider's schema types as a string; anything else no plan writes."""
    return value if isinstance(value, str) and value else None


def _tf_ecs_service(tf: _Tf, address: str) -> dict[str, Any]:
    from preflight.collect.ecs import transform_service

    v = tf.plan.values(address)
    td_ref = v.get("task_definition") or tf.one(address, ("task_definition",), ("aws_ecs_task_definition",),
                                                 "services")
    td_address = str(td_ref)[3:] if isinstance(td_ref, str) and td_ref.startswith("tf:") else None
    if td_address is None or td_address not in tf.plan.instances:
        # an existing task definition: its images, roles and secrets are not in the plan
        tf._gap(address, "task_definition", "it names a task definition outside the plan", "services")
        td_address = None
    net = _block(v, "network_configuration")
    cluster = v.get("cluster") or tf.one(address, ("cluster",), ("aws_ecs_cluster",), "services", decisive=False)
    svc: dict[str, Any] = {
        "serviceArn": f"tf:{address}", "serviceName": str(v.get("name") or address),
        "clusterArn": cluster, "status": "PLANNED", "launchType": v.get("launch_type"),
        "capacityProviderStrategy": [{"capacityProvider": c.get("capacity_provider")}
                                     for c in v.get("capacity_provider_strategy") or [] if isinstance(c, dict)],
        "desiredCount": v.get("desired_count"), "taskDefinition": td_ref,
        "deploymentConfiguration": {"maximumPercent": v.get("deployment_maximum_percent"),
                                    "deploymentCircuitBreaker": _breaker(_block(v, "deployment_circuit_breaker"))},
        "deploymentController": {"type": _block(v, "deployment_controller").get("type") or "ECS"},
        "healthCheckGracePeriodSeconds": v.get("health_check_grace_period_seconds"),
        "loadBalancers": [
            {"targetGroupArn": lb.get("target_group_arn") or tf.one(
                address, ("load_balancer", i, "target_group_arn"), ("aws_lb_target_group",), "services"),
                "containerName": lb.get("container_name"), "containerPort": lb.get("container_port")}
            for i, lb in enumerate(v.get("load_balancer") or []) if isinstance(lb, dict)],
    }
    if net or tf.plan.expression(tf.plan.addrs[address], ("network_configuration",)) is not None:
        svc["networkConfiguration"] = {"awsvpcConfiguration": {
            "subnets": tf.many(address, ("network_configuration", 0, "subnets"), _SUBNET, "services"),
            "securityGroups": tf.many(address, ("network_configuration", 0, "security_groups"), _SG, "services"),
            "assignPublicIp": "ENABLED" if net.get("assign_public_ip") else "DISABLED"}}
    record = transform_service(svc, _tf_taskdef(tf, td_address) if td_address else None, None, tf.region)
    planned_load_balancers(record)
    record["_location"] = tf.loc(address)
    return record
