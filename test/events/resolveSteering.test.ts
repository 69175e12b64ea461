import { emptyRefs, type ResourceRefs } from '../../src/events/catalog';
import { resolveAffectedClusters } from '../../src/events/resolve';
import { classifyEvent } from '../../src/events/classify';
import { counting, loadSample, warmIndex, worldReader } from './support';

/**
 * What uses a resource decides which clusters an event re-checks; tags are hints. An attacker who tags a group, a
 * subnet or a node for another cluster must not steer the check away from the cluster the resource really serves.
 */
const tag = (Key: string, Value = '') => ({ Key, Value });
const refs = (r: Partial<ResourceRefs>): ResourceRefs => ({ ...emptyRefs(), ...r });
const running = { State: { Name: 'running' } };

const WORLD = {
  eks: {
    clusters: [
      { name: 'alpha', resourcesVpcConfig: { vpcId: 'vpc-1', subnetIds: ['subnet-alpha'], clusterSecurityGroupId: 'sg-alpha-cluster' } },
      { name: 'beta', resourcesVpcConfig: { vpcId: 'vpc-1', subnetIds: ['subnet-beta'], clusterSecurityGroupId: 'sg-beta-cluster' } },
    ],
    nodegroups: [
      { clusterName: 'alpha', nodegroupName: 'alpha-ng', subnets: ['subnet-alpha'], launchTemplate: { id: 'lt-alpha', version: '1' }, resources: { autoScalingGroups: [{ name: 'eks-alpha-ng' }] } },
      { clusterName: 'beta', nodegroupName: 'beta-ng', subnets: ['subnet-beta'], resources: { autoScalingGroups: [{ name: 'eks-beta-ng' }] } },
    ],
  },
  ec2: {
    securityGroups: [
      // Used by alpha's launch template, tagged for beta by whoever wants alpha left alone.
      { GroupId: 'sg-steer', VpcId: 'vpc-1', Tags: [tag('kubernetes.io/cluster/beta', 'owned')] },
      { GroupId: 'sg-alpha-cluster', VpcId: 'vpc-1', Tags: [tag('aws:eks:cluster-name', 'alpha')] },
      { GroupId: 'sg-stray', VpcId: 'vpc-1', Tags: [tag('kubernetes.io/cluster/alpha', 'owned')] },
      { GroupId: 'sg-open', VpcId: 'vpc-1' },
    ],
    subnets: [
      { SubnetId: 'subnet-alpha', VpcId: 'vpc-1', Tags: [tag('kubernetes.io/cluster/beta', 'shared')] },
      { SubnetId: 'subnet-beta', VpcId: 'vpc-1' },
    ],
    launchTemplateVersions: [{ LaunchTemplateId: 'lt-alpha', VersionNumber: 1, DefaultVersion: true, LaunchTemplateData: { SecurityGroupIds: ['sg-steer'] } }],
    instances: [
      // A beta node, stripped of its cluster tags, now also carrying alpha's cluster security group on a second ENI.
      {
        InstanceId: 'i-beta-node',
        ...running,
        SubnetId: 'subnet-beta',
        Tags: [tag('aws:autoscaling:groupName', 'eks-beta-ng')],
        NetworkInterfaces: [
          { NetworkInterfaceId: 'eni-beta-0', SubnetId: 'subnet-beta', Groups: [{ GroupId: 'sg-beta-cluster' }] },
          { NetworkInterfaceId: 'eni-beta-1', SubnetId: 'subnet-beta', Groups: [{ GroupId: 'sg-alpha-cluster' }, { GroupId: 'sg-open' }] },
        ],
      },
      { InstanceId: 'i-web', ...running, SubnetId: 'subnet-beta', Tags: [tag('app', 'web')], NetworkInterfaces: [{ NetworkInterfaceId: 'eni-web', Groups: [{ GroupId: 'sg-open' }] }] },
    ],
  },
};

/** A reader and a warm index, as a Lambda container has after its first event. */
async function warm(world: Record<string, unknown> = WORLD) {
  const c = counting(worldReader(world));
  const cache = await warmIndex(c);
  return { ...c, resolve: (r: Partial<ResourceRefs>) => resolveAffectedClusters(c.reader, refs(r), cache) };
}

describe('tag steering', () => {
  it('a group tagged for another cluster resolves to the cluster that uses it, not the one its tag names', async () => {
    const w = await warm();
    expect(await w.resolve({ securityGroupIds: ['sg-steer'] })).toEqual({ clusters: ['alpha'] });
  });

  it("a cluster's own security group also reaches the cluster whose node carries it on another ENI", async () => {
    const w = await warm();
    expect((await w.resolve({ securityGroupIds: ['sg-alpha-cluster'] })).clusters).toEqual(['alpha', 'beta']);
    // One call when the index is warm: the instances carrying the group on any network interface.
    expect(w.calls).toEqual({ describeInstances: 1 });
  });

  it('a node found through an ENI belongs to the cluster of its Auto Scaling group, whatever its tags say', async () => {
    const w = await warm();
    expect((await w.resolve({ securityGroupIds: ['sg-open'] })).clusters).toEqual(['beta']);
  });

  it('a subnet tagged for another cluster resolves to the cluster that uses it', async () => {
    const w = await warm();
    expect((await w.resolve({ subnetIds: ['subnet-alpha'] })).clusters).toEqual(['alpha']);
  });

  it('tags are still a hint when nothing is known to use the group (an index that is behind)', async () => {
    const w = await warm();
    expect(await w.resolve({ securityGroupIds: ['sg-stray'] })).toEqual({ clusters: ['alpha'] });
  });
});

