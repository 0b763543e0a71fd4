"""An organization built in moto: a management account, a shared-services account that holds the
database, its password secret and the key, and a workload account whose ECS Fargate service
reads the secret across accounts and reaches the database through a cross-account peering.

moto's STS AssumeRole answers credentials that moto maps to the role's account, so each account's
resources are created (and later read) through a session of that account. Must run inside an
active `moto.mock_aws()`.

The knobs are the failures the organization tests need:

- `secret_admits_workload`: the secret's resource policy allows the workload's execution role;
- `key_admits_workload`: the key policy allows the workload's execution role kms:Decrypt;
- `scp_denies_secrets`: an SCP on the workloads OU denies secretsmanager:GetSecretValue;
- `nested`: the workloads OU sits inside an "environments" OU, and the deny SCP (when asked for)
  is attached there instead, so the workload account inherits it through two levels;
- `allow_list`: FullAWSAccess is detached from the workloads OU and replaced by an allow-list SCP
  that names ECR, CloudWatch Logs and KMS but not Secrets Manager;
- `accepter_route`: the shared-services side routes back to the workload VPC through the peering;
- `aws_managed_key`: the secret is on aws/secretsmanager instead of the customer managed key;
- `extra_accounts`: more workload-free member accounts (for the shard tests and the benchmark).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from tests.doubles.worlds import private_network

MANAGEMENT = "123456789012"
REGION = "ap-northeast-1"
ROLE = "PreflightReadOnly"


@dataclass
class Org:
    management: str
    shared: str
    workload: str
    others: list[str] = field(default_factory=list)
    ids: dict[str, Any] = field(default_factory=dict)
    ous: dict[str, str] = field(default_factory=dict)


def session_of(account: str, region: str = REGION) -> boto3.Session:
    """A session in `account`, the way preflight gets one: AssumeRole through the role."""
    if account == MANAGEMENT:
        return boto3.Session(region_name=region)
    creds = boto3.client("sts", region).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="builder")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=region)


def _account(org: Any, name: str, ou: str, root: str) -> str:
    account = str(org.create_account(AccountName=name, Email=f"{name}@example.com")
                  ["CreateAccountStatus"]["AccountId"])
    org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
    return account


def build_org(*, secret_admits_workload: bool = True, key_admits_workload: bool = True,
              scp_denies_secrets: bool = False, accepter_route: bool = True, aws_managed_key: bool = False,
              extra_accounts: int = 0, nested: bool = False, allow_list: bool = False) -> Org:
    org = boto3.client("organizations", REGION)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ous = {name: org.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]
           for name in (("shared", "environments") if nested else ("shared", "workloads"))}
    if nested:
        ous["workloads"] = org.create_organizational_unit(
            ParentId=ous["environments"], Name="workloads")["OrganizationalUnit"]["Id"]
    shared = _account(org, "shared-services", ous["shared"], root)
    workload = _account(org, "payments-prod", ous["workloads"], root)
    others = [_account(org, f"team-{i:03d}", ous["workloads"], root) for i in range(extra_accounts)]
    world = Org(MANAGEMENT, shared, workload, others, ous=ous)
    if scp_denies_secrets:
        deny = org.create_policy(Name="no-secret-values", Description="", Type="SERVICE_CONTROL_POLICY",
                                 Content=json.dumps({"Version": "2012-10-17", "Statement": [
                                     {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue",
                                      "Resource": "*"}]}))["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=deny, TargetId=ous["environments" if nested else "workloads"])
    if allow_list:
        allow = org.create_policy(Name="only-these-services", Description="", Type="SERVICE_CONTROL_POLICY",
                                  Content=json.dumps({"Version": "2012-10-17", "Statement": [
                                      {"Effect": "Allow", "Action": ["ecr:*", "logs:*", "kms:*"],
                                       "Resource": "*"}]}))["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=allow, TargetId=ous["workloads"])
        org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ous["workloads"])

    execution_arn = f"arn:aws:iam::{workload}:role/payments-execution"
    s = session_of(shared)
    s_ec2 = s.client("ec2", REGION)
    s_net = private_network(s_ec2, "10.20.0.0/16", "shared-data")
    db_sg = s_ec2.create_security_group(GroupName="payments-db", Description="db", VpcId=s_net["vpc"])["GroupId"]
    s_ec2.authorize_security_group_ingress(GroupId=db_sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.30.0.0/16"}]}])
    rds = s.client("rds", REGION)
    rds.create_db_subnet_group(DBSubnetGroupName="payments-db", DBSubnetGroupDescription="db",
                               SubnetIds=s_net["private_subnets"])
    db = rds.create_db_instance(
        DBInstanceIdentifier="payments-db", Engine="postgres", DBInstanceClass="db.t3.micro",
        MasterUsername="payments", MasterUserPassword="not-a-real-password-0", AllocatedStorage=20,
        DBSubnetGroupName="payments-db", VpcSecurityGroupIds=[db_sg], PubliclyAccessible=False, Port=5432,
    )["DBInstance"]
    address = db["Endpoint"]["Address"] if db.get("Endpoint") else rds.describe_db_instances(
        DBInstanceIdentifier="payments-db")["DBInstances"][0]["Endpoint"]["Address"]
    kms = s.client("kms", REGION)
    key_statements: list[dict[str, Any]] = [{"Sid": "owner", "Effect": "Allow",
                                             "Principal": {"AWS": f"arn:aws:iam::{shared}:root"},
                                             "Action": "kms:*", "Resource": "*"}]
    if key_admits_workload:
        key_statements.append({"Sid": "workload", "Effect": "Allow", "Principal": {"AWS": execution_arn},
                               "Action": "kms:Decrypt", "Resource": "*"})
    key = kms.create_key(Description="shared secrets", Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": key_statements}))["KeyMetadata"]["Arn"]
    sm = s.client("secretsmanager", REGION)
    secret = sm.create_secret(Name="payments/db-password", SecretString="placeholder-never-read",
                              **({} if aws_managed_key else {"KmsKeyId": key}))["ARN"]
    reader = execution_arn if secret_admits_workload else f"arn:aws:iam::{workload}:role/someone-else"
    sm.put_resource_policy(SecretId=secret, ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": reader}, "Action": "secretsmanager:GetSecretValue",
         "Resource": "*"}]}))

    w = session_of(workload)
    w_ec2 = w.client("ec2", REGION)
    w_net = private_network(w_ec2, "10.30.0.0/16", "payments")
    task_sg = w_ec2.create_security_group(GroupName="payments-tasks", Description="tasks",
                                          VpcId=w_net["vpc"])["GroupId"]
    pcx = w_ec2.create_vpc_peering_connection(VpcId=w_net["vpc"], PeerVpcId=s_net["vpc"], PeerOwnerId=shared,
                                              PeerRegion=REGION)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    s_ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    w_ec2.create_route(RouteTableId=w_net["private_rt"], DestinationCidrBlock="10.20.0.0/16",
                       VpcPeeringConnectionId=pcx)
    if accepter_route:
        s_ec2.create_route(RouteTableId=s_net["private_rt"], DestinationCidrBlock="10.30.0.0/16",
                           VpcPeeringConnectionId=pcx)
    s_ec2.modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pcx, AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})
    w_ec2.modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})

    iam = w.client("iam", REGION)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="payments-execution", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="payments-execution", PolicyName="pull-and-read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "ecr:BatchGetImage",
                                           "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream",
                                           "logs:PutLogEvents"], "Resource": "*"},
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key}]}))
    ecr = w.client("ecr", REGION)
    ecr.create_repository(repositoryName="payments")
    manifest = "application/vnd.docker.distribution.manifest.v2+json"
    ecr.put_image(repositoryName="payments", imageTag="1", imageManifestMediaType=manifest,
                  imageManifest=json.dumps({"schemaVersion": 2, "mediaType": manifest, "config": {
                      "mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                      "digest": "sha256:" + "d" * 64}, "layers": []}))
    w.client("logs", REGION).create_log_group(logGroupName="/ecs/payments")
    ecs = w.client("ecs", REGION)
    ecs.create_cluster(clusterName="payments")
    td = ecs.register_task_definition(
        family="payments", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="512", memory="1024",
        executionRoleArn=execution_arn,
        containerDefinitions=[{
            "name": "app", "image": f"{workload}.dkr.ecr.{REGION}.amazonaws.com/payments:1", "memory": 1024,
            "essential": True, "portMappings": [{"containerPort": 8080}],
            "environment": [{"name": "DB_HOST", "value": address}, {"name": "DB_PORT", "value": "5432"}],
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": secret}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/payments", "awslogs-region": REGION, "awslogs-stream-prefix": "app"}},
        }])["taskDefinition"]["taskDefinitionArn"]
    service = ecs.create_service(
        cluster="payments", serviceName="payments-api", taskDefinition=td, desiredCount=2, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {
            "subnets": w_net["private_subnets"], "securityGroups": [task_sg], "assignPublicIp": "DISABLED"}},
    )["service"]["serviceArn"]
    world.ids.update(secret=secret, key=key, db_address=address, pcx=pcx, shared_net=s_net, workload_net=w_net,
                     execution_role=execution_arn, service=service, db_sg=db_sg, task_sg=task_sg)
    return world


def attach_policy(org: Org, kind: str, name: str, statement: dict[str, Any], ou: str) -> None:
    """One organization policy (`kind` SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY, the
    type enabled at the root first) of one statement, attached to OU `ou` of the world."""
    client = boto3.client("organizations", REGION)
    root = client.list_roots()["Roots"][0]["Id"]
    if kind == "RESOURCE_CONTROL_POLICY":  # SCPs are enabled by build_org
        client.enable_policy_type(RootId=root, PolicyType=kind)
    created = client.create_policy(Name=name, Description="", Type=kind, Content=json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]}))
    client.attach_policy(PolicyId=created["Policy"]["PolicySummary"]["Id"], TargetId=org.ous[ou])


def org_path_of(ou_id: str) -> str:
    """`aws:PrincipalOrgPaths` of OU `ou_id` of the world (directly under the root), with `*`."""
    client = boto3.client("organizations", REGION)
    return f"{client.describe_organization()['Organization']['Id']}/{client.list_roots()['Roots'][0]['Id']}/{ou_id}/*"


def resource_perimeter_scp(org: Org) -> None:
    """The data-perimeter SCP on the workloads OU: no secret read outside the organization
    (aws:ResourceOrgID against ${aws:PrincipalOrgID})."""
    attach_policy(org, "SERVICE_CONTROL_POLICY", "resource-perimeter", {
        "Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}}}, "workloads")


def shared_ou_only_rcp(org: Org) -> None:
    """An RCP on the shared-services OU: only principals of that OU may read its secrets."""
    attach_policy(org, "RESOURCE_CONTROL_POLICY", "shared-ou-only", {
        "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        "Condition": {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": org_path_of(org.ous["shared"])}}},
        "shared")
