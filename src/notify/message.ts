import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import { severityRank, type Finding, type Severity } from '../findings/finding';
import { CHANGE_KINDS, type ChangeKind } from '../findings/store';
import { triggerCause, type Cause } from '../findings/trigger';
import { consoleUrl } from './console';
import { JSON_SEPARATOR, type NotificationChange, type NotificationPayload, type NotificationTrigger } from './payload';
import { triggerFacts, type Actor } from './trigger';

export { JSON_SEPARATOR, parseNotificationMessage } from './payload';
export type { DigestSummary, NotificationChange, NotificationPayload, NotificationTrigger } from './payload';

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
  changes: { opened: Finding[]; escalated?: Escalation[]; resolved: Finding[]; suppressed?: Finding[] };
  trigger: NotificationTrigger;
  /** Why these changes exist (default: the trigger's own cause, `event` or `sweep`). */
  cause?: Cause;
}

/** An open finding whose severity rose: `finding` has the new severity. */
export interface Escalation {
  finding: Finding;
  previousSeverity: Severity;
}

/** SNS: "must be less than 100 characters". */
export const SUBJECT_MAX = 99;
/** SNS: 256 KiB for the message and its attributes together; a margin covers what the size estimate leaves out. */
export const MESSAGE_MAX_BYTES = 256 * 1024 - 2048;
/** One finding's evidence is cut to this many characters when it alone would not fit a message. */
const EVIDENCE_PREVIEW_CHARS = 4000;

/**
 * One SNS message per (trigger, cluster, cause) with changes — split into parts only when they exceed the SNS size
 * limit (never dropping a finding). Alerts (opened, escalated) come first, most severe first. One cause per message
 * keeps the `cause` and `severity` attributes exact for filter policies (page on `event` only, say). Suppressions go in
 * messages of their own, so a `change` filter keeps them from paging anyone.
 */
export function buildNotifications(input: NotificationInput): SnsNotification[] {
  const cause = input.cause ?? triggerCause(input.trigger);
  const alerts = orderChanges([
    ...input.changes.opened.map((finding) => ({ change: 'opened' as const, cause, finding })),
    ...(input.changes.escalated ?? []).map(({ finding, previousSeverity }) => ({ change: 'escalated' as const, cause, previousSeverity, finding })),
    ...input.changes.resolved.map((finding) => ({ change: 'resolved' as const, cause, finding })),
  ]);
  const suppressed = orderChanges((input.changes.suppressed ?? []).map((finding) => ({ change: 'suppressed' as const, cause, finding })));
  return [...messagesFor(input, cause, alerts), ...messagesFor(input, cause, suppressed)];
}

function messagesFor(input: NotificationInput, cause: Cause, changes: NotificationChange[]): SnsNotification[] {
  if (!changes.length) return [];
  const head = { account: input.account, region: input.region, cluster: input.cluster, clusterArn: input.clusterArn, cause, trigger: input.trigger };
  const parts = splitToFit(changes, (chunk) => build({ ...head, changes: chunk }));
  if (parts.length === 1) return [build({ ...head, changes: parts[0] })];
  return parts.map((chunk, k) => build({ ...head, changes: chunk, part: { index: k + 1, of: parts.length } }));
}

/** What a change asks of the reader: act (opened, escalated), then take note (resolved, suppressed). */
const URGENCY: Record<ChangeKind, number> = { opened: 0, escalated: 0, resolved: 1, suppressed: 2 };

/** Alerts before resolutions, then worst first (an opening before an escalation of the same severity). */
export function orderChanges(cs: readonly NotificationChange[]): NotificationChange[] {
  return [...cs].sort(
    (a, b) =>
      URGENCY[a.change] - URGENCY[b.change] ||
      severityRank(b.finding.severity) - severityRank(a.finding.severity) ||
      CHANGE_KINDS.indexOf(a.change) - CHANGE_KINDS.indexOf(b.change) ||
      (a.finding.cluster ?? '').localeCompare(b.finding.cluster ?? '') ||
      a.finding.ruleId.localeCompare(b.finding.ruleId) ||
      a.finding.resourceId.localeCompare(b.finding.resourceId),
  );
}

