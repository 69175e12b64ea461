import type { Cluster, Nodegroup } from '@aws-sdk/client-eks';
import type { Instance, LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import type { AutoScalingGroup, LaunchConfiguration, LaunchTemplateSpecification } from '@aws-sdk/client-auto-scaling';
import type { AwsReader } from './reader';
import type { EksLaunchTemplate, GroupAttachment, NodegroupView, SelfManagedGroupView } from './view';
import { instanceGroupIds } from './ec2Filters';

/**
 * A cluster's nodes, decided in one place: managed node groups with the instances of their Auto Scaling groups,
 * self-managed Auto Scaling groups with theirs, and self-managed instances (every instance that is a node and belongs
 * to no managed node group, group members included).
 */
export interface Nodes {
  nodegroups: NodegroupView[];
  selfManagedGroups: SelfManagedGroupView[];
  selfManagedInstances: Instance[];
}

/** EC2 tags every instance an Auto Scaling group launches with the group's name; an `aws:` tag no user can set or remove. */
export const GROUP_TAG = 'aws:autoscaling:groupName';
/** The tag a managed node group puts on its nodes. Anyone who can tag an instance can write it: a claim, never proof. */
const NODEGROUP_TAG = 'eks:nodegroup-name';

export const uniq = <T>(xs: (T | undefined)[]): T[] => [...new Set(xs.filter((x): x is T => x !== undefined && x !== ''))];

export const tagOf = (tags: { Key?: string; Value?: string }[] | undefined, key: string) => (tags ?? []).find((t) => t.Key === key)?.Value;

export function clusterSecurityGroupId(cluster: Cluster): string | undefined {
  return cluster.resourcesVpcConfig?.clusterSecurityGroupId || undefined;
}

interface TemplateRef {
  key: string;
  id?: string;
  name?: string;
  version: string;
}

/** A template reference as a node group or an Auto Scaling group spells it; no version means the default version. */
function templateRef(spec: { id?: string; name?: string; version?: string } | undefined): TemplateRef | undefined {
  if (!spec || (!spec.id && !spec.name)) return undefined;
  return { key: spec.id ? `id:${spec.id}` : `name:${spec.name}`, id: spec.id, name: spec.name, version: spec.version || '$Default' };
}

export const nodegroupTemplate = (ng: Nodegroup) => templateRef(ng.launchTemplate);
const asgTemplate = (s: LaunchTemplateSpecification | undefined) => templateRef(s && { id: s.LaunchTemplateId, name: s.LaunchTemplateName, version: s.Version });

/** Every template an Auto Scaling group can launch from: its own, or its mixed-instances policy's and its overrides'. */
function groupTemplates(g: AutoScalingGroup): TemplateRef[] {
  const mixed = g.MixedInstancesPolicy?.LaunchTemplate;
  const refs = [asgTemplate(g.LaunchTemplate), asgTemplate(mixed?.LaunchTemplateSpecification), ...(mixed?.Overrides ?? []).map((o) => asgTemplate(o.LaunchTemplateSpecification))];
  return [...new Map(uniq(refs).map((r) => [`${r.key}@${r.version}`, r])).values()];
}

/** True when the group launches from the template (its own, its mixed-instances policy's, or an override's). */
export function launchesFrom(g: AutoScalingGroup, t: { id?: string; name?: string }): boolean {
  return groupTemplates(g).some((r) => (!!t.id && r.id === t.id) || (!!t.name && r.name === t.name));
}

const describeRef = (ref: TemplateRef) => `launch template ${ref.id ?? ref.name} version ${ref.version}`;

/** The groups of each network interface a template gives its nodes: per NetworkInterfaces entry, and SecurityGroupIds. */
function templateInterfaces(v: LaunchTemplateVersion): string[][] {
  const d = v.LaunchTemplateData;
  const perInterface = (d?.NetworkInterfaces ?? []).map((n) => uniq(n.Groups ?? [])).filter((g) => g.length);
  return [...perInterface, ...(d?.SecurityGroupIds?.length ? [uniq(d.SecurityGroupIds)] : [])];
}

/** Groups named by name (EC2-Classic and default-VPC style) are not resolved to ids: the set is unknown, not empty. */
function namedGroups(v: LaunchTemplateVersion): string | undefined {
  const names = v.LaunchTemplateData?.SecurityGroups ?? [];
  return names.length ? `launch template ${v.LaunchTemplateId} version ${v.VersionNumber} names its security groups by name (${names.join(', ')})` : undefined;
}

/**
 * The groups on each network interface of a managed node group's nodes (DESIGN "Node security groups"): without a
 * launch template, the cluster security group plus its remote-access group; with one, the template's groups — and
 * when the template names none, EKS attaches the cluster security group. A template that could not be found leaves
 * only what is known (`launchTemplateProblem` marks the set unknown).
 */
function nodegroupInterfaces(cluster: Cluster, ng: Nodegroup, lt: LaunchTemplateVersion | undefined): string[][] {
  const remote = ng.resources?.remoteAccessSecurityGroup;
  if (!nodegroupTemplate(ng)) return [uniq([clusterSecurityGroupId(cluster), remote])];
  if (!lt) return [uniq([remote])];
  const interfaces = templateInterfaces(lt);
  return (interfaces.length ? interfaces : [[clusterSecurityGroupId(cluster)]]).map((g) => uniq([...g, remote]));
}

/** Every security group a managed node group puts on its nodes (see nodegroupInterfaces): what the view and the cluster index both say it uses. */
export function nodegroupSecurityGroupIds(cluster: Cluster, ng: Nodegroup, lt: LaunchTemplateVersion | undefined): string[] {
  return uniq(nodegroupInterfaces(cluster, ng, lt).flat());
}

/** A self-managed group's interfaces: each template's, or its launch configuration's groups. */
function selfManagedInterfaces(g: Pick<SelfManagedGroupView, 'launchTemplates' | 'launchConfiguration'>): string[][] {
  const fromConfig = g.launchConfiguration?.SecurityGroups?.length ? [uniq(g.launchConfiguration.SecurityGroups)] : [];
  return [...g.launchTemplates.flatMap(templateInterfaces), ...fromConfig];
}

/** The groups on each of an instance's network interfaces (what DescribeInstances says is attached now). */
function instanceInterfaces(i: Instance): { id?: string; groups: string[] }[] {
  const enis = (i.NetworkInterfaces ?? []).map((n) => ({ id: n.NetworkInterfaceId, groups: uniq((n.Groups ?? []).map((g) => g.GroupId)) }));
  return enis.length ? enis : [{ groups: uniq((i.SecurityGroups ?? []).map((g) => g.GroupId)) }];
}

/** ListNodegroups, then DescribeNodegroup of each; a node group listed then deleted before it is described is simply gone. */
export async function describeNodegroups(reader: AwsReader, cluster: string): Promise<Nodegroup[]> {
  const names = await reader.listNodegroups(cluster);
  return (await Promise.all(names.map((n) => reader.describeNodegroup(cluster, n)))).filter((n): n is Nodegroup => !!n);
}

/** One DescribeLaunchTemplateVersions per template, for every version asked; then the version each reference runs. */
export async function readTemplates(reader: AwsReader, refs: TemplateRef[]): Promise<(ref: TemplateRef) => LaunchTemplateVersion | undefined> {
  const byTemplate = new Map<string, { id?: string; name?: string; versions: Set<string> }>();
  for (const ref of refs) {
    const t = byTemplate.get(ref.key) ?? { id: ref.id, name: ref.name, versions: new Set<string>() };
    t.versions.add(ref.version);
    byTemplate.set(ref.key, t);
  }
  const versions = new Map<string, LaunchTemplateVersion[]>();
  await Promise.all(
    [...byTemplate].map(async ([key, t]) => {
      versions.set(key, await reader.describeLaunchTemplateVersions({ launchTemplateId: t.id, launchTemplateName: t.id ? undefined : t.name, versions: [...t.versions] }));
    }),
  );
  return (ref) => versionNamed(versions.get(ref.key) ?? [], ref.version);
}

/** The version a reference names among a template's versions: a number, `$Default` or `$Latest`. */
export function versionNamed(found: readonly LaunchTemplateVersion[], version: string): LaunchTemplateVersion | undefined {
  return version === '$Default'
    ? found.find((v) => v.DefaultVersion)
    : version === '$Latest'
      ? found.reduce<LaunchTemplateVersion | undefined>((a, v) => ((v.VersionNumber ?? 0) > (a?.VersionNumber ?? -1) ? v : a), undefined)
      : found.find((v) => String(v.VersionNumber) === version);
}

/** What readNodes reads beyond the nodes themselves. */
export interface ReadNodesOptions {
  /** The launch templates EKS created for managed node groups without their own (through their Auto Scaling groups). */
  eksLaunchTemplates?: boolean;
}

/**
 * What a managed node group without a template of its own launches from: the template (or mixed-instances policy)
 * EKS gave its Auto Scaling groups. Anything that cannot be told is a `problem`, never an empty answer.
 */
function eksLaunchTemplateOf(
  ng: Nodegroup,
  described: ReadonlyMap<string, AutoScalingGroup>,
  versionFor: (ref: TemplateRef) => LaunchTemplateVersion | undefined,
): EksLaunchTemplate {
  const name = ng.nodegroupName;
  const names = uniq((ng.resources?.autoScalingGroups ?? []).map((a) => a.name));
  if (!names.length) return { autoScalingGroups: [], versions: [], problem: `node group ${name} reports no Auto Scaling group: the launch template EKS created for it cannot be read` };
  const autoScalingGroups = uniq(names.map((n) => described.get(n)));
  const refs = autoScalingGroups.flatMap((g) => groupTemplates(g).map((ref) => ({ g, ref })));
  const problems = [
    ...names.filter((n) => !described.has(n)).map((n) => `Auto Scaling group ${n} of node group ${name} was not found`),
    ...autoScalingGroups.filter((g) => !groupTemplates(g).length).map((g) => `Auto Scaling group ${g.AutoScalingGroupName} of node group ${name} names no launch template`),
    ...refs.filter(({ ref }) => !versionFor(ref)).map(({ g, ref }) => `${describeRef(ref)} of Auto Scaling group ${g.AutoScalingGroupName} (node group ${name}) was not found`),
  ];
  return { autoScalingGroups, versions: uniq(refs.map(({ ref }) => versionFor(ref))), ...(problems.length ? { problem: problems.join('; ') } : {}) };
}

/**
 * Reads the nodes of a cluster. Which instances and Auto Scaling groups are its nodes:
 * - a managed node group's Auto Scaling groups (DescribeNodegroup) and every member of them, whatever its other tags
 *   (stripping a node's cluster tags does not hide it: the group lists it, and `aws:autoscaling:groupName` names it);
 * - self-managed Auto Scaling groups: tagged `kubernetes.io/cluster/<name>` or `eks:cluster-name`, or the group of an
 *   instance tagged so (a group tagged through its launch template carries no tag itself); their members likewise,
 *   so an untagged member of a tagged group is a node too;
 * - self-managed instances: tagged `kubernetes.io/cluster/<name>` or `eks:cluster-name`, plus those members.
 * An instance or a group belongs to a managed node group only through that group's Auto Scaling group:
 * `eks:nodegroup-name` is a tag anyone can write, so it counts only for node groups that report no Auto Scaling group
 * (hand-written worlds).
 * Each group's launch template versions and launch configuration are read once; one that is referenced but cannot
 * be found is a `launchTemplateProblem` (the rules reading it are not evaluated), never an empty template.
 * With `eksLaunchTemplates`, the templates EKS created for managed node groups without their own are read in the same
 * batch, from the Auto Scaling groups the tag queries already returned.
 * Calls: ListNodegroups, two DescribeInstances and two DescribeAutoScalingGroups by tag, DescribeNodegroup per node
 * group, DescribeLaunchTemplateVersions per template; more only when something is off (a member or group stripped of
 * its tags, a group known only through its instances, a launch configuration).
 */
export async function readNodes(reader: AwsReader, cluster: Cluster, name: string, opts: ReadNodesOptions = {}): Promise<Nodes> {
  const [managed, taggedK8s, taggedEks, groupsK8s, groupsEks] = await Promise.all([
    describeNodegroups(reader, name),
    reader.describeInstances({ filters: [{ Name: 'tag-key', Values: [`kubernetes.io/cluster/${name}`] }] }),
    reader.describeInstances({ filters: [{ Name: 'tag:eks:cluster-name', Values: [name] }] }),
    reader.describeAutoScalingGroups({ filters: [{ Name: 'tag-key', Values: [`kubernetes.io/cluster/${name}`] }] }),
    reader.describeAutoScalingGroups({ filters: [{ Name: 'tag:eks:cluster-name', Values: [name] }] }),
  ]);

  const managedAsgs = new Map<string, string>(); // Auto Scaling group name → managed node group name
  for (const ng of managed) for (const asg of ng.resources?.autoScalingGroups ?? []) if (asg.name) managedAsgs.set(asg.name, ng.nodegroupName ?? '');
  // The `eks:nodegroup-name` claim counts only for node groups that report no Auto Scaling group (hand-written worlds).
  const withAsg = new Set(managedAsgs.values());
  const ngNames = new Set(managed.map((g) => g.nodegroupName ?? ''));
  const claim = (tags: { Key?: string; Value?: string }[] | undefined) => {
    const claimed = tagOf(tags, NODEGROUP_TAG);
    return claimed !== undefined && ngNames.has(claimed) && !withAsg.has(claimed) ? claimed : undefined;
  };
  const tagged = [...taggedK8s, ...taggedEks];
  const found = new Set(tagged.map((i) => i.InstanceId));
  const described = new Map<string, AutoScalingGroup>();
  for (const g of [...groupsK8s, ...groupsEks]) {
    if (!g.AutoScalingGroupName) continue;
    described.set(g.AutoScalingGroupName, g);
    const claimed = claim(g.Tags);
    if (claimed !== undefined && !managedAsgs.has(g.AutoScalingGroupName)) managedAsgs.set(g.AutoScalingGroupName, claimed);
  }
  // Instances tagged through their launch template belong to groups that may carry no cluster tag themselves.
  const selfManagedNames = uniq([...described.keys(), ...tagged.map((i) => tagOf(i.Tags, GROUP_TAG))]).filter((n) => !managedAsgs.has(n));
  // A node group without a template of its own runs the one EKS created for it, which its Auto Scaling groups name.
  const eksManaged = opts.eksLaunchTemplates ? managed.filter((ng) => !nodegroupTemplate(ng)) : [];
  const eksGroupNames = uniq(eksManaged.flatMap((ng) => (ng.resources?.autoScalingGroups ?? []).map((a) => a.name)));
  const undescribed = uniq([...selfManagedNames, ...eksGroupNames]).filter((n) => !described.has(n));
  if (undescribed.length) for (const g of await reader.describeAutoScalingGroups({ names: undescribed })) if (g.AutoScalingGroupName) described.set(g.AutoScalingGroupName, g);
  const groups = selfManagedNames.map((n) => described.get(n)).filter((g): g is AutoScalingGroup => !!g);

  // Every member of a node group's Auto Scaling group is a node, whatever its other tags. A group lists its members:
  // when each was already found by its cluster tags (the usual case) nothing is left to read; a member stripped of
  // them, or a group whose tags were stripped (so it was not listed above), is read by `aws:autoscaling:groupName`.
  const unsure = [...managedAsgs.keys(), ...selfManagedNames].filter((n) => {
    const g = described.get(n);
    return !g || (g.Instances ?? []).some((m) => m.InstanceId && !found.has(m.InstanceId) && m.LifecycleState !== 'Terminated');
  });
  const configNames = uniq(groups.map((g) => g.LaunchConfigurationName));
  const [members, versionFor, configs] = await Promise.all([
    unsure.length ? reader.describeInstances({ filters: [{ Name: `tag:${GROUP_TAG}`, Values: unsure }] }) : Promise.resolve([] as Instance[]),
    readTemplates(reader, uniq([...managed.map(nodegroupTemplate), ...groups.flatMap(groupTemplates), ...uniq(eksGroupNames.map((n) => described.get(n))).flatMap(groupTemplates)])),
    configNames.length ? reader.describeLaunchConfigurations(configNames) : Promise.resolve([] as LaunchConfiguration[]),
  ]);

  const seen = new Set<string>();
  const live = [...tagged, ...members].filter((i) => {
    if (!i.InstanceId || seen.has(i.InstanceId)) return false;
    seen.add(i.InstanceId);
    return i.State?.Name !== 'terminated';
  });
  const managedOwner = (i: Instance): string | undefined => managedAsgs.get(tagOf(i.Tags, GROUP_TAG) ?? '') ?? claim(i.Tags);

  const nodegroups: NodegroupView[] = managed.map((ng) => {
    const ref = nodegroupTemplate(ng);
    const launchTemplate = ref && versionFor(ref);
    const problem = ref && !launchTemplate ? `${describeRef(ref)} of node group ${ng.nodegroupName} was not found` : undefined;
    return {
      nodegroup: ng,
      ...(launchTemplate ? { launchTemplate } : {}),
      ...(problem ? { launchTemplateProblem: problem } : {}),
      ...(eksManaged.includes(ng) ? { eksLaunchTemplate: eksLaunchTemplateOf(ng, described, versionFor) } : {}),
      securityGroupIds: nodegroupSecurityGroupIds(cluster, ng, launchTemplate),
      instances: live.filter((i) => managedOwner(i) === ng.nodegroupName),
    };
  });
  const selfManagedInstances = live.filter((i) => managedOwner(i) === undefined);

  const selfManagedGroups: SelfManagedGroupView[] = groups.map((group) => {
    const groupName = group.AutoScalingGroupName ?? '';
    const refs = groupTemplates(group);
    const launchTemplates = uniq(refs.map(versionFor));
    const launchConfiguration = configs.find((c) => c.LaunchConfigurationName === group.LaunchConfigurationName);
    const problems = [
      ...refs.filter((r) => !versionFor(r)).map((r) => `${describeRef(r)} of Auto Scaling group ${groupName} was not found`),
      ...(group.LaunchConfigurationName && !launchConfiguration ? [`launch configuration ${group.LaunchConfigurationName} of Auto Scaling group ${groupName} was not found`] : []),
    ];
    const view = { launchTemplates, ...(launchConfiguration ? { launchConfiguration } : {}) };
    return {
      group,
      ...view,
      ...(problems.length ? { launchTemplateProblem: problems.join('; ') } : {}),
      instances: selfManagedInstances.filter((i) => tagOf(i.Tags, GROUP_TAG) === groupName),
      subnetIds: uniq((group.VPCZoneIdentifier ?? '').split(',').map((s) => s.trim())),
      securityGroupIds: uniq(selfManagedInterfaces(view).flat()),
    };
  });
  return { nodegroups, selfManagedGroups, selfManagedInstances };
}

/** The Auto Scaling group a self-managed instance belongs to, when the view knows that group (else it stands alone). */
export function groupOf(nodes: Pick<Nodes, 'selfManagedGroups'>, i: Instance): string | undefined {
  const name = tagOf(i.Tags, GROUP_TAG);
  return name !== undefined && nodes.selfManagedGroups.some((g) => g.group.AutoScalingGroupName === name) ? name : undefined;
}

/**
 * Which groups share a network interface: the control plane's, each node group's configured nodes' (managed and
 * self-managed), and each running node's actual ENIs (what an attacker changes with ModifyInstanceAttribute /
 * ModifyNetworkInterfaceAttribute). Identical sets are listed once, with everything that carries them.
 */
export function groupAttachments(cluster: Cluster, nodes: Nodes): GroupAttachment[] {
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
    const unknown = ng.launchTemplateProblem ?? (ng.launchTemplate && namedGroups(ng.launchTemplate));
    for (const groups of nodegroupInterfaces(cluster, ng.nodegroup, ng.launchTemplate)) add(`node group ${ng.nodegroup.nodegroupName}`, groups, unknown);
  }
  for (const g of nodes.selfManagedGroups) {
    const byName = [...g.launchTemplates.map(namedGroups), ...(g.launchConfiguration?.SecurityGroups ?? []).filter((s) => !s.startsWith('sg-')).map((s) => `launch configuration ${g.launchConfiguration?.LaunchConfigurationName} names security group ${s} by name`)];
    const unknown = g.launchTemplateProblem ?? (uniq(byName).join('; ') || undefined);
    const interfaces = selfManagedInterfaces(g);
    for (const groups of interfaces.length ? interfaces : [[]]) add(`Auto Scaling group ${g.group.AutoScalingGroupName}`, groups, unknown);
  }
  for (const i of [...nodes.nodegroups.flatMap((ng) => ng.instances), ...nodes.selfManagedInstances]) {
    for (const eni of instanceInterfaces(i)) add(`instance ${i.InstanceId}${eni.id ? ` (${eni.id})` : ''}`, eni.groups);
  }
  return [...out.values()];
}

