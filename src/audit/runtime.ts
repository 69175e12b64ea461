import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { CloudWatchLogsEvent, ScheduledEvent } from 'aws-lambda';
import { SdkReader } from '../inventory/sdkReader';
import { jsonLogger } from '../log';
import { lambdaDeps } from '../runtime';
import { processAuditDelivery } from './pipeline';
import { ensureAllSubscribed, parseClusterSelection, type SubscriptionSettings } from './subscriber';

/** The audit-log function: one CloudWatch Logs subscription delivery per invocation. */
export function auditLogHandler() {
  return async (event: CloudWatchLogsEvent) => {
    const d = lambdaDeps();
    const outcome = await processAuditDelivery(event, d);
    d.log.log('info', 'audit delivery processed', {
      deliveryId: outcome.eventId,
      status: outcome.status,
      reason: outcome.reason,
      clusters: outcome.clusters,
      lines: outcome.lines.length,
      writes: outcome.lines.filter((l) => l.status === 'write').length,
      invalidLines: outcome.lines.filter((l) => l.status === 'invalid').length,
      opened: outcome.scopes.reduce((n, s) => n + s.changes.opened.length, 0),
      resolved: outcome.scopes.reduce((n, s) => n + s.changes.resolved.length, 0),
    });
    return { status: outcome.status, clusters: outcome.clusters };
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

export function subscriptionSettingsFromEnv(env: NodeJS.ProcessEnv): SubscriptionSettings {
  return {
    clusters: parseClusterSelection(env.AUDIT_LOG_CLUSTERS),
    filterName: required(env, 'AUDIT_SUBSCRIPTION_FILTER_NAME'),
    destinationArn: required(env, 'AUDIT_LOG_FUNCTION_ARN'),
  };
}

/**
 * The subscriber, on its schedule: subscribes the audit log group of every selected cluster (new clusters, clusters
 * that turned audit logging on, groups EKS created since the last run). Problems are logged and counted, never
 * thrown: the next run retries everything.
 */
export function auditSubscriberHandler() {
  let clients: { reader: SdkReader; logs: CloudWatchLogsClient } | undefined;
  return async (_event: ScheduledEvent) => {
    clients ??= { reader: new SdkReader({}), logs: new CloudWatchLogsClient({}) };
    const outcomes = await ensureAllSubscribed(clients, subscriptionSettingsFromEnv(process.env));
    const count = (s: string) => outcomes.filter((o) => o.status === s).length;
    for (const o of outcomes) {
      const level = o.status === 'error' ? 'error' : o.status === 'subscribed' || o.status === 'audit-logging-off' ? 'warn' : 'info';
      jsonLogger.log(level, 'audit log subscription', { ...o });
    }
    if (count('error')) jsonLogger.metric('AuditSubscriptionErrors', count('error'));
    return { subscribed: count('subscribed'), unchanged: count('unchanged'), auditLoggingOff: count('audit-logging-off'), logGroupMissing: count('log-group-missing'), errors: count('error') };
  };
}
