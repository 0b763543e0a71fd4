"""Shared fixtures. Real AWS is unreachable from every test: credentials are fakes, the
instance metadata service is off, and any socket to a non-loopback address raises."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite golden files and the demo snapshot instead of comparing")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


_real_connect = socket.socket.connect
_real_sendto = socket.socket.sendto


def _check(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ok = ipaddress.ip_address(host).is_loopback
        except ValueError:
            ok = host == "localhost"
        if not ok:
            raise ConnectionRefusedError(f"test tried to reach {host}: only loopback is allowed")


def _loopback_only(self: socket.socket, address: Any) -> Any:
    _check(self, address)
    return _real_connect(self, address)


def _loopback_sendto(self: socket.socket, data: Any, *args: Any) -> Any:
    _check(self, args[-1])
    return _real_sendto(self, data, *args)


@pytest.fixture(autouse=True)
def no_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    empty = tmp_path_factory.mktemp("aws") / "none"
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION",
                "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    monkeypatch.setattr(socket.socket, "sendto", _loopback_sendto)


@pytest.fixture(autouse=True)
def strict_requests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every request any test sends is checked against the service model the way AWS checks it
    (tests.doubles.strict): outside the model it is refused with AWS's validation error, and
    the test fails here even when the code under test turned that error into a gap. A test that
    sends such a request on purpose is marked `refused_requests` and reads them with `strict.take()`."""
    from tests.doubles import strict

    strict.install()
    strict.take()
    yield
    found = strict.take()
    if found and request.node.get_closest_marker("refused_requests") is None:
        listed = "\n  ".join(sorted({str(v) for v in found}))
        pytest.fail(f"requests that AWS would refuse:\n  {listed}", pytrace=False)


@pytest.fixture
def aws() -> Iterator[None]:
    from moto import mock_aws

    from tests.doubles.worlds import seed_ids

    with mock_aws():
        seed_ids()
        yield


@pytest.fixture
def session(aws: None) -> Any:
    import boto3

    return boto3.Session(region_name="ap-northeast-1")


CliRun = Callable[[list[str]], tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> CliRun:
    """Runs the command line; returns (exit code, stdout, stderr)."""
    from preflight.cli import main

    def run(argv: list[str]) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        out, err = capsys.readouterr()
        return int(exc.value.code or 0), out, err
    return run


@pytest.fixture
def demo_snapshot(tmp_path: Path) -> str:
    """The bundled demo snapshot, saved as a user's file."""
    from preflight.snapshot import load_bundled, save

    path = tmp_path / "talk.json"
    save(load_bundled("talk.snapshot.json"), str(path))
    return str(path)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The demo snapshot's sync test runs first, so that --update-golden rewrites it before the
    golden reports that are rendered from it."""
    items.sort(key=lambda item: 0 if item.nodeid.startswith("tests/test_demo.py") else 1)
