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
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import jsonschema

from preflight.errors import InputError
from preflight.redact import summarize_env
from preflight.repo import clean, repo_relative
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


# the directory being read: a file that resolves outside it (a symlink to /etc/passwd, to a
# secret elsewhere on the runner) is not read
_SCANNED: ContextVar[Path | None] = ContextVar("scanned_root", default=None)


def _read(path: Path) -> str | None:
    """A source file's text; None when it is absent, `Unreadable` (why) when it is there but
    cannot be read, so that what depends on it is reported not evaluated instead of skipped."""
    try:
        if not path.exists() and not path.is_symlink():
            return None
        root = _SCANNED.get()
        if root is not None:
            try:
                path.resolve().relative_to(root)
            except ValueError:
                return Unreadable(f"{path.name} resolves (through a symlink) to outside the scanned directory, "
                                  "which is not read")
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


def _lock_version(app: Path, package: str, root: Path | None = None) -> str | None:
    """The locked version of `package`: from the app's lock file, else the nearest one above it
    up to `root` (a workspace keeps one lock file at its top)."""
    found = _lock_version_in(app, package)
    current = app
    while found is None and root is not None and current != root and root in current.parents:
        current = current.parent
        found = _lock_version_in(current, package)
    return found


def _lock_version_in(app: Path, package: str) -> str | None:
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
        locked = _lock_version(app, "next", root)
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
        stages = []
        for number, line in enumerate(text.splitlines(), 1):
            m = re.match(r"^\s*EXPOSE\s+(.+)$", line, re.IGNORECASE)
            if m:
                for token in m.group(1).split():
                    port = token.split("/")[0]
                    if port.isdigit():
                        exposes.append({"port": port, "line": number})
            m = re.match(r"^\s*FROM\s+(?:--platform=(\S+)\s+)?(\S+)", line, re.IGNORECASE)
            if m:
                stages.append({"platform": m.group(1), "image": m.group(2)[:200], "line": number})
        return {"file": str((app / name).relative_to(root)), "expose": exposes, "stages": stages}
    return None


# where a command says the app lives: npm's --prefix, yarn's --cwd, pnpm's -C/--dir, a cd
_DIR_FLAGS = re.compile(r"(?:--prefix|--cwd|--dir|(?<![\w-])-C)(?:=|\s+)(['\"]?)([^\s'\";&|]+)\1")
_CD = re.compile(r"(?:^|&&|;|\|\|)\s*cd\s+(['\"]?)([^\s'\";&|]+)\1")
# a workspace named by npm -w/--workspace, pnpm/turbo --filter
_WORKSPACE_FLAGS = re.compile(r"(?:--workspace|(?<![\w-])-w|--filter)(?:=|\s+)(['\"]?)([^\s'\";&|]+)\1")


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True


def _workspaces(app: Path) -> list[Path]:
    """The package directories of an npm/yarn (`workspaces` in package.json) or pnpm
    (pnpm-workspace.yaml) workspace rooted at `app`; globs of the `dir/*` form are expanded."""
    patterns: list[str] = []
    try:
        pkg = json.loads(_text(app / "package.json") or "{}")
    except json.JSONDecodeError:
        pkg = {}
    spaces = pkg.get("workspaces") if isinstance(pkg, dict) else None
    if isinstance(spaces, dict):
        spaces = spaces.get("packages")
    if isinstance(spaces, list):
        patterns += [str(x) for x in spaces]
    pnpm = _text(app / "pnpm-workspace.yaml")
    if pnpm:
        patterns += re.findall(r"^\s*-\s*['\"]?([^'\"\n#]+?)['\"]?\s*$", pnpm, re.MULTILINE)
    found: list[Path] = []
    for pattern in patterns:
        if pattern.startswith("!"):
            continue
        base = pattern.rstrip("/").removesuffix("/**").removesuffix("/*")
        candidates = [app / base] if base == pattern.rstrip("/") else (
            sorted(p for p in (app / base).iterdir() if p.is_dir()) if (app / base).is_dir() else [])
        found += [c for c in candidates if (c / "package.json").is_file()]
    return list(dict.fromkeys(found))


def _package_name(directory: Path) -> str | None:
    try:
        pkg = json.loads(_text(directory / "package.json") or "{}")
    except json.JSONDecodeError:
        return None
    return str(pkg["name"]) if isinstance(pkg, dict) and pkg.get("name") else None


def _has_next(directory: Path) -> bool:
    try:
        pkg = json.loads(_text(directory / "package.json") or "{}")
    except json.JSONDecodeError:
        return False
    return isinstance(pkg, dict) and any(isinstance(pkg.get(k), dict) and "next" in pkg[k]
                                         for k in ("dependencies", "devDependencies"))


def _dockerfile_dir(app: Path) -> tuple[str, str] | None:
    """The build context directory a Dockerfile copies into the WORKDIR where it builds
    (`COPY app /usr/src/app` + `WORKDIR /usr/src/app` + `RUN npm run build` means app/)."""
    text = _text(app / "Dockerfile") or _text(app / "dockerfile")
    if not text:
        return None
    workdir, copies = "/", dict[str, str]()
    for line in text.splitlines():
        m = re.match(r"^\s*(WORKDIR|COPY|ADD|RUN|FROM)\s+(.*)$", line, re.IGNORECASE)
        if not m:
            continue
        op, rest = m.group(1).upper(), m.group(2).strip()
        if op == "FROM":
            workdir, copies = "/", dict[str, str]()
        elif op == "WORKDIR":
            workdir = rest if rest.startswith("/") else f"{workdir.rstrip('/')}/{rest}"
        elif op in ("COPY", "ADD") and "--from" not in rest:
            parts = [p for p in rest.split() if not p.startswith("--")]
            if len(parts) == 2:
                dest = parts[1] if parts[1].startswith("/") else f"{workdir.rstrip('/')}/{parts[1]}"
                copies[dest.rstrip("/") or "/"] = parts[0].rstrip("/")
        elif op == "RUN" and re.search(r"\b(npm|yarn|pnpm)\b.*\bbuild\b|\bnext build\b", rest):
            src = copies.get(workdir.rstrip("/") or "/")
            if src and src not in (".", "./") and (app / src / "package.json").is_file():
                return src, f"the Dockerfile copies {src} into {workdir} and builds there"
    return None


