"""Collects a read-only snapshot of an account, following the graph across regions.

`collect()` is the only entry point. It runs every `Task` on a bounded thread pool, turns each
failed read into a gap (never into an empty list), then follows the graph: the far side of every
peering and the region of every database a service names are collected too, until no new region
appears. Last, it fetches the few per-resource attributes that only flows need.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.exceptions

from preflight import __version__, refs
from preflight.collect import apprunner, domains, ec2, ecr, ecs, evidence, identity, logs, organizations, rds
from preflight.collect.aws import (
    CREDENTIAL_CODES,
    Clients,
    Operation,
    Settings,
)
from preflight.collect.base import Records, Task, Vanished
from preflight.enums import SECURE_STRING
from preflight.errors import CredentialsError, ReadOnlyViolation, UsageError
from preflight.redact import endpoint_digest
from preflight.snapshot import SNAPSHOT_VERSION, empty_resources

log = logging.getLogger(__name__)

GET_CALLER_IDENTITY = Operation("sts", "GetCallerIdentity")
Progress = Callable[[str, int, int], None]  # (what was just read, tasks done, tasks known)
OPERATIONS: tuple[Operation, ...] = (
    (GET_CALLER_IDENTITY, *apprunner.OPERATIONS, *ecs.OPERATIONS, *ec2.OPERATIONS, *rds.OPERATIONS,
     *identity.OPERATIONS, *organizations.OPERATIONS, *domains.OPERATIONS, *ecr.OPERATIONS, *logs.OPERATIONS,
     *evidence.OPERATIONS)
)
ALLOWED = frozenset((op.service, op.name) for op in OPERATIONS)
MAX_REGIONS = 32


def describe_error(e: BaseException) -> tuple[str, str]:
    """(short error text, error code) of a failed call."""
    if isinstance(e, botocore.exceptions.ClientError):
        err = e.response.get("Error", {})
        code = str(err.get("Code", "Unknown"))
        message = str(err.get("Message", "")).strip()
        return (f"{code}: {message}" if message else code), code
    if isinstance(e, botocore.exceptions.EndpointConnectionError | botocore.exceptions.ConnectTimeoutError):
        return f"endpoint unreachable: {e}", "EndpointUnreachable"
    if isinstance(e, botocore.exceptions.ReadTimeoutError):
        return f"read timed out: {e}", "ReadTimeout"
    return f"{type(e).__name__}: {e}", type(e).__name__


class _Run:
    """State of one collection run, shared by the worker threads."""

    def __init__(self, clients: Clients, progress: Progress | None = None) -> None:
        self.clients = clients
        self.resources: dict[str, Records] = empty_resources()
        self.gaps: list[dict[str, Any]] = []
        self.notes: list[str] = []  # what was skipped on purpose, said in every report
        self.lock = threading.Lock()
        self.progress = progress
        self.done = 0
        self.total = 0

    def gap(self, region: str, op: Operation, error: BaseException,
            collections: Iterable[str]) -> None:
        if isinstance(error, ReadOnlyViolation):
            raise error
        if isinstance(error, Vanished):  # deleted while we read it: nothing left to know
            with self.lock:
                self.notes.append(str(error))
            return
        if isinstance(error, botocore.exceptions.NoCredentialsError):
            raise CredentialsError("AWS credentials disappeared during the scan") from error
        text, code = describe_error(error)
        if code in CREDENTIAL_CODES and code != "UnrecognizedClientException":
            raise CredentialsError(
                f"AWS rejected the credentials ({text}); refresh them (e.g. `aws sso login`)"
            ) from error
        with self.lock:
            self.gaps.append({
                "region": region, "service": op.service, "operation": op.name,
                "iam_action": op.iam_action, "error": text[:500],
                "collections": sorted(set(collections)),
            })

    def run_task(self, task: Task) -> None:
        client = self.clients.get(task.operation.service, task.region)

        def partial(op: Operation, error: BaseException) -> None:
            self.gap(task.region, op, error, task.unknown)

        try:
            raw = task.fetch(client, partial)
        except Exception as e:
            self.gap(task.region, task.operation, e, task.unknown)
            return
        records = task.transform(raw, task.region)
        with self.lock:
            self.resources.setdefault(task.collection, []).extend(records)
            self.done += 1
            if self.progress is not None:
                self.progress(f"{task.operation.key} in {task.region}", self.done, self.total)

    def run_all(self, tasks: list[Task]) -> None:
        if not tasks:
            return
        with self.lock:
            self.total += len(tasks)
        with ThreadPoolExecutor(max_workers=self.clients.settings.workers) as pool:
            for future in [pool.submit(self.run_task, t) for t in tasks]:
                future.result()  # re-raises ReadOnlyViolation / CredentialsError


def caller_identity(clients: Clients, region: str) -> tuple[str, str]:
    """(account, partition) of the credentials: assumed-role, SSO and federated sessions all
    answer GetCallerIdentity, and their ARN (arn:aws-cn:sts::..., arn:aws-us-gov:...) names the
    partition, which no profile setting does."""
    try:
        who = clients.get("sts", region).get_caller_identity()
        arn = str(who.get("Arn") or "")
        partition = arn.split(":")[1] if arn.startswith("arn:") and arn.count(":") >= 5 else clients.partition(region)
        return str(who["Account"]), partition
    except botocore.exceptions.NoCredentialsError as e:
        raise CredentialsError(
            "no AWS credentials found: set AWS_PROFILE, run `aws sso login` or `aws configure`"
        ) from e
    except botocore.exceptions.ClientError as e:
        text, _ = describe_error(e)
        raise CredentialsError(f"AWS rejected the credentials ({text}); refresh them (e.g. `aws sso login`) "
                               "or check AWS_PROFILE") from e
    except (botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectTimeoutError) as e:
        raise CredentialsError(f"cannot reach AWS STS in {region}: {e}") from e
    except botocore.exceptions.BotoCoreError as e:
        raise CredentialsError(f"cannot use the AWS credentials: {e}") from e


def discovered_regions(resources: dict[str, Records]) -> set[str]:
    """Regions the graph reaches: peering sides (VPC and transit gateway) and the databases that
    services name."""
    found: set[str] = set()
    for p in resources["peerings"]:
        found.update(side["region"] for side in (p["requester"], p["accepter"]) if side["region"])
    for a in resources.get("transit_gateway_attachments", []):  # the far side of a TGW peering
        if a.get("peer_region"):
            found.add(a["peer_region"])
    for w in resources["services"]:
        for env in w["env"]:
            found.update(env["endpoint_regions"])
    return found


def _flow_vpcs(resources: dict[str, Records]) -> dict[str, set[str]]:
    """region -> VPC ids that a flow starts or ends in (connector VPCs, target database VPCs)."""
    subnet_vpc = {(s["region"], s["id"]): s["vpc"] for s in resources["subnets"]}
    wanted: dict[str, set[str]] = {}
    connectors = {c["arn"]: c for c in resources["vpc_connectors"]}
    digests: set[str] = set()
    for w in resources["services"]:
        conn = connectors.get(w["egress"].get("connector_arn") or "") or w["egress"].get("awsvpc")
        if conn:
            for sn in conn["subnets"]:
                vpc = subnet_vpc.get((w["region"], sn))
                if vpc:
                    wanted.setdefault(w["region"], set()).add(vpc)
        for env in w["env"]:
            digests.update(env["endpoint_digests"])
    groups = {(g["region"], g["name"]): g["vpc"] for g in resources["db_subnet_groups"]}
    for db in resources["db_instances"] + resources["db_clusters"]:
        addrs = [a for a in (db.get("address"), db.get("reader_address")) if a]
        if not any(endpoint_digest(a) in digests for a in addrs):
            continue
        vpc = db.get("vpc") or groups.get((db["region"], db.get("subnet_group")))
        if vpc:
            wanted.setdefault(db["region"], set()).add(vpc)
    return wanted


def _dns_tasks(wanted: dict[str, set[str]]) -> list[Task]:
    op = Operation("ec2", "DescribeVpcAttribute")
    tasks = []
    for region, vpcs in sorted(wanted.items()):
        for vpc in sorted(vpcs):
            def fetch(client: Any, _gap: Any, vpc: str = vpc) -> tuple[str, bool, bool]:
                support, hostnames = ec2.get_vpc_dns_attributes(client, vpc)
                return vpc, support, hostnames

            def transform(raw: tuple[str, bool, bool], region: str) -> Records:
                return [{"id": raw[0], "region": region, "dns_support": raw[1],
                         "dns_hostnames": raw[2]}]
            tasks.append(Task("vpc_dns", op, region, fetch, transform))
    return tasks


def _collect_domains(run: _Run, home: str) -> None:
    """Route 53 for the zones that hold the services' custom domains; DNS for the rest."""
    want = domains.wanted_names(run.resources["services"])
    if not want:
        return
    run.run_all([domains.zones_task(home)])
    zones = run.resources.get("dns_zones", [])
    by_zone: dict[str, dict[str, set[str]]] = {}
    outside: dict[str, set[str]] = {}
    for name, types in want.items():
        zone = domains.zone_for(name, zones)
        if zone is not None:
            by_zone.setdefault(zone["id"], {})[name] = types
        elif not any(g["operation"] == "ListHostedZones" for g in run.gaps):
            outside[name] = types
    zone_by_id = {z["id"]: z for z in zones}
    run.run_all([domains.records_task(home, zone_by_id[z], names) for z, names in sorted(by_zone.items())])
    if outside:
        records, errors = domains.lookup(outside, run.clients.settings.dns_resolver)
        run.resources.setdefault("dns_records", []).extend(records)
        for error in errors:
            run.gaps.append({"region": "global", "service": "dns", "operation": "query",
                             "iam_action": "dns:query (not AWS)", "error": error, "collections": ["dns_records"]})


