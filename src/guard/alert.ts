import { z } from 'zod';
import type { Finding } from '../findings/finding';
import { parseEvent } from '../events/schema';
import { cloudTrailTrigger } from '../findings/trigger';
import type { NotificationInput, NotificationTrigger } from '../notify/message';
import { guardedCall, TAMPER_GUIDELINE, TAMPER_REMEDIATION, TAMPER_RULE_ID } from './catalog';

/**
 * One call on the detector's own resources, as either guard path sees it: the guard Lambda gets the whole CloudTrail
 * event; the guard topic gets what the direct rule's input transformer copies out of it (GuardMessage).
 */
export type TamperCall = Omit<Extract<NotificationTrigger, { kind: 'event' }>, 'kind'> & {
  account: string;
  region: string;
  requestParameters: Record<string, unknown> | null;
};

export function tamperCallFromEvent(raw: unknown): { call: TamperCall } | { invalid: string } {
  const parsed = parseEvent(raw);
  if (parsed.kind === 'invalid') return { invalid: parsed.reason };
  const { kind: _, ...who } = cloudTrailTrigger(parsed.record);
  return { call: { account: parsed.event.account, region: parsed.event.region, ...who, requestParameters: parsed.record.requestParameters } };
}

/**
 * The JSON the direct guard rule writes to the guard topic (GuardDirectRule's InputTemplate in serverless.yml).
 * EventBridge fills each unquoted placeholder with the JSON value at its path, or null where the event has none.
 */
const optional = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);
export const guardMessageSchema = z
  .object({
    eksDriftGuard: z.literal(1),
    account: z.string(),
    region: z.string(),
    eventId: z.string(),
    eventName: z.string(),
    eventSource: z.string(),
    eventTime: z.string(),
    principalArn: optional,
    principalType: optional,
    sourceIPAddress: optional,
    userAgent: optional,
    requestParameters: z
      .record(z.unknown())
      .nullish()
      .transform((v) => v ?? null),
  })
  // Only these fields: the summary line is for e-mail readers.
  .strip();

/** The call in a guard topic message, or undefined when the message is not one. */
export function tamperCallFromGuardMessage(message: string): TamperCall | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch {
    return undefined;
  }
  const r = guardMessageSchema.safeParse(raw);
  if (!r.success) return undefined;
  const { eksDriftGuard: _, ...call } = r.data;
  return call as TamperCall;
}

/**
 * The critical `detector-tampered` alert for one call: account-level (cluster null), the tampered resource as
 * resourceId, who did it from where in the trigger. A call the catalog does not know (a rule edited by hand) still
 * alerts, with what the record says: a tampering alert is never dropped for being unexpected.
 */
export function tamperAlert(call: TamperCall): NotificationInput {
  const { account, region, requestParameters, ...who } = call;
  const known = guardedCall(call.eventSource, call.eventName);
  const named = known ? requestParameters?.[known.field] : undefined;
  const resource = typeof named === 'string' && named ? named : '(resource not named in the request)';
  const effect = known ? known.effect(requestParameters) : 'a call on the detector\'s own resources that no guard entry describes';
  const finding: Finding = {
    ruleId: TAMPER_RULE_ID,
    severity: 'critical',
    account,
    region,
    cluster: null,
    clusterArn: null,
    resourceType: known?.resourceType ?? 'AWS::CloudTrail::Event',
    resourceId: resource,
    message: `eks-drift itself was changed: ${call.eventName} on ${resource}: ${effect}`,
    // Plain JSON, as every finding's evidence: absent fields dropped.
    evidence: JSON.parse(
      JSON.stringify({
        eventID: call.eventId,
        eventName: call.eventName,
        eventSource: call.eventSource,
        eventTime: call.eventTime,
        awsRegion: region,
        userIdentity: { type: call.principalType, arn: call.principalArn },
        sourceIPAddress: call.sourceIPAddress,
        userAgent: call.userAgent,
        requestParameters,
      }),
    ) as Record<string, unknown>,
    guideline: TAMPER_GUIDELINE,
    remediation: TAMPER_REMEDIATION,
  };
  return { account, region, cluster: null, clusterArn: null, changes: { opened: [finding], resolved: [] }, trigger: { kind: 'event', ...who } };
}
