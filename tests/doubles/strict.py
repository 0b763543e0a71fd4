"""Requests checked against the service model as strictly as AWS checks them.

moto accepts almost anything, and botocore's own validation checks types, required members and
minimums only, so a request that AWS refuses (`MaxResults=1000` to DescribeRouteTables, whose
model says 5..100) passes every test and fails in every real account. `install()` makes every
botocore client created afterwards check each request it is about to send against its
operation's input shape in the installed service model, as AWS does:

- structures: required members present, no member the shape lacks, unions with one member set;
- lists and maps: `min` / `max` entries; strings: `min` / `max` length, `enum`, `pattern`;
- integers, longs, floats and doubles: `min` / `max`; booleans, timestamps and blobs by type;
- the constraints AWS documents but the model omits, from `preflight/data/request_limits.json`.

Smithy's `pattern` trait is an ECMA 262 regular expression that is not implicitly anchored
(https://smithy.io/2.0/spec/constraint-traits.html#pattern-trait), so a value is accepted when
the pattern is found anywhere in it; the `regex` package understands the `\\p{L}` classes that
the models use and Python's `re` does not.

A request that breaks the model is answered the way AWS answers it (HTTP 400 with the
protocol's validation error code) and never reaches moto, a `Stubber` or a fake; every such
request is also recorded in `VIOLATIONS`, so that a test fails even where the code under test
turns the error into a gap. The test suite turns this on for every test (tests/conftest.py), the
benchmark and the demo builder call `install()` themselves.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse

try:  # ships with moto's dependencies (cfn-lint); needed for the models' \p{..} classes
    import regex as _regex
except ImportError:  # pragma: no cover - the test extras install it
    _regex = None
import re as _re


@dataclass(frozen=True, slots=True)
class Violation:
    service: str
    operation: str
    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.service}.{self.operation}: {self.path}: {self.problem}"


VIOLATIONS: list[Violation] = []
_lock = threading.Lock()
_patterns: dict[str, Any] = {}

# The error each protocol answers for a request outside the model. EC2: "InvalidParameterValue"
# (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html); the other query
# services: "ValidationError"; JSON and REST-JSON services: "ValidationException"; Route 53:
# "InvalidInput".
_ERROR_CODE = {"ec2": "InvalidParameterValue", "query": "ValidationError", "json": "ValidationException",
               "rest-json": "ValidationException", "rest-xml": "InvalidInput",
               "smithy-rpc-v2-cbor": "ValidationException"}


def error_code(protocol: str) -> str:
    """The error code AWS answers a request outside the model with, by the service's protocol."""
    return _ERROR_CODE.get(protocol, "ValidationException")


_paused = threading.Event()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Requests leave this process unchecked, for tests of a gate on the wire (`model_gate`)."""
    _paused.set()
    try:
        yield
    finally:
        _paused.clear()


def _compiled(pattern: str) -> Any:
    found = _patterns.get(pattern)
    if found is None:
        engine = _regex if _regex is not None else _re
        try:
            found = engine.compile(pattern)
        except Exception:  # a pattern neither engine reads: checked by nothing, said by the test of this module
            found = False
        _patterns[pattern] = found
    return found


def _documented() -> dict[str, dict[str, Any]]:
    from preflight.collect.base import documented_limits

    return documented_limits()


def check(shape: Any, value: Any, path: str = "") -> Iterator[str]:
    """Every way `value` breaks `shape` (a botocore Shape), as 'path: problem' strings."""
    where = path or "<input>"
    if value is None:
        yield f"{where}: None is not a value"
        return
    expected = _TYPES.get(shape.type_name)
    wrong = expected is not None and (not isinstance(value, expected[0]) or (
        isinstance(value, bool) and bool not in expected[0]))
    if wrong and not (shape.type_name == "blob" and hasattr(value, "read")):  # a file is a blob
        yield f"{where}: expected {expected[1] if expected else '?'}, got {type(value).__name__}"
        return
    checker = _CHECKERS.get(shape.type_name)
    if checker is not None:
        yield from checker(shape, value, path, where)


def _structure(shape: Any, value: dict[str, Any], path: str, where: str) -> Iterator[str]:
    for name in shape.required_members:
        if name not in value or value[name] is None:
            yield f"{where}: required member {name!r} is missing"
    for name, item in value.items():
        member = shape.members.get(name)
        if member is None:
            yield f"{where}: unknown member {name!r}"
            continue
        yield from check(member, item, f"{path}.{name}" if path else name)
    if shape.metadata.get("union") and len([k for k, v in value.items() if v is not None]) != 1:
        yield f"{where}: a union takes exactly one member"


def _list(shape: Any, value: list[Any], path: str, where: str) -> Iterator[str]:
    yield from _bounds(where, len(value), shape.metadata, "entries")
    for i, item in enumerate(value):
        yield from check(shape.member, item, f"{path}[{i}]")


def _map(shape: Any, value: dict[Any, Any], path: str, where: str) -> Iterator[str]:
    yield from _bounds(where, len(value), shape.metadata, "entries")
    for k, v in value.items():
        yield from check(shape.key, k, f"{path}<key {k!r}>")
        yield from check(shape.value, v, f"{path}[{k!r}]")


def _string(shape: Any, value: str, path: str, where: str) -> Iterator[str]:
    yield from _bounds(where, len(value), shape.metadata, "characters")
    if shape.enum and value not in shape.enum:
        yield f"{where}: {value!r} is not one of {sorted(shape.enum)}"
    pattern = shape.metadata.get("pattern")
    compiled = _compiled(pattern) if pattern else None
    if compiled and not compiled.search(value):
        yield f"{where}: {value!r} does not match the pattern {pattern!r}"


def _number(shape: Any, value: float, path: str, where: str) -> Iterator[str]:
    yield from _bounds(where, value, shape.metadata, "")


# shape type -> (accepted Python types, what the message calls them); bool is an int in Python
# but never a number to AWS
_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "structure": ((dict,), "a structure"), "list": ((list, tuple), "a list"), "map": ((dict,), "a map"),
    "string": ((str,), "a string"), "integer": ((int,), "an integer"), "long": ((int,), "an integer"),
    "float": ((int, float), "a number"), "double": ((int, float), "a number"),
    "boolean": ((bool,), "a boolean"),
    "timestamp": ((_dt.datetime, _dt.date, str, int, float), "a timestamp"),
    "blob": ((bytes, bytearray, str), "bytes"),
}
_CHECKERS: dict[str, Any] = {"structure": _structure, "list": _list, "map": _map, "string": _string,
                             "integer": _number, "long": _number, "float": _number, "double": _number}


def _bounds(where: str, n: float, meta: dict[str, Any], unit: str) -> Iterator[str]:
    low, high = meta.get("min"), meta.get("max")
    noun = f"{n} {unit}".strip()
    if low is not None and n < low:
        yield f"{where}: {noun} is below the minimum {low}"
    if high is not None and n > high:
        yield f"{where}: {noun} is above the maximum {high}"


def check_request(service_model: Any, operation: str, params: dict[str, Any]) -> list[str]:
    """Every problem of `params` for `operation`: the model's constraints and the documented ones."""
    shape = service_model.operation_model(operation).input_shape
    problems = list(check(shape, params)) if shape is not None else (
        [f"{operation} takes no parameters"] if params else [])
    service = service_model.service_name
    for key, limit in _documented().items():
        svc, op, member = key.split(".", 2)
        if svc != service or op != operation or member not in params:
            continue
        value = params[member]
        size = len(value) if isinstance(value, list | tuple) else value
        if not isinstance(size, int):
            continue
        low = limit.get("min_items" if isinstance(value, list | tuple) else "min")
        high = limit.get("max_items" if isinstance(value, list | tuple) else "max")
        if low is not None and size < low:
            problems.append(f"{member}: {size} is below the documented minimum {low} ({limit['source']})")
        if high is not None and size > high:
            problems.append(f"{member}: {size} is above the documented maximum {high} ({limit['source']})")
    return problems


