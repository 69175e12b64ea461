import { EC2Client, CreateLaunchTemplateCommand, CreateLaunchTemplateVersionCommand, CreateSubnetCommand, CreateVpcCommand, ModifyInstanceMetadataOptionsCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { EKSClient, CreateClusterCommand, CreateNodegroupCommand } from '@aws-sdk/client-eks';
import { AutoScalingClient, CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { SdkReader } from '../../src/inventory/sdkReader';
import { buildClusterView } from '../../src/inventory/buildView';
import { snapshotAccount } from '../../src/inventory/snapshot';
import { parseWorld } from '../../src/inventory/world';
import { WorldReader } from '../../src/inventory/worldReader';
import type { ClusterView, ViewPart } from '../../src/inventory/view';
import { evaluateCluster } from '../../src/rules/engine/evaluate';
import { defaultConfig } from '../../src/config';
import { describeWithMoto, motoClientConfig, startMoto, type Moto } from '../support/moto';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const IDS = { account: ACCOUNT, region: REGION };
const PARTS: ViewPart[] = ['nodegroups', 'eksLaunchTemplates'];
const RULE = ['node-imds-restricted'];
const LOCKED = { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' } as const;

interface Seeded {
  mixed: string;
  arm: string;
  eks: string;
  eksGroup: string;
  debug: string;
}

/**
 * Cluster prod in moto: a managed node group without a template of its own, whose Auto Scaling group launches the
 * template EKS would have made (IMDSv2, hop limit 2); a self-managed mixed-instances group on `self-mixed` $Latest
 * (version 1 locked down, version 2 with hop limit 2) and an override on `arm` (IMDSv1); a node started on its own
 * from the locked-down version, then reopened to IMDSv1 with ModifyInstanceMetadataOptions.
 */
async function seed(endpoint: string): Promise<Seeded> {
  const cfg = motoClientConfig(endpoint, REGION);
  const [ec2, eks, asg] = [new EC2Client(cfg), new EKSClient(cfg), new AutoScalingClient(cfg)];
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
  const template = async (name: string, MetadataOptions: object) =>
    (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: name, LaunchTemplateData: { ImageId: 'ami-12c6146b', InstanceType: 't3.medium', MetadataOptions } }))).LaunchTemplate!.LaunchTemplateId!;
  const mixed = await template('self-mixed', LOCKED);
  await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: mixed, SourceVersion: '1', LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 } } }));
  const arm = await template('arm', { HttpTokens: 'optional' });
  const eksTemplate = await template('eks-managed', { HttpTokens: 'required', HttpPutResponseHopLimit: 2 });

  await eks.send(new CreateClusterCommand({ name: 'prod', roleArn: `arn:aws:iam::${ACCOUNT}:role/eks-cluster`, resourcesVpcConfig: { subnetIds: [subnet] } }));
  const ng = await eks.send(new CreateNodegroupCommand({ clusterName: 'prod', nodegroupName: 'managed', nodeRole: `arn:aws:iam::${ACCOUNT}:role/nodes`, subnets: [subnet] }));
  // moto names the node group's Auto Scaling group without creating it: create it as EKS does, on EKS's template.
  const eksGroup = ng.nodegroup!.resources!.autoScalingGroups![0].name!;
  const group = (name: string, spec: object, tags: { Key: string; Value: string }[]) =>
    asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: name, MinSize: 0, MaxSize: 2, DesiredCapacity: 0, VPCZoneIdentifier: subnet, ...spec, Tags: tags.map((t) => ({ ...t, PropagateAtLaunch: true })) }));
  await group(eksGroup, { LaunchTemplate: { LaunchTemplateId: eksTemplate, Version: '1' } }, [{ Key: 'eks:cluster-name', Value: 'prod' }, { Key: 'eks:nodegroup-name', Value: 'managed' }]);
  await group(
    'self-mixed',
    { MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: mixed, Version: '$Latest' }, Overrides: [{ InstanceType: 't4g.medium', LaunchTemplateSpecification: { LaunchTemplateId: arm } }] } } },
    [{ Key: 'kubernetes.io/cluster/prod', Value: 'owned' }],
  );

  const run = await ec2.send(
    new RunInstancesCommand({
      MinCount: 1,
      MaxCount: 1,
      SubnetId: subnet,
      LaunchTemplate: { LaunchTemplateId: mixed, Version: '1' },
      MetadataOptions: LOCKED,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'kubernetes.io/cluster/prod', Value: 'owned' }] }],
    }),
  );
  const debug = run.Instances![0].InstanceId!;
  await ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: debug, HttpTokens: 'optional', HttpEndpoint: 'enabled' }));
  return { mixed, arm, eks: eksTemplate, eksGroup, debug };
}

