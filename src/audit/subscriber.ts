import type {
  CloudWatchLogsClient} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeSubscriptionFiltersCommand,
  PutSubscriptionFilterCommand,
  type SubscriptionFilter,
} from '@aws-sdk/client-cloudwatch-logs';
import type { Cluster } from '@aws-sdk/client-eks';
import type { AwsReader } from '../inventory/reader';
import { logGroupOf } from './classify';
import { AUDIT_FILTER_PATTERN } from './subscriptionFilter';

/**
 * Keeps the audit log group of every selected cluster subscribed to the audit-log function. Idempotent: a filter
 * already in place with our pattern and destination is left alone; one with an older pattern is replaced (the
 * pattern follows the watched-object table of the deployed code).
 */
export interface SubscriptionSettings {
  /** `*` (every cluster of the region) or the names of the clusters to subscribe. */
  clusters: '*' | string[];
  filterName: string;
  /** The audit-log function's ARN. */
  destinationArn: string;
  pattern?: string;
}

/** The cluster reads of the subscriber: "not found" is undefined, anything else throws. */
export type ClusterReader = Pick<AwsReader, 'describeCluster' | 'listClusters'>;

export type SubscriptionStatus =
  | 'subscribed' // the filter was put now
  | 'unchanged' // already in place
  | 'audit-logging-off' // reported by control-plane-logging; nothing to subscribe to
  | 'log-group-missing' // logging just enabled, EKS has not created the group yet: the next run retries
  | 'cluster-not-found'
  | 'error';

export interface SubscriptionOutcome {
  cluster: string;
  logGroup: string;
  status: SubscriptionStatus;
  detail?: string;
}

/** `AUDIT_LOG_CLUSTERS`: `*`, or names separated by commas; empty = none. */
export function parseClusterSelection(value: string | undefined): '*' | string[] {
  const v = (value ?? '').trim();
  if (v === '*') return '*';
  return [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))];
}

function auditLoggingEnabled(cluster: Cluster): boolean {
  return (cluster.logging?.clusterLogging ?? []).some((e) => e.enabled === true && (e.types ?? []).includes('audit'));
}

function errorName(e: unknown): string {
  return (e as { name?: string }).name ?? 'Error';
}

async function existingFilter(logs: CloudWatchLogsClient, logGroupName: string, filterName: string): Promise<SubscriptionFilter | undefined | 'missing'> {
  try {
    const r = await logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName, filterNamePrefix: filterName }));
    return (r.subscriptionFilters ?? []).find((f) => f.filterName === filterName);
  } catch (e) {
    if (errorName(e) === 'ResourceNotFoundException') return 'missing';
    throw e;
  }
}

/** Ensures one cluster's audit log group is subscribed. Never throws: the outcome says what happened. */
async function ensureSubscribed(
  deps: { reader: Pick<ClusterReader, 'describeCluster'>; logs: CloudWatchLogsClient },
  name: string,
  s: SubscriptionSettings,
): Promise<SubscriptionOutcome> {
  const logGroup = logGroupOf(name);
  const pattern = s.pattern ?? AUDIT_FILTER_PATTERN;
  const out = (status: SubscriptionStatus, detail?: string): SubscriptionOutcome => ({ cluster: name, logGroup, status, ...(detail ? { detail } : {}) });
  try {
    const cluster = await deps.reader.describeCluster(name);
    if (!cluster) return out('cluster-not-found');
    if (!auditLoggingEnabled(cluster)) return out('audit-logging-off', 'the audit control-plane log type is off (see control-plane-logging)');
    const current = await existingFilter(deps.logs, logGroup, s.filterName);
    if (current === 'missing') return out('log-group-missing', 'retried by the next run');
    if (current && current.filterPattern === pattern && current.destinationArn === s.destinationArn) return out('unchanged');
    await deps.logs.send(new PutSubscriptionFilterCommand({ logGroupName: logGroup, filterName: s.filterName, filterPattern: pattern, destinationArn: s.destinationArn }));
    return out('subscribed', current ? 'replaced an older pattern or destination' : undefined);
  } catch (e) {
    if (errorName(e) === 'ResourceNotFoundException') return out('log-group-missing', 'retried by the next run');
    // LimitExceededException: the group already has two subscription filters (the CloudWatch Logs maximum).
    return out('error', `${errorName(e)}: ${(e as Error).message}`);
  }
}

/** Every selected cluster (all of the region for `*`), one after the other: a handful of calls each. */
export async function ensureAllSubscribed(deps: { reader: ClusterReader; logs: CloudWatchLogsClient }, s: SubscriptionSettings): Promise<SubscriptionOutcome[]> {
  const names = s.clusters === '*' ? await deps.reader.listClusters() : s.clusters;
  const out: SubscriptionOutcome[] = [];
  for (const name of names) out.push(await ensureSubscribed(deps, name, s));
  return out;
}
