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
fuzz_plans = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


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


PLANS = Path(__file__).resolve().parents[1] / "plans"
TEMPLATE = (PLANS / "talk-template.yaml").read_text()
TF_PLAN = (PLANS / "talk-plan.json").read_text()
ECS_TEMPLATE = (PLANS / "ecs-template.yaml").read_text()
ECS_PLAN = (PLANS / "ecs-plan.json").read_text()
INTRINSICS = ["!Join [x]", "!Join x", "!Select [a, b]", "!Select 3", "!Split [1]", "!Sub []", "!Sub [a]",
              "!GetAtt", "!Ref [1, 2]", "!If [c]", "{Fn::Join: 5}", "[!Ref Igw, {Fn::Select: [9, [1]]}]"]


def _plan_never_crashes(tmp_path: Path, text: str, name: str) -> None:
    from preflight.collect.plans import load_plan_file

    path = tmp_path / name
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    with contextlib.suppress(InputError):
        load_plan_file(str(path), {}, "ap-northeast-1", "123456789012")


@fuzz_plans
@given(st.integers(min_value=0, max_value=len(TEMPLATE)), st.sampled_from(INTRINSICS))
def test_template_loader_never_crashes(tmp_path: Path, n: int, intrinsic: str) -> None:
    # a truncated template, and the same template with a malformed intrinsic in a decisive spot
    _plan_never_crashes(tmp_path, TEMPLATE[:n], "t.yaml")
    _plan_never_crashes(tmp_path, TEMPLATE.replace("!Ref PublicSubnetA]", f"{intrinsic}]", 1), "t.yaml")


@fuzz_plans
@given(st.integers(min_value=0, max_value=len(TF_PLAN)), st.sampled_from(["5", '"x"', "[]", "null", '{"a": 1}']))
def test_terraform_loader_never_crashes(tmp_path: Path, n: int, junk_value: str) -> None:
    _plan_never_crashes(tmp_path, TF_PLAN[:n], "p.json")
    for key in ('"values": {', '"route": [', '"source_configuration": [', '"resources": ['):
        _plan_never_crashes(tmp_path, TF_PLAN.replace(key, f'"{key.split(chr(34))[1]}": {junk_value}, "_x": {key[-1]}', 1),
                            "p.json")


@fuzz_plans
@given(st.integers(min_value=0, max_value=len(ECS_TEMPLATE)), st.sampled_from(INTRINSICS))
def test_ecs_template_loader_never_crashes(tmp_path: Path, n: int, intrinsic: str) -> None:
    _plan_never_crashes(tmp_path, ECS_TEMPLATE[:n], "t.yaml")
    for spot in ("!Ref PrivateSubnetA]", "!Ref BackendTask", "!GetAtt ExecutionRole.Arn"):
        _plan_never_crashes(tmp_path, ECS_TEMPLATE.replace(spot, intrinsic + ("]" if spot.endswith("]") else ""), 1),
                            "t.yaml")


@fuzz_plans
@given(st.integers(min_value=0, max_value=len(ECS_PLAN)), st.sampled_from(["5", '"x"', "[]", "null", '{"a": 1}',
                                                                          '"[1, 2]"', '"{}"']))
def test_ecs_terraform_loader_never_crashes(tmp_path: Path, n: int, junk_value: str) -> None:
    _plan_never_crashes(tmp_path, ECS_PLAN[:n], "p.json")
    doc = json.loads(ECS_PLAN)
    for r in doc["planned_values"]["root_module"]["resources"]:
        for key in ("container_definitions", "network_configuration", "task_definition", "route_table_ids"):
            if key in r["values"] or r["type"].startswith("aws_ecs"):
                changed = json.loads(json.dumps(doc))
                target = next(x for x in changed["planned_values"]["root_module"]["resources"]
                              if x["address"] == r["address"])
                target["values"][key] = json.loads(junk_value)
                _plan_never_crashes(tmp_path, json.dumps(changed), "p.json")


def test_cli_input_with_wrong_shapes_never_crashes(tmp_path: Path) -> None:
    for doc in ({"ServiceName": "x", "SourceConfiguration": "nope"}, {"VpcConnectorName": 3, "Subnets": "a"},
                {"ServiceName": "x", "SourceConfiguration": {"ImageRepository": []}}):
        _plan_never_crashes(tmp_path, json.dumps(doc), "c.json")