/**
 * Who puts each security group on a node: node group and Auto Scaling group names for what they configure, instance
 * ids for what their ENIs carry beyond it (a managed node names only the groups its node group does not already
 * account for, i.e. those an ENI change added; a group member likewise beyond its group's).
 */
export function nodeGroupUsers(nodes: Nodes, add: (groupId: string, user: string, remoteAccess: boolean) => void): void {
  for (const ng of nodes.nodegroups) {
    const name = ng.nodegroup.nodegroupName ?? '';
    const remote = ng.nodegroup.resources?.remoteAccessSecurityGroup;
    for (const id of ng.securityGroupIds) add(id, name, id === remote);
    for (const i of ng.instances) for (const id of instanceGroupIds(i)) if (!ng.securityGroupIds.includes(id)) add(id, i.InstanceId ?? '', false);
  }
  for (const g of nodes.selfManagedGroups) for (const id of g.securityGroupIds) add(id, g.group.AutoScalingGroupName ?? '', false);
  const configured = new Map(nodes.selfManagedGroups.map((g) => [g.group.AutoScalingGroupName, g.securityGroupIds]));
  for (const i of nodes.selfManagedInstances) {
    const mine = configured.get(groupOf(nodes, i)) ?? [];
    for (const id of instanceGroupIds(i)) if (!mine.includes(id)) add(id, i.InstanceId ?? '', false);
  }
}
