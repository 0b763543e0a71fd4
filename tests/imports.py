"""What a package imports from outside itself, for the tests that keep a library independent."""

from __future__ import annotations

import ast
from pathlib import Path

THIRD_PARTY_BELOW = ("boto3", "botocore", "click", "moto")


def outside_imports(package: Path, allowed: tuple[str, ...], banned: tuple[str, ...] = THIRD_PARTY_BELOW) -> list[str]:
    """Imports in `package` of preflight modules not under `allowed`, or of `banned` libraries."""
    found: list[str] = []
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            found += [f"{path.name}: {n}" for n in names
                      if (n.split(".")[0] == "preflight" and not n.startswith(allowed)) or n.split(".")[0] in banned]
    return found
