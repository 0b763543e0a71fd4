"""Terraform plans (`terraform show -json tfplan`) as snapshot records.

Values come from `planned_values` (modules included). A value Terraform only knows after apply
(another resource's id) is resolved through the configuration's references to that resource's
address, `tf:aws_vpc.main`, which is the id its own record carries. Locations point at the
resource's address in the plan file (a plan does not keep .tf line numbers).
"""

from __future__ import annotations

import json
from typing import Any

from preflight.collect.plan import (
    PLAN_GAPS,
    _complete_roles,
    _link,
    planned_connector,
    planned_db,
    planned_endpoint,
    planned_peering,
    planned_role,
    planned_subnet_group,
    planned_vpc,
    role_policy_gaps,
)
from preflight.redact import summarize_env
from preflight.snapshot import empty_resources

Records = dict[str, list[dict[str, Any]]]


def _walk_modules(module: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(module.get("resources") or [])
    for child in module.get("child_modules") or []:
        out += _walk_modules(child)
    return out


def _config_index(config: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """address -> expressions, from the configuration (module calls included)."""
    out = {}
    for r in config.get("resources") or []:
        out[prefix + r["address"]] = r.get("expressions") or {}
    for name, call in (config.get("module_calls") or {}).items():
        out.update(_config_index(call.get("module") or {}, f"{prefix}module.{name}."))
    return out


def _ref(expr: Any, *path: str | int) -> str | None:
    """The first resource address an expression at `path` references."""
    node = expr
    for step in path:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and len(node) > step else None
        else:
            node = node.get(step) if isinstance(node, dict) else None
        if node is None:
            return None
    refs = node.get("references") if isinstance(node, dict) else None
    for r in refs or []:
        parts = str(r).split(".")
        if parts[0] == "module" and len(parts) >= 4:
            return "tf:" + ".".join(parts[:4])
        if len(parts) >= 2 and parts[0].startswith("aws_"):
            return "tf:" + ".".join(parts[:2])
    return None


class _Tf:
    def __init__(self, path: str, doc: dict[str, Any], text: str, region: str, account: str) -> None:
        self.path, self.region, self.account = path, region, account
        self.config = _config_index(((doc.get("configuration") or {}).get("root_module")) or {})
        self.text_lines = text.splitlines()
        self.after_unknown = {
            c.get("address"): (c.get("change") or {}).get("after_unknown") or {}
            for c in doc.get("resource_changes") or []
            if isinstance(c, dict)
        }
        self.unknowns: list[tuple[str, str, str]] = []  # (address, key, resource type)

    def _unknown_in_plan(self, r: dict[str, Any], key: str, *path: str | int) -> bool:
        node: Any = self.after_unknown.get(r["address"], {})
        for step in (key, *path):
            if node is True:
                return True
            if isinstance(step, int):
                node = node[step] if isinstance(node, list) and len(node) > step else None
            else:
                node = node.get(step) if isinstance(node, dict) else None
        return node is True

    def value(self, r: dict[str, Any], key: str, *path: str | int) -> Any:
        v: Any = r.get("values") or {}
        for step in (key, *path):
            if isinstance(step, int):
                v = v[step] if isinstance(v, list) and len(v) > step else None
            else:
                v = v.get(step) if isinstance(v, dict) else None
        if v in (None, "", []):
            found = _ref(self.config.get(r["address"], {}), key, *path)
            if found is None and self._unknown_in_plan(r, key, *path):
                self.unknowns.append((r["address"], ".".join(map(str, (key, *path))), str(r.get("type"))))
            return found
        return v

    def ids(self, r: dict[str, Any], key: str) -> list[str]:
        v = (r.get("values") or {}).get(key)
        if isinstance(v, list) and v and all(x for x in v):
            return [str(x) for x in v]
        expr = self.config.get(r["address"], {}).get(key) or {}
        found = sorted(
            {
                "tf:" + ".".join(str(x).split(".")[:2])
                for x in expr.get("references") or []
                if str(x).startswith("aws_") and str(x).count(".") >= 1
            }
        )
        if not found and self._unknown_in_plan(r, key):
            self.unknowns.append((r["address"], key, str(r.get("type"))))
        return found

    def nested_ids(self, r: dict[str, Any], *path: str | int) -> list[str]:
        """Ids at a path inside nested blocks (`network_configuration.0.subnets`): the planned
        values when known, else every resource the configuration references there."""
        v: Any = r.get("values") or {}
        for step in path:
            v = (v[step] if isinstance(v, list) and isinstance(step, int) and len(v) > step
                 else v.get(step) if isinstance(v, dict) and isinstance(step, str) else None)
        if isinstance(v, list) and v and all(v):
            return [str(x) for x in v]
        node: Any = self.config.get(r["address"], {})
        for step in path:
            node = (node[step] if isinstance(node, list) and isinstance(step, int) and len(node) > step
                    else node.get(step) if isinstance(node, dict) and isinstance(step, str) else None)
        refs = node.get("references") if isinstance(node, dict) else None
        found = sorted({"tf:" + ".".join(str(x).split(".")[:2]) for x in refs or []
                        if str(x).startswith("aws_") and str(x).count(".") >= 1})
        if not found and self._unknown_in_plan(r, str(path[0]), *path[1:]):
            self.unknowns.append((r["address"], ".".join(map(str, path)), str(r.get("type"))))
        return found

    def loc(self, address: str) -> dict[str, Any]:
        line = next(
            (
                i
                for i, text in enumerate(self.text_lines, 1)
                if f'"address": "{address}"' in text or f'"address":"{address}"' in text
            ),
            None,
        )
        return {"file": self.path, "line": line, "address": address}


def load_terraform(path: str, doc: dict[str, Any], text: str, region: str, account: str) -> Records:
    tf = _Tf(path, doc, text, region, account)
    out = empty_resources()
    resources = _walk_modules(((doc.get("planned_values") or {}).get("root_module")) or {})
    tables: dict[str, dict[str, Any]] = {}
    sgs: dict[str, dict[str, Any]] = {}
    for r in resources:
        t, v, rid, loc = r.get("type"), r.get("values") or {}, f"tf:{r['address']}", tf.loc(r["address"])
        if r.get("mode") == "data":
            continue
        if t == "aws_vpc":
            cidrs = [v["cidr_block"]] if v.get("cidr_block") else []
            vpc, main = planned_vpc(
                rid,
                region,
                account,
                cidrs,
                v.get("enable_dns_support", True),
                v.get("enable_dns_hostnames", False),
                v.get("tags") or {},
                loc,
            )
            out["vpcs"].append(vpc)
            tables[main["id"]] = main
        elif t == "aws_subnet":
            out["subnets"].append(
                {
                    "id": rid,
                    "region": region,
                    "vpc": tf.value(r, "vpc_id"),
                    "cidr": v.get("cidr_block"),
                    "ipv6_cidrs": [],
                    "az": v.get("availability_zone"),
                    "tags": v.get("tags") or {},
                    "_location": loc,
                }
            )
        elif t == "aws_route_table":
            routes = []
            for i, route in enumerate(v.get("route") or []):
                target, kind = _route_target(tf, r, route, i)
                routes.append(
                    {
                        "destination": route.get("cidr_block") or "?",
                        "target_type": kind,
                        "target": target,
                        "state": "active",
                    }
                )
            tables[rid] = {
                "id": rid,
                "region": region,
                "vpc": tf.value(r, "vpc_id"),
                "main": False,
                "subnets": [],
                "routes": routes,
                "tags": v.get("tags") or {},
                "_location": loc,
            }
        elif t == "aws_internet_gateway":
            out["internet_gateways"].append(
                {
                    "id": rid,
                    "region": region,
                    "vpcs": [x for x in [tf.value(r, "vpc_id")] if x],
                    "tags": {},
                    "_location": loc,
                }
            )
        elif t == "aws_nat_gateway":
            out["nat_gateways"].append(
                {
                    "id": rid,
                    "region": region,
                    "vpc": None,
                    "subnet": tf.value(r, "subnet_id"),
                    "state": "available",
                    "connectivity": v.get("connectivity_type") or "public",
                    "tags": {},
                    "_location": loc,
                }
            )
        elif t == "aws_vpc_peering_connection":
            out["peerings"].append(
                planned_peering(
                    rid,
                    region,
                    account,
                    tf.value(r, "vpc_id"),
                    tf.value(r, "peer_vpc_id"),
                    v.get("peer_region"),
                    None,
                    loc,
                )
            )
        elif t == "aws_security_group":
            sg = {
                "id": rid,
                "region": region,
                "vpc": tf.value(r, "vpc_id"),
                "name": v.get("name") or r["address"],
                "ingress": [_tf_rule(x) for x in v.get("ingress") or []],
                "egress": [_tf_rule(x) for x in v.get("egress") or []],
                "tags": {},
                "_location": loc,
            }
            sgs[rid] = sg
            out["security_groups"].append(sg)
        elif t == "aws_db_instance":
            public = v.get("publicly_accessible")
            out["db_instances"].append(planned_db(
                str(v.get("identifier") or rid), region, v.get("engine"), None, v.get("port") or 5432,
                public if isinstance(public, bool) else None,
                v.get("db_subnet_group_name") or tf.value(r, "db_subnet_group_name"),
                tf.ids(r, "vpc_security_group_ids"), loc))
        elif t == "aws_db_subnet_group":
            out["db_subnet_groups"].append(planned_subnet_group(
                str(v.get("name") or rid), region, tf.ids(r, "subnet_ids"), rid))
        elif t == "aws_apprunner_vpc_connector":
            out["vpc_connectors"].append(planned_connector(
                rid, v.get("vpc_connector_name") or r["address"], region, tf.ids(r, "subnets"),
                tf.ids(r, "security_groups"), loc))
        elif t == "aws_apprunner_service":
            out["services"].append(_tf_service(tf, r, rid, loc))
        elif t == "aws_vpc_endpoint":
            out["vpc_endpoints"].append(planned_endpoint(
                rid, region, tf.value(r, "vpc_id"), v.get("service_name"), v.get("vpc_endpoint_type"),
                tf.ids(r, "subnet_ids"), tf.ids(r, "route_table_ids"), tf.ids(r, "security_group_ids"),
                v.get("private_dns_enabled"), loc))
        elif t == "aws_iam_role":
            trust = v.get("assume_role_policy")
            out["roles"].append(planned_role(
                rid, str(v.get("name") or r["address"]),
                json.loads(trust) if isinstance(trust, str) and trust.startswith("{") else trust,
                [(str(x.get("name")), x.get("policy")) for x in v.get("inline_policy") or []
                 if isinstance(x, dict) and x.get("policy")],
                [str(a) for a in v.get("managed_policy_arns") or []], loc))
    documents = {f"tf:{r['address']}": (r.get("values") or {}).get("policy") for r in resources
                 if r.get("type") == "aws_iam_policy"}
    for r in resources:  # policies attached to planned roles by separate resources
        t, v = r.get("type"), r.get("values") or {}
        if t not in ("aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_policy_attachment"):
            continue
        targets = tf.ids(r, "roles") if t == "aws_iam_policy_attachment" else [v.get("role") or tf.value(r, "role")]
        for role in (x for x in out["roles"] if x["arn"] in targets or x["name"] in targets):
            if t == "aws_iam_role_policy":
                role["policies"].append({"name": str(v.get("name") or r["address"]), "kind": "inline", "arn": None,
                                         "document": v.get("policy")})
            else:
                role["_managed"].append(str(v.get("policy_arn") or tf.value(r, "policy_arn")))
    outside = _complete_roles(out["roles"], documents)
    taskdefs = {f"tf:{r['address']}": r for r in resources if r.get("type") == "aws_ecs_task_definition"}
    for r in resources:
        if r.get("type") == "aws_ecs_service":
            out["services"].append(_tf_ecs_service(tf, r, taskdefs))
    for r in resources:  # second pass: attachments
        t, v = r.get("type"), r.get("values") or {}
        if t == "aws_route_table_association":
            table = tables.get(tf.value(r, "route_table_id") or "")
            if table is not None:
                table["subnets"].append(tf.value(r, "subnet_id"))
        elif t == "aws_route":
            table = tables.get(tf.value(r, "route_table_id") or "")
            if table is not None:
                target, kind = _route_target(tf, r, v, None)
                table["routes"].append(
                    {
                        "destination": v.get("destination_cidr_block") or "?",
                        "target_type": kind,
                        "target": target,
                        "state": "active",
                    }
                )
        elif t in (
            "aws_security_group_rule",
            "aws_vpc_security_group_ingress_rule",
            "aws_vpc_security_group_egress_rule",
        ):
            rule_sg = sgs.get(tf.value(r, "security_group_id") or "")
            if rule_sg is not None:
                egress = v.get("type") == "egress" or t.endswith("egress_rule")
                rule_sg["egress" if egress else "ingress"].append(
                    _tf_rule(
                        {
                            "protocol": v.get("protocol") or v.get("ip_protocol"),
                            "from_port": v.get("from_port"),
                            "to_port": v.get("to_port"),
                            "cidr_blocks": v.get("cidr_blocks") or [x for x in [v.get("cidr_ipv4")] if x],
                        }
                    )
                )
    for rt in tables.values():
        rt["subnets"] = [s for s in rt["subnets"] if s]
    out["route_tables"] = list(tables.values())
    _link(out)
    collection_of = {
        "aws_vpc": "vpcs",
        "aws_subnet": "subnets",
        "aws_route_table": "route_tables",
        "aws_route": "route_tables",
        "aws_route_table_association": "route_tables",
        "aws_internet_gateway": "internet_gateways",
        "aws_nat_gateway": "nat_gateways",
        "aws_vpc_peering_connection": "peerings",
        "aws_security_group": "security_groups",
        "aws_security_group_rule": "security_groups",
        "aws_db_instance": "db_instances",
        "aws_apprunner_vpc_connector": "vpc_connectors",
        "aws_apprunner_service": "services",
        "aws_ecs_service": "services",
        "aws_ecs_task_definition": "services",
        "aws_vpc_endpoint": "vpc_endpoints",
    }
    out[PLAN_GAPS] = [
        {
            "region": region,
            "service": "plan",
            "operation": f"{address}.{key}",
            "iam_action": "none (a planned value)",
            "error": f"{path}: {address}.{key} is known only after apply",
            "collections": [collection_of[rtype]],
        }
        for address, key, rtype in dict.fromkeys(tf.unknowns)
        if rtype in collection_of
    ] + role_policy_gaps(outside, region, path)
    return out


def _route_target(tf: _Tf, r: dict[str, Any], route: dict[str, Any], index: int | None) -> tuple[str, str]:
    for key, kind in (
        ("gateway_id", "igw"),
        ("nat_gateway_id", "nat"),
        ("vpc_peering_connection_id", "pcx"),
        ("transit_gateway_id", "tgw"),
        ("network_interface_id", "eni"),
    ):
        value = route.get(key)
        if not value:
            value = tf.value(r, "route", index, key) if index is not None else tf.value(r, key)
        if value:
            text = str(value)
            if key == "gateway_id" and text.startswith("tf:"):
                kind = "igw" if "aws_internet_gateway" in text else "gateway"
            elif key == "gateway_id":
                kind = {"igw": "igw", "vgw": "vgw"}.get(text.split("-", 1)[0], "gateway")
            return text, kind
    return "", "unknown"


def _tf_rule(x: dict[str, Any]) -> dict[str, Any]:
    proto = str(x.get("protocol") or "-1")
    return {
        "protocol": "-1" if proto in ("-1", "all") else proto,
        "from_port": x.get("from_port"),
        "to_port": x.get("to_port"),
        "cidrs": list(x.get("cidr_blocks") or []),
        "ipv6_cidrs": list(x.get("ipv6_cidr_blocks") or []),
        "groups": [{"id": g, "owner": None, "vpc": None, "peering": None} for g in x.get("security_groups") or []],
        "prefix_lists": list(x.get("prefix_list_ids") or []),
    }


def _tf_service(tf: _Tf, r: dict[str, Any], rid: str, loc: dict[str, Any]) -> dict[str, Any]:
    v = r.get("values") or {}
    src = (v.get("source_configuration") or [{}])[0] or {}
    image = (src.get("image_repository") or [{}])[0] or {}
    code = (src.get("code_repository") or [{}])[0] or {}
    image_cfg = (image.get("image_configuration") or [{}])[0] or {}
    code_cfg = (code.get("code_configuration") or [{}])[0] or {}
    code_values = (code_cfg.get("code_configuration_values") or [{}])[0] or {}
    cfg = image_cfg if image else code_values
    instance = (v.get("instance_configuration") or [{}])[0] or {}
    net = (v.get("network_configuration") or [{}])[0] or {}
    egress = (net.get("egress_configuration") or [{}])[0] or {}
    connector = egress.get("vpc_connector_arn") or tf.value(
        r, "network_configuration", 0, "egress_configuration", 0, "vpc_connector_arn"
    )
    role = instance.get("instance_role_arn") or tf.value(r, "instance_configuration", 0, "instance_role_arn")
    secrets = cfg.get("runtime_environment_secrets") or {}
    return {
        "arn": rid,
        "name": str(v.get("service_name") or r["address"]),
        "id": None,
        "region": tf.region,
        "platform": "apprunner",
        "status": "PLANNED",
        "url": None,
        "source": {
            "type": "image" if image else "code",
            "image": image.get("image_identifier"),
            "repository_type": image.get("image_repository_type"),
            "configuration_source": code_cfg.get("configuration_source", "API"),
            "runtime": code_values.get("runtime"),
            "access_role_arn": None,
            "connection_arn": None,
        },
        "port": str(cfg.get("port") or "8080"),
        "cpu": instance.get("cpu"),
        "memory": instance.get("memory"),
        "instance_role_arn": role,
        "egress": {
            "type": egress.get("egress_type") or ("VPC" if connector else "DEFAULT"),
            "connector_arn": connector,
        },
        "public": True,
        "env": summarize_env(cfg.get("runtime_environment_variables") or {}),
        "secrets": [
            {"name": str(k), "ref": str(val) if val is not None else "tf:(known after apply)"}
            for k, val in sorted(secrets.items())
        ],
        "autoscaling_config_arn": None,
        "tags": {},
        "operations": [],
        "domains": [],
        "_location": loc,
    }


def _tf_taskdef(tf: _Tf, r: dict[str, Any]) -> dict[str, Any] | None:
    """An aws_ecs_task_definition in the API's shape; None when its containers are known only
    after apply (an image from a repository created in the same plan, say)."""
    v = r.get("values") or {}
    text = v.get("container_definitions")
    try:
        containers = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        containers = None
    if not isinstance(containers, list):
        tf.unknowns.append((r["address"], "container_definitions", "aws_ecs_task_definition"))
        return None
    return {"containerDefinitions": [c for c in containers if isinstance(c, dict)],
            "cpu": v.get("cpu"), "memory": v.get("memory"), "networkMode": v.get("network_mode"),
            "executionRoleArn": v.get("execution_role_arn") or tf.value(r, "execution_role_arn"),
            "taskRoleArn": v.get("task_role_arn") or tf.value(r, "task_role_arn")}


def _tf_ecs_service(tf: _Tf, r: dict[str, Any], taskdefs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    from preflight.collect.ecs import transform_service

    v = r.get("values") or {}
    td_id = v.get("task_definition") or tf.value(r, "task_definition")
    td_res = taskdefs.get(str(td_id))
    if td_res is None:  # an existing task definition: its images, roles and secrets are not here
        tf.unknowns.append((r["address"], "task_definition", "aws_ecs_service"))
    net = (v.get("network_configuration") or [{}])[0] or {}
    svc = {
        "serviceArn": f"tf:{r['address']}", "serviceName": str(v.get("name") or r["address"]),
        "clusterArn": v.get("cluster"), "status": "PLANNED", "launchType": v.get("launch_type"),
        "capacityProviderStrategy": [{"capacityProvider": c.get("capacity_provider")}
                                     for c in v.get("capacity_provider_strategy") or [] if isinstance(c, dict)],
        "desiredCount": v.get("desired_count"), "taskDefinition": td_id,
        "deploymentConfiguration": {"maximumPercent": v.get("deployment_maximum_percent")},
        "loadBalancers": [{"targetGroupArn": lb.get("target_group_arn"), "containerPort": lb.get("container_port")}
                          for lb in v.get("load_balancer") or [] if isinstance(lb, dict)],
    }
    if v.get("network_configuration") or tf.config.get(r["address"], {}).get("network_configuration"):
        svc["networkConfiguration"] = {"awsvpcConfiguration": {
            "subnets": tf.nested_ids(r, "network_configuration", 0, "subnets"),
            "securityGroups": tf.nested_ids(r, "network_configuration", 0, "security_groups"),
            "assignPublicIp": "ENABLED" if net.get("assign_public_ip") else "DISABLED"}}
    record = transform_service(svc, _tf_taskdef(tf, td_res) if td_res else None, None, tf.region)
    record["_location"] = tf.loc(r["address"])
    return record
