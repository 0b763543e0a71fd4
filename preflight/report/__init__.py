"""Reporters: each turns a `RunResult` into text. They never exit and never call AWS."""

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


def formats() -> dict[str, Renderer]:
    from preflight.report import json_report, junit, markdown, sarif, text

    return {"text": text.render, "json": json_report.render, "sarif": sarif.render,
            "junit": junit.render, "markdown": markdown.render}


FORMAT_NAMES = ("text", "json", "sarif", "junit", "markdown")
