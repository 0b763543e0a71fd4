"""The resource graph: a pure function of a snapshot, with the queries checks need.

Resources are nodes of a networkx DiGraph keyed by `region:id` (ARNs for App Runner), with the
record as the node's `rec` attribute and its `kind`. Edges say how they connect: `in` (subnet in
VPC), `uses` (subnet -> its effective route table), `route` (route table -> target, with the
destination), `egress` (workload -> connector), `attached` (connector or database -> subnet),
`guarded_by` (-> security group), `peers` (peering -> both VPCs).

Nothing here knows App Runner's API: a workload is anything that runs code and sends traffic
out through an egress attachment (an App Runner VPC connector today, an ECS task's awsvpc
configuration later), so the same checks apply to every platform.

This module never imports boto3.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from preflight.findings import Ref
from preflight.netmath import longest_match
from preflight.redact import endpoint_digest

Rec = dict[str, Any]


def key(region: str, ident: str) -> str:
    return ident if ident.startswith("arn:") else f"{region}:{ident}"


@dataclass(frozen=True, slots=True)
class Flow:
    """Traffic a workload needs to send: to a database, or to the internet."""

    kind: str  # "database" | "internet"
    workload: Rec
    egress: Rec | None  # the connector; None when the workload egresses directly
    target: Rec | None = None  # the database of a database flow
    port: int | None = None


@dataclass(slots=True)
class ResourceGraph:
    snapshot: dict[str, Any]
    g: nx.DiGraph = field(default_factory=nx.DiGraph)
    vpcs: dict[str, Rec] = field(default_factory=dict)
    subnets: dict[str, Rec] = field(default_factory=dict)
    route_tables: dict[str, Rec] = field(default_factory=dict)
    main_tables: dict[str, Rec] = field(default_factory=dict)  # vpc key -> main table
    subnet_tables: dict[str, Rec] = field(default_factory=dict)  # subnet key -> explicit table
    security_groups: dict[str, Rec] = field(default_factory=dict)
    peerings: dict[str, Rec] = field(default_factory=dict)
    igws_by_vpc: dict[str, list[Rec]] = field(default_factory=dict)
    nat_gateways: dict[str, Rec] = field(default_factory=dict)
    connectors: dict[str, Rec] = field(default_factory=dict)
    nacls_by_subnet: dict[str, Rec] = field(default_factory=dict)
    default_nacls: dict[str, Rec] = field(default_factory=dict)  # vpc key -> default ACL
    default_sgs: dict[str, Rec] = field(default_factory=dict)  # vpc key -> "default" group
    peerings_by_pair: dict[frozenset[str], list[Rec]] = field(default_factory=dict)
    nat_by_id: dict[str, Rec] = field(default_factory=dict)
    endpoints_by_vpc: dict[str, list[Rec]] = field(default_factory=dict)
    roles: dict[str, Rec] = field(default_factory=dict)  # by ARN
    secrets: list[Rec] = field(default_factory=list)
    parameters: list[Rec] = field(default_factory=list)
    kms_keys: list[Rec] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)  # per-graph memo for derived views
    databases: list[Rec] = field(default_factory=list)
    workloads: list[Rec] = field(default_factory=list)

    @classmethod
    def build(cls, snapshot: dict[str, Any]) -> ResourceGraph:
        self = cls(snapshot)
        res = snapshot["resources"]
        add = self.g.add_node
        edge = self.g.add_edge
        for v in res["vpcs"]:
            k = key(v["region"], v["id"])
            self.vpcs[k] = v
            add(k, kind="vpc", rec=v)
        for s in res["subnets"]:
            k = key(s["region"], s["id"])
            self.subnets[k] = s
            add(k, kind="subnet", rec=s)
            edge(k, key(s["region"], s["vpc"]), rel="in")
        for t in res["route_tables"]:
            k = key(t["region"], t["id"])
            self.route_tables[k] = t
            add(k, kind="route_table", rec=t)
            if t["main"]:
                self.main_tables[key(t["region"], t["vpc"])] = t
            for sn in t["subnets"]:
                self.subnet_tables[key(t["region"], sn)] = t
            for r in t["routes"]:
                if r["target_type"] != "local":
                    edge(k, key(t["region"], r["target"]), rel="route",
                         destination=r["destination"], state=r["state"])
        for gw in res["internet_gateways"]:
            k = key(gw["region"], gw["id"])
            add(k, kind="internet_gateway", rec=gw)
            for vpc in gw["vpcs"]:
                self.igws_by_vpc.setdefault(key(gw["region"], vpc), []).append(gw)
                edge(k, key(gw["region"], vpc), rel="attached")
        for n in res["nat_gateways"]:
            k = key(n["region"], n["id"])
            self.nat_gateways[k] = n
            self.nat_by_id[n["id"]] = n
            add(k, kind="nat_gateway", rec=n)
            if n.get("subnet"):
                edge(k, key(n["region"], n["subnet"]), rel="in")
        for sg in res["security_groups"]:
            k = key(sg["region"], sg["id"])
            self.security_groups[k] = sg
            add(k, kind="security_group", rec=sg)
            if sg.get("name") == "default" and sg.get("vpc"):
                self.default_sgs[key(sg["region"], sg["vpc"])] = sg
        for acl in res["network_acls"]:
            k = key(acl["region"], acl["id"])
            add(k, kind="network_acl", rec=acl)
            if acl["default"] and acl.get("vpc"):
                self.default_nacls[key(acl["region"], acl["vpc"])] = acl
            for sn in acl["subnets"]:
                self.nacls_by_subnet[key(acl["region"], sn)] = acl
        for e in res["vpc_endpoints"]:
            self.endpoints_by_vpc.setdefault(key(e["region"], e.get("vpc") or ""), []).append(e)
        for p in _merge_peerings(res["peerings"]):
            self.peerings[p["id"]] = p
            add(p["id"], kind="peering", rec=p)
            pair = frozenset({key(p["requester"]["region"], p["requester"]["vpc"] or "?"),
                              key(p["accepter"]["region"], p["accepter"]["vpc"] or "?")})
            self.peerings_by_pair.setdefault(pair, []).append(p)
            for side in (p["requester"], p["accepter"]):
                if side["vpc"]:
                    edge(p["id"], key(side["region"], side["vpc"]), rel="peers")
        for c in res["vpc_connectors"]:
            self._attachment(c)
        groups = {(x["region"], x["name"]): x for x in res["db_subnet_groups"]}
        for db in res["db_instances"] + res["db_clusters"]:
            if db["kind"] == "cluster" and not db["vpc"]:
                group = groups.get((db["region"], db.get("subnet_group")))
                if group:
                    db = {**db, "vpc": group["vpc"], "subnets": group["subnets"]}
            k = db_key(db)
            self.databases.append(db)
            add(k, kind="database", rec=db)
            for sn in db["subnets"]:
                edge(k, key(db["region"], sn), rel="attached")
            for sg in db["security_groups"]:
                edge(k, key(db["region"], sg), rel="guarded_by")
        for role in res.get("roles", []):
            self.roles[role["arn"]] = role
            add(role["arn"], kind="role", rec=role)
        self.secrets = list(res.get("secrets", []))
        self.parameters = list(res.get("ssm_parameters", []))
        self.kms_keys = list(res.get("kms_keys", []))
        for w in res["services"]:
            self.workloads.append(w)
            add(w["arn"], kind="workload", rec=w)
            att = awsvpc_attachment(w)
            if att is not None:
                self._attachment(att)
                edge(w["arn"], att["arn"], rel="egress")
            elif w["egress"].get("connector_arn"):
                edge(w["arn"], w["egress"]["connector_arn"], rel="egress")
        return self

    def _attachment(self, c: Rec) -> None:
        """An egress attachment (App Runner connector, ECS awsvpc network) into its subnets."""
        self.connectors[c["arn"]] = c
        self.g.add_node(c["arn"], kind="vpc_connector", rec=c)
        for sn in c["subnets"]:
            self.g.add_edge(c["arn"], key(c["region"], sn), rel="attached")
        for sg in c["security_groups"]:
            self.g.add_edge(c["arn"], key(c["region"], sg), rel="guarded_by")

    # --- lookups -----------------------------------------------------------------------

    def vpc(self, region: str, vpc_id: str | None) -> Rec | None:
        return self.vpcs.get(key(region, vpc_id)) if vpc_id else None

    def subnet(self, region: str, subnet_id: str) -> Rec | None:
        return self.subnets.get(key(region, subnet_id))

    def security_group(self, region: str, sg_id: str) -> Rec | None:
        return self.security_groups.get(key(region, sg_id))

    def route_table_for(self, subnet: Rec) -> Rec | None:
        """The subnet's explicit route table, else its VPC's main table."""
        return (self.subnet_tables.get(key(subnet["region"], subnet["id"]))
                or self.main_tables.get(key(subnet["region"], subnet["vpc"])))

    def route_for(self, subnet: Rec, destination: str) -> tuple[Rec | None, Rec | None]:
        """(route table, longest-prefix route) a packet from `subnet` to `destination` uses."""
        table = self.route_table_for(subnet)
        if table is None:
            return None, None
        return table, longest_match(table["routes"], destination)

    def vpc_cidrs(self, region: str, vpc_id: str | None, fallback: list[str] | None = None) -> list[str]:
        vpc = self.vpc(region, vpc_id)
        return list(vpc["cidrs"]) if vpc else list(fallback or [])

    @property
    def account(self) -> str:
        return str(self.snapshot.get("account") or "")

    @property
    def partition(self) -> str:
        """aws, aws-cn or aws-us-gov: ARNs in fixes are built in it (snapshots before it was
        recorded were all aws)."""
        return str(self.snapshot.get("partition") or "aws")

    def role(self, arn: str | None) -> Rec | None:
        if not arn:
            return None
        # by name only within the ARN's account: a snapshot of several accounts may hold two
        # roles of one name
        account = arn_account(arn)
        return self.roles.get(arn) or next(
            (r for r in self.roles.values() if r["name"] == arn.rsplit("/", 1)[-1]
             and (not account or arn_account(str(r.get("arn") or "")) in ("", account))), None)

    def secret(self, region: str, arn: str, name: str) -> Rec | None:
        """The secret a reference names: by ARN, else by name with or without its suffix."""
        from preflight.refs import secret_name_candidates

        by_arn = next((s for s in self.secrets if s["arn"] == arn), None)
        if by_arn is not None:
            return by_arn
        account = arn_account(arn)
        here = [s for s in self.secrets if s["region"] == region
                and (not account or arn_account(str(s.get("arn") or "")) in ("", account))]
        exact = next((s for s in here if s.get("name") == name), None)
        if exact is not None:
            return exact
        # "db-AbCdEf" may be the secret "db" with its suffix, but only if that secret's ARN ends in
        # it: the secret "prod-db" is not what "prod-db-master" names
        for candidate in secret_name_candidates(name)[1:]:
            suffix = name[len(candidate):]
            found = next((s for s in here if s.get("name") == candidate
                          and (not s.get("arn") or str(s["arn"]).endswith(suffix))), None)
            if found is not None:
                return found
        return None

    def parameter(self, region: str, name: str, account: str | None = None) -> Rec | None:
        return next((p for p in self.parameters if p["region"] == region and p["name"] == name
                     and (not account or arn_account(str(p.get("arn") or "")) in ("", account))), None)

    def kms_key(self, region: str, key_id: str) -> Rec | None:
        return next((k for k in self.kms_keys if k["region"] == region and (
            key_id in k["requested"] or key_id in (k.get("arn"), k.get("id")))), None)

    def nacl_for(self, subnet: Rec) -> Rec | None:
        """The subnet's network ACL: its association, else the VPC's default ACL."""
        return (self.nacls_by_subnet.get(key(subnet["region"], subnet["id"]))
                or self.default_nacls.get(key(subnet["region"], subnet["vpc"])))

    def peerings_between(self, a: Rec, b: Rec) -> list[Rec]:
        """Peering connections (any state) joining VPC records `a` and `b`."""
        return self.peerings_by_pair.get(frozenset({key(a["region"], a["id"]),
                                                    key(b["region"], b["id"])}), [])

    def connector_security_groups(self, conn: Rec) -> list[Rec]:
        """The connector's groups; App Runner uses the VPC's default group when it names none."""
        if conn["security_groups"]:
            return [sg for sg in (self.security_group(conn["region"], i)
                                  for i in conn["security_groups"]) if sg is not None]
        subnet = next((self.subnet(conn["region"], s) for s in conn["subnets"]
                       if self.subnet(conn["region"], s)), None)
        default = self.default_sgs.get(key(conn["region"], subnet["vpc"])) if subnet else None
        return [default] if default else []

    def connector_of(self, workload: Rec) -> Rec | None:
        """The workload's egress attachment: its App Runner VPC connector, or its ECS tasks'
        awsvpc network."""
        arn = workload["egress"].get("connector_arn") or (
            attachment_arn(workload) if workload["egress"].get("awsvpc") else None)
        return self.connectors.get(arn) if arn else None

    def workloads_using(self, connector: Rec) -> list[Rec]:
        return [self.g.nodes[w]["rec"] for w in self.g.predecessors(connector["arn"])
                if self.g.nodes[w].get("kind") == "workload"]

    def database_by_digest(self) -> dict[str, Rec]:
        cached = self.cache.get("database_by_digest")
        if cached is not None:
            return dict(cached)
        out: dict[str, Rec] = {}
        for db in self.databases:
            for addr in (db.get("address"), db.get("reader_address")):
                if addr:
                    out[endpoint_digest(addr)] = db
        self.cache["database_by_digest"] = out
        return dict(out)

    def flows(self, kind: str | None = None) -> Iterator[Flow]:
        """Every flow of every workload: to each database its environment names, and to the
        internet when it egresses through a connector."""
        by_digest = self.database_by_digest()
        for w in self.workloads:
            conn = self.connector_of(w)
            if kind in (None, "database"):
                seen: set[str] = set()
                for env in w["env"]:
                    for d in env["endpoint_digests"]:
                        db = by_digest.get(d)
                        if db is not None and db_key(db) not in seen:
                            seen.add(db_key(db))
                            yield Flow("database", w, conn, db, db.get("port"))
            if kind in (None, "internet") and conn is not None:
                yield Flow("internet", w, conn)


ECS_PLATFORMS = ("ecs", "ecs-express")


def is_ecs(w: Rec) -> bool:
    """Whether a workload is an ECS service (Fargate, EC2 or Express Mode)."""
    return w["platform"] in ECS_PLATFORMS


def cluster_name(w: Rec) -> str:
    """An ECS service's cluster by name, as `aws ecs` commands take it."""
    return str(w.get("cluster") or "").rsplit("/", 1)[-1] or "<cluster>"


