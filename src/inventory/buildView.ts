import { clusterArnOf } from '../arn';
import type { Cluster } from '@aws-sdk/client-eks';
import type { NetworkAcl, RouteTable, SecurityGroup, Subnet } from '@aws-sdk/client-ec2';
import type { InstanceProfile } from '@aws-sdk/client-iam';
import type { AwsReader } from './reader';
import { ReadError } from './reader';
import type { AccountView, ClusterView, MissingObject, NodeRoleView, NodeWithoutRole, PrefixListView, SecurityGroupRole, SubnetView, TrailView, ViewPart } from './view';
import { clusterSecurityGroupId, groupAttachments, groupOf, nodeGroupUsers, readNodes, uniq, type Nodes } from './nodes';
import { instanceSubnetIds } from './ec2Filters';
import { defaultCreatorSources, readCreator, type CreatorSource } from './creator';
import { instanceProfileName, readRoleDetails } from './iamRoles';
import { identifyCreator } from '../rules/semantics/creator';

type Ids = { account: string; region: string };

/** Which view parts depend on knowing the nodes (node groups, their launch templates, self-managed groups and instances). */
const NEEDS_NODES: readonly ViewPart[] = ['nodegroups', 'securityGroups', 'subnets', 'network', 'nodeRoles', 'eksLaunchTemplates'];

/** The addon whose configuration `pod-sg-isolation` and `ssh-egress-blocked` read; the only one the rules need. */
const VPC_CNI = 'vpc-cni';

/** A failed part's reason, for `unreadable`. Only ReadError is a "could not read"; anything else is a bug and propagates. */
function reasonOf(e: unknown): string {
  if (e instanceof ReadError) return e.message;
  throw e;
}

function securityGroupRoles(cluster: Cluster, nodes: Nodes): Map<string, { roles: Set<SecurityGroupRole>; usedBy: Set<string> }> {
  const out = new Map<string, { roles: Set<SecurityGroupRole>; usedBy: Set<string> }>();
  const add = (id: string | undefined, role: SecurityGroupRole, user: string) => {
    if (!id) return;
    const e = out.get(id) ?? { roles: new Set(), usedBy: new Set() };
    e.roles.add(role);
    e.usedBy.add(user);
    out.set(id, e);
  };
  add(clusterSecurityGroupId(cluster), 'cluster', 'control-plane');
  for (const id of cluster.resourcesVpcConfig?.securityGroupIds ?? []) add(id, 'control-plane', 'control-plane');
  nodeGroupUsers(nodes, (id, user, remoteAccess) => add(id, remoteAccess ? 'remote-access' : 'node', user));
  return out;
}

async function readSecurityGroups(
  reader: AwsReader,
  cluster: Cluster,
  nodes: Nodes,
): Promise<{ groups: ClusterView['securityGroups']; missing: MissingObject[] }> {
  const roles = securityGroupRoles(cluster, nodes);
  if (!roles.size) return { groups: [], missing: [] };
  const found = await reader.describeSecurityGroups({ groupIds: [...roles.keys()] });
  const groups = found
    .filter((g): g is SecurityGroup & { GroupId: string } => !!g.GroupId && roles.has(g.GroupId))
    .map((group) => {
      const r = roles.get(group.GroupId)!;
      return { group, roles: [...r.roles], usedBy: [...r.usedBy] };
    });
  // A read failure throws (the part is unreadable); a group absent from the answer no longer exists and admits nothing.
  const missing = [...roles].filter(([id]) => !groups.some((g) => g.group.GroupId === id)).map(([id, r]): MissingObject => ({ kind: 'security group', id, referencedBy: [...r.usedBy] }));
  return { groups, missing };
}

/**
 * The prefix lists referenced, with their entries (one DescribeManagedPrefixLists for the names, one
 * GetManagedPrefixListEntries per list). A list that cannot be read is kept with the reason: the rules that need it
 * are then not evaluated, and the rest of the view is unaffected.
 */
async function readPrefixLists(reader: AwsReader, ids: string[], account: string): Promise<PrefixListView[]> {
  if (!ids.length) return [];
  const [described, entries] = await Promise.all([
    reader.describeManagedPrefixLists({ prefixListIds: ids }).catch((e: unknown) => reasonOf(e)),
    Promise.all(ids.map((id) => reader.getManagedPrefixListEntries(id).catch((e: unknown) => reasonOf(e)))),
  ]);
  return ids.map((prefixListId, n): PrefixListView => {
    const prefixList = typeof described === 'string' ? undefined : described.find((l) => l.PrefixListId === prefixListId);
    const e = entries[n];
    if (typeof e === 'string') return { prefixListId, ...(prefixList ? { prefixList } : {}), entries: [], unreadable: e };
    if (e === undefined) return { prefixListId, entries: [], unreadable: `it does not exist or is not shared with account ${account}`, notFound: true };
    return { prefixListId, ...(prefixList ? { prefixList } : {}), entries: e };
  });
}

