import type { CloudTrailRecord } from './schema';
import { RULES } from '../rules/engine/catalog';
import { at, decodePathParam, list, pathParam, scalar, uniq } from './fields';

/** The resources a CloudTrail record names, by kind. Resolution turns them into clusters. */
export interface ResourceRefs {
  securityGroupIds: string[];
  subnetIds: string[];
  routeTableIds: string[];
  networkAclIds: string[];
  launchTemplateIds: string[];
  /** Launch templates named only by name (CreateLaunchTemplateVersion accepts either). */
  launchTemplateNames: string[];
  clusterNames: string[];
  nodegroups: { cluster: string; nodegroup: string }[];
  /** Trail names or ARNs, as the call named them. */
  trails: string[];
  /** Instances the call launched (RunInstances) or whose security groups it set (ModifyInstanceAttribute). */
  instanceIds: string[];
  /** Network interfaces whose security groups the call set, with the groups now on them (ModifyNetworkInterfaceAttribute). */
  networkInterfaces: { id: string; groupIds: string[] }[];
  /** Managed prefix lists whose entries the call changed. */
  prefixListIds: string[];
  /** Auto Scaling groups created or changed (a managed node group's, or self-managed nodes). */
  autoScalingGroupNames: string[];
  /** IAM roles whose policies or trust changed: a cluster's creator role or node role. */
  roleNames: string[];
  /** The call is watched but this one changed nothing a rule reads (e.g. ModifyInstanceAttribute of the instance type): why. */
  unrelated?: string;
  /** The call changes account-level state (CloudTrail), evaluated without any cluster. */
  accountLevel: boolean;
  /**
   * The call can change what the cluster index holds (a cluster's VPC, subnets or security groups, its node groups
   * and their launch templates): the named clusters are re-read before the index is used again. Tags, access entries,
   * add-ons and logging leave it as it is, so a burst of them does not make the next event re-read clusters.
   */
  reshapesClusters: boolean;
}

export type Family = 'securityGroup' | 'network' | 'nodegroup' | 'clusterConfig' | 'accessEntry' | 'trail' | 'selfManagedNodes' | 'iamRole';
export type HandlerName = 'securityGroupChanged' | 'networkChanged' | 'clusterChanged' | 'trailChanged' | 'nodesChanged' | 'iamChanged';

/** Which Lambda function (EventBridge rule) serves each family. */
export const HANDLER_OF: Record<Family, HandlerName> = {
  securityGroup: 'securityGroupChanged',
  network: 'networkChanged',
  nodegroup: 'clusterChanged',
  clusterConfig: 'clusterChanged',
  accessEntry: 'clusterChanged',
  trail: 'trailChanged',
  selfManagedNodes: 'nodesChanged',
  iamRole: 'iamChanged',
};

export interface CatalogEntry {
  eventSource: string;
  eventName: string;
  family: Family;
  handler: HandlerName;
  /** Rule ids (DESIGN.md's catalog) whose verdict this call can change: only these are re-evaluated. */
  rules: readonly string[];
  /** Why the call matters, for `eks-drift` output and the catalog's readers. */
  why: string;
  extract: (record: CloudTrailRecord) => ResourceRefs;
}

export function emptyRefs(): ResourceRefs {
  return {
    securityGroupIds: [],
    subnetIds: [],
    routeTableIds: [],
    networkAclIds: [],
    launchTemplateIds: [],
    launchTemplateNames: [],
    clusterNames: [],
    nodegroups: [],
    trails: [],
    instanceIds: [],
    networkInterfaces: [],
    prefixListIds: [],
    autoScalingGroupNames: [],
    roleNames: [],
    accountLevel: false,
    reshapesClusters: false,
  };
}

function refs(partial: Partial<ResourceRefs>): ResourceRefs {
  const r = { ...emptyRefs(), ...partial };
  return {
    ...r,
    securityGroupIds: uniq(r.securityGroupIds),
    subnetIds: uniq(r.subnetIds),
    routeTableIds: uniq(r.routeTableIds),
    networkAclIds: uniq(r.networkAclIds),
    launchTemplateIds: uniq(r.launchTemplateIds),
    launchTemplateNames: uniq(r.launchTemplateNames),
    clusterNames: uniq(r.clusterNames),
    nodegroups: uniq(r.nodegroups),
    trails: uniq(r.trails),
    instanceIds: uniq(r.instanceIds),
    networkInterfaces: uniq(r.networkInterfaces),
    prefixListIds: uniq(r.prefixListIds),
    autoScalingGroupNames: uniq(r.autoScalingGroupNames),
    roleNames: uniq(r.roleNames),
  };
}

