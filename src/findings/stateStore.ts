import type { Event as CloudTrailLookupEvent } from '@aws-sdk/client-cloudtrail';
import type { Policy, PolicyVersion } from '@aws-sdk/client-iam';
import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import { parseLookupRecord } from '../inventory/lookupMatch';

/*
 * What eks-drift keeps besides findings, in the same store (the DynamoDB table, the CLI's state file), so that a
 * freshly started Lambda container knows at once what it would otherwise rebuild from the account:
 *
 * - the cluster index: per cluster, the resources "which cluster uses X" needs (its VPC, subnets, security groups,
 *   launch templates, managed Auto Scaling groups, node roles). One small item per cluster, so no item grows with
 *   the number of clusters (400 KB) and writers of different clusters never contend. Each entry carries the time the
 *   read behind it began (`readAt`): an older read never overwrites a newer one. An event that can reshape a cluster
 *   marks its entry dirty BEFORE it reads the cluster (`dirtyAt`), and whoever uses a dirty entry re-reads that
 *   cluster first: for a reshaping call R and any change X, either R's evaluation reads after X (and judges it), or
 *   X's resolution reads the index after R's mark (and re-reads the cluster), so a stale entry never hides a cluster
 *   from an event. The sweep rewrites what changed and records that the index is complete (`indexBuiltAt`).
 * - CreateCluster records: they never change, and CloudTrail LookupEvents forgets them after 90 days. Kept when an
 *   event is a CreateCluster call, or when LookupEvents (or a recorded world) yields one; trimmed to what says who
 *   created which cluster, when.
 * - AWS managed policies (`arn:PARTITION:iam::aws:policy/…`): the default version IAM last answered for each one a
 *   node role uses, and when it was asked (src/inventory/awsManagedPolicies.ts). Only AWS publishes their versions,
 *   and a version never changes, so what a check found stays true until AWS makes another version the default: kept,
 *   a freshly started container judges node roles without asking IAM for them again. Which policies a role has
 *   attached is never kept (anyone with IAM rights changes that).
 * - launch template versions by template id and version number: EC2 numbers versions in order, never reuses a
 *   number, and never changes a version once created, so a node group pinning one reads what it always will.
 * - a head item: a generation number every index change increments (a warm container compares it, one small read,
 *   instead of re-reading every entry or every cluster), when the index was last complete, and when the records
 *   were last taken whole from LookupEvents (`creatorsPrimedAt`: from then on, the store knows at least every record
 *   LookupEvents knew, plus those seen live).
 */

/** What "which cluster uses X" needs to know about one cluster, as stored (plain arrays). */
export interface StoredFacts {
  subnetIds: string[];
  securityGroupIds: string[];
  launchTemplateIds: string[];
  launchTemplateNames: string[];
  autoScalingGroupNames: string[];
  nodeRoleNames: string[];
}

export interface IndexEntry {
  cluster: string;
  /** What the read found; absent when the cluster did not exist then (`gone`) or was marked before any read. */
  facts?: StoredFacts;
  /** The read found no such cluster (kept as a tombstone: the store's role may not delete items). */
  gone?: boolean;
  /** When the read behind `facts`/`gone` began (ISO). */
  readAt?: string;
  /** A call that can reshape the cluster was seen at this time: the entry may be behind until a later read. */
  dirtyAt?: string;
  version: number;
}

export interface StateHead {
  /** Incremented by every change to the index (entries written, marks set). */
  generation: number;
  /** When the read that last made the index complete (every cluster listed) began: the sweep's start. */
  indexBuiltAt?: string;
  /** When every CreateCluster record LookupEvents held was last copied into the store. */
  creatorsPrimedAt?: string;
}

/**
 * An AWS managed policy and its default version, as IAM answered them at `checkedAt` (GetPolicy, GetPolicyVersion):
 * plain JSON, without the dates and the account's attachment counters no rule reads.
 */
