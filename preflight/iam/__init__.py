"""preflight's IAM evaluator: "may this principal do this action on this resource, in this context?"

A library of its own: it imports nothing from the checks, and the checks ask it every permission
question. Modules, bottom to top: `tri` (three-valued logic), `document` (policies and
statements), `context` (condition keys: present, absent or unknown), `match` (actions, resource
ARNs, policy variables), `conditions` (operators and set qualifiers), `principal` (Principal and
NotPrincipal), `evaluate` (AWS's evaluation order), `requests` (the contexts App Runner and ECS
send).
"""

from preflight.iam.context import Context, build
from preflight.iam.document import Policy
from preflight.iam.evaluate import Decision, Request, Result, evaluate, own_side, trusts
from preflight.iam.principal import Principal

__all__ = ["Context", "Decision", "Policy", "Principal", "Request", "Result", "build", "evaluate", "own_side", "trusts"]
