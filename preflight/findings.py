"""The values that checks produce: severities, resource references, fixes and findings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in sorted(cls, reverse=True))
            raise ValueError(f"unknown severity {text!r} (expected one of {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Ref:
    """A pointer to one resource of the snapshot, as reports show it."""

    id: str
    type: str
    region: str | None = None
    arn: str | None = None
    name: str | None = None
    key: str | None = None  # what the fingerprint keys on when id and arn are not stable (a source app)
    account: str | None = None  # the owning account, in a scan of several accounts

    def to_json(self) -> dict[str, str]:
        out = {"id": self.id, "type": self.type}
        if self.region:
            out["region"] = self.region
        if self.arn:
            out["arn"] = self.arn
        if self.name:
            out["name"] = self.name
        if self.account:
            out["account"] = self.account
        return out


@dataclass(frozen=True, slots=True)
class Location:
    """Where in a file the problem is declared (apprunner.yaml, a template, a plan)."""

    file: str
    line: int | None = None
    column: int | None = None
    address: str | None = None  # the template's logical id or the plan's resource address (CDK path too)

    def __str__(self) -> str:
        return ":".join(str(x) for x in (self.file, self.line, self.column) if x is not None)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"file": self.file}
        if self.line is not None:
            out["line"] = self.line
        if self.column is not None:
            out["column"] = self.column
        if self.address:
            out["address"] = self.address
        return out


@dataclass(frozen=True, slots=True)
class Suppressed:
    reason: str
    source: str  # "config <file>:<line>" or "tag preflight:ignore"
    expires: str | None = None


@dataclass(frozen=True, slots=True)
class Fix:
    summary: str
    commands: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem on one resource. Created by checks through `finding()` in the registry."""

    rule: str
    name: str
    severity: Severity
    title: str
    message: str
    resource: Ref
    fix: Fix
    related: tuple[Ref, ...] = ()
    path: tuple[str, ...] = ()
    heuristic: bool = False
    fingerprint: str = field(default="")
    location: Location | None = None
    suppressed: Suppressed | None = None
    baseline: bool = False

    @property
    def active(self) -> bool:
        """Counts towards the summary and the exit code (not suppressed, not in the baseline)."""
        return self.suppressed is None and not self.baseline

    def sort_key(self) -> tuple[int, str, str, str]:
        return (-int(self.severity), self.rule, self.resource.region or "", self.resource.id)


def fingerprint(rule: str, resource: Ref, related: Iterable[Ref]) -> str:
    """A digest that stays the same across runs for the same rule and resources.

    It deliberately ignores messages, severities and paths, which may change when the
    surrounding topology changes while the problem stays the same.
    """
    parts = [rule, resource.type, resource.key or resource.arn or resource.id]
    parts += sorted(f"{r.type}:{r.key or r.arn or r.id}" for r in related)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]

