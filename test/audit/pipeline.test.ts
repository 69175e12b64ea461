import { processAuditDelivery } from '../../src/audit/pipeline';
import { parseNotificationMessage } from '../../src/notify/message';
import { MemoryFindingStore } from '../../src/findings/memoryStore';
import { sweep } from '../../src/pipeline';
import type { World } from '../../src/inventory/world';
import { counting } from '../events/support';
import { deliveryWith, deps, demoWorld, loadAuditSample, worldReader } from './support';

/**
 * In-cluster changes through the audit log, from the on-call person's side: the state before the write is known
 * (a sweep ran), the write lands, the delivery arrives, and the alert says what opened and who did it.
 */
const PROD_ARN = 'arn:aws:eks:us-east-1:111122223333:cluster/prod';

/** prod as the demo world has it, with its Kubernetes objects rewritten. */
function withProdKubernetes(change: (k: NonNullable<World['kubernetes'][string]>) => void): World {
  const w = demoWorld();
  change(w.kubernetes.prod!);
  return w;
}

const NODES_ONLY = '- rolearn: arn:aws:iam::111122223333:role/eks-node-role\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n';

/** Runs the baseline sweep on `before`, then returns deps reading `after` over the same store. */
async function knownThenChanged(before: World, after: World) {
  const store = new MemoryFindingStore();
  await sweep(deps(worldReader(before), store), { sweepId: 'sweep:baseline' });
  return deps(worldReader(after), store);
}

const payloads = (d: { published: { Message: string }[] }) => d.published.map((n) => parseNotificationMessage(n.Message));