def _collect_ingress(run: _Run) -> None:
    """Load balancers and certificates in front of ECS services, then their validation records."""
    by_region: dict[str, set[str]] = {}
    for w in run.resources["services"]:
        for tg in w.get("target_groups", []):
            by_region.setdefault(w["region"], set()).add(tg)
    if not by_region:
        return
    run.run_all([ecs.ingress_task(r, sorted(tgs)) for r, tgs in sorted(by_region.items())])
    certs: dict[str, set[str]] = {}
    for lb in run.resources.get("ecs_ingress", []):
        for arn in lb.get("certificates", []):
            certs.setdefault(arn.split(":")[3] or lb["region"], set()).add(arn)
    run.run_all([ecs.certificates_task(r, sorted(a)) for r, a in sorted(certs.items())])
    ecs.attach_ingress(run.resources["services"], run.resources.pop("ecs_ingress", []),
                       run.resources.pop("ecs_certificates", []))


def ecs_service_linked_role(account: str, partition: str) -> str:
    """The role ECS creates and uses to manage a service's network interfaces and load balancer
    targets (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html)."""
    return f"arn:{partition}:iam::{account}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"


def _collect_images_and_logs(run: _Run) -> None:
    """The ECR images and awslogs groups the workloads name."""
    services = run.resources["services"]
    run.run_all([ecr.images_task(r, images) for r, images in sorted(ecr.referenced(services).items())]
                + [logs.groups_task(r, names) for r, names in sorted(logs.referenced(services).items())])


