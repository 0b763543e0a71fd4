"""The rule catalog (data, validated on load) and the registry of checks (code).

Metadata lives in `preflight/rules/catalog.json`; a check only finds problems. A check is a
function of the graph decorated with `@check("NET001")` that yields `Hit`s; the engine turns
each `Hit` into a `Finding` with the catalog's name, title and severity.

This module imports no check: the decorator fills the registry as check modules are imported,
and `preflight.rulepacks` (a layer above) decides which modules those are. A rule pack adds
its own catalog entries with `add_rules`.
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

from preflight.errors import CatalogError, RulePackError, UsageError
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


def registered() -> dict[str, CheckFn]:
    """The checks whose modules have been imported so far (see `preflight.rulepacks.load`)."""
    return dict(_CHECKS)


_PACK_RULES: dict[str, Rule] = {}
PACK_ID = re.compile(r"^X[A-Z]{1,7}[0-9]{3}$")  # rule packs' families start with X; the built-in ones never do


def _rules_of(raw: Any, origin: str, schema: str, error: type[Exception] = CatalogError) -> dict[str, Rule]:
    try:
        jsonschema.validate(raw, load_schema(schema))
    except jsonschema.ValidationError as e:
        raise error(f"{origin} is invalid: {e.message}") from e
    rules: dict[str, Rule] = {}
    names: set[str] = set()
    for r in raw["rules"]:
        if r["id"] in rules or r["name"] in names:
            raise error(f"{origin} repeats {r['id']} / {r['name']}")
        names.add(r["name"])
        rules[r["id"]] = Rule(
            id=r["id"], name=r["name"], severity=Severity.parse(r["severity"]), title=r["title"],
            summary=r["summary"], rationale=r["rationale"], checks=r["checks"], fix=r["fix"],
            references=tuple(r["references"]), needs=tuple(r["needs"]),
            heuristic=r.get("heuristic", False), family=re.sub(r"\d+$", "", r["id"]),
            target=r.get("target"),
        )
    return rules


@cache
def builtin_catalog() -> dict[str, Rule]:
    raw = json.loads(pkg.files("preflight.rules").joinpath("catalog.json").read_text("utf-8"))
    return _rules_of(raw, "rule catalog", "catalog.schema.json")


def catalog() -> dict[str, Rule]:
    """Every known rule: the built-in catalog, then the rules of the packs loaded so far."""
    return {**builtin_catalog(), **_PACK_RULES}


def add_rules(raw: Any, origin: str) -> tuple[str, ...]:
    """Adds a rule pack's catalog entries (the built-in catalog's format, ids `X...NNN`).
    A pack may not redefine a rule or a name that another catalog already holds."""
    rules = _rules_of(raw, f"rule pack {origin}", "rulepack.schema.json", RulePackError)
    taken = catalog()
    names = {r.name for r in taken.values()}
    for r in rules.values():
        if r.id in taken or r.name in names:
            raise RulePackError(f"rule pack {origin} redefines {r.id} / {r.name}")
    _PACK_RULES.update(rules)
    return tuple(rules)


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