const req = (r: CloudTrailRecord, ...path: string[]) => at(r.requestParameters, ...path);
const res = (r: CloudTrailRecord, ...path: string[]) => at(r.responseElements, ...path);

// ---------------------------------------------------------------------------------------------------- rule sets

const SG_RULES = ['no-internet-ssh', 'no-internet-ingress', 'cluster-sg-restricted'] as const;
/** What a node's network interfaces admit from the internet: changed by the groups put on them. */
const NODE_INTERFACE_RULES = ['no-internet-ssh', 'no-internet-ingress'] as const;
/** Prefix lists are expanded wherever they are a source (security groups) or a destination (routes). */
const PREFIX_LIST_RULES = ['no-internet-ssh', 'no-internet-ingress', 'nodes-in-private-subnets'] as const;
/** What a node group's nodes are: subnets, public IPs, key, security groups, role. */
const NODE_RULES = ['nodes-in-private-subnets', 'nodes-no-public-ip', 'nodegroup-no-ssh-key', 'no-internet-ssh', 'no-internet-ingress', 'nacl-blocks-ssh', 'nodes-ssm-managed'] as const;
const NODEGROUP_RULES = [...NODE_RULES, 'cluster-tagged'] as const;
/** A launch template decides public IPs, the key, security groups and the instance profile of the nodes. */
const LAUNCH_TEMPLATE_RULES = ['nodes-no-public-ip', 'nodegroup-no-ssh-key', 'no-internet-ssh', 'no-internet-ingress', 'nodes-ssm-managed'] as const;
/** An IAM role's policies and trust: what a creator role keeps, what a node role grants. */
const ROLE_RULES = ['creator-role-dedicated', 'nodes-ssm-managed'] as const;
/**
 * What a node's metadata service answers: the launch template (or the one EKS made) or launch configuration it starts
 * from, and its own settings (ModifyInstanceMetadataOptions).
 */
const NODE_METADATA_RULES = ['node-imds-restricted'] as const;
/** Every cluster-scoped rule: a created or deleted cluster is evaluated (or resolved) whole. */
const ALL_CLUSTER_RULES = RULES.filter((r) => r.scope === 'cluster').map((r) => r.id);

// ---------------------------------------------------------------------------------------------------- EC2 extractors

/**
 * AuthorizeSecurityGroupIngress / RevokeSecurityGroupIngress: `requestParameters.groupId`; the response's
 * `securityGroupRuleSet.items[].groupId` is authoritative when present (it is missing in older records, and a
 * call by `groupName` in a default VPC only names the group there).
 */
function securityGroupIngress(r: CloudTrailRecord): ResourceRefs {
  const fromResponse = list(res(r, 'securityGroupRuleSet')).map((rule) => scalar(at(rule, 'groupId')));
  const fromRevoked = list(res(r, 'revokedSecurityGroupRuleSet')).map((rule) => scalar(at(rule, 'groupId')));
  return refs({ securityGroupIds: uniq([...fromResponse, ...fromRevoked, scalar(req(r, 'groupId'))]).filter((g) => g.startsWith('sg-')) });
}

/**
 * ModifySecurityGroupRules: wrapper style, `requestParameters.ModifySecurityGroupRulesRequest.GroupId`, the rule in
 * `…SecurityGroupRule.SecurityGroupRule.{IpProtocol, FromPort, ToPort, CidrIpv4}`, response
 * `ModifySecurityGroupRulesResponse.return` (as read by several public remediation Lambdas).
 */
function modifySecurityGroupRules(r: CloudTrailRecord): ResourceRefs {
  return refs({ securityGroupIds: uniq([scalar(req(r, 'ModifySecurityGroupRulesRequest', 'GroupId')), scalar(req(r, 'groupId'))]) });
}

/** Create/Replace/DeleteNetworkAclEntry: `requestParameters.networkAclId`. */
function networkAclEntry(r: CloudTrailRecord): ResourceRefs {
  return refs({ networkAclIds: uniq([scalar(req(r, 'networkAclId'))]) });
}

