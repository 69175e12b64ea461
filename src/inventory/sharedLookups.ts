import type { AwsReader } from './reader';
import { eventNamesResource } from './lookupMatch';
import { readOnce } from './readOnce';

/** IAM is account-wide: node roles, their managed policies and creator roles recur across the clusters of a sweep. */
const SHARED_IAM_READS = new Set<keyof AwsReader>([
  'getRole',
  'listAttachedRolePolicies',
  'listRolePolicies',
  'getRolePolicy',
  'getPolicy',
  'getPolicyVersion',
  'getInstanceProfile',
  'listInstanceProfilesForRole',
]);

/**
 * A reader whose CloudTrail LookupEvents results and IAM reads are shared by every cluster it evaluates.
 * LookupEvents is limited to 2 requests per second per account and region and filters by one attribute only, so
 * each cluster's creator lookup pages through every CreateCluster record of the last 90 days: a sweep of 200
 * clusters would spend minutes re-reading the same pages. IAM roles and policies are global to the account, and the
 * same node role and AWS managed policies serve many clusters. Scoped to one sweep or scan (one snapshot in time),
 * never to a warm Lambda; a failed read is retried by the next caller, not cached.
 */
export function withSharedLookups(reader: AwsReader): AwsReader {
  const once = readOnce();
  const lookupEvents: AwsReader['lookupEvents'] = async (q) => {
    const events = await once(`lookupEvents ${q.eventName}`, () => reader.lookupEvents({ eventName: q.eventName }));
    return q.resourceName === undefined ? events : events.filter((e) => eventNamesResource(e, q.resourceName!));
  };
  return new Proxy(reader, {
    get(target, prop, receiver) {
      if (prop === 'lookupEvents') return lookupEvents;
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => Promise<unknown>).bind(target);
      if (!SHARED_IAM_READS.has(prop as keyof AwsReader)) return fn;
      return (...args: unknown[]) => once(`${String(prop)} ${JSON.stringify(args)}`, () => fn(...args));
    },
  });
}
