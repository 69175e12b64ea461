import type { Cluster } from '@aws-sdk/client-eks';
import type { Event as CloudTrailLookupEvent } from '@aws-sdk/client-cloudtrail';
import type { AwsReader } from './reader';
import { ReadError } from './reader';
import { parseLookupRecord } from './lookupMatch';
import type { ClusterView, CreateClusterRecord } from './view';
import type { CreatorRecord, StateStore } from '../findings/stateStore';

/**
 * Somewhere CreateCluster records can be found. The creator part asks its sources in order: the first that holds
 * this cluster's record names the creator; together they say which clusters each principal created. Sources, in
 * order: the CreateCluster event being processed (when the detector sees the call live), the records eks-drift keeps
 * in its store (they never change, and stay known after LookupEvents' 90 days), then CloudTrail LookupEvents.
 */
export interface CreatorSource {
  /** Said in findings: where the record came from. */
  name: string;
  /** CreateCluster records this source knows, for any cluster, as LookupEvents returns them; `cluster` is the one wanted. */
  records(cluster?: string): Promise<CloudTrailLookupEvent[]>;
  /**
   * Asked after `records()`: whether this source also holds every record the sources after it would add, so that
   * once it has the cluster's own record they are not read (the store, once a sweep copied LookupEvents into it).
   */
  complete?: () => boolean;
}

export const LOOKUP_SOURCE = 'CloudTrail LookupEvents (last 90 days)';
export const LIVE_SOURCE = 'the CreateCluster event being processed';
export const STORE_SOURCE = 'the CreateCluster records eks-drift keeps';

/** Where found records are kept (the state store), each under the cluster it created. */
export type KeepCreators = (records: CreatorRecord[]) => Promise<unknown>;

/** The successful EKS CreateCluster records among LookupEvents results, with the cluster each created. */
export function creatorRecordsOf(events: readonly CloudTrailLookupEvent[]): CreatorRecord[] {
  return events.flatMap((event) => {
    const cluster = createdCluster({ ...event, record: parseLookupRecord(event), source: '' });
    return cluster === undefined ? [] : [{ cluster, event }];
  });
}

/**
 * CloudTrail LookupEvents by EventName, shared across the clusters of one sweep when the reader shares them; what it
 * finds is kept (`keep`) so that the next evaluation finds it in the store.
 */
export function cloudTrailCreatorSource(reader: AwsReader, keep?: KeepCreators): CreatorSource {
  // A sweep shares one list between its clusters: it is kept once.
  const kept = new WeakSet<CloudTrailLookupEvent[]>();
  return {
    name: LOOKUP_SOURCE,
    async records() {
      const events = await reader.lookupEvents({ eventName: 'CreateCluster' });
      if (keep && !kept.has(events)) {
        kept.add(events);
        await keep(creatorRecordsOf(events));
      }
      return events;
    },
  };
}

/** The records the store keeps; complete once a sweep copied every record LookupEvents held into it. */
export function storedCreatorSource(state: StateStore): CreatorSource {
  let complete = false;
  const events = new WeakMap<CreatorRecord[], CloudTrailLookupEvent[]>();
  return {
    name: STORE_SOURCE,
    complete: () => complete,
    async records(cluster) {
      const [records, primed] = await Promise.all([state.creatorRecords(cluster), state.creatorsComplete()]);
      complete = primed;
      // The same list for every cluster while the stored records do not change (worked out once: recordsOf).
      if (!events.has(records)) events.set(records, records.map((r) => r.event));
      return events.get(records)!;
    },
  };
}

/** A CreateCluster call the pipeline is processing (EventBridge's `detail`), as a LookupEvents event. */
export function liveCreatorEvent(record: { eventID: string; eventName: string; eventSource: string; eventTime: string }): CloudTrailLookupEvent {
  return {
    EventId: record.eventID,
    EventName: record.eventName,
    EventSource: record.eventSource,
    EventTime: new Date(record.eventTime),
    CloudTrailEvent: JSON.stringify(record),
  };
}

/** The record of a CreateCluster call the pipeline is processing. */
export function liveRecordSource(record: Parameters<typeof liveCreatorEvent>[0]): CreatorSource {
  const event = liveCreatorEvent(record);
  return { name: LIVE_SOURCE, records: async () => [event] };
}

export const defaultCreatorSources = (reader: AwsReader): CreatorSource[] => [cloudTrailCreatorSource(reader)];

/**
 * Every record the sources know, in order, up to the first complete one (who created which cluster, for resolving
 * an IAM role's change). A failure throws: the clusters a role created are then unknown.
 */
export async function knownCreatorRecords(sources: readonly CreatorSource[]): Promise<CreateClusterRecord[]> {
  const out: CreateClusterRecord[] = [];
  for (const source of sources) {
    out.push(...(await source.records()).map((e): CreateClusterRecord => ({ ...e, record: parseLookupRecord(e), source: source.name })));
    if (source.complete?.()) break;
  }
  return out;
}

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

type SourceRecords = { records: CreateClusterRecord[]; byCluster: Map<string, CreateClusterRecord[]> };
/** A source's records as the view holds them, worked out once per list: a sweep's clusters all read the same one. */
const prepared = new WeakMap<CloudTrailLookupEvent[], Map<string, SourceRecords>>();
function recordsOf(events: CloudTrailLookupEvent[], source: string): SourceRecords {
  const bySource = prepared.get(events) ?? new Map<string, SourceRecords>();
  prepared.set(events, bySource);
  let out = bySource.get(source);
  if (!out) {
    const records = events.map((e): CreateClusterRecord => ({ ...e, record: parseLookupRecord(e), source })).filter((e) => createdCluster(e) !== undefined);
    const byCluster = new Map<string, CreateClusterRecord[]>();
    for (const r of records) byCluster.set(createdCluster(r)!, [...(byCluster.get(createdCluster(r)!) ?? []), r]);
    bySource.set(source, (out = { records, byCluster }));
  }
  return out;
}

/**
 * Reads the sources in order. This cluster's record is the newest successful EKS CreateCluster for its name not
 * later than its creation (a name can be reused after a deletion), from the first source that has one; the sources
 * after a complete one that had it are not read. A source that fails is noted; when every source read fails the
 * part is unreadable.
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
      events = await source.records(name);
    } catch (e) {
      if (!(e instanceof ReadError)) throw e;
      status.push({ name: source.name, error: e.message });
      continue;
    }
    status.push({ name: source.name });
    const { records, byCluster } = recordsOf(events, source.name);
    for (const r of records) if (!creations.has(r.EventId ?? JSON.stringify(r))) creations.set(r.EventId ?? JSON.stringify(r), r);
    own ??= (byCluster.get(name) ?? [])
      .filter((e) => {
        const t = e.EventTime?.getTime();
        return created === undefined || t === undefined || t <= created + CREATE_SLACK_MS;
      })
      .sort((a, b) => (b.EventTime?.getTime() ?? 0) - (a.EventTime?.getTime() ?? 0))[0];
    if (own && source.complete?.()) break;
  }
  if (status.length && status.every((s) => s.error)) {
    throw new ReadError('creator', 'Unreadable', status.map((s) => `${s.name}: ${s.error}`).join('; '));
  }
  return { ...(own ? { creatorEvent: own } : {}), creations: [...creations.values()], creatorSources: status };
}