def secret_refs(resources: dict[str, Records], account: str) -> list[refs.SecretRef]:
    out = []
    for w in resources["services"]:
        for s in w["secrets"]:
            out.append(refs.parse(s["ref"], w["region"], account))
    return out


def _collect_identity(run: _Run, account: str, home: str, org: dict[str, Any] | None = None) -> set[str]:
    """Roles, secrets, parameters, then the KMS keys those use. Returns the regions it read."""
    res = run.resources
    role_arns = sorted({a for w in res["services"] for a in (
        w.get("instance_role_arn"), (w.get("source") or {}).get("access_role_arn"),
        w.get("execution_role_arn"), w.get("task_role_arn"),
        (w.get("express") or {}).get("infrastructure_role_arn")) if a})
    if any(w["platform"] != "apprunner" for w in res["services"]):  # ECS needs its service-linked role
        role_arns.append(ecs_service_linked_role(account, run.clients.partition(home)))
    found = secret_refs(res, account)
    mine = [r for r in found if r.account == account]
    tasks: list[Task] = []
    if org is not None:
        # read for this account from the management side (an organization scan): kept even for an
        # account without workloads, whose RCPs and organization judge the reads of its resources
        # by other accounts' workloads
        run.resources["organization"] = [org]
    if role_arns:
        tasks.append(identity.roles_task(home, role_arns))
        if org is None:  # SCPs and RCPs bear on every permission verdict
            tasks.append(organizations.task(home, account))
    return _read_secrets(run, mine, tasks)