/**
 * ReplaceNetworkAclAssociation: `requestParameters.{associationId, networkAclId}` (the API's members in the EC2
 * Query camelCase; no public record was found to confirm), response `newAssociationId`. The subnet is not named;
 * the new ACL's associations include it once the call succeeded, so the ACL is what to resolve.
 */
function replaceNetworkAclAssociation(r: CloudTrailRecord): ResourceRefs {
  return refs({ networkAclIds: uniq([scalar(req(r, 'networkAclId'))]) });
}

/** Create/Replace/DeleteRoute: `requestParameters.routeTableId`. */
function route(r: CloudTrailRecord): ResourceRefs {
  return refs({ routeTableIds: uniq([scalar(req(r, 'routeTableId'))]) });
}

/**
 * AssociateRouteTable: `requestParameters.{routeTableId, subnetId}` (or `gatewayId` for an edge association). Only
 * the named subnet changed its routes, so the subnet alone is resolved; the table's other subnets are untouched.
 */
function associateRouteTable(r: CloudTrailRecord): ResourceRefs {
  const subnet = scalar(req(r, 'subnetId'));
  return subnet ? refs({ subnetIds: [subnet] }) : refs({ routeTableIds: uniq([scalar(req(r, 'routeTableId'))]) });
}

/**
 * ReplaceRouteTableAssociation: `requestParameters.{associationId, routeTableId}`, response `newAssociationId`.
 * The subnet is not named; the new table's associations (or its main flag) say which subnets it now serves.
 */
function replaceRouteTableAssociation(r: CloudTrailRecord): ResourceRefs {
  return refs({ routeTableIds: uniq([scalar(req(r, 'routeTableId'))]) });
}

/** ModifySubnetAttribute: `requestParameters.subnetId` (with e.g. `mapPublicIpOnLaunch: { value: true }`). */
function modifySubnetAttribute(r: CloudTrailRecord): ResourceRefs {
  return refs({ subnetIds: uniq([scalar(req(r, 'subnetId'))]) });
}

/**
 * Launch template calls are wrapper style: `CreateLaunchTemplateVersionRequest.{LaunchTemplateId | LaunchTemplateName}`,
 * `ModifyLaunchTemplateRequest.{LaunchTemplateId | LaunchTemplateName, SetDefaultVersion}`. The responses
 * (`CreateLaunchTemplateVersionResponse.launchTemplateVersion.launchTemplateId`,
 * `ModifyLaunchTemplateResponse.launchTemplate.launchTemplateId`) carry the id even when the request named the
 * template by name. Unwrapped spellings are read too, in case a record arrives without the wrapper.
 * (The ModifyLaunchTemplate paths are those public EventBridge rules match on, e.g. Image Builder automation:
 * `requestParameters.ModifyLaunchTemplateRequest.LaunchTemplateId`, `responseElements.ModifyLaunchTemplateResponse.launchTemplate.launchTemplateId`.)
 */
function launchTemplate(wrapper: string, responseWrapper: string, responseObject: string) {
  return (r: CloudTrailRecord): ResourceRefs => {
    const request = req(r, wrapper) ?? r.requestParameters;
    const response = res(r, responseWrapper) ?? r.responseElements;
    const ids = uniq([scalar(at(response, responseObject, 'launchTemplateId')), scalar(at(request, 'LaunchTemplateId')), scalar(at(request, 'launchTemplateId'))]);
    const names = ids.length ? [] : uniq([scalar(at(request, 'LaunchTemplateName')), scalar(at(request, 'launchTemplateName'))]);
    return refs({ launchTemplateIds: ids, launchTemplateNames: names });
  };
}

/**
 * The security groups a Modify*Attribute call set. CloudTrail records EC2 Query lists as `{ items: [...] }`, so the
 * groups arrive as `groupSet.items[].groupId` (the spelling RunInstances uses for its network interfaces); a bare list
 * of ids is read too. Undefined when the call set no groups.
 */
