"""Reads many accounts: the organization's account list, a session per account through a role,
the SCPs and RCPs of every account from the management side, then one `collect()` per account.

- `organization_accounts` lists the accounts (`organizations:ListAccounts`, from the management
  account or a delegated administrator) and keeps the active ones. `State` is the account's state
  since 2025 and `Status` the field it replaces; the first present decides.
- `assume` gets a session in another account with `sts:AssumeRole` on
  `arn:<partition>:iam::<account>:role/<role name>`, with an external id when one is given. The
  caller's own account is read with the caller's own credentials: a StackSet with
  service-managed permissions deploys the role to every member but never to the management
  account.
- `PolicyReader` walks ListParents up to the root once per account and ListPoliciesForTarget /
  DescribePolicy once per target and policy, so two hundred accounts under five OUs cost two
  hundred ListParents and a handful of policy reads. A member role may not make these calls; the
  management account may, so in an organization scan every account's SCP and RCP layers come from
  here and each account's own read of them is skipped.
- `collect_accounts` reads the accounts concurrently (a few at once, each with the scan's pool),
  retries an account once when its credentials expire mid-read, and turns an account that cannot
  be assumed or read into a record in `unread`, never into a stop.

References: https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html,
https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html,
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.exceptions
import botocore.session

from preflight import __version__, refs
from preflight.collect import caller_identity, collect_shared, describe_error, organizations, secret_refs
from preflight.collect.aws import Clients, Operation, Settings, share_models
from preflight.collect.base import error_code, paginate
from preflight.enums import (
    ORG_ACCOUNT_STATE_ACTIVE,
    ORG_ACCOUNT_STATUS_ACTIVE,
)
from preflight.errors import CredentialsError, ReadOnlyViolation, UsageError
from preflight.snapshot import ORG_SNAPSHOT_KIND, SNAPSHOT_VERSION

log = logging.getLogger(__name__)

LIST_ACCOUNTS = Operation("organizations", "ListAccounts")
ASSUME_ROLE = Operation("sts", "AssumeRole")
OPERATIONS = (LIST_ACCOUNTS, *organizations.OPERATIONS, ASSUME_ROLE)
ALLOWED = frozenset((op.service, op.name) for op in OPERATIONS) | {("sts", "GetCallerIdentity")}

DEFAULT_ROLE = "PreflightReadOnly"
SESSION_NAME = "preflight"  # what CloudTrail shows in the member accounts
ACCOUNT_ID = re.compile(r"^\d{12}$")
# IAM role names: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
# AssumeRole's ExternalId: 2..1224 characters of [\w+=,.@:/-] (the STS service model)
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")


def check_account_id(text: str, flag: str) -> str:
    if not ACCOUNT_ID.match(text):
        raise UsageError(f"{flag} {text!r}: an AWS account id is 12 digits")
    return text


def check_role_name(text: str) -> str:
    if not ROLE_NAME.match(text):
        raise UsageError(f"--role-name {text!r}: an IAM role name is 1 to 64 of letters, digits and +=,.@_-")
    return text


def check_external_id(text: str) -> str:
    if not EXTERNAL_ID.match(text):
        raise UsageError(f"--external-id: 2 to 1224 of letters, digits and +=,.@:/_- (got {len(text)} characters)")
    return text


@dataclass(frozen=True, slots=True)
class Shard:
    """`--shard K/N`: the accounts whose id hashes to K-1 modulo N. The hash is of the id alone,
    so a shard keeps its accounts when others join or leave the organization."""

    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        m = re.fullmatch(r"\s*(\d{1,4})\s*/\s*(\d{1,4})\s*", text)
        if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
            raise UsageError(f"--shard {text!r}: expected K/N with 1 <= K <= N, such as 2/5")
        return cls(int(m.group(1)), int(m.group(2)))

    def holds(self, account: str) -> bool:
        digest = int.from_bytes(hashlib.sha256(account.encode()).digest()[:8], "big")
        return digest % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def is_active(account: dict[str, Any]) -> bool:
    if account.get("State"):
        return account["State"] in ORG_ACCOUNT_STATE_ACTIVE
    return account.get("Status") in ORG_ACCOUNT_STATUS_ACTIVE


def organization_accounts(clients: Clients, region: str) -> list[dict[str, str]]:
    """The organization's active accounts, by id: [{"id", "name"}]. Refused (a member account
    that is not a delegated administrator, or no organization): a usage error saying which
    credentials can list them."""
    caller_identity(clients, region)  # unusable credentials or no way to AWS: say so first
    client = clients.get("organizations", region)
    try:
        listed = paginate(client, "ListAccounts", "Accounts")
    except botocore.exceptions.ClientError as e:
        code = error_code(e)
        if code == "AWSOrganizationsNotInUseException":
            raise UsageError("--org: this account is not in an organization; name accounts with --account") from e
        if code in ("AccessDeniedException", "AccessDenied"):
            raise UsageError("--org lists the accounts with organizations:ListAccounts, which only the management "
                             "account or a delegated administrator may call; run from one of them, or name "
                             "accounts with --account") from e
        raise CredentialsError(f"--org: organizations:ListAccounts failed ({describe_error(e)[0]}); "
                               "without the list no account can be chosen") from e
    except botocore.exceptions.BotoCoreError as e:  # the connection, after botocore's retries
        raise CredentialsError(f"--org: cannot reach AWS Organizations from {region}: {e}") from e
    return sorted(({"id": str(a["Id"]), "name": str(a.get("Name") or "")} for a in listed if is_active(a)),
                  key=lambda a: a["id"])


def choose(listed: list[dict[str, str]] | None, named: Iterable[str], excluded: Iterable[str],
           shard: Shard | None) -> list[dict[str, str]]:
    """The accounts a scan reads: the organization's (or the named ones), minus the excluded,
    then the shard's share. A named account outside the organization is a usage error."""
    named, excluded = list(dict.fromkeys(named)), set(excluded)
    if listed is None:
        chosen = [{"id": a, "name": ""} for a in named]
    else:
        by_id = {a["id"]: a for a in listed}
        missing = [a for a in named if a not in by_id]
        if missing:
            raise UsageError(f"--account {missing[0]}: not an active account of the organization")
        chosen = [by_id[a] for a in named] if named else list(listed)
    chosen = [a for a in chosen if a["id"] not in excluded]
    if shard is not None:
        chosen = [a for a in chosen if shard.holds(a["id"])]
    return sorted(chosen, key=lambda a: a["id"])


