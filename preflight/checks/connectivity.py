"""Network path checks: will each flow get to its database, and to the internet, and back?

The path semantics live in `preflight.reach.egress`; this module only decides what is a finding and
how to fix it. Each finding carries the path it followed, so a report shows where the packet
stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from preflight.checks.support.facts import apprunner_facts
from preflight.enums import PEERING_ACTIVE, PEERING_PENDING, ROUTE_ACTIVE
from preflight.findings import Fix, Severity
from preflight.graph import Flow, Rec, ResourceGraph, attachment_label, is_awsvpc, key, ref
from preflight.netmath import contains
from preflight.reach import FORWARD, RETURN, ROUTE_STAGES, UNDECIDED, Answer, Problem
from preflight.reach.egress import (
    DbPath,
    attachment_egress,
    db_paths,
    internet_answers,
)
from preflight.registry import Hit, check, finding


def _conn_name(conn: Rec) -> str:
    return str(conn.get("name") or conn["arn"])


_conn_label = attachment_label


def _side(conn: Rec) -> str:
    return "task" if is_awsvpc(conn) else "connector"


def _head(path: DbPath) -> list[str]:
    return [path.flow.workload["name"], _conn_name(path.connector)]


def _routing_paths(g: ResourceGraph) -> list[DbPath]:
    """Database flows whose routing means something: across VPCs that do not overlap, or
    inside one VPC. Overlapping VPCs are NET001's finding; routing between them is moot."""
    return [p for p in db_paths(g) if not p.overlap]


def _route_command(region: str, table: Rec, destination: str, target: str) -> str:
    verb = "replace-route" if any(r["destination"] == destination for r in table["routes"]) \
        else "create-route"
    option = "--transit-gateway-id" if target.startswith("tgw-") else "--vpc-peering-connection-id"
    return (f"aws ec2 {verb} --region {region} --route-table-id {table['id']} "
            f"--destination-cidr-block {destination} {option} {target}")


def _peer_destination(problem: Problem, vpc: Rec) -> str:
    """The destination a fix should route: the far VPC's range holding the piece, or the piece
    itself when a more specific route would still win over the VPC range."""
    piece = str(problem.piece) if problem.piece is not None else ""
    vpc_cidr = next((c for c in vpc["cidrs"] if piece and contains(c, piece)), piece)
    table = problem.table or {"routes": []}
    if any(contains(vpc_cidr, r["destination"]) and r["destination"] != vpc_cidr and r["target_type"] != "local"
           for r in table["routes"] if r.get("destination", "").count("/")):
        return piece
    return vpc_cidr


def _active_peering(g: ResourceGraph, path: DbPath) -> str | None:
    for pcx in path.peerings:
        if g.peerings[pcx]["status"] in PEERING_ACTIVE:
            return pcx
    return None


def _problems(path: DbPath, direction: str, *stages: str) -> list[tuple[Rec, Rec, Problem]]:
    return [(s, d, p) for s, d, a in path.answers for p in a.of(*stages, direction=direction)]


def _tgw_of(path: DbPath) -> str | None:
    for _, _, a in path.answers:
        for leg in a.legs:
            for h in leg.hops:
                if h.kind == "tgw":
                    return h.id
    return None


