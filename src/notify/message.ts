import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import { severityRank, type Finding, type Severity } from '../findings/finding';
import type { Changes } from '../findings/store';
import { consoleUrl } from './console';
import { JSON_SEPARATOR, type NotificationChange, type NotificationPayload, type NotificationTrigger } from './payload';

export { JSON_SEPARATOR, parseNotificationMessage } from './payload';
export type { NotificationChange, NotificationPayload, NotificationTrigger } from './payload';

/** One SNS Publish request's worth. */
export interface SnsNotification {
  Subject: string;
  Message: string;
  MessageAttributes: Record<string, MessageAttributeValue>;
}

export interface NotificationInput {
  account: string;
  region: string;
  cluster: string | null;
  clusterArn: string | null;
  changes: Pick<Changes, 'opened' | 'resolved'> & Partial<Pick<Changes, 'suppressed'>>;
  trigger: NotificationTrigger;
}

/** SNS: "must be less than 100 characters". */
export const SUBJECT_MAX = 99;
/** SNS: 256 KiB for the message and its attributes together; a margin covers what the size estimate leaves out. */
export const MESSAGE_MAX_BYTES = 256 * 1024 - 2048;
/** One finding's evidence is cut to this many characters when it alone would not fit a message. */
const EVIDENCE_PREVIEW_CHARS = 4000;

/**
 * One SNS message per (event, cluster) with changes — split into parts only when they exceed the SNS size limit
 * (never dropping a finding). Opened changes come first, most severe first. Suppressions go in a message of their own.
 */
export function buildNotifications(input: NotificationInput): SnsNotification[] {
  const alerts = orderChanges([
    ...input.changes.opened.map((finding) => ({ change: 'opened' as const, finding })),
    ...input.changes.resolved.map((finding) => ({ change: 'resolved' as const, finding })),
  ]);
  const suppressed = orderChanges((input.changes.suppressed ?? []).map((finding) => ({ change: 'suppressed' as const, finding })));
  return [...messagesFor(input, alerts), ...messagesFor(input, suppressed)];
}

function messagesFor(input: NotificationInput, changes: NotificationChange[]): SnsNotification[] {
  if (!changes.length) return [];
  const parts = splitToFit(changes, (chunk) => build(input, chunk));
  if (parts.length === 1) return [build(input, parts[0])];
  return parts.map((chunk, k) => build(input, chunk, { index: k + 1, of: parts.length }));
}

function orderChanges(cs: NotificationChange[]): NotificationChange[] {
  return [...cs].sort(
    (a, b) =>
      (a.change === b.change ? 0 : a.change === 'opened' ? -1 : b.change === 'opened' ? 1 : 0) ||
      severityRank(b.finding.severity) - severityRank(a.finding.severity) ||
      a.finding.ruleId.localeCompare(b.finding.ruleId) ||
      a.finding.resourceId.localeCompare(b.finding.resourceId),
  );
}

/** Greedy packing; a change too big for a message on its own has its evidence cut to a preview. */
function splitToFit(changes: NotificationChange[], make: (chunk: NotificationChange[]) => SnsNotification): NotificationChange[][] {
  const parts: NotificationChange[][] = [];
  let current: NotificationChange[] = [];
  for (const c of changes) {
    const candidate = [...current, c];
    if (fits(make(candidate))) {
      current = candidate;
      continue;
    }
    if (current.length) parts.push(current);
    current = fits(make([c])) ? [c] : [shrink(c)];
  }
  if (current.length) parts.push(current);
  return parts;
}

function shrink(c: NotificationChange): NotificationChange {
  const json = JSON.stringify(c.finding.evidence);
  const evidence = { truncated: true, originalLength: json.length, preview: json.slice(0, EVIDENCE_PREVIEW_CHARS) };
  return { ...c, finding: { ...c.finding, evidence, message: c.finding.message.slice(0, 2000) } };
}

