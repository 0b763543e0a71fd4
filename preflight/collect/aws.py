"""The boto3 boundary: sessions, clients, the read-only guard and the call counter.

Every client preflight uses is made here, so every client carries the guard. The guard is an
allowlist built from the operations the collectors declare (`Operation`), checked on botocore's
`before-parameter-build` event, which fires before the request is even serialised: a call that
is not a declared read never leaves the process.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.session

from preflight import __version__
from preflight.errors import CredentialsError, ReadOnlyViolation, UsageError

# Read operations only; and even among reads, never one that returns secret material.
_READ_PREFIXES = ("Describe", "List", "Get", "Search", "Lookup")
_NEVER = frozenset({
    ("secretsmanager", "GetSecretValue"),
    ("secretsmanager", "BatchGetSecretValue"),
    ("ssm", "GetParameter"),
    ("ssm", "GetParameters"),
    ("ssm", "GetParametersByPath"),
    ("ssm", "GetParameterHistory"),
    ("kms", "Decrypt"),
    ("kms", "GenerateDataKey"),
})


@dataclass(frozen=True, slots=True)
class Operation:
    """One AWS API operation a collector may call, and the IAM action that allows it."""

    service: str  # botocore service name, e.g. "ec2", "apprunner", "service-quotas"
    name: str  # API operation name, e.g. "DescribeVpcs"
    iam_prefix: str = ""  # IAM prefix when it differs from the service name

    @property
    def iam_action(self) -> str:
        return f"{self.iam_prefix or self.service}:{self.name}"

    @property
    def key(self) -> str:
        return f"{self.service}.{self.name}"


# Reads whose names do not start with a read verb: the policy simulator evaluates policies and
# changes nothing, ECR's BatchGetImage returns image manifests (never layers) and CloudWatch
# Logs' FilterLogEvents returns log events; the access level of all three is Read in the Service
# Authorization Reference. STS's AssumeRole (an organization scan's way into each account) creates
# and changes no resource: it returns temporary credentials of the read-only role it names.
_READS = frozenset({("iam", "SimulatePrincipalPolicy"), ("ecr", "BatchGetImage"), ("logs", "FilterLogEvents"),
                    ("sts", "AssumeRole")})


def is_read_only(service: str, operation: str) -> bool:
    if (service, operation) in _READS:
        return True
    return operation.startswith(_READ_PREFIXES) and (service, operation) not in _NEVER


class Guard:
    """Refuses any operation that is not declared, or is not a read, before it is built."""

    def __init__(self, allowed: frozenset[tuple[str, str]]) -> None:
        bad = sorted(f"{s}.{o}" for s, o in allowed if not is_read_only(s, o))
        if bad:
            raise ReadOnlyViolation(f"declared operations are not reads: {', '.join(bad)}")
        self.allowed = allowed

    def __call__(self, model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        if (service, model.name) not in self.allowed or not is_read_only(service, model.name):
            raise ReadOnlyViolation(
                f"refused {service}:{model.name}: preflight only calls its declared read operations"
            )


class CallCounter:
    """Counts API calls (not HTTP attempts) by `service.Operation`, thread-safely."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())


@dataclass(frozen=True, slots=True)
class Settings:
    max_attempts: int = 8
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    workers: int = 8
    dns_resolver: str | None = None  # "host[:port]" for custom-domain lookups; None: the system's
    platforms: frozenset[str] = frozenset({"apprunner", "ecs"})  # which workloads to read


_CREATING = threading.Lock()


@functools.cache
def shared_loader() -> Any:
    """The one botocore data loader of the process. A botocore session parses every service
    model it is asked for and keeps it for its lifetime (EC2's model alone is tens of MB once
    parsed); every session preflight reads with, and its own model look-ups, share this one, so
    a model is parsed once per process however many sessions or accounts there are."""
    return botocore.session.Session().get_component("data_loader")


def share_models(session: botocore.session.Session) -> botocore.session.Session:
    """`session`, reading its service models through `shared_loader()`."""
    session.register_component("data_loader", shared_loader())
    return session


class Clients:
    """Makes guarded, counted clients per (service, region), once each, thread-safely."""

    def __init__(
        self,
        session: boto3.Session,
        allowed: frozenset[tuple[str, str]],
        settings: Settings | None = None,
    ) -> None:
        self.session = session
        share_models(session._session)  # boto3 offers no public handle on its botocore session
        self.settings = settings or Settings()
        self.guard = Guard(allowed)
        self.counter = CallCounter()
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._config = botocore.config.Config(
            retries={"mode": "adaptive", "max_attempts": self.settings.max_attempts},
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
            max_pool_connections=max(10, self.settings.workers * 2),
            user_agent_extra=f"preflight/{__version__}",
        )

    def get(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                # one client made at a time in the process: sessions that share a loader (the
                # accounts of an organization scan) would otherwise each parse the same service
                # model at once before the loader's cache holds it
                with _CREATING:
                    client = self.session.client(service, region_name=region, config=self._config)
                client.meta.events.register_first("before-parameter-build.*.*", self.guard)
                client.meta.events.register("before-parameter-build.*.*", self.counter)
                self._clients[key] = client
            return client

    def available_regions(self, service: str, partition: str = "aws") -> frozenset[str]:
        """Where `service` is offered in `partition` (aws, aws-cn, aws-us-gov), per botocore's
        endpoint data; App Runner is offered in none of the aws-cn or aws-us-gov regions."""
        return frozenset(self.session.get_available_regions(service, partition_name=partition))

    def partition(self, region: str) -> str:
        try:
            return str(self.session.get_partition_for_region(region))
        except Exception:  # a region botocore does not know: the commercial partition's rules
            return "aws"


def make_session(profile: str | None) -> boto3.Session:
    try:
        return boto3.Session(profile_name=profile)
    except botocore.exceptions.ProfileNotFound as e:
        raise CredentialsError(
            f"AWS profile {profile!r} is not configured (see `aws configure list-profiles`)"
        ) from e


def default_region(session: boto3.Session) -> str:
    region: str | None = session.region_name
    if not region:
        raise UsageError(
            "no region: pass --region, or set AWS_REGION or a region in your AWS profile"
        )
    return region


# Error codes that mean "you may not read this", as opposed to "this does not exist".
DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
    "AuthorizationError", "OptInRequired", "AuthFailure", "UnrecognizedClientException",
    "InvalidClientTokenId",
})
CREDENTIAL_CODES = frozenset({
    "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch",
    "UnrecognizedClientException", "RequestExpired",
})
