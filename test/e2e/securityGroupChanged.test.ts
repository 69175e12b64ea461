import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, CreateNodegroupCommand, EKSClient } from '@aws-sdk/client-eks';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { drainQueue, subscribeQueue } from '../support/sqs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { describeWithMoto, motoClientConfig, startMoto, type Moto } from '../support/moto';
import { lambdaContext } from '../support/lambdaContext';
import { bundledHandler } from '../support/bundledHandler';
import { FINDINGS_TABLE_DEFINITION } from '../../src/findings/dynamoStore';

/**
 * The vertical slice, end to end against moto: a real security-group change in the emulated account, the
 * CloudTrail record EventBridge would deliver for it, the Lambda handler, and the alert read back from an SQS
 * queue subscribed to the findings topic.
 */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

function cloudTrailEvent(eventName: string, requestParameters: Record<string, unknown>, responseElements: Record<string, unknown> | null): EventBridgeEvent<'AWS API Call via CloudTrail', Record<string, unknown>> {
  const eventID = randomUUID();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ec2',
    account: ACCOUNT,
    time: '2026-11-29T10:00:00Z',
    region: REGION,
    resources: [],
    detail: {
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLE:alice',
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/dev-admin/alice`,
        accountId: ACCOUNT,
        sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/dev-admin`, accountId: ACCOUNT, userName: 'dev-admin' } },
      },
      eventTime: '2026-11-29T10:00:00Z',
      eventSource: 'ec2.amazonaws.com',
      eventName,
      awsRegion: REGION,
      sourceIPAddress: '203.0.113.7',
      userAgent: 'aws-cli/2.17.0',
      requestParameters,
      responseElements,
      requestID: randomUUID(),
      eventID,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: 'Management',
    },
  };
}

function sshWorldPermissions(groupId: string) {
  return {
    groupId,
    ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, groups: {}, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] }, ipv6Ranges: {}, prefixListIds: {} }] },
  };
}

type Handler = (e: EventBridgeEvent<string, unknown> | { id: string; time: string }, context: Context) => Promise<unknown>;

/** The TypeScript source, and the minified bundle that is deployed (built by `npm test` / `npm ci`). */
const HANDLERS: [string, (name: 'securityGroupChanged' | 'sweep') => Promise<Handler>][] = [
  ['source', async (name) => (name === 'sweep' ? (await import('../../handlers/sweep')).handler : (await import('../../handlers/securityGroupChanged')).handler) as Handler],
  ['deployed bundle', async (name) => bundledHandler(join(__dirname, `../../dist/handlers/${name}.js`))],
];

