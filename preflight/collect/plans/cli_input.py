"""The JSON given to the App Runner CLI with --cli-input-json, as planned records."""

from __future__ import annotations

from typing import Any

from preflight.collect.plans.records import Records
from preflight.snapshot import empty_resources


def load_cli_input(path: str, doc: dict[str, Any], text: str, region: str, account: str) -> Records:
    """The JSON given to `aws apprunner create-service`, `update-service` or
    `create-vpc-connector` with --cli-input-json, shaped by the same transform as a live
    service."""
    from preflight.collect.apprunner import transform_connectors, transform_service

    out = empty_resources()
    line = next((i for i, t in enumerate(text.splitlines(), 1) if '"ServiceName"' in t or '"VpcConnectorName"' in t), 1)
    loc = {"file": path, "line": line}
    if "VpcConnectorName" in doc:
        name = str(doc["VpcConnectorName"])
        arn = f"arn:aws:apprunner:{region}:{account}:vpcconnector/{name}/planned"
        record = transform_connectors([{**doc, "VpcConnectorArn": arn, "Status": "PLANNED"}], region)[0]
        out["vpc_connectors"].append({**record, "_location": loc})
        return out
    name = str(doc.get("ServiceName") or str(doc.get("ServiceArn", "service/planned/x")).split("/")[1])
    arn = str(doc.get("ServiceArn") or f"arn:aws:apprunner:{region}:{account}:service/{name}/planned")
    raw = {"Service": {**doc, "ServiceName": name, "ServiceArn": arn, "Status": "PLANNED"}}
    record = transform_service(raw, region)
    record["status"] = "PLANNED" if "ServiceArn" not in doc else "RUNNING"
    out["services"].append({**record, "_location": loc})
    return out