def project_dir(app: Path, root: Path, config: dict[str, Any] | None) -> tuple[Path, str | None]:
    """The directory that really holds the Node app: where the build commands go (`--prefix app`,
    `cd web && ...`, a workspace they name), else where the Dockerfile builds, else the one
    workspace package that uses Next.js; `app` itself when nothing points elsewhere. The second
    value says why, for the report."""
    commands: list[str] = []
    if config and config.get("parsed"):
        build = config.get("build") or {}
        commands = [*build.get("pre_build", []), *build.get("build", []), *build.get("post_build", [])]
        run = (config.get("run_command") or {}).get("value")
        commands += [run] if run else []
    for command in commands:
        for pattern in (_DIR_FLAGS, _CD):
            for m in pattern.finditer(command):
                target = app / m.group(2)
                if target != app and (target / "package.json").is_file() and _inside(root, target):
                    return target, f"the command '{command[:60]}' runs in {m.group(2)}"
    spaces = _workspaces(app)
    for command in commands:
        for m in _WORKSPACE_FLAGS.finditer(command):
            name = m.group(2)
            match = next((w for w in spaces if _package_name(w) == name or w.relative_to(app).as_posix() == name),
                         None)
            if match is not None and _inside(root, match):
                return match, f"the command '{command[:60]}' builds workspace {name}"
    if _has_next(app):
        return app, None
    docker = _dockerfile_dir(app)
    if docker and _inside(root, app / docker[0]):
        return app / docker[0], docker[1]
    with_next = [w for w in spaces if _has_next(w) and _inside(root, w)]
    if len(with_next) == 1:
        return with_next[0], f"{with_next[0].relative_to(app).as_posix()} is the workspace package that uses Next.js"
    return app, None


# commands that may create the directory a later `cd` enters
_CREATES = re.compile(r"\b(mkdir|tar|unzip|git\s+clone|cp|mv|rsync|npx|create-|django-admin|wget|curl|ln)\b")


def _missing_dirs(app: Path, root: Path, config: dict[str, Any] | None) -> list[dict[str, Any]]:
    """`cd X` in a command where there is no X: App Runner runs the commands in the source
    directory (where apprunner.yaml is), so they fail there. Reported when X is the directory the
    file already lives in (`cd frontend` in frontend/apprunner.yaml), or when X is nowhere from
    here up to the scanned root and no earlier command could have made it."""
    if not config or not config.get("parsed"):
        return []
    build = config.get("build") or {}
    run = config.get("run_command") or {}
    steps = [(c, build.get("line"), build.get("column"), "build") for c in
             [*build.get("pre_build", []), *build.get("build", []), *build.get("post_build", [])]]
    if run.get("value"):
        steps.append((str(run["value"]), run.get("line"), run.get("column"), "run"))
    out, before = [], ""
    for command, line, column, phase in steps:
        for m in _CD.finditer(command):
            target = m.group(2).rstrip("/")
            earlier = before + command[:m.start()]
            if (not target or target.startswith(("$", "~", "/", "-", ".")) or any(ch in target for ch in "*?{$`")
                    or (app / target).is_dir()):
                continue
            here = target.split("/")[0] == app.name
            elsewhere = any((p / target).is_dir() for p in app.parents if p == root or root in p.parents)
            if not here and (elsewhere or _CREATES.search(earlier)):
                continue
            out.append({"message": f"{phase} command '{command[:80]}' changes to {target}, which is not in the "
                                   "source directory; App Runner runs the commands where apprunner.yaml is"
                                   + (f", already inside {app.name}/" if here else ""),
                        "line": line, "column": column})
        before += command + "\n"
    return out


def read_app(app: Path, root: Path) -> dict[str, Any]:
    rel = str(app.relative_to(root)) or "."
    config = read_config(app, root)
    if config is not None and config.get("parsed"):
        config["errors"] += _missing_dirs(app, root, config)
    project, why = project_dir(app, root, config)
    return {
        "id": f"{root.name}/{rel}" if rel != "." else root.name, "dir": rel,
        "project_dir": str(project.relative_to(root)) or "." if project != app else None,
        "project_reason": why,
        "config": config,
        "package": read_package(project, root),
        "next_config": read_next_config(project, root),
        "gitignore": read_gitignore(project, root),
        "next_tracked": next_tracked(project) if (app / ".git").exists() or (root / ".git").exists() else None,
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
    # outside any repository and the working directory, paths start at the folder above DIR
    prefix = repo_relative(root) or root.name
    token = _SCANNED.set(root)
    try:
        apps = [read_app(app, root) for app in find_apps(root)]
    finally:
        _SCANNED.reset(token)
    for record in apps:
        # the app's place in the repository: report paths and fingerprints start there, never at a
        # clone- or machine-specific folder
        record["repo_path"] = "" if prefix == "." else prefix
        record["key"] = clean(f"{prefix}/{record['dir']}")
    return apps
