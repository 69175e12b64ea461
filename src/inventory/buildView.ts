import type { Cluster, Nodegroup } from '@aws-sdk/client-eks';
import type { Instance, LaunchTemplateVersion, NetworkAcl, RouteTable, SecurityGroup } from '@aws-sdk/client-ec2';
import type { AwsReader } from './reader';
import { ReadError } from './reader';
import type { AccountView, ClusterView, GroupAttachment, MissingObject, NodegroupView, PrefixListView, SecurityGroupRole, SubnetView, TrailView, ViewPart } from './view';
import { parseLookupRecord } from './lookupMatch';
import { instanceGroupIds, instanceSubnetIds } from './ec2Filters';

type Ids = { account: string; region: string };

/** Which view parts depend on knowing the nodes (node groups, their launch templates, self-managed instances). */
const NEEDS_NODES: readonly ViewPart[] = ['nodegroups', 'securityGroups', 'network'];

/** The addon whose configuration `pod-sg-isolation` reads; the only one the rules need. */
const VPC_CNI = 'vpc-cni';

/** A failed part's reason, for `unreadable`. Only ReadError is a "could not read"; anything else is a bug and propagates. */
function reasonOf(e: unknown): string {
  if (e instanceof ReadError) return e.message;
  throw e;
}

const uniq = <T>(xs: (T | undefined)[]): T[] => [...new Set(xs.filter((x): x is T => x !== undefined && x !== ''))];

interface Nodes {
  nodegroups: NodegroupView[];
  selfManagedInstances: Instance[];
}

function clusterSecurityGroupId(cluster: Cluster): string | undefined {
  return cluster.resourcesVpcConfig?.clusterSecurityGroupId || undefined;
}

/** The launch template version a node group runs: its recorded version, else the template's default. */
function templateRef(ng: Nodegroup): { key: string; id?: string; name?: string; version: string } | undefined {
  const lt = ng.launchTemplate;
  if (!lt || (!lt.id && !lt.name)) return undefined;
  return { key: lt.id ? `id:${lt.id}` : `name:${lt.name}`, id: lt.id, name: lt.name, version: lt.version || '$Default' };
}

/** The groups of each network interface a template gives its nodes: per NetworkInterfaces entry, and SecurityGroupIds. */
function templateInterfaces(v: LaunchTemplateVersion): string[][] {
  const d = v.LaunchTemplateData;
  const perInterface = (d?.NetworkInterfaces ?? []).map((n) => uniq(n.Groups ?? [])).filter((g) => g.length);
  return [...perInterface, ...(d?.SecurityGroupIds?.length ? [uniq(d.SecurityGroupIds)] : [])];
}

/**
 * The groups on each network interface of a managed node group's nodes (DESIGN "Node security groups"): without a
 * launch template, the cluster security group plus its remote-access group; with one, the template's groups — and
 * when the template names none, EKS attaches the cluster security group. A template that could not be found leaves
 * only what is known (the caller marks the set unknown).
 */
function nodegroupInterfaces(cluster: Cluster, ng: Nodegroup, lt: LaunchTemplateVersion | undefined, hasTemplate: boolean): string[][] {
  const remote = ng.resources?.remoteAccessSecurityGroup;
  if (!hasTemplate) return [uniq([clusterSecurityGroupId(cluster), remote])];
  if (!lt) return [uniq([remote])];
  const interfaces = templateInterfaces(lt);
  return (interfaces.length ? interfaces : [[clusterSecurityGroupId(cluster)]]).map((g) => uniq([...g, remote]));
}

/** The groups on each of an instance's network interfaces (what DescribeInstances says is attached now). */
function instanceInterfaces(i: Instance): { id?: string; groups: string[] }[] {
  const enis = (i.NetworkInterfaces ?? []).map((n) => ({ id: n.NetworkInterfaceId, groups: uniq((n.Groups ?? []).map((g) => g.GroupId)) }));
  return enis.length ? enis : [{ groups: uniq((i.SecurityGroups ?? []).map((g) => g.GroupId)) }];
}


const tag = (i: Instance, key: string) => (i.Tags ?? []).find((t) => t.Key === key)?.Value;

const ASG_TAG = 'aws:autoscaling:groupName';

