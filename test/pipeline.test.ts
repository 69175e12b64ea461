import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, parseConfig } from '../src/config';
import { MemoryFindingStore } from '../src/findings/memoryStore';
import { ReadError, type AwsReader } from '../src/inventory/reader';
import { loadWorld, type World } from '../src/inventory/world';
import { WorldReader } from '../src/inventory/worldReader';
import { MemoryLogger } from '../src/log';
import { processEvent, sweep, type PipelineDeps } from '../src/pipeline';

/**
 * The Lambda pipeline over the demo account: what each kind of input becomes, and how read failures surface.
 * Faults are injected by wrapping the world reader, the one place all reads go through.
 */
const root = join(__dirname, '..');
const demo = () => loadWorld(join(root, 'examples/demo-world.json'));
const sample = (name: string) => JSON.parse(readFileSync(join(root, 'events', name), 'utf8'));
const config = parseConfig(JSON.parse(readFileSync(join(root, 'examples/eks-drift.config.json'), 'utf8')));

function deps(reader: AwsReader = new WorldReader(demo()), store = new MemoryFindingStore()): PipelineDeps & { log: MemoryLogger; published: unknown[] } {
  const published: unknown[] = [];
  return { reader, store, config, log: new MemoryLogger(), published, publish: async (n) => void published.push(...n) };
}

