"""Custom domains, quotas and service state: failures that surface days after a deploy, or
block one with no useful message.

DNS answers come from the snapshot: the account's public Route 53 zones where they hold the
domain (there, a missing record is a fact), else public DNS lookups made at collection time. A
name neither source covers is not judged.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from preflight.enums import (
    CERTIFICATE_ISSUED,
    CONNECTION_AVAILABLE,
    CONNECTION_HANDSHAKE,
    DOMAIN_ACTIVE,
    ECS_SERVICE_INACTIVE,
    EXPRESS_INACTIVE,
    FARGATE,
    OPERATION_BAD,
    RECORD_VALIDATED,
    ROLLOUT_FAILED,
    SERVICE_BROKEN,
    SERVICE_CREATE_FAILED,
    SERVICE_GONE,
    SERVICE_NOT_SERVING,
)
from preflight.findings import Fix, Ref, Severity
from preflight.graph import Rec, ResourceGraph, cluster_name, is_ecs, ref
from preflight.registry import Hit, check, finding

ACM_CAS = ("amazon.com", "amazontrust.com", "awstrust.com", "amazonaws.com")
QUOTA_NAME = "Fargate On-Demand vCPU resource count"
APP_RUNNER_QUOTAS = {"services": 30, "vpc connectors": 10, "auto scaling configurations": 10}


def _n(name: str | None) -> str:
    return (name or "").strip().rstrip(".").lower()


class Dns:
    """The DNS view the checks share: what is known about a name, and from where."""

    def __init__(self, g: ResourceGraph) -> None:
        res = g.snapshot["resources"]
        self.zones = [z for z in res.get("dns_zones", []) if not z["private"]]
        self.records: dict[tuple[str, str], list[Rec]] = {}
        self.looked_up: set[tuple[str, str]] = set()
        for r in res.get("dns_records", []):
            key = (_n(r["name"]), r["type"])
            if r["source"] == "dns":
                self.looked_up.add(key)
                if r.get("status") != "ok":
                    continue
            self.records.setdefault(key, []).append(r)

    def zone(self, name: str) -> Rec | None:
        n = _n(name)
        best = None
        for z in self.zones:
            inside = n == z["name"] or n.endswith("." + z["name"])
            if inside and (best is None or len(z["name"]) > len(best["name"])):
                best = z
        return best

    def known(self, name: str, rtype: str) -> bool:
        return self.zone(name) is not None or (_n(name), rtype) in self.looked_up

    def get(self, name: str, rtype: str) -> list[Rec]:
        return self.records.get((_n(name), rtype), [])

    def values(self, name: str, rtype: str) -> list[str]:
        return [_n(v) if rtype == "CNAME" else v for r in self.get(name, rtype) for v in r["values"]]


def _domain_ref(w: Rec, d: Rec) -> Ref:
    if d.get("kind") == "acm":
        return Ref(d["name"], "acm_certificate", w["region"], d.get("certificate_arn"))
    return Ref(d["name"], "apprunner_custom_domain", w["region"])


def _domains(g: ResourceGraph) -> Iterator[tuple[Rec, Rec]]:
    for w in g.workloads:
        for d in w.get("domains", []):
            yield w, d


def _upsert(zone: Rec | None, name: str, rtype: str, value: str) -> str:
    if zone is None:
        return f"create a {rtype} record {name} -> {value} at your DNS provider"
    return (f"aws route53 change-resource-record-sets --hosted-zone-id {zone['id']} --change-batch "
            f"'{{\"Changes\":[{{\"Action\":\"UPSERT\",\"ResourceRecordSet\":{{\"Name\":\"{name}\","
            f"\"Type\":\"{rtype}\",\"TTL\":300,\"ResourceRecords\":[{{\"Value\":\"{value}\"}}]}}}}]}}'")


@check("DNS001")
def validation_record_missing(g: ResourceGraph) -> Iterator[Hit]:
    dns = Dns(g)
    for w, d in _domains(g):
        for r in d["records"]:
            name, rtype, want = r["name"], r.get("type") or "CNAME", _n(r.get("value"))
            if not name or not dns.known(name, rtype):
                continue
            have = dns.values(name, rtype)
            if want in have:
                continue
            zone = dns.zone(name)
            where = f"Route 53 zone {zone['name']}" if zone else "public DNS"
            found = f"it points to {', '.join(have)} instead" if have else "it is gone"
            yield finding(
                _domain_ref(w, d),
                f"the certificate validation record {_n(name)} of {d['name']} ({w['name']}) is not in "
                f"{where}: {found}. ACM needs it to renew the certificate; without it the domain stops "
                "serving TLS when the certificate expires",
                Fix("Put the validation record back, and keep it for as long as the domain is used",
                    (_upsert(zone, _n(name), rtype, want),)),
                related=(ref("workload", w),), path=(w["name"], d["name"], _n(name)))


_STATUS_WAITS = {
    "PENDING_CERTIFICATE_DNS_VALIDATION": "waits for the certificate validation records to appear in DNS",
    "CREATING": "is being set up",
    "BINDING_CERTIFICATE": "is binding its certificate",
    "CREATE_FAILED": "failed to be created (often: a CAA record forbids amazon.com, or validation timed out)",
    "DELETING": "is being deleted", "DELETE_FAILED": "failed to be deleted",
}


@check("DNS002")
def custom_domain_not_active(g: ResourceGraph) -> Iterator[Hit]:
    for w, d in _domains(g):
        acm = d.get("kind") == "acm"
        pending = [r for r in d["records"] if r.get("status") is not None and r["status"] not in RECORD_VALIDATED]
        if d.get("status") in (CERTIFICATE_ISSUED if acm else DOMAIN_ACTIVE) and not pending:
            continue
        if acm:
            yield finding(
                _domain_ref(w, d),
                f"certificate {d['name']} of {w['name']}'s load balancer is {d.get('status')}"
                + (": validation records not yet validated: "
                   + ", ".join(f"{_n(r['name'])} ({r.get('status')})" for r in pending) if pending else ""),
                Fix("Create every validation record exactly as ACM lists it; a failed or expired certificate "
                    "must be requested again and the listener switched to it",
                    (f"aws acm describe-certificate --region {w['region']} --certificate-arn {d['certificate_arn']}",)),
                related=(ref("workload", w),), path=(w["name"], d["name"]))
            continue
        parts = []
        if d.get("status") not in DOMAIN_ACTIVE:
            parts.append(f"is {d.get('status')}: it {_STATUS_WAITS.get(str(d.get('status')), 'is not active')}")
        if pending:
            parts.append("validation records not yet validated: "
                         + ", ".join(f"{_n(r['name'])} ({r.get('status')})" for r in pending))
        yield finding(
            _domain_ref(w, d),
            f"custom domain {d['name']} of {w['name']} " + "; ".join(parts),
            Fix("Create every validation record exactly as App Runner lists it; validation can take up "
                "to 48 hours, a failed domain must be disassociated and associated again",
                (f"aws apprunner describe-custom-domains --region {w['region']} --service-arn {w['arn']}",)),
            related=(ref("workload", w),), path=(w["name"], d["name"]))


@check("DNS003")
def apex_cname(g: ResourceGraph) -> Iterator[Hit]:
    dns = Dns(g)
    for w, d in _domains(g):
        name = _n(d["name"])
        zone = dns.zone(name)
        apex = zone["name"] == name if zone else len(name.split(".")) == 2
        if not apex or name.startswith("*."):
            continue
        target = _n(w.get("dns_target"))
        problem = None
        if not target and not dns.get(name, "CNAME"):
            continue  # no single target to compare with (several load balancers, or none known)
        if dns.get(name, "CNAME"):
            problem = "has a CNAME record at the zone apex, which DNS does not allow next to the zone's SOA and NS"
        elif zone is not None:
            alias = [r for t in ("A", "AAAA") for r in dns.get(name, t) if r.get("alias")]
            plain = [r for t in ("A", "AAAA") for r in dns.get(name, t) if not r.get("alias")]
            if plain and not alias:
                problem = ("has plain A records at the apex; the service's addresses change, so only an "
                           "alias record follows them")
            elif alias and not any(_n(r["alias"]["dns_name"]).removeprefix("dualstack.") == target for r in alias):
                problem = f"aliases {alias[0]['alias']['dns_name']}, not the service's DNS target {target}"
        if problem is None:
            continue
        yield finding(
            _domain_ref(w, d),
            f"{name} (custom domain of {w['name']}) {problem}",
            Fix("Use a Route 53 alias A record to the service's DNS target with App Runner's hosted zone "
                "for the region" if zone else "Use your DNS provider's ALIAS/ANAME record, or move the zone "
                "to Route 53 and use an alias record"),
            related=(ref("workload", w),), path=(w["name"], name),
            severity=Severity.HIGH if zone else Severity.MEDIUM)


@check("DNS004")
def domain_not_routed(g: ResourceGraph) -> Iterator[Hit]:
    dns = Dns(g)
    for w, d in _domains(g):
        target = _n(w.get("dns_target"))
        if not target:
            continue
        names = [_n(d["name"])] + ([f"www.{_n(d['name'])}"] if d.get("www") else [])
        for name in names:
            if name.startswith("*.") or not dns.known(name, "CNAME"):
                continue
            cname = dns.values(name, "CNAME")
            alias = [r["alias"]["dns_name"] for t in ("A", "AAAA") for r in dns.get(name, t) if r.get("alias")]
            if target in cname or any(_n(a).removeprefix("dualstack.") == target for a in alias):
                continue
            plain = [v for t in ("A", "AAAA") for v in dns.values(name, t)]
            if plain and dns.zone(name) is None:
                continue  # addresses from public DNS: may be the target's, cannot tell
            zone = dns.zone(name)
            now = (f"CNAME {', '.join(cname)}" if cname else f"alias {', '.join(alias)}" if alias
                   else f"A {', '.join(plain)}" if plain else "no record")
            yield finding(
                Ref(name, "dns_name", w["region"]),
                f"{name} ({w['name']}'s custom domain) does not route to the service's DNS target {target}: "
                f"it has {now}",
                Fix(f"Point {name} at {target}", (_upsert(zone, name, "CNAME", target),)),
                related=(_domain_ref(w, d), ref("workload", w)), path=(w["name"], name))


def _caa_allows(values: list[str]) -> bool:
    for v in values:
        parts = v.split(None, 2)
        if len(parts) == 3 and parts[1].lower() in ("issue", "issuewild"):
            ca = parts[2].strip('"').split(";")[0].strip().lower()
            if ca in ACM_CAS:
                return True
    return False


@check("DNS005")
def caa_forbids_amazon(g: ResourceGraph) -> Iterator[Hit]:
    dns = Dns(g)
    for w, d in _domains(g):
        labels = _n(d["name"]).lstrip("*.").split(".")
        for i in range(len(labels) - 1):
            name = ".".join(labels[i:])
            values = dns.values(name, "CAA")
            if not values:
                continue  # climb to the parent (RFC 8659)
            if not _caa_allows(values):
                zone = dns.zone(name)
                yield finding(
                    _domain_ref(w, d),
                    f"CAA records at {name} ({'; '.join(values)}) allow no Amazon certificate authority, so "
                    f"ACM cannot issue or renew the certificate for {d['name']}",
                    Fix(f"Add a CAA record '0 issue \"amazon.com\"' at {name}",
                        (_upsert(zone, name, "CAA", '0 issue \\"amazon.com\\"'),)),
                    related=(ref("workload", w),), path=(w["name"], name))
            break


def vcpu(cpu: str | None) -> float:
    """App Runner's Cpu value ('1024', '1 vCPU', '0.25 vCPU') in vCPUs; the default is 1."""
    text = str(cpu or "1024").lower().replace("vcpu", "").strip()
    try:
        value = float(text)
    except ValueError:
        return 1.0
    return value / 1024 if value >= 64 else value