def _routing_findings(g: ResourceGraph, forward: bool) -> Iterator[Hit]:
    direction = FORWARD if forward else RETURN
    for path in _routing_paths(g):
        bad: dict[str, list[tuple[Rec, Problem]]] = {}
        for s, d, p in _problems(path, direction, "route", "igw", "nat", "tgw"):
            # the fix belongs in the first route table on the way (the source side's), even
            # when the packet dies further on (behind a NAT gateway, in a transit gateway)
            origin = next((h.id for h in p.hops if h.kind == "route-table"), None)
            start = s if forward else d
            table = g.route_tables.get(key(start["region"], origin)) if origin else None
            if table is not None and table is not p.table:
                p = replace(p, table=table)
            where = p.table["id"] if p.table is not None else "?"
            bad.setdefault(where, []).append((s if forward else d, p))
        db = path.db
        far_vpc = path.dst_vpc if forward else path.src_vpc
        pcx = _active_peering(g, path)
        tgw = _tgw_of(path)
        for table_id, group in sorted(bad.items()):
            table = group[0][1].table
            region = table["region"] if table else path.src_vpc["region"]
            subnets = sorted({s["id"] for s, _ in group})
            commands: list[str] = []
            stages = {p.stage for _, p in group}
            if table is None:
                summary = "Give the subnet a route table with a route to the other side"
            elif stages & {"tgw"}:
                summary = ("Route the other side's range in the transit gateway route table associated "
                           "with the attachment, and attach each VPC in every Availability Zone it uses")
                commands = ["aws ec2 create-transit-gateway-route --region " + region
                            + " --transit-gateway-route-table-id <tgw-rtb-id> --destination-cidr-block "
                            + (far_vpc["cidrs"][0] if far_vpc["cidrs"] else "<cidr>")
                            + " --transit-gateway-attachment-id <attachment-id>"]
            elif path.same_vpc:
                summary = ("Remove the routes that take the database's addresses away from the "
                           "VPC's local route")
                commands = [f"aws ec2 delete-route --region {region} --route-table-id {table_id} "
                            f"--destination-cidr-block {p.record['destination']}"
                            for _, p in group if p.record and p.record.get("target_type") not in (None, "local")
                            and "destination" in p.record]
            elif tgw is not None and pcx is None:
                dests = sorted({_peer_destination(p, far_vpc) for _, p in group})
                summary = f"Route {', '.join(dests)} through transit gateway {tgw}"
                commands = [_route_command(region, table, d, tgw) for d in dests]
            elif pcx is None:
                dests = sorted({_peer_destination(p, far_vpc) for _, p in group})
                summary = (f"Peer {path.src_vpc['id']} with {path.dst_vpc['id']} (no active "
                           "peering joins them), then route each side's range through it")
                commands = [f"aws ec2 create-vpc-peering-connection --region {path.src_vpc['region']} "
                            f"--vpc-id {path.src_vpc['id']} --peer-vpc-id {path.dst_vpc['id']} "
                            f"--peer-region {path.dst_vpc['region']}"]
                commands += [_route_command(region, table, d, "<pcx-id>") for d in dests]
            else:
                dests = sorted({_peer_destination(p, far_vpc) for _, p in group})
                summary = f"Route {', '.join(dests)} through peering {pcx}"
                commands = [_route_command(region, table, d, pcx) for d in dests]
            side = f"{_side(path.connector)} subnet" if forward else "database subnet"
            what = "to database" if forward else "back from database"
            reason = "; ".join(dict.fromkeys(p.reason for _, p in group))
            first = group[0][1]
            yield finding(
                ref("route_table", table) if table else ref("subnet", group[0][0]),
                f"{side}{'s' if len(subnets) > 1 else ''} {', '.join(subnets)}: no working route "
                f"{what} {db['id']} ({path.flow.workload['name']}): {reason}",
                Fix(summary, tuple(dict.fromkeys(commands))),
                related=(ref("workload", path.flow.workload), ref("database", db),
                         *(ref("subnet", s) for s, _ in group[:1])),
                path=(*_head(path), *first.path, db["id"]) if forward else
                     (db["id"], *first.path, *_head(path)),
            )


@check("NET004")
def no_route_to_target(g: ResourceGraph) -> Iterator[Hit]:
    yield from _routing_findings(g, forward=True)


@check("NET005")
def no_return_route(g: ResourceGraph) -> Iterator[Hit]:
    yield from _routing_findings(g, forward=False)


