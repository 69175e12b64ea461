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
import { withClusterVersionsCache } from '../src/inventory/clusterVersions';
import { buildAccountView, buildClusterView } from '../src/inventory/buildView';
import type { AwsReader } from '../src/inventory/reader';
import type { ClusterView, ViewPart } from '../src/inventory/view';
import { evaluateAccount, evaluateCluster } from '../src/rules/engine/evaluate';
import { createClusterIndexCache } from '../src/events/resolve';
import { MemoryBackend, MemoryFindingStore } from '../src/findings/memoryStore';
import { processEvent, sweep, type PipelineDeps } from '../src/pipeline';
import { processAuditDelivery } from '../src/audit/pipeline';
import { isSubscriptionDelivery } from '../src/audit/delivery';
import { HANDLER_OF } from '../src/events/catalog';
import { LambdaLogger } from '../src/lambdaLogger';
import { auditSummary, eventSummary, sweepSummary } from '../src/runtime';
import type { SnsNotification } from '../src/notify/message';
import type { Logger } from '../src/log';
import { RealClock, VirtualClock, type Clock } from './clock';
import { CountingReader, type CallStats } from './countingReader';
import { CountingStore, STATE_OPERATIONS, storedBytes, type StoreStats } from './countingStore';
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
  /** Simulated latency of one DynamoDB request (the store). */
  storeLatencyMs: number;
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
  /** DynamoDB requests and request units the store was charged. */
  store: StoreStats;
  /** SNS messages published (and their 64 KB billing chunks). */
  published: { messages: number; chunks: number };
  /** What the invocation wrote to its log (Powertools JSON lines and EMF), when it ran through a Lambda logger. */
  log: { bytes: number; lines: number };
}

const ALL_PARTS: ReadonlySet<ViewPart> = new Set<ViewPart>(['nodegroups', 'securityGroups', 'network', 'accessEntries', 'addons', 'kubernetes', 'creator']);

/** Logs nothing: the bench measures the pipeline, not console I/O. */
const quietLogger: Logger = { log: () => undefined, metric: () => undefined };