describeWithMoto.each(HANDLERS)('securityGroupChanged handler (%s) against moto (SSH opened to the world)', (_kind, load) => {
  let moto: Moto;
  let sqs: SQSClient;
  let queueUrl: string;
  let groupId: string;
  let ec2: EC2Client;
  let handler: Handler;
  const context = lambdaContext('eks-drift-test-securityGroupChanged');

  const drain = () => drainQueue(sqs, queueUrl);

  beforeAll(async () => {
    moto = await startMoto();
    const cfg = motoClientConfig(moto.endpoint, REGION);
    ec2 = new EC2Client(cfg);
    const eks = new EKSClient(cfg);
    const sns = new SNSClient(cfg);
    sqs = new SQSClient(cfg);
    const ddb = new DynamoDBClient(cfg);

    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const vpcId = vpc.Vpc!.VpcId!;
    const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24' }));
    const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'prod-control-plane', Description: 'prod control plane', VpcId: vpcId }));
    groupId = sg.GroupId!;
    await eks.send(
      new CreateClusterCommand({
        name: 'prod',
        roleArn: `arn:aws:iam::${ACCOUNT}:role/eks-cluster`,
        resourcesVpcConfig: { subnetIds: [subnet.Subnet!.SubnetId!], securityGroupIds: [groupId], endpointPublicAccess: false, endpointPrivateAccess: true },
      }),
    );
    await eks.send(new CreateNodegroupCommand({ clusterName: 'prod', nodegroupName: 'ng', nodeRole: `arn:aws:iam::${ACCOUNT}:role/node`, subnets: [subnet.Subnet!.SubnetId!] }));

    const topic = await sns.send(new CreateTopicCommand({ Name: 'eks-drift-test-findings' }));
    queueUrl = await subscribeQueue(sns, sqs, topic.TopicArn!, 'oncall');
    await ddb.send(new CreateTableCommand({ TableName: 'eks-drift-test-findings', ...FINDINGS_TABLE_DEFINITION }));

    // The handler logs JSON lines and EMF metrics (CloudWatch format) on stdout; keep the test output readable.
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    process.env.AWS_ENDPOINT_URL = moto.endpoint;
    process.env.AWS_REGION = REGION;
    process.env.FINDINGS_TOPIC_ARN = topic.TopicArn!;
    process.env.FINDINGS_TABLE = 'eks-drift-test-findings';
    // Only the rules this slice is about: the emulated cluster violates others (no logging, no tags…).
    process.env.EKS_DRIFT_REQUIRED_TAGS = '';
    handler = await load('securityGroupChanged');
    // The deployment's baseline sweep (what the DeployBaseline custom resource starts): one first-check digest.
    await (await load('sweep'))({ id: 'deploy-e2e', time: '2026-11-29T09:00:00Z' }, context);
    const digest = await drain();
    expect(digest).toHaveLength(1);
    expect(digest[0].MessageAttributes?.cause?.StringValue).toBe('first-check');
  });

  afterAll(async () => {
    for (const name of ['AWS_ENDPOINT_URL', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_METRICS_DISABLED']) delete process.env[name];
    await moto?.stop();
  });

  it('publishes one critical alert naming the rule, the group and who opened it', async () => {
    const params = sshWorldPermissions(groupId);
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
    const event = cloudTrailEvent('AuthorizeSecurityGroupIngress', params, { _return: true });

    await expect(handler(event, context)).resolves.toMatchObject({ status: 'processed', clusters: ['prod'] });

    const messages = await drain();
    const ssh = messages.filter((m) => m.MessageAttributes?.ruleId?.StringValue?.includes('no-internet-ssh'));
    expect(ssh).toHaveLength(1);
    expect(ssh[0].Body).toContain(groupId);
    expect(ssh[0].Body).toContain(`arn:aws:sts::${ACCOUNT}:assumed-role/dev-admin/alice`);
    expect(ssh[0].Body).toContain('203.0.113.7');
    expect(ssh[0].MessageAttributes?.severity?.StringValue).toBe('critical');
    expect(ssh[0].MessageAttributes?.cluster?.StringValue).toBe('prod');
    expect(ssh[0].MessageAttributes?.cause?.StringValue).toBe('event');

    // The same event delivered again (EventBridge is at-least-once) publishes nothing.
    await handler(event, context);
    expect(await drain()).toHaveLength(0);
  });

  it('publishes the resolution once the rule is revoked, and nothing is opened', async () => {
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
    await handler(cloudTrailEvent('RevokeSecurityGroupIngress', sshWorldPermissions(groupId), { _return: true }), context);

    const messages = await drain();
    expect(messages).toHaveLength(1);
    expect(messages[0].MessageAttributes?.change?.StringValue).toContain('resolved');
    expect(messages[0].Body).toContain('no-internet-ssh');
  });

  it('ignores a failed call without reading or publishing anything', async () => {
    const failed = cloudTrailEvent('AuthorizeSecurityGroupIngress', sshWorldPermissions(groupId), null);
    Object.assign(failed.detail, { errorCode: 'Client.UnauthorizedOperation', errorMessage: 'You are not authorized to perform this operation.' });
    await expect(handler(failed, context)).resolves.toMatchObject({ status: 'ignored' });
    expect(await drain()).toHaveLength(0);
  });
});
