import type { Event as CloudTrailLookupEvent } from '@aws-sdk/client-cloudtrail';

/** Records already parsed, by the event that holds them: a sweep's clusters all read the same account-wide list. */
const parsed = new WeakMap<CloudTrailLookupEvent, { record: Record<string, unknown> | undefined; source: string | undefined }>();

/** The CloudTrail record inside a LookupEvents result (`CloudTrailEvent` is a JSON string); undefined when unparsable. */
export function parseLookupRecord(e: CloudTrailLookupEvent): Record<string, unknown> | undefined {
  const known = parsed.get(e);
  if (known && e.CloudTrailEvent === known.source) return known.record;
  let record: Record<string, unknown> | undefined;
  try {
    const r: unknown = e.CloudTrailEvent ? JSON.parse(e.CloudTrailEvent) : undefined;
    record = r && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : undefined;
  } catch {
    record = undefined;
  }
  parsed.set(e, { record, source: e.CloudTrailEvent });
  return record;
}

/**
 * True when a LookupEvents result names `resourceName`: in its Resources list, or — for EKS calls, whose cluster
 * name travels in the URL path — as the record's requestParameters.name.
 */
export function eventNamesResource(e: CloudTrailLookupEvent, resourceName: string): boolean {
  if ((e.Resources ?? []).some((r) => r.ResourceName === resourceName)) return true;
  const params = parseLookupRecord(e)?.requestParameters;
  return !!params && typeof params === 'object' && (params as Record<string, unknown>).name === resourceName;
}
