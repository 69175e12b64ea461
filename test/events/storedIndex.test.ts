import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig } from '../../src/config';
import { MemoryBackend, MemoryFindingStore } from '../../src/findings/memoryStore';
import { createClusterIndexCache, type ClusterIndexCache } from '../../src/events/clusterIndex';
import { parseWorld, type World } from '../../src/inventory/world';
import { WorldReader } from '../../src/inventory/worldReader';
import { MemoryLogger } from '../../src/log';
import { processEvent, sweep, type PipelineDeps } from '../../src/pipeline';
import { counting, countingCalls, EVENTS_DIR, type Counted } from './support';

/**
 * The cluster index kept in the store: a freshly started container reads it instead of re-reading every cluster,
 * a warm one reads one small head item per event, and a stale entry never hides a cluster from an event.
 *
 * alpha and beta each run a node group on a launch template; every security group is untagged, so only what uses a
 * group (the index, the nodes carrying it) can say which cluster it belongs to.
 */
const tag = (Key: string, Value: string) => ({ Key, Value });
function account(): World {
  const lt = (id: string, version: number, groups: string[], isDefault = true) => ({ LaunchTemplateId: id, LaunchTemplateName: id, VersionNumber: version, DefaultVersion: isDefault, LaunchTemplateData: { SecurityGroupIds: groups } });
  const node = (id: string, asg: string, cluster: string, subnet: string, groups: string[]) => ({
    InstanceId: id,
    State: { Name: 'running' },
    SubnetId: subnet,
    SecurityGroups: groups.map((GroupId) => ({ GroupId })),
    Tags: [tag('aws:autoscaling:groupName', asg), tag(`kubernetes.io/cluster/${cluster}`, 'owned')],
  });
  return parseWorld(
    {
      account: '111122223333',
      region: 'us-east-1',
      eks: {
        clusters: ['alpha', 'beta'].map((c) => ({
          name: c,
          arn: `arn:aws:eks:us-east-1:111122223333:cluster/${c}`,
          createdAt: '2026-01-01T00:00:00Z',
          resourcesVpcConfig: { vpcId: `vpc-${c}`, subnetIds: [`subnet-${c}`], securityGroupIds: [`sg-${c}-cp`], clusterSecurityGroupId: `sg-${c}-cluster` },
        })),
        nodegroups: ['alpha', 'beta'].map((c) => ({
          clusterName: c,
          nodegroupName: `${c}-ng`,
          subnets: [`subnet-${c}`],
          launchTemplate: { id: `lt-${c}`, version: '1' },
          resources: { autoScalingGroups: [{ name: `asg-${c}` }] },
        })),
      },
      ec2: {
        securityGroups: ['alpha', 'beta'].flatMap((c) => ['cluster', 'cp', 'nodes'].map((k) => ({ GroupId: `sg-${c}-${k}`, VpcId: `vpc-${c}`, IpPermissions: [], Tags: [] }))),
        subnets: ['alpha', 'beta'].map((c) => ({ SubnetId: `subnet-${c}`, VpcId: `vpc-${c}` })),
        launchTemplateVersions: [lt('lt-alpha', 1, ['sg-alpha-nodes']), lt('lt-beta', 1, ['sg-beta-nodes'])],
        instances: [node('i-alpha', 'asg-alpha', 'alpha', 'subnet-alpha', ['sg-alpha-nodes']), node('i-beta', 'asg-beta', 'beta', 'subnet-beta', ['sg-beta-nodes'])],
      },
      autoscaling: { groups: ['alpha', 'beta'].map((c) => ({ AutoScalingGroupName: `asg-${c}`, Instances: [{ InstanceId: `i-${c}`, LifecycleState: 'InService' }] })) },
    },
    'two clusters',
  );
}

/** alpha's node group moves to a new version of its template, which puts beta's node group on its nodes. */
function moveAlphaToBetaGroup(world: World, opts: { nodesReplaced: boolean }): void {
  world.ec2.launchTemplateVersions[0].DefaultVersion = false;
  world.ec2.launchTemplateVersions.push({ LaunchTemplateId: 'lt-alpha', LaunchTemplateName: 'lt-alpha', VersionNumber: 2, DefaultVersion: true, LaunchTemplateData: { SecurityGroupIds: ['sg-beta-nodes'] } });
  world.eks.nodegroups[0].launchTemplate = { id: 'lt-alpha', version: '2' };
  if (opts.nodesReplaced) world.ec2.instances[0].SecurityGroups = [{ GroupId: 'sg-beta-nodes' }];
}