/** A view as data; `asOf` apart (a live view is as of its read, a replayed one as of the recording). */
const plain = (v: ClusterView) => JSON.parse(JSON.stringify({ ...v, loaded: [...v.loaded].sort(), asOf: undefined }));

describeWithMoto('node metadata options against moto', () => {
  let moto: Moto;
  let ids: Seeded;
  let view: ClusterView;
  /** Moto serves EC2, EKS and Auto Scaling; what a snapshot reads besides (LookupEvents, access entries, add-ons, Kubernetes) it cannot. */
  const reader = () => {
    const r = new SdkReader({ clientConfig: motoClientConfig(moto.endpoint, REGION) });
    jest.spyOn(r, 'lookupEvents').mockResolvedValue([]);
    jest.spyOn(r, 'listAccessEntries').mockResolvedValue([]);
    jest.spyOn(r, 'describeAddon').mockResolvedValue(undefined);
    jest.spyOn(r, 'readKubernetes').mockResolvedValue(undefined);
    return r;
  };

  beforeAll(async () => {
    moto = await startMoto();
    ids = await seed(moto.endpoint);
    view = (await buildClusterView(reader(), 'prod', new Set(PARTS), IDS))!;
  }, 60_000);
  afterAll(() => moto?.stop());

  it("reads a mixed-instances group's $Latest template and its override's default, with their MetadataOptions", () => {
    const group = view.selfManagedGroups.find((g) => g.group.AutoScalingGroupName === 'self-mixed')!;
    expect(group.launchTemplates.map((v) => [v.LaunchTemplateId, v.VersionNumber, v.LaunchTemplateData?.MetadataOptions?.HttpTokens, v.LaunchTemplateData?.MetadataOptions?.HttpPutResponseHopLimit])).toEqual([
      [ids.mixed, 2, 'required', 2],
      [ids.arm, 1, 'optional', undefined],
    ]);
  });

  it('reads the template EKS created for a managed node group through its Auto Scaling group', () => {
    const managed = view.nodegroups.find((n) => n.nodegroup.nodegroupName === 'managed')!;
    expect(managed.eksLaunchTemplate?.problem).toBeUndefined();
    expect(managed.eksLaunchTemplate?.autoScalingGroups.map((g) => g.AutoScalingGroupName)).toEqual([ids.eksGroup]);
    expect(managed.eksLaunchTemplate?.versions.map((v) => [v.LaunchTemplateId, v.VersionNumber])).toEqual([[ids.eks, 1]]);
  });

  it("reads a node's own settings after ModifyInstanceMetadataOptions", () => {
    expect(view.selfManagedInstances.find((i) => i.InstanceId === ids.debug)?.MetadataOptions).toMatchObject({ HttpTokens: 'optional', HttpEndpoint: 'enabled' });
  });

  it('reports each template, the node group running EKS\'s and the node changed after launch', () => {
    const r = evaluateCluster(view, defaultConfig, RULE);
    expect(r.notEvaluated).toEqual([]);
    expect(r.findings.map((f) => `${f.resourceType} ${f.resourceId}`).sort()).toEqual(
      [`AWS::EC2::LaunchTemplate ${ids.mixed}`, `AWS::EC2::LaunchTemplate ${ids.arm}`, 'AWS::EKS::Nodegroup managed', `AWS::EC2::Instance ${ids.debug}`].sort(),
    );
  });

  it('a snapshot records the groups and versions EKS made: the same view and findings from the world file', async () => {
    const world = parseWorld(JSON.parse(JSON.stringify(await snapshotAccount(reader()))), 'snapshot.json');
    expect(world.autoscaling.groups.map((g) => g.AutoScalingGroupName)).toContain(ids.eksGroup);
    const replayed = (await buildClusterView(new WorldReader(world), 'prod', new Set(PARTS), IDS))!;
    expect(replayed.asOf).toEqual(new Date(world.recordedAt!));
    expect(plain(replayed)).toEqual(plain(view));
    expect(evaluateCluster(replayed, defaultConfig, RULE)).toEqual(evaluateCluster(view, defaultConfig, RULE));
  });
});
