/**
 * The in-process measurements, one phase per process (so each phase's peak memory is its own):
 *   pipeline — the sweep, then every event family through `processEvent`, as a warm Lambda runs them;
 *   baseline — the naive scheduled scanner: re-read and re-evaluate the whole account on every event;
 *   rules    — CPU of `evaluateCluster` over full views of every cluster (no I/O).
 * Prints one JSON object on stdout. Bundled and run by bench/run.mjs.
 */
import { defaultConfig, type Config } from '../src/config';
import { parseWorld } from '../src/inventory/world';
import { WorldReader } from '../src/inventory/worldReader';
import { buildAccountView, buildClusterView } from '../src/inventory/buildView';
import type { AwsReader } from '../src/inventory/reader';
import type { ClusterView, ViewPart } from '../src/inventory/view';
import { evaluateAccount, evaluateCluster } from '../src/rules/engine/evaluate';
import { createClusterIndexCache } from '../src/events/resolve';
import { MemoryFindingStore } from '../src/findings/memoryStore';
import { processEvent, sweep, type PipelineDeps } from '../src/pipeline';
import { processAuditDelivery } from '../src/audit/pipeline';
import { isSubscriptionDelivery } from '../src/audit/delivery';
import type { Logger } from '../src/log';
import { RealClock, VirtualClock, type Clock } from './clock';
import { CountingReader, type CallStats } from './countingReader';
import { generateWorld, DEFAULT_WORLD_PARAMS, type SyntheticAccount } from './generate';
import { FAMILIES, familyEvents, type BenchEvent, type Family } from './events';
import { addCounts, max, mean, percentile, round } from './stats';

export interface MeasureOptions {
  phase: 'pipeline' | 'baseline' | 'rules';
  clusters: number;
  nodegroupsPerCluster: number;
  securityGroupsPerCluster: number;
  subnetsPerCluster: number;
  latencyMs: number;
  concurrency: number;
  eventsPerFamily: number;
  sweepConcurrency: number;
  realTime: boolean;
  ruleRepeats: number;
}

/** Everything a Lambda invocation costs, measured around one unit of work. */
interface Sample {
  calls: CallStats;
  /** Simulated AWS wait on the critical path (virtual clock), or real elapsed time with --real-time. */
  ioMs: number;
  /** Real elapsed time: the compute (rule evaluation, joins, store), since simulated waits take no real time. */
  computeMs: number;
  /** ioMs + computeMs with the virtual clock; real elapsed with --real-time. */
  wallMs: number;
  /** CPU in this process, less the world reader's own work (simulation overhead a Lambda does not have). */
  cpuMs: number;
  /** The world reader's own work, left out of the figures above. */
  simulatorMs: number;
  /** V8 heap in use right after the work (MB): how much the event's views and findings hold at their largest. */
  heapUsedMb: number;
}

const ALL_PARTS: ReadonlySet<ViewPart> = new Set<ViewPart>(['nodegroups', 'securityGroups', 'network', 'accessEntries', 'addons', 'kubernetes', 'creator']);

/** Logs nothing: the bench measures the pipeline, not console I/O. */
const quietLogger: Logger = { log: () => undefined, metric: () => undefined };

