"""A small, local IAM policy evaluator: enough to answer "may this role read this secret?".

It follows AWS's evaluation logic for one principal, one action and one resource:

- an explicit Deny that matches wins over every Allow;
- otherwise access needs an Allow: from the identity policies (limited by the permissions
  boundary when there is one), or from a resource policy that names the principal;
- for KMS, the key policy must allow the principal itself, or trust the account (the
  `arn:aws:iam::<account>:root` principal) so that identity policies can grant it.

`Action`/`NotAction` and `Resource`/`NotResource` with `*` and `?` wildcards are understood;
actions compare case-insensitively, resources case-sensitively. A matching statement with a
`Condition` cannot be decided here (preflight does not know the request context), so it
makes the answer UNKNOWN rather than a silent yes or no.

Answers are three-valued (True, False, None for unknown) and combined with Kleene logic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any

Tri = bool | None


class Decision(Enum):
    ALLOW = "allowed"
    EXPLICIT_DENY = "explicitly denied"
    IMPLICIT_DENY = "not allowed"
    UNKNOWN = "undecidable"


@dataclass(frozen=True, slots=True)
class Policy:
    """A named policy document (the name is what a finding quotes)."""

    name: str
    document: Any


@dataclass(frozen=True, slots=True)
class Verdict:
    """How one set of policies answers one request."""

    allows: Tri
    denies: Tri
    allow_by: tuple[str, ...] = ()
    deny_by: tuple[str, ...] = ()
    undecided: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Result:
    decision: Decision
    deny_by: tuple[str, ...] = ()
    allow_by: tuple[str, ...] = ()
    undecided: tuple[str, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


def t_and(a: Tri, b: Tri) -> Tri:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def t_or(a: Tri, b: Tri) -> Tri:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def parse(document: Any) -> dict[str, Any]:
    """A policy document as a dict (IAM returns dicts; KMS and Secrets Manager return JSON)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return {"Statement": []}
    return document if isinstance(document, dict) else {"Statement": []}


def statements(document: Any) -> list[dict[str, Any]]:
    return [s for s in _as_list(parse(document).get("Statement")) if isinstance(s, dict)]


