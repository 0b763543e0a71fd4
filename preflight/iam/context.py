"""The request context: the condition keys a request carries, as AWS would see them.

Every key is in one of three states: present with its values, known to be absent, or unknown
(preflight cannot tell, for example the source IP of a call App Runner makes from its own
fleet). A condition on an unknown key is undecided, and the verdict names the key; a condition
on an absent key follows AWS's rule for missing keys. Keys compare case-insensitively, as condition
keys do ("Condition element": "Condition key names are not case-sensitive").

Reference: "IAM JSON policy elements: Condition",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html and
"AWS global condition context keys",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum


class State(Enum):
    ABSENT = "absent"
    UNKNOWN = "unknown"


ABSENT = State.ABSENT
UNKNOWN = State.UNKNOWN
Value = tuple[str, ...] | State


@dataclass(frozen=True)
class Context:
    """Condition keys of one request. `prefixes` make whole families known: a key under a prefix
    that is not listed is absent (the principal's tags when preflight read all of them)."""

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()
    absent_prefixes: tuple[str, ...] = ()
    unknown_prefixes: tuple[str, ...] = ()
    default: State = UNKNOWN  # what a key nobody mentioned is

    def get(self, key: str) -> Value:
        k = key.lower()
        if k in self.values:
            return self.values[k]
        if k in self.absent:
            return ABSENT
        if any(k.startswith(p) for p in self.unknown_prefixes):
            return UNKNOWN
        if any(k.startswith(p) for p in self.absent_prefixes):
            return ABSENT
        return self.default

    def merged(self, other: Context) -> Context:
        """This context with `other`'s statements about keys taking precedence."""
        values = {k: v for k, v in self.values.items() if k not in other.absent}
        values.update(other.values)
        absent = (self.absent - set(other.values)) | other.absent
        return Context(values, frozenset(absent), other.absent_prefixes + self.absent_prefixes,
                       other.unknown_prefixes + self.unknown_prefixes, other.default)


def build(values: Mapping[str, str | Iterable[str] | bool | None] | None = None,
          absent: Iterable[str] = (), absent_prefixes: Iterable[str] = (),
          unknown_prefixes: Iterable[str] = (), default: State = UNKNOWN) -> Context:
    """A context from plain values: a string or bool is one value, an iterable several, None absent."""
    vals: dict[str, tuple[str, ...]] = {}
    gone = {a.lower() for a in absent}
    for k, v in (values or {}).items():
        if v is None:
            gone.add(k.lower())
        elif isinstance(v, bool):
            vals[k.lower()] = ("true" if v else "false",)
        elif isinstance(v, str):
            vals[k.lower()] = (v,)
        else:
            vals[k.lower()] = tuple(str(x) for x in v)
    return Context(vals, frozenset(gone), tuple(p.lower() for p in absent_prefixes),
                   tuple(p.lower() for p in unknown_prefixes), default)


def normal_tags(tags: object) -> dict[str, str] | None:
    """Tags as a dict, from a dict or AWS's [{"Key": ..., "Value": ...}] list; None when unknown."""
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    if isinstance(tags, list | tuple):
        out: dict[str, str] = {}
        for t in tags:
            if not isinstance(t, Mapping):
                return None
            k = t.get("Key", t.get("key"))
            if k is None:
                return None
            out[str(k)] = str(t.get("Value", t.get("value", "")))
        return out
    return None


def tag_values(prefix: str, tags: object) -> tuple[dict[str, str], tuple[str, ...], tuple[str, ...]]:
    """Context entries for tags under `prefix` (e.g. "aws:PrincipalTag/"): when the tags were read,
    each is present and every other tag key is absent; when they were not, all are unknown."""
    known = normal_tags(tags)
    if known is None:
        return {}, (), (prefix.lower(),)
    return {f"{prefix}{k}": v for k, v in known.items()}, (prefix.lower(),), ()