describe('instances and network interfaces (ModifyInstanceAttribute, ModifyNetworkInterfaceAttribute)', () => {
  it('an instance resolves to its cluster, by Auto Scaling group or cluster tag; another instance to nothing', async () => {
    const w = await warm();
    expect(await w.resolve({ instanceIds: ['i-beta-node'] })).toEqual({ clusters: ['beta'] });
    expect(w.calls).toEqual({ describeInstances: 1 });
    expect(await w.resolve({ instanceIds: ['i-web'] })).toEqual({ clusters: [], reason: 'i-web is not a node of any EKS cluster' });
  });

  it("a network interface resolves through the instance it is attached to", async () => {
    const w = await warm();
    expect(await w.resolve({ networkInterfaces: [{ id: 'eni-beta-1', groupIds: ['sg-open'] }] })).toEqual({ clusters: ['beta'] });
    expect(w.calls).toEqual({ describeInstances: 1 });
  });

  it('an interface attached to no node resolves through the groups now on it', async () => {
    const w = await warm();
    expect((await w.resolve({ networkInterfaces: [{ id: 'eni-detached', groupIds: ['sg-steer'] }] })).clusters).toEqual(['alpha']);
  });

  it('a call that changed no security group says so', async () => {
    const w = await warm();
    expect(await w.resolve({ unrelated: 'ModifyInstanceAttribute changed instanceType, not the security groups' })).toEqual({
      clusters: [],
      reason: 'ModifyInstanceAttribute changed instanceType, not the security groups',
    });
    expect(w.total()).toBe(0);
  });
});

describe('Auto Scaling groups and launched nodes (nodesChanged)', () => {
  // alpha's managed node group's Auto Scaling group, tagged for beta; a node it launched, tagged for beta only.
  const world = structuredClone(WORLD) as typeof WORLD & { autoscaling?: unknown };
  world.autoscaling = { groups: [{ AutoScalingGroupName: 'eks-alpha-ng', Tags: [tag('kubernetes.io/cluster/beta', 'owned')] }] };
  world.ec2.instances.push({
    InstanceId: 'i-alpha-new',
    ...running,
    SubnetId: 'subnet-alpha',
    Tags: [tag('aws:autoscaling:groupName', 'eks-alpha-ng'), tag('kubernetes.io/cluster/beta', 'owned')],
    NetworkInterfaces: [{ NetworkInterfaceId: 'eni-alpha-new', SubnetId: 'subnet-alpha', Groups: [{ GroupId: 'sg-steer' }] }],
  });

  it('an Auto Scaling group reaches the cluster whose node group owns it, whatever cluster its tags name', async () => {
    const w = await warm(world);
    expect((await w.resolve({ autoScalingGroupNames: ['eks-alpha-ng'] })).clusters).toEqual(['alpha', 'beta']);
  });

  it("a launched node (RunInstances) reaches its Auto Scaling group's cluster: the record's tags steer nothing", async () => {
    const event = loadSample('ec2-RunInstances-self-managed-node.json') as { detail: { requestParameters: Record<string, unknown>; responseElements: { instancesSet: { items: Record<string, unknown>[] } } } };
    const beta = { items: [{ key: 'kubernetes.io/cluster/beta', value: 'owned' }] };
    event.detail.requestParameters.tagSpecificationSet = { items: [{ resourceType: 'instance', tags: beta.items }] };
    Object.assign(event.detail.responseElements.instancesSet.items[0], { instanceId: 'i-alpha-new', tagSet: beta });
    const c = classifyEvent(event);
    if (c.status !== 'watched') throw new Error(c.status);
    expect(c.refs).toMatchObject({ clusterNames: [], instanceIds: ['i-alpha-new'] });
    const w = await warm(world);
    expect((await w.resolve(c.refs)).clusters).toEqual(['alpha', 'beta']);
  });
});

describe('prefix lists (ModifyManagedPrefixList)', () => {
  const world = structuredClone(WORLD) as typeof WORLD & { ec2: { routeTables?: unknown[] } };
  (world.ec2.securityGroups[0] as Record<string, unknown>).IpPermissions = [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: 'pl-partners' }] }];
  world.ec2.routeTables = [
    { RouteTableId: 'rtb-main', VpcId: 'vpc-1', Associations: [{ Main: true }], Routes: [] },
    { RouteTableId: 'rtb-beta', VpcId: 'vpc-1', Associations: [{ SubnetId: 'subnet-beta' }], Routes: [{ DestinationPrefixListId: 'pl-egress', GatewayId: 'igw-1' }] },
  ];

  it('reaches the clusters whose security groups reference the list', async () => {
    const w = await warm(world);
    expect(await w.resolve({ prefixListIds: ['pl-partners'] })).toEqual({ clusters: ['alpha'] });
  });

  it('reaches the clusters whose node subnets route through the list', async () => {
    const w = await warm(world);
    expect(await w.resolve({ prefixListIds: ['pl-egress'] })).toEqual({ clusters: ['beta'] });
  });

  it('a list nothing references reaches no cluster', async () => {
    const w = await warm(world);
    expect(await w.resolve({ prefixListIds: ['pl-nobody'] })).toEqual({ clusters: [], reason: 'pl-nobody is referenced by no security group or route table' });
  });
});
