import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryBackend, MemoryFindingStore } from '../../src/findings/memoryStore';
import { METRICS, metricSeries } from '../../src/metrics';
import { CountingStore, dynamoItemBytes } from '../../bench/countingStore';
import { VirtualClock } from '../../bench/clock';
import { ASSUMPTIONS, monthlyCosts, PROFILES, readServerless, runsPerMonth, type CostInput, type SizeFigures } from '../../bench/cost';
import { PRICES } from '../../bench/prices';

describe('bench: counting store (DynamoDB request units)', () => {
  it('sizes items as DynamoDB does: names plus values, numbers by digits, lists and maps with their overhead', () => {
    expect(dynamoItemBytes({ pk: 'ab', n: 12345 })).toBe(2 + 2 + 1 + 4);
    expect(dynamoItemBytes({ l: ['x', 'yy'] })).toBe(1 + 3 + (1 + 1) + (1 + 2));
    expect(dynamoItemBytes({ m: { k: true } })).toBe(1 + 3 + (1 + 1 + 1));
    expect(dynamoItemBytes({ gone: undefined, s: 'é' })).toBe(1 + 2);
  });

  it('charges a strongly consistent read per 4 KB and a write per 1 KB of the larger item, and sleeps the latency per request', async () => {
    const clock = new VirtualClock();
    const counter = new CountingStore(clock, 5);
    const store = new MemoryFindingStore({}, counter.wrap(new MemoryBackend()));
    await store.state.learn('prod', { subnetIds: [], securityGroupIds: Array.from({ length: 200 }, (_, i) => `sg-${String(i).padStart(17, '0')}`), launchTemplateIds: [], launchTemplateNames: [], autoScalingGroupNames: [], nodeRoleNames: [] }, new Date(0));
    const s = counter.snapshot();
    // One GetItem of a missing entry (1 RRU), one PutItem of a ~4.8 KB entry (5 WRU).
    expect(s.byOperation).toEqual({ 'GetItem index entry': 1, 'PutItem index entry': 1 });
    expect([s.readUnits, s.writeUnits]).toEqual([1, 5]);
    expect(s.unitsByOperation['PutItem index entry']).toEqual({ read: 0, write: 5 });
    expect(clock.now()).toBe(10);
  });
});

describe('bench: cost model', () => {
  const sls = readServerless(readFileSync(join(__dirname, '../../serverless.yml'), 'utf8'));

  it('reads memory sizes and schedules from serverless.yml', () => {
    expect(sls.memoryMb.securityGroupChanged).toBe(sls.providerMemoryMb);
    expect(sls.memoryMb.slackNotifier).toBe(256);
    expect(sls.sweepSchedule).toMatch(/^rate\(/);
    expect(runsPerMonth('rate(6 hours)')).toBeCloseTo(121.67, 1);
    expect(runsPerMonth('rate(30 minutes)')).toBe(1460);
    expect(() => runsPerMonth('cron(0 * * * ? *)')).toThrow(/only rate/);
  });

  it('counts every metric series the code can emit: a closed list, no id dimension', () => {
    const series = metricSeries();
    expect(series.find((m) => m.metric === 'FindingsOpened')?.series).toBe(8 * 3);
    expect(series.reduce((n, m) => n + m.series, 0)).toBeLessThan(100);
    // Every function a metric names is a function of the stack.
    const fns = new Set(Object.keys(sls.memoryMb));
    for (const m of Object.values(METRICS)) for (const f of m.functions) expect(fns).toContain(f);
  });

  /** Figures of one size: every family 200 ms and 10 units warm; the index-needing ones took 5 s cold before. */
  function figures(): SizeFigures {
    const family = (fn: string, needsIndex: boolean) => ({
      function: fn,
      statuses: { processed: 10 },
      wallMsMean: 200,
      store: { readUnits: 10, writeUnits: 6, stateReadUnits: 1, stateWriteUnits: 0 },
      log: { bytes: 600, lines: 2 },
      coldIndex: { evalMs: 250, apiCalls: 13, store: { readUnits: 40, writeUnits: 6 } },
      before: { wallMsMean: needsIndex ? 200 : 1500, apiCalls: { mean: 12 }, cold: { evalMs: needsIndex ? 9000 : 1500, apiCalls: needsIndex ? 1212 : 12 } },
    });
    return {
      families: {
        securityGroup: family('securityGroupChanged', true),
        unrelatedSecurityGroup: { ...family('securityGroupChanged', true), statuses: { ignored: 10 } },
        network: family('networkChanged', true),
        nodegroup: family('clusterChanged', true),
        clusterConfig: family('clusterChanged', false),
        accessEntry: family('clusterChanged', false),
        selfManagedNodes: family('nodesChanged', true),
        iamRole: family('iamChanged', true),
        auditLog: family('auditLog', false),
      },
      scheduledSweep: { wallSeconds: 10, store: { readUnits: 1000, writeUnits: 1200 }, log: { bytes: 2000, lines: 3 }, published: { messages: 0, chunks: 0 } },
      clusterIndexBuild: { apiCalls: 1200, simulatedSeconds: 9, cpuSeconds: 0.1 },
      storage: { findings: 1e6, scopes: 3e5, index: 1.4e5, creators: 2.5e5, awsPolicies: 4e3, templateVersions: 2e4, markerBytes: 500, markersPerEvent: 1, markersPerSweep: 200 },
    };
  }
  const input = (): CostInput => ({ bySize: { 5: figures(), 50: figures(), 200: figures() }, handlers: [], settings: { latencyMs: 30 }, eventsPerFamily: 20 });

  it('prices the three accounts; more events cost more, and the 5-minute rebuild made the busiest one cost more before', () => {
    const { profiles } = monthlyCosts(input(), sls, PRICES);
    expect(profiles.map((p) => [p.name, p.clusters, p.writeEventsPerDay])).toEqual(PROFILES.map((p) => [p.name, p.clusters, p.writeEventsPerDay]));
    const [small, medium, large] = profiles;
    expect(small.total).toBeLessThan(medium.total);
    expect(medium.total).toBeLessThan(large.total);
    expect(large.matchedEventsPerMonth).toBe(Math.round(100_000 * ASSUMPTIONS.matchedShare * (365 / 12)));
    const lambda = (items: { name: string; usd: number }[]) => items.find((i) => i.name === 'Lambda')!.usd;
    expect(lambda(large.before.items)).toBeGreaterThan(3 * lambda(large.items));
    // At most one rebuild per 5-minute window per function that needed the index (5 of them here).
    expect(large.before.indexRebuildsPerMonth).toBeLessThanOrEqual(5 * (365 / 12) * 288);
    expect(large.before.indexRebuildsPerMonth).toBeGreaterThan(0);
    for (const p of profiles) expect(p.items.map((i) => i.name)).toEqual(['Lambda', 'DynamoDB', 'SNS', 'CloudWatch Logs', 'CloudWatch metrics', 'KMS', 'EventBridge']);
  });

  it('prices DynamoDB from the request units the bench counted, and EventBridge at zero', () => {
    const { profiles } = monthlyCosts(input(), sls, PRICES);
    const large = profiles[2];
    expect(large.items.find((i) => i.name === 'EventBridge')!.usd).toBe(0);
    const ddb = large.items.find((i) => i.name === 'DynamoDB')!;
    expect(ddb.detail).toMatch(/read and .* write request units/);
    expect(ddb.usd).toBeGreaterThan(0);
  });
});