export interface AwsPolicyEntry {
  arn: string;
  policy: Pick<Policy, 'PolicyName' | 'PolicyId' | 'Arn' | 'Path' | 'DefaultVersionId'>;
  /** The default version, its document URL-encoded as IAM returns it; absent when the policy names none. */
  version?: Pick<PolicyVersion, 'VersionId' | 'IsDefaultVersion' | 'Document'>;
  /** When GetPolicy said which version is the default (ISO). */
  checkedAt: string;
}

/** A launch template version as kept: its id and number known, without the default flag (which version is the default changes). */
export type KeptTemplateVersion = Omit<LaunchTemplateVersion, 'DefaultVersion'> & { LaunchTemplateId: string; VersionNumber: number };

/**
 * Storage primitives of the state items, each a single-item request (no scan, no transaction): `putIndexEntry` is a
 * compare-and-set on `version` (null = the item must not exist); `putCreatorRecord` writes a record once.
 */
export interface StateBackend {
  getHead(): Promise<StateHead>;
  /** Increments the generation (when `bump`) and sets the given times, in one atomic update. */
  updateHead(u: { bump?: boolean; indexBuiltAt?: string; creatorsPrimedAt?: string }): Promise<void>;
  listIndexEntries(): Promise<IndexEntry[]>;
  getIndexEntry(cluster: string): Promise<IndexEntry | undefined>;
  putIndexEntry(e: IndexEntry, expectedVersion: number | null): Promise<boolean>;
  listCreatorRecords(): Promise<CreatorRecord[]>;
  /** Keeps the record unless one with the same cluster and event id is stored already. */
  putCreatorRecord(r: CreatorRecord): Promise<void>;
  getTemplateVersion(templateId: string, version: number): Promise<LaunchTemplateVersion | undefined>;
  /** Keeps the version unless it is stored already (it cannot have changed). */
  putTemplateVersion(v: KeptTemplateVersion): Promise<void>;
  getAwsPolicy(arn: string): Promise<AwsPolicyEntry | undefined>;
  /** Keeps the entry unless the one stored was checked later. */
  putAwsPolicy(e: AwsPolicyEntry): Promise<void>;
}

/** A CreateCluster record (as LookupEvents returns it) and the cluster it created. */
export interface CreatorRecord {
  cluster: string;
  event: CloudTrailLookupEvent;
}

export const factsEqual = (a: StoredFacts | undefined, b: StoredFacts | undefined): boolean => JSON.stringify(normalFacts(a)) === JSON.stringify(normalFacts(b));

function normalFacts(f: StoredFacts | undefined): StoredFacts | undefined {
  if (!f) return undefined;
  const s = (xs: string[]) => [...new Set(xs)].sort();
  return {
    subnetIds: s(f.subnetIds),
    securityGroupIds: s(f.securityGroupIds),
    launchTemplateIds: s(f.launchTemplateIds),
    launchTemplateNames: s(f.launchTemplateNames),
    autoScalingGroupNames: s(f.autoScalingGroupNames),
    nodeRoleNames: s(f.nodeRoleNames),
  };
}

/** True when the entry may be behind the cluster: marked after its last read, or never read. */
export const isDirty = (e: IndexEntry): boolean => !!e.dirtyAt && (!e.readAt || e.dirtyAt > e.readAt);

/** The CloudTrail record fields that say who created which cluster, when (what the creator rules and resolution read). */
const KEPT_FIELDS = ['eventVersion', 'userIdentity', 'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent', 'errorCode', 'eventID', 'recipientAccountId'];

/**
 * A CreateCluster record as the store keeps it: the identity, time and names, without the request's and response's
 * cluster configuration (subnets, logging, tags, certificate), which the creator rules never read and which would
 * make every item several kilobytes.
 */
