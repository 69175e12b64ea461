import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeSubscriptionFiltersCommand, PutSubscriptionFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, EKSClient, type Cluster } from '@aws-sdk/client-eks';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { drainQueue, subscribeQueue } from '../support/sqs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { matchesFilter, parseFilterPattern } from '../../src/audit/filterPattern';
import { processAuditDelivery } from '../../src/audit/pipeline';
import { ensureAllSubscribed, type SubscriptionSettings } from '../../src/audit/subscriber';
import { AUDIT_FILTER_PATTERN } from '../../src/audit/subscriptionFilter';
import { defaultConfig } from '../../src/config';
import { DynamoFindingStore, FINDINGS_TABLE_DEFINITION } from '../../src/findings/dynamoStore';
import { SdkReader } from '../../src/inventory/sdkReader';
import type { AwsReader } from '../../src/inventory/reader';
import { MemoryLogger } from '../../src/log';
import { parseNotificationMessage } from '../../src/notify/message';
import { publishNotifications } from '../../src/notify/sns';
import { sweep, type PipelineDeps } from '../../src/pipeline';
import { describeWithMoto, motoClientConfig, startMoto, type Moto } from '../support/moto';
import { opensslAvailable, startKubeApi, type KubeApi } from '../support/kubeApi';
import { decodedSource, deliveryWith, loadAuditSample } from '../audit/support';
import { lambdaContext } from '../support/lambdaContext';
import { captureOutput } from '../support/captureOutput';
import { bundledHandler } from '../support/bundledHandler';

/**
 * The audit-log trigger end to end: the subscriber against moto's CloudWatch Logs (PutSubscriptionFilter,
 * DescribeSubscriptionFilters) and EKS, and a delivery through the pipeline with the live readers: EKS from moto, the
 * cluster's Kubernetes API from a local HTTPS server (a real EKS token, a self-signed CA), findings in DynamoDB and
 * the alert read back from an SQS queue subscribed to the SNS topic (all moto).
 */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const MAP_NODES = '- rolearn: arn:aws:iam::123456789012:role/eks-node-role\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n';
const MAP_MASTERS = `${MAP_NODES}- rolearn: arn:aws:iam::123456789012:role/ops-admin\n  username: ops-admin\n  groups:\n    - system:masters\n`;
const awsAuth = (mapRoles: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: { mapRoles } });
const logging = (enabled: boolean) => ({ clusterLogging: [{ types: ['api', 'audit', 'authenticator'] as ('api' | 'audit' | 'authenticator')[], enabled }] });

/** The sample delivery, as CloudWatch Logs of moto's account would send it. */
const inThisAccount = (name: string) => deliveryWith(name, (d) => ({ ...d, owner: ACCOUNT }));

