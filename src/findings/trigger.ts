import { z } from 'zod';

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
 * What started an evaluation. A new trigger (e.g. the EKS audit log, whose alerts name `user.username`) joins this
 * union with its schema below, its id and cause in `triggerId`/`triggerCause`, and its facts in
 * src/notify/trigger.ts; the message code only reads those facts.
 */
export type Trigger = CloudTrailTrigger | SweepTrigger;

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
  z.object({ kind: z.literal('sweep'), sweepId: z.string(), time: z.string() }),
]);

export const causeSchema = z.enum(CAUSES);

/** The id that makes a delivery idempotent: a CloudTrail eventID, a sweep id. */
export function triggerId(t: Trigger): string {
  switch (t.kind) {
    case 'event':
      return t.eventId;
    case 'sweep':
      return t.sweepId;
  }
}

/** The cause of a change this trigger found on a rule that had evaluated the scope before. */
export function triggerCause(t: Trigger): Exclude<Cause, 'first-check'> {
  switch (t.kind) {
    case 'event':
      return 'event';
    case 'sweep':
      return 'sweep';
  }
}