export function notificationBytes(n: SnsNotification): number {
  let bytes = Buffer.byteLength(n.Message) + Buffer.byteLength(n.Subject);
  for (const [name, v] of Object.entries(n.MessageAttributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(v.DataType ?? '') + Buffer.byteLength(v.StringValue ?? '');
  }
  return bytes;
}

const fits = (n: SnsNotification) => notificationBytes(n) <= MESSAGE_MAX_BYTES;

function build(input: NotificationInput, changes: NotificationChange[], part?: { index: number; of: number }): SnsNotification {
  const payload: NotificationPayload = {
    account: input.account,
    region: input.region,
    cluster: input.cluster,
    clusterArn: input.clusterArn,
    trigger: input.trigger,
    changes,
    ...(part ? { part } : {}),
  };
  return {
    Subject: subjectFor(input.cluster, changes, part),
    Message: `${readableText(payload)}\n\n${JSON_SEPARATOR}\n${JSON.stringify(payload, null, 2)}\n`,
    MessageAttributes: attributesFor(input, changes),
  };
}

function highest(changes: NotificationChange[]): Severity {
  return changes.reduce<Severity>((s, c) => (severityRank(c.finding.severity) > severityRank(s) ? c.finding.severity : s), 'info');
}

function attributesFor(input: NotificationInput, changes: NotificationChange[]): Record<string, MessageAttributeValue> {
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  const attrs: Record<string, MessageAttributeValue> = {
    severity: { DataType: 'String', StringValue: highest(changes) },
    // String.Array: a subscription filter such as {"ruleId": ["no-internet-ssh"]} matches when any element matches.
    ruleId: { DataType: 'String.Array', StringValue: JSON.stringify(uniq(changes.map((c) => c.finding.ruleId))) },
    change: { DataType: 'String.Array', StringValue: JSON.stringify(uniq(changes.map((c) => c.change))) },
    account: { DataType: 'String', StringValue: input.account },
    region: { DataType: 'String', StringValue: input.region },
  };
  // Account-level alerts carry no cluster attribute: filter them with {"cluster": [{"exists": false}]}.
  if (input.cluster) attrs.cluster = { DataType: 'String', StringValue: input.cluster };
  return attrs;
}

/** SNS subjects must be printable ASCII without line breaks. */
export function toAsciiLine(s: string): string {
  return s
    .replace(/[\u2012-\u2015]/g, '-')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\u2026/g, '...')
    .replace(/\u2192/g, '->')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/ {2,}/g, ' ');
}

export function subjectFor(cluster: string | null, changes: NotificationChange[], part?: { index: number; of: number }): string {
  const [top] = changes;
  const f = top.finding;
  const tag = top.change === 'opened' ? `[${f.severity.toUpperCase()}]` : `[${top.change.toUpperCase()}]`;
  const where = cluster ?? `account ${f.account}`;
  const more = changes.length > 1 ? ` and ${changes.length - 1} more` : '';
  const partTag = part ? ` (${part.index}/${part.of})` : '';
  const tail = toAsciiLine(` (${f.ruleId})${more}${partTag}`);
  const head = toAsciiLine(`${tag} ${where}: `);
  const room = SUBJECT_MAX - head.length - tail.length;
  let msg = toAsciiLine(f.message).trim();
  if (msg.length > room) msg = room > 3 ? `${msg.slice(0, room - 3).trimEnd()}...` : '';
  return `${head}${msg}${tail}`.trim().slice(0, SUBJECT_MAX);
}

function readableText(p: NotificationPayload): string {
  const count = (k: NotificationChange['change']) => p.changes.filter((c) => c.change === k).length;
  const counts = (['opened', 'resolved', 'suppressed'] as const)
    .map((k) => (count(k) ? `${count(k)} ${k}` : ''))
    .filter(Boolean)
    .join(', ');
  const where = p.cluster ? `cluster ${p.cluster} (${p.clusterArn ?? 'unknown ARN'})` : 'account-level checks';
  const lines = [
    `eks-drift: ${counts} on ${where}`,
    `Account: ${p.account}   Region: ${p.region}${p.part ? `   Part ${p.part.index} of ${p.part.of}` : ''}`,
    '',
    ...triggerLines(p.trigger),
  ];
  for (const c of p.changes) lines.push('', ...changeLines(c));
  return lines.join('\n');
}

function triggerLines(t: NotificationTrigger): string[] {
  if (t.kind === 'sweep') {
    return [`Found by the scheduled sweep ${t.sweepId} at ${t.time}.`, `No CloudTrail event is attached: the change was not seen as it happened (missed event, or a resource that disappeared).`];
  }
  return [
    `Triggered by: ${t.eventName} (${t.eventSource}) at ${t.eventTime}`,
    `Who: ${t.principalArn ?? 'unknown principal'}${t.principalType ? ` (${t.principalType})` : ''}`,
    `Source IP: ${t.sourceIPAddress ?? 'unknown'}${t.userAgent ? `   User agent: ${t.userAgent}` : ''}`,
    `CloudTrail eventID: ${t.eventId}`,
  ];
}

function changeLines(c: NotificationChange): string[] {
  const f: Finding = c.finding;
  const link = consoleUrl(f);
  return [
    `${c.change.toUpperCase()} [${f.severity.toUpperCase()}] ${f.ruleId}: ${f.message}`,
    `  Resource: ${f.resourceType} ${f.resourceId}${f.cluster ? ` in cluster ${f.cluster}` : ''} (account ${f.account}, ${f.region})`,
    `  Guideline: ${f.guideline}`,
    ...(c.change === 'opened' ? [`  Remediation: ${f.remediation}`] : []),
    ...(link ? [`  Console: ${link}`] : []),
    `  Evidence: ${JSON.stringify(f.evidence)}`,
  ];
}
