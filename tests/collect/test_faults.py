"""The fault matrix: each fault, the exact user-visible result. (AccessDenied, an unreachable
endpoint, a silent DNS resolver, a crashing rule and malformed input have their own tests.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from preflight import engine
from preflight.collect import collect
from preflight.collect.aws import Settings
from tests.builders import fired
from tests.conftest import CliRun
from tests.doubles.worlds import APP_REGION, DB_REGION, build_talk


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def ec2_error(code: str, status: int = 400) -> AWSResponse:
    body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{code} (test)</Message></Error></Errors>"
            "<RequestID>0</RequestID></Response>").encode()
    return AWSResponse("https://ec2.invalid", status, {}, _Raw(body))


def answer(session: Any, operation: str, responses: list[AWSResponse], region: str | None = None) -> list[int]:
    """Makes the next len(responses) HTTP answers to `operation` the given ones, in front of moto."""
    left = list(responses)
    seen: list[int] = []

    def send(request: Any, **_: Any) -> AWSResponse | None:
        if operation not in (request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")):
            return None
        if region and f".{region}." not in request.url:
            return None
        seen.append(1)
        return left.pop(0) if left else None

    session._session.get_component("event_emitter").register_first("before-send.ec2", send)
    return seen


def test_throttling_is_retried_and_the_scan_completes(session: Any) -> None:
    talk = build_talk("peered-defaults", session)
    seen = answer(session, "Action=DescribeRouteTables", [ec2_error("RequestLimitExceeded", 503)] * 3)
    doc = collect(session, [APP_REGION], settings=Settings(max_attempts=6))
    assert len(seen) >= 4 and doc["gaps"] == []  # three throttles, then moto's answer
    assert fired(engine.run(doc), "NET003") == set(talk.ids["tokyo_subnets"][:2])


def test_sustained_throttling_ends_as_a_gap_not_a_hang(session: Any) -> None:
    build_talk("peered-defaults", session)
    answer(session, "Action=DescribeRouteTables", [ec2_error("RequestLimitExceeded", 503)] * 50)
    doc = collect(session, [APP_REGION], settings=Settings(max_attempts=2))
    gaps = [(g["region"], g["operation"], g["error"].split(":")[0]) for g in doc["gaps"]]
    assert (APP_REGION, "DescribeRouteTables", "RequestLimitExceeded") in gaps
    assert "NET003" in engine.run(doc).not_evaluated


def test_disabled_opt_in_region_is_a_gap_for_that_region_only(session: Any) -> None:
    build_talk("peered-defaults", session)
    answer(session, "Action=Describe", [ec2_error("OptInRequired", 401)] * 40, region=DB_REGION)
    doc = collect(session, [APP_REGION], settings=Settings(max_attempts=1))
    assert {g["region"] for g in doc["gaps"]} == {DB_REGION}
    assert {g["error"].split(":")[0] for g in doc["gaps"]} == {"OptInRequired"}
    assert {v["region"] for v in doc["resources"]["vpcs"]} == {APP_REGION}


def test_expired_credentials_are_one_line_exit_two(aws: None, cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    session = boto3.Session(region_name=APP_REGION)
    build_talk("peered-defaults", session)

    def expired(request: Any, **_: Any) -> AWSResponse:
        body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code>"
                b"<Message>The security token included in the request is expired</Message></Error></ErrorResponse>")
        return AWSResponse("https://sts.invalid", 403, {}, _Raw(body))

    session._session.get_component("event_emitter").register_first("before-send.sts", expired)
    monkeypatch.setattr(boto3, "Session", lambda **_: session)
    code, out, err = cli(["scan", "--region", APP_REGION])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "AWS rejected the credentials (ExpiredToken" in err and "aws sso login" in err


def test_gap_with_no_finding_exits_three_and_names_the_action(aws: None, cli: CliRun,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    session = boto3.Session(region_name=APP_REGION)
    talk = build_talk("fixed", session)
    talk.fake.denied.add("ListVpcConnectors")
    monkeypatch.setattr(boto3, "Session", lambda **_: session)
    code, out, _ = cli(["scan", "--region", APP_REGION, "--format", "json", "--select", "NET"])
    report = json.loads(out)
    assert code == 3 and report["scan"]["complete"] is False
    assert [g["iam_action"] for g in report["scan"]["gaps"]] == ["apprunner:ListVpcConnectors"]
    assert "NET003" in report["scan"]["gaps"][0]["rules_not_evaluated"]
