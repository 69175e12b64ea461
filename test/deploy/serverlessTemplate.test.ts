import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventBridgePatterns } from '../../src/events/patterns';
import { matchesPattern } from '../../src/events/matcher';
import { CATALOG } from '../../src/events/catalog';
import { classifyEvent } from '../../src/events/classify';
import { FINDINGS_TABLE_DEFINITION } from '../../src/findings/dynamoStore';

/**
 * `serverless package` runs offline with no AWS credentials; these tests read the CloudFormation template it
 * writes, so what is deployed is what the event catalog says.
 */
type Resource = { Type: string; Properties: Record<string, unknown> };
let resources: Record<string, Resource>;
const outDir = mkdtempSync(join(tmpdir(), 'eks-drift-sls-'));

beforeAll(() => {
  execFileSync(process.execPath, [require.resolve('osls/bin/serverless.js'), 'package', '--stage', 'test', '--region', 'eu-west-1', '--package', outDir], {
    cwd: join(__dirname, '../..'),
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'eks-drift-no-such-profile' },
    stdio: 'pipe',
    timeout: 120_000,
  });
  resources = JSON.parse(readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
}, 150_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const ofType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);

/** The template with every `Fn::If` decided (CloudFormation conditions as a deploy with these parameters sets them). */
function decide(v: unknown, conditions: Record<string, boolean>): unknown {
  if (Array.isArray(v)) return v.map((x) => decide(x, conditions)).filter((x) => x !== NO_VALUE);
  if (typeof v !== 'object' || v === null) return v;
  const o = v as Record<string, unknown>;
  if ('Fn::If' in o) {
    const [name, yes, no] = o['Fn::If'] as [string, unknown, unknown];
    if (!(name in conditions)) throw new Error(`condition ${name} not decided`);
    return decide(conditions[name] ? yes : no, conditions);
  }
  if ((o as { Ref?: string }).Ref === 'AWS::NoValue') return NO_VALUE;
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decide(x, conditions)]).filter(([, x]) => x !== NO_VALUE));
}
const NO_VALUE = Symbol('AWS::NoValue');
const OUTSIDE_VPC = { KubernetesReadersInVpc: false };
const IN_VPC = { KubernetesReadersInVpc: true };

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statementsOf = (role: string, conditions: Record<string, boolean>) =>
  ((decide(resources[role], conditions) as Resource).Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[])[0].PolicyDocument.Statement;
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** EventBridge rule → the Lambda it targets (logical id of the function, e.g. SecurityGroupChangedLambdaFunction). */
function rulesByHandler(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [, r] of ofType('AWS::Events::Rule')) {
    if (!r.Properties.EventPattern) continue; // the sweep's schedule
    const target = (r.Properties.Targets as { Arn: { 'Fn::GetAtt': [string, string] } }[])[0].Arn['Fn::GetAtt'][0];
    const name = target.replace(/LambdaFunction$/, '');
    out[name.charAt(0).toLowerCase() + name.slice(1)] = r.Properties.EventPattern as Record<string, unknown>;
  }
  return out;
}

