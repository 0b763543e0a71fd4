"""Turns environment variables into facts without their values.

A plain-text environment value never reaches a snapshot or a report. What checks need from it
is kept instead: the variable's name, digests of the AWS endpoints the value names (so the graph
can match a database by its endpoint without storing the value), the regions those endpoints are
in, and whether a URL in it carries a password. Every input path (live service, plan, source)
calls `summarize_env`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from typing import Any

# <name>.<hash>.<region>.rds.amazonaws.com (instances, clusters, proxies); likewise for
# ElastiCache and DocumentDB. The region is the label before the service name.
_ENDPOINT = re.compile(
    r"(?i)\b((?:[a-z0-9-]+\.)+([a-z]{2}(?:-gov)?-[a-z]+-\d)\.(?:rds|cache|docdb)\.amazonaws\.com(?:\.cn)?)\b"
)
_URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)


def endpoint_digest(hostname: str) -> str:
    """A stable digest of a hostname; the graph matches databases by it."""
    return hashlib.sha256(hostname.strip().rstrip(".").lower().encode()).hexdigest()[:24]


def summarize_env(env: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Names and derived facts of plain-text variables; never their values."""
    out = []
    for name, value in sorted((env or {}).items()):
        text = str(value)
        hits = _ENDPOINT.findall(text)
        out.append({
            "name": str(name),
            "endpoint_digests": sorted({endpoint_digest(h) for h, _ in hits}),
            "endpoint_regions": sorted({r.lower() for _, r in hits}),
            "url_password": bool(_URL_PASSWORD.search(text)),
        })
    return out


_CREDENTIAL = re.compile(
    r"(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|AUTH_?KEY"
    r"|CLIENT_?SECRET|SIGNING_?KEY|ENCRYPTION_?KEY|DSN)", re.IGNORECASE)
# short forms that are words elsewhere (PASS in BYPASS, COMPASS): only as a whole `_` segment
_CREDENTIAL_SEGMENT = re.compile(r"(?:^|_)(PASS|PWD|PW|PASSWD)(?:_|$)", re.IGNORECASE)
_NOT_A_VALUE = re.compile(r"(_ARN|_NAME|_ID|_PATH|_FILE|_REGION|_URL|_URI|_ENDPOINT|_HEADER|_TTL|_EXPIRY"
                          r"|_EXPIRES|_LENGTH|_TYPE|_ALGORITHM)$", re.IGNORECASE)


def credential_like(name: str, url_password: bool) -> bool:
    """Whether a variable's name says it holds a credential (a heuristic), or its URL has a
    password in it (a fact)."""
    if url_password:
        return True
    upper = name.upper()
    if upper.startswith(("NEXT_PUBLIC_", "VITE_", "REACT_APP_PUBLIC")) or "PUBLIC_KEY" in upper:
        return False
    said = _CREDENTIAL.search(name) or _CREDENTIAL_SEGMENT.search(name)
    return bool(said) and not _NOT_A_VALUE.search(name)


# What botocore's debug log prints of a signed request: the session token header, the
# Authorization header (credential scope and signature), presigned query parameters, and the
# credential fields of a loaded profile or an STS response.
_LOG_SECRETS = (
    re.compile(r"((?:X-Amz-Security-Token|x-amz-security-token|Authorization|authorization)['\"]?\s*[:=]\s*b?['\"]?)"
               r"[^'\"\n]+"),
    re.compile(r"((?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&\s'\"]+"),
    re.compile(r"(Signature=)[0-9a-fA-F]{16,}"),
    re.compile(r"((?:aws_secret_access_key|aws_session_token|SecretAccessKey|SessionToken|secret_key|token)"
               r"['\"]?\s*[:=]\s*['\"]?)[^'\",\s}]+"),
)


def redact_log(text: str) -> str:
    """A log line with every credential and signature replaced by <redacted>."""
    for pattern in _LOG_SECRETS:
        text = pattern.sub(r"\1<redacted>", text)
    return _URL_PASSWORD.sub(lambda m: m.group(0).split("://", 1)[0] + "://<redacted>@", text)


# What an application log line may carry: NAME=value or "name": "value" pairs whose name says
# credential, access keys, bearer tokens, JWTs, private keys.
_ASSIGNMENT = re.compile(r"([\"']?([A-Za-z_][A-Za-z0-9_.-]{1,64})[\"']?\s*[:=]\s*)([\"']?)([^\s\"',;&}]+)\3")
_TOKENS = (
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
)


def redact_text(text: str) -> str:
    """A line of someone's log, with what looks like a credential replaced by <redacted>: the
    signed-request parts `redact_log` removes, URL passwords, access keys, bearer tokens, JWTs,
    private keys, and the value of every NAME=value whose name says credential (as
    `credential_like` reads environment variable names)."""
    text = redact_log(text)
    for pattern in _TOKENS:
        text = pattern.sub("<redacted>", text)

    def assignment(m: re.Match[str]) -> str:
        name = m.group(2)
        return f"{m.group(1)}{m.group(3)}<redacted>{m.group(3)}" if credential_like(name.replace("-", "_").replace(
            ".", "_"), False) else m.group(0)
    return _ASSIGNMENT.sub(assignment, text)


class RedactingFilter(logging.Filter):
    """Attached to the log handler: what reaches stderr never carries a credential, whatever
    logger (botocore's at debug level included) produced it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format is left to logging's own report
            return True
        clean = redact_log(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True
