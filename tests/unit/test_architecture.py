"""The architecture holds: layers top to bottom with no arrow upwards, no import circle, no
check family reaching into another, no private name taken across modules, one name per module,
no test double in the package. The rules and the layers are in tests/architecture.py; the
planted trees below prove each rule fails when broken."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests import architecture as arch


def test_the_package_has_no_back_edge_circle_or_private_reach_in() -> None:
    assert arch.violations() == []


def test_every_module_is_in_a_layer() -> None:
    for module in arch.modules():
        arch.layer_of(module)  # raises for a module no layer names


def test_one_name_one_module() -> None:
    assert arch.repeated_names() == {}


def test_the_package_holds_no_test_double() -> None:
    """moto, the fakes and the world builders live in tests/doubles; nothing installed imports
    them (the wheel's own listing is checked by .ci/run)."""
    root = arch.ROOT / "preflight"
    assert not (root / "testing").exists()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if n.split(".")[0] in ("moto", "tests")], path


def test_docs_architecture_is_current(update_golden: bool) -> None:
    text = arch.DOC.read_text("utf-8")
    if update_golden:
        arch.DOC.write_text(arch.render_doc(text), "utf-8")
        text = arch.DOC.read_text("utf-8")
    assert arch.render_doc(text) == text, "docs/architecture.md is stale: run `python -m tests.architecture`"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    base = {"preflight/__init__.py": "", "preflight/graph.py": "", "preflight/findings.py": "",
            "preflight/registry.py": "", "preflight/engine.py": "", "preflight/checks/__init__.py": "",
            "preflight/checks/support/__init__.py": "", "preflight/collect/__init__.py": "",
            "preflight/iam/__init__.py": "", "preflight/reach/__init__.py": "", "preflight/report/__init__.py": ""}
    for name, text in {**base, **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize(("files", "expected"), [
    ({"preflight/graph.py": "from preflight.checks import network\n", "preflight/checks/network.py": ""},
     "a layer above it"),
    ({"preflight/graph.py": "def f():\n    import preflight.engine\n"}, "a layer above it"),
    ({"preflight/collect/ec2.py": "from preflight.graph import key\n"}, "the collectors import"),
    ({"preflight/engine.py": "from preflight.collect import collect\n"}, "only the command line may"),
    ({"preflight/iam/match.py": "from preflight.reach import space\n", "preflight/reach/space.py": ""},
     "libraries of their own"),
    ({"preflight/checks/ecs.py": "from preflight.checks.identity import trust\n",
      "preflight/checks/identity.py": ""}, "check family preflight.checks.ecs imports family"),
    ({"preflight/checks/support/roles.py": "from preflight.checks.identity import x\n",
      "preflight/checks/identity.py": ""}, "imports the family module"),
    ({"preflight/checks/ecs.py": "from preflight.graph import _key\n"}, "takes private names _key"),
    ({"preflight/checks/ecs.py": "from preflight import graph\n\ngraph._key('a')\n"}, "uses private preflight.graph._key"),
    ({"preflight/report/__init__.py": "from preflight.report import text\n",
      "preflight/report/text.py": "from preflight.report import Options\n"}, "import circle"),
    ({"preflight/engine.py": "from preflight.registry import x\n",
      "preflight/registry.py": "from preflight import engine\n"}, "import circle"),
])
def test_each_rule_fails_when_broken(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    found = arch.violations(_tree(tmp_path, files))
    assert any(expected in v for v in found), found


def test_a_well_layered_tree_passes(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "preflight/checks/network.py": "from preflight.checks.support.roles import trust\nfrom preflight.graph import key\n"
                                       "from preflight.registry import check\n",
        "preflight/checks/support/roles.py": "from preflight.iam import evaluate\n",
        "preflight/report/text.py": "from preflight.engine import RunResult\n",
        "preflight/collect/ec2.py": "from preflight.findings import Ref\n",
    })
    assert arch.violations(root) == []


def test_a_repeated_file_name_is_found(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"preflight/checks/paths.py": "", "preflight/reach/paths.py": ""})
    assert set(arch.repeated_names(root)) == {"paths.py"}


def test_the_wheel_check_refuses_a_stray_file(tmp_path: Path) -> None:
    """scripts/check_wheel.py, which .ci/run points at the wheel `python -m build` makes."""
    import zipfile

    from scripts.check_wheel import problems

    good, bad = tmp_path / "good.whl", tmp_path / "bad.whl"
    for path, extra in ((good, ()), (bad, ("preflight/testing/apprunner_fake.py", "tests/conftest.py"))):
        with zipfile.ZipFile(path, "w") as z:
            for name in ("preflight/__init__.py", "preflight/cli.py", "x-0.1.dist-info/METADATA", *extra):
                z.writestr(name, "")
    assert problems(str(good)) == (3, [])
    assert problems(str(bad))[1] == ["preflight/testing/apprunner_fake.py", "tests/conftest.py"]