const referencedPrefixLists = (groups: ClusterView['securityGroups']) =>
  uniq(groups.flatMap((g) => (g.group.IpPermissions ?? []).flatMap((p) => (p.PrefixListIds ?? []).map((r) => r.PrefixListId))));

/** The route table governing a subnet: its explicit association, else the main table of its VPC. */
export function effectiveRouteTable(subnetId: string, vpcId: string | undefined, tables: RouteTable[]): { table?: RouteTable; isMain: boolean } {
  const explicit = tables.find((t) => (t.Associations ?? []).some((a) => a.SubnetId === subnetId));
  if (explicit) return { table: explicit, isMain: false };
  const main = tables.find((t) => t.VpcId === vpcId && (t.Associations ?? []).some((a) => a.Main === true));
  return { table: main, isMain: !!main };
}

export function effectiveNetworkAcl(subnetId: string, vpcId: string | undefined, acls: NetworkAcl[]): NetworkAcl | undefined {
  // Every subnet is associated with exactly one ACL; a world written by hand may omit the default's association.
  return (
    acls.find((n) => (n.Associations ?? []).some((a) => a.SubnetId === subnetId)) ?? acls.find((n) => n.VpcId === vpcId && n.IsDefault === true)
  );
}

/**
 * Node subnets with their governing route table and network ACL, plus every subnet of their VPCs (with its ACL), so
 * rules can tell node subnets from the others (bastion subnets behind their own ACL). Without `routes`, the node
 * subnets alone, as EC2 describes them (the 'subnets' part): no route table, network ACL or other subnet is read.
 */
async function readNetwork(reader: AwsReader, cluster: Cluster, nodes: Nodes, opts: { routes: boolean }): Promise<Pick<ClusterView, 'subnets' | 'vpcSubnets' | 'missing'>> {
  const usedBy = new Map<string, Set<string>>();
  const use = (subnetId: string, user: string) => usedBy.set(subnetId, (usedBy.get(subnetId) ?? new Set()).add(user));
  for (const ng of nodes.nodegroups) for (const s of ng.nodegroup.subnets ?? []) use(s, ng.nodegroup.nodegroupName ?? '');
  for (const g of nodes.selfManagedGroups) for (const s of g.subnetIds) use(s, g.group.AutoScalingGroupName ?? '');
  for (const i of nodes.selfManagedInstances) for (const s of instanceSubnetIds(i)) use(s, i.InstanceId ?? '');
  if (!usedBy.size) return { subnets: [], vpcSubnets: [], missing: [] };

  // One call for the whole VPC when the cluster names it; node subnets elsewhere (rare) are read by id.
  const clusterVpc = cluster.resourcesVpcConfig?.vpcId || undefined;
  let all: Subnet[] = clusterVpc ? await reader.describeSubnets({ filters: [{ Name: 'vpc-id', Values: [clusterVpc] }] }) : [];
  const elsewhere = [...usedBy.keys()].filter((id) => !all.some((x) => x.SubnetId === id));
  if (elsewhere.length) {
    const found = await reader.describeSubnets({ subnetIds: elsewhere });
    // Their VPCs' other subnets matter only beside the ACLs (bastion subnets).
    const otherVpcs = opts.routes ? uniq(found.map((x) => x.VpcId)).filter((v) => v !== clusterVpc) : [];
    all = [...all, ...found, ...(otherVpcs.length ? await reader.describeSubnets({ filters: [{ Name: 'vpc-id', Values: otherVpcs }] }) : [])];
  }
  all = [...new Map(all.map((x) => [x.SubnetId, x])).values()];
  const subnets = all.filter((x) => usedBy.has(x.SubnetId ?? ''));
  // A subnet a node group still names but EC2 no longer knows hosts no node: said, not judged.
  const missing = [...usedBy].filter(([id]) => !subnets.some((x) => x.SubnetId === id)).map(([id, u]): MissingObject => ({ kind: 'subnet', id, referencedBy: [...u] }));
  const vpcIds = uniq(subnets.map((x) => x.VpcId));
  if (!vpcIds.length || !opts.routes) return { subnets: subnets.map((subnet) => ({ subnet, routeTableIsMain: false, usedBy: [...(usedBy.get(subnet.SubnetId ?? '') ?? [])] })), vpcSubnets: [], missing };
  const vpcFilter = [{ Name: 'vpc-id', Values: vpcIds }];
  const [tables, acls] = await Promise.all([reader.describeRouteTables({ filters: vpcFilter }), reader.describeNetworkAcls({ filters: vpcFilter })]);
  const views: SubnetView[] = subnets.map((subnet) => {
    const id = subnet.SubnetId ?? '';
    const rt = effectiveRouteTable(id, subnet.VpcId, tables);
    const networkAcl = effectiveNetworkAcl(id, subnet.VpcId, acls);
    return {
      subnet,
      ...(rt.table ? { routeTable: rt.table } : {}),
      routeTableIsMain: rt.isMain,
      ...(networkAcl ? { networkAcl } : {}),
      usedBy: [...(usedBy.get(id) ?? [])],
    };
  });
  const vpcSubnets = all
    .filter((x) => vpcIds.includes(x.VpcId ?? ''))
    .map((subnet) => {
      const networkAcl = effectiveNetworkAcl(subnet.SubnetId ?? '', subnet.VpcId, acls);
      return { subnet, ...(networkAcl ? { networkAcl } : {}) };
    });
  return { subnets: views, vpcSubnets, missing };
}