@check("NET006")
def peering_not_active(g: ResourceGraph) -> Iterator[Hit]:
    users: dict[tuple[str, str], list[str]] = {}
    for path in _routing_paths(g):
        for _, _, p in _problems(path, FORWARD, "peering") + _problems(path, RETURN, "peering"):
            target = (p.hops[-1].id if p.hops else "")
            if p.table is not None:
                users.setdefault((p.table["id"], target), []).append(path.flow.workload["name"])
    for table in sorted(g.route_tables.values(), key=lambda t: (t["region"], t["id"])):
        for route in table["routes"]:
            if route["target_type"] != "pcx":
                continue
            pcx = g.peerings.get(route["target"])
            status = pcx["status"] if pcx else "deleted"
            if route["state"] in ROUTE_ACTIVE and status in PEERING_ACTIVE:
                continue
            region = table["region"]
            services = sorted(set(users.get((table["id"], route["target"]), [])))
            if status in PEERING_PENDING and pcx is not None:
                acc = pcx["accepter"]
                fix = Fix(f"Accept peering {pcx['id']} in {acc['region']} (as the accepter's account)",
                          (f"aws ec2 accept-vpc-peering-connection --region {acc['region']} "
                           f"--vpc-peering-connection-id {pcx['id']}",))
            else:
                fix = Fix("Point the route at an active peering connection, or delete it",
                          (f"aws ec2 replace-route --region {region} --route-table-id {table['id']} "
                           f"--destination-cidr-block {route['destination']} "
                           "--vpc-peering-connection-id <active-pcx-id>",
                           f"aws ec2 delete-route --region {region} --route-table-id {table['id']} "
                           f"--destination-cidr-block {route['destination']}"))
            state = f"a {route['state']} route" if route["state"] not in ROUTE_ACTIVE else "a route"
            used = f"; {', '.join(services)} depend{'s' if len(services) == 1 else ''} on it" \
                if services else ""
            yield finding(
                ref("route_table", table),
                f"route table {table['id']} has {state} for {route['destination']} through "
                f"peering {route['target']}, which is {status}{used}",
                fix,
                related=tuple(ref("peering", pcx) for pcx in [pcx] if pcx),
                path=(table["id"], route["target"]),
            )


@check("NET007")
def peering_dns_resolution_off(g: ResourceGraph) -> Iterator[Hit]:
    for path in _routing_paths(g):
        db = path.db
        if path.same_vpc:
            continue
        for pcx_id in path.peerings:
            pcx = g.peerings[pcx_id]
            if pcx["status"] not in PEERING_ACTIVE:
                continue
            side_name = "accepter" if pcx["accepter"]["vpc"] == path.dst_vpc["id"] else "requester"
            side = pcx[side_name]
            if side["allow_dns_from_remote"] is not False:
                continue  # on, or unknown (that side's region was not read)
            public = db["publicly_accessible"]
            severity = Severity.HIGH if public is True else Severity.LOW
            effect = ("so from the service's VPC it resolves to the database's public address and "
                      "the connection leaves through the NAT gateway instead of the peering"
                      if public else
                      "(harmless while the database is private, since its hostname resolves to "
                      "the private address anyway)" if public is False else
                      "(whether the database is publicly accessible is unknown)")
            option = ("--accepter-peering-connection-options" if side_name == "accepter"
                      else "--requester-peering-connection-options")
            yield finding(
                ref("peering", pcx),
                f"peering {pcx_id} does not allow DNS resolution from the remote VPC on the "
                f"{side_name} side ({path.dst_vpc['id']}, the VPC of {db['id']}), {effect}",
                Fix(f"Allow DNS resolution from the remote VPC on the {side_name} side of {pcx_id}",
                    (f"aws ec2 modify-vpc-peering-connection-options --region {side['region']} "
                     f"--vpc-peering-connection-id {pcx_id} {option} AllowDnsResolutionFromRemoteVpc=true",)),
                related=(ref("database", db), ref("workload", path.flow.workload)),
                path=(*_head(path), path.src_vpc["id"], pcx_id, path.dst_vpc["id"], db["id"]),
                severity=severity,
            )


def _dns_off(vpc: Rec, attrs: tuple[str, ...]) -> list[str]:
    return [a for a in attrs if vpc.get(a) is False]


_ATTR = {"dns_support": "--enable-dns-support", "dns_hostnames": "--enable-dns-hostnames"}


