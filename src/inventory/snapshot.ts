import type { AwsReader } from './reader';
import { ReadError } from './reader';
import type { ClusterView, ViewPart } from './view';
import type { World } from './world';
import { buildAccountView, buildClusterView } from './buildView';

const ALL_PARTS: ReadonlySet<ViewPart> = new Set<ViewPart>(['nodegroups', 'securityGroups', 'network', 'accessEntries', 'addons', 'kubernetes', 'creator']);

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
    iam: { roles: [] },
    autoscaling: { groups: [] },
    cloudtrailEvents: [],
  };
}

/**
 * Records the live account into a world file: every cluster with everything buildClusterView reads, and the
 * trails, so `scan --world` of the snapshot gives the same findings as a live scan. Kubernetes objects that could
 * not be read are recorded as `null` (unreadable, as live). Any other part that cannot be read fails the snapshot:
 * a world missing it would claim "no such resources" and turn unevaluated rules into passes.
 */
export async function snapshotAccount(reader: AwsReader): Promise<World> {
  const ids = await reader.identity();
  const world = emptyWorld(ids.account, ids.region);
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
  };

  const views: ClusterView[] = [];
  for (const name of await reader.listClusters()) {
    const view = await buildClusterView(reader, name, ALL_PARTS, ids);
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
      ng.instances.forEach(add.instance);
    }
    v.selfManagedInstances.forEach(add.instance);
    v.securityGroups.forEach((g) => add.securityGroup(g.group));
    for (const l of v.prefixLists) if (!l.unreadable) add.prefixList({ ...l.prefixList, PrefixListId: l.prefixListId, Entries: l.entries });
    for (const s of v.subnets) {
      add.subnet(s.subnet);
      add.routeTable(s.routeTable);
      add.networkAcl(s.networkAcl);
    }
    v.accessEntries.forEach((e) => add.accessEntry({ ...e, clusterName: v.name }));
    v.addons.forEach((a) => add.addon({ ...a, clusterName: v.name }));
    world.kubernetes[v.name] = v.kubernetes ?? null;
    if (v.creatorEvent) {
      const { record: _record, ...event } = v.creatorEvent;
      add.event(event);
    }
  }

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
