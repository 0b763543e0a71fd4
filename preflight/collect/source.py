"""The local-source reader: what App Runner will build, read from a directory (no AWS at all).

For each application directory (one holding `apprunner.yaml` or `apprunner.yml`, or the given
directory itself) it reads the configuration file with positions, `package.json` and its lock
file, `next.config.*`, `.gitignore`, whether git tracks `.next`, and the Dockerfile, and returns
one snapshot record per application. Environment values in the file are summarised like live
ones (`preflight.redact`): names and derived facts only.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import jsonschema

from preflight.errors import InputError
from preflight.redact import summarize_env
from preflight.snapshot import load_schema
from preflight.yamlpos import Located, YamlError, load

CONFIG_NAMES = ("apprunner.yaml", "apprunner.yml")
SKIP_DIRS = frozenset({"node_modules", ".git", ".next", "dist", "build", ".venv", "venv", "__pycache__",
                       "vendor", ".terraform", "cdk.out", "target"})
MAX_FILE = 2 * 1024 * 1024
_CLOUDFORMATION = re.compile(r"^(AWSTemplateFormatVersion|Resources)\s*:|!(Ref|GetAtt|Sub)\b", re.MULTILINE)
_CREDENTIALS_IN_URL = re.compile(r"(://[^/\s:@]+:)[^/\s@]+@")


class Unreadable(str):
    """Why a file that exists could not be read (too large, not a regular file, refused)."""


def _read(path: Path) -> str | None:
    """A source file's text; None when it is absent, `Unreadable` (why) when it is there but
    cannot be read, so that what depends on it is reported not evaluated instead of skipped."""
    try:
        if not path.exists() and not path.is_symlink():
            return None
        info = path.stat()
    except OSError as e:
        return Unreadable(f"cannot read {path.name}: {e.strerror or e}")
    if not stat.S_ISREG(info.st_mode):
        return Unreadable(f"{path.name} is not a regular file")
    if info.st_size > MAX_FILE:
        return Unreadable(f"{path.name} is {info.st_size:,} bytes, over the {MAX_FILE:,}-byte limit")
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        return Unreadable(f"cannot read {path.name}: {e.strerror or e}")


def _text(path: Path) -> str | None:
    """The text of an optional file, or None when absent or unreadable (a hint, not a verdict)."""
    found = _read(path)
    return None if isinstance(found, Unreadable) else found


def _redact(command: str) -> str:
    return _CREDENTIALS_IN_URL.sub(r"\1***@", command)


def find_apps(root: Path, max_depth: int = 4) -> list[Path]:
    """Directories under `root` that hold an App Runner configuration file; `root` itself when
    none does (a source-code service may configure everything through the API)."""
    found: list[Path] = []
    for current, dirs, files in os.walk(root):
        depth = len(Path(current).relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(".") and depth < max_depth)
        if any(name in files for name in CONFIG_NAMES):
            found.append(Path(current))
    return found or [root]


def _position(doc: Located, path: tuple[str | int, ...]) -> dict[str, int | None]:
    return {"line": doc.line(path), "column": doc.column(path)}


def _schema_errors(doc: Located) -> list[dict[str, Any]]:
    validator = jsonschema.Draft202012Validator(load_schema("apprunner-yaml.schema.json"))
    errors = []
    for e in sorted(validator.iter_errors(doc.value), key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(e.absolute_path)
        where = "/".join(map(str, path)) or "(top level)"
        message = e.message
        if e.validator == "additionalProperties":
            extra = re.findall(r"'([^']+)'", e.message)
            message = f"unknown key{'s' if len(extra) > 1 else ''} {', '.join(extra)} in {where}"
            if extra:
                path = (*path, extra[0])
        elif e.validator == "required":
            message = f"{where} is missing {e.message.split(' is a required')[0]}"
        elif e.validator == "type":
            message = f"{where}: {e.message}"
        else:
            message = f"{where}: {e.message}"
        errors.append({"message": message[:300], **_position(doc, path)})
    for path, line, col in doc.duplicates:
        errors.append({"message": f"duplicate key {path[-1]!r} (the last one wins)", "line": line, "column": col})
    return errors


def _commands(value: Any) -> list[str]:
    if isinstance(value, list):
        return [_redact(str(c)) for c in value if c is not None]
    if isinstance(value, str):
        return [_redact(value)]
    return []


def _env(doc: Located, path: tuple[str, ...], items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        return []
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "name" not in item:
            continue
        summary = summarize_env({str(item["name"]): item.get("value", "")})[0]
        out.append({**summary, "line": doc.line((*path, i)),
                    "value_type": type(item.get("value")).__name__})
    return out


def read_config(app: Path, root: Path) -> dict[str, Any] | None:
    present = [n for n in CONFIG_NAMES if (app / n).is_file() or (app / n).is_symlink()]
    if not present:
        return None
    name = present[0]
    rel = str((app / name).relative_to(root))
    record: dict[str, Any] = {"file": rel, "name": name, "misnamed": name != "apprunner.yaml",
                              "parsed": False, "errors": []}
    text = _read(app / name)
    if text is None or isinstance(text, Unreadable):
        record["errors"].append({"message": str(text or "cannot read the file"), "line": None, "column": None})
        record["unreadable"] = True
        return record
    if _CLOUDFORMATION.search(text):
        return None  # a CloudFormation template that happens to be named apprunner.yaml
    try:
        doc = load(text)
    except YamlError as e:
        record["errors"].append({"message": f"YAML syntax: {e.message}", "line": e.line, "column": e.column})
        return record
    data = doc.value
    if not isinstance(data, dict):
        record["errors"].append({"message": "the file is not a mapping of keys", "line": 1, "column": 1})
        return record
    record["parsed"] = True
    record["errors"] = _schema_errors(doc)
    build: dict[str, Any] = data["build"] if isinstance(data.get("build"), dict) else {}
    run: dict[str, Any] = data["run"] if isinstance(data.get("run"), dict) else {}
    commands = build.get("commands")
    if isinstance(commands, dict):
        phases = {k: _commands(commands.get(k)) for k in ("pre-build", "build", "post-build")}
    else:
        phases = {"pre-build": [], "build": _commands(commands), "post-build": []}
    network: dict[str, Any] = run["network"] if isinstance(run.get("network"), dict) else {}
    version_raw = doc.raw.get(("run", "runtime-version"))
    secrets: list[Any] = run["secrets"] if isinstance(run.get("secrets"), list) else []
    record.update({
        "runtime": {"value": str(data["runtime"])
                    if isinstance(data.get("runtime"), str | int | float) else None,
                    **_position(doc, ("runtime",))},
        "runtime_version": ({"value": version_raw, **_position(doc, ("run", "runtime-version")),
                             "yaml_number": isinstance(run.get("runtime-version"), float)
                             and str(run.get("runtime-version")) != version_raw}
                            if version_raw is not None else None),
        "build": {"pre_build": phases["pre-build"], "build": phases["build"], "post_build": phases["post-build"],
                  **_position(doc, ("build", "commands"))},
        "pre_run": ({"commands": _commands(run.get("pre-run")), **_position(doc, ("run", "pre-run"))}
                    if run.get("pre-run") is not None else None),
        "run_command": ({"value": _redact(str(run["command"])), **_position(doc, ("run", "command"))}
                        if run.get("command") is not None else None),
        "port": ({"value": str(network["port"]), **_position(doc, ("run", "network", "port"))}
                 if network.get("port") is not None else None),
        "network_env": str(network["env"]) if network.get("env") else None,
        "run_env": _env(doc, ("run", "env"), run.get("env")),
        "build_env": _env(doc, ("build", "env"), build.get("env")),
        "secrets": [{"name": str(s.get("name")), "ref": str(s.get("value-from") or s.get("value_from") or ""),
                     "line": doc.line(("run", "secrets", i))}
                    for i, s in enumerate(secrets) if isinstance(s, dict)],
    })
    return record


def _lock_version(app: Path, package: str) -> str | None:
    text = _text(app / "package-lock.json")
    if text:
        try:
            lock = json.loads(text)
        except json.JSONDecodeError:
            lock = {}
        entry = (lock.get("packages") or {}).get(f"node_modules/{package}") or \
            (lock.get("dependencies") or {}).get(package) or {}
        if isinstance(entry, dict) and entry.get("version"):
            return str(entry["version"])
    for lockfile, pattern in (("yarn.lock", rf'^"?{re.escape(package)}@[^\n]*\n\s+version:?\s+"?([0-9][^"\s]*)'),
                              ("pnpm-lock.yaml", rf"^\s+/?{re.escape(package)}[@/]([0-9][^:(\s]*)")):
        text = _text(app / lockfile)
        if text:
            m = re.search(pattern, text, re.MULTILINE)
            if m:
                return m.group(1)
    return None


def read_package(app: Path, root: Path) -> dict[str, Any] | None:
    path = app / "package.json"
    text = _read(path)
    if text is None:
        return None
    rel = str(path.relative_to(root))
    if isinstance(text, Unreadable):
        return {"file": rel, "error": str(text), "unreadable": True, "next": None, "engines_node": None,
                "scripts": {}, "dependencies": []}
    try:
        pkg = json.loads(text)
    except json.JSONDecodeError as e:
        return {"file": rel, "error": f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}",
                "next": None, "engines_node": None, "scripts": {}, "dependencies": []}
    if not isinstance(pkg, dict):
        return {"file": rel, "error": "not a JSON object", "next": None, "engines_node": None,
                "scripts": {}, "dependencies": []}
    deps: dict[str, Any] = {}
    for key in ("devDependencies", "dependencies"):
        section = pkg.get(key)
        if isinstance(section, dict):
            deps.update(section)
    nxt = None
    if "next" in deps:
        locked = _lock_version(app, "next")
        nxt = {"range": str(deps["next"]), "version": locked,
               "source": "lock file" if locked else "package.json range"}
    engines: dict[str, Any] = pkg["engines"] if isinstance(pkg.get("engines"), dict) else {}
    scripts: dict[str, Any] = pkg["scripts"] if isinstance(pkg.get("scripts"), dict) else {}
    return {"file": rel, "error": None, "next": nxt,
            "engines_node": str(engines["node"]) if engines.get("node") else None,
            "scripts": {k: _redact(str(v)) for k, v in scripts.items() if k in ("build", "start", "prebuild")},
            "dependencies": sorted(map(str, deps))}


def read_next_config(app: Path, root: Path) -> dict[str, Any] | None:
    for name in ("next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs"):
        text = _text(app / name)
        if text is not None:
            code = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)
            return {"file": str((app / name).relative_to(root)),
                    "standalone": bool(re.search(r"output\s*:\s*['\"`]standalone['\"`]", code))}
    return None


def _ignores_next(text: str) -> bool:
    for line in text.splitlines():
        entry = line.strip()
        if entry.startswith("!") and ".next" in entry:
            return False
        if entry.rstrip("/") in (".next", "/.next", "**/.next", ".next/*", "/.next/*"):
            return True
    return False


def read_gitignore(app: Path, root: Path) -> dict[str, Any] | None:
    """The nearest .gitignore from the app directory up to the scanned root."""
    current = app
    while True:
        text = _text(current / ".gitignore")
        if text is not None:
            return {"file": str((current / ".gitignore").relative_to(root)), "ignores_next": _ignores_next(text)}
        if current == root or root not in current.parents:
            return None
        current = current.parent


def next_tracked(app: Path) -> bool | None:
    """Whether git tracks anything under `.next` (None outside a git work tree)."""
    try:
        out = subprocess.run(["git", "-C", str(app), "ls-files", "--", ".next"], capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return bool(out.stdout.strip())


def read_dockerfile(app: Path, root: Path) -> dict[str, Any] | None:
    for name in ("Dockerfile", "dockerfile"):
        text = _text(app / name)
        if text is None:
            continue
        exposes = []
        for number, line in enumerate(text.splitlines(), 1):
            m = re.match(r"^\s*EXPOSE\s+(.+)$", line, re.IGNORECASE)
            if m:
                for token in m.group(1).split():
                    port = token.split("/")[0]
                    if port.isdigit():
                        exposes.append({"port": port, "line": number})
        return {"file": str((app / name).relative_to(root)), "expose": exposes}
    return None


def read_app(app: Path, root: Path) -> dict[str, Any]:
    rel = str(app.relative_to(root)) or "."
    return {
        "id": f"{root.name}/{rel}" if rel != "." else root.name, "dir": rel,
        "config": read_config(app, root),
        "package": read_package(app, root),
        "next_config": read_next_config(app, root),
        "gitignore": read_gitignore(app, root),
        "next_tracked": next_tracked(app) if (app / ".git").exists() or (root / ".git").exists() else None,
        "dockerfile": read_dockerfile(app, root),
    }


def source_gaps(apps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A gap for each source file that is there but could not be read or parsed: the rules
    that judge it (BLD001, BLD002) are then not evaluated, never silently passed."""
    gaps = []
    for app in apps:
        pkg = app.get("package") or {}
        if pkg.get("error"):
            gaps.append({"region": "local", "service": "source", "operation": "read package.json",
                         "iam_action": f"read {pkg['file']} (not AWS)", "error": pkg["error"],
                         "collections": ["source_packages"]})
    return gaps


def read_source(directory: str) -> list[dict[str, Any]]:
    root = Path(directory)
    if not root.exists():
        raise InputError(directory, "no such directory")
    if not root.is_dir():
        raise InputError(directory, "is not a directory")
    root = root.resolve()
    try:
        empty = not any(root.iterdir())
    except OSError as e:
        raise InputError(directory, f"cannot read: {e.strerror or e}") from e
    if empty:
        raise InputError(directory, "is empty: there is no source to check")
    return [read_app(app, root) for app in find_apps(root)]
