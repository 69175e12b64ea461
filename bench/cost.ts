/**
 * What a month of eks-drift costs, from a bench report (measured durations, DynamoDB request units, log bytes per
 * invocation), serverless.yml (memory sizes, schedules), src/metrics.ts (metric series) and bench/prices.ts. The
 * quantities the bench cannot measure — how many events an account makes and of which kind — are the assumptions
 * below, stated where they are used; docs/COST.md prints them beside the results.
 */
import yaml from 'js-yaml';
import { metricSeries } from '../src/metrics';
import { PRICES, type Prices } from './prices';

export { PRICES };

export interface Profile {
  name: string;
  clusters: number;
  /** CloudTrail management write events a day in the account and region, watched or not. */
  writeEventsPerDay: number;
}

export const PROFILES: readonly Profile[] = [
  { name: 'small', clusters: 5, writeEventsPerDay: 2_000 },
  { name: 'medium', clusters: 50, writeEventsPerDay: 20_000 },
  { name: 'large', clusters: 200, writeEventsPerDay: 100_000 },
];

/** What the bench cannot measure, with why. */
export const ASSUMPTIONS = {
  /**
   * Share of write events the EventBridge patterns match. They name about 40 calls of EC2, EKS, Auto Scaling, IAM and
   * CloudTrail; in accounts that run EKS the frequent matching ones are RunInstances (node churn),
   * ModifyNetworkInterfaceAttribute (the VPC CNI), Authorize/RevokeSecurityGroupIngress (load balancer controllers)
   * and role policy changes, while most write traffic matches none (STS sessions, SSM agents' UpdateInstanceInformation,
   * CreateNetworkInterface/AssignPrivateIpAddresses, CreateTags, CloudWatch Logs, KMS).
   */
  matchedShare: 0.2,
  /** How the matched events divide among the bench's families (unrelated: groups no cluster uses, ENI attribute calls). */
  familyMix: {
    unrelatedSecurityGroup: 0.35,
    selfManagedNodes: 0.3,
    securityGroup: 0.15,
    network: 0.07,
    clusterConfig: 0.05,
    nodegroup: 0.03,
    iamRole: 0.03,
    accessEntry: 0.02,
  } as Record<string, number>,
  /** EKS audit-log deliveries a cluster sends a day (writes to aws-auth, RBAC bindings, network policies, namespaces). */
  auditDeliveriesPerClusterPerDay: 24,
  /** Share of matched events that change a verdict and publish one SNS message (the bench's events change nothing). */
  changingShare: 0.01,
  /** A container idle this long is gone (AWS does not document it; 5 to 15 minutes is what is observed). */
  keepWarmMinutes: 10,
  /** Lambda also replaces busy execution environments after some hours: one replacement every 2 hours per function. */
  recyclesPerFunctionPerMonth: 365,
  /** Duration of one Slack notifier invocation (one SSM read when cold, one HTTPS POST), not measured by the bench. */
  slackNotifierMs: 300,
  /** What Lambda writes per invocation besides the function's lines (START, END, REPORT lines in the text format). */
  platformLogBytesPerInvocation: 330,
  /** CloudWatch Logs counts 26 bytes of metadata per log event. */
  logEventOverheadBytes: 26,
  /** The DynamoDB calls one warm container makes for KMS: one Decrypt per 5 minutes of activity (the table key's cache). */
  kmsDecryptsPerActiveWindow: 1,
} as const;

const DAYS_PER_MONTH = 365 / 12;
const MINUTES_PER_MONTH = DAYS_PER_MONTH * 1440;
const WINDOWS_PER_MONTH = MINUTES_PER_MONTH / 5;

/** What serverless.yml says about memory and schedules. */
export interface ServerlessFacts {
  memoryMb: Record<string, number>;
  providerMemoryMb: number;
  sweepsPerMonth: number;
  sweepSchedule: string;
  auditSubscriberRunsPerMonth: number;
}

/** CloudFormation's short tags (!Ref, !Sub, ...) read as plain values: only memory sizes and schedules are wanted. */
const CFN_SCHEMA = yaml.DEFAULT_SCHEMA.extend(
  ['Ref', 'Sub', 'GetAtt', 'If', 'Not', 'Equals', 'Join', 'Select', 'Split', 'Base64', 'FindInMap', 'ImportValue', 'GetAZs', 'Condition', 'And', 'Or'].flatMap((t) =>
    (['scalar', 'sequence', 'mapping'] as const).map((kind) => new yaml.Type(`!${t}`, { kind, construct: (d: unknown) => d })),
  ),
);

