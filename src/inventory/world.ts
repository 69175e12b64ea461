import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Addon, Cluster, ClusterVersionInformation, Nodegroup } from '@aws-sdk/client-eks';
import type { Instance, LaunchTemplateVersion, ManagedPrefixList, NetworkAcl, PrefixListEntry, RouteTable, SecurityGroup, Subnet } from '@aws-sdk/client-ec2';
import type { Event as CloudTrailLookupEvent, Trail } from '@aws-sdk/client-cloudtrail';
import type { AttachedPolicy, InstanceProfile, ManagedPolicyDetail, Role } from '@aws-sdk/client-iam';
import type { AutoScalingGroup, LaunchConfiguration } from '@aws-sdk/client-auto-scaling';
import { InputError, formatZodError } from '../errors';
import { policyJson } from '../rules/semantics/policyDocument';
import type { AccessEntryView, KubernetesState, RolePolicy, TrailEventSelectors, TrailStatus } from './reader';

/** Node groups, access entries and add-ons name their cluster, as DescribeNodegroup/DescribeAccessEntry/DescribeAddon return them. */
type OfCluster<T> = T & { clusterName: string };

export type WorldRole = Role & { attachedPolicies?: AttachedPolicy[]; inlinePolicyNames?: string[]; inlinePolicies?: RolePolicy[] };

/** A recorded account (DESIGN.md "World file"): AWS SDK v3 output shapes, so `aws ... describe-*` output drops in. */
export interface World {
  account: string;
  region: string;
  /** When the account was recorded (`snapshot` writes it): the calendar rules judge the world as of then. */
  recordedAt?: Date;
  eks: {
    clusters: Cluster[];
    nodegroups: OfCluster<Nodegroup>[];
    accessEntries: OfCluster<AccessEntryView>[];
    addons: OfCluster<Addon>[];
    /**
     * DescribeClusterVersions' clusterVersions. `null` records that it could not be read; absent, that it was not
     * recorded. Either way the version rule falls back to the configured minimum version.
     */
    clusterVersions?: ClusterVersionInformation[] | null;
  };
  ec2: {
    securityGroups: SecurityGroup[];
    subnets: Subnet[];
    routeTables: RouteTable[];
    networkAcls: NetworkAcl[];
    launchTemplateVersions: LaunchTemplateVersion[];
    instances: Instance[];
    /** DescribeManagedPrefixLists' PrefixLists[i] + GetManagedPrefixListEntries' Entries. */
    managedPrefixLists: (ManagedPrefixList & { Entries?: PrefixListEntry[] })[];
  };
  cloudtrail: {
    trails: Trail[];
    /** GetTrailStatus output by trail ARN. */
    trailStatus: Record<string, TrailStatus>;
    /** GetEventSelectors output by trail ARN (an extension of the DESIGN contract). */
    eventSelectors: Record<string, TrailEventSelectors>;
  };
  /**
   * Kubernetes objects per cluster name. `null` records "could not be read" (a snapshot without Kubernetes access),
   * so rules needing them are reported not evaluated; an absent cluster means "nothing there" (no aws-auth).
   */
  kubernetes: Record<string, KubernetesState | null>;
  iam: {
    /** GetRole.Role + ListAttachedRolePolicies + ListRolePolicies + GetRolePolicy of each inline policy. */
    roles: WorldRole[];
    instanceProfiles: InstanceProfile[];
    /** Managed policies with their versions, as GetAccountAuthorizationDetails lists them (Policies[]). */
    policies: ManagedPolicyDetail[];
  };
  autoscaling: { groups: AutoScalingGroup[]; launchConfigurations: LaunchConfiguration[] };
  cloudtrailEvents: CloudTrailLookupEvent[];
}

/**
 * AWS CLI prints timestamps as ISO strings, EKS responses as epoch seconds, and some tools as epoch milliseconds;
 * the SDK types say Date, so every timestamp field becomes a Date here.
 */
