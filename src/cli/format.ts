import { createHash } from 'node:crypto';
import type { Finding, NotEvaluated, Severity } from '../findings/finding';
import { findingKey, severityRank } from '../findings/finding';
import type { Rule } from '../rules/engine/rule';
import type { Notice } from '../findings/store';
import { changeCounts, type EventOutcome, type SweepOutcome } from '../pipeline';
import type { LineOutcome } from '../audit/pipeline';
import { JSON_SEPARATOR, type SnsNotification } from '../notify/message';

/** An audit-log delivery's outcome also says what became of each of its log events. */
type ReplayOutcome = EventOutcome & { lines?: LineOutcome[] };

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};
/** GitHub code scanning reads `security-severity` (0–10) to rank security alerts: > 9.0 is Critical, ≥ 7.0 High. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '1.0' };

export function bySeverity(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    (a.cluster ?? '').localeCompare(b.cluster ?? '') ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.resourceId.localeCompare(b.resourceId)
  );
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function rulesTable(rules: readonly Rule[]): string {
  return table(
    ['ID', 'SEVERITY', 'SCOPE', 'GUIDELINE'],
    rules.map((r) => [r.id, r.severity, r.scope, r.guideline]),
  );
}

export function findingsTable(findings: Finding[], notEvaluated: NotEvaluated[]): string {
  const parts: string[] = [];
  if (findings.length) {
    parts.push(
      table(
        ['SEVERITY', 'CLUSTER', 'RULE', 'RESOURCE', 'MESSAGE'],
        [...findings].sort(bySeverity).map((f) => [f.severity.toUpperCase(), f.cluster ?? '(account)', f.ruleId, f.resourceId, f.message]),
      ),
    );
  } else {
    parts.push('No findings.');
  }
  if (notEvaluated.length) {
    parts.push(
      '',
      'Not evaluated (could not read what the rule needs; this is not a pass):',
      ...notEvaluated.map((n) => `  ${n.cluster ?? '(account)'}  ${n.ruleId}: ${n.reason}`),
    );
  }
  const counts = new Map<Severity, number>();
  for (const f of findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const summary = [...counts.entries()]
    .sort((a, b) => severityRank(b[0]) - severityRank(a[0]))
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  parts.push('', `${findings.length} finding(s)${summary ? `: ${summary}` : ''}${notEvaluated.length ? `; ${notEvaluated.length} rule evaluation(s) incomplete` : ''}.`);
  return parts.join('\n');
}

/**
 * Where a finding "is" for code scanning: a stable pseudo-path per account, region, cluster and resource (the same
 * whether the account was scanned live or from a world file). It names no file of the repository, so code scanning
 * neither shows a snippet nor recomputes the fingerprint from file content; line 1 is the resource itself.
 */
export function sarifArtifactUri(f: Finding): string {
  const seg = (s: string) => encodeURIComponent(s);
  return ['aws', f.account, f.region, f.cluster ?? '_account', f.resourceType.replace(/::/g, '-').replace(/^-|-$/g, ''), f.resourceId].map(seg).join('/');
}

/**
 * Code scanning tracks an alert by rule, category and `primaryLocationLineHash`: one hash per finding identity keeps
 * one alert per finding across runs (a changed message or evidence is the same alert), and two findings on one
 * location apart. The `hash:occurrence` form is GitHub's own.
 */
export function primaryLocationLineHash(f: Finding): string {
  return `${createHash('sha256').update(findingKey(f)).digest('hex').slice(0, 16)}:1`;
}

/**
 * SARIF 2.1.0 for GitHub code scanning: one result per finding with its own severity, fingerprinted by the finding
 * identity, in one run per account and region whose category (`automationDetails.id`, trailing slash: the whole id
 * is the category) keeps the scans of several accounts or regions for one commit from replacing each other.
 */
export function sarif(findings: Finding[], rules: readonly Rule[], scope: { account: string; region: string; version: string }): unknown {
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'eks-drift',
            version: scope.version,
            informationUri: 'https://github.com/eks-drift/eks-drift',
            rules: rules.map((r) => ({
              id: r.id,
              name: r.title,
              shortDescription: { text: r.title },
              fullDescription: { text: r.description },
              help: { text: `${r.guideline}: ${r.remediation}` },
              defaultConfiguration: { level: SARIF_LEVEL[r.severity] },
              properties: { 'security-severity': SECURITY_SEVERITY[r.severity], tags: ['security', 'eks'] },
            })),
          },
        },
        automationDetails: { id: `eks-drift/${scope.account}/${scope.region}/` },
        results: [...findings].sort(bySeverity).map((f) => ({
          ruleId: f.ruleId,
          ruleIndex: ruleIndex.get(f.ruleId) ?? -1,
          level: SARIF_LEVEL[f.severity],
          message: { text: `${f.cluster ?? f.account}: ${f.message}` },
          locations: [
            {
              physicalLocation: { artifactLocation: { uri: sarifArtifactUri(f) }, region: { startLine: 1 } },
              logicalLocations: [
                { name: f.resourceId, kind: 'resource', fullyQualifiedName: `${f.clusterArn ?? `${f.account}/${f.region}`}/${f.resourceType}/${f.resourceId}` },
              ],
            },
          ],
          partialFingerprints: { primaryLocationLineHash: primaryLocationLineHash(f), findingIdentity: findingKey(f) },
          properties: {
            'security-severity': SECURITY_SEVERITY[f.severity],
            severity: f.severity,
            account: f.account,
            region: f.region,
            cluster: f.cluster,
            evidence: f.evidence,
            remediation: f.remediation,
          },
        })),
      },
    ],
  };
}

