import type { Filter, Instance, RouteTable, Subnet, Tag } from '@aws-sdk/client-ec2';
import type { AwsReader } from '../inventory/reader';
import { instanceGroupIds, instanceSubnetIds } from '../inventory/ec2Filters';
import { GROUP_TAG, launchesFrom, tagOf, uniq } from '../inventory/nodes';
import { createdCluster, defaultCreatorSources, knownCreatorRecords, type CreatorSource } from '../inventory/creator';
import { creatorOfRecord } from '../rules/semantics/creator';
import type { ResourceRefs, RoleCapacity } from './catalog';
import { buildClusterIndex, clustersFromTags, type ClusterIndex, type ClusterIndexCache } from './clusterIndex';

export { createClusterIndexCache, type ClusterIndexCache } from './clusterIndex';

export interface Resolution {
  clusters: string[];
  /** Why nothing was found, naming the resources (e.g. `sg-… is not used by any EKS cluster`). */
  reason?: string;
  /**
   * For clusters reached only through IAM roles: what the roles are to each, as far as resolution can rule the rest
   * out (catalog's rulesForRole narrows the rules to those). Absent for every other cluster: all the call's rules.
   */
  roleCapacities?: Record<string, RoleCapacity[]>;
}

type Add = (names: Iterable<string>) => boolean;

const LIVE: Filter = { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] };

/**
 * Turns the resources a call named into the clusters to re-evaluate. What uses a resource decides, never its tags
 * alone (anyone who can tag a security group could otherwise steer the check to another cluster):
 * - cluster names and node group / EKS ARNs are the answer (even for a deleted cluster: the caller resolves it);
 * - a security group or subnet reaches the clusters the ClusterIndex says use it (control plane, node groups, launch
 *   templates; built once, shared through `cache`) and the clusters of the nodes that carry it (one DescribeInstances
 *   on any network interface); only when neither knows it do its cluster tags count, in case the index is behind;
 * - an instance or a network interface reaches the cluster of its node (Auto Scaling group, cluster tags); an
 *   interface attached to no node, through the groups now on it;
 * - a prefix list reaches the security groups and route tables that reference it;
 * - a route table reaches its associated subnets, and when it is its VPC's main table, the subnets of that VPC
 *   without an explicit association; a network ACL reaches its associated subnets;
 * - a launch template reaches the clusters whose node groups use it, else those of the nodes launched from it, else
 *   those of the self-managed Auto Scaling groups launching from it (even with no instance running yet);
 * - an Auto Scaling group reaches the cluster of the managed node group it belongs to and, since a self-managed group
 *   is a cluster's by its cluster tag (what the view reads too), the clusters its tags name; a group that has neither,
 *   the clusters of its members;
 * - an IAM role reaches the clusters it created (the CreateCluster records: kept in the store, else CloudTrail's) and
 *   runs (managed node groups' nodeRole in the index, nodes launched with an instance profile holding it).
 * Over-approximating is safe (an extra cluster is re-read and found unchanged); missing one is not.
 */