def _ecs_demand(g: ResourceGraph, region: str) -> tuple[list[tuple[str, float, int]], float]:
    """(per ECS service: name, task vCPU, tasks at the deployment peak), and the vCPU of running
    Fargate tasks that belong to no service."""
    parts = []
    for w in g.workloads:
        if w["region"] != region or not is_ecs(w) or w.get("status") in ECS_SERVICE_INACTIVE | EXPRESS_INACTIVE:
            continue
        if w["platform"] != "ecs-express" and w.get("launch_type") not in FARGATE:
            continue
        express = w.get("express") or {}
        count = int(express.get("max_tasks") or w.get("desired_count") or 0)
        peak = math.ceil(count * int(w.get("deployment_max_percent") or 200) / 100)
        parts.append((w["name"], vcpu(w.get("cpu")), peak))
    services = {w["name"] for w in g.workloads if is_ecs(w)}
    loose = sum(vcpu(t.get("cpu")) for t in g.snapshot["resources"].get("fargate_tasks", [])
                if t["region"] == region and not (str(t.get("group") or "").startswith("service:")
                                                  and str(t["group"])[8:] in services))
    return parts, loose


@check("QTA001")
def fargate_vcpu_quota(g: ResourceGraph) -> Iterator[Hit]:
    res = g.snapshot["resources"]
    asc = {a["arn"]: a for a in res.get("autoscaling_configs", [])}
    for quota in res.get("quotas", []):
        region = quota["region"]
        limit = quota.get("value")
        if limit is None:
            continue
        parts = []
        for w in g.workloads:
            if w["region"] != region or w["platform"] != "apprunner" or w.get("status") in SERVICE_NOT_SERVING:
                continue
            max_size = (asc.get(w.get("autoscaling_config_arn") or "") or {}).get("max_size") or 25
            parts.append((w["name"], vcpu(w.get("cpu")), int(max_size)))
        ecs_parts, loose = _ecs_demand(g, region)
        demand = sum(c * m for _, c, m in parts + ecs_parts) + loose
        if demand <= 0.8 * limit:
            continue
        severity = Severity.HIGH if demand > limit else Severity.MEDIUM
        wanted = max(math.ceil(demand * 1.25), math.ceil(limit) + 1)
        detail = ", ".join(f"{n} {c:g} vCPU x {m}" for n, c, m in
                           sorted(parts + ecs_parts, key=lambda p: -p[1] * p[2])[:8])
        if loose:
            detail += f", other running Fargate tasks {loose:g} vCPU"
        who = " and ".join(x for x, used in (("App Runner services at their maximum size", parts),
                                             ("ECS services at their deployment peak", ecs_parts)) if used) \
            or "running Fargate tasks"
        yield finding(
            Ref(f"{region}/fargate/L-3032A538", "service_quota", region),
            f"in {region} the {QUOTA_NAME} quota (fargate, L-3032A538) is {limit:g} "
            f"({'applied' if quota['source'] == 'applied' else 'the AWS default; no applied value'}), and "
            f"{who} may need {demand:g} vCPU ({detail}); App Runner and ECS Fargate both draw on this "
            "quota, so scaling and deployments stop silently at it",
            Fix(f"Lower the services' maximum sizes, or ask for at least {wanted} vCPU",
                (f"aws service-quotas request-service-quota-increase --region {region} --service-code fargate "
                 f"--quota-code L-3032A538 --desired-value {wanted}",)),
            related=tuple(ref("workload", w) for w in g.workloads
                          if w["region"] == region and (w["platform"] == "apprunner" or is_ecs(w))),
            path=(region, "fargate/L-3032A538"), severity=severity)


