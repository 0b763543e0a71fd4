"""Rebuilds the demo's bundled snapshot from the talk's world in moto.

    python -m tests.doubles.demo_build            # rewrite preflight/demo/talk.snapshot.json

The test `tests/test_demo.py` rebuilds it the same way and fails when the bundled file drifts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

BUNDLED = Path(__file__).resolve().parents[2] / "preflight" / "demo" / "talk.snapshot.json"
# Fields that differ on every run, pinned so the file is reproducible.
PINNED = {"collected_at": "2026-11-20T09:00:00Z", "duration_s": 1.0}


def build() -> dict[str, Any]:
    for k, v in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                 ("AWS_SESSION_TOKEN", "testing")):
        os.environ[k] = v
    import boto3
    from moto import mock_aws

    from preflight.collect import collect
    from tests.doubles import strict
    from tests.doubles.worlds import APP_REGION, build_talk, seed_ids

    strict.install()  # AWS refuses requests outside the service model; so does this build
    strict.take()
    with mock_aws():
        seed_ids()
        session = boto3.Session(region_name=APP_REGION)
        build_talk("peered-defaults", session)
        doc = collect(session, [APP_REGION])
    refused = strict.take()
    if refused:
        raise RuntimeError("the demo build sent requests that AWS would refuse: "
                           + "; ".join(sorted({str(v) for v in refused})))
    doc.update(PINNED)
    doc["tool"]["version"] = "bundled"
    return doc


def main() -> int:
    from preflight.snapshot import save, validate

    doc = validate(build(), "<demo build>")
    save(doc, str(BUNDLED))
    print(f"wrote {BUNDLED}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
