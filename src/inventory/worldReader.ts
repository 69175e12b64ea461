import type { Addon, Cluster, ClusterVersionInformation, Nodegroup } from '@aws-sdk/client-eks';
import type { Filter, Instance, LaunchTemplateVersion, ManagedPrefixList, NetworkAcl, PrefixListEntry, RouteTable, SecurityGroup, Subnet } from '@aws-sdk/client-ec2';
import type { Event as CloudTrailLookupEvent, Trail } from '@aws-sdk/client-cloudtrail';
import type { AttachedPolicy, InstanceProfile, ManagedPolicyDetail, Policy, PolicyVersion, Role, RoleDetail } from '@aws-sdk/client-iam';
import type { AutoScalingGroup, Filter as AutoScalingFilter, LaunchConfiguration } from '@aws-sdk/client-auto-scaling';
import { ReadError, type AccessEntryView, type AwsReader, type KubernetesState, type RolePolicy, type TrailEventSelectors, type TrailStatus } from './reader';
import type { World, WorldRole } from './world';
import { applyFilters, autoScalingGroupFilters, instanceFilters, networkAclFilters, routeTableFilters, securityGroupFilters, subnetFilters } from './ec2Filters';
import { eventNamesResource } from './lookupMatch';

function byIds<T>(items: T[], ids: string[] | undefined, idOf: (t: T) => string | undefined): T[] {
  if (!ids) return items;
  const wanted = new Set(ids);
  return items.filter((i) => wanted.has(idOf(i) ?? ''));
}

/**
 * An AwsReader over a recorded world file: answers exactly what the live reader would for that account, so
 * `scan --world` and `replay` run the same pipeline as Lambda. Results are references into the world: callers
 * treat them as read-only.
 */
export class WorldReader implements AwsReader {
  readonly recordedAt?: Date;

  constructor(private readonly world: World) {
    this.recordedAt = world.recordedAt;
  }

  async identity() {
    return { account: this.world.account, region: this.world.region };
  }

  async listClusters(): Promise<string[]> {
    return this.world.eks.clusters.map((c) => c.name ?? '').filter(Boolean);
  }

  async describeCluster(name: string): Promise<Cluster | undefined> {
    return this.world.eks.clusters.find((c) => c.name === name);
  }

  async listNodegroups(cluster: string): Promise<string[]> {
    return this.world.eks.nodegroups.filter((n) => n.clusterName === cluster).map((n) => n.nodegroupName ?? '');
  }

  async describeNodegroup(cluster: string, nodegroup: string): Promise<Nodegroup | undefined> {
    return this.world.eks.nodegroups.find((x) => x.clusterName === cluster && x.nodegroupName === nodegroup);
  }

  async listAccessEntries(cluster: string): Promise<AccessEntryView[]> {
    return this.world.eks.accessEntries
      .filter((e) => e.clusterName === cluster)
      .map((e) => ({ ...e, associatedAccessPolicies: e.associatedAccessPolicies ?? [] }));
  }

  async describeAddon(cluster: string, addonName: string): Promise<Addon | undefined> {
    return this.world.eks.addons.find((a) => a.clusterName === cluster && a.addonName === addonName);
  }

  /** Absent (not recorded) or `null` (recorded as unreadable) is a failed read, never "EKS lists no version". */
  async describeClusterVersions(): Promise<ClusterVersionInformation[]> {
    const versions = this.world.eks.clusterVersions;
    if (versions === null) throw new ReadError('eks:DescribeClusterVersions', 'Unreadable', 'the world file records DescribeClusterVersions as unreadable (eks.clusterVersions: null)');
    if (versions === undefined) throw new ReadError('eks:DescribeClusterVersions', 'NotRecorded', 'the world file records no eks.clusterVersions (the DescribeClusterVersions output)');
    return versions;
  }

  async describeSecurityGroups(q: { groupIds?: string[]; filters?: Filter[] }): Promise<SecurityGroup[]> {
    const items = byIds(this.world.ec2.securityGroups, q.groupIds, (g) => g.GroupId);
    return applyFilters(items, q.filters, securityGroupFilters, 'security group');
  }