@check("QTA002")
def apprunner_quota(g: ResourceGraph) -> Iterator[Hit]:
    res = g.snapshot["resources"]
    regions = sorted({w["region"] for w in g.workloads if w["platform"] == "apprunner"})
    for region in regions:
        counts = {
            "services": sum(1 for w in g.workloads if w["region"] == region and w["platform"] == "apprunner"
                            and w.get("status") not in SERVICE_GONE),
            "vpc connectors": len({c.get("name") for c in res["vpc_connectors"] if c["region"] == region}),
            "auto scaling configurations": len({a.get("name") for a in res.get("autoscaling_summaries", [])
                                                if a["region"] == region and not a.get("is_default")}),
        }
        for what, used in counts.items():
            limit = APP_RUNNER_QUOTAS[what]
            if used < 0.8 * limit:
                continue
            failed = sum(1 for w in g.workloads
                         if w["region"] == region and w.get("status") in SERVICE_BROKEN)
            extra = (f" ({failed} of them failed, and failed services still count)"
                     if what == "services" and failed else "")
            yield finding(
                Ref(f"{region}/apprunner/{what.replace(' ', '-')}", "service_quota", region),
                f"{region} has {used} App Runner {what}{extra}, against a default quota of {limit}; new ones "
                "will be refused at the limit",
                Fix("Delete what is unused (failed services first), or ask for a higher quota",
                    (f"aws service-quotas list-service-quotas --region {region} --service-code apprunner",)),
                path=(region, what), severity=Severity.HIGH if used >= limit else None)


