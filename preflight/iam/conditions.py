"""Condition operators, evaluated three-valued against a request context.

The rules, from "IAM JSON policy elements: Condition operators" and "Set operators for
multivalued context keys":

- a Condition block is true when every operator in it is true, an operator when every key under
  it is true, a key when the request's value matches any of the policy's values (for negated
  operators: matches none of them);
- a key absent from the request makes a positive operator false and a negated one
  (`StringNotEquals`, `StringNotLike`, `ArnNotEquals`, `ArnNotLike`, `NumericNotEquals`,
  `DateNotEquals`, `NotIpAddress`, `StringNotEqualsIgnoreCase`) true; `...IfExists` makes it true
  whatever the operator; `Null` tests presence itself;
- `ForAnyValue:` is true when at least one of the request's values matches (false when the key is
  absent or empty); `ForAllValues:` when every one does (true when the key is absent or empty);
  with a negated operator "matches" means "matches none of the policy's values";
- an operator preflight does not know makes the statement undecided, never true or false.

References: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
"""

from __future__ import annotations

import base64
import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from preflight.iam.context import ABSENT, UNKNOWN, Context
from preflight.iam.match import Unknown, Unresolved, arn_like, glob, resolve
from preflight.iam.tri import Tri, all_of, negate

Compare = Callable[[str, str, Context, bool], Tri]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _resolved(pattern: str, ctx: Context, variables: bool) -> tuple[tuple[tuple[str, bool], ...] | None, bool]:
    """(tokens, ok): tokens None with ok False means a variable with no value (no match)."""
    try:
        return resolve(pattern, ctx, variables), True
    except Unresolved:
        return None, False


def _literal(tokens: tuple[tuple[str, bool], ...]) -> str:
    return "".join(c for c, _ in tokens)


def _string_equals(policy: str, value: str, ctx: Context, variables: bool) -> Tri:
    tokens, ok = _resolved(policy, ctx, variables)
    return ok and tokens is not None and _literal(tokens) == value


def _string_equals_ic(policy: str, value: str, ctx: Context, variables: bool) -> Tri:
    tokens, ok = _resolved(policy, ctx, variables)
    return ok and tokens is not None and _literal(tokens).casefold() == value.casefold()


def _string_like(policy: str, value: str, ctx: Context, variables: bool) -> Tri:
    tokens, ok = _resolved(policy, ctx, variables)
    return ok and tokens is not None and glob(tokens, value)


def _arn_like(policy: str, value: str, ctx: Context, variables: bool) -> Tri:
    tokens, ok = _resolved(policy, ctx, variables)
    return ok and tokens is not None and arn_like(tokens, value)


def _number(text: str) -> float | None:
    try:
        n = float(text)
    except ValueError:
        return None
    return None if math.isnan(n) else n


def _numeric(op: Callable[[float, float], bool]) -> Compare:
    def compare(policy: str, value: str, ctx: Context, variables: bool) -> Tri:
        p, v = _number(policy), _number(value)
        return p is not None and v is not None and op(v, p)
    return compare


