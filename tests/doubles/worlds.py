"""Accounts built in moto (with App Runner served by `FakeAppRunner`), for tests, the demo and
the benchmark. Every builder must run inside an active `moto.mock_aws()` (or against a moto
server through `AWS_ENDPOINT_URL`).

moto's default VPC has no internet gateway; AWS's has one, routed from the main table. The
builders add it, so that a default VPC here behaves like a default VPC in AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from tests.doubles import apprunner_fake as ar

ACCOUNT = "123456789012"  # moto's default account
APP_REGION = "ap-northeast-1"  # Tokyo: App Runner runs here
DB_REGION = "ap-northeast-2"  # Seoul: no App Runner, the database lives here


@dataclass
class Talk:
    """Ids of what a talk world built, for tests to assert against."""

    stage: str
    fake: ar.FakeAppRunner
    ids: dict[str, Any] = field(default_factory=dict)
    quotas: ar.FakeServiceQuotas = field(default_factory=ar.FakeServiceQuotas)


def seed_ids(seed: int = 20231109) -> None:
    """Makes moto's generated ids repeatable, so a snapshot built twice is the same."""
    from moto.moto_api._internal import mock_random

    mock_random.seed(seed)


def default_vpc(ec2: Any) -> tuple[str, list[str], str]:
    """(vpc id, subnet ids, main route table id) of the region's default VPC, made public
    the way AWS makes it: an internet gateway and a 0.0.0.0/0 route in the main table."""
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"])
    main = ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]},
    ])["RouteTables"][0]["RouteTableId"]
    if not ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"]:
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    return vpc, subnets, main


def private_network(ec2: Any, cidr: str, name: str) -> dict[str, Any]:
    """A VPC with one public subnet (internet gateway, NAT gateway) and two private subnets
    whose default route goes to the NAT gateway."""
    octets = cidr.split(".")
    base = f"{octets[0]}.{octets[1]}"
    vpc = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}])["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    region = ec2.meta.region_name
    public = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.0.0/24",
                               AvailabilityZone=f"{region}a")["Subnet"]["SubnetId"]
    private = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.{i}.0/24",
                                 AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
               for i, az in ((10, "a"), (11, "c"))]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    private_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    for sn in private:
        ec2.associate_route_table(RouteTableId=private_rt, SubnetId=sn)
    return {"vpc": vpc, "public_subnet": public, "private_subnets": private, "igw": igw,
            "nat": nat, "public_rt": public_rt, "private_rt": private_rt}


STAGES = ("public-connector", "peered-defaults", "no-routes", "no-dns", "fixed")


