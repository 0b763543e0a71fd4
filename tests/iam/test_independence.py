"""The evaluator is a library of its own: nothing in preflight/iam imports the rest of preflight
(checks, graph, snapshot, collectors), so its verdicts depend only on what a caller passes in."""

from __future__ import annotations

from pathlib import Path

import preflight.iam
from tests.imports import THIRD_PARTY_BELOW, outside_imports

PACKAGE = Path(preflight.iam.__file__).parent


def test_the_evaluator_imports_only_itself_and_the_standard_library() -> None:
    assert outside_imports(PACKAGE, ("preflight.iam",), (*THIRD_PARTY_BELOW, "networkx")) == []