class _Hook:
    """Checks at `before-parameter-build` (the caller's final parameters, after the paginator
    has added its page size) and refuses at `before-call`, ahead of moto, stubs and fakes.
    botocore's own ParamValidationError (wrong types, missing members, under a minimum) comes
    between the two; the same problems are recorded here first, so a collector that turns that
    exception into a gap still fails its test."""

    def __init__(self, service_model: Any) -> None:
        self.model = service_model

    def before_parameter_build(self, params: dict[str, Any], model: Any, context: dict[str, Any],
                               **_: Any) -> None:
        if _paused.is_set():
            return
        problems = check_request(self.model, model.name, params)
        if not problems:
            return
        service = self.model.service_name
        with _lock:
            VIOLATIONS.extend(Violation(service, model.name, *p.split(": ", 1)) if ": " in p
                              else Violation(service, model.name, "", p) for p in problems)
        context["preflight_strict_problems"] = problems

    def before_call(self, model: Any, context: dict[str, Any], **_: Any) -> Any:
        problems = context.get("preflight_strict_problems")
        if not problems:
            return None
        code = error_code(self.model.metadata.get("protocol", "json"))
        message = f"refused as AWS would: {'; '.join(problems)[:900]}"
        return (AWSResponse("https://strict.invalid", 400, {}, None),
                {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}})


def attach(client: Any) -> None:
    """botocore calls the handlers of deeper event names first, and of the wildcard before the
    named one at the same depth: the check sits at the root name, last, so it sees the parameters
    after botocore's own fixes (Route 53's `/hostedzone/` prefix); the refusal sits at the
    deepest wildcard, first, so it answers before any fake or stub."""
    hook = _Hook(client.meta.service_model)
    client.meta.events.register_last("before-parameter-build", hook.before_parameter_build)
    client.meta.events.register_first("before-call.*.*", hook.before_call)


_installed = False


def install() -> None:
    """From now on, every botocore client this process creates checks its requests."""
    global _installed
    with _lock:
        if _installed:
            return
        original = botocore.session.Session.create_client

        def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
            client = original(self, *args, **kwargs)
            attach(client)
            return client

        botocore.session.Session.create_client = create_client
        _installed = True


def take() -> list[Violation]:
    """The violations recorded since the last call, cleared."""
    with _lock:
        found = list(VIOLATIONS)
        VIOLATIONS.clear()
    return found


def unpatterned(services: list[str]) -> list[str]:
    """Patterns in these services' models that no engine here can compile (so go unchecked)."""
    session = botocore.session.get_session()
    out = []
    for svc in services:
        model = session.get_service_model(svc)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern and not _compiled(pattern):
                out.append(f"{svc}.{name}: {pattern}")
    return out
