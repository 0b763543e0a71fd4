"""Network path checks: will each flow get to its database, and to the internet, and back?

The path semantics live in `preflight.paths`; this module only decides what is a finding and
how to fix it. Each finding carries the path it followed, so a report shows where the packet
stopped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources as pkg
from typing import Any

from preflight.enums import PEERING_ACTIVE, PEERING_PENDING, ROUTE_ACTIVE
from preflight.findings import Fix, Severity
from preflight.graph import Rec, ResourceGraph, attachment_label, is_awsvpc, ref
from preflight.netmath import contains
from preflight.paths import (
    BAD_PEERING,
    BAD_ROUTE,
    EPHEMERAL_SAMPLES,
    OK,
    DbPath,
    Leg,
    attachment_egress,
    db_paths,
    forward_legs,
    nacl_decision,
    referenced_groups,
    return_legs,
    sg_admits,
)
from preflight.registry import Hit, check, finding


@cache
def apprunner_facts() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        pkg.files("preflight.data").joinpath("apprunner.json").read_text("utf-8"))
    return data


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


def _describe_leg(lg: Leg) -> str:
    dest = lg.destination
    if lg.verdict == "no-route":
        return f"route table {lg.table['id'] if lg.table else '?'} has no route for {dest}"
    route = lg.route or {}
    if lg.verdict == "partial":
        narrow = ", ".join(f"{r['destination']} -> {r['target']}" for r in lg.shadow)
        return (f"route table {lg.table['id'] if lg.table else '?'} sends part of {dest} "
                f"elsewhere through more specific routes ({narrow})")
    return (f"route table {lg.table['id'] if lg.table else '?'} sends {dest} to "
            f"{route.get('target')} (route {route.get('destination')})")


def _route_command(region: str, table: Rec, destination: str, pcx: str) -> str:
    verb = "replace-route" if any(r["destination"] == destination for r in table["routes"]) \
        else "create-route"
    return (f"aws ec2 {verb} --region {region} --route-table-id {table['id']} "
            f"--destination-cidr-block {destination} --vpc-peering-connection-id {pcx}")


def _peer_destination(lg: Leg, vpc: Rec) -> str:
    """The destination a fix should route: the peer VPC's range containing the subnet, or the
    subnet itself when a more specific route would still win over the VPC range."""
    vpc_cidr = next((c for c in vpc["cidrs"] if contains(c, lg.destination)), lg.destination)
    winners = list(lg.shadow) + ([lg.route] if lg.route and lg.verdict == "elsewhere" else [])
    if any(contains(vpc_cidr, w["destination"]) and w["destination"] != vpc_cidr for w in winners):
        return lg.destination
    return vpc_cidr


def _active_peering(g: ResourceGraph, path: DbPath) -> str | None:
    for pcx in path.peerings:
        if g.peerings[pcx]["status"] in PEERING_ACTIVE:
            return pcx
    return None


def _routing_findings(g: ResourceGraph, forward: bool) -> Iterator[Hit]:
    for path in _routing_paths(g):
        legs = forward_legs(g, path) if forward else return_legs(g, path)
        bad: dict[str, list[Leg]] = {}
        for lg in legs:
            if lg.verdict in BAD_ROUTE and lg.table is not None:
                bad.setdefault(lg.table["id"], []).append(lg)
        db = path.db
        far_vpc = path.dst_vpc if forward else path.src_vpc
        pcx = _active_peering(g, path)
        for table_id, group in sorted(bad.items()):
            table = group[0].table
            assert table is not None
            region = table["region"]
            subnets = sorted({lg.subnet["id"] for lg in group})
            dests = sorted({_peer_destination(lg, far_vpc) for lg in group})
            commands: list[str] = []
            if path.same_vpc:
                summary = ("Remove the routes that take the database's addresses away from the "
                           "VPC's local route")
                commands = [f"aws ec2 delete-route --region {region} --route-table-id {table_id} "
                            f"--destination-cidr-block {r['destination']}"
                            for lg in group for r in ([lg.route] if lg.route else []) + list(lg.shadow)
                            if r["target_type"] != "local"]
            elif pcx is None:
                summary = (f"Peer {path.src_vpc['id']} with {path.dst_vpc['id']} (no active "
                           "peering joins them), then route each side's range through it")
                commands = [f"aws ec2 create-vpc-peering-connection --region {path.src_vpc['region']} "
                            f"--vpc-id {path.src_vpc['id']} --peer-vpc-id {path.dst_vpc['id']} "
                            f"--peer-region {path.dst_vpc['region']}"]
                commands += [_route_command(region, table, d, "<pcx-id>") for d in dests]
            else:
                summary = f"Route {', '.join(dests)} through peering {pcx}"
                commands = [_route_command(region, table, d, pcx) for d in dests]
            side = f"{_side(path.connector)} subnet" if forward else "database subnet"
            what = "to database" if forward else "back from database"
            reason = "; ".join(dict.fromkeys(_describe_leg(lg) for lg in group))
            hops = (*_head(path), *(subnets[:1] if forward else []), table_id,
                    *((group[0].route or {}).get("target", "no route"),),
                    *([] if forward else subnets[:1]), db["id"])
            yield finding(
                ref("route_table", table),
                f"{side}{'s' if len(subnets) > 1 else ''} {', '.join(subnets)}: no working route "
                f"{what} {db['id']} ({path.flow.workload['name']}): {reason}",
                Fix(summary, tuple(dict.fromkeys(commands))),
                related=(ref("workload", path.flow.workload), ref("database", db),
                         *(ref("subnet", lg.subnet) for lg in group[:1])),
                path=hops,
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
        for lg in forward_legs(g, path) + return_legs(g, path):
            if lg.verdict in BAD_PEERING and lg.table and lg.route:
                users.setdefault((lg.table["id"], lg.route["target"]), []).append(
                    path.flow.workload["name"])
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


@check("NET009")
def target_sg_blocks_source(g: ResourceGraph) -> Iterator[Hit]:
    for path in db_paths(g):
        db = path.db
        if path.overlap or not path.dst_sgs:
            continue
        src_ids = {sg["id"] for sg in path.src_sgs}
        rules = [r for sg in path.dst_sgs for r in sg["ingress"]]
        missing = [s for s in path.src_subnets
                   if not sg_admits(rules, s["cidr"], path.port, src_ids if path.same_region else set())]
        if not missing:
            continue
        tried_ref = not path.same_region and referenced_groups(rules, path.port, src_ids)
        reason = (f" A rule references the {_side(path.connector)}s' security group, but security groups "
                  "cannot be referenced across regions; only CIDR rules work here." if tried_ref else "")
        sg = path.dst_sgs[0]
        region = sg["region"]
        commands = tuple(
            f"aws ec2 authorize-security-group-ingress --region {region} --group-id {sg['id']} "
            f"--ip-permissions 'IpProtocol=tcp,FromPort={path.port},ToPort={path.port},"
            f"IpRanges=[{{CidrIp={s['cidr']},Description=\"{_conn_name(path.connector)[:40]}\"}}]'"
            for s in missing)
        yield finding(
            ref("security_group", sg),
            f"database {db['id']} admits none of {', '.join(s['cidr'] for s in missing)} (subnets "
            f"of {_conn_label(path.connector)}) on port {path.port} in its security "
            f"groups {', '.join(x['id'] for x in path.dst_sgs)}.{reason}",
            Fix(f"Admit the {_side(path.connector)} subnets on port {path.port}", commands),
            related=(ref("database", db), ref("workload", path.flow.workload),
                     *(ref("security_group", x) for x in path.dst_sgs[1:])),
            path=(*_head(path), *(s["id"] for s in missing[:1]), sg["id"], db["id"]),
        )


def _egress_allows(sgs: tuple[Rec, ...] | list[Rec], cidr: str, port: int, groups: set[str]) -> bool:
    return sg_admits([r for sg in sgs for r in sg["egress"]], cidr, port, groups)


@check("NET010")
def connector_sg_egress_blocks(g: ResourceGraph) -> Iterator[Hit]:
    for path in db_paths(g):
        db = path.db
        if path.overlap or not path.src_sgs:
            continue
        dst_ids = {sg["id"] for sg in path.dst_sgs} if path.same_region else set()
        blocked = [d for d in path.dst_subnets
                   if not _egress_allows(path.src_sgs, d["cidr"], path.port, dst_ids)]
        if blocked:
            sg = path.src_sgs[0]
            yield finding(
                ref("security_group", sg),
                f"{_conn_label(path.connector)}: its security groups "
                f"({', '.join(x['id'] for x in path.src_sgs)}) allow no egress on port {path.port} "
                f"to {', '.join(d['cidr'] for d in blocked)} (subnets of {db['id']})",
                Fix(f"Allow egress on port {path.port} to the database subnets",
                    tuple(f"aws ec2 authorize-security-group-egress --region {sg['region']} "
                          f"--group-id {sg['id']} --ip-permissions 'IpProtocol=tcp,"
                          f"FromPort={path.port},ToPort={path.port},IpRanges=[{{CidrIp={d['cidr']}}}]'"
                          for d in blocked)),
                related=(ref("database", db), ref("vpc_connector", path.connector)),
                path=(*_head(path), sg["id"], *(d["id"] for d in blocked[:1]), db["id"]),
            )
    for conn in sorted(g.connectors.values(), key=lambda c: c["arn"]):
        users = g.workloads_using(conn)
        if not users:
            continue
        subnets = [s for s in (g.subnet(conn["region"], i) for i in conn["subnets"]) if s]
        if not any(attachment_egress(g, conn, s).verdict == OK for s in subnets):
            continue
        sgs = g.connector_security_groups(conn)
        if not sgs or _egress_allows(sgs, "0.0.0.0/0", 443, set()):
            continue
        sg = sgs[0]
        yield finding(
            ref("security_group", sg),
            f"{_conn_label(conn)} has a working internet route, but its security groups "
            f"({', '.join(x['id'] for x in sgs)}) allow no egress to 443 on 0.0.0.0/0, so "
            f"{', '.join(sorted(w['name'] for w in users))} cannot call HTTPS APIs",
            Fix("Allow HTTPS egress to the internet",
                (f"aws ec2 authorize-security-group-egress --region {sg['region']} --group-id "
                 f"{sg['id']} --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,"
                 "IpRanges=[{CidrIp=0.0.0.0/0}]'",)),
            related=(ref("vpc_connector", conn), *(ref("workload", w) for w in users)),
            path=(users[0]["name"], _conn_name(conn), sg["id"], "internet"),
        )


@check("NET011")
def nacl_blocks(g: ResourceGraph) -> Iterator[Hit]:
    problems: dict[str, tuple[Rec, list[str], DbPath]] = {}
    for path in db_paths(g):
        if path.overlap:
            continue
        for s in path.src_subnets:
            for d in path.dst_subnets:
                src_acl, dst_acl = g.nacl_for(s), g.nacl_for(d)
                checks: list[tuple[Rec, bool, str, tuple[int, ...], str]] = []
                if src_acl:
                    checks.append((src_acl, True, d["cidr"], (path.port,), "outbound to"))
                    checks.append((src_acl, False, d["cidr"], EPHEMERAL_SAMPLES, "replies from"))
                if dst_acl:
                    checks.append((dst_acl, False, s["cidr"], (path.port,), "inbound from"))
                    checks.append((dst_acl, True, s["cidr"], EPHEMERAL_SAMPLES, "replies to"))
                for acl, egress, cidr, ports, what in checks:
                    for port in ports:
                        allowed, entry = nacl_decision(acl, egress, cidr, port)
                        if allowed:
                            continue
                        rule = f"rule {entry['rule']}" if entry else "no matching rule (final deny)"
                        text = (f"{what} {cidr} on port {port} "
                                f"{'(ephemeral) ' if len(ports) > 1 else ''}is denied by {rule}")
                        entry_acl = problems.setdefault(acl["id"], (acl, [], path))
                        if text not in entry_acl[1]:
                            entry_acl[1].append(text)
                        break
    for _, (acl, texts, path) in sorted(problems.items()):
        db = path.db
        egress_needed = any(t.startswith(("outbound", "replies to")) for t in texts)
        ingress_needed = any(t.startswith(("inbound", "replies from")) for t in texts)
        commands = []
        for needed, flag in ((egress_needed, "--egress"), (ingress_needed, "--ingress")):
            if needed:
                commands.append(f"aws ec2 create-network-acl-entry --region {acl['region']} "
                                f"--network-acl-id {acl['id']} {flag} --rule-number 90 --protocol tcp "
                                "--port-range From=<port>,To=<port> --cidr-block <peer-cidr> "
                                "--rule-action allow")
        yield finding(
            ref("network_acl", acl),
            f"network ACL {acl['id']} blocks {path.flow.workload['name']} -> {db['id']}: "
            + "; ".join(texts),
            Fix("Allow the database port one way and the ephemeral ports 1024-65535 the other "
                "way, with rule numbers below the denying entry", tuple(commands)),
            related=(ref("database", db), ref("workload", path.flow.workload)),
            path=(*_head(path), acl["id"], db["id"]),
        )


@check("NET013")
def region_without_apprunner(g: ResourceGraph) -> Iterator[Hit]:
    facts = apprunner_facts()
    regions = set(facts["regions"])
    seen: set[str] = set()
    for flow in g.flows("database"):
        db = flow.target
        assert db is not None
        if flow.workload["platform"] != "apprunner" or db["region"] in regions:
            continue
        db_id = str(db.get("arn") or db["id"])
        if db_id in seen:
            continue
        seen.add(db_id)
        nearest = facts["nearest"].get(db["region"], [])
        services = sorted({f.workload["name"] for f in g.flows("database") if f.target is db})
        near = f"; the nearest App Runner regions are {', '.join(nearest)}" if nearest else ""
        yield finding(
            ref("database", db),
            f"database {db['id']} is in {db['region']}, where App Runner does not run; "
            f"{', '.join(services)} {'reach' if len(services) > 1 else 'reaches'} it from "
            f"{flow.workload['region']} across regions{near}",
            Fix("Keep the cross-region path and let the other NET rules verify it, or co-locate "
                "the service and the database"),
            related=tuple(ref("workload", f.workload) for f in g.flows("database") if f.target is db),
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
        if any(e.verdict != "none" for e in egress):
            continue  # at least one subnet works, or cannot be verified
        names = ", ".join(sorted(w["name"] for w in users))
        first = egress[0]
        region = conn["region"]
        tables = {e.table["id"]: e for e in egress if e.table is not None}
        route_commands = []
        for table_id, e in sorted(tables.items()):
            replace = e.route is not None and e.route["destination"] == "0.0.0.0/0"
            verb = "replace-route" if replace else "create-route"
            route_commands.append(f"aws ec2 {verb} --region {region} --route-table-id {table_id} "
                                  "--destination-cidr-block 0.0.0.0/0 --nat-gateway-id <nat-id>")
        yield finding(
            ref("vpc_connector", conn),
            f"{names} {'send' if len(users) > 1 else 'sends'} all outbound traffic through "
            f"{_conn_label(conn)}, and none of its subnets reaches the internet: "
            + "; ".join(f"{e.subnet['id']}: {e.reason}" for e in egress)
            + ". Public APIs, OAuth, webhooks and AWS APIs without VPC endpoints will time out",
            Fix(f"Route the {_side(conn)} subnets' 0.0.0.0/0 to a public NAT gateway in a public subnet",
                (f"aws ec2 create-nat-gateway --region {region} --subnet-id <public-subnet-id> "
                 "--allocation-id <eip-allocation-id>", *route_commands)),
            related=tuple(ref("workload", w) for w in users),
            path=(users[0]["name"], _conn_name(conn), first.subnet["id"],
                  *((first.table["id"],) if first.table else ()),
                  *((first.route["target"],) if first.route else ())),
        )
