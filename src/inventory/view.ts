import type { Addon, Cluster, ClusterVersionInformation, Nodegroup } from '@aws-sdk/client-eks';
import type { Instance, LaunchTemplateVersion, ManagedPrefixList, NetworkAcl, PrefixListEntry, RouteTable, SecurityGroup, Subnet } from '@aws-sdk/client-ec2';
import type { Trail, Event as CloudTrailLookupEvent } from '@aws-sdk/client-cloudtrail';
import type { AttachedPolicy, InstanceProfile, Policy, PolicyVersion, Role } from '@aws-sdk/client-iam';
import type { AutoScalingGroup, LaunchConfiguration } from '@aws-sdk/client-auto-scaling';
import type { AccessEntryView, KubernetesState, RolePolicy, TrailEventSelectors, TrailStatus } from './reader';

/**
 * The parts of a cluster's state a rule can read. The view builder reads only the parts the rules being
 * evaluated need (an event about a security group does not pay for access entries), and a rule runs only
 * when every part it needs was read successfully.
 */
export type ViewPart =
  | 'nodegroups' // node groups, their launch templates, self-managed instances
  | 'securityGroups' // cluster + node security groups (reads the nodes first, so 'nodegroups' is loaded with it)
  | 'subnets' // node subnets as EC2 describes them, without routes or ACLs (likewise reads the nodes)
  | 'network' // node subnets with effective route table and NACL, and the other subnets of their VPCs (loads 'subnets' too)
  | 'accessEntries'
  | 'addons'
  | 'kubernetes'
  | 'creator' // the CreateCluster CloudTrail records (this cluster's, and every other one the sources know)
  | 'creatorRole' // the IAM role behind the creator (reads 'creator' and 'accessEntries' first)
  | 'nodeRoles' // the IAM roles of the nodes, with their policy documents (reads the nodes first)
  | 'eksLaunchTemplates' // the templates EKS created for managed node groups without one of their own (reads the nodes first)
  | 'clusterVersions'; // the region's Kubernetes version calendar (DescribeClusterVersions), the same for every cluster

/** Why a security group is in the view: which role it plays for the cluster. */
export type SecurityGroupRole =
  | 'cluster' // resourcesVpcConfig.clusterSecurityGroupId (EKS-created)
  | 'control-plane' // resourcesVpcConfig.securityGroupIds (additional control-plane groups)
  | 'node' // attached to nodes (managed node group default, launch template, self-managed instance)
  | 'remote-access'; // nodegroup.resources.remoteAccessSecurityGroup

export interface NodegroupView {
  nodegroup: Nodegroup;
  /** The launch template version the node group runs (its pinned version, else the template's default), when it has one. */
  launchTemplate?: LaunchTemplateVersion;
  /** Why the node group's launch template version is unknown (it names one that could not be found): rules needing it are not evaluated. */
  launchTemplateProblem?: string;
  /** Its running nodes: instances of its Auto Scaling groups (`aws:autoscaling:groupName`, a tag no user can change). */
  instances: Instance[];
  /** Without a launch template of its own, what its nodes launch from: the template EKS created for it (read for 'eksLaunchTemplates' only). */
  eksLaunchTemplate?: EksLaunchTemplate;
  /** Security groups attached to this node group's nodes, per the rules in DESIGN ("Node security groups"). */
  securityGroupIds: string[];
}

/**
 * The launch template EKS created in the account for a managed node group given none: its Auto Scaling groups say
 * which template and version (or mixed-instances policy) they launch from.
 */
export interface EksLaunchTemplate {
  autoScalingGroups: AutoScalingGroup[];
  versions: LaunchTemplateVersion[];
  /** Why what the nodes launch from is not fully known (no Auto Scaling group, a version not found): rules reading it are not evaluated. */
  problem?: string;
}

/** Security groups that apply together to one network interface: AWS merges their inbound rules additively. */
export interface GroupAttachment {
  /** What carries them: "control plane", "node group ng-1", "instance i-0abc (eni-0def)" (identical sets are listed once). */
  on: string[];
  groupIds: string[];
  /** Why the set is not fully known (e.g. a launch template version that could not be read): rules judging it are not evaluated. */
  unknown?: string;
}

export interface MissingObject {
  kind: 'security group' | 'subnet';
  id: string;
  /** Who still names it: node groups, instances, the control plane. */
  referencedBy: string[];
}

/** A managed prefix list a security group or route references, with its entries; `unreadable` says why they are unknown. */
export interface PrefixListView {
  prefixListId: string;
  /** DescribeManagedPrefixLists' entry (name, owner, address family), when it could be read. */
  prefixList?: ManagedPrefixList;
  /** GetManagedPrefixListEntries' entries. */
  entries: PrefixListEntry[];
  unreadable?: string;
  /** EC2 does not know the list (deleted, or no longer shared with the account): also unreadable, but not a read failure. */
  notFound?: true;
}

/** A self-managed node group: an Auto Scaling group tagged for the cluster (or holding a node tagged for it) that no managed node group owns. */
export interface SelfManagedGroupView {
  group: AutoScalingGroup;
  /** The launch template versions it launches from (its template, or its mixed-instances policy's and overrides'). */
  launchTemplates: LaunchTemplateVersion[];
  /** Its launch configuration (the legacy alternative to a launch template), when it has one. */
  launchConfiguration?: LaunchConfiguration;
  /** Why how it launches is not fully known (a template version or launch configuration it names was not found): rules needing it are not evaluated. */
  launchTemplateProblem?: string;
  /** Its running members (`aws:autoscaling:groupName`, a tag no user can change), also listed in `selfManagedInstances`. */
  instances: Instance[];
  subnetIds: string[];
  securityGroupIds: string[];
}

