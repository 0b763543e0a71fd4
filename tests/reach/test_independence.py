"""The reachability engine sits below the checks: nothing in preflight/reach imports a check,
the registry, the engine or a collector. It reads the resource graph (the layer below it), the
declared AWS enums and the shared CIDR parser, and nothing else of preflight."""

from __future__ import annotations

from pathlib import Path

import preflight.reach
from tests.imports import outside_imports

PACKAGE = Path(preflight.reach.__file__).parent


def test_the_engine_imports_only_the_graph_the_enums_and_itself() -> None:
    assert outside_imports(PACKAGE, ("preflight.reach", "preflight.graph", "preflight.enums", "preflight.netmath")) == []
