"""Golden reports of the demo account; regenerate with `pytest --update-golden`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from preflight import engine
from preflight.report import FORMATS
from preflight.snapshot import load_bundled, load_schema

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_demo_report_matches_golden(fmt: str, update_golden: bool) -> None:
    result = engine.run(load_bundled("talk.snapshot.json"))
    text = FORMATS[fmt](result, False)
    path = GOLDEN / f"demo.{fmt}"
    if update_golden:
        path.write_text(text)
    assert text == path.read_text(), f"{path} differs; rerun with --update-golden if intended"


def test_json_report_validates_and_keeps_fingerprints_stable() -> None:
    doc = json.loads(FORMATS["json"](engine.run(load_bundled("talk.snapshot.json")), False))
    jsonschema.validate(doc, load_schema("report.schema.json"))
    again = json.loads(FORMATS["json"](engine.run(load_bundled("talk.snapshot.json")), False))
    assert [f["fingerprint"] for f in doc["findings"]] == [f["fingerprint"] for f in again["findings"]]
    assert len({f["fingerprint"] for f in doc["findings"]}) == len(doc["findings"])


def test_text_report_fits_80_columns_except_commands() -> None:
    text = FORMATS["text"](engine.run(load_bundled("talk.snapshot.json")), False)
    long = [line for line in text.splitlines() if len(line) > 80 and not line.startswith("    $ ")]
    assert long == []


def test_color_codes_only_when_asked() -> None:
    result = engine.run(load_bundled("talk.snapshot.json"))
    assert "\x1b[" in FORMATS["text"](result, True)
    assert "\x1b[" not in FORMATS["text"](result, False)


def test_crashed_rule_is_reported_and_others_still_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from preflight import registry

    real = registry.checks()
    baseline = {f.rule for f in engine.run(load_bundled("talk.snapshot.json")).findings}

    def boom(_: object) -> object:
        raise KeyError("vpc")

    monkeypatch.setattr(registry, "checks", lambda: {**real, "NET003": boom})
    monkeypatch.setattr(engine, "checks", lambda: {**real, "NET003": boom})
    result = engine.run(load_bundled("talk.snapshot.json"))
    assert set(result.crashed) == {"NET003"}
    assert "NET003" in baseline and len(baseline) > 3
    assert {f.rule for f in result.findings} == baseline - {"NET003"}
    assert result.exit_code(None) == 3
    doc = json.loads(FORMATS["json"](result, False))
    assert doc["scan"]["crashed_rules"] == [{"rule": "NET003", "error": "KeyError: 'vpc'"}]
    assert "Crashed rules" in FORMATS["text"](result, False)
