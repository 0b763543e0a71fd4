"""App Runner and Service Quotas served over HTTP on 127.0.0.1, for the benchmark.

moto's server has neither. This server speaks their JSON protocol (`X-Amz-Target`), takes the
region from the request's SigV4 credential scope, answers from `FakeAppRunner` /
`FakeServiceQuotas` (which validate every response against the service model), and can add a
fixed delay per request to stand in for real AWS round trips. Point a scan at it with
`AWS_ENDPOINT_URL_APPRUNNER`, `AWS_ENDPOINT_URL_SERVICE_QUOTAS` and
`AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API` (App Runner's tags). It binds loopback only.
"""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import botocore.session
from botocore.validate import validate_parameters

from tests.doubles.apprunner_fake import FakeAppRunner, FakeServiceQuotas

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
_MODELS = {name: botocore.session.get_session().get_service_model(name)
           for name in ("apprunner", "service-quotas", "resourcegroupstaggingapi")}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


class StubServer:
    def __init__(self, apprunner: FakeAppRunner, quotas: FakeServiceQuotas, delay_s: float = 0.0) -> None:
        self.apprunner, self.quotas, self.delay_s = apprunner, quotas, delay_s
        self.requests = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                stub.requests += 1
                if stub.delay_s:
                    time.sleep(stub.delay_s)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                target = self.headers.get("X-Amz-Target", "")
                operation = target.split(".")[-1]
                match = _SCOPE.search(self.headers.get("Authorization", ""))
                region = match.group(1) if match else "us-east-1"
                service = ("service-quotas" if target.startswith("ServiceQuotas") else
                           "resourcegroupstaggingapi" if target.startswith("ResourceGroupsTaggingAPI") else "apprunner")
                status, payload = stub.answer(service, operation, region, body)
                data = json.dumps(_jsonable(payload)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, service: str, operation: str, region: str, body: dict[str, Any]) -> tuple[int, Any]:
        if service in ("apprunner", "resourcegroupstaggingapi"):
            handler = getattr(self.apprunner, f"_{operation}", None)
            result = handler(region, body) if handler else None
        else:
            result = self.quotas.answer(operation, region)
        if result is None:
            return 400, {"__type": "UnknownOperationException", "message": operation}
        if isinstance(result, tuple):  # an error: (AWSResponse, {"Error": {...}})
            response, parsed = result
            return response.status_code, {"__type": parsed["Error"]["Code"], "message": parsed["Error"]["Message"]}
        validate_parameters(result, _MODELS[service].operation_model(operation).output_shape)
        return 200, result

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
