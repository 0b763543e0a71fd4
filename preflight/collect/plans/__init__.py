"""Planned infrastructure: CloudFormation templates (JSON or YAML, CDK output included),
Terraform plans (`terraform show -json`) and App Runner CLI input, turned into the same snapshot
records the live collectors produce, so that every rule runs on what is about to be deployed.

A planned resource's id is its address (`cfn:LogicalId`, `tf:aws_vpc.main`) unless the plan
names a real one; a reference to another planned resource resolves to that address, a value
only known after deployment is None and named as a gap, so a rule that needs it is reported as
not evaluated rather than passing. Every record carries `_location` (file and line), which
findings inherit. One module per input format, the shared record builders in `records`.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from preflight.collect.plans.cli_input import load_cli_input
from preflight.collect.plans.cloudformation import load_cloudformation
from preflight.collect.plans.records import EXPORTS, INPUTS, META, PLAN_GAPS, Records
from preflight.collect.plans.terraform import load_terraform
from preflight.errors import InputError
from preflight.snapshot import empty_resources, read_text

__all__ = ["EXPORTS", "INPUTS", "PLAN_GAPS", "Records", "load_plan_file", "load_plan_files", "overlay"]

log = logging.getLogger(__name__)


def load_plan_file(path: str, parameters: dict[str, str], region: str, account: str,
                   exports: dict[str, Any] | None = None) -> Records:
    """Records of a template, plan or CLI input. A file whose parts have shapes no tool writes
    (a string where a mapping belongs, a list too short) is one InputError, never a crash.
    `exports` are the Export names and values of the other templates scanned with this one, for
    its Fn::ImportValue; what this file exports is returned under EXPORTS."""
    text = read_text(path)
    try:
        out = _load_plan(path, text, parameters, region, account, exports or {})
    except InputError:
        raise
    except RecursionError as e:
        raise InputError(path, "nested too deeply") from e
    except Exception as e:
        if not _recognised(text):
            raise InputError(path, f"unexpected structure ({type(e).__name__}: {str(e)[:120]}); is it a "
                                   "template, a `terraform show -json` plan or --cli-input-json?") from e
        # a real plan or template the reader fails on: its resources are unchecked, said so, and
        # the rest of the scan (other plans, sources, the account) still reports
        log.debug("reading %s failed", path, exc_info=True)
        out = empty_resources()
        out[PLAN_GAPS] = [{
            "region": region, "service": "plan", "operation": f"read {path}", "iam_action": "none (a planned value)",
            "error": f"{path}: preflight could not read this file ({type(e).__name__}: {str(e)[:160]}), so "
                     "nothing in it was checked; this is a preflight bug, please report it",
            "collections": sorted(empty_resources()),
        }]
    if INPUTS not in out:
        out[INPUTS] = [{"file": path, "format": "cli-input-json" if out.get("services") or out.get("vpc_connectors")
                        else "unreadable", "region": region,
                        "read": {k: len(v) for k, v in sorted(out.items()) if v and k not in META},
                        "ignored": {}, "inferred": []}]
    return out


def _recognised(text: str) -> bool:
    """A Terraform plan or a CloudFormation template whose top-level shape is right: a failure
    reading it is preflight's, not the file's."""
    try:
        doc = json.loads(text) if text.lstrip().startswith("{") else None
    except ValueError:
        return False
    if isinstance(doc, dict):
        pv, rc = doc.get("planned_values"), doc.get("resource_changes")
        shaped = isinstance(pv, (dict, type(None))) and isinstance(rc, (list, type(None)))
        if (pv is not None or rc is not None) and shaped:
            return True
        return isinstance(doc.get("Resources"), dict) and all(isinstance(r, dict) for r in doc["Resources"].values())
    return doc is None and bool(re.search(r"(?m)^Resources:\s*$", text))


def _load_plan(path: str, text: str, parameters: dict[str, str], region: str, account: str,
               exports: dict[str, Any] | None = None) -> Records:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(path, f"invalid JSON at column {e.colno}: {e.msg}", e.lineno) from e
        if isinstance(doc, dict) and ("planned_values" in doc or "resource_changes" in doc):
            return load_terraform(path, doc, text, region, account)
        if isinstance(doc, dict) and isinstance(doc.get("Resources"), dict):
            return load_cloudformation(path, text, parameters, region, account, exports or {})
        if isinstance(doc, dict) and ("SourceConfiguration" in doc or "VpcConnectorName" in doc):
            return load_cli_input(path, doc, text, region, account)
        raise InputError(
            path,
            "neither a CloudFormation template, a Terraform plan (terraform show -json) "
            "nor App Runner CLI input (--cli-input-json)",
        )
    return load_cloudformation(path, text, parameters, region, account, exports or {})


def overlay(live: dict[str, Any], planned: Records, sources: list[str]) -> dict[str, Any]:
    """Planned records laid over a snapshot: a planned record replaces the live one with the same
    id, new ones are added."""
    resources = {k: list(v) for k, v in live["resources"].items()}
    gaps = list(live.get("gaps", [])) + list(planned.get(PLAN_GAPS, []))
    inputs = list(live.get("inputs", [])) + list(planned.get(INPUTS, []))
    for collection, records in planned.items():
        if not records or collection in META:
            continue
        key = (
            "name"
            if collection == "db_subnet_groups"
            else ("arn" if collection in ("services", "vpc_connectors", "roles", "secrets", "kms_keys") else "id")
        )
        replaced = {r.get(key) for r in records}
        resources[collection] = [r for r in resources.get(collection, []) if r.get(key) not in replaced] + records
    regions = sorted(
        {*live.get("regions", []), *(r["region"] for k, rs in planned.items() if k not in META
                                     for r in rs if r.get("region"))}
    )
    return {**live, "regions": regions, "plans": sources, "inputs": inputs, "resources": resources, "gaps": gaps}


def load_plan_files(paths: list[str], parameters: dict[str, str], region: str,
                    account: str) -> list[tuple[str, Records]]:
    """Every file's records, a template's Fn::ImportValue joined to another scanned template's
    Export (in any order: the files are read again once everything they export is known)."""
    loaded = [(p, load_plan_file(p, parameters, region, account)) for p in paths]
    exports: dict[str, Any] = {}
    for _, records in loaded:
        exports.update({e["name"]: e["value"] for e in records.get(EXPORTS, [])})
    if not exports:
        return loaded
    return [(p, load_plan_file(p, parameters, region, account, exports)) for p in paths]
