"""What every reporter is given besides the result: colour, the failure threshold, the SARIF artifact."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from preflight.engine import RunResult
from preflight.findings import Severity


@dataclass(frozen=True, slots=True)
class Options:
    color: bool = False
    fail_on: Severity | None = Severity.HIGH  # what counts as a failure (JUnit, SARIF levels)
    artifact: str = ".preflight.yaml"  # SARIF location for findings not declared in a file


Renderer = Callable[[RunResult, Options], str]