/** Runs a month of an EventBridge schedule expression `rate(N unit)`. */
export function runsPerMonth(expression: string): number {
  const m = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!m) throw new Error(`cannot price the schedule ${expression}: only rate(N minutes|hours|days) is understood`);
  const minutes = Number(m[1]) * (m[2].startsWith('minute') ? 1 : m[2].startsWith('hour') ? 60 : 1440);
  return MINUTES_PER_MONTH / minutes;
}

export function readServerless(text: string): ServerlessFacts {
  const doc = yaml.load(text, { schema: CFN_SCHEMA }) as {
    params: { default: Record<string, string> };
    provider: { memorySize: number };
    functions: Record<string, { memorySize?: number }>;
  };
  const providerMemoryMb = doc.provider.memorySize;
  const memoryMb = Object.fromEntries(Object.entries(doc.functions).map(([name, f]) => [name, f.memorySize ?? providerMemoryMb]));
  const sweepSchedule = doc.params.default.sweepSchedule;
  return { memoryMb, providerMemoryMb, sweepsPerMonth: runsPerMonth(sweepSchedule), sweepSchedule, auditSubscriberRunsPerMonth: runsPerMonth(doc.params.default.auditSubscribeSchedule) };
}

/** The parts of a bench report (bench/run.mjs) the model reads. */
interface FamilyFigures {
  function: string;
  /** How the bench's events of the family ended (processed, ignored). */
  statuses: Record<string, number>;
  wallMsMean: number;
  store: { readUnits: number; writeUnits: number; stateReadUnits: number; stateWriteUnits: number };
  log: { bytes: number; lines: number };
  coldIndex: { evalMs: number; apiCalls: number; store: { readUnits: number; writeUnits: number } };
  before: { wallMsMean: number; apiCalls: { mean: number }; cold: { evalMs: number; apiCalls: number } };
}
interface SweepFigures {
  wallSeconds: number;
  store: { readUnits: number; writeUnits: number };
  log: { bytes: number; lines: number };
  published: { messages: number; chunks: number };
}
export interface SizeFigures {
  families: Record<string, FamilyFigures>;
  scheduledSweep: SweepFigures;
  clusterIndexBuild: { apiCalls: number; simulatedSeconds: number; cpuSeconds: number };
  /** Bytes the table holds after the sweeps and events, and the event markers (kept 14 days) per event and per sweep. */
  storage: { findings: number; scopes: number; index: number; creators: number; awsPolicies: number; templateVersions: number; markerBytes: number; markersPerEvent: number; markersPerSweep: number };
}
export interface CostInput {
  bySize: Record<string, SizeFigures>;
  handlers: { name: string; loadMs: number }[];
  settings: { latencyMs: number };
  eventsPerFamily: number;
}

export interface CostItem {
  name: string;
  usd: number;
  detail: string;
}
export interface ProfileCost {
  name: string;
  clusters: number;
  writeEventsPerDay: number;
  measuredAt: number;
  matchedEventsPerMonth: number;
  items: CostItem[];
  total: number;
  /** The same account before the store kept the index and the creators (the 5-minute rebuild, LookupEvents waits). */
  before: { items: CostItem[]; total: number; indexRebuildsPerMonth: number; indexRebuildCallsPerSecond: number; indexRebuildUsd: number };
}

const usd = (n: number) => Math.round(n * 100) / 100;
const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** Invocations of a function whose container is cold: after an idle gap longer than the keep-warm time, or recycled. */
function coldStarts(invocations: number): number {
  if (!invocations) return 0;
  const perMinute = invocations / MINUTES_PER_MONTH;
  const afterIdle = invocations * Math.exp(-perMinute * ASSUMPTIONS.keepWarmMinutes);
  return afterIdle + Math.min(invocations - afterIdle, ASSUMPTIONS.recyclesPerFunctionPerMonth);
}

/** 5-minute windows of a month with at least one of `perMonth` events (Poisson arrivals). */
const activeWindows = (perMonth: number) => WINDOWS_PER_MONTH * (1 - Math.exp(-perMonth / WINDOWS_PER_MONTH));

