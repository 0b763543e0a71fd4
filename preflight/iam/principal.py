"""Who a request comes from, and whether a statement's Principal or NotPrincipal names it.

A role's request is made by one of its sessions. A resource or key policy can name the session
(`arn:<partition>:sts::<account>:assumed-role/<role name>/<session>`), the role (its ARN, with its
path, or its unique id `AROA...` when the role was deleted and recreated), the account (a bare
12-digit id or `arn:<partition>:iam::<account>:root`), or everyone (`"*"` or `{"AWS": "*"}`). A
Principal value cannot carry a partial wildcard ("You cannot use a wildcard to match part of a
principal name or ARN"), so `arn:aws:iam::111122223333:role/*` names no one.

The category matters: in the same account a grant to the session is not limited by the role's
permissions boundary, a grant to the role ARN is, and a grant to the account only delegates to
the account's identity policies ("Policy evaluation logic", "Permissions boundaries for IAM
entities").

`NotPrincipal` with Deny applies to every principal it does not list; a role session escapes it only
when the session, the role and the account are all listed, and never when the role has a
permissions boundary ("AWS JSON policy elements: NotPrincipal").

References: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from preflight.iam.document import Policy, as_list

_ACCOUNT_ID = re.compile(r"^\d{12}$")


class Who(IntEnum):
    """How a Principal element names the caller (NONE: it does not)."""

    NONE = 0
    ACCOUNT = 1
    ANY = 2
    ROLE = 3
    SESSION = 4


@dataclass(frozen=True)
class Principal:
    """The caller: a role (through one of its sessions), or an AWS service principal.

    `session_name` None means preflight does not know it (App Runner and ECS pick their own);
    `tags` None means the role's tags were not read."""

    arn: str
    identity: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    session_name: str | None = None
    tags: Mapping[str, str] | None = field(default=None)
    role_id: str | None = None
    service: bool = False  # arn is a service principal name such as ecs-tasks.amazonaws.com

    @property
    def parts(self) -> list[str]:
        return self.arn.split(":", 5)

    @property
    def partition(self) -> str:
        p = self.parts
        return p[1] if len(p) > 1 and p[1] else "aws"

    @property
    def account(self) -> str:
        p = self.parts
        return p[4] if len(p) > 4 else ""

    @property
    def role_name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def root(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:root"

    def session_arn(self, session: str | None = None) -> str | None:
        name = session if session is not None else self.session_name
        if name is None:
            return None
        return f"arn:{self.partition}:sts::{self.account}:assumed-role/{self.role_name}/{name}"

    @property
    def session_prefix(self) -> str:
        return f"arn:{self.partition}:sts::{self.account}:assumed-role/{self.role_name}/"


def _names(value: Any) -> tuple[bool, list[str], list[str]]:
    """(names everyone, AWS names, Service names) of a Principal or NotPrincipal element."""
    if value == "*":
        return True, [], []
    if not isinstance(value, dict):
        return False, [], []
    aws = [str(v) for v in as_list(value.get("AWS")) if isinstance(v, str | int)]
    service = [str(v) for v in as_list(value.get("Service")) if isinstance(v, str)]
    return "*" in aws, aws, service


def _account_name(name: str, p: Principal) -> bool:
    return bool(p.account) and (name == p.account or name == p.root)


def match(value: Any, p: Principal) -> Who | None:
    """The strongest way a Principal element names `p` (None: it depends on the session name)."""
    everyone, aws, service = _names(value)
    if p.service:
        if any(s.lower() == p.arn.lower() for s in service):
            return Who.SESSION
        return Who.ANY if everyone else Who.NONE
    best = Who.ANY if everyone else Who.NONE
    unknown = False
    for name in aws:
        if name == "*":
            continue
        if _account_name(name, p):
            best = max(best, Who.ACCOUNT)
        elif name == p.arn or (p.role_id is not None and name == p.role_id):
            best = max(best, Who.ROLE)
        elif name.startswith(p.session_prefix) and "*" not in name and "?" not in name:
            if p.session_name is None:
                unknown = True
            elif name == p.session_arn():
                best = max(best, Who.SESSION)
    if unknown and best < Who.SESSION:
        return None
    return best


def not_principal_excludes(value: Any, p: Principal, effect: str = "Deny") -> bool | None:
    """Whether a NotPrincipal element leaves `p` out (None: it depends on the session name).

    For Deny, `p` escapes only when its session, its role and its account are all listed; for
    Allow, listing any of them is taken to leave it out (so that an Allow never reaches further
    than AWS would let it)."""
    everyone, aws, service = _names(value)
    if everyone:
        return True
    if p.service:
        return any(s.lower() == p.arn.lower() for s in service)
    account = any(_account_name(n, p) for n in aws)
    role = any(n == p.arn or (p.role_id is not None and n == p.role_id) for n in aws)
    sessions = [n for n in aws if n.startswith(p.session_prefix)]
    session: bool | None = (p.session_arn() in sessions) if p.session_name is not None else \
        (None if sessions else False)
    if effect == "Deny":
        if not (account and role and sessions):
            return False
        return session
    if account or role or session:
        return True
    return None if session is None else False


def not_principal_match(value: Any, p: Principal, effect: str) -> Who | None:
    """How a statement with NotPrincipal applies to `p`: as to anyone, or not at all."""
    if effect == "Deny" and p.boundary is not None and not p.service:
        return Who.ANY  # "a Deny with NotPrincipal always denies principals with a boundary"
    excluded = not_principal_excludes(value, p, effect)
    if excluded is None:
        return None
    return Who.NONE if excluded else Who.ANY
