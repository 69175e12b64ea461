import {
  EKSClient,
  DescribeAccessEntryCommand,
  DescribeAddonCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  paginateDescribeClusterVersions,
  paginateListAccessEntries,
  paginateListAssociatedAccessPolicies,
  paginateListClusters,
  paginateListNodegroups,
  type Addon,
  type AssociatedAccessPolicy,
  type Cluster,
  type ClusterVersionInformation,
  type EKSClientConfig,
  type Nodegroup,
} from '@aws-sdk/client-eks';
import {
  EC2Client,
  paginateDescribeInstances,
  paginateDescribeLaunchTemplateVersions,
  paginateDescribeManagedPrefixLists,
  paginateGetManagedPrefixListEntries,
  paginateDescribeNetworkAcls,
  paginateDescribeRouteTables,
  paginateDescribeSecurityGroups,
  paginateDescribeSubnets,
  type Filter,
  type Instance,
  type LaunchTemplateVersion,
  type ManagedPrefixList,
  type NetworkAcl,
  type PrefixListEntry,
  type RouteTable,
  type SecurityGroup,
  type Subnet,
} from '@aws-sdk/client-ec2';
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  paginateLookupEvents,
  type Event as CloudTrailLookupEvent,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  IAMClient,
  GetInstanceProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  paginateGetAccountAuthorizationDetails,
  paginateListAttachedRolePolicies,
  paginateListInstanceProfilesForRole,
  paginateListRolePolicies,
  type AttachedPolicy,
  type GetAccountAuthorizationDetailsCommandOutput,
  type InstanceProfile,
  type ManagedPolicyDetail,
  type Policy,
  type PolicyVersion,
  type Role,
  type RoleDetail,
} from '@aws-sdk/client-iam';
import {
  AutoScalingClient,
  paginateDescribeAutoScalingGroups,
  paginateDescribeLaunchConfigurations,
  type AutoScalingGroup,
  type Filter as AutoScalingFilter,
  type LaunchConfiguration,
} from '@aws-sdk/client-auto-scaling';
import type { AccessEntryView, AwsReader, KubernetesState, RolePolicy, TrailEventSelectors, TrailStatus } from './reader';
import { ReadError } from './reader';
import { LAUNCH_TEMPLATE_TAG } from './ec2Filters';
import { eventNamesResource } from './lookupMatch';
import { eksToken, readKubernetesApi, KubeReadError, type KubeReadLimits } from './kubernetes';

/** Client settings shared by the four clients (credentials, retries, request handler…). */
export type SharedClientConfig = Omit<EKSClientConfig, 'region' | 'endpoint' | 'extensions'>;

export interface SdkReaderOptions {
  region?: string;
  /** Usually unset: the SDK itself honours AWS_ENDPOINT_URL (and per-service AWS_ENDPOINT_URL_EC2…). */
  endpoint?: string;
  clientConfig?: SharedClientConfig;
  /** Bounds on each cluster's Kubernetes API read (DEFAULT_KUBE_LIMITS), so one slow or hostile endpoint cannot eat the Lambda's time. */
  kubernetesLimits?: Partial<KubeReadLimits>;
  /** The account and region when already known (a Lambda's own function ARN says them): no STS call then. */
  identity?: { account: string; region: string };
}

/** "Does not exist": NotFound in EC2/EKS/CloudTrail codes (InvalidGroup.NotFound, ResourceNotFoundException…), NoSuchEntity in IAM's. */
function isNotFound(code: string): boolean {
  return code.includes('NotFound') || code.startsWith('NoSuchEntity');
}

function errorCode(e: unknown): string {
  const err = e as { name?: string; Code?: string; code?: string };
  return err.Code ?? (err.name && err.name !== 'Error' ? err.name : undefined) ?? err.code ?? 'Error';
}

/** Runs one AWS read: not found → `notFound`; any other failure (after the SDK's own retries) → ReadError. */
async function read<T>(operation: string, fn: () => Promise<T>, notFound: T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const code = errorCode(e);
    if (isNotFound(code)) return notFound;
    throw new ReadError(operation, code, (e as Error).message ?? String(e));
  }
}