/**
 * The roles the nodes run as: managed node groups' `nodeRole`; self-managed groups' and instances' instance profile
 * (from the launch template, the launch configuration, or the instance), resolved with GetInstanceProfile. Nodes
 * with no instance profile, or one that does not exist, are listed apart. Documents are read for every role.
 */
async function readNodeRoles(reader: AwsReader, nodes: Nodes, account: string): Promise<Pick<ClusterView, 'nodeRoles' | 'nodesWithoutRole' | 'instanceProfiles'>> {
  const roles = new Map<string, { usedBy: Set<string>; via: Set<string> }>();
  const addRole = (arn: string, user: string, via: string) => {
    const e = roles.get(arn) ?? { usedBy: new Set<string>(), via: new Set<string>() };
    e.usedBy.add(user);
    e.via.add(via);
    roles.set(arn, e);
  };
  type Node = Pick<NodeWithoutRole, 'node' | 'resourceType'>;
  const profiles = new Map<string, Map<string, Node>>(); // instance profile name → the nodes using it
  const nodesWithoutRole: NodeWithoutRole[] = [];
  const useProfile = (profile: string | undefined, node: string, resourceType: Node['resourceType']) => {
    const name = profile && (profile.startsWith('arn:') ? instanceProfileName(profile) : profile);
    if (!name) return void nodesWithoutRole.push({ node, resourceType, reason: 'launches nodes without an instance profile (no IAM role)' });
    profiles.set(name, (profiles.get(name) ?? new Map<string, Node>()).set(`${resourceType} ${node}`, { node, resourceType }));
  };
  for (const ng of nodes.nodegroups) if (ng.nodegroup.nodeRole) addRole(ng.nodegroup.nodeRole, ng.nodegroup.nodegroupName ?? '', 'nodegroup.nodeRole');
  for (const g of nodes.selfManagedGroups) {
    const name = g.group.AutoScalingGroupName ?? '';
    const fromTemplates = uniq(g.launchTemplates.map((t) => t.LaunchTemplateData?.IamInstanceProfile?.Arn ?? t.LaunchTemplateData?.IamInstanceProfile?.Name));
    const declared = [...fromTemplates, ...(g.launchConfiguration?.IamInstanceProfile ? [g.launchConfiguration.IamInstanceProfile] : [])];
    if (declared.length) declared.forEach((p) => useProfile(p, name, 'group'));
    else if (!g.instances.length) useProfile(undefined, name, 'group');
  }
  for (const i of nodes.selfManagedInstances) {
    const group = groupOf(nodes, i);
    useProfile(i.IamInstanceProfile?.Arn, group ?? i.InstanceId ?? '', group ? 'group' : 'instance');
  }
  const names = [...profiles.keys()];
  const found = await Promise.all(names.map((n) => reader.getInstanceProfile(n)));
  names.forEach((n, i) => {
    const role = found[i]?.Roles?.[0]?.Arn;
    for (const { node, resourceType } of profiles.get(n)?.values() ?? []) {
      if (role) addRole(role, node, `instance profile ${found[i]?.Arn ?? n}`);
      else nodesWithoutRole.push({ node, resourceType, instanceProfile: n, reason: found[i] ? `instance profile ${n} holds no role` : `instance profile ${n} does not exist` });
    }
  });
  const nodeRoles: NodeRoleView[] = await Promise.all(
    [...roles].map(async ([roleArn, e]) => ({ roleArn, usedBy: [...e.usedBy], via: [...e.via], details: await readRoleDetails(reader, roleArn, account, { documents: true }) })),
  );
  return {
    nodeRoles,
    nodesWithoutRole: [...new Map(nodesWithoutRole.map((n) => [`${n.resourceType}:${n.node}:${n.reason}`, n])).values()],
    instanceProfiles: found.filter((p): p is InstanceProfile => !!p),
  };
}

