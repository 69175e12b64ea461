/**
 * Synthetic accounts in the world-file shape (DESIGN.md "World file"): JSON with AWS SDK v3 output shapes, so the
 * result goes through `parseWorld` exactly like a recorded account. Deterministic for given parameters.
 *
 * Each cluster lives in its own VPC with the resources a real EKS account has around it: the EKS-created cluster
 * security group, an extra control-plane group, a node group, remote-access groups for SSH node groups, unrelated
 * groups (databases, load balancers); private node subnets behind a NAT route table with a dedicated NACL, public
 * subnets behind an internet gateway; managed node groups of three kinds (default, launch template, SSH remote
 * access) with their instances and Auto Scaling groups; self-managed node groups on some clusters; access entries,
 * add-ons, aws-auth, namespaces and network policies (Calico on some clusters), the CreateCluster CloudTrail record;
 * IAM creator and node roles with their policies (AWS managed documents included) and instance profiles; metadata
 * service settings on every template (the ones EKS creates for node groups without their own included) and node.
 * A few clusters carry violations so evaluation and the finding store do real work.
 */

export interface WorldParams {
  clusters: number;
  /** Managed node groups per cluster. */
  nodegroupsPerCluster: number;
  /** Security groups in each cluster's VPC (the EKS ones included; at least 3). Remote-access groups come on top. */
  securityGroupsPerCluster: number;
  /** Subnets in each cluster's VPC (half, rounded up, hold nodes; the rest are public). */
  subnetsPerCluster: number;
  account?: string;
  region?: string;
}

export const DEFAULT_WORLD_PARAMS: Omit<WorldParams, 'clusters'> = {
  nodegroupsPerCluster: 3,
  securityGroupsPerCluster: 8,
  subnetsPerCluster: 6,
};

/** The ids of one synthetic cluster, for building events that touch it. */
export interface SyntheticCluster {
  name: string;
  arn: string;
  vpcId: string;
  clusterSecurityGroupId: string;
  controlPlaneSecurityGroupId: string;
  nodeSecurityGroupId: string;
  remoteAccessSecurityGroupIds: string[];
  otherSecurityGroupIds: string[];
  nodeSubnetIds: string[];
  publicSubnetIds: string[];
  mainRouteTableId: string;
  privateRouteTableId: string;
  publicRouteTableId: string;
  nodeNetworkAclId: string;
  defaultNetworkAclId: string;
  nodegroups: string[];
  launchTemplateIds: string[];
  accessEntryPrincipalArns: string[];
  /** IAM role names: the role that created the cluster, and the role its nodes run as. */
  creatorRoleName: string;
  nodeRoleName: string;
  /** The self-managed Auto Scaling group, on the clusters that have one. */
  selfManagedGroupName?: string;
  /** Its nodes' instance ids: the managed node groups', then the self-managed group's. */
  nodeInstanceIds: string[];
}

export interface SyntheticAccount {
  /** Plain JSON, as a world file on disk would hold it. */
  world: Record<string, unknown>;
  clusters: SyntheticCluster[];
  account: string;
  region: string;
}

type Json = Record<string, unknown>;

const hexId = (prefix: string, n: number): string => `${prefix}-${n.toString(16).padStart(17, '0')}`;
const ec2Tags = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const iso = (daysAgo: number): string => new Date(Date.UTC(2026, 0, 1) - daysAgo * 86_400_000).toISOString();

const ALL_TRAFFIC_SELF = (groupId: string) => ({ IpProtocol: '-1', IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [{ GroupId: groupId }] });
const tcp = (port: number, cidr: string) => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  IpRanges: [{ CidrIp: cidr }],
  Ipv6Ranges: [],
  PrefixListIds: [],
  UserIdGroupPairs: [],
});
const tcpFromGroup = (port: number, groupId: string) => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  IpRanges: [],
  Ipv6Ranges: [],
  PrefixListIds: [],
  UserIdGroupPairs: [{ GroupId: groupId }],
});
/** IMDSv2 only, a token that cannot leave the node: what most templates and nodes say. */
const IMDS_LOCKED = { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' };
/** EKS's own template for a node group given none (Amazon Linux 2023: tokens required, hop limit 2 for containers). */
const IMDS_HOP_2 = { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled' };
const liveImds = (o: Json) => ({ State: 'applied', ...o, HttpProtocolIpv6: 'disabled', InstanceMetadataTags: 'disabled' });

const EGRESS_ALL = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }];

