"""May principal P do action A on resource R, given request context C? Decided as AWS documents it.

The order of "Policy evaluation logic" ("Determining whether a request is allowed or denied"):

1. an explicit Deny in any applicable policy (identity, boundary, resource, SCP, RCP) denies;
2. every level of the organization's SCPs and RCPs must allow (when preflight read them; when it
   could not, the result says which layer it did not see);
3. a resource policy can grant on its own in the same account: to the role session without the
   boundary, to the role ARN (or `*`) only within the boundary; a grant to the account delegates
   to the identity policies;
4. otherwise the identity policies must allow, within the boundary when there is one;
5. across accounts both sides must allow: the caller's identity policies (within its boundary) and
   the resource's policy, which may name the session, the role, the account or `*`;
6. a KMS key's policy must allow on its own or trust the account (the key policy is the only
   way in: "no AWS principal has any permissions to a KMS key unless the key policy allows it").

Every answer is three-valued: a statement whose match depends on a context key preflight does not
know makes the result "undecidable" and names the key, unless another statement decides it anyway.

References: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html,
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from preflight.iam import conditions
from preflight.iam.context import Context
from preflight.iam.document import Policy, Statement, statements, unreadable
from preflight.iam.match import action_matches, resource_matches
from preflight.iam.principal import Principal, Who, match, not_principal_match
from preflight.iam.tri import Tri, all_of, any_of, both

UNPARSABLE = "could not be parsed"
NOT_READ = "was not read"


class Decision(Enum):
    ALLOW = "allowed"
    EXPLICIT_DENY = "explicitly denied"
    IMPLICIT_DENY = "not allowed"
    UNKNOWN = "undecidable"


# The services whose resources RCPs restrict, as AWS lists them
# (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html,
# https://docs.aws.amazon.com/controltower/latest/controlreference/rcp-controls.html). For
# another service an RCP that would restrict the request leaves it undecided: AWS has been adding
# services to the list, so neither "applies" nor "does not apply" is safe to assume.
RCP_SERVICES = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager"})


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str
    resource: str
    context: Context = field(default_factory=Context)
    resource_policy: Policy | None = None
    # False: the resource may have a policy preflight did not read (another account's secret)
    resource_policy_seen: bool = True
    # the key policy semantics of KMS: the resource policy is required, not optional
    key_policy: bool = False
    # one tuple of policies per level (root, OUs, account); None: not read
    scps: tuple[tuple[Policy, ...], ...] | None = ()
    rcps: tuple[tuple[Policy, ...], ...] | None = ()

    @property
    def resource_account(self) -> str:
        parts = self.resource.split(":", 5)
        return parts[4] if len(parts) > 4 else ""


@dataclass(frozen=True)
class Result:
    decision: Decision
    deny_by: tuple[str, ...] = ()
    allow_by: tuple[str, ...] = ()
    undecided: tuple[str, ...] = ()  # statements and the keys that left them undecided
    unseen: tuple[str, ...] = ()  # layers preflight did not read (their verdict is not in this one)
    missing: tuple[str, ...] = ()  # what would have to allow, for a denied request

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


@dataclass(frozen=True)
class _Hit:
    effect: str
    who: Who | None  # None: whether it names the caller is unknown
    applies: Tri  # action, resource and condition
    label: str
    unknown: tuple[str, ...]


@dataclass
class _Layer:
    name: str
    hits: list[_Hit]
    # why its documents are not known ("could not be parsed", "was not read"): anything could be
    # in them, so the layer may allow and may deny
    unknown: str | None = None

    def denies(self) -> Tri:
        values: list[Tri] = [None] if self.unknown else []
        for h in self.hits:
            if h.effect == "Deny":
                values.append(both(None if h.who is None else h.who > Who.NONE, h.applies))
        return any_of(values)

    def allows(self, whom: Iterable[Who] = tuple(Who)) -> Tri:
        accepted = set(whom) - {Who.NONE}
        values: list[Tri] = [None] if self.unknown else []
        for h in self.hits:
            if h.effect == "Allow":
                values.append(both(None if h.who is None else h.who in accepted, h.applies))
        return any_of(values)

    def labels(self, effect: str, certain: bool) -> list[str]:
        return [h.label for h in self.hits if h.effect == effect and h.who is not Who.NONE
                and (h.applies is True if certain else h.applies is not False)]

    def undecided(self) -> list[str]:
        out = [f"{self.name} {self.unknown}"] if self.unknown == UNPARSABLE else []
        for h in self.hits:
            if h.applies is None or (h.who is None and h.applies is not False):
                why = ", ".join(h.unknown) if h.unknown else "the caller's session name"
                out.append(f"{h.label} ({why})")
        return out


def _statement(s: Statement, req: Request, principal_element: bool) -> _Hit | None:
    if s.effect not in ("Allow", "Deny"):
        return None
    if s.actions is not None:
        if not action_matches(s.actions, req.action):
            return None
    elif s.not_actions is not None:
        if action_matches(s.not_actions, req.action):
            return None
    else:
        return None
    unknown: list[str] = []
    resource: Tri
    if s.resources is not None:
        resource = resource_matches(s.resources, req.resource, req.context, s.variables, unknown)
    elif s.not_resources is not None:
        m = resource_matches(s.not_resources, req.resource, req.context, s.variables, unknown)
        resource = None if m is None else not m
    else:
        # a resource or key policy may leave Resource out: it is the resource it is attached to
        resource = principal_element
    if resource is False:
        return None
    who: Who | None = Who.ANY
    if principal_element:
        if s.principal is not None:
            who = match(s.principal, req.principal)
        elif s.not_principal is not None:
            who = not_principal_match(s.not_principal, req.principal, s.effect)
        else:
            who = Who.NONE  # a resource policy statement without a principal names no one
        if who is Who.NONE:
            return None
    cond: Tri = True
    if s.condition:
        outcome = conditions.evaluate(s.condition, req.context, s.variables)
        cond = outcome.value
        unknown += outcome.unknown_keys
    applies = both(resource, cond)
    if applies is False:
        return None
    return _Hit(s.effect, who, applies, s.label, tuple(dict.fromkeys(unknown)))


def scan(name: str, policies: Iterable[Policy], req: Request, principal_element: bool = False) -> _Layer:
    """The statements of `policies` that may bear on `req`."""
    hits: list[_Hit] = []
    unknown: str | None = None
    for policy in policies:
        if unreadable(policy):
            unknown = UNPARSABLE
            continue
        for s in statements(policy):
            h = _statement(s, req, principal_element)
            if h is not None:
                hits.append(h)
    return _Layer(name, hits, unknown)


def _org(levels: tuple[tuple[Policy, ...], ...] | None, kind: str, req: Request,
         layers: list[_Layer], unseen: list[str], missing: list[str]) -> Tri:
    """Every level, from the root down to the account, must allow: a level whose policies allow
    nothing for `req` denies it, whatever the levels above allow
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
    Each level that does not is named in `missing` with its policies."""
    if levels is None:
        unseen.append(kind)
        return True
    verdicts: list[Tri] = []
    for i, level in enumerate(levels):
        layer = scan(f"{kind} level {i + 1}", level, req, principal_element=kind == "resource control policies")
        layers.append(layer)
        verdict = layer.allows()
        verdicts.append(verdict)
        if verdict is False:
            where = "the root" if i == 0 else ("the account" if i == len(levels) - 1 else f"OU level {i}")
            names = ", ".join(p.name for p in level) or "no policy attached"
            missing.append(f"the {kind} at {where} ({names}; every level from the root to the account "
                           "must allow)")
    return all_of(verdicts)


def _own_layers(req: Request) -> tuple[_Layer, _Layer | None]:
    """The principal's identity policies and permissions boundary (None: it has none)."""
    p = req.principal
    identity = scan("identity policies", p.identity, req)
    if p.boundary is None:
        return identity, None
    boundary = scan("permissions boundary", [p.boundary], req)
    if p.boundary.document is None:  # attached, but its document was not read
        boundary.unknown = NOT_READ
    return identity, boundary


