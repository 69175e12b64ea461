import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient, type Message } from '@aws-sdk/client-sqs';
import { describeWithMoto, motoClientConfig, startMoto, type Moto } from '../support/moto';
import { drainQueue, subscribeQueue } from '../support/sqs';
import { buildNotifications, parseNotificationMessage } from '../../src/notify/message';
import { publishNotifications } from '../../src/notify/sns';
import { base, endpointPublic, finding, loggingOff, sshOpen } from './fixtures';

/**
 * Real delivery through moto's SNS to SQS subscriptions with filter policies: what a subscriber filtering on
 * severity, change or rule id actually receives.
 */
describeWithMoto('publishNotifications through SNS to filtered SQS subscriptions (moto)', () => {
  let moto: Moto;
  let sns: SNSClient;
  let sqs: SQSClient;
  let topicArn: string;
  const queues: Record<string, string> = {};

  const subscribe = async (name: string, filterPolicy?: Record<string, unknown>) => {
    queues[name] = await subscribeQueue(sns, sqs, topicArn, name, filterPolicy);
  };
  const drain = (name: string): Promise<Message[]> => drainQueue(sqs, queues[name]);

  const rulesOf = (ms: Message[]) => ms.map((m) => parseNotificationMessage(m.Body!).changes.map((c) => `${c.change}:${c.finding.ruleId}`).join(','));

  beforeAll(async () => {
    moto = await startMoto();
    sns = new SNSClient(motoClientConfig(moto.endpoint));
    sqs = new SQSClient(motoClientConfig(moto.endpoint));
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'eks-drift-test-findings' }))).TopicArn!;
    await subscribe('everything');
    await subscribe('critical-only', { severity: ['critical'] });
    await subscribe('resolutions', { change: ['resolved'] });
    await subscribe('endpoint-rule', { ruleId: ['endpoint-not-public'] });
    await subscribe('account-level', { cluster: [{ exists: false }] });
    // The Slack subscription's filter policy (serverless.yml) and the one README gives e-mail subscribers.
    await subscribe('slack', { severity: ['high', 'critical'], change: ['opened', 'escalated', 'resolved'] });
    await subscribe('email', { change: ['opened', 'escalated', 'resolved'] });
    // README's pager: only what needs someone now, at high or critical.
    await subscribe('pager', { severity: ['high', 'critical'], change: ['opened', 'escalated'] });

    const sshKey = finding({ ruleId: 'nodegroup-no-ssh-key', severity: 'high', resourceType: 'AWS::EKS::Nodegroup', resourceId: 'ng-1', message: 'ng-1 has an SSH key' });
    const trail = finding({ ruleId: 'cloudtrail-enabled', severity: 'high', cluster: null, clusterArn: null, resourceType: 'AWS::CloudTrail::Trail', resourceId: 'trail-arn', message: 'trail stopped' });
    await publishNotifications(sns, topicArn, [
      ...buildNotifications({ ...base, changes: { opened: [sshOpen], resolved: [] } }),
      ...buildNotifications({ ...base, changes: { opened: [], resolved: [endpointPublic] } }),
      ...buildNotifications({ ...base, changes: { opened: [loggingOff, endpointPublic], resolved: [] } }),
      ...buildNotifications({ ...base, cluster: null, clusterArn: null, changes: { opened: [trail], resolved: [] } }),
      ...buildNotifications({ ...base, changes: { opened: [sshKey], resolved: [], suppressed: [sshOpen] } }),
      // Audit logging was off (medium): a call left the cluster with no control-plane log at all, now high.
      ...buildNotifications({ ...base, changes: { opened: [], escalated: [{ finding: { ...loggingOff, severity: 'high' }, previousSeverity: 'medium' }], resolved: [] } }),
    ]);
  });

  afterAll(async () => {
    sns?.destroy();
    sqs?.destroy();
    await moto?.stop();
  });

  it('an unfiltered subscriber gets every message with its subject-worthy attributes', async () => {
    const ms = await drain('everything');
    expect(rulesOf(ms).sort()).toEqual([
      'escalated:control-plane-logging',
      'opened:cloudtrail-enabled',
      'opened:endpoint-not-public,opened:control-plane-logging',
      'opened:no-internet-ssh',
      'opened:nodegroup-no-ssh-key',
      'resolved:endpoint-not-public',
      'suppressed:no-internet-ssh',
    ]);
    const suppressed = ms.find((m) => m.MessageAttributes?.change?.StringValue === '["suppressed"]')!;
    expect(suppressed.Body).toContain('eks-drift: 1 suppressed on cluster prod');
    const ssh = ms.find((m) => m.Body!.includes('no-internet-ssh'))!;
    expect(ssh.MessageAttributes?.severity).toMatchObject({ DataType: 'String', StringValue: 'critical' });
    expect(ssh.MessageAttributes?.ruleId).toMatchObject({ DataType: 'String.Array', StringValue: '["no-internet-ssh"]' });
  });

  it('{"severity": ["critical"]} receives the critical alert, and the critical suppression (README adds a change filter)', async () => {
    expect(rulesOf(await drain('critical-only'))).toEqual(['opened:no-internet-ssh', 'suppressed:no-internet-ssh']);
  });

  it('the Slack and e-mail filter policies never let a suppression through, even a critical one in the same evaluation', async () => {
    const slack = rulesOf(await drain('slack')).sort();
    expect(slack).toEqual([
      'escalated:control-plane-logging',
      'opened:cloudtrail-enabled',
      'opened:endpoint-not-public,opened:control-plane-logging',
      'opened:no-internet-ssh',
      'opened:nodegroup-no-ssh-key',
      'resolved:endpoint-not-public',
    ]);
    expect(rulesOf(await drain('email')).sort()).toEqual(slack);
  });

  it('a pager on high and critical openings and escalations learns that a medium finding became high', async () => {
    const ms = await drain('pager');
    expect(rulesOf(ms).sort()).toEqual(['escalated:control-plane-logging', 'opened:cloudtrail-enabled', 'opened:endpoint-not-public,opened:control-plane-logging', 'opened:no-internet-ssh', 'opened:nodegroup-no-ssh-key']);
    const escalation = ms.find((m) => m.MessageAttributes?.change?.StringValue === '["escalated"]')!;
    expect(escalation.MessageAttributes?.severity?.StringValue).toBe('high');
    expect(parseNotificationMessage(escalation.Body!).changes[0]).toMatchObject({ previousSeverity: 'medium', finding: { severity: 'high' } });
  });

  it('{"change": ["resolved"]} receives only the resolution', async () => {
    expect(rulesOf(await drain('resolutions'))).toEqual(['resolved:endpoint-not-public']);
  });

  it('{"ruleId": ["endpoint-not-public"]} matches any element of the String.Array', async () => {
    expect(rulesOf(await drain('endpoint-rule')).sort()).toEqual(['opened:endpoint-not-public,opened:control-plane-logging', 'resolved:endpoint-not-public']);
  });

  it('{"cluster": [{"exists": false}]} receives only account-level alerts', async () => {
    expect(rulesOf(await drain('account-level'))).toEqual(['opened:cloudtrail-enabled']);
  });
});
