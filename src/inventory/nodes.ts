import type { Cluster, Nodegroup } from '@aws-sdk/client-eks';
import type { Instance, LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import type { AutoScalingGroup, LaunchConfiguration, LaunchTemplateSpecification } from '@aws-sdk/client-auto-scaling';
import type { AwsReader } from './reader';
import type { NodegroupView, SelfManagedGroupView } from './view';

/** A cluster's nodes: managed node groups, and self-managed Auto Scaling groups and instances tagged for it. */
export interface Nodes {
  nodegroups: NodegroupView[];
  selfManagedInstances: Instance[];
  selfManagedGroups: SelfManagedGroupView[];
}

/** EC2 tags every instance an Auto Scaling group launches with the group's name. */
export const GROUP_TAG = 'aws:autoscaling:groupName';
/** Managed node groups tag their Auto Scaling groups and instances with their name: those are not self-managed. */
const MANAGED_TAG = 'eks:nodegroup-name';

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

const nodegroupTemplate = (ng: Nodegroup) => templateRef(ng.launchTemplate);
const asgTemplate = (s: LaunchTemplateSpecification | undefined) => templateRef(s && { id: s.LaunchTemplateId, name: s.LaunchTemplateName, version: s.Version });

/** Every template an Auto Scaling group can launch from: its own, or its mixed-instances policy's and its overrides'. */
function groupTemplates(g: AutoScalingGroup): TemplateRef[] {
  const mixed = g.MixedInstancesPolicy?.LaunchTemplate;
  return uniq([asgTemplate(g.LaunchTemplate), asgTemplate(mixed?.LaunchTemplateSpecification), ...(mixed?.Overrides ?? []).map((o) => asgTemplate(o.LaunchTemplateSpecification))]);
}

export function templateGroups(v: LaunchTemplateVersion): string[] {
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

export function instanceGroups(i: Instance): string[] {
  return uniq([...(i.SecurityGroups ?? []).map((g) => g.GroupId), ...(i.NetworkInterfaces ?? []).flatMap((n) => (n.Groups ?? []).map((g) => g.GroupId))]);
}

export function instanceSubnets(i: Instance): string[] {
  return uniq([i.SubnetId, ...(i.NetworkInterfaces ?? []).map((n) => n.SubnetId)]);
}

/** One DescribeLaunchTemplateVersions per template, for every version asked; then the version each reference runs. */
async function readTemplates(reader: AwsReader, refs: TemplateRef[]): Promise<(ref: TemplateRef | undefined) => LaunchTemplateVersion | undefined> {
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
  return (ref) => {
    if (!ref) return undefined;
    const found = versions.get(ref.key) ?? [];
    return ref.version === '$Default'
      ? found.find((v) => v.DefaultVersion)
      : ref.version === '$Latest'
        ? found.reduce<LaunchTemplateVersion | undefined>((a, v) => ((v.VersionNumber ?? 0) > (a?.VersionNumber ?? -1) ? v : a), undefined)
        : found.find((v) => String(v.VersionNumber) === ref.version);
  };
}

/**
 * Reads the nodes of a cluster: its managed node groups (with the launch template versions they run), and the
 * self-managed ones — Auto Scaling groups and instances tagged `kubernetes.io/cluster/<name>` or `eks:cluster-name`
 * that carry no `eks:nodegroup-name`, plus the groups such instances belong to — with their launch templates or
 * launch configurations.
 */
export async function readNodes(reader: AwsReader, cluster: Cluster, name: string): Promise<Nodes> {
  const [names, taggedK8s, taggedEks, groupsK8s, groupsEks] = await Promise.all([
    reader.listNodegroups(name),
    reader.describeInstances({ filters: [{ Name: 'tag-key', Values: [`kubernetes.io/cluster/${name}`] }] }),
    reader.describeInstances({ filters: [{ Name: 'tag:eks:cluster-name', Values: [name] }] }),
    reader.describeAutoScalingGroups({ filters: [{ Name: 'tag-key', Values: [`kubernetes.io/cluster/${name}`] }] }),
    reader.describeAutoScalingGroups({ filters: [{ Name: 'tag:eks:cluster-name', Values: [name] }] }),
  ]);
  // A node group listed then deleted before we describe it is simply gone.
  const managed = (await Promise.all(names.map((n) => reader.describeNodegroup(name, n)))).filter((n): n is Nodegroup => !!n);

  const seen = new Set<string>();
  const selfManagedInstances = [...taggedK8s, ...taggedEks].filter((i) => {
    if (!i.InstanceId || seen.has(i.InstanceId)) return false;
    seen.add(i.InstanceId);
    return i.State?.Name !== 'terminated' && tagOf(i.Tags, MANAGED_TAG) === undefined;
  });

  const groupsByName = new Map<string, AutoScalingGroup>();
  for (const g of [...groupsK8s, ...groupsEks]) if (g.AutoScalingGroupName) groupsByName.set(g.AutoScalingGroupName, g);
  // Instances tagged through their launch template belong to groups that may carry no cluster tag themselves.
  const untaggedGroups = uniq(selfManagedInstances.map((i) => tagOf(i.Tags, GROUP_TAG))).filter((n) => !groupsByName.has(n));
  if (untaggedGroups.length) for (const g of await reader.describeAutoScalingGroups({ names: untaggedGroups })) if (g.AutoScalingGroupName) groupsByName.set(g.AutoScalingGroupName, g);
  const groups = [...groupsByName.values()].filter((g) => tagOf(g.Tags, MANAGED_TAG) === undefined);

  const configNames = uniq(groups.map((g) => g.LaunchConfigurationName));
  const [versionFor, configs] = await Promise.all([
    readTemplates(reader, uniq([...managed.map(nodegroupTemplate), ...groups.flatMap(groupTemplates)])),
    configNames.length ? reader.describeLaunchConfigurations(configNames) : Promise.resolve([] as LaunchConfiguration[]),
  ]);

  const nodegroups: NodegroupView[] = managed.map((ng) => {
    const launchTemplate = versionFor(nodegroupTemplate(ng));
    return {
      nodegroup: ng,
      ...(launchTemplate ? { launchTemplate } : {}),
      securityGroupIds: nodegroupSecurityGroups(cluster, ng, launchTemplate, !!nodegroupTemplate(ng)),
    };
  });

  const selfManagedGroups: SelfManagedGroupView[] = groups.map((group) => {
    const launchTemplates = uniq(groupTemplates(group).map(versionFor));
    const launchConfiguration = configs.find((c) => c.LaunchConfigurationName === group.LaunchConfigurationName);
    return {
      group,
      launchTemplates,
      ...(launchConfiguration ? { launchConfiguration } : {}),
      instances: selfManagedInstances.filter((i) => tagOf(i.Tags, GROUP_TAG) === group.AutoScalingGroupName),
      subnetIds: uniq((group.VPCZoneIdentifier ?? '').split(',').map((s) => s.trim())),
      securityGroupIds: uniq([...launchTemplates.flatMap(templateGroups), ...(launchConfiguration?.SecurityGroups ?? [])]),
    };
  });
  return { nodegroups, selfManagedInstances, selfManagedGroups };
}