@check("NET008")
def vpc_dns_attributes_off(g: ResourceGraph) -> Iterator[Hit]:
    needs: dict[str, tuple[Rec, set[str], set[str]]] = {}  # vpc key -> (vpc, attrs, services)

    def need(vpc: Rec, attrs: tuple[str, ...], service: str) -> None:
        entry = needs.setdefault(f"{vpc['region']}:{vpc['id']}", (vpc, set(), set()))
        for a in _dns_off(vpc, attrs):
            entry[1].add(a)
            entry[2].add(service)

    for conn in g.connectors.values():
        users = g.workloads_using(conn)
        subnet = next((g.subnet(conn["region"], s) for s in conn["subnets"]
                       if g.subnet(conn["region"], s)), None)
        vpc = g.vpc(conn["region"], subnet["vpc"]) if subnet else None
        if vpc is not None:
            for w in users:
                need(vpc, ("dns_support",), w["name"])
    for path in db_paths(g):
        db = path.db
        if not path.same_vpc and db["publicly_accessible"] is True:
            for vpc in (path.src_vpc, path.dst_vpc):
                need(vpc, ("dns_support", "dns_hostnames"), path.flow.workload["name"])
    for _, (vpc, attrs, services) in sorted(needs.items()):
        if not attrs:
            continue
        names = " and ".join("DNS support" if a == "dns_support" else "DNS hostnames"
                             for a in sorted(attrs, reverse=True))
        yield finding(
            ref("vpc", vpc),
            f"VPC {vpc['id']} has {names} turned off, which {', '.join(sorted(services))} "
            "need to resolve names (and, across a peering, to resolve the database to its "
            "private address)",
            Fix(f"Turn on {names} for {vpc['id']}",
                tuple(f"aws ec2 modify-vpc-attribute --region {vpc['region']} --vpc-id {vpc['id']} "
                      f"{_ATTR[a]} '{{\"Value\":true}}'" for a in sorted(attrs, reverse=True))),
            path=(vpc["id"],),
        )


def _sg_problems(path: DbPath, stage: str) -> list[tuple[Rec, Rec, Problem]]:
    return [(s, d, p) for s, d, p in _problems(path, FORWARD, stage)]


@check("NET009")
def target_sg_blocks_source(g: ResourceGraph) -> Iterator[Hit]:
    for path in db_paths(g):
        db = path.db
        if path.overlap or not path.dst_sgs:
            continue
        found = _sg_problems(path, "security-group-ingress")
        if not found:
            continue
        missing = list(dict.fromkeys(str(p.piece) for _, _, p in found))
        src_ids = {sg["id"] for sg in path.src_sgs}
        rules = [r for sg in path.dst_sgs for r in sg["ingress"]]
        tried_ref = not path.same_region and any(
            any(gr.get("id") in src_ids for gr in r["groups"]) for r in rules)
        reason = (f" A rule references the {_side(path.connector)}s' security group, but security groups "
                  "cannot be referenced across regions; only CIDR rules work here." if tried_ref else "")
        partial = [p.reason for _, _, p in found if "only part" in p.reason]
        if partial:
            reason += " Some of these ranges are admitted only in part."
        sg = path.dst_sgs[0]
        region = sg["region"]
        commands = tuple(
            f"aws ec2 authorize-security-group-ingress --region {region} --group-id {sg['id']} "
            f"--ip-permissions 'IpProtocol=tcp,FromPort={path.port},ToPort={path.port},"
            f"IpRanges=[{{CidrIp={cidr},Description=\"{_conn_name(path.connector)[:40]}\"}}]'"
            if ":" not in cidr else
            f"aws ec2 authorize-security-group-ingress --region {region} --group-id {sg['id']} "
            f"--ip-permissions 'IpProtocol=tcp,FromPort={path.port},ToPort={path.port},"
            f"Ipv6Ranges=[{{CidrIpv6={cidr}}}]'"
            for cidr in missing)
        first = found[0]
        yield finding(
            ref("security_group", sg),
            f"database {db['id']} admits none of {', '.join(missing)} (subnets of "
            f"{_conn_label(path.connector)}) on port {path.port} in its security "
            f"groups {', '.join(x['id'] for x in path.dst_sgs)}.{reason}",
            Fix(f"Admit the {_side(path.connector)} subnets on port {path.port}", commands),
            related=(ref("database", db), ref("workload", path.flow.workload),
                     *(ref("security_group", x) for x in path.dst_sgs[1:])),
            path=(*_head(path), *first[2].path, db["id"]),
        )


def _internet(g: ResourceGraph, conn: Rec) -> list[tuple[Rec, Answer]]:
    subnets = [s for s in (g.subnet(conn["region"], i) for i in conn["subnets"]) if s]
    return [(s, a) for s in subnets for _, a in internet_answers(g, conn, s)]


def _https_command(sg: Rec, six: bool) -> str:
    ranges = "Ipv6Ranges=[{CidrIpv6=::/0}]" if six else "IpRanges=[{CidrIp=0.0.0.0/0}]"
    return (f"aws ec2 authorize-security-group-egress --region {sg['region']} --group-id "
            f"{sg['id']} --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,{ranges}'")