def talk_identity(session: boto3.Session, kms_statement: bool = True) -> tuple[str, str, str]:
    """The database password as the talk stored it: a Secrets Manager secret in Tokyo encrypted
    with a customer managed key, and an instance role whose policy is the one the talk wrote
    (`secretsmanager:GetSecretValue` and `kms:Decrypt*` on the secret and the key)."""
    kms = session.client("kms", APP_REGION)
    key = kms.create_key(Description="talk secrets")["KeyMetadata"]["Arn"]
    sm = session.client("secretsmanager", APP_REGION)
    secret = sm.create_secret(Name="test/awstest-be/DB_PASSWORD", KmsKeyId=key,
                              SecretString="placeholder-never-read")["ARN"]  # moto needs a value
    iam = session.client("iam", APP_REGION)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "tasks.apprunner.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="apprunner-awstest-be-instance-role",
                           AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    actions = ["secretsmanager:GetSecretValue"] + (["kms:Decrypt*"] if kms_statement else [])
    resources = [secret] + ([key] if kms_statement else [])
    iam.put_role_policy(RoleName="apprunner-awstest-be-instance-role", PolicyName="awstest-be-secrets",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": actions, "Resource": resources}]}))
    return role, secret, key


def build_talk(stage: str = "peered-defaults", session: boto3.Session | None = None,
               kms_statement: bool = True) -> Talk:
    """The talk's account at one of its stages, in the order the talk went through them:

    - `public-connector`: the backend's VPC connector in Tokyo's default (public) subnets;
      Postgres in Seoul's default VPC, publicly accessible and open to the world.
    - `peered-defaults` (the demo, "half-way"): plus a peering between the two
      172.31.0.0/16 default VPCs, which AWS would fail.
    - `no-routes`: a new 10.10.0.0/16 VPC with private subnets behind a NAT gateway carries
      the connector; its peering with Seoul's default VPC is active, but no routes use it.
    - `no-dns`: routes on both sides; the database is still public, the peering does not
      resolve DNS, and the database group admits only its own VPC's range.
    - `fixed`: a private database that admits the connector VPC, peering DNS on.
    """
    stage = {"halfway": "peered-defaults"}.get(stage, stage)
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    step = STAGES.index(stage)
    session = session or boto3.Session()
    tokyo = session.client("ec2", APP_REGION)
    seoul = session.client("ec2", DB_REGION)
    rds = session.client("rds", DB_REGION)
    talk = Talk(stage, ar.FakeAppRunner())
    ids = talk.ids

    t_vpc, t_subnets, _ = default_vpc(tokyo)
    s_vpc, s_subnets, s_main = default_vpc(seoul)
    ids.update(tokyo_vpc=t_vpc, tokyo_subnets=t_subnets, seoul_vpc=s_vpc, seoul_subnets=s_subnets,
               seoul_main_rt=s_main)

    db_sg = seoul.create_security_group(GroupName="talk-db", Description="talk database",
                                        VpcId=s_vpc)["GroupId"]
    ids["db_sg"] = db_sg
    rds.create_db_subnet_group(DBSubnetGroupName="talk-db-subnets",
                               DBSubnetGroupDescription="talk", SubnetIds=s_subnets)
    admitted = {0: "0.0.0.0/0", 1: "0.0.0.0/0", 2: "0.0.0.0/0", 3: "172.31.0.0/16"}.get(step, "10.10.0.0/16")
    seoul.authorize_security_group_ingress(GroupId=db_sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
        "IpRanges": [{"CidrIp": admitted, "Description": "postgres"}]}])
    public = step < STAGES.index("fixed")

    if step <= STAGES.index("peered-defaults"):
        connector_subnets = t_subnets[:2]
        connector_sgs = [tokyo.describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [t_vpc]}, {"Name": "group-name", "Values": ["default"]},
        ])["SecurityGroups"][0]["GroupId"]]
        if stage == "peered-defaults":
            ids["pcx"] = tokyo.create_vpc_peering_connection(
                VpcId=t_vpc, PeerVpcId=s_vpc, PeerRegion=DB_REGION,
            )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    else:
        net = private_network(tokyo, "10.10.0.0/16", "talk-app")
        ids["app_network"] = net
        connector_subnets = net["private_subnets"]
        conn_sg = tokyo.create_security_group(GroupName="talk-connector",
                                              Description="connector", VpcId=net["vpc"])["GroupId"]
        connector_sgs = [conn_sg]
        ids["connector_sg"] = conn_sg
        pcx = tokyo.create_vpc_peering_connection(
            VpcId=net["vpc"], PeerVpcId=s_vpc, PeerRegion=DB_REGION,
        )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        ids["pcx"] = pcx
        seoul.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        if step >= STAGES.index("no-dns"):
            tokyo.create_route(RouteTableId=net["private_rt"], DestinationCidrBlock="172.31.0.0/16",
                               VpcPeeringConnectionId=pcx)
            seoul.create_route(RouteTableId=s_main, DestinationCidrBlock="10.10.0.0/16",
                               VpcPeeringConnectionId=pcx)
        if stage == "fixed":
            seoul.modify_vpc_peering_connection_options(
                VpcPeeringConnectionId=pcx,
                AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})

    db = rds.create_db_instance(
        DBInstanceIdentifier="talk-db", Engine="postgres", DBInstanceClass="db.t3.micro",
        MasterUsername="talk", MasterUserPassword="not-a-real-password-0",  # moto needs one
        AllocatedStorage=20, DBSubnetGroupName="talk-db-subnets", VpcSecurityGroupIds=[db_sg],
        PubliclyAccessible=public, Port=5432,
    )["DBInstance"]
    address = db["Endpoint"]["Address"] if db.get("Endpoint") else (
        rds.describe_db_instances(DBInstanceIdentifier="talk-db")["DBInstances"][0]["Endpoint"]["Address"])
    ids["db_address"] = address

    conn = ar.connector("talk-connector", APP_REGION, ACCOUNT, connector_subnets, connector_sgs)
    talk.fake.connectors.append(conn)
    ids["connector_arn"] = conn["VpcConnectorArn"]
    role, secret, key = talk_identity(session, kms_statement)
    ids.update(role=role, secret=secret, key=key)
    backend = ar.service(
        "talk-be", APP_REGION, ACCOUNT, runtime="NODEJS_16",
        env={"DB_HOST": address, "DB_PORT": "5432", "DB_DATABASE": "talk", "DB_USER": "talk"},
        secrets={"DB_PASSWORD": secret}, instance_role=role,
        connector_arn=conn["VpcConnectorArn"], service_id="3f2a9c1d7e5b4a60b8c9d0e1f2a3b4c5")
    frontend = ar.service(
        "talk-fe", APP_REGION, ACCOUNT, runtime="NODEJS_16",
        env={"NEXT_PUBLIC_API_URL": "https://api.example.com"},
        service_id="9a8b7c6d5e4f40312a1b2c3d4e5f6a7b")
    talk.fake.services += [backend, frontend]
    talk.fake.tags[backend["ServiceArn"]] = {"env": "prod"}
    talk.fake.tags[frontend["ServiceArn"]] = {"env": "prod"}
    ids["backend_arn"], ids["frontend_arn"] = backend["ServiceArn"], frontend["ServiceArn"]
    if stage == "fixed":  # the talk raised the Fargate vCPU quota from the new account's default
        talk.quotas.applied[APP_REGION] = 100
    talk.fake.attach(session)
    talk.quotas.attach(session)
    return talk


