import type { CloudWatchLogsEvent } from 'aws-lambda';
import { lambdaDeps } from '../runtime';
import { processAuditDelivery } from './pipeline';

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
