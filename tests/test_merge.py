"""`preflight merge`: shard reports joined into one that equals the single scan finding for
finding, renders in every format and exits like a scan; bad inputs are one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from preflight.snapshot import load_schema
from tests.conftest import CliRun


def _demo(cli: CliRun, *args: str) -> dict[str, Any]:
    _, out, _ = cli(["demo", "--format", "json", *args])
    return json.loads(out)


def _write(tmp_path: Path, name: str, doc: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


def _fingerprints(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((f["rule"], f["resource"]["id"], f["fingerprint"]) for f in doc["findings"])


def test_three_shards_merged_equal_the_single_scan(cli: CliRun, tmp_path: Path) -> None:
    whole = _demo(cli)
    shards = [dict(whole, findings=whole["findings"][i::3]) for i in range(3)]
    paths = [_write(tmp_path, f"shard{i}.json", s) for i, s in enumerate(shards)]
    code, out, err = cli(["merge", *paths, "--format", "json"])
    merged = json.loads(out)
    assert code == 1, err  # the demo's criticals fail at the default threshold, as a scan would
    assert _fingerprints(merged) == _fingerprints(whole) != []
    assert merged["summary"] == whole["summary"]
    jsonschema.validate(merged, load_schema("report.schema.json"))


def test_a_finding_in_two_reports_is_one(cli: CliRun, tmp_path: Path) -> None:
    whole = _demo(cli)
    path = _write(tmp_path, "r.json", whole)
    copy = _write(tmp_path, "copy.json", whole)
    _, out, _ = cli(["merge", path, copy, "--format", "json"])
    assert _fingerprints(json.loads(out)) == _fingerprints(whole)


def test_an_incomplete_shard_makes_the_merge_incomplete(cli: CliRun, tmp_path: Path) -> None:
    whole = _demo(cli)
    clean = dict(whole, findings=[])
    gap = {"region": "eu-west-1", "service": "ec2", "operation": "DescribeRouteTables",
           "iam_action": "ec2:DescribeRouteTables", "error": "AccessDenied", "rules_not_evaluated": ["NET004"]}
    partial = dict(whole, findings=[], scan={**whole["scan"], "complete": False, "gaps": [gap],
                                             "rules_not_evaluated": [{"rule": "NET004", "reason": "AccessDenied"}]})
    code, out, _ = cli(["merge", _write(tmp_path, "a.json", clean), _write(tmp_path, "b.json", partial),
                        "--format", "json"])
    merged = json.loads(out)
    assert code == 3
    assert merged["scan"]["complete"] is False and merged["scan"]["gaps"][0]["rules_not_evaluated"] == ["NET004"]


@pytest.mark.parametrize("fmt", ["text", "sarif", "junit", "markdown", "html"])
def test_every_format_renders_a_merge(cli: CliRun, tmp_path: Path, fmt: str) -> None:
    path = _write(tmp_path, "r.json", _demo(cli))
    code, out, err = cli(["merge", path, "--format", fmt, "--fail-on", "never"])
    assert code == 0 and out, err


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "not JSON"), ('{"findings": []}', "not a preflight JSON report"), ("", "not JSON")])
def test_a_bad_report_is_one_line_and_exit_2(cli: CliRun, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, _, err = cli(["merge", str(path)])
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_the_output_may_not_be_an_input(cli: CliRun, tmp_path: Path) -> None:
    path = _write(tmp_path, "r.json", _demo(cli))
    code, _, err = cli(["merge", path, "--output", path])
    assert code == 2 and "also an input" in err
    code, _, err = cli(["merge", str(tmp_path / "missing.json")])
    assert code == 2
