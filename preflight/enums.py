"""The AWS enum values preflight compares, each tied to the service-model shape it comes from.

A check that compares a response field with a literal AWS never sends is silently wrong: it
looked for an Express service status `FAILED` that `ExpressGatewayServiceStatusCode` (ACTIVE,
DRAINING, INACTIVE) does not have, so no failed Express deployment was ever reported. Every value
compared against a field AWS returns is declared here with `aws_enum`; tests/unit/test_enums.py
checks each declaration against the installed botocore model, and fails on a comparison in the
collectors or checks that uses a bare literal instead.

Where AWS documents a value that the model's enum lacks, `beyond_model` holds it with the page
that says so. Where the model types a field as a free string (ECS deployment `status`, RDS
security group membership `Status`), `documented` holds the values with their page.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Declared:
    service: str
    shape: str  # an enum shape of the model, or the structure.member of a free string
    values: frozenset[str]
    beyond_model: frozenset[str] = frozenset()
    source: str = ""


DECLARED: list[Declared] = []


def aws_enum(service: str, shape: str, *values: str, beyond_model: tuple[str, ...] = (),
             source: str = "") -> frozenset[str]:
    """The values (of the model's enum `shape`) that a comparison accepts."""
    DECLARED.append(Declared(service, shape, frozenset(values), frozenset(beyond_model), source))
    return frozenset(values) | frozenset(beyond_model)


def documented(service: str, member: str, *values: str, source: str) -> frozenset[str]:
    """Values of a member the model types as a plain string, as the API reference lists them."""
    DECLARED.append(Declared(service, member, frozenset(values), source=source))
    return frozenset(values)


def lowered(values: frozenset[str]) -> frozenset[str]:
    """For fields the collector lower-cases (VPC endpoint `State` is `Available` on the wire)."""
    return frozenset(v.lower() for v in values)


# --- EC2 ---------------------------------------------------------------------------------------
ROUTE_ACTIVE = aws_enum("ec2", "RouteState", "active")
ROUTE_BLACKHOLE = aws_enum("ec2", "RouteState", "blackhole")
PEERING_ACTIVE = aws_enum("ec2", "VpcPeeringConnectionStateReasonCode", "active")
PEERING_PENDING = aws_enum("ec2", "VpcPeeringConnectionStateReasonCode", "pending-acceptance")
NAT_AVAILABLE = aws_enum("ec2", "NatGatewayState", "available")
NAT_GONE = aws_enum("ec2", "NatGatewayState", "deleted")
NAT_PUBLIC = aws_enum("ec2", "ConnectivityType", "public")
CIDR_IN_USE = aws_enum("ec2", "VpcCidrBlockStateCode", "associated", "associating")
IPV6_CIDR_IN_USE = aws_enum("ec2", "VpcCidrBlockStateCode", "associated")
IGW_ATTACHED = aws_enum(
    "ec2", "AttachmentStatus", "attached", beyond_model=("available",),
    source="https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InternetGatewayAttachment.html "
           "('For an internet gateway, the state is available when attached to a VPC')")
VPCE_AVAILABLE = lowered(aws_enum("ec2", "State", "Available"))
VPCE_GONE = lowered(aws_enum("ec2", "State", "Deleted", "Deleting"))
VPCE_INTERFACE = lowered(aws_enum("ec2", "VpcEndpointType", "Interface"))
ACL_ALLOW = aws_enum("ec2", "RuleAction", "allow")
ACL_DENY = aws_enum("ec2", "RuleAction", "deny")
VPCE_GATEWAY = lowered(aws_enum("ec2", "VpcEndpointType", "Gateway"))
VPCE_GWLB = lowered(aws_enum("ec2", "VpcEndpointType", "GatewayLoadBalancer"))
VPCE_PENDING = lowered(aws_enum("ec2", "State", "Pending", "PendingAcceptance"))
ROUTE_PROPAGATED = aws_enum("ec2", "RouteOrigin", "EnableVgwRoutePropagation")
NAT_PENDING = aws_enum("ec2", "NatGatewayState", "pending")
PEERING_SETTING_UP = aws_enum("ec2", "VpcPeeringConnectionStateReasonCode", "initiating-request", "provisioning")
TGW_ATTACHMENT_AVAILABLE = aws_enum("ec2", "TransitGatewayAttachmentState", "available")
TGW_ATTACHMENT_SETTING_UP = aws_enum("ec2", "TransitGatewayAttachmentState", "initiating",
                                     "initiatingRequest", "pendingAcceptance", "pending", "modifying")
TGW_ASSOCIATED = aws_enum("ec2", "TransitGatewayAssociationState", "associated")
TGW_ROUTE_ACTIVE = aws_enum("ec2", "TransitGatewayRouteState", "active")
TGW_ROUTE_PENDING = aws_enum("ec2", "TransitGatewayRouteState", "pending")
TGW_ROUTE_STATIC = aws_enum("ec2", "TransitGatewayRouteType", "static")
TGW_ROUTE_READ = aws_enum("ec2", "TransitGatewayRouteState", "active", "blackhole")
TGW_VPC = aws_enum("ec2", "TransitGatewayAttachmentResourceType", "vpc")
TGW_PEERING = aws_enum("ec2", "TransitGatewayAttachmentResourceType", "peering", "tgw-peering")
PREFIX_LIST_READY = aws_enum("ec2", "PrefixListState", "create-complete", "modify-complete",
                             "modify-in-progress", "modify-failed", "restore-complete",
                             "restore-failed", "restore-in-progress", "delete-failed")

# --- RDS ---------------------------------------------------------------------------------------
RDS_GROUP_IN_USE = documented(
    "rds", "VpcSecurityGroupMembership.Status", "active", "adding",
    source="https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_VpcSecurityGroupMembership.html "
           "(Status: active, adding, removing...)")

# --- App Runner --------------------------------------------------------------------------------
SERVICE_BROKEN = aws_enum("apprunner", "ServiceStatus", "CREATE_FAILED", "DELETE_FAILED")
SERVICE_CREATE_FAILED = aws_enum("apprunner", "ServiceStatus", "CREATE_FAILED")
SERVICE_GONE = aws_enum("apprunner", "ServiceStatus", "DELETED")
SERVICE_NOT_SERVING = aws_enum("apprunner", "ServiceStatus", "DELETED", "PAUSED")
OPERATION_BAD = aws_enum("apprunner", "OperationStatus", "FAILED", "ROLLBACK_SUCCEEDED", "ROLLBACK_FAILED",
                         "ROLLBACK_IN_PROGRESS")
OPERATION_SUCCEEDED = aws_enum("apprunner", "OperationStatus", "SUCCEEDED")
DEPLOYING_OPERATIONS = aws_enum("apprunner", "OperationType", "CREATE_SERVICE", "UPDATE_SERVICE",
                                "START_DEPLOYMENT")
DOMAIN_ACTIVE = aws_enum("apprunner", "CustomDomainAssociationStatus", "ACTIVE")
CONNECTION_AVAILABLE = aws_enum("apprunner", "ConnectionStatus", "AVAILABLE")
CONNECTION_HANDSHAKE = aws_enum("apprunner", "ConnectionStatus", "PENDING_HANDSHAKE")
PRIVATE_ECR = aws_enum("apprunner", "ImageRepositoryType", "ECR")
CONFIG_FROM_API = aws_enum("apprunner", "ConfigurationSource", "API")

# --- ECS ---------------------------------------------------------------------------------------
ROLLOUT_FAILED = aws_enum("ecs", "DeploymentRolloutState", "FAILED")
ROLLOUT_COMPLETED = aws_enum("ecs", "DeploymentRolloutState", "COMPLETED")
DEPLOYMENT_PRIMARY = documented(
    "ecs", "Deployment.status", "PRIMARY",
    source="https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html "
           "(status: PRIMARY, the most recent deployment; ACTIVE; INACTIVE)")
ECS_SERVICE_INACTIVE = documented(
    "ecs", "Service.status", "INACTIVE",
    source="https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html "
           "(status: ACTIVE, DRAINING, or INACTIVE)")
FAILURE_MISSING = documented(
    "ecs", "Failure.reason", "MISSING",
    source="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html "
           "(MISSING: the resource could not be found)")
EXPRESS_INACTIVE = aws_enum("ecs", "ExpressGatewayServiceStatusCode", "INACTIVE")
FARGATE = aws_enum("ecs", "LaunchType", "FARGATE")
MANAGED_BY_ECS = aws_enum("ecs", "ResourceManagementType", "ECS")
PUBLIC_IP_ENABLED = aws_enum("ecs", "AssignPublicIp", "ENABLED")
AWSLOGS = aws_enum("ecs", "LogDriver", "awslogs")
AWSVPC = aws_enum("ecs", "NetworkMode", "awsvpc")
ARM64 = aws_enum("ecs", "CPUArchitecture", "ARM64")
X86_64 = aws_enum("ecs", "CPUArchitecture", "X86_64")
ECS_DEPLOYMENTS = aws_enum("ecs", "DeploymentControllerType", "ECS")  # the rolling controller
TARGET_IP = aws_enum("elbv2", "TargetTypeEnum", "ip")
TARGET_INSTANCE = aws_enum("elbv2", "TargetTypeEnum", "instance")
ECR_IMAGE_MISSING = aws_enum("ecr", "ImageFailureCode", "ImageNotFound", "ImageTagDoesNotMatchDigest")
ECR_IMAGE_MALFORMED = aws_enum("ecr", "ImageFailureCode", "InvalidImageDigest", "InvalidImageTag")

CERTIFICATE_ISSUED = aws_enum("acm", "CertificateStatus", "ISSUED")
RECORD_VALIDATED = aws_enum("acm", "DomainStatus", "SUCCESS") | aws_enum(
    "apprunner", "CertificateValidationRecordStatus", "SUCCESS")

# --- elsewhere ---------------------------------------------------------------------------------
KEY_MANAGED_BY_CUSTOMER = aws_enum("kms", "KeyManagerType", "CUSTOMER")
SECURE_STRING = aws_enum("ssm", "ParameterType", "SecureString")
INTERNET_FACING = aws_enum("elbv2", "LoadBalancerSchemeEnum", "internet-facing")
DNS_VALIDATION = aws_enum("acm", "ValidationMethod", "DNS")

# --- CloudFormation (preflight diagnose) ---------------------------------------------------------
STACK_FAILED = aws_enum("cloudformation", "ResourceStatus", "CREATE_FAILED", "UPDATE_FAILED", "DELETE_FAILED",
                        "IMPORT_FAILED", "UPDATE_ROLLBACK_FAILED", "ROLLBACK_FAILED")

# --- Organizations -------------------------------------------------------------------------------
ORG_SCP = aws_enum("organizations", "PolicyType", "SERVICE_CONTROL_POLICY")
ORG_RCP = aws_enum("organizations", "PolicyType", "RESOURCE_CONTROL_POLICY")
ORG_ROOT = aws_enum("organizations", "ParentType", "ROOT")
ORG_ALL_FEATURES = aws_enum("organizations", "OrganizationFeatureSet", "ALL")
# an account's `State` (since 2025) and the deprecated `Status` it replaces
ORG_ACCOUNT_STATE_ACTIVE = aws_enum("organizations", "AccountState", "ACTIVE")
ORG_ACCOUNT_STATUS_ACTIVE = aws_enum("organizations", "AccountStatus", "ACTIVE")

# --- IAM policy simulator (--verify-iam) --------------------------------------------------------
SIMULATOR_DECISION = aws_enum("iam", "PolicyEvaluationDecisionType", "allowed", "explicitDeny", "implicitDeny")