const date = z
  .union([z.string(), z.number(), z.date()])
  .transform((v, ctx) => {
    const d = v instanceof Date ? v : typeof v === 'number' ? new Date(v < 1e11 ? v * 1000 : v) : new Date(v);
    if (Number.isNaN(d.getTime())) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `Invalid date: ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return d;
  });

const str = z.string();
const strs = z.array(z.string());
const obj = <T extends z.ZodRawShape>(shape: T) => z.object(shape).passthrough();
const tagsEc2 = z.array(obj({ Key: str.optional(), Value: str.optional() }));
const tagsEks = z.record(z.string());

const cluster = obj({
  name: str,
  arn: str.optional(),
  createdAt: date.optional(),
  endpoint: str.optional(),
  roleArn: str.optional(),
  resourcesVpcConfig: obj({
    subnetIds: strs.optional(),
    securityGroupIds: strs.optional(),
    clusterSecurityGroupId: str.optional(),
    vpcId: str.optional(),
    endpointPublicAccess: z.boolean().optional(),
    endpointPrivateAccess: z.boolean().optional(),
    publicAccessCidrs: strs.optional(),
  }).optional(),
  logging: obj({ clusterLogging: z.array(obj({ types: strs.optional(), enabled: z.boolean().optional() })).optional() }).optional(),
  accessConfig: obj({ authenticationMode: str.optional(), bootstrapClusterCreatorAdminPermissions: z.boolean().optional() }).optional(),
  version: str.optional(),
  status: str.optional(),
  upgradePolicy: obj({ supportType: str.optional() }).optional(),
  encryptionConfig: z.array(obj({ resources: strs.optional(), provider: obj({ keyArn: str.optional() }).optional() })).optional(),
  certificateAuthority: obj({ data: str.optional() }).optional(),
  tags: tagsEks.optional(),
});

const nodegroup = obj({
  nodegroupName: str,
  clusterName: str,
  nodegroupArn: str.optional(),
  createdAt: date.optional(),
  modifiedAt: date.optional(),
  subnets: strs.optional(),
  nodeRole: str.optional(),
  remoteAccess: obj({ ec2SshKey: str.optional(), sourceSecurityGroups: strs.optional() }).optional(),
  launchTemplate: obj({ id: str.optional(), name: str.optional(), version: str.optional() }).optional(),
  resources: obj({
    remoteAccessSecurityGroup: str.optional(),
    autoScalingGroups: z.array(obj({ name: str.optional() })).optional(),
  }).optional(),
  tags: tagsEks.optional(),
});

const accessEntry = obj({
  clusterName: str,
  principalArn: str,
  accessEntryArn: str.optional(),
  createdAt: date.optional(),
  modifiedAt: date.optional(),
  kubernetesGroups: strs.optional(),
  type: str.optional(),
  associatedAccessPolicies: z
    .array(obj({ policyArn: str.optional(), accessScope: obj({ type: str.optional(), namespaces: strs.optional() }).optional(), associatedAt: date.optional(), modifiedAt: date.optional() }))
    .default([]),
});

const addon = obj({
  addonName: str,
  clusterName: str,
  createdAt: date.optional(),
  modifiedAt: date.optional(),
  configurationValues: str.optional(),
});

const clusterVersion = obj({
  clusterVersion: str.optional(),
  clusterType: str.optional(),
  defaultVersion: z.boolean().optional(),
  releaseDate: date.optional(),
  endOfStandardSupportDate: date.optional(),
  endOfExtendedSupportDate: date.optional(),
  status: str.optional(),
  versionStatus: str.optional(),
});

const ipPermission = obj({
  IpProtocol: str.optional(),
  FromPort: z.number().optional(),
  ToPort: z.number().optional(),
  IpRanges: z.array(obj({ CidrIp: str.optional() })).optional(),
  Ipv6Ranges: z.array(obj({ CidrIpv6: str.optional() })).optional(),
  UserIdGroupPairs: z.array(obj({ GroupId: str.optional() })).optional(),
  PrefixListIds: z.array(obj({ PrefixListId: str.optional() })).optional(),
});

const securityGroup = obj({
  GroupId: str,
  VpcId: str.optional(),
  GroupName: str.optional(),
  IpPermissions: z.array(ipPermission).optional(),
  IpPermissionsEgress: z.array(ipPermission).optional(),
  Tags: tagsEc2.optional(),
});

const subnet = obj({
  SubnetId: str,
  VpcId: str.optional(),
  CidrBlock: str.optional(),
  Ipv6CidrBlockAssociationSet: z.array(obj({ Ipv6CidrBlock: str.optional() })).optional(),
  MapPublicIpOnLaunch: z.boolean().optional(),
  Tags: tagsEc2.optional(),
});

const routeTable = obj({
  RouteTableId: str,
  VpcId: str.optional(),
  Associations: z.array(obj({ Main: z.boolean().optional(), SubnetId: str.optional(), RouteTableId: str.optional(), GatewayId: str.optional() })).optional(),
  Routes: z.array(obj({ DestinationCidrBlock: str.optional(), DestinationIpv6CidrBlock: str.optional(), DestinationPrefixListId: str.optional(), GatewayId: str.optional() })).optional(),
  Tags: tagsEc2.optional(),
});

const networkAcl = obj({
  NetworkAclId: str,
  VpcId: str.optional(),
  IsDefault: z.boolean().optional(),
  Associations: z.array(obj({ SubnetId: str.optional(), NetworkAclId: str.optional() })).optional(),
  Entries: z
    .array(obj({ RuleNumber: z.number().optional(), Protocol: str.optional(), RuleAction: str.optional(), Egress: z.boolean().optional(), CidrBlock: str.optional(), Ipv6CidrBlock: str.optional(), PortRange: obj({ From: z.number().optional(), To: z.number().optional() }).optional() }))
    .optional(),
  Tags: tagsEc2.optional(),
});

/** Instance metadata service options, as launch templates, launch configurations and DescribeInstances spell them. */
const metadataOptions = obj({ HttpTokens: str.optional(), HttpPutResponseHopLimit: z.number().optional(), HttpEndpoint: str.optional() });

const launchTemplateVersion = obj({
  LaunchTemplateId: str.optional(),
  LaunchTemplateName: str.optional(),
  VersionNumber: z.number(),
  DefaultVersion: z.boolean().optional(),
  CreateTime: date.optional(),
  LaunchTemplateData: obj({
    KeyName: str.optional(),
    SecurityGroupIds: strs.optional(),
    SecurityGroups: strs.optional(),
    NetworkInterfaces: z.array(obj({ AssociatePublicIpAddress: z.boolean().optional(), Groups: strs.optional(), SubnetId: str.optional(), DeviceIndex: z.number().optional() })).optional(),
    IamInstanceProfile: obj({ Arn: str.optional(), Name: str.optional() }).optional(),
    TagSpecifications: z.array(obj({ ResourceType: str.optional(), Tags: tagsEc2.optional() })).optional(),
    MetadataOptions: metadataOptions.optional(),
  }).optional(),
}).refine((v) => v.LaunchTemplateId !== undefined || v.LaunchTemplateName !== undefined, { message: 'a launch template version needs LaunchTemplateId or LaunchTemplateName' });

const managedPrefixList = obj({
  PrefixListId: str,
  PrefixListName: str.optional(),
  AddressFamily: str.optional(),
  OwnerId: str.optional(),
  Entries: z.array(obj({ Cidr: str, Description: str.optional() })).optional(),
});

const instance = obj({
  InstanceId: str,
  SubnetId: str.optional(),
  VpcId: str.optional(),
  LaunchTime: date.optional(),
  PublicIpAddress: str.optional(),
  KeyName: str.optional(),
  IamInstanceProfile: obj({ Arn: str.optional(), Id: str.optional() }).optional(),
  State: obj({ Name: str.optional() }).optional(),
  MetadataOptions: metadataOptions.optional(),
  SecurityGroups: z.array(obj({ GroupId: str.optional() })).optional(),
  NetworkInterfaces: z
    .array(obj({ NetworkInterfaceId: str.optional(), SubnetId: str.optional(), Groups: z.array(obj({ GroupId: str.optional() })).optional() }))
    .optional(),
  Tags: tagsEc2.optional(),
});

const trail = obj({ TrailARN: str.optional(), Name: str.optional(), HomeRegion: str.optional(), IsMultiRegionTrail: z.boolean().optional() });

const trailStatus = obj({
  IsLogging: z.boolean().optional(),
  LatestDeliveryTime: date.optional(),
  LatestNotificationTime: date.optional(),
  StartLoggingTime: date.optional(),
  StopLoggingTime: date.optional(),
  LatestCloudWatchLogsDeliveryTime: date.optional(),
  LatestDigestDeliveryTime: date.optional(),
  TimeLoggingStarted: str.optional(),
  TimeLoggingStopped: str.optional(),
});

const eventSelectors = obj({
  EventSelectors: z.array(obj({ ReadWriteType: str.optional(), IncludeManagementEvents: z.boolean().optional(), ExcludeManagementEventSources: strs.optional() })).optional(),
  AdvancedEventSelectors: z.array(obj({ Name: str.optional(), FieldSelectors: z.array(obj({ Field: str, Equals: strs.optional(), NotEquals: strs.optional(), StartsWith: strs.optional(), NotStartsWith: strs.optional(), EndsWith: strs.optional(), NotEndsWith: strs.optional() })) })).optional(),
});

const kubeObject = z.record(z.unknown());
const kubernetesState = obj({
  awsAuth: obj({ metadata: z.record(z.unknown()).optional(), data: z.record(z.string()).optional() }).optional(),
  clusterRoleBindings: z
    .array(obj({ metadata: z.record(z.unknown()).optional(), roleRef: obj({ apiGroup: str.optional(), kind: str.optional(), name: str.optional() }).optional(), subjects: z.array(obj({ kind: str.optional(), name: str.optional() })).nullish().transform((v) => v ?? undefined) }))
    .optional(),
  namespaces: z.array(kubeObject).optional(),
  networkPolicies: z.array(kubeObject).optional(),
  calicoGlobalNetworkPolicies: z.array(kubeObject).optional(),
  calicoNetworkPolicies: z.array(kubeObject).optional(),
});

/**
 * An IAM policy document in any of its three forms — URL-encoded (the SDK), a JSON string, an object (the AWS CLI) —
 * kept as a string, the SDK's type; one that does not parse is refused here, naming its path.
 */
const policyDocument = z.unknown().transform((v, ctx) => {
  try {
    policyJson(v);
  } catch (e) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a policy document: ${(e as Error).message}` });
    return z.NEVER;
  }
  return typeof v === 'string' ? v : JSON.stringify(v);
});