const progress = (msg: string) => process.stderr.write(`  [${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** Everything the bench counts around one unit of work. */
interface Meters {
  reader: CountingReader;
  store: CountingStore;
  clock: Clock;
  virtual: boolean;
  published: { messages: number; chunks: number };
}

/** What the Lambda runtime would ship to CloudWatch Logs: stdout while `fn` runs (the bench's report is printed after). */
async function capturingStdout<T>(fn: () => Promise<T>): Promise<{ value: T; bytes: number; lines: number }> {
  const original = process.stdout.write.bind(process.stdout);
  let bytes = 0;
  let lines = 0;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    bytes += Buffer.byteLength(text);
    lines += (text.match(/\n/g) ?? []).length;
    const cb = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write;
  try {
    return { value: await fn(), bytes, lines };
  } finally {
    process.stdout.write = original;
  }
}

async function measured<T>(m: Meters, fn: () => Promise<T>): Promise<{ value: T; sample: Sample }> {
  m.reader.reset();
  m.store.reset();
  m.published.messages = 0;
  m.published.chunks = 0;
  const v0 = m.clock.now();
  const r0 = performance.now();
  const c0 = process.cpuUsage();
  const { value, bytes, lines } = await capturingStdout(fn);
  const cpu = process.cpuUsage(c0);
  const real = performance.now() - r0;
  const calls = m.reader.snapshot();
  const sim = calls.innerMs;
  const io = m.virtual ? m.clock.now() - v0 : real;
  const compute = Math.max(0, real - sim);
  return {
    value,
    sample: {
      calls,
      ioMs: io,
      computeMs: compute,
      wallMs: m.virtual ? io + compute : real,
      cpuMs: Math.max(0, (cpu.user + cpu.system) / 1000 - sim),
      simulatorMs: sim,
      heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
      store: m.store.snapshot(),
      published: { ...m.published },
      log: { bytes, lines },
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
    wallMsMean: round(mean(samples.map((s) => s.wallMs))),
    store: storeSummary(samples),
    published: { messages: round(mean(samples.map((s) => s.published.messages)), 3), chunks: round(mean(samples.map((s) => s.published.chunks)), 3) },
    log: { bytes: round(mean(samples.map((s) => s.log.bytes))), lines: round(mean(samples.map((s) => s.log.lines)), 2) },
  };
}

/** Mean DynamoDB requests and request units per unit of work. */
function storeSummary(samples: Sample[]) {
  const byOperation: Record<string, number> = {};
  for (const s of samples) addCounts(byOperation, s.store.byOperation);
  const n = Math.max(1, samples.length);
  for (const k of Object.keys(byOperation)) byOperation[k] = round(byOperation[k] / n);
  const state = (pick: (u: { read: number; write: number }) => number) =>
    round(mean(samples.map((s) => STATE_OPERATIONS.reduce((n, op) => n + (s.store.unitsByOperation[op] ? pick(s.store.unitsByOperation[op]) : 0), 0))));
  return {
    requests: round(mean(samples.map((s) => s.store.requests))),
    readUnits: round(mean(samples.map((s) => s.store.readUnits))),
    writeUnits: round(mean(samples.map((s) => s.store.writeUnits))),
    /** The part of those units spent on the state items (cluster index, CreateCluster records, head). */
    stateReadUnits: state((u) => u.read),
    stateWriteUnits: state((u) => u.write),
    byOperation,
  };
}

/** The JSON of one measured sweep. */
function sweepReport(r: { value: Awaited<ReturnType<typeof sweep>>; sample: Sample }, concurrency: number) {
  const c = r.sample.calls;
  const clusters = r.value.clusters.length;
  return {
    clusters,
    errors: r.value.errors.length,
    simulatedSeconds: round(r.sample.ioMs / 1000, 3),
    wallSeconds: round(r.sample.wallMs / 1000, 3),
    computeSeconds: round(r.sample.computeMs / 1000, 3),
    cpuSeconds: round(r.sample.cpuMs / 1000, 3),
    simulatorSeconds: round(r.sample.simulatorMs / 1000, 3),
    maxConcurrentCalls: c.maxConcurrent,
    maxWantedCalls: c.maxWanted,
    apiCalls: c.apiCalls,
    apiCallsPerCluster: round(c.apiCalls / Math.max(1, clusters)),
    kubernetesCalls: c.kubernetesCalls,
    callsByOperation: c.byOperation,
    rateLimitWaitSeconds: round(c.rateLimitWaitMs / 1000, 2),
    concurrency,
    findingsOpened: r.value.scopes.reduce((n, sc) => n + sc.changes.opened.length, 0),
    store: storeSummary([r.sample]),
    published: r.sample.published,
    log: r.sample.log,
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
  const store = new CountingStore(clock, o.storeLatencyMs);
  const meters: Meters = { reader, store, clock, virtual: !o.realTime, published: { messages: 0, chunks: 0 } };
  return { account, world, clock, worldReader, reader, meters, virtual: !o.realTime };
}

/** SNS bills a publish per 64 KB chunk of payload. */
const snsChunks = (n: SnsNotification) => Math.max(1, Math.ceil(Buffer.byteLength(n.Message) / 65_536));

/**
 * One Lambda container of the deployment: its own caches (cluster index, CreateCluster records) over the store every
 * container shares. `state: false` is the container as it was before the store kept them: the index built from the
 * EKS API by the first event that needs it, creators from LookupEvents.
 */
function container(s: ReturnType<typeof setup>, backend: MemoryBackend, opts: { state: boolean; log?: Logger }): PipelineDeps {
  const store = new MemoryFindingStore({}, backend);
  return {
    // As src/runtime.ts builds it: the version calendar is read once per container.
    reader: withClusterVersionsCache(s.reader),
    store,
    config: defaultConfig,
    log: opts.log ?? quietLogger,
    publish: async (ns) => {
      s.meters.published.messages += ns.length;
      s.meters.published.chunks += ns.reduce((n, x) => n + snsChunks(x), 0);
    },
    ...(opts.state ? { state: store.state, indexCache: createClusterIndexCache({ state: store.state }) } : { indexCache: createClusterIndexCache() }),
  };
}

/** The Lambda context the handler wrapper needs (request id, function name) for its log lines. */
const contextOf = (functionName: string) =>
  ({ functionName, functionVersion: '$LATEST', invokedFunctionArn: `arn:aws:lambda:us-east-1:111122223333:function:${functionName}`, memoryLimitInMB: '512', awsRequestId: '00000000-0000-4000-8000-000000000000', logGroupName: `/aws/lambda/${functionName}`, logStreamName: 'bench', callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 60_000, done: () => undefined, fail: () => undefined, succeed: () => undefined }) as Parameters<ReturnType<LambdaLogger['handler']>>[1];

/** One logger per function, as each function's containers have: its name is the function_name dimension. */
const loggers = new Map<string, LambdaLogger>();
function lambdaLogger(fn: string): LambdaLogger {
  let l = loggers.get(fn);
  if (!l) loggers.set(fn, (l = new LambdaLogger({ ...process.env, AWS_LAMBDA_FUNCTION_NAME: `eks-drift-prod-${fn}` })));
  return l;
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

/** The in-memory backend's items (the bench sizes them as DynamoDB would store them). */
const stateOf = (b: MemoryBackend) => (b as unknown as { state: Parameters<typeof storedBytes>[0] }).state;

/** The function serving a bench family (serverless.yml): its name is the function_name dimension of its metrics. */
function functionOf(family: Family): string {
  if (family === 'auditLog') return 'auditLog';
  if (family === 'unrelatedSecurityGroup') return HANDLER_OF.securityGroup;
  return HANDLER_OF[family];
}

async function pipelinePhase(o: MeasureOptions) {
  const s = setup(o);
  const afterWorld = memory();
  const memoryBackend = new MemoryBackend();
  const backend = s.meters.store.wrap(memoryBackend);
  const sweepLog = lambdaLogger('sweep');
  const deps = container(s, backend, { state: true, log: sweepLog });
  const runSweep = (d: PipelineDeps, concurrency: number) =>
    measured(s.meters, () => sweepLog.handler(async () => {
      const out = await sweep(d, { concurrency });
      d.log.log('info', 'sweep done', sweepSummary(out));
      return out;
    })({}, contextOf('eks-drift-prod-sweep')));

  // The deployment's first sweep (the baseline, over an empty store), then a scheduled one over what it stored.
  progress(`${o.clusters} clusters: baseline sweep (concurrency ${o.sweepConcurrency})`);
  const baselineSweep = sweepReport(await runSweep(deps, o.sweepConcurrency), o.sweepConcurrency);
  progress(`${o.clusters} clusters: scheduled sweep`);
  const scheduledSweep = sweepReport(await runSweep(deps, o.sweepConcurrency), o.sweepConcurrency);

  // The baseline sweep at other cluster concurrencies: what the SWEEP_CONCURRENCY setting buys (same reader limit).
  const sweepByConcurrency: Record<string, { simulatedSeconds: number; maxConcurrentCalls: number; maxWantedCalls: number }> = {};
  // With real sleeps these extra sweeps would take minutes each: only the virtual clock runs them.
  for (const c of o.realTime ? [] : [1, 4, 8, 16].filter((c) => c !== o.sweepConcurrency)) {
    const r = sweepReport(await runSweep(container(s, s.meters.store.wrap(new MemoryBackend()), { state: true, log: sweepLog }), c), c);
    sweepByConcurrency[c] = { simulatedSeconds: r.simulatedSeconds, maxConcurrentCalls: r.maxConcurrentCalls, maxWantedCalls: r.maxWantedCalls };
  }
  sweepByConcurrency[o.sweepConcurrency] = { simulatedSeconds: baselineSweep.simulatedSeconds, maxConcurrentCalls: baselineSweep.maxConcurrentCalls, maxWantedCalls: baselineSweep.maxWantedCalls };

  const afterSweeps = storedBytes(stateOf(memoryBackend));

  // What a container did before the store kept the index: build it from the EKS API (and, warm, every 5 minutes).
  const legacy = container(s, backend, { state: false });
  const build = await measured(s.meters, () => legacy.indexCache!.get(s.reader));
  const indexBuild = { apiCalls: build.sample.calls.apiCalls, simulatedSeconds: round(build.sample.ioMs / 1000, 3), cpuSeconds: round(build.sample.cpuMs / 1000, 3), callsByOperation: build.sample.calls.byOperation };

  const families: Record<string, unknown> = {};
  for (const family of FAMILIES) {
    progress(`${o.clusters} clusters: ${o.eventsPerFamily} ${family} events`);
    const fn = functionOf(family);
    const log = lambdaLogger(fn);
    const warmState = container(s, backend, { state: true, log });
    const warmLegacy = container(s, backend, { state: false });
    // The same calls three times over, each time with ids of their own (a store never sees one twice): for warm
    // containers, for containers as they were before the state was kept, and for freshly started ones.
    const events = familyEvents(s.account, family, o.eventsPerFamily);
    const legacyEvents = familyEvents(s.account, family, o.eventsPerFamily);
    const coldEvents = familyEvents(s.account, family, o.eventsPerFamily);
    const warm: Sample[] = [];
    const before: Sample[] = [];
    const statuses: Record<string, number> = {};
    const clustersTouched: number[] = [];
    for (const [i, ev] of events.entries()) {
      const r = await runEvent(warmState, ev, s, fn);
      warm.push(r.sample);
      before.push((await runEvent(warmLegacy, legacyEvents[i], s)).sample);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      clustersTouched.push(r.clusters);
      if (r.status !== 'processed' && family !== 'unrelatedSecurityGroup') progress(`  ${ev.eventName} on ${ev.cluster}: ${r.status} (${r.reason ?? ''})`);
    }
    // The first event of a freshly started container, for each kind of call of the family (new caches over the
    // deployment's store); the family's worst is reported, now and before.
    type Cold = { event: BenchEvent; r: Awaited<ReturnType<typeof runEvent>> };
    const firstOfEachKind = coldEvents.filter((e, i) => coldEvents.findIndex((x) => x.eventName === e.eventName) === i);
    const colds: { now: Cold; before: Cold }[] = [];
    // A Lambda container knows its account from the function ARN it was invoked as (src/runtime.ts): no STS call.
    for (const ev of firstOfEachKind) {
      const now = { event: ev, r: await runEvent(container(s, backend, { state: true, log }), ev, s, fn) };
      colds.push({ now, before: { event: ev, r: await runEvent(container(s, backend, { state: false }), legacyEvents[coldEvents.indexOf(ev)], s) } });
    }
    const worst = (pick: (c: { now: Cold; before: Cold }) => Cold) => colds.map(pick).reduce((a, c) => (c.r.sample.calls.apiCalls > a.r.sample.calls.apiCalls || (c.r.sample.calls.apiCalls === a.r.sample.calls.apiCalls && c.r.sample.wallMs > a.r.sample.wallMs) ? c : a));
    const coldOf = ({ event, r }: Cold) => ({
      eventName: event.eventName,
      apiCalls: r.sample.calls.apiCalls,
      callsByOperation: r.sample.calls.byOperation,
      evalMs: round(r.sample.wallMs),
      status: r.status,
      store: storeSummary([r.sample]),
    });
    const b = summarise(before);
    families[family] = {
      ...summarise(warm),
      function: fn,
      statuses,
      clustersPerEvent: { mean: round(mean(clustersTouched)), max: max(clustersTouched) },
      eventNames: [...new Set(events.map((e) => e.eventName))],
      coldIndex: coldOf(worst((c) => c.now)),
      coldByEvent: Object.fromEntries(colds.map((c) => [c.now.event.eventName, { apiCalls: c.now.r.sample.calls.apiCalls, evalMs: round(c.now.r.sample.wallMs), before: { apiCalls: c.before.r.sample.calls.apiCalls, evalMs: round(c.before.r.sample.wallMs) } }])),
      before: { apiCalls: b.apiCalls, evalMs: b.evalMs, wallMsMean: b.wallMsMean, meanCallsByOperation: b.meanCallsByOperation, cold: coldOf(worst((c) => c.before)) },
    };
  }
  // What the table holds after the sweeps and events; markers (one per trigger and cluster, kept 14 days) per event.
  const end = storedBytes(stateOf(memoryBackend));
  const eventsRun = Object.values(families).reduce((n: number, f) => n + (f as { events: number }).events + Object.keys((f as { coldByEvent: object }).coldByEvent).length, 0);
  const storage = {
    findings: end.findings,
    scopes: end.scopes,
    index: end.index,
    creators: end.creators,
    awsPolicies: end.awsPolicies,
    templateVersions: end.templateVersions,
    markerBytes: Math.round(end.markers / Math.max(1, end.markerCount)),
    markersPerEvent: round((end.markerCount - afterSweeps.markerCount) / Math.max(1, eventsRun * 2), 3),
    markersPerSweep: round(afterSweeps.markerCount / 2, 1),
  };
  return { phase: 'pipeline', world: worldSize(s.account), memory: { afterWorld, end: memory() }, sweep: baselineSweep, scheduledSweep, sweepByConcurrency, indexBuild, families, storage };
}

/** One event through the pipeline; with `fn`, through its function's Lambda logger and handler wrapper, as in Lambda. */
async function runEvent(deps: PipelineDeps, ev: BenchEvent, s: ReturnType<typeof setup>, fn?: string) {
  const audit = isSubscriptionDelivery(ev.event);
  const process1 = async () => {
    if (audit) {
      const o = await processAuditDelivery(ev.event, deps);
      deps.log.log('info', 'audit delivery processed', auditSummary(o));
      return o;
    }
    const o = await processEvent(ev.event, deps);
    deps.log.log('info', 'event processed', eventSummary(ev.family, o));
    return o;
  };
  const run = fn && deps.log instanceof LambdaLogger ? () => (deps.log as LambdaLogger).handler(process1)({}, contextOf(`eks-drift-prod-${fn}`)) : process1;
  const r = await measured(s.meters, run);
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
      samples.push((await measured(s.meters, () => naiveScan(s.reader, defaultConfig, o.concurrency))).sample);
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
    sweepConcurrency: 8,
    storeLatencyMs: 5,
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
    else if (k === '--store-latency') o.storeLatencyMs = num();
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
