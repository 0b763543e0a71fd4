"""The source records (an app folder read from a repository) and where in it a finding points."""

from __future__ import annotations

import posixpath

from preflight.findings import Location, Ref
from preflight.graph import Rec, ResourceGraph


def sources(g: ResourceGraph) -> list[Rec]:
    return list(g.snapshot["resources"].get("sources", []))


def source_ref(src: Rec) -> Ref:
    # the fingerprint keys on the app's path in its repository, the same in every clone
    return Ref(src["id"], "source", None, key=f"source:{src['key']}" if src.get("key") else None)


def source_location(src: Rec, line: int | None = None, column: int | None = None,
                    file: str | None = None) -> Location | None:
    """Where in the repository: the file's path from the repository root (older snapshots without
    `repo_path` keep the scanned folder's name in front)."""
    cfg = src.get("config")
    name = file or (cfg["file"] if cfg else None)
    if not name:
        return None
    base = src["repo_path"] if "repo_path" in src else src["id"].split("/", 1)[0]
    return Location(posixpath.normpath(f"{base}/{name}") if base else name, line, column)
