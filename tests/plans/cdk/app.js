// A CDK app shaped like the talk's backend: App Runner behind a VPC connector in the private
// subnets of a new VPC, an Aurora PostgreSQL cluster with a generated secret, the instance role
// granted the secret with grantRead.
const cdk = require('aws-cdk-lib');
const ec2 = require('aws-cdk-lib/aws-ec2');
const rds = require('aws-cdk-lib/aws-rds');
const iam = require('aws-cdk-lib/aws-iam');
const apprunner = require('aws-cdk-lib/aws-apprunner');

const variant = process.env.VARIANT || 'good';
const app = new cdk.App({ outdir: process.env.OUT || 'cdk.out' });
const stack = new cdk.Stack(app, 'TalkStack');
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: variant === 'no-nat' ? 0 : 1 });
const connectorSg = new ec2.SecurityGroup(stack, 'ConnectorSg', { vpc });
const db = new rds.DatabaseCluster(stack, 'Db', {
  engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
  writer: rds.ClusterInstance.serverlessV2('writer'),
  vpc,
  vpcSubnets: { subnetType: variant === 'no-nat' ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS },
});
if (variant !== 'no-ingress') {
  db.connections.allowDefaultPortFrom(connectorSg);
}
const role = new iam.Role(stack, 'InstanceRole', { assumedBy: new iam.ServicePrincipal('tasks.apprunner.amazonaws.com') });
if (variant !== 'no-grant') {
  db.secret.grantRead(role);
}
const connector = new apprunner.CfnVpcConnector(stack, 'Connector', {
  subnets: vpc.selectSubnets({ subnetType: variant === 'no-nat' ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
  securityGroups: [connectorSg.securityGroupId],
});
new apprunner.CfnService(stack, 'Backend', {
  serviceName: 'talk-be',
  sourceConfiguration: {
    autoDeploymentsEnabled: false,
    imageRepository: {
      imageIdentifier: 'public.ecr.aws/nginx/nginx:1.27',
      imageRepositoryType: 'ECR_PUBLIC',
      imageConfiguration: {
        port: '8080',
        runtimeEnvironmentVariables: [{ name: 'DB_HOST', value: db.clusterEndpoint.hostname }],
        runtimeEnvironmentSecrets: [{ name: 'DB_SECRET', value: db.secret.secretArn }],
      },
    },
  },
  instanceConfiguration: { instanceRoleArn: role.roleArn },
  networkConfiguration: { egressConfiguration: { egressType: 'VPC', vpcConnectorArn: connector.attrVpcConnectorArn } },
});
app.synth();
