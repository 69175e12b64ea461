#!/usr/bin/env node
// Writes the figures of a saved bench report into docs/PERFORMANCE.md and docs/COST.md (between their
// bench:begin/bench:end markers), so each document shows exactly one run:
//   npm run -s bench -- --json > /tmp/bench.json && node bench/updateDoc.mjs /tmp/bench.json
import { readFileSync, writeFileSync } from 'node:fs';

const [file, perfDoc = 'docs/PERFORMANCE.md', costDoc = 'docs/COST.md'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/updateDoc.mjs REPORT.json [docs/PERFORMANCE.md] [docs/COST.md]\n');
  process.exit(2);
}
const r = JSON.parse(readFileSync(file, 'utf8'));

const row = (cells) => `| ${cells.join(' | ')} |`;
const tableMd = (headers, rows) => [row(headers), row(headers.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(row)].join('\n');
const kb = (b) => `${(b / 1000).toFixed(0)} kB`;
const n0 = (n) => Math.round(n).toLocaleString('en-US');
const money = (n) => `$${n.toFixed(2)}`;
const ops = (o) =>
  Object.entries(o ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k.replace(/^[a-z0-9]+:/, '')} ${v}`)
    .join(', ');
const s = r.settings;
const runLine =
  `Run of ${s.date ?? 'the date in the report'} on Node ${s.node}, ${s.seconds} s in total: synthetic accounts of ${Object.keys(r.bySize).join(', ')} clusters, ` +
  `${s.latencyMs} ms per AWS call, at most ${s.concurrencyLimit} calls in flight, ${s.storeLatencyMs} ms per DynamoDB request, ${s.clock} clock; ` +
  `${s.eventsPerFamily} events per family through the pipeline, ${s.baselineEventsPerFamily} naive re-scans per family (accounts up to ${s.naiveMax} clusters).`;

function performance() {
  const out = [runLine, ''];
  out.push('### Targets');
  out.push('');
  out.push('The targets of issue 11 (cold containers, creator latency, sweeps at 200 and 1,000 clusters) beside the earlier ones; *before* is the same run without the stored index and CreateCluster records, where it applies.');
  out.push('');
  out.push(tableMd(['target', 'wanted', 'this run', '', 'before'], r.targets.map((t) => [t.name, t.target, String(t.actual), t.met ? 'met' : '**missed**', t.before ?? ''])));
  out.push('');
  out.push(`### Per event, ${r.clusters} clusters`);
  out.push('');
  out.push(
    'Warm: a container that has served events before. Cold: the first event of a freshly started container (its account from the function ARN: no STS call), for the kind of call of the family that costs most. ' +
      '*Before*: the same events in containers without the stored index and CreateCluster records, as before this change ' +
      '(the index built from the EKS API by the first event needing it, creators from LookupEvents; the 5-minute rebuild is priced in docs/COST.md). ' +
      'Naive: a re-scan of the whole account per event. DynamoDB columns: requests and request units per event.',
  );
  out.push('');
  out.push(
    tableMd(
      ['family', 'calls mean', 'max', 'cold', 'cold before', 'naive', 'wall p50 ms', 'p99 ms', 'p50 before', 'cold ms', 'cold before s', 'CPU ms', 'DynamoDB req', 'RRU', 'WRU', 'log bytes'],
      Object.entries(r.families).map(([f, v]) => [
        f,
        v.apiCalls.mean,
        v.apiCalls.max,
        v.coldIndex.apiCalls,
        v.before.cold.apiCalls,
        v.baselineApiCalls?.mean ?? '—',
        v.evalMs.p50,
        v.evalMs.p99,
        v.before.evalMs.p50,
        v.coldIndex.evalMs,
        (v.before.cold.evalMs / 1000).toFixed(1),
        v.cpuMsPerEvent,
        v.store.requests,
        v.store.readUnits,
        v.store.writeUnits,
        v.log.bytes,
      ]),
    ),
  );
  out.push('');
  out.push('Mean calls per event, by operation (warm), and what the cold event read:');
  out.push('');
  for (const [f, v] of Object.entries(r.families)) {
    out.push(`- **${f}** (${v.eventNames.join(', ')}): ${ops(v.meanCallsByOperation)}${v.kubernetesCalls?.mean ? `; plus ${v.kubernetesCalls.mean} Kubernetes API requests` : ''}. Cold (${v.coldIndex.eventName}): ${ops(v.coldIndex.callsByOperation)}; DynamoDB ${ops(v.coldIndex.store.byOperation)}`);
  }
  const naive = Object.values(r.families)[0].baselineMeanCallsByOperation;
  if (naive) out.push(`- **naive re-scan** (any event): ${ops(naive)}`);
  out.push('');
  out.push('### Sweeps');
  out.push('');
  out.push('Baseline: the first sweep of a deployment (an empty store: every finding new, the CreateCluster records copied in). Scheduled: the next one.');
  out.push('');
  out.push(
    tableMd(
      ['clusters', 'baseline s', 'calls', 'per cluster', 'max in flight', 'queued behind buckets s', 'CPU s', 'DynamoDB req (RRU, WRU)', 'scheduled s', 'calls', 'DynamoDB req (RRU, WRU)'],
      Object.entries(r.bySize).map(([n, v]) => [
        n,
        `**${v.sweep.simulatedSeconds}**`,
        v.sweep.apiCalls,
        v.sweep.apiCallsPerCluster,
        v.sweep.maxConcurrentCalls,
        v.sweep.rateLimitWaitSeconds,
        v.sweep.cpuSeconds,
        `${n0(v.sweep.store.requests)} (${n0(v.sweep.store.readUnits)}, ${n0(v.sweep.store.writeUnits)})`,
        `**${v.scheduledSweep.simulatedSeconds}**`,
        v.scheduledSweep.apiCalls,
        `${n0(v.scheduledSweep.store.requests)} (${n0(v.scheduledSweep.store.readUnits)}, ${n0(v.scheduledSweep.store.writeUnits)})`,
      ]),
    ),
  );
  out.push('');
  const largest = Object.entries(r.bySize).at(-1);
  out.push(`Calls by operation, baseline sweep of ${largest[0]} clusters: ${ops(largest[1].sweep.callsByOperation)}.`);
  out.push('');
  out.push(`By cluster concurrency (${r.clusters} clusters, same 10-call limit): ${Object.entries(r.sweep.byConcurrency).map(([c, v]) => `${c} → ${v.simulatedSeconds} s`).join(', ')}.`);
  out.push('');
  out.push(
    `The cluster index built from the EKS API (what every cold container did before, and every warm one every 5 minutes; now only a container finding an empty store): ` +
      Object.entries(r.bySize)
        .map(([n, v]) => `${n} clusters ${v.clusterIndexBuild.apiCalls} calls, ${v.clusterIndexBuild.simulatedSeconds} s`)
        .join('; ') +
      `. At ${r.clusters} clusters: ${ops(r.clusterIndexBuild.callsByOperation)}.`,
  );
  out.push('');
  out.push('### CPU and memory');
  out.push('');
  const e = r.evaluation.cpuMsPerCluster;
  out.push(`Rule evaluation (all cluster rules, full view, no I/O), per cluster over ${r.evaluation.clusters} clusters × ${r.evaluation.repeats}: mean **${e.mean} ms**, p50 ${e.p50} ms, p99 ${e.p99} ms, max ${e.max} ms.`);
  out.push('');
  out.push(
    `Peak RSS of the pipeline process at ${r.clusters} clusters: **${r.peakRssMb} MB**, of which ${r.memory.pipeline.afterWorld.rssMb} MB is the bench's own synthetic account held in memory (a Lambda does not hold it)` +
      (r.memory.baseline ? `; the naive baseline process peaked at ${r.memory.baseline.end.peakRssMb} MB.` : '.'),
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
  } else out.push('(not measured in this run: `--no-cold-start`)');
  out.push('');
  out.push('### Every size');
  out.push('');
  out.push(
    tableMd(
      ['clusters', 'security groups', 'subnets', 'instances', ...Object.keys(r.families).map((f) => `${f} calls: warm / cold (before)`)],
      Object.entries(r.bySize).map(([n, v]) => [n, v.world.securityGroups, v.world.subnets, v.world.instances, ...Object.values(v.families).map((f) => `${f.apiCalls.mean} / ${f.coldIndex.apiCalls} (${f.before.cold.apiCalls})`)]),
    ),
  );
  return out;
}