def _result(layers: list[_Layer], allowed: Tri, unseen: list[str], missing: list[str],
            also_undecided: tuple[str, ...] = ()) -> Result:
    """The decision of `allowed` together with every layer's explicit denies."""
    denied = any_of(layer.denies() for layer in layers)
    undecided = tuple(u for layer in layers for u in layer.undecided()) + also_undecided
    allow_by = tuple(x for layer in layers for x in layer.labels("Allow", True))
    if denied is True:
        deny_by = tuple(x for layer in layers for x in layer.labels("Deny", True))
        return Result(Decision.EXPLICIT_DENY, deny_by, allow_by, undecided, tuple(unseen))
    if allowed is False:
        return Result(Decision.IMPLICIT_DENY, (), allow_by, undecided, tuple(unseen), tuple(missing))
    if allowed is None or denied is None:
        maybe = tuple(x for layer in layers for x in layer.labels("Deny", False))
        return Result(Decision.UNKNOWN, maybe, allow_by, undecided, tuple(unseen))
    return Result(Decision.ALLOW, (), allow_by, undecided, tuple(unseen))


def evaluate(req: Request) -> Result:
    p = req.principal
    identity, boundary = _own_layers(req)
    layers = [identity] + ([boundary] if boundary is not None else [])
    bound: Tri = boundary.allows() if boundary is not None else True
    same_account = not req.resource_account or not p.account or req.resource_account == p.account
    kind = "key policy" if req.key_policy else "resource policy"
    rp: _Layer | None = None
    if req.resource_policy is not None:
        rp = scan(kind, [req.resource_policy], req, principal_element=True)
    elif not req.resource_policy_seen:
        rp = _Layer(kind if same_account else f"{kind} in account {req.resource_account}", [], NOT_READ)
    if rp is not None:
        layers.append(rp)
    unseen = [f"the {layer.name}" for layer in layers if layer.unknown == NOT_READ]
    org_missing: list[str] = []
    scp = _org(req.scps, "service control policies", req, layers, unseen, org_missing)
    rcp_layers: list[_Layer] = []
    rcp_missing: list[str] = []
    rcp = _org(req.rcps, "resource control policies", req, rcp_layers, unseen, rcp_missing)
    scope: tuple[str, ...] = ()
    service = req.action.split(":", 1)[0].lower()
    if service in RCP_SERVICES or (rcp is True and any_of(x.denies() for x in rcp_layers) is False):
        layers += rcp_layers
        org_missing += rcp_missing
    else:  # they would restrict it, if they apply to this service at all
        rcp = None
        scope = (f"whether resource control policies apply to {service} (AWS applies them to the services it "
                 "lists; they would restrict this request)",)
    org = both(scp, rcp)

    def rp_allows(*whom: Who) -> Tri:
        return rp.allows(whom) if rp is not None else False

    ident = identity.allows()
    missing: list[str] = ["the identity policies"] if ident is False else []
    if req.key_policy:
        if same_account:
            grant = any_of((rp_allows(Who.SESSION), both(rp_allows(Who.ROLE, Who.ANY), bound),
                            all_of((rp_allows(Who.ACCOUNT), ident, bound))))
        else:
            grant = all_of((rp_allows(Who.SESSION, Who.ROLE, Who.ANY, Who.ACCOUNT), ident, bound))
        if rp_allows(Who.SESSION, Who.ROLE, Who.ANY, Who.ACCOUNT) is False:
            missing.append("the key policy")
    elif same_account:
        grant = any_of((rp_allows(Who.SESSION), both(rp_allows(Who.ROLE, Who.ANY), bound), both(ident, bound)))
    else:
        grant = all_of((ident, bound, rp_allows(Who.SESSION, Who.ROLE, Who.ANY, Who.ACCOUNT)))
        if rp_allows(Who.SESSION, Who.ROLE, Who.ANY, Who.ACCOUNT) is False:
            missing.append("the resource policy in account " + req.resource_account)
    if bound is False:
        missing.append("the permissions boundary")
    if org is False:
        missing += org_missing
    return _result(layers, both(grant, org), unseen, missing, scope)


def own_side(req: Request) -> Result:
    """The principal's identity policies within its boundary, nothing else: the question IAM's
    policy simulator answers for a role, which it judges without resource or key policies."""
    identity, boundary = _own_layers(req)
    layers = [identity] + ([boundary] if boundary is not None else [])
    allowed = all_of(layer.allows() for layer in layers)
    unseen = [f"the {layer.name}" for layer in layers if layer.unknown == NOT_READ]
    missing = [f"the {layer.name}" for layer in layers if layer.allows() is False]
    return _result(layers, allowed, unseen, missing)


def trusts(trust_policy: object, service: str, role_arn: str = "*", context: Context | None = None) -> Result:
    """Whether a role's trust policy lets `service` (e.g. tasks.apprunner.amazonaws.com) assume it."""
    req = Request(Principal(service, service=True), "sts:AssumeRole", role_arn, context or Context())
    layer = scan("trust policy", [Policy("trust policy", trust_policy)], req, principal_element=True)
    return _result([layer], layer.allows((Who.SESSION, Who.ANY)), [], ["the trust policy"])
