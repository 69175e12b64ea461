import type { KubernetesTrigger, KubernetesWriter } from '../findings/trigger';

/** Enough to blame everyone in a burst while keeping every SNS part (which repeats the trigger) and the marker small. */
export const MAX_WRITERS = 20;
export const MAX_WRITES_PER_WRITER = 5;

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

/**
 * The trigger of a delivery's writes, grouped by writer (username, IAM identity, impersonation) in the order they
 * happened; `time` is when the first of them was received.
 */
export function kubernetesTrigger(t: Omit<KubernetesTrigger, 'kind' | 'writeCount' | 'writers' | 'moreWriters'>, writes: WriteInput[]): KubernetesTrigger {
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
  return { kind: 'kubernetes', ...t, writeCount: writes.length, writers: writers.slice(0, MAX_WRITERS), moreWriters: Math.max(0, writers.length - MAX_WRITERS) };
}
