import type { Cluster, Nodegroup } from '@aws-sdk/client-eks';
import type { LaunchTemplateVersion, Tag } from '@aws-sdk/client-ec2';
import type { AwsReader } from '../inventory/reader';
import { describeNodegroups, nodegroupSecurityGroupIds, nodegroupTemplate, readTemplates, uniq } from '../inventory/nodes';
import { factsEqual, isDirty, type IndexEntry, type StateStore, type StoredFacts } from '../findings/stateStore';

/** What one cluster is made of, as far as "which cluster uses resource X" needs to know. */
export interface ClusterFacts {
  name: string;
  /** Control-plane subnets and every node group's subnets. */
  subnetIds: Set<string>;
  /** Cluster SG, additional control-plane SGs, remote-access SGs, launch template SGs. */
  securityGroupIds: Set<string>;
  launchTemplateIds: Set<string>;
  launchTemplateNames: Set<string>;
  /** The managed node groups' Auto Scaling groups: a node's `aws:autoscaling:groupName` tag (which no user can change) names one. */
  autoScalingGroupNames: Set<string>;
  /** Names of the IAM roles its managed node groups run as. */
  nodeRoleNames: Set<string>;
}

/**
 * Which clusters use a security group, subnet, launch template, managed Auto Scaling group or node role, answered
 * from the EKS API (ListClusters, DescribeCluster, ListNodegroups, DescribeNodegroup, DescribeLaunchTemplateVersions).
 * It costs a few calls per cluster to build, so it is kept (createClusterIndexCache); resolution asks it first, and a
 * resource's tags count only where neither it nor the nodes know the resource.
 */
export class ClusterIndex {
  constructor(
    readonly clusters: Map<string, ClusterFacts>,
    readonly builtAt: number,
  ) {}

  private where(pred: (c: ClusterFacts) => boolean): string[] {
    return [...this.clusters.values()].filter(pred).map((c) => c.name).sort();
  }

  usingSecurityGroup(id: string): string[] {
    return this.where((c) => c.securityGroupIds.has(id));
  }
  usingSubnet(id: string): string[] {
    return this.where((c) => c.subnetIds.has(id));
  }
  usingAutoScalingGroup(name: string): string[] {
    return this.where((c) => c.autoScalingGroupNames.has(name));
  }
  withNodeRole(roleName: string): string[] {
    return this.where((c) => c.nodeRoleNames.has(roleName));
  }
  usingLaunchTemplate(ref: { id?: string; name?: string }): string[] {
    return this.where((c) => (!!ref.id && c.launchTemplateIds.has(ref.id)) || (!!ref.name && c.launchTemplateNames.has(ref.name)));
  }
}

/** At most this many API calls in flight while building or refreshing the index, whatever the nesting. */
const MAX_CALLS_IN_FLIGHT = 8;

/**
 * The reader with every call queued behind a shared limit: the build fans out over clusters and, inside each,
 * over node groups and templates; one limit for all keeps a 200-cluster build from tripping EKS throttling.
 */
export function limitCalls(reader: AwsReader, limit: number): AwsReader {
  let active = 0;
  const waiting: (() => void)[] = [];
  const acquire = () => (active < limit ? (active++, Promise.resolve()) : new Promise<void>((resolve) => waiting.push(resolve)));
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return new Proxy(reader, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        await acquire();
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          release();
        }
      };
    },
  });
}

/**
 * What a cluster is made of, from the cluster and its managed node groups with the launch template version each runs:
 * the one derivation shared by the index build, the sweep and any evaluation that read the node groups.
 */
export function clusterFacts(name: string, cluster: Cluster, nodegroups: readonly { nodegroup: Nodegroup; launchTemplate?: LaunchTemplateVersion }[]): ClusterFacts {
  const vpc = cluster.resourcesVpcConfig;
  const facts: ClusterFacts = {
    name,
    subnetIds: new Set(vpc?.subnetIds ?? []),
    securityGroupIds: new Set([...(vpc?.securityGroupIds ?? []), ...(vpc?.clusterSecurityGroupId ? [vpc.clusterSecurityGroupId] : [])]),
    launchTemplateIds: new Set(),
    launchTemplateNames: new Set(),
    autoScalingGroupNames: new Set(),
    nodeRoleNames: new Set(),
  };
  for (const { nodegroup: ng, launchTemplate: v } of nodegroups) {
    for (const s of ng.subnets ?? []) facts.subnetIds.add(s);
    const role = ng.nodeRole?.split('/').pop();
    if (role) facts.nodeRoleNames.add(role);
    for (const g of nodegroupSecurityGroupIds(cluster, ng, v)) facts.securityGroupIds.add(g);
    for (const asg of ng.resources?.autoScalingGroups ?? []) if (asg.name) facts.autoScalingGroupNames.add(asg.name);
    const lt = ng.launchTemplate;
    if (lt?.id || lt?.name) {
      for (const id of [lt.id, v?.LaunchTemplateId]) if (id) facts.launchTemplateIds.add(id);
      for (const n of [lt.name, v?.LaunchTemplateName]) if (n) facts.launchTemplateNames.add(n);
    }
  }
  return facts;
}

