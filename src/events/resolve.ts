import type { Filter, Subnet } from '@aws-sdk/client-ec2';
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { AwsReader } from '../inventory/reader';
import { parseLookupRecord } from '../inventory/lookupMatch';
import { createdCluster } from '../inventory/creator';
import { creatorOfRecord } from '../rules/semantics/creator';
import type { ResourceRefs } from './catalog';
import { buildClusterIndex, clustersFromTags, type ClusterIndex, type ClusterIndexCache } from './clusterIndex';

export { createClusterIndexCache, buildClusterIndex, ClusterIndex, type ClusterIndexCache } from './clusterIndex';

export interface Resolution {
  clusters: string[];
  /** Why nothing was found, naming the resources (e.g. `sg-… is not used by any EKS cluster`). */
  reason?: string;
}

/**
 * Turns the resources a call named into the clusters to re-evaluate, with as few API calls as possible:
 * - cluster names and node group / EKS ARNs are the answer (even for a deleted cluster: the caller resolves it);
 * - a security group tagged by EKS (`aws:eks:cluster-name` on the cluster SG, `eks:cluster-name` on a managed
 *   node group's remote-access SG) or by Kubernetes (`kubernetes.io/cluster/NAME`) needs one DescribeSecurityGroups;
 * - anything else goes through the ClusterIndex (built once, shared through `cache`), and, when the index knows no
 *   cluster, through the instances using the resource (self-managed nodes carry the cluster tags);
 * - a route table reaches its associated subnets, and when it is its VPC's main table, the subnets of that VPC
 *   without an explicit association; a network ACL reaches its associated subnets;
 * - a subnet tagged for a cluster (`kubernetes.io/cluster/NAME`) needs one DescribeSubnets; others go through the
 *   index, then the instances in it;
 * - an Auto Scaling group or an instance by its cluster tags (a group's members when the group carries none); a
 *   launch template no managed node group or instance uses, by the Auto Scaling groups launching from it;
 * - an IAM role by the clusters it created (CloudTrail's CreateCluster records) and runs (managed node groups'
 *   nodeRole in the index, instances with an instance profile holding it).
 * Over-approximating is safe (an extra cluster is re-read and found unchanged); missing one is not.
 */