async function readNodes(reader: AwsReader, cluster: Cluster, name: string): Promise<Nodes> {
  const [names, taggedK8s, taggedEks] = await Promise.all([
    reader.listNodegroups(name),
    reader.describeInstances({ filters: [{ Name: 'tag-key', Values: [`kubernetes.io/cluster/${name}`] }] }),
    reader.describeInstances({ filters: [{ Name: 'tag:eks:cluster-name', Values: [name] }] }),
  ]);
  // A node group listed then deleted before we describe it is simply gone.
  const groups = (await Promise.all(names.map((n) => reader.describeNodegroup(name, n)))).filter((n): n is Nodegroup => !!n);

  // One DescribeLaunchTemplateVersions per template, for every version the node groups run.
  const byTemplate = new Map<string, { id?: string; name?: string; versions: Set<string> }>();
  for (const ng of groups) {
    const ref = templateRef(ng);
    if (!ref) continue;
    const t = byTemplate.get(ref.key) ?? { id: ref.id, name: ref.name, versions: new Set<string>() };
    t.versions.add(ref.version);
    byTemplate.set(ref.key, t);
  }
  // Managed nodes by their Auto Scaling group: `aws:` tags cannot be removed, so stripping a node's cluster tags does not hide it.
  const asgOwner = new Map<string, string>();
  for (const ng of groups) for (const asg of ng.resources?.autoScalingGroups ?? []) if (asg.name) asgOwner.set(asg.name, ng.nodegroupName ?? '');
  const versions = new Map<string, LaunchTemplateVersion[]>();
  const [inAsgs] = await Promise.all([
    asgOwner.size ? reader.describeInstances({ filters: [{ Name: `tag:${ASG_TAG}`, Values: [...asgOwner.keys()] }] }) : Promise.resolve([]),
    ...[...byTemplate].map(async ([key, t]) => {
      versions.set(
        key,
        await reader.describeLaunchTemplateVersions({ launchTemplateId: t.id, launchTemplateName: t.id ? undefined : t.name, versions: [...t.versions] }),
      );
    }),
  ]);
  const versionFor = (ng: Nodegroup): LaunchTemplateVersion | undefined => {
    const ref = templateRef(ng);
    if (!ref) return undefined;
    const found = versions.get(ref.key) ?? [];
    return ref.version === '$Default'
      ? found.find((v) => v.DefaultVersion)
      : ref.version === '$Latest'
        ? found.reduce<LaunchTemplateVersion | undefined>((a, v) => ((v.VersionNumber ?? 0) > (a?.VersionNumber ?? -1) ? v : a), undefined)
        : found.find((v) => String(v.VersionNumber) === ref.version);
  };

  // A node belongs to a managed node group by its Auto Scaling group; only node groups that report none (hand-written
  // worlds) fall back to the eks:nodegroup-name tag, which anyone who can tag an instance could forge.
  const withAsg = new Set(asgOwner.values());
  const ngNames = new Set(groups.map((g) => g.nodegroupName ?? ''));
  const ownerOf = (i: Instance): string | undefined => {
    const byAsg = asgOwner.get(tag(i, ASG_TAG) ?? '');
    if (byAsg !== undefined) return byAsg;
    const claimed = tag(i, 'eks:nodegroup-name');
    return claimed !== undefined && ngNames.has(claimed) && !withAsg.has(claimed) ? claimed : undefined;
  };
  const seen = new Set<string>();
  const live = [...inAsgs, ...taggedK8s, ...taggedEks].filter((i) => {
    if (!i.InstanceId || seen.has(i.InstanceId)) return false;
    seen.add(i.InstanceId);
    return i.State?.Name !== 'terminated';
  });

  const nodegroups: NodegroupView[] = groups.map((ng) => {
    const launchTemplate = versionFor(ng);
    const ref = templateRef(ng);
    const launchTemplateProblem =
      ref && !launchTemplate ? `launch template ${ref.id ?? ref.name} version ${ref.version} of node group ${ng.nodegroupName} was not found` : undefined;
    return {
      nodegroup: ng,
      ...(launchTemplate ? { launchTemplate } : {}),
      ...(launchTemplateProblem ? { launchTemplateProblem } : {}),
      securityGroupIds: uniq(nodegroupInterfaces(cluster, ng, launchTemplate, !!ref).flat()),
      instances: live.filter((i) => ownerOf(i) === ng.nodegroupName),
    };
  });
  return { nodegroups, selfManagedInstances: live.filter((i) => ownerOf(i) === undefined) };
}

/**
 * Which groups share a network interface: the control plane's, each node group's configured nodes', and each running
 * node's actual ENIs (what an attacker changes with ModifyInstanceAttribute / ModifyNetworkInterfaceAttribute).
 * Identical sets are listed once, with everything that carries them.
 */
