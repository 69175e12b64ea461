import type { Cluster, Nodegroup } from '@aws-sdk/client-eks';
import type { LaunchTemplateVersion, Tag } from '@aws-sdk/client-ec2';
import type { AwsReader } from '../inventory/reader';

/** What one cluster is made of, as far as "which cluster uses resource X" needs to know. */
export interface ClusterFacts {
  name: string;
  vpcId?: string;
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
 * Which clusters use a security group, subnet, VPC, launch template, managed Auto Scaling group or node role, answered
 * from the EKS API (ListClusters, DescribeCluster, ListNodegroups, DescribeNodegroup, DescribeLaunchTemplateVersions).
 * Built once and reused: it costs a few calls per cluster, so it is the fallback when a resource's tags say nothing.
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
  inVpc(vpcId: string): string[] {
    return this.where((c) => c.vpcId === vpcId);
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

function templateGroups(v: LaunchTemplateVersion): string[] {
  const d = v.LaunchTemplateData;
  return [...(d?.SecurityGroupIds ?? []), ...(d?.NetworkInterfaces ?? []).flatMap((n) => n.Groups ?? [])];
}

/** One cluster's facts: DescribeCluster, ListNodegroups, DescribeNodegroup each, one DescribeLaunchTemplateVersions per template. */
export async function readClusterFacts(reader: AwsReader, name: string): Promise<ClusterFacts | undefined> {
  const cluster: Cluster | undefined = await reader.describeCluster(name);
  if (!cluster) return undefined;
  const vpc = cluster.resourcesVpcConfig;
  const facts: ClusterFacts = {
    name,
    vpcId: vpc?.vpcId || undefined,
    subnetIds: new Set(vpc?.subnetIds ?? []),
    securityGroupIds: new Set([...(vpc?.securityGroupIds ?? []), ...(vpc?.clusterSecurityGroupId ? [vpc.clusterSecurityGroupId] : [])]),
    launchTemplateIds: new Set(),
    launchTemplateNames: new Set(),
    autoScalingGroupNames: new Set(),
    nodeRoleNames: new Set(),
  };
  const names = await reader.listNodegroups(name);
  const groups = (await Promise.all(names.map((n) => reader.describeNodegroup(name, n)))).filter((n): n is Nodegroup => !!n);
  const templates = new Map<string, { id?: string; name?: string; versions: Set<string> }>();
  for (const ng of groups) {
    for (const s of ng.subnets ?? []) facts.subnetIds.add(s);
    const role = ng.nodeRole?.split('/').pop();
    if (role) facts.nodeRoleNames.add(role);
    if (ng.resources?.remoteAccessSecurityGroup) facts.securityGroupIds.add(ng.resources.remoteAccessSecurityGroup);
    for (const asg of ng.resources?.autoScalingGroups ?? []) if (asg.name) facts.autoScalingGroupNames.add(asg.name);
    const lt = ng.launchTemplate;
    if (lt?.id || lt?.name) {
      if (lt.id) facts.launchTemplateIds.add(lt.id);
      if (lt.name) facts.launchTemplateNames.add(lt.name);
      const key = lt.id ?? `name:${lt.name}`;
      const t = templates.get(key) ?? { id: lt.id, name: lt.name, versions: new Set<string>() };
      t.versions.add(lt.version || '$Default');
      templates.set(key, t);
    } else if (vpc?.clusterSecurityGroupId) {
      facts.securityGroupIds.add(vpc.clusterSecurityGroupId);
    }
  }
  await Promise.all([...templates.values()].map(async (t) => {
    const versions = await reader.describeLaunchTemplateVersions({ launchTemplateId: t.id, launchTemplateName: t.id ? undefined : t.name, versions: [...t.versions] });
    for (const v of versions) {
      if (v.LaunchTemplateId) facts.launchTemplateIds.add(v.LaunchTemplateId);
      if (v.LaunchTemplateName) facts.launchTemplateNames.add(v.LaunchTemplateName);
      for (const g of templateGroups(v)) facts.securityGroupIds.add(g);
    }
  }));
  return facts;
}

export async function buildClusterIndex(reader: AwsReader, now: () => number = Date.now): Promise<ClusterIndex> {
  const limited = limitCalls(reader, MAX_CALLS_IN_FLIGHT);
  const names = await limited.listClusters();
  const facts = await Promise.all(names.map((n) => readClusterFacts(limited, n)));
  return new ClusterIndex(new Map(facts.filter((f): f is ClusterFacts => !!f).map((f) => [f.name, f])), now());
}

/**
 * Shares one ClusterIndex between events of a process (a warm Lambda container, one `replay` run). Entries live
 * `ttlMs`; clusters an event changed (created, deleted, node groups replaced) are marked dirty and re-read alone
 * before the next use, instead of rebuilding the whole index. Concurrent callers share one build.
 */
export interface ClusterIndexCache {
  /** The index for `reader`, built (or refreshed) when missing, expired or dirty. */
  get(reader: AwsReader): Promise<ClusterIndex>;
  /** The index if one is fresh for `reader`, without any API call (dirty clusters may be outdated). */
  peek(reader: AwsReader): ClusterIndex | undefined;
  markDirty(clusterNames: readonly string[]): void;
  /** How many full builds happened (for tests and metrics). */
  readonly builds: number;
}

export function createClusterIndexCache(opts: { ttlMs: number; now?: () => number }): ClusterIndexCache {
  const now = opts.now ?? Date.now;
  let entry: { reader: AwsReader; index: ClusterIndex } | undefined;
  let inflight: { reader: AwsReader; promise: Promise<ClusterIndex> } | undefined;
  const dirty = new Set<string>();
  let builds = 0;

  const fresh = (reader: AwsReader) => (entry && entry.reader === reader && now() - entry.index.builtAt < opts.ttlMs ? entry.index : undefined);

  async function refreshDirty(reader: AwsReader, index: ClusterIndex): Promise<ClusterIndex> {
    const names = [...dirty];
    dirty.clear();
    const limited = limitCalls(reader, MAX_CALLS_IN_FLIGHT);
    const facts = await Promise.all(names.map((n) => readClusterFacts(limited, n)));
    const clusters = new Map(index.clusters);
    names.forEach((n, i) => {
      const f = facts[i];
      if (f) clusters.set(n, f);
      else clusters.delete(n);
    });
    return new ClusterIndex(clusters, index.builtAt);
  }

  return {
    get builds() {
      return builds;
    },
    peek: fresh,
    markDirty(names) {
      for (const n of names) dirty.add(n);
    },
    async get(reader) {
      const current = fresh(reader);
      if (current && !dirty.size) return current;
      if (inflight?.reader === reader) return inflight.promise;
      const promise = current
        ? refreshDirty(reader, current)
        : (() => {
            builds++;
            dirty.clear();
            return buildClusterIndex(reader, now);
          })();
      inflight = { reader, promise };
      try {
        const index = await promise;
        entry = { reader, index };
        return index;
      } finally {
        inflight = undefined;
      }
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