def role_arn(account: str, role_name: str, partition: str) -> str:
    return f"arn:{partition}:iam::{account}:role/{role_name}"


def _sibling() -> botocore.session.Session:
    """A botocore session on the process's shared loader: with a loader of its own, every
    assumed session would parse and keep its own service models (measured: 50 accounts took
    1.7 GB that way)."""
    return share_models(botocore.session.Session())


def assume(clients: Clients, region: str, account: str, role_name: str, partition: str,
           external_id: str | None, prepare: Callable[[boto3.Session], None] | None = None) -> boto3.Session:
    """A session in `account` through its role (temporary credentials, one hour)."""
    params: dict[str, Any] = {"RoleArn": role_arn(account, role_name, partition), "RoleSessionName": SESSION_NAME}
    if external_id:
        params["ExternalId"] = external_id
    creds = clients.get("sts", region).assume_role(**params)["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"], region_name=region,
                            botocore_session=_sibling())
    if prepare is not None:
        prepare(session)
    return session


class PolicyReader:
    """Every account's SCP and RCP levels, root first, read once per OU and policy."""

    def __init__(self, clients: Clients, region: str) -> None:
        self.client = clients.get("organizations", region)
        self.lock = threading.Lock()
        self.parents: dict[str, dict[str, Any] | None] = {}
        self.attached: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.documents: dict[str, Any] = {}
        self.locks: dict[Any, threading.Lock] = {}
        self.org: dict[str, Any] | None = None

    def organization(self) -> dict[str, Any]:
        if self.org is None:
            try:
                self.org = dict(self.client.describe_organization()["Organization"])
            except botocore.exceptions.ClientError as e:
                if error_code(e) == "AWSOrganizationsNotInUseException":
                    self.org = {}
                else:
                    raise
        return self.org

    def _once(self, key: Any) -> threading.Lock:
        """One lock per OU or target, so that accounts read at once share one read of it."""
        with self.lock:
            return self.locks.setdefault(key, threading.Lock())

    def _parent(self, child: str) -> dict[str, Any] | None:
        with self._once(("parent", child)):
            if child in self.parents:
                return self.parents[child]
            found = paginate(self.client, "ListParents", "Parents", ChildId=child)
            parent = dict(found[0]) if found else None
            self.parents[child] = parent
            return parent

    def _policies(self, target: str, kind: str) -> list[dict[str, Any]]:
        with self._once(("policies", target, kind)):
            if (target, kind) not in self.attached:
                self.attached[(target, kind)] = self._read_policies(target, kind)
            return self.attached[(target, kind)]

    def _read_policies(self, target: str, kind: str) -> list[dict[str, Any]]:
        listed = paginate(self.client, "ListPoliciesForTarget", "Policies", TargetId=target, Filter=kind)
        out = []
        for p in listed:
            with self._once(("policy", p["Id"])):
                if p["Id"] not in self.documents:
                    self.documents[p["Id"]] = self.client.describe_policy(PolicyId=p["Id"])["Policy"].get("Content")
            out.append({"id": p["Id"], "name": p.get("Name"), "target": target, "document": self.documents[p["Id"]]})
        return out

    def record(self, account: str) -> dict[str, Any]:
        """The snapshot's `organization` record of `account` (see `collect.organizations`)."""
        org = self.organization()
        if not org:
            return {"in_organization": False, "scps": [], "rcps": [], "account": account}
        record = {**organizations.base_record(org), "account": account}
        if organizations.has_policies(org, account):
            chain = organizations.chain_of(account, self._parent)
            record["path"] = organizations.org_path(record.get("id"), chain)
            record["scps"], record["rcps"] = organizations.levels_of(account, self._parent, self._policies, chain)
        return record


