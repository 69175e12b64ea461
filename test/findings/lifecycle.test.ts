import type { Suppression } from '../../src/config';
import { findingKey, type Finding } from '../../src/findings/finding';
import { BackendFindingStore } from '../../src/findings/backendStore';
import { DynamoBackend } from '../../src/findings/dynamoStore';
import { MemoryFindingStore } from '../../src/findings/memoryStore';
import { notices, type FindingStore, type Marker, type MarkerRef, type ReconcileInput, type ScopeState, type StoreBackend, type StoredFinding } from '../../src/findings/store';
import { triggerId, type Trigger } from '../../src/findings/trigger';
import { startDynalite, type Dynalite } from '../support/dynalite';
import { ACCOUNT, PROD_ARN, REGION, finding } from '../notify/fixtures';

/**
 * The findings lifecycle beyond the diff: why each change exists (cause), which of two evaluations wins when
 * their reads and writes interleave (stale verdicts), and where a change waits until SNS accepts it (the outbox).
 */
const f = (ruleId: string, resourceId: string): Finding => finding({ ruleId, resourceId, message: `${resourceId} violates ${ruleId}` });
const ssh = f('no-internet-ssh', 'sg-1');
const ingress = f('no-internet-ingress', 'sg-1');
const RULES = ['no-internet-ssh', 'no-internet-ingress'];

