"""Report paths start at the repository root (the git top-level of what was scanned), so a file is
named the same in every clone, and fingerprints never carry a clone's folder name: a baseline
made in one checkout matches another, and GitHub code scanning finds the file (it resolves SARIF
`artifactLocation.uri` against the checkout root:
https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import CliRun

CONFIG = "version: 1.0\nruntime: nodejs16\nbuild:\n  commands:\n    build:\n      - npm ci\n      - npm run build\n" \
         "run:\n  command: npm start\n  network:\n    port: 3000\n"
PACKAGE = json.dumps({"name": "fe", "dependencies": {"next": "14.2.3"}})
TEMPLATE = (Path(__file__).parents[1] / "plans" / "talk-template.yaml").read_text()


def _clone(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    (root / "frontend").mkdir(parents=True)
    (root / "infra").mkdir()
    (root / "frontend" / "apprunner.yaml").write_text(CONFIG)
    (root / "frontend" / "package.json").write_text(PACKAGE)
    (root / "infra" / "template.yaml").write_text(TEMPLATE)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _report(cli: CliRun, *argv: str) -> dict:
    _, out, err = cli(["scan", *argv, "--format", "json"])
    assert out, err
    return json.loads(out)


@pytest.mark.parametrize("scanned", [".", "frontend"])
def test_source_paths_and_fingerprints_are_the_same_in_every_clone(cli: CliRun, tmp_path: Path,
                                                                   scanned: str) -> None:
    reports = [_report(cli, "--source", str(_clone(tmp_path, name) / scanned)) for name in ("checkout-a", "b")]
    files = [{f["location"]["file"] for f in r["findings"] if "location" in f} for r in reports]
    assert files[0] == files[1] == {"frontend/apprunner.yaml"}
    prints = [sorted(f["fingerprint"] for f in r["findings"]) for r in reports]
    assert prints[0] == prints[1]


def test_plan_paths_start_at_the_repository_root(cli: CliRun, tmp_path: Path) -> None:
    root = _clone(tmp_path, "somewhere")
    report = _report(cli, "--plan", str(root / "infra" / "template.yaml"))
    assert {f["location"]["file"] for f in report["findings"] if "location" in f} == {"infra/template.yaml"}


def test_sarif_points_at_the_repository_path(cli: CliRun, tmp_path: Path) -> None:
    root = _clone(tmp_path, "checkout")
    _, out, _ = cli(["scan", "--source", str(root), "--format", "sarif"])
    doc = json.loads(out)
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"] for loc in r["locations"]}
    assert "frontend/apprunner.yaml" in uris and not any("checkout" in u for u in uris)
    schema = json.loads((Path(__file__).parents[1] / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(doc)


def test_outside_any_repository_paths_start_at_the_folder_above(cli: CliRun, tmp_path: Path) -> None:
    app = tmp_path / "plain" / "fe"
    app.mkdir(parents=True)
    (app / "apprunner.yaml").write_text(CONFIG)
    (app / "package.json").write_text(PACKAGE)
    report = _report(cli, "--source", str(app))
    assert {f["location"]["file"] for f in report["findings"] if "location" in f} == {"fe/apprunner.yaml"}
