import type { AwsReader } from './reader';
import { ReadError } from './reader';
import type { ClusterView, RoleDetails, ViewPart } from './view';
import type { World, WorldRole } from './world';
import { buildAccountView, buildClusterView } from './buildView';

const ALL_PARTS: ReadonlySet<ViewPart> = new Set<ViewPart>(['nodegroups', 'securityGroups', 'network', 'accessEntries', 'addons', 'kubernetes', 'creator', 'creatorRole', 'nodeRoles', 'eksLaunchTemplates']);

/** Adds items keyed by id, keeping the first (several clusters can share a subnet, route table or security group). */
function adder<T>(into: T[], idOf: (t: T) => string | undefined) {
  const seen = new Set<string>();
  return (item: T | undefined) => {
    if (!item) return;
    const id = idOf(item);
    if (id === undefined || seen.has(id)) return;
    seen.add(id);
    into.push(item);
  };
}

function emptyWorld(account: string, region: string): World {
  return {
    account,
    region,
    eks: { clusters: [], nodegroups: [], accessEntries: [], addons: [] },
    ec2: { securityGroups: [], subnets: [], routeTables: [], networkAcls: [], launchTemplateVersions: [], instances: [], managedPrefixLists: [] },
    cloudtrail: { trails: [], trailStatus: {}, eventSelectors: {} },
    kubernetes: {},
    iam: { roles: [], instanceProfiles: [], policies: [] },
    autoscaling: { groups: [], launchConfigurations: [] },
    cloudtrailEvents: [],
  };
}

/** A role as the world file holds it; read twice (creator, node role), the fuller reading wins field by field. */
function worldRole(d: RoleDetails): WorldRole | undefined {
  if (!d.role) return undefined;
  return { ...d.role, attachedPolicies: d.attachedPolicies, inlinePolicyNames: d.inlinePolicyNames, ...(d.inlinePolicies.length ? { inlinePolicies: d.inlinePolicies } : {}) };
}

/**
 * Records the live account into a world file, as of `now` (its `recordedAt`): every cluster with everything
 * buildClusterView reads, the version calendar and the trails, so `scan --world` of the snapshot gives the same
 * findings as a live scan at that moment. Kubernetes objects and a version calendar that could not be read are
 * recorded as `null` (unreadable, as live). Any other part that cannot be read fails the snapshot: a world missing it
 * would claim "no such resources" and turn unevaluated rules into passes.
 */
