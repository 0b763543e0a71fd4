"""Where a report's paths start: the repository root (the git top-level of the scanned directory,
else the working directory), so that a file is named the same in every clone and on every CI
runner (GitHub resolves SARIF locations against the checkout's root)."""

from __future__ import annotations

import os
import subprocess
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=64)
def repo_root(directory: str) -> Path:
    """The git top-level holding `directory`, else the working directory."""
    try:
        out = subprocess.run(["git", "-C", directory, "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, timeout=10, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip()).resolve()
    except (OSError, subprocess.SubprocessError):
        pass
    return Path.cwd().resolve()


def repo_relative(path: str | Path) -> str | None:
    """`path` relative to its repository root, in forward slashes ("." for the root itself); None
    when it lies outside that root (a directory outside the working directory and any git work
    tree), where the caller keeps a name of its own."""
    target = Path(path).resolve()
    base = repo_root(str(target if target.is_dir() else target.parent))
    try:
        rel = target.relative_to(base).as_posix()
    except ValueError:
        return None
    return rel or "."


def clean(path: str) -> str:
    """A relative path in forward slashes without `./` parts."""
    return os.path.normpath(path).replace(os.sep, "/") if path else path
