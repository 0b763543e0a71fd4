"""moto's server on loopback behind a gate that refuses, as AWS does, any request outside the
service model.

`strict` checks requests inside the process that sends them; this checks them on the wire, the
way an AWS endpoint sees them, so a scan run in another process (the benchmark's child, the
command line) meets the same refusal a real account gives. The gate reads the signing name from
the SigV4 credential scope, decodes the request body with the model (the EC2 and query
protocols' flattened `Name.1.Member` keys, or the JSON protocol's body), checks it with
`strict.check_request` and answers HTTP 400 with the protocol's error document when it breaks the
model. Everything else goes to moto unchanged. REST protocols (Route 53, rest-json services) are
passed through unchecked and counted in `unchecked`: their parameters live in the URL and headers.

    with ModelGatedMoto() as server:        # http://127.0.0.1:<port>
        ...  AWS_ENDPOINT_URL=server.url ...
        server.refused                      # what was refused, as strict.Violation-like strings
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

import botocore.session

from tests.doubles import strict

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[a-z0-9-]+/([a-z0-9-]+)/aws4_request")
# The services the worlds and the scans talk to; their signing names map back to model names.
_SERVICES = ("ec2", "rds", "iam", "sts", "secretsmanager", "kms", "ssm", "ecs", "elbv2", "acm", "logs",
             "resourcegroupstaggingapi", "service-quotas", "route53", "apprunner")
_MISSING = object()


def _models() -> dict[str, Any]:
    session = botocore.session.get_session()
    out = {}
    for name in _SERVICES:
        model = session.get_service_model(name)
        out[model.signing_name] = model
    return out


def _member_key(name: str, member: Any, protocol: str) -> str:
    if protocol == "ec2":
        query = member.serialization.get("queryName")
        if query:
            return str(query)
        located = member.serialization.get("name") or name
        return str(located[0].upper() + located[1:])
    return str(member.serialization.get("name") or name)


def _decode(shape: Any, flat: dict[str, str], prefix: str, protocol: str, used: set[str]) -> Any:
    """The value at `prefix` in the flattened form parameters, rebuilt by `shape`."""
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = _member_key(name, member, protocol)
            value = _decode(member, flat, f"{prefix}.{key}" if prefix else key, protocol, used)
            if value is not _MISSING:
                out[name] = value
        return out if out or not prefix else _MISSING
    if kind == "list":
        if protocol == "ec2" or shape.serialization.get("flattened"):
            base = prefix
        else:
            base = f"{prefix}.{shape.member.serialization.get('name') or 'member'}"
        items: list[Any] = []
        i = 1
        while True:
            value = _decode(shape.member, flat, f"{base}.{i}", protocol, used)
            if value is _MISSING:
                break
            items.append(value)
            i += 1
        if not items and prefix in flat and flat[prefix] == "":  # an empty list is sent as "Name="
            used.add(prefix)
            return []
        return items if items else _MISSING
    if kind == "map":
        entries: dict[Any, Any] = {}
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        i = 1
        while True:
            k = _decode(shape.key, flat, f"{base}.{i}.{shape.key.serialization.get('name') or 'key'}", protocol, used)
            if k is _MISSING:
                break
            entries[k] = _decode(shape.value, flat, f"{base}.{i}.{shape.value.serialization.get('name') or 'value'}",
                                 protocol, used)
            i += 1
        return entries if entries else _MISSING
    if prefix not in flat:
        return _MISSING
    used.add(prefix)
    raw = flat[prefix]
    try:
        if kind in ("integer", "long"):
            return int(raw)
        if kind in ("float", "double"):
            return float(raw)
    except ValueError:
        return raw  # reported by the check as the wrong type
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    return raw


def decode_query(model: Any, form: dict[str, str]) -> tuple[str, dict[str, Any], list[str]]:
    """(operation, parameters, unknown keys) of an EC2 or query protocol request."""
    operation = form.get("Action", "")
    shape = model.operation_model(operation).input_shape
    used = {"Action", "Version"}
    params = _decode(shape, form, "", model.protocol, used) if shape is not None else {}
    unknown = sorted(k for k in form if k not in used)
    return operation, params, unknown


def _error(protocol: str, code: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    message = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if protocol == "ec2":
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                "<RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>")
        return "400 Bad Request", [("Content-Type", "text/xml")], body.encode()
    if protocol == "query":
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                "</Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>")
        return "400 Bad Request", [("Content-Type", "text/xml")], body.encode()
    payload = json.dumps({"__type": code, "message": message}).encode()
    return "400 Bad Request", [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)], payload


class Gate:
    """WSGI middleware: checks each request against the model, refuses or forwards it."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.models = _models()
        self.refused: list[str] = []
        self.checked = 0
        self.unchecked = 0
        self._lock = threading.Lock()

    def problems(self, environ: dict[str, Any], body: bytes) -> tuple[Any, str, list[str]] | None:
        match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        model = self.models.get(match.group(1)) if match else None
        if model is None or model.protocol not in ("ec2", "query", "json"):
            with self._lock:
                self.unchecked += 1
            return None
        if model.protocol == "json":
            operation = environ.get("HTTP_X_AMZ_TARGET", "").rsplit(".", 1)[-1]
            params = json.loads(body or b"{}")
            found = strict.check_request(model, operation, params)
        else:
            text = body.decode() if environ.get("REQUEST_METHOD") == "POST" else environ.get("QUERY_STRING", "")
            form = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
            operation, params, unknown = decode_query(model, form)
            found = strict.check_request(model, operation, params) + [
                f"{k}: unknown parameter" for k in unknown]
        with self._lock:
            self.checked += 1
        return model, operation, found

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        import io

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        judged = self.problems(environ, body)
        if judged is not None and judged[2]:
            model, operation, found = judged
            with self._lock:
                self.refused += [f"{model.service_name}.{operation}: {p}" for p in found]
            code = strict.error_code(model.protocol)
            status, headers, payload = _error(model.protocol, code, "; ".join(found)[:900])
            start_response(status, [*headers, ("Content-Length", str(len(payload)))])
            return [payload]
        return self.app(environ, start_response)


class ModelGatedMoto:
    """moto's server app behind a `Gate`, on a free port of 127.0.0.1, in a thread."""

    def __init__(self) -> None:
        import logging

        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.gate = Gate(DomainDispatcherApplication(create_backend_app))
        self.server = make_server("127.0.0.1", 0, self.gate, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @property
    def refused(self) -> list[str]:
        return list(self.gate.refused)

    def reset(self) -> None:
        """moto's backends are this process's; start from an empty account."""
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=30)

    def __enter__(self) -> ModelGatedMoto:
        self.thread.start()
        self.reset()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
