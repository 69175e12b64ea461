import type { Cluster, Nodegroup } from '@aws-sdk/client-eks';
import type { Instance, LaunchTemplateVersion, NetworkAcl, RouteTable, SecurityGroup } from '@aws-sdk/client-ec2';
import type { AwsReader } from './reader';
import { ReadError } from './reader';
import type { AccountView, ClusterView, NodegroupView, SecurityGroupRole, SubnetView, TrailView, ViewPart } from './view';
import { parseLookupRecord } from './lookupMatch';

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

function templateGroups(v: LaunchTemplateVersion): string[] {
  const d = v.LaunchTemplateData;
  return uniq([...(d?.SecurityGroupIds ?? []), ...(d?.NetworkInterfaces ?? []).flatMap((n) => n.Groups ?? [])]);
}

/**
 * Node security groups (DESIGN "Node security groups"): a managed node group without a launch template gets the
 * cluster security group plus its remote-access group; with one, the template's groups — and when the template
 * names none, EKS attaches the cluster security group. A template that could not be found leaves only what is known.
 */
function nodegroupSecurityGroups(cluster: Cluster, ng: Nodegroup, lt: LaunchTemplateVersion | undefined, hasTemplate: boolean): string[] {
  const remote = ng.resources?.remoteAccessSecurityGroup;
  if (!hasTemplate) return uniq([clusterSecurityGroupId(cluster), remote]);
  if (!lt) return uniq([remote]);
  const groups = templateGroups(lt);
  return uniq([...(groups.length ? groups : [clusterSecurityGroupId(cluster)]), remote]);
}

function instanceGroups(i: Instance): string[] {
  return uniq([...(i.SecurityGroups ?? []).map((g) => g.GroupId), ...(i.NetworkInterfaces ?? []).flatMap((n) => (n.Groups ?? []).map((g) => g.GroupId))]);
}

function instanceSubnets(i: Instance): string[] {
  return uniq([i.SubnetId, ...(i.NetworkInterfaces ?? []).map((n) => n.SubnetId)]);
}

const tag = (i: Instance, key: string) => (i.Tags ?? []).find((t) => t.Key === key)?.Value;

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
  const versions = new Map<string, LaunchTemplateVersion[]>();
  await Promise.all(
    [...byTemplate].map(async ([key, t]) => {
      versions.set(
        key,
        await reader.describeLaunchTemplateVersions({ launchTemplateId: t.id, launchTemplateName: t.id ? undefined : t.name, versions: [...t.versions] }),
      );
    }),
  );
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

  const nodegroups: NodegroupView[] = groups.map((ng) => {
    const launchTemplate = versionFor(ng);
    return {
      nodegroup: ng,
      ...(launchTemplate ? { launchTemplate } : {}),
      securityGroupIds: nodegroupSecurityGroups(cluster, ng, launchTemplate, !!templateRef(ng)),
    };
  });

  // Instances a managed node group launched carry eks:nodegroup-name; those are covered by the node group itself.
  const seen = new Set<string>();
  const selfManagedInstances = [...taggedK8s, ...taggedEks].filter((i) => {
    if (!i.InstanceId || seen.has(i.InstanceId)) return false;
    seen.add(i.InstanceId);
    return i.State?.Name !== 'terminated' && tag(i, 'eks:nodegroup-name') === undefined;
  });
  return { nodegroups, selfManagedInstances };
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
  for (const i of nodes.selfManagedInstances) for (const id of instanceGroups(i)) add(id, 'node', i.InstanceId ?? '');
  return out;
}

async function readSecurityGroups(reader: AwsReader, cluster: Cluster, nodes: Nodes): Promise<ClusterView['securityGroups']> {
  const roles = securityGroupRoles(cluster, nodes);
  if (!roles.size) return [];
  const groups = await reader.describeSecurityGroups({ groupIds: [...roles.keys()] });
  return groups
    .filter((g): g is SecurityGroup & { GroupId: string } => !!g.GroupId && roles.has(g.GroupId))
    .map((group) => {
      const r = roles.get(group.GroupId)!;
      return { group, roles: [...r.roles], usedBy: [...r.usedBy] };
    });
}

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

async function readNetwork(reader: AwsReader, nodes: Nodes): Promise<SubnetView[]> {
  const usedBy = new Map<string, Set<string>>();
  const use = (subnetId: string, user: string) => usedBy.set(subnetId, (usedBy.get(subnetId) ?? new Set()).add(user));
  for (const ng of nodes.nodegroups) for (const s of ng.nodegroup.subnets ?? []) use(s, ng.nodegroup.nodegroupName ?? '');
  for (const i of nodes.selfManagedInstances) for (const s of instanceSubnets(i)) use(s, i.InstanceId ?? '');
  if (!usedBy.size) return [];

  const subnets = await reader.describeSubnets({ subnetIds: [...usedBy.keys()] });
  const vpcIds = uniq(subnets.map((s) => s.VpcId));
  if (!vpcIds.length) return subnets.map((subnet) => ({ subnet, routeTableIsMain: false, usedBy: [...(usedBy.get(subnet.SubnetId ?? '') ?? [])] }));
  const vpcFilter = [{ Name: 'vpc-id', Values: vpcIds }];
  const [tables, acls] = await Promise.all([reader.describeRouteTables({ filters: vpcFilter }), reader.describeNetworkAcls({ filters: vpcFilter })]);
  return subnets.map((subnet) => {
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
        const sub: Promise<void>[] = [];
        if (parts.has('securityGroups')) {
          sub.push(
            readSecurityGroups(reader, cluster, nodes).then(
              (g) => void ((view.securityGroups = g), loaded.add('securityGroups')),
              (e) => fail('securityGroups', e),
            ),
          );
        }
        if (parts.has('network')) {
          sub.push(
            readNetwork(reader, nodes).then(
              (s) => void ((view.subnets = s), loaded.add('network')),
              (e) => fail('network', e),
            ),
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
