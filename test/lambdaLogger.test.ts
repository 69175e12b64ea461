import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { captureOutput } from './support/captureOutput';
import { lambdaContext } from './support/lambdaContext';
import { LambdaLogger } from '../src/lambdaLogger';
import { MemoryLogger } from '../src/log';
import { processEvent, sweep } from '../src/pipeline';
import { MemoryFindingStore } from '../src/findings/memoryStore';
import { WorldReader } from '../src/inventory/worldReader';
import { parseWorld } from '../src/inventory/world';
import { loadConfig } from '../src/config';

/**
 * What a Lambda function writes, as CloudWatch Logs receives it: a handler invocation with a Lambda context, its
 * stdout and stderr captured line by line. The log lines and the EMF metric lines must have exactly the shape a
 * Powertools for AWS Lambda (TypeScript) user's have, so Logs Insights queries, metric filters and dashboards
 * written for Powertools work unchanged.
 */
const FUNCTION = 'eks-drift-test-securityGroupChanged';
const TRACE = 'Root=1-6751a2b3-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1';
const ENV = {
  FINDINGS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:eks-drift-test-findings',
  FINDINGS_TABLE: 'eks-drift-test-findings',
  // What Lambda sets in a function's environment.
  AWS_LAMBDA_FUNCTION_NAME: FUNCTION,
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  _X_AMZN_TRACE_ID: TRACE,
};
const failedCall = JSON.parse(readFileSync(join(__dirname, '../events/ec2-AuthorizeSecurityGroupIngress-failed-duplicate.json'), 'utf8')) as EventBridgeEvent<string, unknown>;

type Invoke = (event: EventBridgeEvent<string, unknown>, context: Context) => Promise<string[]>;

/** The TypeScript handler in this process (a fresh module, so the logger is built with ENV), stdout+stderr captured. */
async function sourceHandler(): Promise<Invoke> {
  let handler!: (e: EventBridgeEvent<string, unknown>, c: Context) => Promise<unknown>;
  const saved = { ...process.env };
  Object.assign(process.env, ENV);
  await jest.isolateModulesAsync(async () => {
    handler = (await import('../handlers/securityGroupChanged')).handler;
  });
  process.env = saved;
  return async (event, context) => {
    Object.assign(process.env, ENV);
    const out = captureOutput();
    try {
      await handler(event, context);
    } finally {
      out.restore();
      process.env = saved;
    }
    return out.all;
  };
}

/** The deployed bundle, invoked twice in one fresh `node` (one container: a cold then a warm invocation). */
function bundleOutput(contexts: Context[]): string[] {
  const script = `const { event, contexts } = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const { handler } = require(${JSON.stringify(join(__dirname, '../dist/handlers/securityGroupChanged.js'))});
    (async () => { for (const c of contexts) await handler(event, { ...c, getRemainingTimeInMillis: () => 60000 }); })();`;
  const env = { ...process.env, ...ENV };
  const out = execFileSync(process.execPath, ['-e', script], { input: JSON.stringify({ event: failedCall, contexts }), env, stdio: ['pipe', 'pipe', 'pipe'] });
  return out.toString().split('\n').filter(Boolean);
}

const POWERTOOLS_KEYS = ['level', 'message', 'timestamp', 'service', 'cold_start', 'function_arn', 'function_memory_size', 'function_name', 'function_request_id', 'sampling_rate', 'xray_trace_id'];

function expectPowertoolsLogLine(line: Record<string, unknown>, context: Context, coldStart: boolean) {
  expect(Object.keys(line).slice(0, POWERTOOLS_KEYS.length)).toEqual(POWERTOOLS_KEYS);
  expect(line).toMatchObject({
    level: expect.stringMatching(/^(DEBUG|INFO|WARN|ERROR)$/),
    timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    service: 'eks-drift',
    cold_start: coldStart,
    function_arn: context.invokedFunctionArn,
    function_memory_size: context.memoryLimitInMB,
    function_name: FUNCTION,
    function_request_id: context.awsRequestId,
    sampling_rate: 0,
    xray_trace_id: '1-6751a2b3-0123456789abcdef01234567',
  });
}

function expectEmfLine(line: Record<string, unknown>, metric: string, value: number) {
  expect(line).toEqual({
    _aws: {
      Timestamp: expect.any(Number),
      CloudWatchMetrics: [{ Namespace: 'EksDrift', Dimensions: [['service', 'function_name']], Metrics: [{ Name: metric, Unit: 'Count' }] }],
    },
    service: 'eks-drift',
    function_name: FUNCTION,
    [metric]: value,
  });
}

const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
const logLines = (lines: Record<string, unknown>[]) => lines.filter((l) => !('_aws' in l));
const emfLines = (lines: Record<string, unknown>[]) => lines.filter((l) => '_aws' in l);

