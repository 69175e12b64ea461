import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';
import { formatZodError } from '../errors';

/**
 * A CloudWatch Logs subscription delivery, as Lambda receives it: `{"awslogs": {"data": base64(gzip(JSON))}}`, the
 * JSON being `{messageType, owner, logGroup, logStream, subscriptionFilters, logEvents: [{id, timestamp, message}]}`.
 * `CONTROL_MESSAGE` is CloudWatch Logs checking that the destination is reachable; it carries no log event to act on.
 */
// A control message's only log event has an empty id.
const logEventSchema = z.object({ id: z.string(), timestamp: z.number(), message: z.string() }).passthrough();

const decodedSchema = z
  .object({
    messageType: z.string().min(1),
    owner: z.string(),
    logGroup: z.string(),
    logStream: z.string(),
    subscriptionFilters: z.array(z.string()),
    logEvents: z.array(logEventSchema),
  })
  .passthrough();

type DecodedDelivery =
  | { ok: true; data: CloudWatchLogsDecodedData }
  | { ok: false; reason: string };

/** True when `raw` has the shape of a subscription delivery (so `replay` can tell it from an EventBridge event). */
export function isSubscriptionDelivery(raw: unknown): raw is CloudWatchLogsEvent {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'awslogs' in raw;
}

/** Strict base64 (the alphabet CloudWatch Logs uses, padding optional): Buffer.from alone skips bad characters. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes and validates a delivery. Every failure says which layer is broken (envelope, base64, gzip, JSON, shape),
 * because each points to a different culprit: the wrong trigger, a truncated payload, or a hand-made file.
 */
export function decodeDelivery(raw: unknown): DecodedDelivery {
  if (!isSubscriptionDelivery(raw)) return { ok: false, reason: 'not a CloudWatch Logs subscription delivery: expected {"awslogs": {"data": "<base64 gzip>"}}' };
  const data = (raw.awslogs as { data?: unknown } | null)?.data;
  if (typeof data !== 'string' || !data) return { ok: false, reason: 'not a CloudWatch Logs subscription delivery: awslogs.data must be a non-empty string' };
  const compact = data.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return { ok: false, reason: 'awslogs.data is not base64' };
  let json: string;
  try {
    json = gunzipSync(Buffer.from(compact, 'base64')).toString('utf8');
  } catch (e) {
    return { ok: false, reason: `awslogs.data is not gzip: ${(e as Error).message}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    return { ok: false, reason: `awslogs.data does not hold JSON: ${(e as Error).message}` };
  }
  const r = decodedSchema.safeParse(parsed);
  if (!r.success) return { ok: false, reason: `malformed subscription payload ${formatZodError(r.error)}` };
  return { ok: true, data: r.data };
}

/** The inverse: what CloudWatch Logs sends for `data` (used by the samples' generator checks and the tests). */
export function encodeDelivery(data: CloudWatchLogsDecodedData): CloudWatchLogsEvent {
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(data), 'utf8')).toString('base64') } };
}
