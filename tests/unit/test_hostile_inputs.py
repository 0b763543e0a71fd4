"""Inputs a gate must refuse with one line and a non-zero exit, never a silent pass, a hang or a
machine brought down (issue #19, the parts that landed with it)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from preflight.errors import InputError, UsageError
from preflight.redact import RedactingFilter, redact_log
from preflight.snapshot import read_text
from preflight.yamlpos import YamlError, load
from tests.conftest import CliRun

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(8))


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_refused_not_read(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist here")
    with pytest.raises(InputError, match="not a regular file"):
        read_text(device)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_text(str(fifo))


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2048)
    with pytest.raises(InputError, match="limit"):
        read_text(str(big), limit=1024)


def test_binary_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    f = tmp_path / "x.json"
    f.write_bytes(b"\x80\x81binary\xc3")
    with pytest.raises(InputError, match="not UTF-8"):
        read_text(str(f))


def test_a_utf16_byte_order_mark_is_named(tmp_path: Path) -> None:
    f = tmp_path / "x.json"
    f.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="UTF-16"):
        read_text(str(f))


@pytest.mark.parametrize("flag", ["--snapshot", "--plan", "--config", "--baseline"])
def test_the_cli_refuses_a_device_for_every_file_option(cli: CliRun, flag: str) -> None:
    started = time.monotonic()
    code, _, err = cli(["scan", flag, "/dev/zero"])
    assert code == 2 and "not a regular file" in err, err
    assert time.monotonic() - started < 10


def test_an_alias_bomb_is_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(YamlError, match="alias"):
        load(BOMB)
    assert time.monotonic() - started < 5


def test_an_alias_bomb_in_the_config_is_a_usage_error(cli: CliRun, tmp_path: Path) -> None:
    config = tmp_path / ".preflight.yaml"
    config.write_text(BOMB)
    code, _, err = cli(["scan", "--config", str(config), "--snapshot", "/nonexistent.json"])
    assert code == 2 and "alias" in err, err


def test_select_and_ignore_that_cancel_out_are_a_usage_error(cli: CliRun) -> None:
    code, out, err = cli(["demo", "--select", "NET001", "--ignore", "NET001"])
    assert code == 2 and "no rule to run" in err and "No findings" not in out


def test_select_rules_refuses_an_empty_selection() -> None:
    from preflight.engine import select_rules

    with pytest.raises(UsageError):
        select_rules(["NET001"], ["NET"])
    assert select_rules() != ()


def test_debug_logs_never_carry_credentials(caplog: pytest.LogCaptureFixture) -> None:
    token = "IQoJb3JpZ2luX2VjEJr" + "x" * 40
    line = (f"Sending http request: <AWSPreparedRequest headers={{'X-Amz-Security-Token': b'{token}', "
            "'Authorization': b'AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261203/us-east-1/ec2/aws4_request, "
            "SignedHeaders=host, Signature=" + "a" * 64 + "'}>")
    clean = redact_log(line)
    assert token not in clean and "a" * 64 not in clean and "ASIAEXAMPLE/2026" not in clean
    record = logging.LogRecord("botocore.endpoint", logging.DEBUG, __file__, 1, "%s", (line,), None)
    RedactingFilter().filter(record)
    assert token not in record.getMessage()
    assert redact_log("git clone https://user:hunter2@github.com/x/y") == "git clone https://<redacted>@github.com/x/y"


def test_output_over_an_input_is_refused(cli: CliRun, demo_snapshot: str, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "snap.json"
    shutil.copy(demo_snapshot, copy)
    before = copy.read_bytes()
    code, _, err = cli(["scan", "--snapshot", str(copy), "--output", str(copy)])
    assert code == 2 and "overwritten" in err and copy.read_bytes() == before


def test_snapshot_with_region_or_profile_is_refused(cli: CliRun, demo_snapshot: str) -> None:
    for extra in (["--region", "us-east-1"], ["--profile", "prod"]):
        code, _, err = cli(["scan", "--snapshot", demo_snapshot, *extra])
        assert code == 2 and "would be ignored" in err, err


def test_the_action_never_pastes_inputs_into_a_script() -> None:
    """https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions
    (script injections): every `${{ }}` in a `run:` block is an injection point."""
    import yaml

    action = yaml.safe_load((Path(__file__).resolve().parents[2] / "action.yml").read_text())
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")
    install = next(s for s in action["runs"]["steps"] if s.get("name") == "Install preflight")
    assert '-c "$ACTION_PATH/constraints.txt"' in install["run"]
    assert set(action["outputs"]) >= {"exit-code"}


def _app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "apprunner.yaml").write_text("version: 1.0\nruntime: nodejs18\nbuild:\n  commands:\n"
                                        "    build:\n      - npm ci\nrun:\n  command: npm start\n")
    return app


@pytest.mark.parametrize("breakage", ["too-large", "malformed", "device"])
def test_a_package_json_that_cannot_be_read_leaves_bld002_not_evaluated(cli: CliRun, tmp_path: Path,
                                                                         breakage: str) -> None:
    app = _app(tmp_path)
    package = app / "package.json"
    if breakage == "too-large":
        package.write_text('{"dependencies": {"next": "14.2.3"}, "pad": "' + "x" * (3 * 1024 * 1024) + '"}')
    elif breakage == "malformed":
        package.write_text('{"dependencies": {"next": "14.2.3"')
    else:
        if not os.path.exists("/dev/zero"):
            pytest.skip("no /dev/zero")
        package.symlink_to("/dev/zero")
    code, out, err = cli(["scan", "--source", str(app), "--format", "json"])
    import json

    report = json.loads(out)
    assert code == 3, (out, err)
    assert "BLD002" in {r["rule"] for r in report["scan"]["rules_not_evaluated"]}
    assert report["scan"]["complete"] is False


def test_an_empty_source_directory_is_refused(cli: CliRun, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = cli(["scan", "--source", str(empty)])
    assert code == 2 and "empty" in err


def test_an_apprunner_yaml_that_links_to_a_device_is_reported_not_skipped(cli: CliRun, tmp_path: Path) -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    app = tmp_path / "app"
    app.mkdir()
    (app / "apprunner.yaml").symlink_to("/dev/zero")
    started = time.monotonic()
    code, out, err = cli(["scan", "--source", str(app)])
    assert time.monotonic() - started < 10
    # /dev/zero is outside the scanned tree: refused before it is even opened
    assert code == 1 and "BLD004" in out and "outside the scanned directory" in out, (out, err)


def test_a_source_file_linking_outside_the_scanned_tree_is_not_read(cli: CliRun, tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "package.json"
    secret.parent.mkdir()
    secret.write_text('{"name": "TOP-SECRET-VALUE", "dependencies": {"next": "16.0.0"}}')
    app = tmp_path / "app"
    app.mkdir()
    (app / "apprunner.yaml").write_text("version: 1.0\nruntime: nodejs18\nbuild:\n  commands:\n    build:\n"
                                        "      - npm ci\nrun:\n  command: npm start\n")
    (app / "package.json").symlink_to(secret)
    code, out, err = cli(["scan", "--source", str(app), "--format", "json"])
    import json

    report = json.loads(out)
    assert code == 3 and "TOP-SECRET-VALUE" not in out + err
    assert "BLD002" in {r["rule"] for r in report["scan"]["rules_not_evaluated"]}
    assert any("outside the scanned directory" in g["error"] for g in report["scan"]["gaps"])


def test_a_symlink_inside_the_scanned_tree_is_followed(cli: CliRun, tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "shared").mkdir(parents=True)
    (app / "shared" / "package.json").write_text('{"dependencies": {"next": "16.0.0"}}')
    (app / "apprunner.yaml").write_text("version: 1.0\nruntime: nodejs18\nbuild:\n  commands:\n    build:\n"
                                        "      - npm ci\nrun:\n  command: npm start\n")
    (app / "package.json").symlink_to(app / "shared" / "package.json")
    code, out, _ = cli(["scan", "--source", str(app), "--format", "json"])
    assert code == 1 and "BLD002" in out  # Next.js 16 needs Node 20.9; nodejs18 is older


def test_a_plan_scan_saves_the_snapshot_it_judged(cli: CliRun, tmp_path: Path) -> None:
    plan = Path(__file__).resolve().parents[1] / "plans" / "talk-plan.json"
    saved = tmp_path / "planned.json"
    code, _, err = cli(["scan", "--plan", str(plan), "--save-snapshot", str(saved)])
    assert code in (0, 1, 3), err
    assert saved.is_file()
    code2, _, err2 = cli(["scan", "--snapshot", str(saved)])
    assert code2 == code, (err, err2)


def test_platform_ecs_drops_app_runner_connectors(cli: CliRun, demo_snapshot: str) -> None:
    code, out, _ = cli(["scan", "--snapshot", demo_snapshot, "--platform", "ecs", "--select", "NET003"])
    assert "NET003" not in out and code == 0
    code, out, _ = cli(["scan", "--snapshot", demo_snapshot, "--select", "NET003"])
    assert "NET003" in out


def test_a_path_with_a_nul_byte_is_one_line(cli: CliRun) -> None:
    code, _, err = cli(["scan", "--snapshot", "snap\x00.json"])
    assert code == 2 and "Traceback" not in err and "not a usable path" in err and len(err.splitlines()) == 1, err
