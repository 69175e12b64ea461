import type { AccessEntry, Addon, AssociatedAccessPolicy, Cluster, ClusterVersionInformation, Nodegroup } from '@aws-sdk/client-eks';
import type {
  Filter,
  Instance,
  LaunchTemplateVersion,
  ManagedPrefixList,
  NetworkAcl,
  PrefixListEntry,
  RouteTable,
  SecurityGroup,
  Subnet,
} from '@aws-sdk/client-ec2';
import type { EventSelector, AdvancedEventSelector, GetTrailStatusCommandOutput, Trail, Event as CloudTrailLookupEvent } from '@aws-sdk/client-cloudtrail';
import type { AttachedPolicy, GetRolePolicyCommandOutput, InstanceProfile, ManagedPolicyDetail, Policy, PolicyVersion, Role, RoleDetail } from '@aws-sdk/client-iam';
import type { AutoScalingGroup, Filter as AutoScalingFilter, LaunchConfiguration } from '@aws-sdk/client-auto-scaling';

/** An access entry as DescribeAccessEntry returns it, plus ListAssociatedAccessPolicies' result (the world-file shape). */
export type AccessEntryView = AccessEntry & { associatedAccessPolicies: AssociatedAccessPolicy[] };

/** GetTrailStatus's output without the SDK's $metadata. */
export type TrailStatus = Omit<GetTrailStatusCommandOutput, '$metadata'>;

/** GetEventSelectors' output: either classic or advanced selectors. */
export interface TrailEventSelectors {
  EventSelectors?: EventSelector[];
  AdvancedEventSelectors?: AdvancedEventSelector[];
}

/** Kubernetes objects, as the Kubernetes API returns them (JSON). Only the fields the rules read are typed. */
export interface KubeMeta {
  name?: string;
  namespace?: string;
  [k: string]: unknown;
}
export interface KubeConfigMap {
  metadata?: KubeMeta;
  data?: Record<string, string>;
  [k: string]: unknown;
}
export interface KubeClusterRoleBinding {
  metadata?: KubeMeta;
  roleRef?: { apiGroup?: string; kind?: string; name?: string };
  subjects?: { kind?: string; name?: string; apiGroup?: string; namespace?: string }[];
  [k: string]: unknown;
}
export interface KubernetesState {
  /** kube-system/aws-auth; absent when the cluster has none. */
  awsAuth?: KubeConfigMap;
  /**
   * Accepted in world files (DESIGN's contract) but read by no rule, so never read live: `system:masters` is authorized
   * by the API server before RBAC, and no rule's verdict depends on a binding.
   */
  clusterRoleBindings?: KubeClusterRoleBinding[];
  namespaces?: Record<string, unknown>[];
  networkPolicies?: Record<string, unknown>[];
  /**
   * Calico's policies (crd.projectcalico.org/v1). Present, even empty, when the cluster serves Calico's CRDs (Calico
   * is installed and enforces policies); absent when it does not (a missing CRD is "no Calico").
   */
  calicoGlobalNetworkPolicies?: Record<string, unknown>[];
  calicoNetworkPolicies?: Record<string, unknown>[];
}

/** GetRolePolicy's output without the SDK's $metadata: one inline policy of a role. */
export type RolePolicy = Omit<GetRolePolicyCommandOutput, '$metadata'>;

/**
 * Read access to one account and region. Every method returns the AWS SDK v3 output shapes, so the live
 * reader and the world-file reader are interchangeable. "Not found" is `undefined` (or an empty list), never
 * an exception; any other failure (AccessDenied, throttling after retries) is thrown as `ReadError`.
 * Methods are shaped like the AWS calls they stand for, so a counting wrapper measures real API cost.
 */
export interface AwsReader {
  identity(): Promise<{ account: string; region: string }>;
  /**
   * When a recorded account was recorded (a world file's `recordedAt`): its verdicts are as of that moment, so the
   * calendar rules judge it then. Live readers have none: their state is as of each evaluation.
   */
  readonly recordedAt?: Date;

  listClusters(): Promise<string[]>;
  describeCluster(name: string): Promise<Cluster | undefined>;
  listNodegroups(cluster: string): Promise<string[]>;
  describeNodegroup(cluster: string, nodegroup: string): Promise<Nodegroup | undefined>;
  /** ListAccessEntries + DescribeAccessEntry + ListAssociatedAccessPolicies for each. */
  listAccessEntries(cluster: string): Promise<AccessEntryView[]>;
  describeAddon(cluster: string, addonName: string): Promise<Addon | undefined>;
  /** DescribeClusterVersions with `includeAll`, every page: the region's Kubernetes version calendar, the same for every cluster. */
  describeClusterVersions(): Promise<ClusterVersionInformation[]>;

