/**
 * Small builders that make a ClusterView readable at a glance. The default view is fully compliant; each test breaks
 * exactly the thing it is about.
 */
import type { Addon, Cluster, ClusterVersionInformation, Nodegroup } from '@aws-sdk/client-eks';
import type { Instance, IpPermission, LaunchTemplateInstanceMetadataOptions, LaunchTemplateVersion, NetworkAcl, NetworkAclEntry, Route, RouteTable, SecurityGroup } from '@aws-sdk/client-ec2';
import { dump as stringify } from 'js-yaml';
import { parseConfig, type Config } from '../../src/config';
import type { Finding } from '../../src/findings/finding';
import type { AccessEntryView, KubernetesState } from '../../src/inventory/reader';
import type { AccountView, ClusterView, EksLaunchTemplate, NodegroupView, NodeRoleView, PrefixListView, RoleDetails, SecurityGroupRole, SelfManagedGroupView, SubnetView, TrailView, ViewPart } from '../../src/inventory/view';
import { LOOKUP_SOURCE } from '../../src/inventory/creator';
import { evaluateAccount, evaluateCluster } from '../../src/rules/engine/evaluate';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const ALL_PARTS: ViewPart[] = ['nodegroups', 'securityGroups', 'subnets', 'network', 'accessEntries', 'addons', 'kubernetes', 'creator', 'creatorRole', 'nodeRoles', 'eksLaunchTemplates', 'clusterVersions'];

export function config(raw: Record<string, unknown> = {}): Config {
  return parseConfig(raw);
}

// ---- security groups ------------------------------------------------------------------------------------------

/** A source: "0.0.0.0/0" / "10.0.0.0/8" (IPv4), "::/0" (IPv6), "sg-…" (group reference), "pl-…" (prefix list). */
export function allow(protocol: string, ports: number | [number, number] | 'all', ...sources: string[]): IpPermission {
  const [from, to] = ports === 'all' ? [undefined, undefined] : typeof ports === 'number' ? [ports, ports] : ports;
  const p: IpPermission = { IpProtocol: protocol, IpRanges: [], Ipv6Ranges: [], UserIdGroupPairs: [], PrefixListIds: [] };
  if (from !== undefined) Object.assign(p, { FromPort: from, ToPort: to });
  if (protocol === '-1') Object.assign(p, { FromPort: -1, ToPort: -1 });
  for (const s of sources) {
    if (s.startsWith('sg-')) p.UserIdGroupPairs!.push({ GroupId: s, UserId: ACCOUNT });
    else if (s.startsWith('pl-')) p.PrefixListIds!.push({ PrefixListId: s });
    else if (s.includes(':')) p.Ipv6Ranges!.push({ CidrIpv6: s });
    else p.IpRanges!.push({ CidrIp: s });
  }
  return p;
}

export function sg(
  id: string,
  permissions: IpPermission[],
  roles: SecurityGroupRole[] = ['node'],
  usedBy: string[] = ['ng-1'],
): ClusterView['securityGroups'][number] {
  const group: SecurityGroup = { GroupId: id, GroupName: `${id}-name`, VpcId: 'vpc-1', OwnerId: ACCOUNT, IpPermissions: permissions, IpPermissionsEgress: [] };
  return { group, roles, usedBy };
}

/** A managed prefix list as DescribeManagedPrefixLists + GetManagedPrefixListEntries return it. */
export function prefixList(id: string, name: string, cidrs: string[], owner = ACCOUNT): PrefixListView {
  return {
    prefixListId: id,
    prefixList: { PrefixListId: id, PrefixListName: name, AddressFamily: cidrs.some((c) => c.includes(':')) ? 'IPv6' : 'IPv4', OwnerId: owner, State: 'create-complete' },
    entries: cidrs.map((Cidr) => ({ Cidr })),
  };
}

// ---- subnets, route tables, NACLs -----------------------------------------------------------------------------