describe('serverless package (CloudFormation template)', () => {
  it('has one EventBridge rule per trigger family, with exactly the catalog patterns', () => {
    expect(rulesByHandler()).toEqual(eventBridgePatterns());
  });

  it('excludes failed calls in every pattern', () => {
    for (const pattern of Object.values(rulesByHandler())) {
      expect((pattern.detail as Record<string, unknown>).errorCode).toEqual([{ exists: false }]);
    }
  });

  it('routes every sample event to exactly its family handler, and failed or malformed samples nowhere', () => {
    const patterns = rulesByHandler();
    const dir = join(__dirname, '../../events');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) {
      const raw = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      const matched = Object.entries(patterns).filter(([, p]) => matchesPattern(p, raw)).map(([h]) => h);
      const c = classifyEvent(raw);
      const failed = c.status !== 'invalid' && typeof (c.record as { errorCode?: string }).errorCode === 'string';
      if (c.status === 'watched') expect({ file, matched }).toEqual({ file, matched: [c.entry.handler] });
      else if (failed || c.status === 'invalid') expect({ file, matched }).toEqual({ file, matched: [] });
    }
  });

  it('routes every catalog eventName', () => {
    const patterns = rulesByHandler();
    for (const entry of CATALOG) {
      const probe = { source: entry.eventSource.replace('.amazonaws.com', '').replace(/^/, 'aws.'), 'detail-type': 'AWS API Call via CloudTrail', detail: { eventSource: entry.eventSource, eventName: entry.eventName } };
      const matched = Object.entries(patterns).filter(([, p]) => matchesPattern(p, probe)).map(([h]) => h);
      expect({ event: entry.eventName, matched }).toEqual({ event: entry.eventName, matched: [entry.handler] });
    }
  });

  it('runs every function on nodejs22.x from its own bundle', () => {
    const fns = ofType('AWS::Lambda::Function');
    expect(fns.map(([id]) => id).sort()).toEqual(
      ['AuditLog', 'AuditSubscriber', 'ClusterChanged', 'NetworkChanged', 'SecurityGroupChanged', 'SlackNotifier', 'Sweep', 'TrailChanged'].map((n) => `${n}LambdaFunction`),
    );
    for (const [, f] of fns) expect(f.Properties.Runtime).toBe('nodejs22.x');
  });

  it('declares the findings topic, the table with the store key schema, and a scheduled sweep', () => {
    expect(ofType('AWS::SNS::Topic')).toHaveLength(1);
    const [[, table]] = ofType('AWS::DynamoDB::Table');
    expect(table.Properties.KeySchema).toEqual(FINDINGS_TABLE_DEFINITION.KeySchema);
    expect(table.Properties.AttributeDefinitions).toEqual(FINDINGS_TABLE_DEFINITION.AttributeDefinitions);
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    const schedules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
    const target = (r: Resource) => (r.Properties.Targets as { Arn: { 'Fn::GetAtt': [string] } }[])[0].Arn['Fn::GetAtt'][0];
    expect(schedules.map(([, r]) => target(r)).sort()).toEqual(['AuditSubscriberLambdaFunction', 'SweepLambdaFunction']);
  });

  it('subscribes Slack with a severity filter policy (default: high and critical)', () => {
    const subs = ofType('AWS::SNS::Subscription');
    expect(subs).toHaveLength(1);
    expect(subs[0][1].Properties.FilterPolicy).toEqual({ severity: ['high', 'critical'] });
  });

  it('gives the detector read-only access plus its own topic, table and queue: no wildcard actions, no writes elsewhere', () => {
    const statements = statementsOf('DetectorRole', OUTSIDE_VPC);
    const actions = statements.flatMap(actionsOf);
    for (const a of actions) expect(a).not.toMatch(/\*/);
    const writes = actions.filter((a) => !/^(ec2|eks|cloudtrail):(Describe|List|Get|Lookup)/.test(a));
    expect(writes.sort()).toEqual(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sns:Publish', 'sqs:SendMessage'].sort(),
    );
    for (const s of statements) {
      const a = Array.isArray(s.Action) ? s.Action : [s.Action];
      if (a.some((x) => /^(sns|dynamodb|sqs):/.test(x))) expect(s.Resource).not.toBe('*');
    }
  });

  describe('EKS audit log', () => {
    it('runs the audit-log function with the detector role, its failed deliveries kept in the dead-letter queue', () => {
      const fn = resources.AuditLogLambdaFunction as Resource;
      expect(fn.Properties.Role).toEqual({ 'Fn::GetAtt': ['DetectorRole', 'Arn'] });
      const [[, conf]] = ofType('AWS::Lambda::EventInvokeConfig').filter(([id]) => id.startsWith('AuditLog'));
      expect(JSON.stringify(conf.Properties.DestinationConfig)).toContain('DeadLetterQueue');
    });

    it('lets CloudWatch Logs of this account invoke it from EKS control-plane log groups only (default: every cluster)', () => {
      const perms = ofType('AWS::Lambda::Permission').filter(([, p]) => p.Properties.Principal === 'logs.amazonaws.com');
      expect(perms.map(([, p]) => p.Properties)).toEqual([
        {
          FunctionName: { 'Fn::GetAtt': ['AuditLogLambdaFunction', 'Arn'] },
          Action: 'lambda:InvokeFunction',
          Principal: 'logs.amazonaws.com',
          SourceAccount: { Ref: 'AWS::AccountId' },
          SourceArn: { 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/eks/*/cluster:*' },
        },
      ]);
    });

    it('lets only the subscriber put subscription filters, on EKS control-plane log groups, and read clusters', () => {
      const statements = statementsOf('AuditSubscriberRole', OUTSIDE_VPC);
      expect(statements.flatMap(actionsOf).sort()).toEqual(
        ['eks:DescribeCluster', 'eks:ListClusters', 'logs:CreateLogStream', 'logs:DescribeSubscriptionFilters', 'logs:PutLogEvents', 'logs:PutSubscriptionFilter'].sort(),
      );
      const subscribe = statements.find((s) => actionsOf(s).includes('logs:PutSubscriptionFilter'))!;
      expect(JSON.stringify(subscribe.Resource)).toMatch(/log-group:\/aws\/eks\/\*\/cluster"/);
      expect(JSON.stringify(subscribe.Resource)).not.toMatch(/log-group:\*/);
      for (const role of ['DetectorRole', 'SlackNotifierRole']) expect(JSON.stringify(resources[role])).not.toContain('SubscriptionFilter');
      const subscriber = resources.AuditSubscriberLambdaFunction as Resource;
      expect((subscriber.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        AUDIT_LOG_CLUSTERS: '*',
        AUDIT_SUBSCRIPTION_FILTER_NAME: 'eks-drift-test-audit',
        AUDIT_LOG_FUNCTION_ARN: { 'Fn::GetAtt': ['AuditLogLambdaFunction', 'Arn'] },
      });
    });

    it('puts the functions that read the Kubernetes API in the VPC only when subnets are given, with the ENI permissions only then', () => {
      const vpcOf = (id: string, c: Record<string, boolean>) => (decide(resources[id], c) as Resource).Properties.VpcConfig;
      for (const id of ['AuditLogLambdaFunction', 'ClusterChangedLambdaFunction', 'SweepLambdaFunction']) {
        expect(vpcOf(id, OUTSIDE_VPC)).toBeUndefined();
        expect(vpcOf(id, IN_VPC)).toEqual({ SubnetIds: { 'Fn::Split': [',', ''] }, SecurityGroupIds: { 'Fn::Split': [',', ''] } });
      }
      for (const id of ['SecurityGroupChangedLambdaFunction', 'NetworkChangedLambdaFunction', 'TrailChangedLambdaFunction', 'SlackNotifierLambdaFunction']) {
        expect(vpcOf(id, IN_VPC)).toBeUndefined();
      }
      const eni = (c: Record<string, boolean>) => statementsOf('DetectorRole', c).flatMap(actionsOf).filter((a) => /NetworkInterface|PrivateIpAddresses/.test(a));
      expect(eni(OUTSIDE_VPC)).toEqual([]);
      expect(eni(IN_VPC).sort()).toEqual(
        ['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:UnassignPrivateIpAddresses'].sort(),
      );
      for (const s of statementsOf('DetectorRole', IN_VPC).filter((x) => actionsOf(x).some((a) => /Create|Delete|Assign/.test(a) && a.startsWith('ec2:')))) {
        expect(JSON.stringify(s.Resource)).toContain(':${AWS::AccountId}:network-interface/*');
      }
    });
  });

  it('lets only the Slack notifier read the webhook parameter', () => {
    const slack = JSON.stringify(resources.SlackNotifierRole);
    expect(slack).toContain('ssm:GetParameter');
    expect(JSON.stringify(resources.DetectorRole)).not.toContain('ssm:');
  });
});
