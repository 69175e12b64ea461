import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';
import { GUARDED_CALLS, TAMPER_RULE_ID } from '../../src/guard/catalog';
import { tamperAlert, tamperCallFromEvent, tamperCallFromGuardMessage, type TamperCall } from '../../src/guard/alert';
import { createGuardHandler, guardHandlerFromEnv } from '../../src/guard/handler';
import { matchesPattern } from '../../src/events/matcher';
import { eventBridgePatterns } from '../../src/events/patterns';
import { buildNotifications, parseNotificationMessage, type SnsNotification } from '../../src/notify/message';
import { createSlackNotifier } from '../../src/notify/slackNotifier';
import type { SlackPayload } from '../../src/notify/slack';
import { MemoryLogger } from '../../src/log';
import { packageTemplate, resolveIntrinsics, type Deployment, type PackagedTemplate } from '../support/packagedTemplate';
import { transformInput, type InputTransformer } from '../support/eventBridgeInput';
import { describeWithMoto, motoClientConfig, startMoto, type Moto } from '../support/moto';
import { drainQueue, subscribeQueue } from '../support/sqs';
import { lambdaContext } from '../support/lambdaContext';
import { sampleFiles as detectorSamples, loadSample as loadDetectorSample, demoReader } from '../events/support';
import { classifyEvent } from '../../src/events/classify';
import { resolveAffectedClusters } from '../../src/events/resolve';
import { CATALOG } from '../../src/events/catalog';

/** The IAM calls the detector itself watches (iamChanged): a tampering call among them reaches it too. */
const IAM_ROLE_CALLS = new Set(CATALOG.filter((e) => e.handler === 'iamChanged').map((e) => e.eventName));

/**
 * Self-protection, from the attacker's side: every call in events/self-protection/ that would silence the detector
 * (stage "prod", account 111122223333, us-east-1) must reach both guard paths of the template that is deployed, and
 * every look-alike on someone else's resources (or made by the stack's own deploy) must reach neither.
 */
const DIR = join(__dirname, '../../events/self-protection');
const load = (file: string) => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Record<string, unknown>;
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

const TOPIC = 'arn:aws:sns:us-east-1:111122223333:eks-drift-prod-findings';
const GUARD_TOPIC = 'arn:aws:sns:us-east-1:111122223333:eks-drift-prod-guard';
const KEY = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const KEY_ARN = `arn:aws:kms:us-east-1:111122223333:key/${KEY}`;
const ROLE = 'eks-drift-prod-DetectorRole-Q2X7K9M4P1ZA';