/** `route('0.0.0.0/0', 'igw-1')`, `route('::/0', 'nat-1')`, `route('10.0.0.0/16', 'local')`. */
export function route(destination: string, target: string, state: 'active' | 'blackhole' = 'active'): Route {
  const r: Route = { State: state, Origin: 'CreateRoute' };
  if (destination.includes(':')) r.DestinationIpv6CidrBlock = destination;
  else r.DestinationCidrBlock = destination;
  if (target.startsWith('nat-')) r.NatGatewayId = target;
  else if (target.startsWith('eigw-')) r.EgressOnlyInternetGatewayId = target;
  else if (target.startsWith('i-')) r.InstanceId = target;
  else r.GatewayId = target;
  return r;
}

export function routeTable(id: string, ...routes: Route[]): RouteTable {
  return { RouteTableId: id, VpcId: 'vpc-1', Routes: [route('10.0.0.0/16', 'local'), ...routes], Associations: [] };
}

/** Inbound NACL entry: `naclIn(100, 'allow', '6', [22, 22], '0.0.0.0/0')`; protocol "-1" ignores ports. */
export function naclIn(ruleNumber: number, action: 'allow' | 'deny', protocol: string, ports: [number, number] | 'all', cidr: string): NetworkAclEntry {
  const e: NetworkAclEntry = { RuleNumber: ruleNumber, RuleAction: action, Protocol: protocol, Egress: false };
  if (cidr.includes(':')) e.Ipv6CidrBlock = cidr;
  else e.CidrBlock = cidr;
  if (ports !== 'all') e.PortRange = { From: ports[0], To: ports[1] };
  return e;
}

export function naclOut(ruleNumber: number, action: 'allow' | 'deny', cidr: string): NetworkAclEntry {
  return { RuleNumber: ruleNumber, RuleAction: action, Protocol: '-1', Egress: true, CidrBlock: cidr };
}

/** A NACL with the given entries plus the `*` default deny rules (32767) AWS always shows. */
export function nacl(id: string, ...entries: NetworkAclEntry[]): NetworkAcl {
  return {
    NetworkAclId: id,
    VpcId: 'vpc-1',
    IsDefault: false,
    Entries: [...entries, naclIn(32767, 'deny', '-1', 'all', '0.0.0.0/0'), naclIn(32767, 'deny', '-1', 'all', '::/0'), naclOut(32767, 'deny', '0.0.0.0/0')],
    Associations: [],
  };
}

/** A NACL that denies SSH from everywhere and allows the rest (compliant). */
export const noSshAcl = (id = 'acl-private') =>
  nacl(id, naclIn(100, 'deny', '6', [22, 22], '0.0.0.0/0'), naclIn(101, 'deny', '6', [22, 22], '::/0'), naclIn(200, 'allow', '-1', 'all', '0.0.0.0/0'), naclIn(201, 'allow', '-1', 'all', '::/0'));

