"""Hand-built snapshots for check fixtures: small, explicit, no AWS fake needed.

Each method adds one record shaped as the collectors' transforms shape it and returns its id.
"""

from __future__ import annotations

import itertools
from typing import Any

from preflight.redact import summarize_env
from preflight.snapshot import SNAPSHOT_VERSION, empty_resources, validate

ACCOUNT = "111122223333"


class Snap:
    def __init__(self, regions: tuple[str, ...] = ("us-east-1",)) -> None:
        self.res = empty_resources()
        self.regions = list(regions)
        self.gaps: list[dict[str, Any]] = []
        self._n = itertools.count(1)

    def _id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._n):08x}"

    def vpc(self, cidrs: str | list[str], region: str = "us-east-1", *, default: bool = False,
            dns: tuple[bool | None, bool | None] = (None, None)) -> str:
        vid = self._id("vpc")
        self.res["vpcs"].append({
            "id": vid, "region": region, "owner": ACCOUNT,
            "cidrs": [cidrs] if isinstance(cidrs, str) else list(cidrs), "ipv6_cidrs": [],
            "is_default": default, "dns_support": dns[0], "dns_hostnames": dns[1], "tags": {}})
        self.route_table(vid, region=region, main=True, routes=[])
        return vid

    def _region_of(self, vpc: str) -> str:
        return next(v["region"] for v in self.res["vpcs"] if v["id"] == vpc)

    def subnet(self, vpc: str, cidr: str) -> str:
        sid = self._id("subnet")
        self.res["subnets"].append({"id": sid, "region": self._region_of(vpc), "vpc": vpc,
                                    "cidr": cidr, "ipv6_cidrs": [], "az": None, "az_id": None,
                                    "tags": {}})
        return sid

    def main_table(self, vpc: str) -> str:
        return next(t["id"] for t in self.res["route_tables"] if t["vpc"] == vpc and t["main"])

    def route_table(self, vpc: str, *, subnets: list[str] = (), main: bool = False,  # type: ignore[assignment]
                    routes: list[tuple[str, str] | tuple[str, str, str]] = (),  # type: ignore[assignment]
                    region: str | None = None) -> str:
        tid = self._id("rtb")
        region = region or self._region_of(vpc)
        self.res["route_tables"].append({
            "id": tid, "region": region, "vpc": vpc, "main": main, "subnets": list(subnets),
            "routes": [], "tags": {}})
        for r in routes:
            self.route(tid, *r)
        return tid

    def route(self, table: str, destination: str, target: str, state: str = "active") -> None:
        kind = target.split("-", 1)[0]
        kind = {"igw": "igw", "nat": "nat", "pcx": "pcx", "tgw": "tgw", "eni": "eni",
                "vpce": "vpce", "local": "local"}.get(kind, "gateway")
        t = next(t for t in self.res["route_tables"] if t["id"] == table)
        t["routes"].append({"destination": destination, "target_type": kind, "target": target,
                            "state": state})

    def igw(self, vpc: str) -> str:
        gid = self._id("igw")
        self.res["internet_gateways"].append({"id": gid, "region": self._region_of(vpc),
                                              "vpcs": [vpc], "tags": {}})
        return gid

    def nat(self, subnet: str, state: str = "available", connectivity: str = "public") -> str:
        nid = self._id("nat")
        sn = next(s for s in self.res["subnets"] if s["id"] == subnet)
        self.res["nat_gateways"].append({"id": nid, "region": sn["region"], "vpc": sn["vpc"],
                                         "subnet": subnet, "state": state,
                                         "connectivity": connectivity, "tags": {}})
        return nid

    def peering(self, requester: str, accepter: str, status: str = "active",
                dns: tuple[bool | None, bool | None] = (False, False),
                seen_from: str | None = None) -> str:
        pid = self._id("pcx")
        vr = next(v for v in self.res["vpcs"] if v["id"] == requester)
        va = next(v for v in self.res["vpcs"] if v["id"] == accepter)
        self.res["peerings"].append({
            "id": pid, "region": seen_from or vr["region"], "status": status,
            "requester": {"vpc": requester, "region": vr["region"], "owner": ACCOUNT,
                          "cidrs": list(vr["cidrs"]), "allow_dns_from_remote": dns[0]},
            "accepter": {"vpc": accepter, "region": va["region"], "owner": ACCOUNT,
                         "cidrs": list(va["cidrs"]), "allow_dns_from_remote": dns[1]},
            "tags": {}})
        return pid

    def sg(self, vpc: str, ingress: list[dict[str, Any]] = (),  # type: ignore[assignment]
           egress: list[dict[str, Any]] | None = None, name: str = "sg") -> str:
        gid = self._id("sg")
        all_out = [rule("-1", None, None, ["0.0.0.0/0"])]
        self.res["security_groups"].append({
            "id": gid, "region": self._region_of(vpc), "vpc": vpc, "name": name,
            "ingress": list(ingress), "egress": all_out if egress is None else list(egress),
            "tags": {}})
        return gid

    def db(self, ident: str, subnets: list[str], sgs: list[str], *, port: int = 5432,
           public: bool | None = False, kind: str = "instance", cluster: str | None = None) -> str:
        sn = next(s for s in self.res["subnets"] if s["id"] == subnets[0])
        region = sn["region"]
        address = f"{ident}.abcdefghij.{region}.rds.amazonaws.com"
        record = {
            "id": ident, "arn": f"arn:aws:rds:{region}:{ACCOUNT}:{'db' if kind == 'instance' else 'cluster'}:{ident}",
            "kind": kind, "region": region, "engine": "postgres", "status": "available",
            "address": address, "port": port, "reader_address": None,
            "publicly_accessible": public, "vpc": sn["vpc"], "subnet_group": None,
            "subnets": list(subnets), "security_groups": list(sgs), "cluster": cluster}
        self.res["db_instances" if kind == "instance" else "db_clusters"].append(record)
        return address

    def connector(self, name: str, subnets: list[str], sgs: list[str],
                  region: str = "us-east-1") -> str:
        arn = f"arn:aws:apprunner:{region}:{ACCOUNT}:vpcconnector/{name}/1/{'c' * 32}"
        self.res["vpc_connectors"].append({"arn": arn, "name": name, "region": region,
                                           "revision": 1, "status": "ACTIVE",
                                           "subnets": list(subnets), "security_groups": list(sgs)})
        return arn

    def service(self, name: str, *, connector: str | None = None,
                env: dict[str, str] | None = None, region: str = "us-east-1",
                secrets: dict[str, str] | None = None, role: str | None = None,
                image: str = "public.ecr.aws/x/y:1", access_role: str | None = None,
                tags: dict[str, str] | None = None,
                operations: list[dict[str, Any]] | None = None,
                domains: list[dict[str, Any]] | None = None, cpu: str = "1024",
                status: str = "RUNNING", asc: str | None = None, connection: str | None = None) -> str:
        arn = f"arn:aws:apprunner:{region}:{ACCOUNT}:service/{name}/{'0' * 32}"
        self.res["services"].append({
            "arn": arn, "name": name, "id": "0" * 32, "region": region, "platform": "apprunner",
            "status": "RUNNING", "url": None,
            "source": {"type": "image", "image": image, "runtime": None,
                       "repository_type": "ECR_PUBLIC" if image.startswith("public.ecr.aws") else "ECR",
                       "configuration_source": "API", "access_role_arn": access_role},
            "port": "8080", "cpu": cpu, "memory": "2048", "instance_role_arn": role,
            "egress": {"type": "VPC" if connector else "DEFAULT", "connector_arn": connector},
            "public": True, "env": summarize_env(env),
            "secrets": [{"name": k, "ref": v} for k, v in sorted((secrets or {}).items())],
            "autoscaling_config_arn": asc, "tags": dict(tags or {}), "operations": list(operations or []),
            "domains": list(domains or []), "dns_target": f"{name}.{region}.awsapprunner.com"})
        self.res["services"][-1]["status"] = status
        self.res["services"][-1]["source"]["connection_arn"] = connection
        return arn

    def zone(self, name: str, private: bool = False) -> str:
        zid = f"Z{next(self._n):012d}"
        self.res["dns_zones"].append({"id": zid, "name": name, "private": private})
        return zid

    def record(self, name: str, rtype: str, values: list[str] = (), *, zone: str | None = None,  # type: ignore[assignment]
               alias: str | None = None, source: str = "route53", status: str = "ok") -> None:
        rec: dict[str, Any] = {"zone": zone, "zone_name": None, "name": name, "type": rtype,
                               "values": list(values), "alias": {"dns_name": alias, "zone_id": "Z0"} if alias else None,
                               "source": source}
        if source == "dns":
            rec["status"] = status
        self.res["dns_records"].append(rec)

    def quota(self, region: str, value: float, source: str = "applied") -> None:
        self.res["quotas"].append({"region": region, "service_code": "fargate", "quota_code": "L-3032A538",
                                   "name": "Fargate On-Demand vCPU resource count", "value": value, "source": source})

    def asc(self, name: str, max_size: int, region: str = "us-east-1") -> str:
        arn = f"arn:aws:apprunner:{region}:{ACCOUNT}:autoscalingconfiguration/{name}/1/{'a' * 32}"
        self.res["autoscaling_configs"].append({"arn": arn, "name": name, "region": region, "max_size": max_size,
                                                "min_size": 1, "max_concurrency": 100, "is_default": False})
        self.res["autoscaling_summaries"].append({"arn": arn, "name": name, "region": region, "revision": 1,
                                                  "status": "ACTIVE", "is_default": False})
        return arn

    def connection(self, name: str, status: str = "AVAILABLE", region: str = "us-east-1") -> str:
        arn = f"arn:aws:apprunner:{region}:{ACCOUNT}:connection/{name}/{'d' * 32}"
        self.res["connections"].append({"arn": arn, "name": name, "region": region, "provider": "GITHUB",
                                        "status": status})
        return arn

    def role(self, name: str, *, trust: str | None = "tasks.apprunner.amazonaws.com",
             statements: list[dict[str, Any]] = (),  # type: ignore[assignment]
             boundary: list[dict[str, Any]] | None = None, exists: bool = True) -> str:
        arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        record: dict[str, Any] = {"arn": arn, "name": name, "exists": exists}
        if exists:
            record.update(complete=True, tags={}, trust={"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": trust}, "Action": "sts:AssumeRole"}]} if trust else {},
                boundary={"arn": f"arn:aws:iam::{ACCOUNT}:policy/boundary",
                          "document": {"Statement": boundary}} if boundary is not None else None,
                policies=[{"name": f"{name}-policy", "kind": "inline", "arn": None,
                           "document": {"Version": "2012-10-17", "Statement": list(statements)}}])
        self.res["roles"].append(record)
        return arn

    def secret(self, name: str, region: str = "us-east-1", *, key: str | None = None,
               deleted: bool = False, rotated: str | None = None, policy: Any = None) -> str:
        arn = f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{name}-AbCdEf"
        self.res["secrets"].append({"arn": arn, "name": name, "region": region, "account": ACCOUNT,
                                    "kms_key_id": key, "deleted": deleted,
                                    "deleted_date": "2026-12-01T00:00:00Z" if deleted else None,
                                    "rotation_enabled": bool(rotated), "last_rotated": rotated,
                                    "resource_policy": policy})
        return arn

    def key(self, region: str = "us-east-1", *, manager: str = "CUSTOMER", state: str = "Enabled",
            trusts_account: bool = True, extra: list[dict[str, Any]] = ()) -> str:  # type: ignore[assignment]
        kid = f"{next(self._n):08x}-0000-4000-8000-000000000000"
        arn = f"arn:aws:kms:{region}:{ACCOUNT}:key/{kid}"
        stmts = ([{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                   "Action": "kms:*", "Resource": "*"}] if trusts_account else []) + list(extra)
        self.res["kms_keys"].append({"arn": arn, "id": kid, "region": region, "manager": manager,
                                     "state": state, "policy": {"Statement": stmts}, "requested": [arn]})
        return arn

    def parameter(self, name: str, region: str = "us-east-1", *, kind: str = "SecureString",
                  key: str | None = "alias/aws/ssm") -> str:
        arn = f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{name.lstrip('/')}"
        self.res["ssm_parameters"].append({"arn": arn, "name": name, "region": region, "type": kind,
                                           "key_id": key})
        return arn

    def nacl(self, vpc: str, subnets: list[str], entries: list[tuple[int, bool, str, str, str, int | None, int | None]],
             default: bool = False) -> str:
        """entries: (rule, egress, protocol, action, cidr, from_port, to_port)."""
        aid = self._id("acl")
        for other in self.res["network_acls"]:
            other["subnets"] = [x for x in other["subnets"] if x not in subnets]
        self.res["network_acls"].append({
            "id": aid, "region": self._region_of(vpc), "vpc": vpc, "default": default,
            "subnets": list(subnets), "tags": {},
            "entries": [{"rule": r, "egress": e, "protocol": p, "action": a, "cidr": c,
                         "from_port": f, "to_port": t} for r, e, p, a, c, f, t in entries]})
        return aid

    def endpoint(self, vpc: str, service: str, kind: str = "Interface", *,
                 route_tables: list[str] = (), security_groups: list[str] = (),  # type: ignore[assignment]
                 private_dns: bool = True, state: str = "available") -> str:
        eid = self._id("vpce")
        self.res["vpc_endpoints"].append({
            "id": eid, "region": self._region_of(vpc), "vpc": vpc, "service": service, "type": kind,
            "state": state, "subnets": [], "route_tables": list(route_tables),
            "security_groups": list(security_groups), "private_dns": private_dns})
        return eid

    def ecs_service(self, name: str, subnets: list[str], sgs: list[str] = (),  # type: ignore[assignment]
                    *, public_ip: bool = False, region: str = "us-east-1",
                    image: str = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/app:1",
                    secrets: dict[str, str] | None = None, env: dict[str, str] | None = None,
                    execution_role: str | None = None, task_role: str | None = None,
                    logs: bool = True, load_balancer: bool = False, express: bool = False,
                    desired: int = 2, cpu: str = "1024", launch_type: str = "FARGATE",
                    operations: list[dict[str, Any]] | None = None,
                    domains: list[dict[str, Any]] | None = None, dns_target: str | None = None) -> str:
        from preflight.collect.ecs import image_origin

        arn = f"arn:aws:ecs:{region}:{ACCOUNT}:service/main/{name}"
        record: dict[str, Any] = {
            "arn": arn, "name": name, "id": None, "region": region,
            "platform": "ecs-express" if express else "ecs", "status": "ACTIVE",
            "cluster": f"arn:aws:ecs:{region}:{ACCOUNT}:cluster/main", "launch_type": launch_type,
            "task_definition": f"arn:aws:ecs:{region}:{ACCOUNT}:task-definition/{name}:1",
            "port": "8080", "cpu": cpu, "memory": "2048", "desired_count": desired, "running_count": desired,
            "deployment_max_percent": 200, "task_role_arn": task_role, "execution_role_arn": execution_role,
            "network_mode": "awsvpc",
            "egress": {"type": "VPC", "connector_arn": None, "awsvpc": {
                "subnets": list(subnets), "security_groups": list(sgs), "assign_public_ip": public_ip}},
            "env": summarize_env(env),
            "secrets": [{"name": k, "ref": v, "container": "app"} for k, v in sorted((secrets or {}).items())],
            "images": [{"container": "app", "image": image, **image_origin(image)}],
            "log_drivers": ["awslogs"] if logs else [], "target_groups": [], "tags": {}, "domains": [],
            "load_balancers": [{"arn": "arn:aws:elasticloadbalancing:lb", "scheme": "internet-facing",
                                "dns_name": "lb.example"}] if load_balancer else [],
            "operations": list(operations or []), "dns_target": dns_target}
        record["domains"] = list(domains or [])
        if express:
            record["express"] = {"status": "ACTIVE", "max_tasks": desired, "min_tasks": 1,
                                 "ingress": [{"access": "PUBLIC", "endpoint": f"{name}.ecs.{region}.on.aws"}]}
        self.res["services"].append(record)
        return arn

    def find(self, collection: str, ident: str) -> dict[str, Any]:
        return next(r for r in self.res[collection] if ident in (r.get("id"), r.get("arn")))

    def gap(self, collection: str, operation: str, region: str = "us-east-1") -> None:
        self.gaps.append({"region": region, "service": "ec2", "operation": operation,
                          "iam_action": f"ec2:{operation}", "error": "AccessDenied: no",
                          "collections": [collection]})

    def doc(self) -> dict[str, Any]:
        return validate({
            "snapshot_version": SNAPSHOT_VERSION, "account": ACCOUNT,
            "regions": sorted({*self.regions, *(v["region"] for v in self.res["vpcs"])}),
            "api_calls": 0, "gaps": self.gaps, "resources": self.res}, "<test snapshot>")


def rule(protocol: str, from_port: int | None, to_port: int | None,
         cidrs: list[str] = (), ipv6: list[str] = (),  # type: ignore[assignment]
         groups: list[str] = (), prefix_lists: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {"protocol": protocol, "from_port": from_port, "to_port": to_port,
            "cidrs": list(cidrs), "ipv6_cidrs": list(ipv6),
            "groups": [{"id": g, "owner": ACCOUNT, "vpc": None, "peering": None} for g in groups],
            "prefix_lists": list(prefix_lists)}


def fired(result: Any, rule_id: str) -> set[str]:
    """The ids of the resources a rule fired on: what tests assert, never a bare count."""
    return {f.resource.id for f in result.findings if f.rule == rule_id}