/** Each tampering sample: the resource the alert names, and which pattern (its stack, or its resources) catches it. */
const TAMPERING: Record<string, { pattern: 'resources' | 'stack'; type: string; resource: string }> = {
  'events-DisableRule.json': { pattern: 'resources', type: 'AWS::Events::Rule', resource: 'eks-drift-prod-securityGroupChanged-rule-1' },
  'events-DeleteRule-force.json': { pattern: 'resources', type: 'AWS::Events::Rule', resource: 'eks-drift-prod-trailChanged-rule-1' },
  'events-PutRule-disabled.json': { pattern: 'resources', type: 'AWS::Events::Rule', resource: 'eks-drift-prod-networkChanged-rule-1' },
  'events-RemoveTargets.json': { pattern: 'resources', type: 'AWS::Events::Rule', resource: 'eks-drift-prod-clusterChanged-rule-1' },
  'events-PutTargets-retarget.json': { pattern: 'resources', type: 'AWS::Events::Rule', resource: 'eks-drift-prod-guard-alert' },
  'lambda-CreateFunction-look-alike.json': { pattern: 'resources', type: 'AWS::Lambda::Function', resource: 'eks-drift-prod-reader' },
  'lambda-DeleteFunction.json': { pattern: 'resources', type: 'AWS::Lambda::Function', resource: 'eks-drift-prod-sweep' },
  'lambda-UpdateFunctionCode-by-arn.json': { pattern: 'resources', type: 'AWS::Lambda::Function', resource: 'arn:aws:lambda:us-east-1:111122223333:function:eks-drift-prod-securityGroupChanged' },
  'lambda-UpdateFunctionConfiguration.json': { pattern: 'resources', type: 'AWS::Lambda::Function', resource: 'eks-drift-prod-clusterChanged' },
  'lambda-PutFunctionConcurrency-zero-partial-arn.json': { pattern: 'resources', type: 'AWS::Lambda::Function', resource: '111122223333:function:eks-drift-prod-guard' },
  'lambda-RemovePermission.json': { pattern: 'resources', type: 'AWS::Lambda::Function', resource: 'eks-drift-prod-slackNotifier' },
  'sns-DeleteTopic.json': { pattern: 'resources', type: 'AWS::SNS::Topic', resource: TOPIC },
  'sns-SetTopicAttributes-policy.json': { pattern: 'resources', type: 'AWS::SNS::Topic', resource: TOPIC },
  'sns-RemovePermission.json': { pattern: 'resources', type: 'AWS::SNS::Topic', resource: TOPIC },
  'sns-Unsubscribe.json': { pattern: 'resources', type: 'AWS::SNS::Subscription', resource: `${TOPIC}:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a` },
  'sns-SetSubscriptionAttributes-guard-topic.json': { pattern: 'resources', type: 'AWS::SNS::Subscription', resource: `${GUARD_TOPIC}:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d` },
  'kms-DisableKey.json': { pattern: 'resources', type: 'AWS::KMS::Key', resource: KEY },
  'kms-ScheduleKeyDeletion-by-arn.json': { pattern: 'resources', type: 'AWS::KMS::Key', resource: KEY_ARN },
  'kms-PutKeyPolicy.json': { pattern: 'resources', type: 'AWS::KMS::Key', resource: KEY },
  'iam-PutRolePolicy-deny.json': { pattern: 'resources', type: 'AWS::IAM::Role', resource: ROLE },
  'iam-DeleteRolePolicy.json': { pattern: 'resources', type: 'AWS::IAM::Role', resource: ROLE },
  'iam-AttachRolePolicy.json': { pattern: 'resources', type: 'AWS::IAM::Role', resource: ROLE },
  'iam-DetachRolePolicy.json': { pattern: 'resources', type: 'AWS::IAM::Role', resource: 'eks-drift-prod-GuardRole-7HJ3K2L1M0NB' },
  'iam-PutRolePermissionsBoundary.json': { pattern: 'resources', type: 'AWS::IAM::Role', resource: ROLE },
  'iam-UpdateAssumeRolePolicy.json': { pattern: 'resources', type: 'AWS::IAM::Role', resource: ROLE },
  'cloudformation-DeleteStack.json': { pattern: 'stack', type: 'AWS::CloudFormation::Stack', resource: 'eks-drift-prod' },
  'cloudformation-UpdateStack-by-arn.json': {
    pattern: 'stack',
    type: 'AWS::CloudFormation::Stack',
    resource: 'arn:aws:cloudformation:us-east-1:111122223333:stack/eks-drift-prod/6a1b2c3d-4e5f-11ef-9a8b-0e1f2a3b4c5d',
  },
  'cloudformation-ExecuteChangeSet.json': { pattern: 'stack', type: 'AWS::CloudFormation::Stack', resource: 'eks-drift-prod' },
  'logs-DeleteSubscriptionFilter.json': { pattern: 'stack', type: 'AWS::Logs::SubscriptionFilter', resource: '/aws/eks/prod/cluster' },
  'ssm-PutParameter-webhook.json': { pattern: 'stack', type: 'AWS::SSM::Parameter', resource: '/eks-drift/prod/slack-webhook-url' },
  'ssm-DeleteParameter-webhook.json': { pattern: 'stack', type: 'AWS::SSM::Parameter', resource: '/eks-drift/prod/slack-webhook-url' },
};

/** Look-alikes that are not tampering with this detector, and why. */
const NOT_TAMPERING: Record<string, string> = {
  'not-lambda-DeleteFunction-other-function.json': 'another function',
  'not-lambda-UpdateFunctionConfiguration-by-cloudformation.json': 'the stack deploying itself (its ExecuteChangeSet is the alert)',
  'not-lambda-DeleteFunction-failed.json': 'a failed call changes nothing',
  'not-events-DisableRule-other-stage.json': 'another stage\'s rule',
  'not-sns-SetTopicAttributes-other-topic.json': 'a topic whose name only starts like ours',
  'not-cloudformation-UpdateStack-other-stack.json': 'a stack whose name only starts like ours',
  'not-logs-DeleteSubscriptionFilter-lambda-log-group.json': 'not an EKS audit log group',
  'not-kms-DisableKey-other-key.json': 'another key',
  'not-iam-PutRolePolicy-other-role.json': 'another role',
  'not-ssm-PutParameter-other-parameter.json': 'another parameter',
};

const GUARD_RULES = {
  resources: { alert: 'GuardResourcesAlertRule', direct: 'GuardResourcesDirectRule' },
  stack: { alert: 'GuardStackAlertRule', direct: 'GuardStackDirectRule' },
} as const;