function arnOf(cluster: Cluster, name: string, ids: Ids): string {
  return cluster.arn ?? clusterArnOf(name, ids.account, ids.region);
}

export interface BuildOptions {
  /** When the evaluation began reading (the view's `asOf`, unless the reader is a recorded world); default: now. */
  now?: Date;
  /**
   * Where CreateCluster records come from, in order (see inventory/creator). Default: CloudTrail LookupEvents. The
   * pipeline puts the CreateCluster event it is processing first.
   */
  creatorSources?: readonly CreatorSource[];
}

/**
 * Reads one cluster's current state, only the parts asked for, in as few calls as the joins allow. Undefined when
 * the cluster does not exist. A part whose read fails (AccessDenied, throttling after retries) lands in
 * `unreadable` and the rest is still built. Reading the nodes for 'securityGroups', 'subnets', 'network', 'nodeRoles'
 * or 'eksLaunchTemplates' reads the node groups completely, so 'nodegroups' is marked loaded then too; 'network' holds
 * the node subnets, so 'subnets' is marked with it. 'creatorRole' is read after 'creator' and 'accessEntries', which
 * say who the creator is.
 */
export async function buildClusterView(
  reader: AwsReader,
  clusterName: string,
  parts: ReadonlySet<ViewPart>,
  ids: Ids,
  opts: BuildOptions = {},
): Promise<ClusterView | undefined> {
  const cluster = await reader.describeCluster(clusterName);
  if (!cluster) return undefined;

  const view: ClusterView = {
    account: ids.account,
    region: ids.region,
    name: clusterName,
    arn: arnOf(cluster, clusterName, ids),
    cluster,
    asOf: reader.recordedAt ?? opts.now ?? new Date(),
    nodegroups: [],
    selfManagedInstances: [],
    selfManagedGroups: [],
    securityGroups: [],
    attachments: [],
    prefixLists: [],
    missing: [],
    subnets: [],
    vpcSubnets: [],
    accessEntries: [],
    addons: [],
    creations: [],
    creatorSources: [],
    nodeRoles: [],
    nodesWithoutRole: [],
    instanceProfiles: [],
    clusterVersions: [],
    loaded: new Set<ViewPart>(),
    unreadable: [],
  };
  const loaded = new Set<ViewPart>();
  const fail = (part: ViewPart, e: unknown): void => {
    view.unreadable.push({ part, reason: reasonOf(e) });
  };
  /** Runs a read; its result lands in the view and the parts it fills are marked loaded, or they are marked unreadable. */
  const part = <T>(name: ViewPart | readonly ViewPart[], read: () => Promise<T>, store: (value: T) => void): Promise<void> => {
    const names = typeof name === 'string' ? [name] : name;
    return read().then(
      (value) => void (store(value), names.forEach((n) => loaded.add(n))),
      (e) => names.forEach((n) => fail(n, e)),
    );
  };

  const tasks: Promise<void>[] = [];
  const wantNodes = NEEDS_NODES.filter((p) => parts.has(p));
  if (wantNodes.length) {
    tasks.push(
      (async () => {
        let nodes: Nodes;
        try {
          nodes = await readNodes(reader, cluster, clusterName, { eksLaunchTemplates: parts.has('eksLaunchTemplates') });
        } catch (e) {
          for (const p of wantNodes) fail(p, e);
          return;
        }
        view.nodegroups = nodes.nodegroups;
        view.selfManagedInstances = nodes.selfManagedInstances;
        view.selfManagedGroups = nodes.selfManagedGroups;
        loaded.add('nodegroups');
        if (parts.has('eksLaunchTemplates')) loaded.add('eksLaunchTemplates');
        // Both parts may reference the same prefix list: read each once.
        const lists = new Map<string, Promise<PrefixListView>>();
        const prefixLists = async (wanted: string[]) => {
          const fresh = wanted.filter((id) => !lists.has(id));
          const read = readPrefixLists(reader, fresh, ids.account);
          fresh.forEach((id, n) => lists.set(id, read.then((all) => all[n])));
          const got = await Promise.all(wanted.map((id) => lists.get(id)!));
          view.prefixLists = [...view.prefixLists, ...got.filter((g) => !view.prefixLists.some((p) => p.prefixListId === g.prefixListId))];
        };
        const sub: Promise<void>[] = [];
        if (parts.has('securityGroups')) {
          const read = async () => {
            const g = await readSecurityGroups(reader, cluster, nodes);
            await prefixLists(referencedPrefixLists(g.groups));
            return g;
          };
          sub.push(
            part('securityGroups', read, (g) => {
              view.securityGroups = g.groups;
              view.attachments = groupAttachments(cluster, nodes);
              view.missing.push(...g.missing);
            }),
          );
        }
        if (parts.has('network') || parts.has('subnets')) {
          // The whole network holds the node subnets too: one read serves both parts.
          const routes = parts.has('network');
          const read = async () => {
            const n = await readNetwork(reader, cluster, nodes, { routes });
            await prefixLists(uniq(n.subnets.flatMap((s) => (s.routeTable?.Routes ?? []).map((r) => r.DestinationPrefixListId))));
            return n;
          };
          sub.push(
            part(routes ? ['network', 'subnets'] : 'subnets', read, ({ missing, ...n }) => {
              Object.assign(view, n);
              view.missing.push(...missing);
            }),
          );
        }
        if (parts.has('nodeRoles')) sub.push(part('nodeRoles', () => readNodeRoles(reader, nodes, ids.account), (r) => Object.assign(view, r)));
        await Promise.all(sub);
      })(),
    );
  }
  if (parts.has('accessEntries')) tasks.push(part('accessEntries', () => reader.listAccessEntries(clusterName), (a) => (view.accessEntries = a)));
  if (parts.has('addons')) tasks.push(part('addons', () => reader.describeAddon(clusterName, VPC_CNI), (a) => (view.addons = a ? [a] : [])));
  if (parts.has('clusterVersions')) tasks.push(part('clusterVersions', () => reader.describeClusterVersions(), (v) => (view.clusterVersions = v)));
  if (parts.has('kubernetes')) {
    tasks.push(
      reader.readKubernetes(cluster).then(
        (k) => {
          if (k) {
            view.kubernetes = k;
            loaded.add('kubernetes');
          } else {
            view.unreadable.push({ part: 'kubernetes', reason: 'the Kubernetes API of the cluster is recorded as unreadable' });
          }
        },
        (e) => fail('kubernetes', e),
      ),
    );
  }
  if (parts.has('creator')) {
    tasks.push(part('creator', () => readCreator(opts.creatorSources ?? defaultCreatorSources(reader), cluster, clusterName), (c) => Object.assign(view, c)));
  }
  await Promise.all(tasks);
  view.loaded = loaded;

  if (parts.has('creatorRole')) {
    const who = identifyCreator(view);
    const arn = 'creator' in who && who.creator.kind === 'role' ? who.creator.arn : undefined;
    await part('creatorRole', async () => (arn ? readRoleDetails(reader, arn, ids.account, { documents: false }) : undefined), (r) => {
      if (r) view.creatorRole = r;
    });
  }
  return view;
}

