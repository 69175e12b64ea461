import type { Finding, NotEvaluated, Severity } from '../findings/finding';
import { severityRank } from '../findings/finding';
import type { Rule } from '../rules/engine/rule';
import type { EventOutcome } from '../pipeline';
import type { LineOutcome } from '../audit/pipeline';
import { JSON_SEPARATOR } from '../notify/message';

/** An audit-log delivery's outcome also says what became of each of its log events. */
type ReplayOutcome = EventOutcome & { lines?: LineOutcome[] };

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};
/** GitHub code scanning reads `security-severity` (0–10) to rank security alerts. */
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

/** SARIF 2.1.0, as code-scanning UIs ingest it: one result per finding, fingerprinted by the finding identity. */
export function sarif(findings: Finding[], rules: readonly Rule[], artifactUri: string, version: string): unknown {
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'eks-drift',
            version,
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
        results: [...findings].sort(bySeverity).map((f) => ({
          ruleId: f.ruleId,
          ruleIndex: ruleIndex.get(f.ruleId) ?? -1,
          level: SARIF_LEVEL[f.severity],
          message: { text: `${f.cluster ?? f.account}: ${f.message}` },
          locations: [
            {
              physicalLocation: { artifactLocation: { uri: artifactUri } },
              logicalLocations: [
                { name: f.resourceId, kind: 'resource', fullyQualifiedName: `${f.clusterArn ?? `${f.account}/${f.region}`}/${f.resourceType}/${f.resourceId}` },
              ],
            },
          ],
          partialFingerprints: { findingIdentity: `${f.clusterArn ?? f.account}|${f.ruleId}|${f.resourceId}` },
          properties: { severity: f.severity, account: f.account, region: f.region, cluster: f.cluster, evidence: f.evidence, remediation: f.remediation },
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
    notifications: o.scopes.flatMap((s) => [
      ...s.changes.opened.map((finding) => ({ change: 'opened' as const, finding })),
      ...s.changes.resolved.map((finding) => ({ change: 'resolved' as const, finding })),
    ]),
    notEvaluated: o.scopes.flatMap((s) => s.notEvaluated),
    ...(o.lines ? { lines: o.lines } : {}),
  };
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
  const opened = o.scopes.reduce((n, s) => n + s.changes.opened.length, 0);
  const resolved = o.scopes.reduce((n, s) => n + s.changes.resolved.length, 0);
  lines.push(`${opened} opened, ${resolved} resolved, ${o.findings.length} open finding(s) in scope; ${notes.length} alert(s) would be published.`);
  for (const s of o.scopes) for (const n of s.notEvaluated) lines.push(`not evaluated: ${n.ruleId} on ${n.cluster ?? '(account)'}: ${n.reason}`);
  for (const n of notes) {
    lines.push('', `---- SNS alert ----`, `Subject: ${n.Subject}`, '', n.Message.split(JSON_SEPARATOR)[0].trimEnd());
  }
  return lines.join('\n') + '\n';
}