const DEPLOYMENT: Deployment = {
  account: '111122223333',
  region: 'us-east-1',
  partition: 'aws',
  refs: { FindingsTopic: TOPIC, GuardTopic: GUARD_TOPIC, AlertsKey: KEY },
  attributes: {
    'AlertsKey.Arn': KEY_ARN,
    'GuardLambdaFunction.Arn': 'arn:aws:lambda:us-east-1:111122223333:function:eks-drift-prod-guard',
    'DeadLetterQueue.Arn': 'arn:aws:sqs:us-east-1:111122223333:eks-drift-prod-dlq',
  },
};

let template: PackagedTemplate;
let patterns: Record<string, Record<string, unknown>>;
const rule = (id: string) => template.resources[id].Properties;

beforeAll(() => {
  template = packageTemplate('prod', 'us-east-1');
  patterns = Object.fromEntries(
    Object.values(GUARD_RULES)
      .flatMap((r) => [r.alert, r.direct])
      .map((id) => [id, resolveIntrinsics(rule(id).EventPattern, DEPLOYMENT) as Record<string, unknown>]),
  );
}, 150_000);
afterAll(() => template?.remove());

const matchingRules = (event: unknown) => Object.entries(patterns).filter(([, p]) => matchesPattern(p, event)).map(([id]) => id).sort();
const callOf = (file: string): TamperCall => {
  const parsed = tamperCallFromEvent(load(file));
  if ('invalid' in parsed) throw new Error(parsed.invalid);
  return parsed.call;
};

describe('the guard rules in the packaged template', () => {
  it('every sample says whether it is tampering, and every guarded call has a sample', () => {
    expect(files).toEqual([...Object.keys(TAMPERING), ...Object.keys(NOT_TAMPERING)].sort());
    const sampled = new Set(Object.keys(TAMPERING).map((f) => `${callOf(f).eventSource} ${callOf(f).eventName}`));
    expect(GUARDED_CALLS.map((c) => `${c.eventSource} ${c.eventName}`).filter((k) => !sampled.has(k))).toEqual([]);
  });

  it('the patterns watch exactly the calls of the guard catalog (src/guard/catalog.ts)', () => {
    const watched = (p: Record<string, unknown>) =>
      ((p.detail as { $or: { eventName: string[] }[] }).$or ?? []).flatMap((branch) => branch.eventName.map((n) => `${(p.source as string[]).join('|')} ${n}`));
    const names = [...watched(patterns.GuardResourcesAlertRule), ...watched(patterns.GuardStackAlertRule)].map((k) => k.split(' ')[1]).sort();
    expect(names).toEqual(GUARDED_CALLS.map((c) => c.eventName).sort());
    // each pattern only lists the sources of the calls it names
    for (const [name, id] of [['resources', 'GuardResourcesAlertRule'], ['stack', 'GuardStackAlertRule']] as const) {
      const sources = new Set(Object.entries(TAMPERING).filter(([, t]) => t.pattern === name).map(([f]) => `aws.${callOf(f).eventSource.split('.')[0]}`));
      expect([...(patterns[id].source as string[])].sort()).toEqual([...sources].sort());
    }
  });

  it('both paths of a pattern deploy the same pattern', () => {
    for (const { alert, direct } of Object.values(GUARD_RULES)) expect(patterns[direct]).toEqual(patterns[alert]);
  });

  it.each(Object.entries(TAMPERING))('%s reaches both paths (Lambda and direct) and no detector rule but iamChanged', (file, t) => {
    const event = load(file);
    expect(matchingRules(event)).toEqual([GUARD_RULES[t.pattern].alert, GUARD_RULES[t.pattern].direct].sort());
    const detector = Object.entries(eventBridgePatterns()).filter(([, p]) => matchesPattern(p, event)).map(([handler]) => handler);
    expect(detector).toEqual(IAM_ROLE_CALLS.has(callOf(file).eventName) ? ['iamChanged'] : []);
  });

  // iamChanged watches role policy changes for creator and node roles; the stack's own roles are neither.
  it.each(Object.keys(TAMPERING).filter((f) => IAM_ROLE_CALLS.has(callOf(f).eventName)))("%s leaves the detector's iamChanged with nothing to re-check", async (file) => {
    const c = classifyEvent(load(file));
    if (c.status !== 'watched') throw new Error(c.status);
    expect(await resolveAffectedClusters(demoReader(), c.refs)).toEqual({ clusters: [], reason: expect.stringMatching(/^IAM role eks-drift-prod-\S+ neither created an EKS cluster .* nor runs the nodes of one$/) });
  });

  it.each(Object.entries(NOT_TAMPERING))('%s reaches no guard rule (%s)', (file) => {
    expect(matchingRules(load(file))).toEqual([]);
  });

  it('no detector sample (events/*.json) reaches a guard rule', () => {
    expect(detectorSamples().filter((f) => matchingRules(loadDetectorSample(f)).length > 0)).toEqual([]);
  });

  it('the guard rules watch each other: disabling or retargeting any one of them reaches the others', () => {
    const disable = load('events-DisableRule.json') as { detail: { requestParameters: Record<string, unknown> } };
    for (const id of Object.keys(patterns)) {
      const name = rule(id).Name as string;
      expect(name.startsWith('eks-drift-prod-')).toBe(true);
      disable.detail.requestParameters = { name };
      expect(matchingRules(disable)).toEqual(expect.arrayContaining(Object.keys(patterns).filter((other) => other !== id && other.startsWith('GuardResources'))));
    }
  });

  it('each pattern fits EventBridge\'s default 2048-character quota, even with a long stage name in GovCloud', () => {
    const longStage = (p: unknown) => JSON.stringify(p).replace(/eks-drift-prod/g, `eks-drift-${'x'.repeat(20)}`).replace(/arn:aws:/g, 'arn:aws-us-gov:').replace(/us-east-1/g, 'us-gov-west-1');
    for (const p of Object.values(patterns)) expect(longStage(p).length).toBeLessThanOrEqual(2048);
  });

  it('the Lambda path invokes the guard function; the direct path publishes to the guard topic; both retry for a day, then dead-letter', () => {
    for (const { alert, direct } of Object.values(GUARD_RULES)) {
      const [a] = resolveIntrinsics(rule(alert).Targets, DEPLOYMENT) as Record<string, unknown>[];
      const [d] = resolveIntrinsics(rule(direct).Targets, DEPLOYMENT) as Record<string, unknown>[];
      expect(a).toMatchObject({ Arn: DEPLOYMENT.attributes['GuardLambdaFunction.Arn'], DeadLetterConfig: { Arn: DEPLOYMENT.attributes['DeadLetterQueue.Arn'] } });
      expect(d).toMatchObject({ Arn: GUARD_TOPIC, DeadLetterConfig: { Arn: DEPLOYMENT.attributes['DeadLetterQueue.Arn'] } });
      for (const t of [a, d]) expect(t.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 });
    }
  });
});

