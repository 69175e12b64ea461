import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CloudWatchLogsEvent, Context, EventBridgeEvent, ScheduledEvent } from 'aws-lambda';
import { loadConfig } from './config';
import { SdkReader } from './inventory/sdkReader';
import { withClusterVersionsCache } from './inventory/clusterVersions';
import { DynamoFindingStore } from './findings/dynamoStore';
import { publishNotifications } from './notify/sns';
import { createClusterIndexCache } from './events/resolve';
import { LambdaLogger } from './lambdaLogger';
import { changeCounts, DEFAULT_SWEEP_CONCURRENCY, processEvent, sweep, type EventOutcome, type PipelineDeps, type SweepOutcome } from './pipeline';
import { processAuditDelivery, type AuditDeliveryOutcome } from './audit/pipeline';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

/** One per container, as Powertools expects: its cold-start flag and its metrics buffer live across invocations. */
const log = new LambdaLogger();
let deps: PipelineDeps | undefined;

/**
 * The account and region of the function itself, from the ARN Lambda invoked: the account the detector reads, known
 * without an STS call in every freshly started container.
 */
export function identityOf(context: Pick<Context, 'invokedFunctionArn'> | undefined): { account: string; region: string } | undefined {
  const m = /^arn:[^:]+:lambda:([^:]+):(\d{12}):function:/.exec(context?.invokedFunctionArn ?? '');
  return m ? { account: m[2], region: m[1] } : undefined;
}

/** Built once per Lambda container (cold start), reused by every invocation it serves. */
export function lambdaDeps(context?: Pick<Context, 'invokedFunctionArn'>): PipelineDeps {
  if (deps) return deps;
  const topicArn = required('FINDINGS_TOPIC_ARN');
  const sns = new SNSClient({});
  const store = new DynamoFindingStore(required('FINDINGS_TABLE'), new DynamoDBClient({}));
  deps = {
    // The version calendar is account-wide: read once per container, again after an hour.
    reader: withClusterVersionsCache(new SdkReader({ identity: identityOf(context) })),
    store,
    config: loadConfig(undefined, process.env),
    log,
    publish: (notifications) => publishNotifications(sns, topicArn, notifications),
    // Read from the table by a new container, then refreshed by what changed (never rebuilt on a timer).
    indexCache: createClusterIndexCache({ state: store.state }),
    state: store.state,
  };
  return deps;
}

/** The log line closing an event's invocation (also written by the bench, which measures log bytes per event). */
export function eventSummary(family: string, outcome: EventOutcome): Record<string, unknown> {
  return {
    family,
    eventId: outcome.eventId,
    eventName: outcome.eventName,
    status: outcome.status,
    reason: outcome.reason,
    clusters: outcome.clusters,
    ...changeCounts(outcome.scopes),
  };
}

/** The handler of one trigger family: the EventBridge rule in serverless.yml decides which events reach it. */
export function eventHandler(family: string) {
  return log.handler(async (event: EventBridgeEvent<string, unknown>, context) => {
    const d = lambdaDeps(context);
    const outcome = await processEvent(event, d);
    d.log.log('info', 'event processed', eventSummary(family, outcome));
    return { status: outcome.status, clusters: outcome.clusters };
  });
}

/** The log line closing an audit-log delivery's invocation. */
export function auditSummary(outcome: AuditDeliveryOutcome): Record<string, unknown> {
  return {
    deliveryId: outcome.eventId,
    status: outcome.status,
    reason: outcome.reason,
    clusters: outcome.clusters,
    lines: outcome.lines.length,
    writes: outcome.lines.filter((l) => l.status === 'write').length,
    invalidLines: outcome.lines.filter((l) => l.status === 'invalid').length,
    ...changeCounts(outcome.scopes),
  };
}

/** The audit-log function: one CloudWatch Logs subscription delivery of an EKS audit log per invocation. */
export function auditLogHandler() {
  return log.handler(async (event: CloudWatchLogsEvent, context) => {
    const d = lambdaDeps(context);
    const outcome = await processAuditDelivery(event, d);
    d.log.log('info', 'audit delivery processed', auditSummary(outcome));
    return { status: outcome.status, clusters: outcome.clusters };
  });
}

/** What the sweep is invoked with: the schedule's event, or the deployment's (src/deploy/baseline.ts). */
export type SweepEvent = Pick<ScheduledEvent, 'id' | 'time'>;

/** The log line closing a sweep. */
export function sweepSummary(out: SweepOutcome): Record<string, unknown> {
  return { sweepId: out.sweepId, baseline: out.baseline, clusters: out.clusters.length, published: out.published.length, errors: out.errors };
}

export function sweepHandler() {
  return log.handler(async (event: SweepEvent, context) => {
    const d = lambdaDeps(context);
    const out = await sweep(d, { concurrency: Number(process.env.SWEEP_CONCURRENCY ?? DEFAULT_SWEEP_CONCURRENCY), sweepId: `sweep:${event.id}`, now: new Date(event.time) });
    d.log.log('info', 'sweep done', sweepSummary(out));
    // A cluster that could not be read is retried by the next sweep; failing the invocation would re-run every
    // cluster. A refused publication fails it: the retry (same sweep id) takes over what was left pending at once.
    const refused = out.errors.filter((e) => e.stage === 'publish');
    if (refused.length) throw new Error(`sweep ${out.sweepId}: ${refused.length} publication(s) failed, their changes stay pending: ${refused.map((e) => e.error).join('; ')}`);
    return { clusters: out.clusters.length, baseline: out.baseline, published: out.published.length, errors: out.errors.length };
  });
}
