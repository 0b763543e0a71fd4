"""Rule packs: checks from another distribution register through the `preflight.rules` entry
point group, with no change to preflight. Each case runs preflight in a child process that sees
a planted distribution, so this process's registry stays the built-in one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from preflight.snapshot import load_schema

PACK = Path(__file__).resolve().parent.parent / "rulepack"


def _install(tmp_path: Path, value: str = "acme_preflight_rules", extra: str = "") -> Path:
    """A distribution's metadata as an installer leaves it, naming the example pack."""
    info = tmp_path / "acme_preflight_rules-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-preflight-rules\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[preflight.rules]\nacme = {value}\n{extra}")
    return tmp_path


def _preflight(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(site, PACK, *args)


def _run(site: Path, code: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(code)])}
    return subprocess.run([sys.executable, "-m", "preflight", *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_a_pack_adds_its_rule_to_the_catalog_and_the_scan(tmp_path: Path) -> None:
    site = _install(tmp_path)
    listed = _preflight(site, "rules", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert "XACME001" in {r["id"] for r in json.loads(listed.stdout)}
    explained = _preflight(site, "explain", "workload-without-owner-tag")
    assert explained.returncode == 0 and "XACME001" in explained.stdout
    report = _preflight(site, "demo", "--format", "json", "--select", "XACME")
    doc = json.loads(report.stdout)
    assert {f["rule"] for f in doc["findings"]} == {"XACME001"}, report.stderr
    jsonschema.validate(doc, load_schema("report.schema.json"))


@pytest.mark.parametrize(("value", "message"), [
    ("acme_missing_module", "cannot be imported"),
    ("json", "defines no CATALOG"),
])
def test_a_broken_pack_is_named_in_one_line(tmp_path: Path, value: str, message: str) -> None:
    result = _preflight(_install(tmp_path, value), "rules")
    assert result.returncode == 2
    assert message in result.stderr and "acme" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_pack_may_not_redefine_a_builtin_rule(tmp_path: Path) -> None:
    bad = tmp_path / "pkg"
    bad.mkdir()
    (bad / "evil_rules.py").write_text(
        "CATALOG = {'rules': [{'id': 'NET001', 'name': 'peered-cidr-overlap', 'severity': 'info',"
        " 'title': 'hijack', 'summary': 'replaces a built-in rule', 'rationale': 'none at all',"
        " 'checks': 'nothing really', 'fix': 'nothing to do', 'references': [], 'needs': []}]}\n")
    site = _install(tmp_path, "evil_rules")
    result = _run(site, bad, "rules")
    assert result.returncode == 2
    assert "rule pack acme is invalid" in result.stderr  # NET001 is outside the X families


def test_a_pack_rule_without_a_check_is_refused(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "half_rules.py").write_text(
        "import json, pathlib\n"
        "CATALOG = {'rules': [{'id': 'XHALF001', 'name': 'half-a-rule', 'severity': 'info',"
        " 'title': 'no check', 'summary': 'a rule with no check', 'rationale': 'none at all',"
        " 'checks': 'nothing really', 'fix': 'nothing to do', 'references': [], 'needs': []}]}\n")
    site = _install(tmp_path, "half_rules")
    result = _run(site, pkg, "rules")
    assert result.returncode == 2 and "XHALF001" in result.stderr
