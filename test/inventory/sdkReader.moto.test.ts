import {
  EC2Client,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateManagedPrefixListCommand,
  DescribeManagedPrefixListsCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeNetworkAclsCommand,
  ModifySubnetAttributeCommand,
  ReplaceNetworkAclAssociationCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { EKSClient, CreateClusterCommand, CreateNodegroupCommand } from '@aws-sdk/client-eks';
import { SdkReader } from '../../src/inventory/sdkReader';
import { buildClusterView } from '../../src/inventory/buildView';
import { snapshotAccount } from '../../src/inventory/snapshot';
import { withAccountReads } from '../../src/inventory/accountReads';
import { evaluateCluster } from '../../src/rules/engine/evaluate';
import { defaultConfig } from '../../src/config';
import { parseWorld } from '../../src/inventory/world';
import { WorldReader } from '../../src/inventory/worldReader';
import type { ClusterView, ViewPart } from '../../src/inventory/view';
import { describeWithMoto, motoClientConfig, startMoto, type Moto } from '../support/moto';
import { createClusterEvent } from './worlds';

const ALL: ViewPart[] = ['nodegroups', 'securityGroups', 'network', 'accessEntries', 'addons', 'kubernetes', 'creator'];
const MOTO_ACCOUNT = '123456789012';
const REGION = 'us-east-1';

interface Seeded {
  vpc: string;
  privateSubnet: string;
  publicSubnet: string;
  igw: string;
  publicTable: string;
  sshAcl: string;
  sgControlPlane: string;
  sgLt1: string;
  sgLt2: string;
  sgSelf: string;
  lt: string;
  instance: string;
  partners: string;
  cloudfront: string;
}

/** A VPC with a private subnet (main route table, NACL opening SSH) and a public one (IGW route, MapPublicIpOnLaunch). */
async function seed(ec2: EC2Client, eks: EKSClient): Promise<Seeded> {
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  const privateSubnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24' }))).Subnet!.SubnetId!;
  const publicSubnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.2.0/24' }))).Subnet!.SubnetId!;
  await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: publicSubnet, MapPublicIpOnLaunch: { Value: true } }));
  const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
  await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc }));
  const publicTable = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable!.RouteTableId!;
  await ec2.send(new CreateRouteCommand({ RouteTableId: publicTable, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
  await ec2.send(new AssociateRouteTableCommand({ RouteTableId: publicTable, SubnetId: publicSubnet }));

  const sshAcl = (await ec2.send(new CreateNetworkAclCommand({ VpcId: vpc }))).NetworkAcl!.NetworkAclId!;
  await ec2.send(
    new CreateNetworkAclEntryCommand({ NetworkAclId: sshAcl, RuleNumber: 100, Protocol: '6', RuleAction: 'allow', Egress: false, CidrBlock: '0.0.0.0/0', PortRange: { From: 22, To: 22 } }),
  );
  const current = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [privateSubnet] }] }));
  const assoc = current.NetworkAcls![0].Associations!.find((a) => a.SubnetId === privateSubnet)!;
  await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: assoc.NetworkAclAssociationId!, NetworkAclId: sshAcl }));

  const sg = async (name: string) => (await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpc }))).GroupId!;
  const [sgControlPlane, sgLt1, sgLt2, sgSelf] = [await sg('control-plane'), await sg('lt1'), await sg('lt2'), await sg('self')];
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: sgLt1,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
    }),
  );
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({ GroupId: sgLt2, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] }),
  );

  // The internet as a customer prefix list, and the AWS-managed CloudFront list (moto creates it): both expanded.
  const partners = (
    await ec2.send(new CreateManagedPrefixListCommand({ PrefixListName: 'partners', AddressFamily: 'IPv4', MaxEntries: 5, Entries: [{ Cidr: '0.0.0.0/1' }, { Cidr: '128.0.0.0/1' }] }))
  ).PrefixList!.PrefixListId!;
  const cloudfront = (
    await ec2.send(new DescribeManagedPrefixListsCommand({ Filters: [{ Name: 'prefix-list-name', Values: ['com.amazonaws.global.cloudfront.origin-facing'] }] }))
  ).PrefixLists![0].PrefixListId!;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: sgSelf,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: partners }] },
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: cloudfront }] },
      ],
    }),
  );

  const lt = (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'nodes', LaunchTemplateData: { SecurityGroupIds: [sgLt1] } }))).LaunchTemplate!
    .LaunchTemplateId!;
  await ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: lt,
      LaunchTemplateData: { NetworkInterfaces: [{ DeviceIndex: 0, Groups: [sgLt2], AssociatePublicIpAddress: true }] },
    }),
  );

  const image = (await ec2.send(new DescribeImagesCommand({}))).Images![0].ImageId!;
  const instance = (
    await ec2.send(
      new RunInstancesCommand({
        ImageId: image,
        MinCount: 1,
        MaxCount: 1,
        SubnetId: publicSubnet,
        SecurityGroupIds: [sgSelf],
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'kubernetes.io/cluster/prod', Value: 'owned' }] }],
      }),
    )
  ).Instances![0].InstanceId!;

  const role = `arn:aws:iam::${MOTO_ACCOUNT}:role/eks`;
  await eks.send(
    new CreateClusterCommand({
      name: 'prod',
      roleArn: role,
      resourcesVpcConfig: { subnetIds: [privateSubnet, publicSubnet], securityGroupIds: [sgControlPlane], endpointPublicAccess: true },
      tags: { team: 'platform' },
    }),
  );
  await eks.send(new CreateNodegroupCommand({ clusterName: 'prod', nodegroupName: 'ng-ssh', nodeRole: role, subnets: [privateSubnet], remoteAccess: { ec2SshKey: 'ops' } }));
  await eks.send(new CreateNodegroupCommand({ clusterName: 'prod', nodegroupName: 'ng-lt', nodeRole: role, subnets: [publicSubnet], launchTemplate: { id: lt, version: '2' } }));
  await eks.send(new CreateNodegroupCommand({ clusterName: 'prod', nodegroupName: 'ng-lt-default', nodeRole: role, subnets: [privateSubnet], launchTemplate: { name: 'nodes' } }));
  return { vpc, privateSubnet, publicSubnet, igw, publicTable, sshAcl, sgControlPlane, sgLt1, sgLt2, sgSelf, lt, instance, partners, cloudfront };
}