/** The figures of the measured size closest to (and not below, when there is one) the profile's cluster count. */
function figuresFor(input: CostInput, clusters: number): { size: number; f: SizeFigures } {
  const sizes = Object.keys(input.bySize).map(Number).sort((a, b) => a - b);
  const size = sizes.find((s) => s >= clusters) ?? sizes[sizes.length - 1];
  return { size, f: input.bySize[size] };
}

export function monthlyCosts(input: CostInput, sls: ServerlessFacts, prices: Prices = PRICES): { profiles: ProfileCost[]; metricSeries: number; serverless: ServerlessFacts } {
  const series = metricSeries().reduce((n, m) => n + m.series, 0);
  const loadMs = (fn: string) => input.handlers.find((h) => h.name === fn)?.loadMs ?? 100;
  const gbSeconds = (fn: string, ms: number) => ((sls.memoryMb[fn] ?? sls.providerMemoryMb) / 1024) * (ms / 1000);

  const profiles = PROFILES.map((p): ProfileCost => {
    const { size, f } = figuresFor(input, p.clusters);
    const matched = p.writeEventsPerDay * ASSUMPTIONS.matchedShare * DAYS_PER_MONTH;
    const perFamily: Record<string, number> = Object.fromEntries(Object.entries(ASSUMPTIONS.familyMix).map(([fam, share]) => [fam, matched * share]));
    perFamily.auditLog = p.clusters * ASSUMPTIONS.auditDeliveriesPerClusterPerDay * DAYS_PER_MONTH;
    const sweeps = sls.sweepsPerMonth;
    const publishes = matched * ASSUMPTIONS.changingShare + sweeps * f.scheduledSweep.published.chunks;

    /** Everything one way of running the detector costs (now, or before the state was kept). */
    const price = (mode: 'now' | 'before') => {
      const fns = new Map<string, { invocations: number; ms: number; coldExtraMs: number; logBytes: number; rru: number; wru: number }>();
      const add = (fn: string, k: { invocations: number; ms: number; coldExtraMs?: number; logBytes: number; rru: number; wru: number }) => {
        const a = fns.get(fn) ?? { invocations: 0, ms: 0, coldExtraMs: 0, logBytes: 0, rru: 0, wru: 0 };
        fns.set(fn, { invocations: a.invocations + k.invocations, ms: a.ms + k.ms, coldExtraMs: a.coldExtraMs + (k.coldExtraMs ?? 0) * k.invocations, logBytes: a.logBytes + k.logBytes, rru: a.rru + k.rru, wru: a.wru + k.wru });
      };
      /** Before: per function, its events that needed the cluster index. */
      const indexEventsByFn = new Map<string, number>();
      for (const [family, events] of Object.entries(perFamily)) {
        const x = f.families[family];
        if (!x || !events) continue;
        const ms = mode === 'now' ? x.wallMsMean : x.before.wallMsMean;
        const coldExtra = mode === 'now' ? Math.max(0, x.coldIndex.evalMs - x.wallMsMean) : Math.max(0, x.before.cold.evalMs - x.before.wallMsMean);
        const rru = mode === 'now' ? x.store.readUnits : x.store.readUnits - x.store.stateReadUnits;
        const wru = mode === 'now' ? x.store.writeUnits : x.store.writeUnits - x.store.stateWriteUnits;
        const lines = x.log.lines + 3;
        add(x.function, { invocations: events, ms: events * ms, coldExtraMs: coldExtra, logBytes: events * (x.log.bytes + ASSUMPTIONS.platformLogBytesPerInvocation + lines * ASSUMPTIONS.logEventOverheadBytes), rru: events * rru, wru: events * wru });
        // Before: a warm container rebuilt the whole index on its first index-needing event after 5 minutes.
        const neededIndex = x.before.cold.apiCalls - x.before.apiCalls.mean > f.clusterIndexBuild.apiCalls / 2;
        if (mode === 'before' && neededIndex) indexEventsByFn.set(x.function, (indexEventsByFn.get(x.function) ?? 0) + events);
      }
      // Index rebuilds per function: one per 5-minute window holding an index-needing event of that function.
      const rebuildSeconds = f.clusterIndexBuild.simulatedSeconds + f.clusterIndexBuild.cpuSeconds;
      const rebuildsByFn = new Map([...indexEventsByFn].map(([fn, events]) => [fn, activeWindows(events)]));
      const indexRebuilds = [...rebuildsByFn.values()].reduce((a, b) => a + b, 0);
      const rebuildMs = (fn: string) => (rebuildsByFn.get(fn) ?? 0) * rebuildSeconds * 1000;
      const sw = f.scheduledSweep;
      add('sweep', { invocations: sweeps, ms: sweeps * sw.wallSeconds * 1000, logBytes: sweeps * (sw.log.bytes + ASSUMPTIONS.platformLogBytesPerInvocation + (sw.log.lines + 3) * ASSUMPTIONS.logEventOverheadBytes), rru: sweeps * sw.store.readUnits, wru: sweeps * sw.store.writeUnits });
      // The audit subscriber: DescribeCluster and DescribeSubscriptionFilters per cluster, one after the other (its code).
      const subscriberMs = (1 + 2 * p.clusters) * input.settings.latencyMs + 100;
      add('auditSubscriber', { invocations: sls.auditSubscriberRunsPerMonth, ms: sls.auditSubscriberRunsPerMonth * subscriberMs, logBytes: sls.auditSubscriberRunsPerMonth * (400 + ASSUMPTIONS.platformLogBytesPerInvocation), rru: 0, wru: 0 });
      add('slackNotifier', { invocations: publishes, ms: publishes * ASSUMPTIONS.slackNotifierMs, logBytes: publishes * (300 + ASSUMPTIONS.platformLogBytesPerInvocation), rru: 0, wru: 0 });

      let requests = 0;
      let gbs = 0;
      let colds = 0;
      let rebuildGbs = 0;
      let logBytes = 0;
      let rru = 0;
      let wru = 0;
      const lambdaDetail: string[] = [];
      for (const [fn, a] of fns) {
        const fnColds = coldStarts(a.invocations);
        const coldMs = fnColds * (loadMs(fn) + (a.invocations ? a.coldExtraMs / a.invocations : 0));
        const fnGbs = gbSeconds(fn, a.ms + coldMs + rebuildMs(fn));
        colds += fnColds;
        rebuildGbs += gbSeconds(fn, rebuildMs(fn));
        requests += a.invocations;
        gbs += fnGbs;
        logBytes += a.logBytes;
        rru += a.rru;
        wru += a.wru;
        if (fnGbs >= 1) lambdaDetail.push(`${fn} ${fmt(a.invocations)} × ${fmt(a.invocations ? a.ms / a.invocations : 0)} ms${rebuildsByFn.get(fn) ? ` + ${fmt(rebuildsByFn.get(fn)!)} index rebuilds × ${fmt(rebuildSeconds)} s` : ''} at ${sls.memoryMb[fn] ?? sls.providerMemoryMb} MB = ${fmt(fnGbs)} GB-s`);
      }
      // Cold containers read the state once (the index and the CreateCluster records), beyond a warm event.
      if (mode === 'now') {
        for (const [family, events] of Object.entries(perFamily)) {
          const x = f.families[family];
          if (!x || !events) continue;
          const share = events / Math.max(1, fns.get(x.function)?.invocations ?? 1);
          const colds = coldStarts(fns.get(x.function)?.invocations ?? 0) * share;
          rru += colds * Math.max(0, x.coldIndex.store.readUnits - x.store.readUnits);
        }
      }
      const s = f.storage;
      const eventsPerDay = Object.values(perFamily).reduce((a, b) => a + b, 0) / DAYS_PER_MONTH;
      const markersKept = (s.markersPerEvent * eventsPerDay + (s.markersPerSweep * sweeps) / DAYS_PER_MONTH) * 14;
      const tableBytes = s.findings + s.scopes + s.index + s.creators + s.awsPolicies + s.templateVersions + s.markerBytes * markersKept;
      const tableGb = tableBytes / 1e9;
      // Series emitted in an hour: IgnoredEvents of each function with ignored events, FindingsOpened/Resolved
      // (cause event) of each function whose events change a verdict; errors and not-evaluated rules are left out
      // (they are what a healthy deployment does not emit).
      const hoursEmitted = (perMonth: number) => 1 - Math.exp(-perMonth / (DAYS_PER_MONTH * 24));
      const ignoredByFn = new Map<string, number>();
      for (const [family, events] of Object.entries(perFamily)) {
        const x = f.families[family];
        if (!x) continue;
        const runs = Object.values(x.statuses).reduce((a, b) => a + b, 0);
        ignoredByFn.set(x.function, (ignoredByFn.get(x.function) ?? 0) + (events * (x.statuses.ignored ?? 0)) / Math.max(1, runs));
      }
      const emittedSeries =
        [...ignoredByFn.values()].reduce((n, ignored) => n + hoursEmitted(ignored), 0) +
        [...fns].filter(([fn]) => fn !== 'sweep' && fn !== 'auditSubscriber' && fn !== 'slackNotifier').reduce((n, [, a]) => n + 2 * hoursEmitted((a.invocations * ASSUMPTIONS.changingShare) / 2), 0);
      const logGb = logBytes / 1e9;
      const kmsRequests =
        activeWindows(publishes) * 2 + // SNS: GenerateDataKey and Decrypt per data key period and publishing role
        [...fns.values()].reduce((n, a) => n + activeWindows(a.invocations) * ASSUMPTIONS.kmsDecryptsPerActiveWindow, 0);
      const items: CostItem[] = [
        {
          name: 'Lambda',
          usd: (requests / 1e6) * prices.lambda.requestsPerMillion + gbs * prices.lambda.arm64PerGbSecond,
          detail: `${fmt(requests)} requests, ${fmt(gbs)} GB-s on arm64 (${lambdaDetail.join('; ')}; ${fmt(colds)} cold starts)`,
        },
        {
          name: 'DynamoDB',
          usd: (rru / 1e6) * prices.dynamodb.readRequestUnitsPerMillion + (wru / 1e6) * prices.dynamodb.writeRequestUnitsPerMillion + tableGb * (prices.dynamodb.storagePerGbMonth + prices.dynamodb.pitrPerGbMonth),
          detail: `${fmt(rru)} read and ${fmt(wru)} write request units, ${fmt(tableBytes / 1e6)} MB stored with point-in-time recovery`,
        },
        { name: 'SNS', usd: (publishes / 1e6) * prices.sns.publishesPerMillion, detail: `${fmt(publishes)} publishes (deliveries to the Slack notifier are free; e-mail $${prices.sns.emailDeliveriesPer100k} per 100,000)` },
        {
          name: 'CloudWatch Logs',
          usd: logGb * prices.cloudwatch.logsIngestionPerGb + logGb * 3 * prices.cloudwatch.logsStoragePerGbMonth,
          detail: `${fmt(logGb * 1000)} MB ingested; 90 days kept, counted uncompressed`,
        },
        {
          name: 'CloudWatch metrics',
          usd: emittedSeries * prices.cloudwatch.metricPerMonth,
          detail: `${fmt(emittedSeries)} series-months: a series is billed for the hours it is emitted (ignored events, findings opened and resolved by events); all ${series} the code can emit (src/metrics.ts) every hour would be $${fmt(series * prices.cloudwatch.metricPerMonth)}`,
        },
        {
          name: 'KMS',
          usd: prices.kms.keyPerMonth + (kmsRequests / 1e4) * prices.kms.requestsPer10k,
          detail: `1 customer managed key, ${fmt(kmsRequests)} requests (SNS and DynamoDB reuse data keys for 5 minutes)`,
        },
        { name: 'EventBridge', usd: 0, detail: `CloudTrail management events on the default bus and rules matching them are free (outside us-east-1 the IAM forwarder adds $${prices.eventbridge.crossRegionEventsPerMillion} per million forwarded IAM events: ${fmt(perFamily.iamRole ?? 0)} a month here)` },
      ];
      return { items: items.map((i) => ({ ...i, usd: usd(i.usd) })), total: usd(items.reduce((n, i) => n + i.usd, 0)), indexRebuilds, rebuildUsd: usd(rebuildGbs * prices.lambda.arm64PerGbSecond) };
    };
    const now = price('now');
    const before = price('before');
    const rebuildCallsPerSecond = (before.indexRebuilds * f.clusterIndexBuild.apiCalls) / (MINUTES_PER_MONTH * 60);
    return {
      name: p.name,
      clusters: p.clusters,
      writeEventsPerDay: p.writeEventsPerDay,
      measuredAt: size,
      matchedEventsPerMonth: Math.round(matched),
      items: now.items,
      total: now.total,
      before: { items: before.items, total: before.total, indexRebuildsPerMonth: Math.round(before.indexRebuilds), indexRebuildCallsPerSecond: Math.round(rebuildCallsPerSecond * 10) / 10, indexRebuildUsd: before.rebuildUsd },
    };
  });
  return { profiles, metricSeries: series, serverless: sls };
}
