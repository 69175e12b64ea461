import { encodeDelivery } from '../src/audit/delivery';
import type { SyntheticAccount, SyntheticCluster } from './generate';

/**
 * EventBridge deliveries of CloudTrail records (the shapes of the samples in events/), one generator per trigger
 * family, with ids taken from the synthetic account so every event touches a real cluster resource; and EKS audit-log
 * deliveries (the shapes of events/audit/), gzip + base64 as CloudWatch Logs sends them.
 */
export const FAMILIES = ['securityGroup', 'network', 'nodegroup', 'clusterConfig', 'accessEntry', 'selfManagedNodes', 'iamRole', 'unrelatedSecurityGroup', 'auditLog'] as const;
export type Family = (typeof FAMILIES)[number];

export interface BenchEvent {
  family: Family;
  eventName: string;
  cluster: string;
  event: Record<string, unknown>;
}

type Params = Record<string, unknown>;

let sequence = 0;

function envelope(acct: SyntheticAccount, source: 'ec2' | 'eks' | 'autoscaling' | 'iam', eventName: string, requestParameters: Params, responseElements: Params | null): Record<string, unknown> {
  const n = ++sequence;
  const id = (prefix: number) => `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  const time = new Date(Date.UTC(2026, 10, 1, 12, 0, 0) + n * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    version: '0',
    id: id(0xeb),
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${source}`,
    account: acct.account,
    time,
    region: acct.region,
    resources: [],
    detail: {
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLEID:alice',
        arn: `arn:aws:sts::${acct.account}:assumed-role/platform-admin/alice`,
        accountId: acct.account,
        sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEID', arn: `arn:aws:iam::${acct.account}:role/platform-admin`, accountId: acct.account, userName: 'platform-admin' } },
      },
      eventTime: time,
      eventSource: `${source}.amazonaws.com`,
      eventName,
      awsRegion: acct.region,
      sourceIPAddress: '198.51.100.7',
      userAgent: 'aws-cli/2.17.0',
      requestParameters,
      responseElements,
      requestID: id(0x5e),
      eventID: id(0xce),
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: acct.account,
      eventCategory: 'Management',
    },
  };
}

const pick = <T>(items: readonly T[], n: number): T => items[n % items.length];

function securityGroupEvent(acct: SyntheticAccount, c: SyntheticCluster, n: number): BenchEvent {
  const groupId = pick([c.nodeSecurityGroupId, c.clusterSecurityGroupId, c.controlPlaneSecurityGroupId, ...c.remoteAccessSecurityGroupIds], n);
  const kind = n % 3;
  const perm = { ipProtocol: 'tcp', fromPort: 22, toPort: 22, groups: {}, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] }, ipv6Ranges: {}, prefixListIds: {} };
  if (kind === 0) {
    const ev = envelope(acct, 'ec2', 'AuthorizeSecurityGroupIngress', { groupId, ipPermissions: { items: [perm] } }, {
      requestId: 'r',
      _return: true,
      securityGroupRuleSet: { items: [{ groupOwnerId: acct.account, groupId, securityGroupRuleId: `sgr-${(0xa000 + n).toString(16).padStart(17, '0')}`, isEgress: false, ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '0.0.0.0/0' }] },
    });
    return { family: 'securityGroup', eventName: 'AuthorizeSecurityGroupIngress', cluster: c.name, event: ev };
  }
  if (kind === 1) {
    const ev = envelope(acct, 'ec2', 'RevokeSecurityGroupIngress', { groupId, ipPermissions: { items: [perm] } }, { requestId: 'r', _return: true });
    return { family: 'securityGroup', eventName: 'RevokeSecurityGroupIngress', cluster: c.name, event: ev };
  }
  const ev = envelope(
    acct,
    'ec2',
    'ModifySecurityGroupRules',
    {
      ModifySecurityGroupRulesRequest: {
        GroupId: groupId,
        SecurityGroupRule: { tag: 1, SecurityGroupRuleId: `sgr-${(0xb000 + n).toString(16).padStart(17, '0')}`, SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: '0.0.0.0/0' } },
      },
    },
    { ModifySecurityGroupRulesResponse: { requestId: 'r', return: true } },
  );
  return { family: 'securityGroup', eventName: 'ModifySecurityGroupRules', cluster: c.name, event: ev };
}