def _date(text: str) -> datetime | None:
    t = text.strip()
    n = _number(t)
    if n is not None:
        try:
            return datetime.fromtimestamp(n, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        d = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        try:
            d = datetime.strptime(t, "%Y-%m-%d")
        except ValueError:
            return None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _dated(op: Callable[[datetime, datetime], bool]) -> Compare:
    def compare(policy: str, value: str, ctx: Context, variables: bool) -> Tri:
        tokens, ok = _resolved(policy, ctx, variables)
        if not ok or tokens is None:
            return False
        p, v = _date(_literal(tokens)), _date(value)
        return p is not None and v is not None and op(v, p)
    return compare


def _bool(policy: str, value: str, ctx: Context, variables: bool) -> Tri:
    tokens, ok = _resolved(policy, ctx, variables)
    return ok and tokens is not None and _literal(tokens).lower() == value.lower()


def _binary(policy: str, value: str, ctx: Context, variables: bool) -> Tri:
    try:
        return base64.b64decode(policy, validate=True) == base64.b64decode(value, validate=True)
    except ValueError:
        return False


def _ip(policy: str, value: str, ctx: Context, variables: bool) -> Tri:
    try:
        net = ipaddress.ip_network(policy.strip(), strict=False)
        addr = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    return net.version == addr.version and addr.subnet_of(net)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Operator:
    compare: Compare
    negated: bool = False


_BASE: dict[str, Operator] = {
    "stringequals": Operator(_string_equals),
    "stringnotequals": Operator(_string_equals, True),
    "stringequalsignorecase": Operator(_string_equals_ic),
    "stringnotequalsignorecase": Operator(_string_equals_ic, True),
    "stringlike": Operator(_string_like),
    "stringnotlike": Operator(_string_like, True),
    "numericequals": Operator(_numeric(lambda v, p: v == p)),
    "numericnotequals": Operator(_numeric(lambda v, p: v == p), True),
    "numericlessthan": Operator(_numeric(lambda v, p: v < p)),
    "numericlessthanequals": Operator(_numeric(lambda v, p: v <= p)),
    "numericgreaterthan": Operator(_numeric(lambda v, p: v > p)),
    "numericgreaterthanequals": Operator(_numeric(lambda v, p: v >= p)),
    "dateequals": Operator(_dated(lambda v, p: v == p)),
    "datenotequals": Operator(_dated(lambda v, p: v == p), True),
    "datelessthan": Operator(_dated(lambda v, p: v < p)),
    "datelessthanequals": Operator(_dated(lambda v, p: v <= p)),
    "dategreaterthan": Operator(_dated(lambda v, p: v > p)),
    "dategreaterthanequals": Operator(_dated(lambda v, p: v >= p)),
    "bool": Operator(_bool),
    "binaryequals": Operator(_binary),
    "ipaddress": Operator(_ip),
    "notipaddress": Operator(_ip, True),
    "arnequals": Operator(_arn_like),
    "arnlike": Operator(_arn_like),
    "arnnotequals": Operator(_arn_like, True),
    "arnnotlike": Operator(_arn_like, True),
}

OPERATORS = frozenset(_BASE) | {"null"}


@dataclass
class Outcome:
    """A condition's value and, when unknown, why: the keys or operators it could not judge."""

    value: Tri
    unknown_keys: list[str]


def _values(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list | tuple) else [raw]
    return [_text(v) for v in items if v is not None and not isinstance(v, dict | list)]


def _one(op: Operator, policy_values: list[str], value: str, ctx: Context, variables: bool,
         unknown: list[str]) -> Tri:
    """Whether one request value matches any policy value (the positive sense)."""
    results: list[Tri] = []
    for p in policy_values:
        try:
            r = op.compare(p, value, ctx, variables)
        except Unknown as e:
            unknown.append(e.key)
            r = None
        if r is True:
            return True
        results.append(r)
    return None if None in results else False


def evaluate_key(operator: str, key: str, raw: Any, ctx: Context, variables: bool) -> Outcome:
    unknown: list[str] = []
    name = operator
    qualifier = ""
    if ":" in name:
        qualifier, name = name.split(":", 1)
        qualifier = qualifier.lower()
        if qualifier not in ("foranyvalue", "forallvalues"):
            return Outcome(None, [f"operator {operator}"])
    lname = name.lower()
    if_exists = lname.endswith("ifexists") and lname != "ifexists"
    if if_exists:
        lname = lname[: -len("ifexists")]
    value = ctx.get(key)
    policy_values = _values(raw)

    if lname == "null":
        if value is UNKNOWN:
            return Outcome(None, [key])
        wants_absent = [v.lower() == "true" for v in policy_values]
        is_absent = value is ABSENT or (isinstance(value, tuple) and len(value) == 0)
        return Outcome(any(w == is_absent for w in wants_absent), [])

    op = _BASE.get(lname)
    if op is None:
        return Outcome(None, [f"operator {operator}"])
    if value is UNKNOWN:
        return Outcome(None, [key])
    absent = value is ABSENT or (isinstance(value, tuple) and len(value) == 0)
    if absent:
        if if_exists:
            return Outcome(True, [])
        if qualifier == "forallvalues":
            return Outcome(True, [])
        if qualifier == "foranyvalue":
            return Outcome(False, [])
        return Outcome(op.negated, [])
    assert isinstance(value, tuple)

    def sense(v: str) -> Tri:
        r = _one(op, policy_values, v, ctx, variables, unknown)
        return negate(r) if op.negated else r

    if qualifier == "forallvalues":
        result = all_of(sense(v) for v in value)
    elif qualifier == "foranyvalue":
        results = [sense(v) for v in value]
        result = True if True in results else None if None in results else False
    elif op.negated:
        # a negated operator is true when no request value matches any policy value
        positives = [_one(op, policy_values, v, ctx, variables, unknown) for v in value]
        result = False if True in positives else None if None in positives else True
    else:
        results = [_one(op, policy_values, v, ctx, variables, unknown) for v in value]
        result = True if True in results else None if None in results else False
    return Outcome(result, unknown if result is None else [])


def evaluate(condition: dict[str, Any], ctx: Context, variables: bool) -> Outcome:
    """The whole Condition block of a statement."""
    results: list[Tri] = []
    unknown: list[str] = []
    for operator, keys in condition.items():
        if not isinstance(keys, dict):
            results.append(None)
            unknown.append(f"operator {operator}")
            continue
        for key, raw in keys.items():
            o = evaluate_key(str(operator), str(key), raw, ctx, variables)
            if o.value is False:
                return Outcome(False, [])
            results.append(o.value)
            unknown += o.unknown_keys
    value = all_of(results)
    return Outcome(value, sorted(set(unknown)) if value is None else [])