@check("NET010")
def connector_sg_egress_blocks(g: ResourceGraph) -> Iterator[Hit]:
    for path in db_paths(g):
        db = path.db
        if path.overlap or not path.src_sgs:
            continue
        found = _sg_problems(path, "security-group-egress")
        blocked = list(dict.fromkeys(str(p.piece) for _, _, p in found))
        if blocked:
            sg = path.src_sgs[0]
            yield finding(
                ref("security_group", sg),
                f"{_conn_label(path.connector)}: its security groups "
                f"({', '.join(x['id'] for x in path.src_sgs)}) allow no egress on port {path.port} "
                f"to {', '.join(blocked)} (subnets of {db['id']})",
                Fix(f"Allow egress on port {path.port} to the database subnets",
                    tuple(f"aws ec2 authorize-security-group-egress --region {sg['region']} "
                          f"--group-id {sg['id']} --ip-permissions 'IpProtocol=tcp,"
                          f"FromPort={path.port},ToPort={path.port},IpRanges=[{{CidrIp={d}}}]'"
                          for d in blocked)),
                related=(ref("database", db), ref("vpc_connector", path.connector)),
                path=(*_head(path), sg["id"], *(d["id"] for _, d, _ in found[:1]), db["id"]),
            )
    for conn in sorted(g.connectors.values(), key=lambda c: c["arn"]):
        users = g.workloads_using(conn)
        if not users:
            continue
        answers = _internet(g, conn)
        if not any(not a.of(*ROUTE_STAGES, verdict=None) for _, a in answers):
            continue  # no subnet's routing reaches the internet: NET002's finding
        denied = [(s, p) for s, a in answers for p in a.of("security-group-egress")]
        if not denied:
            continue
        sgs = g.connector_security_groups(conn)
        sg = sgs[0]
        six = any(p.piece is not None and p.piece.version == 6 for _, p in denied)
        yield finding(
            ref("security_group", sg),
            f"{_conn_label(conn)} has a working internet route, but its security groups "
            f"({', '.join(x['id'] for x in sgs)}) allow no egress to 443 on "
            f"{', '.join(dict.fromkeys(str(p.piece) for _, p in denied))}, so "
            f"{', '.join(sorted(w['name'] for w in users))} cannot call HTTPS APIs",
            Fix("Allow HTTPS egress to the internet", (_https_command(sg, six),)),
            related=(ref("vpc_connector", conn), *(ref("workload", w) for w in users)),
            path=(users[0]["name"], _conn_name(conn), sg["id"], "internet"),
        )


def _acl_text(p: Problem) -> str:
    return p.reason.split(": ", 1)[1] if ": " in p.reason else p.reason


@check("NET011")
def nacl_blocks(g: ResourceGraph) -> Iterator[Hit]:
    problems: dict[str, tuple[Rec, list[Problem], str, str, tuple[str, ...]]] = {}
    for path in db_paths(g):
        if path.overlap:
            continue
        for _, _, a in path.answers:
            for p in a.of("nacl"):
                assert p.acl is not None
                entry = problems.setdefault(p.acl["id"], (p.acl, [], path.flow.workload["name"], path.db["id"],
                                                          (*_head(path), *p.path, path.db["id"])))
                entry[1].append(p)
    for conn in sorted(g.connectors.values(), key=lambda c: c["arn"]):
        users = g.workloads_using(conn)
        if not users:
            continue
        for _, a in _internet(g, conn):
            for p in a.of("nacl"):
                assert p.acl is not None
                entry = problems.setdefault(p.acl["id"], (p.acl, [], users[0]["name"], "the internet",
                                                          (users[0]["name"], _conn_name(conn), *p.path, "internet")))
                entry[1].append(p)
    for _, (acl, found, who, what, hops) in sorted(problems.items()):
        texts = list(dict.fromkeys(_acl_text(p) for p in found))
        egress_needed = any("outbound" in t for t in texts)
        ingress_needed = any("inbound" in t for t in texts)
        commands = []
        for needed, flag in ((egress_needed, "--egress"), (ingress_needed, "--ingress")):
            if needed:
                commands.append(f"aws ec2 create-network-acl-entry --region {acl['region']} "
                                f"--network-acl-id {acl['id']} {flag} --rule-number 90 --protocol tcp "
                                "--port-range From=<port>,To=<port> --cidr-block <peer-cidr> "
                                "--rule-action allow")
        returns = [p for p in found if p.direction == RETURN]
        yield finding(
            ref("network_acl", acl),
            f"network ACL {acl['id']} blocks {who} -> {what}: " + "; ".join(texts)
            + ("; the reply goes to the client's ephemeral ports (1024-65535 for NAT gateways and "
               "App Runner connectors, 32768-60999 for Linux tasks)" if returns else ""),
            Fix("Allow the service port one way and the ephemeral ports 1024-65535 the other "
                "way, with rule numbers below the denying entry", tuple(commands)),
            related=(),
            path=hops,
        )