/**
 * The reader over moto, with the calls moto cannot serve (TOOLCHAIN.md: access entries, add-ons, LookupEvents) and
 * the Kubernetes API (moto's cluster endpoint is a made-up public hostname) replaced; those are covered by
 * sdkReader.mock.test.ts and kubernetes.test.ts.
 */
function motoReader(endpoint: string): SdkReader {
  const reader = new SdkReader({ clientConfig: motoClientConfig(endpoint, REGION) });
  jest.spyOn(reader, 'listAccessEntries').mockResolvedValue([]);
  jest.spyOn(reader, 'describeAddon').mockResolvedValue({ addonName: 'vpc-cni', clusterName: 'prod', addonVersion: 'v1.18.0-eksbuild.1' });
  jest.spyOn(reader, 'lookupEvents').mockResolvedValue([]);
  jest.spyOn(reader, 'readKubernetes').mockResolvedValue(undefined);
  return reader;
}

/** A view as plain data with every list in a stable order, to compare views built by different readers. */
function plain(v: ClusterView): unknown {
  const sortBy = <T>(xs: T[], key: (x: T) => string | undefined) => [...xs].sort((a, b) => (key(a) ?? '').localeCompare(key(b) ?? ''));
  return JSON.parse(
    JSON.stringify({
      ...v,
      nodegroups: sortBy(v.nodegroups, (n) => n.nodegroup.nodegroupName),
      securityGroups: sortBy(v.securityGroups, (g) => g.group.GroupId),
      subnets: sortBy(v.subnets, (s) => s.subnet.SubnetId),
      selfManagedInstances: sortBy(v.selfManagedInstances, (i) => i.InstanceId),
      loaded: [...v.loaded].sort(),
    }),
  );
}

