"""The records every planned-state reader builds: the same shapes the live collectors produce,
made from a template or a plan. Each reader (CloudFormation, Terraform, CLI input) imports these;
none of them imports another reader.
"""

from __future__ import annotations

import json
import re
from typing import Any

Records = dict[str, list[dict[str, Any]]]



PLAN_GAPS = "_gaps"  # the key under which a loader returns its unknowns, as snapshot gaps


INPUTS = "_inputs"  # the key under which a loader says what it read from its file
EXPORTS = "_exports"  # the key under which a template returns its Outputs' Export names and values
META = (PLAN_GAPS, INPUTS, EXPORTS)  # keys of a reader's result that are not snapshot collections


def planned_db_host(address: str, region: str) -> str:
    """A stand-in endpoint for a planned database, so that a service whose environment names it
    (DB_HOST: !GetAtt Db.Endpoint.Address) gets a flow to it like a live one would."""
    label = re.sub(r"[^a-z0-9-]", "-", address.lower())[:60]
    return f"{label}.planned.{region}.rds.amazonaws.com"


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
    """A planned peering: not accepted yet; the sides' CIDRs are filled in by `link`."""

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
    """A planned RDS instance; its VPC and subnets come from its subnet group in `link`."""
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
    `complete_roles` once every policy the plan defines is known."""
    return {"arn": rid, "name": name, "exists": True, "complete": True, "_managed": managed, "trust": trust,
            "boundary": None, "tags": {}, "_location": loc,
            "policies": [{"name": n, "kind": "inline", "arn": None, "document": d} for n, d in inline]}


def id_list(value: Any) -> list[str]:
    """The ids in a value that should be one id or a list of them; anything but a non-empty
    string (a number, a mapping, an unknown) is no id."""
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str) and v]


def to_int(v: Any) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def complete_roles(roles: list[dict[str, Any]], documents: dict[str, Any]) -> list[tuple[str, str]]:
    """Adds the managed policies a planned role names whose documents the plan holds; a role that
    names any other (an AWS managed policy, one that exists already) is incomplete: its
    permissions are not judged. Returns (role name, policy) for each policy outside the plan."""
    outside = []
    known = {**aws_managed_documents(), **documents}
    for role in roles:
        for arn in role.pop("_managed", []):
            if arn in known:
                role["policies"].append({"name": arn.rsplit("/", 1)[-1], "kind": "managed",
                                         "arn": None if arn in documents else arn, "document": known[arn]})
            else:
                role["complete"] = False
                outside.append((role["name"], arn))
    return outside


def aws_managed_documents() -> dict[str, Any]:
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


def link(out: Records) -> None:
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
    for db in [*out.get("db_clusters", []), *out["db_instances"]]:
        group = groups.get(db.get("subnet_group") or "")
        if group:
            db["subnets"], db["vpc"] = group["subnets"], group["vpc"]


def default_key_policy(partition: str, account: str) -> dict[str, Any]:
    """The key policy KMS gives a key created without one: the account may do everything, so IAM
    policies decide (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html)."""
    return {"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"}]}


def protocol_number(p: Any) -> str:
    text = str(p if p is not None else "-1").lower()
    return {"all": "-1", "tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58"}.get(text, text)


def port_number(v: Any) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def acl_entry(rule: Any, egress: bool, protocol: Any, action: Any, cidr: Any, from_port: Any,
               to_port: Any) -> dict[str, Any]:
    proto = protocol_number(protocol)
    whole = proto == "-1"
    return {"rule": port_number(rule) or 0, "egress": egress, "protocol": proto,
            "action": "deny" if str(action).lower() == "deny" else "allow", "cidr": cidr,
            "from_port": None if whole else port_number(from_port), "to_port": None if whole else port_number(to_port)}


def deny_all() -> list[dict[str, Any]]:
    """The `*` rule every network ACL ends with
    (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html)."""
    return [{"rule": 32767, "egress": egress, "protocol": "-1", "action": "deny", "cidr": cidr,
             "from_port": None, "to_port": None}
            for egress in (False, True) for cidr in ("0.0.0.0/0", "::/0")]


def default_acl_entries() -> list[dict[str, Any]]:
    """A VPC's default ACL: rule 100 allows all traffic both ways, IPv4 and IPv6
    (https://docs.aws.amazon.com/vpc/latest/userguide/default-network-acl.html)."""
    allow = [{"rule": 100 if cidr == "0.0.0.0/0" else 101, "egress": egress, "protocol": "-1", "action": "allow",
              "cidr": cidr, "from_port": None, "to_port": None}
             for egress in (False, True) for cidr in ("0.0.0.0/0", "::/0")]
    return allow + deny_all()


def engine_port(engine: Any) -> int | None:
    """The port RDS gives an engine when none is set
    (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ConnectToInstance.html)."""
    text = str(engine or "").lower()
    for prefix, port in (("aurora-postgresql", 5432), ("postgres", 5432), ("aurora", 3306), ("mysql", 3306),
                         ("mariadb", 3306), ("sqlserver", 1433), ("oracle", 1521), ("db2", 50000)):
        if text.startswith(prefix):
            return port
    return None


def planned_load_balancers(record: dict[str, Any]) -> None:
    """A planned ECS service's load balancers, one per target group it registers with: which
    listener and load balancer forward to the group is not followed, only that something does
    (what ECS003 needs); the scheme and DNS name stay unknown."""
    if record.get("platform") == "apprunner":
        return
    record["load_balancers"] = [{"arn": f"(load balancer of {tg})", "scheme": None, "dns_name": None}
                                for tg in record.get("target_groups") or [] if tg]


def vpc_defaults(rid: str, region: str, loc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The default network ACL (all traffic allowed both ways) and default security group (members
    may reach each other, everything may go out) AWS creates with every VPC
    (https://docs.aws.amazon.com/vpc/latest/userguide/default-network-acl.html,
    https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html)."""
    def everything(cidrs: list[str], groups: list[str]) -> dict[str, Any]:
        return {"protocol": "-1", "from_port": None, "to_port": None, "cidrs": cidrs, "ipv6_cidrs": [],
                "groups": [{"id": g, "owner": None, "vpc": None, "peering": None} for g in groups],
                "prefix_lists": []}

    acl = {"id": f"{rid}.default-acl", "region": region, "vpc": rid, "default": True, "subnets": [],
           "entries": default_acl_entries(), "tags": {}, "_location": loc}
    sg = {"id": f"{rid}.default-sg", "region": region, "vpc": rid, "name": "default", "tags": {},
          "ingress": [everything([], [f"{rid}.default-sg"])], "egress": [everything(["0.0.0.0/0"], [])],
          "_location": loc}
    return acl, sg


def finish_network(out: Records, tables: dict[str, dict[str, Any]], sgs: dict[str, dict[str, Any]],
                   nacls: dict[str, dict[str, Any]]) -> None:
    """Route tables, groups and ACLs into `out`, with what AWS implies: every route table has a
    local route for each of its VPC's CIDR blocks
    (https://docs.aws.amazon.com/vpc/latest/userguide/RouteTables.html#route-table-routes), and a
    subnet without an explicit ACL association has its VPC's default ACL."""
    cidrs = {v["id"]: v["cidrs"] for v in out["vpcs"]}
    for t in tables.values():
        t["subnets"] = sorted({s for s in t["subnets"] if s})
        have = {r["destination"] for r in t["routes"] if r["target_type"] == "local"}
        t["routes"] = [{"destination": c, "target_type": "local", "target": "local", "state": "active"}
                       for c in cidrs.get(t["vpc"], []) if c not in have] + t["routes"]
    claimed = {s for a in nacls.values() if not a["default"] for s in a["subnets"]}
    for s in out["subnets"]:
        default = nacls.get(f"{s['vpc']}.default-acl")
        if s["id"] not in claimed and default is not None:
            default["subnets"].append(s["id"])
    out["route_tables"] = list(tables.values())
    out["security_groups"] = list(sgs.values())
    out["network_acls"] = list(nacls.values())