export function trimCreatorRecord(e: CloudTrailLookupEvent): CloudTrailLookupEvent {
  const record = parseLookupRecord(e);
  const trimmed = record && {
    ...Object.fromEntries(KEPT_FIELDS.filter((k) => record[k] !== undefined).map((k) => [k, record[k]])),
    requestParameters: pick(record.requestParameters, ['name', 'accessConfig']),
    responseElements: { cluster: pick((record.responseElements as { cluster?: unknown } | undefined)?.cluster, ['name', 'arn', 'createdAt']) },
  };
  return {
    ...(e.EventId ? { EventId: e.EventId } : {}),
    ...(e.EventName ? { EventName: e.EventName } : {}),
    ...(e.EventSource ? { EventSource: e.EventSource } : {}),
    ...(e.EventTime ? { EventTime: e.EventTime } : {}),
    ...(e.Username ? { Username: e.Username } : {}),
    ...(e.Resources ? { Resources: e.Resources.map((r) => ({ ResourceType: r.ResourceType, ResourceName: r.ResourceName })) } : {}),
    ...(trimmed ? { CloudTrailEvent: JSON.stringify(trimmed) } : e.CloudTrailEvent ? { CloudTrailEvent: e.CloudTrailEvent } : {}),
  };
}

function pick(v: unknown, keys: string[]): Record<string, unknown> {
  if (!v || typeof v !== 'object') return {};
  const o = v as Record<string, unknown>;
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

/** How many launch template versions a process remembers (a few KB each; a sweep meets one per pinned node group). */
const REMEMBERED_TEMPLATE_VERSIONS = 500;

/**
 * The state engine: every decision about index entries and creator records in one place (backends only store).
 * One instance per process (a Lambda container, a CLI run): it keeps the CreateCluster records and launch template
 * versions it read, since they never change.
 */
export class StateStore {
  private creatorCache?: Promise<CreatorRecord[]>;
  /** Keeps run one after another, so concurrent evaluations never write the same records twice. */
  private keeping: Promise<unknown> = Promise.resolve();
  private primed = false;
  private readonly templateVersions = new Map<string, LaunchTemplateVersion>();

  constructor(readonly backend: StateBackend) {}

  head(): Promise<StateHead> {
    return this.backend.getHead();
  }

  indexEntries(): Promise<IndexEntry[]> {
    return this.backend.listIndexEntries();
  }

  /**
   * Records what a read of `cluster` that began at `readAt` found (`null`: no such cluster), unless a newer read is
   * stored; clears a dirty mark set before that read began. Returns the entry now stored when this call wrote it.
   */
  async learn(cluster: string, facts: StoredFacts | null, readAt: Date): Promise<IndexEntry | undefined> {
    const at = readAt.toISOString();
    for (;;) {
      const cur = await this.backend.getIndexEntry(cluster);
      if (cur?.readAt && cur.readAt > at) return undefined;
      const dirtyAt = cur?.dirtyAt && cur.dirtyAt > at ? cur.dirtyAt : undefined;
      const next: IndexEntry = { cluster, ...(facts ? { facts } : { gone: true }), readAt: at, ...(dirtyAt ? { dirtyAt } : {}), version: (cur?.version ?? 0) + 1 };
      if (cur && !!cur.gone === !facts && factsEqual(cur.facts, facts ?? undefined) && cur.dirtyAt === dirtyAt) return undefined;
      if (await this.backend.putIndexEntry(next, cur?.version ?? null)) return next;
    }
  }

  /** Marks clusters as possibly changed at `at` (before the caller reads them), then bumps the generation. */
  async markDirty(clusters: readonly string[], at: Date): Promise<void> {
    const when = at.toISOString();
    await Promise.all(
      clusters.map(async (cluster) => {
        for (;;) {
          const cur = await this.backend.getIndexEntry(cluster);
          if (cur?.dirtyAt && cur.dirtyAt >= when) return;
          if (await this.backend.putIndexEntry({ ...(cur ?? { cluster, version: 0 }), dirtyAt: when, version: (cur?.version ?? 0) + 1 }, cur?.version ?? null)) return;
        }
      }),
    );
    if (clusters.length) await this.backend.updateHead({ bump: true });
  }

  /** Tells warm containers the index changed; `builtAt` also records that it is complete as of that read. */
  indexChanged(builtAt?: Date): Promise<void> {
    return this.backend.updateHead({ bump: true, ...(builtAt ? { indexBuiltAt: builtAt.toISOString() } : {}) });
  }

  /**
   * The stored CreateCluster records. Kept for the life of the process; read again when `cluster` is given and none
   * of them is about it (a cluster created since, whose record another container stored).
   */
  async creatorRecords(cluster?: string): Promise<CreatorRecord[]> {
    const cached = this.creatorCache && (await this.creatorCache.catch(() => undefined));
    if (cached && (cluster === undefined || cached.some((r) => r.cluster === cluster))) return cached;
    const read = this.backend.listCreatorRecords();
    this.creatorCache = read;
    read.catch(() => (this.creatorCache = undefined));
    return read;
  }

  /** Keeps CreateCluster records (trimmed), each under the cluster it created; those already stored are left alone. */
  keepCreatorRecords(records: readonly CreatorRecord[]): Promise<number> {
    const run = this.keeping.then(async () => {
      const key = (r: CreatorRecord) => `${r.cluster}#${r.event.EventId ?? ''}`;
      const known = await this.creatorRecords();
      const ids = new Set(known.map(key));
      const fresh = [...new Map(records.filter((r) => !ids.has(key(r))).map((r) => [key(r), { cluster: r.cluster, event: trimCreatorRecord(r.event) }])).values()];
      await Promise.all(fresh.map((r) => this.backend.putCreatorRecord(r)));
      if (fresh.length) this.creatorCache = Promise.resolve([...known, ...fresh]);
      return fresh.length;
    });
    this.keeping = run.catch(() => undefined);
    return run;
  }

  /** Whether a sweep copied every record LookupEvents held into the store (read until it has; it never goes back). */
  async creatorsComplete(): Promise<boolean> {
    this.primed ||= !!(await this.head()).creatorsPrimedAt;
    return this.primed;
  }

  creatorsPrimed(at: Date): Promise<void> {
    return this.backend.updateHead({ creatorsPrimedAt: at.toISOString() });
  }

  /** A launch template version kept before (this process remembers those it met), or undefined. */
  async templateVersion(templateId: string, version: number): Promise<LaunchTemplateVersion | undefined> {
    const key = `${templateId}#${version}`;
    const known = this.templateVersions.get(key);
    if (known) return known;
    const kept = await this.backend.getTemplateVersion(templateId, version);
    if (kept) this.rememberTemplateVersion(key, kept);
    return kept;
  }

  /** Keeps a launch template version read from EC2. */
  async keepTemplateVersion(v: KeptTemplateVersion): Promise<void> {
    await this.backend.putTemplateVersion(v);
    this.rememberTemplateVersion(`${v.LaunchTemplateId}#${v.VersionNumber}`, v);
  }

  private rememberTemplateVersion(key: string, v: LaunchTemplateVersion): void {
    // Versions never change: the oldest remembered is forgotten only to bound a long-lived container's memory.
    if (this.templateVersions.size >= REMEMBERED_TEMPLATE_VERSIONS) this.templateVersions.delete(this.templateVersions.keys().next().value!);
    this.templateVersions.set(key, v);
  }

  /** The AWS managed policy's default version as last checked, when one was kept. */
  awsPolicy(arn: string): Promise<AwsPolicyEntry | undefined> {
    return this.backend.getAwsPolicy(arn);
  }

  /** Keeps what a check of an AWS managed policy found; a later check already kept stays. */
  keepAwsPolicy(e: AwsPolicyEntry): Promise<void> {
    return this.backend.putAwsPolicy(e);
  }
}