function groupSet(r: CloudTrailRecord): string[] | undefined {
  const set = req(r, 'groupSet') ?? req(r, 'groups') ?? req(r, 'groupId');
  if (set === undefined) return scalar(req(r, 'attribute')) === 'groupSet' ? [] : undefined;
  return uniq(list(set).map((g) => scalar(at(g, 'groupId')) ?? scalar(at(g, 'GroupId')) ?? scalar(g))).filter((g) => g.startsWith('sg-'));
}

/**
 * Which other attribute a Modify*Attribute call changed, when it clearly changed something else (`attribute: userData`
 * or an `instanceType: { value }` member); undefined when the record does not say, so the call is resolved anyway.
 */
function otherAttribute(r: CloudTrailRecord, idKey: string): string | undefined {
  const named = scalar(req(r, 'attribute'));
  if (named) return named === 'groupSet' ? undefined : named;
  const keys = Object.keys(r.requestParameters ?? {}).filter((k) => k !== idKey);
  return keys.length ? keys.join(', ') : undefined;
}

/**
 * ModifyInstanceAttribute: `requestParameters.{instanceId, groupSet}` swaps the security groups of the instance's
 * primary network interface. The other attributes (instance type, user data…) change nothing the rules read.
 */
function modifyInstanceAttribute(r: CloudTrailRecord): ResourceRefs {
  const other = groupSet(r) === undefined ? otherAttribute(r, 'instanceId') : undefined;
  if (other) return refs({ unrelated: `ModifyInstanceAttribute changed ${other}, not the security groups` });
  return refs({ instanceIds: uniq([scalar(req(r, 'instanceId'))]) });
}

/** ModifyNetworkInterfaceAttribute: `requestParameters.{networkInterfaceId, groupSet}`, the groups now on the ENI. */
function modifyNetworkInterfaceAttribute(r: CloudTrailRecord): ResourceRefs {
  const groups = groupSet(r);
  const other = groups === undefined ? otherAttribute(r, 'networkInterfaceId') : undefined;
  if (other) return refs({ unrelated: `ModifyNetworkInterfaceAttribute changed ${other}, not the security groups` });
  const id = scalar(req(r, 'networkInterfaceId'));
  return refs({ networkInterfaces: id ? [{ id, groupIds: groups ?? [] }] : [] });
}

/**
 * ModifyManagedPrefixList / RestoreManagedPrefixListVersion: newer EC2 actions record their request in a wrapper
 * (`ModifyManagedPrefixListRequest.PrefixListId`, as ModifySecurityGroupRules does) and answer with
 * `prefixList.prefixListId`. No public record was found to confirm the exact spelling, so every one is read.
 */
function prefixList(wrapper: string, responseWrapper: string) {
  return (r: CloudTrailRecord): ResourceRefs => {
    const request = req(r, wrapper) ?? r.requestParameters;
    const response = res(r, responseWrapper) ?? r.responseElements;
    const ids = uniq([scalar(at(response, 'prefixList', 'prefixListId')), scalar(at(request, 'PrefixListId')), scalar(at(request, 'prefixListId'))]);
    return refs({ prefixListIds: ids.filter((id) => id.startsWith('pl-')) });
  };
}

// ---------------------------------------------------------------------------------------------------- EKS extractors

/** EKS is REST: the cluster from the URL path is `requestParameters.name`. */
function clusterFromPath(r: CloudTrailRecord): string | undefined {
  return pathParam(req(r, 'name')) ?? pathParam(req(r, 'clusterName'));
}

function cluster(r: CloudTrailRecord): ResourceRefs {
  return refs({ clusterNames: uniq([clusterFromPath(r)]) });
}

/** CreateCluster: the name is in the body (`requestParameters.name`) and in `responseElements.cluster.name`. */
function createCluster(r: CloudTrailRecord): ResourceRefs {
  return refs({ clusterNames: uniq([scalar(res(r, 'cluster', 'name')), clusterFromPath(r)]) });
}

/** Nodegroup calls: `requestParameters.{name, nodegroupName}`; create's response echoes `nodegroup.{clusterName, nodegroupName}`. */
function nodegroup(r: CloudTrailRecord): ResourceRefs {
  const clusterName = scalar(res(r, 'nodegroup', 'clusterName')) ?? clusterFromPath(r);
  const ngName = scalar(res(r, 'nodegroup', 'nodegroupName')) ?? pathParam(req(r, 'nodegroupName'));
  return refs({ clusterNames: uniq([clusterName]), nodegroups: clusterName && ngName ? [{ cluster: clusterName, nodegroup: ngName }] : [] });
}

