"""The HTML report: valid HTML, every finding in it, every value escaped, and, in a real headless
Chromium (Debian's `chromium`), the filters work and a script planted in a tag value never runs.

The browser cases skip, saying why, only when no Chromium can be found."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import html5lib
import pytest

from preflight import engine
from preflight.findings import Severity
from preflight.report import Options, formats
from preflight.report.html import workload_of
from preflight.snapshot import load_bundled

PAYLOAD = "<script>document.documentElement.setAttribute('data-pwned','script')</script>"
IMG_PAYLOAD = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','img')\">"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = _chromium()
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (.ci/run installs "
                                                            "Debian's chromium when it runs as root)")


def _render(doc: dict[str, Any], fail_on: Severity | None = Severity.HIGH) -> tuple[engine.RunResult, str]:
    result = engine.run(doc)
    return result, formats()["html"](result, Options(fail_on=fail_on))


def _hostile() -> dict[str, Any]:
    """The demo account with a script in a tag value (which IAM005's message quotes) and in a
    service's name."""
    doc = load_bundled("talk.snapshot.json")
    services = doc["resources"]["services"]
    backend = next(w for w in services if w.get("instance_role_arn"))
    backend["tags"] = {"env": PAYLOAD}
    twin = json.loads(json.dumps(backend))
    twin.update(name=f"twin{IMG_PAYLOAD}", arn=backend["arn"] + "-twin", tags={"env": "prod"})
    services.append(twin)
    return doc


def test_the_demo_report_is_valid_html_with_every_finding() -> None:
    result, page = _render(load_bundled("talk.snapshot.json"))
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(page)  # raises on the first parse error
    active = [f for f in result.findings if f.active]
    assert page.count('<tr class="finding"') == len(active) > 5
    for f in active:
        assert f'id="f-{f.fingerprint}"' in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing to fetch
    assert "<link" not in page and "src=" not in page.split("<body>", 1)[1].split("<script>")[0]
    assert 'id="verdict"' in page and "FAIL: findings at or above high" in page


def test_each_workload_flow_is_drawn_with_the_broken_hop_marked() -> None:
    _, page = _render(load_bundled("talk.snapshot.json"))
    assert page.count('<svg class="flow"') == 2  # talk-be and talk-fe
    backend = page.split('data-workload="talk-be"><h3>', 1)[1].split("</section>", 1)[0]
    assert 'class="edge broken"' in backend and "NET012" in backend and 'class="node database broken"' in backend
    assert "ap-northeast-2" in backend and "ap-northeast-1" in backend  # lanes per region and VPC


def test_every_value_from_aws_or_a_file_is_escaped() -> None:
    _, page = _render(_hostile())
    assert PAYLOAD not in page and IMG_PAYLOAD not in page
    assert "&lt;script&gt;document.documentelement.setattribute(" in page  # IAM005 quotes the tag, lower-cased
    assert "twin&lt;img src=x onerror=" in page
    assert page.count("<script>") == 1  # the report's own, admitted by its hash
    html5lib.HTMLParser(strict=True).parse(page)


def test_suppressed_and_baselined_findings_are_shown_apart(tmp_path: Path) -> None:
    from dataclasses import replace

    from preflight.findings import Suppressed

    result = engine.run(load_bundled("talk.snapshot.json"))
    first, second, *rest = result.findings
    hidden = (replace(first, suppressed=Suppressed("accepted until the migration", "config .preflight.yaml:4",
                                                   "2027-01-31")), replace(second, baseline=True))
    page = formats()["html"](replace(result, findings=(*hidden, *rest)), Options())
    apart = page.split('<table id="hidden">', 1)[1]
    assert "accepted until the migration" in apart and "2027-01-31" in apart and "in the baseline" in apart
    assert f'id="f-{first.fingerprint}"' not in page


def test_gaps_name_the_iam_action_and_the_verdict_says_incomplete() -> None:
    doc = load_bundled("talk.snapshot.json")
    doc["gaps"] = [{"region": "ap-northeast-1", "service": "ecr", "operation": "BatchGetImage",
                    "iam_action": "ecr:BatchGetImage", "error": "AccessDeniedException: no", "collections": ["ecr_images"]}]
    result, page = _render(doc, fail_on=Severity.CRITICAL)
    assert result.exit_code(Severity.CRITICAL) == 1  # two criticals still fail
    assert "<code>ecr:BatchGetImage</code>" in page and "ECS012" in page.split("What was not", 1)[1]


def test_the_cli_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    proc = subprocess.run([sys.executable, "-m", "preflight", "demo", "--format", "html", "--output", str(out)],
                          capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().startswith("<!DOCTYPE html>")


def _dom(path: Path, fragment: str = "") -> str:
    assert CHROMIUM is not None
    proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           "--virtual-time-budget=3000", "--dump-dom", path.as_uri() + fragment],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "HOME": str(path.parent)})
    assert proc.returncode == 0 and "<html" in proc.stdout, proc.stderr[-2000:]
    return proc.stdout