def attachment_arn(w: Rec) -> str:
    return f"{w['arn']}#awsvpc"


def awsvpc_attachment(w: Rec) -> Rec | None:
    """An ECS service's awsvpc configuration as an egress attachment, shaped like a connector:
    its tasks' network interfaces sit in these subnets, behind these security groups."""
    net = w["egress"].get("awsvpc")
    if not net:
        return None
    return {"arn": attachment_arn(w), "name": f"{w['name']} tasks", "region": w["region"],
            "kind": "awsvpc", "subnets": list(net["subnets"]), "security_groups": list(net["security_groups"]),
            "assign_public_ip": bool(net.get("assign_public_ip")), "status": "ACTIVE", "service": w["arn"]}


def is_awsvpc(conn: Rec) -> bool:
    return conn.get("kind") == "awsvpc"


def attachment_label(conn: Rec) -> str:
    """How a report names an egress attachment: 'connector X' or 'the awsvpc network of X's tasks'."""
    if is_awsvpc(conn):
        return f"the awsvpc network of {conn['name']}"
    return f"connector {conn.get('name') or conn['arn']}"


def db_key(db: Rec) -> str:
    return db.get("arn") or key(db["region"], f"rds:{db['kind']}:{db['id']}")


def _merge_peerings(records: list[Rec]) -> list[Rec]:
    """One record per peering. Each side's region is authoritative for that side's options, so
    a peering seen from both regions takes each side from the record read in its region."""
    merged: dict[str, Rec] = {}
    for p in records:
        cur = merged.get(p["id"])
        if cur is None:
            merged[p["id"]] = {**p, "requester": dict(p["requester"]), "accepter": dict(p["accepter"])}
            continue
        for side in ("requester", "accepter"):
            if p[side]["region"] == p["region"]:
                cur[side] = dict(p[side])
        if p["region"] == p["accepter"]["region"]:
            cur["status"] = p["status"]
    return list(merged.values())


# --- references for reports ---------------------------------------------------------------

def ref(kind: str, rec: Rec) -> Ref:
    """A report reference to a record of the snapshot."""
    if kind == "workload":
        return Ref(rec["name"], f"{rec['platform'].replace('-', '_')}_service", rec["region"], rec["arn"])
    if kind == "vpc_connector":
        return Ref(rec.get("name") or rec["arn"],
                   "ecs_awsvpc_configuration" if is_awsvpc(rec) else "vpc_connector", rec["region"], rec["arn"])
    if kind == "database":
        return Ref(rec["id"], f"rds_{rec['kind']}", rec["region"], rec.get("arn"))
    if kind == "peering":
        return Ref(rec["id"], "vpc_peering_connection", rec["region"])
    return Ref(rec["id"], kind, rec.get("region"))


def arn_account(arn: str) -> str:
    """The account field of an ARN ("" for none, or for text that is not an ARN)."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) > 4 and parts[0] == "arn" else ""