const iamRoleCore = {
  RoleName: str.optional(),
  Arn: str,
  RoleId: str.optional(),
  Path: str.optional(),
  CreateDate: date.optional(),
  AssumeRolePolicyDocument: policyDocument.optional(),
  PermissionsBoundary: obj({ PermissionsBoundaryArn: str.optional(), PermissionsBoundaryType: str.optional() }).optional(),
};

const iamRole = obj({
  ...iamRoleCore,
  attachedPolicies: z.array(obj({ PolicyArn: str.optional(), PolicyName: str.optional() })).optional(),
  inlinePolicyNames: strs.optional(),
  inlinePolicies: z.array(obj({ RoleName: str.optional(), PolicyName: str, PolicyDocument: policyDocument })).optional(),
});

const instanceProfile = obj({
  InstanceProfileName: str,
  Arn: str.optional(),
  Path: str.optional(),
  Roles: z.array(obj(iamRoleCore)).default([]),
});

const managedPolicy = obj({
  Arn: str,
  PolicyName: str.optional(),
  DefaultVersionId: str.optional(),
  PolicyVersionList: z.array(obj({ VersionId: str.optional(), IsDefaultVersion: z.boolean().optional(), Document: policyDocument.optional(), CreateDate: date.optional() })).optional(),
});

