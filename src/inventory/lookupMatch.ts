import type { Event as CloudTrailLookupEvent } from '@aws-sdk/client-cloudtrail';

/** The CloudTrail record inside a LookupEvents result (`CloudTrailEvent` is a JSON string); undefined when unparsable. */
export function parseLookupRecord(e: CloudTrailLookupEvent): Record<string, unknown> | undefined {
  if (!e.CloudTrailEvent) return undefined;
  try {
    const r: unknown = JSON.parse(e.CloudTrailEvent);
    return r && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
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
