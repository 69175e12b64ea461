import { buildNotifications, JSON_SEPARATOR, parseNotificationMessage } from '../../src/notify/message';
import { kubernetesTrigger, MAX_WRITERS, MAX_WRITES_PER_WRITER, type WriteInput } from '../../src/audit/trigger';
import { slackMessages } from '../../src/notify/slack';
import { base, finding } from './fixtures';

/** Alerts caused by writes seen in a cluster's audit log: who did what, like the CloudTrail principal. */
const write = (over: Partial<WriteInput> = {}): WriteInput => ({
  auditID: '5f0c1a2b-0000-4000-8000-000000000001',
  verb: 'patch',
  object: 'configmaps kube-system/aws-auth',
  time: '2025-11-30T09:00:03.118764Z',
  username: 'platform-admin',
  groups: ['platform-admins', 'system:authenticated'],
  iamArn: 'arn:aws:sts::111122223333:assumed-role/platform-admin/alice',
  sourceIPs: ['198.51.100.7'],
  userAgent: 'kubectl/v1.30.2',
  rules: ['no-system-masters'],
  ...over,
});
const ids = { deliveryId: 'audit:0123abcd', logGroup: '/aws/eks/prod/cluster', logStream: 'kube-apiserver-audit-0f6e', cluster: 'prod', time: '2025-11-30T09:00:03.118764Z' };
const masters = finding({ ruleId: 'no-system-masters', severity: 'high', resourceType: 'AWS::IAM::Role', resourceId: 'arn:aws:iam::111122223333:role/ops-admin', message: 'aws-auth maps ops-admin into system:masters' });
const textOf = (message: string) => message.split(`\n${JSON_SEPARATOR}\n`)[0];

describe('a notification caused by Kubernetes API writes', () => {
  const trigger = kubernetesTrigger(ids, [
    write(),
    write({ username: 'ci-deployer', iamArn: undefined, groups: [], impersonatedUser: 'system:admin', sourceIPs: ['203.0.113.24'], userAgent: undefined, verb: 'create', object: 'clusterrolebindings restore-masters', auditID: 'x-2' }),
  ]);
  const [n] = buildNotifications({ ...base, trigger, changes: { opened: [masters], resolved: [] } });

  it('is caused by an event, and names every writer: Kubernetes user, IAM identity, groups, impersonation, source IP, user agent, what, when, auditID', () => {
    expect(n.MessageAttributes.cause.StringValue).toBe('event');
    expect(textOf(n.Message).split('\n')).toEqual(
      expect.arrayContaining([
        'Cause: event. Triggered by: patch configmaps kube-system/aws-auth and 1 more write(s) through the Kubernetes API of cluster prod at 2025-11-30T09:00:03.118764Z',
        'Who: platform-admin (IAM arn:aws:sts::111122223333:assumed-role/platform-admin/alice) (Kubernetes user in platform-admins, system:authenticated)',
        'Source IP: 198.51.100.7   User agent: kubectl/v1.30.2',
        '  patch configmaps kube-system/aws-auth at 2025-11-30T09:00:03.118764Z (auditID 5f0c1a2b-0000-4000-8000-000000000001; re-checks no-system-masters)',
        'Who: ci-deployer acting as system:admin (Kubernetes user)',
        'Source IP: 203.0.113.24',
        '  create clusterrolebindings restore-masters at 2025-11-30T09:00:03.118764Z (auditID x-2; re-checks no-system-masters)',
        'Audit log: /aws/eks/prod/cluster, stream kube-apiserver-audit-0f6e, delivery audit:0123abcd',
      ]),
    );
  });

  it('carries the trigger in the JSON payload, which parses back', () => {
    expect(parseNotificationMessage(n.Message).trigger).toEqual(trigger);
  });

  it('shows the writers in Slack, and the audit log in the context', () => {
    const [post] = slackMessages(parseNotificationMessage(n.Message));
    const blocks = JSON.stringify(post.attachments[0].blocks);
    expect(blocks).toContain('`platform-admin (IAM arn:aws:sts::111122223333:assumed-role/platform-admin/alice)` from 198.51.100.7');
    expect(blocks).toContain('`ci-deployer acting as system:admin` from 203.0.113.24');
    expect(blocks).toContain('Audit log: /aws/eks/prod/cluster, stream kube-apiserver-audit-0f6e, delivery audit:0123abcd');
  });

  it('blames no writer for what was already there (first-check), in the text and in Slack', () => {
    const [first] = buildNotifications({ ...base, trigger, cause: 'first-check', changes: { opened: [masters], resolved: [] } });
    expect(first.MessageAttributes.cause.StringValue).toBe('first-check');
    expect(textOf(first.Message)).toContain('Cause: first-check: already present when eks-drift first checked');
    expect(textOf(first.Message)).not.toContain('platform-admin');
    expect(JSON.stringify(slackMessages(parseNotificationMessage(first.Message))[0].attachments[0].blocks)).not.toContain('platform-admin');
  });

  it('stays small in a burst: at most a few writes per writer and a bounded number of writers, the rest counted', () => {
    const burst = [
      ...Array.from({ length: MAX_WRITES_PER_WRITER + 3 }, (_, i) => write({ auditID: `a-${i}` })),
      ...Array.from({ length: MAX_WRITERS + 4 }, (_, i) => write({ username: `user-${i}`, iamArn: undefined })),
    ];
    const t = kubernetesTrigger(ids, burst);
    expect(t.writers).toHaveLength(MAX_WRITERS);
    expect(t.moreWriters).toBe(5);
    expect(t.writeCount).toBe(burst.length);
    expect(t.writers[0]).toMatchObject({ username: 'platform-admin', moreWrites: 3 });
    expect(t.writers[0].writes).toHaveLength(MAX_WRITES_PER_WRITER);

    const [m] = buildNotifications({ ...base, trigger: t, changes: { opened: [masters], resolved: [] } });
    expect(textOf(m.Message)).toContain(`patch configmaps kube-system/aws-auth and ${burst.length - 1} more write(s)`);
    expect(textOf(m.Message)).toContain('  …and 3 more write(s)');
    expect(textOf(m.Message)).toContain('…and 5 more (not listed here)');
  });

  it('keeps what was done and when in the Slack field when the writers alone would fill it', () => {
    const long = Array.from({ length: MAX_WRITERS }, (_, i) => write({ username: `user-${i}`, iamArn: `arn:aws:sts::111122223333:assumed-role/${'r'.repeat(60)}/session-${i}` }));
    const [m] = buildNotifications({ ...base, trigger: kubernetesTrigger(ids, long), changes: { opened: [masters], resolved: [] } });
    const [post] = slackMessages(parseNotificationMessage(m.Message));
    const field = (post.attachments[0].blocks[1] as { fields: { text: string }[] }).fields.find((f) => f.text.startsWith('*Who*'))!;
    expect(field.text.length).toBeLessThanOrEqual(2000);
    expect(field.text).toMatch(/…and \d+ more\npatch configmaps kube-system\/aws-auth and 19 more write\(s\) through the Kubernetes API of cluster prod at 2025-11-30T09:00:03\.118764Z$/);
  });
});
