"""Network checks: CIDR overlaps, public connector subnets, exposed databases."""

from __future__ import annotations

from collections.abc import Iterator

from preflight.enums import ROUTE_ACTIVE
from preflight.findings import Fix, Severity
from preflight.graph import Rec, ResourceGraph, attachment_label, is_awsvpc, ref
from preflight.netmath import covers_tcp_port, free_cidr, overlapping_pairs
from preflight.registry import Hit, check, finding

OPEN_WORLD = ("0.0.0.0/0", "::/0")


def _fmt_pairs(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{a} ~ {b}" for a, b in pairs)


@check("NET001")
def peered_cidr_overlap(g: ResourceGraph) -> Iterator[Hit]:
    all_cidrs = [c for v in g.vpcs.values() for c in v["cidrs"]]
    reported: set[frozenset[str]] = set()
    for p in sorted(g.peerings.values(), key=lambda p: p["id"]):
        req, acc = p["requester"], p["accepter"]
        left = g.vpc_cidrs(req["region"], req["vpc"], req["cidrs"])
        right = g.vpc_cidrs(acc["region"], acc["vpc"], acc["cidrs"])
        pairs = overlapping_pairs(left, right)
        if not pairs:
            continue
        reported.add(frozenset({f"{req['region']}:{req['vpc']}", f"{acc['region']}:{acc['vpc']}"}))
        new = free_cidr(all_cidrs)
        req_ref = ref("vpc", {"id": req["vpc"], "region": req["region"]})
        acc_ref = ref("vpc", {"id": acc["vpc"], "region": acc["region"]})
        yield finding(
            ref("peering", p),
            f"peering {p['id']} ({p['status']}) joins {req['vpc']} in {req['region']} and "
            f"{acc['vpc']} in {acc['region']}, whose CIDRs overlap ({_fmt_pairs(pairs)}); "
            "AWS puts such a peering in the failed state and it never carries traffic",
            Fix(f"Move one side into a VPC with a non-overlapping range such as {new}, then "
                "peer that VPC instead of this one",
                (f"aws ec2 create-vpc --region {req['region']} --cidr-block {new}",
                 f"aws ec2 delete-vpc-peering-connection --region {p['region']} "
                 f"--vpc-peering-connection-id {p['id']}")),
            related=(req_ref, acc_ref),
            path=(req["vpc"], p["id"], acc["vpc"]),
        )
    # A flow that must cross from the connector's VPC to the database's VPC needs a peering
    # (or a transit gateway) between them; with overlapping ranges none can ever work.
    for flow in g.flows("database"):
        conn, db = flow.egress, flow.target
        if conn is None or db is None or not conn["subnets"]:
            continue
        subnet = g.subnet(conn["region"], conn["subnets"][0])
        if subnet is None or not db.get("vpc"):
            continue
        src_vpc, dst_vpc = g.vpc(conn["region"], subnet["vpc"]), g.vpc(db["region"], db["vpc"])
        if src_vpc is None or dst_vpc is None or src_vpc is dst_vpc:
            continue
        pair = frozenset({f"{src_vpc['region']}:{src_vpc['id']}", f"{dst_vpc['region']}:{dst_vpc['id']}"})
        pairs = overlapping_pairs(src_vpc["cidrs"], dst_vpc["cidrs"])
        if not pairs or pair in reported:
            continue
        reported.add(pair)
        new = free_cidr(all_cidrs)
        w = flow.workload
        yield finding(
            ref("vpc", dst_vpc),
            f"{w['name']} reaches database {db['id']} through {attachment_label(conn)} in "
            f"{src_vpc['id']} ({src_vpc['region']}), but the database is "
            f"in {dst_vpc['id']} ({dst_vpc['region']}) and the two ranges overlap "
            f"({_fmt_pairs(pairs)}): the VPCs cannot be peered",
            Fix(f"Create a VPC with a non-overlapping range such as {new} in "
                f"{src_vpc['region']}, give it private subnets for a new VPC connector, and "
                f"peer it with {dst_vpc['id']}",
                (f"aws ec2 create-vpc --region {src_vpc['region']} --cidr-block {new}",)),
            related=(ref("vpc", src_vpc), ref("workload", w), ref("database", db)),
            path=(w["name"], conn.get("name") or conn["arn"], src_vpc["id"], dst_vpc["id"], db["id"]),
        )


@check("NET003")
def connector_in_public_subnet(g: ResourceGraph) -> Iterator[Hit]:
    for conn in sorted(g.connectors.values(), key=lambda c: c["arn"]):
        if is_awsvpc(conn):
            continue  # ECS tasks may have public IPs: ECS002/ECS003 judge their subnets
        users = g.workloads_using(conn)
        for subnet_id in conn["subnets"]:
            subnet = g.subnet(conn["region"], subnet_id)
            if subnet is None:
                continue
            table, route = g.route_for(subnet, "0.0.0.0/0")
            if table is None or route is None or route["target_type"] != "igw" \
                    or route["state"] not in ROUTE_ACTIVE or route["destination"] != "0.0.0.0/0":
                continue
            region = conn["region"]
            names = ", ".join(sorted(w["name"] for w in users)) or "no service yet"
            svc = users[0] if users else None
            commands = [
                f"aws apprunner create-vpc-connector --region {region} --vpc-connector-name "
                f"{(conn.get('name') or 'connector')[:30]}-private --subnets <private-subnet-ids> "
                + (f"--security-groups {' '.join(conn['security_groups'])}"
                   if conn["security_groups"] else ""),
            ]
            if svc is not None:
                commands.append(
                    f"aws apprunner update-service --region {region} --service-arn {svc['arn']} "
                    "--network-configuration 'EgressConfiguration={EgressType=VPC,"
                    "VpcConnectorArn=<new-connector-arn>}'")
            yield finding(
                ref("subnet", subnet),
                f"connector {conn.get('name')} uses subnet {subnet_id}, whose route table "
                f"{table['id']} sends 0.0.0.0/0 to internet gateway {route['target']}; the "
                f"connector's interfaces have private addresses only, so {names} gets no "
                "internet through it and deployments may fail or roll back",
                Fix("Put the connector in private subnets whose default route goes to a NAT "
                    "gateway (connectors cannot be edited: create a new one and switch the "
                    "service to it)", tuple(c.strip() for c in commands)),
                related=(ref("vpc_connector", conn), *(ref("workload", w) for w in users)),
                path=(*(w["name"] for w in users[:1]), conn.get("name") or conn["arn"],
                      subnet_id, table["id"], route["target"]),
            )


def _open_rules(g: ResourceGraph, db: Rec) -> list[tuple[Rec, dict[str, object], str]]:
    """(security group, rule, source) for each ingress rule that admits the world on the port."""
    port = db.get("port")
    out = []
    for sg_id in db["security_groups"]:
        sg = g.security_group(db["region"], sg_id)
        if sg is None:
            continue
        for rule in sg["ingress"]:
            if port is not None and not covers_tcp_port(rule["protocol"], rule["from_port"],
                                                        rule["to_port"], port):
                continue
            for cidr in (*rule["cidrs"], *rule["ipv6_cidrs"]):
                if cidr in OPEN_WORLD:
                    out.append((sg, rule, cidr))
    return out


def _revoke(region: str, sg_id: str, rule: dict[str, object], cidr: str) -> str:
    ranges = f"Ipv6Ranges=[{{CidrIpv6={cidr}}}]" if ":" in cidr else f"IpRanges=[{{CidrIp={cidr}}}]"
    ports = "" if rule["protocol"] == "-1" else f",FromPort={rule['from_port']},ToPort={rule['to_port']}"
    return (f"aws ec2 revoke-security-group-ingress --region {region} --group-id {sg_id} "
            f"--ip-permissions 'IpProtocol={rule['protocol']}{ports},{ranges}'")


@check("NET012")
def database_publicly_exposed(g: ResourceGraph) -> Iterator[Hit]:
    members = {(d["region"], d["cluster"]) for d in g.databases
               if d["kind"] == "instance" and d.get("cluster")}
    for db in sorted(g.databases, key=lambda d: (d["region"], d["id"])):
        if db["kind"] == "cluster" and (db["region"], db["id"]) in members:
            continue  # its instances are checked one by one
        public = db["publicly_accessible"] is True
        open_rules = _open_rules(g, db)
        if not public and not open_rules:
            continue
        region, port = db["region"], db.get("port")
        facts, commands = [], []
        if public:
            facts.append("is PubliclyAccessible (its hostname resolves to a public address)")
            flag = "--db-instance-identifier" if db["kind"] == "instance" else "--db-cluster-identifier"
            verb = "modify-db-instance" if db["kind"] == "instance" else "modify-db-cluster"
            commands.append(f"aws rds {verb} --region {region} {flag} {db['id']} "
                            "--no-publicly-accessible --apply-immediately")
        for sg, rule, cidr in open_rules:
            facts.append(f"security group {sg['id']} admits {cidr} on "
                         f"{'all ports' if rule['protocol'] == '-1' else f'port {port}'}")
            commands.append(_revoke(region, sg["id"], rule, cidr))
        if open_rules and port is not None:
            commands.append(
                f"aws ec2 authorize-security-group-ingress --region {region} --group-id "
                f"{open_rules[0][0]['id']} --protocol tcp --port {port} --cidr <source-cidr>")
        both = public and bool(open_rules)
        unknown = db["publicly_accessible"] is None
        message = f"database {db['id']} " + "; ".join(facts)
        if unknown:
            message += " (whether it is publicly accessible is unknown)"
        yield finding(
            ref("database", db),
            message,
            Fix("Make the database private and admit only the sources that must connect",
                tuple(commands)),
            related=tuple(dict.fromkeys(ref("security_group", sg) for sg, _, _ in open_rules)),
            path=(db["id"], *dict.fromkeys(sg["id"] for sg, _, _ in open_rules)),
            severity=Severity.CRITICAL if both else Severity.HIGH,
        )
