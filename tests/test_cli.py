"""The command line: exit codes and one-line errors, as the contract defines them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CliRun


def test_demo_runs_without_aws_and_exits_zero(cli: CliRun) -> None:
    code, out, err = cli(["demo"])
    assert code == 0
    assert "NET001" in out and "NET003" in out and "NET012" in out
    assert "bundled snapshot" in err and "bundled snapshot" not in out


def test_demo_can_gate_like_scan(cli: CliRun) -> None:
    assert cli(["demo", "--fail-on", "high"])[0] == 1


def test_scan_snapshot_fails_on_high_by_default(demo_snapshot: str,
                                                cli: CliRun) -> None:
    code, out, _ = cli(["scan", "--snapshot", demo_snapshot])
    assert code == 1 and "Summary: 2 critical, 4 high, 2 medium, 0 low, 3 info" in out


@pytest.mark.parametrize(("fail_on", "select", "expected"), [
    ("never", [], 0), ("critical", [], 1), ("critical", ["--select", "NET003"], 0),
    ("high", ["--select", "NET003"], 1), ("high", ["--ignore", "NET", "--ignore", "QTA"], 0), ("high", ["--ignore", "NET"], 1),
    # a selection that cancels out runs nothing: a usage error, not a pass (issue #19)
    ("high", ["--select", "connector-in-public-subnet", "--ignore", "NET003"], 2),
])
def test_fail_on_and_selection(demo_snapshot: str, cli: CliRun,
                               fail_on: str, select: list[str], expected: int) -> None:
    code, _, _ = cli(["scan", "--snapshot", demo_snapshot, "--fail-on", fail_on, *select])
    assert code == expected


def test_json_output_file_matches_schema(demo_snapshot: str, tmp_path: Path,
                                         cli: CliRun) -> None:
    import jsonschema

    from preflight.snapshot import load_schema

    out_file = tmp_path / "report.json"
    code, out, _ = cli(["scan", "--snapshot", demo_snapshot, "--format", "json",
                        "--output", str(out_file)])
    assert code == 1 and out == ""
    doc = json.loads(out_file.read_text())
    jsonschema.validate(doc, load_schema("report.schema.json"))
    assert {f["rule"] for f in doc["findings"]} == {"NET001", "NET002", "NET003", "NET012", "NET013",
                                                    "BLD003", "BLD009", "QTA001"}
    assert doc["scan"]["complete"] is True


def test_gap_without_findings_exits_three(demo_snapshot: str, tmp_path: Path,
                                          cli: CliRun) -> None:
    doc = json.loads(Path(demo_snapshot).read_text())
    doc["gaps"] = [{"region": "ap-northeast-2", "service": "rds", "operation": "DescribeDBInstances",
                    "iam_action": "rds:DescribeDBInstances", "error": "AccessDenied: no",
                    "collections": ["db_instances"]}]
    path = tmp_path / "gap.json"
    path.write_text(json.dumps(doc))
    code, out, _ = cli(["scan", "--snapshot", str(path), "--select", "NET012", "--format", "json"])
    report = json.loads(out)
    assert code == 3
    assert report["scan"]["complete"] is False
    assert report["scan"]["gaps"][0]["rules_not_evaluated"] == ["NET012"]
    assert report["findings"] == []
    # a finding at the threshold still wins over incompleteness
    assert cli(["scan", "--snapshot", str(path)])[0] == 1


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "invalid JSON"),
    ('{"snapshot_version": "9"}', "snapshot version '9' is not supported"),
    ('{"snapshot_version": "1", "account": "1"}', "not a preflight snapshot"),
    ("[]", "not a preflight snapshot"),
])
def test_bad_snapshot_is_one_line_exit_two(tmp_path: Path, cli: CliRun,
                                           content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, out, err = cli(["scan", "--snapshot", str(path)])
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and str(path) in err


def test_missing_snapshot_file(cli: CliRun) -> None:
    code, _, err = cli(["scan", "--snapshot", "/nonexistent/x.json"])
    assert code == 2 and "no such file" in err


@pytest.mark.parametrize("argv", [
    ["scan", "--select", "NOPE999"], ["explain", "XYZ"], ["scan", "--fail-on", "urgent"],
    ["scan", "--snapshot", "a.json", "--save-snapshot", "b.json"], ["frobnicate"],
])
def test_usage_errors_exit_two_with_one_line(argv: list[str],
                                             cli: CliRun) -> None:
    code, out, err = cli(argv)
    assert code == 2 and out == "" and err.startswith("preflight: ") and err.count("\n") == 1


def test_no_credentials_is_one_line_exit_two(monkeypatch: pytest.MonkeyPatch,
                                             cli: CliRun) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var)
    code, _, err = cli(["scan", "--region", "us-east-1"])
    assert code == 2 and "no AWS credentials" in err and err.count("\n") == 1


def test_unknown_profile_is_one_line_exit_two(cli: CliRun) -> None:
    code, _, err = cli(["scan", "--profile", "nope"])
    assert code == 2 and "profile 'nope'" in err


def test_no_region_is_one_line_exit_two(monkeypatch: pytest.MonkeyPatch,
                                        cli: CliRun) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    code, _, err = cli(["scan"])
    assert code == 2 and "no region" in err


def test_live_scan_through_the_cli_and_snapshot_replay_agree(
        aws: None, tmp_path: Path, cli: CliRun,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    from tests.doubles.worlds import build_talk

    session = boto3.Session(region_name="ap-northeast-1")
    build_talk("halfway", session)
    monkeypatch.setattr(boto3, "Session", lambda **_: session)
    saved = tmp_path / "snap.json"
    code, live, _ = cli(["scan", "--region", "ap-northeast-1", "--format", "json",
                         "--save-snapshot", str(saved)])
    code2, replay, _ = cli(["scan", "--snapshot", str(saved), "--format", "json"])
    strip = lambda d: [(f["rule"], f["resource"]["id"], f["fingerprint"]) for f in d["findings"]]  # noqa: E731
    assert code == code2 == 1
    assert strip(json.loads(live)) == strip(json.loads(replay)) != []


def test_unknown_region_is_a_usage_error(aws: None, cli: CliRun) -> None:
    code, _, err = cli(["scan", "--region", "mars-north-1"])
    assert code == 2 and "unknown region 'mars-north-1'" in err


def test_unwritable_output_is_one_line(demo_snapshot: str,
                                       cli: CliRun) -> None:
    code, _, err = cli(["scan", "--snapshot", demo_snapshot, "-o", "/nonexistent/dir/r.txt"])
    assert code == 2 and "cannot write" in err


def test_rules_and_explain(cli: CliRun) -> None:
    code, out, _ = cli(["rules", "--format", "json"])
    assert code == 0 and {r["id"] for r in json.loads(out)} >= {"NET001", "NET003", "NET012"}
    assert {r["id"] for r in json.loads(out) if r["target"]} == {"ECS005", "ECS006", "ECS007", "ECS008", "IAM007"}
    code, out, _ = cli(["rules"])
    assert "ECS008  info      migrate-carry-over" in out and "(only with --target ecs-express)" in out
    code, out, _ = cli(["explain", "connector-in-public-subnet"])
    assert code == 0 and out.startswith("NET003 connector-in-public-subnet") and "https://" in out


def test_color_only_on_a_terminal(demo_snapshot: str, cli: CliRun) -> None:
    _, out, _ = cli(["scan", "--snapshot", demo_snapshot])
    assert "\x1b[" not in out


def test_python_dash_m_and_version() -> None:
    import subprocess
    import sys

    from preflight import __version__

    out = subprocess.run([sys.executable, "-m", "preflight", "--version"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 0 and out.stdout.strip() == f"preflight, version {__version__}"


@pytest.mark.parametrize(("argv", "message"), [
    (["scan", "--source", "/nonexistent/app"], "no such directory"),
    (["scan", "--plan", "/nonexistent/plan.json"], "no such file"),
    (["scan", "--config", "/nonexistent/.preflight.yaml"], "no such file"),
])
def test_missing_inputs_are_one_line(cli: CliRun, argv: list[str], message: str) -> None:
    code, out, err = cli(argv)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


@pytest.mark.parametrize("address", ["foo:bar", "dns.example.com", "10.0.0.2:99999", "[::1", ""])
def test_bad_dns_resolver_is_a_usage_error(demo_snapshot: str, cli: CliRun, address: str) -> None:
    code, out, err = cli(["scan", "--snapshot", demo_snapshot, "--dns-resolver", address])
    assert code == 2 and out == "" and "--dns-resolver" in err and err.count("\n") == 1


def test_dns_resolver_forms() -> None:
    from preflight.collect.domains import parse_resolver

    assert parse_resolver("10.0.0.2") == ("10.0.0.2", 53)
    assert parse_resolver("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_resolver("::1") == ("::1", 53)
    assert parse_resolver("[::1]:5353") == ("::1", 5353)
