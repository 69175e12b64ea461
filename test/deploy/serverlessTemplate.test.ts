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
      ['ClusterChanged', 'DeployBaseline', 'NetworkChanged', 'SecurityGroupChanged', 'SlackNotifier', 'Sweep', 'TrailChanged'].map((n) => `${n}LambdaFunction`),
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

  it('subscribes Slack with a severity filter policy (default: high and critical)', () => {
    const subs = ofType('AWS::SNS::Subscription');
    expect(subs).toHaveLength(1);
    expect(subs[0][1].Properties.FilterPolicy).toEqual({ severity: ['high', 'critical'] });
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

  it('sets the asynchronous invocation of every function explicitly: retries, maximum event age, the dead-letter queue on failure', () => {
    const configs = Object.fromEntries(ofType('AWS::Lambda::EventInvokeConfig').map(([, r]) => [(r.Properties.FunctionName as { Ref: string }).Ref, r.Properties]));
    const expected: Record<string, [number, number]> = {
      SecurityGroupChangedLambdaFunction: [2, 21600],
      NetworkChangedLambdaFunction: [2, 21600],
      ClusterChangedLambdaFunction: [2, 21600],
      TrailChangedLambdaFunction: [2, 21600],
      SweepLambdaFunction: [1, 3600],
      SlackNotifierLambdaFunction: [2, 3600],
      DeployBaselineLambdaFunction: [2, 3600],
    };
    expect(Object.keys(configs).sort()).toEqual(ofType('AWS::Lambda::Function').map(([id]) => id).sort());
    for (const [fn, [retries, age]] of Object.entries(expected)) {
      expect({ fn, ...configs[fn] }).toMatchObject({
        fn,
        MaximumRetryAttempts: retries,
        MaximumEventAgeInSeconds: age,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } } },
      });
    }
  });

  it('runs a baseline sweep after every deploy: a custom resource whose function may only start the sweep', () => {
    const [[, baseline], ...others] = ofType('Custom::EksDriftBaseline');
    expect(others).toEqual([]);
    expect(baseline.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': ['DeployBaselineLambdaFunction', 'Arn'] });
    expect(baseline.Properties.Deployment).toEqual(expect.any(String)); // changes on every deploy: every deploy sweeps
    expect((baseline as unknown as { DependsOn: string[] }).DependsOn).toEqual(expect.arrayContaining(['SweepLambdaFunction', 'FindingsTable', 'FindingsTopic']));
    const fn = resources.DeployBaselineLambdaFunction;
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.SWEEP_FUNCTION).toBe('eks-drift-test-sweep');
    const statements = (resources.BaselineRole.Properties.Policies as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[])[0].PolicyDocument.Statement;
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.sort()).toEqual(['lambda:InvokeFunction', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage']);
    expect(statements.find((s) => s.Action === 'lambda:InvokeFunction')!.Resource).toEqual({ 'Fn::GetAtt': ['SweepLambdaFunction', 'Arn'] });
  });

  it('lets only the Slack notifier read the webhook parameter', () => {
    const slack = JSON.stringify(resources.SlackNotifierRole);
    expect(slack).toContain('ssm:GetParameter');
    expect(JSON.stringify(resources.DetectorRole)).not.toContain('ssm:');
  });
});