@check("NET014")
def path_not_verified(g: ResourceGraph) -> Iterator[Hit]:
    """What the engine could not decide is said, never left to read as a pass."""
    for path in db_paths(g):
        if path.overlap:
            continue
        open_ = [(s, d, a) for s, d, a in path.answers if a.verdict == UNDECIDED]
        if not open_:
            continue
        reasons = list(dict.fromkeys(p.reason for _, _, a in open_ for p in a.problems if p.verdict == UNDECIDED))
        first = open_[0][2].first
        yield finding(
            ref("workload", path.flow.workload),
            f"{path.flow.workload['name']} -> {path.db['id']} on port {path.port} could not be verified "
            f"for {len(open_)} of {len(path.answers)} subnet pair{'s' if len(path.answers) > 1 else ''}: "
            + "; ".join(reasons),
            Fix("Check the hops preflight could not see (or give it read access to them), or confirm "
                "the path with VPC Reachability Analyzer"),
            related=(ref("database", path.db),),
            path=(*_head(path), *(first.path if first else ()), path.db["id"]),
        )
    for conn in sorted(g.connectors.values(), key=lambda c: c["arn"]):
        users = g.workloads_using(conn)
        if not users:
            continue
        answers = _internet(g, conn)
        if any(a.of(*ROUTE_STAGES) for _, a in answers):
            continue  # a definite block is NET002's
        unsure = [(s, a) for s, a in answers if a.verdict == UNDECIDED]
        if not unsure:
            continue
        reasons = list(dict.fromkeys(p.reason for _, a in unsure for p in a.problems if p.verdict == UNDECIDED))
        first = unsure[0][1].first
        yield finding(
            ref("vpc_connector", conn),
            f"internet egress of {', '.join(sorted(w['name'] for w in users))} through "
            f"{_conn_label(conn)} could not be verified in {', '.join(s['id'] for s, _ in unsure)}: "
            + "; ".join(reasons),
            Fix("Check the hops preflight could not see, or confirm the path with VPC Reachability Analyzer"),
            related=tuple(ref("workload", w) for w in users),
            path=(users[0]["name"], _conn_name(conn), *(first.path if first else ()), "internet"),
        )


@check("NET013")
def region_without_apprunner(g: ResourceGraph) -> Iterator[Hit]:
    facts = apprunner_facts()
    regions = set(facts["regions"])
    seen: set[str] = set()
    flows = list(g.flows("database"))
    by_db: dict[int, list[Flow]] = {}
    for f in flows:
        by_db.setdefault(id(f.target), []).append(f)
    for flow in flows:
        db = flow.target
        assert db is not None
        if flow.workload["platform"] != "apprunner" or db["region"] in regions:
            continue
        db_id = str(db.get("arn") or db["id"])
        if db_id in seen:
            continue
        seen.add(db_id)
        nearest = facts["nearest"].get(db["region"], [])
        services = sorted({f.workload["name"] for f in by_db[id(db)]})
        near = f"; the nearest App Runner regions are {', '.join(nearest)}" if nearest else ""
        yield finding(
            ref("database", db),
            f"database {db['id']} is in {db['region']}, where App Runner does not run; "
            f"{', '.join(services)} {'reach' if len(services) > 1 else 'reaches'} it from "
            f"{flow.workload['region']} across regions{near}",
            Fix("Keep the cross-region path and let the other NET rules verify it, or co-locate "
                "the service and the database"),
            related=tuple(ref("workload", f.workload) for f in by_db[id(db)]),
            path=(flow.workload["name"], db["id"]),
        )