describeWithMoto('EKS audit log against moto', () => {
  let moto: Moto;
  let cfg: ReturnType<typeof motoClientConfig>;
  let logs: CloudWatchLogsClient;
  let functionArn: string;

  beforeAll(async () => {
    moto = await startMoto();
    cfg = motoClientConfig(moto.endpoint, REGION);
    logs = new CloudWatchLogsClient(cfg);
    const ec2 = new EC2Client(cfg);
    const eks = new EKSClient(cfg);
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '10.0.1.0/24' }));
    const cluster = (name: string, auditOn: boolean) =>
      eks.send(new CreateClusterCommand({ name, roleArn: `arn:aws:iam::${ACCOUNT}:role/eks-cluster`, resourcesVpcConfig: { subnetIds: [subnet.Subnet!.SubnetId!] }, logging: logging(auditOn) }));
    await cluster('prod', true);
    await cluster('dev', false);
    await cluster('fresh', true);
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/aws/eks/prod/cluster' }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/aws/eks/dev/cluster' }));

    // The destination must exist: CloudWatch Logs (and moto) refuse a subscription to a missing function.
    const role = await new IAMClient(cfg).send(new CreateRoleCommand({ RoleName: 'eks-drift-detector', AssumeRolePolicyDocument: '{}' }));
    const emptyZip = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]);
    const fn = await new LambdaClient(cfg).send(
      new CreateFunctionCommand({ FunctionName: 'eks-drift-test-auditLog', Runtime: 'nodejs22.x', Role: role.Role!.Arn!, Handler: 'auditLog.handler', Code: { ZipFile: emptyZip } }),
    );
    functionArn = fn.FunctionArn!;
  });

  afterAll(async () => {
    await moto?.stop();
  });

  describe('the subscriber', () => {
    const settings = (): SubscriptionSettings => ({ clusters: '*', filterName: 'eks-drift-test-audit', destinationArn: functionArn });
    const reader = () => new SdkReader({ ...cfg, clientConfig: { credentials: cfg.credentials, maxAttempts: 1 } });
    const byCluster = (o: { cluster: string; status: string }[]) => Object.fromEntries(o.map((x) => [x.cluster, x.status]));

    it('subscribes the audit log group of each cluster with the shared pattern; skips audit logging off; retries a group not created yet', async () => {
      const out = await ensureAllSubscribed({ reader: reader(), logs }, settings());
      expect(byCluster(out)).toEqual({ prod: 'subscribed', dev: 'audit-logging-off', fresh: 'log-group-missing' });

      const stored = await logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName: '/aws/eks/prod/cluster' }));
      expect(stored.subscriptionFilters).toEqual([
        expect.objectContaining({ filterName: 'eks-drift-test-audit', filterPattern: AUDIT_FILTER_PATTERN, destinationArn: functionArn }),
      ]);
      // The pattern as CloudWatch Logs stored it lets the aws-auth edit through and drops the kubectl get.
      const deployed = parseFilterPattern(stored.subscriptionFilters![0].filterPattern!);
      expect(matchesFilter(deployed, decodedSource('aws-auth-edit-system-masters').logEvents[0].message)).toBe(true);
      expect(matchesFilter(deployed, decodedSource('kubectl-get-aws-auth').logEvents[0].message)).toBe(false);
    });

    it('is idempotent, and picks up the group EKS created since the last run', async () => {
      await logs.send(new CreateLogGroupCommand({ logGroupName: '/aws/eks/fresh/cluster' }));
      const send = jest.spyOn(logs, 'send');
      const out = await ensureAllSubscribed({ reader: reader(), logs }, settings());
      expect(byCluster(out)).toEqual({ prod: 'unchanged', dev: 'audit-logging-off', fresh: 'subscribed' });
      const puts = send.mock.calls.filter(([c]) => c instanceof PutSubscriptionFilterCommand).map(([c]) => (c as PutSubscriptionFilterCommand).input.logGroupName);
      expect(puts).toEqual(['/aws/eks/fresh/cluster']);
      send.mockRestore();
    });

    it('replaces a filter of ours whose pattern is out of date, and only subscribes the selected clusters', async () => {
      await logs.send(new PutSubscriptionFilterCommand({ logGroupName: '/aws/eks/prod/cluster', filterName: 'eks-drift-test-audit', filterPattern: '{ $.verb = "patch" }', destinationArn: functionArn }));
      const out = await ensureAllSubscribed({ reader: reader(), logs }, { ...settings(), clusters: ['prod', 'gone'] });
      expect(out).toEqual([
        expect.objectContaining({ cluster: 'prod', status: 'subscribed', detail: 'replaced an older pattern or destination' }),
        expect.objectContaining({ cluster: 'gone', status: 'cluster-not-found' }),
      ]);
      const stored = await logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName: '/aws/eks/prod/cluster' }));
      expect(stored.subscriptionFilters![0].filterPattern).toBe(AUDIT_FILTER_PATTERN);
    });

    it('the scheduled handler reports what it did', async () => {
      Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: REGION, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AUDIT_LOG_CLUSTERS: '*', AUDIT_SUBSCRIPTION_FILTER_NAME: 'eks-drift-test-audit', AUDIT_LOG_FUNCTION_ARN: functionArn });
      const output = captureOutput();
      try {
        const { handler } = await import('../../handlers/auditSubscriber');
        await expect(handler({} as never, lambdaContext('eks-drift-test-auditSubscriber'))).resolves.toEqual({ subscribed: 0, unchanged: 2, auditLoggingOff: 1, logGroupMissing: 0, errors: 0 });
      } finally {
        delete process.env.AWS_ENDPOINT_URL;
        output.restore();
      }
      // Powertools log lines with the invocation's context, one per cluster.
      const lines = output.all.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.find((l) => l.cluster === 'dev')).toMatchObject({ level: 'WARN', message: 'audit log subscription', status: 'audit-logging-off', function_name: 'eks-drift-test-auditSubscriber' });
    });
  });

  it('the deployed auditLog bundle ignores a kubectl get and refuses a malformed delivery, without throwing', async () => {
    const env = { ...process.env, AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: REGION, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', FINDINGS_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:t`, FINDINGS_TABLE: 't' };
    const invoke = bundledHandler(join(__dirname, '../../dist/handlers/auditLog.js'), env);
    const context = lambdaContext('eks-drift-test-auditLog');
    await expect(invoke(inThisAccount('kubectl-get-aws-auth'), context)).resolves.toEqual({ status: 'ignored', clusters: [] });
    await expect(invoke(loadAuditSample('malformed-not-gzip.json'), context)).resolves.toEqual({ status: 'invalid', clusters: [] });
  });

  (opensslAvailable ? describe : describe.skip)('a delivery through the live pipeline', () => {
    let kube: KubeApi;
    let deps: PipelineDeps & { log: MemoryLogger };
    let sqs: SQSClient;
    let queueUrl: string;

    const drain = () => drainQueue(sqs, queueUrl);

    beforeAll(async () => {
      kube = await startKubeApi();
      kube.objects = { awsAuth: awsAuth(MAP_NODES), clusterRoleBindings: [], namespaces: [{ metadata: { name: 'default' } }], networkPolicies: [] };
      const sdk = new SdkReader({ ...cfg, clientConfig: { credentials: cfg.credentials, maxAttempts: 1 }, kubernetesLimits: { deadlineMs: 2000, idleTimeoutMs: 1000 } });
      // moto invents an endpoint for its clusters: the cluster's API is this local server, with its CA.
      const reader: AwsReader = new Proxy(sdk, {
        get(target, prop, receiver) {
          if (prop === 'describeCluster') {
            return async (name: string): Promise<Cluster | undefined> => {
              const c = await target.describeCluster(name);
              return c && { ...c, endpoint: kube.endpoint, certificateAuthority: { data: kube.ca }, accessConfig: { authenticationMode: 'CONFIG_MAP' } };
            };
          }
          const v = Reflect.get(target, prop, receiver);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      const sns = new SNSClient(cfg);
      sqs = new SQSClient(cfg);
      const ddb = new DynamoDBClient(cfg);
      const topic = await sns.send(new CreateTopicCommand({ Name: 'eks-drift-test-findings' }));
      queueUrl = await subscribeQueue(sns, sqs, topic.TopicArn!, 'oncall');
      await ddb.send(new CreateTableCommand({ TableName: 'eks-drift-test-findings', ...FINDINGS_TABLE_DEFINITION }));
      deps = {
        reader,
        store: new DynamoFindingStore('eks-drift-test-findings', ddb),
        config: { ...defaultConfig, requiredTags: [] },
        log: new MemoryLogger(),
        publish: (n) => publishNotifications(sns, topic.TopicArn!, n),
      };
      await sweep(deps, { sweepId: 'sweep:baseline' });
      await drain();
    });

    afterAll(async () => {
      await kube?.close();
    });

    it('kubectl edit aws-auth (system:masters) opens no-system-masters, alerting with the Kubernetes user and the IAM identity behind it', async () => {
      kube.objects.awsAuth = awsAuth(MAP_MASTERS);
      kube.requests.length = 0;
      const out = await processAuditDelivery(inThisAccount('aws-auth-edit-system-masters'), deps);

      expect(out).toMatchObject({ status: 'processed', clusters: ['prod'] });
      expect(kube.requests.length).toBeGreaterThan(0);
      expect(kube.requests.every((r) => r.authorization?.startsWith('Bearer k8s-aws-v1.'))).toBe(true);
      const messages = await drain();
      expect(messages).toHaveLength(1);
      expect(messages[0].MessageAttributes?.ruleId?.StringValue).toBe('["no-system-masters"]');
      expect(messages[0].MessageAttributes?.cluster?.StringValue).toBe('prod');
      const p = parseNotificationMessage(messages[0].Body!);
      expect(p.changes.map((c) => `${c.change} ${c.finding.resourceId}`)).toEqual(['opened arn:aws:iam::123456789012:role/ops-admin']);
      expect(p.trigger).toMatchObject({ kind: 'kubernetes', writers: [{ username: 'platform-admin', iamArn: 'arn:aws:sts::111122223333:assumed-role/platform-admin/alice' }] });
      expect(messages[0].Body).toContain('Who: platform-admin (IAM arn:aws:sts::111122223333:assumed-role/platform-admin/alice)');

      // The same batch delivered again (a retried invocation) publishes nothing.
      await processAuditDelivery(inThisAccount('aws-auth-edit-system-masters'), deps);
      expect(await drain()).toHaveLength(0);
    });

    it('a cluster API that refuses the detector leaves the rule not evaluated, its finding open, and publishes nothing', async () => {
      kube.failWith = 403;
      const out = await processAuditDelivery(
        deliveryWith('aws-auth-edit-system-masters', (d) => ({ ...d, owner: ACCOUNT, logEvents: d.logEvents.map((e) => ({ ...e, id: `${e.id}1` })) })),
        deps,
      );
      kube.failWith = undefined;
      expect(out.scopes[0].notEvaluated.map((n) => n.ruleId)).toEqual(['no-system-masters']);
      expect(await drain()).toHaveLength(0);
      expect((await deps.store.listFindings({ status: 'open' })).some((f) => f.finding.ruleId === 'no-system-masters')).toBe(true);
    });

    it('a private endpoint the function cannot reach (it accepts nothing, answers nothing) is not evaluated once the timeout passes', async () => {
      // A listener that never completes the TLS handshake: what a private endpoint looks like from outside its VPC.
      const sockets: Socket[] = [];
      const silent: TcpServer = createTcpServer((s) => void sockets.push(s));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const endpoint = kube.endpoint;
      kube.endpoint = `https://127.0.0.1:${(silent.address() as { port: number }).port}`;
      try {
        const out = await processAuditDelivery(
          deliveryWith('aws-auth-edit-system-masters', (d) => ({ ...d, owner: ACCOUNT, logEvents: d.logEvents.map((e) => ({ ...e, id: `${e.id}2` })) })),
          deps,
        );
        expect(out.scopes[0].notEvaluated).toEqual([expect.objectContaining({ ruleId: 'no-system-masters', reason: expect.stringContaining('could not be read') })]);
        expect(await drain()).toHaveLength(0);
      } finally {
        kube.endpoint = endpoint;
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });
  });
});
