"""Source and build checks: will App Runner build and start this code?

They read the applications found by `--source` (the `sources` collection) and, where a rule
also applies to what already runs, the live services' code and image configuration. App
Runner's runtime facts (versions, build kind, end of support) and Next.js's Node requirements
are data, in `preflight/data/apprunner.json`, with their sources and date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import nodesemver

from preflight.checks.support.facts import apprunner_facts
from preflight.checks.support.sourcecode import source_location, source_ref, sources
from preflight.findings import Fix, Ref, Severity
from preflight.graph import Rec, ResourceGraph, ref
from preflight.registry import Hit, check, finding

REVISED_PRERUN = ("python311", "nodejs18", "nodejs22")
_CLEAN_NEXT = re.compile(r"(rm\s+-[a-zA-Z]*r[a-zA-Z]*\s+(\./)?\.next\b|rimraf\s+(\./)?\.next\b)")
_RUNTIME_HINTS = {
    "docker": "App Runner builds source code on managed runtimes only; deploy a container image "
              "as an image service instead",
    "nodejs20": "App Runner has no Node 20 runtime; use nodejs22",
    "nodejs24": "App Runner has no Node 24 runtime; use nodejs22",
    "node": "name the version: nodejs22", "nodejs": "name the version: nodejs22",
    "python": "name the version: python311", "python3.11": "write python311",
    "python3.12": "App Runner has no Python 3.12 runtime; use python311",
    "go1.x": "write go1", "java": "write corretto11 or corretto8",
}


def _runtime(src: Rec) -> tuple[str | None, dict[str, Any] | None]:
    cfg = src.get("config") or {}
    name = ((cfg.get("runtime") or {}).get("value") or "")
    facts = apprunner_facts()["runtimes"].get(name.lower()) if name else None
    return (name or None), facts


def _today(g: ResourceGraph) -> date:
    stamp = g.snapshot.get("collected_at")
    if stamp:
        try:
            return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).date()
        except ValueError:
            pass
    return datetime.now(UTC).date()


def node_version(src: Rec) -> tuple[str, str] | None:
    """(the Node version the runtime will run, how it was decided) for a Node runtime."""
    name, facts = _runtime(src)
    if not facts or facts["language"] != "node":
        return None
    pinned = ((src.get("config") or {}).get("runtime_version") or {}).get("value")
    newest = str(facts["version"])
    if pinned:
        parts = str(pinned).split(".")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            return str(pinned), f"run.runtime-version {pinned}"
        if parts[0] == newest.split(".")[0]:
            return newest, f"{name}, pinned to {pinned} (at most {newest})"
        return ".".join([*parts, "0", "0"][:3]), f"run.runtime-version {pinned}"
    return newest, f"{name} (Node {newest} at the newest)"


def next_requirement(src: Rec) -> tuple[str, str] | None:
    """(the Next.js version App Runner will install, its engines.node range).

    npm installs the newest release the range admits, so a range is resolved against every
    stable release (`nextjs_releases`, from the npm registry); a version newer than that list
    takes the engines of the newest release preflight knows, an assumption the data's date bounds."""
    pkg = src.get("package") or {}
    nxt = pkg.get("next")
    if not nxt:
        return None
    releases: list[list[Any]] = apprunner_facts()["nextjs_releases"]
    known = [v for v, _ in releases]
    version = nxt.get("version")
    if not version:
        try:
            version = nodesemver.max_satisfying(known, nxt["range"], loose=True)
        except Exception:  # an unparsable range ("latest", a URL): assume the newest
            version = None
        version = version or known[-1]
    engines = None
    for release, rng in releases:
        try:
            if nodesemver.gte(version, release, loose=True):
                engines = rng
            else:
                break
        except Exception:
            return None
    return (version, engines) if engines else None


def _satisfies(version: str, rng: str) -> bool | None:
    try:
        return bool(nodesemver.satisfies(version, rng, loose=True))
    except Exception:
        return None