export async function resolveAffectedClusters(
  reader: AwsReader,
  refs: ResourceRefs,
  cache?: ClusterIndexCache,
  /** Where CreateCluster records are found (the caller's creator sources, shared with the evaluation that follows). */
  creators: readonly CreatorSource[] = defaultCreatorSources(reader),
): Promise<Resolution> {
  const found = new Set<string>();
  const unused: string[] = [];
  // One index for the whole resolution: with a store, one read of its head however many kinds of resource it names.
  let local: Promise<ClusterIndex> | undefined;
  const index = () => (local ??= cache ? cache.get(reader) : buildClusterIndex(reader));
  const add: Add = (names) => {
    let any = false;
    for (const n of names) {
      found.add(n);
      any = true;
    }
    return any;
  };

  const named = [...refs.clusterNames, ...refs.nodegroups.map((n) => n.cluster)];
  add(named);
  // Marked before anything reads them (the evaluation that follows, or another container's resolution).
  if (refs.reshapesClusters) await cache?.markDirty(named);

  const groupIds = new Set(refs.securityGroupIds);
  const tables: RouteTable[] = [];
  if (refs.prefixListIds.length) {
    const [groups, referencing] = await Promise.all([
      reader.describeSecurityGroups({ filters: [{ Name: 'ip-permission.prefix-list-id', Values: refs.prefixListIds }] }),
      reader.describeRouteTables({ filters: [{ Name: 'route.destination-prefix-list-id', Values: refs.prefixListIds }] }),
    ]);
    for (const g of groups) if (g.GroupId) groupIds.add(g.GroupId);
    tables.push(...referencing);
    for (const id of refs.prefixListIds) {
      const used = groups.some((g) => (g.IpPermissions ?? []).some((p) => (p.PrefixListIds ?? []).some((r) => r.PrefixListId === id)));
      if (!used && !referencing.some((t) => (t.Routes ?? []).some((r) => r.DestinationPrefixListId === id))) {
        unused.push(`${id} is referenced by no security group or route table`);
      }
    }
  }

  if (refs.instanceIds.length) {
    const instances = await reader.describeInstances({ instanceIds: refs.instanceIds });
    const idx = await index();
    const misses = refs.instanceIds.filter((id) => !add(instances.filter((i) => i.InstanceId === id).flatMap((i) => clustersOfInstance(i, idx))));
    // An untagged member of a self-managed group is a node of the group's cluster (its tag need not propagate).
    const groupOf = (id: string) => tagOf(instances.find((i) => i.InstanceId === id)?.Tags, GROUP_TAG);
    const names = uniq(misses.map(groupOf));
    const groups = names.length ? await reader.describeAutoScalingGroups({ names }) : [];
    for (const id of misses) {
      const g = groups.find((x) => x.AutoScalingGroupName === groupOf(id));
      if (!add(clustersFromTags(g?.Tags))) unused.push(`${id} is not a node of any EKS cluster`);
    }
  }
  if (refs.networkInterfaces.length) {
    const eniIds = refs.networkInterfaces.map((n) => n.id);
    const instances = await reader.describeInstances({ filters: [{ Name: 'network-interface.network-interface-id', Values: eniIds }, LIVE] });
    const idx = await index();
    for (const eni of refs.networkInterfaces) {
      const carriers = instances.filter((i) => (i.NetworkInterfaces ?? []).some((n) => n.NetworkInterfaceId === eni.id));
      // Not on a node we know (detached, or a pod's branch interface): whoever uses the groups now on it.
      if (!add(carriers.flatMap((i) => clustersOfInstance(i, idx)))) {
        if (eni.groupIds.length) eni.groupIds.forEach((g) => groupIds.add(g));
        else unused.push(`${eni.id} is attached to no node of any EKS cluster`);
      }
    }
  }

  if (groupIds.size) {
    await resolveUsers(reader, [...groupIds], index, add, unused, {
      fromIndex: (idx, id) => idx.usingSecurityGroup(id),
      instanceFilter: 'network-interface.group-id',
      carries: (i, id) => instanceGroupIds(i).includes(id),
      tags: async (ids) => new Map((await reader.describeSecurityGroups({ groupIds: ids })).map((g) => [g.GroupId ?? '', g.Tags])),
    });
  }

  const subnets = new Set(refs.subnetIds);
  const mainTableVpcs = new Map<string, Set<string>>(); // VPC → its main route table ids
  const tableIds = [...new Set([...refs.routeTableIds, ...tables.map((t) => t.RouteTableId ?? '')])].filter(Boolean);
  if (refs.routeTableIds.length) tables.push(...(await reader.describeRouteTables({ routeTableIds: refs.routeTableIds })));
  for (const id of tableIds) {
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
    const [vpcTables, vpcSubnets] = await Promise.all([
      reader.describeRouteTables({ filters: [{ Name: 'vpc-id', Values: vpcs }] }),
      reader.describeSubnets({ filters: [{ Name: 'vpc-id', Values: vpcs }] }),
    ]);
    const explicit = new Set(vpcTables.flatMap((t) => (t.Associations ?? []).filter((a) => a.SubnetId && !a.Main).map((a) => a.SubnetId as string)));
    for (const vpc of vpcs) {
      const served = vpcSubnets.filter((sub) => sub.VpcId === vpc && sub.SubnetId && !explicit.has(sub.SubnetId));
      for (const sub of served) {
        subnets.add(sub.SubnetId as string);
        known.set(sub.SubnetId as string, sub);
      }
      if (!served.length) unused.push(`${[...(mainTableVpcs.get(vpc) ?? [])].join(', ')} (main route table of ${vpc}) serves no subnet`);
    }
  }

  if (subnets.size) {
    await resolveUsers(reader, [...subnets], index, add, unused, {
      fromIndex: (idx, id) => idx.usingSubnet(id),
      instanceFilter: 'subnet-id',
      carries: (i, id) => instanceSubnetIds(i).includes(id),
      tags: async (ids) => {
        const missing = ids.filter((id) => !known.has(id));
        if (missing.length) for (const sub of await reader.describeSubnets({ subnetIds: missing })) if (sub.SubnetId) known.set(sub.SubnetId, sub);
        return new Map(ids.map((id) => [id, known.get(id)?.Tags]));
      },
    });
  }

  const templates: { id?: string; name?: string }[] = [...refs.launchTemplateIds.map((id) => ({ id })), ...refs.launchTemplateNames.map((name) => ({ name }))];
  if (templates.length) {
    const idx = await index();
    for (const t of templates) {
      const users = idx.usingLaunchTemplate(t);
      const label = t.id ?? t.name ?? '';
      if (add(users)) {
        // A new template version may change the node security groups the index holds.
        await cache?.markDirty(users);
        continue;
      }
      const fromInstances = t.id ? await clustersOfInstances(reader, idx, [{ Name: 'launch-template-id', Values: [t.id] }]) : [];
      if (add(fromInstances)) continue;
      // Self-managed groups launching from it, even with no instance running yet.
      const groups = (await reader.describeAutoScalingGroups({})).filter((g) => launchesFrom(g, t));
      if (!add(groups.flatMap((g) => clustersOfGroup(g.AutoScalingGroupName ?? '', g.Tags, idx)))) unused.push(`${label} is not used by any EKS cluster`);
    }
  }

  if (refs.autoScalingGroupNames.length) {
    const [idx, groups] = await Promise.all([index(), reader.describeAutoScalingGroups({ names: refs.autoScalingGroupNames })]);
    for (const name of refs.autoScalingGroupNames) {
      const g = groups.find((x) => x.AutoScalingGroupName === name);
      if (add(clustersOfGroup(name, g?.Tags, idx))) continue;
      // A group tagged through its launch template carries no cluster tag; its instances do.
      if (!add(await clustersOfInstances(reader, idx, [{ Name: `tag:${GROUP_TAG}`, Values: [name] }]))) {
        unused.push(g ? `Auto Scaling group ${name} is not used by any EKS cluster` : `Auto Scaling group ${name} no longer exists`);
      }
    }
  }

  const byRole = new Map<string, Set<RoleCapacity>>();
  if (refs.roleNames.length) {
    const before = new Set(found);
    await resolveRoles(reader, creators, refs.roleNames, index, add, unused, (cluster, capacity) => {
      if (!before.has(cluster)) byRole.set(cluster, (byRole.get(cluster) ?? new Set()).add(capacity));
    });
  }

  const clusters = [...found].sort();
  const roleCapacities = Object.fromEntries([...byRole].sort(([a], [b]) => a.localeCompare(b)).map(([c, caps]) => [c, [...caps].sort()]));
  if (clusters.length) return { clusters, ...(byRole.size ? { roleCapacities } : {}) };
  if (unused.length) return { clusters, reason: unused.join('; ') };
  if (refs.unrelated) return { clusters, reason: refs.unrelated };
  if (refs.accountLevel) return { clusters, reason: 'account-level change: no cluster involved' };
  return { clusters, reason: 'the call names no resource an EKS cluster uses' };
}

