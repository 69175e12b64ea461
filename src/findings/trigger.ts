import { z } from 'zod';
import type { CloudTrailRecord } from '../events/schema';

/**
 * Why a notification exists (DESIGN.md, "Cause of a notification"):
 * - `event`: the call that triggered the evaluation changed the verdict (the alert names who, from where, when);
 * - `sweep`: the periodic sweep found a change no watched event reported (a missed event, a silent change);
 * - `first-check`: the rule had never evaluated this cluster (or the account) before; the finding predates what
 *   eks-drift knows and is reported without blaming anyone.
 */
export const CAUSES = ['event', 'sweep', 'first-check'] as const;
export type Cause = (typeof CAUSES)[number];

/**
 * What started an evaluation. A new trigger joins this union with its schema below, its id and cause in
 * `triggerId`/`triggerCause`, and its facts in src/notify/trigger.ts; the message code only reads those facts.
 */
export type Trigger = CloudTrailTrigger | KubernetesTrigger | SweepTrigger;

export interface CloudTrailTrigger {
  kind: 'event';
  eventId: string;
  eventName: string;
  eventSource: string;
  eventTime: string;
  principalArn?: string;
  principalType?: string;
  sourceIPAddress?: string;
  userAgent?: string;
}

/** The call a CloudTrail record describes, who made it and from where: what an alert about it names. */
export function cloudTrailTrigger(r: CloudTrailRecord): CloudTrailTrigger {
  return {
    kind: 'event',
    eventId: r.eventID,
    eventName: r.eventName,
    eventSource: r.eventSource,
    eventTime: r.eventTime,
    principalArn: r.userIdentity.arn,
    principalType: r.userIdentity.type,
    sourceIPAddress: r.sourceIPAddress,
    userAgent: r.userAgent,
  };
}

/**
 * Writes through a cluster's Kubernetes API, seen in its audit log (one CloudWatch Logs subscription delivery): who
 * wrote what, from where, through which IAM identity. One delivery can carry writes by several people; each writer is
 * named once with their writes, so the alert blames everyone involved and no one else (src/audit/trigger.ts).
 */
export interface KubernetesTrigger {
  kind: 'kubernetes';
  /** Derived from the log group and the delivery's log event ids: a redelivered batch has the same id and publishes once. */
  deliveryId: string;
  logGroup: string;
  logStream: string;
  cluster: string;
  /** When the first write was received (`requestReceivedTimestamp`, else its log event's timestamp). */
  time: string;
  /** Every write to a watched object in the delivery, listed or not. */
  writeCount: number;
  writers: KubernetesWriter[];
  /** Writers beyond those listed. */
  moreWriters: number;
}

export interface KubernetesWriter {
  username: string;
  /** The IAM identity behind the Kubernetes user (`user.extra.arn`): aws-auth lets anyone pick the username. */
  iamArn?: string;
  /** The user the request impersonated (`kubectl --as`), who the API server authorized. */
  impersonatedUser?: string;
  groups: string[];
  sourceIPs: string[];
  userAgents: string[];
  /** `rules`: what each write made the detector re-check, so a writer is not blamed for another rule's change. */
  writes: { auditID: string; verb: string; object: string; time?: string; rules: string[] }[];
  /** Writes by this writer beyond those listed. */
  moreWrites: number;
}

export interface SweepTrigger {
  kind: 'sweep';
  sweepId: string;
  time: string;
}

const optional = z.string().optional();
export const triggerSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('event'),
    eventId: z.string(),
    eventName: z.string(),
    eventSource: z.string(),
    eventTime: z.string(),
    principalArn: optional,
    principalType: optional,
    sourceIPAddress: optional,
    userAgent: optional,
  }),
  z.object({
    kind: z.literal('kubernetes'),
    deliveryId: z.string(),
    logGroup: z.string(),
    logStream: z.string(),
    cluster: z.string(),
    time: z.string(),
    writeCount: z.number().int(),
    writers: z.array(
      z.object({
        username: z.string(),
        iamArn: optional,
        impersonatedUser: optional,
        groups: z.array(z.string()),
        sourceIPs: z.array(z.string()),
        userAgents: z.array(z.string()),
        writes: z.array(z.object({ auditID: z.string(), verb: z.string(), object: z.string(), time: optional, rules: z.array(z.string()) })),
        moreWrites: z.number().int(),
      }),
    ),
    moreWriters: z.number().int(),
  }),
  z.object({ kind: z.literal('sweep'), sweepId: z.string(), time: z.string() }),
]);

export const causeSchema = z.enum(CAUSES);

/** The id that makes a delivery idempotent: a CloudTrail eventID, an audit-log delivery's id, a sweep id. */
export function triggerId(t: Trigger): string {
  switch (t.kind) {
    case 'event':
      return t.eventId;
    case 'kubernetes':
      return t.deliveryId;
    case 'sweep':
      return t.sweepId;
  }
}

/** The cause of a change this trigger found on a rule that had evaluated the scope before. */
export function triggerCause(t: Trigger): Exclude<Cause, 'first-check'> {
  switch (t.kind) {
    case 'event':
    case 'kubernetes':
      return 'event';
    case 'sweep':
      return 'sweep';
  }
}
