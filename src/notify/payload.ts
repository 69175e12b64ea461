import { z } from 'zod';
import { findingSchema, type Finding } from '../findings/finding';

/** What started the evaluation: a CloudTrail event, or the scheduled sweep. */
export type NotificationTrigger =
  | {
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
  | { kind: 'sweep'; sweepId: string; time: string };

/**
 * `suppressed`: a matching suppression silenced a violating finding (an open one, or one seen for the first time). It
 * travels in messages of its own, so a `{"change": ["opened", "resolved"]}` filter keeps it from paging anyone; sinks
 * that mirror the lifecycle (Security Hub) need it.
 */
export type ChangeKind = 'opened' | 'resolved' | 'suppressed';

export interface NotificationChange {
  change: ChangeKind;
  finding: Finding;
}

/** The machine-readable part of every SNS message (after `JSON_SEPARATOR`). */
export interface NotificationPayload {
  account: string;
  region: string;
  cluster: string | null;
  clusterArn: string | null;
  trigger: NotificationTrigger;
  changes: NotificationChange[];
  /** Present when the changes of one (event, cluster) did not fit one SNS message. */
  part?: { index: number; of: number };
}

/** The line between the readable text and the JSON payload of a message body. */
export const JSON_SEPARATOR = '---- JSON ----';

const optional = z.string().optional();
export const payloadSchema = z.object({
  account: z.string(),
  region: z.string(),
  cluster: z.string().nullable(),
  clusterArn: z.string().nullable(),
  trigger: z.discriminatedUnion('kind', [
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
  ]),
  changes: z.array(z.object({ change: z.enum(['opened', 'resolved', 'suppressed']), finding: findingSchema })),
  part: z.object({ index: z.number().int(), of: z.number().int() }).optional(),
});

/** Reads the JSON payload out of an SNS message body built by `buildNotifications`. */
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