export function subnet(
  id: string,
  opts: { routeTable?: RouteTable | null; main?: boolean; mapPublicIp?: boolean; acl?: NetworkAcl | null; usedBy?: string[] } = {},
): SubnetView {
  return {
    subnet: { SubnetId: id, VpcId: 'vpc-1', CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a', MapPublicIpOnLaunch: opts.mapPublicIp ?? false },
    routeTable: opts.routeTable === null ? undefined : (opts.routeTable ?? routeTable('rtb-private', route('0.0.0.0/0', 'nat-1'))),
    routeTableIsMain: opts.main ?? false,
    networkAcl: opts.acl === null ? undefined : (opts.acl ?? noSshAcl()),
    usedBy: opts.usedBy ?? ['ng-1'],
  };
}

// ---- node groups ----------------------------------------------------------------------------------------------

export function launchTemplate(data: LaunchTemplateVersion['LaunchTemplateData'], id = 'lt-1', version = 1): LaunchTemplateVersion {
  return { LaunchTemplateId: id, LaunchTemplateName: `${id}-name`, VersionNumber: version, DefaultVersion: true, LaunchTemplateData: data };
}

/** Metadata service settings nodes must have: IMDSv2 only, a token that cannot leave the node. */
export const IMDS_LOCKED = { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' } as const;

/** The launch template EKS created for node group `name` (given none of its own), launched by its Auto Scaling group. */
export function eksLaunchTemplate(name: string, metadataOptions: LaunchTemplateInstanceMetadataOptions = IMDS_LOCKED, version = 1): EksLaunchTemplate {
  const id = `lt-eks-${name}`;
  return {
    autoScalingGroups: [{ AutoScalingGroupName: `eks-${name}`, LaunchTemplate: { LaunchTemplateId: id, LaunchTemplateName: `eks-${name}`, Version: String(version) }, MinSize: 1, MaxSize: 3, DesiredCapacity: 2, DefaultCooldown: 300, HealthCheckType: 'EC2', CreatedTime: new Date('2026-01-10T10:00:00Z'), AvailabilityZones: ['us-east-1a'] }],
    versions: [{ LaunchTemplateId: id, LaunchTemplateName: `eks-${name}`, VersionNumber: version, DefaultVersion: true, LaunchTemplateData: { MetadataOptions: metadataOptions } }],
  };
}

/** A managed node group; without a launch template of its own it runs the (compliant) one EKS created for it. */
export function nodegroup(name: string, p: Partial<Nodegroup> = {}, lt?: LaunchTemplateVersion, securityGroupIds: string[] = ['sg-cluster']): NodegroupView {
  return {
    nodegroup: {
      nodegroupName: name,
      clusterName: 'demo',
      nodegroupArn: `arn:aws:eks:${REGION}:${ACCOUNT}:nodegroup/demo/${name}/abc`,
      subnets: ['subnet-private'],
      tags: { owner: 'platform', environment: 'test' },
      ...p,
    },
    launchTemplate: lt,
    ...(lt || p.launchTemplate ? {} : { eksLaunchTemplate: eksLaunchTemplate(name) }),
    securityGroupIds,
    instances: [],
  };
}

/** A self-managed node group: an Auto Scaling group tagged for the cluster, launching from `templates`. */
export function selfManagedGroup(
  name: string,
  o: { templates?: LaunchTemplateVersion[]; config?: SelfManagedGroupView['launchConfiguration']; instances?: Instance[]; subnets?: string[]; securityGroupIds?: string[] } = {},
): SelfManagedGroupView {
  return {
    group: {
      AutoScalingGroupName: name,
      MinSize: 1,
      MaxSize: 3,
      DesiredCapacity: 2,
      DefaultCooldown: 300,
      HealthCheckType: 'EC2',
      CreatedTime: new Date('2026-01-10T10:00:00Z'),
      AvailabilityZones: ['us-east-1a'],
      VPCZoneIdentifier: (o.subnets ?? ['subnet-private']).join(','),
      ...(o.templates?.[0] ? { LaunchTemplate: { LaunchTemplateId: o.templates[0].LaunchTemplateId, Version: String(o.templates[0].VersionNumber) } } : {}),
      ...(o.config ? { LaunchConfigurationName: o.config.LaunchConfigurationName } : {}),
      Tags: [{ Key: 'kubernetes.io/cluster/demo', Value: 'owned', PropagateAtLaunch: true, ResourceId: name, ResourceType: 'auto-scaling-group' }],
    },
    launchTemplates: o.templates ?? [],
    ...(o.config ? { launchConfiguration: o.config } : {}),
    instances: o.instances ?? [],
    subnetIds: o.subnets ?? ['subnet-private'],
    securityGroupIds: o.securityGroupIds ?? [],
  };
}

/** A running self-managed node, member of `group` when given. */
export function selfManagedInstance(id: string, o: Partial<Instance> & { group?: string } = {}): Instance {
  const { group, ...rest } = o;
  return {
    InstanceId: id,
    SubnetId: 'subnet-private',
    State: { Name: 'running', Code: 16 },
    Tags: [{ Key: 'kubernetes.io/cluster/demo', Value: 'owned' }, ...(group ? [{ Key: 'aws:autoscaling:groupName', Value: group }] : [])],
    ...rest,
  };
}

// ---- access ---------------------------------------------------------------------------------------------------

export const ADMIN_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';
export const VIEW_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy';

export function accessEntry(principalArn: string, createdAt: string, policies: string[] = [ADMIN_POLICY]): AccessEntryView {
  return {
    clusterName: 'demo',
    principalArn,
    type: 'STANDARD',
    createdAt: new Date(createdAt),
    associatedAccessPolicies: policies.map((policyArn) => ({ policyArn, accessScope: { type: 'cluster' } })),
  };
}

export function awsAuth(data: { mapRoles?: unknown[]; mapUsers?: unknown[] }): KubernetesState['awsAuth'] {
  const d: Record<string, string> = {};
  if (data.mapRoles) d.mapRoles = stringify(data.mapRoles);
  if (data.mapUsers) d.mapUsers = stringify(data.mapUsers);
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: d };
}

/** A CreateCluster LookupEvents event made by `roleArn` through an assumed-role session (or by any userIdentity). */
export function createClusterEvent(
  roleArn: string,
  eventId = 'evt-create-1',
  o: { cluster?: string; userIdentity?: Record<string, unknown>; source?: string } = {},
): NonNullable<ClusterView['creatorEvent']> {
  const roleName = roleArn.split('/').pop();
  const record = {
    eventName: 'CreateCluster',
    eventSource: 'eks.amazonaws.com',
    eventID: eventId,
    userIdentity: o.userIdentity ?? {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/session`,
      sessionContext: { sessionIssuer: { type: 'Role', arn: roleArn, userName: roleName } },
    },
    requestParameters: { name: o.cluster ?? 'demo' },
  };
  return { EventId: eventId, EventName: 'CreateCluster', CloudTrailEvent: JSON.stringify(record), record, source: o.source ?? LOOKUP_SOURCE };
}

// ---- IAM ------------------------------------------------------------------------------------------------------

export const policyDoc = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });
export const SSM_CORE = 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore';
export const WORKER_NODE = 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy';
export const DEDICATED_CREATOR = `arn:aws:iam::${ACCOUNT}:role/eks-cluster-creator`;
export const NODE_ROLE = `arn:aws:iam::${ACCOUNT}:role/eks-node`;
/** Only the platform team's pipeline role may assume the creator role. */
export const TRUST_PIPELINE = policyDoc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/platform-pipeline` }, Action: 'sts:AssumeRole' });

/** An IAM role as the view holds it: URL-encoded documents, like the SDK returns them. */
export function roleDetails(
  arn: string,
  o: { trust?: string; attached?: string[]; inline?: Record<string, string>; managed?: Record<string, string | undefined>; boundary?: string; exists?: boolean } = {},
): RoleDetails {
  const name = arn.split('/').pop() ?? '';
  if (o.exists === false) return { arn, attachedPolicies: [], inlinePolicyNames: [], inlinePolicies: [], managedPolicies: {} };
  const managed = Object.fromEntries(
    Object.entries(o.managed ?? {}).map(([a, doc]) => [a, doc === undefined ? {} : { policy: { Arn: a, DefaultVersionId: 'v1' }, version: { VersionId: 'v1', IsDefaultVersion: true, Document: encodeURIComponent(doc) } }]),
  );
  return {
    arn,
    role: {
      RoleName: name,
      Arn: arn,
      RoleId: `AROA${name.toUpperCase().replace(/[^A-Z]/g, '')}`,
      Path: '/',
      CreateDate: new Date('2026-01-01T00:00:00Z'),
      AssumeRolePolicyDocument: encodeURIComponent(o.trust ?? TRUST_PIPELINE),
      ...(o.boundary ? { PermissionsBoundary: { PermissionsBoundaryArn: o.boundary, PermissionsBoundaryType: 'PermissionsBoundaryPolicy' as const } } : {}),
    },
    attachedPolicies: (o.attached ?? []).map((PolicyArn) => ({ PolicyArn, PolicyName: PolicyArn.split('/').pop() })),
    inlinePolicyNames: Object.keys(o.inline ?? {}),
    inlinePolicies: Object.entries(o.inline ?? {}).map(([PolicyName, doc]) => ({ RoleName: name, PolicyName, PolicyDocument: encodeURIComponent(doc) })),
    managedPolicies: managed,
  };
}

export function nodeRole(details: RoleDetails, usedBy: string[] = ['ng-1'], via = ['nodegroup.nodeRole']): NodeRoleView {
  return { roleArn: details.arn, usedBy, via, details };
}

// ---- Kubernetes -----------------------------------------------------------------------------------------------

export const namespace = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } });
export const networkPolicy = (ns: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace: ns, name }, spec });
export const denyAllEgress = (ns: string) => networkPolicy(ns, 'default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
export const globalNetworkPolicy = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'crd.projectcalico.org/v1', kind: 'GlobalNetworkPolicy', metadata: { name }, spec });

