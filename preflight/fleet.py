"""Runs the checks over several accounts at once (an organization snapshot) and joins the results.

Each account is judged in a view: its own snapshot, plus what the accounts it reaches hold (the
other side of a peering or a transit gateway, a secret or KMS key named by ARN, the database its
services name). Cross-account edges are therefore judged with both sides' records, through the
same IAM evaluator and reachability engine as a single account:

- a secret in another account is judged with that account's resource policy, key policy and
  RCPs; when that account was not read, the verdict stays undecided and names it;
- a peering whose accepter is in another account is walked into the accepter's route tables,
  security groups and network ACLs.

The view keeps the account's own workloads only (services, connectors), its own quotas, log
groups and organization layers, so a check judges each workload once, in its own account.

The joined result has every finding once (by fingerprint), each naming the account that owns its
resource (`resource.account`); every account's gaps, named by account; an account that could not
be read at all as a gap that leaves every rule unevaluated there (exit 3, never a silent pass).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

from preflight import engine
from preflight.findings import Finding, Ref, fingerprint
from preflight.redact import endpoint_digest
from preflight.snapshot import COLLECTIONS, OPTIONAL

# Collections that belong to the account whose workloads are judged: never borrowed from another.
_OWN_ONLY = frozenset({
    "services", "vpc_connectors", "autoscaling_configs", "connections", "autoscaling_summaries", "quotas",
    "sources", "fargate_tasks", "iam_simulations", "log_groups", "deploy_evidence", "dns_zones", "dns_records",
})
_ACCOUNT = re.compile(r"^\d{12}$")
_OWNER_KEYS = ("owner", "account", "owner_id", "peer_owner", "registry", "tgw_owner")
ALL_COLLECTIONS = tuple(sorted(set(COLLECTIONS) | set(OPTIONAL)))


def _walk(value: Any) -> Iterator[tuple[str | None, Any]]:
    stack: list[tuple[str | None, Any]] = [(None, value)]
    while stack:
        name, item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.items())
        elif isinstance(item, list):
            stack.extend((name, x) for x in item)
        else:
            yield name, item


def referenced_accounts(doc: dict[str, Any]) -> set[str]:
    """Accounts that `doc`'s records name: an ARN's account field, or an owner id (a peering's
    far side, a transit gateway attachment's owner, an ECR registry)."""
    found: set[str] = set()
    for collection, records in doc["resources"].items():
        if collection in ("sources", "deploy_evidence"):
            continue
        for name, value in _walk(records):
            if not isinstance(value, str):
                continue
            if value.startswith("arn:"):
                parts = value.split(":", 5)
                if len(parts) > 4 and _ACCOUNT.match(parts[4]):
                    found.add(parts[4])
            elif name in _OWNER_KEYS and _ACCOUNT.match(value):
                found.add(value)
    found.discard(str(doc.get("account") or ""))
    return found


def _database_owners(docs: dict[str, dict[str, Any]]) -> dict[str, str]:
    """endpoint digest -> the account whose database answers at it."""
    owners: dict[str, str] = {}
    for account, doc in docs.items():
        for db in doc["resources"].get("db_instances", []) + doc["resources"].get("db_clusters", []):
            for address in (db.get("address"), db.get("reader_address")):
                if address:
                    owners.setdefault(endpoint_digest(str(address)), account)
    return owners


def related(account: str, docs: dict[str, dict[str, Any]], refs: dict[str, set[str]],
            db_owners: dict[str, str]) -> list[str]:
    """`account` and every read account it reaches, transitively (a workload account reaches
    the network account's transit gateway, which reaches the shared-services VPC)."""
    seen, todo = {account}, [account]
    while todo:
        current = todo.pop()
        doc = docs[current]
        reach = set(refs.get(current, ()))
        for w in doc["resources"].get("services", []):
            for env in w.get("env") or []:
                reach.update(db_owners[d] for d in env.get("endpoint_digests") or [] if d in db_owners)
        for other in sorted(reach):
            if other in docs and other not in seen:
                seen.add(other)
                todo.append(other)
    return [account, *sorted(seen - {account})]


def _identity(rec: dict[str, Any]) -> Any:
    return rec.get("arn") or (rec.get("region"), rec.get("id")) if (rec.get("arn") or rec.get("id")) \
        else (rec.get("region"), rec.get("name"), id(rec))


def _associated(rec: dict[str, Any], gateway_side: dict[str, Any] | None) -> dict[str, Any]:
    if gateway_side is None or gateway_side is rec:
        return rec
    return {**rec, "route_table": gateway_side.get("route_table"),
            "association_state": gateway_side.get("association_state"),
            "subnets": rec.get("subnets") or gateway_side.get("subnets") or []}


def view(own: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    """`own`'s snapshot with the records of `others` it may need, each record once (its own first)."""
    resources: dict[str, list[dict[str, Any]]] = {}
    for collection, records in own["resources"].items():
        if collection == "organization":  # name the account, so that another's record is not taken for it
            records = [r if r.get("account") else {**r, "account": own["account"]} for r in records]
        resources[collection] = list(records)
    for doc in others:
        for collection, records in doc["resources"].items():
            if collection in _OWN_ONLY or not records:
                continue
            if collection == "organization":
                records = [r if r.get("account") else {**r, "account": doc["account"]} for r in records]
            resources.setdefault(collection, []).extend(records)
    # an attachment to a shared transit gateway is listed by both its owner and the gateway's
    # owner; only the gateway's owner sees for certain which route table it is associated with,
    # so the association is taken from that account's record of it
    gateway_side = {(r.get("region"), r.get("id")): r for doc in (own, *others)
                    for r in doc["resources"].get("transit_gateway_attachments") or []
                    if r.get("tgw_owner") and r.get("tgw_owner") == doc.get("account")}
    if gateway_side:
        resources["transit_gateway_attachments"] = [
            _associated(r, gateway_side.get((r.get("region"), r.get("id"))))
            for r in resources.get("transit_gateway_attachments", [])]
    for collection, records in resources.items():
        seen: set[Any] = set()
        kept = []
        for r in records:
            ident = _identity(r) if collection != "organization" else r.get("account")
            if ident in seen:
                continue
            seen.add(ident)
            kept.append(r)
        resources[collection] = kept
    gaps = [*own.get("gaps", []), *(g for doc in others for g in doc.get("gaps", []))]
    regions = sorted({*own.get("regions", []), *(r for doc in others for r in doc.get("regions", []))})
    return {**own, "regions": regions, "gaps": gaps, "resources": resources}


def owners(docs: dict[str, dict[str, Any]]) -> dict[str, str]:
    """A record's id or ARN -> the account that owns it (its owner field when it has one)."""
    out: dict[str, str] = {}
    for account, doc in docs.items():
        for collection, records in doc["resources"].items():
            if collection in ("sources", "deploy_evidence"):
                continue
            for r in records:
                owner = next((str(r[k]) for k in ("owner",) if isinstance(r.get(k), str) and _ACCOUNT.match(r[k])),
                             account)
                for k in (r.get("arn"), r.get("id")):
                    if isinstance(k, str) and k:
                        out.setdefault(k, owner)
    return out


def account_of(ref: Ref, owned: dict[str, str], default: str) -> str:
    if ref.arn:
        parts = ref.arn.split(":", 5)
        if len(parts) > 4 and _ACCOUNT.match(parts[4]):
            return parts[4]
    return owned.get(ref.id) or owned.get(ref.arn or "") or default


def _attributed(f: Finding, owned: dict[str, str], default: str) -> Finding:
    """The finding with its resource's account; a resource without an ARN (a VPC, a security
    group, a workload named by a plan) has the account in its fingerprint too, so that two
    accounts' resources of one name stay two findings."""
    account = account_of(f.resource, owned, default)
    resource = dataclasses.replace(f.resource, account=account)
    related = tuple(dataclasses.replace(r, account=account_of(r, owned, default)) for r in f.related)
    fp = f.fingerprint
    if not f.resource.arn:
        keyed = dataclasses.replace(resource, key=f"{account}/{f.resource.key or f.resource.id}")
        fp = fingerprint(f.rule, keyed, f.related)
    return dataclasses.replace(f, resource=resource, related=related, fingerprint=fp)


def unread_gap(record: dict[str, Any]) -> dict[str, Any]:
    return {"region": "global", "service": record["service"], "operation": record["operation"],
            "iam_action": record["iam_action"], "account": record["account"],
            "error": f"account {record['account']}"
                     + (f" ({record['name']})" if record.get("name") else "")
                     + f" was not read: {record['error']}",
            "collections": list(ALL_COLLECTIONS)}


def run(org: dict[str, Any], selected: tuple[str, ...] | None = None) -> engine.RunResult:
    """The checks over every account of an organization snapshot, joined into one result."""
    docs = {str(d["account"]): d for d in org["accounts"]}
    lent: dict[str, dict[str, Any]] = {}
    for b in org.get("borrowed") or []:  # another shard's account, read for what this one names
        account = str(b["account"])
        if account in docs:  # joined by a merge: the records go to their owner's snapshot
            d = docs[account]
            docs[account] = {**d, "gaps": [*d.get("gaps", []), *b["gaps"]], "resources": {
                **d["resources"], **{k: [*d["resources"].get(k, []), *v] for k, v in b["resources"].items()}}}
        else:
            lent[account] = {"account": account, "regions": [], "gaps": list(b["gaps"]),
                             "resources": dict(b["resources"])}
    pool = {**lent, **docs}
    refs = {a: referenced_accounts(d) for a, d in pool.items()}
    db_owners = _database_owners(docs)
    owned = owners(pool)
    findings: dict[str, Finding] = {}
    not_evaluated: dict[str, str] = {}
    crashed: dict[str, str] = {}
    notes: list[str] = list(org.get("notes") or [])
    chosen: tuple[str, ...] = ()
    for account, doc in sorted(docs.items()):
        accounts = related(account, pool, refs, db_owners)
        result = engine.run(view(doc, [pool[a] for a in accounts[1:]]), selected)
        chosen = result.selected
        for f in result.findings:
            f = _attributed(f, owned, account)
            kept = findings.get(f.fingerprint)
            if kept is None or f.severity > kept.severity:
                findings[f.fingerprint] = f
        for rule, why in result.not_evaluated.items():
            not_evaluated.setdefault(rule, f"in account {account}: {why}")
        for rule, error in result.crashed.items():
            crashed.setdefault(rule, f"in account {account}: {error}")
        notes += [f"account {account}: {n}" for n in doc.get("notes", [])]
        unscanned = sorted(refs[account] - set(docs) - {u["account"] for u in org["unread_accounts"]})
        if unscanned and org.get("listed_from_organization"):
            notes.append(f"account {account} reaches accounts outside this scan ({', '.join(unscanned[:5])}"
                         f"{', ...' if len(unscanned) > 5 else ''}): what crosses into them is judged undecided")
    if selected is None and not chosen:
        chosen = engine.select_rules()
    gaps = [{**g, "account": account} for account, doc in sorted(docs.items()) for g in doc.get("gaps", [])]
    gaps += [unread_gap(u) for u in org["unread_accounts"]]
    summary = summary_snapshot(org)
    ordered = tuple(sorted(findings.values(), key=Finding.sort_key))
    return engine.RunResult(summary, ordered, tuple(chosen or selected or ()), not_evaluated, crashed,
                            tuple(gaps), tuple(dict.fromkeys(notes)))


def summary_snapshot(org: dict[str, Any]) -> dict[str, Any]:
    """What the reports say about the scan as a whole, with every account's records joined for
    the formats that draw (the HTML flows)."""
    docs = org["accounts"]
    joined = view(docs[0], docs[1:]) if docs else {"resources": {}}
    return {
        "account": org.get("caller_account"),
        "accounts": sorted(str(d["account"]) for d in docs),
        "account_names": {str(d["account"]): d.get("account_name") or "" for d in docs},
        "unread_accounts": [u["account"] for u in org["unread_accounts"]],
        "regions": sorted({r for d in docs for r in d.get("regions", [])}),
        "requested_regions": sorted({r for d in docs for r in d.get("requested_regions", [])}),
        "collected_at": org.get("collected_at"),
        "duration_s": org.get("duration_s", 0.0),
        "api_calls": org.get("api_calls", 0),
        "partition": org.get("partition"),
        "platforms": sorted({p for d in docs for p in d.get("platforms", [])}),
        "gaps": [],
        "resources": {**joined["resources"], "services": [w for d in docs for w in d["resources"]["services"]]},
    }
