"""The App Runner facts file (regions, prices, limits) that the build and network checks read."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources as pkg
from typing import Any


@cache
def apprunner_facts() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        pkg.files("preflight.data").joinpath("apprunner.json").read_text("utf-8"))
    return data
