"""Golden reports of the demo account; regenerate with `pytest --update-golden`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from preflight import engine
from preflight.report import Options, formats
from preflight.snapshot import load_bundled, load_schema

FORMATS = formats()

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_demo_report_matches_golden(fmt: str, update_golden: bool) -> None:
    result = engine.run(load_bundled("talk.snapshot.json"))
    text = FORMATS[fmt](result, Options())
    path = GOLDEN / f"demo.{fmt}"
    if update_golden:
        path.write_text(text)
    assert text == path.read_text(), f"{path} differs; rerun with --update-golden if intended"


def test_json_report_validates_and_keeps_fingerprints_stable() -> None:
    doc = json.loads(FORMATS["json"](engine.run(load_bundled("talk.snapshot.json")), Options()))
    jsonschema.validate(doc, load_schema("report.schema.json"))
    again = json.loads(FORMATS["json"](engine.run(load_bundled("talk.snapshot.json")), Options()))
    assert [f["fingerprint"] for f in doc["findings"]] == [f["fingerprint"] for f in again["findings"]]
    assert len({f["fingerprint"] for f in doc["findings"]}) == len(doc["findings"])


def test_text_report_fits_80_columns_except_commands() -> None:
    text = FORMATS["text"](engine.run(load_bundled("talk.snapshot.json")), Options())
    long = [line for line in text.splitlines() if len(line) > 80 and not line.startswith("    $ ")]
    assert long == []


def test_color_codes_only_when_asked() -> None:
    result = engine.run(load_bundled("talk.snapshot.json"))
    assert "\x1b[" in FORMATS["text"](result, Options(color=True))
    assert "\x1b[" not in FORMATS["text"](result, Options())


def test_crashed_rule_is_reported_and_others_still_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from preflight import rulepacks

    real = rulepacks.checks()
    baseline = {f.rule for f in engine.run(load_bundled("talk.snapshot.json")).findings}

    def boom(_: object) -> object:
        raise KeyError("vpc")

    monkeypatch.setattr(rulepacks, "checks", lambda: {**real, "NET003": boom})
    result = engine.run(load_bundled("talk.snapshot.json"))
    assert set(result.crashed) == {"NET003"}
    assert "NET003" in baseline and len(baseline) > 3
    assert {f.rule for f in result.findings} == baseline - {"NET003"}
    assert result.exit_code(None) == 3
    doc = json.loads(FORMATS["json"](result, Options()))
    assert doc["scan"]["crashed_rules"] == [{"rule": "NET003", "error": "KeyError: 'vpc'"}]
    assert "Crashed rules" in FORMATS["text"](result, Options())


SARIF_SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "sarif-schema-2.1.0.json"  # shipped, never skipped


def test_sarif_validates_against_the_official_schema() -> None:
    result = engine.run(load_bundled("talk.snapshot.json"))
    doc = json.loads(FORMATS["sarif"](result, Options(artifact="infra/.preflight.yaml")))
    jsonschema.Draft7Validator(json.loads(SARIF_SCHEMA.read_text())).validate(doc)
    run = doc["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == set(result.selected)
    assert len(run["results"]) == len(result.findings)
    first = run["results"][0]
    assert first["partialFingerprints"]["preflightFingerprint/v1"] == result.findings[0].fingerprint
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "infra/.preflight.yaml"
    assert first["locations"][0]["logicalLocations"][0]["name"] == result.findings[0].resource.id
    severities = {r["id"]: r["properties"]["security-severity"] for r in run["tool"]["driver"]["rules"]}
    assert severities["NET001"] == "9.5" and severities["NET013"] == "0.0"


def test_sarif_uses_the_declaring_file_and_line(tmp_path: Path) -> None:
    from preflight.collect.source import read_source
    from preflight.snapshot import source_only

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "apprunner.yaml").write_text("version: 1.0\nruntime: docker\n")
    result = engine.run(source_only(read_source(str(tmp_path / "app"))), ("BLD004",))
    doc = json.loads(FORMATS["sarif"](result, Options()))
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "app/apprunner.yaml" and loc["region"]["startLine"] == 1


def test_junit_parses_back_with_failures_at_the_threshold() -> None:
    import xml.etree.ElementTree as ET

    from preflight.findings import Severity

    result = engine.run(load_bundled("talk.snapshot.json"))
    for gate, expected in ((Severity.HIGH, 6), (Severity.CRITICAL, 2), (None, 0)):
        root = ET.fromstring(FORMATS["junit"](result, Options(fail_on=gate)))
        suite = root.find("testsuite")
        assert suite is not None
        assert int(root.get("failures", "-1")) == expected == len(suite.findall("testcase/failure"))
        # one case per finding, plus one per rule without findings
        fired_rules = {f.rule for f in result.findings}
        assert int(root.get("tests", "0")) == len(result.findings) + len(set(result.selected) - fired_rules)


def test_junit_marks_unevaluated_rules_skipped() -> None:
    import xml.etree.ElementTree as ET

    doc = load_bundled("talk.snapshot.json")
    doc["gaps"] = [{"region": "ap-northeast-2", "service": "rds", "operation": "DescribeDBInstances",
                    "iam_action": "rds:DescribeDBInstances", "error": "AccessDenied", "collections": ["db_instances"]}]
    root = ET.fromstring(FORMATS["junit"](engine.run(doc), Options()))
    skipped = {c.get("name", "").split()[0] for c in root.iter("testcase") if c.find("skipped") is not None}
    suite = root.find("testsuite")
    assert suite is not None and "NET012" in skipped and int(suite.get("skipped", "0")) == len(skipped)


def test_markdown_summary_says_what_failed() -> None:
    from preflight.findings import Severity

    text = FORMATS["markdown"](engine.run(load_bundled("talk.snapshot.json")), Options(fail_on=Severity.HIGH))
    assert text.startswith("## preflight") and "**fails**" in text
    assert "| 2 | 4 | 2 | 0 | 3 |" in text and "```sh" in text


def test_junit_uses_only_what_the_jenkins_schema_allows() -> None:
    """The attributes the Jenkins JUnit schema (the widely used jenkins-junit.xsd) declares for
    each element: an undeclared one (`skipped` on <testsuites>, as preflight wrote) fails it. The
    schema itself is not shipped here; its attribute sets are."""
    import xml.etree.ElementTree as ET

    from preflight import engine
    from preflight.report import Options, junit
    from preflight.snapshot import load_bundled

    allowed = {
        "testsuites": {"name", "time", "tests", "failures", "disabled", "errors"},
        "testsuite": {"name", "tests", "failures", "errors", "time", "disabled", "skipped", "timestamp",
                      "hostname", "id", "package", "file", "log", "url", "version"},
        "testcase": {"name", "assertions", "time", "classname", "status"},
        "skipped": {"message"}, "error": {"message", "type"}, "failure": {"message", "type"},
        "system-out": set(), "system-err": set(), "properties": set(), "property": {"name", "value"},
    }
    result = engine.run(load_bundled("talk.snapshot.json"))
    root = ET.fromstring(junit.render(result, Options()))
    for el in root.iter():
        assert el.tag in allowed, el.tag
        assert set(el.attrib) <= allowed[el.tag], (el.tag, set(el.attrib) - allowed[el.tag])
    assert "time" in root.attrib and "skipped" not in root.attrib


def test_sarif_tags_security_weaknesses_so_github_shows_their_severity() -> None:
    """GitHub code scanning reads properties.security-severity only for rules tagged `security`
    (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning)."""
    from preflight import engine
    from preflight.report import Options, sarif
    from preflight.snapshot import load_bundled

    doc = sarif.document(engine.run(load_bundled("talk.snapshot.json")), Options())
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    tagged = {rid for rid, r in rules.items() if "security" in r["properties"]["tags"]}
    assert tagged == sarif.SECURITY_RULES & set(rules)
    assert "NET012" in tagged and "NET004" not in tagged