describe('the alert of each path', () => {
  it.each(Object.entries(TAMPERING))('%s: a critical detector-tampered alert naming the resource, the call and who made it', (file, t) => {
    const call = callOf(file);
    const input = tamperAlert(call);
    const [f] = input.changes.opened;
    expect(f).toMatchObject({ ruleId: TAMPER_RULE_ID, severity: 'critical', cluster: null, clusterArn: null, account: '111122223333', region: 'us-east-1', resourceType: t.type, resourceId: t.resource });
    expect(f.message).toContain(`${call.eventName} on ${t.resource}: `);
    expect(input.trigger).toMatchObject({ kind: 'event', eventId: call.eventId, principalArn: 'arn:aws:sts::111122223333:assumed-role/ops-admin/mallory', sourceIPAddress: '198.51.100.23' });
    const [n] = buildNotifications(input);
    expect(n.Subject).toMatch(/^\[CRITICAL\] account 111122223333: eks-drift itself was changed/);
    expect(n.MessageAttributes.severity.StringValue).toBe('critical');
    expect(JSON.parse(n.MessageAttributes.ruleId.StringValue!)).toEqual([TAMPER_RULE_ID]);
  });

  it('says what the call does: reserved concurrency 0 throttles everything; a key deletion has a window', () => {
    expect(tamperAlert(callOf('lambda-PutFunctionConcurrency-zero-partial-arn.json')).changes.opened[0].message).toContain('reserved concurrency set to 0: every invocation is throttled');
    expect(tamperAlert(callOf('kms-ScheduleKeyDeletion-by-arn.json')).changes.opened[0].message).toContain('will be deleted in 7 days');
  });

  it.each(Object.keys(TAMPERING))('%s: the direct path\'s message (the input transformer) reads back as the same alert', (file) => {
    const target = (rule('GuardResourcesDirectRule').Targets as { InputTransformer: InputTransformer }[])[0];
    const message = transformInput(target.InputTransformer, load(file));
    expect(JSON.parse(message)).toMatchObject({ eksDriftGuard: 1, summary: expect.stringMatching(/^\[CRITICAL\] eks-drift itself was changed: /) });
    expect(tamperAlert(tamperCallFromGuardMessage(message)!)).toEqual(tamperAlert(callOf(file)));
  });

  it('a call the catalog does not know still alerts (a rule edited by hand): never dropped', () => {
    const call = { ...callOf('events-DisableRule.json'), eventName: 'EnableRule' };
    expect(tamperAlert(call).changes.opened[0]).toMatchObject({ severity: 'critical', resourceType: 'AWS::CloudTrail::Event', resourceId: '(resource not named in the request)' });
  });
});

