"""The demo's bundled snapshot is what the talk's moto world collects today."""

from __future__ import annotations

import json

from preflight.snapshot import dumps, load_bundled
from tests.conftest import CliRun
from tests.doubles import demo_build


def test_bundled_demo_snapshot_is_in_sync_with_the_moto_world(update_golden: bool) -> None:
    built = demo_build.build()
    if update_golden:
        demo_build.BUNDLED.write_text(dumps(built))
    bundled = load_bundled("talk.snapshot.json")
    assert json.loads(dumps(built)) == bundled, (
        "preflight/demo/talk.snapshot.json is stale: run "
        "`python -m tests.doubles.demo_build` (or pytest --update-golden)")


def test_the_demo_diagnoses_the_talk_backend_rollback(cli: CliRun) -> None:
    """`preflight demo --diagnose`: the talk backend's rolled-back deployment, explained without AWS."""
    code, out, _ = cli(["demo", "--diagnose", "--format", "json"])
    assert code == 0
    [d] = json.loads(out)["diagnoses"]
    assert (d["workload"]["id"], d["cause"]["category"], d["cause"]["rule"], d["cause"]["confidence"]) == (
        "talk-be", "network-timeout", "NET002", "confirmed")
    code, out, _ = cli(["demo", "--diagnose"])
    assert code == 0 and "cause: network-timeout NET002 (confirmed)" in out
    code, _, err = cli(["demo", "--diagnose", "--format", "sarif"])
    assert code == 2 and "--diagnose writes" in err
