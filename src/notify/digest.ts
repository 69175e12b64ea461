import { SEVERITIES, severityRank, type Severity } from '../findings/finding';
import type { SweepTrigger } from '../findings/trigger';
import { consoleUrl } from './console';
import { build, causeLines, changeBytes, fits, MESSAGE_MAX_BYTES, notificationBytes, orderChanges, SUBJECT_MAX, toAsciiLine, type SnsNotification } from './message';
import type { DigestSummary, NotificationChange, NotificationPayload } from './payload';

export interface DigestInput {
  account: string;
  region: string;
  trigger: SweepTrigger;
  baseline: boolean;
  /** Every first-check change the sweep delivers (its own, and those earlier events left for it). */
  changes: readonly NotificationChange[];
}

/**
 * The first-check digest: ONE SNS message per sweep, account and region, whatever the number of findings —
 * counts per severity and per rule, then the items worst first for as long as they fit the 256 KB limit (the
 * rest counted in `digest.omitted`: `eks-drift sweep` or the findings table lists them all). Undefined when the
 * sweep found nothing first-check.
 */
export function buildDigest(input: DigestInput): SnsNotification | undefined {
  if (!input.changes.length) return undefined;
  const ordered = orderChanges(input.changes);
  const summary = summarise(input.baseline, ordered);
  const make = (listed: NotificationChange[]) => {
    const payload: NotificationPayload = {
      account: input.account,
      region: input.region,
      cluster: null,
      clusterArn: null,
      cause: 'first-check',
      trigger: input.trigger,
      changes: listed,
      digest: { ...summary, omitted: ordered.length - listed.length },
    };
    return build(payload, digestSubject(input, summary), digestText(payload));
  };
  // Linear packing on measured sizes, then trimmed until the whole message fits.
  let budget = MESSAGE_MAX_BYTES - notificationBytes(make([]));
  let n = 0;
  while (n < ordered.length && budget - changeBytes(ordered[n]) > 0) budget -= changeBytes(ordered[n++]);
  let message = make(ordered.slice(0, n));
  while (!fits(message) && n > 0) message = make(ordered.slice(0, (n = Math.floor(n * 0.9))));
  return message;
}

function summarise(baseline: boolean, ordered: readonly NotificationChange[]): Omit<DigestSummary, 'omitted'> {
  const bySeverity: Partial<Record<Severity, number>> = {};
  const rules = new Map<string, { ruleId: string; severity: Severity; count: number }>();
  for (const { finding: f } of ordered) {
    bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
    const r = rules.get(f.ruleId) ?? { ruleId: f.ruleId, severity: f.severity, count: 0 };
    r.count++;
    if (severityRank(f.severity) > severityRank(r.severity)) r.severity = f.severity;
    rules.set(f.ruleId, r);
  }
  const byRule = [...rules.values()].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.count - a.count || a.ruleId.localeCompare(b.ruleId));
  const clusters = new Set(ordered.map((c) => c.finding.clusterArn).filter((a) => a !== null)).size;
  return { baseline, total: ordered.length, clusters, bySeverity, byRule };
}

export function severityCounts(bySeverity: Partial<Record<Severity, number>>): string {
  return [...SEVERITIES]
    .reverse()
    .filter((s) => bySeverity[s])
    .map((s) => `${bySeverity[s]} ${s}`)
    .join(', ');
}

function digestSubject(input: DigestInput, s: Omit<DigestSummary, 'omitted'>): string {
  const top = s.byRule[0].severity.toUpperCase();
  const what = input.baseline ? 'baseline' : 'first check';
  const text = toAsciiLine(`[${top}] eks-drift ${what}: ${s.total} finding(s) already present in ${input.account} ${input.region}`);
  return text.length <= SUBJECT_MAX ? text : `${text.slice(0, SUBJECT_MAX - 3)}...`;
}

function digestText(p: NotificationPayload): string {
  const d = p.digest!;
  const lines = [
    `eks-drift ${d.baseline ? 'baseline' : 'first check'}: ${d.total} finding(s) already present in ${d.clusters} cluster(s) and the account-level checks`,
    `Account: ${p.account}   Region: ${p.region}`,
    '',
    ...causeLines('first-check', p.trigger),
    d.baseline
      ? 'This is the baseline of a new deployment: from now on, each new violation is reported as it happens, with who did it.'
      : 'Rules or clusters checked for the first time: from now on, their new violations are reported as they happen.',
    '',
    `By severity: ${severityCounts(d.bySeverity)}`,
    'By rule:',
    ...d.byRule.map((r) => `  ${r.ruleId} (${r.severity}): ${r.count}`),
    '',
    d.omitted ? `Worst first (${p.changes.length} of ${d.total} listed; \`eks-drift sweep\` or the findings table lists all):` : 'Worst first:',
  ];
  for (const c of p.changes) {
    const f = c.finding;
    const link = consoleUrl(f);
    lines.push(`  [${f.severity.toUpperCase()}] ${f.cluster ?? `account ${f.account}`} ${f.ruleId}: ${f.message}`, ...(link ? [`      ${link}`] : []));
  }
  if (d.omitted) lines.push(`  ...and ${d.omitted} more.`);
  return lines.join('\n');
}