@check("BLD001")
def stale_next_build(g: ResourceGraph) -> Iterator[Hit]:
    for src in sources(g):
        cfg = src.get("config")
        name, facts = _runtime(src)
        if not cfg or not facts or facts["build"] != "original" or not (src.get("package") or {}).get("next"):
            continue
        build = cfg["build"]
        commands = build["pre_build"] + build["build"]
        problems = []
        if not any(_CLEAN_NEXT.search(c) for c in commands):
            problems.append("its build commands do not remove .next before building")
        if src.get("next_tracked"):
            problems.append(".next is committed to git")
        gi = src.get("gitignore")
        if gi is None:
            problems.append("there is no .gitignore, so a local .next can be committed")
        elif not gi["ignores_next"]:
            problems.append(f"{gi['file']} does not ignore .next")
        if not problems:
            continue
        yield finding(
            source_ref(src),
            f"{src['id']} is a Next.js app on {name}, whose original build runs the build commands "
            "twice, the second time over the /app of the first; a stale .next then fails with "
            "'Could not find a production build': " + "; ".join(problems),
            Fix("Remove .next before building, and keep it out of git",
                ("pre-build:\n  - rm -rf .next   # in apprunner.yaml, build.commands",
                 "echo .next/ >> .gitignore && git rm -r --cached .next")),
            path=(src["id"], cfg["file"]),
            location=source_location(src, build.get("line"), build.get("column")),
        )


@check("BLD002")
def node_runtime_too_old(g: ResourceGraph) -> Iterator[Hit]:
    facts = apprunner_facts()
    node_runtimes = [(n, f) for n, f in facts["runtimes"].items() if f["language"] == "node"]
    for src in sources(g):
        got = node_version(src)
        if got is None:
            continue
        version, how = got
        needs: list[tuple[str, str]] = []
        req = next_requirement(src)
        if req:
            needs.append((f"Next.js {req[0]} requires Node {req[1]}", req[1]))
        engines = (src.get("package") or {}).get("engines_node")
        if engines:
            needs.append((f"package.json engines.node is {engines}", engines))
        failed = [(text, rng) for text, rng in needs if _satisfies(version, rng) is False]
        if not failed:
            continue
        fits = [n for n, f in node_runtimes
                if all(_satisfies(str(f["version"]), rng) for _, rng in failed) and not f["end_of_support"]]
        cfg = src["config"]
        runtime = cfg["runtime"]
        effects = []
        if any(t.startswith("Next.js") for t, _ in failed):
            effects.append("next refuses to run ('For Next.js, Node.js version ... is required')")
        if any(t.startswith("package.json") for t, _ in failed):
            effects.append("npm warns, or fails with engine-strict, and the app may use features "
                           "this Node lacks")
        yield finding(
            source_ref(src),
            f"{src['id']} builds on {how}, but " + "; ".join(t for t, _ in failed)
            + ": " + "; ".join(effects),
            Fix(f"Use the {fits[0]} runtime" if fits else "Use an image service with a newer Node",
                (f"runtime: {fits[0]}   # apprunner.yaml; remove or raise run.runtime-version",) if fits else ()),
            path=(src["id"], cfg["file"]),
            location=source_location(src, runtime.get("line"), runtime.get("column")),
        )


