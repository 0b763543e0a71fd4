"""The configuration file (`.preflight.yaml`): default options, severity overrides, suppressions.

Found by walking up from the working directory, or named with `--config`. Validated by
`schemas/config.schema.json`; an error names the file, the line and the key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema

from preflight.errors import InputError
from preflight.snapshot import load_schema, read_text
from preflight.yamlpos import YamlError, load

NAMES = (".preflight.yaml", ".preflight.yml")


@dataclass(frozen=True, slots=True)
class Suppression:
    rule: str  # a rule selector: id, prefix or name
    resource: str | None  # an id or ARN glob; None: every resource
    reason: str
    expires: date | None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Config:
    path: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    severity: dict[str, str] = field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()


def discover(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name in NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
    return None


def load_config(path: str | None) -> Config:
    """The config at `path`, or the one discovered; an empty Config when there is none."""
    found = Path(path) if path else discover()
    if found is None:
        return Config()
    where = str(found)
    text = read_text(where)
    try:
        doc = load(text)
    except YamlError as e:
        raise InputError(where, f"invalid YAML: {e.message}", e.line) from e
    data = doc.value if doc.value is not None else {}
    validator = jsonschema.Draft202012Validator(load_schema("config.schema.json"),
                                                format_checker=jsonschema.FormatChecker())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        path_ = tuple(error.absolute_path)
        key = "/".join(map(str, path_)) or "(top level)"
        raise InputError(where, f"{key}: {error.message}", doc.line(path_))
    from preflight.registry import resolve

    severity = {}
    for selector, level in (data.get("severity") or {}).items():
        for rule_id in _resolve(resolve, selector, where, doc.line(("severity", selector))):
            severity[rule_id] = level
    suppressions = []
    for i, s in enumerate(data.get("suppressions") or []):
        line = doc.line(("suppressions", i))
        _resolve(resolve, s["rule"], where, line)
        expires = None
        if s.get("expires"):
            try:
                expires = date.fromisoformat(s["expires"])
            except ValueError:
                raise InputError(where, f"suppressions/{i}/expires: {s['expires']!r} is not a date", line) from None
        suppressions.append(Suppression(s["rule"], s.get("resource"), s["reason"], expires, line))
    options = {k: v for k, v in data.items() if k not in ("severity", "suppressions", "version")}
    return Config(where, options, severity, tuple(suppressions))


def _resolve(resolve: Any, selector: str, where: str, line: int | None) -> set[str]:
    from preflight.errors import UsageError

    try:
        ids: set[str] = resolve(selector)
        return ids
    except UsageError as e:
        raise InputError(where, str(e), line) from None


def read_baseline(path: str) -> frozenset[str]:
    """Fingerprints of a previous JSON report."""
    from preflight.snapshot import read_json

    doc = read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise InputError(path, "not a preflight JSON report (no findings list)")
    prints = [f.get("fingerprint") for f in doc["findings"] if isinstance(f, dict)]
    if any(not isinstance(p, str) for p in prints):
        raise InputError(path, "a finding has no fingerprint; use a report from `--format json`")
    return frozenset(json.loads(json.dumps(prints)))