/** A CreateCluster CloudTrail record (LookupEvents' Event shape, CloudTrailEvent parsed into `record`), and who knew it. */
export type CreateClusterRecord = CloudTrailLookupEvent & { record?: Record<string, unknown>; source: string };

/** An IAM role as the rules need it. `role` is undefined when no such role exists (deleted, or the ARN is wrong). */
export interface RoleDetails {
  arn: string;
  role?: Role;
  /** The role belongs to another account: its policies cannot be read from this one. */
  foreignAccount?: string;
  attachedPolicies: AttachedPolicy[];
  inlinePolicyNames: string[];
  /** GetRolePolicy of each inline policy, when documents were asked for (node roles). */
  inlinePolicies: RolePolicy[];
  /** Attached managed policies and the permissions boundary, by ARN, with their default version (empty: not found). */
  managedPolicies: Record<string, { policy?: Policy; version?: PolicyVersion }>;
}

/** A role the nodes run as, and who uses it. */
export interface NodeRoleView {
  roleArn: string;
  /** Node group / Auto Scaling group names and self-managed instance ids. */
  usedBy: string[];
  /** How the role was found: `nodegroup.nodeRole`, `instance profile <arn>`. */
  via: string[];
  details: RoleDetails;
}

/** Nodes whose role could not be found: no instance profile, or one that does not exist. */
export interface NodeWithoutRole {
  node: string;
  resourceType: 'group' | 'instance';
  reason: string;
  instanceProfile?: string;
}

export interface SubnetView {
  subnet: Subnet;
  /** The route table that governs the subnet: its explicit association, else the VPC's main table. */
  routeTable?: RouteTable;
  routeTableIsMain: boolean;
  /** The network ACL associated with the subnet (every subnet has exactly one). */
  networkAcl?: NetworkAcl;
  /** Who puts nodes in this subnet: node group names and/or self-managed instance ids. */
  usedBy: string[];
}

export interface ClusterView {
  account: string;
  region: string;
  name: string;
  arn: string;
  cluster: Cluster;
  /**
   * The moment the verdicts are for: when the evaluation began reading, or when a recorded world was recorded. Rules
   * that depend on the calendar (end of support) read it here, never from the clock.
   */
  asOf: Date;

  nodegroups: NodegroupView[];
  /**
   * Nodes no managed node group owns: instances tagged `kubernetes.io/cluster/<name>` or `eks:cluster-name`, and the
   * members of the self-managed groups (see inventory/nodes.ts for who decides).
   */
  selfManagedInstances: Instance[];
  /** Auto Scaling groups tagged `kubernetes.io/cluster/<name>`, or holding a node tagged for the cluster, that no managed node group owns. */
  selfManagedGroups: SelfManagedGroupView[];
  /** Every security group that protects the cluster or its nodes, with the roles it plays. */
  securityGroups: { group: SecurityGroup; roles: SecurityGroupRole[]; usedBy: string[] }[];
  /** Which of those groups share a network interface (control plane, each node group's nodes, each node's actual ENIs). */
  attachments: GroupAttachment[];
  /** Prefix lists referenced by those groups' inbound rules and by the node subnets' routes. */
  prefixLists: PrefixListView[];
  /** Objects something references that no longer exist (a deleted security group a node still names, a deleted subnet). */
  missing: MissingObject[];
  /** Node subnets (managed node groups', self-managed groups' and self-managed instances' subnets). */
  subnets: SubnetView[];
  /** Every subnet of the node subnets' VPCs, with its network ACL (to tell bastion subnets from node subnets). */
  vpcSubnets: { subnet: Subnet; networkAcl?: NetworkAcl }[];
  accessEntries: AccessEntryView[];
  addons: Addon[];
  /** Kubernetes objects; undefined when they could not be read (rules needing them are then not evaluated). */
  kubernetes?: KubernetesState;
  /** The CreateCluster CloudTrail record of this cluster, from the first creator source that has it. */
  creatorEvent?: CreateClusterRecord;
  /** Every successful EKS CreateCluster record the creator sources know, for every cluster (who created what). */
  creations: CreateClusterRecord[];
  /** Which creator sources were read, in order, and which failed (their records are missing from `creations`). */
  creatorSources: { name: string; error?: string }[];
  /** The creator's IAM role (see semantics/creator), when the creator is a role of this account. */
  creatorRole?: RoleDetails;
  nodeRoles: NodeRoleView[];
  nodesWithoutRole: NodeWithoutRole[];
  /** The instance profiles self-managed nodes use (read to find their roles). */
  instanceProfiles: InstanceProfile[];
  /** DescribeClusterVersions' clusterVersions, when read: every Kubernetes version EKS lists, with its end-of-support dates. */
  clusterVersions: ClusterVersionInformation[];

  /** Parts read successfully. */
  loaded: ReadonlySet<ViewPart>;
  /** Parts that could not be read, and why (AccessDenied, throttling…). Rules needing them are reported as not evaluated. */
  unreadable: { part: ViewPart; reason: string }[];
}

export interface TrailView {
  trail: Trail;
  status?: TrailStatus;
  eventSelectors?: TrailEventSelectors;
}

/** Account-level state, for account rules (`cloudtrail-enabled`). */
export interface AccountView {
  account: string;
  region: string;
  trails: TrailView[];
  unreadable: { part: 'trails'; reason: string }[];
}
