import { z } from 'zod';
import { findingSchema, SEVERITIES, type Finding, type Severity } from '../findings/finding';
import { CHANGE_KINDS, type ChangeKind } from '../findings/store';
import { causeSchema, triggerCause, triggerSchema, type Cause, type Trigger } from '../findings/trigger';

/** What started the evaluation: a CloudTrail event, writes seen in a cluster's audit log, or the scheduled sweep (src/findings/trigger.ts). */
export type NotificationTrigger = Trigger;
export type { Cause };

export interface NotificationChange {
  change: ChangeKind;
  cause: Cause;
  /** `escalated` only: the severity the finding had before it rose (`finding.severity` is the new one). */
  previousSeverity?: Severity;
  finding: Finding;
}

/** What a first-check digest adds: the whole picture in counts, when the items do not all fit one message. */
export interface DigestSummary {
  /** The first sweep over an empty store (at deployment, or after the table was emptied). */
  baseline: boolean;
  total: number;
  /** Items counted but not listed in `changes` (the message size limit); the worst are listed first. */
  omitted: number;
  clusters: number;
  bySeverity: Partial<Record<Severity, number>>;
  /** Most severe first, then most frequent. */
  byRule: { ruleId: string; severity: Severity; count: number }[];
}

/** The machine-readable part of every SNS message (after `JSON_SEPARATOR`). */
export interface NotificationPayload {
  account: string;
  region: string;
  cluster: string | null;
  clusterArn: string | null;
  /** Every change of a message has this cause: a subscription filter on the `cause` attribute is exact. */
  cause: Cause;
  trigger: NotificationTrigger;
  changes: NotificationChange[];
  /** Present when the changes of one (trigger, cluster, cause) did not fit one SNS message. */
  part?: { index: number; of: number };
  /** Present on the one first-check digest of a sweep (per account and region). */
  digest?: DigestSummary;
}

/** The line between the readable text and the JSON payload of a message body. */
export const JSON_SEPARATOR = '---- JSON ----';

export const payloadSchema = z
  .object({
    account: z.string(),
    region: z.string(),
    cluster: z.string().nullable(),
    clusterArn: z.string().nullable(),
    // Messages from before causes existed carry none: their trigger's cause is what they meant.
    cause: causeSchema.optional(),
    trigger: triggerSchema,
    changes: z.array(
      z
        .object({ change: z.enum(CHANGE_KINDS), cause: causeSchema.optional(), previousSeverity: z.enum(SEVERITIES).optional(), finding: findingSchema })
        .refine((c) => (c.change === 'escalated') === (c.previousSeverity !== undefined), { message: 'previousSeverity is given with an escalated change, and only there', path: ['previousSeverity'] }),
    ),
    part: z.object({ index: z.number().int(), of: z.number().int() }).optional(),
    digest: z
      .object({
        baseline: z.boolean(),
        total: z.number().int(),
        omitted: z.number().int(),
        clusters: z.number().int(),
        bySeverity: z.record(z.enum(SEVERITIES), z.number().int()),
        byRule: z.array(z.object({ ruleId: z.string(), severity: z.enum(SEVERITIES), count: z.number().int() })),
      })
      .optional(),
  })
  .transform((p) => {
    const cause = p.cause ?? triggerCause(p.trigger);
    return { ...p, cause, changes: p.changes.map((c) => ({ ...c, cause: c.cause ?? cause })) };
  });

/** Reads the JSON payload out of an SNS message body built by `buildNotifications` or `buildDigest`. */
export function parseNotificationMessage(message: string): NotificationPayload {
  const at = message.lastIndexOf(`\n${JSON_SEPARATOR}\n`);
  if (at < 0) throw new Error(`not an eks-drift notification: no "${JSON_SEPARATOR}" line`);
  let raw: unknown;
  try {
    raw = JSON.parse(message.slice(at + JSON_SEPARATOR.length + 2));
  } catch (e) {
    throw new Error(`not an eks-drift notification: the JSON part does not parse: ${(e as Error).message}`, { cause: e });
  }
  const r = payloadSchema.safeParse(raw);
  if (!r.success) throw new Error(`not an eks-drift notification: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data as NotificationPayload;
}
