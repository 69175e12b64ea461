import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Suppression } from '../../src/config';
import { findingKey, type Finding } from '../../src/findings/finding';
import { EventInProgressError, notices, type Changes, type FindingStore, type ReconcileInput, type ScopeState } from '../../src/findings/store';
import { BackendFindingStore } from '../../src/findings/backendStore';
import type { Trigger } from '../../src/findings/trigger';
import { MemoryBackend, MemoryFindingStore } from '../../src/findings/memoryStore';
import { FileFindingStore } from '../../src/findings/fileStore';
import { DynamoFindingStore } from '../../src/findings/dynamoStore';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InputError } from '../../src/errors';
import { startDynalite, type Dynalite } from '../support/dynalite';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const PROD_ARN = `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/prod`;

function finding(ruleId: string, resourceId: string, over: Partial<Finding> = {}): Finding {
  return {
    ruleId,
    severity: 'critical',
    account: ACCOUNT,
    region: REGION,
    cluster: 'prod',
    clusterArn: PROD_ARN,
    resourceType: 'AWS::EC2::SecurityGroup',
    resourceId,
    message: `${resourceId} violates ${ruleId}`,
    evidence: { port: 22 },
    guideline: 'Control SSH Access to Nodes',
    remediation: 'Remove the rule',
    ...over,
  };
}

const ssh = finding('no-internet-ssh', 'sg-1');
const ingress = finding('no-internet-ingress', 'sg-1', { severity: 'high' });
const ALL = ['no-internet-ssh', 'no-internet-ingress', 'endpoint-not-public'];

