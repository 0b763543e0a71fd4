"""The talk, step by step: each stage of its account fails with exactly the network rules the
talk hit there, on the right resources, and the fixed account has no high or critical finding.
(The talk's services also run on nodejs16, past its end of support: BLD003, tested elsewhere.)"""

from __future__ import annotations

from typing import Any

import pytest

from preflight import engine
from preflight.collect import collect
from preflight.findings import Severity
from tests.doubles.worlds import APP_REGION, STAGES, build_talk


def findings(session: Any, stage: str) -> tuple[dict[str, Any], set[tuple[str, str, str]]]:
    talk = build_talk(stage, session)
    network = tuple(r for r in engine.select_rules(["NET", "COST"]))
    result = engine.run(collect(session, [APP_REGION]), network)
    assert result.complete, result.gaps
    return talk.ids, {(f.rule, f.resource.id, f.severity.label) for f in result.findings}


def test_stages_are_in_talk_order() -> None:
    assert STAGES == ("public-connector", "peered-defaults", "no-routes", "no-dns", "fixed")


def test_public_connector(session: Any) -> None:
    ids, got = findings(session, "public-connector")
    assert got == {
        ("NET001", ids["seoul_vpc"], "critical"),  # the flow's two VPCs can never be peered
        ("NET002", "talk-connector", "high"),
        *{("NET003", s, "high") for s in ids["tokyo_subnets"][:2]},
        ("NET012", "talk-db", "critical"),
        ("NET013", "talk-db", "info"),
    }


def test_peered_defaults(session: Any) -> None:
    ids, got = findings(session, "peered-defaults")
    assert got == {
        ("NET001", ids["pcx"], "critical"),
        ("NET002", "talk-connector", "high"),
        *{("NET003", s, "high") for s in ids["tokyo_subnets"][:2]},
        ("NET012", "talk-db", "critical"),
        ("NET013", "talk-db", "info"),
    }


def test_no_routes(session: Any) -> None:
    ids, got = findings(session, "no-routes")
    net = ids["app_network"]
    assert got == {
        ("NET004", net["private_rt"], "critical"),
        ("NET005", ids["seoul_main_rt"], "critical"),
        ("NET007", ids["pcx"], "high"),
        ("NET012", "talk-db", "critical"),
        ("NET013", "talk-db", "info"),
        ("COST001", net["nat"], "info"),
    }


def test_no_dns(session: Any) -> None:
    ids, got = findings(session, "no-dns")
    assert got == {
        ("NET007", ids["pcx"], "high"),
        ("NET009", ids["db_sg"], "critical"),
        ("NET012", "talk-db", "high"),
        ("NET013", "talk-db", "info"),
        ("COST001", ids["app_network"]["nat"], "info"),
    }


def test_fixed_has_only_information(session: Any) -> None:
    ids, got = findings(session, "fixed")
    assert got == {("NET013", "talk-db", "info"), ("COST001", ids["app_network"]["nat"], "info")}
    assert all(Severity[sev.upper()] < Severity.MEDIUM for _, _, sev in got)


def test_unknown_stage() -> None:
    with pytest.raises(ValueError, match="unknown stage"):
        build_talk("nope")