describe('processAuditDelivery: done when', () => {
  it('kubectl edit configmap aws-auth mapping a role into system:masters opens no-system-masters, attributed to the Kubernetes user', async () => {
    const before = withProdKubernetes((k) => (k.awsAuth!.data = { mapRoles: NODES_ONLY }));
    const d = await knownThenChanged(before, demoWorld());

    const out = await processAuditDelivery(loadAuditSample('aws-auth-edit-system-masters.json'), d);

    expect(out).toMatchObject({ status: 'processed', clusters: ['prod'], eventName: 'patch configmaps kube-system/aws-auth' });
    expect(out.scopes[0].changes.opened.map((f) => `${f.ruleId} ${f.resourceId}`)).toEqual(['no-system-masters arn:aws:iam::111122223333:role/ops-admin']);
    expect(d.published).toHaveLength(1);
    const [p] = payloads(d);
    expect(p).toMatchObject({ account: '111122223333', region: 'us-east-1', cluster: 'prod', clusterArn: PROD_ARN });
    expect(p.trigger).toMatchObject({
      kind: 'kubernetes',
      logGroup: '/aws/eks/prod/cluster',
      writers: [
        {
          username: 'platform-admin',
          iamArn: 'arn:aws:sts::111122223333:assumed-role/platform-admin/alice',
          sourceIPs: ['198.51.100.7'],
          writes: [{ verb: 'patch', object: 'configmaps kube-system/aws-auth', auditID: '5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a01' }],
        },
      ],
    });
    const text = d.published[0].Message;
    expect(text).toContain('Who: platform-admin (IAM arn:aws:sts::111122223333:assumed-role/platform-admin/alice)');
    expect(text).toContain('Source IP: 198.51.100.7   User agent: kubectl/v1.30.2');
    expect(text).toContain('patch configmaps kube-system/aws-auth at 2025-11-30T09:00:03.118764Z (auditID 5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a01; re-checks no-system-masters)');
  });

  it('a ClusterRoleBinding granting cluster-admin to system:masters changes no verdict: the API server authorizes system:masters before RBAC (ignored, with that reason)', async () => {
    const d = await knownThenChanged(demoWorld(), demoWorld());
    const out = await processAuditDelivery(loadAuditSample('clusterrolebinding-cluster-admin-to-system-masters.json'), d);
    expect(out).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/clusterrolebindings .*: no rule reads this object/) });
    expect(d.published).toEqual([]);
  });

  it('a kubectl get is ignored, reads nothing and publishes nothing', async () => {
    const c = counting(worldReader(demoWorld()));
    const d = deps(c.reader);
    const out = await processAuditDelivery(loadAuditSample('kubectl-get-aws-auth.json'), d);
    expect(out).toMatchObject({ status: 'ignored', reason: 'get configmaps kube-system/aws-auth: verb get changes nothing' });
    expect(c.total()).toBe(0);
    expect(d.published).toEqual([]);
    expect(d.log.metrics.IgnoredEvents).toBe(1);
  });

  it('a malformed delivery is invalid, counted and logged, and never throws', async () => {
    const d = deps(worldReader(demoWorld()));
    for (const f of ['malformed-not-base64.json', 'malformed-not-gzip.json', 'malformed-not-json.json', 'malformed-not-a-subscription-delivery.json', 'malformed-no-audit-line.json']) {
      await expect(processAuditDelivery(loadAuditSample(f), d)).resolves.toMatchObject({ status: 'invalid' });
    }
    expect(d.log.metrics.InvalidEvents).toBe(5);
    expect(d.published).toEqual([]);
  });

  it('nothing valid is lost: broken lines beside a real write are reported one by one, and the write still opens its finding', async () => {
    const before = withProdKubernetes((k) => (k.awsAuth!.data = { mapRoles: NODES_ONLY }));
    const d = await knownThenChanged(before, demoWorld());
    const out = await processAuditDelivery(loadAuditSample('bad-lines-beside-a-real-write.json'), d);
    expect(out.status).toBe('processed');
    expect(out.lines.map((l) => l.status)).toEqual(['invalid', 'invalid', 'write']);
    expect(out.scopes[0].changes.opened.map((f) => f.ruleId)).toEqual(['no-system-masters']);
    expect(d.log.metrics.InvalidAuditLines).toBe(2);
    const logged = d.log.entries.filter((e) => e.message === 'invalid audit log line').map((e) => e.fields.logEventId);
    expect(logged).toEqual([out.lines[0].id, out.lines[1].id]);
  });

  it('a redelivered batch publishes once (idempotent on its log event ids)', async () => {
    const before = withProdKubernetes((k) => (k.awsAuth!.data = { mapRoles: NODES_ONLY }));
    const d = await knownThenChanged(before, demoWorld());
    const first = await processAuditDelivery(loadAuditSample('aws-auth-edit-system-masters.json'), d);
    const again = await processAuditDelivery(loadAuditSample('aws-auth-edit-system-masters.json'), d);
    expect(again.eventId).toBe(first.eventId);
    expect(again.scopes[0].changes.duplicate).toBe(true);
    expect(d.published).toHaveLength(1);
  });

  it('a failed publish leaves the changes pending: the retried delivery publishes them once, still blaming the writer', async () => {
    const before = withProdKubernetes((k) => (k.awsAuth!.data = { mapRoles: NODES_ONLY }));
    const d = await knownThenChanged(before, demoWorld());
    const publish = d.publish!;
    d.publish = async () => {
      throw new Error('SNS throttled');
    };
    await expect(processAuditDelivery(loadAuditSample('aws-auth-edit-system-masters.json'), d)).rejects.toThrow('SNS throttled');
    expect(d.published).toEqual([]);

    d.publish = publish; // Lambda retries the invocation with the same batch
    await processAuditDelivery(loadAuditSample('aws-auth-edit-system-masters.json'), d);
    expect(d.published).toHaveLength(1);
    expect(payloads(d)[0]).toMatchObject({ cause: 'event', trigger: { kind: 'kubernetes', writers: [{ username: 'platform-admin' }] } });
    expect(payloads(d)[0].changes.map((c) => `${c.change} ${c.finding.ruleId}`)).toEqual(['opened no-system-masters']);
    await processAuditDelivery(loadAuditSample('aws-auth-edit-system-masters.json'), d);
    expect(d.published).toHaveLength(1);
  });

  it('before any sweep, a write blames no one for what it finds: first-check findings wait for the sweep\'s digest', async () => {
    const d = deps(worldReader(demoWorld()));
    const out = await processAuditDelivery(loadAuditSample('aws-auth-edit-system-masters.json'), d);
    expect(out.scopes[0].changes.opened.map((f) => f.ruleId)).toEqual(['no-system-masters']);
    expect(d.published).toEqual([]);

    const swept = await sweep(d, { sweepId: 'sweep:first' });
    expect(swept.digest).toBeDefined();
    expect(swept.published.filter((n) => n.finding.ruleId === 'no-system-masters').map((n) => n.cause)).toEqual(['first-check']);
    expect(d.published.map((n) => parseNotificationMessage(n.Message).trigger.kind)).toEqual(['sweep']);
  });

  it('many writes in one delivery are one evaluation of the cluster with the union of their rules, naming every writer', async () => {
    const before = withProdKubernetes((k) => {
      k.awsAuth!.data = { mapRoles: NODES_ONLY };
      k.clusterRoleBindings![0].subjects = [{ kind: 'Group', name: 'platform-admins' }];
    });
    const store = new MemoryFindingStore();
    await sweep(deps(worldReader(before), store), { sweepId: 'sweep:baseline' });
    const c = counting(worldReader(demoWorld()));
    const d = deps(c.reader, store);

    const out = await processAuditDelivery(loadAuditSample('burst-two-writers.json'), d);

    expect(c.calls.describeCluster).toBe(1);
    expect(c.calls.readKubernetes).toBe(1);
    expect(out.scopes).toHaveLength(1);
    expect(out.scopes[0].changes.opened.map((f) => f.ruleId).sort()).toEqual(['no-system-masters']);
    expect(d.published).toHaveLength(1);
    const writers = (payloads(d)[0].trigger as { writers: { username: string }[] }).writers.map((w) => w.username);
    // ci-deployer's ClusterRoleBinding write re-checks no rule: it is not named as a cause.
    expect(writers).toContain('platform-admin');
    expect(writers).not.toContain('ci-deployer');
  });

  it('a cluster whose Kubernetes API cannot be read reports its rules not evaluated and keeps their findings', async () => {
    const store = new MemoryFindingStore();
    await sweep(deps(worldReader(demoWorld()), store), { sweepId: 'sweep:baseline' });
    const unreachable = demoWorld();
    unreachable.kubernetes.prod = null;
    const d = deps(worldReader(unreachable), store);
    const out = await processAuditDelivery(loadAuditSample('aws-auth-edit-system-masters.json'), d);
    expect(out.scopes[0].notEvaluated).toEqual([expect.objectContaining({ ruleId: 'no-system-masters', reason: expect.stringContaining('kubernetes could not be read') })]);
    expect(out.scopes[0].changes.resolved).toEqual([]);
    expect((await store.listFindings({ status: 'open' })).some((f) => f.finding.ruleId === 'no-system-masters')).toBe(true);
  });

  it('resolves what a write fixed: aws-auth edited back, the finding closes with the writer named', async () => {
    const store = new MemoryFindingStore();
    await sweep(deps(worldReader(demoWorld()), store), { sweepId: 'sweep:baseline' });
    const d = deps(worldReader(withProdKubernetes((k) => (k.awsAuth!.data = { mapRoles: NODES_ONLY }))), store);
    const out = await processAuditDelivery(
      deliveryWith('aws-auth-edit-system-masters', (x) => ({ ...x, logEvents: x.logEvents.map((e) => ({ ...e, id: `${e.id}9` })) })),
      d,
    );
    expect(out.scopes[0].changes.resolved.map((f) => f.ruleId)).toEqual(['no-system-masters']);
    expect(payloads(d)[0].changes).toEqual([expect.objectContaining({ change: 'resolved' })]);
  });

  it('ignores a delivery from another account, a control message and a log group that is not an EKS cluster log', async () => {
    const d = deps(worldReader(demoWorld()));
    await expect(processAuditDelivery(loadAuditSample('other-account.json'), d)).resolves.toMatchObject({ status: 'ignored', reason: expect.stringContaining('999999999999') });
    await expect(processAuditDelivery(loadAuditSample('control-message.json'), d)).resolves.toMatchObject({ status: 'ignored', reason: expect.stringContaining('control message') });
    await expect(processAuditDelivery(loadAuditSample('other-log-group.json'), d)).resolves.toMatchObject({ status: 'ignored', reason: expect.stringContaining('/aws/lambda/') });
    expect(d.published).toEqual([]);
  });
});

