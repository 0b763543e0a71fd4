"""The rule catalog (data, validated on load) and the registry of checks (code).

Metadata lives in `preflight/rules/catalog.json`; a check only finds problems. A check is a
function of the graph decorated with `@check("NET001")` that yields `Hit`s; the engine turns
each `Hit` into a `Finding` with the catalog's name, title and severity.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources as pkg
from typing import Any

import jsonschema

from preflight.errors import CatalogError, UsageError
from preflight.findings import Fix, Location, Ref, Severity
from preflight.snapshot import load_schema


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    severity: Severity
    title: str
    summary: str
    rationale: str
    checks: str
    fix: str
    references: tuple[str, ...]
    needs: tuple[str, ...]
    heuristic: bool
    family: str
    target: str | None = None  # a migration rule: runs only with `scan --target` naming it


@dataclass(frozen=True, slots=True)
class Hit:
    """What a check reports; the engine adds the rule's metadata."""

    resource: Ref
    message: str
    fix: Fix
    related: tuple[Ref, ...] = ()
    path: tuple[str, ...] = ()
    severity: Severity | None = None  # overrides the catalog's default when set
    location: Location | None = None


def finding(resource: Ref, message: str, fix: Fix, *, related: Iterable[Ref] = (),
            path: Iterable[Ref | str] = (), severity: Severity | None = None,
            location: Location | None = None) -> Hit:
    return Hit(resource, message, fix, tuple(related),
               tuple(p if isinstance(p, str) else p.id for p in path), severity, location)


CheckFn = Callable[[Any], Iterator[Hit]]
_CHECKS: dict[str, CheckFn] = {}


def check(rule_id: str) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        if rule_id in _CHECKS:
            raise CatalogError(f"rule {rule_id} has two checks: {_CHECKS[rule_id].__name__} "
                               f"and {fn.__name__}")
        _CHECKS[rule_id] = fn
        return fn
    return register


def checks() -> dict[str, CheckFn]:
    import preflight.checks  # noqa: F401  (registers every check module)
    return dict(_CHECKS)


@cache
def catalog() -> dict[str, Rule]:
    raw = json.loads(pkg.files("preflight.rules").joinpath("catalog.json").read_text("utf-8"))
    try:
        jsonschema.validate(raw, load_schema("catalog.schema.json"))
    except jsonschema.ValidationError as e:
        raise CatalogError(f"rule catalog is invalid: {e.message}") from e
    rules: dict[str, Rule] = {}
    names: set[str] = set()
    for r in raw["rules"]:
        if r["id"] in rules or r["name"] in names:
            raise CatalogError(f"rule catalog repeats {r['id']} / {r['name']}")
        names.add(r["name"])
        rules[r["id"]] = Rule(
            id=r["id"], name=r["name"], severity=Severity.parse(r["severity"]), title=r["title"],
            summary=r["summary"], rationale=r["rationale"], checks=r["checks"], fix=r["fix"],
            references=tuple(r["references"]), needs=tuple(r["needs"]),
            heuristic=r.get("heuristic", False), family=re.sub(r"\d+$", "", r["id"]),
            target=r.get("target"),
        )
    return rules


def resolve(selector: str) -> set[str]:
    """Rule ids a user's selector means: an id (NET001), a family or id prefix (NET, NET00)
    or a name (peered-cidr-overlap). Unknown selectors are a usage error."""
    rules = catalog()
    text = selector.strip()
    upper = text.upper()
    if upper in rules:
        return {upper}
    by_name = {r.id for r in rules.values() if r.name == text.lower()}
    if by_name:
        return by_name
    by_prefix = {rid for rid in rules if rid.startswith(upper)} if upper else set()
    if by_prefix:
        return by_prefix
    raise UsageError(f"unknown rule {selector!r} (see `preflight rules`)")


def lookup(selector: str) -> Rule:
    ids = resolve(selector)
    if len(ids) != 1:
        raise UsageError(f"{selector!r} names {len(ids)} rules; give one id, e.g. {min(ids)}")
    return catalog()[ids.pop()]