const alice = (id: string): Trigger => ({ kind: 'event', eventId: id, eventName: 'AuthorizeSecurityGroupIngress', eventSource: 'ec2.amazonaws.com', eventTime: '2026-11-29T05:00:00Z', principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/dev-admin/alice` });
const sweepBy = (id: string): Trigger => ({ kind: 'sweep', sweepId: id, time: '2026-11-29T06:00:00.000Z' });
const at = (minute: number) => new Date(Date.UTC(2026, 10, 29, 5, minute));
const EVENT = ['event', 'sweep'] as const;

function input(trigger: Trigger, findings: Finding[], over: Partial<ReconcileInput> = {}): ReconcileInput {
  return { account: ACCOUNT, region: REGION, cluster: 'prod', clusterArn: PROD_ARN, ruleIds: RULES, findings, trigger, ...over };
}

/** Reconcile, "publish" what is handed out, acknowledge: the pipeline's round trip. Returns what was published. */
async function deliver(store: FindingStore, i: ReconcileInput, sup: Suppression[] = []) {
  const c = await store.reconcile(i, sup);
  await store.acknowledge(c.deliveries);
  return notices(c.deliveries).map((n) => ({ change: n.change, cause: n.cause, rule: n.finding.ruleId, by: triggerId(n.trigger) }));
}

describe('cause of each change', () => {
  let store: FindingStore;
  beforeEach(() => {
    store = new MemoryFindingStore();
  });

  it('first-check the first time a rule evaluates a scope, the trigger afterwards; a resolution never first-check', async () => {
    expect(await deliver(store, input(sweepBy('sweep-1'), [ssh]))).toEqual([{ change: 'opened', cause: 'first-check', rule: 'no-internet-ssh', by: 'sweep-1' }]);
    expect(await deliver(store, input(alice('e1'), [ssh, ingress]))).toEqual([{ change: 'opened', cause: 'event', rule: 'no-internet-ingress', by: 'e1' }]);
    expect(await deliver(store, input(sweepBy('sweep-2'), [ingress]))).toEqual([{ change: 'resolved', cause: 'sweep', rule: 'no-internet-ssh', by: 'sweep-2' }]);
  });

  it('a rule added to the catalog (or a part read for the first time) is first-check on scopes the others know', async () => {
    await deliver(store, input(sweepBy('sweep-1'), [], { ruleIds: ['no-internet-ingress'] })); // no-internet-ssh not evaluated yet
    expect(await deliver(store, input(alice('e1'), [ssh, ingress]))).toEqual([
      { change: 'opened', cause: 'event', rule: 'no-internet-ingress', by: 'e1' },
      { change: 'opened', cause: 'first-check', rule: 'no-internet-ssh', by: 'e1' },
    ]);
  });

  it('a cluster the trigger created: its first findings are the caller’s doing', async () => {
    expect(await deliver(store, input(alice('create'), [ssh], { createsScope: true }))).toEqual([{ change: 'opened', cause: 'event', rule: 'no-internet-ssh', by: 'create' }]);
  });

  it("event-only findings ('add' mode) are always the call's", async () => {
    const root = { ...f('root-user-activity', 'ev-1'), cluster: null, clusterArn: null };
    expect(await deliver(store, input(alice('ev-1'), [root], { cluster: null, clusterArn: null, ruleIds: ['root-user-activity'], mode: 'add' }))).toEqual([
      { change: 'opened', cause: 'event', rule: 'root-user-activity', by: 'ev-1' },
    ]);
  });

  it('an event leaves first-check changes pending; the next sweep hands them out under their cause', async () => {
    const c = await store.reconcile(input(alice('e1'), [ssh], { deliver: EVENT }), []);
    expect(notices(c.deliveries)).toEqual([]);
    expect(c.opened).toEqual([ssh]);
    await store.acknowledge(c.deliveries);
    expect(await deliver(store, input(sweepBy('sweep-1'), [ssh]))).toEqual([{ change: 'opened', cause: 'first-check', rule: 'no-internet-ssh', by: 'e1' }]);
    expect(await deliver(store, input(sweepBy('sweep-2'), [ssh]))).toEqual([]);
  });

  it('a suppressed finding is published once, apart, as suppressed; when the suppression ends only a sweep opens it (cause sweep)', async () => {
    const sup: Suppression[] = [{ rule: 'no-internet-ssh', reason: 'migration', expires: '2026-11-29T05:30:00Z' }];
    expect(await deliver(store, input(sweepBy('sweep-1'), [ssh], { now: at(0) }), sup)).toEqual([{ change: 'suppressed', cause: 'first-check', rule: 'no-internet-ssh', by: 'sweep-1' }]);
    expect(await deliver(store, input(alice('e1'), [ssh], { now: at(45) }), sup)).toEqual([]);
    expect(await deliver(store, input(sweepBy('sweep-2'), [ssh], { now: at(50) }), sup)).toEqual([{ change: 'opened', cause: 'sweep', rule: 'no-internet-ssh', by: 'sweep-2' }]);
  });
});

/** Delegates to a backend; `hold` pauses the next finding write until released (to interleave two evaluations). */
class Interleaving implements StoreBackend {
  private gate?: { reached: () => void; release: Promise<void> };
  constructor(private readonly inner: StoreBackend) {}
  /** The next putFinding waits; resolves once it is waiting, and returns the function that lets it go. */
  hold(): Promise<() => void> {
    return new Promise((reachedIt) => {
      let go!: () => void;
      const release = new Promise<void>((r) => (go = r));
      this.gate = { reached: () => reachedIt(go), release };
    });
  }
  async putFinding(item: StoredFinding, v: number | null) {
    const g = this.gate;
    if (g) {
      this.gate = undefined;
      g.reached();
      await g.release;
    }
    return this.inner.putFinding(item, v);
  }
  getMarker = (r: MarkerRef) => this.inner.getMarker(r);
  putMarker = (m: Marker, l: string | null) => this.inner.putMarker(m, l);
  getScope = (s: string) => this.inner.getScope(s);
  putScope = (s: ScopeState, v: number | null) => this.inner.putScope(s, v);
  anyScope = () => this.inner.anyScope();
  queryScope = (s: string) => this.inner.queryScope(s);
  getFinding = (k: string) => this.inner.getFinding(k);
  putPending = (item: StoredFinding, v: number) => this.inner.putPending(item, v);
  listAll = () => this.inner.listAll();
}

describe('stale verdicts: an older read never overwrites a newer verdict (dynalite)', () => {
  let dyn: Dynalite;
  let backend: Interleaving;
  let store: BackendFindingStore;
  beforeAll(async () => {
    dyn = await startDynalite();
  });
  afterAll(() => dyn.stop());
  beforeEach(async () => {
    backend = new Interleaving(new DynamoBackend(await dyn.createFindingsTable(), dyn.client));
    store = new BackendFindingStore(backend, { sleep: () => new Promise((r) => setImmediate(r)) });
    await deliver(store, input(sweepBy('sweep-0'), [], { readAt: at(0) })); // the rules know the cluster
  });
  const status = async () => (await store.listFindings())[0]?.status;

  it('a slow sweep that read before an event opened the finding does not resolve it', async () => {
    // sweep-1 read at :10 (SSH closed then); alice opened it, her event read at :11 and reconciled first.
    expect(await deliver(store, input(alice('e1'), [ssh], { readAt: at(11) }))).toEqual([{ change: 'opened', cause: 'event', rule: 'no-internet-ssh', by: 'e1' }]);
    const late = await store.reconcile(input(sweepBy('sweep-1'), [], { readAt: at(10) }), []);
    expect(late).toMatchObject({ resolved: [], superseded: RULES });
    expect(notices(late.deliveries)).toEqual([]);
    expect(await status()).toBe('open');
  });

  it('nor when the event only confirmed what was already open (no write to compare against)', async () => {
    await deliver(store, input(alice('e1'), [ssh], { readAt: at(5) }));
    // sweep-1 read at :10 while the group was briefly closed; e2 read at :11, found it open again: nothing to write.
    expect(await deliver(store, input(alice('e2'), [ssh], { readAt: at(11) }))).toEqual([]);
    expect(await deliver(store, input(sweepBy('sweep-1'), [], { readAt: at(10) }))).toEqual([]);
    expect(await status()).toBe('open');
  });

  it('an older read does not create a finding that a newer evaluation already found fixed', async () => {
    expect(await deliver(store, input(alice('e2'), [], { readAt: at(11) }))).toEqual([]);
    expect(await deliver(store, input(sweepBy('sweep-1'), [ssh], { readAt: at(10) }))).toEqual([]);
    expect(await store.listFindings()).toEqual([]);
  });

  it('two reconciliations of one scope never interleave: the later read waits, then wins', async () => {
    const held = backend.hold();
    const older = deliver(store, input(sweepBy('sweep-1'), [ssh], { readAt: at(10) })); // opens… and stops mid-write
    const release = await held;
    const newer = deliver(store, input(alice('e2'), [], { readAt: at(11) })); // read later: SSH closed again
    await new Promise((r) => setImmediate(r));
    expect(await store.listFindings()).toEqual([]); // the newer one waits for the scope
    release();
    expect(await older).toEqual([{ change: 'opened', cause: 'sweep', rule: 'no-internet-ssh', by: 'sweep-1' }]);
    expect(await newer).toEqual([{ change: 'resolved', cause: 'event', rule: 'no-internet-ssh', by: 'e2' }]);
    expect(await status()).toBe('resolved');
  });
});

describe('the outbox: a change waits in the store until SNS accepted it', () => {
  let store: FindingStore;
  beforeEach(async () => {
    store = new MemoryFindingStore();
    await deliver(store, input(sweepBy('sweep-0'), [], { now: at(0) }));
  });

  it('a publish that failed is delivered by the next invocation on the scope, under its own trigger', async () => {
    const failed = await store.reconcile(input(alice('e1'), [ssh], { now: at(1), deliver: EVENT }), []);
    await store.release(failed.deliveries); // SNS refused: the pipeline gives the delivery up
    expect(await deliver(store, input(alice('e2'), [ssh, ingress], { now: at(2), deliver: EVENT }))).toEqual([
      { change: 'opened', cause: 'event', rule: 'no-internet-ingress', by: 'e2' },
      { change: 'opened', cause: 'event', rule: 'no-internet-ssh', by: 'e1' },
    ]);
    expect(await deliver(store, input(sweepBy('sweep-1'), [ssh, ingress], { now: at(3) }))).toEqual([]);
  });

  it('a delivery whose invocation died is taken over only once its lease ran out', async () => {
    await store.reconcile(input(alice('e1'), [ssh], { now: at(1), deliver: EVENT }), []); // died before publishing
    expect(await deliver(store, input(alice('e2'), [ssh], { now: at(1), deliver: EVENT }))).toEqual([]); // still e1's
    expect(await deliver(store, input(sweepBy('sweep-1'), [ssh], { now: at(3) }))).toEqual([{ change: 'opened', cause: 'event', rule: 'no-internet-ssh', by: 'e1' }]);
  });

  it('collect() delivers what waits in a scope no evaluation reached (a cluster that could not be read)', async () => {
    const failed = await store.reconcile(input(alice('e1'), [ssh], { now: at(1), deliver: EVENT }), []);
    await store.release(failed.deliveries);
    const ds = await store.collect({ account: ACCOUNT, region: REGION, clusterArn: PROD_ARN });
    expect(notices(ds).map((n) => [n.change, n.cause, findingKey(n.finding)])).toEqual([['opened', 'event', findingKey(ssh)]]);
    await store.acknowledge(ds);
    expect(await store.collect({ account: ACCOUNT, region: REGION, clusterArn: PROD_ARN })).toEqual([]);
    expect((await store.listFindings())[0].pending).toBeUndefined();
  });
});
