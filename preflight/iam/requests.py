"""The request contexts App Runner and ECS send when they act with a role, written once.

Each builder says which keys the request carries, which it does not, and which preflight cannot
know; any key not mentioned stays unknown, so a condition on it is undecided rather than guessed.

- A role session's own call ("AWS global condition context keys"): `aws:PrincipalArn` is the
  role's ARN (not the session's), `aws:PrincipalAccount` its account, `aws:PrincipalType` is
  `AssumedRole`, `aws:PrincipalTag/*` the role's tags, `aws:username` is absent (only IAM users
  have it), `aws:MultiFactorAuthPresent` is absent (no MFA behind a service's AssumeRole),
  `aws:SecureTransport` is true (AWS SDKs call over TLS), `aws:ViaAWSService` is false and
  `aws:CalledVia` absent (the call is the session's own, not a forward access session),
  `aws:RequestedRegion` the endpoint's region, `aws:ResourceAccount` the resource's account,
  `aws:ResourceTag/*` the resource's tags (unknown when they were not read). The source IP and
  the organization ids are unknown to preflight.
- Network keys: App Runner reads the secrets of `RuntimeEnvironmentSecrets` from its own service
  side, not through the customer's VPC, so `aws:SourceVpc`, `aws:SourceVpce` and
  `aws:VpcSourceIp` are absent. Fargate (platform 1.4.0 and later) pulls images, reads secrets
  and writes logs through the task's elastic network interface: the keys are present when the
  task's VPC has an interface endpoint for the service, absent when the call leaves through a NAT
  gateway or public IP, unknown when preflight did not see the endpoints.
- A call a service makes on the caller's behalf (forward access sessions: Secrets Manager and SSM
  asking KMS to decrypt): the principal is still the role; `aws:ViaAWSService` is true,
  `aws:CalledVia`, `aws:CalledViaFirst` and `aws:CalledViaLast` name the service,
  `kms:ViaService` is `<service>.<region>.amazonaws.com`, `kms:CallerAccount` the role's
  account, and the encryption context is the one the service uses (`SecretARN` and
  `SecretVersionId` for Secrets Manager, `PARAMETER_ARN` for SSM). Network keys are absent from
  forward access requests.

References:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html,
https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html,
https://docs.aws.amazon.com/kms/latest/developerguide/services-secrets-manager.html,
https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html,
https://docs.aws.amazon.com/apprunner/latest/dg/env-variable.html
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from preflight.iam.context import Context, build, tag_values
from preflight.iam.principal import Principal

NETWORK_KEYS = ("aws:SourceVpc", "aws:SourceVpce", "aws:VpcSourceIp")


@dataclass(frozen=True)
class Network:
    """Where a call enters AWS: `known` False when preflight cannot tell; `vpc`/`vpce` set when it
    goes through an interface endpoint."""

    known: bool = True
    vpc: str | None = None
    vpce: str | None = None


SERVICE_SIDE = Network()  # App Runner's own fleet: no VPC keys


@dataclass(frozen=True)
class Org:
    """The caller's organization as preflight read it: `member` False outside one."""

    member: bool
    id: str | None = None
    path: str | None = None  # aws:PrincipalOrgPaths of the account, when its OUs were read
UNSEEN = Network(known=False)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def session_call(principal: Principal, resource_arn: str, *, resource_tags: object = None,
                 service_prefix: str | None = None, network: Network = SERVICE_SIDE,
                 extra: Mapping[str, str | list[str] | bool | None] | None = None,
                 now: datetime | None = None, org: Org | None = None,
                 resource_org: Org | None = None) -> Context:
    """The context of a call a role session makes itself, to `resource_arn`. `resource_org` is
    the organization of the resource's account when that is another account preflight read."""
    parts = resource_arn.split(":", 5)
    region = parts[3] if len(parts) > 3 else ""
    account = parts[4] if len(parts) > 4 else ""
    t = _now(now)
    values: dict[str, str | list[str] | bool | None] = {
        "aws:PrincipalArn": principal.arn,
        "aws:PrincipalAccount": principal.account,
        "aws:PrincipalType": "AssumedRole",
        "aws:PrincipalIsAWSService": False,
        "aws:PrincipalServiceName": None,
        "aws:username": None,
        "aws:MultiFactorAuthPresent": None,
        "aws:MultiFactorAuthAge": None,
        "aws:SecureTransport": True,
        "aws:ViaAWSService": False,
        "aws:CalledVia": None,
        "aws:CalledViaFirst": None,
        "aws:CalledViaLast": None,
        # only present when a service principal calls, or for other kinds of callers and requests
        "aws:SourceAccount": None,
        "aws:SourceArn": None,
        "aws:SourceOrgID": None,
        "aws:SourceOrgPaths": None,
        "aws:SourceIdentity": None,
        "aws:FederatedProvider": None,
        "aws:TagKeys": None,
        "aws:CurrentTime": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(t.timestamp())),
    }
    if region:
        values["aws:RequestedRegion"] = region
    if account:
        values["aws:ResourceAccount"] = account
    if principal.session_name is not None:
        values["aws:RoleSessionName"] = principal.session_name
        if principal.role_id:
            values["aws:userid"] = f"{principal.role_id}:{principal.session_name}"
    if network.known:
        if network.vpce:
            values["aws:SourceVpce"] = network.vpce
            values["aws:SourceVpc"] = network.vpc
        else:
            for k in NETWORK_KEYS:
                values[k] = None
    ptags, pabsent, punknown = tag_values("aws:PrincipalTag/", principal.tags)
    values.update(ptags)
    prefixes_absent = list(pabsent)
    prefixes_unknown = list(punknown)
    for prefix in ("aws:ResourceTag/",) + ((f"{service_prefix}:ResourceTag/",) if service_prefix else ()):
        rtags, rabsent, runknown = tag_values(prefix, resource_tags)
        values.update(rtags)
        prefixes_absent += rabsent
        prefixes_unknown += runknown
    prefixes_absent.append("aws:RequestTag/")  # reads carry no request tags
    # the caller's organization, and the resource's: the caller's own when the resource is in its account
    owner = org if account == principal.account else resource_org
    for side, known in (("Principal", org), ("Resource", owner if account else None)):
        if known is None:
            continue  # not read: the keys stay unknown
        if not known.member:
            values.update({f"aws:{side}OrgID": None, f"aws:{side}OrgPaths": None})
        elif known.id:
            values[f"aws:{side}OrgID"] = known.id
            if known.path:  # multivalued: an account has one path
                values[f"aws:{side}OrgPaths"] = [known.path]
    values.update(extra or {})
    return build(values, absent_prefixes=prefixes_absent, unknown_prefixes=prefixes_unknown)