/** A reader whose `method` fails with an AWS error code. */
function failing(world: World, method: keyof AwsReader, code: string): AwsReader {
  const r = new WorldReader(world);
  return new Proxy(r, {
    get(target, prop, receiver) {
      if (prop === method) return async () => Promise.reject(new ReadError(String(method), code, 'injected'));
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

describe('processEvent', () => {
  it('opens findings for the cluster the call touched and publishes one alert for it', async () => {
    const d = deps();
    const out = await processEvent(sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'), d);
    expect(out).toMatchObject({ status: 'processed', clusters: ['prod'] });
    expect(out.findings.map((f) => `${f.ruleId} ${f.resourceId}`)).toContain('no-internet-ssh sg-0aa1111111111111a');
    expect(d.published).toHaveLength(1);
    expect(d.log.metrics.FindingsOpened).toBeGreaterThan(0);
  });

  it('publishes nothing for a redelivered event, nor for another event finding the same state', async () => {
    const d = deps();
    await processEvent(sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'), d);
    await processEvent(sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'), d);
    await processEvent(sample('ec2-AuthorizeSecurityGroupIngress-all-traffic.json'), d);
    expect(d.published).toHaveLength(1);
  });

  it('counts an invalid event and never throws', async () => {
    const d = deps();
    await expect(processEvent({ hello: 'world' }, d)).resolves.toMatchObject({ status: 'invalid' });
    await expect(processEvent(sample('malformed-detail-as-string.json'), d)).resolves.toMatchObject({ status: 'invalid' });
    expect(d.log.metrics.InvalidEvents).toBe(2);
    expect(d.log.entries.filter((e) => e.level === 'error')).toHaveLength(2);
  });

  it('ignores an event from another account than the one it reads', async () => {
    const e = sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json');
    e.account = '999999999999';
    e.detail.recipientAccountId = '999999999999';
    await expect(processEvent(e, deps())).resolves.toMatchObject({ status: 'ignored', reason: expect.stringContaining('999999999999') });
  });

  it('raises root-user-activity for a call by the root user, once per call', async () => {
    const d = deps();
    const out = await processEvent(sample('ec2-AuthorizeSecurityGroupIngress-root-user.json'), d);
    const root = out.scopes.flatMap((s) => s.changes.opened).filter((f) => f.ruleId === 'root-user-activity');
    expect(root).toEqual([expect.objectContaining({ cluster: null, account: '111122223333', resourceId: out.eventId })]);
  });

  it('reports a rule whose inputs cannot be read as not evaluated, and keeps its stored findings', async () => {
    const store = new MemoryFindingStore();
    await processEvent(sample('eks-CreateAddon-vpc-cni.json'), deps(undefined, store));
    const isOpen = async () => (await store.listFindings({ status: 'open' })).some((f) => f.finding.ruleId === 'pod-sg-isolation');
    expect(await isOpen()).toBe(true);

    const denied = deps(failing(demo(), 'describeAddon', 'AccessDeniedException'), store);
    const again = sample('eks-CreateAddon-vpc-cni.json');
    again.detail.eventID = 'a second call on the same add-on';
    const out = await processEvent(again, denied);
    expect(out.status).toBe('processed');
    const notEvaluated = out.scopes.flatMap((s) => s.notEvaluated);
    expect(notEvaluated).toEqual([expect.objectContaining({ ruleId: 'pod-sg-isolation', cluster: 'prod', reason: expect.stringContaining('AccessDeniedException') })]);
    expect(out.scopes.flatMap((s) => s.changes.resolved)).toEqual([]);
    expect(denied.log.metrics.RulesNotEvaluated).toBe(1);
    expect(await isOpen()).toBe(true);
  });

  it('throws on AccessDenied while finding the affected clusters: the event is retried, then kept in the DLQ', async () => {
    // Which nodes carry the group is part of finding the clusters (resolve.ts), so a denied DescribeInstances fails the event.
    const d = deps(failing(demo(), 'describeInstances', 'AccessDenied'));
    await expect(processEvent(sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'), d)).rejects.toThrow(/AccessDenied/);
    expect(d.published).toEqual([]);
  });

  it('throws on throttling while finding the affected clusters, so Lambda retries and the DLQ keeps the event', async () => {
    const d = deps(failing(demo(), 'listClusters', 'ThrottlingException'));
    const e = sample('ec2-AuthorizeSecurityGroupIngress-unrelated-sg.json');
    await expect(processEvent(e, d)).rejects.toThrow(/ThrottlingException/);
  });

  it('resolves every finding of a cluster deleted after the event named it', async () => {
    const store = new MemoryFindingStore();
    await processEvent(sample('eks-UpdateClusterConfig-public-endpoint.json'), deps(undefined, store));
    const opened = (await store.listFindings({ status: 'open' })).filter((f) => f.finding.cluster === 'prod');
    expect(opened.length).toBeGreaterThan(0);
    const gone = demo();
    gone.eks.clusters = gone.eks.clusters.filter((c) => c.name !== 'prod');
    const d = deps(new WorldReader(gone), store);
    const out = await processEvent(sample('eks-TagResource-cluster-arn.json'), d);
    expect(out.scopes[0]).toMatchObject({ cluster: 'prod', deleted: true });
    expect(out.scopes[0].changes.resolved).toHaveLength(opened.length);
    expect((await store.listFindings({ status: 'open' })).filter((f) => f.finding.cluster === 'prod')).toEqual([]);
  });

  it('does not alert on suppressed findings: it publishes them apart, as suppressed, for lifecycle sinks', async () => {
    const d = deps();
    d.config = { ...defaultConfig, ...config, suppressions: [{ rule: 'no-internet-ssh', cluster: 'prod', reason: 'bastion migration', expires: '2999-01-01' }] };
    const out = await processEvent(sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'), d);
    expect(out.scopes.flatMap((s) => s.changes.opened).map((f) => f.ruleId)).not.toContain('no-internet-ssh');
    expect(out.scopes.flatMap((s) => s.changes.suppressed).map((f) => f.ruleId)).toContain('no-internet-ssh');
    const published = out.scopes.flatMap((s) => s.notifications).map((n) => [n.MessageAttributes.change.StringValue, n.MessageAttributes.ruleId.StringValue]);
    expect(published).toContainEqual(['["suppressed"]', '["no-internet-ssh"]']);
    for (const [change, rules] of published) if (change !== '["suppressed"]') expect(rules).not.toContain('no-internet-ssh');
  });
});

describe('sweep', () => {
  it('evaluates every cluster and the account with every rule', async () => {
    const d = deps();
    const out = await sweep(d, { sweepId: 'sweep:test-1' });
    expect(out.clusters.sort()).toEqual(['payments', 'prod']);
    const opened = out.scopes.flatMap((s) => s.changes.opened);
    expect(new Set(opened.filter((f) => f.cluster === 'prod').map((f) => f.ruleId)).size).toBe(13);
    expect(opened.filter((f) => f.cluster === 'payments')).toEqual([]);
    expect(opened.some((f) => f.ruleId === 'cloudtrail-enabled')).toBe(true);
  });

  it('resolves the findings of a cluster deleted while nobody watched', async () => {
    const store = new MemoryFindingStore();
    await sweep(deps(undefined, store), { sweepId: 'sweep:1' });
    const gone = demo();
    gone.eks.clusters = gone.eks.clusters.filter((c) => c.name !== 'prod');
    const out = await sweep(deps(new WorldReader(gone), store), { sweepId: 'sweep:2' });
    const prod = out.scopes.find((s) => s.cluster === 'prod');
    expect(prod).toMatchObject({ deleted: true });
    expect(prod!.changes.resolved.length).toBeGreaterThan(10);
    expect(out.scopes.flatMap((s) => s.changes.opened)).toEqual([]);
  });

  it('keeps going when one cluster cannot be read', async () => {
    const world = demo();
    const r = new WorldReader(world);
    const flaky: AwsReader = new Proxy(r, {
      get(target, prop, receiver) {
        if (prop === 'describeCluster') return async (name: string) => (name === 'prod' ? Promise.reject(new ReadError('eks:DescribeCluster', 'ThrottlingException', 'slow down')) : target.describeCluster(name));
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const out = await sweep(deps(flaky), { sweepId: 'sweep:flaky' });
    expect(out.errors).toEqual([{ cluster: 'prod', error: expect.stringContaining('ThrottlingException') }]);
    expect(out.scopes.some((s) => s.cluster === 'payments')).toBe(true);
  });
});
