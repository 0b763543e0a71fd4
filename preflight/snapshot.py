"""The snapshot: one versioned JSON document holding everything a scan read.

It is the seam between the live account and everything pure: `--save-snapshot` writes it,
`--snapshot` replays it with no AWS access, and the graph is built from it alone. It holds
metadata only; environment variable values never reach it (see `collect.apprunner`).
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from functools import cache
from importlib import resources as pkg
from pathlib import Path
from typing import Any

import jsonschema

from preflight.errors import InputError

SNAPSHOT_VERSION = "1"
ORG_SNAPSHOT_KIND = "organization"  # `kind` of a snapshot of several accounts
COLLECTIONS = (
    "services", "vpc_connectors", "autoscaling_configs",
    "vpcs", "subnets", "route_tables", "internet_gateways", "nat_gateways", "peerings",
    "security_groups", "network_acls", "vpc_endpoints",
    "db_instances", "db_clusters", "db_subnet_groups",
    "roles", "secrets", "ssm_parameters", "kms_keys",
    "connections", "autoscaling_summaries", "dns_zones", "dns_records", "quotas",
)
# Optional collections: absent from snapshots that did not read them.
OPTIONAL = ("sources", "fargate_tasks", "iam_simulations", "organization",
            "transit_gateway_attachments", "transit_gateway_route_tables", "prefix_lists",
            "ecr_images", "log_groups", "deploy_evidence")
# Collections that can only take permissions away (organization SCPs and RCPs): a gap on them
# leaves the rules that need them not fully evaluated, yet their findings stand, so they still run.
RESTRICTING = ("organization",)
# Parts of a collection that a gap can leave unknown while the rest is read: the ECS services
# among "services" (ECS refused, App Runner read), the certificates in front of them.
PARTIAL = ("ecs_services", "certificates", "target_groups", "service_tags", "role_policies", "source_packages")


def empty_resources() -> dict[str, list[dict[str, Any]]]:
    return {name: [] for name in COLLECTIONS}


def source_only(apps: list[dict[str, Any]]) -> dict[str, Any]:
    """A snapshot of local sources alone: no account, no region, nothing read from AWS."""
    from datetime import UTC, datetime

    from preflight import __version__

    return {"snapshot_version": SNAPSHOT_VERSION, "tool": {"name": "preflight", "version": __version__},
            "account": None, "regions": [], "requested_regions": [], "api_calls": 0, "gaps": [],
            "collected_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "duration_s": 0.0, "resources": {**empty_resources(), "sources": apps}}


@cache
def load_schema(name: str) -> dict[str, Any]:
    text = pkg.files("preflight.schemas").joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _where(error: jsonschema.ValidationError) -> str:
    return "/".join(str(p) for p in error.absolute_path) or "(top level)"


def validate(doc: Any, source: str) -> dict[str, Any]:
    """Checks `doc` against the snapshot schema; the first error names its JSON path."""
    return _checked(doc, source, "snapshot.schema.json", "a preflight snapshot")


def _checked(doc: Any, source: str, schema: str, what: str) -> dict[str, Any]:
    """`doc` if it is of this preflight's snapshot version and valid against `schema`."""
    if isinstance(doc, dict) and doc.get("snapshot_version") not in (None, SNAPSHOT_VERSION):
        raise InputError(source, f"snapshot version {doc.get('snapshot_version')!r} is not "
                                 f"supported (this preflight reads version {SNAPSHOT_VERSION})")
    validator = jsonschema.Draft202012Validator(load_schema(schema))
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is not None:
        raise InputError(source, f"not {what}: at {_where(error)}: {error.message[:200]}")
    assert isinstance(doc, dict)
    return doc


def is_organization(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("kind") == ORG_SNAPSHOT_KIND


def validate_organization(doc: Any, source: str) -> dict[str, Any]:
    """Checks a snapshot of several accounts: its own schema, then every account's snapshot
    against the snapshot schema; an account may appear once."""
    org = _checked(doc, source, "organization-snapshot.schema.json", "a preflight organization snapshot")
    seen: set[str] = set()
    for i, account in enumerate(org["accounts"]):
        validate(account, f"{source} (accounts/{i})")
        if account["account"] in seen:
            raise InputError(source, f"account {account['account']} appears twice")
        seen.add(account["account"])
    return org


def validate_any(doc: Any, source: str) -> dict[str, Any]:
    """A snapshot of one account or of several (`kind` "organization")."""
    return validate_organization(doc, source) if is_organization(doc) else validate(doc, source)


def load_any(path: str) -> dict[str, Any]:
    return validate_any(read_json(path), path)


# The largest file preflight reads (a snapshot of a large account is tens of megabytes): past it,
# the input is refused rather than read until memory runs out.
MAX_INPUT_BYTES = 512 * 1024 * 1024


def read_text(path: str, limit: int = MAX_INPUT_BYTES) -> str:
    """A user's file as text; every way it can be unreadable is one InputError naming it.
    Only regular files are read (a device, FIFO or socket would never end, or never start),
    and never more than `limit` bytes."""
    try:
        info = os.stat(path)  # follows a symlink to what it names
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except (OSError, ValueError) as e:  # ValueError: a path with a NUL byte
        raise InputError(path, f"cannot read: {getattr(e, 'strerror', None) or e}") from e
    if stat.S_ISDIR(info.st_mode):
        raise InputError(path, "is a directory, expected a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(path, "is not a regular file (a device, pipe or socket), expected a file")
    if info.st_size > limit:
        raise InputError(path, f"is {info.st_size:,} bytes, over the {limit:,}-byte limit")
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror or e}") from e
    if len(data) > limit:
        raise InputError(path, f"is over the {limit:,}-byte limit")
    bom = data[:2] in (b"\xff\xfe", b"\xfe\xff")
    if bom or (len(data) >= 4 and b"\0\0" in (data[1:4:2], data[0:4:2])):
        # what Windows PowerShell's `>` and Out-File write by default
        raise InputError(path, f"{'is' if bom else 'looks like'} UTF-16 text; re-save it as UTF-8 "
                               "(in PowerShell: `... | Out-File -Encoding utf8 FILE`)")
    try:
        # a UTF-8 byte-order mark (PowerShell's `-Encoding utf8`) is dropped, as JSON and YAML allow
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(path, f"is not UTF-8 text (byte {e.start})") from e


def read_json(path: str) -> Any:
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(path, f"invalid JSON at column {e.colno}: {e.msg}", line=e.lineno) from e
    except RecursionError as e:
        raise InputError(path, "invalid JSON: nested too deeply") from e


def load(path: str) -> dict[str, Any]:
    return validate(read_json(path), path)


def load_bundled(name: str) -> dict[str, Any]:
    text = pkg.files("preflight.demo").joinpath(name).read_text(encoding="utf-8")
    return validate(json.loads(text), f"<bundled {name}>")


def write_atomic(path: str, text: str) -> None:
    """Writes the whole file or nothing: a failed write never leaves half a report behind."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    except OSError as e:
        raise InputError(path, f"cannot write: {e.strerror or e}") from e
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(path, f"cannot write: {e.strerror or e}") from e


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def save(doc: dict[str, Any], path: str) -> None:
    write_atomic(path, dumps(doc))
