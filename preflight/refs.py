"""Parsing the secret references App Runner accepts (pure; shared by collectors and checks).

A reference is a Secrets Manager secret ARN (with or without the random six-character suffix,
optionally followed by `:json-key:version-stage:version-id`), an SSM parameter ARN, or the name
of an SSM parameter in the service's own region and account.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SecretRef:
    kind: str  # "secretsmanager" | "ssm"
    region: str
    account: str
    name: str  # secret name (maybe with its suffix) or parameter name
    arn: str  # the normalised ARN: a secret's first seven fields, a parameter's ARN
    partition: str = "aws"

    @property
    def action(self) -> str:
        return "secretsmanager:GetSecretValue" if self.kind == "secretsmanager" else "ssm:GetParameters"


# Region name prefixes of the partitions other than aws, as botocore's endpoint data has them
# (tests/unit/test_partitions.py checks every region botocore knows against this).
_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"), ("us-isof-", "aws-iso-f"),
               ("eu-isoe-", "aws-iso-e"), ("us-iso-", "aws-iso"), ("eusc-", "aws-eusc"))


def partition_of(region: str) -> str:
    """The partition a region belongs to: ARNs there start arn:<partition>:."""
    return next((p for prefix, p in _PARTITIONS if region.startswith(prefix)), "aws")


def parameter_arn(partition: str, region: str, account: str, name: str) -> str:
    return f"arn:{partition}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def parse(ref: str, region: str, account: str) -> SecretRef:
    """Parses a reference as a service in `region` and `account` would resolve it."""
    text = ref.strip()
    if text.startswith("arn:"):
        parts = text.split(":")
        if len(parts) >= 7 and parts[2] == "secretsmanager" and parts[5] == "secret":
            arn = ":".join(parts[:7])
            return SecretRef("secretsmanager", parts[3], parts[4], parts[6], arn, parts[1])
        if len(parts) >= 6 and parts[2] == "ssm" and parts[5].startswith("parameter/"):
            rest = ":".join(parts[5:])[len("parameter/"):]
            name = f"/{rest}" if "/" in rest else rest
            return SecretRef("ssm", parts[3], parts[4], name,
                             parameter_arn(parts[1], parts[3], parts[4], name), parts[1])
    partition = partition_of(region)
    return SecretRef("ssm", region, account, text, parameter_arn(partition, region, account, text), partition)


def secret_name_candidates(name: str) -> tuple[str, ...]:
    """A secret reference's name may carry the random suffix ("db-AbCdEf") or not ("db")."""
    if len(name) > 7 and name[-7] == "-":
        return (name, name[:-7])
    return (name,)
