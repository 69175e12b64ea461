import { EC2Client, CreateLaunchTemplateCommand, CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { EKSClient, CreateClusterCommand, CreateNodegroupCommand } from '@aws-sdk/client-eks';
import {
  IAMClient,
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand } from '@aws-sdk/client-auto-scaling';
import { SdkReader } from '../../src/inventory/sdkReader';
import { buildClusterView } from '../../src/inventory/buildView';
import { snapshotAccount } from '../../src/inventory/snapshot';
import { parseWorld } from '../../src/inventory/world';
import { WorldReader } from '../../src/inventory/worldReader';
import type { ClusterView, ViewPart } from '../../src/inventory/view';
import { evaluateCluster } from '../../src/rules/engine/evaluate';
import { defaultConfig } from '../../src/config';
import { describeWithMoto, motoClientConfig, startMoto, type Moto } from '../support/moto';
import { createClusterEvent } from './worlds';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const IDS = { account: ACCOUNT, region: REGION };
const PARTS: ViewPart[] = ['nodegroups', 'securityGroups', 'network', 'nodeRoles', 'creator', 'accessEntries', 'creatorRole'];
const doc = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const arn = (kind: string, name: string) => `arn:aws:iam::${ACCOUNT}:${kind}/${name}`;

/**
 * An account built the way the guide warns against, in moto: the cluster created by a role that still holds
 * AdministratorAccess; managed nodes whose role has no Session Manager permissions; a self-managed Auto Scaling
 * group launching from a template with an SSH key (its role gets Session Manager only through an inline and a
 * customer managed policy); a legacy group whose launch configuration carries a key.
 */
async function seed(endpoint: string): Promise<void> {
  const cfg = motoClientConfig(endpoint, REGION);
  const [ec2, eks, iam, asg] = [new EC2Client(cfg), new EKSClient(cfg), new IAMClient(cfg), new AutoScalingClient(cfg)];
  const ec2Trust = doc({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' });
  for (const RoleName of ['managed-nodes', 'self-nodes']) await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: ec2Trust }));
  await iam.send(new CreateRoleCommand({ RoleName: 'creator', AssumeRolePolicyDocument: doc({ Effect: 'Allow', Principal: { AWS: arn('role', 'pipeline') }, Action: 'sts:AssumeRole' }) }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'creator', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'managed-nodes', PolicyArn: 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy' }));
  await iam.send(new PutRolePolicyCommand({ RoleName: 'self-nodes', PolicyName: 'register', PolicyDocument: doc({ Effect: 'Allow', Action: 'ssm:UpdateInstanceInformation', Resource: '*' }) }));
  const channels = await iam.send(new CreatePolicyCommand({ PolicyName: 'session-channels', PolicyDocument: doc({ Effect: 'Allow', Action: 'ssmmessages:*', Resource: '*' }) }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'self-nodes', PolicyArn: channels.Policy!.Arn }));
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'self-nodes' }));
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'self-nodes', RoleName: 'self-nodes' }));

  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
  const lt = await ec2.send(
    new CreateLaunchTemplateCommand({ LaunchTemplateName: 'self-managed', LaunchTemplateData: { KeyName: 'ops-key', ImageId: 'ami-12c6146b', IamInstanceProfile: { Name: 'self-nodes' } } }),
  );
  await eks.send(new CreateClusterCommand({ name: 'prod', roleArn: arn('role', 'eks-cluster'), resourcesVpcConfig: { subnetIds: [subnet] } }));
  await eks.send(new CreateNodegroupCommand({ clusterName: 'prod', nodegroupName: 'managed', nodeRole: arn('role', 'managed-nodes'), subnets: [subnet] }));
  await asg.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'self-managed',
      MinSize: 0,
      MaxSize: 2,
      DesiredCapacity: 0,
      VPCZoneIdentifier: subnet,
      LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplate!.LaunchTemplateId, Version: '$Default' },
      Tags: [{ Key: 'kubernetes.io/cluster/prod', Value: 'owned', PropagateAtLaunch: true }],
    }),
  );
  await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: 'legacy', ImageId: 'ami-12c6146b', InstanceType: 't3.medium', KeyName: 'legacy-key' }));
  await asg.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'legacy',
      MinSize: 0,
      MaxSize: 1,
      DesiredCapacity: 0,
      VPCZoneIdentifier: subnet,
      LaunchConfigurationName: 'legacy',
      Tags: [{ Key: 'eks:cluster-name', Value: 'prod', PropagateAtLaunch: true }],
    }),
  );
  await asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'web', MinSize: 0, MaxSize: 1, DesiredCapacity: 0, VPCZoneIdentifier: subnet, LaunchConfigurationName: 'legacy' }));
}

/** Moto serves IAM and Auto Scaling; what it cannot serve (LookupEvents, access entries, add-ons, Kubernetes) is replaced. */
function motoReader(endpoint: string): SdkReader {
  const reader = new SdkReader({ clientConfig: motoClientConfig(endpoint, REGION) });
  jest.spyOn(reader, 'lookupEvents').mockResolvedValue([{ ...createClusterEvent('ev-1', 'prod', '2020-01-01T00:00:00Z', `arn:aws:sts::${ACCOUNT}:assumed-role/creator/ci`), EventTime: new Date('2020-01-01T00:00:00Z') }]);
  jest.spyOn(reader, 'listAccessEntries').mockResolvedValue([]);
  jest.spyOn(reader, 'describeAddon').mockResolvedValue(undefined);
  jest.spyOn(reader, 'readKubernetes').mockResolvedValue(undefined);
  return reader;
}