async function collect<P, T>(pages: AsyncIterable<P>, pick: (p: P) => T[] | undefined): Promise<T[]> {
  const out: T[] = [];
  for await (const p of pages) out.push(...(pick(p) ?? []));
  return out;
}

/**
 * The live AwsReader: AWS SDK v3, every list paginated. Needs the read-only permissions listed in serverless.yml
 * (EKS Describe and List calls, ec2:Describe* and ec2:GetManagedPrefixListEntries, cloudtrail:DescribeTrails/GetTrailStatus/GetEventSelectors/LookupEvents,
 * IAM role, policy and instance-profile reads, autoscaling:DescribeAutoScalingGroups/DescribeLaunchConfigurations,
 * sts:GetCallerIdentity) plus a Kubernetes identity for readKubernetes.
 */
export class SdkReader implements AwsReader {
  private readonly eks: EKSClient;
  private readonly ec2: EC2Client;
  private readonly cloudtrail: CloudTrailClient;
  private readonly sts: STSClient;
  private readonly iam: IAMClient;
  private readonly autoscaling: AutoScalingClient;
  private readonly kubernetesLimits: Partial<KubeReadLimits>;
  private ids?: Promise<{ account: string; region: string }>;

  constructor(opts: SdkReaderOptions = {}) {
    const config = { ...opts.clientConfig, ...(opts.region ? { region: opts.region } : {}), ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) };
    this.eks = new EKSClient(config);
    this.ec2 = new EC2Client(config);
    this.cloudtrail = new CloudTrailClient(config);
    this.sts = new STSClient(config);
    this.iam = new IAMClient(config);
    this.autoscaling = new AutoScalingClient(config);
    this.kubernetesLimits = opts.kubernetesLimits ?? {};
    if (opts.identity) this.ids = Promise.resolve(opts.identity);
  }

  identity(): Promise<{ account: string; region: string }> {
    this.ids ??= (async () => {
      const who = await read('sts:GetCallerIdentity', () => this.sts.send(new GetCallerIdentityCommand({})), undefined);
      if (!who?.Account) throw new ReadError('sts:GetCallerIdentity', 'NoAccount', 'the caller identity has no account');
      return { account: who.Account, region: await this.ec2.config.region() };
    })();
    // A failed identity call must not be cached for the life of a warm Lambda.
    this.ids.catch(() => (this.ids = undefined));
    return this.ids;
  }

  // ---- EKS

  listClusters(): Promise<string[]> {
    return read('eks:ListClusters', () => collect(paginateListClusters({ client: this.eks }, {}), (p) => p.clusters), []);
  }

  async describeCluster(name: string): Promise<Cluster | undefined> {
    const cluster = await read('eks:DescribeCluster', async () => (await this.eks.send(new DescribeClusterCommand({ name }))).cluster, undefined);
    const vpc = cluster?.resourcesVpcConfig;
    // EKS always returns vpcId; emulators (moto) drop it. The event resolver maps VPC-level events (route tables,
    // NACLs) to clusters through it, so take it from the cluster's first subnet when it is missing.
    if (vpc && !vpc.vpcId && vpc.subnetIds?.length) {
      const subnets = await this.describeSubnets({ subnetIds: vpc.subnetIds.slice(0, 1) });
      if (subnets[0]?.VpcId) vpc.vpcId = subnets[0].VpcId;
    }
    return cluster;
  }

  listNodegroups(cluster: string): Promise<string[]> {
    return read('eks:ListNodegroups', () => collect(paginateListNodegroups({ client: this.eks }, { clusterName: cluster }), (p) => p.nodegroups), []);
  }

  describeNodegroup(cluster: string, nodegroup: string): Promise<Nodegroup | undefined> {
    return read(
      'eks:DescribeNodegroup',
      async () => (await this.eks.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: nodegroup }))).nodegroup,
      undefined,
    );
  }

  async listAccessEntries(cluster: string): Promise<AccessEntryView[]> {
    const principals = await read(
      'eks:ListAccessEntries',
      () => collect(paginateListAccessEntries({ client: this.eks }, { clusterName: cluster }), (p) => p.accessEntries),
      [],
    );
    const entries = await Promise.all(
      principals.map(async (principalArn): Promise<AccessEntryView | undefined> => {
        const [entry, policies] = await Promise.all([
          read('eks:DescribeAccessEntry', async () => (await this.eks.send(new DescribeAccessEntryCommand({ clusterName: cluster, principalArn }))).accessEntry, undefined),
          read(
            'eks:ListAssociatedAccessPolicies',
            () =>
              collect<{ associatedAccessPolicies?: AssociatedAccessPolicy[] }, AssociatedAccessPolicy>(
                paginateListAssociatedAccessPolicies({ client: this.eks }, { clusterName: cluster, principalArn }),
                (p) => p.associatedAccessPolicies,
              ),
            [],
          ),
        ]);
        // Deleted between the list and the describe: gone.
        return entry && { ...entry, associatedAccessPolicies: policies };
      }),
    );
    return entries.filter((e): e is AccessEntryView => !!e);
  }

  describeAddon(cluster: string, addonName: string): Promise<Addon | undefined> {
    return read('eks:DescribeAddon', async () => (await this.eks.send(new DescribeAddonCommand({ clusterName: cluster, addonName }))).addon, undefined);
  }

  /**
   * `includeAll` so that a version past its extended support is listed (as UNSUPPORTED) when EKS still knows it; a
   * version EKS no longer lists at all is judged by the rule (semantics/kubernetesVersions).
   */
  describeClusterVersions(): Promise<ClusterVersionInformation[]> {
    return read('eks:DescribeClusterVersions', () => collect(paginateDescribeClusterVersions({ client: this.eks }, { includeAll: true }), (p) => p.clusterVersions), []);
  }

  // ---- EC2

  /**
   * EC2 fails a whole batch with *.NotFound when one id is gone (deleted since an event named it); the reader
   * promises "not found = absent", so it then asks for each id on its own and keeps those that exist.
   */
  private async byIds<T>(operation: string, ids: string[] | undefined, fetch: (ids: string[] | undefined) => Promise<T[]>): Promise<T[]> {
    if (ids && !ids.length) return [];
    try {
      return await fetch(ids);
    } catch (e) {
      const code = errorCode(e);
      if (!isNotFound(code)) throw new ReadError(operation, code, (e as Error).message ?? String(e));
      if (!ids || ids.length < 2) return [];
      const each = await Promise.all(ids.map((id) => read(operation, () => fetch([id]), [] as T[])));
      return each.flat();
    }
  }

  describeSecurityGroups(q: { groupIds?: string[]; filters?: Filter[] }): Promise<SecurityGroup[]> {
    return this.byIds('ec2:DescribeSecurityGroups', q.groupIds, (GroupIds) =>
      collect(paginateDescribeSecurityGroups({ client: this.ec2 }, { GroupIds, Filters: q.filters }), (p) => p.SecurityGroups),
    );
  }

  describeSubnets(q: { subnetIds?: string[]; filters?: Filter[] }): Promise<Subnet[]> {
    return this.byIds('ec2:DescribeSubnets', q.subnetIds, (SubnetIds) =>
      collect(paginateDescribeSubnets({ client: this.ec2 }, { SubnetIds, Filters: q.filters }), (p) => p.Subnets),
    );
  }

  describeRouteTables(q: { routeTableIds?: string[]; filters?: Filter[] }): Promise<RouteTable[]> {
    return this.byIds('ec2:DescribeRouteTables', q.routeTableIds, (RouteTableIds) =>
      collect(paginateDescribeRouteTables({ client: this.ec2 }, { RouteTableIds, Filters: q.filters }), (p) => p.RouteTables),
    );
  }

  describeNetworkAcls(q: { networkAclIds?: string[]; filters?: Filter[] }): Promise<NetworkAcl[]> {
    return this.byIds('ec2:DescribeNetworkAcls', q.networkAclIds, (NetworkAclIds) =>
      collect(paginateDescribeNetworkAcls({ client: this.ec2 }, { NetworkAclIds, Filters: q.filters }), (p) => p.NetworkAcls),
    );
  }

  describeLaunchTemplateVersions(q: { launchTemplateId?: string; launchTemplateName?: string; versions: string[] }): Promise<LaunchTemplateVersion[]> {
    return read(
      'ec2:DescribeLaunchTemplateVersions',
      () =>
        collect(
          paginateDescribeLaunchTemplateVersions(
            { client: this.ec2 },
            { LaunchTemplateId: q.launchTemplateId, LaunchTemplateName: q.launchTemplateId ? undefined : q.launchTemplateName, Versions: q.versions },
          ),
          (p) => p.LaunchTemplateVersions,
        ),
      [],
    );
  }

  async describeInstances(q: { instanceIds?: string[]; filters?: Filter[] }): Promise<Instance[]> {
    // DescribeInstances has no launch-template filter; EC2 tags instances with the template they were launched from.
    const filters = q.filters?.map((f) => (f.Name === 'launch-template-id' ? { ...f, Name: `tag:${LAUNCH_TEMPLATE_TAG}` } : f));
    const all = await this.byIds('ec2:DescribeInstances', q.instanceIds, (InstanceIds) =>
      collect(paginateDescribeInstances({ client: this.ec2 }, { InstanceIds, Filters: filters }), (p) => (p.Reservations ?? []).flatMap((r) => r.Instances ?? [])),
    );
    return all.filter((i) => i.State?.Name !== 'terminated');
  }

  describeManagedPrefixLists(q: { prefixListIds: string[] }): Promise<ManagedPrefixList[]> {
    return this.byIds('ec2:DescribeManagedPrefixLists', q.prefixListIds, (PrefixListIds) =>
      collect(paginateDescribeManagedPrefixLists({ client: this.ec2 }, { PrefixListIds }), (p) => p.PrefixLists),
    );
  }

  getManagedPrefixListEntries(prefixListId: string): Promise<PrefixListEntry[] | undefined> {
    return read(
      'ec2:GetManagedPrefixListEntries',
      () => collect(paginateGetManagedPrefixListEntries({ client: this.ec2 }, { PrefixListId: prefixListId }), (p) => p.Entries),
      undefined,
    );
  }

  // ---- CloudTrail

  describeTrails(): Promise<Trail[]> {
    return read(
      'cloudtrail:DescribeTrails',
      async () => (await this.cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: true }))).trailList ?? [],
      [],
    );
  }

  getTrailStatus(trailArn: string): Promise<TrailStatus | undefined> {
    return read(
      'cloudtrail:GetTrailStatus',
      async () => {
        const { $metadata: _, ...status } = await this.cloudtrail.send(new GetTrailStatusCommand({ Name: trailArn }));
        return status;
      },
      undefined,
    );
  }

  getEventSelectors(trailArn: string): Promise<TrailEventSelectors | undefined> {
    return read(
      'cloudtrail:GetEventSelectors',
      async () => {
        const r = await this.cloudtrail.send(new GetEventSelectorsCommand({ TrailName: trailArn }));
        return {
          ...(r.EventSelectors ? { EventSelectors: r.EventSelectors } : {}),
          ...(r.AdvancedEventSelectors ? { AdvancedEventSelectors: r.AdvancedEventSelectors } : {}),
        };
      },
      undefined,
    );
  }

  /**
   * LookupEvents takes one lookup attribute. EventName (e.g. CreateCluster) is far more selective than a cluster
   * name (every call on the cluster, reads included), so the name is matched here instead.
   */
  async lookupEvents(q: { eventName: string; resourceName?: string }): Promise<CloudTrailLookupEvent[]> {
    const events = await read(
      'cloudtrail:LookupEvents',
      () =>
        collect(
          paginateLookupEvents({ client: this.cloudtrail }, { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: q.eventName }] }),
          (p) => p.Events,
        ),
      [],
    );
    return q.resourceName === undefined ? events : events.filter((e) => eventNamesResource(e, q.resourceName!));
  }

  // ---- IAM: a global service, answered the same from every region.

  getRole(roleName: string): Promise<Role | undefined> {
    return read('iam:GetRole', async () => (await this.iam.send(new GetRoleCommand({ RoleName: roleName }))).Role, undefined);
  }

  listAttachedRolePolicies(roleName: string): Promise<AttachedPolicy[]> {
    return read('iam:ListAttachedRolePolicies', () => collect(paginateListAttachedRolePolicies({ client: this.iam }, { RoleName: roleName }), (p) => p.AttachedPolicies), []);
  }

  listRolePolicies(roleName: string): Promise<string[]> {
    return read('iam:ListRolePolicies', () => collect(paginateListRolePolicies({ client: this.iam }, { RoleName: roleName }), (p) => p.PolicyNames), []);
  }

  getRolePolicy(roleName: string, policyName: string): Promise<RolePolicy | undefined> {
    return read(
      'iam:GetRolePolicy',
      async () => {
        const { $metadata: _, ...policy } = await this.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
        return policy;
      },
      undefined,
    );
  }

  getPolicy(policyArn: string): Promise<Policy | undefined> {
    return read('iam:GetPolicy', async () => (await this.iam.send(new GetPolicyCommand({ PolicyArn: policyArn }))).Policy, undefined);
  }

  getPolicyVersion(policyArn: string, versionId: string): Promise<PolicyVersion | undefined> {
    return read('iam:GetPolicyVersion', async () => (await this.iam.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }))).PolicyVersion, undefined);
  }

  getInstanceProfile(name: string): Promise<InstanceProfile | undefined> {
    return read('iam:GetInstanceProfile', async () => (await this.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile, undefined);
  }

  listInstanceProfilesForRole(roleName: string): Promise<InstanceProfile[]> {
    return read('iam:ListInstanceProfilesForRole', () => collect(paginateListInstanceProfilesForRole({ client: this.iam }, { RoleName: roleName }), (p) => p.InstanceProfiles), []);
  }

  async getAccountAuthorizationDetails(): Promise<{ roles: RoleDetail[]; policies: ManagedPolicyDetail[] }> {
    const pages = await read(
      'iam:GetAccountAuthorizationDetails',
      () => collect<GetAccountAuthorizationDetailsCommandOutput, GetAccountAuthorizationDetailsCommandOutput>(paginateGetAccountAuthorizationDetails({ client: this.iam }, { Filter: ['Role', 'LocalManagedPolicy'] }), (p) => [p]),
      [],
    );
    return { roles: pages.flatMap((p) => p.RoleDetailList ?? []), policies: pages.flatMap((p) => p.Policies ?? []) };
  }

  // ---- Auto Scaling

  describeAutoScalingGroups(q: { names?: string[]; filters?: AutoScalingFilter[] }): Promise<AutoScalingGroup[]> {
    if (q.names && !q.names.length) return Promise.resolve([]);
    return read(
      'autoscaling:DescribeAutoScalingGroups',
      () => collect(paginateDescribeAutoScalingGroups({ client: this.autoscaling }, { AutoScalingGroupNames: q.names, Filters: q.filters }), (p) => p.AutoScalingGroups),
      [],
    );
  }

  describeLaunchConfigurations(names: string[]): Promise<LaunchConfiguration[]> {
    if (!names.length) return Promise.resolve([]);
    return read(
      'autoscaling:DescribeLaunchConfigurations',
      () => collect(paginateDescribeLaunchConfigurations({ client: this.autoscaling }, { LaunchConfigurationNames: names }), (p) => p.LaunchConfigurations),
      [],
    );
  }

  // ---- Kubernetes

  /** Throws KubeReadError naming why the cluster's API could not be read, so its rules are reported not evaluated with that reason. */
  async readKubernetes(cluster: Cluster): Promise<KubernetesState | undefined> {
    let token: string;
    try {
      token = await eksToken({ clusterName: cluster.name ?? '', region: await this.eks.config.region(), credentials: await this.eks.config.credentials() });
    } catch (e) {
      throw new KubeReadError('NoToken', `cannot sign an EKS token: ${(e as Error).message}`);
    }
    return readKubernetesApi(cluster, token, this.kubernetesLimits);
  }
}