def _visible_rows(dom: str) -> list[str]:
    rows = [r.split(">", 1)[0] for r in dom.split('<tr class="finding"')[1:]]
    return [r for r in rows if " hidden" not in r]


@needs_browser
def test_in_chromium_the_filters_work(tmp_path: Path) -> None:
    result, page = _render(load_bundled("talk.snapshot.json"))
    path = tmp_path / "report.html"
    path.write_text(page)
    active = [f for f in result.findings if f.active]
    everything = _dom(path)
    assert len(_visible_rows(everything)) == len(active)
    assert f"{len(active)} of {len(active)} shown" in everything
    assert '<form id="filters">' in everything  # shown once the script runs
    critical = _visible_rows(_dom(path, "#severity=critical"))
    assert len(critical) == sum(1 for f in active if f.severity is Severity.CRITICAL) > 0
    assert all('data-severity="critical"' in r for r in critical)
    both = _visible_rows(_dom(path, "#family=NET&workload=talk-be"))
    names = {"talk-be", "talk-fe"}
    expected = [f for f in active if f.rule.startswith("NET") and workload_of(f, names) == "talk-be"]
    assert len(both) == len(expected) > 0
    assert all('data-family="NET"' in r and 'data-workload="talk-be"' in r for r in both)


@needs_browser
def test_in_chromium_a_planted_script_never_runs(tmp_path: Path) -> None:
    _, page = _render(_hostile())
    path = tmp_path / "hostile.html"
    path.write_text(page)
    dom = _dom(path)
    assert "data-pwned" not in dom.split("<body", 1)[0]  # the root element was never touched
    assert "pwned','script')" in dom and "twin&lt;img" in dom  # shown as text


@needs_browser
def test_in_chromium_the_report_renders_to_a_screenshot(tmp_path: Path) -> None:
    _, page = _render(load_bundled("talk.snapshot.json"))
    path = tmp_path / "report.html"
    path.write_text(page)
    shot = tmp_path / "report.png"
    assert CHROMIUM is not None
    proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           "--hide-scrollbars", "--window-size=1400,1800", f"--screenshot={shot}", path.as_uri()],
                          capture_output=True, text=True, timeout=120, check=False, env={**os.environ, "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000


def _diagnose_page(lines: list[str]) -> str:
    from preflight import diagnosis
    from preflight.report.diagnoses import render

    doc = load_bundled("talk.snapshot.json")
    backend = next(w for w in doc["resources"]["services"] if w["name"] == "talk-be")
    doc["resources"]["deploy_evidence"] = [{
        "workload": backend["arn"], "name": "talk-be", "region": backend["region"], "platform": "apprunner",
        "calls": 2, "deployment": {"id": "op-1", "status": "FAILED", "started_at": "2026-11-20T08:00:00Z",
                                   "ended_at": "2026-11-20T08:10:00Z"},
        "evidence": [{"source": "/aws/apprunner/talk-be/x/service/events", "timestamp": "2026-11-20T08:05:00Z",
                      "text": t} for t in lines]}]
    doc["diagnose_window"] = {"since": "2026-11-19T09:00:00Z", "until": "2026-11-20T09:00:00Z"}
    result = engine.run(doc)
    return render(result, diagnosis.diagnose(result), "html")


def test_the_diagnose_page_is_valid_html_and_escapes_the_evidence() -> None:
    page = _diagnose_page(["Error: connect ETIMEDOUT 1.2.3.4:443", PAYLOAD, IMG_PAYLOAD])
    html5lib.HTMLParser(strict=True).parse(page)
    assert PAYLOAD not in page and IMG_PAYLOAD not in page and "<script" not in page
    assert "&lt;script&gt;" in page and "cause: network-timeout NET002 (confirmed)" in page
    assert page.count('<tr class="evidence">') == 3 and '<svg class="flow"' in page


@needs_browser
def test_in_chromium_a_script_in_a_log_line_never_runs(tmp_path: Path) -> None:
    path = tmp_path / "diagnose.html"
    path.write_text(_diagnose_page([PAYLOAD, IMG_PAYLOAD]))
    dom = _dom(path)
    assert "data-pwned" not in dom.split("<body", 1)[0]
    assert "pwned','script')" in dom
