import type { CloudWatchLogsDecodedData } from 'aws-lambda';
import { parseAuditLine, type AuditEvent } from './auditEvent';
import { decodeDelivery } from './delivery';
import { WRITE_VERBS } from './subscriptionFilter';
import { catalogRules, watchedObject } from './watched';
import type { WriteInput } from './trigger';

/** One successful write to a watched object, with who made it (what the alert shows), and its log event. */
export type KubernetesWrite = WriteInput & { logEventId: string };

export type LineVerdict =
  | { id: string; status: 'write'; write: KubernetesWrite; what: string }
  | { id: string; status: 'ignored'; reason: string }
  | { id: string; status: 'invalid'; reason: string };

type DeliveryClassification =
  | { status: 'invalid'; reason: string }
  | { status: 'ignored'; reason: string; data?: CloudWatchLogsDecodedData }
  | { status: 'lines'; data: CloudWatchLogsDecodedData; cluster: string; lines: LineVerdict[] };

/** EKS control-plane logs: `/aws/eks/<cluster>/cluster` (cluster names: letters, digits, '-' and '_'). */
const EKS_LOG_GROUP = /^\/aws\/eks\/([0-9A-Za-z][A-Za-z0-9_-]{0,99})\/cluster$/;

function clusterOfLogGroup(logGroup: string): string | undefined {
  return EKS_LOG_GROUP.exec(logGroup)?.[1];
}

export function logGroupOf(cluster: string): string {
  return `/aws/eks/${cluster}/cluster`;
}

function objectLabel(e: AuditEvent): string {
  const ref = e.objectRef ?? {};
  const resource = `${ref.resource ?? '(no resource)'}${ref.subresource ? `/${ref.subresource}` : ''}`;
  const name = ref.name ?? '*';
  const where = ref.namespace ? `${ref.namespace}/${name}` : name;
  return `${resource} ${where}${ref.name ? '' : ' (every object)'}`;
}

function isDryRun(requestURI: string): boolean {
  try {
    return new URL(requestURI, 'https://kubernetes.invalid').searchParams.getAll('dryRun').includes('All');
  } catch {
    return false;
  }
}

function writeOf(id: string, e: AuditEvent): Omit<KubernetesWrite, 'rules'> {
  const iamArn = e.user.extra?.arn?.[0];
  return {
    logEventId: id,
    auditID: e.auditID,
    verb: e.verb,
    object: objectLabel(e),
    username: e.user.username ?? '(no username)',
    groups: e.user.groups ?? [],
    ...(iamArn ? { iamArn } : {}),
    ...(e.impersonatedUser?.username ? { impersonatedUser: e.impersonatedUser.username } : {}),
    sourceIPs: e.sourceIPs ?? [],
    ...(e.userAgent ? { userAgent: e.userAgent } : {}),
    ...(e.requestReceivedTimestamp ? { time: e.requestReceivedTimestamp } : {}),
  };
}

/**
 * What one audit line means to the detector, without I/O. Only a completed (`ResponseComplete`), successful,
 * persisted write to a watched object counts: a `RequestReceived` line has not happened yet, a failed one
 * (`responseStatus.code` ≥ 400) changed nothing, nor did a server-side dry run.
 */
export function classifyLine(id: string, message: string): LineVerdict {
  const parsed = parseAuditLine(message);
  if (!parsed.ok) return { id, status: 'invalid', reason: parsed.reason };
  const e = parsed.event;
  const label = `${e.verb} ${objectLabel(e)}`;
  const ignored = (reason: string): LineVerdict => ({ id, status: 'ignored', reason: `${label}: ${reason}` });
  if (!(WRITE_VERBS as readonly string[]).includes(e.verb)) return ignored(`verb ${e.verb} changes nothing`);
  if (e.stage !== 'ResponseComplete') return ignored(`stage ${e.stage}, not a completed request`);
  const code = e.responseStatus?.code;
  if (code !== undefined && code >= 400) return ignored(`failed request (HTTP ${code})`);
  if (isDryRun(e.requestURI)) return ignored('server-side dry run, nothing persisted');
  const w = watchedObject(e.objectRef ?? {});
  if (!w) return ignored('no rule reads this object');
  const rules = catalogRules(w);
  if (!rules.length) return ignored(`${w.what} is read by ${w.rules.join(', ')}, which this version's catalog does not have`);
  return { id, status: 'write', write: { ...writeOf(id, e), rules }, what: w.what };
}

/**
 * What a subscription delivery means, without I/O: invalid (not a delivery, or its encoding is broken), ignored as a
 * whole (a control message, a log group that is not an EKS control-plane log), or one verdict per log event. A bad
 * line spoils only itself: the lines are independent records, and failing the delivery for one of them would hold
 * back the valid writes beside it (a retry cannot repair a line).
 */
export function classifyDelivery(raw: unknown): DeliveryClassification {
  const decoded = decodeDelivery(raw);
  if (!decoded.ok) return { status: 'invalid', reason: decoded.reason };
  const data = decoded.data;
  if (data.messageType === 'CONTROL_MESSAGE') return { status: 'ignored', reason: 'CloudWatch Logs control message (the subscription checking its destination)', data };
  if (data.messageType !== 'DATA_MESSAGE') return { status: 'invalid', reason: `unknown messageType ${JSON.stringify(data.messageType)}` };
  const cluster = clusterOfLogGroup(data.logGroup);
  if (!cluster) return { status: 'ignored', reason: `log group ${data.logGroup} is not an EKS control-plane log group (/aws/eks/<cluster>/cluster)`, data };
  return { status: 'lines', data, cluster, lines: data.logEvents.map((e) => classifyLine(e.id, e.message)) };
}