  async describeSubnets(q: { subnetIds?: string[]; filters?: Filter[] }): Promise<Subnet[]> {
    const items = byIds(this.world.ec2.subnets, q.subnetIds, (s) => s.SubnetId);
    return applyFilters(items, q.filters, subnetFilters, 'subnet');
  }

  async describeRouteTables(q: { routeTableIds?: string[]; filters?: Filter[] }): Promise<RouteTable[]> {
    const items = byIds(this.world.ec2.routeTables, q.routeTableIds, (t) => t.RouteTableId);
    return applyFilters(items, q.filters, routeTableFilters, 'route table');
  }

  async describeNetworkAcls(q: { networkAclIds?: string[]; filters?: Filter[] }): Promise<NetworkAcl[]> {
    const items = byIds(this.world.ec2.networkAcls, q.networkAclIds, (n) => n.NetworkAclId);
    return applyFilters(items, q.filters, networkAclFilters, 'network ACL');
  }

  async describeLaunchTemplateVersions(q: { launchTemplateId?: string; launchTemplateName?: string; versions: string[] }): Promise<LaunchTemplateVersion[]> {
    // Without a template, EC2 describes the latest and/or default version of every template (numbers are refused).
    const named = q.launchTemplateId !== undefined || q.launchTemplateName !== undefined;
    const all = this.world.ec2.launchTemplateVersions.filter((v) =>
      !named ? true : q.launchTemplateId !== undefined ? v.LaunchTemplateId === q.launchTemplateId : v.LaunchTemplateName === q.launchTemplateName,
    );
    const latest = new Map<string | undefined, number>();
    for (const v of all) latest.set(v.LaunchTemplateId, Math.max(latest.get(v.LaunchTemplateId) ?? 0, v.VersionNumber ?? 0));
    const picked = all.filter((v) =>
      q.versions.some((want) =>
        want === '$Default' ? v.DefaultVersion === true : want === '$Latest' ? v.VersionNumber === latest.get(v.LaunchTemplateId) : named && String(v.VersionNumber) === want,
      ),
    );
    return picked;
  }

  async describeInstances(q: { instanceIds?: string[]; filters?: Filter[] }): Promise<Instance[]> {
    const live = this.world.ec2.instances.filter((i) => i.State?.Name !== 'terminated');
    return applyFilters(byIds(live, q.instanceIds, (i) => i.InstanceId), q.filters, instanceFilters, 'instance');
  }

  async describeManagedPrefixLists(q: { prefixListIds: string[] }): Promise<ManagedPrefixList[]> {
    return byIds(this.world.ec2.managedPrefixLists, q.prefixListIds, (l) => l.PrefixListId).map(({ Entries: _entries, ...list }) => list);
  }

  async getManagedPrefixListEntries(prefixListId: string): Promise<PrefixListEntry[] | undefined> {
    const list = this.world.ec2.managedPrefixLists.find((l) => l.PrefixListId === prefixListId);
    return list && (list.Entries ?? []);
  }

  async describeTrails(): Promise<Trail[]> {
    return this.world.cloudtrail.trails;
  }

  async getTrailStatus(trailArn: string): Promise<TrailStatus | undefined> {
    return this.world.cloudtrail.trailStatus[trailArn];
  }

  async getEventSelectors(trailArn: string): Promise<TrailEventSelectors | undefined> {
    return this.world.cloudtrail.eventSelectors[trailArn];
  }

  async lookupEvents(q: { eventName: string; resourceName?: string }): Promise<CloudTrailLookupEvent[]> {
    return this.world.cloudtrailEvents
      .filter((e) => e.EventName === q.eventName && (q.resourceName === undefined || eventNamesResource(e, q.resourceName)))
      .sort((a, b) => (b.EventTime?.getTime() ?? 0) - (a.EventTime?.getTime() ?? 0));
  }

  // ---- IAM: a role, profile or policy absent from the world does not exist, like IAM's NoSuchEntity.

  private role(roleName: string): WorldRole | undefined {
    return this.world.iam.roles.find((r) => (r.RoleName ?? r.Arn?.split('/').pop()) === roleName);
  }

