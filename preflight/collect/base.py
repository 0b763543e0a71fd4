"""What every collector shares: the `Task` unit of work, pagination, and gap records."""

from __future__ import annotations

import functools
import importlib.resources as pkg
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore import xform_name

from preflight.collect.aws import Operation, share_models

Records = list[dict[str, Any]]


def iso_time(value: Any) -> str | None:
    """A timestamp from botocore (tz-aware, often local time) as UTC ISO 8601 with a Z."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value) if value else None


class Vanished(Exception):
    """A resource that was listed and then deleted before it was described. Passed to the gap
    sink, it becomes a note in the snapshot, not a gap: there is nothing left to evaluate."""


# AWS's answer when a listed resource is gone by the time it is described.
NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "ServiceNotFoundException", "NotFoundException"})


def error_code(e: BaseException) -> str:
    response = getattr(e, "response", None)
    return str((response or {}).get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


# Called by a fetch that could read only part of its collection (one describe of many failed):
# the collection is still kept, and the failed operation becomes a gap.
GapSink = Callable[[Operation, BaseException], None]


@dataclass(frozen=True, slots=True)
class Task:
    """Fetch one collection in one region: `fetch` calls AWS, `transform` is pure."""

    collection: str
    operation: Operation
    region: str
    fetch: Callable[[Any, GapSink], Any]
    transform: Callable[[Any, str], Records]
    # What a failed read leaves unknown, when that is not the whole collection: an ECS read
    # that fails leaves the App Runner services known, so its gap names "ecs_services".
    gap_collections: tuple[str, ...] = ()

    @property
    def unknown(self) -> list[str]:
        return list(self.gap_collections or (self.collection,))


@functools.cache
def documented_limits() -> dict[str, dict[str, Any]]:
    """Constraints AWS documents but the service model omits (`data/request_limits.json`)."""
    raw = json.loads(pkg.files("preflight.data").joinpath("request_limits.json").read_text("utf-8"))
    limits: dict[str, dict[str, Any]] = raw["limits"]
    return limits


@functools.cache
def _models() -> botocore.session.Session:
    """One botocore session for model look-ups, on the process's shared loader: each session
    with a loader of its own would parse the models again (EC2's alone is megabytes of JSON)."""
    return share_models(botocore.session.get_session())


@functools.cache
def _service_model(service: str) -> Any:
    return _models().get_service_model(service)


@functools.cache
def _limit_key(service: str, operation: str) -> str | None:
    model = _models().get_paginator_model(service)
    try:
        key = model.get_paginator(operation).get("limit_key")
    except ValueError:  # no paginator for this operation
        return None
    return str(key) if key else None


@functools.cache
def largest_page(service: str, operation: str, member: str | None = None) -> int | None:
    """The largest page size `operation` accepts: the `max` of its page-size member in the
    service model, else the maximum AWS documents for it, else None (let AWS choose).

    One constant for every operation is wrong: EC2's DescribeRouteTables takes 5..100 where the
    other describes take 5..1000, and AWS refuses the request outside the range."""
    member = member or _limit_key(service, operation)
    if member is None:
        return None
    shape = _service_model(service).operation_model(operation).input_shape
    found = shape.members.get(member) if shape is not None else None
    if found is None or found.type_name not in ("integer", "long"):
        return None  # Route 53's MaxItems is a string; its default page is the largest anyway
    top = found.metadata.get("max")
    if top is None:
        top = documented_limits().get(f"{service}.{operation}.{member}", {}).get("max")
    return int(top) if top is not None else None


def paginate(client: Any, operation: str, key: str, page_size: int | None = None,
             **params: Any) -> list[dict[str, Any]]:
    """All items under `key` over every page, with botocore's paginator, in the largest pages
    the operation accepts (`largest_page`) unless `page_size` asks for smaller ones."""
    paginator = client.get_paginator(xform_name(operation))
    size = page_size or largest_page(client.meta.service_model.service_name, operation)
    config = {"PageSize": size} if size else {}
    items: list[dict[str, Any]] = []
    for page in paginator.paginate(PaginationConfig=config, **params):
        items.extend(page.get(key, []))
    return items


def follow_tokens(call: Callable[..., dict[str, Any]], key: str, **params: Any) -> list[Any]:
    """All items under `key`, following `NextToken` by hand (App Runner has no paginators)."""
    items: list[Any] = []
    token: str | None = None
    seen: set[str] = set()
    while True:
        page = call(**params, **({"NextToken": token} if token else {}))
        items.extend(page.get(key, []))
        token = page.get("NextToken")
        if not token or token in seen:  # a repeated token would loop forever
            return items
        seen.add(token)