export const vpcCni = (configurationValues?: string): Addon => ({ addonName: 'vpc-cni', clusterName: 'demo', addonVersion: 'v1.18.0-eksbuild.1', configurationValues });
/** vpc-cni with custom networking and the network policy agent on: what the default (compliant) view runs. */
export const COMPLIANT_CNI = '{"env":{"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG":"true"},"enableNetworkPolicy":"true"}';

// ---- the view -------------------------------------------------------------------------------------------------

export const CLUSTER_CREATED = '2026-01-10T09:00:00.000Z';
/** The moment every fixture view is evaluated at: the rules read the calendar from the view, never from the clock. */
export const AS_OF = '2026-12-01T12:00:00.000Z';
export const KMS_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

/** One entry of DescribeClusterVersions' clusterVersions: `calendarEntry('1.32', '2026-03-23', '2027-03-23', 'EXTENDED_SUPPORT')`. */
export function calendarEntry(version: string, standardEnd?: string, extendedEnd?: string, versionStatus?: ClusterVersionInformation['versionStatus']): ClusterVersionInformation {
  return {
    clusterVersion: version,
    clusterType: 'eks',
    ...(standardEnd ? { endOfStandardSupportDate: new Date(`${standardEnd}T00:00:00Z`) } : {}),
    ...(extendedEnd ? { endOfExtendedSupportDate: new Date(`${extendedEnd}T00:00:00Z`) } : {}),
    ...(versionStatus ? { versionStatus } : {}),
  };
}