const sample = (name: string) => JSON.parse(readFileSync(join(EVENTS_DIR, name), 'utf8'));
let seq = 0;
function sshOpened(groupId: string) {
  const ev = sample('ec2-AuthorizeSecurityGroupIngress-ssh-world.json');
  ev.detail.eventID = `ev-ssh-${++seq}`;
  ev.detail.requestParameters.groupId = groupId;
  ev.detail.responseElements.securityGroupRuleSet.items[0].groupId = groupId;
  return ev;
}
function nodegroupUpdated(cluster: string) {
  const ev = sample('eks-UpdateNodegroupVersion-launch-template.json');
  ev.detail.eventID = `ev-ng-${++seq}`;
  ev.detail.requestParameters = { name: cluster, nodegroupName: `${cluster}-ng`, launchTemplate: { id: `lt-${cluster}`, version: '2' } };
  return ev;
}

/** One Lambda container: its own reader and index cache, the deployment's shared store. */
function container(world: World, store: MemoryFindingStore): PipelineDeps & { counted: Counted; indexCache: ClusterIndexCache } {
  const counted = counting(new WorldReader(world));
  return { reader: counted.reader, counted, store, state: store.state, indexCache: createClusterIndexCache({ state: store.state }), config: defaultConfig, log: new MemoryLogger() };
}

/** A deployment after its baseline sweep: the store holds the index. */
async function deployed(world: World) {
  const backend = new MemoryBackend();
  const store = new MemoryFindingStore({}, countingBackend(backend));
  await sweep(container(world, store), { sweepId: 'sweep:deploy' });
  return store;
}

/** Counts the state requests a container makes to the store. */
let stateCalls: Record<string, number> = {};
function countingBackend(inner: MemoryBackend): MemoryBackend {
  const { proxy, calls } = countingCalls(inner);
  stateCalls = calls;
  return proxy;
}
const resetStateCalls = () => Object.keys(stateCalls).forEach((k) => delete stateCalls[k]);