@check("BLD003")
def runtime_end_of_support(g: ResourceGraph) -> Iterator[Hit]:
    facts = apprunner_facts()["runtimes"]
    today = _today(g)
    by_api = {f["api"]: (n, f) for n, f in facts.items()}
    for src in sources(g):
        name, f = _runtime(src)
        if not f or not f["end_of_support"] or date.fromisoformat(f["end_of_support"]) > today:
            continue
        runtime = src["config"]["runtime"]
        yield finding(
            source_ref(src),
            f"{src['id']} uses {name}, whose support ended on {f['end_of_support']}: existing services "
            "keep running and can still be updated, but no new service can be created with it",
            Fix(_replacement(f)), path=(src["id"], src["config"]["file"]),
            location=source_location(src, runtime.get("line"), runtime.get("column")))
    for w in g.workloads:
        runtime = (w.get("source") or {}).get("runtime")
        if not runtime or runtime not in by_api:
            continue
        name, f = by_api[runtime]
        if not f["end_of_support"] or date.fromisoformat(f["end_of_support"]) > today:
            continue
        if w.get("status") == "PLANNED":  # not created yet: the creation itself will be refused
            yield finding(
                ref("workload", w),
                f"{w['name']} is planned on {runtime}, whose support ended on {f['end_of_support']}; "
                "App Runner refuses to create new services on it",
                Fix(_replacement(f)), path=(w["name"],), severity=Severity.HIGH)
            continue
        yield finding(
            ref("workload", w),
            f"{w['name']} runs on {runtime}, whose support ended on {f['end_of_support']}; it keeps "
            "running and can be updated, but a replacement service could not be created with it",
            Fix(_replacement(f)), path=(w["name"],))


def _replacement(f: dict[str, Any]) -> str:
    if f["language"] == "node":
        return "Move to the nodejs22 runtime (revised build: install steps outside /app go to run.pre-run)"
    if f["language"] == "python":
        return "Move to the python311 runtime (revised build: pip install in run.pre-run)"
    return "Move to an image-based service; App Runner will not release new versions of this runtime"


@check("BLD004")
def apprunner_yaml_invalid(g: ResourceGraph) -> Iterator[Hit]:
    known = apprunner_facts()["runtimes"]
    for src in sources(g):
        cfg = src.get("config")
        if not cfg:
            continue
        errors = list(cfg["errors"])
        runtime = (cfg.get("runtime") or {}).get("value")
        if cfg["parsed"] and runtime and runtime not in known:
            lowered = runtime.lower().replace(" ", "")
            hint = ("write it in lower case" if lowered in known
                    else _RUNTIME_HINTS.get(lowered, f"use one of {', '.join(sorted(known))}"))
            errors.append({"message": f"unknown runtime {runtime!r}: {hint}",
                           "line": cfg["runtime"]["line"], "column": cfg["runtime"]["column"]})
        if cfg["parsed"] and (cfg.get("runtime_version") or {}).get("yaml_number"):
            rv = cfg["runtime_version"]
            errors.append({"message": f"run.runtime-version {rv['value']} is a YAML number; quote it "
                                      f"('{rv['value']}') so that 3.10 does not become 3.1",
                           "line": rv["line"], "column": rv["column"]})
        if not errors:
            continue
        errors.sort(key=lambda e: (e["line"] or 0, e["column"] or 0))
        first = errors[0]
        listing = "; ".join(f"line {e['line']}: {e['message']}" if e["line"] else e["message"]
                            for e in errors[:12])
        more = f" (and {len(errors) - 12} more)" if len(errors) > 12 else ""
        yield finding(
            Ref(f"{src['id'].split('/', 1)[0]}/{cfg['file']}", "apprunner_yaml", None),
            f"{cfg['file']} is not a valid App Runner configuration: {listing}{more}",
            Fix("Fix the file against the configuration file reference "
                "(https://docs.aws.amazon.com/apprunner/latest/dg/config-file-ref.html)"),
            path=(src["id"], cfg["file"]),
            location=source_location(src, first["line"], first["column"]),
        )


_PORT_FLAGS = re.compile(r"(?:--port[= ]|-p\s+|--bind[= ]\S*:|-b\s+\S*:|PORT=)(\d{2,5})\b")


def _declared_port(src: Rec) -> tuple[str, str] | None:
    cfg = src.get("config") or {}
    command = (cfg.get("run_command") or {}).get("value") or ""
    m = _PORT_FLAGS.search(command)
    if m:
        return m.group(1), f"its start command ({command[:80]})"
    start = ((src.get("package") or {}).get("scripts") or {}).get("start", "")
    if cfg and ("npm start" in command or "npm run start" in command or "yarn start" in command):
        m = _PORT_FLAGS.search(start)
        if m:
            return m.group(1), f"package.json's start script ({start[:80]})"
    docker = src.get("dockerfile") or {}
    exposes = {e["port"] for e in docker.get("expose", [])}
    if not cfg and len(exposes) == 1:
        return exposes.pop(), f"{docker['file']} EXPOSE"
    return None