/**
 * One cluster's facts: DescribeCluster, then the managed node groups and the template version each runs, read as the
 * view reads them (inventory/nodes).
 */
async function readClusterFacts(reader: AwsReader, name: string): Promise<ClusterFacts | undefined> {
  const cluster: Cluster | undefined = await reader.describeCluster(name);
  if (!cluster) return undefined;
  const groups = await describeNodegroups(reader, name);
  const versionFor = await readTemplates(reader, uniq(groups.map(nodegroupTemplate)));
  return clusterFacts(
    name,
    cluster,
    groups.map((nodegroup) => {
      const ref = nodegroupTemplate(nodegroup);
      const launchTemplate = ref && versionFor(ref);
      return { nodegroup, ...(launchTemplate ? { launchTemplate } : {}) };
    }),
  );
}

export async function buildClusterIndex(reader: AwsReader, now: () => number = Date.now): Promise<ClusterIndex> {
  const limited = limitCalls(reader, MAX_CALLS_IN_FLIGHT);
  const names = await limited.listClusters();
  const facts = await Promise.all(names.map((n) => readClusterFacts(limited, n)));
  return new ClusterIndex(new Map(facts.filter((f): f is ClusterFacts => !!f).map((f) => [f.name, f])), now());
}

const storedFacts = (f: ClusterFacts): StoredFacts => ({
  subnetIds: [...f.subnetIds].sort(),
  securityGroupIds: [...f.securityGroupIds].sort(),
  launchTemplateIds: [...f.launchTemplateIds].sort(),
  launchTemplateNames: [...f.launchTemplateNames].sort(),
  autoScalingGroupNames: [...f.autoScalingGroupNames].sort(),
  nodeRoleNames: [...f.nodeRoleNames].sort(),
});

const liveFacts = (name: string, f: StoredFacts): ClusterFacts => ({
  name,
  subnetIds: new Set(f.subnetIds),
  securityGroupIds: new Set(f.securityGroupIds),
  launchTemplateIds: new Set(f.launchTemplateIds),
  launchTemplateNames: new Set(f.launchTemplateNames),
  autoScalingGroupNames: new Set(f.autoScalingGroupNames),
  nodeRoleNames: new Set(f.nodeRoleNames),
});

/**
 * The cluster index of a process (a warm Lambda container, one `replay` or `sweep` run). Without a state store it is
 * built once from the EKS API and kept; with one (the findings table, the CLI's state file) a new container reads it
 * from the store, and every later use costs one small read of the store's head: the entries are read again only
 * when some process changed them. Nothing is rebuilt on a timer. Clusters a call can reshape are marked dirty before
 * the caller reads them and re-read by whoever uses the index before that caller's read lands (`learn`); every
 * evaluation that read a cluster's node groups hands over what it found, and the store keeps it when it changed.
 */
export interface ClusterIndexCache {
  /** The index for `reader`: from the store (or built once when the store has none), dirty clusters re-read. */
  get(reader: AwsReader): Promise<ClusterIndex>;
  /** Calls that can reshape these clusters were seen; in the store before the caller reads them. */
  markDirty(clusterNames: readonly string[]): Promise<void>;
  /** What an evaluation that began reading at `readAt` found (`null`: no such cluster); stored when it changed. */
  learn(cluster: string, facts: ClusterFacts | null, readAt: Date): Promise<void>;
  /**
   * The sweep reads every cluster: its `learn` calls are compared with the stored entries read here once, and
   * `sweepDone` records the clusters no longer listed and that the index is complete as of `startedAt`.
   */
  sweepStarted(): Promise<void>;
  sweepDone(listed: readonly string[], startedAt: Date): Promise<void>;
  /** How many full builds from the EKS API happened (for tests and metrics). */
  readonly builds: number;
}