/** EKS's calendar as it stood at AS_OF (1.31's extended support ended on 2026-11-26: no longer listed). */
export const CLUSTER_VERSIONS: ClusterVersionInformation[] = [
  calendarEntry('1.32', '2026-03-23', '2027-03-23', 'EXTENDED_SUPPORT'),
  calendarEntry('1.33', '2026-07-29', '2027-07-29', 'EXTENDED_SUPPORT'),
  calendarEntry('1.34', '2026-12-02', '2027-12-02', 'STANDARD_SUPPORT'),
  calendarEntry('1.35', '2027-03-27', '2028-03-27', 'STANDARD_SUPPORT'),
];

export function baseCluster(): Cluster {
  return {
    name: 'demo',
    arn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/demo`,
    createdAt: new Date(CLUSTER_CREATED),
    version: '1.35',
    status: 'ACTIVE',
    encryptionConfig: [{ resources: ['secrets'], provider: { keyArn: KMS_KEY } }],
    resourcesVpcConfig: {
      vpcId: 'vpc-1',
      subnetIds: ['subnet-private'],
      securityGroupIds: [],
      clusterSecurityGroupId: 'sg-cluster',
      endpointPublicAccess: false,
      endpointPrivateAccess: true,
      publicAccessCidrs: [],
    },
    logging: { clusterLogging: [{ types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'], enabled: true }] },
    accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: true },
    tags: { owner: 'platform', environment: 'test' },
  };
}

export type ViewOverrides = Partial<Omit<ClusterView, 'cluster' | 'loaded'>> & { cluster?: Partial<Cluster>; loaded?: ViewPart[] };

/** A compliant cluster `demo`: private endpoint, full logging, API auth, one private node group, a self-only cluster SG. */
export function clusterView(o: ViewOverrides = {}): ClusterView {
  const { cluster, loaded, ...rest } = o;
  return {
    account: ACCOUNT,
    region: REGION,
    name: 'demo',
    arn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/demo`,
    cluster: { ...baseCluster(), ...cluster },
    asOf: new Date(AS_OF),
    nodegroups: [nodegroup('ng-1')],
    selfManagedInstances: [],
    selfManagedGroups: [],
    securityGroups: [sg('sg-cluster', [allow('-1', 'all', 'sg-cluster')], ['cluster', 'node'], ['demo', 'ng-1'])],
    attachments: [],
    prefixLists: [],
    missing: [],
    subnets: [subnet('subnet-private')],
    vpcSubnets: [],
    accessEntries: [],
    addons: [vpcCni(COMPLIANT_CNI)],
    kubernetes: { namespaces: [namespace('default')], networkPolicies: [denyAllEgress('default')] },
    creatorEvent: createClusterEvent(DEDICATED_CREATOR),
    creations: [createClusterEvent(DEDICATED_CREATOR)],
    creatorSources: [{ name: LOOKUP_SOURCE }],
    creatorRole: roleDetails(DEDICATED_CREATOR),
    nodeRoles: [nodeRole(roleDetails(NODE_ROLE, { attached: [SSM_CORE, WORKER_NODE], managed: { [WORKER_NODE]: policyDoc({ Effect: 'Allow', Action: ['ec2:Describe*', 'eks:DescribeCluster'], Resource: '*' }) } }))],
    nodesWithoutRole: [],
    instanceProfiles: [],
    clusterVersions: CLUSTER_VERSIONS,
    unreadable: [],
    ...rest,
    loaded: new Set(loaded ?? ALL_PARTS),
  };
}