export async function snapshotAccount(reader: AwsReader, now: Date = new Date()): Promise<World> {
  const ids = await reader.identity();
  const world = { ...emptyWorld(ids.account, ids.region), recordedAt: now };
  const add = {
    cluster: adder(world.eks.clusters, (c) => c.name),
    nodegroup: adder(world.eks.nodegroups, (n) => `${n.clusterName}/${n.nodegroupName}`),
    accessEntry: adder(world.eks.accessEntries, (e) => `${e.clusterName}/${e.principalArn}`),
    addon: adder(world.eks.addons, (a) => `${a.clusterName}/${a.addonName}`),
    securityGroup: adder(world.ec2.securityGroups, (g) => g.GroupId),
    subnet: adder(world.ec2.subnets, (s) => s.SubnetId),
    routeTable: adder(world.ec2.routeTables, (t) => t.RouteTableId),
    networkAcl: adder(world.ec2.networkAcls, (n) => n.NetworkAclId),
    launchTemplateVersion: adder(world.ec2.launchTemplateVersions, (v) => `${v.LaunchTemplateId ?? v.LaunchTemplateName}:${v.VersionNumber}`),
    instance: adder(world.ec2.instances, (i) => i.InstanceId),
    prefixList: adder(world.ec2.managedPrefixLists, (l) => l.PrefixListId),
    event: adder(world.cloudtrailEvents, (e) => e.EventId),
    group: adder(world.autoscaling.groups, (g) => g.AutoScalingGroupName),
    launchConfiguration: adder(world.autoscaling.launchConfigurations, (c) => c.LaunchConfigurationName),
    instanceProfile: adder(world.iam.instanceProfiles, (p) => p.Arn ?? p.InstanceProfileName),
    policy: adder(world.iam.policies, (p) => p.Arn),
  };
  const roles = new Map<string, WorldRole>();
  const addRole = (d: RoleDetails | undefined) => {
    const r = d && worldRole(d);
    if (r) roles.set(r.Arn ?? '', { ...roles.get(r.Arn ?? ''), ...r });
    for (const [Arn, { policy, version }] of Object.entries(d?.managedPolicies ?? {})) {
      if (policy) add.policy({ ...policy, Arn, PolicyVersionList: version ? [{ ...version, IsDefaultVersion: true }] : [] });
    }
  };

  // The version calendar is the account's, not a cluster's: read once. Unreadable, it is recorded as such (`null`),
  // and the world is judged as live would be: by the configured minimum version.
  world.eks.clusterVersions = await reader.describeClusterVersions().catch((e: unknown) => {
    if (e instanceof ReadError) return null;
    throw e;
  });

  const views: ClusterView[] = [];
  for (const name of await reader.listClusters()) {
    const view = await buildClusterView(reader, name, ALL_PARTS, ids, { now });
    if (!view) continue; // deleted while we were listing
    // A prefix list that cannot be read would be recorded as absent: fail like any unreadable part. One that does
    // not exist is absent from the world too, and the world reader says so the same way.
    const lists = view.prefixLists.filter((l) => l.unreadable && !l.notFound).map((l) => ({ part: `prefix list ${l.prefixListId}`, reason: l.unreadable }));
    const failed = [...view.unreadable.filter((u) => u.part !== 'kubernetes'), ...lists];
    if (failed.length) {
      throw new ReadError('snapshot', 'Unreadable', `cluster ${name} in ${ids.account}/${ids.region}: ${failed.map((f) => `${f.part}: ${f.reason}`).join('; ')}`);
    }
    views.push(view);
  }

  for (const v of views) {
    add.cluster(v.cluster);
    for (const ng of v.nodegroups) {
      add.nodegroup({ ...ng.nodegroup, clusterName: v.name });
      add.launchTemplateVersion(ng.launchTemplate);
      ng.eksLaunchTemplate?.autoScalingGroups.forEach(add.group);
      ng.eksLaunchTemplate?.versions.forEach(add.launchTemplateVersion);
      ng.instances.forEach(add.instance);
    }
    v.selfManagedInstances.forEach(add.instance);
    for (const g of v.selfManagedGroups) {
      add.group(g.group);
      g.launchTemplates.forEach(add.launchTemplateVersion);
      add.launchConfiguration(g.launchConfiguration);
    }
    v.instanceProfiles.forEach(add.instanceProfile);
    addRole(v.creatorRole);
    v.nodeRoles.forEach((r) => addRole(r.details));
    v.securityGroups.forEach((g) => add.securityGroup(g.group));
    for (const l of v.prefixLists) if (!l.unreadable) add.prefixList({ ...l.prefixList, PrefixListId: l.prefixListId, Entries: l.entries });
    for (const s of v.subnets) {
      add.subnet(s.subnet);
      add.routeTable(s.routeTable);
      add.networkAcl(s.networkAcl);
    }
    for (const s of v.vpcSubnets) {
      add.subnet(s.subnet);
      add.networkAcl(s.networkAcl);
    }
    v.accessEntries.forEach((e) => add.accessEntry({ ...e, clusterName: v.name }));
    v.addons.forEach((a) => add.addon({ ...a, clusterName: v.name }));
    world.kubernetes[v.name] = v.kubernetes ?? null;
    // Every CreateCluster record the sources gave (who created which cluster), as LookupEvents returned it.
    for (const e of [...(v.creatorEvent ? [v.creatorEvent] : []), ...v.creations]) {
      const { record: _record, source: _source, ...event } = e;
      add.event(event);
    }
  }
  world.iam.roles.push(...roles.values());

  const account = await buildAccountView(reader, ids);
  if (account.unreadable.length) {
    throw new ReadError('snapshot', 'Unreadable', `trails of ${ids.account}/${ids.region}: ${account.unreadable.map((u) => u.reason).join('; ')}`);
  }
  for (const t of account.trails) {
    world.cloudtrail.trails.push(t.trail);
    const arn = t.trail.TrailARN ?? t.trail.Name ?? '';
    if (t.status) world.cloudtrail.trailStatus[arn] = t.status;
    if (t.eventSelectors) world.cloudtrail.eventSelectors[arn] = t.eventSelectors;
  }
  return world;
}
