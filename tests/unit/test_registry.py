"""Registry invariants: the catalog and the checks agree, and every rule has fixtures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from preflight.errors import CatalogError, UsageError
from preflight.registry import catalog, check, resolve
from preflight.rulepacks import checks

TESTS = Path(__file__).resolve().parent.parent


def test_every_catalog_rule_has_a_check_and_every_check_a_rule() -> None:
    assert set(catalog()) == set(checks())


def test_every_rule_has_failing_and_passing_fixtures() -> None:
    text = "\n".join(p.read_text() for p in (TESTS / "checks").glob("test_*.py"))
    for rule_id in catalog():
        tests = re.findall(rf"def (test_{rule_id.lower()}\w*)", text)
        assert tests, f"{rule_id} has no fixture tests in tests/checks"
        assert re.search(rf'fired\(.*"{rule_id}"\) == set\(\)', text), \
            f"{rule_id} has no passing fixture (asserting it fires on nothing)"
        assert re.search(rf'fired\(.*"{rule_id}"\) == \{{', text), \
            f"{rule_id} has no failing fixture asserting the exact resources"


def test_duplicate_registration_is_refused() -> None:
    with pytest.raises(CatalogError, match="two checks"):
        check("NET001")(lambda g: iter(()))


def test_catalog_references_and_needs_are_sound() -> None:
    from preflight.snapshot import COLLECTIONS, OPTIONAL, PARTIAL

    for rule in catalog().values():
        assert rule.references, rule.id
        assert set(rule.needs) <= set(COLLECTIONS) | set(OPTIONAL) | set(PARTIAL), rule.id


@pytest.mark.parametrize(("selector", "expected"), [
    ("NET001", {"NET001"}), ("net003", {"NET003"}), ("peered-cidr-overlap", {"NET001"}),
    ("NET", {f"NET{i:03d}" for i in range(1, 15)}),
    ("NET01", {"NET010", "NET011", "NET012", "NET013", "NET014"}),
    ("COST", {"COST001"}),
])
def test_selectors(selector: str, expected: set[str]) -> None:
    assert resolve(selector) == expected


@pytest.mark.parametrize("selector", ["", "XYZ", "NET999", "peered"])
def test_unknown_selectors(selector: str) -> None:
    with pytest.raises(UsageError):
        resolve(selector)
