import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, parseConfig } from '../src/config';
import { MemoryFindingStore } from '../src/findings/memoryStore';
import type { FindingStore } from '../src/findings/store';
import { parseNotificationMessage, type SnsNotification } from '../src/notify/message';
import { DynamoFindingStore } from '../src/findings/dynamoStore';
import { startDynalite, type Dynalite } from './support/dynalite';
import { ReadError, type AwsReader } from '../src/inventory/reader';
import { loadWorld, type World } from '../src/inventory/world';
import { WorldReader } from '../src/inventory/worldReader';
import { MemoryLogger } from '../src/log';
import { processEvent, sweep, type EventOutcome, type PipelineDeps } from '../src/pipeline';
import { createClusterIndexCache } from '../src/events/clusterIndex';
import { countingCalls } from './events/support';

/**
 * The Lambda pipeline over the demo account: what each kind of input becomes, and how read failures surface.
 * Faults are injected by wrapping the world reader, the one place all reads go through.
 */
const root = join(__dirname, '..');
const demo = () => loadWorld(join(root, 'examples/demo-world.json'));
const sample = (name: string) => JSON.parse(readFileSync(join(root, 'events', name), 'utf8'));
const config = parseConfig(JSON.parse(readFileSync(join(root, 'examples/eks-drift.config.json'), 'utf8')));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { worldAtDeploy } = require('../scripts/demo-world.cjs') as { worldAtDeploy: (w: World) => World };

function deps(reader: AwsReader = new WorldReader(demo()), store: FindingStore = new MemoryFindingStore()): PipelineDeps & { log: MemoryLogger; published: SnsNotification[] } {
  const published: SnsNotification[] = [];
  return { reader, store, config, log: new MemoryLogger(), published, publish: async (n) => void published.push(...n) };
}