def _ecs_unhealthy(w: Rec) -> Hit | None:
    primary = next((o for o in w.get("operations") or [] if o.get("primary")), None)
    # An Express service is an ECS service: its failed deployment is the primary deployment's
    # rolloutState FAILED in DescribeServices. The Express status (ExpressGatewayServiceStatusCode)
    # is only ACTIVE, DRAINING or INACTIVE and never says a deployment failed.
    if not (primary and primary.get("status") in ROLLOUT_FAILED):
        return None
    cluster = cluster_name(w)
    reason = primary.get("reason") or "no reason given"
    return finding(
        ref("workload", w),
        f"{w['name']}: its latest deployment FAILED ({reason}); with the circuit breaker ECS rolls back, "
        "so the running tasks are the previous revision's",
        Fix("Read the service's events and the stopped tasks' stoppedReason, fix the cause, and deploy again",
            (f"aws ecs describe-services --region {w['region']} --cluster {cluster} --services {w['name']} "
             "--query 'services[0].events[:10]'",
             f"aws ecs list-tasks --region {w['region']} --cluster {cluster} --service-name {w['name']} "
             "--desired-status STOPPED")),
        path=(w["name"],))


@check("OPS001")
def service_unhealthy(g: ResourceGraph) -> Iterator[Hit]:
    for w in g.workloads:
        if is_ecs(w):
            hit = _ecs_unhealthy(w)
            if hit is not None:
                yield hit
            continue
        if w["platform"] != "apprunner":
            continue
        ops: list[dict[str, Any]] = w.get("operations") or []
        latest = ops[0] if ops else None
        problems = []
        if w.get("status") in SERVICE_BROKEN:
            problems.append(f"the service is {w['status']}")
        if latest and latest.get("status") in OPERATION_BAD:
            problems.append(f"its latest operation {latest.get('type')} ended {latest.get('status')}"
                            + (" (App Runner rolled back: anything that trusted the deploy call is wrong)"
                               if str(latest.get("status")).startswith("ROLLBACK") else ""))
        if not problems:
            continue
        commands = [f"aws logs tail /aws/apprunner/{w['name']}/{w.get('id')}/service --region {w['region']} "
                    "--since 1d"]
        if w.get("status") in SERVICE_CREATE_FAILED:
            commands.append(f"aws apprunner update-service --region {w['region']} --service-arn {w['arn']} "
                            "...   # fix the configuration, then rebuild with update-service")
        else:
            commands.append(f"aws apprunner start-deployment --region {w['region']} --service-arn {w['arn']}")
        yield finding(
            ref("workload", w),
            f"{w['name']}: " + "; ".join(problems),
            Fix("Read the service's event log, fix the cause, and deploy again; make CI wait for the "
                "operation's final status", tuple(commands)),
            path=(w["name"],))


