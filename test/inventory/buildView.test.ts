import { buildAccountView, buildClusterView } from '../../src/inventory/buildView';
import type { ClusterView, ViewPart } from '../../src/inventory/view';
import { WorldReader } from '../../src/inventory/worldReader';
import { liveRecordSource, LOOKUP_SOURCE, LIVE_SOURCE, STORE_SOURCE, cloudTrailCreatorSource, storedCreatorSource } from '../../src/inventory/creator';
import { MemoryFindingStore } from '../../src/findings/memoryStore';
import { ReadError } from '../../src/inventory/reader';
import { evaluateCluster, neededParts } from '../../src/rules/engine/evaluate';
import { defaultConfig } from '../../src/config';
import { IDS, createClusterEvent, instrument, prodWorld, selfManagedWorld, world } from './worlds';

const ALL: ViewPart[] = ['nodegroups', 'securityGroups', 'network', 'accessEntries', 'addons', 'kubernetes', 'creator', 'creatorRole', 'nodeRoles', 'eksLaunchTemplates'];

async function view(parts: ViewPart[] = ALL, raw = prodWorld(), faults = {}) {
  const r = instrument(new WorldReader(world(raw)), faults);
  const v = await buildClusterView(r.reader, 'prod', new Set(parts), IDS);
  return { v: v!, ...r };
}

const ng = (v: ClusterView, name: string) => v.nodegroups.find((n) => n.nodegroup.nodegroupName === name)!;
const subnet = (v: ClusterView, id: string) => v.subnets.find((s) => s.subnet.SubnetId === id)!;
const sg = (v: ClusterView, id: string) => v.securityGroups.find((g) => g.group.GroupId === id);

