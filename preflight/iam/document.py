"""Policy documents as AWS stores them, normalised into statements.

IAM returns documents as dicts (boto3 decodes them); Secrets Manager, KMS and Organizations
return JSON text. A statement keeps the element it uses (`Action` or `NotAction`, and so on), the
document's `Version` (policy variables are only variables under 2012-10-17; under 2008-10-17 or
with no Version they are literal text), and a label a finding can quote: the policy's name and
the statement's Sid, or its position when it has none.

Reference: "IAM JSON policy element reference",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

VARIABLES_VERSION = "2012-10-17"


@dataclass(frozen=True, slots=True)
class Policy:
    """A named policy document (the name is what a finding quotes)."""

    name: str
    document: Any


@dataclass(frozen=True, slots=True)
class Statement:
    label: str
    effect: str  # "Allow" | "Deny" | anything else (never applies)
    actions: tuple[str, ...] | None  # Action, or None when the statement uses NotAction
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principal: Any  # the Principal element as written (None when absent)
    not_principal: Any
    condition: dict[str, Any]
    variables: bool  # whether ${...} are policy variables (Version 2012-10-17)

    @property
    def has_principal(self) -> bool:
        return self.principal is not None or self.not_principal is not None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in as_list(value) if isinstance(v, str))


def load(document: Any) -> dict[str, Any] | None:
    """A document as a dict; None when it is not a policy at all (unparsable text)."""
    if isinstance(document, bytes | bytearray):
        document = document.decode("utf-8", "replace")
    if isinstance(document, str):
        text = document.strip()
        if not text:
            return {"Statement": []}
        if text.startswith("%7B") or text.startswith("%7b"):
            text = unquote(text)  # the IAM API's own URL-encoded form, as a raw snapshot may keep it
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            return None
    return document if isinstance(document, dict) else None


def statements(policy: Policy) -> list[Statement]:
    doc = load(policy.document)
    if doc is None:
        return []
    variables = str(doc.get("Version", "")) == VARIABLES_VERSION
    out: list[Statement] = []
    for i, s in enumerate(as_list(doc.get("Statement"))):
        if not isinstance(s, dict):
            continue
        sid = s.get("Sid")
        label = f"{policy.name} statement {sid!r}" if isinstance(sid, str) and sid else \
            f"{policy.name} statement #{i + 1}"
        condition = s.get("Condition")
        out.append(Statement(
            label=label,
            effect=str(s.get("Effect", "")),
            actions=_strings(s["Action"]) if "Action" in s else None,
            not_actions=_strings(s["NotAction"]) if "NotAction" in s else None,
            resources=_strings(s["Resource"]) if "Resource" in s else None,
            not_resources=_strings(s["NotResource"]) if "NotResource" in s else None,
            principal=s.get("Principal"),
            not_principal=s.get("NotPrincipal"),
            condition=condition if isinstance(condition, dict) else {},
            variables=variables,
        ))
    return out


def unreadable(policy: Policy) -> bool:
    """A document preflight could not parse: its statements are unknown, not absent."""
    return policy.document is not None and load(policy.document) is None