describe('processAuditDelivery: a deleted egress NetworkPolicy (ssh-egress-blocked)', () => {
  /** team-a isolated by a default-deny egress policy, enforced by the vpc-cni network policy agent. */
  function egressWorld(withPolicy: boolean): World {
    const w = demoWorld();
    w.eks.addons = w.eks.addons.map((a) => (a.clusterName === 'prod' && a.addonName === 'vpc-cni' ? { ...a, configurationValues: '{"enableNetworkPolicy":"true"}' } : a));
    w.kubernetes.prod!.namespaces = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }];
    w.kubernetes.prod!.networkPolicies = withPolicy
      ? [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-ssh-egress', namespace: 'team-a' }, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [] } }]
      : [];
    return w;
  }

  it('opens ssh-egress-blocked, attributed to the user who deleted the policy', async () => {
    const d = await knownThenChanged(egressWorld(true), egressWorld(false));
    const out = await processAuditDelivery(loadAuditSample('networkpolicy-delete-egress-deny.json'), d);
    expect(out.status).toBe('processed');
    expect(out.scopes[0].changes.opened.map((f) => `${f.ruleId} ${f.resourceId}`)).toEqual(['ssh-egress-blocked prod']);
    expect(payloads(d)[0].trigger).toMatchObject({ kind: 'kubernetes', writers: [{ username: 'arn:aws:sts::111122223333:assumed-role/team-a-dev/bob', sourceIPs: ['10.20.4.17'] }] });
  });
});