/**
 * An EKS ARN: `arn:PARTITION:eks:REGION:ACCOUNT:cluster/NAME`, `nodegroup/CLUSTER/NODEGROUP/UUID`, and
 * `addon|fargateprofile|identityproviderconfig|podidentityassociation|access-entry/CLUSTER/…` — the cluster is
 * always the first segment of the resource.
 */
export function parseEksArn(arn: string): { cluster: string; nodegroup?: string } | undefined {
  const m = /^arn:[^:]+:eks:[^:]*:[^:]*:([^/]+)\/([^/]+)(?:\/([^/]+))?/.exec(arn);
  if (!m) return undefined;
  const [, kind, clusterName, second] = m;
  if (kind === 'nodegroup' && second) return { cluster: clusterName, nodegroup: second };
  return { cluster: clusterName };
}

/** TagResource / UntagResource: `requestParameters.resourceArn`, a path parameter (URL-encoded at times). */
function tagResource(r: CloudTrailRecord): ResourceRefs {
  const arn = pathParam(req(r, 'resourceArn'));
  const parsed = arn ? parseEksArn(arn) : undefined;
  if (!parsed) return refs({});
  return refs({
    clusterNames: [parsed.cluster],
    nodegroups: parsed.nodegroup ? [{ cluster: parsed.cluster, nodegroup: parsed.nodegroup }] : [],
  });
}

// ---------------------------------------------------------------------------------------------------- CloudTrail

/**
 * StopLogging / DeleteTrail / UpdateTrail: `requestParameters.name`; PutEventSelectors: `requestParameters.trailName`
 * (seen in Stratus Red Team's recorded detonation logs). Either a bare name or an ARN. Responses of
 * UpdateTrail/PutEventSelectors carry `trailARN`, which is preferred.
 */
function trail(r: CloudTrailRecord): ResourceRefs {
  const named = uniq([scalar(req(r, 'name')), scalar(req(r, 'trailName'))]).map(decodePathParam);
  const arn = scalar(res(r, 'trailARN'));
  return refs({ trails: arn ? uniq([arn]) : named, accountLevel: true });
}

// ---------------------------------------------------------------------------------------------------- the catalog

type Row = [eventName: string, family: Family, rules: readonly string[], extract: (r: CloudTrailRecord) => ResourceRefs, why: string];

const EC2: Row[] = [
  ['AuthorizeSecurityGroupIngress', 'securityGroup', SG_RULES, securityGroupIngress, 'opens inbound traffic on a security group'],
  ['RevokeSecurityGroupIngress', 'securityGroup', SG_RULES, securityGroupIngress, 'closes inbound traffic (resolves findings)'],
  ['ModifySecurityGroupRules', 'securityGroup', SG_RULES, modifySecurityGroupRules, 'rewrites existing security group rules'],
  ['ModifyInstanceAttribute', 'securityGroup', NODE_INTERFACE_RULES, modifyInstanceAttribute, 'swaps the security groups of a node (groupSet)'],
  ['ModifyNetworkInterfaceAttribute', 'securityGroup', NODE_INTERFACE_RULES, modifyNetworkInterfaceAttribute, "swaps the security groups of a node's network interface"],
  [
    'ModifyManagedPrefixList',
    'securityGroup',
    PREFIX_LIST_RULES,
    prefixList('ModifyManagedPrefixListRequest', 'ModifyManagedPrefixListResponse'),
    'changes the entries of a prefix list that security groups or routes use',
  ],
  [
    'RestoreManagedPrefixListVersion',
    'securityGroup',
    PREFIX_LIST_RULES,
    prefixList('RestoreManagedPrefixListVersionRequest', 'RestoreManagedPrefixListVersionResponse'),
    'puts back the entries of an older prefix list version',
  ],
  ['CreateNetworkAclEntry', 'network', ['nacl-blocks-ssh'], networkAclEntry, 'adds a network ACL rule'],
  ['ReplaceNetworkAclEntry', 'network', ['nacl-blocks-ssh'], networkAclEntry, 'replaces a network ACL rule'],
  ['DeleteNetworkAclEntry', 'network', ['nacl-blocks-ssh'], networkAclEntry, 'removes a network ACL rule (e.g. a deny)'],
  ['ReplaceNetworkAclAssociation', 'network', ['nacl-blocks-ssh'], replaceNetworkAclAssociation, 'moves a subnet to another network ACL'],
  ['CreateRoute', 'network', ['nodes-in-private-subnets'], route, 'adds a route (e.g. 0.0.0.0/0 to an internet gateway)'],
  ['ReplaceRoute', 'network', ['nodes-in-private-subnets'], route, 'changes a route target'],
  ['DeleteRoute', 'network', ['nodes-in-private-subnets'], route, 'removes a route (resolves findings)'],
  ['AssociateRouteTable', 'network', ['nodes-in-private-subnets'], associateRouteTable, 'gives a subnet another route table'],
  ['ReplaceRouteTableAssociation', 'network', ['nodes-in-private-subnets'], replaceRouteTableAssociation, 'swaps a subnet (or the main) route table'],
  ['ModifySubnetAttribute', 'network', ['nodes-no-public-ip'], modifySubnetAttribute, 'toggles public IPs on launch for a subnet'],
  [
    'CreateLaunchTemplateVersion',
    'network',
    [...LAUNCH_TEMPLATE_RULES, ...NODE_METADATA_RULES],
    launchTemplate('CreateLaunchTemplateVersionRequest', 'CreateLaunchTemplateVersionResponse', 'launchTemplateVersion'),
    'a new node launch template version (public IP, key pair, security groups, metadata options)',
  ],
  [
    'ModifyLaunchTemplate',
    'network',
    [...LAUNCH_TEMPLATE_RULES, ...NODE_METADATA_RULES],
    launchTemplate('ModifyLaunchTemplateRequest', 'ModifyLaunchTemplateResponse', 'launchTemplate'),
    'changes the default version of a node launch template',
  ],
];

