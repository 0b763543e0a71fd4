"""What every collector shares: the `Task` unit of work, pagination, and gap records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore import xform_name

from preflight.collect.aws import Operation

Records = list[dict[str, Any]]


def iso_time(value: Any) -> str | None:
    """A timestamp from botocore (tz-aware, often local time) as UTC ISO 8601 with a Z."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value) if value else None


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


def paginate(client: Any, operation: str, key: str, page_size: int | None = None,
             **params: Any) -> list[dict[str, Any]]:
    """All items under `key` over every page, with botocore's paginator."""
    paginator = client.get_paginator(xform_name(operation))
    config = {"PageSize": page_size} if page_size else {}
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