export async function resolveAffectedClusters(
  reader: AwsReader,
  refs: ResourceRefs,
  cache?: ClusterIndexCache,
  /** Where CloudTrail records are looked up, when the caller shares them with the evaluation that follows. */
  lookups: Pick<AwsReader, 'lookupEvents'> = reader,
): Promise<Resolution> {
  const found = new Set<string>();
  const unused: string[] = [];
  let local: Promise<ClusterIndex> | undefined;
  const index = () => (cache ? cache.get(reader) : (local ??= buildClusterIndex(reader)));
  const add = (names: Iterable<string>) => {
    let any = false;
    for (const n of names) {
      found.add(n);
      any = true;
    }
    return any;
  };

  const named = [...refs.clusterNames, ...refs.nodegroups.map((n) => n.cluster)];
  add(named);
  if (refs.reshapesClusters) cache?.markDirty(named);

  if (refs.securityGroupIds.length) await resolveSecurityGroups(reader, refs.securityGroupIds, cache, index, add, unused);

  const subnets = new Set(refs.subnetIds);
  const mainTableVpcs = new Map<string, Set<string>>(); // VPC → its main route table ids
  if (refs.routeTableIds.length) {
    const tables = await reader.describeRouteTables({ routeTableIds: refs.routeTableIds });
    for (const id of refs.routeTableIds) {
      const t = tables.find((x) => x.RouteTableId === id);
      if (!t) {
        unused.push(`${id} no longer exists`);
        continue;
      }
      const associated = (t.Associations ?? []).map((a) => a.SubnetId).filter((x): x is string => !!x);
      for (const sub of associated) subnets.add(sub);
      const isMain = (t.Associations ?? []).some((a) => a.Main === true);
      if (isMain && t.VpcId) mainTableVpcs.set(t.VpcId, new Set([...(mainTableVpcs.get(t.VpcId) ?? []), id]));
      if (!isMain && !associated.length) unused.push(`${id} is associated with no subnet`);
    }
  }
  if (refs.networkAclIds.length) {
    const acls = await reader.describeNetworkAcls({ networkAclIds: refs.networkAclIds });
    for (const id of refs.networkAclIds) {
      const acl = acls.find((x) => x.NetworkAclId === id);
      if (!acl) unused.push(`${id} no longer exists`);
      else if (!(acl.Associations ?? []).some((a) => a.SubnetId)) unused.push(`${id} is associated with no subnet`);
      for (const a of acl?.Associations ?? []) if (a.SubnetId) subnets.add(a.SubnetId);
    }
  }

  const known = new Map<string, Subnet>();
  if (mainTableVpcs.size) {
    // The main table serves every subnet of its VPC that has no explicit association.
    const vpcs = [...mainTableVpcs.keys()];
    const [tables, vpcSubnets] = await Promise.all([
      reader.describeRouteTables({ filters: [{ Name: 'vpc-id', Values: vpcs }] }),
      reader.describeSubnets({ filters: [{ Name: 'vpc-id', Values: vpcs }] }),
    ]);
    const explicit = new Set(tables.flatMap((t) => (t.Associations ?? []).filter((a) => a.SubnetId && !a.Main).map((a) => a.SubnetId as string)));
    for (const vpc of vpcs) {
      const served = vpcSubnets.filter((sub) => sub.VpcId === vpc && sub.SubnetId && !explicit.has(sub.SubnetId));
      for (const sub of served) {
        subnets.add(sub.SubnetId as string);
        known.set(sub.SubnetId as string, sub);
      }
      if (!served.length) unused.push(`${[...(mainTableVpcs.get(vpc) ?? [])].join(', ')} (main route table of ${vpc}) serves no subnet`);
    }
  }

  if (subnets.size) await resolveSubnets(reader, [...subnets], known, cache, index, add, unused);

  const templates: { id?: string; name?: string }[] = [...refs.launchTemplateIds.map((id) => ({ id })), ...refs.launchTemplateNames.map((name) => ({ name }))];
  if (templates.length) {
    const idx = await index();
    for (const t of templates) {
      const users = idx.usingLaunchTemplate(t);
      const label = t.id ?? t.name ?? '';
      if (add(users)) {
        // A new template version may change the node security groups the index holds.
        cache?.markDirty(users);
        continue;
      }
      const fromInstances = t.id ? await clustersOfInstances(reader, [{ Name: 'launch-template-id', Values: [t.id] }]) : [];
      if (add(fromInstances)) continue;
      // Self-managed groups launching from it, even with no instance running yet.
      const groups = (await reader.describeAutoScalingGroups({})).filter((g) => groupUsesTemplate(g, t));
      if (!add(groups.flatMap((g) => clustersFromTags(g.Tags)))) unused.push(`${label} is not used by any EKS cluster`);
    }
  }

  if (refs.autoScalingGroupNames.length) {
    const groups = await reader.describeAutoScalingGroups({ names: refs.autoScalingGroupNames });
    for (const name of refs.autoScalingGroupNames) {
      const g = groups.find((x) => x.AutoScalingGroupName === name);
      if (add(clustersFromTags(g?.Tags))) continue;
      // A group tagged through its launch template carries no cluster tag; its instances do.
      if (!add(await clustersOfInstances(reader, [{ Name: 'tag:aws:autoscaling:groupName', Values: [name] }]))) {
        unused.push(g ? `Auto Scaling group ${name} is not tagged for any EKS cluster` : `Auto Scaling group ${name} no longer exists`);
      }
    }
  }

  if (refs.instanceIds.length) {
    const instances = await reader.describeInstances({ instanceIds: refs.instanceIds });
    const misses = refs.instanceIds.filter((id) => !add(clustersFromTags(instances.find((i) => i.InstanceId === id)?.Tags)));
    if (misses.length) unused.push(`${misses.join(', ')} ${misses.length > 1 ? 'are' : 'is'} not tagged for any EKS cluster`);
  }

  if (refs.roleNames.length) await resolveRoles(reader, lookups, refs.roleNames, index, add, unused);

  const clusters = [...found].sort();
  if (clusters.length) return { clusters };
  if (unused.length) return { clusters, reason: unused.join('; ') };
  if (refs.accountLevel) return { clusters, reason: 'account-level change: no cluster involved' };
  return { clusters, reason: 'the call names no resource an EKS cluster uses' };
}

async function resolveSecurityGroups(
  reader: AwsReader,
  ids: string[],
  cache: ClusterIndexCache | undefined,
  index: () => Promise<ClusterIndex>,
  add: (names: Iterable<string>) => boolean,
  unused: string[],
): Promise<void> {
  const groups = await reader.describeSecurityGroups({ groupIds: ids });
  // A warm index answers for free: use it too, so a group shared with another cluster's nodes is not missed.
  const warm = cache?.peek(reader);
  const untagged: string[] = [];
  for (const id of ids) {
    const g = groups.find((x) => x.GroupId === id);
    const tagged = clustersFromTags(g?.Tags);
    const known = warm?.usingSecurityGroup(id) ?? [];
    if (!add([...tagged, ...known])) untagged.push(id);
  }
  await resolveUntagged(reader, untagged, index, (idx, id) => idx.usingSecurityGroup(id), 'instance.group-id', add, unused);
}