@check("COST001")
def nat_gateway_cost(g: ResourceGraph) -> Iterator[Hit]:
    facts = apprunner_facts()
    users: dict[str, tuple[Rec, set[str]]] = {}
    for conn in g.connectors.values():
        names = {w["name"] for w in g.workloads_using(conn)}
        if not names:
            continue
        for sid in conn["subnets"]:
            subnet = g.subnet(conn["region"], sid)
            if subnet is None:
                continue
            eg = attachment_egress(g, conn, subnet)
            if eg.nat is not None:
                users.setdefault(eg.nat["id"], (eg.nat, set()))[1].update(names)
    hourly = float(facts["nat_gateway_hourly_usd"])
    for _, (nat, names) in sorted(users.items()):
        endpoints = g.endpoints_by_vpc.get(f"{nat['region']}:{nat.get('vpc')}", [])
        services = sorted({str(e["service"]).rsplit(".", 1)[-1] for e in endpoints if e.get("service")})
        have = f"; VPC endpoints already there: {', '.join(services)}" if services else \
            "; the VPC has no VPC endpoints"
        yield finding(
            ref("nat_gateway", nat),
            f"{', '.join(sorted(names))} reach the internet through NAT gateway {nat['id']}, about "
            f"${hourly * 730:.2f} a month before data processing (us-east-1 price, estimate){have}",
            Fix("If the service only needs AWS APIs, VPC endpoints can replace the NAT gateway "
                "(S3 and DynamoDB gateway endpoints are free)",
                (f"aws ec2 create-vpc-endpoint --region {nat['region']} --vpc-id {nat.get('vpc')} "
                 f"--vpc-endpoint-type Interface --service-name com.amazonaws.{nat['region']}.secretsmanager "
                 "--subnet-ids <connector-subnet-ids> --security-group-ids <sg-id>",)),
            related=(),
            path=(nat["id"],),
        )


@check("NET002")
def no_internet_egress(g: ResourceGraph) -> Iterator[Hit]:
    for conn in sorted(g.connectors.values(), key=lambda c: c["arn"]):
        users = g.workloads_using(conn)
        if not users:
            continue
        subnets = [s for s in (g.subnet(conn["region"], i) for i in conn["subnets"]) if s]
        if not subnets:
            continue
        egress = [attachment_egress(g, conn, s) for s in subnets]
        broken = [e for e in egress if e.verdict == "none"]
        if not broken:
            continue
        names = ", ".join(sorted(w["name"] for w in users))
        first = broken[0]
        region = conn["region"]
        tables = {e.table["id"]: e for e in broken if e.table is not None}
        route_commands = []
        for table_id, e in sorted(tables.items()):
            has_default = any(r["destination"] == "0.0.0.0/0" for r in e.table["routes"]) if e.table else False
            verb = "replace-route" if has_default else "create-route"
            route_commands.append(f"aws ec2 {verb} --region {region} --route-table-id {table_id} "
                                  "--destination-cidr-block 0.0.0.0/0 --nat-gateway-id <nat-id>")
        every = len(broken) == len(egress)
        spread = ("App Runner spreads connections over every connector subnet" if not is_awsvpc(conn)
                  else "ECS places tasks in every subnet it is given")
        scope = ("none of its subnets reaches the internet" if every else
                 f"{len(broken)} of its {len(egress)} subnets do not reach the internet ({spread}, so "
                 "part of the requests fail)")
        answer = first.answer
        hops = answer.first.path if answer is not None and answer.first is not None else (first.subnet["id"],)
        yield finding(
            ref("vpc_connector", conn),
            f"{names} {'send' if len(users) > 1 else 'sends'} all outbound traffic through "
            f"{_conn_label(conn)}, and {scope}: "
            + "; ".join(f"{e.subnet['id']}: {e.reason}" for e in broken)
            + ". Public APIs, OAuth, webhooks and AWS APIs without VPC endpoints will time out",
            Fix(f"Route the {_side(conn)} subnets' 0.0.0.0/0 to a public NAT gateway in a public subnet",
                (f"aws ec2 create-nat-gateway --region {region} --subnet-id <public-subnet-id> "
                 "--allocation-id <eip-allocation-id>", *route_commands)),
            related=tuple(ref("workload", w) for w in users),
            path=(users[0]["name"], _conn_name(conn), *hops),
        )