export function createClusterIndexCache(opts: { state?: StateStore; now?: () => Date } = {}): ClusterIndexCache {
  const { state } = opts;
  const now = opts.now ?? (() => new Date());
  /** The index this process holds, and the store generation it reflects (undefined: not from the store). */
  let held: { reader: AwsReader; index: ClusterIndex; generation?: number } | undefined;
  let inflight: { reader: AwsReader; promise: Promise<ClusterIndex> } | undefined;
  /** Without a store: clusters marked since they were last read. */
  const dirty = new Set<string>();
  /** During a sweep: the entries stored when it began (the generation moves once, at its end). */
  let sweeping: { entries: Map<string, IndexEntry> } | undefined;
  let builds = 0;

  const withClusters = (index: ClusterIndex, change: (m: Map<string, ClusterFacts>) => void): ClusterIndex => {
    const clusters = new Map(index.clusters);
    change(clusters);
    return new ClusterIndex(clusters, index.builtAt);
  };

  /** Reads clusters again from the EKS API and keeps what was found (in the store, when there is one). */
  async function reread(reader: AwsReader, names: string[], index: ClusterIndex): Promise<ClusterIndex> {
    const at = now();
    const limited = limitCalls(reader, MAX_CALLS_IN_FLIGHT);
    const facts = await Promise.all(names.map((n) => readClusterFacts(limited, n)));
    if (state) {
      const wrote = await Promise.all(names.map((n, i) => state.learn(n, facts[i] ? storedFacts(facts[i]!) : null, at)));
      if (wrote.some(Boolean)) await state.indexChanged();
    }
    return withClusters(index, (m) => names.forEach((n, i) => (facts[i] ? m.set(n, facts[i]!) : m.delete(n))));
  }

  async function fromStore(reader: AwsReader, s: StateStore): Promise<ClusterIndex> {
    const head = await s.head();
    if (held?.reader === reader && held.generation === head.generation) return held.index;
    if (!head.indexBuiltAt) {
      // Nothing stored yet (a deployment whose first sweep has not finished): built once, and kept for every container.
      builds++;
      const at = now();
      const index = await buildClusterIndex(reader, () => at.getTime());
      await Promise.all([...index.clusters.values()].map((f) => s.learn(f.name, storedFacts(f), at)));
      await s.indexChanged(at);
      held = { reader, index };
      return index;
    }
    const entries = await s.indexEntries();
    const stale = entries.filter(isDirty).map((e) => e.cluster);
    const known = new ClusterIndex(new Map(entries.filter((e) => e.facts && !e.gone && !isDirty(e)).map((e) => [e.cluster, liveFacts(e.cluster, e.facts!)])), Date.parse(head.indexBuiltAt));
    const index = stale.length ? await reread(reader, stale, known) : known;
    // Re-read clusters were written back, which moved the generation on: the next use reads the entries again.
    held = { reader, index, ...(stale.length ? {} : { generation: head.generation }) };
    return index;
  }

  async function inMemory(reader: AwsReader): Promise<ClusterIndex> {
    if (held?.reader === reader) {
      if (!dirty.size) return held.index;
      const names = [...dirty];
      dirty.clear();
      held = { reader, index: await reread(reader, names, held.index) };
      return held.index;
    }
    builds++;
    dirty.clear();
    held = { reader, index: await buildClusterIndex(reader) };
    return held.index;
  }

  return {
    get builds() {
      return builds;
    },
    async get(reader) {
      if (inflight?.reader === reader) return inflight.promise;
      const promise = state ? fromStore(reader, state) : inMemory(reader);
      inflight = { reader, promise };
      try {
        return await promise;
      } finally {
        inflight = undefined;
      }
    },
    async markDirty(names) {
      if (!names.length) return;
      if (!state) {
        for (const n of names) dirty.add(n);
        return;
      }
      await state.markDirty(names, now());
      if (held) held = { ...held, generation: undefined };
    },
    async learn(cluster, facts, readAt) {
      const stored = facts ? storedFacts(facts) : null;
      if (!state) {
        if (held) held = { ...held, index: withClusters(held.index, (m) => (facts ? m.set(cluster, facts) : m.delete(cluster))) };
        dirty.delete(cluster);
        return;
      }
      const known = sweeping ? sweeping.entries.get(cluster) : undefined;
      const heldFacts = held?.generation !== undefined ? held.index.clusters.get(cluster) : undefined;
      // Unchanged and not marked: nothing to write (most evaluations).
      if (known && !isDirty(known) && !!known.gone === !stored && factsEqual(known.facts, stored ?? undefined)) return;
      if (!sweeping && heldFacts && stored && factsEqual(storedFacts(heldFacts), stored)) return;
      if (!(await state.learn(cluster, stored, readAt)) || sweeping) return;
      await state.indexChanged();
      if (held) held = { ...held, generation: undefined };
    },
    async sweepStarted() {
      if (state) sweeping = { entries: new Map((await state.indexEntries()).map((e) => [e.cluster, e])) };
    },
    async sweepDone(listed, startedAt) {
      if (!state || !sweeping) return;
      const gone = [...sweeping.entries.values()].filter((e) => !e.gone && !listed.includes(e.cluster));
      await Promise.all(gone.map((e) => state.learn(e.cluster, null, startedAt)));
      sweeping = undefined;
      await state.indexChanged(startedAt);
      if (held) held = { ...held, generation: undefined };
    },
  };
}

/** Cluster names a resource's tags point at: EKS's own tags, and the Kubernetes cloud-provider ownership tag. */
export function clustersFromTags(tags: readonly Tag[] | undefined): string[] {
  const out = new Set<string>();
  for (const t of tags ?? []) {
    if ((t.Key === 'aws:eks:cluster-name' || t.Key === 'eks:cluster-name') && t.Value) out.add(t.Value);
    const m = /^kubernetes\.io\/cluster\/(.+)$/.exec(t.Key ?? '');
    if (m) out.add(m[1]);
  }
  return [...out].sort();
}