def _read_secrets(run: _Run, wanted: list[refs.SecretRef], tasks: list[Task]) -> set[str]:
    """The secrets and parameters `wanted` names (with `tasks` alongside), then the customer
    managed keys they are encrypted with. Returns the regions it read."""
    res = run.resources
    by_region: dict[tuple[str, str], list[refs.SecretRef]] = {}
    for r in wanted:
        by_region.setdefault((r.kind, r.region), []).append(r)
    for (kind, region), group in sorted(by_region.items()):
        tasks.append(identity.secrets_task(region, group) if kind == "secretsmanager"
                     else identity.parameters_task(region, group))
    run.run_all(tasks)
    keys: dict[str, set[str]] = {}
    for s in res.get("secrets", []):
        if s.get("kms_key_id") and not str(s["kms_key_id"]).endswith("alias/aws/secretsmanager"):
            keys.setdefault(s["region"], set()).add(s["kms_key_id"])
    for p in res.get("ssm_parameters", []):
        if p.get("type") in SECURE_STRING and p.get("key_id") and not str(p["key_id"]).endswith("alias/aws/ssm"):
            keys.setdefault(p["region"], set()).add(p["key_id"])
    known = {(k["region"], i) for k in res.get("kms_keys", []) for i in (*k.get("requested", []), k.get("arn"))}
    run.run_all([identity.keys_task(region, sorted(ids)) for region, ids in sorted(keys.items())
                 if any((region, i) not in known for i in ids)])
    return {region for _, region in by_region}


def collect_shared(session: boto3.Session, doc: dict[str, Any], wanted: list[refs.SecretRef],
                   settings: Settings | None = None) -> dict[str, Any]:
    """`doc` (this account's snapshot) with the secrets and parameters of this account that
    other accounts' workloads name, and their keys: an organization scan judges a cross-account
    read with the owner's resource policy and key policy, so the owner reads them too."""
    run = _Run(Clients(session, ALLOWED, settings))
    run.resources = {k: list(v) for k, v in doc["resources"].items()}
    have = {(r.get("arn") or r.get("name")) for c in ("secrets", "ssm_parameters") for r in run.resources.get(c, [])}
    todo = [r for r in dict.fromkeys(wanted) if r.arn not in have and r.name not in have]
    regions = _read_secrets(run, todo, [])
    for records in run.resources.values():
        records.sort(key=lambda r: (r.get("region", ""), r.get("arn") or r.get("id") or r.get("name", "")))
    calls = dict(doc.get("api_calls_by_operation", {}))
    for key, n in run.clients.counter.calls.items():
        calls[key] = calls.get(key, 0) + n
    gaps = sorted([*doc["gaps"], *run.gaps], key=lambda g: (g["region"], g["service"], g["operation"]))
    return {**doc, "resources": run.resources, "gaps": gaps, "regions": sorted({*doc["regions"], *regions}),
            "api_calls": doc.get("api_calls", 0) + run.clients.counter.total,
            "api_calls_by_operation": dict(sorted(calls.items()))}