describe('buildClusterView', () => {
  it('is undefined for a cluster that does not exist (deleted)', async () => {
    expect(await buildClusterView(new WorldReader(world()), 'gone', new Set(ALL), IDS)).toBeUndefined();
  });

  it('always has the cluster itself, with account, region and ARN', async () => {
    const { v, calls } = await view([]);
    expect(v).toMatchObject({ account: IDS.account, region: IDS.region, name: 'prod', arn: 'arn:aws:eks:us-east-1:111122223333:cluster/prod' });
    expect(calls.map((c) => c.method)).toEqual(['describeCluster']);
    expect([...v.loaded]).toEqual([]);
  });

  describe('launch templates', () => {
    it('uses the pinned version, else the default version', async () => {
      const { v } = await view(['nodegroups']);
      expect(ng(v, 'ng-pinned').launchTemplate?.VersionNumber).toBe(2);
      expect(ng(v, 'ng-default-lt').launchTemplate?.VersionNumber).toBe(3);
      expect(ng(v, 'ng-plain').launchTemplate).toBeUndefined();
    });

    it('reads each template once', async () => {
      const raw = prodWorld() as { eks: { nodegroups: Record<string, unknown>[] } };
      raw.eks.nodegroups.push({ clusterName: 'prod', nodegroupName: 'ng-pinned-2', subnets: ['subnet-b'], launchTemplate: { id: 'lt-1', version: '1' } });
      const { v, calls } = await view(['nodegroups'], raw as Record<string, unknown>);
      const ltCalls = calls.filter((c) => c.method === 'describeLaunchTemplateVersions');
      expect(ltCalls.map((c) => c.args[0])).toEqual(
        expect.arrayContaining([{ launchTemplateId: 'lt-1', versions: ['2', '1'] }, { launchTemplateId: 'lt-2', versions: ['$Default'] }]),
      );
      expect(ltCalls).toHaveLength(3);
      expect(ng(v, 'ng-pinned-2').launchTemplate?.VersionNumber).toBe(1);
    });
  });

  describe('node security groups', () => {
    it('without a launch template: the cluster security group plus the remote-access group', async () => {
      const { v } = await view(['securityGroups']);
      expect(ng(v, 'ng-plain').securityGroupIds).toEqual(['sg-cluster', 'sg-remote']);
      expect(sg(v, 'sg-remote')?.roles).toEqual(['remote-access']);
    });

    it("with a launch template: the template's SecurityGroupIds or network-interface groups", async () => {
      const { v } = await view(['securityGroups']);
      expect(ng(v, 'ng-pinned').securityGroupIds).toEqual(['sg-lt2']);
      expect(ng(v, 'ng-default-lt').securityGroupIds).toEqual(['sg-eni']);
      expect(sg(v, 'sg-lt1')).toBeUndefined(); // only in versions no node group runs
    });

    it('with a launch template naming no group: the cluster security group (EKS attaches it)', async () => {
      const { v } = await view(['securityGroups']);
      expect(ng(v, 'ng-bare-lt').securityGroupIds).toEqual(['sg-cluster']);
    });

    it('roles: cluster, control-plane, node; usedBy names node groups and instances', async () => {
      const { v, count } = await view(['securityGroups']);
      expect(sg(v, 'sg-cluster')).toMatchObject({ roles: ['cluster', 'node'], usedBy: ['control-plane', 'ng-plain', 'ng-bare-lt'] });
      expect(sg(v, 'sg-cp')).toMatchObject({ roles: ['control-plane'] });
      expect(sg(v, 'sg-self')).toMatchObject({ roles: ['node'], usedBy: ['i-self'] });
      expect(sg(v, 'sg-unrelated')).toBeUndefined();
      expect(count('describeSecurityGroups')).toBe(1);
      // the nodes had to be read to know the node groups: they are complete, so marked loaded
      expect([...v.loaded].sort()).toEqual(['nodegroups', 'securityGroups']);
    });
  });

  describe('self-managed instances', () => {
    it('tagged kubernetes.io/cluster/<name> or eks:cluster-name, not owned by a managed node group, not terminated', async () => {
      const { v } = await view(['nodegroups']);
      expect(v.selfManagedInstances.map((i) => i.InstanceId).sort()).toEqual(['i-eks', 'i-self']);
    });
  });

  describe('network', () => {
    it('explicit route table association, else the VPC main table; the NACL of each subnet', async () => {
      const { v } = await view(['network']);
      expect(subnet(v, 'subnet-a')).toMatchObject({ routeTable: { RouteTableId: 'rtb-private' }, routeTableIsMain: false, networkAcl: { NetworkAclId: 'acl-a' } });
      expect(subnet(v, 'subnet-b')).toMatchObject({ routeTable: { RouteTableId: 'rtb-main' }, routeTableIsMain: true, networkAcl: { NetworkAclId: 'acl-default' } });
      expect(subnet(v, 'subnet-b').usedBy).toEqual(['ng-pinned', 'ng-default-lt']);
      expect(subnet(v, 'subnet-c').usedBy).toEqual(['i-self', 'i-eks']);
      expect(v.subnets.map((s) => s.subnet.SubnetId).sort()).toEqual(['subnet-a', 'subnet-b', 'subnet-c']);
    });

    it('one call each for subnets, route tables (by vpc-id) and NACLs (by vpc-id)', async () => {
      const { calls, count } = await view(['network']);
      expect(count('describeSubnets')).toBe(1);
      expect(calls.find((c) => c.method === 'describeRouteTables')?.args[0]).toEqual({ filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }] });
      expect(count('describeRouteTables')).toBe(1);
      expect(count('describeNetworkAcls')).toBe(1);
      expect(count('listAccessEntries') + count('describeAddon') + count('lookupEvents') + count('readKubernetes')).toBe(0);
    });
  });

  describe('node subnets alone', () => {
    it('one DescribeSubnets: no route table or network ACL is read, none is in the view', async () => {
      const { v, count } = await view(['subnets']);
      expect([count('describeSubnets'), count('describeRouteTables'), count('describeNetworkAcls')]).toEqual([1, 0, 0]);
      expect(subnet(v, 'subnet-b')).toEqual({ subnet: expect.objectContaining({ SubnetId: 'subnet-b' }), routeTableIsMain: false, usedBy: ['ng-pinned', 'ng-default-lt'] });
      expect(v.vpcSubnets).toEqual([]);
      expect([...v.loaded].sort()).toEqual(['nodegroups', 'subnets']);
    });

    it('the whole network holds them too: one read serves both', async () => {
      const { v, count } = await view(['subnets', 'network']);
      expect(count('describeSubnets')).toBe(1);
      expect([...v.loaded].sort()).toEqual(['network', 'nodegroups', 'subnets']);
    });

    it('nodes-no-public-ip, which needs them alone, judges as it does from the whole network', async () => {
      for (const raw of [prodWorld(), selfManagedWorld()]) {
        const judge = async (parts: ViewPart[]) => evaluateCluster((await view(parts, raw)).v, defaultConfig, ['nodes-no-public-ip']);
        const [alone, whole] = [await judge([...neededParts(['nodes-no-public-ip'])]), await judge(ALL)];
        expect(alone.notEvaluated).toEqual([]);
        expect(alone.findings).toEqual(whole.findings);
      }
      expect(neededParts(['nodes-no-public-ip'])).toEqual(new Set(['nodegroups', 'subnets']));
    });

    it('subnets that cannot be read make both parts unreadable', async () => {
      const { v } = await view(['subnets', 'network'], prodWorld(), { describeSubnets: 'UnauthorizedOperation' });
      expect(v.unreadable.map((u) => u.part).sort()).toEqual(['network', 'subnets']);
    });
  });

  it('access entries, the vpc-cni add-on and the Kubernetes objects', async () => {
    const { v } = await view(['accessEntries', 'addons', 'kubernetes']);
    expect(v.accessEntries.map((e) => e.principalArn)).toEqual(['arn:aws:iam::111122223333:role/admin']);
    expect(v.addons.map((a) => a.addonName)).toEqual(['vpc-cni']);
    expect(v.kubernetes?.awsAuth?.data?.mapRoles).toContain('system:masters');
    expect([...v.loaded].sort()).toEqual(['accessEntries', 'addons', 'kubernetes']);
  });

  describe('creator', () => {
    it('picks the EKS CreateCluster record of this cluster: newest not after createdAt, never ECS, record parsed', async () => {
      const { v } = await view(['creator']);
      expect(v.creatorEvent?.EventId).toBe('ev-new');
      expect(v.creatorEvent?.record).toMatchObject({ userIdentity: { arn: 'arn:aws:sts::111122223333:assumed-role/creator/s' } });
    });

    it('ignores a record made after the cluster was created (same name, a later cluster elsewhere in time)', async () => {
      const raw = prodWorld();
      (raw.cloudtrailEvents as unknown[]).push(createClusterEvent('ev-future', 'prod', '2026-06-01T00:00:00Z', 'arn:aws:iam::111122223333:user/x'));
      const { v } = await view(['creator'], raw);
      expect(v.creatorEvent?.EventId).toBe('ev-new');
    });

    it('is loaded without an event when CloudTrail has none (older than 90 days)', async () => {
      const raw = prodWorld();
      raw.cloudtrailEvents = [];
      const { v } = await view(['creator'], raw);
      expect(v.creatorEvent).toBeUndefined();
      expect(v.loaded.has('creator')).toBe(true);
    });
  });

  describe('self-managed nodes', () => {
    it('Auto Scaling groups tagged for the cluster (not a managed node group\'s), and the groups tagged instances belong to', async () => {
      const { v, calls } = await view(['nodegroups'], selfManagedWorld());
      expect(v.selfManagedGroups.map((g) => g.group.AutoScalingGroupName).sort()).toEqual(['asg-lc', 'asg-lt', 'asg-untagged']);
      const asg = v.selfManagedGroups.find((g) => g.group.AutoScalingGroupName === 'asg-lt')!;
      expect(asg).toMatchObject({ subnetIds: ['subnet-a', 'subnet-c'], securityGroupIds: ['sg-lt1'], launchTemplates: [{ LaunchTemplateId: 'lt-self', VersionNumber: 2 }] });
      expect(asg.instances.map((i) => i.InstanceId)).toEqual(['i-asg']);
      expect(v.selfManagedGroups.find((g) => g.group.AutoScalingGroupName === 'asg-lc')?.launchConfiguration?.KeyName).toBe('lc-key');
      // by tag-key, by eks:cluster-name, then the one named by an instance
      expect(calls.filter((c) => c.method === 'describeAutoScalingGroups').map((c) => c.args[0])).toEqual([
        { filters: [{ Name: 'tag-key', Values: ['kubernetes.io/cluster/prod'] }] },
        { filters: [{ Name: 'tag:eks:cluster-name', Values: ['prod'] }] },
        { names: ['asg-untagged'] },
      ]);
    });

    it('their security groups and subnets join the node ones', async () => {
      const { v } = await view(['securityGroups', 'network'], selfManagedWorld());
      expect(sg(v, 'sg-lt1')).toMatchObject({ roles: ['node'], usedBy: ['asg-lt', 'asg-untagged'] });
      expect(subnet(v, 'subnet-c').usedBy).toEqual(expect.arrayContaining(['asg-lt', 'i-self']));
    });

    it('node roles: managed node groups\' nodeRole, self-managed nodes\' instance profile role, with their policy documents', async () => {
      const { v, count } = await view(['nodeRoles'], selfManagedWorld());
      expect(v.nodeRoles.map((r) => [r.roleArn, r.usedBy.sort(), r.via])).toEqual([
        ['arn:aws:iam::111122223333:role/ng-role', ['ng-plain'], ['nodegroup.nodeRole']],
        ['arn:aws:iam::111122223333:role/self-role', ['asg-lt', 'asg-untagged'], ['instance profile arn:aws:iam::111122223333:instance-profile/self-profile']],
      ]);
      const self = v.nodeRoles[1].details;
      expect(self.inlinePolicies.map((p) => p.PolicyName)).toEqual(['ssm']);
      expect(self.managedPolicies['arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy'].version?.VersionId).toBe('v1');
      expect(v.nodesWithoutRole).toEqual([
        { node: 'asg-lc', resourceType: 'group', reason: 'launches nodes without an instance profile (no IAM role)' },
        { node: 'i-self', resourceType: 'instance', reason: 'launches nodes without an instance profile (no IAM role)' },
        { node: 'i-eks', resourceType: 'instance', reason: 'launches nodes without an instance profile (no IAM role)' },
      ]);
      expect(count('getInstanceProfile')).toBe(1);
    });
  });

  describe('creator role and sources', () => {
    it('reads the creator\'s role (no documents needed) after finding who the creator is', async () => {
      const raw = prodWorld();
      raw.iam = { roles: [{ RoleName: 'creator', Arn: 'arn:aws:iam::111122223333:role/creator', attachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }] }] };
      const { v, count } = await view(['creator', 'accessEntries', 'creatorRole'], raw);
      expect(v.creatorRole).toMatchObject({ arn: 'arn:aws:iam::111122223333:role/creator', attachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }] });
      expect(count('getPolicy') + count('getRolePolicy')).toBe(0);
      expect(v.loaded.has('creatorRole')).toBe(true);
    });

    it('reads no role for a creator that is not a role, and never another account\'s role', async () => {
      const raw = prodWorld();
      raw.cloudtrailEvents = [createClusterEvent('ev-user', 'prod', '2026-03-01T09:59:00Z', 'arn:aws:iam::111122223333:user/alice')];
      const { v, count } = await view(['creator', 'accessEntries', 'creatorRole'], raw);
      expect(v.creatorRole).toBeUndefined();
      expect(count('getRole')).toBe(0);
      raw.cloudtrailEvents = [createClusterEvent('ev-x', 'prod', '2026-03-01T09:59:00Z', 'arn:aws:sts::999988887777:assumed-role/ci/s')];
      const foreign = await view(['creator', 'accessEntries', 'creatorRole'], raw);
      expect(foreign.v.creatorRole).toMatchObject({ foreignAccount: '999988887777' });
      expect(foreign.count('getRole')).toBe(0);
    });

    it('asks the sources in order: the live CreateCluster record first, then LookupEvents for every cluster\'s creator', async () => {
      const reader = new WorldReader(world());
      const live = liveRecordSource({ eventID: 'live-1', eventName: 'CreateCluster', eventSource: 'eks.amazonaws.com', eventTime: '2026-03-01T09:59:50Z', requestParameters: { name: 'prod' }, userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/bob' } } as never);
      const v = (await buildClusterView(reader, 'prod', new Set(['creator']), IDS, { creatorSources: [live, cloudTrailCreatorSource(reader)] }))!;
      expect(v.creatorEvent).toMatchObject({ EventId: 'live-1', source: LIVE_SOURCE });
      expect(v.creations.map((e) => e.EventId).sort()).toEqual(['ev-new', 'ev-old', 'ev-other', 'live-1']);
      expect(v.creatorSources).toEqual([{ name: LIVE_SOURCE }, { name: LOOKUP_SOURCE }]);
    });

    it('the store comes between the live record and LookupEvents; once it is complete, LookupEvents is not read', async () => {
      const reader = new WorldReader(world());
      const state = new MemoryFindingStore().state;
      let lookups = 0;
      const lookup = cloudTrailCreatorSource({ lookupEvents: async (q: { eventName: string }) => (lookups++, reader.lookupEvents(q)) } as never, (r) => state.keepCreatorRecords(r));
      const sources = () => [storedCreatorSource(state), lookup];
      // An empty store: LookupEvents names the creator, and every record it held is kept.
      const first = (await buildClusterView(reader, 'prod', new Set(['creator']), IDS, { creatorSources: sources() }))!;
      expect(first.creatorEvent).toMatchObject({ EventId: 'ev-new', source: LOOKUP_SOURCE });
      expect((await state.creatorRecords()).map((r) => r.event.EventId).sort()).toEqual(['ev-new', 'ev-old', 'ev-other']);
      // Kept but not yet complete (no sweep copied LookupEvents in): the store names the creator, LookupEvents still
      // says which other clusters each principal created.
      const second = (await buildClusterView(reader, 'prod', new Set(['creator']), IDS, { creatorSources: sources() }))!;
      expect(second.creatorEvent).toMatchObject({ EventId: 'ev-new', source: STORE_SOURCE });
      expect(second.creatorSources).toEqual([{ name: STORE_SOURCE }, { name: LOOKUP_SOURCE }]);
      await state.creatorsPrimed(new Date());
      lookups = 0;
      const third = (await buildClusterView(reader, 'prod', new Set(['creator']), IDS, { creatorSources: sources() }))!;
      expect(third.creatorEvent).toMatchObject({ EventId: 'ev-new', source: STORE_SOURCE });
      expect(third.creations.map((e) => e.EventId).sort()).toEqual(['ev-new', 'ev-old', 'ev-other']);
      expect([third.creatorSources, lookups]).toEqual([[{ name: STORE_SOURCE }], 0]);
    });

    it('a failing source is noted; when every source fails the part is unreadable', async () => {
      const reader = new WorldReader(world());
      const broken = { name: 'broken', records: async () => Promise.reject(new ReadError('cloudtrail:LookupEvents', 'ThrottlingException', 'slow down')) };
      const v = (await buildClusterView(reader, 'prod', new Set(['creator']), IDS, { creatorSources: [broken, cloudTrailCreatorSource(reader)] }))!;
      expect(v.creatorSources).toEqual([{ name: 'broken', error: 'cloudtrail:LookupEvents failed: ThrottlingException: slow down' }, { name: LOOKUP_SOURCE }]);
      expect(v.creatorEvent?.EventId).toBe('ev-new');
      const none = (await buildClusterView(reader, 'prod', new Set(['creator']), IDS, { creatorSources: [broken] }))!;
      expect(none.unreadable).toEqual([{ part: 'creator', reason: 'creator failed: Unreadable: broken: cloudtrail:LookupEvents failed: ThrottlingException: slow down' }]);
    });
  });

  describe('unreadable parts', () => {
    it('a part whose read is denied is unreadable with the reason; the rest is built', async () => {
      const { v } = await view(ALL, prodWorld(), { listAccessEntries: 'AccessDeniedException' });
      expect(v.unreadable).toEqual([{ part: 'accessEntries', reason: expect.stringContaining('AccessDeniedException') }]);
      expect(v.loaded.has('accessEntries')).toBe(false);
      expect([...v.loaded].sort()).toEqual(['addons', 'creator', 'creatorRole', 'eksLaunchTemplates', 'kubernetes', 'network', 'nodeRoles', 'nodegroups', 'securityGroups', 'subnets']);
    });

    it('IAM reads denied make the node roles and the creator role unreadable, and leave the rest', async () => {
      const { v } = await view(['nodegroups', 'nodeRoles', 'creator', 'accessEntries', 'creatorRole'], selfManagedWorld(), { getRole: 'AccessDenied' });
      expect(v.unreadable.map((u) => u.part).sort()).toEqual(['creatorRole', 'nodeRoles']);
      expect(v.unreadable[0].reason).toContain('AccessDenied');
      expect([...v.loaded].sort()).toEqual(['accessEntries', 'creator', 'nodegroups']);
    });

    it('failing to read the nodes makes every part that needs them unreadable', async () => {
      const { v } = await view(['securityGroups', 'network', 'addons'], prodWorld(), { listNodegroups: 'ThrottlingException' });
      expect(v.unreadable.map((u) => u.part).sort()).toEqual(['network', 'securityGroups']);
      expect([...v.loaded]).toEqual(['addons']);
    });

    it('a security group read failing leaves the network part intact', async () => {
      const { v } = await view(['securityGroups', 'network'], prodWorld(), { describeSecurityGroups: 'UnauthorizedOperation' });
      expect(v.unreadable).toEqual([{ part: 'securityGroups', reason: expect.stringContaining('UnauthorizedOperation') }]);
      expect(v.subnets).toHaveLength(3);
    });

    it('Kubernetes objects that cannot be read are unreadable, not empty', async () => {
      const raw = prodWorld();
      (raw.kubernetes as Record<string, unknown>).prod = null;
      const { v } = await view(['kubernetes'], raw);
      expect(v.kubernetes).toBeUndefined();
      expect(v.unreadable.map((u) => u.part)).toEqual(['kubernetes']);
    });

    it('a failure to read the cluster itself propagates (the caller retries)', async () => {
      await expect(view(ALL, prodWorld(), { describeCluster: 'ThrottlingException' })).rejects.toThrow('ThrottlingException');
    });
  });
});

describe('buildAccountView', () => {
  it('every trail with its status and event selectors', async () => {
    const v = await buildAccountView(new WorldReader(world()), IDS);
    expect(v.trails).toHaveLength(1);
    expect(v.trails[0]).toMatchObject({ trail: { Name: 'main' }, status: { IsLogging: true }, eventSelectors: { EventSelectors: [{ ReadWriteType: 'All' }] } });
    expect(v.unreadable).toEqual([]);
  });

  it('trails that cannot be listed, or whose status cannot be read, are unreadable', async () => {
    const denied = instrument(new WorldReader(world()), { describeTrails: 'AccessDeniedException' });
    expect((await buildAccountView(denied.reader, IDS)).unreadable).toEqual([{ part: 'trails', reason: expect.stringContaining('AccessDeniedException') }]);
    const noStatus = instrument(new WorldReader(world()), { getTrailStatus: 'AccessDeniedException' });
    const v = await buildAccountView(noStatus.reader, IDS);
    expect(v.trails).toHaveLength(1);
    expect(v.unreadable[0].reason).toContain('trail/main');
  });
});