const launchTemplateSpecification = obj({ LaunchTemplateId: str.optional(), LaunchTemplateName: str.optional(), Version: str.optional() });

const launchConfiguration = obj({
  LaunchConfigurationName: str,
  KeyName: str.optional(),
  SecurityGroups: strs.optional(),
  AssociatePublicIpAddress: z.boolean().optional(),
  IamInstanceProfile: str.optional(),
  CreatedTime: date.optional(),
  MetadataOptions: metadataOptions.optional(),
});

const autoScalingGroup = obj({
  AutoScalingGroupName: str,
  AutoScalingGroupARN: str.optional(),
  CreatedTime: date.optional(),
  LaunchConfigurationName: str.optional(),
  LaunchTemplate: launchTemplateSpecification.optional(),
  MixedInstancesPolicy: obj({
    LaunchTemplate: obj({
      LaunchTemplateSpecification: launchTemplateSpecification.optional(),
      Overrides: z.array(obj({ LaunchTemplateSpecification: launchTemplateSpecification.optional() })).optional(),
    }).optional(),
  }).optional(),
  VPCZoneIdentifier: str.optional(),
  Instances: z.array(obj({ InstanceId: str.optional(), LifecycleState: str.optional() })).optional(),
  Tags: z.array(obj({ Key: str.optional(), Value: str.optional(), PropagateAtLaunch: z.boolean().optional(), ResourceId: str.optional(), ResourceType: str.optional() })).optional(),
});