def collect(
    session: boto3.Session,
    regions: list[str],
    services: frozenset[str] = frozenset(),
    settings: Settings | None = None,
    progress: Progress | None = None,
    organization: dict[str, Any] | None = None,
    require_services: bool = True,
) -> dict[str, Any]:
    """Reads the account and returns a snapshot document (see `preflight.snapshot`).

    `organization`: the account's SCP and RCP layers when the caller read them already (an
    organization scan reads them from the management account); `require_services`: False when a
    `services` filter may name services of other accounts."""
    started = time.monotonic()
    started_at = datetime.now(UTC)
    clients = Clients(session, ALLOWED, settings)
    account, partition = caller_identity(clients, regions[0])
    apprunner_regions = clients.available_regions("apprunner", partition)
    known_regions = clients.available_regions("ec2", partition)
    unknown = [r for r in regions if known_regions and r not in known_regions]
    if unknown:
        other = clients.partition(unknown[0])
        where = f" (it is in the {other} partition; these credentials are {partition}'s)" if other != partition else ""
        raise UsageError(f"unknown region {unknown[0]!r}{where}")
    run = _Run(clients, progress)
    notes: list[str] = []
    if "apprunner" in clients.settings.platforms:
        notes += [f"App Runner is not offered in {r} (partition {partition}): no App Runner service was read there"
                  for r in regions if r not in apprunner_regions]

    first = []
    platforms = clients.settings.platforms
    for region in regions:
        if region in apprunner_regions and "apprunner" in platforms:
            first += [*apprunner.tasks(region, services, clients.settings.workers), apprunner.tags_task(region)]
        if "ecs" in platforms:
            first += ecs.region_tasks(region, services)
        first += ec2.tasks(region) + rds.tasks(region)
    run.run_all(first)
    apprunner.attach_tags(run.resources["services"], run.resources.pop("apprunner_tags", []))
    done = set(regions)
    while True:
        new = sorted(r for r in discovered_regions(run.resources) - done
                     if not known_regions or r in known_regions)
        if not new or len(done) >= MAX_REGIONS:
            break
        log.info("following the graph into %s", ", ".join(new))
        done.update(new)
        run.run_all([t for r in new for t in ec2.tasks(r) + rds.tasks(r)])

    if services:
        found = {w["name"] for w in run.resources["services"]} | {
            w["arn"] for w in run.resources["services"]}
        missing = sorted(services - found)
        failed = any(g["operation"] in ("ListServices", "DescribeService", "ListClusters", "DescribeServices")
                     for g in run.gaps)
        if missing and not failed and require_services:
            kinds = " or ".join({"apprunner": "App Runner", "ecs": "ECS"}[p] for p in sorted(platforms))
            raise UsageError(f"no {kinds} service {missing[0]!r} in {', '.join(regions)}")

    def certificates_then_domains() -> None:
        _collect_ingress(run)
        _collect_domains(run, regions[0])

    def quotas_and_attributes() -> None:
        quota_regions = {w["region"] for w in run.resources["services"]} | {
            t["region"] for t in run.resources.get("fargate_tasks", [])}
        asc: dict[str, set[str]] = {}
        for w in run.resources["services"]:
            if w.get("autoscaling_config_arn"):
                asc.setdefault(w["region"], set()).add(w["autoscaling_config_arn"])
        run.run_all([domains.quota_task(r) for r in sorted(quota_regions)]
                    + [apprunner.autoscaling_task(r, sorted(a)) for r, a in sorted(asc.items())]
                    + _dns_tasks(_flow_vpcs(run.resources))
                    + [ec2.prefix_list_entries_task(r, sorted(ids))
                       for r, ids in sorted(ec2.referenced_prefix_lists(run.resources).items())])

    # What is left depends only on the services and networks read so far, not on each other:
    # four independent chains, so the wall time is the longest chain's, not their sum.
    with ThreadPoolExecutor(max_workers=4) as pool:
        identity_chain = pool.submit(_collect_identity, run, account, regions[0], organization)
        others = [pool.submit(certificates_then_domains), pool.submit(quotas_and_attributes),
                  pool.submit(_collect_images_and_logs, run)]
        done.update(identity_chain.result())
        for chain in others:
            chain.result()  # re-raises what must stop the scan (credentials, the guard)

    ec2.attach_prefix_list_entries(run.resources)
    dns = {(v["region"], v["id"]): v for v in run.resources.pop("vpc_dns", [])}
    for vpc in run.resources["vpcs"]:
        attrs = dns.get((vpc["region"], vpc["id"]))
        if attrs:
            vpc["dns_support"], vpc["dns_hostnames"] = attrs["dns_support"], attrs["dns_hostnames"]
    for records in run.resources.values():
        records.sort(key=lambda r: (r.get("region", ""), r.get("arn") or r.get("id") or r.get("name", "")))
    run.gaps.sort(key=lambda g: (g["region"], g["service"], g["operation"]))
    return {
        "snapshot_version": SNAPSHOT_VERSION,
        "tool": {"name": "preflight", "version": __version__},
        "account": account,
        "partition": partition,
        "collected_at": started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "duration_s": round(time.monotonic() - started, 3),
        "requested_regions": sorted(regions),
        "regions": sorted(done),
        "apprunner_regions": sorted(apprunner_regions),
        "services_filter": sorted(services),
        "platforms": sorted(platforms),
        "api_calls": clients.counter.total,
        "api_calls_by_operation": dict(sorted(clients.counter.calls.items())),
        "gaps": run.gaps,
        "notes": sorted(set(notes + run.notes)),
        "resources": run.resources,
    }


