"""The demo's bundled snapshot is what the talk's moto world collects today."""

from __future__ import annotations

import json

from preflight.snapshot import dumps, load_bundled
from tests.doubles import demo_build


def test_bundled_demo_snapshot_is_in_sync_with_the_moto_world(update_golden: bool) -> None:
    built = demo_build.build()
    if update_golden:
        demo_build.BUNDLED.write_text(dumps(built))
    bundled = load_bundled("talk.snapshot.json")
    assert json.loads(dumps(built)) == bundled, (
        "preflight/demo/talk.snapshot.json is stale: run "
        "`python -m tests.doubles.demo_build` (or pytest --update-golden)")
