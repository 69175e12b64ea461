import { emptyRefs, type ResourceRefs } from '../../src/events/catalog';
import { classifyEvent } from '../../src/events/classify';
import { createClusterIndexCache, resolveAffectedClusters } from '../../src/events/resolve';
import { buildClusterView } from '../../src/inventory/buildView';
import { neededParts } from '../../src/rules/engine/evaluate';
import { WorldReader } from '../../src/inventory/worldReader';
import { parseWorld } from '../../src/inventory/world';
import { counting, demoReader, loadSample, warmIndex, worldReader } from './support';

/**
 * A small account: `alpha` (tagged cluster SG, an untagged extra control-plane SG, a node group on a launch
 * template) and `beta` (untagged cluster SG, its only subnet explicitly routed), plus a self-managed node of alpha
 * in a subnet no EKS API call mentions, and resources no cluster uses.
 */
const tag = (Key: string, Value = '') => ({ Key, Value });
const WORLD = {
  eks: {
    clusters: [
      {
        name: 'alpha',
        arn: 'arn:aws:eks:us-east-1:111122223333:cluster/alpha',
        resourcesVpcConfig: { vpcId: 'vpc-alpha', subnetIds: ['subnet-alpha-1', 'subnet-alpha-2'], securityGroupIds: ['sg-alpha-extra'], clusterSecurityGroupId: 'sg-alpha-cluster' },
      },
      {
        name: 'beta',
        arn: 'arn:aws:eks:us-east-1:111122223333:cluster/beta',
        resourcesVpcConfig: { vpcId: 'vpc-beta', subnetIds: ['subnet-beta-1'], securityGroupIds: [], clusterSecurityGroupId: 'sg-beta-cluster' },
      },
    ],
    nodegroups: [
      { clusterName: 'alpha', nodegroupName: 'alpha-ng', subnets: ['subnet-alpha-2'], launchTemplate: { id: 'lt-alpha', name: 'alpha-nodes', version: '1' } },
      { clusterName: 'beta', nodegroupName: 'beta-ng', subnets: ['subnet-beta-1'], nodeRole: 'arn:aws:iam::111122223333:role/beta-node', resources: { remoteAccessSecurityGroup: 'sg-beta-remote' } },
    ],
  },
  autoscaling: {
    groups: [
      // a self-managed group with no instance yet, launching from a template nothing else uses
      { AutoScalingGroupName: 'asg-alpha-self', LaunchTemplate: { LaunchTemplateId: 'lt-asg-only', Version: '$Default' }, VPCZoneIdentifier: 'subnet-alpha-self', Tags: [tag('kubernetes.io/cluster/alpha', 'owned')] },
      // a group without cluster tags whose instances carry them (tagged through the launch template)
      { AutoScalingGroupName: 'asg-beta-untagged', VPCZoneIdentifier: 'subnet-beta-1' },
      { AutoScalingGroupName: 'asg-web', VPCZoneIdentifier: 'subnet-other', Tags: [tag('app', 'web')] },
    ],
  },
  iam: {
    instanceProfiles: [{ InstanceProfileName: 'alpha-self', Arn: 'arn:aws:iam::111122223333:instance-profile/alpha-self', Roles: [{ RoleName: 'alpha-self-role', Arn: 'arn:aws:iam::111122223333:role/alpha-self-role' }] }],
  },
  cloudtrailEvents: [
    {
      EventId: 'ev-alpha',
      EventName: 'CreateCluster',
      EventSource: 'eks.amazonaws.com',
      EventTime: '2026-01-01T00:00:00Z',
      CloudTrailEvent: JSON.stringify({
        eventSource: 'eks.amazonaws.com',
        eventName: 'CreateCluster',
        requestParameters: { name: 'alpha' },
        userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/alpha-creator/ci', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/alpha-creator' } } },
      }),
    },
  ],
  ec2: {
    securityGroups: [
      { GroupId: 'sg-alpha-cluster', VpcId: 'vpc-alpha', Tags: [tag('aws:eks:cluster-name', 'alpha')] },
      { GroupId: 'sg-alpha-extra', VpcId: 'vpc-alpha', Tags: [tag('Name', 'alpha-control-plane')] },
      { GroupId: 'sg-alpha-lt', VpcId: 'vpc-alpha', Tags: [] },
      { GroupId: 'sg-alpha-self', VpcId: 'vpc-alpha', Tags: [] },
      { GroupId: 'sg-beta-cluster', VpcId: 'vpc-beta', Tags: [] },
      { GroupId: 'sg-beta-remote', VpcId: 'vpc-beta', Tags: [tag('eks:cluster-name', 'beta'), tag('eks:nodegroup-name', 'beta-ng')] },
      { GroupId: 'sg-jumpbox', VpcId: 'vpc-other', Tags: [tag('Name', 'jumpbox')] },
    ],
    subnets: [
      { SubnetId: 'subnet-alpha-1', VpcId: 'vpc-alpha' },
      { SubnetId: 'subnet-alpha-2', VpcId: 'vpc-alpha' },
      { SubnetId: 'subnet-alpha-self', VpcId: 'vpc-alpha' },
      { SubnetId: 'subnet-beta-1', VpcId: 'vpc-beta' },
      { SubnetId: 'subnet-beta-other', VpcId: 'vpc-beta' },
      { SubnetId: 'subnet-other', VpcId: 'vpc-other' },
    ],
    routeTables: [
      { RouteTableId: 'rtb-alpha-main', VpcId: 'vpc-alpha', Associations: [{ Main: true, RouteTableId: 'rtb-alpha-main' }] },
      { RouteTableId: 'rtb-alpha-public', VpcId: 'vpc-alpha', Associations: [{ Main: false, RouteTableId: 'rtb-alpha-public', SubnetId: 'subnet-alpha-1' }] },
      { RouteTableId: 'rtb-beta-main', VpcId: 'vpc-beta', Associations: [{ Main: true, RouteTableId: 'rtb-beta-main' }] },
      { RouteTableId: 'rtb-beta-private', VpcId: 'vpc-beta', Associations: [{ Main: false, RouteTableId: 'rtb-beta-private', SubnetId: 'subnet-beta-1' }] },
      { RouteTableId: 'rtb-unused', VpcId: 'vpc-other', Associations: [] },
    ],
    networkAcls: [
      { NetworkAclId: 'acl-alpha', VpcId: 'vpc-alpha', Associations: [{ NetworkAclId: 'acl-alpha', SubnetId: 'subnet-alpha-1' }, { NetworkAclId: 'acl-alpha', SubnetId: 'subnet-alpha-2' }] },
      { NetworkAclId: 'acl-other', VpcId: 'vpc-other', Associations: [{ NetworkAclId: 'acl-other', SubnetId: 'subnet-other' }] },
    ],
    launchTemplateVersions: [
      { LaunchTemplateId: 'lt-alpha', LaunchTemplateName: 'alpha-nodes', VersionNumber: 1, DefaultVersion: true, LaunchTemplateData: { SecurityGroupIds: ['sg-alpha-lt'] } },
      { LaunchTemplateId: 'lt-unused', LaunchTemplateName: 'unused', VersionNumber: 1, DefaultVersion: true, LaunchTemplateData: {} },
    ],
    instances: [
      {
        InstanceId: 'i-alpha-self',
        State: { Name: 'running' },
        SubnetId: 'subnet-alpha-self',
        VpcId: 'vpc-alpha',
        SecurityGroups: [{ GroupId: 'sg-alpha-self' }],
        IamInstanceProfile: { Arn: 'arn:aws:iam::111122223333:instance-profile/alpha-self' },
        Tags: [tag('kubernetes.io/cluster/alpha', 'owned'), tag('aws:ec2launchtemplate:id', 'lt-self')],
      },
      {
        InstanceId: 'i-beta-member',
        State: { Name: 'running' },
        SubnetId: 'subnet-beta-1',
        VpcId: 'vpc-beta',
        Tags: [tag('eks:cluster-name', 'beta'), tag('aws:autoscaling:groupName', 'asg-beta-untagged')],
      },
      // a member of alpha's self-managed group launched without its tags (PropagateAtLaunch off)
      { InstanceId: 'i-alpha-untagged', State: { Name: 'running' }, SubnetId: 'subnet-alpha-self', VpcId: 'vpc-alpha', Tags: [tag('aws:autoscaling:groupName', 'asg-alpha-self')] },
    ],
  },
};

