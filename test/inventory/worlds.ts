import { parseWorld, type World } from '../../src/inventory/world';
import type { AwsReader } from '../../src/inventory/reader';
import { ReadError } from '../../src/inventory/reader';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const IDS = { account: ACCOUNT, region: REGION };
export const CREATED = '2026-03-01T10:00:00Z';

const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));

/**
 * One cluster `prod` in vpc-1 with:
 * - ng-plain: no launch template, SSH remote access (sg-remote), subnet-a (explicit route table rtb-private, acl-a)
 * - ng-pinned: launch template lt-1 pinned at version 2 (SecurityGroupIds sg-lt2; v1, the default, has sg-lt1), subnet-b (main table)
 * - ng-default-lt: launch template lt-2 without a version: its default version 3 puts sg-eni on the network interface
 * - ng-bare-lt: launch template lt-3 naming no security group (EKS then attaches the cluster security group)
 * - i-self: self-managed node (kubernetes.io/cluster/prod) in subnet-c with sg-self; i-eks: eks:cluster-name only
 * - i-managed (owned by ng-plain) and i-gone (terminated) are not self-managed nodes
 */
export function prodWorld(): Record<string, unknown> {
  return {
    account: ACCOUNT,
    region: REGION,
    eks: {
      clusters: [
        {
          name: 'prod',
          arn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/prod`,
          createdAt: Date.parse(CREATED) / 1000,
          endpoint: 'https://ABC.gr7.us-east-1.eks.amazonaws.com',
          resourcesVpcConfig: { subnetIds: ['subnet-cp'], securityGroupIds: ['sg-cp'], clusterSecurityGroupId: 'sg-cluster', vpcId: 'vpc-1', endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] },
          accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
          tags: { team: 'platform' },
        },
        { name: 'other', arn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/other`, resourcesVpcConfig: { subnetIds: [], clusterSecurityGroupId: 'sg-other' } },
      ],
      nodegroups: [
        { clusterName: 'prod', nodegroupName: 'ng-plain', subnets: ['subnet-a'], remoteAccess: { ec2SshKey: 'ops' }, resources: { remoteAccessSecurityGroup: 'sg-remote' } },
        { clusterName: 'prod', nodegroupName: 'ng-pinned', subnets: ['subnet-b'], launchTemplate: { id: 'lt-1', name: 'pinned', version: '2' } },
        { clusterName: 'prod', nodegroupName: 'ng-default-lt', subnets: ['subnet-b'], launchTemplate: { id: 'lt-2', name: 'dflt' } },
        { clusterName: 'prod', nodegroupName: 'ng-bare-lt', subnets: ['subnet-a'], launchTemplate: { id: 'lt-3', name: 'bare', version: '1' } },
        { clusterName: 'other', nodegroupName: 'ng-other', subnets: ['subnet-x'] },
      ],
      accessEntries: [
        {
          clusterName: 'prod',
          principalArn: `arn:aws:iam::${ACCOUNT}:role/admin`,
          createdAt: CREATED,
          associatedAccessPolicies: [{ policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy', accessScope: { type: 'cluster' }, associatedAt: CREATED }],
        },
        { clusterName: 'other', principalArn: `arn:aws:iam::${ACCOUNT}:role/x` },
      ],
      addons: [{ clusterName: 'prod', addonName: 'vpc-cni', configurationValues: '{"env":{"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG":"true"}}' }],
    },
    ec2: {
      securityGroups: ['sg-cluster', 'sg-cp', 'sg-remote', 'sg-lt1', 'sg-lt2', 'sg-eni', 'sg-self', 'sg-eks', 'sg-unrelated'].map((GroupId) => ({
        GroupId,
        VpcId: 'vpc-1',
        GroupName: GroupId,
        IpPermissions: [],
      })),
      subnets: [
        { SubnetId: 'subnet-a', VpcId: 'vpc-1', MapPublicIpOnLaunch: false },
        { SubnetId: 'subnet-b', VpcId: 'vpc-1', MapPublicIpOnLaunch: true },
        { SubnetId: 'subnet-c', VpcId: 'vpc-1' },
        { SubnetId: 'subnet-x', VpcId: 'vpc-2' },
      ],
      routeTables: [
        {
          RouteTableId: 'rtb-main',
          VpcId: 'vpc-1',
          Associations: [{ Main: true, RouteTableId: 'rtb-main' }],
          Routes: [{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1' }],
        },
        { RouteTableId: 'rtb-private', VpcId: 'vpc-1', Associations: [{ Main: false, SubnetId: 'subnet-a', RouteTableId: 'rtb-private' }], Routes: [] },
        { RouteTableId: 'rtb-main-2', VpcId: 'vpc-2', Associations: [{ Main: true, RouteTableId: 'rtb-main-2' }] },
      ],
      networkAcls: [
        { NetworkAclId: 'acl-default', VpcId: 'vpc-1', IsDefault: true, Associations: [{ SubnetId: 'subnet-b' }, { SubnetId: 'subnet-c' }] },
        { NetworkAclId: 'acl-a', VpcId: 'vpc-1', IsDefault: false, Associations: [{ SubnetId: 'subnet-a', NetworkAclId: 'acl-a' }] },
      ],
      launchTemplateVersions: [
        { LaunchTemplateId: 'lt-1', LaunchTemplateName: 'pinned', VersionNumber: 1, DefaultVersion: true, LaunchTemplateData: { SecurityGroupIds: ['sg-lt1'] } },
        { LaunchTemplateId: 'lt-1', LaunchTemplateName: 'pinned', VersionNumber: 2, DefaultVersion: false, LaunchTemplateData: { SecurityGroupIds: ['sg-lt2'] } },
        { LaunchTemplateId: 'lt-2', LaunchTemplateName: 'dflt', VersionNumber: 2, DefaultVersion: false, LaunchTemplateData: { SecurityGroupIds: ['sg-lt1'] } },
        { LaunchTemplateId: 'lt-2', LaunchTemplateName: 'dflt', VersionNumber: 3, DefaultVersion: true, CreateTime: 1767225600, LaunchTemplateData: { NetworkInterfaces: [{ DeviceIndex: 0, Groups: ['sg-eni'] }] } },
        { LaunchTemplateId: 'lt-3', LaunchTemplateName: 'bare', VersionNumber: 1, DefaultVersion: true, LaunchTemplateData: { KeyName: 'ops' } },
      ],
      instances: [
        { InstanceId: 'i-self', SubnetId: 'subnet-c', State: { Name: 'running' }, SecurityGroups: [{ GroupId: 'sg-self' }], Tags: tags({ 'kubernetes.io/cluster/prod': 'owned' }) },
        { InstanceId: 'i-eks', SubnetId: 'subnet-c', State: { Name: 'stopped' }, SecurityGroups: [{ GroupId: 'sg-eks' }], Tags: tags({ 'eks:cluster-name': 'prod' }) },
        { InstanceId: 'i-managed', SubnetId: 'subnet-a', State: { Name: 'running' }, SecurityGroups: [{ GroupId: 'sg-cluster' }], Tags: tags({ 'eks:cluster-name': 'prod', 'eks:nodegroup-name': 'ng-plain' }) },
        { InstanceId: 'i-gone', SubnetId: 'subnet-c', State: { Name: 'terminated' }, Tags: tags({ 'kubernetes.io/cluster/prod': 'owned' }) },
        { InstanceId: 'i-web', SubnetId: 'subnet-c', State: { Name: 'running' }, Tags: tags({ app: 'web' }) },
      ],
    },
    cloudtrail: {
      trails: [{ Name: 'main', TrailARN: `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/main`, IsMultiRegionTrail: true, HomeRegion: REGION }],
      trailStatus: { [`arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/main`]: { IsLogging: true, StartLoggingTime: CREATED } },
      eventSelectors: { [`arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/main`]: { EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] } },
    },
    kubernetes: {
      prod: { awsAuth: { metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: { mapRoles: '- rolearn: arn:aws:iam::111122223333:role/x\n  groups: [system:masters]\n' } } },
      // Read, and nothing there (no aws-auth, no policies): recorded as {}, which is not "not recorded".
      other: {},
    },
    cloudtrailEvents: [
      createClusterEvent('ev-old', 'prod', '2025-01-01T00:00:00Z', 'arn:aws:iam::111122223333:user/first-owner'),
      createClusterEvent('ev-new', 'prod', '2026-03-01T09:59:00Z', 'arn:aws:sts::111122223333:assumed-role/creator/s'),
      createClusterEvent('ev-ecs', 'prod', '2026-03-01T09:59:30Z', 'arn:aws:iam::111122223333:user/ecs', 'ecs.amazonaws.com'),
      createClusterEvent('ev-other', 'other', '2026-03-01T09:00:00Z', 'arn:aws:iam::111122223333:user/o'),
    ],
  };
}

export function createClusterEvent(id: string, cluster: string, time: string, principal: string, eventSource = 'eks.amazonaws.com') {
  return {
    EventId: id,
    EventName: 'CreateCluster',
    EventSource: eventSource,
    EventTime: time,
    Resources: [],
    CloudTrailEvent: JSON.stringify({ eventID: id, eventName: 'CreateCluster', eventSource, eventTime: time, userIdentity: { arn: principal }, requestParameters: { name: cluster } }),
  };
}

/**
 * prodWorld plus self-managed nodes and IAM:
 * - asg-lt (tagged kubernetes.io/cluster/prod): launch template lt-self $Default (v2: sg-lt1, instance profile
 *   self-profile → self-role), subnets a and c, member i-asg; asg-lc (eks:cluster-name): a launch configuration with
 *   a key and no instance profile; asg-managed (a managed node group's, eks:nodegroup-name): not self-managed;
 *   asg-untagged: no cluster tag, but its instance i-untagged-member is tagged for prod.
 * - ng-plain runs as ng-role; self-role has an inline `ssm` policy and AmazonEKSWorkerNodePolicy.
 */
export function selfManagedWorld(): Record<string, unknown> {
  const raw = prodWorld() as Record<string, Record<string, unknown[]>> & Record<string, unknown>;
  const k8s = { Key: 'kubernetes.io/cluster/prod', Value: 'owned', PropagateAtLaunch: true };
  (raw.eks.nodegroups[0] as Record<string, unknown>).nodeRole = `arn:aws:iam::${ACCOUNT}:role/ng-role`;
  raw.autoscaling = {
    groups: [
      { AutoScalingGroupName: 'asg-lt', LaunchTemplate: { LaunchTemplateId: 'lt-self', Version: '$Default' }, VPCZoneIdentifier: 'subnet-a,subnet-c', Tags: [k8s] },
      { AutoScalingGroupName: 'asg-lc', LaunchConfigurationName: 'lc-1', VPCZoneIdentifier: 'subnet-c', Tags: [{ Key: 'eks:cluster-name', Value: 'prod' }] },
      { AutoScalingGroupName: 'asg-managed', VPCZoneIdentifier: 'subnet-a', Tags: [k8s, { Key: 'eks:nodegroup-name', Value: 'ng-plain' }] },
      { AutoScalingGroupName: 'asg-untagged', LaunchTemplate: { LaunchTemplateId: 'lt-self', Version: '$Default' }, VPCZoneIdentifier: 'subnet-c' },
    ],
    launchConfigurations: [{ LaunchConfigurationName: 'lc-1', KeyName: 'lc-key', SecurityGroups: ['sg-self'] }],
  };
  raw.ec2.launchTemplateVersions.push(
    { LaunchTemplateId: 'lt-self', LaunchTemplateName: 'self', VersionNumber: 1, DefaultVersion: false, LaunchTemplateData: {} },
    { LaunchTemplateId: 'lt-self', LaunchTemplateName: 'self', VersionNumber: 2, DefaultVersion: true, LaunchTemplateData: { SecurityGroupIds: ['sg-lt1'], IamInstanceProfile: { Arn: `arn:aws:iam::${ACCOUNT}:instance-profile/self-profile` } } },
  );
  raw.ec2.instances.push(
    { InstanceId: 'i-asg', SubnetId: 'subnet-a', State: { Name: 'running' }, IamInstanceProfile: { Arn: `arn:aws:iam::${ACCOUNT}:instance-profile/self-profile` }, Tags: tags({ 'kubernetes.io/cluster/prod': 'owned', 'aws:autoscaling:groupName': 'asg-lt' }) },
    { InstanceId: 'i-untagged-member', SubnetId: 'subnet-c', State: { Name: 'running' }, IamInstanceProfile: { Arn: `arn:aws:iam::${ACCOUNT}:instance-profile/self-profile` }, Tags: tags({ 'kubernetes.io/cluster/prod': 'owned', 'aws:autoscaling:groupName': 'asg-untagged' }) },
  );
  raw.iam = {
    roles: [
      { RoleName: 'ng-role', Arn: `arn:aws:iam::${ACCOUNT}:role/ng-role`, attachedPolicies: [] },
      {
        RoleName: 'self-role',
        Arn: `arn:aws:iam::${ACCOUNT}:role/self-role`,
        attachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy' }],
        inlinePolicies: [{ PolicyName: 'ssm', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['ssm:UpdateInstanceInformation', 'ssmmessages:*'], Resource: '*' }] } }],
      },
    ],
    instanceProfiles: [{ InstanceProfileName: 'self-profile', Arn: `arn:aws:iam::${ACCOUNT}:instance-profile/self-profile`, Roles: [{ RoleName: 'self-role', Arn: `arn:aws:iam::${ACCOUNT}:role/self-role` }] }],
    policies: [{ Arn: 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy', DefaultVersionId: 'v1', PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document: { Statement: [{ Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' }] } }] }],
  };
  return raw;
}

export const world = (raw: Record<string, unknown> = prodWorld()): World => parseWorld(raw, 'test-world.json');

/** Wraps a reader to count calls per method and to make chosen methods fail as AWS would. */
export function instrument(reader: AwsReader, faults: Partial<Record<keyof AwsReader, string>> = {}) {
  const calls: { method: string; args: unknown[] }[] = [];
  const proxy = new Proxy(reader, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        calls.push({ method: String(prop), args });
        const code = faults[prop as keyof AwsReader];
        if (code) throw new ReadError(String(prop), code, 'injected');
        return (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
  return { reader: proxy, calls, count: (m: string) => calls.filter((c) => c.method === m).length };
}
