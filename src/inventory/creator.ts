import type { Cluster } from '@aws-sdk/client-eks';
import type { Event as CloudTrailLookupEvent } from '@aws-sdk/client-cloudtrail';
import type { AwsReader } from './reader';
import { ReadError } from './reader';
import { parseLookupRecord } from './lookupMatch';
import type { ClusterView, CreateClusterRecord } from './view';

/**
 * Somewhere CreateCluster records can be found. The creator part asks its sources in order: the first that holds
 * this cluster's record names the creator; all of them together say which clusters each principal created.
 * Sources today: the CreateCluster event being processed (when the detector sees the call live), then CloudTrail
 * LookupEvents (90 days). A source that keeps records for good (the findings store) goes between the two.
 */
export interface CreatorSource {
  /** Said in findings: where the record came from. */
  name: string;
  /** CreateCluster records this source knows, for any cluster, as LookupEvents returns them. */
  records(): Promise<CloudTrailLookupEvent[]>;
}

export const LOOKUP_SOURCE = 'CloudTrail LookupEvents (last 90 days)';
export const LIVE_SOURCE = 'the CreateCluster event being processed';

/** CloudTrail LookupEvents by EventName, shared across the clusters of one sweep when the reader shares them. */
export function cloudTrailCreatorSource(reader: AwsReader): CreatorSource {
  return { name: LOOKUP_SOURCE, records: () => reader.lookupEvents({ eventName: 'CreateCluster' }) };
}

/** The record of a CreateCluster call the pipeline is processing (EventBridge's `detail`), as a LookupEvents event. */
export function liveRecordSource(record: { eventID: string; eventName: string; eventSource: string; eventTime: string }): CreatorSource {
  const event: CloudTrailLookupEvent = {
    EventId: record.eventID,
    EventName: record.eventName,
    EventSource: record.eventSource,
    EventTime: new Date(record.eventTime),
    CloudTrailEvent: JSON.stringify(record),
  };
  return { name: LIVE_SOURCE, records: async () => [event] };
}

export const defaultCreatorSources = (reader: AwsReader): CreatorSource[] => [cloudTrailCreatorSource(reader)];

/** Slack for clock differences between CloudTrail's eventTime and EKS's createdAt. */
const CREATE_SLACK_MS = 10 * 60_000;

/** The cluster a successful EKS CreateCluster record created; undefined for anything else (ECS has a CreateCluster too). */
export function createdCluster(e: CreateClusterRecord): string | undefined {
  const r = e.record;
  if ([r?.eventSource, e.EventSource].some((s) => s !== undefined && s !== 'eks.amazonaws.com')) return undefined;
  if (r?.errorCode) return undefined;
  const params = r?.requestParameters as Record<string, unknown> | undefined;
  const response = (r?.responseElements as { cluster?: { name?: unknown } } | undefined)?.cluster;
  const name = typeof params?.name === 'string' ? params.name : typeof response?.name === 'string' ? response.name : undefined;
  return name ?? (e.Resources ?? []).find((x) => x.ResourceType === 'AWS::EKS::Cluster')?.ResourceName;
}

/**
 * Reads the sources in order. This cluster's record is the newest successful EKS CreateCluster for its name not
 * later than its creation (a name can be reused after a deletion), from the first source that has one. A source
 * that fails is noted; when every source fails the part is unreadable.
 */
export async function readCreator(
  sources: readonly CreatorSource[],
  cluster: Cluster,
  name: string,
): Promise<Pick<ClusterView, 'creatorEvent' | 'creations' | 'creatorSources'>> {
  const created = cluster.createdAt?.getTime();
  const status: ClusterView['creatorSources'] = [];
  const creations = new Map<string, CreateClusterRecord>();
  let own: CreateClusterRecord | undefined;
  for (const source of sources) {
    let events: CloudTrailLookupEvent[];
    try {
      events = await source.records();
    } catch (e) {
      if (!(e instanceof ReadError)) throw e;
      status.push({ name: source.name, error: e.message });
      continue;
    }
    status.push({ name: source.name });
    const records = events
      .map((e): CreateClusterRecord => ({ ...e, record: parseLookupRecord(e), source: source.name }))
      .filter((e) => createdCluster(e) !== undefined);
    for (const r of records) if (!creations.has(r.EventId ?? JSON.stringify(r))) creations.set(r.EventId ?? JSON.stringify(r), r);
    own ??= records
      .filter((e) => createdCluster(e) === name)
      .filter((e) => {
        const t = e.EventTime?.getTime();
        return created === undefined || t === undefined || t <= created + CREATE_SLACK_MS;
      })
      .sort((a, b) => (b.EventTime?.getTime() ?? 0) - (a.EventTime?.getTime() ?? 0))[0];
  }
  if (status.length && status.every((s) => s.error)) {
    throw new ReadError('creator', 'Unreadable', status.map((s) => `${s.name}: ${s.error}`).join('; '));
  }
  return { ...(own ? { creatorEvent: own } : {}), creations: [...creations.values()], creatorSources: status };
}