/** Account-level state: every trail this region sees (shadow trails of other regions' multi-region trails included). */
export async function buildAccountView(reader: AwsReader, ids: Ids): Promise<AccountView> {
  const view: AccountView = { account: ids.account, region: ids.region, trails: [], unreadable: [] };
  let trails;
  try {
    trails = await reader.describeTrails();
  } catch (e) {
    view.unreadable.push({ part: 'trails', reason: reasonOf(e) });
    return view;
  }
  const problems: string[] = [];
  view.trails = await Promise.all(
    trails.map(async (trail): Promise<TrailView> => {
      const arn = trail.TrailARN ?? trail.Name ?? '';
      const [status, eventSelectors] = await Promise.all([
        reader.getTrailStatus(arn).catch((e: unknown) => void problems.push(`${arn}: ${reasonOf(e)}`)),
        reader.getEventSelectors(arn).catch((e: unknown) => void problems.push(`${arn}: ${reasonOf(e)}`)),
      ]);
      return { trail, ...(status ? { status } : {}), ...(eventSelectors ? { eventSelectors } : {}) };
    }),
  );
  // A trail whose status or selectors are unknown cannot be judged logging or blind: the rule must not guess.
  if (problems.length) view.unreadable.push({ part: 'trails', reason: problems.join('; ') });
  return view;
}
