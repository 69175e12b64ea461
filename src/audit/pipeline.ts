import { createHash } from 'node:crypto';
import { EVENT_DELIVERS, publishEvaluation, openFindings, reconcileCluster, type EventOutcome, type PipelineDeps } from '../pipeline';
import { classifyDelivery, type KubernetesWrite, type LineVerdict } from './classify';
import { kubernetesTrigger } from './trigger';

/** What became of each log event of a delivery (replay prints it; the Lambda logs it). */
export type LineOutcome = { id: string; status: 'write' | 'ignored' | 'invalid'; reason?: string; object?: string };

export interface AuditDeliveryOutcome extends EventOutcome {
  lines: LineOutcome[];
}

/**
 * The idempotency key of a delivery: its log group and the ids of the log events that caused the evaluation.
 * CloudWatch Logs gives every log event a unique id, and a retried invocation carries the same batch.
 */
function deliveryIdOf(logGroup: string, writes: KubernetesWrite[]): string {
  const ids = writes.map((w) => w.logEventId).sort();
  return `audit:${createHash('sha256').update(JSON.stringify([logGroup, ids])).digest('hex').slice(0, 40)}`;
}

/** "patch configmaps kube-system/aws-auth and 2 more writes": the eventName of replay's output. */
function summary(writes: KubernetesWrite[]): string {
  const [first] = writes;
  return `${first.verb} ${first.object}${writes.length > 1 ? ` and ${writes.length - 1} more write(s)` : ''}`;
}

/** Distinct reasons with their counts, so a reason stays one line for a delivery of a thousand reads. */
function reasons(lines: LineVerdict[]): string {
  const counts = new Map<string, number>();
  for (const l of lines) if (l.status !== 'write') counts.set(l.reason, (counts.get(l.reason) ?? 0) + 1);
  const parts = [...counts].slice(0, 5).map(([r, n]) => (n > 1 ? `${r} (×${n})` : r));
  if (counts.size > 5) parts.push(`…and ${counts.size - 5} other reason(s)`);
  return parts.join('; ');
}

/**
 * The Lambda pipeline for one CloudWatch Logs subscription delivery of an EKS audit log: the same outcomes as a
 * CloudTrail event. The writes to watched objects (every line, not the first) say which rules to re-evaluate on the
 * cluster the log group names; the verdict comes from re-reading that cluster, once for the whole delivery, with
 * the union of the rules. Invalid lines are logged with their log event id (the line stays in the log group) and
 * counted; they never hide the valid writes beside them.
 */
export async function processAuditDelivery(raw: unknown, deps: PipelineDeps): Promise<AuditDeliveryOutcome> {
  /** An outcome that evaluates nothing, logged and counted like an EventBridge event's. */
  const unprocessed = (status: 'invalid' | 'ignored', reason: string, fields: { logGroup?: string; lines?: LineOutcome[]; level?: 'warn' }): AuditDeliveryOutcome => {
    const { lines = [], level, ...logged } = fields;
    deps.log.log(level ?? (status === 'invalid' ? 'error' : 'info'), status === 'invalid' ? 'invalid audit-log delivery' : 'audit-log delivery ignored', { ...logged, reason });
    deps.log.metric(status === 'invalid' ? 'InvalidEvents' : 'IgnoredEvents');
    return { status, reason, clusters: [], scopes: [], findings: [], lines };
  };
  const c = classifyDelivery(raw);
  if (c.status === 'invalid') return unprocessed('invalid', c.reason, {});
  if (c.status === 'ignored') return unprocessed('ignored', c.reason, { logGroup: c.data?.logGroup });

  const { data, cluster } = c;
  const lines: LineOutcome[] = c.lines.map((l) =>
    l.status === 'write' ? { id: l.id, status: 'write', object: l.write.object } : { id: l.id, status: l.status, reason: l.reason },
  );
  const ids = await deps.reader.identity();
  if (data.owner !== ids.account) {
    return unprocessed('ignored', `delivery from account ${data.owner}, this deployment reads account ${ids.account}`, { logGroup: data.logGroup, lines, level: 'warn' });
  }

  for (const l of c.lines) {
    if (l.status !== 'invalid') continue;
    deps.log.log('error', 'invalid audit log line', { logGroup: data.logGroup, logStream: data.logStream, logEventId: l.id, reason: l.reason });
    deps.log.metric('InvalidAuditLines');
  }
  const writes = c.lines.flatMap((l) => (l.status === 'write' ? [l] : []));
  if (!writes.length) {
    const reason = c.lines.length ? reasons(c.lines) : 'the delivery holds no log event';
    return unprocessed(c.lines.some((l) => l.status === 'invalid') ? 'invalid' : 'ignored', reason, { logGroup: data.logGroup, lines });
  }

  const ruleIds = [...new Set(writes.flatMap((w) => w.write.rules))];
  const deliveryId = deliveryIdOf(data.logGroup, writes.map((w) => w.write));
  const loggedAt = new Map(data.logEvents.map((e) => [e.id, e.timestamp]));
  const time = writes.map((w) => w.write.time ?? new Date(loggedAt.get(w.id) ?? 0).toISOString()).sort()[0];
  const trigger = kubernetesTrigger(
    { deliveryId, logGroup: data.logGroup, logStream: data.logStream, cluster, time },
    writes.map((w) => w.write),
  );
  // Like any event: first-check changes (a rule never run on this cluster) wait for the sweep's digest.
  const scope = await publishEvaluation(deps, ids, await reconcileCluster(deps, ids, cluster, ruleIds, trigger, { deliver: EVENT_DELIVERS }));
  return {
    eventId: deliveryId,
    eventName: summary(writes.map((w) => w.write)),
    status: 'processed',
    clusters: [cluster],
    scopes: [scope],
    findings: openFindings([scope]),
    lines,
  };
}
