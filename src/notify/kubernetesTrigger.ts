import { z } from 'zod';

/**
 * The trigger of an alert caused by writes through the Kubernetes API, seen in the cluster's audit log: who wrote
 * what, from where, through which IAM identity. One delivery can carry writes by several people; each writer is
 * named once with their writes, so the alert blames everyone involved and no one else.
 */
export interface KubernetesWriter {
  username: string;
  /** The IAM identity behind the Kubernetes user (`user.extra.arn`): aws-auth lets anyone pick the username. */
  iamArn?: string;
  impersonatedUser?: string;
  groups: string[];
  sourceIPs: string[];
  userAgents: string[];
  /** `rules`: what each write made the detector re-check, so a writer is not blamed for another rule's change. */
  writes: { auditID: string; verb: string; object: string; time?: string; rules: string[] }[];
  /** Writes by this writer beyond those listed. */
  moreWrites: number;
}

export interface KubernetesTrigger {
  kind: 'kubernetes';
  /** Derived from the delivery's log event ids: a redelivered batch has the same id and publishes once. */
  deliveryId: string;
  logGroup: string;
  logStream: string;
  cluster: string;
  writers: KubernetesWriter[];
  /** Writers beyond those listed. */
  moreWriters: number;
}

/** Enough to blame everyone in a burst while keeping every SNS part (which repeats the trigger) small. */
export const MAX_WRITERS = 20;
export const MAX_WRITES_PER_WRITER = 5;

const writeSchema = z.object({ auditID: z.string(), verb: z.string(), object: z.string(), time: z.string().optional(), rules: z.array(z.string()) });
export const kubernetesTriggerSchema = z.object({
  kind: z.literal('kubernetes'),
  deliveryId: z.string(),
  logGroup: z.string(),
  logStream: z.string(),
  cluster: z.string(),
  writers: z.array(
    z.object({
      username: z.string(),
      iamArn: z.string().optional(),
      impersonatedUser: z.string().optional(),
      groups: z.array(z.string()),
      sourceIPs: z.array(z.string()),
      userAgents: z.array(z.string()),
      writes: z.array(writeSchema),
      moreWrites: z.number().int(),
    }),
  ),
  moreWriters: z.number().int(),
});

/** One write as the audit log tells it. */
export interface WriteInput {
  auditID: string;
  verb: string;
  /** e.g. `configmaps kube-system/aws-auth`, `networkpolicies team-a/* (every object)`. */
  object: string;
  /** `requestReceivedTimestamp`. */
  time?: string;
  username: string;
  groups: string[];
  /** The IAM identity EKS's authenticator saw (`user.extra.arn`), when the user came through IAM. */
  iamArn?: string;
  /** The user the request impersonated (`kubectl --as`), who the API server authorized. */
  impersonatedUser?: string;
  sourceIPs: string[];
  userAgent?: string;
  /** The rules this write makes the detector re-check. */
  rules: string[];
}

/** Groups writes by writer (username, IAM identity, impersonation), in the order they happened. */
export function kubernetesTrigger(t: Omit<KubernetesTrigger, 'kind' | 'writers' | 'moreWriters'>, writes: WriteInput[]): KubernetesTrigger {
  const byWriter = new Map<string, KubernetesWriter>();
  for (const w of writes) {
    const key = JSON.stringify([w.username, w.iamArn ?? '', w.impersonatedUser ?? '']);
    let writer = byWriter.get(key);
    if (!writer) {
      writer = {
        username: w.username,
        ...(w.iamArn ? { iamArn: w.iamArn } : {}),
        ...(w.impersonatedUser ? { impersonatedUser: w.impersonatedUser } : {}),
        groups: w.groups,
        sourceIPs: [],
        userAgents: [],
        writes: [],
        moreWrites: 0,
      };
      byWriter.set(key, writer);
    }
    for (const ip of w.sourceIPs) if (!writer.sourceIPs.includes(ip)) writer.sourceIPs.push(ip);
    if (w.userAgent && !writer.userAgents.includes(w.userAgent)) writer.userAgents.push(w.userAgent);
    if (writer.writes.length < MAX_WRITES_PER_WRITER) writer.writes.push({ auditID: w.auditID, verb: w.verb, object: w.object, ...(w.time ? { time: w.time } : {}), rules: w.rules });
    else writer.moreWrites++;
  }
  const writers = [...byWriter.values()];
  return { kind: 'kubernetes', ...t, writers: writers.slice(0, MAX_WRITERS), moreWriters: Math.max(0, writers.length - MAX_WRITERS) };
}

function writerName(w: KubernetesWriter): string {
  return `${w.username}${w.iamArn && w.iamArn !== w.username ? ` (IAM ${w.iamArn})` : ''}${w.impersonatedUser ? ` acting as ${w.impersonatedUser}` : ''}`;
}

/** The "who did it" lines of the readable SNS text. */
export function kubernetesTriggerLines(t: KubernetesTrigger): string[] {
  const lines = [`Triggered by: Kubernetes API writes on cluster ${t.cluster} (audit log ${t.logGroup}, stream ${t.logStream})`];
  for (const w of t.writers) {
    lines.push(`Who: ${writerName(w)}${w.groups.length ? `   Groups: ${w.groups.join(', ')}` : ''}`);
    lines.push(`  Source IP: ${w.sourceIPs.join(', ') || 'unknown'}${w.userAgents.length ? `   User agent: ${w.userAgents.join(', ')}` : ''}`);
    for (const x of w.writes) lines.push(`  ${x.verb} ${x.object}${x.time ? ` at ${x.time}` : ''} (auditID ${x.auditID}; re-checks ${x.rules.join(', ')})`);
    if (w.moreWrites) lines.push(`  …and ${w.moreWrites} more write(s)`);
  }
  if (t.moreWriters) lines.push(`…and ${t.moreWriters} more writer(s) in this delivery`);
  lines.push(`Audit delivery: ${t.deliveryId}`);
  return lines;
}

/** The Slack "Who" field (mrkdwn, escaped by the caller's `esc`). */
export function kubernetesWho(t: KubernetesTrigger, esc: (s: string) => string): string {
  const names = t.writers.map((w) => `\`${esc(writerName(w))}\`${w.sourceIPs.length ? ` from ${esc(w.sourceIPs.join(', '))}` : ''}`);
  const first = t.writers[0]?.writes[0];
  const more = t.moreWriters ? ` and ${t.moreWriters} more` : '';
  return `${names.join('\n')}${more}${first ? `\n${esc(first.verb)} ${esc(first.object)}${first.time ? ` at ${esc(first.time)}` : ''}` : ''}`;
}