const lookupEvent = obj({
  EventId: str.optional(),
  EventName: str.optional(),
  EventSource: str.optional(),
  EventTime: date.optional(),
  Username: str.optional(),
  Resources: z.array(obj({ ResourceType: str.optional(), ResourceName: str.optional() })).optional(),
  CloudTrailEvent: str.optional(),
});

const list = <T extends z.ZodTypeAny>(t: T) => z.array(t).default([]);

const worldSchema = z.object({
  account: z.string().regex(/^\d{12}$/, 'Expected a 12-digit AWS account id').optional(),
  region: z.string().min(1).optional(),
  recordedAt: date.optional(),
  eks: obj({ clusters: list(cluster), nodegroups: list(nodegroup), accessEntries: list(accessEntry), addons: list(addon), clusterVersions: z.array(clusterVersion).nullable().optional() }).default({}),
  ec2: obj({
    securityGroups: list(securityGroup),
    subnets: list(subnet),
    routeTables: list(routeTable),
    networkAcls: list(networkAcl),
    launchTemplateVersions: list(launchTemplateVersion),
    instances: list(instance),
    managedPrefixLists: list(managedPrefixList),
  }).default({}),
  cloudtrail: obj({
    trails: list(trail),
    trailStatus: z.record(trailStatus).default({}),
    eventSelectors: z.record(eventSelectors).default({}),
  }).default({}),
  kubernetes: z.record(kubernetesState.nullable()).default({}),
  iam: obj({ roles: list(iamRole), instanceProfiles: list(instanceProfile), policies: list(managedPolicy) }).default({}),
  autoscaling: obj({ groups: list(autoScalingGroup), launchConfigurations: list(launchConfiguration) }).default({}),
  cloudtrailEvents: list(lookupEvent),
});

/** account and region from the first cluster or trail ARN, for a world written without them. */
function idsFromArns(w: z.infer<typeof worldSchema>): { account?: string; region?: string } {
  const arn = w.eks.clusters.find((c) => c.arn)?.arn ?? w.cloudtrail.trails.find((t) => t.TrailARN)?.TrailARN;
  const m = arn ? /^arn:[^:]+:[^:]+:([^:]*):(\d{12}):/.exec(arn) : null;
  return m ? { region: m[1] || undefined, account: m[2] } : {};
}

/**
 * Validates a world file at the boundary. Only the fields rules and joins read are checked; every AWS object
 * passes through untouched otherwise, so real `describe-*` output (with fields this code never reads) is accepted.
 * `source` names the file in error messages.
 */
export function parseWorld(raw: unknown, source: string): World {
  const r = worldSchema.safeParse(raw);
  if (!r.success) throw new InputError(`${source}: ${formatZodError(r.error)}`);
  const w = r.data;
  const derived = idsFromArns(w);
  const account = w.account ?? derived.account;
  const region = w.region ?? derived.region;
  if (!account) throw new InputError(`${source}: at account: Required (no cluster or trail ARN to take it from)`);
  if (!region) throw new InputError(`${source}: at region: Required (no cluster or trail ARN to take it from)`);
  // The schema checks structure; the SDK's string-literal unions (e.g. AuthenticationMode) are AWS's own values
  // in a real describe-* output, which is what this cast asserts.
  return { ...w, account, region } as unknown as World;
}

export function loadWorld(path: string): World {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read world file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  return parseWorld(raw, path);
}
