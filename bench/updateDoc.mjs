#!/usr/bin/env node
// Writes the figures of a saved bench report into docs/PERFORMANCE.md (between the bench:begin/bench:end markers),
// so the document shows exactly one run:  npm run bench -- --json > /tmp/bench.json && node bench/updateDoc.mjs /tmp/bench.json
import { readFileSync, writeFileSync } from 'node:fs';

const [file, doc = 'docs/PERFORMANCE.md'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/updateDoc.mjs REPORT.json [docs/PERFORMANCE.md]\n');
  process.exit(2);
}
const r = JSON.parse(readFileSync(file, 'utf8'));

const row = (cells) => `| ${cells.join(' | ')} |`;
const tableMd = (headers, rows) => [row(headers), row(headers.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(row)].join('\n');
const kb = (b) => `${(b / 1000).toFixed(0)} kB`;
const ops = (o) =>
  Object.entries(o ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k.replace(/^[a-z0-9]+:/, '')} ${v}`)
    .join(', ');

const out = [];
const s = r.settings;
out.push(
  `Run of ${s.date ?? 'the date in the report'} on Node ${s.node}, ${s.seconds} s in total: synthetic accounts of ${Object.keys(r.bySize).join(', ')} clusters, ` +
    `${s.latencyMs} ms per AWS call, at most ${s.concurrencyLimit} calls in flight, ${s.clock} clock; ` +
    `${s.eventsPerFamily} events per family through the pipeline, ${s.baselineEventsPerFamily} naive re-scans per family.`,
);
out.push('');
out.push('### Targets');
out.push('');
out.push(tableMd(['target', 'wanted', 'this run', ''], r.targets.map((t) => [t.name, t.target, String(t.actual), t.met ? 'met' : '**missed**'])));
out.push('');
out.push(`### Per event, ${r.clusters} clusters (pipeline vs naive re-scan, same run)`);
out.push('');
out.push(
  tableMd(
    ['family', 'API calls mean', 'max', 'naive calls', 'naive ÷ pipeline', 'wall p50 ms', 'wall p99 ms', 'naive wall p50 s', 'CPU ms/event', 'naive CPU ms', 'heap MB (naive)', 'first event of a cold container'],
    Object.entries(r.families).map(([f, v]) => [
      f,
      v.apiCalls.mean,
      v.apiCalls.max,
      v.baselineApiCalls.mean,
      v.baselineToEventCallRatio,
      v.evalMs.p50,
      v.evalMs.p99,
      (v.baselineEvalMs.p50 / 1000).toFixed(1),
      v.cpuMsPerEvent,
      v.baselineCpuMsPerEvent,
      `${v.peakHeapUsedMb} (${v.baselinePeakHeapUsedMb})`,
      `${v.coldIndex.apiCalls} calls, ${(v.coldIndex.evalMs / 1000).toFixed(1)} s (${v.coldIndex.eventName})`,
    ]),
  ),
);
out.push('');
out.push('Mean calls per event, by operation:');
out.push('');
for (const [f, v] of Object.entries(r.families)) out.push(`- **${f}** (${v.eventNames.join(', ')}): ${ops(v.meanCallsByOperation)}${v.kubernetesCalls?.mean ? `; plus ${v.kubernetesCalls.mean} Kubernetes API requests` : ''}`);
out.push(`- **naive re-scan** (any event): ${ops(Object.values(r.families)[0].baselineMeanCallsByOperation)}`);
out.push('');
out.push('### Sweep');
out.push('');
const sw = r.sweep;
out.push(
  `${sw.clusters} clusters, cluster concurrency ${sw.concurrency}: **${sw.simulatedSeconds} s** simulated, ${sw.apiCalls} AWS calls (${sw.apiCallsPerCluster} per cluster) plus ${sw.kubernetesCalls} Kubernetes requests, ` +
    `at most ${sw.maxConcurrentCalls} calls in flight (${sw.maxWantedCalls} wanted at once), ${sw.rateLimitWaitSeconds} s of call time spent queued behind the request buckets (almost all of it behind LookupEvents' 2 per second); ` +
    `${sw.cpuSeconds} s CPU.`,
);
out.push('');
out.push(`Calls by operation: ${ops(sw.callsByOperation)}.`);
out.push('');
out.push(
  `By cluster concurrency (same 10-call limit): ${Object.entries(sw.byConcurrency)
    .map(([c, v]) => `${c} → ${v.simulatedSeconds} s`)
    .join(', ')}. What-if, CreateCluster records read once per sweep instead of once per cluster: ` +
    `**${sw.whatIf.lookupEventsOncePerSweep.simulatedSeconds} s**, ${sw.whatIf.lookupEventsOncePerSweep.apiCalls} calls (${sw.whatIf.lookupEventsOncePerSweep.lookupEventsCalls} LookupEvents).`,
);
out.push('');
out.push(
  `Cluster index (built by the first event of a container that needs it, then kept ${'5 min'}): ${r.clusterIndexBuild.apiCalls} calls, ${r.clusterIndexBuild.simulatedSeconds} s simulated (${ops(r.clusterIndexBuild.callsByOperation)}).`,
);
out.push('');
out.push('### CPU and memory');
out.push('');
const e = r.evaluation.cpuMsPerCluster;
out.push(`Rule evaluation (all cluster rules, full view, no I/O), per cluster over ${r.evaluation.clusters} clusters × ${r.evaluation.repeats}: mean **${e.mean} ms**, p50 ${e.p50} ms, p99 ${e.p99} ms, max ${e.max} ms.`);
out.push('');
out.push(
  `Peak RSS of the pipeline process: **${r.peakRssMb} MB**, of which ${r.memory.pipeline.afterWorld.rssMb} MB is the bench's own synthetic account held in memory (a Lambda does not hold it); ` +
    `the naive baseline process peaked at ${r.memory.baseline.end.peakRssMb} MB.`,
);
out.push('');
out.push('### Cold start');
out.push('');
if (r.handlers.length) {
  out.push(
    tableMd(
      ['handler', 'minified size', 'load ms (median)', 'range', 'load CPU ms', 'same SDK clients unbundled ms'],
      r.handlers.map((h) => [h.name, kb(h.bytes), h.loadMs, `${h.loadMsRange[0]}–${h.loadMsRange[1]}`, h.loadCpuMs, h.sdkUnbundledLoadMs ?? '—']),
    ),
  );
  out.push('');
  out.push(`Median of ${r.coldStart.runs} fresh \`node\` processes each, sampled round-robin. Unbundled comparison for ${r.coldStart.sdkUnbundledFor}: ${r.coldStart.sdkUnbundledClients.join(', ')} required from node_modules.`);
  out.push('');
  const d = r.coldStart.dependencyCosts;
  out.push(`What each heavy dependency of **${d.handler}** costs (the handler rebuilt with the package stubbed out; as built: ${kb(d.asBuilt.bytes)}, ${d.asBuilt.loadMs} ms):`);
  out.push('');
  out.push(
    tableMd(
      ['without', 'bytes saved', 'load ms saved', 'load CPU ms saved', 'size then', 'load ms then'],
      d.dependencies.map((x) => [x.package, kb(x.bytes), x.loadMs, x.loadCpuMs, kb(d.asBuilt.bytes - x.bytes), Math.round((d.asBuilt.loadMs - x.loadMs) * 10) / 10]),
    ),
  );
  out.push('');
  out.push(`Time deltas come from medians of ${d.runs} processes on a shared 2-core machine: differences of a few ms are noise (a negative saving is such noise).`);
  out.push('');
  out.push('Largest contributors to the event handlers:');
  out.push('');
  const h = r.handlers.find((x) => x.name === d.handler) ?? r.handlers[0];
  out.push(h.topPackages.map((p) => `${p.package} ${kb(p.bytes)}`).join(', ') + '.');
}
out.push('');
out.push('### Smaller accounts');
out.push('');
out.push(
  tableMd(
    ['clusters', 'security groups', 'subnets', 'instances', 'sweep s', 'sweep calls', ...Object.keys(r.families).map((f) => `${f} calls (naive)`)],
    Object.entries(r.bySize).map(([n, v]) => [
      n,
      v.world.securityGroups,
      v.world.subnets,
      v.world.instances,
      v.sweep.simulatedSeconds,
      v.sweep.apiCalls,
      ...Object.values(v.families).map((f) => `${f.apiCalls.mean} (${f.baselineApiCalls.mean})`),
    ]),
  ),
);

const text = readFileSync(doc, 'utf8');
const begin = '<!-- bench:begin -->';
const end = '<!-- bench:end -->';
const i = text.indexOf(begin);
const j = text.indexOf(end);
if (i < 0 || j < i) {
  process.stderr.write(`${doc}: markers ${begin} … ${end} not found\n`);
  process.exit(2);
}
writeFileSync(doc, `${text.slice(0, i + begin.length)}\n${out.join('\n')}\n${text.slice(j)}`);
process.stderr.write(`${doc}: figures updated from ${file}\n`);