const EKS: Row[] = [
  ['CreateCluster', 'clusterConfig', ALL_CLUSTER_RULES, createCluster, 'a new cluster: evaluate it whole'],
  [
    'UpdateClusterConfig',
    'clusterConfig',
    ['endpoint-not-public', 'control-plane-logging', 'creator-admin-removed', 'no-system-masters', 'no-internet-ssh', 'no-internet-ingress'],
    cluster,
    'endpoint access, logging, authentication mode, control-plane subnets and security groups',
  ],
  // A version upgrade replaces the control plane and may move default add-ons; re-check cluster-level settings. The
  // re-read usually still shows the old version (the update is asynchronous): the sweep resolves the finding after.
  ['UpdateClusterVersion', 'clusterConfig', ['endpoint-not-public', 'control-plane-logging', 'pod-sg-isolation', 'kubernetes-version-supported'], cluster, 'control plane upgrade'],
  ['DeleteCluster', 'clusterConfig', ALL_CLUSTER_RULES, cluster, 'the cluster is gone: resolve its findings'],
  ['CreateNodegroup', 'nodegroup', [...NODEGROUP_RULES, ...NODE_METADATA_RULES], nodegroup, 'new nodes: subnets, SSH key, remote access, launch template'],
  // Not watched: UpdateNodegroupConfig (labels, taints, scaling, update, repair and warm-pool settings), which no rule
  // reads; the nodes it adds come from the same launch template, each launched by a RunInstances that is watched.
  ['UpdateNodegroupVersion', 'nodegroup', [...NODEGROUP_RULES, ...NODE_METADATA_RULES], nodegroup, 'node group AMI or launch template version'],
  ['DeleteNodegroup', 'nodegroup', [...NODEGROUP_RULES, ...NODE_METADATA_RULES], nodegroup, 'nodes gone: resolve their findings'],
  ['CreateAccessEntry', 'accessEntry', ['creator-admin-removed'], cluster, 'grants an IAM principal access to the cluster'],
  ['UpdateAccessEntry', 'accessEntry', ['creator-admin-removed'], cluster, 'changes an access entry'],
  ['DeleteAccessEntry', 'accessEntry', ['creator-admin-removed'], cluster, 'removes an access entry (e.g. the creator bootstrap entry)'],
  ['AssociateAccessPolicy', 'accessEntry', ['creator-admin-removed'], cluster, 'attaches an access policy (e.g. cluster admin)'],
  ['DisassociateAccessPolicy', 'accessEntry', ['creator-admin-removed'], cluster, 'detaches an access policy'],
  ['TagResource', 'clusterConfig', ['cluster-tagged'], tagResource, 'cluster or node group tags'],
  ['UntagResource', 'clusterConfig', ['cluster-tagged'], tagResource, 'removes required tags'],
  ['CreateAddon', 'clusterConfig', ['pod-sg-isolation', 'ssh-egress-blocked'], cluster, 'add-on configuration (vpc-cni custom networking, network policy agent)'],
  ['UpdateAddon', 'clusterConfig', ['pod-sg-isolation', 'ssh-egress-blocked'], cluster, 'add-on configuration (vpc-cni custom networking, network policy agent)'],
  // Deleting the managed vpc-cni add-on (preserve: true keeps the daemonset unmanaged) loses the configuration we can see.
  ['DeleteAddon', 'clusterConfig', ['pod-sg-isolation', 'ssh-egress-blocked'], cluster, 'removes the managed vpc-cni add-on'],
  // A key cannot be disassociated, so this call can only resolve secrets-encrypted: the re-read still shows no key
  // while the update runs, and the sweep after it lands resolves the finding.
  ['AssociateEncryptionConfig', 'clusterConfig', ['secrets-encrypted'], cluster, 'secrets envelope encryption with a KMS key'],
];

