"""Reporters: each turns a `RunResult` into text. They never exit and never call AWS."""

from __future__ import annotations

from preflight.report.options import Options, Renderer

__all__ = ["FORMAT_NAMES", "Options", "Renderer", "formats"]


def formats() -> dict[str, Renderer]:
    from preflight.report import html, json_report, junit, markdown, sarif, text

    return {"text": text.render, "json": json_report.render, "sarif": sarif.render,
            "junit": junit.render, "markdown": markdown.render, "html": html.render}


FORMAT_NAMES = ("text", "json", "sarif", "junit", "markdown", "html")
