"""Fixtures for BLD001-BLD010 and SEC002 on apprunner.yaml: small applications written here,
modelled on the patterns of the public repositories in ../shared/corpus (not copied)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from preflight import engine
from preflight.collect.source import read_source
from preflight.findings import Severity
from preflight.snapshot import source_only
from tests.builders import fired


def app(root: Path, name: str, files: dict[str, str | dict[str, object]]) -> Path:
    d = root / name
    for rel, content in files.items():
        path = d / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content) if isinstance(content, dict) else textwrap.dedent(content))
    return d


def scan(*dirs: Path, rules: tuple[str, ...] = ()) -> engine.RunResult:
    apps = [a for d in dirs for a in read_source(str(d))]
    doc = source_only(apps)
    doc["collected_at"] = "2026-11-27T00:00:00Z"
    return engine.run(doc, rules or None)


NODE16_NEXT_BUILD = """\
    version: 1.0
    runtime: nodejs16
    build:
      commands:
        build:
          - npm ci
          - npm run build
    run:
      command: npm start
      network:
        port: 3000
"""
GITIGNORE = "node_modules\n/.next/\n"


def next_pkg(version: str, engines: str | None = None) -> dict[str, object]:
    pkg: dict[str, object] = {"name": "fe", "scripts": {"build": "next build", "start": "next start"},
                              "dependencies": {"next": version, "react": "^18"}}
    if engines:
        pkg["engines"] = {"node": engines}
    return pkg


def lock(version: str) -> dict[str, object]:
    return {"lockfileVersion": 3, "packages": {"": {}, "node_modules/next": {"version": version}}}


# --- the talk's frontend: Next 13 -> 14 on nodejs16 ---------------------------------------------

def test_talk_frontend_moved_to_next14_on_nodejs16(tmp_path: Path) -> None:
    before = app(tmp_path, "fe13", {"apprunner.yaml": NODE16_NEXT_BUILD, "package.json": next_pkg("13.5.6"),
                                    "package-lock.json": lock("13.5.6"), ".gitignore": GITIGNORE})
    after = app(tmp_path, "fe14", {"apprunner.yaml": NODE16_NEXT_BUILD, "package.json": next_pkg("^14.0.3"),
                                   "package-lock.json": lock("14.0.3"), ".gitignore": GITIGNORE})
    result = scan(before, after)
    assert fired(result, "BLD002") == {"fe14"}
    assert fired(result, "BLD001") == {"fe13", "fe14"}  # no rm -rf .next on the double build
    assert fired(result, "BLD003") == {"fe13", "fe14"}
    f = next(f for f in result.findings if f.rule == "BLD002")
    assert "Next.js 14.0.3 requires Node >=18.17.0" in f.message and "Node 16.20.2" in f.message
    assert f.fix.commands == ("runtime: nodejs22   # apprunner.yaml; remove or raise run.runtime-version",)
    assert str(f.location) == "fe14/apprunner.yaml:2:1"


# --- BLD001 ----------------------------------------------------------------------------------

def test_bld001_clean_build_passes_and_revised_runtime_passes(tmp_path: Path) -> None:
    clean = NODE16_NEXT_BUILD.replace("          - npm ci\n", "          - rm -rf .next\n          - npm ci\n")
    a = app(tmp_path, "clean", {"apprunner.yaml": clean, "package.json": next_pkg("13.5.6"), ".gitignore": GITIGNORE})
    b = app(tmp_path, "revised", {"apprunner.yaml": NODE16_NEXT_BUILD.replace("nodejs16", "nodejs22"),
                                  "package.json": next_pkg("15.0.0"), ".gitignore": GITIGNORE})
    c = app(tmp_path, "express", {"apprunner.yaml": NODE16_NEXT_BUILD, "package.json": {"dependencies": {"express": "4"}}})
    assert fired(scan(a, b, c, rules=("BLD001",)), "BLD001") == set()


def test_bld001_not_ignored_next(tmp_path: Path) -> None:
    clean = NODE16_NEXT_BUILD.replace("          - npm ci\n", "          - rm -rf .next\n          - npm ci\n")
    a = app(tmp_path, "noignore", {"apprunner.yaml": clean, "package.json": next_pkg("13.5.6"),
                                   ".gitignore": "node_modules\n"})
    result = scan(a, rules=("BLD001",))
    assert fired(result, "BLD001") == {"noignore"} and ".gitignore does not ignore .next" in result.findings[0].message


# --- BLD002 ----------------------------------------------------------------------------------

def test_bld002_engines_and_pinned_versions(tmp_path: Path) -> None:
    pinned = NODE16_NEXT_BUILD.replace("nodejs16", "nodejs18").replace(
        "    command: npm start", "    runtime-version: 18.16.0\n      command: npm start")
    a = app(tmp_path, "pinned", {"apprunner.yaml": pinned, "package.json": next_pkg("14.2.3")})
    b = app(tmp_path, "engines", {"apprunner.yaml": NODE16_NEXT_BUILD.replace("nodejs16", "nodejs18"),
                                  "package.json": next_pkg("14.2.3", engines=">=20")})
    c = app(tmp_path, "next16", {"apprunner.yaml": NODE16_NEXT_BUILD.replace("nodejs16", "nodejs18"),
                                 "package.json": next_pkg("latest")})
    assert fired(scan(a, b, c, rules=("BLD002",)), "BLD002") == {"pinned", "engines", "next16"}


def test_bld002_satisfied_ranges_pass(tmp_path: Path) -> None:
    a = app(tmp_path, "ok18", {"apprunner.yaml": NODE16_NEXT_BUILD.replace("nodejs16", "nodejs18"),
                               "package.json": next_pkg("^15.1.0")})
    b = app(tmp_path, "ok22", {"apprunner.yaml": NODE16_NEXT_BUILD.replace("nodejs16", "nodejs22"),
                               "package.json": next_pkg("^16.0.0", engines=">=20.9")})
    c = app(tmp_path, "py", {"apprunner.yaml": "version: 1.0\nruntime: python311\nbuild:\n  commands:\n    build: [pip install -r r.txt]\nrun:\n  command: python app.py\n"})
    assert fired(scan(a, b, c, rules=("BLD002",)), "BLD002") == set()


# --- BLD003 ----------------------------------------------------------------------------------

def test_bld003_eos_and_current_runtimes(tmp_path: Path) -> None:
    old = app(tmp_path, "old", {"apprunner.yaml": NODE16_NEXT_BUILD})
    new = app(tmp_path, "new", {"apprunner.yaml": NODE16_NEXT_BUILD.replace("nodejs16", "nodejs22")})
    corretto = app(tmp_path, "java", {"apprunner.yaml": NODE16_NEXT_BUILD.replace("nodejs16", "corretto11")})
    result = scan(old, new, corretto, rules=("BLD003",))
    assert fired(result, "BLD003") == {"old"}
    assert result.findings[0].severity == Severity.MEDIUM


def test_bld003_live_service_on_an_eos_runtime() -> None:
    from tests.builders import Snap

    s = Snap()
    s.service("api")
    s.res["services"][0]["source"].update(type="code", runtime="NODEJS_16")
    s.service("new")
    s.res["services"][1]["source"].update(type="code", runtime="NODEJS_22")
    doc = s.doc()
    doc["collected_at"] = "2026-11-27T00:00:00Z"
    assert fired(engine.run(doc, ("BLD003",)), "BLD003") == {"api"}


def test_bld003_current_runtimes_pass(tmp_path: Path) -> None:
    new = app(tmp_path, "new", {"apprunner.yaml": NODE16_NEXT_BUILD.replace("nodejs16", "python311")})
    assert fired(scan(new, rules=("BLD003",)), "BLD003") == set()


# --- BLD004 ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "expected"), [
    ("version: 1.0\nruntime: docker\nbuild:\n  commands:\n    build: [x]\nrun:\n  command: x\n",
     "line 2: unknown runtime 'docker': App Runner builds source code on managed runtimes only"),
    ("version: 1.0\nruntime: nodejs20\nbuild:\n  commands:\n    build: [x]\nrun:\n  command: x\n",
     "use nodejs22"),
    ("version: 1.0\nruntime: python3.11\nbuild:\n  commands:\n    build: [x]\nrun:\n  command: x\n",
     "write python311"),
    ("version: 1.0\nruntime: nodejs18\nbuild:\n  commands:\n    - npm ci\nrun:\n  command: x\n",
     "line 4: build/commands: ['npm ci'] is not of type 'object'"),
    ("version: 1.0\nruntime: nodejs18\nbuild:\n  commands:\n    build: [x]\nrun:\n  command: x\n  healthCheck: /h\n",
     "line 8: unknown key healthCheck in run"),
    ("version: 1.0\nruntime: nodejs18\nbuild:\n  commands:\n    build: [x]\n  run:\n    command: x\n",
     "(top level) is missing 'run'"),
    ("version: 1.0\nruntime: nodejs18\nbuild: [unclosed\n", "YAML syntax"),
    ("version: 1.0\nruntime: python311\nbuild:\n  commands:\n    build: [x]\nrun:\n  runtime-version: 3.10\n  command: x\n",
     "quote it ('3.10')"),
    ("version: 1.0\nruntime: nodejs18\nbuild:\n  commands:\n    build: [x]\nrun:\n  command: x\n  secrets:\n    - name: A\n      value_from: arn\n",
     "unknown key value_from"),
    ("version: 1.0\nversion: 1.0\nruntime: nodejs18\nbuild:\n  commands:\n    build: [x]\nrun:\n  command: x\n",
     "line 2: duplicate key 'version'"),
])
def test_bld004_errors_with_lines(tmp_path: Path, content: str, expected: str) -> None:
    a = app(tmp_path, "bad", {"apprunner.yaml": content})
    result = scan(a, rules=("BLD004",))
    assert fired(result, "BLD004") == {"bad/apprunner.yaml"}
    assert expected in result.findings[0].message, result.findings[0].message


def test_bld004_valid_file_passes(tmp_path: Path) -> None:
    a = app(tmp_path, "good", {"apprunner.yaml": NODE16_NEXT_BUILD.replace("nodejs16", "nodejs22")})
    assert fired(scan(a, rules=("BLD004",)), "BLD004") == set()


# --- BLD005 ----------------------------------------------------------------------------------

def test_bld005_hard_coded_ports(tmp_path: Path) -> None:
    a = app(tmp_path, "nextp", {"apprunner.yaml": NODE16_NEXT_BUILD.replace("    network:\n        port: 3000\n", "").replace(
        "command: npm start", "command: npx next start -p 3000")})
    b = app(tmp_path, "uvicorn", {"apprunner.yaml": "version: 1.0\nruntime: python311\nbuild:\n  commands:\n    build: [x]\n"
                                  "run:\n  command: uvicorn main:app --host 0.0.0.0 --port 8000\n  network:\n    port: 8080\n"})
    c = app(tmp_path, "docker", {"Dockerfile": "FROM node:22\nEXPOSE 3000\nCMD node server.js\n"})
    result = scan(a, b, c, rules=("BLD005",))
    assert fired(result, "BLD005") == {"nextp", "uvicorn", "docker"}


def test_bld005_matching_or_env_ports_pass(tmp_path: Path) -> None:
    a = app(tmp_path, "match", {"apprunner.yaml": NODE16_NEXT_BUILD.replace("command: npm start", "command: npx next start -p 3000")})
    b = app(tmp_path, "envport", {"apprunner.yaml": NODE16_NEXT_BUILD})
    c = app(tmp_path, "docker8080", {"Dockerfile": "FROM python:3.12\nEXPOSE 8080\n"})
    assert fired(scan(a, b, c, rules=("BLD005",)), "BLD005") == set()


# --- BLD006 / BLD007 / BLD008 / BLD010 / SEC002 ----------------------------------------------

def test_bld006_yml_without_yaml(tmp_path: Path) -> None:
    a = app(tmp_path, "yml", {"apprunner.yml": NODE16_NEXT_BUILD})
    b = app(tmp_path, "both", {"apprunner.yml": NODE16_NEXT_BUILD, "apprunner.yaml": NODE16_NEXT_BUILD})
    assert fired(scan(a, b, rules=("BLD006",)), "BLD006") == {"yml"}


def test_bld006_yaml_passes(tmp_path: Path) -> None:
    assert fired(scan(app(tmp_path, "y", {"apprunner.yaml": NODE16_NEXT_BUILD}), rules=("BLD006",)), "BLD006") == set()


PRERUN = "version: 1.0\nruntime: {rt}\nbuild:\n  commands:\n    build: [x]\nrun:\n  pre-run:\n    - pip3 install -r r.txt\n  command: python3 app.py\n"


def test_bld007_prerun_on_original_build(tmp_path: Path) -> None:
    a = app(tmp_path, "py3", {"apprunner.yaml": PRERUN.format(rt="python3")})
    b = app(tmp_path, "py311", {"apprunner.yaml": PRERUN.format(rt="python311")})
    assert fired(scan(a, b, rules=("BLD007",)), "BLD007") == {"py3"}


def test_bld007_no_prerun_passes(tmp_path: Path) -> None:
    assert fired(scan(app(tmp_path, "x", {"apprunner.yaml": NODE16_NEXT_BUILD}), rules=("BLD007",)), "BLD007") == set()


STANDALONE = "version: 1.0\nruntime: nodejs22\nbuild:\n  commands:\n    build: [npm run build]\nrun:\n  command: node .next/standalone/server.js\n"


def test_bld008_standalone_without_hostname(tmp_path: Path) -> None:
    a = app(tmp_path, "sa", {"apprunner.yaml": STANDALONE, "package.json": next_pkg("15.1.0"),
                             "next.config.mjs": "export default { output: 'standalone' }\n"})
    assert fired(scan(a, rules=("BLD008",)), "BLD008") == {"sa"}


def test_bld008_hostname_set_or_not_standalone_passes(tmp_path: Path) -> None:
    a = app(tmp_path, "host", {"apprunner.yaml": STANDALONE + "  env:\n    - name: HOSTNAME\n      value: 0.0.0.0\n",
                               "next.config.js": "module.exports = { output: 'standalone' }"})
    b = app(tmp_path, "commented", {"apprunner.yaml": STANDALONE,
                                    "next.config.js": "module.exports = { /* output: 'standalone' */ }"})
    assert fired(scan(a, b, rules=("BLD008",)), "BLD008") == set()


ENV = "version: 1.0\nruntime: nodejs22\nbuild:\n  commands:\n    build: [x]\nrun:\n  command: x\n  env:\n{items}"


def test_bld010_and_sec002_on_run_env(tmp_path: Path) -> None:
    items = ("    - name: PORT\n      value: 3000\n    - name: AWSAPPRUNNER_X\n      value: y\n"
             "    - name: JWT_SECRET\n      value: hunter2-not-shown\n    - name: DATABASE_URL\n      value: postgres://u:pw@h/db\n"
             "    - name: NODE_ENV\n      value: production\n")
    a = app(tmp_path, "env", {"apprunner.yaml": ENV.format(items=items)})
    result = scan(a, rules=("BLD010", "SEC002"))
    assert fired(result, "BLD010") == {"env/PORT", "env/AWSAPPRUNNER_X"}
    assert fired(result, "SEC002") == {"env/JWT_SECRET", "env/DATABASE_URL"}
    assert "hunter2" not in json.dumps([f.message for f in result.findings])
    assert {str(f.location) for f in result.findings if f.rule == "SEC002"} == {"env/apprunner.yaml:13", "env/apprunner.yaml:15"}


def test_bld010_clean_env_passes(tmp_path: Path) -> None:
    a = app(tmp_path, "env", {"apprunner.yaml": ENV.format(items="    - name: NODE_ENV\n      value: production\n")})
    assert fired(scan(a, rules=("BLD010",)), "BLD010") == set()


# --- BLD009 ----------------------------------------------------------------------------------

def test_bld009_source_and_mutable_images() -> None:
    from tests.builders import Snap

    s = Snap()
    s.service("latest", image="public.ecr.aws/x/y:latest")
    s.service("untagged", image="public.ecr.aws/x/y")
    s.service("pinned", image="public.ecr.aws/x/y:1.2.3")
    s.service("digest", image="public.ecr.aws/x/y@sha256:" + "a" * 64)
    result = engine.run(s.doc(), ("BLD009",))
    assert fired(result, "BLD009") == {"latest", "untagged"}


def test_bld009_pinned_images_pass() -> None:
    from tests.builders import Snap

    s = Snap()
    s.service("pinned", image="public.ecr.aws/x/y:1.2.3")
    assert fired(engine.run(s.doc(), ("BLD009",)), "BLD009") == set()


def test_a_cloudformation_template_named_apprunner_yaml_is_not_a_config(tmp_path: Path) -> None:
    a = app(tmp_path, "infra", {"apprunner.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
                                                  "  Svc:\n    Type: AWS::AppRunner::Service\n    Properties:\n"
                                                  "      ServiceName: !Ref Name\n"})
    assert fired(scan(a, rules=("BLD004",)), "BLD004") == set()


# --- BLD011 dockerfile-arm64-platform ---------------------------------------------------------------
# https://docs.docker.com/reference/dockerfile/#from (--platform fixes the stage's platform)

@pytest.mark.parametrize(("dockerfile", "fires"), [
    ("FROM --platform=linux/arm64 node:22\nCMD node x\n", True),
    ("FROM --platform=linux/aarch64 node:22 AS run\n", True),
    ("FROM --platform=linux/arm64 node:22 AS build\nRUN x\nFROM node:22-slim\nCOPY --from=build /a /a\n", False),
    ("FROM node:22\nRUN x\nFROM --platform=linux/arm64/v8 node:22-slim\n", True),
    ("FROM --platform=$BUILDPLATFORM node:22 AS build\nFROM --platform=$TARGETPLATFORM node:22-slim\n", False),
    ("FROM --platform=linux/amd64 node:22\n", False),
    ("FROM node:22\n", False),
])
def test_bld011_the_final_stage_platform(tmp_path: Path, dockerfile: str, fires: bool) -> None:
    a = app(tmp_path, "svc", {"Dockerfile": dockerfile, "package.json": {"name": "svc"}})
    assert fired(scan(a, rules=("BLD011",)), "BLD011") == ({"svc"} if fires else set())


def test_bld011_points_at_the_from_line(tmp_path: Path) -> None:
    a = app(tmp_path, "svc", {"Dockerfile": "FROM node:22 AS b\nRUN x\nFROM --platform=linux/arm64 node:22\n"})
    result = scan(a, rules=("BLD011",))
    assert fired(result, "BLD011") == {"svc"}
    assert str(result.findings[0].location) == "svc/Dockerfile:3"


def test_bld011_no_dockerfile_passes(tmp_path: Path) -> None:
    a = app(tmp_path, "svc", {"package.json": {"name": "svc"}})
    assert fired(scan(a, rules=("BLD011",)), "BLD011") == set()