def collect_diagnose(session: boto3.Session, regions: list[str], services: frozenset[str], since: timedelta,
                     settings: Settings | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """A scan's snapshot plus the evidence of the deployments that failed in the last `since`
    (see `collect.evidence`); a read the evidence needed and could not make is a gap on
    `deploy_evidence`."""
    doc = collect(session, regions, services, settings, progress)
    until = datetime.now(UTC)
    clients = Clients(session, ALLOWED, settings)
    gaps: list[dict[str, Any]] = []
    lock = threading.Lock()

    def gap(region: str, op: Operation, error: BaseException) -> None:
        text, code = describe_error(error)
        if code in CREDENTIAL_CODES and code != "UnrecognizedClientException":
            raise CredentialsError(f"AWS rejected the credentials ({text}); refresh them (e.g. `aws sso login`)") \
                from error
        with lock:
            gaps.append({"region": region, "service": op.service, "operation": op.name,
                         "iam_action": op.iam_action, "error": text[:500], "collections": [evidence.COLLECTION]})

    records = evidence.collect_evidence(clients, doc["resources"]["services"], until - since, until, gap)
    calls = dict(doc.get("api_calls_by_operation", {}))
    for key, n in clients.counter.calls.items():
        calls[key] = calls.get(key, 0) + n
    return {**doc, "gaps": sorted([*doc["gaps"], *gaps], key=lambda g: (g["region"], g["service"], g["operation"])),
            "api_calls": doc.get("api_calls", 0) + clients.counter.total, "api_calls_by_operation": dict(sorted(
                calls.items())),
            "diagnose_window": {"since": (until - since).isoformat(timespec="seconds").replace("+00:00", "Z"),
                                "until": until.isoformat(timespec="seconds").replace("+00:00", "Z")},
            "resources": {**doc["resources"], evidence.COLLECTION: records}}