const progress = (msg: string) => process.stderr.write(`  [${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

async function measured<T>(reader: CountingReader, clock: Clock, virtual: boolean, fn: () => Promise<T>): Promise<{ value: T; sample: Sample }> {
  reader.reset();
  const v0 = clock.now();
  const r0 = performance.now();
  const c0 = process.cpuUsage();
  const value = await fn();
  const cpu = process.cpuUsage(c0);
  const real = performance.now() - r0;
  const calls = reader.snapshot();
  const sim = calls.innerMs;
  const io = virtual ? clock.now() - v0 : real;
  const compute = Math.max(0, real - sim);
  return {
    value,
    sample: {
      calls,
      ioMs: io,
      computeMs: compute,
      wallMs: virtual ? io + compute : real,
      cpuMs: Math.max(0, (cpu.user + cpu.system) / 1000 - sim),
      simulatorMs: sim,
      heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
    },
  };
}

function summarise(samples: Sample[]) {
  const calls = samples.map((s) => s.calls.apiCalls);
  const byOperation: Record<string, number> = {};
  for (const s of samples) addCounts(byOperation, s.calls.byOperation);
  for (const k of Object.keys(byOperation)) byOperation[k] = round(byOperation[k] / Math.max(1, samples.length));
  return {
    events: samples.length,
    apiCalls: { mean: round(mean(calls)), max: max(calls), p50: percentile(calls, 50) },
    kubernetesCalls: { mean: round(mean(samples.map((s) => s.calls.kubernetesCalls))) },
    meanCallsByOperation: byOperation,
    evalMs: { p50: round(percentile(samples.map((s) => s.wallMs), 50)), p99: round(percentile(samples.map((s) => s.wallMs), 99)) },
    ioMs: { p50: round(percentile(samples.map((s) => s.ioMs), 50)), p99: round(percentile(samples.map((s) => s.ioMs), 99)) },
    computeMs: { p50: round(percentile(samples.map((s) => s.computeMs), 50)), p99: round(percentile(samples.map((s) => s.computeMs), 99)) },
    cpuMsPerEvent: round(mean(samples.map((s) => s.cpuMs))),
    simulatorMsPerEvent: round(mean(samples.map((s) => s.simulatorMs))),
    peakHeapUsedMb: round(max(samples.map((s) => s.heapUsedMb)), 1),
    maxConcurrentCalls: max(samples.map((s) => s.calls.maxConcurrent)),
    maxWantedCalls: max(samples.map((s) => s.calls.maxWanted)),
    rateLimitWaitMs: round(mean(samples.map((s) => s.calls.rateLimitWaitMs))),
  };
}

function setup(o: MeasureOptions) {
  const account = generateWorld({
    clusters: o.clusters,
    nodegroupsPerCluster: o.nodegroupsPerCluster,
    securityGroupsPerCluster: o.securityGroupsPerCluster,
    subnetsPerCluster: o.subnetsPerCluster,
  });
  const world = parseWorld(account.world, `synthetic account (${o.clusters} clusters)`);
  const clock: Clock = o.realTime ? new RealClock() : new VirtualClock();
  const worldReader = new WorldReader(world);
  const reader = new CountingReader(worldReader, { clock, latencyMs: o.latencyMs, concurrency: o.concurrency });
  return { account, world, clock, worldReader, reader, virtual: !o.realTime };
}

function memory() {
  const m = process.memoryUsage();
  return { rssMb: round(m.rss / 2 ** 20, 1), heapUsedMb: round(m.heapUsed / 2 ** 20, 1), peakRssMb: round(process.resourceUsage().maxRSS / 1024, 1) };
}

function worldSize(account: SyntheticAccount) {
  const w = account.world as { eks: Record<string, unknown[]>; ec2: Record<string, unknown[]> };
  return {
    clusters: w.eks.clusters.length,
    nodegroups: w.eks.nodegroups.length,
    accessEntries: w.eks.accessEntries.length,
    securityGroups: w.ec2.securityGroups.length,
    subnets: w.ec2.subnets.length,
    routeTables: w.ec2.routeTables.length,
    networkAcls: w.ec2.networkAcls.length,
    instances: w.ec2.instances.length,
    launchTemplateVersions: w.ec2.launchTemplateVersions.length,
    jsonBytes: JSON.stringify(account.world).length,
  };
}

async function pipelinePhase(o: MeasureOptions) {
  const s = setup(o);
  const afterWorld = memory();
  const deps: PipelineDeps = {
    reader: s.reader,
    store: new MemoryFindingStore(),
    config: defaultConfig,
    log: quietLogger,
    indexCache: createClusterIndexCache(),
  };

  progress(`${o.clusters} clusters: sweep (concurrency ${o.sweepConcurrency})`);
  const sw = await measured(s.reader, s.clock, s.virtual, () => sweep(deps, { concurrency: o.sweepConcurrency }));
  const sweepOut = {
    clusters: sw.value.clusters.length,
    errors: sw.value.errors.length,
    simulatedSeconds: round(sw.sample.ioMs / 1000, 3),
    computeSeconds: round(sw.sample.computeMs / 1000, 3),
    cpuSeconds: round(sw.sample.cpuMs / 1000, 3),
    simulatorSeconds: round(sw.sample.simulatorMs / 1000, 3),
    maxConcurrentCalls: sw.sample.calls.maxConcurrent,
    maxWantedCalls: sw.sample.calls.maxWanted,
    apiCalls: sw.sample.calls.apiCalls,
    apiCallsPerCluster: round(sw.sample.calls.apiCalls / Math.max(1, sw.value.clusters.length)),
    kubernetesCalls: sw.sample.calls.kubernetesCalls,
    callsByOperation: sw.sample.calls.byOperation,
    rateLimitWaitSeconds: round(sw.sample.calls.rateLimitWaitMs / 1000, 2),
    concurrency: o.sweepConcurrency,
    findingsOpened: sw.value.scopes.reduce((n, sc) => n + sc.changes.opened.length, 0),
  };

  // The sweep at other cluster concurrencies: what the SWEEP_CONCURRENCY setting buys (same reader limit).
  const sweepByConcurrency: Record<string, { simulatedSeconds: number; maxConcurrentCalls: number; maxWantedCalls: number }> = {};
  // With real sleeps these extra sweeps would take minutes each: only the virtual clock runs them.
  for (const c of o.realTime ? [] : [1, 4, 10, 20].filter((c) => c !== o.sweepConcurrency)) {
    const r = await measured(s.reader, s.clock, s.virtual, () => sweep({ ...deps, store: new MemoryFindingStore() }, { concurrency: c }));
    sweepByConcurrency[c] = { simulatedSeconds: round(r.sample.ioMs / 1000, 3), maxConcurrentCalls: r.sample.calls.maxConcurrent, maxWantedCalls: r.sample.calls.maxWanted };
  }
  sweepByConcurrency[o.sweepConcurrency] = { simulatedSeconds: sweepOut.simulatedSeconds, maxConcurrentCalls: sweepOut.maxConcurrentCalls, maxWantedCalls: sweepOut.maxWantedCalls };

  // A warm Lambda container has built its cluster index with an earlier event; the cold case is measured per family.
  const warmup = await measured(s.reader, s.clock, s.virtual, () => deps.indexCache!.get(s.reader));
  const indexBuild = { apiCalls: warmup.sample.calls.apiCalls, simulatedSeconds: round(warmup.sample.ioMs / 1000, 3), callsByOperation: warmup.sample.calls.byOperation };

  // What-if: the same sweep if CreateCluster records were fetched once per sweep instead of once per cluster.
  const shared = new CountingReader(s.worldReader, { clock: s.clock, latencyMs: o.latencyMs, concurrency: o.concurrency, shareLookupEvents: true });
  const ws = await measured(shared, s.clock, s.virtual, () => sweep({ ...deps, reader: shared, store: new MemoryFindingStore() }, { concurrency: o.sweepConcurrency }));
  const sweepWhatIf = {
    lookupEventsOncePerSweep: {
      simulatedSeconds: round(ws.sample.ioMs / 1000, 3),
      apiCalls: ws.sample.calls.apiCalls,
      maxConcurrentCalls: ws.sample.calls.maxConcurrent,
      lookupEventsCalls: ws.sample.calls.byOperation['cloudtrail:LookupEvents'] ?? 0,
    },
  };

  const families: Record<string, unknown> = {};
  for (const family of FAMILIES) {
    progress(`${o.clusters} clusters: ${o.eventsPerFamily} ${family} events`);
    const events = familyEvents(s.account, family, o.eventsPerFamily + 1);
    // One event of each family runs as in a freshly started Lambda: with an empty cluster index. The third event is
    // the one that needs the index where the family has such events (the untagged control-plane group, a launch
    // template), so this is the family's worst first event.
    const coldAt = Math.min(2, events.length - 1);
    const cold = await runEvent({ ...deps, indexCache: createClusterIndexCache() }, events[coldAt], s);
    const warm: Sample[] = [];
    const statuses: Record<string, number> = {};
    const clustersTouched: number[] = [];
    for (const ev of events.filter((_, i) => i !== coldAt)) {
      const r = await runEvent(deps, ev, s);
      warm.push(r.sample);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      clustersTouched.push(r.clusters);
      if (r.status !== 'processed' && family !== 'unrelatedSecurityGroup') progress(`  ${ev.eventName} on ${ev.cluster}: ${r.status} (${r.reason ?? ''})`);
    }
    families[family] = {
      ...summarise(warm),
      statuses,
      clustersPerEvent: { mean: round(mean(clustersTouched)), max: max(clustersTouched) },
      eventNames: [...new Set(events.map((e) => e.eventName))],
      coldIndex: { eventName: events[coldAt].eventName, apiCalls: cold.sample.calls.apiCalls, callsByOperation: cold.sample.calls.byOperation, evalMs: round(cold.sample.wallMs), status: cold.status },
    };
  }
  return { phase: 'pipeline', world: worldSize(s.account), memory: { afterWorld, end: memory() }, sweep: sweepOut, sweepByConcurrency, sweepWhatIf, indexBuild, families };
}

async function runEvent(deps: PipelineDeps, ev: BenchEvent, s: ReturnType<typeof setup>) {
  const run = () => (isSubscriptionDelivery(ev.event) ? processAuditDelivery(ev.event, deps) : processEvent(ev.event, deps));
  const r = await measured(s.reader, s.clock, s.virtual, run);
  return { sample: r.sample, status: r.value.status, reason: r.value.reason, clusters: r.value.clusters.length };
}

/** What a scheduled scanner does on every trigger: list every cluster, read all of it, evaluate every rule. */
export async function naiveScan(reader: AwsReader, config: Config, concurrency: number): Promise<number> {
  const ids = await reader.identity();
  const names = await reader.listClusters();
  let findings = 0;
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const view = await buildClusterView(reader, name, ALL_PARTS, ids);
      if (view) findings += evaluateCluster(view, config).findings.length;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  findings += evaluateAccount(await buildAccountView(reader, ids), config).findings.length;
  return findings;
}

async function baselinePhase(o: MeasureOptions) {
  const s = setup(o);
  const afterWorld = memory();
  const families: Record<string, unknown> = {};
  for (const family of FAMILIES) {
    progress(`${o.clusters} clusters: naive baseline, ${o.eventsPerFamily} ${family} events`);
    const samples: Sample[] = [];
    for (let n = 0; n < o.eventsPerFamily; n++) {
      samples.push((await measured(s.reader, s.clock, s.virtual, () => naiveScan(s.reader, defaultConfig, o.concurrency))).sample);
    }
    families[family] = summarise(samples);
  }
  return { phase: 'baseline', world: worldSize(s.account), memory: { afterWorld, end: memory() }, families };
}

/** CPU of rule evaluation alone, per cluster, over complete views (the sweep's workload without I/O). */
async function rulesPhase(o: MeasureOptions) {
  const s = setup(o);
  const ids = await s.worldReader.identity();
  const views: ClusterView[] = [];
  for (const name of await s.worldReader.listClusters()) {
    const v = await buildClusterView(s.worldReader, name, ALL_PARTS, ids);
    if (v) views.push(v);
  }
  const perCluster: number[] = [];
  let findings = 0;
  // The first pass warms the JIT, as a warm Lambda would be; it is not counted.
  for (const v of views) evaluateCluster(v, defaultConfig);
  for (let r = 0; r < o.ruleRepeats; r++) {
    for (const v of views) {
      const c0 = process.cpuUsage();
      findings += evaluateCluster(v, defaultConfig).findings.length;
      const c = process.cpuUsage(c0);
      perCluster.push((c.user + c.system) / 1000);
    }
  }
  return {
    phase: 'rules',
    clusters: views.length,
    repeats: o.ruleRepeats,
    findingsPerPass: findings / Math.max(1, o.ruleRepeats),
    cpuMsPerCluster: { mean: round(mean(perCluster), 3), p50: round(percentile(perCluster, 50), 3), p99: round(percentile(perCluster, 99), 3), max: round(max(perCluster), 3) },
  };
}

export async function measure(o: MeasureOptions): Promise<unknown> {
  if (o.phase === 'pipeline') return pipelinePhase(o);
  if (o.phase === 'baseline') return baselinePhase(o);
  return rulesPhase(o);
}

function parseArgs(argv: string[]): MeasureOptions {
  const o: MeasureOptions = {
    phase: 'pipeline',
    clusters: 200,
    ...DEFAULT_WORLD_PARAMS,
    latencyMs: 30,
    concurrency: 10,
    eventsPerFamily: 20,
    sweepConcurrency: 4,
    realTime: false,
    ruleRepeats: 5,
  };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    const num = () => {
      i++;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${k}: expected a number, got ${v}`);
      return n;
    };
    if (k === '--phase') {
      i++;
      if (v !== 'pipeline' && v !== 'baseline' && v !== 'rules') throw new Error(`--phase: pipeline | baseline | rules, got ${v}`);
      o.phase = v;
    } else if (k === '--clusters') o.clusters = num();
    else if (k === '--nodegroups') o.nodegroupsPerCluster = num();
    else if (k === '--security-groups') o.securityGroupsPerCluster = num();
    else if (k === '--subnets') o.subnetsPerCluster = num();
    else if (k === '--latency') o.latencyMs = num();
    else if (k === '--concurrency') o.concurrency = num();
    else if (k === '--events') o.eventsPerFamily = num();
    else if (k === '--sweep-concurrency') o.sweepConcurrency = num();
    else if (k === '--rule-repeats') o.ruleRepeats = num();
    else if (k === '--real-time') o.realTime = true;
    else throw new Error(`unknown option ${k}`);
  }
  return o;
}

if (require.main === module) {
  measure(parseArgs(process.argv.slice(2))).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (e: unknown) => {
      process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}

export type { Family };