  async getRole(roleName: string): Promise<Role | undefined> {
    const r = this.role(roleName);
    if (!r) return undefined;
    const { attachedPolicies: _a, inlinePolicyNames: _n, inlinePolicies: _p, ...role } = r;
    return role;
  }

  async listAttachedRolePolicies(roleName: string): Promise<AttachedPolicy[]> {
    return this.role(roleName)?.attachedPolicies ?? [];
  }

  async listRolePolicies(roleName: string): Promise<string[]> {
    const r = this.role(roleName);
    return r?.inlinePolicyNames ?? (r?.inlinePolicies ?? []).map((p) => p.PolicyName ?? '');
  }

  async getRolePolicy(roleName: string, policyName: string): Promise<RolePolicy | undefined> {
    const p = this.role(roleName)?.inlinePolicies?.find((x) => x.PolicyName === policyName);
    return p && { ...p, RoleName: roleName };
  }

  async getPolicy(policyArn: string): Promise<Policy | undefined> {
    const p = this.world.iam.policies.find((x) => x.Arn === policyArn);
    if (!p) return undefined;
    const { PolicyVersionList: _v, ...policy } = p;
    return policy;
  }

  async getPolicyVersion(policyArn: string, versionId: string): Promise<PolicyVersion | undefined> {
    return this.world.iam.policies.find((x) => x.Arn === policyArn)?.PolicyVersionList?.find((v) => v.VersionId === versionId);
  }

  async getInstanceProfile(name: string): Promise<InstanceProfile | undefined> {
    return this.world.iam.instanceProfiles.find((p) => p.InstanceProfileName === name);
  }

  async listInstanceProfilesForRole(roleName: string): Promise<InstanceProfile[]> {
    return this.world.iam.instanceProfiles.filter((p) => (p.Roles ?? []).some((r) => (r.RoleName ?? r.Arn?.split('/').pop()) === roleName));
  }

  /** What GetAccountAuthorizationDetails (roles, customer managed policies) answers for the recorded account. */
  async getAccountAuthorizationDetails(): Promise<{ roles: RoleDetail[]; policies: ManagedPolicyDetail[] }> {
    const roles = await Promise.all(
      this.world.iam.roles.map(async (r): Promise<RoleDetail> => {
        const name = r.RoleName ?? r.Arn?.split('/').pop() ?? '';
        const { attachedPolicies: _a, inlinePolicyNames: _n, inlinePolicies: _p, ...role } = r;
        const inline = await Promise.all((await this.listRolePolicies(name)).map(async (PolicyName) => ({ PolicyName, PolicyDocument: (await this.getRolePolicy(name, PolicyName))?.PolicyDocument })));
        return { ...role, RoleName: name, AttachedManagedPolicies: r.attachedPolicies ?? [], RolePolicyList: inline, InstanceProfileList: await this.listInstanceProfilesForRole(name) };
      }),
    );
    return { roles, policies: this.world.iam.policies.filter((p) => !/^arn:[^:]+:iam::aws:/.test(p.Arn ?? '')) };
  }

  async describeAutoScalingGroups(q: { names?: string[]; filters?: AutoScalingFilter[] }): Promise<AutoScalingGroup[]> {
    const items = byIds(this.world.autoscaling.groups, q.names, (g) => g.AutoScalingGroupName);
    return applyFilters(items, q.filters, autoScalingGroupFilters, 'Auto Scaling group');
  }

  async describeLaunchConfigurations(names: string[]): Promise<LaunchConfiguration[]> {
    return byIds(this.world.autoscaling.launchConfigurations, names, (c) => c.LaunchConfigurationName);
  }

  /**
   * `null` records "could not be read"; a cluster missing from the section was not recorded at all (DESIGN: same
   * outcome, another reason). Neither is "no objects": the rules reading them are not evaluated, never passed.
   */
  async readKubernetes(cluster: Cluster): Promise<KubernetesState | undefined> {
    const name = cluster.name ?? '';
    const k = this.world.kubernetes[name];
    if (k === null) return undefined;
    if (k === undefined) {
      throw new ReadError('readKubernetes', 'NotRecorded', `the world file records no Kubernetes objects for cluster ${name} (add kubernetes.${name}: the objects, or null when they could not be read)`);
    }
    return k;
  }
}
