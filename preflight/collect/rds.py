"""RDS instances, clusters and subnet groups: API calls and pure transforms."""

from __future__ import annotations

from typing import Any

from preflight.collect.aws import Operation
from preflight.collect.base import Task, paginate
from preflight.enums import RDS_GROUP_IN_USE

SERVICE = "rds"


def transform_instances(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    out = []
    for d in raw:
        endpoint = d.get("Endpoint") or {}
        group = d.get("DBSubnetGroup") or {}
        public = d.get("PubliclyAccessible")
        out.append({
            "id": d["DBInstanceIdentifier"], "arn": d.get("DBInstanceArn"), "kind": "instance",
            "region": region, "engine": d.get("Engine"), "status": d.get("DBInstanceStatus"),
            "address": endpoint.get("Address"), "port": endpoint.get("Port") or d.get("DbInstancePort"),
            "reader_address": None,
            # moto (and an instance still being created) may omit the flag: unknown, not False.
            "publicly_accessible": public if isinstance(public, bool) else None,
            "vpc": group.get("VpcId"), "subnet_group": group.get("DBSubnetGroupName"),
            "subnets": [s["SubnetIdentifier"] for s in group.get("Subnets", [])
                        if s.get("SubnetIdentifier")],
            "security_groups": [g["VpcSecurityGroupId"] for g in d.get("VpcSecurityGroups", [])
                                if g.get("Status", "active") in RDS_GROUP_IN_USE],
            "cluster": d.get("DBClusterIdentifier"),
        })
    return out


def transform_clusters(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    out = []
    for c in raw:
        public = c.get("PubliclyAccessible")
        out.append({
            "id": c["DBClusterIdentifier"], "arn": c.get("DBClusterArn"), "kind": "cluster",
            "region": region, "engine": c.get("Engine"), "status": c.get("Status"),
            "address": c.get("Endpoint"), "port": c.get("Port"),
            "reader_address": c.get("ReaderEndpoint"),
            "publicly_accessible": public if isinstance(public, bool) else None,
            # A cluster names its subnet group only; the graph resolves it to a VPC and subnets.
            "vpc": None, "subnet_group": c.get("DBSubnetGroup"), "subnets": [],
            "security_groups": [g["VpcSecurityGroupId"] for g in c.get("VpcSecurityGroups", [])
                                if g.get("Status", "active") in RDS_GROUP_IN_USE],
            "cluster": None,
            "members": [m["DBInstanceIdentifier"] for m in c.get("DBClusterMembers", [])],
        })
    return out


def transform_subnet_groups(raw: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [{
        "name": g["DBSubnetGroupName"], "region": region, "vpc": g.get("VpcId"),
        "subnets": [s["SubnetIdentifier"] for s in g.get("Subnets", [])
                    if s.get("SubnetIdentifier")],
    } for g in raw]


COLLECTIONS: dict[str, tuple[str, str, Any]] = {
    "db_instances": ("DescribeDBInstances", "DBInstances", transform_instances),
    "db_clusters": ("DescribeDBClusters", "DBClusters", transform_clusters),
    "db_subnet_groups": ("DescribeDBSubnetGroups", "DBSubnetGroups", transform_subnet_groups),
}

OPERATIONS = tuple(Operation(SERVICE, op) for op, _, _ in COLLECTIONS.values())


def tasks(region: str) -> list[Task]:
    out = []
    for collection, (op, key, transform) in COLLECTIONS.items():
        def fetch(client: Any, _gap: Any, op: str = op, key: str = key) -> list[dict[str, Any]]:
            return paginate(client, op, key)
        out.append(Task(collection, Operation(SERVICE, op), region, fetch, transform))
    return out