@lru_cache(maxsize=4096)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_match(glob: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcard matching: `*` is any run of characters, `?` any one character."""
    return _pattern(glob, ignore_case).match(value) is not None


def _matches_any(patterns: Iterable[Any], value: str, ignore_case: bool) -> bool:
    return any(isinstance(p, str) and glob_match(p, value, ignore_case) for p in patterns)


def action_matches(stmt: dict[str, Any], action: str) -> bool:
    if "Action" in stmt:
        return _matches_any(_as_list(stmt["Action"]), action, True)
    if "NotAction" in stmt:
        return not _matches_any(_as_list(stmt["NotAction"]), action, True)
    return False


def resource_matches(stmt: dict[str, Any], resource: str) -> bool:
    if "Resource" in stmt:
        return _matches_any(_as_list(stmt["Resource"]), resource, False)
    if "NotResource" in stmt:
        return not _matches_any(_as_list(stmt["NotResource"]), resource, False)
    return True  # resource policies and trust policies may omit it: the attached resource


def account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def root_of(principal: str) -> str:
    """The account root of `principal` in its own partition (arn:aws-cn:iam::ID:root in China)."""
    parts = principal.split(":")
    partition = parts[1] if principal.startswith("arn:") and len(parts) > 1 and parts[1] else "aws"
    return f"arn:{partition}:iam::{account_of(principal)}:root"


def principal_matches(stmt: dict[str, Any], principal: str) -> Tri:
    """Whether a resource or trust policy statement names `principal` (an ARN, a service
    name such as tasks.apprunner.amazonaws.com, or an account root)."""
    if "NotPrincipal" in stmt:
        return None
    value = stmt.get("Principal")
    if value == "*":
        return True
    if not isinstance(value, dict):
        return False
    names = [str(v) for k in ("AWS", "Service", "Federated", "CanonicalUser")
             for v in _as_list(value.get(k))]
    account = account_of(principal)
    for name in names:
        if name == "*" or name == principal:
            return True
        if account and name in (account, root_of(principal)):
            return True  # the account trusts its IAM policies to decide
        if ("*" in name or "?" in name) and glob_match(name, principal):
            return True
    return False


def names_principal_exactly(stmt: dict[str, Any], principal: str) -> bool:
    """The statement names this principal itself (not merely its account)."""
    value = stmt.get("Principal")
    if value == "*":
        return True
    if not isinstance(value, dict):
        return False
    return any(str(v) in ("*", principal) for k in ("AWS", "Service") for v in _as_list(value.get(k)))


def _label(policy: Policy, index: int, stmt: dict[str, Any]) -> str:
    sid = stmt.get("Sid")
    return f"{policy.name} statement {sid!r}" if sid else f"{policy.name} statement #{index + 1}"


def verdict(policies: Iterable[Policy], action: str, resource: str,
            principal: str | None = None, exact_principal: bool = False) -> Verdict:
    """What these policies say about `action` on `resource`. With `principal`, statements must
    name it (resource and trust policies); `exact_principal` ignores account-level trust."""
    allow_certain: list[str] = []
    allow_cond: list[str] = []
    deny_certain: list[str] = []
    deny_cond: list[str] = []
    for policy in policies:
        for i, stmt in enumerate(statements(policy.document)):
            if not action_matches(stmt, action) or not resource_matches(stmt, resource):
                continue
            who: Tri = True
            if principal is not None:
                who = (names_principal_exactly(stmt, principal) if exact_principal
                       else principal_matches(stmt, principal))
                if who is False:
                    continue
            conditional = bool(stmt.get("Condition")) or who is None
            label = _label(policy, i, stmt)
            effect = str(stmt.get("Effect", "")).capitalize()
            if effect == "Deny":
                (deny_cond if conditional else deny_certain).append(label)
            elif effect == "Allow":
                (allow_cond if conditional else allow_certain).append(label)
    denies: Tri = True if deny_certain else None if deny_cond else False
    allows: Tri = True if allow_certain else None if allow_cond else False
    return Verdict(allows, denies, tuple(allow_certain or allow_cond), tuple(deny_certain or deny_cond),
                   tuple(allow_cond + deny_cond))


def decide(grant: Tri, verdicts: Iterable[Verdict]) -> Result:
    """Combines a grant (who allows) with every verdict's denies."""
    vs = list(verdicts)
    deny_by = tuple(x for v in vs if v.denies is True for x in v.deny_by)
    allow_by = tuple(x for v in vs if v.allows for x in v.allow_by)
    undecided = tuple(x for v in vs for x in v.undecided)
    if deny_by:
        return Result(Decision.EXPLICIT_DENY, deny_by, allow_by, undecided)
    maybe_denied = any(v.denies is None for v in vs)
    if grant is False:
        return Result(Decision.IMPLICIT_DENY, (), allow_by, undecided)
    if grant is None or maybe_denied:
        return Result(Decision.UNKNOWN, (), allow_by, undecided)
    return Result(Decision.ALLOW, (), allow_by, undecided)


def evaluate_identity(identity: list[Policy], boundary: Policy | None, action: str, resource: str,
                      resource_policy: Policy | None = None, principal: str | None = None) -> Result:
    """Identity policies (within the boundary) or a resource policy naming the principal."""
    ident = verdict(identity, action, resource)
    verdicts = [ident]
    grant: Tri = ident.allows
    if boundary is not None:
        b = verdict([boundary], action, resource)
        verdicts.append(b)
        grant = t_and(grant, b.allows)
    if resource_policy is not None and principal is not None:
        r = verdict([resource_policy], action, resource, principal, exact_principal=True)
        verdicts.append(r)
        grant = t_or(grant, r.allows)
    return decide(grant, verdicts)


def evaluate_kms(identity: list[Policy], boundary: Policy | None, key_policy: Policy, action: str,
                 key_arn: str, principal: str) -> Result:
    """KMS: the key policy allows the principal itself, or trusts the account and the
    identity policies (within the boundary) allow it."""
    direct = verdict([key_policy], action, key_arn, principal, exact_principal=True)
    trusts_account = verdict([key_policy], action, key_arn, root_of(principal), exact_principal=True)
    ident = verdict(identity, action, key_arn)
    via_iam = t_and(trusts_account.allows, ident.allows)
    verdicts = [direct, ident, verdict([key_policy], action, key_arn, principal)]
    if boundary is not None:
        b = verdict([boundary], action, key_arn)
        verdicts.append(b)
        via_iam = t_and(via_iam, b.allows)
    return decide(t_or(direct.allows, via_iam), verdicts)


def key_policy_admits(key_policy: Policy, action: str, key_arn: str, principal: str) -> Tri:
    """Whether a key policy lets `principal` use the key at all: by naming it, or by trusting
    its account so that identity policies decide."""
    direct = verdict([key_policy], action, key_arn, principal, exact_principal=True).allows
    root = root_of(principal)
    return t_or(direct, verdict([key_policy], action, key_arn, root, exact_principal=True).allows)


def trusts_service(trust_policy: Any, service: str) -> Tri:
    """Whether a role's trust policy lets `service` call sts:AssumeRole."""
    v = verdict([Policy("trust policy", trust_policy)], "sts:AssumeRole", "*", service,
                exact_principal=True)
    if v.denies is True:
        return False
    return v.allows