const refs = (r: Partial<ResourceRefs>): ResourceRefs => ({ ...emptyRefs(), ...r });
const setup = () => counting(worldReader(WORLD));

describe('resolveAffectedClusters', () => {
  describe('security groups', () => {
    it('an EKS cluster SG resolves through what uses it: one call once the index is warm, never its tags', async () => {
      const c = setup();
      const cache = await warmIndex(c);
      expect(await resolveAffectedClusters(c.reader, refs({ securityGroupIds: ['sg-alpha-cluster'] }), cache)).toEqual({ clusters: ['alpha'] });
      expect(c.calls).toEqual({ describeInstances: 1 });
    });

    it('a node group remote-access SG resolves through its node group', async () => {
      expect((await resolveAffectedClusters(setup().reader, refs({ securityGroupIds: ['sg-beta-remote'] }))).clusters).toEqual(['beta']);
    });

    it('an untagged SG resolves through the cluster index: control-plane SG, cluster SG, launch template SG', async () => {
      const c = setup();
      expect((await resolveAffectedClusters(c.reader, refs({ securityGroupIds: ['sg-alpha-extra'] }))).clusters).toEqual(['alpha']);
      expect(c.calls.listClusters).toBe(1);
      expect((await resolveAffectedClusters(c.reader, refs({ securityGroupIds: ['sg-beta-cluster'] }))).clusters).toEqual(['beta']);
      expect((await resolveAffectedClusters(c.reader, refs({ securityGroupIds: ['sg-alpha-lt'] }))).clusters).toEqual(['alpha']);
    });

    it('an SG used only by self-managed nodes resolves through their cluster tags', async () => {
      expect((await resolveAffectedClusters(setup().reader, refs({ securityGroupIds: ['sg-alpha-self'] }))).clusters).toEqual(['alpha']);
    });

    it('an SG no cluster uses resolves to nothing, with the reason', async () => {
      expect(await resolveAffectedClusters(setup().reader, refs({ securityGroupIds: ['sg-jumpbox'] }))).toEqual({ clusters: [], reason: 'sg-jumpbox is not used by any EKS cluster' });
    });
  });

  describe('route tables', () => {
    it('a table reaches its subnets in two calls once the index is warm (the table, the nodes in its subnets)', async () => {
      const c = setup();
      const cache = await warmIndex(c);
      expect((await resolveAffectedClusters(c.reader, refs({ routeTableIds: ['rtb-alpha-public'] }), cache)).clusters).toEqual(['alpha']);
      expect(c.calls).toEqual({ describeRouteTables: 1, describeInstances: 1 });
    });

    it('an explicit table reaches the clusters of its associated subnets', async () => {
      expect((await resolveAffectedClusters(setup().reader, refs({ routeTableIds: ['rtb-alpha-public'] }))).clusters).toEqual(['alpha']);
    });

    it("a VPC's main table reaches clusters with a subnet that has no explicit association", async () => {
      expect((await resolveAffectedClusters(setup().reader, refs({ routeTableIds: ['rtb-alpha-main'] }))).clusters).toEqual(['alpha']);
    });

    it('a main table serving only subnets no cluster uses reaches no cluster', async () => {
      const r = await resolveAffectedClusters(setup().reader, refs({ routeTableIds: ['rtb-beta-main'] }));
      expect(r).toEqual({ clusters: [], reason: 'subnet-beta-other is not used by any EKS cluster' });
    });

    it('a table without associations reaches no cluster', async () => {
      expect(await resolveAffectedClusters(setup().reader, refs({ routeTableIds: ['rtb-unused'] }))).toEqual({ clusters: [], reason: 'rtb-unused is associated with no subnet' });
    });
  });

  describe('network ACLs and subnets', () => {
    it('a NACL reaches the clusters of its associated subnets', async () => {
      expect((await resolveAffectedClusters(setup().reader, refs({ networkAclIds: ['acl-alpha'] }))).clusters).toEqual(['alpha']);
    });

    it('a NACL of unrelated subnets reaches no cluster', async () => {
      expect(await resolveAffectedClusters(setup().reader, refs({ networkAclIds: ['acl-other'] }))).toEqual({ clusters: [], reason: 'subnet-other is not used by any EKS cluster' });
    });

    it('a control-plane or node group subnet reaches its cluster; a self-managed node subnet through instance tags', async () => {
      const reader = setup().reader;
      expect((await resolveAffectedClusters(reader, refs({ subnetIds: ['subnet-alpha-1'] }))).clusters).toEqual(['alpha']);
      expect((await resolveAffectedClusters(reader, refs({ subnetIds: ['subnet-beta-1'] }))).clusters).toEqual(['beta']);
      expect((await resolveAffectedClusters(reader, refs({ subnetIds: ['subnet-alpha-self'] }))).clusters).toEqual(['alpha']);
    });
  });

  describe('launch templates', () => {
    it('reaches the clusters whose node groups use the template, by id or by name', async () => {
      const reader = setup().reader;
      expect((await resolveAffectedClusters(reader, refs({ launchTemplateIds: ['lt-alpha'] }))).clusters).toEqual(['alpha']);
      expect((await resolveAffectedClusters(reader, refs({ launchTemplateNames: ['alpha-nodes'] }))).clusters).toEqual(['alpha']);
    });

    it('reaches self-managed nodes launched from the template', async () => {
      expect((await resolveAffectedClusters(setup().reader, refs({ launchTemplateIds: ['lt-self'] }))).clusters).toEqual(['alpha']);
    });

    it('reaches a self-managed Auto Scaling group launching from it, even with no instance running', async () => {
      expect((await resolveAffectedClusters(setup().reader, refs({ launchTemplateIds: ['lt-asg-only'] }))).clusters).toEqual(['alpha']);
    });

    it('an unused template reaches no cluster', async () => {
      expect(await resolveAffectedClusters(setup().reader, refs({ launchTemplateIds: ['lt-unused'] }))).toEqual({ clusters: [], reason: 'lt-unused is not used by any EKS cluster' });
    });
  });

  describe('self-managed nodes', () => {
    it('an Auto Scaling group by its cluster tags in one call once the index is warm, else by its instances\' tags', async () => {
      const c = setup();
      const cache = await warmIndex(c);
      expect((await resolveAffectedClusters(c.reader, refs({ autoScalingGroupNames: ['asg-alpha-self'] }), cache)).clusters).toEqual(['alpha']);
      expect(c.calls).toEqual({ describeAutoScalingGroups: 1 });
      expect((await resolveAffectedClusters(c.reader, refs({ autoScalingGroupNames: ['asg-beta-untagged'] }), cache)).clusters).toEqual(['beta']);
    });

    it('a group no cluster uses, or one that is gone, reaches no cluster, with the reason', async () => {
      expect(await resolveAffectedClusters(setup().reader, refs({ autoScalingGroupNames: ['asg-web'] }))).toEqual({ clusters: [], reason: 'Auto Scaling group asg-web is not used by any EKS cluster' });
      expect((await resolveAffectedClusters(setup().reader, refs({ autoScalingGroupNames: ['asg-gone'] }))).reason).toBe('Auto Scaling group asg-gone no longer exists');
    });

    it('instances by their node: Auto Scaling group, else cluster tags', async () => {
      expect((await resolveAffectedClusters(setup().reader, refs({ instanceIds: ['i-alpha-self', 'i-beta-member'] }))).clusters).toEqual(['alpha', 'beta']);
      expect((await resolveAffectedClusters(setup().reader, refs({ instanceIds: ['i-unknown'] }))).reason).toBe('i-unknown is not a node of any EKS cluster');
    });

    it("an untagged member of a self-managed group reaches the group's cluster", async () => {
      expect((await resolveAffectedClusters(setup().reader, refs({ instanceIds: ['i-alpha-untagged'] }))).clusters).toEqual(['alpha']);
    });
  });

  describe('IAM roles', () => {
    it('the role that created a cluster (CloudTrail), runs its node groups (index), or its self-managed nodes (instance profile)', async () => {
      const reader = setup().reader;
      expect((await resolveAffectedClusters(reader, refs({ roleNames: ['alpha-creator'] }))).clusters).toEqual(['alpha']);
      expect((await resolveAffectedClusters(reader, refs({ roleNames: ['beta-node'] }))).clusters).toEqual(['beta']);
      expect((await resolveAffectedClusters(reader, refs({ roleNames: ['alpha-self-role'] }))).clusters).toEqual(['alpha']);
    });

    it('says what the role is to each cluster, so its change re-checks only the rules of that; and what it cannot rule out', async () => {
      const reader = setup().reader;
      expect((await resolveAffectedClusters(reader, refs({ roleNames: ['alpha-creator'] }))).roleCapacities).toEqual({ alpha: ['creator'] });
      expect((await resolveAffectedClusters(reader, refs({ roleNames: ['alpha-self-role'] }))).roleCapacities).toEqual({ alpha: ['node'] });
      // No record says who created beta: its bootstrap access entry decides, and may name this role.
      expect((await resolveAffectedClusters(reader, refs({ roleNames: ['beta-node'] }))).roleCapacities).toEqual({ beta: ['creator', 'node'] });
    });

    it('a creator role an instance profile holds may run self-managed nodes no instance shows yet: its nodes are re-checked too', async () => {
      const world = structuredClone(WORLD);
      world.iam.instanceProfiles.push({ InstanceProfileName: 'spare', Arn: 'arn:aws:iam::111122223333:instance-profile/spare', Roles: [{ RoleName: 'alpha-creator', Arn: 'arn:aws:iam::111122223333:role/alpha-creator' }] });
      expect((await resolveAffectedClusters(worldReader(world), refs({ roleNames: ['alpha-creator'] }))).roleCapacities).toEqual({ alpha: ['creator', 'node'] });
    });

    it('any other role is ignored with the reason', async () => {
      expect(await resolveAffectedClusters(setup().reader, refs({ roleNames: ['lambda-exec'] }))).toEqual({
        clusters: [],
        reason: 'IAM role lambda-exec neither created an EKS cluster (CloudTrail, last 90 days) nor runs the nodes of one',
      });
    });
  });

  describe('EKS names and ARNs', () => {
    it('a node group ARN (TagResource) reaches its cluster without any API call', async () => {
      const raw = loadSample('eks-UntagResource-nodegroup-arn.json');
      const c = classifyEvent(raw);
      if (c.status !== 'watched') throw new Error(c.reason);
      const counted = setup();
      expect((await resolveAffectedClusters(counted.reader, c.refs)).clusters).toEqual(['payments']);
      expect(counted.total()).toBe(0);
    });

    it('a cluster that no longer exists is still returned, so the caller resolves its findings', async () => {
      expect((await resolveAffectedClusters(setup().reader, refs({ clusterNames: ['gone'] }))).clusters).toEqual(['gone']);
    });

    it('an account-level change names no cluster', async () => {
      expect(await resolveAffectedClusters(setup().reader, refs({ trails: ['org-audit'], accountLevel: true }))).toEqual({ clusters: [], reason: 'account-level change: no cluster involved' });
    });
  });

  describe('the cluster index cache', () => {
    it('is built once and reused across events', async () => {
      const c = setup();
      const cache = createClusterIndexCache();
      for (const sg of ['sg-alpha-extra', 'sg-beta-cluster', 'sg-alpha-lt']) await resolveAffectedClusters(c.reader, refs({ securityGroupIds: [sg] }), cache);
      await resolveAffectedClusters(c.reader, refs({ routeTableIds: ['rtb-alpha-main'] }), cache);
      await resolveAffectedClusters(c.reader, refs({ launchTemplateIds: ['lt-alpha'] }), cache);
      expect(cache.builds).toBe(1);
      expect(c.calls.listClusters).toBe(1);
    });

    it('re-reads only the clusters a reshaping EKS event named, not the whole index', async () => {
      const world = parseWorld(structuredClone(WORLD), 'test world');
      const c = counting(new WorldReader(world));
      const cache = createClusterIndexCache();
      await resolveAffectedClusters(c.reader, refs({ securityGroupIds: ['sg-alpha-extra'] }), cache);
      // beta moves its control plane into a new subnet (UpdateClusterConfig names the cluster).
      world.eks.clusters[1].resourcesVpcConfig!.subnetIds!.push('subnet-beta-new');
      await resolveAffectedClusters(c.reader, refs({ clusterNames: ['beta'], reshapesClusters: true }), cache);
      c.reset();
      expect((await resolveAffectedClusters(c.reader, refs({ subnetIds: ['subnet-beta-new'] }), cache)).clusters).toEqual(['beta']);
      expect(cache.builds).toBe(1);
      expect(c.calls.listClusters).toBeUndefined();
      expect(c.calls.describeCluster).toBe(1);
    });

    it('does not re-read a cluster after a call that leaves the index as it was (tags, access entries)', async () => {
      const c = counting(new WorldReader(parseWorld(structuredClone(WORLD), 'test world')));
      const cache = createClusterIndexCache();
      await resolveAffectedClusters(c.reader, refs({ securityGroupIds: ['sg-alpha-extra'] }), cache);
      await resolveAffectedClusters(c.reader, refs({ clusterNames: ['beta'] }), cache);
      c.reset();
      await resolveAffectedClusters(c.reader, refs({ securityGroupIds: ['sg-alpha-extra'] }), cache);
      expect(c.calls.describeCluster).toBeUndefined();
    });

    it('keeps at most 8 API calls in flight while building, however many clusters and node groups', async () => {
      const many = {
        eks: {
          clusters: Array.from({ length: 30 }, (_, i) => ({ name: `c${i}`, resourcesVpcConfig: { vpcId: 'vpc-1', subnetIds: [`subnet-${i}`], clusterSecurityGroupId: `sg-${i}` } })),
          nodegroups: Array.from({ length: 90 }, (_, i) => ({ clusterName: `c${i % 30}`, nodegroupName: `ng${i}`, subnets: [`subnet-${i % 30}`] })),
        },
      };
      const inner = worldReader(many);
      let inFlight = 0;
      let peak = 0;
      const slow = new Proxy(inner, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver);
          if (typeof v !== 'function') return v;
          return async (...args: unknown[]) => {
            peak = Math.max(peak, ++inFlight);
            await new Promise((r) => setImmediate(r));
            try {
              return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            } finally {
              inFlight--;
            }
          };
        },
      });
      const index = await createClusterIndexCache().get(slow);
      expect(index.clusters.size).toBe(30);
      expect(index.usingSubnet('subnet-7')).toEqual(['c7']);
      expect(peak).toBeLessThanOrEqual(8);
      expect(peak).toBeGreaterThan(1);
    });

    it('shares one build between concurrent events', async () => {
      const c = setup();
      const cache = createClusterIndexCache();
      await Promise.all(['sg-alpha-extra', 'sg-beta-cluster'].map((sg) => resolveAffectedClusters(c.reader, refs({ securityGroupIds: [sg] }), cache)));
      expect(cache.builds).toBe(1);
      expect(c.calls.listClusters).toBe(1);
    });

    it('a tagged group shared with a second cluster reaches both, cold or warm: tags never cut the search short', async () => {
      const shared = structuredClone(WORLD);
      shared.eks.clusters[1].resourcesVpcConfig.securityGroupIds = ['sg-alpha-cluster'];
      const reader = worldReader(shared);
      const cache = createClusterIndexCache();
      expect((await resolveAffectedClusters(reader, refs({ securityGroupIds: ['sg-alpha-cluster'] }))).clusters).toEqual(['alpha', 'beta']);
      expect((await resolveAffectedClusters(reader, refs({ securityGroupIds: ['sg-alpha-cluster'] }), cache)).clusters).toEqual(['alpha', 'beta']);
    });
  });

  // Resolution (1 DescribeInstances), then prod re-read: the cluster, its nodes (ListNodegroups, DescribeInstances and
  // DescribeAutoScalingGroups by each cluster tag, 2 node groups, the node group's and the self-managed group's launch
  // templates), its security groups and the partners' prefix list (name and entries).
  it('the headline demo event costs at most 14 calls in a warm container, resolution and re-reading the cluster included', async () => {
    const c = counting(demoReader());
    const ev = classifyEvent(loadSample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json'));
    if (ev.status !== 'watched') throw new Error(ev.reason);
    // Which clusters use a group is the index's answer, not the group's tags: the container's first event builds it.
    const cache = await warmIndex(c);
    const { clusters } = await resolveAffectedClusters(c.reader, ev.refs, cache);
    expect(clusters).toEqual(['prod']);
    for (const name of clusters) await buildClusterView(c.reader, name, neededParts(ev.entry.rules), { account: '111122223333', region: 'us-east-1' });
    expect(c.total()).toBeLessThanOrEqual(14);
  });
});
