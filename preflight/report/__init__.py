"""Reporters: each turns a `RunResult` into text. They never exit and never call AWS."""

from __future__ import annotations

from collections.abc import Callable

from preflight.engine import RunResult
from preflight.report import json_report, text

Renderer = Callable[[RunResult, bool], str]
FORMATS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_report.render,
}