/** A store after the deployment's baseline sweep of the demo account as it was before the story's calls. */
async function deployed(store: FindingStore = new MemoryFindingStore()): Promise<FindingStore> {
  await sweep(deps(new WorldReader(worldAtDeploy(demo())), store), { sweepId: 'sweep:deploy' });
  return store;
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
    const d = deps(undefined, await deployed());
    const out = await processEvent(sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'), d);
    expect(out).toMatchObject({ status: 'processed', clusters: ['prod'] });
    expect(out.findings.map((f) => `${f.ruleId} ${f.resourceId}`)).toContain('no-internet-ssh sg-0aa1111111111111a');
    expect(d.published).toHaveLength(1);
    expect(d.log.metrics.FindingsOpened).toBeGreaterThan(0);
  });

  it('publishes nothing for a redelivered event, nor for another event finding the same state', async () => {
    const d = deps(undefined, await deployed());
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

  it("lists every open finding of the scopes the event evaluated, as the store holds them, and no other scope's", async () => {
    const store = await deployed();
    /** What the store holds open in each scope the event evaluated, scope by scope (the account scope once). */
    const held = async (out: EventOutcome) => {
      const scopes = [...new Set(out.scopes.map((s) => s.clusterArn))];
      return (await Promise.all(scopes.map((clusterArn) => store.listFindings({ clusterArn, status: 'open' })))).flat().map((s) => s.finding);
    };
    // A cluster's call; the root user's call (the account scope twice: root-user-activity, then the cluster's
    // rules); a trail's call (the account-level scope alone).
    const cluster = await processEvent(sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'), deps(undefined, store));
    expect(cluster.scopes.map((s) => s.cluster)).toEqual(['prod']);
    expect(cluster.findings).toEqual(await held(cluster));
    const root = await processEvent(sample('ec2-AuthorizeSecurityGroupIngress-root-user.json'), deps(undefined, store));
    expect(root.scopes.map((s) => s.cluster)).toEqual([null, 'payments']);
    expect(root.findings).toEqual(await held(root));
    expect(root.findings.map((f) => f.ruleId)).toContain('root-user-activity');
    const trail = await processEvent(sample('cloudtrail-StopLogging-by-arn.json'), deps(undefined, store));
    expect(trail.scopes.map((s) => s.cluster)).toEqual([null]);
    expect(trail.findings).toEqual(await held(trail));
    expect(trail.findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['cloudtrail-enabled', 'root-user-activity']));
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
    // Both rules reading the add-on: custom networking, and the network policy agent.
    expect(notEvaluated).toEqual([
      expect.objectContaining({ ruleId: 'pod-sg-isolation', cluster: 'prod', reason: expect.stringContaining('AccessDeniedException') }),
      expect.objectContaining({ ruleId: 'ssh-egress-blocked', cluster: 'prod', reason: expect.stringContaining('AccessDeniedException') }),
    ]);
    expect(out.scopes.flatMap((s) => s.changes.resolved)).toEqual([]);
    expect(denied.log.metrics.RulesNotEvaluated).toBe(2);
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
    const d = deps(undefined, await deployed());
    d.config = { ...defaultConfig, ...config, suppressions: [{ rule: 'no-internet-ssh', cluster: 'prod', reason: 'bastion migration', expires: '2999-01-01' }] };
    const out = await processEvent(sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'), d);
    expect(out.scopes.flatMap((s) => s.changes.opened).map((f) => f.ruleId)).not.toContain('no-internet-ssh');
    expect(out.scopes.flatMap((s) => s.changes.suppressed).map((f) => f.ruleId)).toContain('no-internet-ssh');
    const published = out.scopes.flatMap((s) => s.notifications).map((n) => [n.MessageAttributes.change.StringValue, n.MessageAttributes.ruleId.StringValue]);
    expect(published).toContainEqual(['["suppressed"]', '["no-internet-ssh"]']);
    for (const [change, rules] of published) if (change !== '["suppressed"]') expect(rules).not.toContain('no-internet-ssh');
  });
});

describe('guidelines that need the event itself or IAM', () => {
  it('the CreateCluster event being processed names the creator before CloudTrail LookupEvents does', async () => {
    const ev = sample('eks-CreateCluster.json');
    // The call as it happened for the demo cluster payments (same time as its creation), made by an IAM user.
    ev.detail.eventTime = '2026-02-01T11:59:40Z';
    ev.detail.userIdentity = { type: 'IAMUser', principalId: 'AIDA3EXAMPLEALICE', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333', userName: 'alice' };
    const out = await processEvent(ev, deps());
    const f = out.findings.find((x) => x.ruleId === 'creator-role-dedicated');
    expect(f).toMatchObject({ cluster: 'payments', resourceId: 'arn:aws:iam::111122223333:user/alice' });
    expect(f?.evidence.identifiedBy).toBe(`CreateCluster record ${ev.detail.eventID} from the CreateCluster event being processed`);
  });

  it('an IAM call recorded in us-east-1 is processed by a deployment in another region, its findings in that region', async () => {
    const world = demo();
    world.region = 'eu-west-1';
    const out = await processEvent(sample('iam-AttachRolePolicy-creator-role.json'), deps(new WorldReader(world)));
    expect(out).toMatchObject({ status: 'processed', clusters: ['prod'] });
    expect(out.findings.find((x) => x.ruleId === 'creator-role-dedicated')).toMatchObject({ region: 'eu-west-1', resourceId: 'arn:aws:iam::111122223333:role/eks-creator' });
  });

  it('a node group scaling, label or taint change is not watched (no rule reads them): ignored, nothing read', async () => {
    const { proxy, calls } = countingCalls(new WorldReader(demo()));
    const out = await processEvent(sample('eks-UpdateNodegroupConfig.json'), deps(proxy));
    expect(out).toMatchObject({ status: 'ignored', reason: 'unwatched call eks.amazonaws.com UpdateNodegroupConfig' });
    expect(Object.keys(calls)).toEqual([]);
  });

  it('a policy change on a role that is neither a creator nor a node role is ignored with the reason', async () => {
    const out = await processEvent(sample('iam-DetachRolePolicy-unrelated-role.json'), deps());
    expect(out).toMatchObject({ status: 'ignored', reason: expect.stringContaining('IAM role lambda-exec neither created an EKS cluster') });
  });
});

describe('sweep', () => {
  it('evaluates every cluster and the account with every rule', async () => {
    const d = deps();
    const out = await sweep(d, { sweepId: 'sweep:test-1' });
    expect(out.clusters.sort()).toEqual(['payments', 'prod']);
    const opened = out.scopes.flatMap((s) => s.changes.opened);
    expect(new Set(opened.filter((f) => f.cluster === 'prod').map((f) => f.ruleId)).size).toBe(19);
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
    expect(out.errors).toEqual([{ cluster: 'prod', stage: 'read', error: expect.stringContaining('ThrottlingException') }]);
    expect(out.scopes.some((s) => s.cluster === 'payments')).toBe(true);
  });
});

/** The demo account with `n` more copies of the violating prod cluster (prod-2…), for accounts with many findings. */
function withCopiesOfProd(world: World, n: number): World {
  const w = structuredClone(world);
  const prod = w.eks.clusters.find((c) => c.name === 'prod')!;
  for (let k = 2; k <= n + 1; k++) {
    const name = `prod-${k}`;
    w.eks.clusters.push({ ...structuredClone(prod), name, arn: prod.arn!.replace(/prod$/, name) });
    for (const ng of world.eks.nodegroups.filter((g) => g.clusterName === 'prod')) w.eks.nodegroups.push({ ...structuredClone(ng), clusterName: name });
    for (const a of world.eks.addons.filter((g) => g.clusterName === 'prod')) w.eks.addons.push({ ...structuredClone(a), clusterName: name });
    w.kubernetes[name] = structuredClone(world.kubernetes.prod);
  }
  return w;
}

const payloads = (d: { published: SnsNotification[] }) => d.published.map((n) => ({ ...parseNotificationMessage(n.Message), attributes: n.MessageAttributes }));
const changesOf = (d: { published: SnsNotification[] }) => payloads(d).flatMap((p) => p.changes.map((c) => `${c.cause} ${c.change} ${c.finding.cluster ?? 'account'} ${c.finding.ruleId} ${c.finding.resourceId}`));
const whoOf = (p: ReturnType<typeof payloads>[number]) => (p.trigger.kind === 'event' ? p.trigger.principalArn : undefined);

describe('beyond the guide: Kubernetes versions and secrets encryption (issue 14)', () => {
  const prodOf = (w: World) => w.eks.clusters.find((c) => c.name === 'prod')!;
  const openOf = async (store: FindingStore, ruleId: string) => (await store.listFindings({ status: 'open' })).filter((f) => f.finding.ruleId === ruleId).map((f) => `${f.finding.cluster} ${f.finding.severity}`);

  it('AssociateEncryptionConfig re-checks secrets-encrypted; the asynchronous update lands later, and the sweep resolves the finding', async () => {
    const store = await deployed();
    expect(await openOf(store, 'secrets-encrypted')).toEqual(['prod medium']);
    const d = deps(undefined, store);
    const out = await processEvent(sample('eks-AssociateEncryptionConfig.json'), d);
    // While the update runs, DescribeCluster shows no key yet: nothing changes, nothing is published.
    expect(out).toMatchObject({ status: 'processed', clusters: ['prod'] });
    expect(out.findings.map((f) => f.ruleId)).toContain('secrets-encrypted');
    expect(d.published).toEqual([]);
    const encrypted = demo();
    prodOf(encrypted).encryptionConfig = [{ resources: ['secrets'], provider: { keyArn: 'arn:aws:kms:us-east-1:111122223333:key/0aa77777-7777-7777-7777-777777777777' } }];
    const s = deps(new WorldReader(encrypted), store);
    await sweep(s, { sweepId: 'sweep:after-encryption' });
    expect(changesOf(s)).toContain('sweep resolved prod secrets-encrypted prod');
    expect(await openOf(store, 'secrets-encrypted')).toEqual([]);
  });

  it('UpdateClusterVersion re-checks the version; once the upgrade lands on a supported version, the finding is resolved', async () => {
    const store = await deployed();
    // The demo world is judged as of its recordedAt (2026-11-28): 1.31's extended support ended on 2026-11-26.
    expect(await openOf(store, 'kubernetes-version-supported')).toEqual(['prod high']);
    const out = await processEvent(sample('eks-UpdateClusterVersion.json'), deps(undefined, store));
    expect(out.findings.filter((f) => f.ruleId === 'kubernetes-version-supported').map((f) => f.message)).toEqual(['cluster prod runs Kubernetes 1.31, past the end of extended support']);
    const upgraded = demo();
    prodOf(upgraded).version = '1.35';
    const s = deps(new WorldReader(upgraded), store);
    await sweep(s, { sweepId: 'sweep:after-upgrade' });
    expect(changesOf(s)).toContain('sweep resolved prod kubernetes-version-supported prod');
  });

  it('the sweep catches the calendar: no call is needed for a version to leave standard support', async () => {
    const live = demo();
    delete live.recordedAt; // a live account: judged at each sweep's own moment
    const payments = live.eks.clusters.find((c) => c.name === 'payments')!;
    payments.version = '1.32';
    // The calendar as read in early March 2026, while 1.32 was still in standard support.
    live.eks.clusterVersions = live.eks.clusterVersions!.map((v) => (v.clusterVersion === '1.32' ? { ...v, versionStatus: 'STANDARD_SUPPORT' } : v));
    const store = new MemoryFindingStore();
    const at = (iso: string) => () => new Date(iso);
    await sweep({ ...deps(new WorldReader(live), store), clock: at('2026-03-22T12:00:00Z') }, { sweepId: 'sweep:march-22' });
    expect(await openOf(store, 'kubernetes-version-supported')).toEqual(['prod high']);
    const next = { ...deps(new WorldReader(live), store), clock: at('2026-03-23T12:00:00Z') };
    await sweep(next, { sweepId: 'sweep:march-23' });
    expect(changesOf(next)).toEqual(['sweep opened payments kubernetes-version-supported payments']);
    expect((await openOf(store, 'kubernetes-version-supported')).sort()).toEqual(['payments medium', 'prod high']);
  });
});

describe('the baseline, and the cause of every alert', () => {
  it('a first sweep over an account with 40+ findings sends ONE first-check digest; a second sweep sends nothing', async () => {
    const reader = new WorldReader(withCopiesOfProd(demo(), 1));
    const first = deps(reader);
    const out = await sweep(first, { sweepId: 'sweep:deploy' });
    expect(out.baseline).toBe(true);
    expect(out.published.length).toBeGreaterThanOrEqual(40);
    expect(first.published).toHaveLength(1);
    const [digest] = payloads(first);
    expect(digest).toMatchObject({ cause: 'first-check', cluster: null, digest: { baseline: true, total: out.published.length, clusters: 2 } });
    // Every finding is counted, whether or not it fits the list: the counts are the whole picture.
    expect(digest.digest!.byRule.reduce((n, r) => n + r.count, 0)).toBe(out.published.length);
    expect(digest.changes.length + digest.digest!.omitted).toBe(out.published.length);
    expect(digest.attributes.cause).toEqual({ DataType: 'String', StringValue: 'first-check' });
    expect(first.published[0].Message).toContain('already present when eks-drift first checked');
    expect(first.published[0].Message).not.toMatch(/Who:|dev-admin/);

    const second = deps(reader, first.store);
    expect(await sweep(second, { sweepId: 'sweep:next' })).toMatchObject({ baseline: false, published: [] });
    expect(second.published).toEqual([]);
  });

  it('the baseline sends suppressed findings apart from its digest, as suppressed: no page, but lifecycle sinks learn of them', async () => {
    const d = deps();
    d.config = { ...d.config, suppressions: [{ rule: 'no-internet-ssh', cluster: 'prod', reason: 'bastion migration', expires: '2999-01-01' }] };
    await sweep(d, { sweepId: 'sweep:deploy' });
    const [digest, ...rest] = payloads(d);
    expect(digest.digest?.byRule.map((r) => r.ruleId)).not.toContain('no-internet-ssh');
    expect(rest.map((p) => [p.attributes.change.StringValue, p.cause, p.cluster])).toEqual([['["suppressed"]', 'first-check', 'prod']]);
    expect([...new Set(rest[0].changes.map((c) => c.finding.ruleId))]).toEqual(['no-internet-ssh']);
  });

  it("after the baseline, a call's alert names who made it (event); a change no event reported is the sweep's", async () => {
    const store = await deployed();
    const d = deps(undefined, store);
    await processEvent(sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'), d);
    expect(changesOf(d)).toEqual(['event opened prod no-internet-ssh sg-0aa1111111111111a']);
    expect(whoOf(payloads(d)[0])).toBe('arn:aws:sts::111122223333:assumed-role/dev-admin/alice');
    expect(payloads(d)[0].attributes.cause).toEqual({ DataType: 'String', StringValue: 'event' });

    // The endpoint made public, the trail stopped, IMDSv1 turned back on for a node, the creation role given
    // AdministratorAccess and a self-managed group created with a key: all with no event reaching the detector.
    const silent = demo();
    const s = deps(new WorldReader(silent), store);
    await sweep(s, { sweepId: 'sweep:later' });
    expect(changesOf(s).sort()).toEqual([
      'sweep opened account cloudtrail-enabled arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit',
      'sweep opened prod creator-role-dedicated arn:aws:iam::111122223333:role/eks-creator',
      'sweep opened prod endpoint-not-public prod',
      'sweep opened prod node-imds-restricted i-0aa1111111111111a',
      'sweep opened prod nodegroup-no-ssh-key prod-self-managed',
    ]);
    expect(s.published.map((n) => n.Message).join()).not.toContain('alice');
  });

  it("IMDSv1 turned back on for a node (ModifyInstanceMetadataOptions): the instance's alert names who did it", async () => {
    const d = deps(undefined, await deployed());
    await processEvent(sample('ec2-ModifyInstanceMetadataOptions-node-imdsv1.json'), d);
    expect(changesOf(d)).toEqual(['event opened prod node-imds-restricted i-0aa1111111111111a']);
    expect(whoOf(payloads(d)[0])).toBe('arn:aws:sts::111122223333:assumed-role/dev-admin/alice');
    expect(payloads(d)[0].changes[0].finding.message).toContain('node i-0aa1111111111111a of node group prod-ng-ssh lets pods take the node role');
  });

  it("a rule added after the deployment: events leave its findings to the next sweep's digest, blaming no one", async () => {
    const store = new MemoryFindingStore();
    const without = { ...config, rules: { ...config.rules, 'no-internet-ingress': { enabled: false } } };
    await sweep({ ...deps(new WorldReader(worldAtDeploy(demo())), store), config: without }, { sweepId: 'sweep:deploy' });

    const d = deps(undefined, store); // redeployed with the rule; the story's calls happen
    const story = [
      'ec2-AuthorizeSecurityGroupIngress-ssh-world.json',
      'eks-UpdateClusterConfig-public-endpoint.json',
      'cloudtrail-StopLogging-by-arn.json',
      'ec2-ModifyInstanceMetadataOptions-node-imdsv1.json',
      'iam-AttachRolePolicy-creator-role.json',
      'autoscaling-CreateAutoScalingGroup-self-managed-nodes.json',
    ];
    for (const e of story) await processEvent(sample(e), d);
    expect(changesOf(d)).toEqual([
      'event opened prod no-internet-ssh sg-0aa1111111111111a',
      'event opened prod endpoint-not-public prod',
      'event opened account cloudtrail-enabled arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit',
      'event opened prod node-imds-restricted i-0aa1111111111111a',
      'event opened prod creator-role-dedicated arn:aws:iam::111122223333:role/eks-creator',
      'event opened prod nodegroup-no-ssh-key prod-self-managed',
    ]);

    const s = deps(undefined, store);
    await sweep(s, { sweepId: 'sweep:after-redeploy' });
    expect(s.published).toHaveLength(1);
    expect(payloads(s)[0]).toMatchObject({ cause: 'first-check', digest: { baseline: false } });
    expect(changesOf(s)).toEqual(['first-check opened prod no-internet-ingress sg-0aa4444444444444a']);
  });

  it('a cluster created by the CreateCluster call: what it violates from birth is the creator’s doing', async () => {
    const before = demo();
    before.eks.clusters = before.eks.clusters.filter((c) => c.name !== 'payments');
    const store = new MemoryFindingStore();
    await sweep(deps(new WorldReader(before), store), { sweepId: 'sweep:deploy' });

    const born = demo();
    const payments = born.eks.clusters.find((c) => c.name === 'payments')!;
    payments.resourcesVpcConfig = { ...payments.resourcesVpcConfig, endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] };
    const d = deps(new WorldReader(born), store);
    await processEvent(sample('eks-CreateCluster.json'), d);
    expect(changesOf(d)).toEqual(['event opened payments endpoint-not-public payments']);
    expect(whoOf(payloads(d)[0])).toBe('arn:aws:sts::111122223333:assumed-role/platform-deployer/terraform');
  });
});

describe('a finding whose severity rises is announced (escalated)', () => {
  const prodOf = (w: World) => w.eks.clusters.find((c) => c.name === 'prod')!;
  const sshGroupOf = (w: World) => w.eks.nodegroups.find((g) => g.nodegroupName === 'prod-ng-ssh')!;
  const severityOf = async (store: FindingStore, ruleId: string, resourceId: string) =>
    (await store.listFindings()).filter((s) => s.finding.ruleId === ruleId && s.finding.resourceId === resourceId).map((s) => `${s.status} ${s.finding.severity}`);
  const at = (iso: string) => () => new Date(iso);
  /** prod on 1.32 in a live account (judged at each sweep's own moment): extended support ends 2027-03-23. */
  const onExtendedSupport = () => {
    const w = demo();
    delete w.recordedAt;
    prodOf(w).version = '1.32';
    return w;
  };
  /** The deployment's account, with prod-ng-ssh's SSH key reachable only from the bastion's security group. */
  const sshFromBastion = () => {
    const w = worldAtDeploy(demo());
    sshGroupOf(w).remoteAccess = { ec2SshKey: 'ops-key', sourceSecurityGroups: ['sg-0bb5555555555555a'] };
    return w;
  };

  it('the day extended support ends, the sweep publishes ONE change: medium rose to high, cause sweep', async () => {
    const store = new MemoryFindingStore();
    await sweep({ ...deps(new WorldReader(onExtendedSupport()), store), clock: at('2027-03-22T12:00:00Z') }, { sweepId: 'sweep:march-22', now: new Date('2027-03-22T12:00:00Z') });
    expect(await severityOf(store, 'kubernetes-version-supported', 'prod')).toEqual(['open medium']);
    const next = { ...deps(new WorldReader(onExtendedSupport()), store), clock: at('2027-03-23T12:00:00Z') };
    await sweep(next, { sweepId: 'sweep:march-23', now: new Date('2027-03-23T12:00:00Z') });

    expect(changesOf(next)).toEqual(['sweep escalated prod kubernetes-version-supported prod']);
    const [p] = payloads(next);
    expect(p.changes[0]).toMatchObject({ change: 'escalated', cause: 'sweep', previousSeverity: 'medium', finding: { severity: 'high' } });
    expect(p.attributes).toMatchObject({ change: { StringValue: '["escalated"]' }, severity: { StringValue: 'high' }, cause: { StringValue: 'sweep' } });
    const [message] = next.published;
    expect(message.Subject).toMatch(/^ESCALATED \[HIGH\] prod: .*\(was MEDIUM\)/);
    expect(message.Message).toContain('ESCALATED [HIGH] kubernetes-version-supported: cluster prod runs Kubernetes 1.32, past the end of extended support (2027-03-23) (was MEDIUM)');
    expect(message.Message).not.toMatch(/Who:/);
    expect(await severityOf(store, 'kubernetes-version-supported', 'prod')).toEqual(['open high']);
  });

  it('a node group recreated without a source restriction on its SSH key: high rose to critical, cause event, blaming the caller', async () => {
    const store = new MemoryFindingStore();
    await sweep(deps(new WorldReader(sshFromBastion()), store), { sweepId: 'sweep:deploy' });
    expect(await severityOf(store, 'nodegroup-no-ssh-key', 'prod-ng-ssh')).toEqual(['open high']);
    const open = worldAtDeploy(demo()); // prod-ng-ssh as CreateNodegroup made it: ops-key, no source security groups
    const d = deps(new WorldReader(open), store);
    await processEvent(sample('eks-CreateNodegroup-ssh-no-source-sg.json'), d);

    expect(changesOf(d)).toEqual(['event escalated prod nodegroup-no-ssh-key prod-ng-ssh']);
    const [p] = payloads(d);
    expect(p.changes[0]).toMatchObject({ previousSeverity: 'high', finding: { severity: 'critical' } });
    expect(whoOf(p)).toBe('arn:aws:sts::111122223333:assumed-role/dev-admin/alice');
    expect(p.attributes).toMatchObject({ change: { StringValue: '["escalated"]' }, severity: { StringValue: 'critical' }, cause: { StringValue: 'event' } });
    expect(d.published[0].Subject).toMatch(/^ESCALATED \[CRITICAL\] prod: node group prod-ng-ssh .*\(was HIGH\)/);
    expect(d.published[0].Message).toContain('Who: arn:aws:sts::111122223333:assumed-role/dev-admin/alice');
    // Redelivered: announced once.
    await processEvent(sample('eks-CreateNodegroup-ssh-no-source-sg.json'), d);
    expect(d.published).toHaveLength(1);
  });

  it('a severity that falls is stored without an alert', async () => {
    const store = new MemoryFindingStore();
    await sweep(deps(new WorldReader(worldAtDeploy(demo())), store), { sweepId: 'sweep:deploy' });
    expect(await severityOf(store, 'nodegroup-no-ssh-key', 'prod-ng-ssh')).toEqual(['open critical']);
    const d = deps(new WorldReader(sshFromBastion()), store);
    await sweep(d, { sweepId: 'sweep:next' });
    expect(changesOf(d)).toEqual([]);
    expect(await severityOf(store, 'nodegroup-no-ssh-key', 'prod-ng-ssh')).toEqual(['open high']);
  });

  it('a suppressed finding stays silent when its severity rises', async () => {
    const store = new MemoryFindingStore();
    const silenced = (reader: AwsReader) => {
      const d = deps(reader, store);
      d.config = { ...d.config, suppressions: [{ rule: 'nodegroup-no-ssh-key', cluster: 'prod', reason: 'bastion migration', expires: '2999-01-01' }] };
      return d;
    };
    await sweep(silenced(new WorldReader(sshFromBastion())), { sweepId: 'sweep:deploy' });
    const d = silenced(new WorldReader(worldAtDeploy(demo())));
    await sweep(d, { sweepId: 'sweep:next' });
    expect(changesOf(d)).toEqual([]);
    expect(await severityOf(store, 'nodegroup-no-ssh-key', 'prod-ng-ssh')).toEqual(['suppressed critical']);
  });

  it('an escalation SNS refused is delivered by the next sweep, under the call that caused it', async () => {
    const store = new MemoryFindingStore();
    await sweep(deps(new WorldReader(sshFromBastion()), store), { sweepId: 'sweep:deploy' });
    const refused = { ...deps(new WorldReader(worldAtDeploy(demo())), store), publish: async () => Promise.reject(new Error('SNS: KMSAccessDeniedException')) };
    await expect(processEvent(sample('eks-CreateNodegroup-ssh-no-source-sg.json'), refused)).rejects.toThrow(/KMSAccessDenied/);
    const next = deps(new WorldReader(worldAtDeploy(demo())), store);
    await sweep(next, { sweepId: 'sweep:next' });
    expect(changesOf(next)).toEqual(['event escalated prod nodegroup-no-ssh-key prod-ng-ssh']);
    expect(whoOf(payloads(next)[0])).toBe('arn:aws:sts::111122223333:assumed-role/dev-admin/alice');
    await sweep(deps(new WorldReader(worldAtDeploy(demo())), store), { sweepId: 'sweep:after' });
    expect((await store.listFindings()).flatMap((s) => s.pending ?? [])).toEqual([]);
  });
});

describe('region', () => {
  it('ignores a call made in another region with that reason, and touches nothing here', async () => {
    const store = await deployed();
    const before = await store.listFindings();
    const e = sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json');
    e.region = 'eu-west-1';
    e.detail.awsRegion = 'eu-west-1'; // same group id, another region's group
    const d = deps(undefined, store);
    await expect(processEvent(e, d)).resolves.toMatchObject({ status: 'ignored', reason: 'call made in region eu-west-1, this deployment watches us-east-1' });
    expect(d.published).toEqual([]);
    expect(await store.listFindings()).toEqual(before);
  });
});

describe('no lost alert', () => {
  const refusing = (store: FindingStore, reader?: AwsReader) => ({ ...deps(reader, store), publish: async () => Promise.reject(new Error('SNS: KMSAccessDeniedException')) });

  it('a sweep whose publish failed fails the invocation, and the next sweep delivers what it left', async () => {
    const store = await deployed();
    const failed = refusing(store);
    const out = await sweep(failed, { sweepId: 'sweep:refused' });
    expect(out.errors).toEqual(expect.arrayContaining([expect.objectContaining({ stage: 'publish', cluster: 'prod' })]));
    const next = deps(undefined, store);
    await sweep(next, { sweepId: 'sweep:next' });
    expect(changesOf(next).sort()).toEqual([
      'sweep opened account cloudtrail-enabled arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit',
      'sweep opened prod creator-role-dedicated arn:aws:iam::111122223333:role/eks-creator',
      'sweep opened prod endpoint-not-public prod',
      'sweep opened prod no-internet-ssh sg-0aa1111111111111a',
      'sweep opened prod node-imds-restricted i-0aa1111111111111a',
      'sweep opened prod nodegroup-no-ssh-key prod-self-managed',
    ]);
  });

  it('an event whose every delivery failed (it is in the DLQ) is announced by the next sweep, naming the caller', async () => {
    const store = await deployed();
    for (let attempt = 0; attempt < 3; attempt++) {
      await expect(processEvent(sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'), refusing(store))).rejects.toThrow(/KMSAccessDenied/);
    }
    const next = deps(new WorldReader(demo()), store);
    await sweep(next, { sweepId: 'sweep:next' });
    const ssh = payloads(next).find((p) => p.changes.some((c) => c.finding.ruleId === 'no-internet-ssh'))!;
    expect(ssh).toMatchObject({ cause: 'event', cluster: 'prod' });
    expect(whoOf(ssh)).toBe('arn:aws:sts::111122223333:assumed-role/dev-admin/alice');
  });

  it('the next event on the cluster delivers what a failed one left, each under its own trigger', async () => {
    const store = await deployed();
    await expect(processEvent(sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'), refusing(store))).rejects.toThrow();
    const next = deps(undefined, store);
    await processEvent(sample('eks-UpdateClusterConfig-public-endpoint.json'), next);
    expect(changesOf(next).sort()).toEqual(['event opened prod endpoint-not-public prod', 'event opened prod no-internet-ssh sg-0aa1111111111111a']);
    expect(payloads(next).map((p) => (p.trigger.kind === 'event' ? p.trigger.eventName : '')).sort()).toEqual(['AuthorizeSecurityGroupIngress', 'UpdateClusterConfig']);
  });
});

describe('stale verdicts (dynalite)', () => {
  let dyn: Dynalite;
  beforeAll(async () => {
    dyn = await startDynalite();
  });
  afterAll(() => dyn.stop());

  it('a slow sweep that read the group before a call opened SSH never announces it resolved', async () => {
    const store = await deployed(new DynamoFindingStore(await dyn.createFindingsTable(), dyn.client));
    // The sweep reads the account as it was before alice's call, and is held in its security-group read.
    let reached!: () => void;
    let release!: () => void;
    const inRead = new Promise<void>((r) => (reached = r));
    const go = new Promise<void>((r) => (release = r));
    const slow = new Proxy(new WorldReader(worldAtDeploy(demo())), {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop !== 'describeSecurityGroups') return typeof v === 'function' ? v.bind(target) : v;
        return async (...args: Parameters<WorldReader['describeSecurityGroups']>) => {
          reached();
          await go;
          return target.describeSecurityGroups(...args);
        };
      },
    });
    const s = deps(slow, store);
    const sweeping = sweep(s, { sweepId: 'sweep:slow' });
    await inRead;
    const e = deps(undefined, store);
    await processEvent(sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'), e);
    expect(changesOf(e)).toEqual(['event opened prod no-internet-ssh sg-0aa1111111111111a']);
    release();
    await sweeping;
    expect(changesOf(s)).toEqual([]);
    const ssh = (await store.listFindings()).find((f) => f.finding.ruleId === 'no-internet-ssh' && f.finding.resourceId === 'sg-0aa1111111111111a');
    expect(ssh?.status).toBe('open');
  });
});

describe('a sweep reads the account once', () => {
  it('its verdicts are as old as its start: a call judged meanwhile is never undone by a cluster swept after it', async () => {
    // prod-2 shares prod's cluster security group. The sweep reads every group at once, for prod, before alice opens
    // SSH on it; it is held on payments, and sweeps prod-2 after alice's call was judged.
    const before = withCopiesOfProd(worldAtDeploy(demo()), 1);
    const after = withCopiesOfProd(demo(), 1);
    const store = new MemoryFindingStore();
    await sweep(deps(new WorldReader(before), store), { sweepId: 'sweep:deploy' });
    let reached!: () => void;
    let release!: () => void;
    const atPayments = new Promise<void>((r) => (reached = r));
    const go = new Promise<void>((r) => (release = r));
    const held = new Proxy(new WorldReader(before), {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop !== 'describeCluster') return typeof v === 'function' ? v.bind(target) : v;
        return async (name: string) => {
          if (name === 'payments') {
            reached();
            await go;
          }
          return target.describeCluster(name);
        };
      },
    });
    let minute = 0;
    const base = Date.now() + 3600_000;
    const clock = () => new Date(base + minute * 60_000);
    const s = { ...deps(held, store), clock };
    const sweeping = sweep(s, { sweepId: 'sweep:slow', concurrency: 1 });
    await atPayments;
    minute = 1;
    const e = { ...deps(new WorldReader(after), store), clock };
    await processEvent(sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'), e);
    expect(changesOf(e)).toContain('event opened prod-2 no-internet-ssh sg-0aa1111111111111a');
    minute = 2;
    release();
    await sweeping;
    expect(changesOf(s).filter((c) => c.includes('prod-2') && c.includes('no-internet-ssh'))).toEqual([]);
    const ssh = (await store.listFindings()).find((f) => f.finding.cluster === 'prod-2' && f.finding.ruleId === 'no-internet-ssh' && f.finding.resourceId === 'sg-0aa1111111111111a');
    expect(ssh?.status).toBe('open');
  });
});

describe('CreateCluster records kept in the store', () => {
  /** A Lambda container of a deployment: the deployment's store, its own reader (LookupEvents counted) and index. */
  function containerOf(store: MemoryFindingStore, world: World = demo()) {
    let lookups = 0;
    const r = new WorldReader(world);
    const reader: AwsReader = new Proxy(r, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop === 'lookupEvents') return (...args: Parameters<AwsReader['lookupEvents']>) => (lookups++, target.lookupEvents(...args));
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const d = { ...deps(reader, store), state: store.state, indexCache: createClusterIndexCache({ state: store.state }) };
    return { deps: d, lookups: () => lookups };
  }
  const creatorOf = (out: { findings: { ruleId: string; evidence: Record<string, unknown> }[] }) => out.findings.find((f) => f.ruleId === 'creator-role-dedicated')?.evidence.identifiedBy;

  it('once a sweep copied them in, an access-entry event in a fresh container never waits for LookupEvents', async () => {
    const store = new MemoryFindingStore();
    await sweep(containerOf(store).deps, { sweepId: 'sweep:deploy' });
    const cold = containerOf(store);
    const out = await processEvent(sample('eks-DeleteAccessEntry-creator.json'), cold.deps);
    expect(out.status).toBe('processed');
    expect(cold.lookups()).toBe(0);
    expect(cold.deps.log.entries.filter((e) => e.message === 'rule not evaluated')).toEqual([]);
  });

  it('are asked in order: the CreateCluster event being processed, the store, then LookupEvents, whose finds are kept', async () => {
    const store = new MemoryFindingStore();
    // Before any sweep the store knows nothing: LookupEvents is read (once for the event), and what it found is kept.
    const first = containerOf(store);
    expect((await processEvent(sample('iam-AttachRolePolicy-creator-role.json'), first.deps)).clusters).toEqual(['prod']);
    expect(first.lookups()).toBe(1);
    expect((await store.state.creatorRecords()).map((r) => r.cluster).sort()).toEqual(['payments', 'prod']);
    // The CreateCluster call of payments, seen live, names its creator itself.
    const ev = sample('eks-CreateCluster.json');
    ev.detail.eventTime = '2026-02-01T11:59:40Z';
    ev.detail.userIdentity = { type: 'IAMUser', principalId: 'AIDA3EXAMPLEALICE', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333', userName: 'alice' };
    expect(creatorOf(await processEvent(ev, containerOf(store).deps))).toBe(`CreateCluster record ${ev.detail.eventID} from the CreateCluster event being processed`);
    expect((await store.state.creatorRecords()).some((r) => r.event.EventId === ev.detail.eventID)).toBe(true);
    // After a sweep copied LookupEvents in, a fresh container finds prod's record in the store and asks nothing else.
    await sweep(containerOf(store).deps, { sweepId: 'sweep:1' });
    const later = containerOf(store);
    expect(creatorOf(await processEvent(sample('iam-AttachRolePolicy-creator-role.json'), later.deps))).toMatch(/from the CreateCluster records eks-drift keeps$/);
    expect(later.lookups()).toBe(0);
  });

  it("stay known after LookupEvents' 90 days: the creator rule is still evaluated from the store", async () => {
    const store = new MemoryFindingStore();
    await sweep(containerOf(store).deps, { sweepId: 'sweep:deploy' });
    const aged = demo();
    aged.cloudtrailEvents = [];
    const out = await sweep(containerOf(store, aged).deps, { sweepId: 'sweep:100-days-later' });
    const prod = out.scopes.find((s) => s.cluster === 'prod')!;
    expect(prod.notEvaluated.filter((n) => n.ruleId === 'creator-role-dedicated')).toEqual([]);
    expect(prod.changes.resolved.filter((f) => f.ruleId === 'creator-role-dedicated')).toEqual([]);
    // Without the store, the same account has no record of prod's creation any more.
    const forgetful = await sweep(deps(new WorldReader(aged)), { sweepId: 'sweep:no-state' });
    const without = forgetful.scopes.find((s) => s.cluster === 'prod')!;
    const found = without.changes.opened.find((f) => f.ruleId === 'creator-role-dedicated');
    expect(found?.evidence.identifiedBy ?? 'not evaluated').not.toMatch(/CreateCluster record/);
  });
});

describe('AWS managed policies kept in the store', () => {
  const WORKER = 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy';
  const hour = (h: number) => new Date(Date.UTC(2026, 10, 20, h));
  /** A container of the deployment at `now`: the store every container shares, its own reader counting IAM policy reads. */
  function containerAt(store: MemoryFindingStore, world: World, now: Date) {
    const policyReads: string[] = [];
    const r = new WorldReader(world);
    const reader: AwsReader = new Proxy(r, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop === 'getPolicy' || prop === 'getPolicyVersion') return (...a: [string, string]) => (policyReads.push(`${prop} ${a.join(' ')}`), (v as (...x: [string, string]) => unknown).apply(target, a));
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const d = { ...deps(reader, store), state: store.state, indexCache: createClusterIndexCache({ state: store.state }), clock: () => now };
    return { deps: d, policyReads };
  }
  /** AWS publishes v4 of AmazonEKSWorkerNodePolicy, which (in this story) also grants what Session Manager needs. */
  function afterAwsUpdate(): World {
    const w = demo();
    const worker = w.iam.policies.find((p) => p.Arn === WORKER)!;
    const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ec2:Describe*', 'eks:DescribeCluster', 'ssm:UpdateInstanceInformation', 'ssmmessages:*'], Resource: '*' }] };
    worker.PolicyVersionList = [...(worker.PolicyVersionList ?? []).map((v) => ({ ...v, IsDefaultVersion: false })), { VersionId: 'v4', IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify(doc)) }];
    worker.DefaultVersionId = 'v4';
    return w;
  }
  const ssmFinding = (findings: { ruleId: string; resourceId: string }[]) => findings.find((f) => f.ruleId === 'nodes-ssm-managed' && f.resourceId.endsWith('role/prod-node-role'));

  it('after a sweep kept them, a node-role event in a fresh container asks IAM only about customer policies, and judges alike', async () => {
    const store = new MemoryFindingStore();
    await sweep(containerAt(store, demo(), hour(0)).deps, { sweepId: 'sweep:deploy' });
    const cold = containerAt(store, demo(), hour(1));
    const out = await processEvent(sample('iam-DeleteRolePolicy-node-role.json'), cold.deps);
    expect(cold.policyReads.filter((p) => p.includes(':iam::aws:policy/'))).toEqual([]);
    const live = await processEvent(sample('iam-DeleteRolePolicy-node-role.json'), deps());
    const judged = (o: EventOutcome) => o.findings.filter((f) => f.ruleId === 'nodes-ssm-managed').map((f) => [f.resourceId, f.evidence]);
    expect(judged(out)).toEqual(judged(live));
    expect(ssmFinding(out.findings)).toBeDefined();
  });

  it('a new default version AWS publishes: the next sweep judges with it, and every event once the kept check is a day old', async () => {
    const store = new MemoryFindingStore();
    await sweep(containerAt(store, demo(), hour(0)).deps, { sweepId: 'sweep:deploy' });
    // Within the day, an event judges with the version the sweep kept.
    const soon = await processEvent(sample('iam-DeleteRolePolicy-node-role.json'), containerAt(store, afterAwsUpdate(), hour(2)).deps);
    expect(ssmFinding(soon.findings)).toBeDefined();
    // The next sweep asks IAM about every AWS managed policy again and judges with v4.
    const next = containerAt(store, afterAwsUpdate(), hour(6));
    const swept = await sweep(next.deps, { sweepId: 'sweep:6h' });
    expect(next.policyReads).toContain(`getPolicyVersion ${WORKER} v4`);
    expect(swept.scopes.find((s) => s.cluster === 'prod')?.changes.resolved.map((f) => f.ruleId)).toContain('nodes-ssm-managed');

    // Without sweeps, an event asks again once the kept check is older than a day.
    const unswept = new MemoryFindingStore();
    await sweep(containerAt(unswept, demo(), hour(0)).deps, { sweepId: 'sweep:deploy' });
    const late = containerAt(unswept, afterAwsUpdate(), hour(25));
    const out = await processEvent(sample('iam-DeleteRolePolicy-node-role.json'), late.deps);
    expect(late.policyReads).toEqual(expect.arrayContaining([`getPolicy ${WORKER}`, `getPolicyVersion ${WORKER} v4`]));
    expect(ssmFinding(out.findings)).toBeUndefined();
  });
});

describe("an IAM role's change re-checks, on each cluster, the rules of what the role is there", () => {
  /** A fresh container of a deployment whose baseline sweep kept the index and the records: its reads counted. */
  async function counted(world: World = demo()) {
    const store = new MemoryFindingStore();
    const stateOf = (d: PipelineDeps) => ({ ...d, state: store.state, indexCache: createClusterIndexCache({ state: store.state }) });
    await sweep(stateOf(deps(new WorldReader(world), store)), { sweepId: 'sweep:deploy' });
    const { proxy, calls } = countingCalls(new WorldReader(world));
    const roles: string[] = [];
    const reader: AwsReader = new Proxy(proxy, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop === 'getRole') return (name: string) => (roles.push(name), (v as (n: string) => unknown)(name));
        return v;
      },
    });
    return { deps: stateOf(deps(reader, store)), calls, roles };
  }

  it('a creator role: the creator rule alone, without reading a node of the cluster', async () => {
    const c = await counted();
    const out = await processEvent(sample('iam-AttachRolePolicy-creator-role.json'), c.deps);
    expect(out).toMatchObject({ status: 'processed', clusters: ['prod'] });
    expect(out.findings.find((f) => f.ruleId === 'creator-role-dedicated')).toMatchObject({ resourceId: 'arn:aws:iam::111122223333:role/eks-creator' });
    expect([c.calls.listNodegroups, c.calls.describeInstances, c.calls.describeAutoScalingGroups]).toEqual([undefined, undefined, undefined]);
    expect(c.roles).toEqual(['eks-creator']);
  });

  it('a node role: Session Manager alone, without reading the creator or its role', async () => {
    const c = await counted();
    const out = await processEvent(sample('iam-PutRolePolicy-node-role.json'), c.deps);
    expect(out).toMatchObject({ status: 'processed', clusters: ['payments'] });
    expect(c.roles).toEqual(['eks-node-role']);
    expect(c.calls.listAccessEntries).toBeUndefined();
  });

  it('a role that created the cluster and runs its nodes: both', async () => {
    const world = demo();
    world.eks.nodegroups.find((n) => n.nodegroupName === 'prod-ng-ssh')!.nodeRole = 'arn:aws:iam::111122223333:role/eks-creator';
    const c = await counted(world);
    await processEvent(sample('iam-AttachRolePolicy-creator-role.json'), c.deps);
    expect(c.calls.listNodegroups).toBeGreaterThan(0);
    expect(c.calls.listAccessEntries).toBeGreaterThan(0);
  });

  it('a trust policy change of a role that only runs nodes changes nothing a rule reads: ignored with the reason', async () => {
    const ev = sample('iam-UpdateAssumeRolePolicy-any-principal.json');
    ev.detail.requestParameters.roleName = 'prod-node-role';
    const c = await counted();
    const out = await processEvent(ev, c.deps);
    expect(out).toMatchObject({ status: 'ignored', reason: 'UpdateAssumeRolePolicy changes nothing a rule reads of IAM role prod-node-role on prod (node role there)' });
    expect(c.calls.describeCluster).toBeUndefined();
  });
});

describe('launch template versions kept in the store', () => {
  it("after a sweep, a fresh container reads a node group's pinned version from the store, and judges alike", async () => {
    const store = new MemoryFindingStore();
    const container = (reader: AwsReader) => ({ ...deps(reader, store), state: store.state, indexCache: createClusterIndexCache({ state: store.state }) });
    await sweep(container(new WorldReader(demo())), { sweepId: 'sweep:deploy' });
    const inner = new WorldReader(demo());
    const asked = jest.spyOn(inner, 'describeLaunchTemplateVersions');
    const out = await processEvent(sample('ec2-CreateLaunchTemplateVersion-ssh-key-public-ip.json'), container(inner));
    // prod-ng-lt pins version 2 (kept); prod-self-managed launches from $Default (asked every time).
    expect(asked.mock.calls.map(([q]) => q.versions)).toEqual([['$Default']]);
    const live = await processEvent(sample('ec2-CreateLaunchTemplateVersion-ssh-key-public-ip.json'), deps());
    const judged = (o: EventOutcome) => o.scopes.flatMap((s) => [...s.changes.open]).filter((f) => ['nodegroup-no-ssh-key', 'nodes-no-public-ip'].includes(f.ruleId)).map((f) => [f.ruleId, f.resourceId, f.evidence]);
    expect(judged(out)).toEqual(judged(live));
  });
});