def secret_fetch(principal: Principal, secret_arn: str, *, reference: str | None = None,
                 tags: object = None, network: Network = SERVICE_SIDE,
                 now: datetime | None = None, org: Org | None = None, resource_org: Org | None = None) -> Context:
    """secretsmanager:GetSecretValue by the role that injects a secret (App Runner instance role,
    ECS execution role). `reference` is the SecretId as the service passes it."""
    extra: dict[str, str | list[str] | bool | None] = {}
    if reference:
        extra["secretsmanager:SecretId"] = reference
    return session_call(principal, secret_arn, resource_tags=tags, service_prefix="secretsmanager",
                        network=network, extra=extra, now=now, org=org, resource_org=resource_org)


def parameter_fetch(principal: Principal, parameter_arn: str, *, tags: object = None,
                    network: Network = SERVICE_SIDE, now: datetime | None = None, org: Org | None = None,
                    resource_org: Org | None = None) -> Context:
    """ssm:GetParameters by the role that injects a parameter."""
    return session_call(principal, parameter_arn, resource_tags=tags, network=network, now=now, org=org,
                        resource_org=resource_org)


def kms_via(principal: Principal, key_arn: str, service: str, encryption_context: Mapping[str, str | None],
            *, key_tags: object = None, now: datetime | None = None, org: Org | None = None,
            resource_org: Org | None = None) -> Context:
    """kms:Decrypt that `service` (e.g. "secretsmanager") asks for with the caller's credentials.
    An encryption-context value of None is one preflight does not know."""
    parts = key_arn.split(":", 5)
    region = parts[3] if len(parts) > 3 else ""
    extra: dict[str, str | list[str] | bool | None] = {
        "aws:ViaAWSService": True,
        "aws:CalledVia": [f"{service}.amazonaws.com"],
        "aws:CalledViaFirst": f"{service}.amazonaws.com",
        "aws:CalledViaLast": f"{service}.amazonaws.com",
        "kms:ViaService": f"{service}.{region}.amazonaws.com",
        "kms:CallerAccount": principal.account,
        "kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "kms:EncryptionContextKeys": list(encryption_context),
        "kms:GrantIsForAWSResource": None,
        "kms:RequestAlias": None,
    }
    ctx = session_call(principal, key_arn, resource_tags=key_tags, extra=extra, now=now, org=org,
                       resource_org=resource_org)
    known = {f"kms:EncryptionContext:{k}": v for k, v in encryption_context.items() if v is not None}
    unknown_keys = [f"kms:encryptioncontext:{k}".lower() for k, v in encryption_context.items() if v is None]
    ctx = ctx.merged(build(known, absent_prefixes=["kms:EncryptionContext:"]))
    if unknown_keys:
        ctx = ctx.merged(build({}, unknown_prefixes=unknown_keys))
    return ctx


def secrets_manager_decrypt(principal: Principal, key_arn: str, secret_arn: str, *,
                            key_tags: object = None, now: datetime | None = None, org: Org | None = None,
                            resource_org: Org | None = None) -> Context:
    """The Decrypt Secrets Manager asks KMS for when the role reads `secret_arn`."""
    return kms_via(principal, key_arn, "secretsmanager", {"SecretARN": secret_arn, "SecretVersionId": None},
                   key_tags=key_tags, now=now, org=org, resource_org=resource_org)


def ssm_decrypt(principal: Principal, key_arn: str, parameter_arn: str, *,
                key_tags: object = None, now: datetime | None = None, org: Org | None = None,
                resource_org: Org | None = None) -> Context:
    """The Decrypt SSM asks KMS for when the role reads a SecureString parameter."""
    return kms_via(principal, key_arn, "ssm", {"PARAMETER_ARN": parameter_arn}, key_tags=key_tags, now=now,
                   org=org, resource_org=resource_org)


def trust_context(service: str, account: str | None) -> Context:
    """What a service's sts:AssumeRole carries: aws:SourceAccount is the account the service acts
    for; aws:SourceArn (the service or task) preflight leaves unknown."""
    values: dict[str, str | list[str] | bool | None] = {
        "aws:PrincipalServiceName": service, "aws:PrincipalIsAWSService": True, "aws:SecureTransport": True,
        # not included for service principals ("AWS global condition context keys"), and no
        # external id: App Runner and ECS pass none
        "aws:PrincipalArn": None, "aws:PrincipalAccount": None, "aws:PrincipalOrgID": None,
        "aws:MultiFactorAuthPresent": None, "sts:ExternalId": None}
    if account:
        values["aws:SourceAccount"] = account
    return build(values, absent_prefixes=["aws:PrincipalTag/"])
