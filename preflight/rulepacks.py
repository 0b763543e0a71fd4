"""Which checks exist: the built-in check modules, then any installed rule packs.

The built-in modules are the explicit list in `preflight.checks`. A rule pack is a Python
package that declares an entry point in the group `preflight.rules`; the entry point names a
module that defines `CATALOG` (the built-in catalog's format, with rule ids in an `X` family
such as `XACME001`) and decorates one check per rule with `preflight.registry.check`. See
docs/architecture.md, "Rule packs".

This module sits in the engine's layer: it imports the checks, and nothing below imports it.
"""

from __future__ import annotations

import importlib.metadata
import logging
from functools import cache

import preflight.checks  # noqa: F401  (imports, and so registers, every built-in check)
from preflight.errors import RulePackError
from preflight.registry import CheckFn, add_rules, catalog, registered

GROUP = "preflight.rules"
log = logging.getLogger(__name__)


@cache
def load() -> tuple[str, ...]:
    """Imports every installed rule pack once and returns the names of those loaded."""
    loaded: list[str] = []
    for ep in sorted(importlib.metadata.entry_points(group=GROUP), key=lambda e: e.name):
        try:
            module = ep.load()
        except Exception as e:  # a broken pack is named, never half-loaded silently
            raise RulePackError(f"rule pack {ep.name} ({ep.value}) cannot be imported: "
                               f"{type(e).__name__}: {e}") from e
        raw = getattr(module, "CATALOG", None)
        if raw is None:
            raise RulePackError(f"rule pack {ep.name} ({ep.value}) defines no CATALOG")
        add_rules(raw, ep.name)
        loaded.append(ep.name)
    unmatched = set(catalog()) ^ set(registered())
    if unmatched:
        raise RulePackError("rules without a check, or checks without a rule: " + ", ".join(sorted(unmatched)))
    return tuple(loaded)


def checks() -> dict[str, CheckFn]:
    """Every check, built-in and from the packs, by rule id."""
    load()
    return registered()
