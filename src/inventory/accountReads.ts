import type { Filter, Instance, LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { InstanceProfile, ManagedPolicyDetail, Role, RoleDetail } from '@aws-sdk/client-iam';
import { answering, type AwsReader } from './reader';
import { applyFilters, autoScalingGroupFilters, instanceFilters, networkAclFilters, routeTableFilters, securityGroupFilters, subnetFilters, type FilterTable } from './ec2Filters';
import { versionNamed } from './nodes';
import { readOnce } from './readOnce';

/** The cluster tags that make an instance a node (inventory/nodes): one account-wide read holds every such instance. */
const NODE_TAG_KEYS = ['kubernetes.io/cluster/*', 'eks:cluster-name'];

type Tagged = { Tags?: { Key?: string; Value?: string }[] };

/** Whether applyFilters knows every filter name (the table's, or a tag filter). */
function understood<T>(filters: Filter[] | undefined, table: FilterTable<T>): boolean {
  return (filters ?? []).every((f) => !!f.Name && (f.Name in table || f.Name === 'tag-key' || f.Name === 'tag-value' || f.Name.startsWith('tag:')));
}

/** A query that can only match instances carrying a cluster tag: answerable from the account-wide node read. */
function onlyNodes(filters: Filter[] | undefined): boolean {
  const clusterKey = (k: string) => /^kubernetes\.io\/cluster\/[^*?]+$/.test(k) || k === 'eks:cluster-name';
  return (filters ?? []).some((f) => (f.Name === 'tag-key' && !!f.Values?.length && f.Values.every(clusterKey)) || (!!f.Name?.startsWith('tag:') && clusterKey(f.Name.slice(4))));
}

const wildcard = (v: string) => /[*?]/.test(v);

/**
 * One account-wide list, with the lookups a sweep's thousands of per-cluster queries need (by id, by VPC, by tag)
 * built once: each query then costs what its own answer holds, not a pass over the whole account.
 */
class Listing<T extends Tagged> {
  private readonly indexes = new Map<string, Map<string, T[]>>();
  private readonly position = new Map<T, number>();
  constructor(
    private readonly items: T[],
    private readonly idOf: (t: T) => string | undefined,
    private readonly table: FilterTable<T>,
    private readonly what: string,
  ) {
    items.forEach((item, n) => this.position.set(item, n));
  }

  private index(name: string, values: (t: T) => (string | undefined)[]): Map<string, T[]> {
    let m = this.indexes.get(name);
    if (!m) {
      m = new Map();
      for (const item of this.items) {
        for (const v of new Set(values(item))) {
          if (v === undefined) continue;
          const same = m.get(v);
          if (same) same.push(item);
          else m.set(v, [item]);
        }
      }
      this.indexes.set(name, m);
    }
    return m;
  }

  /** The items one indexed condition admits (ids, or an exact-valued filter), before the filters are applied; undefined: all. */
  private candidates(ids: string[] | undefined, filters: Filter[]): T[] | undefined {
    const pick = (m: Map<string, T[]>, values: string[]) => [...new Set(values.flatMap((v) => m.get(v) ?? []))];
    if (ids) return pick(this.index('id', (t) => [this.idOf(t)]), ids);
    for (const f of filters) {
      const values = f.Values ?? [];
      if (!f.Name || values.some(wildcard)) continue;
      if (f.Name === 'tag-key') return pick(this.index(f.Name, (t) => (t.Tags ?? []).map((x) => x.Key)), values);
      if (f.Name.startsWith('tag:')) {
        const key = f.Name.slice(4);
        return pick(this.index(f.Name, (t) => (t.Tags ?? []).filter((x) => x.Key === key).map((x) => x.Value)), values);
      }
      if (f.Name === 'vpc-id' && this.table['vpc-id']) return pick(this.index(f.Name, this.table['vpc-id']), values);
    }
    return undefined;
  }

  select(q: { ids?: string[]; filters?: Filter[] }): T[] {
    // In the account's order, as EC2 lists them.
    const found = this.candidates(q.ids, q.filters ?? [])?.sort((a, b) => this.position.get(a)! - this.position.get(b)!);
    return applyFilters(found ?? this.items, q.filters, this.table, this.what);
  }
}

/**
 * A reader for one sweep (or a scan of every cluster): what every cluster's view reads by id or filter is answered
 * from one account-wide read of each kind, made once, when first needed — every security group, subnet, route table
 * and network ACL, the instances tagged for any cluster, every Auto Scaling group, the latest and default version of
 * every launch template, and IAM's roles and customer managed policies (GetAccountAuthorizationDetails). A sweep of
 * 1,000 clusters then makes a few dozen EC2, Auto Scaling and IAM requests instead of about 14,000, which EC2's
 * request buckets (20 per second per action) alone would have spread over minutes. Each query gets what its own
 * request would answer (the filter semantics of ec2Filters, as the world reader; a role as GetRole returns it, less
 * the description and maximum session duration no rule reads), from state read after the sweep began; what the
 * account-wide reads cannot answer exactly (another filter, a template version that is neither latest nor default, an
 * AWS managed policy, a role or profile created since) is asked of the reader. A failed read is retried by the next
 * query, never kept.
 */
export function withAccountReads(reader: AwsReader): AwsReader {
  const all = readOnce();
  const listing = <T extends Tagged>(key: string, read: () => Promise<T[]>, idOf: (t: T) => string | undefined, table: FilterTable<T>, what: string) =>
    all(key, async () => new Listing(await read(), idOf, table, what));
  const securityGroups = () => listing('securityGroups', () => reader.describeSecurityGroups({}), (g) => g.GroupId, securityGroupFilters, 'security group');
  const subnets = () => listing('subnets', () => reader.describeSubnets({}), (s) => s.SubnetId, subnetFilters, 'subnet');
  const routeTables = () => listing('routeTables', () => reader.describeRouteTables({}), (t) => t.RouteTableId, routeTableFilters, 'route table');
  const networkAcls = () => listing('networkAcls', () => reader.describeNetworkAcls({}), (n) => n.NetworkAclId, networkAclFilters, 'network ACL');
  const nodes = () => listing<Instance>('nodes', () => reader.describeInstances({ filters: [{ Name: 'tag-key', Values: NODE_TAG_KEYS }] }), (i) => i.InstanceId, instanceFilters, 'instance');
  const groups = () => listing<AutoScalingGroup>('autoScalingGroups', () => reader.describeAutoScalingGroups({}), (g) => g.AutoScalingGroupName, autoScalingGroupFilters, 'Auto Scaling group');
  const templates = () => all('launchTemplates', () => reader.describeLaunchTemplateVersions({ versions: ['$Latest', '$Default'] }));
  const iam = () =>
    all('iam', async () => {
      const d = await reader.getAccountAuthorizationDetails();
      const roles = new Map(d.roles.map((r) => [r.RoleName ?? '', r]));
      const profiles = new Map<string, InstanceProfile>();
      for (const r of d.roles) for (const p of r.InstanceProfileList ?? []) if (p.InstanceProfileName) profiles.set(p.InstanceProfileName, p);
      return { roles, profiles, policies: new Map(d.policies.map((p) => [p.Arn ?? '', p])) };
    });
  /** The role from the account-wide read, or undefined to ask IAM (a role created since the read). */
  const role = async (name: string): Promise<RoleDetail | undefined> => (await iam()).roles.get(name);
  const policy = async (arn: string): Promise<ManagedPolicyDetail | undefined> => (await iam()).policies.get(arn);

  const answered: Partial<AwsReader> = {
    async describeSecurityGroups(q) {
      return understood(q.filters, securityGroupFilters) ? (await securityGroups()).select({ ids: q.groupIds, filters: q.filters }) : reader.describeSecurityGroups(q);
    },
    async describeSubnets(q) {
      return understood(q.filters, subnetFilters) ? (await subnets()).select({ ids: q.subnetIds, filters: q.filters }) : reader.describeSubnets(q);
    },
    async describeRouteTables(q) {
      return understood(q.filters, routeTableFilters) ? (await routeTables()).select({ ids: q.routeTableIds, filters: q.filters }) : reader.describeRouteTables(q);
    },
    async describeNetworkAcls(q) {
      return understood(q.filters, networkAclFilters) ? (await networkAcls()).select({ ids: q.networkAclIds, filters: q.filters }) : reader.describeNetworkAcls(q);
    },
    async describeInstances(q) {
      return onlyNodes(q.filters) && understood(q.filters, instanceFilters) ? (await nodes()).select({ ids: q.instanceIds, filters: q.filters }) : reader.describeInstances(q);
    },
    async describeAutoScalingGroups(q) {
      const filters = q.filters as Filter[] | undefined;
      return understood(filters, autoScalingGroupFilters) ? (await groups()).select({ ids: q.names, filters }) : reader.describeAutoScalingGroups(q);
    },
    async describeLaunchTemplateVersions(q) {
      if (q.launchTemplateId === undefined && q.launchTemplateName === undefined) return reader.describeLaunchTemplateVersions(q);
      const found = (await templates()).filter((v) => (q.launchTemplateId !== undefined ? v.LaunchTemplateId === q.launchTemplateId : v.LaunchTemplateName === q.launchTemplateName));
      const picked = q.versions.map((want) => versionNamed(found, want));
      // A template created since, or an older version that is neither latest nor default: asked of EC2 itself.
      if (!found.length || picked.some((v) => !v)) return reader.describeLaunchTemplateVersions(q);
      return [...new Set(picked as LaunchTemplateVersion[])];
    },
    async getRole(name) {
      const r = await role(name);
      if (!r) return reader.getRole(name);
      const { RolePolicyList: _p, AttachedManagedPolicies: _a, InstanceProfileList: _i, ...fields } = r;
      return fields as Role;
    },
    async listAttachedRolePolicies(name) {
      const r = await role(name);
      return r ? (r.AttachedManagedPolicies ?? []) : reader.listAttachedRolePolicies(name);
    },
    async listRolePolicies(name) {
      const r = await role(name);
      return r ? (r.RolePolicyList ?? []).map((p) => p.PolicyName ?? '') : reader.listRolePolicies(name);
    },
    async getRolePolicy(name, policyName) {
      const p = (await role(name))?.RolePolicyList?.find((x) => x.PolicyName === policyName);
      return p?.PolicyDocument ? { RoleName: name, PolicyName: policyName, PolicyDocument: p.PolicyDocument } : reader.getRolePolicy(name, policyName);
    },
    async listInstanceProfilesForRole(name) {
      const r = await role(name);
      return r ? (r.InstanceProfileList ?? []) : reader.listInstanceProfilesForRole(name);
    },
    async getInstanceProfile(name) {
      return (await iam()).profiles.get(name) ?? reader.getInstanceProfile(name);
    },
    async getPolicy(arn) {
      const p = await policy(arn);
      if (!p) return reader.getPolicy(arn);
      const { PolicyVersionList: _v, ...fields } = p;
      return fields;
    },
    async getPolicyVersion(arn, versionId) {
      return (await policy(arn))?.PolicyVersionList?.find((v) => v.VersionId === versionId) ?? reader.getPolicyVersion(arn, versionId);
    },
  };

  return answering(reader, answered);
}