function networkEvent(acct: SyntheticAccount, c: SyntheticCluster, n: number): BenchEvent {
  const subnetId = pick(c.nodeSubnetIds, n);
  switch (n % 5) {
    case 0:
      return {
        family: 'network',
        eventName: 'CreateRoute',
        cluster: c.name,
        event: envelope(acct, 'ec2', 'CreateRoute', { routeTableId: c.privateRouteTableId, destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-0000000000000abcd' }, { requestId: 'r', _return: true }),
      };
    case 4:
      return {
        family: 'network',
        eventName: 'ReplaceRoute',
        cluster: c.name,
        event: envelope(acct, 'ec2', 'ReplaceRoute', { routeTableId: c.privateRouteTableId, destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-0000000000000abcd' }, { requestId: 'r', _return: true }),
      };
    case 1:
      return {
        family: 'network',
        eventName: 'ReplaceNetworkAclEntry',
        cluster: c.name,
        event: envelope(
          acct,
          'ec2',
          'ReplaceNetworkAclEntry',
          { networkAclId: c.nodeNetworkAclId, ruleNumber: 90, egress: false, ruleAction: 'allow', aclProtocol: '6', cidrBlock: '0.0.0.0/0', portRange: { from: 22, to: 22 } },
          { requestId: 'r', _return: true },
        ),
      };
    case 2:
      return {
        family: 'network',
        eventName: 'ModifySubnetAttribute',
        cluster: c.name,
        event: envelope(acct, 'ec2', 'ModifySubnetAttribute', { subnetId, mapPublicIpOnLaunch: { value: true } }, { requestId: 'r', _return: true }),
      };
    default:
      return {
        family: 'network',
        eventName: 'AssociateRouteTable',
        cluster: c.name,
        event: envelope(acct, 'ec2', 'AssociateRouteTable', { routeTableId: c.publicRouteTableId, subnetId }, { requestId: 'r', associationId: `rtbassoc-${(0xc000 + n).toString(16).padStart(17, '0')}` }),
      };
  }
}

function nodegroupEvent(acct: SyntheticAccount, c: SyntheticCluster, n: number): BenchEvent {
  const nodegroupName = pick(c.nodegroups, n);
  const kind = n % 3;
  if (kind === 0 || c.launchTemplateIds.length === 0) {
    // A new AMI release for the node group (scaling, labels and taints are not watched: no rule reads them).
    return {
      family: 'nodegroup',
      eventName: 'UpdateNodegroupVersion',
      cluster: c.name,
      event: envelope(acct, 'eks', 'UpdateNodegroupVersion', { name: c.name, nodegroupName, releaseVersion: '1.31.4-20250115' }, { update: { id: `u-${n}`, status: 'InProgress', type: 'VersionUpdate' } }),
    };
  }
  if (kind === 1) {
    return {
      family: 'nodegroup',
      eventName: 'CreateNodegroup',
      cluster: c.name,
      event: envelope(
        acct,
        'eks',
        'CreateNodegroup',
        { name: c.name, nodegroupName: `bench-${n}`, subnets: c.nodeSubnetIds, nodeRole: `arn:aws:iam::${acct.account}:role/${c.name}-nodes`, remoteAccess: { ec2SshKey: 'ops-key' } },
        { nodegroup: { nodegroupName: `bench-${n}`, clusterName: c.name, status: 'CREATING', remoteAccess: { ec2SshKey: 'ops-key' } } },
      ),
    };
  }
  const launchTemplateId = pick(c.launchTemplateIds, n);
  return {
    family: 'nodegroup',
    eventName: 'CreateLaunchTemplateVersion',
    cluster: c.name,
    event: envelope(
      acct,
      'ec2',
      'CreateLaunchTemplateVersion',
      { CreateLaunchTemplateVersionRequest: { LaunchTemplateId: launchTemplateId, SourceVersion: '2', LaunchTemplateData: { KeyName: 'ops-key' } } },
      { CreateLaunchTemplateVersionResponse: { requestId: 'r', launchTemplateVersion: { launchTemplateId, versionNumber: 3, defaultVersion: false } } },
    ),
  };
}

function clusterConfigEvent(acct: SyntheticAccount, c: SyntheticCluster, n: number): BenchEvent {
  switch (n % 6) {
    case 4:
      return {
        family: 'clusterConfig',
        eventName: 'UpdateClusterVersion',
        cluster: c.name,
        event: envelope(acct, 'eks', 'UpdateClusterVersion', { name: c.name, version: '1.34' }, { update: { id: `u-${n}`, status: 'InProgress', type: 'VersionUpdate', params: [{ type: 'Version', value: '1.34' }], errors: [] } }),
      };
    case 5:
      return {
        family: 'clusterConfig',
        eventName: 'AssociateEncryptionConfig',
        cluster: c.name,
        event: envelope(
          acct,
          'eks',
          'AssociateEncryptionConfig',
          { name: c.name, encryptionConfig: [{ resources: ['secrets'], provider: { keyArn: `arn:aws:kms:${acct.region}:${acct.account}:key/bench-${n}` } }] },
          { update: { id: `u-${n}`, status: 'InProgress', type: 'AssociateEncryptionConfig', params: [], errors: [] } },
        ),
      };
    case 0:
      return {
        family: 'clusterConfig',
        eventName: 'UpdateClusterConfig',
        cluster: c.name,
        event: envelope(acct, 'eks', 'UpdateClusterConfig', { name: c.name, resourcesVpcConfig: { endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] } }, { update: { id: `u-${n}`, status: 'InProgress', type: 'EndpointAccessUpdate' } }),
      };
    case 1:
      return {
        family: 'clusterConfig',
        eventName: 'UpdateClusterConfig',
        cluster: c.name,
        event: envelope(acct, 'eks', 'UpdateClusterConfig', { name: c.name, logging: { clusterLogging: [{ types: ['audit'], enabled: false }] } }, { update: { id: `u-${n}`, status: 'InProgress', type: 'LoggingUpdate' } }),
      };
    case 2:
      return {
        family: 'clusterConfig',
        eventName: 'UpdateAddon',
        cluster: c.name,
        event: envelope(
          acct,
          'eks',
          'UpdateAddon',
          { name: c.name, addonName: 'vpc-cni', configurationValues: '{"env":{"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG":"false"}}', resolveConflicts: 'OVERWRITE' },
          { update: { id: `u-${n}`, status: 'InProgress', type: 'AddonUpdate', params: [], errors: [] } },
        ),
      };
    default:
      return {
        family: 'clusterConfig',
        eventName: 'UntagResource',
        cluster: c.name,
        event: envelope(acct, 'eks', 'UntagResource', { resourceArn: c.arn, tagKeys: ['owner'] }, null),
      };
  }
}

function accessEntryEvent(acct: SyntheticAccount, c: SyntheticCluster, n: number): BenchEvent {
  const principalArn = `arn:aws:iam::${acct.account}:role/bench-admin-${n}`;
  if (n % 3 === 2 && c.accessEntryPrincipalArns.length) {
    return {
      family: 'accessEntry',
      eventName: 'DeleteAccessEntry',
      cluster: c.name,
      event: envelope(acct, 'eks', 'DeleteAccessEntry', { name: c.name, principalArn: encodeURIComponent(pick(c.accessEntryPrincipalArns, n)) }, null),
    };
  }
  if (n % 3 === 0) {
    return {
      family: 'accessEntry',
      eventName: 'CreateAccessEntry',
      cluster: c.name,
      event: envelope(acct, 'eks', 'CreateAccessEntry', { name: c.name, principalArn, kubernetesGroups: ['admins'] }, { accessEntry: { clusterName: c.name, principalArn, kubernetesGroups: ['admins'], type: 'STANDARD' } }),
    };
  }
  const policyArn = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';
  return {
    family: 'accessEntry',
    eventName: 'AssociateAccessPolicy',
    cluster: c.name,
    event: envelope(
      acct,
      'eks',
      'AssociateAccessPolicy',
      { name: c.name, principalArn: encodeURIComponent(pick([...c.accessEntryPrincipalArns, principalArn], n)), policyArn, accessScope: { type: 'cluster' } },
      { clusterName: c.name, principalArn, associatedAccessPolicy: { policyArn, accessScope: { type: 'cluster', namespaces: [] } } },
    ),
  };
}

/**
 * Nodes launched: one of the cluster's nodes (RunInstances, resolved by reading the instance: its Auto Scaling group,
 * else its cluster tags), a self-managed Auto Scaling group moved to another template (resolved with one
 * DescribeAutoScalingGroups), or a node's metadata service reopened (ModifyInstanceMetadataOptions, resolved like a
 * launch).
 */
function selfManagedNodesEvent(acct: SyntheticAccount, c: SyntheticCluster, n: number): BenchEvent {
  if (n % 3 === 2) {
    const instanceId = pick(c.nodeInstanceIds, n);
    return {
      family: 'selfManagedNodes',
      eventName: 'ModifyInstanceMetadataOptions',
      cluster: c.name,
      event: envelope(
        acct,
        'ec2',
        'ModifyInstanceMetadataOptions',
        { ModifyInstanceMetadataOptionsRequest: { InstanceId: instanceId, HttpTokens: 'optional', HttpEndpoint: 'enabled' } },
        { ModifyInstanceMetadataOptionsResponse: { requestId: 'r', instanceId, instanceMetadataOptions: { state: 'pending', httpTokens: 'optional', httpPutResponseHopLimit: 1, httpEndpoint: 'enabled' } } },
      ),
    };
  }
  if (n % 3 === 0 || !c.selfManagedGroupName) {
    // The launch of one of the cluster's nodes (an Auto Scaling group scaling out records a RunInstances too).
    const instanceId = pick(c.nodeInstanceIds, n);
    const tags = { items: [{ key: `kubernetes.io/cluster/${c.name}`, value: 'owned' }] };
    return {
      family: 'selfManagedNodes',
      eventName: 'RunInstances',
      cluster: c.name,
      event: envelope(
        acct,
        'ec2',
        'RunInstances',
        { instancesSet: { items: [{ imageId: 'ami-0abc', minCount: 1, maxCount: 1, keyName: 'ops-key' }] }, instanceType: 'm6i.large', subnetId: c.nodeSubnetIds[0], tagSpecificationSet: { items: [{ resourceType: 'instance', tags: tags.items }] } },
        { requestId: 'r', reservationId: 'r-1', ownerId: acct.account, groupSet: {}, instancesSet: { items: [{ instanceId, subnetId: c.nodeSubnetIds[0], vpcId: c.vpcId, keyName: 'ops-key', tagSet: tags }] } },
      ),
    };
  }
  return {
    family: 'selfManagedNodes',
    eventName: 'UpdateAutoScalingGroup',
    cluster: c.name,
    event: envelope(acct, 'autoscaling', 'UpdateAutoScalingGroup', { autoScalingGroupName: c.selfManagedGroupName, maxSize: 8 }, null),
  };
}

/** IAM: an inline policy written on a creator role, a managed policy attached to a node role (records from us-east-1). */
function iamRoleEvent(acct: SyntheticAccount, c: SyntheticCluster, n: number): BenchEvent {
  const ev =
    n % 2 === 0
      ? envelope(acct, 'iam', 'PutRolePolicy', { roleName: c.creatorRoleName, policyName: 'bench', policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}' }, null)
      : envelope(acct, 'iam', 'AttachRolePolicy', { roleName: c.nodeRoleName, policyArn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore' }, null);
  return { family: 'iamRole', eventName: (ev.detail as { eventName: string }).eventName, cluster: c.name, event: ev };
}

/** A change to a security group no cluster uses (a database's, a load balancer's): the pipeline must drop it cheaply. */
function unrelatedSecurityGroupEvent(acct: SyntheticAccount, c: SyntheticCluster, n: number): BenchEvent {
  const groupId = pick(c.otherSecurityGroupIds.length > 1 ? c.otherSecurityGroupIds.slice(1) : c.otherSecurityGroupIds, n);
  const perm = { ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, groups: {}, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] }, ipv6Ranges: {}, prefixListIds: {} };
  return {
    family: 'unrelatedSecurityGroup',
    eventName: 'AuthorizeSecurityGroupIngress',
    cluster: c.name,
    event: envelope(acct, 'ec2', 'AuthorizeSecurityGroupIngress', { groupId, ipPermissions: { items: [perm] } }, { requestId: 'r', _return: true }),
  };
}

/** One kube-apiserver audit line (audit.k8s.io/v1 Event, Metadata level) of a completed write or a read. */
function auditLine(acct: SyntheticAccount, n: number, k: number, verb: string, objectRef: Record<string, string>, code = 200): { id: string; timestamp: number; message: string } {
  const t = Date.UTC(2026, 10, 1, 12, 0, 0) + n * 1000 + k;
  const time = new Date(t).toISOString().replace('Z', '000Z');
  return {
    id: `${(37860549834617n * 10n ** 42n + BigInt(n) * 1000n + BigInt(k)).toString()}`,
    timestamp: t,
    message: JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: `${n.toString(16).padStart(8, '0')}-0000-4000-8000-${k.toString(16).padStart(12, '0')}`,
      stage: 'ResponseComplete',
      requestURI: `/api/v1/${objectRef.namespace ? `namespaces/${objectRef.namespace}/` : ''}${objectRef.resource}/${objectRef.name ?? ''}`,
      verb,
      user: { username: 'platform-admin', groups: ['platform-admins', 'system:authenticated'], extra: { arn: [`arn:aws:sts::${acct.account}:assumed-role/platform-admin/alice`] } },
      sourceIPs: ['198.51.100.7'],
      userAgent: 'kubectl/v1.30.2 (linux/amd64) kubernetes/39683505',
      objectRef: { apiVersion: 'v1', ...objectRef },
      responseStatus: { metadata: {}, code },
      requestReceivedTimestamp: time,
      stageTimestamp: time,
    }),
  };
}

/**
 * A subscription delivery from the cluster's audit log group: one aws-auth edit, a NetworkPolicy deleted, or a
 * burst (CloudWatch Logs batches what arrives together) of reads and writes by several lines in one delivery.
 */
function auditLogEvent(acct: SyntheticAccount, c: SyntheticCluster, n: number): BenchEvent {
  const awsAuth = { resource: 'configmaps', namespace: 'kube-system', name: 'aws-auth' };
  const policy = { resource: 'networkpolicies', apiGroup: 'networking.k8s.io', namespace: 'default', name: `bench-${n}` };
  const lines =
    n % 3 === 0
      ? [auditLine(acct, n, 0, 'patch', awsAuth)]
      : n % 3 === 1
        ? [auditLine(acct, n, 0, 'delete', policy)]
        : [
            ...Array.from({ length: 8 }, (_, k) => auditLine(acct, n, k, 'get', awsAuth)),
            auditLine(acct, n, 8, 'patch', awsAuth),
            auditLine(acct, n, 9, 'update', policy),
            auditLine(acct, n, 10, 'patch', awsAuth, 409),
          ];
  const delivery = encodeDelivery({
    messageType: 'DATA_MESSAGE',
    owner: acct.account,
    logGroup: `/aws/eks/${c.name}/cluster`,
    logStream: `kube-apiserver-audit-${n.toString(16).padStart(32, '0')}`,
    subscriptionFilters: ['eks-drift-bench-audit'],
    logEvents: lines,
  });
  const eventName = n % 3 === 0 ? 'patch aws-auth' : n % 3 === 1 ? 'delete networkpolicy' : 'burst of 11 lines';
  return { family: 'auditLog', eventName, cluster: c.name, event: delivery as unknown as Record<string, unknown> };
}

const BUILDERS: Record<Family, (acct: SyntheticAccount, c: SyntheticCluster, n: number) => BenchEvent> = {
  securityGroup: securityGroupEvent,
  network: networkEvent,
  nodegroup: nodegroupEvent,
  clusterConfig: clusterConfigEvent,
  accessEntry: accessEntryEvent,
  selfManagedNodes: selfManagedNodesEvent,
  iamRole: iamRoleEvent,
  unrelatedSecurityGroup: unrelatedSecurityGroupEvent,
  auditLog: auditLogEvent,
};

/** `count` events of one family spread over the account's clusters (deterministically). */
export function familyEvents(acct: SyntheticAccount, family: Family, count: number): BenchEvent[] {
  const out: BenchEvent[] = [];
  const stride = Math.max(1, Math.floor(acct.clusters.length / Math.max(1, count))) | 1;
  for (let n = 0; n < count; n++) {
    const c = acct.clusters[(n * stride + 7 * n) % acct.clusters.length];
    out.push(BUILDERS[family](acct, c, n));
  }
  return out;
}
