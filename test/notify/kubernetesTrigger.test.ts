import { buildNotifications, JSON_SEPARATOR, parseNotificationMessage } from '../../src/notify/message';
import { kubernetesTrigger, MAX_WRITERS, MAX_WRITES_PER_WRITER, type WriteInput } from '../../src/notify/kubernetesTrigger';
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
const ids = { deliveryId: 'audit:0123abcd', logGroup: '/aws/eks/prod/cluster', logStream: 'kube-apiserver-audit-0f6e', cluster: 'prod' };
const masters = finding({ ruleId: 'no-system-masters', severity: 'high', resourceType: 'AWS::IAM::Role', resourceId: 'arn:aws:iam::111122223333:role/ops-admin', message: 'aws-auth maps ops-admin into system:masters' });

describe('a notification caused by Kubernetes API writes', () => {
  const trigger = kubernetesTrigger(ids, [write(), write({ username: 'ci-deployer', iamArn: undefined, impersonatedUser: 'system:admin', sourceIPs: ['203.0.113.24'], verb: 'create', object: 'clusterrolebindings restore-masters', auditID: 'x-2' })]);
  const [n] = buildNotifications({ ...base, trigger, changes: { opened: [masters], resolved: [] } });

  it('names every writer: Kubernetes user, IAM identity, impersonation, source IP, user agent, what, when, auditID', () => {
    const text = n.Message.split(`\n${JSON_SEPARATOR}\n`)[0];
    expect(text).toContain('Triggered by: Kubernetes API writes on cluster prod (audit log /aws/eks/prod/cluster, stream kube-apiserver-audit-0f6e)');
    expect(text).toContain('Who: platform-admin (IAM arn:aws:sts::111122223333:assumed-role/platform-admin/alice)   Groups: platform-admins, system:authenticated');
    expect(text).toContain('  Source IP: 198.51.100.7   User agent: kubectl/v1.30.2');
    expect(text).toContain('  patch configmaps kube-system/aws-auth at 2025-11-30T09:00:03.118764Z (auditID 5f0c1a2b-0000-4000-8000-000000000001; re-checks no-system-masters)');
    expect(text).toContain('Who: ci-deployer acting as system:admin');
    expect(text).toContain('Audit delivery: audit:0123abcd');
  });

  it('carries the trigger in the JSON payload, which parses back', () => {
    expect(parseNotificationMessage(n.Message).trigger).toEqual(trigger);
  });

  it('shows the writers in Slack', () => {
    const [post] = slackMessages(parseNotificationMessage(n.Message));
    const blocks = JSON.stringify(post.attachments[0].blocks);
    expect(blocks).toContain('platform-admin (IAM arn:aws:sts::111122223333:assumed-role/platform-admin/alice)');
    expect(blocks).toContain('from 203.0.113.24');
    expect(blocks).toContain('Audit log /aws/eks/prod/cluster');
  });

  it('stays small in a burst: at most a few writes per writer and a bounded number of writers, the rest counted', () => {
    const burst = [
      ...Array.from({ length: MAX_WRITES_PER_WRITER + 3 }, (_, i) => write({ auditID: `a-${i}` })),
      ...Array.from({ length: MAX_WRITERS + 4 }, (_, i) => write({ username: `user-${i}`, iamArn: undefined })),
    ];
    const t = kubernetesTrigger(ids, burst);
    expect(t.writers).toHaveLength(MAX_WRITERS);
    expect(t.moreWriters).toBe(5);
    expect(t.writers[0]).toMatchObject({ username: 'platform-admin', moreWrites: 3 });
    expect(t.writers[0].writes).toHaveLength(MAX_WRITES_PER_WRITER);
  });
});