const plain = (v: ClusterView) => JSON.parse(JSON.stringify({ ...v, loaded: [...v.loaded].sort() }));

describeWithMoto('IAM and Auto Scaling against moto', () => {
  let moto: Moto;
  let view: ClusterView;
  const managedPolicies = process.env.MOTO_IAM_LOAD_MANAGED_POLICIES;

  beforeAll(async () => {
    // moto knows AWS managed policies (AdministratorAccess, AmazonEKSWorkerNodePolicy…) only when asked to load them.
    process.env.MOTO_IAM_LOAD_MANAGED_POLICIES = 'true';
    moto = await startMoto();
    await seed(moto.endpoint);
    view = (await buildClusterView(motoReader(moto.endpoint), 'prod', new Set(PARTS), IDS))!;
  }, 60_000);
  afterAll(async () => {
    if (managedPolicies === undefined) delete process.env.MOTO_IAM_LOAD_MANAGED_POLICIES;
    else process.env.MOTO_IAM_LOAD_MANAGED_POLICIES = managedPolicies;
    await moto?.stop();
  });

  it('finds the self-managed groups by their cluster tags, with their launch template or launch configuration', () => {
    expect(view.selfManagedGroups.map((g) => g.group.AutoScalingGroupName).sort()).toEqual(['legacy', 'self-managed']);
    const selfManaged = view.selfManagedGroups.find((g) => g.group.AutoScalingGroupName === 'self-managed')!;
    expect(selfManaged.launchTemplates[0].LaunchTemplateData?.KeyName).toBe('ops-key');
    expect(view.selfManagedGroups.find((g) => g.group.AutoScalingGroupName === 'legacy')?.launchConfiguration?.KeyName).toBe('legacy-key');
  });

  it('reads node roles through node groups and instance profiles, with inline, customer and AWS managed documents', () => {
    const role = (name: string) => view.nodeRoles.find((r) => r.roleArn === arn('role', name))!;
    expect(role('managed-nodes')).toMatchObject({ usedBy: ['managed'], via: ['nodegroup.nodeRole'] });
    expect(role('self-nodes').via).toEqual([`instance profile ${arn('instance-profile', 'self-nodes')}`]);
    expect(role('self-nodes').details.inlinePolicies.map((p) => p.PolicyName)).toEqual(['register']);
    expect(role('managed-nodes').details.managedPolicies['arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy'].version?.Document).toContain('ec2:DescribeInstances');
    // The legacy group's launch configuration names no instance profile.
    expect(view.nodesWithoutRole).toEqual([{ node: 'legacy', resourceType: 'group', reason: 'launches nodes without an instance profile (no IAM role)' }]);
  });

  it('an IAM entity that does not exist is absent (NoSuchEntity), never an error', async () => {
    const r = motoReader(moto.endpoint);
    expect(await r.getRole('gone')).toBeUndefined();
    expect(await r.getRolePolicy('self-nodes', 'gone')).toBeUndefined();
    expect(await r.getPolicy(`arn:aws:iam::${ACCOUNT}:policy/gone`)).toBeUndefined();
    expect(await r.getInstanceProfile('gone')).toBeUndefined();
    expect(await r.listAttachedRolePolicies('gone')).toEqual([]);
    expect((await r.listInstanceProfilesForRole('self-nodes')).map((p) => p.InstanceProfileName)).toEqual(['self-nodes']);
    expect(await r.describeAutoScalingGroups({ names: ['gone'] })).toEqual([]);
  });

  it('evaluates the new guidelines on what moto returns', () => {
    const r = evaluateCluster(view, defaultConfig, ['nodegroup-no-ssh-key', 'nodes-ssm-managed', 'creator-role-dedicated']);
    expect(r.notEvaluated).toEqual([]);
    expect(r.findings.map((f) => `${f.ruleId} ${f.resourceId}`).sort()).toEqual(
      [
        'creator-role-dedicated arn:aws:iam::123456789012:role/creator',
        'nodegroup-no-ssh-key legacy',
        'nodegroup-no-ssh-key managed', // moto invents remoteAccess.ec2SshKey "eksKeypair" for every node group (TOOLCHAIN.md)
        'nodegroup-no-ssh-key self-managed',
        'nodes-ssm-managed arn:aws:iam::123456789012:role/managed-nodes',
        'nodes-ssm-managed legacy',
      ].sort(),
    );
  });

  it('a snapshot of the live account gives the same view and the same findings', async () => {
    const live = motoReader(moto.endpoint);
    const now = new Date();
    const world = parseWorld(JSON.parse(JSON.stringify(await snapshotAccount(live, now))), 'snapshot.json');
    expect(world.autoscaling.groups.map((g) => g.AutoScalingGroupName).sort()).toEqual(['legacy', 'self-managed']);
    expect(world.iam.roles.map((r) => r.RoleName).sort()).toEqual(['creator', 'managed-nodes', 'self-nodes']);
    const replayed = (await buildClusterView(new WorldReader(world), 'prod', new Set(PARTS), IDS))!;
    const again = (await buildClusterView(live, 'prod', new Set(PARTS), IDS, { now }))!;
    expect(plain(replayed)).toEqual(plain(again));
    expect(evaluateCluster(replayed, defaultConfig)).toEqual(evaluateCluster(again, defaultConfig));
  });
});