describe('the cluster index kept in the store', () => {
  it('a freshly started container resolves an untagged control-plane group without re-reading any cluster', async () => {
    const world = account();
    const store = await deployed(world);
    const cold = container(world, store);
    const out = await processEvent(sshOpened('sg-alpha-cp'), cold);
    expect(out.clusters).toEqual(['alpha']);
    expect(cold.counted.calls.listClusters).toBeUndefined();
    expect(cold.indexCache.builds).toBe(0);
    // The same event in a container that already held the index costs exactly as much.
    const warm = container(world, store);
    await warm.indexCache.get(warm.reader);
    warm.counted.reset();
    await processEvent(sshOpened('sg-alpha-cp'), warm);
    expect(cold.counted.total()).toBe(warm.counted.total());
  });

  it('a warm container reads one small head item per event while nothing changed, however long it lives', async () => {
    const world = account();
    const store = await deployed(world);
    const c = container(world, store);
    await processEvent(sshOpened('sg-alpha-cp'), c);
    resetStateCalls();
    for (const g of ['sg-alpha-cp', 'sg-beta-cp', 'sg-alpha-cluster']) await processEvent(sshOpened(g), c);
    expect(stateCalls.getHead).toBe(3);
    expect(stateCalls.listIndexEntries).toBeUndefined();
    expect(c.counted.calls.listClusters).toBeUndefined();
  });

  it('an empty store (the first sweep has not finished) is built once from the EKS API, and kept for every other container', async () => {
    const world = account();
    const store = new MemoryFindingStore();
    const first = container(world, store);
    expect((await processEvent(sshOpened('sg-beta-cp'), first)).clusters).toEqual(['beta']);
    expect([first.indexCache.builds, first.counted.calls.listClusters]).toEqual([1, 1]);
    const second = container(world, store);
    expect((await processEvent(sshOpened('sg-alpha-cp'), second)).clusters).toEqual(['alpha']);
    expect([second.indexCache.builds, second.counted.calls.listClusters]).toEqual([0, undefined]);
  });

  describe('a node group moved to another cluster’s security group after the index was stored', () => {
    it('the move seen by another container: this warm container notices the new generation and reaches both clusters', async () => {
      const world = account();
      const store = await deployed(world);
      const a = container(world, store);
      await processEvent(sshOpened('sg-alpha-cp'), a);
      moveAlphaToBetaGroup(world, { nodesReplaced: false });
      await processEvent(nodegroupUpdated('alpha'), container(world, store));
      // The call opens SSH to the world on beta's node group, which alpha's nodes now carry too.
      world.ec2.securityGroups.find((g) => g.GroupId === 'sg-beta-nodes')!.IpPermissions = [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
      const out = await processEvent(sshOpened('sg-beta-nodes'), a);
      expect(out.clusters).toEqual(['alpha', 'beta']);
      expect(out.findings.filter((f) => f.ruleId === 'no-internet-ssh').map((f) => f.cluster).sort()).toEqual(['alpha', 'beta']);
    });

    it('the move still being processed elsewhere (marked, not yet read): alpha is re-read before the index answers', async () => {
      const world = account();
      const store = await deployed(world);
      const a = container(world, store);
      await processEvent(sshOpened('sg-alpha-cp'), a);
      moveAlphaToBetaGroup(world, { nodesReplaced: false });
      // The other container's event marks alpha first thing, then reads it: it has not got further yet.
      await container(world, store).indexCache.markDirty(['alpha']);
      a.counted.reset();
      expect((await processEvent(sshOpened('sg-beta-nodes'), a)).clusters).toEqual(['alpha', 'beta']);
      expect(a.counted.calls.listClusters).toBeUndefined();
      // And what it read is kept: the next container finds alpha's entry up to date and unmarked.
      const next = container(world, store);
      expect((await processEvent(sshOpened('sg-beta-nodes'), next)).clusters).toEqual(['alpha', 'beta']);
      expect(next.counted.calls.describeNodegroup).toBe(2);
    });

    it('the nodes replaced and the call never seen by anyone: the nodes carrying the group reach alpha', async () => {
      const world = account();
      const store = await deployed(world);
      moveAlphaToBetaGroup(world, { nodesReplaced: true });
      expect((await processEvent(sshOpened('sg-beta-nodes'), container(world, store))).clusters).toEqual(['alpha', 'beta']);
    });

    it('nothing carries the group yet and the call was lost: the next sweep repairs the entry', async () => {
      const world = account();
      const store = await deployed(world);
      moveAlphaToBetaGroup(world, { nodesReplaced: false });
      // The documented gap: no node, no mark and a stale entry; the sweep evaluates alpha whole meanwhile.
      expect((await processEvent(sshOpened('sg-beta-nodes'), container(world, store))).clusters).toEqual(['beta']);
      await sweep(container(world, store), { sweepId: 'sweep:later' });
      expect((await processEvent(sshOpened('sg-beta-nodes'), container(world, store))).clusters).toEqual(['alpha', 'beta']);
    });
  });

  it('a resource the stored index does not know falls back to the nodes and tags, never to a rebuild', async () => {
    const world = account();
    const store = await deployed(world);
    // gamma was created after the sweep and its CreateCluster call was lost: its EKS-created group carries its tag.
    world.eks.clusters.push({ name: 'gamma', arn: 'arn:aws:eks:us-east-1:111122223333:cluster/gamma', resourcesVpcConfig: { vpcId: 'vpc-gamma', subnetIds: [], securityGroupIds: [], clusterSecurityGroupId: 'sg-gamma-cluster' } });
    world.ec2.securityGroups.push({ GroupId: 'sg-gamma-cluster', VpcId: 'vpc-gamma', IpPermissions: [], Tags: [tag('aws:eks:cluster-name', 'gamma')] }, { GroupId: 'sg-database', VpcId: 'vpc-alpha', IpPermissions: [], Tags: [] });
    const c = container(world, store);
    expect((await processEvent(sshOpened('sg-gamma-cluster'), c)).clusters).toEqual(['gamma']);
    expect(await processEvent(sshOpened('sg-database'), c)).toMatchObject({ status: 'ignored', reason: 'sg-database is not used by any EKS cluster' });
    expect(c.counted.calls.listClusters).toBeUndefined();
  });

  it('two containers refreshing the same cluster at once: both land, the newest read is kept', async () => {
    const world = account();
    const store = await deployed(world);
    moveAlphaToBetaGroup(world, { nodesReplaced: false });
    await Promise.all([processEvent(nodegroupUpdated('alpha'), container(world, store)), processEvent(nodegroupUpdated('alpha'), container(world, store))]);
    const alpha = (await store.state.indexEntries()).find((e) => e.cluster === 'alpha');
    expect(alpha?.facts?.securityGroupIds).toContain('sg-beta-nodes');
    expect(alpha?.dirtyAt === undefined || alpha.dirtyAt <= alpha.readAt!).toBe(true);
  });

  it('a cluster deleted while nobody watched leaves the index at the next sweep (a tombstone)', async () => {
    const world = account();
    const store = await deployed(world);
    world.eks.clusters = world.eks.clusters.filter((c) => c.name !== 'beta');
    world.eks.nodegroups = world.eks.nodegroups.filter((n) => n.clusterName !== 'beta');
    await sweep(container(world, store), { sweepId: 'sweep:after-delete' });
    expect((await store.state.indexEntries()).find((e) => e.cluster === 'beta')).toMatchObject({ gone: true });
    expect((await processEvent(sshOpened('sg-beta-cp'), container(world, store))).clusters).toEqual([]);
  });
});