const CLOUDTRAIL: Row[] = [
  ['StopLogging', 'trail', ['cloudtrail-enabled'], trail, 'stops a trail: the detector goes blind'],
  ['DeleteTrail', 'trail', ['cloudtrail-enabled'], trail, 'deletes a trail'],
  ['UpdateTrail', 'trail', ['cloudtrail-enabled'], trail, 'may make a trail single-region'],
  ['PutEventSelectors', 'trail', ['cloudtrail-enabled'], trail, 'may drop management or write events'],
];

// ---------------------------------------------------------------------------------------------------- self-managed nodes

/**
 * CreateAutoScalingGroup / UpdateAutoScalingGroup: `requestParameters.autoScalingGroupName`. The request's `tags`
 * are not read here: resolution decides by what uses the group (a managed node group), then by the group's tags.
 */
function autoScalingGroup(r: CloudTrailRecord): ResourceRefs {
  return refs({ autoScalingGroupNames: uniq([scalar(req(r, 'autoScalingGroupName'))]) });
}

/**
 * RunInstances: the instances in `responseElements.instancesSet.items[].instanceId`. Resolution reads them: their
 * Auto Scaling group (an `aws:` tag) says which managed node group launched them, else their cluster tags.
 */
function runInstances(r: CloudTrailRecord): ResourceRefs {
  return refs({ instanceIds: uniq(list(res(r, 'instancesSet')).map((i) => scalar(at(i, 'instanceId')))) });
}

/**
 * ModifyInstanceMetadataOptions, wrapper style (`ModifyInstanceMetadataOptionsRequest.InstanceId`, as a public
 * remediation tool's recorded events show); the response (`ModifyInstanceMetadataOptionsResponse.instanceId`) names
 * the instance too. Resolution reads it like a launched one: any node, managed or self-managed.
 */
function modifyInstanceMetadataOptions(r: CloudTrailRecord): ResourceRefs {
  const request = req(r, 'ModifyInstanceMetadataOptionsRequest') ?? r.requestParameters;
  const response = res(r, 'ModifyInstanceMetadataOptionsResponse') ?? r.responseElements;
  return refs({ instanceIds: uniq([scalar(at(response, 'instanceId')), scalar(at(request, 'InstanceId')), scalar(at(request, 'instanceId'))]) });
}

// ---------------------------------------------------------------------------------------------------- IAM

/** What an IAM role is to a cluster: the role that created it, or one its nodes run as. */
export type RoleCapacity = 'creator' | 'node';

/** The rules a role is an input of, by what it is to the cluster. */
const RULES_OF_ROLE: Record<RoleCapacity, readonly string[]> = { creator: ['creator-role-dedicated'], node: ['nodes-ssm-managed'] };

/**
 * The rules a change of a role re-checks on a cluster: `rules` less those whose input the role is only in a capacity
 * it does not have there (a creator role's inline policy is no node's permission, a node role's none of the creator's).
 */