ENDPOINT_SERVICES = ("ecr.api", "ecr.dkr", "logs", "secretsmanager")


@dataclass
class EcsTalk:
    """The talk's account with the backend moved from App Runner to ECS Fargate."""

    talk: Talk
    express: Any
    ids: dict[str, Any] = field(default_factory=dict)


SINGLE_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def build_talk_ecs(session: boto3.Session | None = None, *, nat: bool = False, endpoints: bool = False,
                   public_ip: bool = False, express: bool = False, execution_trust: str = "ecs-tasks.amazonaws.com",
                   load_balancer: bool = False, public_subnet: bool = False, replace: bool = True) -> EcsTalk:
    """The talk's `fixed` account, with the backend deployed instead as an ECS Fargate service
    (or, with `express`, an Express Mode service) in the private subnets of the 10.10.0.0/16 VPC.

    - `nat`: keep the private subnets' default route to the NAT gateway (removed otherwise).
    - `endpoints`: the VPC endpoints a private start needs (ecr.api, ecr.dkr, logs,
      secretsmanager with private DNS, S3 as a gateway on the private route table).
    - `public_ip`: the service sets assignPublicIp.
    - `load_balancer`: an internet-facing ALB with an HTTPS listener and an ACM certificate.
    - `public_subnet`: the tasks run in the VPC's public subnet (routed to the internet gateway).
    - `replace`: remove the App Runner backend (keep it for a world in mid-migration).
    """
    from tests.doubles.ecs_fake import FakeExpressMode, express_service

    session = session or boto3.Session()
    talk = build_talk("fixed", session)
    world = EcsTalk(talk, FakeExpressMode())
    ids = world.ids
    net = talk.ids["app_network"]
    tokyo = session.client("ec2", APP_REGION)
    if replace:
        talk.fake.services[:] = [s for s in talk.fake.services if s["ServiceArn"] != talk.ids["backend_arn"]]
    if not nat:
        tokyo.delete_route(RouteTableId=net["private_rt"], DestinationCidrBlock="0.0.0.0/0")
    if endpoints:
        sg = tokyo.create_security_group(GroupName="talk-endpoints", Description="endpoints",
                                         VpcId=net["vpc"])["GroupId"]
        tokyo.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.10.0.0/16"}]}])
        ids["endpoint_sg"] = sg
        for svc in ENDPOINT_SERVICES:
            tokyo.create_vpc_endpoint(VpcId=net["vpc"], VpcEndpointType="Interface",
                                      ServiceName=f"com.amazonaws.{APP_REGION}.{svc}",
                                      SubnetIds=net["private_subnets"], SecurityGroupIds=[sg],
                                      PrivateDnsEnabled=True)
        tokyo.create_vpc_endpoint(VpcId=net["vpc"], VpcEndpointType="Gateway",
                                  ServiceName=f"com.amazonaws.{APP_REGION}.s3", RouteTableIds=[net["private_rt"]])

    iam = session.client("iam", APP_REGION)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": execution_trust}, "Action": "sts:AssumeRole"}]}
    execution = iam.create_role(RoleName="talk-be-execution", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="talk-be-execution", PolicyName="pull-and-read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "ecr:BatchGetImage",
                                           "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream",
                                           "logs:PutLogEvents"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [talk.ids["secret"]]},
            {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [talk.ids["key"]]}]}))
    task_trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    task_role = iam.create_role(RoleName="talk-be-task", AssumeRolePolicyDocument=json.dumps(task_trust))["Role"]["Arn"]
    ids.update(execution_role=execution, task_role=task_role)

    ecs = session.client("ecs", APP_REGION)
    cluster = ecs.create_cluster(clusterName="talk")["cluster"]["clusterArn"]
    image = f"{ACCOUNT}.dkr.ecr.{APP_REGION}.amazonaws.com/talk-be:1"
    # what a deploy pipeline leaves behind: the image pushed, the log group created
    ecr = session.client("ecr", APP_REGION)
    ecr.create_repository(repositoryName="talk-be")
    ecr.put_image(repositoryName="talk-be", imageTag="1", imageManifestMediaType=SINGLE_MANIFEST,
                  imageManifest=json.dumps({"schemaVersion": 2, "mediaType": SINGLE_MANIFEST, "config": {
                      "mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                      "digest": "sha256:" + "c" * 64}, "layers": []}))
    session.client("logs", APP_REGION).create_log_group(logGroupName="/ecs/talk-be")
    td = ecs.register_task_definition(
        family="talk-be", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="1024", memory="2048",
        executionRoleArn=execution, taskRoleArn=task_role,
        containerDefinitions=[{
            "name": "app", "image": image, "memory": 2048, "essential": True,
            "portMappings": [{"containerPort": 8080}],
            "environment": [{"name": "DB_HOST", "value": talk.ids["db_address"]},
                            {"name": "DB_PORT", "value": "5432"}, {"name": "DB_DATABASE", "value": "talk"},
                            {"name": "DB_USER", "value": "talk"}],
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": talk.ids["secret"]}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/talk-be", "awslogs-region": APP_REGION, "awslogs-stream-prefix": "app"}},
        }])["taskDefinition"]["taskDefinitionArn"]
    extra: dict[str, Any] = {}
    if load_balancer:
        elb = session.client("elbv2", APP_REGION)
        acm = session.client("acm", APP_REGION)
        cert = acm.request_certificate(DomainName="api.talk-example.com", ValidationMethod="DNS")["CertificateArn"]
        lb = elb.create_load_balancer(Name="talk-be", Subnets=[net["public_subnet"], *net["private_subnets"][:1]],
                                      Scheme="internet-facing")["LoadBalancers"][0]["LoadBalancerArn"]
        tg = elb.create_target_group(Name="talk-be", Protocol="HTTP", Port=8080, VpcId=net["vpc"],
                                     TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": cert}],
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        extra["loadBalancers"] = [{"targetGroupArn": tg, "containerName": "app", "containerPort": 8080}]
        ids.update(certificate=cert, load_balancer=lb, target_group=tg)
    subnets = [net["public_subnet"]] if public_subnet else net["private_subnets"]
    ids["task_subnets"] = subnets
    svc = ecs.create_service(
        cluster="talk", serviceName="talk-be", taskDefinition=td, desiredCount=2, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {
            "subnets": subnets, "securityGroups": [talk.ids["connector_sg"]],
            "assignPublicIp": "ENABLED" if public_ip else "DISABLED"}}, **extra)["service"]["serviceArn"]
    ids.update(cluster=cluster, service=svc, task_definition=td, image=image)
    if express:
        # Express Mode's infrastructure role; moto has no copy of the AWS managed policy, so a policy
        # of the same name (all the rule looks at) stands in for it
        iam.create_role(RoleName="ecsInfrastructureRoleForExpressServices", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}))
        policy = iam.create_policy(PolicyName="AmazonECSInfrastructureRoleforExpressGatewayServices",
                                   Path="/service-role/", PolicyDocument=json.dumps({
                                       "Version": "2012-10-17", "Statement": [
                                           {"Effect": "Allow", "Action": "elasticloadbalancing:*", "Resource": "*"}]}))
        iam.attach_role_policy(RoleName="ecsInfrastructureRoleForExpressServices",
                               PolicyArn=policy["Policy"]["Arn"])
        world.express.services[svc] = express_service(
            svc, cluster, subnets=subnets, security_groups=[talk.ids["connector_sg"]], image=image,
            execution_role=execution, task_role=task_role, task_definition=td)
    world.express.attach(session)
    return world