describe('the guard function', () => {
  it('publishes one alert per call; an event that is not a CloudTrail call is logged and counted, not published', async () => {
    const published: SnsNotification[] = [];
    const log = new MemoryLogger();
    const guard = createGuardHandler({ publish: async (ns) => void published.push(...ns), log });
    await expect(guard(load('sns-DeleteTopic.json'))).resolves.toEqual({ status: 'alerted', eventName: 'DeleteTopic' });
    await expect(guard({ hello: 'world' })).resolves.toEqual({ status: 'invalid' });
    expect(published).toHaveLength(1);
    expect(log.metrics).toEqual({ DetectorTampered: 1, GuardInvalidEvents: 1 });
  });

  it('a failed publish fails the invocation, so Lambda retries and the dead-letter queue keeps the event', async () => {
    const guard = createGuardHandler({ publish: async () => Promise.reject(new Error('KMS.DisabledException')), log: new MemoryLogger() });
    await expect(guard(load('kms-DisableKey.json'))).rejects.toThrow('KMS.DisabledException');
  });
});

describe('Slack shows the direct path\'s message like any alert', () => {
  it('the notifier subscribed to the guard topic posts a critical alert naming the call and the resource', async () => {
    const posted: SlackPayload[] = [];
    const notify = createSlackNotifier({
      ssm: { send: async () => ({ Parameter: { Value: 'https://hooks.slack.com/services/T0/B0/x' } }) } as never,
      parameterName: '/eks-drift/prod/slack-webhook-url',
      minSeverity: 'critical',
      log: new MemoryLogger(),
      post: async (_url, p) => void posted.push(p),
    });
    const target = (rule('GuardStackDirectRule').Targets as { InputTransformer: InputTransformer }[])[0];
    const message = transformInput(target.InputTransformer, load('cloudformation-DeleteStack.json'));
    const event = { Records: [{ Sns: { MessageId: 'm-1', TopicArn: GUARD_TOPIC, Message: message } }] } as unknown as SNSEvent;
    await expect(notify(event)).resolves.toEqual({ posted: 1, skipped: 0 });
    expect(posted[0].text).toContain('[CRITICAL] account 111122223333: detector-tampered');
    expect(JSON.stringify(posted[0])).toContain('DeleteStack on eks-drift-prod: the detector is being removed');
  });
});

describeWithMoto('the guard function through SNS (moto): filtered subscribers receive the alert', () => {
  let moto: Moto;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    moto = await startMoto();
    const sns = new SNSClient(motoClientConfig(moto.endpoint));
    sqs = new SQSClient(motoClientConfig(moto.endpoint));
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'eks-drift-prod-findings' }))).TopicArn!;
    queueUrl = await subscribeQueue(sns, sqs, topicArn, 'oncall', { severity: ['critical'] });
    sns.destroy();
  });
  afterAll(async () => {
    sqs?.destroy();
    await moto?.stop();
  });

  it('the deployed handler wiring publishes to FINDINGS_TOPIC_ARN through AWS_ENDPOINT_URL', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1', FINDINGS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:eks-drift-prod-findings' });
    try {
      const { handler } = await import('../../handlers/guard');
      await expect(handler(load('lambda-DeleteFunction.json'), lambdaContext('eks-drift-prod-guard'))).resolves.toEqual({ status: 'alerted', eventName: 'DeleteFunction20150331' });
    } finally {
      process.env = saved;
    }
    const messages = await drainQueue(sqs, queueUrl);
    expect(messages).toHaveLength(1);
    const payload = parseNotificationMessage(messages[0].Body!);
    expect(payload.changes[0].finding).toMatchObject({ ruleId: TAMPER_RULE_ID, resourceId: 'eks-drift-prod-sweep', severity: 'critical' });
    expect(messages[0].MessageAttributes?.severity?.StringValue).toBe('critical');
  });

  it('guardHandlerFromEnv needs FINDINGS_TOPIC_ARN', () => {
    expect(() => guardHandlerFromEnv({}, new MemoryLogger())).toThrow('environment variable FINDINGS_TOPIC_ARN is not set');
  });
});