export function rulesForRole(rules: readonly string[], capacities: readonly RoleCapacity[]): string[] {
  const others = (Object.keys(RULES_OF_ROLE) as RoleCapacity[]).filter((c) => !capacities.includes(c)).flatMap((c) => RULES_OF_ROLE[c]);
  const own = capacities.flatMap((c) => RULES_OF_ROLE[c]);
  return rules.filter((r) => own.includes(r) || !others.includes(r));
}

/** Attach/DetachRolePolicy, Put/DeleteRolePolicy, UpdateAssumeRolePolicy: `requestParameters.roleName`. */
function iamRole(r: CloudTrailRecord): ResourceRefs {
  return refs({ roleNames: uniq([scalar(req(r, 'roleName'))]) });
}

const AUTOSCALING: Row[] = [
  [
    'CreateAutoScalingGroup',
    'selfManagedNodes',
    [...NODE_RULES, ...NODE_METADATA_RULES],
    autoScalingGroup,
    'new self-managed nodes: subnets, launch template (key, public IP, security groups, role, metadata options)',
  ],
  // Also a managed node group's own group, moved to another version of the template EKS made for it.
  ['UpdateAutoScalingGroup', 'selfManagedNodes', [...NODE_RULES, ...NODE_METADATA_RULES], autoScalingGroup, 'moves self-managed nodes to other subnets or another launch template'],
];

const EC2_INSTANCES: Row[] = [
  ['RunInstances', 'selfManagedNodes', [...NODE_RULES, ...NODE_METADATA_RULES], runInstances, 'a node launched outside a managed node group (key, public IP, security groups, role, metadata options)'],
  ['ModifyInstanceMetadataOptions', 'selfManagedNodes', NODE_METADATA_RULES, modifyInstanceMetadataOptions, "changes a node's metadata service after launch (IMDSv1, hop limit)"],
];

// IAM records say us-east-1 wherever the detector runs: see serverless.iam-forwarder.yml.
const IAM: Row[] = [
  ['AttachRolePolicy', 'iamRole', ROLE_RULES, iamRole, 'grants a creator or node role a managed policy'],
  ['DetachRolePolicy', 'iamRole', ROLE_RULES, iamRole, 'takes a managed policy from a creator or node role'],
  ['PutRolePolicy', 'iamRole', ROLE_RULES, iamRole, 'writes an inline policy of a creator or node role'],
  ['DeleteRolePolicy', 'iamRole', ROLE_RULES, iamRole, 'deletes an inline policy of a creator or node role'],
  ['UpdateAssumeRolePolicy', 'iamRole', ['creator-role-dedicated'], iamRole, 'changes who may assume a creator role'],
];

/** EKS calls after which the index must re-read the clusters they name. */
const RESHAPING = new Set(['CreateCluster', 'UpdateClusterConfig', 'DeleteCluster', 'CreateNodegroup', 'UpdateNodegroupVersion', 'DeleteNodegroup']);

function entries(eventSource: string, rows: Row[]): CatalogEntry[] {
  return rows.map(([eventName, family, rules, extract, why]) => ({
    eventSource,
    eventName,
    family,
    handler: HANDLER_OF[family],
    rules,
    why,
    extract:
      eventSource === 'eks.amazonaws.com' && RESHAPING.has(eventName)
        ? (record: CloudTrailRecord) => ({ ...extract(record), reshapesClusters: true })
        : extract,
  }));
}

/** Every watched call, keyed by (eventSource, eventName): `CreateRoute` also exists in App Mesh, `TagResource` everywhere. */
export const CATALOG: readonly CatalogEntry[] = [
  ...entries('ec2.amazonaws.com', EC2),
  ...entries('eks.amazonaws.com', EKS),
  ...entries('cloudtrail.amazonaws.com', CLOUDTRAIL),
  ...entries('autoscaling.amazonaws.com', AUTOSCALING),
  ...entries('ec2.amazonaws.com', EC2_INSTANCES),
  ...entries('iam.amazonaws.com', IAM),
];

const BY_KEY = new Map(CATALOG.map((e) => [`${e.eventSource} ${e.eventName}`, e]));

export function lookupCatalog(eventSource: string, eventName: string): CatalogEntry | undefined {
  return BY_KEY.get(`${eventSource} ${eventName}`);
}
