import type { Event as CloudTrailLookupEvent } from '@aws-sdk/client-cloudtrail';
import type { AwsReader } from './reader';
import { eventNamesResource } from './lookupMatch';

/**
 * A reader whose CloudTrail LookupEvents results are shared by every cluster it evaluates. LookupEvents is limited
 * to 2 requests per second per account and region and filters by one attribute only, so each cluster's creator
 * lookup pages through every CreateCluster record of the last 90 days: a sweep of 200 clusters would spend minutes
 * re-reading the same pages. Scoped to one sweep or scan (one snapshot in time), never to a warm Lambda.
 */
export function withSharedLookups(reader: AwsReader): AwsReader {
  const pages = new Map<string, Promise<CloudTrailLookupEvent[]>>();
  const lookupEvents: AwsReader['lookupEvents'] = async (q) => {
    let all = pages.get(q.eventName);
    if (!all) {
      all = reader.lookupEvents({ eventName: q.eventName });
      pages.set(q.eventName, all);
      all.catch(() => pages.delete(q.eventName)); // a failed read is retried by the next cluster, not cached
    }
    const events = await all;
    return q.resourceName === undefined ? events : events.filter((e) => eventNamesResource(e, q.resourceName!));
  };
  return new Proxy(reader, {
    get(target, prop, receiver) {
      if (prop === 'lookupEvents') return lookupEvents;
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
