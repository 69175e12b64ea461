import { z } from 'zod';
import type { EventBridgeEvent } from 'aws-lambda';
import { formatZodError } from '../errors';

export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/**
 * The CloudTrail record EventBridge puts in `detail`. Only the fields the detector reads are checked; everything
 * else passes through untouched (`passthrough`), because CloudTrail adds fields over eventVersions and a new field
 * must never turn a real change into an "invalid event".
 */
const userIdentitySchema = z
  .object({
    type: z.string(),
    arn: z.string().optional(),
    accountId: z.string().optional(),
    principalId: z.string().optional(),
    invokedBy: z.string().optional(),
    sessionContext: z
      .object({
        sessionIssuer: z.object({ arn: z.string().optional() }).passthrough().optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

/** EC2/EKS parameters are free-form JSON objects; the catalog's extractors read them defensively. */
const paramsSchema = z.record(z.unknown()).nullable();

export const cloudTrailRecordSchema = z
  .object({
    eventVersion: z.string(),
    userIdentity: userIdentitySchema,
    eventTime: z.string(),
    eventSource: z.string().min(1),
    eventName: z.string().min(1),
    awsRegion: z.string(),
    sourceIPAddress: z.string().optional(),
    userAgent: z.string().optional(),
    // Older and some service-originated records omit these entirely; absence means the same as null.
    requestParameters: paramsSchema.optional().transform((v) => v ?? null),
    responseElements: paramsSchema.optional().transform((v) => v ?? null),
    errorCode: z.string().optional(),
    errorMessage: z.string().optional(),
    requestID: z.string().optional(),
    eventID: z.string().min(1),
    readOnly: z.boolean().optional(),
    eventType: z.string(),
    managementEvent: z.boolean().optional(),
    recipientAccountId: z.string().optional(),
    eventCategory: z.string().optional(),
  })
  .passthrough();

export type CloudTrailRecord = z.infer<typeof cloudTrailRecordSchema>;
export type CloudTrailUserIdentity = z.infer<typeof userIdentitySchema>;

const envelopeSchema = z
  .object({
    version: z.string(),
    id: z.string().min(1),
    'detail-type': z.literal(CLOUDTRAIL_DETAIL_TYPE),
    source: z.string().regex(/^aws\./, 'expected an AWS service source such as "aws.ec2"'),
    account: z.string(),
    time: z.string(),
    region: z.string(),
    resources: z.array(z.string()),
    detail: cloudTrailRecordSchema,
  })
  .passthrough();

/** The EventBridge delivery of a CloudTrail API call, typed with @types/aws-lambda's envelope. */
export type CloudTrailEnvelope = EventBridgeEvent<typeof CLOUDTRAIL_DETAIL_TYPE, CloudTrailRecord>;

export type ParsedEvent =
  | { kind: 'invalid'; reason: string; id?: string }
  | { kind: 'ok'; event: CloudTrailEnvelope; record: CloudTrailRecord };

function idOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as { id?: unknown; eventID?: unknown; detail?: { eventID?: unknown } };
  if (typeof r.detail === 'object' && r.detail !== null && typeof r.detail.eventID === 'string') return r.detail.eventID;
  if (typeof r.eventID === 'string') return r.eventID;
  return typeof r.id === 'string' ? r.id : undefined;
}

/**
 * Validates an EventBridge "AWS API Call via CloudTrail" event. `invalid` names the bad field path (and carries
 * the CloudTrail eventID, else the envelope id, when one can be read) so the caller can log it and count it.
 */
export function parseEvent(raw: unknown): ParsedEvent {
  const id = idOf(raw);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { kind: 'invalid', reason: 'not an EventBridge event: expected a JSON object', id };
  }
  const obj = raw as Record<string, unknown>;
  if (!('detail' in obj) && typeof obj.eventSource === 'string' && typeof obj.eventName === 'string') {
    return {
      kind: 'invalid',
      reason: 'a bare CloudTrail record, not an EventBridge event: wrap it as the "detail" of an "AWS API Call via CloudTrail" envelope',
      id,
    };
  }
  const detailType = obj['detail-type'];
  if (detailType !== undefined && detailType !== CLOUDTRAIL_DETAIL_TYPE) {
    return { kind: 'invalid', reason: `not a CloudTrail API call: detail-type is ${JSON.stringify(detailType)}, expected "${CLOUDTRAIL_DETAIL_TYPE}"`, id };
  }
  const parsed = envelopeSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'invalid', reason: `malformed CloudTrail event ${formatZodError(parsed.error)}`, id };
  const event = parsed.data as CloudTrailEnvelope;
  return { kind: 'ok', event, record: event.detail };
}
