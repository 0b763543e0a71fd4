"""Every loader of user input, fed random and truncated input: one InputError (or a finding),
never a traceback."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preflight.collect.source import read_source
from preflight.config import load_config, read_baseline
from preflight.errors import InputError
from preflight.snapshot import load, load_bundled
from preflight.yamlpos import YamlError
from preflight.yamlpos import load as load_yaml

DEMO = json.dumps(load_bundled("talk.snapshot.json"))
VALID_YAML = ("version: 1.0\nruntime: nodejs22\nbuild:\n  commands:\n    build:\n      - npm ci\n"
              "run:\n  command: node server.js\n  network:\n    port: 8080\n")
junk = st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
cut = st.integers(min_value=0, max_value=len(DEMO))
fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@fuzz
@given(junk)
def test_snapshot_loader_never_crashes(tmp_path: Path, text: str) -> None:
    path = tmp_path / "s.json"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    with contextlib.suppress(InputError):
        load(str(path))


@fuzz
@given(cut)
def test_truncated_snapshot_is_an_input_error(tmp_path: Path, n: int) -> None:
    path = tmp_path / "s.json"
    path.write_text(DEMO[:n])
    try:
        load(str(path))
    except InputError as e:
        assert str(path) in str(e)
    else:
        assert n == len(DEMO)


@fuzz
@given(junk)
def test_config_and_baseline_loaders_never_crash(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    for loader in (load_config, read_baseline):
        with contextlib.suppress(InputError):
            loader(str(path))


@fuzz
@given(st.integers(min_value=0, max_value=len(VALID_YAML)), junk)
def test_apprunner_yaml_and_package_json_become_records(tmp_path: Path, n: int, extra: str) -> None:
    app = tmp_path / "app"
    app.mkdir(exist_ok=True)
    (app / "apprunner.yaml").write_text(VALID_YAML[:n] + extra, encoding="utf-8", errors="surrogateescape")
    (app / "package.json").write_text('{"dependencies": {"next": "' + extra[:20] + '"}}'[: n + 5],
                                      encoding="utf-8", errors="surrogateescape")
    records = read_source(str(app))
    assert len(records) == 1 and records[0]["config"] is not None


@fuzz
@given(junk)
def test_yaml_reader_raises_only_yaml_errors(text: str) -> None:
    with contextlib.suppress(YamlError):
        load_yaml(text)