describe('Lambda logs and metrics (Powertools shape)', () => {
  const cold = lambdaContext(FUNCTION, 'c0ffee00-0000-4000-8000-000000000001');
  const warm = lambdaContext(FUNCTION, 'c0ffee00-0000-4000-8000-000000000002');

  it.each([
    ['source handler', async () => {
      const invoke = await sourceHandler();
      return [await invoke(failedCall, cold), await invoke(failedCall, warm)];
    }],
    ['deployed bundle', async () => {
      const all = bundleOutput([cold, warm]);
      const at = all.findIndex((l) => l.includes(warm.awsRequestId));
      return [all.slice(0, at), all.slice(at)];
    }],
  ])('%s: every line is a Powertools log line or one EMF metric line per invocation', async (_kind, run) => {
    const consoleLog = jest.spyOn(console, 'log');
    const [first, second] = (await run()).map(parse);

    const logs = logLines(first);
    expect(logs.map((l) => [l.level, l.message])).toEqual([
      ['INFO', 'event ignored'],
      ['INFO', 'event processed'],
    ]);
    for (const l of logs) expectPowertoolsLogLine(l, cold, true);
    expect(logs[0]).toMatchObject({ eventId: failedCall.detail && (failedCall.detail as { eventID: string }).eventID, reason: expect.stringMatching(/failed/i) });
    expect(emfLines(first)).toHaveLength(1);
    expectEmfLine(emfLines(first)[0], 'IgnoredEvents', 1);

    for (const l of logLines(second)) expectPowertoolsLogLine(l, warm, false);
    expect(emfLines(second)).toHaveLength(1);
    // Not through the global console: Lambda's JSON log format would wrap (and so hide) an EMF line written there.
    expect(consoleLog).not.toHaveBeenCalled();
  });
});

describe('LambdaLogger', () => {
  it('writes levels in upper case, errors and warnings to stderr', () => {
    const out = captureOutput();
    try {
      const log = new LambdaLogger({ AWS_LAMBDA_FUNCTION_NAME: FUNCTION });
      log.log('warn', 'rule not evaluated', { ruleId: 'no-system-masters' });
      log.log('error', 'invalid event', { reason: 'not JSON' });
      log.log('info', 'sweep done');
    } finally {
      out.restore();
    }
    expect(parse(out.stderr).map((l) => l.level)).toEqual(['WARN', 'ERROR']);
    expect(parse(out.stdout).map((l) => l.level)).toEqual(['INFO']);
  });

  it('flushes nothing (and warns nothing) for an invocation that counted nothing, and flushes when the handler throws', async () => {
    const log = new LambdaLogger({ AWS_LAMBDA_FUNCTION_NAME: FUNCTION });
    const out = captureOutput();
    try {
      await log.handler(async () => 'ok')({}, lambdaContext(FUNCTION));
      await expect(
        log.handler(async () => {
          log.metric('SweepErrors');
          throw new Error('boom');
        })({}, lambdaContext(FUNCTION)),
      ).rejects.toThrow('boom');
    } finally {
      out.restore();
    }
    expect(out.all).toHaveLength(1);
    expectEmfLine(JSON.parse(out.all[0]), 'SweepErrors', 1);
  });
});

describe('metric series stay bounded', () => {
  /** Every (metric, dimension values) pair a run emits: each is one CloudWatch custom metric, billed per month. */
  async function seriesOf(clusters: number): Promise<string[]> {
    const world = JSON.parse(readFileSync(join(__dirname, '../examples/demo-world.json'), 'utf8'));
    const proto = world.eks.clusters[0];
    world.eks.clusters = Array.from({ length: clusters }, (_, k) => ({ ...proto, name: `c${k}`, arn: `${proto.arn.replace(/\/[^/]+$/, '')}/c${k}` }));
    // The Kubernetes API of no cluster could be read: its rules are not evaluated on every cluster.
    world.kubernetes = Object.fromEntries(world.eks.clusters.map((c: { name: string }) => [c.name, null]));
    const log = new LambdaLogger({ AWS_LAMBDA_FUNCTION_NAME: 'eks-drift-test-sweep' });
    const out = captureOutput();
    try {
      const deps = { reader: new WorldReader(parseWorld(world, 'demo')), store: new MemoryFindingStore(), config: loadConfig(undefined, {}), log };
      await log.handler(async () => {
        await sweep(deps, { now: new Date('2026-11-29T10:00:00Z') });
        await processEvent(failedCall, deps);
      })({}, lambdaContext('eks-drift-test-sweep'));
    } finally {
      out.restore();
    }
    const series = new Set<string>();
    for (const l of parse(out.stdout).filter((x) => '_aws' in x)) {
      const [directive] = (l._aws as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] }).CloudWatchMetrics;
      const dims = directive.Dimensions.flat().map((d) => `${d}=${String(l[d])}`);
      for (const m of directive.Metrics) series.add([m.Name, ...dims].join(' '));
    }
    return [...series].sort();
  }

  it('one cluster or fifty, with rules not evaluated on each: one series per metric name and function (no rule, cluster or resource dimension; cause has three values)', async () => {
    const one = await seriesOf(1);
    const fn = 'service=eks-drift function_name=eks-drift-test-sweep';
    expect(one).toEqual([`FindingsOpened ${fn} cause=first-check`, `IgnoredEvents ${fn}`, `RulesNotEvaluated ${fn}`]);
    expect(await seriesOf(50)).toEqual(one);
  });

  it('the CLI and tests keep the in-memory logger: nothing printed', () => {
    const out = captureOutput();
    try {
      new MemoryLogger().log('error', 'x');
    } finally {
      out.restore();
    }
    expect(out.all).toEqual([]);
  });
});