/**
 * Greedy packing on each change's own size (measured once: packing thousands of changes stays linear), each part
 * then checked whole and halved if the estimate was short; a change too big for a message on its own has its
 * evidence cut to a preview.
 */
function splitToFit(changes: NotificationChange[], make: (chunk: NotificationChange[]) => SnsNotification): NotificationChange[][] {
  const sized = changes.map((c) => (fits(make([c])) ? c : shrink(c)));
  const base = notificationBytes(make(sized.slice(0, 1))) - changeBytes(sized[0]);
  const parts: NotificationChange[][] = [];
  let current: NotificationChange[] = [];
  let bytes = base;
  for (const c of sized) {
    const cost = changeBytes(c);
    if (current.length && bytes + cost > MESSAGE_MAX_BYTES) {
      parts.push(current);
      current = [];
      bytes = base;
    }
    current.push(c);
    bytes += cost;
  }
  if (current.length) parts.push(current);
  return parts.flatMap((p) => halveUntilFits(p, make));
}

function halveUntilFits(part: NotificationChange[], make: (chunk: NotificationChange[]) => SnsNotification): NotificationChange[][] {
  if (part.length === 1 || fits(make(part))) return [part];
  const mid = Math.ceil(part.length / 2);
  return [...halveUntilFits(part.slice(0, mid), make), ...halveUntilFits(part.slice(mid), make)];
}