/** Ids starting with "sweep" are sweeps; others CloudTrail events by alice. */
export function triggerFor(id: string): Trigger {
  return id.startsWith('sweep')
    ? { kind: 'sweep', sweepId: id, time: '2026-11-29T05:00:00.000Z' }
    : { kind: 'event', eventId: id, eventName: 'AuthorizeSecurityGroupIngress', eventSource: 'ec2.amazonaws.com', eventTime: '2026-11-29T05:00:00Z', principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/dev-admin/alice` };
}

function input(eventId: string, findings: Finding[], over: Partial<ReconcileInput> = {}): ReconcileInput {
  return { account: ACCOUNT, region: REGION, cluster: 'prod', clusterArn: PROD_ARN, ruleIds: ALL, findings, trigger: triggerFor(eventId), ...over };
}

const keys = (fs: Finding[]) => fs.map(findingKey).sort();

/** Reconcile, then acknowledge publication, as the pipeline does. */
async function run(store: FindingStore, i: ReconcileInput, sup: Suppression[] = []): Promise<Changes> {
  const c = await store.reconcile(i, sup);
  await store.acknowledge(c.deliveries);
  return c;
}

let dyn: Dynalite;
beforeAll(async () => {
  dyn = await startDynalite();
});
afterAll(async () => {
  await dyn.stop();
});

const stores: [string, () => Promise<FindingStore>][] = [
  ['MemoryFindingStore', async () => new MemoryFindingStore()],
  ['FileFindingStore', async () => new FileFindingStore(join(mkdtempSync(join(tmpdir(), 'eks-drift-state-')), 'state.json'))],
  ['DynamoFindingStore (dynalite)', async () => new DynamoFindingStore(await dyn.createFindingsTable(), dyn.client)],
];

describe.each(stores)('%s', (_name, make) => {
  let store: FindingStore;
  beforeEach(async () => {
    store = await make();
  });

  describe('the diff', () => {
    it('opens what newly violates, stays quiet while it still does, resolves it once fixed', async () => {
      const first = await run(store, input('e1', [ssh, ingress]));
      expect(keys(first.opened)).toEqual(keys([ssh, ingress]));
      expect(first.resolved).toEqual([]);

      const again = await run(store, input('e2', [ssh, ingress]));
      expect(again).toMatchObject({ opened: [], resolved: [], duplicate: false });

      const fixed = await run(store, input('e3', [ingress]));
      expect(fixed.opened).toEqual([]);
      expect(fixed.resolved).toEqual([ssh]);

      expect((await store.listFindings({ clusterArn: PROD_ARN, status: 'open' })).map((s) => s.finding)).toEqual([ingress]);
      expect((await store.listFindings({ status: 'resolved' })).map((s) => s.key)).toEqual([findingKey(ssh)]);
    });

    it('re-opens a resolved finding that violates again', async () => {
      await run(store, input('e1', [ssh]));
      await run(store, input('e2', []));
      const back = await run(store, input('e3', [ssh]));
      expect(back.opened).toEqual([ssh]);
    });

    it('updates a still-open finding whose details changed without re-opening it', async () => {
      await run(store, input('e1', [ssh]));
      const changed = { ...ssh, message: 'sg-1 allows SSH from 0.0.0.0/0 and ::/0', evidence: { port: 22, cidrs: ['0.0.0.0/0', '::/0'] } };
      const c = await run(store, input('e2', [changed]));
      expect(c).toMatchObject({ opened: [], resolved: [] });
      const [stored] = await store.listFindings({ clusterArn: PROD_ARN });
      expect(stored.finding).toEqual(changed);
      expect(stored.status).toBe('open');
    });

    it('announces a severity that rose (escalated, with the one it had) once; one that fell is stored silently', async () => {
      const medium = { ...ingress, severity: 'medium' as const };
      await run(store, input('e1', [medium]));
      const rose = await store.reconcile(input('e2', [ingress]), []);
      expect(rose).toMatchObject({ opened: [], escalated: [ingress], resolved: [] });
      expect(notices(rose.deliveries).map((n) => [n.change, n.cause, n.previousSeverity, n.finding.severity])).toEqual([['escalated', 'event', 'medium', 'high']]);
      await store.acknowledge(rose.deliveries);
      expect(await run(store, input('e2', [ingress]))).toMatchObject({ duplicate: true });
      const fell = await run(store, input('e3', [medium]));
      expect(fell).toMatchObject({ opened: [], escalated: [], resolved: [], deliveries: [] });
      const [stored] = await store.listFindings({ clusterArn: PROD_ARN });
      expect(stored).toMatchObject({ status: 'open', finding: medium });
      expect(stored.pending).toBeUndefined();
    });

    it('an escalation SNS refused waits in the store and is handed out by the next invocation, under its trigger and with the severity it had', async () => {
      await run(store, input('e1', [{ ...ingress, severity: 'medium' }]));
      await store.release((await store.reconcile(input('e2', [ingress]), [])).deliveries);
      const next = await run(store, input('sweep-1', [ingress]));
      expect(notices(next.deliveries).map((n) => [n.change, n.cause, n.previousSeverity, n.delivery.eventId])).toEqual([['escalated', 'event', 'medium', 'e2']]);
      expect((await store.listFindings())[0].pending).toBeUndefined();
    });

    it('does not rewrite an unchanged finding (whatever order the store gives its keys back in)', async () => {
      const rich = finding('no-internet-ssh', 'sg-9', { evidence: { zeta: 1, alpha: { y: [1, 2], x: 'a' }, mid: null } });
      await run(store, input('e1', [rich]));
      const [before] = await store.listFindings();
      await run(store, input('e2', [{ ...rich, evidence: { mid: null, alpha: { x: 'a', y: [1, 2] }, zeta: 1 } }]));
      expect((await store.listFindings())[0]).toEqual(before);
    });

    it('leaves findings of rules that were not evaluated untouched', async () => {
      await run(store, input('e1', [ssh, ingress]));
      const c = await run(store, input('e2', [], { ruleIds: ['no-internet-ingress'] }));
      expect(c.resolved).toEqual([ingress]);
      expect((await store.listFindings({ status: 'open' })).map((s) => s.finding)).toEqual([ssh]);
    });

    it('keeps clusters apart: a cluster and an account-level scope never resolve each other', async () => {
      const staging = finding('no-internet-ssh', 'sg-1', { cluster: 'staging', clusterArn: PROD_ARN.replace('prod', 'staging') });
      const trail = finding('cloudtrail-enabled', ACCOUNT, { cluster: null, clusterArn: null, resourceType: 'AWS::::Account' });
      await run(store, input('e1', [ssh]));
      await run(store, input('e1', [staging], { cluster: 'staging', clusterArn: staging.clusterArn }));
      await run(store, input('e1', [trail], { cluster: null, clusterArn: null, ruleIds: ['cloudtrail-enabled'] }));
      const c = await run(store, input('e2', [], { cluster: 'staging', clusterArn: staging.clusterArn }));
      expect(c.resolved).toEqual([staging]);
      expect((await store.listFindings({ status: 'open' })).map((s) => s.finding.ruleId).sort()).toEqual(['cloudtrail-enabled', 'no-internet-ssh']);
      expect((await store.listFindings({ clusterArn: null })).map((s) => s.finding)).toEqual([trail]);
    });

    it('resolves every finding of a deleted cluster (all rules, no findings)', async () => {
      await run(store, input('e1', [ssh, ingress]));
      const gone = await run(store, input('delete', []));
      expect(keys(gone.resolved)).toEqual(keys([ssh, ingress]));
      expect(await store.listFindings({ status: 'open' })).toEqual([]);
    });

    it("'add' mode opens event-only findings and never resolves earlier ones", async () => {
      const root1 = finding('root-user-activity', 'ev-1', { cluster: null, clusterArn: null, resourceType: 'AWS::CloudTrail::Event' });
      const root2 = { ...root1, resourceId: 'ev-2' };
      const scope = { cluster: null, clusterArn: null, ruleIds: ['root-user-activity'], mode: 'add' as const };
      expect((await run(store, input('ev-1', [root1], scope))).opened).toEqual([root1]);
      const second = await run(store, input('ev-2', [root2], scope));
      expect(second).toMatchObject({ opened: [root2], resolved: [] });
      expect(await store.listFindings({ clusterArn: null, status: 'open' })).toHaveLength(2);
    });

    it("one event may reconcile an account in 'add' mode and then in 'replace' mode", async () => {
      const root = finding('root-user-activity', 'ev-1', { cluster: null, clusterArn: null, resourceType: 'AWS::CloudTrail::Event' });
      const trail = finding('cloudtrail-enabled', ACCOUNT, { cluster: null, clusterArn: null, resourceType: 'AWS::::Account' });
      const account = { cluster: null, clusterArn: null };
      expect(await run(store, input('ev-1', [root], { ...account, ruleIds: ['root-user-activity'], mode: 'add' }))).toMatchObject({ opened: [root] });
      expect(await run(store, input('ev-1', [trail], { ...account, ruleIds: ['cloudtrail-enabled'] }))).toMatchObject({ opened: [trail], duplicate: false });
    });

    it('refuses a finding outside the reconciled scope', async () => {
      await expect(store.reconcile(input('e1', [ssh], { clusterArn: 'arn:aws:eks:eu-west-1:111122223333:cluster/other' }), [])).rejects.toThrow(/outside the reconciled scope/);
    });
  });

  describe('idempotency per event id', () => {
    it('a redelivered event is a duplicate and publishes nothing', async () => {
      const first = await run(store, input('e1', [ssh]));
      expect(first.opened).toEqual([ssh]);
      const again = await run(store, input('e1', [ssh]));
      expect(again).toMatchObject({ opened: [], resolved: [], suppressed: [], duplicate: true, deliveries: [] });
    });

    it('an event that opened nothing is a duplicate too', async () => {
      await run(store, input('e1', []));
      expect((await run(store, input('e1', [])))).toMatchObject({ duplicate: true });
    });

    it('the same event id in another cluster is not a duplicate (the marker is per event and scope)', async () => {
      await run(store, input('e1', [ssh]));
      const other = finding('no-internet-ssh', 'sg-1', { cluster: 'staging', clusterArn: PROD_ARN.replace('prod', 'staging') });
      const c = await run(store, input('e1', [other], { cluster: 'staging', clusterArn: other.clusterArn }));
      expect(c).toMatchObject({ duplicate: false, opened: [other] });
    });

    const t0 = new Date('2026-11-29T05:00:00Z');
    const later = (s: number) => new Date(t0.getTime() + s * 1000);

    it('a redelivery while the first delivery still works on the scope is told to retry later', async () => {
      await store.reconcile(input('e1', [ssh], { now: t0 }), []); // not yet acknowledged
      await expect(store.reconcile(input('e1', [ssh], { now: later(10) }), [])).rejects.toThrow(EventInProgressError);
    });

    it('hands the changes out again when the first delivery never acknowledged publishing (at-least-once)', async () => {
      const crashed = await store.reconcile(input('e1', [ssh], { now: t0 }), []); // crashed before publishing: no acknowledge
      expect(crashed.opened).toEqual([ssh]);
      const retry = await store.reconcile(input('e1', [ssh], { now: later(120) }), []);
      expect(retry).toMatchObject({ duplicate: false, opened: [] });
      expect(notices(retry.deliveries).map((n) => n.finding)).toEqual([ssh]);
      await store.acknowledge(retry.deliveries);
      expect(await store.reconcile(input('e1', [ssh], { now: later(130) }), [])).toMatchObject({ duplicate: true });
      // Another event meanwhile never re-announces it.
      expect(await run(store, input('e2', [ssh], { now: later(140) }))).toMatchObject({ opened: [] });
    });
  });

  describe('suppressions', () => {
    const until = (iso: string): Suppression => ({ rule: 'no-internet-ssh', cluster: 'prod', resource: 'sg-1', reason: 'bastion migration', expires: iso });
    const before = new Date('2027-01-10T00:00:00Z');
    const after = new Date('2027-02-10T00:00:00Z');

    it('stores a suppressed finding without publishing it, and opens it when the suppression expires', async () => {
      const sup = [until('2027-01-31')];
      const c = await run(store, input('e1', [ssh], { now: before }), sup);
      expect(c).toMatchObject({ opened: [], suppressed: [ssh] });
      expect((await store.listFindings({ status: 'suppressed' }))[0].suppression).toEqual({ reason: 'bastion migration', expires: '2027-01-31' });

      expect(await run(store, input('e2', [ssh], { now: before }), sup)).toMatchObject({ opened: [], suppressed: [] });
      expect(await run(store, input('sweep', [ssh], { now: after }), sup)).toMatchObject({ opened: [ssh] });
    });

    it('silences an already open finding once suppressed, and does not announce the resolution of a suppressed one', async () => {
      await run(store, input('e1', [ssh], { now: before }));
      expect(await run(store, input('e2', [ssh], { now: before }), [until('2027-01-31')])).toMatchObject({ suppressed: [ssh], resolved: [] });
      expect(await run(store, input('e3', [], { now: before }), [until('2027-01-31')])).toMatchObject({ opened: [], resolved: [] });
      expect(await store.listFindings({ status: 'resolved' })).toHaveLength(1);
    });

    it('matches only the rule, cluster and resource it names', async () => {
      const other = finding('no-internet-ssh', 'sg-2');
      const c = await run(store, input('e1', [ssh, other], { now: before }), [until('2027-01-31')]);
      expect(c.opened).toEqual([other]);
      expect(c.suppressed).toEqual([ssh]);
    });
  });
});

describe('a crash between the finding writes and the publish (at-least-once)', () => {
  /** A backend whose process "dies" right after the finding writes, before it even hands the scope back. */
  class CrashingBackend extends MemoryBackend {
    crash = false;
    override async putScope(state: ScopeState, expectedVersion: number | null): Promise<boolean> {
      if (this.crash && !state.lease) throw new Error('Lambda timed out');
      return super.putScope(state, expectedVersion);
    }
  }

  it('the retry of the same event re-announces what the crashed delivery opened and resolved', async () => {
    const backend = new CrashingBackend();
    let wallClock = Date.parse('2026-11-29T04:00:00Z');
    const store = new BackendFindingStore(backend, { leaseMs: 60_000, scopeLeaseMs: 60_000, clock: () => wallClock });
    await run(store, input('e0', [ingress], { now: new Date(wallClock) }));
    backend.crash = true;
    wallClock = Date.parse('2026-11-29T05:00:00Z');
    await expect(store.reconcile(input('e1', [ssh], { now: new Date(wallClock) }), [])).rejects.toThrow('Lambda timed out');
    backend.crash = false;
    wallClock += 120_000; // Lambda retries after a minute or two: both leases of the dead invocation have run out
    const retry = await store.reconcile(input('e1', [ssh], { now: new Date(wallClock) }), []);
    expect(retry).toMatchObject({ duplicate: false });
    expect(notices(retry.deliveries).map((n) => `${n.change} ${n.finding.ruleId}`).sort()).toEqual(['opened no-internet-ssh', 'resolved no-internet-ingress']);
    await store.acknowledge(retry.deliveries);
    expect(await store.reconcile(input('e1', [ssh], { now: new Date(wallClock + 60_000) }), [])).toMatchObject({ duplicate: true });
  });
});

describe('FileFindingStore', () => {
  it('persists between instances (one CLI run to the next) and writes valid JSON', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'eks-drift-state-')), 'state.json');
    await run(new FileFindingStore(path), input('e1', [ssh]));
    expect(await run(new FileFindingStore(path), input('e2', [ssh]))).toMatchObject({ opened: [] });
    expect(await run(new FileFindingStore(path), input('e1', [ssh]))).toMatchObject({ duplicate: true });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 2 });
    expect(readdirSync(dirname(path))).toEqual(['state.json']); // the temp file was renamed into place
  });

  it('reads a state file written before causes existed: its findings stay, every rule has its first check ahead', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'eks-drift-state-')), 'state.json');
    const key = findingKey(ssh);
    const old = { key, status: 'open', finding: ssh, version: 1, since: '2026-11-01T00:00:00.000Z', lastEventId: 'e0', announced: true };
    writeFileSync(path, JSON.stringify({ version: 1, findings: { [key]: old }, markers: { 'e0|x': { eventId: 'e0', scope: 'x', status: 'published', changes: { opened: [], resolved: [] }, createdAt: '2026-11-01T00:00:00.000Z', leaseUntil: '2026-11-01T00:01:00.000Z' } } }));
    const store = new FileFindingStore(path);
    expect(await store.hasEvaluations()).toBe(false);
    expect(await run(store, input('e1', [ssh]))).toMatchObject({ opened: [], resolved: [] });
  });

  it('an escalation of a finding such a file holds is the call’s, not first-check: the finding was known', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'eks-drift-state-')), 'state.json');
    const key = findingKey(ingress);
    const old = { key, status: 'open', finding: { ...ingress, severity: 'medium' }, version: 1, since: '2026-11-01T00:00:00.000Z', lastEventId: 'e0' };
    writeFileSync(path, JSON.stringify({ version: 1, findings: { [key]: old }, markers: {} }));
    const c = await run(new FileFindingStore(path), input('e1', [ingress]));
    expect(notices(c.deliveries).map((n) => [n.change, n.cause, n.previousSeverity])).toEqual([['escalated', 'event', 'medium']]);
  });

  it('rejects a malformed state file with an error naming the file and the field', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'eks-drift-state-')), 'state.json');
    writeFileSync(path, JSON.stringify({ version: 1, findings: { k: { key: 'k', status: 'opn' } }, markers: {} }));
    expect(() => new FileFindingStore(path)).toThrow(InputError);
    expect(() => new FileFindingStore(path)).toThrow(/state\.json.*findings\.k\.status/);
    writeFileSync(path, '{ not json');
    expect(() => new FileFindingStore(path)).toThrow(/not valid JSON/);
  });
});

describe('DynamoFindingStore under concurrency (dynalite, conditional writes)', () => {
  let store: DynamoFindingStore;
  beforeEach(async () => {
    store = new DynamoFindingStore(await dyn.createFindingsTable(), dyn.client);
  });

  it('N concurrent evaluations of one cluster open each finding exactly once', async () => {
    const N = 8;
    const results = await Promise.all(Array.from({ length: N }, (_, k) => run(store, input(`event-${k}`, [ssh, ingress]))));
    const opened = results.flatMap((r) => r.opened).map(findingKey).sort();
    expect(opened).toEqual(keys([ssh, ingress]));
    expect(await store.listFindings({ status: 'open' })).toHaveLength(2);
  });

  it('N concurrent resolutions publish one resolution per finding', async () => {
    await run(store, input('open', [ssh, ingress]));
    const results = await Promise.all(Array.from({ length: 6 }, (_, k) => run(store, input(`fix-${k}`, []))));
    expect(results.flatMap((r) => r.resolved).map(findingKey).sort()).toEqual(keys([ssh, ingress]));
  });

  it('the same event delivered concurrently: one delivery works, the others are told to retry, one opening', async () => {
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => store.reconcile(input('same', [ssh]), [])));
    const done = results.filter((r) => r.status === 'fulfilled');
    expect(done).toHaveLength(1);
    expect(done[0].status === 'fulfilled' && done[0].value.opened).toEqual([ssh]);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(EventInProgressError);
  });

  it('openings racing resolutions end consistent: every stored transition published once, balance = final status', async () => {
    let opened = 0;
    let resolved = 0;
    for (let round = 0; round < 4; round++) {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, k) => run(store, input(`r${round}-${k}`, (k + round) % 2 === 0 ? [ssh] : []))),
      );
      opened += results.reduce((n, r) => n + r.opened.length, 0);
      resolved += results.reduce((n, r) => n + r.resolved.length, 0);
    }
    const [stored] = await store.listFindings({ clusterArn: PROD_ARN });
    expect(opened - resolved).toBe(stored.status === 'open' ? 1 : 0);
    expect(stored.pending).toBeUndefined(); // every transition was handed out and acknowledged
  });
});

describe('DynamoFindingStore: what the table forgets (its TTL attribute)', () => {
  const DAY = 24 * 3600;
  it('a resolved finding 90 days after its resolution was delivered, never while open or waiting; a marker 14 days after it was published', async () => {
    const table = await dyn.createFindingsTable();
    const store = new DynamoFindingStore(table, dyn.client);
    const item = async (pk: string, sk: string) => (await dyn.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }))).Item;
    await run(store, input('e1', [ssh]));
    expect((await item('FINDING', findingKey(ssh)))?.expiresAt).toBeUndefined();

    const fixed = await store.reconcile(input('e2', []), []);
    const [resolved] = await store.listFindings();
    expect(resolved).toMatchObject({ status: 'resolved', pending: [expect.objectContaining({ change: 'resolved' })] });
    expect((await item('FINDING', findingKey(ssh)))?.expiresAt).toBeUndefined();
    expect((await item('EVENT#e2', PROD_ARN))?.expiresAt).toBeUndefined();

    const before = Math.floor(Date.now() / 1000);
    await store.acknowledge(fixed.deliveries);
    expect((await item('FINDING', findingKey(ssh)))?.expiresAt?.N).toBe(String(Math.floor(Date.parse(resolved.since) / 1000) + 90 * DAY));
    const marker = Number((await item('EVENT#e2', PROD_ARN))?.expiresAt?.N);
    expect(marker).toBeGreaterThanOrEqual(before + 14 * DAY);
    expect(marker).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 14 * DAY);
  });
});