function groupAttachments(cluster: Cluster, nodes: Nodes): GroupAttachment[] {
  const out = new Map<string, GroupAttachment>();
  const add = (on: string, groupIds: string[], unknown?: string) => {
    if (!groupIds.length && !unknown) return;
    const key = `${[...groupIds].sort().join(',')}${unknown ? '?' : ''}`;
    const known = out.get(key);
    if (known) known.on.push(on);
    else out.set(key, { on: [on], groupIds, ...(unknown ? { unknown } : {}) });
  };
  add('control plane', uniq([clusterSecurityGroupId(cluster), ...(cluster.resourcesVpcConfig?.securityGroupIds ?? [])]));
  for (const ng of nodes.nodegroups) {
    const label = `node group ${ng.nodegroup.nodegroupName}`;
    // Groups named by name (EC2-Classic and default-VPC style) are not resolved to ids here: unknown, not absent.
    const byName = ng.launchTemplate?.LaunchTemplateData?.SecurityGroups?.length
      ? `launch template ${ng.launchTemplate.LaunchTemplateId} version ${ng.launchTemplate.VersionNumber} names its security groups by name (${ng.launchTemplate.LaunchTemplateData.SecurityGroups.join(', ')})`
      : undefined;
    const unknown = ng.launchTemplateProblem ?? byName;
    for (const groups of nodegroupInterfaces(cluster, ng.nodegroup, ng.launchTemplate, !!templateRef(ng.nodegroup))) add(label, groups, unknown);
  }
  for (const i of [...nodes.nodegroups.flatMap((ng) => ng.instances), ...nodes.selfManagedInstances]) {
    for (const eni of instanceInterfaces(i)) add(`instance ${i.InstanceId}${eni.id ? ` (${eni.id})` : ''}`, eni.groups);
  }
  return [...out.values()];
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
  for (const ng of nodes.nodegroups) {
    const name = ng.nodegroup.nodegroupName ?? '';
    const remote = ng.nodegroup.resources?.remoteAccessSecurityGroup;
    for (const id of ng.securityGroupIds) add(id, id === remote ? 'remote-access' : 'node', name);
  }
  // A managed node names only the groups its node group does not already account for (those an ENI change added).
  for (const ng of nodes.nodegroups) {
    for (const i of ng.instances) for (const id of instanceGroupIds(i)) if (!ng.securityGroupIds.includes(id)) add(id, 'node', i.InstanceId ?? '');
  }
  for (const i of nodes.selfManagedInstances) for (const id of instanceGroupIds(i)) add(id, 'node', i.InstanceId ?? '');
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

async function readNetwork(reader: AwsReader, nodes: Nodes): Promise<{ subnets: SubnetView[]; missing: MissingObject[] }> {
  const usedBy = new Map<string, Set<string>>();
  const use = (subnetId: string, user: string) => usedBy.set(subnetId, (usedBy.get(subnetId) ?? new Set()).add(user));
  for (const ng of nodes.nodegroups) for (const s of ng.nodegroup.subnets ?? []) use(s, ng.nodegroup.nodegroupName ?? '');
  for (const i of nodes.selfManagedInstances) for (const s of instanceSubnetIds(i)) use(s, i.InstanceId ?? '');
  if (!usedBy.size) return { subnets: [], missing: [] };

  const subnets = await reader.describeSubnets({ subnetIds: [...usedBy.keys()] });
  // A subnet a node group still names but EC2 no longer knows hosts no node: said, not judged.
  const missing = [...usedBy].filter(([id]) => !subnets.some((x) => x.SubnetId === id)).map(([id, u]): MissingObject => ({ kind: 'subnet', id, referencedBy: [...u] }));
  const vpcIds = uniq(subnets.map((s) => s.VpcId));
  if (!vpcIds.length) return { subnets: subnets.map((subnet) => ({ subnet, routeTableIsMain: false, usedBy: [...(usedBy.get(subnet.SubnetId ?? '') ?? [])] })), missing };
  const vpcFilter = [{ Name: 'vpc-id', Values: vpcIds }];
  const [tables, acls] = await Promise.all([reader.describeRouteTables({ filters: vpcFilter }), reader.describeNetworkAcls({ filters: vpcFilter })]);
  const views = subnets.map((subnet): SubnetView => {
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
  return { subnets: views, missing };
}

/** Slack for clock differences between CloudTrail's eventTime and EKS's createdAt. */
const CREATE_SLACK_MS = 10 * 60_000;

/**
 * The CreateCluster record of this cluster. A name can be reused after a deletion, so the record is the newest
 * successful EKS CreateCluster for the name not later than the cluster's creation time.
 */
async function readCreator(reader: AwsReader, cluster: Cluster, name: string): Promise<ClusterView['creatorEvent']> {
  const events = await reader.lookupEvents({ eventName: 'CreateCluster', resourceName: name });
  const created = cluster.createdAt?.getTime();
  const candidates = events
    .map((e) => ({ ...e, record: parseLookupRecord(e) }))
    .filter((e) => {
      const r = e.record;
      // CreateCluster is also an ECS (and other services') call.
      if ([r?.eventSource, e.EventSource].some((s) => s !== undefined && s !== 'eks.amazonaws.com')) return false;
      if (r?.errorCode) return false;
      const params = r?.requestParameters as Record<string, unknown> | undefined;
      if (params?.name !== undefined && params.name !== name) return false;
      const t = e.EventTime?.getTime();
      return created === undefined || t === undefined || t <= created + CREATE_SLACK_MS;
    })
    .sort((a, b) => (b.EventTime?.getTime() ?? 0) - (a.EventTime?.getTime() ?? 0));
  return candidates[0];
}

function arnOf(cluster: Cluster, name: string, ids: Ids): string {
  if (cluster.arn) return cluster.arn;
  const partition = ids.region.startsWith('cn-') ? 'aws-cn' : ids.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:eks:${ids.region}:${ids.account}:cluster/${name}`;
}

/**
 * Reads one cluster's current state, only the parts asked for, in as few calls as the joins allow. Undefined when
 * the cluster does not exist. A part whose read fails (AccessDenied, throttling after retries) lands in
 * `unreadable` and the rest is still built. Reading the nodes for 'securityGroups' or 'network' reads the node
 * groups completely, so 'nodegroups' is marked loaded then too.
 */
export async function buildClusterView(reader: AwsReader, clusterName: string, parts: ReadonlySet<ViewPart>, ids: Ids): Promise<ClusterView | undefined> {
  const cluster = await reader.describeCluster(clusterName);
  if (!cluster) return undefined;

  const view: ClusterView = {
    account: ids.account,
    region: ids.region,
    name: clusterName,
    arn: arnOf(cluster, clusterName, ids),
    cluster,
    nodegroups: [],
    selfManagedInstances: [],
    securityGroups: [],
    attachments: [],
    prefixLists: [],
    missing: [],
    subnets: [],
    accessEntries: [],
    addons: [],
    loaded: new Set<ViewPart>(),
    unreadable: [],
  };
  const loaded = new Set<ViewPart>();
  const fail = (part: ViewPart, e: unknown): void => {
    view.unreadable.push({ part, reason: reasonOf(e) });
  };

  const tasks: Promise<void>[] = [];
  const wantNodes = NEEDS_NODES.filter((p) => parts.has(p));
  if (wantNodes.length) {
    tasks.push(
      (async () => {
        let nodes: Nodes;
        try {
          nodes = await readNodes(reader, cluster, clusterName);
        } catch (e) {
          for (const p of wantNodes) fail(p, e);
          return;
        }
        view.nodegroups = nodes.nodegroups;
        view.selfManagedInstances = nodes.selfManagedInstances;
        loaded.add('nodegroups');
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
          sub.push(
            readSecurityGroups(reader, cluster, nodes)
              .then(async (g) => {
                await prefixLists(referencedPrefixLists(g.groups));
                view.securityGroups = g.groups;
                view.attachments = groupAttachments(cluster, nodes);
                view.missing.push(...g.missing);
                loaded.add('securityGroups');
              })
              .catch((e: unknown) => fail('securityGroups', e)),
          );
        }
        if (parts.has('network')) {
          sub.push(
            readNetwork(reader, nodes)
              .then(async (n) => {
                await prefixLists(uniq(n.subnets.flatMap((s) => (s.routeTable?.Routes ?? []).map((r) => r.DestinationPrefixListId))));
                view.subnets = n.subnets;
                view.missing.push(...n.missing);
                loaded.add('network');
              })
              .catch((e: unknown) => fail('network', e)),
          );
        }
        await Promise.all(sub);
      })(),
    );
  }
  if (parts.has('accessEntries')) {
    tasks.push(
      reader.listAccessEntries(clusterName).then(
        (a) => void ((view.accessEntries = a), loaded.add('accessEntries')),
        (e) => fail('accessEntries', e),
      ),
    );
  }
  if (parts.has('addons')) {
    tasks.push(
      reader.describeAddon(clusterName, VPC_CNI).then(
        (a) => void ((view.addons = a ? [a] : []), loaded.add('addons')),
        (e) => fail('addons', e),
      ),
    );
  }
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
    tasks.push(
      readCreator(reader, cluster, clusterName).then(
        (c) => void ((view.creatorEvent = c), loaded.add('creator')),
        (e) => fail('creator', e),
      ),
    );
  }
  await Promise.all(tasks);
  view.loaded = loaded;
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