describeWithMoto('SdkReader against moto', () => {
  let moto: Moto;
  let s: Seeded;
  let view: ClusterView;

  beforeAll(async () => {
    moto = await startMoto();
    const cfg = motoClientConfig(moto.endpoint, REGION);
    s = await seed(new EC2Client(cfg), new EKSClient(cfg));
    view = (await buildClusterView(motoReader(moto.endpoint), 'prod', new Set(ALL), { account: MOTO_ACCOUNT, region: REGION }))!;
  }, 60_000);
  afterAll(async () => moto?.stop());

  it('identity comes from STS and the client region', async () => {
    expect(await motoReader(moto.endpoint).identity()).toEqual({ account: MOTO_ACCOUNT, region: REGION });
  });

  it('lists clusters and describes them; a missing cluster is undefined', async () => {
    const r = motoReader(moto.endpoint);
    expect(await r.listClusters()).toEqual(['prod']);
    expect(await r.describeCluster('nope')).toBeUndefined();
    expect(await buildClusterView(r, 'nope', new Set(ALL), { account: MOTO_ACCOUNT, region: REGION })).toBeUndefined();
  });

  it('derives the cluster VPC from its subnets when EKS (here: moto) leaves vpcId out', () => {
    expect(view.cluster.resourcesVpcConfig?.vpcId).toBe(s.vpc);
  });

  it('node groups: the pinned launch template version, else the default', () => {
    const ng = (name: string) => view.nodegroups.find((n) => n.nodegroup.nodegroupName === name)!;
    expect(ng('ng-lt').launchTemplate?.VersionNumber).toBe(2);
    expect(ng('ng-lt').securityGroupIds).toContain(s.sgLt2);
    expect(ng('ng-lt-default').launchTemplate?.VersionNumber).toBe(1);
    expect(ng('ng-lt-default').securityGroupIds).toContain(s.sgLt1);
    expect(ng('ng-ssh').nodegroup.remoteAccess?.ec2SshKey).toBe('ops');
    expect(ng('ng-ssh').securityGroupIds).toEqual([ng('ng-ssh').nodegroup.resources?.remoteAccessSecurityGroup]);
  });

  it('security groups with their roles and IPv4/IPv6 rules; ids EC2 does not know are skipped, not fatal', () => {
    const g = (id: string) => view.securityGroups.find((x) => x.group.GroupId === id);
    expect(g(s.sgControlPlane)?.roles).toEqual(['control-plane']);
    expect(g(s.sgLt1)?.group.IpPermissions?.[0]).toMatchObject({ FromPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] });
    expect(g(s.sgLt2)?.roles).toEqual(['node']);
    expect(g(s.sgSelf)).toMatchObject({ roles: ['node'], usedBy: [s.instance] });
    // moto invents remote-access group ids that do not exist in EC2: the batch fails with InvalidGroup.NotFound
    expect(view.securityGroups.map((x) => x.group.GroupId).sort()).toEqual([s.sgControlPlane, s.sgLt1, s.sgLt2, s.sgSelf].sort());
    expect(view.unreadable).toEqual([{ part: 'kubernetes', reason: expect.any(String) }]);
  });

  it('subnets: explicit route table vs the VPC main table, NACLs, MapPublicIpOnLaunch', () => {
    const sub = (id: string) => view.subnets.find((x) => x.subnet.SubnetId === id)!;
    expect(sub(s.publicSubnet)).toMatchObject({ routeTableIsMain: false, routeTable: { RouteTableId: s.publicTable }, subnet: { MapPublicIpOnLaunch: true } });
    expect(sub(s.publicSubnet).routeTable?.Routes).toEqual(expect.arrayContaining([expect.objectContaining({ DestinationCidrBlock: '0.0.0.0/0', GatewayId: s.igw })]));
    expect(sub(s.publicSubnet).usedBy.sort()).toEqual(['ng-lt', s.instance].sort());
    expect(sub(s.privateSubnet).routeTableIsMain).toBe(true);
    expect(sub(s.privateSubnet).routeTable?.Associations?.some((a) => a.Main)).toBe(true);
    expect(sub(s.privateSubnet).networkAcl?.NetworkAclId).toBe(s.sshAcl);
    expect(sub(s.privateSubnet).networkAcl?.Entries).toEqual(expect.arrayContaining([expect.objectContaining({ RuleNumber: 100, RuleAction: 'allow', PortRange: { From: 22, To: 22 } })]));
    expect(sub(s.publicSubnet).networkAcl?.IsDefault).toBe(true);
  });

  it('prefix lists a group references, with their entries: a customer list and an AWS-managed one', () => {
    const pl = (id: string) => view.prefixLists.find((l) => l.prefixListId === id);
    expect(pl(s.partners)).toMatchObject({ prefixList: { PrefixListName: 'partners' }, entries: [{ Cidr: '0.0.0.0/1' }, { Cidr: '128.0.0.0/1' }] });
    expect(pl(s.cloudfront)?.prefixList).toMatchObject({ PrefixListName: 'com.amazonaws.global.cloudfront.origin-facing', OwnerId: 'AWS' });
    expect(pl(s.cloudfront)?.entries.length).toBeGreaterThan(5);
    const ssh = evaluateCluster(view, defaultConfig, ['no-internet-ssh', 'no-internet-ingress']);
    expect(ssh.findings.filter((f) => f.resourceId === s.sgSelf).map((f) => [f.ruleId, f.evidence.prefixLists])).toEqual([
      ['no-internet-ssh', [{ prefixListId: s.partners, prefixListName: 'partners', entries: ['0.0.0.0/1', '128.0.0.0/1'] }]],
    ]);
  });

  it('self-managed instances by cluster tag', () => {
    expect(view.selfManagedInstances.map((i) => i.InstanceId)).toEqual([s.instance]);
  });

  it('DescribeClusterVersions, which moto does not serve, is a ReadError: the version rule falls back to the configured minimum and says why', async () => {
    const r = motoReader(moto.endpoint);
    await expect(r.describeClusterVersions()).rejects.toMatchObject({ operation: 'eks:DescribeClusterVersions' });
    const v = (await buildClusterView(r, 'prod', new Set<ViewPart>(['clusterVersions']), { account: MOTO_ACCOUNT, region: REGION }))!;
    expect(v.unreadable.map((u) => u.part)).toEqual(['clusterVersions']);
    expect(v.cluster.version).toMatch(/^\d+\.\d+$/);
    const strict = { ...defaultConfig, minimumKubernetesVersion: '99.0' };
    const [f] = evaluateCluster(v, strict, ['kubernetes-version-supported']).findings;
    expect(f.evidence).toMatchObject({ decidedBy: 'config minimumKubernetesVersion', minimumKubernetesVersion: '99.0', calendarUnavailable: expect.stringContaining('eks:DescribeClusterVersions failed') });
  });

  it('account-wide reads (the sweep\'s) give exactly the per-cluster view: wildcard tag filter, every template\'s latest and default', async () => {
    const live = motoReader(moto.endpoint);
    const requests: string[] = [];
    for (const m of ['describeInstances', 'describeSecurityGroups', 'describeSubnets', 'describeRouteTables', 'describeNetworkAcls', 'describeLaunchTemplateVersions', 'describeAutoScalingGroups'] as const) {
      const original = live[m].bind(live) as (...a: unknown[]) => Promise<unknown>;
      jest.spyOn(live, m).mockImplementation(((...a: unknown[]) => (requests.push(m), original(...a))) as never);
    }
    const shared = withAccountReads(live);
    const ids = { account: MOTO_ACCOUNT, region: REGION };
    const now = new Date();
    const fromAccount = (await buildClusterView(shared, 'prod', new Set(ALL), ids, { now }))!;
    const perCluster = (await buildClusterView(motoReader(moto.endpoint), 'prod', new Set(ALL), ids, { now }))!;
    expect(plain(fromAccount)).toEqual(plain(perCluster));
    // ng-lt pins version 2 (the latest), ng-lt-default the default: both answered by the one account-wide read.
    expect(requests.filter((r) => r === 'describeLaunchTemplateVersions')).toHaveLength(1);
    // Each kind was read once for the whole account: a second cluster's view would cost no more EC2 requests.
    for (const m of ['describeSecurityGroups', 'describeRouteTables', 'describeNetworkAcls', 'describeAutoScalingGroups']) expect(requests.filter((r) => r === m)).toHaveLength(1);
  });

  it('a snapshot read back through the world reader gives the same view', async () => {
    const live = motoReader(moto.endpoint);
    jest.spyOn(live, 'lookupEvents').mockResolvedValue([
      { ...createClusterEvent('ev-1', 'prod', '2020-01-01T00:00:00Z', 'arn:aws:iam::123456789012:role/creator'), EventTime: new Date('2020-01-01T00:00:00Z') },
    ]);
    const ids = { account: MOTO_ACCOUNT, region: REGION };
    const now = new Date();
    const liveView = (await buildClusterView(live, 'prod', new Set(ALL), ids, { now }))!;
    const world = parseWorld(JSON.parse(JSON.stringify(await snapshotAccount(live, now))), 'snapshot.json');
    expect(world.kubernetes).toEqual({ prod: null });
    const replayed = (await buildClusterView(new WorldReader(world), 'prod', new Set(ALL), ids))!;
    expect(plain(replayed)).toEqual(plain(liveView));
    expect(replayed.creatorEvent?.EventId).toBe('ev-1');

    // `scan` of the live account and `scan --world` of its snapshot: the same findings, and not none.
    const liveScan = evaluateCluster(liveView, defaultConfig);
    const worldScan = evaluateCluster(replayed, defaultConfig);
    expect(liveScan.findings.map((f) => `${f.ruleId} ${f.resourceId}`)).toEqual(expect.arrayContaining([`no-internet-ssh ${s.sgLt1}`]));
    expect(worldScan).toEqual(liveScan);
  });
});