/**
 * The clusters of a node: its managed node group's, by the Auto Scaling group that launched it (an `aws:` tag no user
 * can change), and the cluster tags that make an instance a self-managed node.
 */
function clustersOfInstance(i: Instance, idx: ClusterIndex): string[] {
  const asg = tagOf(i.Tags, GROUP_TAG);
  return [...new Set([...(asg ? idx.usingAutoScalingGroup(asg) : []), ...clustersFromTags(i.Tags)])];
}

/** The clusters of the live instances a filter selects, each by its node (see clustersOfInstance). */
async function clustersOfInstances(reader: AwsReader, idx: ClusterIndex, filters: Filter[]): Promise<string[]> {
  return [...new Set((await reader.describeInstances({ filters: [...filters, LIVE] })).flatMap((i) => clustersOfInstance(i, idx)))];
}

/**
 * The clusters of an Auto Scaling group: the managed node group's it belongs to, and the clusters its tags name (a
 * self-managed group is a cluster's by its cluster tag, which is how the view finds it too).
 */
function clustersOfGroup(name: string, tags: readonly Tag[] | undefined, idx: ClusterIndex): string[] {
  return [...new Set([...idx.usingAutoScalingGroup(name), ...clustersFromTags(tags)])];
}

/**
 * Security groups and subnets alike: the clusters the index says use them, plus the clusters of the live nodes that
 * carry them. A tag counts only for what neither knows (a cluster changed in another container, not yet in this index).
 */
