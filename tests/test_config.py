"""Config files, suppressions (config and tags), severity overrides, baselines and iam-policy,
through the command line, asserting exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun


def write(tmp_path: Path, text: str, name: str = ".preflight.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_suppressions_with_reasons_keep_findings_in_json(demo_snapshot: str, tmp_path: Path,
                                                        cli: CliRun) -> None:
    cfg = write(tmp_path, """
suppressions:
  - rule: NET
    reason: the network is being rebuilt in INFRA-42
  - rule: QTA001
    resource: "ap-northeast-1/*"
    reason: quota increase requested
    expires: 2099-01-01
""")
    code, out, _ = cli(["scan", "--snapshot", demo_snapshot, "--config", cfg, "--format", "json"])
    doc = json.loads(out)
    assert code == 0  # only medium and below remain active
    suppressed = {(f["rule"], f["suppressed"]["reason"]) for f in doc["findings"] if "suppressed" in f}
    assert ("QTA001", "quota increase requested") in suppressed and ("NET012", "the network is being rebuilt in INFRA-42") in suppressed
    assert doc["scan"]["suppressed"] == sum(1 for f in doc["findings"] if "suppressed" in f) == 7
    assert doc["summary"]["critical"] == 0 and doc["summary"]["high"] == 0


def test_expired_suppression_stops_suppressing_and_says_so(demo_snapshot: str, tmp_path: Path,
                                                           cli: CliRun) -> None:
    cfg = write(tmp_path, "suppressions:\n  - rule: NET012\n    reason: old exception\n    expires: 2020-01-01\n")
    code, out, _ = cli(["scan", "--snapshot", demo_snapshot, "--config", cfg])
    assert code == 1 and "NET012" in out and "expired on 2020-01-01" in out


def test_config_defaults_and_cli_precedence(demo_snapshot: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            cli: CliRun) -> None:
    write(tmp_path, "fail-on: never\nformat: json\nseverity:\n  NET013: high\n")
    monkeypatch.chdir(tmp_path)  # found by walking up from the working directory
    code, out, _ = cli(["scan", "--snapshot", demo_snapshot])
    doc = json.loads(out)
    assert code == 0 and next(f for f in doc["findings"] if f["rule"] == "NET013")["severity"] == "high"
    code, out, _ = cli(["scan", "--snapshot", demo_snapshot, "--fail-on", "critical", "--format", "text"])
    assert code == 1 and out.startswith("preflight")


def test_tag_suppression_needs_a_reason(demo_snapshot: str, tmp_path: Path, cli: CliRun) -> None:
    doc = json.loads(Path(demo_snapshot).read_text())
    db_sg = next(g for g in doc["resources"]["security_groups"] if g["name"] == "talk-db")
    subnets = {s["id"] for s in doc["resources"]["subnets"]}
    for s in doc["resources"]["subnets"]:
        s["tags"] = {"preflight:ignore": "NET003", "preflight:reason": "connector moves next sprint"}
    db_sg["tags"] = {"preflight:ignore": "NET012"}
    db = next(d for d in doc["resources"]["db_instances"] if d["id"] == "talk-db")
    db["tags"] = {"preflight:ignore": "NET999", "preflight:reason": "typo in the rule id"}
    tagged = tmp_path / "tagged.json"
    tagged.write_text(json.dumps(doc))
    code, out, _ = cli(["scan", "--snapshot", str(tagged), "--format", "json"])
    report = json.loads(out)
    suppressed = {f["resource"]["id"] for f in report["findings"] if f.get("suppressed")}
    assert suppressed and suppressed <= subnets
    assert all(f["suppressed"]["source"] == "tag preflight:ignore" for f in report["findings"] if f.get("suppressed"))
    assert code == 1  # NET012 on the database is still active
    assert "talk-db has preflight:ignore naming unknown rule 'NET999'" in report["scan"]["notes"]


def test_baseline_gates_only_new_findings(demo_snapshot: str, tmp_path: Path, cli: CliRun) -> None:
    code, out, _ = cli(["scan", "--snapshot", demo_snapshot, "--format", "json", "-o", str(tmp_path / "base.json")])
    assert code == 1
    code, out, _ = cli(["scan", "--snapshot", demo_snapshot, "--baseline", str(tmp_path / "base.json")])
    assert code == 0 and "already in the baseline" in out
    base = json.loads((tmp_path / "base.json").read_text())
    base["findings"] = [f for f in base["findings"] if f["rule"] != "NET012"]
    (tmp_path / "partial.json").write_text(json.dumps(base))
    code, out, _ = cli(["scan", "--snapshot", demo_snapshot, "--baseline", str(tmp_path / "partial.json")])
    assert code == 1 and "NET012" in out and "NET001" not in out


@pytest.mark.parametrize(("text", "message"), [
    ("suppressions:\n  - rule: NET012\n", "suppressions/0: 'reason' is a required property"),
    ("suppressions:\n  - rule: NOPE999\n    reason: because\n", "unknown rule 'NOPE999'"),
    ("fail-on: sometimes\n", "fail-on: 'sometimes' is not one of"),
    ("colour: red\n", "Additional properties are not allowed ('colour' was unexpected)"),
    ("severity:\n  NET001: urgent\n", "severity/NET001"),
    ("suppressions:\n  - rule: NET012\n    reason: x y\n    expires: 2026-13-40\n", "expires"),
    ("regions: [mars]\n", "regions/0"),
    ("a: [unclosed\n", "invalid YAML"),
])
def test_bad_config_is_one_line_exit_two(demo_snapshot: str, tmp_path: Path, cli: CliRun,
                                         text: str, message: str) -> None:
    cfg = write(tmp_path, text)
    code, out, err = cli(["scan", "--snapshot", demo_snapshot, "--config", cfg])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert message in err and cfg in err, err


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"), ("{not json", "invalid JSON"), ('{"findings": 3}', "not a preflight JSON report"),
    ('{"findings": [{"rule": "NET001"}]}', "has no fingerprint"),
])
def test_unreadable_baseline_is_one_line_exit_two(demo_snapshot: str, tmp_path: Path, cli: CliRun,
                                                  content: str | None, message: str) -> None:
    path = tmp_path / "base.json"
    if content is not None:
        path.write_text(content)
    code, _, err = cli(["scan", "--snapshot", demo_snapshot, "--baseline", str(path)])
    assert code == 2 and message in err and err.count("\n") == 1


def test_iam_policy_covers_every_call_a_scan_makes_and_nothing_writes(
        session: Any, cli: CliRun) -> None:
    from preflight.collect import collect
    from preflight.collect.aws import is_read_only
    from tests.doubles.worlds import APP_REGION, build_talk

    build_talk("fixed", session)
    seen: set[str] = set()
    prefixes = {"service-quotas": "servicequotas", "resourcegroupstaggingapi": "tag", "elbv2": "elasticloadbalancing"}
    session._session.register("before-parameter-build", lambda model, **_: seen.add(
        f"{prefixes.get(model.service_model.service_name, model.service_model.service_name)}:{model.name}"))
    collect(session, [APP_REGION])
    code, out, _ = cli(["iam-policy"])
    actions = set(json.loads(out)["Statement"][0]["Action"])
    assert code == 0 and seen and seen <= actions
    assert all(is_read_only(a.split(":")[0], a.split(":")[1]) for a in actions)
    assert "secretsmanager:GetSecretValue" not in actions and not any(a.startswith("ssm:GetParameter") for a in actions)