@check("BLD005")
def port_mismatch(g: ResourceGraph) -> Iterator[Hit]:
    for src in sources(g):
        cfg = src.get("config") or {}
        found = _declared_port(src)
        if found is None:
            continue
        port, where = found
        routed = str((cfg.get("port") or {}).get("value") or "8080")
        if port == routed:
            continue
        line = (cfg.get("port") or cfg.get("run_command") or {}).get("line")
        # Without apprunner.yaml the routed port lives in the service's API configuration,
        # which a source-only scan cannot see: then this is only a likely mismatch.
        guess = not cfg
        yield finding(
            source_ref(src),
            f"App Runner routes traffic and health checks to port {routed}"
            f"{'' if cfg.get('port') else ' (the default)'}, but {where} listens on {port}; "
            f"deployments fail with 'Health check failed on port {routed}'"
            + (f" (unless the service's Port is set to {port}, which a source-only scan cannot see)"
               if guess else ""),
            Fix(f"Listen on $PORT (App Runner sets it to {routed}), or route to {port}",
                (f"run:\n  network:\n    port: {port}   # apprunner.yaml",) if cfg else
                (f"aws apprunner update-service ... --source-configuration "
                 f"'ImageRepository={{ImageConfiguration={{Port={port}}}}}'",)),
            path=(src["id"],),
            location=source_location(src, line) if cfg
            else source_location(src, file=(src.get("dockerfile") or {}).get("file")),
            severity=Severity.LOW if guess else None,
        )


@check("BLD006")
def config_file_misnamed(g: ResourceGraph) -> Iterator[Hit]:
    for src in sources(g):
        cfg = src.get("config")
        if not cfg or not cfg["misnamed"]:
            continue
        yield finding(
            source_ref(src),
            f"{cfg['file']} is named .yml; App Runner reads only apprunner.yaml, so with the "
            "REPOSITORY configuration source the file is ignored",
            Fix("Rename the file", (f"git mv {cfg['file']} {cfg['file'][:-4]}.yaml",)),
            path=(src["id"], cfg["file"]), location=source_location(src, 1))


@check("BLD007")
def prerun_on_original_build(g: ResourceGraph) -> Iterator[Hit]:
    for src in sources(g):
        cfg = src.get("config")
        name, facts = _runtime(src)
        if not cfg or not cfg.get("pre_run") or not facts or name in REVISED_PRERUN:
            continue
        yield finding(
            source_ref(src),
            f"{cfg['file']} uses run.pre-run on {name}, which uses the original build; pre-run "
            "exists only on python311, nodejs18 and nodejs22",
            Fix("Move to a revised-build runtime, or move the commands into build.commands"),
            path=(src["id"], cfg["file"]),
            location=source_location(src, cfg["pre_run"].get("line"), cfg["pre_run"].get("column")))


@check("BLD008")
def nextjs_standalone_hostname(g: ResourceGraph) -> Iterator[Hit]:
    for src in sources(g):
        nc = src.get("next_config")
        cfg = src.get("config") or {}
        command = (cfg.get("run_command") or {}).get("value") or ""
        if not nc or not nc["standalone"] or not re.search(r"\bnode\s+(\S*/)?server\.js\b", command):
            continue
        env = {e["name"] for e in cfg.get("run_env", [])}
        if "HOSTNAME" in env or "HOSTNAME=0.0.0.0" in command or "HOSTNAME=" in command:
            continue
        yield finding(
            source_ref(src),
            f"{src['id']} starts Next.js standalone output with '{command[:60]}' and sets no "
            "HOSTNAME; server.js binds to the container's hostname and fails with EADDRNOTAVAIL",
            Fix("Set HOSTNAME=0.0.0.0 in run.env", ("run:\n  env:\n    - name: HOSTNAME\n      value: 0.0.0.0",)),
            path=(src["id"], nc["file"]),
            location=source_location(src, cfg["run_command"].get("line")))


