"""The evaluator is a library of its own: nothing in preflight/iam imports the rest of preflight
(checks, graph, snapshot, collectors), so its verdicts depend only on what a caller passes in."""

from __future__ import annotations

import ast
from pathlib import Path

import preflight.iam

PACKAGE = Path(preflight.iam.__file__).parent


def test_the_evaluator_imports_only_itself_and_the_standard_library() -> None:
    outside: list[str] = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            outside += [f"{path.name}: {n}" for n in names
                        if (n.split(".")[0] == "preflight" and not n.startswith("preflight.iam"))
                        or n.split(".")[0] in ("boto3", "botocore", "networkx", "click", "moto")]
    assert outside == []
