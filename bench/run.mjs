#!/usr/bin/env node
// `npm run bench [-- --json] [options]`: API calls, latency, CPU and memory per event family and for the sweep,
// against a naive re-scan-everything baseline in the same run, plus handler cold starts. See docs/PERFORMANCE.md.
// With --json, stdout carries the JSON report and nothing else; progress goes to stderr.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coldStart } from './coldStart.mjs';

process.chdir(resolve(dirname(fileURLToPath(import.meta.url)), '..'));

const USAGE = `usage: npm run bench -- [--json] [--sizes 5,50,200,1000] [--latency MS] [--store-latency MS] [--concurrency N]
       [--events N] [--baseline-events N] [--naive-max CLUSTERS] [--sweep-concurrency N] [--nodegroups N]
       [--security-groups N] [--subnets N] [--load-runs N] [--dependency-runs N] [--no-cold-start] [--real-time]`;

function parseArgs(argv) {
  const o = {
    json: false,
    sizes: [5, 50, 200, 1000],
    latency: 30,
    storeLatency: 5,
    naiveMax: 200,
    concurrency: 10,
    events: 20,
    baselineEvents: 3,
    sweepConcurrency: 8,
    nodegroups: undefined,
    securityGroups: undefined,
    subnets: undefined,
    loadRuns: 15,
    dependencyRuns: 9,
    coldStart: true,
    realTime: false,
  };
  const nums = { '--latency': 'latency', '--store-latency': 'storeLatency', '--naive-max': 'naiveMax', '--concurrency': 'concurrency', '--events': 'events', '--baseline-events': 'baselineEvents', '--sweep-concurrency': 'sweepConcurrency', '--nodegroups': 'nodegroups', '--security-groups': 'securityGroups', '--subnets': 'subnets', '--load-runs': 'loadRuns', '--dependency-runs': 'dependencyRuns' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') o.json = true;
    else if (a === '--no-cold-start') o.coldStart = false;
    else if (a === '--real-time') o.realTime = true;
    else if (a === '--sizes') {
      o.sizes = String(argv[++i]).split(',').map(Number);
      if (!o.sizes.length || o.sizes.some((n) => !Number.isInteger(n) || n < 1)) fail(`--sizes: expected cluster counts such as 1,20,200`);
      o.sizes.sort((a, b) => a - b);
    } else if (a in nums) {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < (a === '--latency' || a === '--store-latency' || a === '--naive-max' ? 0 : 1)) fail(`${a}: expected a positive number, got ${argv[i]}`);
      o[nums[a]] = v;
    } else if (a === '--help' || a === '-h') {
      process.stderr.write(USAGE + '\n');
      process.exit(0);
    } else fail(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}

function fail(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}

const log = (msg) => process.stderr.write(`bench: ${msg}\n`);
const opts = parseArgs(process.argv.slice(2));
const started = Date.now();

// TypeScript is bundled with esbuild (no ts-node here); the bundle is private to this run.
const work = mkdtempSync(join(tmpdir(), 'eks-drift-bench-'));
const measureJs = join(work, 'measure.cjs');
const costJs = join(work, 'cost.cjs');
const bundle = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', mainFields: ['module', 'main'], logLevel: 'warning' };
await build({ ...bundle, entryPoints: ['bench/cost.ts'], outfile: costJs });
await build({ ...bundle, entryPoints: ['bench/measure.ts'], outfile: measureJs, sourcemap: 'inline' });

/** One measurement phase in its own process, so its peak memory is its own. */
function phase(name, clusters, events) {
  const args = [
    '--enable-source-maps',
    measureJs,
    '--phase', name,
    '--clusters', String(clusters),
    '--latency', String(opts.latency),
    '--store-latency', String(opts.storeLatency),
    '--concurrency', String(opts.concurrency),
    '--events', String(events),
    '--sweep-concurrency', String(opts.sweepConcurrency),
  ];
  if (opts.nodegroups !== undefined) args.push('--nodegroups', String(opts.nodegroups));
  if (opts.securityGroups !== undefined) args.push('--security-groups', String(opts.securityGroups));
  if (opts.subnets !== undefined) args.push('--subnets', String(opts.subnets));
  if (opts.realTime) args.push('--real-time');
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  if (r.status !== 0) throw new Error(`phase ${name} (${clusters} clusters) failed with status ${r.status}`);
  return JSON.parse(r.stdout);
}

const round = (n, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

let report;
try {
  const sizes = {};
  for (const n of opts.sizes) {
    log(`account of ${n} cluster(s): pipeline`);
    const pipeline = phase('pipeline', n, opts.events);
    // The naive re-scan reads every cluster for every event: above --naive-max clusters its figure is only slow to get.
    let baseline = null;
    if (n <= opts.naiveMax) {
      log(`account of ${n} cluster(s): naive baseline`);
      baseline = phase('baseline', n, opts.baselineEvents);
    }
    sizes[n] = { pipeline, baseline };
  }
  const largest = opts.sizes[opts.sizes.length - 1];
  // Per-family detail at 200 clusters (the issue's reference account), or the largest size when 200 was not run.
  const detailed = opts.sizes.includes(200) ? 200 : largest;
  log(`rule evaluation CPU over ${detailed} full cluster views`);
  const rules = phase('rules', detailed, 1);

  const familiesOf = (n) => {
    const { pipeline, baseline } = sizes[n];
    return Object.fromEntries(
      Object.entries(pipeline.families).map(([family, p]) => {
        const b = baseline?.families[family];
        return [
          family,
          {
            function: p.function,
            apiCalls: { mean: p.apiCalls.mean, max: p.apiCalls.max },
            baselineApiCalls: b ? { mean: b.apiCalls.mean } : null,
            baselineToEventCallRatio: b && p.apiCalls.mean ? round(b.apiCalls.mean / p.apiCalls.mean, 1) : null,
            evalMs: p.evalMs,
            wallMsMean: p.wallMsMean,
            cpuMsPerEvent: p.cpuMsPerEvent,
            baselineEvalMs: b?.evalMs ?? null,
            baselineCpuMsPerEvent: b?.cpuMsPerEvent ?? null,
            peakHeapUsedMb: p.peakHeapUsedMb,
            baselinePeakHeapUsedMb: b?.peakHeapUsedMb ?? null,
            ioMs: p.ioMs,
            computeMs: p.computeMs,
            kubernetesCalls: p.kubernetesCalls,
            clustersPerEvent: p.clustersPerEvent,
            statuses: p.statuses,
            eventNames: p.eventNames,
            meanCallsByOperation: p.meanCallsByOperation,
            maxConcurrentCalls: p.maxConcurrentCalls,
            coldIndex: p.coldIndex,
            coldByEvent: p.coldByEvent,
            before: p.before,
            store: p.store,
            published: p.published,
            log: p.log,
            baselineMeanCallsByOperation: b?.meanCallsByOperation ?? null,
          },
        ];
      }),
    );
  };

  const big = sizes[detailed];
  const cold = opts.coldStart ? await coldStart({ runs: opts.loadRuns, dependencyRuns: opts.dependencyRuns, log }) : { handlers: [], sdkUnbundledLoadMs: null };

  report = {
    clusters: detailed,
    families: familiesOf(detailed),
    sweep: { ...big.pipeline.sweep, byConcurrency: big.pipeline.sweepByConcurrency, scheduled: big.pipeline.scheduledSweep },
    clusterIndexBuild: big.pipeline.indexBuild,
    handlers: cold.handlers,
    sdkUnbundledLoadMs: cold.sdkUnbundledLoadMs,
    peakRssMb: big.pipeline.memory.end.peakRssMb,
    memory: {
      pipeline: big.pipeline.memory,
      baseline: big.baseline?.memory ?? null,
      note: 'afterWorld is the synthetic account held in memory by the bench (a Lambda does not hold it); peakRssMb is the pipeline process peak',
    },
    evaluation: { cpuMsPerCluster: rules.cpuMsPerCluster, clusters: rules.clusters, repeats: rules.repeats },
    coldStart: opts.coldStart
      ? {
          sdkUnbundledClients: cold.sdkUnbundledClients,
          sdkUnbundledFor: cold.representativeHandler,
          sdkUnbundledLoadCpuMs: cold.sdkUnbundledLoadCpuMs,
          emptyProcessLoadMs: cold.emptyLoadMs,
          runs: cold.loadRuns,
          dependencyCosts: cold.dependencyCosts,
        }
      : null,
    bySize: Object.fromEntries(
      opts.sizes.map((n) => [
        n,
        {
          world: sizes[n].pipeline.world,
          sweep: sizes[n].pipeline.sweep,
          scheduledSweep: sizes[n].pipeline.scheduledSweep,
          clusterIndexBuild: sizes[n].pipeline.indexBuild,
          storage: sizes[n].pipeline.storage,
          families: familiesOf(n),
        },
      ]),
    ),
    settings: {
      latencyMs: opts.latency,
      storeLatencyMs: opts.storeLatency,
      concurrencyLimit: opts.concurrency,
      eventsPerFamily: opts.events,
      baselineEventsPerFamily: opts.baselineEvents,
      naiveMax: opts.naiveMax,
      sweepConcurrency: opts.sweepConcurrency,
      clock: opts.realTime ? 'real' : 'virtual',
      node: process.version,
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      seconds: round((Date.now() - started) / 1000, 1),
    },
  };
  report.targets = targets(report);
  // What a month costs for the three account profiles, from these figures (bench/cost.ts, bench/prices.ts).
  const { monthlyCosts, readServerless, PROFILES, ASSUMPTIONS, PRICES } = createRequire(import.meta.url)(costJs);

  report.cost = {
    ...monthlyCosts({ bySize: report.bySize, handlers: report.handlers, settings: report.settings, eventsPerFamily: opts.events }, readServerless(readFileSync('serverless.yml', 'utf8'))),
    prices: PRICES,
    assumptions: ASSUMPTIONS,
    profileDefinitions: PROFILES,
  };
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** The issue's targets: per-event calls, the cold container's first event, creator latency, sweeps at every size. */
function targets(r) {
  const sg = r.families.securityGroup;
  const t = [];
  const add = (name, target, actual, met, before) => t.push({ name, target, actual, met, ...(before !== undefined ? { before } : {}) });
  if (sg?.baselineToEventCallRatio) add('securityGroup calls vs naive baseline', '<= 1/20 of baseline', `1/${sg.baselineToEventCallRatio}`, sg.baselineToEventCallRatio >= 20);
  if (sg) add('securityGroup calls per event', '<= 12 (max)', sg.apiCalls.max, sg.apiCalls.max <= 12);
  for (const [family, f] of Object.entries(r.families)) {
    if (family === 'unrelatedSecurityGroup') continue;
    add(`${family}: first event of a cold container, ${r.clusters} clusters (worst kind of call)`, '<= 15 AWS calls', `${f.coldIndex.apiCalls} (${f.coldIndex.eventName})`, f.coldIndex.apiCalls <= 15, f.before.cold.apiCalls);
  }
  for (const family of ['clusterConfig', 'accessEntry']) {
    const f = r.families[family];
    if (f) add(`${family} event, ${r.clusters} clusters (p99 warm; cold)`, '< 300 ms simulated', `${f.evalMs.p99}; ${f.coldIndex.evalMs}`, f.evalMs.p99 < 300 && f.coldIndex.evalMs < 300, `${f.before.evalMs.p99}; ${f.before.cold.evalMs}`);
  }
  for (const [n, v] of Object.entries(r.bySize)) {
    if (Number(n) < 200) continue;
    add(`sweep of ${n} clusters (baseline; scheduled)`, '< 60 s simulated', `${v.sweep.simulatedSeconds}; ${v.scheduledSweep.simulatedSeconds}`, v.sweep.simulatedSeconds < 60 && v.scheduledSweep.simulatedSeconds < 60);
    add(`sweep of ${n} clusters: concurrent calls`, '<= 10', v.sweep.maxConcurrentCalls, v.sweep.maxConcurrentCalls <= 10);
  }
  add('rule evaluation CPU per cluster', '< 2 ms (mean)', r.evaluation.cpuMsPerCluster.mean, r.evaluation.cpuMsPerCluster.mean < 2);
  for (const h of r.handlers) {
    add(`${h.name} bundle size`, '< 1 MB (1,000,000 bytes)', h.bytes, h.bytes < 1_000_000);
    add(`${h.name} load time`, '< 120 ms', h.loadMs, h.loadMs < 120);
  }
  return t;
}

if (opts.json) {
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
} else {
  printHuman(report);
}

function table(rows, headers) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r, k) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ') + (k === 0 ? '\n' + widths.map((w) => '-'.repeat(w)).join('  ') : '')).join('\n');
}

function printHuman(r) {
  const out = [];
  out.push(`eks-drift bench — ${r.clusters} clusters, ${r.settings.latencyMs} ms per call, at most ${r.settings.concurrencyLimit} concurrent calls (${r.settings.clock} clock)\n`);
  out.push('Per event (calls = AWS API calls; cold = the first event of a freshly started container; before = the same event without the stored index and creators; naive = re-scan of the whole account):');
  out.push(
    table(
      Object.entries(r.families).map(([f, v]) => [f, v.apiCalls.mean, v.apiCalls.max, v.coldIndex.apiCalls, v.before.cold.apiCalls, v.baselineApiCalls?.mean ?? '—', v.evalMs.p50, v.evalMs.p99, v.before.evalMs.p50, v.coldIndex.evalMs, v.store.requests, v.store.readUnits, v.store.writeUnits, v.log.bytes]),
      ['family', 'calls', 'max', 'cold', 'cold before', 'naive', 'p50 ms', 'p99 ms', 'p50 before', 'cold ms', 'DDB req', 'RRU', 'WRU', 'log B'],
    ),
  );
  out.push('');
  for (const [n, v] of Object.entries(r.bySize)) {
    out.push(`Sweep of ${n} clusters: baseline ${v.sweep.simulatedSeconds} s, ${v.sweep.apiCalls} calls (${v.sweep.apiCallsPerCluster}/cluster), ${v.sweep.maxConcurrentCalls} in flight max; scheduled ${v.scheduledSweep.simulatedSeconds} s, ${v.scheduledSweep.apiCalls} calls`);
  }
  out.push(`  by cluster concurrency (${r.clusters} clusters): ${Object.entries(r.sweep.byConcurrency).map(([c, v]) => `${c} → ${v.simulatedSeconds} s`).join(', ')}`);
  out.push(`Cluster index built from the EKS API (an empty store; before: every cold container and every 5 minutes): ${r.clusterIndexBuild.apiCalls} calls, ${r.clusterIndexBuild.simulatedSeconds} s simulated`);
  out.push(`Rule evaluation CPU per cluster: mean ${r.evaluation.cpuMsPerCluster.mean} ms, p99 ${r.evaluation.cpuMsPerCluster.p99} ms`);
  out.push(`Peak RSS (pipeline process, incl. the synthetic account): ${r.peakRssMb} MB`);
  if (r.handlers.length) {
    out.push('');
    out.push(`Cold start (median of ${r.coldStart.runs} fresh processes; same SDK clients unbundled: ${r.sdkUnbundledLoadMs} ms):`);
    out.push(table(r.handlers.map((h) => [h.name, h.bytes, h.loadMs, h.loadCpuMs, h.sdkUnbundledLoadMs]), ['handler', 'bytes', 'load ms', 'cpu ms', 'SDK unbundled ms']));
    const d = r.coldStart.dependencyCosts;
    out.push('');
    out.push(`What each dependency of ${d.handler} costs (rebuilt without it, median of ${d.runs}; wall-time deltas are noisy on a shared machine, CPU deltas less so):`);
    out.push(table(d.dependencies.map((x) => [x.package, x.bytes, x.loadMs, x.loadCpuMs]), ['package', 'bytes', 'load ms', 'cpu ms']));
  }
  if (r.cost) {
    out.push('');
    out.push(`Monthly cost (${r.cost.prices.region} list prices of ${r.cost.prices.asOf}; assumptions in docs/COST.md):`);
    out.push(table(r.cost.profiles.map((p) => [p.name, p.total.toFixed(2), p.before.total.toFixed(2), ...p.items.map((i) => i.usd.toFixed(2))]), ['profile', 'USD/month', 'before', ...r.cost.profiles[0].items.map((i) => i.name)]));
  }
  out.push('');
  out.push('Targets:');
  out.push(table(r.targets.map((t) => [t.name, t.target, t.actual, t.met ? 'met' : 'MISSED']), ['target', 'wanted', 'actual', '']));
  process.stdout.write(out.join('\n') + '\n');
}