export function generateWorld(params: WorldParams): SyntheticAccount {
  const account = params.account ?? '111122223333';
  const region = params.region ?? 'us-east-1';
  const sgPerCluster = Math.max(3, params.securityGroupsPerCluster);
  const subnetsPerCluster = Math.max(1, params.subnetsPerCluster);
  const nodeSubnetCount = Math.ceil(subnetsPerCluster / 2);
  const azs = ['a', 'b', 'c'].map((s) => `${region}${s}`);

  const clusters: Json[] = [];
  const nodegroups: Json[] = [];
  const accessEntries: Json[] = [];
  const addons: Json[] = [];
  const securityGroups: Json[] = [];
  const subnets: Json[] = [];
  const routeTables: Json[] = [];
  const networkAcls: Json[] = [];
  const launchTemplateVersions: Json[] = [];
  const instances: Json[] = [];
  const kubernetes: Record<string, Json> = {};
  const cloudtrailEvents: Json[] = [];
  const roles: Json[] = [];
  const instanceProfiles: Json[] = [];
  const autoScalingGroups: Json[] = [];
  const index: SyntheticCluster[] = [];
  const roleArn = (n: string) => `arn:aws:iam::${account}:role/${n}`;
  const trust = (principal: Json) => encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }] }));
  const attached = (...names: string[]) => names.map((n) => ({ PolicyName: n, PolicyArn: `arn:aws:iam::aws:policy/${n}` }));
  // Most clusters have their own creation role; every eighth was created by a shared admin role (creator-role-dedicated).
  roles.push({ RoleName: 'platform-admin', Arn: roleArn('platform-admin'), Path: '/', AssumeRolePolicyDocument: trust({ AWS: roleArn('platform-pipeline') }), attachedPolicies: attached('AdministratorAccess'), inlinePolicyNames: [] });

  let serial = 0x1000;
  const next = () => serial++;

  for (let i = 0; i < params.clusters; i++) {
    const name = `cluster-${String(i).padStart(3, '0')}`;
    const arn = `arn:aws:eks:${region}:${account}:cluster/${name}`;
    const vpcId = hexId('vpc', next());
    const createdAt = iso(400 - (i % 300));
    const mode = i % 6 === 0 ? 'CONFIG_MAP' : i % 3 === 0 ? 'API' : 'API_AND_CONFIG_MAP';
    const creatorRoleName = i % 8 === 3 ? 'platform-admin' : `${name}-creator`;
    const creatorArn = roleArn(creatorRoleName);
    const nodeRoleName = `${name}-nodes`;
    const nodeRoleArn = roleArn(nodeRoleName);
    if (creatorRoleName !== 'platform-admin') {
      roles.push({ RoleName: creatorRoleName, Arn: creatorArn, Path: '/', AssumeRolePolicyDocument: trust({ AWS: roleArn('platform-pipeline') }), attachedPolicies: [], inlinePolicyNames: [] });
    }
    // Every fifth node role lacks Session Manager (nodes-ssm-managed).
    const nodePolicies = ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly', ...(i % 5 === 3 ? [] : ['AmazonSSMManagedInstanceCore'])];
    roles.push({ RoleName: nodeRoleName, Arn: nodeRoleArn, Path: '/', AssumeRolePolicyDocument: trust({ Service: 'ec2.amazonaws.com' }), attachedPolicies: attached(...nodePolicies), inlinePolicyNames: [] });

    // Security groups.
    const clusterSg = hexId('sg', next());
    const controlPlaneSg = hexId('sg', next());
    const nodeSg = hexId('sg', next());
    const otherSgs = Array.from({ length: sgPerCluster - 3 }, () => hexId('sg', next()));
    const bastionSg = otherSgs[0] ?? nodeSg;
    const sshOpenToWorld = i % 10 === 3;
    securityGroups.push(
      {
        GroupId: clusterSg,
        GroupName: `eks-cluster-sg-${name}-1234567890`,
        Description: 'EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, as well as any managed workloads.',
        VpcId: vpcId,
        OwnerId: account,
        IpPermissions: [ALL_TRAFFIC_SELF(clusterSg), tcpFromGroup(443, nodeSg)],
        IpPermissionsEgress: EGRESS_ALL,
        Tags: ec2Tags({ [`kubernetes.io/cluster/${name}`]: 'owned', 'aws:eks:cluster-name': name, Name: `eks-cluster-sg-${name}` }),
      },
      {
        GroupId: controlPlaneSg,
        GroupName: `${name}-control-plane`,
        Description: 'additional control plane access',
        VpcId: vpcId,
        OwnerId: account,
        IpPermissions: [tcp(443, '10.0.0.0/8')],
        IpPermissionsEgress: EGRESS_ALL,
        Tags: ec2Tags({ Name: `${name}-control-plane` }),
      },
      {
        GroupId: nodeSg,
        GroupName: `${name}-nodes`,
        Description: 'worker nodes',
        VpcId: vpcId,
        OwnerId: account,
        IpPermissions: [
          ALL_TRAFFIC_SELF(nodeSg),
          tcpFromGroup(443, clusterSg),
          { ...tcpFromGroup(10250, clusterSg) },
          ...(sshOpenToWorld ? [tcp(22, '0.0.0.0/0')] : []),
        ],
        IpPermissionsEgress: EGRESS_ALL,
        Tags: ec2Tags({ [`kubernetes.io/cluster/${name}`]: 'owned', Name: `${name}-nodes` }),
      },
      ...otherSgs.map((g, k) => ({
        GroupId: g,
        GroupName: k === 0 ? `${name}-bastion` : `${name}-app-${k}`,
        Description: k === 0 ? 'bastion hosts' : 'application (RDS, ALB, cache)',
        VpcId: vpcId,
        OwnerId: account,
        IpPermissions: k === 0 ? [tcp(22, '203.0.113.0/24')] : [tcp(5432, '10.0.0.0/16'), tcp(443, '10.0.0.0/16')],
        IpPermissionsEgress: EGRESS_ALL,
        Tags: ec2Tags({ Name: `${name}-app-${k}` }),
      })),
    );

    // Subnets, route tables, NACLs.
    const nodeSubnets = Array.from({ length: nodeSubnetCount }, () => hexId('subnet', next()));
    const publicSubnets = Array.from({ length: subnetsPerCluster - nodeSubnetCount }, () => hexId('subnet', next()));
    const publicNodes = i % 11 === 5; // a node subnet that maps public IPs: nodes-no-public-ip
    nodeSubnets.forEach((s, k) =>
      subnets.push({
        SubnetId: s,
        VpcId: vpcId,
        AvailabilityZone: azs[k % azs.length],
        CidrBlock: `10.${i % 256}.${k * 16}.0/20`,
        MapPublicIpOnLaunch: publicNodes && k === 0,
        State: 'available',
        OwnerId: account,
        Tags: ec2Tags({ Name: `${name}-private-${k}`, 'kubernetes.io/role/internal-elb': '1', [`kubernetes.io/cluster/${name}`]: 'shared' }),
      }),
    );
    publicSubnets.forEach((s, k) =>
      subnets.push({
        SubnetId: s,
        VpcId: vpcId,
        AvailabilityZone: azs[k % azs.length],
        CidrBlock: `10.${i % 256}.${128 + k * 16}.0/20`,
        MapPublicIpOnLaunch: true,
        State: 'available',
        OwnerId: account,
        Tags: ec2Tags({ Name: `${name}-public-${k}`, 'kubernetes.io/role/elb': '1' }),
      }),
    );
    const igw = hexId('igw', next());
    const nat = hexId('nat', next());
    const mainRt = hexId('rtb', next());
    const privateRt = hexId('rtb', next());
    const publicRt = hexId('rtb', next());
    const local = { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' };
    const leakyRoute = i % 13 === 7; // node route table with a default route to the internet gateway: nodes-in-private-subnets
    routeTables.push(
      { RouteTableId: mainRt, VpcId: vpcId, OwnerId: account, Routes: [local], Associations: [{ Main: true, RouteTableId: mainRt, RouteTableAssociationId: hexId('rtbassoc', next()) }], Tags: [] },
      {
        RouteTableId: privateRt,
        VpcId: vpcId,
        OwnerId: account,
        Routes: [local, leakyRoute ? { DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw, State: 'active' } : { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat, State: 'active' }],
        Associations: nodeSubnets.map((s) => ({ Main: false, SubnetId: s, RouteTableId: privateRt, RouteTableAssociationId: hexId('rtbassoc', next()) })),
        Tags: ec2Tags({ Name: `${name}-private` }),
      },
      {
        RouteTableId: publicRt,
        VpcId: vpcId,
        OwnerId: account,
        Routes: [local, { DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw, State: 'active' }],
        Associations: publicSubnets.map((s) => ({ Main: false, SubnetId: s, RouteTableId: publicRt, RouteTableAssociationId: hexId('rtbassoc', next()) })),
        Tags: ec2Tags({ Name: `${name}-public` }),
      },
    );
    const defaultNacl = hexId('acl', next());
    const nodeNacl = hexId('acl', next());
    const allowAll = (egress: boolean) => ({ RuleNumber: 100, Protocol: '-1', RuleAction: 'allow', Egress: egress, CidrBlock: '0.0.0.0/0' });
    const denyAll = (egress: boolean) => ({ RuleNumber: 32767, Protocol: '-1', RuleAction: 'deny', Egress: egress, CidrBlock: '0.0.0.0/0' });
    const naclOpen = i % 9 === 2; // node NACL lets SSH in from anywhere: nacl-blocks-ssh
    networkAcls.push(
      {
        NetworkAclId: defaultNacl,
        VpcId: vpcId,
        IsDefault: true,
        OwnerId: account,
        Entries: [allowAll(false), allowAll(true), denyAll(false), denyAll(true)],
        Associations: publicSubnets.map((s) => ({ SubnetId: s, NetworkAclId: defaultNacl, NetworkAclAssociationId: hexId('aclassoc', next()) })),
        Tags: [],
      },
      {
        NetworkAclId: nodeNacl,
        VpcId: vpcId,
        IsDefault: false,
        OwnerId: account,
        Entries: [
          ...(naclOpen ? [] : [{ RuleNumber: 90, Protocol: '6', RuleAction: 'deny', Egress: false, CidrBlock: '0.0.0.0/0', PortRange: { From: 22, To: 22 } }]),
          allowAll(false),
          allowAll(true),
          denyAll(false),
          denyAll(true),
        ],
        Associations: nodeSubnets.map((s) => ({ SubnetId: s, NetworkAclId: nodeNacl, NetworkAclAssociationId: hexId('aclassoc', next()) })),
        Tags: ec2Tags({ Name: `${name}-nodes` }),
      },
    );

    // Cluster.
    const tagged = i % 9 !== 4;
    const tags = tagged ? { owner: `team-${i % 7}`, environment: i % 2 ? 'prod' : 'staging' } : { owner: `team-${i % 7}` };
    const publicEndpoint = i % 7 === 2;
    clusters.push({
      name,
      arn,
      createdAt,
      // Every fifth cluster lags on a version out of standard support, every sixth has no KMS key for its secrets.
      version: i % 5 === 4 ? '1.31' : '1.33',
      ...(i % 6 === 1 ? {} : { encryptionConfig: [{ resources: ['secrets'], provider: { keyArn: `arn:aws:kms:${region}:${account}:key/${(0x5000 + i).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000` } }] }),
      endpoint: `https://${(0xabc000 + i).toString(16).toUpperCase()}.gr7.${region}.eks.amazonaws.com`,
      roleArn: `arn:aws:iam::${account}:role/${name}-cluster`,
      resourcesVpcConfig: {
        subnetIds: [...nodeSubnets, ...publicSubnets],
        securityGroupIds: [controlPlaneSg],
        clusterSecurityGroupId: clusterSg,
        vpcId,
        endpointPublicAccess: publicEndpoint || i % 2 === 0,
        endpointPrivateAccess: true,
        publicAccessCidrs: publicEndpoint ? ['0.0.0.0/0'] : ['198.51.100.0/24'],
      },
      kubernetesNetworkConfig: { serviceIpv4Cidr: '172.20.0.0/16', ipFamily: 'ipv4' },
      logging: {
        clusterLogging: [
          { types: i % 8 === 5 ? ['api'] : ['api', 'audit', 'authenticator'], enabled: true },
          { types: i % 8 === 5 ? ['audit', 'authenticator', 'controllerManager', 'scheduler'] : ['controllerManager', 'scheduler'], enabled: false },
        ],
      },
      identity: { oidc: { issuer: `https://oidc.eks.${region}.amazonaws.com/id/${(0xdef000 + i).toString(16).toUpperCase()}` } },
      status: 'ACTIVE',
      certificateAuthority: { data: 'LS0tLS1CRUdJTi...' },
      platformVersion: 'eks.12',
      accessConfig: { authenticationMode: mode, bootstrapClusterCreatorAdminPermissions: true },
      tags,
    });

    // Node groups, launch templates, instances.
    const ngNames: string[] = [];
    const ltIds: string[] = [];
    const nodeInstanceIds: string[] = [];
    const raSgs: string[] = [];
    for (let j = 0; j < params.nodegroupsPerCluster; j++) {
      const ngName = `ng-${j}`;
      ngNames.push(ngName);
      const kind = j % 3; // 0: EKS defaults, 1: launch template, 2: SSH remote access
      const asg = `eks-${ngName}-${name}-${(0x100 + j).toString(16)}`;
      const ng: Json = {
        nodegroupName: ngName,
        clusterName: name,
        nodegroupArn: `arn:aws:eks:${region}:${account}:nodegroup/${name}/${ngName}/00000000-0000-0000-0000-${String(i * 100 + j).padStart(12, '0')}`,
        version: '1.31',
        status: 'ACTIVE',
        capacityType: 'ON_DEMAND',
        scalingConfig: { minSize: 2, maxSize: 6, desiredSize: 2 },
        instanceTypes: kind === 1 ? undefined : ['m6i.large'],
        subnets: nodeSubnets,
        amiType: 'AL2023_x86_64_STANDARD',
        nodeRole: nodeRoleArn,
        createdAt,
        modifiedAt: createdAt,
        resources: { autoScalingGroups: [{ name: asg }] },
        tags: tagged || j > 0 ? { owner: `team-${i % 7}`, environment: 'prod' } : { owner: `team-${i % 7}` },
      };
      if (kind === 1) {
        const ltId = hexId('lt', next());
        ltIds.push(ltId);
        ng.launchTemplate = { id: ltId, name: `${name}-${ngName}`, version: '2' };
        for (const v of [1, 2]) {
          launchTemplateVersions.push({
            LaunchTemplateId: ltId,
            LaunchTemplateName: `${name}-${ngName}`,
            VersionNumber: v,
            DefaultVersion: v === 2,
            CreateTime: createdAt,
            LaunchTemplateData: {
              SecurityGroupIds: [nodeSg, clusterSg],
              ...(v === 1 ? { KeyName: 'legacy-key' } : {}),
              // Every ninth cluster's template keeps the hop limit at 2 (node-imds-restricted).
              MetadataOptions: i % 9 === 7 ? { HttpTokens: 'required', HttpPutResponseHopLimit: 2 } : IMDS_LOCKED,
              TagSpecifications: [{ ResourceType: 'instance', Tags: ec2Tags({ Name: `${name}-${ngName}` }) }],
            },
          });
        }
      }
      if (kind === 2) {
        const raSg = hexId('sg', next());
        raSgs.push(raSg);
        ng.remoteAccess = { ec2SshKey: 'ops-key', sourceSecurityGroups: [bastionSg] };
        (ng.resources as Json).remoteAccessSecurityGroup = raSg;
        securityGroups.push({
          GroupId: raSg,
          GroupName: `eks-remoteAccess-${(0x5000 + i * 10 + j).toString(16)}`,
          Description: 'Security group for all nodes in the nodeGroup to allow SSH access',
          VpcId: vpcId,
          OwnerId: account,
          IpPermissions: [tcpFromGroup(22, bastionSg)],
          IpPermissionsEgress: EGRESS_ALL,
          Tags: ec2Tags({ 'eks:cluster-name': name, 'eks:nodegroup-name': ngName }),
        });
      }
      nodegroups.push(ng);
      const managedAsg = autoScalingGroup(asg, nodeSubnets, { 'eks:cluster-name': name, 'eks:nodegroup-name': ngName, [`kubernetes.io/cluster/${name}`]: 'owned' }, createdAt);
      // A node group without a template of its own runs one EKS created in the account; every seventh cluster's keeps
      // EKS's hop limit of 2, the others were moved to a locked-down version.
      const ownTemplate = ng.launchTemplate as { id: string; version: string } | undefined;
      const eksTemplate = ownTemplate ? undefined : { id: hexId('lt', next()), imds: i % 7 === 6 ? IMDS_HOP_2 : IMDS_LOCKED };
      if (eksTemplate) {
        launchTemplateVersions.push({
          LaunchTemplateId: eksTemplate.id,
          LaunchTemplateName: `eks-${(0x100 + j).toString(16)}-${name}`,
          VersionNumber: 1,
          DefaultVersion: true,
          CreateTime: createdAt,
          LaunchTemplateData: { InstanceType: 'm6i.large', SecurityGroupIds: [clusterSg], MetadataOptions: eksTemplate.imds },
        });
        managedAsg.LaunchTemplate = { LaunchTemplateId: eksTemplate.id, LaunchTemplateName: `eks-${(0x100 + j).toString(16)}-${name}`, Version: '1' };
      }
      autoScalingGroups.push(managedAsg);
      const groups = kind === 1 ? [nodeSg, clusterSg] : kind === 2 ? [clusterSg, lastOf(raSgs)] : [clusterSg];
      for (let k = 0; k < 2; k++) {
        const subnetId = nodeSubnets[k % nodeSubnets.length];
        const node = instance(hexId('i', next()), subnetId, vpcId, groups, {
          'eks:cluster-name': name,
          'eks:nodegroup-name': ngName,
          [`kubernetes.io/cluster/${name}`]: 'owned',
          'aws:autoscaling:groupName': asg,
        }, kind === 2 ? 'ops-key' : undefined, createdAt);
        // A node launched as its template says; every tenth cluster's first node had IMDSv1 turned back on.
        node.MetadataOptions = liveImds(i % 10 === 7 && j === 0 && k === 0 ? { ...IMDS_LOCKED, HttpTokens: 'optional' } : (eksTemplate?.imds ?? (i % 9 === 7 ? IMDS_HOP_2 : IMDS_LOCKED)));
        instances.push(node);
        nodeInstanceIds.push(node.InstanceId as string);
        member(managedAsg, node);
      }
    }
    // Every fourth cluster also runs a self-managed node group: an Auto Scaling group on a launch template whose
    // instance profile holds the node role (every eighth launches with an SSH key).
    const selfManagedGroupName = i % 4 === 1 ? `${name}-self-managed` : undefined;
    if (selfManagedGroupName) {
      const ltId = hexId('lt', next());
      const profile = `${name}-self-managed`;
      instanceProfiles.push({ InstanceProfileName: profile, Arn: `arn:aws:iam::${account}:instance-profile/${profile}`, Path: '/', Roles: [{ RoleName: nodeRoleName, Arn: nodeRoleArn, Path: '/' }] });
      launchTemplateVersions.push({
        LaunchTemplateId: ltId,
        LaunchTemplateName: selfManagedGroupName,
        VersionNumber: 1,
        DefaultVersion: true,
        CreateTime: createdAt,
        LaunchTemplateData: {
          SecurityGroupIds: [nodeSg],
          IamInstanceProfile: { Arn: `arn:aws:iam::${account}:instance-profile/${profile}` },
          ...(i % 8 === 5 ? { KeyName: 'legacy-key' } : {}),
          // Every twelfth cluster's self-managed nodes answer IMDSv1.
          MetadataOptions: i % 12 === 9 ? { HttpTokens: 'optional', HttpPutResponseHopLimit: 1 } : IMDS_LOCKED,
        },
      });
      const selfManaged = {
        ...autoScalingGroup(selfManagedGroupName, nodeSubnets, { [`kubernetes.io/cluster/${name}`]: 'owned', Name: selfManagedGroupName }, createdAt),
        LaunchTemplate: { LaunchTemplateId: ltId, LaunchTemplateName: selfManagedGroupName, Version: '$Default' },
      };
      autoScalingGroups.push(selfManaged);
      for (let k = 0; k < 2; k++) {
        const node: Json = {
          ...instance(hexId('i', next()), nodeSubnets[k % nodeSubnets.length], vpcId, [nodeSg], { [`kubernetes.io/cluster/${name}`]: 'owned', Name: selfManagedGroupName, 'aws:autoscaling:groupName': selfManagedGroupName }, undefined, createdAt),
          IamInstanceProfile: { Arn: `arn:aws:iam::${account}:instance-profile/${profile}`, Id: `AIPA${(0x7000 + i).toString(16).toUpperCase()}` },
          MetadataOptions: liveImds(i % 12 === 9 ? { HttpTokens: 'optional', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' } : IMDS_LOCKED),
        };
        instances.push(node);
        nodeInstanceIds.push(node.InstanceId as string);
        member(selfManaged, node);
      }
    }

    // Access entries, add-ons, Kubernetes objects, the CreateCluster record.
    const principals: string[] = [];
    const entry = (principalArn: string, type: string, groups: string[], policies: string[], at: string) => {
      principals.push(principalArn);
      accessEntries.push({
        clusterName: name,
        principalArn,
        accessEntryArn: `arn:aws:eks:${region}:${account}:access-entry/${name}/role/${account}/${principalArn.split('/').pop()}/${(0x9000 + principals.length).toString(16)}`,
        kubernetesGroups: groups,
        createdAt: at,
        modifiedAt: at,
        username: principalArn,
        type,
        associatedAccessPolicies: policies.map((p) => ({
          policyArn: `arn:aws:eks::aws:cluster-access-policy/${p}`,
          accessScope: { type: 'cluster', namespaces: [] },
          associatedAt: at,
          modifiedAt: at,
        })),
      });
    };
    if (mode !== 'CONFIG_MAP') {
      if (i % 4 === 0) entry(creatorArn, 'STANDARD', [], ['AmazonEKSClusterAdminPolicy'], createdAt);
      entry(nodeRoleArn, 'EC2_LINUX', ['system:nodes'], [], createdAt);
      entry(`arn:aws:iam::${account}:role/platform-viewers`, 'STANDARD', ['viewers'], ['AmazonEKSViewPolicy'], iso(30));
    }
    addons.push(
      {
        addonName: 'vpc-cni',
        clusterName: name,
        addonVersion: 'v1.19.0-eksbuild.1',
        status: 'ACTIVE',
        addonArn: `arn:aws:eks:${region}:${account}:addon/${name}/vpc-cni/1`,
        createdAt,
        modifiedAt: createdAt,
        ...(i % 5 === 1
          ? {}
          : { configurationValues: JSON.stringify({ env: { AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: 'true', ENI_CONFIG_LABEL_DEF: 'topology.kubernetes.io/zone' }, enableNetworkPolicy: 'true' }) }),
      },
      { addonName: 'kube-proxy', clusterName: name, addonVersion: 'v1.31.0-eksbuild.2', status: 'ACTIVE', createdAt, modifiedAt: createdAt },
      { addonName: 'coredns', clusterName: name, addonVersion: 'v1.11.3-eksbuild.1', status: 'ACTIVE', createdAt, modifiedAt: createdAt },
    );
    const mapRoles = [`- rolearn: ${nodeRoleArn}`, '  username: system:node:{{EC2PrivateDNSName}}', '  groups:', '    - system:bootstrappers', '    - system:nodes'];
    if (i % 12 === 6) mapRoles.push(`- rolearn: arn:aws:iam::${account}:role/break-glass`, '  username: break-glass', '  groups:', '    - system:masters');
    kubernetes[name] = {
      awsAuth: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: { mapRoles: mapRoles.join('\n') + '\n' } },
      clusterRoleBindings: [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'cluster-admin' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }],
        },
      ],
      namespaces: NAMESPACES.map((n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n, labels: { 'kubernetes.io/metadata.name': n, team: `team-${i % 7}` } } })),
      // Default-deny egress plus DNS and HTTPS per namespace, and an app that may talk to its database; every
      // seventh cluster leaves `apps` open. Every sixth runs Calico with a global SSH deny ordered first.
      networkPolicies: NAMESPACES.flatMap((n) => (i % 7 === 4 && n === 'apps' ? [] : egressBaseline(n))),
      ...(i % 6 === 2
        ? {
            calicoGlobalNetworkPolicies: [
              { apiVersion: 'crd.projectcalico.org/v1', kind: 'GlobalNetworkPolicy', metadata: { name: 'deny-ssh-egress' }, spec: { order: 10, selector: 'all()', types: ['Egress'], egress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: [22] } }, { action: 'Pass' }] } },
            ],
            calicoNetworkPolicies: [],
          }
        : {}),
    };
    const creationRecord = {
      eventVersion: '1.09',
      userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${account}:assumed-role/eks-creator/ci`, accountId: account, sessionContext: { sessionIssuer: { type: 'Role', arn: creatorArn, accountId: account, userName: 'eks-creator' } } },
      eventTime: createdAt.replace(/\.\d{3}Z$/, 'Z'),
      eventSource: 'eks.amazonaws.com',
      eventName: 'CreateCluster',
      awsRegion: region,
      sourceIPAddress: '198.51.100.10',
      userAgent: 'aws-cli/2.17.0',
      requestParameters: { name, roleArn: `arn:aws:iam::${account}:role/${name}-cluster`, accessConfig: { authenticationMode: mode, bootstrapClusterCreatorAdminPermissions: true } },
      responseElements: { cluster: { name, arn } },
      eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: account,
    };
    cloudtrailEvents.push({
      EventId: creationRecord.eventID,
      EventName: 'CreateCluster',
      EventSource: 'eks.amazonaws.com',
      EventTime: createdAt,
      Username: 'ci',
      ReadOnly: 'false',
      Resources: [{ ResourceType: 'AWS::EKS::Cluster', ResourceName: name }],
      CloudTrailEvent: JSON.stringify(creationRecord),
    });

    index.push({
      name,
      arn,
      vpcId,
      clusterSecurityGroupId: clusterSg,
      controlPlaneSecurityGroupId: controlPlaneSg,
      nodeSecurityGroupId: nodeSg,
      remoteAccessSecurityGroupIds: raSgs,
      otherSecurityGroupIds: otherSgs,
      nodeSubnetIds: nodeSubnets,
      publicSubnetIds: publicSubnets,
      mainRouteTableId: mainRt,
      privateRouteTableId: privateRt,
      publicRouteTableId: publicRt,
      nodeNetworkAclId: nodeNacl,
      defaultNetworkAclId: defaultNacl,
      nodegroups: ngNames,
      launchTemplateIds: ltIds,
      accessEntryPrincipalArns: principals,
      creatorRoleName,
      nodeRoleName,
      ...(selfManagedGroupName ? { selfManagedGroupName } : {}),
      nodeInstanceIds,
    });
  }

  const trailArn = `arn:aws:cloudtrail:${region}:${account}:trail/organization-trail`;
  const world = {
    account,
    region,
    recordedAt: iso(0),
    eks: { clusters, nodegroups, accessEntries, addons, clusterVersions: CLUSTER_VERSIONS },
    ec2: { securityGroups, subnets, routeTables, networkAcls, launchTemplateVersions, instances },
    cloudtrail: {
      trails: [{ Name: 'organization-trail', TrailARN: trailArn, HomeRegion: region, IsMultiRegionTrail: true, S3BucketName: 'audit-logs', LogFileValidationEnabled: true, IncludeGlobalServiceEvents: true }],
      trailStatus: { [trailArn]: { IsLogging: true, StartLoggingTime: iso(500), LatestDeliveryTime: iso(0) } },
      eventSelectors: { [trailArn]: { EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true, ExcludeManagementEventSources: [] }] } },
    },
    kubernetes,
    iam: { roles, instanceProfiles, policies: MANAGED_POLICIES },
    autoscaling: { groups: autoScalingGroups },
    cloudtrailEvents,
  };
  return { world, clusters: index, account, region };
}

/** DescribeClusterVersions' clusterVersions as it stood when the synthetic account was recorded (iso(0)). */
const CLUSTER_VERSIONS: Json[] = [
  ['1.34', '2025-10-02', '2026-12-02', '2027-12-02', 'STANDARD_SUPPORT'],
  ['1.33', '2025-05-29', '2026-07-29', '2027-07-29', 'STANDARD_SUPPORT'],
  ['1.32', '2025-01-23', '2026-03-23', '2027-03-23', 'STANDARD_SUPPORT'],
  ['1.31', '2024-09-26', '2025-11-26', '2026-11-26', 'EXTENDED_SUPPORT'],
  ['1.30', '2024-05-23', '2025-07-23', '2026-07-23', 'EXTENDED_SUPPORT'],
  ['1.29', '2024-01-23', '2025-03-23', '2026-03-23', 'EXTENDED_SUPPORT'],
].map(([clusterVersion, releaseDate, endOfStandardSupportDate, endOfExtendedSupportDate, versionStatus]) => ({
  clusterVersion,
  clusterType: 'eks',
  defaultVersion: clusterVersion === '1.33',
  releaseDate,
  endOfStandardSupportDate,
  endOfExtendedSupportDate,
  versionStatus,
}));

const NAMESPACES = ['default', 'kube-system', 'kube-public', 'apps'];

function egressBaseline(namespace: string): Json[] {
  const np = (name: string, spec: Json) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace, name }, spec });
  return [
    np('default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] }),
    np('allow-dns-https', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }, { ports: [{ protocol: 'TCP', port: 443 }] }] }),
    np('app-to-db', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ protocol: 'TCP', port: 5432 }] }] }),
  ];
}

/** The AWS managed policies node roles use, with their documents (GetPolicy + GetPolicyVersion). */
const MANAGED_POLICIES: Json[] = [
  ['AmazonEKSWorkerNodePolicy', ['ec2:DescribeInstances', 'ec2:DescribeInstanceTypes', 'ec2:DescribeRouteTables', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVolumes', 'ec2:DescribeVpcs', 'eks:DescribeCluster']],
  ['AmazonEKS_CNI_Policy', ['ec2:AssignPrivateIpAddresses', 'ec2:AttachNetworkInterface', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeInstances', 'ec2:DescribeNetworkInterfaces', 'ec2:UnassignPrivateIpAddresses']],
  ['AmazonEC2ContainerRegistryReadOnly', ['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage']],
  ['AmazonSSMManagedInstanceCore', ['ssm:UpdateInstanceInformation', 'ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel', 'ec2messages:GetMessages']],
].map(([name, actions]) => ({
  PolicyName: name,
  Arn: `arn:aws:iam::aws:policy/${name as string}`,
  DefaultVersionId: 'v3',
  PolicyVersionList: [{ VersionId: 'v3', IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] })) }],
}));

/** Lists an instance among its Auto Scaling group's members, as DescribeAutoScalingGroups returns them. */
function member(group: Json, node: Json): void {
  (group.Instances as Json[]).push({ InstanceId: node.InstanceId, InstanceType: node.InstanceType, LifecycleState: 'InService', HealthStatus: 'Healthy', ProtectedFromScaleIn: false });
}

function autoScalingGroup(name: string, subnets: string[], tags: Record<string, string>, createdAt: string): Json {
  return {
    Instances: [],
    AutoScalingGroupName: name,
    MinSize: 2,
    MaxSize: 6,
    DesiredCapacity: 2,
    DefaultCooldown: 300,
    HealthCheckType: 'EC2',
    CreatedTime: createdAt,
    VPCZoneIdentifier: subnets.join(','),
    Tags: Object.entries(tags).map(([Key, Value]) => ({ ResourceId: name, ResourceType: 'auto-scaling-group', Key, Value, PropagateAtLaunch: true })),
  };
}

function lastOf(items: string[]): string {
  return items[items.length - 1];
}

function instance(id: string, subnetId: string, vpcId: string, groups: string[], tags: Record<string, string>, keyName: string | undefined, launchTime: string): Json {
  return {
    InstanceId: id,
    InstanceType: 'm6i.large',
    SubnetId: subnetId,
    VpcId: vpcId,
    LaunchTime: launchTime,
    PrivateIpAddress: '10.0.1.10',
    ...(keyName ? { KeyName: keyName } : {}),
    State: { Code: 16, Name: 'running' },
    SecurityGroups: groups.map((g) => ({ GroupId: g, GroupName: g })),
    NetworkInterfaces: [{ SubnetId: subnetId, VpcId: vpcId, Groups: groups.map((g) => ({ GroupId: g, GroupName: g })) }],
    Tags: ec2Tags(tags),
  };
}