async function resolveUsers(
  reader: AwsReader,
  ids: string[],
  index: () => Promise<ClusterIndex>,
  add: Add,
  unused: string[],
  how: {
    fromIndex: (idx: ClusterIndex, id: string) => string[];
    instanceFilter: string;
    carries: (i: Instance, id: string) => boolean;
    tags: (ids: string[]) => Promise<Map<string, Tag[] | undefined>>;
  },
): Promise<void> {
  const [idx, instances] = await Promise.all([index(), reader.describeInstances({ filters: [{ Name: how.instanceFilter, Values: ids }, LIVE] })]);
  const misses = ids.filter((id) => !add([...how.fromIndex(idx, id), ...instances.filter((i) => how.carries(i, id)).flatMap((i) => clustersOfInstance(i, idx))]));
  if (!misses.length) return;
  const tags = await how.tags(misses);
  const still = misses.filter((id) => !add(clustersFromTags(tags.get(id))));
  if (still.length) unused.push(`${still.join(', ')} ${still.length > 1 ? 'are' : 'is'} not used by any EKS cluster`);
}

/**
 * The clusters a role matters to: those it created (by the CreateCluster records the store keeps, else CloudTrail's
 * 90 days), those
 * whose managed node groups run as it (the index), and those whose self-managed nodes run as it (instances with an
 * instance profile holding it). Only clusters that exist count; any other role changes nothing we watch.
 * `is` says what the role is to each: the creator where a record says so, or where no record says who created the
 * cluster (its bootstrap access entry then decides, and may name this role); a node role where the index or an
 * instance says so, or wherever an instance profile holds the role (a self-managed group may launch from that profile
 * with no instance running yet).
 */
async function resolveRoles(
  reader: AwsReader,
  creators: readonly CreatorSource[],
  roleNames: string[],
  index: () => Promise<ClusterIndex>,
  add: (names: Iterable<string>) => boolean,
  unused: string[],
  is: (cluster: string, capacity: RoleCapacity) => void,
): Promise<void> {
  const [idx, records] = await Promise.all([index(), knownCreatorRecords(creators)]);
  const recorded = new Set(records.map(createdCluster));
  for (const name of roleNames) {
    const created = records
      .map((e) => ({ cluster: createdCluster(e), creator: creatorOfRecord(e.record) }))
      .filter((x) => x.creator?.kind === 'role' && x.creator.arn.split('/').pop() === name && x.cluster !== undefined && idx.clusters.has(x.cluster))
      .map((x) => x.cluster as string);
    const running = idx.withNodeRole(name);
    const profiles = (await reader.listInstanceProfilesForRole(name)).map((p) => p.Arn).filter((a): a is string => !!a);
    const selfManaged = profiles.length ? await clustersOfInstances(reader, idx, [{ Name: 'iam-instance-profile.arn', Values: profiles }]) : [];
    const reached = [...created, ...running, ...selfManaged];
    if (!add(reached)) {
      unused.push(`IAM role ${name} neither created an EKS cluster (CloudTrail, last 90 days) nor runs the nodes of one`);
    }
    for (const cluster of reached) {
      if (created.includes(cluster) || !recorded.has(cluster)) is(cluster, 'creator');
      if (running.includes(cluster) || selfManaged.includes(cluster) || profiles.length) is(cluster, 'node');
    }
  }
}
