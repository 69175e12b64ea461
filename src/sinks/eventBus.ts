import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { SNSEvent } from 'aws-lambda';
import type { Logger } from '../log';
import { deliverInBatches, type BatchOptions } from './batches';
import { changesOf, type ChangeAt } from './snsChanges';

/** The EventBridge contract of a finding change (README, "Organisation-wide bus"). */
export const EVENT_SOURCE = 'eks-drift';
export const DETAIL_TYPE = 'EKS Drift Finding Change';

/** PutEvents: at most 10 entries and 256 KB per request. */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

export interface EventBusSinkDeps {
  client: EventBridgeClient;
  /** The ARN of the target bus, typically the organisation's security account bus. */
  busArn: string;
  log: Logger;
  batch?: BatchOptions;
}

/**
 * One event per change: `detail` is the finding (with its account and region) plus the change, its cause (a message
 * from before causes existed gets its trigger's), the severity an escalated finding had (`previousSeverity`), and
 * what triggered the evaluation (who, from where, when), so the central account can route on `detail.change`,
 * `detail.severity`, `detail.ruleId`, `detail.account` without reading the SNS message format.
 */
export function busEntry(c: ChangeAt, busArn: string): PutEventsRequestEntry {
  return {
    EventBusName: busArn,
    Source: EVENT_SOURCE,
    DetailType: DETAIL_TYPE,
    Time: new Date(c.at),
    Resources: c.finding.clusterArn ? [c.finding.clusterArn] : [],
    Detail: JSON.stringify({ change: c.change, cause: c.cause, ...(c.previousSeverity ? { previousSeverity: c.previousSeverity } : {}), ...c.finding, trigger: c.payload.trigger }),
  };
}

/** EventBridge's own size rule for an entry: Source, DetailType, Detail, each Resources entry, and 14 for Time. */
export function entryBytes(e: PutEventsRequestEntry): number {
  const resources = (e.Resources ?? []).reduce((n, r) => n + Buffer.byteLength(r), 0);
  return Buffer.byteLength(e.Source ?? '') + Buffer.byteLength(e.DetailType ?? '') + Buffer.byteLength(e.Detail ?? '') + resources + 14;
}

function requests(entries: readonly PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const out: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = entryBytes(e);
    if (current.length && (current.length === MAX_ENTRIES || bytes + size > MAX_REQUEST_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}

export async function putChanges(deps: EventBusSinkDeps, changes: readonly ChangeAt[]): Promise<void> {
  await deliverInBatches(
    `events for ${deps.busArn}`,
    changes.map((c) => busEntry(c, deps.busArn)),
    requests,
    async (batch) => {
      const r = await deps.client.send(new PutEventsCommand({ Entries: batch }));
      if (!r.FailedEntryCount) return [];
      // Result entries are in request order; a failed one has an ErrorCode.
      return (r.Entries ?? []).flatMap((res, k) => (res.ErrorCode ? [{ item: batch[k], error: `${res.ErrorCode} ${res.ErrorMessage ?? ''}`.trim() }] : []));
    },
    deps.batch,
  );
}

/** The Lambda subscriber of the findings topic: each notification's changes onto the organisation bus. */
export function createEventBusSink(deps: EventBusSinkDeps): (event: SNSEvent) => Promise<{ sent: number; skipped: number }> {
  return async (event) => {
    const { changes, skipped } = changesOf(event, deps.log);
    if (changes.length) await putChanges(deps, changes);
    deps.log.log('info', 'sent to the organisation bus', { bus: deps.busArn, sent: changes.length, skipped });
    if (changes.length) deps.log.metric('BusEventsSent', changes.length);
    return { sent: changes.length, skipped };
  };
}

/** The Lambda wiring: ORG_EVENT_BUS_ARN (required). */
export function eventBusSinkFromEnv(env: NodeJS.ProcessEnv, log: Logger) {
  const busArn = env.ORG_EVENT_BUS_ARN;
  if (!busArn || !/^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.\-/]+$/.test(busArn)) {
    throw new Error(`ORG_EVENT_BUS_ARN must be the ARN of an EventBridge event bus (arn:aws:events:REGION:ACCOUNT:event-bus/NAME); got "${busArn ?? ''}"`);
  }
  return createEventBusSink({ client: new EventBridgeClient({}), busArn, log });
}