/** What one change adds to a message: its text lines, and its JSON as nested in the payload (4 more spaces a line). */
export function changeBytes(c: NotificationChange): number {
  const json = JSON.stringify(c, null, 2);
  return Buffer.byteLength(changeLines(c).join('\n')) + 2 + Buffer.byteLength(json) + 4 * (json.split('\n').length) + 2;
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

export const fits = (n: SnsNotification) => notificationBytes(n) <= MESSAGE_MAX_BYTES;

/** The SNS message of a payload: readable text, the separator, the JSON. */
export function build(payload: NotificationPayload, subject = subjectFor(payload.cluster, payload.changes, payload.part), text = readableText(payload)): SnsNotification {
  return {
    Subject: subject,
    Message: `${text}\n\n${JSON_SEPARATOR}\n${JSON.stringify(payload, null, 2)}\n`,
    MessageAttributes: attributesFor(payload),
  };
}

export function highest(changes: readonly NotificationChange[]): Severity {
  return changes.reduce<Severity>((s, c) => (severityRank(c.finding.severity) > severityRank(s) ? c.finding.severity : s), 'info');
}

function attributesFor(p: NotificationPayload): Record<string, MessageAttributeValue> {
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  const changes = p.changes;
  const rules = p.digest ? p.digest.byRule.map((r) => r.ruleId) : changes.map((c) => c.finding.ruleId);
  const attrs: Record<string, MessageAttributeValue> = {
    severity: { DataType: 'String', StringValue: p.digest ? p.digest.byRule[0]?.severity ?? 'info' : highest(changes) },
    // String.Array: a subscription filter such as {"ruleId": ["no-internet-ssh"]} matches when any element matches.
    ruleId: { DataType: 'String.Array', StringValue: JSON.stringify(uniq(rules)) },
    change: { DataType: 'String.Array', StringValue: JSON.stringify(uniq(changes.map((c) => c.change))) },
    // One cause per message: {"cause": ["event"]} pages only on what a call just did.
    cause: { DataType: 'String', StringValue: p.cause },
    account: { DataType: 'String', StringValue: p.account },
    region: { DataType: 'String', StringValue: p.region },
  };
  // Account-level alerts and digests carry no cluster attribute: filter them with {"cluster": [{"exists": false}]}.
  if (p.cluster) attrs.cluster = { DataType: 'String', StringValue: p.cluster };
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
  const tag = changeTag(top);
  const where = cluster ?? `account ${f.account}`;
  const more = changes.length > 1 ? ` and ${changes.length - 1} more` : '';
  const partTag = part ? ` (${part.index}/${part.of})` : '';
  // In the tail, which is never cut: a subject that says ESCALATED [HIGH] also says from what.
  const tail = toAsciiLine(`${wasSeverity(top)} (${f.ruleId})${more}${partTag}`);
  const head = toAsciiLine(`${tag} ${where}: `);
  const room = SUBJECT_MAX - head.length - tail.length;
  let msg = toAsciiLine(f.message).trim();
  if (msg.length > room) msg = room > 3 ? `${msg.slice(0, room - 3).trimEnd()}...` : '';
  return `${head}${msg}${tail}`.trim().slice(0, SUBJECT_MAX);
}

/** `[HIGH]` for an opening, `ESCALATED [HIGH]` for an escalation, `[RESOLVED]` / `[SUPPRESSED]` otherwise. */
export function changeTag(c: NotificationChange): string {
  const severity = `[${c.finding.severity.toUpperCase()}]`;
  return c.change === 'opened' ? severity : c.change === 'escalated' ? `ESCALATED ${severity}` : `[${c.change.toUpperCase()}]`;
}

/** " (was MEDIUM)" after an escalation, nothing otherwise. */
export const wasSeverity = (c: Pick<NotificationChange, 'previousSeverity'>): string => (c.previousSeverity ? ` (was ${c.previousSeverity.toUpperCase()})` : '');

function readableText(p: NotificationPayload): string {
  const count = (k: NotificationChange['change']) => p.changes.filter((c) => c.change === k).length;
  const counts = CHANGE_KINDS.map((k) => (count(k) ? `${count(k)} ${k}` : ''))
    .filter(Boolean)
    .join(', ');
  const where = p.cluster ? `cluster ${p.cluster} (${p.clusterArn ?? 'unknown ARN'})` : 'account-level checks';
  const lines = [
    `eks-drift: ${counts} on ${where}`,
    `Account: ${p.account}   Region: ${p.region}${p.part ? `   Part ${p.part.index} of ${p.part.of}` : ''}`,
    '',
    ...causeLines(p.cause, p.trigger),
  ];
  for (const c of p.changes) lines.push('', ...changeLines(c));
  return lines.join('\n');
}

/** Why the message exists; who did it only when a call did it (cause `event`). */
export function causeLines(cause: Cause, t: NotificationTrigger): string[] {
  const f = triggerFacts(t);
  switch (cause) {
    case 'event':
      return [
        `Cause: event. Triggered by: ${f.what} at ${f.at}`,
        ...(f.actors.length ? f.actors : [{ who: 'unknown principal' }]).flatMap((a: Actor) => [
          `Who: ${a.who}${a.whoType ? ` (${a.whoType})` : ''}`,
          `Source IP: ${a.from ?? 'unknown'}${a.userAgent ? `   User agent: ${a.userAgent}` : ''}`,
          ...(a.did ?? []).map((d) => `  ${d}`),
        ]),
        ...(f.moreActors ? [`…and ${f.moreActors} more (not listed here)`] : []),
        ...(f.reference ? [f.reference] : []),
      ];
    case 'sweep':
      return [
        `Cause: sweep. Found by the ${f.what} at ${f.at}.`,
        `No CloudTrail event is attached: the change was not seen as it happened (a missed event, a resource that disappeared, or a suppression that ended).`,
      ];
    case 'first-check':
      return [
        `Cause: first-check: already present when eks-drift first checked (${f.what} at ${f.at}).`,
        `These predate what eks-drift knows: a new deployment, a rule added to the catalog, a cluster no event announced, or a part read for the first time. They are not attributed to anyone.`,
      ];
  }
}

function changeLines(c: NotificationChange): string[] {
  const f: Finding = c.finding;
  const link = consoleUrl(f);
  return [
    `${c.change.toUpperCase()} [${f.severity.toUpperCase()}] ${f.ruleId}: ${f.message}${wasSeverity(c)}`,
    `  Resource: ${f.resourceType} ${f.resourceId}${f.cluster ? ` in cluster ${f.cluster}` : ''} (account ${f.account}, ${f.region})`,
    `  Guideline: ${f.guideline}`,
    ...(c.change === 'opened' || c.change === 'escalated' ? [`  Remediation: ${f.remediation}`] : []),
    ...(link ? [`  Console: ${link}`] : []),
    `  Evidence: ${JSON.stringify(f.evidence)}`,
  ];
}