function cost() {
  const c = r.cost;
  const out = [runLine, ''];
  out.push(`Prices: ${c.prices.region} list prices as of ${c.prices.asOf} (bench/prices.ts), before any free tier. Sweeps: \`${c.serverless.sweepSchedule}\`, ${c.serverless.sweepsPerMonth.toFixed(1)} a month; the audit-log subscriber ${c.serverless.auditSubscriberRunsPerMonth} runs a month.`);
  out.push('');
  out.push('### A month, by account');
  out.push('');
  const names = c.profiles[0].items.map((i) => i.name);
  out.push(
    tableMd(
      ['account', 'clusters', 'write events a day', 'matched a month', ...names, '**total**', 'total before', 'before: the 5-minute index rebuild'],
      c.profiles.map((p) => {
        const lambdaBefore = p.before.items.find((i) => i.name === 'Lambda').usd;
        const share = lambdaBefore ? Math.round((100 * p.before.indexRebuildUsd) / lambdaBefore) : 0;
        return [
          p.name,
          p.clusters,
          n0(p.writeEventsPerDay),
          n0(p.matchedEventsPerMonth),
          ...p.items.map((i) => money(i.usd)),
          `**${money(p.total)}**`,
          money(p.before.total),
          `${p.before.indexRebuildsPerMonth.toLocaleString('en-US')} rebuilds: ${money(p.before.indexRebuildUsd)} of Lambda's ${money(lambdaBefore)} (${share} %), ${p.before.indexRebuildCallsPerSecond} read calls a second`,
        ];
      }),
    ),
  );
  out.push('');
  out.push('### What each line holds');
  out.push('');
  for (const p of c.profiles) {
    out.push(`**${p.name}** (${p.clusters} clusters, ${n0(p.writeEventsPerDay)} write events a day; figures measured at ${p.measuredAt} clusters):`);
    out.push('');
    for (const i of p.items) out.push(`- ${i.name} ${money(i.usd)}: ${i.detail}.`);
    out.push(`- Before: ${p.before.items.map((i) => `${i.name} ${money(i.usd)}`).join(', ')}.`);
    out.push('');
  }
  out.push('### Assumptions of this run');
  out.push('');
  const a = c.assumptions;
  out.push(`- Share of write events the EventBridge patterns match: **${a.matchedShare * 100}%**.`);
  out.push(`- Matched events by family: ${Object.entries(a.familyMix).map(([f, v]) => `${f} ${Math.round(v * 100)}%`).join(', ')}.`);
  out.push(`- EKS audit-log deliveries: ${a.auditDeliveriesPerClusterPerDay} per cluster per day. Verdict changes (one SNS message each): ${a.changingShare * 100}% of matched events.`);
  out.push(`- Containers: gone after ${a.keepWarmMinutes} idle minutes; ${a.recyclesPerFunctionPerMonth} replacements a month per busy function; a cold start bills the handler's measured load time plus the first event's extra.`);
  out.push(`- Slack notifier: ${a.slackNotifierMs} ms per message. Lambda platform log lines: ${a.platformLogBytesPerInvocation} bytes per invocation; ${a.logEventOverheadBytes} bytes of metadata per log event.`);
  return out;
}

function write(doc, lines) {
  const text = readFileSync(doc, 'utf8');
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) {
    process.stderr.write(`${doc}: markers ${begin} … ${end} not found\n`);
    process.exit(2);
  }
  writeFileSync(doc, `${text.slice(0, i + begin.length)}\n${lines.join('\n')}\n${text.slice(j)}`);
  process.stderr.write(`${doc}: figures updated from ${file}\n`);
}

write(perfDoc, performance());
if (r.cost) write(costDoc, cost());