export function trail(name: string, o: { multiRegion?: boolean; logging?: boolean | null; selectors?: TrailView['eventSelectors']; custom?: boolean } = {}): TrailView {
  const arn = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/${name}`;
  return {
    trail: { Name: name, TrailARN: arn, HomeRegion: REGION, IsMultiRegionTrail: o.multiRegion ?? true, HasCustomEventSelectors: o.custom ?? o.selectors !== undefined },
    status: o.logging === null ? undefined : { IsLogging: o.logging ?? true },
    eventSelectors: o.selectors,
  };
}

export function accountView(trails: TrailView[], unreadable: AccountView['unreadable'] = []): AccountView {
  return { account: ACCOUNT, region: REGION, trails, unreadable };
}

// ---- running one rule -----------------------------------------------------------------------------------------

/** Findings of one cluster rule (through the engine, so catalog text and overrides apply); throws if not evaluated. */
export function check(ruleId: string, view: ClusterView, cfg: Config = config()): Finding[] {
  const r = evaluateCluster(view, cfg, [ruleId]);
  if (r.notEvaluated.length > 0) throw new Error(`${ruleId} not evaluated: ${r.notEvaluated[0].reason}`);
  return r.findings;
}

export function checkAccount(view: AccountView, cfg: Config = config()): Finding[] {
  const r = evaluateAccount(view, cfg);
  if (r.notEvaluated.length > 0) throw new Error(`not evaluated: ${r.notEvaluated[0].reason}`);
  return r.findings;
}

export const ids = (fs: Finding[]) => fs.map((f) => f.resourceId);
