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
type Resource = { Type: string; Properties: Record<string, unknown>; Condition?: string; DeletionPolicy?: string; UpdateReplacePolicy?: string };
let resources: Record<string, Resource>;
let template: { Parameters: Record<string, { Default: string }>; Conditions: Record<string, unknown> };
const outDir = mkdtempSync(join(tmpdir(), 'eks-drift-sls-'));

beforeAll(() => {
  execFileSync(process.execPath, [require.resolve('osls/bin/serverless.js'), 'package', '--stage', 'test', '--region', 'eu-west-1', '--package', outDir], {
    cwd: join(__dirname, '../..'),
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'eks-drift-no-such-profile' },
    stdio: 'pipe',
    timeout: 120_000,
  });
  template = JSON.parse(readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8'));
  resources = (template as unknown as { Resources: Record<string, Resource> }).Resources;
}, 150_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const ofType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);

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
      ['ClusterChanged', 'NetworkChanged', 'OrgBusSink', 'SecurityGroupChanged', 'SecurityHubSink', 'SlackNotifier', 'Sweep', 'TrailChanged'].map((n) => `${n}LambdaFunction`),
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
    expect(schedules).toHaveLength(1);
  });

  it('keeps the findings state and the dead letters through `serverless remove` and a replacement', () => {
    for (const [id, type] of [['FindingsTable', 'AWS::DynamoDB::Table'], ['DeadLetterQueue', 'AWS::SQS::Queue']]) {
      expect({ id, ...resources[id] }).toMatchObject({ id, Type: type, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
    // Named after the functions: a retained log group would make the next deploy fail on its name.
    const logGroups = ofType('AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThan(0);
    for (const [, g] of logGroups) expect(g).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('subscribes Slack with a severity filter policy (default: high and critical) that never lets a suppression through', () => {
    const subs = ofType('AWS::SNS::Subscription').filter(([id]) => id.startsWith('SlackNotifier'));
    expect(subs).toHaveLength(1);
    expect(subs[0][1].Properties.FilterPolicy).toEqual({ severity: ['high', 'critical'], change: ['opened', 'resolved'] });
  });

  it('gives the detector read-only access plus its own topic, table and queue: no wildcard actions, no writes elsewhere', () => {
    const role = resources.DetectorRole as Resource;
    const statements = (role.Properties.Policies as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[])[0].PolicyDocument.Statement;
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
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

  it('lets the detector expand prefix lists (security group sources, route destinations), and read nothing it does not use', () => {
    const detector = JSON.stringify(resources.DetectorRole);
    expect(detector).toContain('ec2:DescribeManagedPrefixLists');
    expect(detector).toContain('ec2:GetManagedPrefixListEntries');
    expect(detector).not.toContain('ec2:DescribeNetworkInterfaces');
  });

  it('lets only the Slack notifier read the webhook parameter', () => {
    const slack = JSON.stringify(resources.SlackNotifierRole);
    expect(slack).toContain('ssm:GetParameter');
    expect(JSON.stringify(resources.DetectorRole)).not.toContain('ssm:');
  });

  describe('optional sinks', () => {
    const SINKS = { SecurityHubSink: 'SecurityHubSink', OrgBusSink: 'OrgBusSink' };
    const statements = (role: string) =>
      (resources[role].Properties.Policies as { PolicyDocument: { Statement: { Sid: string; Action: string | string[]; Resource: unknown; Condition?: unknown }[] } }[])[0].PolicyDocument.Statement;

    it('are off unless their stack parameter is set (defaults: the --param values)', () => {
      expect(template.Parameters.SecurityHub.Default).toBe('false');
      expect(template.Parameters.OrgEventBusArn.Default).toBe('');
      expect(template.Conditions).toEqual({
        SecurityHubSink: { 'Fn::Equals': [{ Ref: 'SecurityHub' }, 'true'] },
        OrgBusSink: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'OrgEventBusArn' }, ''] }] },
      });
    });

    it('deploy every resource of a sink (function, version, log group, invoke config, subscription, permission, role) only under its condition', () => {
      for (const [prefix, condition] of Object.entries(SINKS)) {
        const own = Object.entries(resources).filter(([id]) => id.startsWith(prefix));
        expect(own.map(([, r]) => r.Type).sort()).toEqual(
          ['AWS::IAM::Role', 'AWS::Lambda::EventInvokeConfig', 'AWS::Lambda::Function', 'AWS::Lambda::Permission', 'AWS::Lambda::Version', 'AWS::Logs::LogGroup', 'AWS::SNS::Subscription'].sort(),
        );
        for (const [id, r] of own) expect({ id, condition: r.Condition }).toEqual({ id, condition });
      }
    });

    it('subscribe to every notification of the findings topic, suppressions included (no filter policy)', () => {
      for (const prefix of Object.keys(SINKS)) {
        const [[, sub]] = ofType('AWS::SNS::Subscription').filter(([id]) => id.startsWith(prefix));
        expect(sub.Properties).toMatchObject({ TopicArn: { Ref: 'FindingsTopic' }, Protocol: 'lambda' });
        expect(sub.Properties.FilterPolicy).toBeUndefined();
      }
    });

    it('Security Hub: BatchImportFindings on the own product ARN of the account only; BatchUpdateFindings only to set NEW or SUPPRESSED', () => {
      const st = statements('SecurityHubSinkRole');
      expect(st.flatMap((s) => s.Action).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'securityhub:BatchImportFindings', 'securityhub:BatchUpdateFindings', 'sqs:SendMessage']);
      expect(st.find((s) => s.Action === 'securityhub:BatchImportFindings')!.Resource).toEqual({
        'Fn::Sub': 'arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default',
      });
      expect(st.find((s) => s.Action === 'securityhub:BatchUpdateFindings')).toMatchObject({
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:hub/default' },
        Condition: { StringEquals: { 'securityhub:ASFFSyntaxPath/Workflow.Status': ['NEW', 'SUPPRESSED'] } },
      });
    });

    it('organisation bus: events:PutEvents on exactly the bus of the parameter', () => {
      const st = statements('OrgBusSinkRole');
      expect(st.flatMap((s) => s.Action).sort()).toEqual(['events:PutEvents', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage']);
      expect(st.find((s) => s.Action === 'events:PutEvents')!.Resource).toEqual({ Ref: 'OrgEventBusArn' });
      expect((resources.OrgBusSinkLambdaFunction.Properties.Environment as { Variables: Record<string, unknown> }).Variables.ORG_EVENT_BUS_ARN).toEqual({ Ref: 'OrgEventBusArn' });
    });
  });
});