@check("BLD009")
def no_immutable_artifact(g: ResourceGraph) -> Iterator[Hit]:
    for w in g.workloads:
        src = w.get("source") or {}
        if src.get("type") == "code":
            yield finding(
                ref("workload", w),
                f"{w['name']} builds from source ({src.get('repository')} branch {src.get('branch')}); "
                "App Runner keeps no image of a build, so a known-good version cannot be redeployed, "
                "only the branch's latest commit",
                Fix("Build an image in CI, push it to ECR with an immutable tag, and deploy the image"),
                path=(w["name"],))
        elif src.get("type") == "image":
            image = str(src.get("image") or "")
            tag = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else ""
            if "@sha256:" in image or (tag and tag != "latest"):
                continue
            yield finding(
                ref("workload", w),
                f"{w['name']} deploys {image} by the mutable tag '{tag or 'latest'}'; what runs after "
                "the next deployment is whatever the tag points at then",
                Fix("Deploy an immutable tag or a digest, and make the ECR repository's tags immutable"),
                path=(w["name"],))
    for src in sources(g):
        cfg = src.get("config")
        if cfg and cfg["parsed"]:
            yield finding(
                source_ref(src),
                f"{src['id']} is deployed from source code: App Runner keeps no image of a build, so "
                "a known-good version cannot be redeployed",
                Fix("Build an image in CI and deploy it as an image service"),
                path=(src["id"],), location=source_location(src, 1))


def _reserved(name: str) -> bool:
    return name.upper() == "PORT" or name.upper().startswith("AWSAPPRUNNER")


@check("BLD010")
def reserved_env_name(g: ResourceGraph) -> Iterator[Hit]:
    for src in sources(g):
        cfg = src.get("config") or {}
        for e in cfg.get("run_env", []) + cfg.get("build_env", []):
            if _reserved(e["name"]):
                yield finding(
                    Ref(f"{src['id']}/{e['name']}", "environment_variable", None),
                    f"{cfg['file']} sets {e['name']}, a name App Runner reserves (it sets PORT itself)",
                    Fix(f"Remove {e['name']}; to choose the port, use run.network.port"),
                    path=(src["id"], e["name"]), location=source_location(src, e.get("line")))
    for w in g.workloads:
        for e in w["env"]:
            if _reserved(e["name"]):
                yield finding(
                    Ref(f"{w['name']}/{e['name']}", "environment_variable", w["region"]),
                    f"{w['name']} sets {e['name']}, a name App Runner reserves",
                    Fix(f"Remove {e['name']} from the service's environment"), path=(w["name"], e["name"]))




# --- BLD011: a Dockerfile pinned to arm64 -------------------------------------------------------

_ARM = re.compile(r"^linux/(arm64|aarch64)(/v8)?$", re.IGNORECASE)


@check("BLD011")
def dockerfile_arm64_platform(g: ResourceGraph) -> Iterator[Hit]:
    for src in sources(g):
        docker = src.get("dockerfile") or {}
        stages = docker.get("stages") or []
        if not stages:
            continue
        final = stages[-1]  # the stage that becomes the image
        platform = str(final.get("platform") or "")
        if not _ARM.match(platform):
            continue  # no pin, $TARGETPLATFORM / $BUILDPLATFORM, or amd64
        yield finding(
            source_ref(src),
            f"{docker['file']} builds its final stage FROM --platform={platform}, so the image is arm64 "
            "whatever machine builds it; App Runner runs only x86-64, and a Fargate task runs X86_64 unless "
            "its runtimePlatform says ARM64: the container exits with \"exec format error\"",
            Fix("Drop the --platform pin (or use $TARGETPLATFORM) and build for linux/amd64, or run the ECS task "
                "on ARM64",
                ("docker buildx build --platform linux/amd64 -t <image> .",)),
            path=(src["id"],), location=source_location(src, final.get("line"), file=docker.get("file")))