Collect = Callable[[boto3.Session, dict[str, Any] | None], dict[str, Any]]


@dataclass
class AccountRun:
    """What `collect_accounts` needs besides the accounts."""

    role_name: str = DEFAULT_ROLE
    external_id: str | None = None
    parallel: int = 4  # accounts read at once; each read uses the scan's own pool
    retries: int = 1  # another try for an account whose credentials expired mid-read
    # called with every session made for another account, before it is used (the tests and the
    # benchmark attach their doubles of the services moto lacks here)
    prepare: Callable[[boto3.Session], None] | None = None
    # called after each account, read or not: (what, accounts done, accounts in all)
    progress: Callable[[str, int, int], None] | None = None


def _unread(account: str, op: Operation, error: BaseException, name: str = "") -> dict[str, Any]:
    if isinstance(error, botocore.exceptions.ClientError):
        err = error.response.get("Error", {})
        text = f"{err.get('Code', 'Unknown')}: {str(err.get('Message', '')).strip()}".rstrip(": ")
    else:
        text = f"{type(error).__name__}: {error}"
    return {"account": account, "name": name, "service": op.service, "operation": op.name,
            "iam_action": op.iam_action, "error": text[:500]}


def collect_accounts(session: boto3.Session, home: str, accounts: list[dict[str, str]], run: AccountRun,
                     collect_one: Collect, settings: Settings | None = None,
                     listed_from_org: bool = False, others: Iterable[str] = ()) -> dict[str, Any]:
    """An organization snapshot: one account snapshot per account read, a record per account
    that could not be, and the organization's policies from the caller's side.

    `collect_one(session, organization_record)` reads one account (the caller's
    `collect.collect` with the scan's options); the record is None when the caller could not read
    the organization's policies, so the account reads its own (a member usually may not: a gap)."""
    started, started_at = time.monotonic(), datetime.now(UTC)
    clients = Clients(session, ALLOWED, settings)
    caller, partition = caller_identity(clients, home)
    reader = PolicyReader(clients, home)
    notes: list[str] = []
    try:
        org = reader.organization()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # each account reads its own
        org = {}
        notes.append(f"the organization could not be described from account {caller} "
                     f"({error_code(e) or type(e).__name__}); "
                     "each account read its own organization policies")
    lock = threading.Lock()
    docs: list[dict[str, Any]] = []
    unread: list[dict[str, Any]] = []
    sessions: dict[str, boto3.Session] = {}

    def policies(account: str) -> dict[str, Any] | None:
        if not org:
            return None
        try:
            return reader.record(account)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            # not the management account nor a delegated administrator: each account tries itself
            text = (f"the organization's policies could not be read from account {caller} "
                    f"({error_code(e) or type(e).__name__}); each account read its own")
            with lock:
                if text not in notes:
                    notes.append(text)
            return None

    finished = [0]

    def one(account: dict[str, str]) -> None:
        try:
            read(account)
        finally:
            with lock:
                finished[0] += 1
                done = finished[0]
            log.info("account %s: done (%d of %d)", account["id"], done, len(accounts))
            if run.progress is not None:
                run.progress(f"account {account['id']}", done, len(accounts))

    def read(account: dict[str, str]) -> None:
        acct = account["id"]
        last: BaseException | None = None
        for attempt in range(run.retries + 1):
            try:
                member = session if acct == caller else assume(
                    clients, home, acct, run.role_name, partition, run.external_id, run.prepare)
            except (ReadOnlyViolation, UsageError):
                raise
            except botocore.exceptions.BotoCoreError as e:
                last = e
                continue
            except botocore.exceptions.ClientError as e:
                with lock:
                    unread.append(_unread(acct, ASSUME_ROLE, e, account["name"]))
                return
            try:
                doc = collect_one(member, policies(acct))
            except CredentialsError as e:  # expired or revoked mid-read: assume again, once
                log.info("account %s: %s (attempt %d)", acct, e, attempt + 1)
                last = e
                continue
            doc["account_name"] = account["name"]
            with lock:
                docs.append(doc)
                sessions[acct] = member
            return
        op = ASSUME_ROLE if acct != caller else Operation("sts", "GetCallerIdentity")
        with lock:
            unread.append(_unread(acct, op, last or RuntimeError("no attempt"), account["name"]))

    with ThreadPoolExecutor(max_workers=max(1, min(run.parallel, len(accounts) or 1))) as pool:
        for future in [pool.submit(one, a) for a in accounts]:
            future.result()
    docs.sort(key=lambda d: str(d["account"]))
    # then what each account's workloads name in another read account: that account reads it
    wanted: dict[str, list[refs.SecretRef]] = {}
    for doc in docs:
        for r in secret_refs(doc["resources"], str(doc["account"])):
            if r.account != doc["account"]:
                wanted.setdefault(r.account, []).append(r)
    by_account = {str(d["account"]): i for i, d in enumerate(docs)}

    def share(account: str) -> None:
        i = by_account[account]
        docs[i] = collect_shared(sessions[account], docs[i], wanted[account], settings)

    # an account of the organization outside this scan (another shard's) is read for these alone,
    # so that a shard judges its workloads' secrets with their owners' policies too
    borrowed: list[dict[str, Any]] = []

    def lend(account: str) -> None:
        base = {"account": account, "regions": [], "gaps": [], "api_calls": 0, "api_calls_by_operation": {},
                "resources": {"secrets": [], "ssm_parameters": [], "kms_keys": []}}
        try:
            member = session if account == caller else assume(
                clients, home, account, run.role_name, partition, run.external_id, run.prepare)
            read = collect_shared(member, base, wanted[account], settings)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            read = {**base, "gaps": [{"region": "global", "service": "sts", "operation": "AssumeRole",
                                      "iam_action": ASSUME_ROLE.iam_action, "error": _unread(account, ASSUME_ROLE, e)[
                                          "error"], "collections": ["secrets", "ssm_parameters", "kms_keys"]}]}
        kept = {k: read["resources"].get(k, []) for k in ("secrets", "ssm_parameters", "kms_keys")}
        record = policies(account)  # the owner's RCPs and organization judge reads of these
        if record is not None:
            kept["organization"] = [record]
        with lock:
            borrowed.append({"account": account, "resources": kept, "gaps": read["gaps"],
                             "api_calls": read.get("api_calls", 0)})

    neighbours = set(others) - set(by_account)
    with ThreadPoolExecutor(max_workers=max(1, run.parallel)) as pool:
        jobs = [pool.submit(share, a) for a in sorted(wanted) if a in by_account]
        jobs += [pool.submit(lend, a) for a in sorted(wanted) if a in neighbours]
        for future in jobs:
            future.result()
    borrowed.sort(key=lambda b: str(b["account"]))
    unread.sort(key=lambda u: str(u["account"]))
    calls = clients.counter.total + sum(int(d.get("api_calls") or 0) for d in docs)
    calls += sum(int(b.pop("api_calls") or 0) for b in borrowed)
    return {
        "snapshot_version": SNAPSHOT_VERSION, "kind": ORG_SNAPSHOT_KIND,
        "tool": {"name": "preflight", "version": __version__},
        "caller_account": caller, "partition": partition,
        "organization": {"id": org.get("Id"), "management_account": org.get("MasterAccountId")} if org else None,
        "listed_from_organization": listed_from_org,
        "role_name": run.role_name,
        "collected_at": started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "duration_s": round(time.monotonic() - started, 3),
        "api_calls": calls,
        "api_calls_by_operation": dict(sorted(clients.counter.calls.items())),
        "accounts": docs, "unread_accounts": unread, "borrowed": borrowed,
        "notes": sorted(set(notes)),
    }