/**
 * Subnets: their cluster tags (`kubernetes.io/cluster/NAME`, `eks:cluster-name`) with one DescribeSubnets, plus a
 * warm index for free; the index when tags say nothing; then the instances in them (self-managed nodes).
 */
async function resolveSubnets(
  reader: AwsReader,
  ids: string[],
  known: Map<string, Subnet>,
  cache: ClusterIndexCache | undefined,
  index: () => Promise<ClusterIndex>,
  add: (names: Iterable<string>) => boolean,
  unused: string[],
): Promise<void> {
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length) for (const sub of await reader.describeSubnets({ subnetIds: missing })) if (sub.SubnetId) known.set(sub.SubnetId, sub);
  const warm = cache?.peek(reader);
  const untagged = ids.filter((id) => !add([...clustersFromTags(known.get(id)?.Tags), ...(warm?.usingSubnet(id) ?? [])]));
  await resolveUntagged(reader, untagged, index, (idx, id) => idx.usingSubnet(id), 'subnet-id', add, unused);
}

/** What tags did not place, for groups and subnets alike: the cluster index, then the instances using them (self-managed nodes). */
async function resolveUntagged(
  reader: AwsReader,
  untagged: string[],
  index: () => Promise<ClusterIndex>,
  usedBy: (idx: ClusterIndex, id: string) => string[],
  instanceFilter: string,
  add: (names: Iterable<string>) => boolean,
  unused: string[],
): Promise<void> {
  if (!untagged.length) return;
  const idx = await index();
  const misses = untagged.filter((id) => !add(usedBy(idx, id)));
  if (!misses.length) return;
  const fromInstances = await clustersOfInstances(reader, [{ Name: instanceFilter, Values: misses }]);
  if (!add(fromInstances)) unused.push(`${misses.join(', ')} ${misses.length > 1 ? 'are' : 'is'} not used by any EKS cluster`);
}

/** Clusters of the live instances matching `filters`, by their cluster tags (self-managed and managed nodes carry them). */
async function clustersOfInstances(reader: AwsReader, filters: Filter[]): Promise<string[]> {
  const instances = await reader.describeInstances({ filters: [...filters, { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }] });
  return [...new Set(instances.flatMap((i) => clustersFromTags(i.Tags)))];
}

/** True when the group launches from the template: its own, its mixed-instances policy's, or an override's. */
function groupUsesTemplate(g: AutoScalingGroup, t: { id?: string; name?: string }): boolean {
  const mixed = g.MixedInstancesPolicy?.LaunchTemplate;
  return [g.LaunchTemplate, mixed?.LaunchTemplateSpecification, ...(mixed?.Overrides ?? []).map((o) => o.LaunchTemplateSpecification)].some(
    (s) => !!s && ((!!t.id && s.LaunchTemplateId === t.id) || (!!t.name && s.LaunchTemplateName === t.name)),
  );
}

/**
 * The clusters a role matters to: those it created (by the CreateCluster records CloudTrail keeps, 90 days), those
 * whose managed node groups run as it (the index), and those whose self-managed nodes run as it (instances with an
 * instance profile holding it). Only clusters that exist count; any other role changes nothing we watch.
 */
async function resolveRoles(
  reader: AwsReader,
  lookups: Pick<AwsReader, 'lookupEvents'>,
  roleNames: string[],
  index: () => Promise<ClusterIndex>,
  add: (names: Iterable<string>) => boolean,
  unused: string[],
): Promise<void> {
  const [idx, records] = await Promise.all([index(), lookups.lookupEvents({ eventName: 'CreateCluster' })]);
  for (const name of roleNames) {
    const created = records
      .map((e) => ({ cluster: createdCluster({ ...e, record: parseLookupRecord(e), source: 'CloudTrail' }), creator: creatorOfRecord(parseLookupRecord(e)) }))
      .filter((x) => x.creator?.kind === 'role' && x.creator.arn.split('/').pop() === name && x.cluster !== undefined && idx.clusters.has(x.cluster))
      .map((x) => x.cluster as string);
    const running = idx.withNodeRole(name);
    const profiles = (await reader.listInstanceProfilesForRole(name)).map((p) => p.Arn).filter((a): a is string => !!a);
    const selfManaged = profiles.length ? await clustersOfInstances(reader, [{ Name: 'iam-instance-profile.arn', Values: profiles }]) : [];
    if (!add([...created, ...running, ...selfManaged])) {
      unused.push(`IAM role ${name} neither created an EKS cluster (CloudTrail, last 90 days) nor runs the nodes of one`);
    }
  }
}
