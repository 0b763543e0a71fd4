"""The reachability engine sits below the checks: nothing in preflight/reach imports a check,
the registry, the engine or a collector. It reads the resource graph (the layer below it) and
the declared AWS enums, and nothing else of preflight."""

from __future__ import annotations

import ast
from pathlib import Path

import preflight.reach

PACKAGE = Path(preflight.reach.__file__).parent
ALLOWED = ("preflight.reach", "preflight.graph", "preflight.enums")


def test_the_engine_imports_only_the_graph_the_enums_and_itself() -> None:
    outside: list[str] = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            outside += [f"{path.name}: {n}" for n in names
                        if (n.split(".")[0] == "preflight" and not n.startswith(ALLOWED))
                        or n.split(".")[0] in ("boto3", "botocore", "click", "moto")]
    assert outside == []