@check("OPS002")
def source_connection_pending(g: ResourceGraph) -> Iterator[Hit]:
    connections = {c["arn"]: c for c in g.snapshot["resources"].get("connections", [])}
    for w in g.workloads:
        arn = (w.get("source") or {}).get("connection_arn")
        conn = connections.get(arn or "")
        if conn is None or conn.get("status") in CONNECTION_AVAILABLE:
            continue
        yield finding(
            Ref(conn.get("name") or arn or "?", "apprunner_connection", conn["region"], arn),
            f"{w['name']} builds from {conn.get('provider')} through connection {conn.get('name')}, which is "
            f"{conn.get('status')}"
            + (": the handshake must be completed in the App Runner console"
               if conn.get("status") in CONNECTION_HANDSHAKE else ""),
            Fix("Complete the connection's handshake in the App Runner console (Connected accounts), "
                "or create a new connection"),
            related=(ref("workload", w),), path=(w["name"], conn.get("name") or ""))


# --- OPS003: the first App Runner service of an account, after the closure ----------------------

@check("OPS003")
def apprunner_closed_to_new_customers(g: ResourceGraph) -> Iterator[Hit]:
    apprunner = [w for w in g.workloads if w["platform"] == "apprunner"]
    planned = [w for w in apprunner if w.get("status") == "PLANNED"]
    if not planned or len(planned) < len(apprunner):
        return  # nothing new, or the account already runs App Runner (an existing customer)
    read = bool(g.snapshot.get("account")) and "apprunner" in (g.snapshot.get("platforms") or ["apprunner"])
    where = (f"no App Runner service exists in the regions read ({', '.join(g.snapshot.get('regions') or [])})"
             if read else "preflight did not read the account")
    for w in planned:
        yield finding(
            ref("workload", w),
            f"the plan creates the App Runner service {w['name']}, and {where}: App Runner is closed to new "
            "customers, so an account that has never used it cannot create services (a heuristic: whether the "
            "account counts as an existing customer only AWS knows, and preflight found no refusal text to match)",
            Fix("Plan the service on ECS Express Mode instead (`preflight scan --target ecs-express` shows what "
                "moves), or confirm the account is an existing App Runner customer",
                ("preflight scan --target ecs-express --plan <plan>",)),
            path=(w["name"],), severity=Severity.MEDIUM if read else None)