/** The `replay --format json` element (DESIGN.md): one per input event. */
export function replayJson(file: string, o: ReplayOutcome) {
  return {
    file,
    eventId: o.eventId ?? null,
    eventName: o.eventName ?? null,
    status: o.status,
    ...(o.reason ? { reason: o.reason } : {}),
    clusters: o.clusters,
    findings: o.findings,
    notifications: o.scopes.flatMap((s) => s.published.map(notification)),
    notEvaluated: o.scopes.flatMap((s) => s.notEvaluated),
    ...(o.lines ? { lines: o.lines } : {}),
  };
}

/** A published change as the CLI's JSON lists it (DESIGN.md). */
function notification(n: Notice) {
  return { change: n.change, cause: n.cause, ...(n.previousSeverity ? { previousSeverity: n.previousSeverity } : {}), finding: n.finding };
}

/** The `sweep --format json` object (DESIGN.md): `findings` are every open finding after the sweep. */
export function sweepJson(o: SweepOutcome, findings: Finding[]) {
  return {
    sweepId: o.sweepId,
    clusters: o.clusters,
    baseline: o.baseline,
    findings,
    notifications: o.published.map(notification),
    notEvaluated: o.scopes.flatMap((s) => s.notEvaluated),
    errors: o.errors,
  };
}

/** The sweep as a person reads it: what it checked, then the text of every message it would publish. */
export function sweepText(o: SweepOutcome, findings: Finding[]): string {
  const firstCheck = o.published.filter((n) => n.cause === 'first-check').length;
  const lines = [
    `== sweep ${o.sweepId}${o.baseline ? ' (baseline: the store was empty)' : ''}`,
    `${o.clusters.length} cluster(s) and the account-level checks; ${findings.length} open finding(s); ${o.published.length - firstCheck} change(s) in per-cluster alerts, ${firstCheck} first-check finding(s) in the digest.`,
  ];
  for (const s of o.scopes) for (const n of s.notEvaluated) lines.push(`not evaluated: ${n.ruleId} on ${n.cluster ?? '(account)'}: ${n.reason}`);
  for (const e of o.errors) lines.push(`error${e.cluster ? ` on ${e.cluster}` : ''}: ${e.error}`);
  if (o.digest) lines.push(...alertText('SNS digest', o.digest));
  for (const n of o.scopes.flatMap((s) => s.notifications)) lines.push(...alertText('SNS alert', n));
  if (!o.published.length) lines.push('', 'Nothing to publish: no change since the last sweep.');
  return lines.join('\n') + '\n';
}

function alertText(title: string, n: SnsNotification): string[] {
  return ['', `---- ${title} ----`, `Subject: ${n.Subject}`, '', n.Message.split(JSON_SEPARATOR)[0].trimEnd()];
}

function lineSummary(lines: LineOutcome[] | undefined): string[] {
  if (!lines?.length) return [];
  const count = (s: LineOutcome['status']) => lines.filter((l) => l.status === s).length;
  const out = [`log events: ${count('write')} write(s) to watched objects, ${count('ignored')} ignored, ${count('invalid')} invalid`];
  for (const l of lines) if (l.status === 'invalid') out.push(`invalid log event ${l.id}: ${l.reason ?? ''}`);
  return out;
}

/** What a person on call would read: per event, its verdict and the text of every alert it would publish. */
export function replayText(file: string, o: ReplayOutcome): string {
  const head = `== ${file}${o.eventName ? ` — ${o.eventName}` : ''}${o.eventId ? ` (eventID ${o.eventId})` : ''}`;
  if (o.status !== 'processed') return [`${head}`, `${o.status}: ${o.reason ?? ''}`, ...lineSummary(o.lines)].join('\n') + '\n';
  const lines = [head, `processed: ${o.clusters.length ? `cluster(s) ${o.clusters.join(', ')}` : 'account-level'}`, ...lineSummary(o.lines)];
  const notes = o.scopes.flatMap((s) => s.notifications);
  const counts = changeCounts(o.scopes);
  const escalated = counts.escalated ? `${counts.escalated} escalated, ` : '';
  lines.push(`${counts.opened} opened, ${escalated}${counts.resolved} resolved, ${o.findings.length} open finding(s) in scope; ${notes.length} alert(s) would be published.`);
  const deferred = o.scopes.flatMap((s) => s.changes.deliveries.flatMap((d) => d.notices)).length - o.scopes.reduce((n, s) => n + s.published.length, 0);
  if (deferred > 0) lines.push(`${deferred} first-check finding(s) (never checked before, not caused by this call) wait for the next sweep's digest.`);
  for (const s of o.scopes) for (const n of s.notEvaluated) lines.push(`not evaluated: ${n.ruleId} on ${n.cluster ?? '(account)'}: ${n.reason}`);
  for (const n of notes) lines.push(...alertText('SNS alert', n));
  return lines.join('\n') + '\n';
}
