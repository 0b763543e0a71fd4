"""`--verify-iam`: the permission questions preflight answers locally, asked of AWS's own policy
simulator (iam:SimulatePrincipalPolicy, a read), so both verdicts can be put side by side.

The questions are plain records (role, action, resource, context entries as the API takes them);
the checks write them, this module only asks. The simulator evaluates the role's identity
policies and its permissions boundary with the context entries given; it does not evaluate
resource-based policies for a role (only for IAM users, with CallerArn), so the questions are
about the role's own side. A failed call is a gap, and the comparison rule is then not evaluated.

Reference: https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
"""

from __future__ import annotations

from typing import Any

import boto3

from preflight.collect import describe_error
from preflight.collect.aws import Clients, Operation, Settings
from preflight.errors import ReadOnlyViolation

SIMULATE = Operation("iam", "SimulatePrincipalPolicy")
COLLECTION = "iam_simulations"


def clients_for(session: boto3.Session, settings: Settings | None = None) -> Clients:
    """Guarded clients that may call the simulator and nothing else."""
    return Clients(session, frozenset({(SIMULATE.service, SIMULATE.name)}), settings)


def ask(session: boto3.Session, region: str, questions: list[dict[str, Any]],
        settings: Settings | None = None, clients: Clients | None = None,
        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(answered questions, gaps). Each answer adds `simulator` (allowed, explicitDeny or
    implicitDeny), the policies it matched and the context keys it reported missing."""
    client = (clients or clients_for(session, settings)).get("iam", region)
    answered: list[dict[str, Any]] = []
    for q in questions:
        try:
            kwargs: dict[str, Any] = {"PolicySourceArn": q["role"], "ActionNames": [q["action"]],
                                      "ResourceArns": [q["resource"]]}
            if q.get("context"):
                kwargs["ContextEntries"] = q["context"]
            response = client.simulate_principal_policy(**kwargs)
        except ReadOnlyViolation:
            raise
        except Exception as e:  # denied, throttled beyond retries, unreachable: the rule is not evaluated
            text, _code = describe_error(e)
            return answered, [{"region": region, "service": SIMULATE.service, "operation": SIMULATE.name,
                               "iam_action": SIMULATE.iam_action, "error": text[:500], "collections": [COLLECTION]}]
        results = response.get("EvaluationResults") or []
        if not results:
            continue
        r = results[0]
        org = r.get("OrganizationsDecisionDetail") or {}
        answered.append({**q, "simulator": r.get("EvalDecision"),
                         "organizations_allowed": org.get("AllowedByOrganizations"),
                         "matched": sorted({str(m.get("SourcePolicyId")) for m in r.get("MatchedStatements") or []
                                            if m.get("SourcePolicyId")}),
                         "missing_context": list(r.get("MissingContextValues") or [])})
    return answered, []