  describeSecurityGroups(q: { groupIds?: string[]; filters?: Filter[] }): Promise<SecurityGroup[]>;
  describeSubnets(q: { subnetIds?: string[]; filters?: Filter[] }): Promise<Subnet[]>;
  describeRouteTables(q: { routeTableIds?: string[]; filters?: Filter[] }): Promise<RouteTable[]>;
  describeNetworkAcls(q: { networkAclIds?: string[]; filters?: Filter[] }): Promise<NetworkAcl[]>;
  /** `versions` are version numbers or `$Default` / `$Latest`. */
  describeLaunchTemplateVersions(q: { launchTemplateId?: string; launchTemplateName?: string; versions: string[] }): Promise<LaunchTemplateVersion[]>;
  /** Only instances not terminated. */
  describeInstances(q: { instanceIds?: string[]; filters?: Filter[] }): Promise<Instance[]>;
  /** DescribeManagedPrefixLists by id (AWS-managed lists included); ids that do not exist are left out. */
  describeManagedPrefixLists(q: { prefixListIds: string[] }): Promise<ManagedPrefixList[]>;
  /** GetManagedPrefixListEntries for the current version; undefined when the list does not exist (or is not shared with us). */
  getManagedPrefixListEntries(prefixListId: string): Promise<PrefixListEntry[] | undefined>;

  describeTrails(): Promise<Trail[]>;
  getTrailStatus(trailArn: string): Promise<TrailStatus | undefined>;
  getEventSelectors(trailArn: string): Promise<TrailEventSelectors | undefined>;
  /** CloudTrail LookupEvents by EventName (and optionally ResourceName), newest first. */
  lookupEvents(q: { eventName: string; resourceName?: string }): Promise<CloudTrailLookupEvent[]>;

  /**
   * Objects read through the cluster's Kubernetes API. A live read that fails throws ReadError naming why (no network
   * path, no access, a bound broken); `undefined` is a recorded world that marks the cluster unreadable.
   */
  readKubernetes(cluster: Cluster): Promise<KubernetesState | undefined>;

  // IAM (global): documents come URL-encoded, as the SDK returns them.
  getRole(roleName: string): Promise<Role | undefined>;
  listAttachedRolePolicies(roleName: string): Promise<AttachedPolicy[]>;
  listRolePolicies(roleName: string): Promise<string[]>;
  getRolePolicy(roleName: string, policyName: string): Promise<RolePolicy | undefined>;
  getPolicy(policyArn: string): Promise<Policy | undefined>;
  getPolicyVersion(policyArn: string, versionId: string): Promise<PolicyVersion | undefined>;
  getInstanceProfile(name: string): Promise<InstanceProfile | undefined>;
  listInstanceProfilesForRole(roleName: string): Promise<InstanceProfile[]>;
  /**
   * GetAccountAuthorizationDetails filtered to roles and customer managed policies: every role with its trust
   * policy, inline policy documents, attached policies and instance profiles, every customer managed policy with its
   * versions (the sweep's one read of IAM; users and groups are not asked for).
   */
  getAccountAuthorizationDetails(): Promise<{ roles: RoleDetail[]; policies: ManagedPolicyDetail[] }>;

  /** Auto Scaling groups by name and/or `tag-key` / `tag-value` / `tag:KEY` filters. */
  describeAutoScalingGroups(q: { names?: string[]; filters?: AutoScalingFilter[] }): Promise<AutoScalingGroup[]>;
  describeLaunchConfigurations(names: string[]): Promise<LaunchConfiguration[]>;
}

/** A read that failed for a reason other than "not found". Carries the AWS error name so callers can classify it. */
export class ReadError extends Error {
  constructor(
    readonly operation: string,
    readonly code: string,
    message: string,
  ) {
    super(`${operation} failed: ${code}: ${message}`);
    this.name = 'ReadError';
  }
}

/**
 * `reader` with the reads in `answered` answered otherwise; every other read goes to `reader` itself. The layers a
 * sweep or a container puts over the SDK reader (account-wide reads, kept policies and template versions, the version
 * calendar) each answer a few reads this way.
 */
export function answering(reader: AwsReader, answered: Partial<AwsReader>): AwsReader {
  return new Proxy(reader, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && Object.hasOwn(answered, prop)) return answered[prop as keyof AwsReader];
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
