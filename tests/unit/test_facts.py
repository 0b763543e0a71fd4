"""Facts preflight ships as data, each against its source: the npm registry for Next.js (read
with `npm view 'next@>=9.0.0' version engines --json` on 2026-12-02), AWS's documentation for
the managed policy and prices, the installed botocore model for what the model states."""

from __future__ import annotations

import json
from importlib import resources as pkg

import pytest

from preflight.checks.build import next_requirement

FACTS = json.loads(pkg.files("preflight.data").joinpath("apprunner.json").read_text("utf-8"))


def _requires(version: str | None = None, rng: str | None = None) -> tuple[str, str] | None:
    nxt = {"version": version, "range": rng or version}
    return next_requirement({"package": {"next": nxt}})


# (version or range from package.json, the release npm installs, its engines.node)
NEXT_CASES = [
    ("13.3.0", "13.3.0", ">=14.6.0"),
    ("13.3.1", "13.3.1", ">=14.18.0"),   # not 13.4.0: the registry's engines change here
    ("13.3.2", "13.3.2", ">=16.8.0"),
    ("13.4.0", "13.4.0", ">=16.8.0"),
    ("13.5.1", "13.5.1", ">=16.14.0"),
    ("14.0.0", "14.0.0", ">=18.17.0"),
    ("14.2.3", "14.2.3", ">=18.17.0"),   # a pin the old known-versions list lacked
    ("15.0.2", "15.0.2", ">=18.18.0"),
    ("15.0.3", "15.0.3", "^18.18.0 || ^19.8.0 || >= 20.0.0"),  # the range starts at 15.0.3
    ("16.0.0", "16.0.0", ">=20.9.0"),
    ("12.2.0", "12.2.0", ">=12.22.0"),
]
RANGE_CASES = [
    ("~13.2.0", "13.2.4", ">=14.6.0"),
    ("^13.0.0", "13.5.11", ">=16.14.0"),  # the newest 13 is 13.5.11
    ("^15.0.0", "15.5.29", "^18.18.0 || ^19.8.0 || >= 20.0.0"),  # the newest 15 is 15.5.29
    ("14.x", "14.2.35", ">=18.17.0"),
]


@pytest.mark.parametrize(("pinned", "installed", "engines"), NEXT_CASES)
def test_a_pinned_next_takes_its_own_engines(pinned: str, installed: str, engines: str) -> None:
    assert _requires(version=pinned) == (installed, engines)


@pytest.mark.parametrize(("rng", "installed", "engines"), RANGE_CASES)
def test_a_range_resolves_to_the_newest_release_it_admits(rng: str, installed: str, engines: str) -> None:
    assert _requires(rng=rng) == (installed, engines)


def test_the_release_list_is_sorted_and_holds_every_major_since_9() -> None:
    import nodesemver

    versions = [v for v, _ in FACTS["nextjs_releases"]]
    assert versions == sorted(versions, key=lambda v: tuple(int(p) for p in v.split(".")))
    assert {v.split(".")[0] for v in versions} >= {"9", "10", "11", "12", "13", "14", "15", "16"}
    assert nodesemver.max_satisfying(versions, "^13", loose=True) == "13.5.11"
    assert nodesemver.max_satisfying(versions, "^15", loose=True) == "15.5.29"


def test_the_execution_role_policy_grants_six_actions_and_the_rule_says_so() -> None:
    policies = json.loads(pkg.files("preflight.data").joinpath("aws_managed_policies.json").read_text("utf-8"))
    doc = policies["policies"]["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]["document"]
    actions = sorted(a for s in doc["Statement"] for a in s["Action"])
    assert actions == ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken",
                       "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream", "logs:PutLogEvents"]
    catalog = json.loads(pkg.files("preflight.rules").joinpath("catalog.json").read_text("utf-8"))
    ecs009 = next(r for r in catalog["rules"] if r["id"] == "ECS009")
    assert "ecr:BatchCheckLayerAvailability" in ecs009["rationale"]


def test_nat_prices_outside_us_east_1_are_said_to_reach_about_twice() -> None:
    # https://aws.amazon.com/vpc/pricing/: us-east-1 is among the cheapest regions for a NAT hour
    assert FACTS["nat_gateway_hourly_usd"] == 0.045
    assert "twice" in FACTS["nat_gateway_price_note"]
