"""The source reader finds the directory that really holds the app: where the build commands go
(npm --prefix, yarn --cwd, pnpm -C, cd, a named workspace), where the Dockerfile builds, or the one
workspace package using Next.js; and it reports a `cd` into a directory App Runner will not find.

App Runner runs the build and run commands in the source directory, the one holding apprunner.yaml
(https://docs.aws.amazon.com/apprunner/latest/dg/config-file.html); npm's --prefix, yarn's --cwd
and pnpm's -C run a command in another directory; npm workspaces are listed in package.json
(https://docs.npmjs.com/cli/using-npm/workspaces), pnpm's in pnpm-workspace.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from preflight.collect.source import read_source
from tests.checks.test_build import GITIGNORE, app, lock, next_pkg, scan

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

# Next.js 16 needs Node >= 20.9; nodejs18 cannot build it (BLD002)
NODE18 = """\
    version: 1.0
    runtime: nodejs18
    build:
      commands:
        build:
{build}
    run:
      command: {run}
      network:
        port: 3000
"""


def _config(build: list[str], run: str = "npm start") -> str:
    return NODE18.format(build="\n".join(f"          - {c}" for c in build), run=run)


LAYOUTS = [
    ("npm --prefix", ["npm ci --prefix web", "npm run build --prefix web"], "web"),
    ("npm --prefix=", ["npm ci --prefix=web", "npm run build --prefix=web"], "web"),
    ("yarn --cwd", ["yarn --cwd web install", "yarn --cwd web build"], "web"),
    ("pnpm -C", ["pnpm -C web install", "pnpm -C web build"], "web"),
    ("cd &&", ["cd web && npm ci && npm run build"], "web"),
    ("cd into a nested dir", ["cd apps/web && npm ci && npm run build"], "apps/web"),
]


@pytest.mark.parametrize(("label", "build", "where"), LAYOUTS, ids=[x[0] for x in LAYOUTS])
def test_the_build_commands_lead_to_the_app(tmp_path: Path, label: str, build: list[str], where: str) -> None:
    root = app(tmp_path, "repo", {"apprunner.yaml": _config(build), "package.json": {"name": "infra"},
                                  f"{where}/package.json": next_pkg("16.0.0"), f"{where}/.gitignore": GITIGNORE})
    [src] = read_source(str(root))
    assert src["project_dir"] == where and src["package"]["file"] == f"{where}/package.json"
    assert "BLD002" in {f.rule for f in scan(root).findings}, label


def test_an_app_where_apprunner_yaml_is_stays_there(tmp_path: Path) -> None:
    root = app(tmp_path, "repo", {"apprunner.yaml": _config(["npm ci", "npm run build"]),
                                  "package.json": next_pkg("16.0.0"), "web/package.json": next_pkg("13.0.0")})
    [src] = read_source(str(root))
    assert src["project_dir"] is None and src["package"]["file"] == "package.json"


def test_a_prefix_outside_the_scanned_tree_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "package.json").write_text('{"dependencies": {"next": "16.0.0"}}')
    root = app(tmp_path, "repo", {"apprunner.yaml": _config(["npm run build --prefix ../outside"]),
                                  "package.json": next_pkg("14.2.3")})
    [src] = read_source(str(root))
    assert src["project_dir"] is None


WORKSPACES = [
    ("npm workspaces", {"package.json": {"name": "mono", "workspaces": ["packages/*"]}}),
    ("yarn workspaces object", {"package.json": {"name": "mono", "workspaces": {"packages": ["packages/*"]}}}),
    ("pnpm-workspace.yaml", {"package.json": {"name": "mono"}, "pnpm-workspace.yaml": "packages:\n  - 'packages/*'\n"}),
]


@pytest.mark.parametrize(("label", "files"), WORKSPACES, ids=[w[0] for w in WORKSPACES])
def test_the_one_workspace_package_using_next_is_the_app(tmp_path: Path, label: str, files: dict) -> None:
    root = app(tmp_path, "repo", {**files, "apprunner.yaml": _config(["npm ci", "npm run build -w web"]),
                                  "packages/web/package.json": {**next_pkg("~15.0.0"), "name": "web"},
                                  "packages/api/package.json": {"name": "api", "dependencies": {"express": "^4"}},
                                  "package-lock.json": lock("16.0.1")})
    [src] = read_source(str(root))
    assert src["project_dir"] == "packages/web"
    # the workspace's one lock file, at its top, pins the version npm will install
    assert src["package"]["next"]["version"] == "16.0.1"


def test_a_named_workspace_wins_over_a_guess(tmp_path: Path) -> None:
    root = app(tmp_path, "repo", {"package.json": {"workspaces": ["apps/*"]},
                                  "apprunner.yaml": _config(["npm ci", "npm run build --workspace=admin"]),
                                  "apps/site/package.json": {**next_pkg("13.0.0"), "name": "site"},
                                  "apps/admin/package.json": {**next_pkg("16.0.0"), "name": "admin"}})
    [src] = read_source(str(root))
    assert src["project_dir"] == "apps/admin"


def test_two_next_workspaces_and_no_name_stay_at_the_root(tmp_path: Path) -> None:
    root = app(tmp_path, "repo", {"package.json": {"workspaces": ["apps/*"]},
                                  "apprunner.yaml": _config(["npm ci", "npm run build"]),
                                  "apps/a/package.json": next_pkg("13.0.0"), "apps/b/package.json": next_pkg("16.0.0")})
    [src] = read_source(str(root))
    assert src["project_dir"] is None  # preflight does not pick one of two


def test_the_dockerfile_says_where_the_app_is(tmp_path: Path) -> None:
    root = app(tmp_path, "repo", {"Dockerfile": "FROM node:18 AS build\nWORKDIR /usr/src/app\nCOPY web /usr/src/app\n"
                                                "RUN npm ci\nRUN npm run build\n",
                                  "package.json": {"name": "cdk", "dependencies": {"aws-cdk-lib": "^2"}},
                                  "web/package.json": next_pkg("14.2.3"), "web/next.config.js":
                                  "module.exports = { output: 'standalone' }\n"})
    [src] = read_source(str(root))
    assert src["project_dir"] == "web" and src["next_config"]["standalone"] is True
    assert "Dockerfile" in src["project_reason"]


@pytest.mark.skipif(not (CORPUS / "modoodalvi__nextjs-apprunner").is_dir(), reason="../shared/corpus is not here")
def test_the_corpus_app_built_with_prefix_gets_its_next_findings() -> None:
    rules = {f.rule for f in scan(CORPUS / "modoodalvi__nextjs-apprunner").findings}
    assert {"BLD001", "BLD008"} <= rules


# --- a cd App Runner will not find -------------------------------------------------------------

CD = [
    ("cd into the directory it already lives in", "frontend", ["cd frontend", "npm ci"], True),
    ("cd && into it", "frontend", ["cd frontend && npm ci"], True),
    ("a directory that exists", "repo", ["cd web && npm ci"], False),
    ("made by an earlier command", "repo", ["wget https://x/proj.tar.gz", "tar xf proj.tar.gz", "cd proj && make"],
     False),
    ("made in the same line", "repo", ["mkdir out && cd out && touch x"], False),
    ("a variable", "repo", ["cd $APP_DIR && npm ci"], False),
    ("an absolute path", "repo", ["cd /tmp && ls"], False),
]


@pytest.mark.parametrize(("label", "where", "build", "reported"), CD, ids=[c[0] for c in CD])
def test_a_cd_into_nothing_is_bld004(tmp_path: Path, label: str, where: str, build: list[str],
                                     reported: bool) -> None:
    root = tmp_path / "repo"
    app(root, where if where != "repo" else ".", {"apprunner.yaml": _config(build), "package.json": next_pkg("14.2.3"),
                                                  "web/package.json": {"name": "web"}})
    hits = [f for f in scan(root).findings if f.rule == "BLD004"]
    assert bool(hits) == reported, (label, [f.message for f in hits])
    if reported:
        assert "already inside frontend/" in hits[0].message
