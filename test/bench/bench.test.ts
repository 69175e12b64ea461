import { parseWorld } from '../../src/inventory/world';
import { WorldReader } from '../../src/inventory/worldReader';
import { buildClusterView } from '../../src/inventory/buildView';
import type { ViewPart } from '../../src/inventory/view';
import { generateWorld, DEFAULT_WORLD_PARAMS } from '../../bench/generate';
import { CountingReader } from '../../bench/countingReader';
import { VirtualClock } from '../../bench/clock';
import { FAMILIES, familyEvents } from '../../bench/events';
import { classifyEvent } from '../../src/events/classify';
import { classifyDelivery } from '../../src/audit/classify';

const ALL_PARTS = new Set<ViewPart>(['nodegroups', 'securityGroups', 'network', 'accessEntries', 'addons', 'kubernetes', 'creator']);

describe('bench: synthetic account generator', () => {
  const acct = generateWorld({ clusters: 5, ...DEFAULT_WORLD_PARAMS });

  it('produces a world file that parseWorld accepts, with the requested sizes', () => {
    const world = parseWorld(JSON.parse(JSON.stringify(acct.world)), 'synthetic');
    expect(world.account).toBe('111122223333');
    expect(world.eks.clusters).toHaveLength(5);
    expect(world.eks.nodegroups).toHaveLength(5 * DEFAULT_WORLD_PARAMS.nodegroupsPerCluster);
    expect(world.ec2.subnets).toHaveLength(5 * DEFAULT_WORLD_PARAMS.subnetsPerCluster);
    // Remote-access groups (one per SSH node group) come on top of the per-VPC count.
    expect(world.ec2.securityGroups.length).toBeGreaterThanOrEqual(5 * DEFAULT_WORLD_PARAMS.securityGroupsPerCluster);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(generateWorld({ clusters: 5, ...DEFAULT_WORLD_PARAMS }).world)).toBe(JSON.stringify(acct.world));
  });

  it('wires each cluster to its own resources, as the view builder finds them', async () => {
    const reader = new WorldReader(parseWorld(acct.world, 'synthetic'));
    const c = acct.clusters[1];
    const view = await buildClusterView(reader, c.name, ALL_PARTS, { account: acct.account, region: acct.region });
    expect(view).toBeDefined();
    expect(view!.unreadable).toEqual([]);
    expect(view!.nodegroups.map((n) => n.nodegroup.nodegroupName)).toEqual(c.nodegroups);
    const groups = view!.securityGroups.map((g) => g.group.GroupId);
    expect(groups).toEqual(expect.arrayContaining([c.clusterSecurityGroupId, c.controlPlaneSecurityGroupId, c.nodeSecurityGroupId, ...c.remoteAccessSecurityGroupIds]));
    expect(view!.subnets.map((s) => s.subnet.SubnetId).sort()).toEqual([...c.nodeSubnetIds].sort());
    expect(view!.subnets.every((s) => s.routeTable?.RouteTableId === c.privateRouteTableId && s.networkAcl?.NetworkAclId === c.nodeNetworkAclId)).toBe(true);
    expect(view!.creatorEvent?.EventName).toBe('CreateCluster');
  });

  it('builds events of every family that name the synthetic resources', () => {
    for (const family of FAMILIES) {
      const events = familyEvents(acct, family, 4);
      expect(events).toHaveLength(4);
      for (const e of events) {
        if (family === 'auditLog') expect(e.event).toHaveProperty('awslogs.data');
        else expect(e.event['detail-type']).toBe('AWS API Call via CloudTrail');
        expect(acct.clusters.map((c) => c.name)).toContain(e.cluster);
      }
    }
  });
});

describe('bench: counting reader', () => {
  const acct = generateWorld({ clusters: 3, ...DEFAULT_WORLD_PARAMS });
  const world = parseWorld(acct.world, 'synthetic');
  const make = (concurrency: number) => {
    const clock = new VirtualClock();
    return { clock, reader: new CountingReader(new WorldReader(world), { clock, latencyMs: 30, concurrency }) };
  };

  it('counts every call and never lets more than the limit run at once', async () => {
    const { clock, reader } = make(4);
    await Promise.all(Array.from({ length: 25 }, () => reader.describeCluster('cluster-000')));
    const s = reader.snapshot();
    expect(s.apiCalls).toBe(25);
    expect(s.byOperation).toEqual({ 'eks:DescribeCluster': 25 });
    expect(s.maxConcurrent).toBe(4);
    expect(s.maxWanted).toBe(25);
    // 25 calls, 4 at a time, 30 ms each: 7 rounds on the simulated clock.
    expect(clock.now()).toBe(7 * 30);
  });

  it('counts the calls behind listAccessEntries: the list, then a describe and a policy list per entry', async () => {
    const { reader } = make(10);
    const entries = await reader.listAccessEntries('cluster-001');
    expect(entries.length).toBeGreaterThan(0);
    expect(reader.snapshot().apiCalls).toBe(1 + 2 * entries.length);
  });

  it('pages LookupEvents over every record of the event name and holds it to 2 requests per second', async () => {
    const { clock, reader } = make(10);
    await Promise.all([0, 1, 2].map((i) => reader.lookupEvents({ eventName: 'CreateCluster', resourceName: `cluster-00${i}` })));
    const s = reader.snapshot();
    expect(s.byOperation['cloudtrail:LookupEvents']).toBe(3);
    // The third request waits for its turn: 2 x 500 ms, then its own 30 ms.
    expect(clock.now()).toBe(1030);
    expect(s.rateLimitWaitMs).toBe(500 + 1000);
  });

  it('holds each EC2 Describe action to its bucket: 100 at once, then 20 per second', async () => {
    const { clock, reader } = make(1000);
    await Promise.all(Array.from({ length: 130 }, () => reader.describeSubnets({ subnetIds: [acct.clusters[0].nodeSubnetIds[0]] })));
    // The 130th request gets its token 30 intervals of 50 ms after the burst, then takes its 30 ms.
    expect(clock.now()).toBe(30 * 50 + 30);
    expect(reader.snapshot().maxConcurrent).toBe(100);
  });

  it('asks STS once, as the live reader caches the identity', async () => {
    const { reader } = make(10);
    await reader.identity();
    await reader.identity();
    expect(reader.snapshot().byOperation['sts:GetCallerIdentity']).toBe(1);
  });

  it('starts a new count on reset', async () => {
    const { reader } = make(2);
    await reader.describeSubnets({ subnetIds: [acct.clusters[0].nodeSubnetIds[0]] });
    reader.reset();
    expect(reader.snapshot().apiCalls).toBe(0);
  });
});

describe('bench: events', () => {
  const acct = generateWorld({ clusters: 4, ...DEFAULT_WORLD_PARAMS });

  it('are all watched CloudTrail calls that name a resource of the synthetic account', () => {
    for (const family of FAMILIES.filter((f) => f !== 'auditLog')) {
      for (const e of familyEvents(acct, family, 12)) {
        const c = classifyEvent(e.event);
        expect({ family, eventName: e.eventName, status: c.status }).toEqual({ family, eventName: e.eventName, status: 'watched' });
      }
    }
  });
});

describe('bench: audit-log deliveries', () => {
  const acct = generateWorld({ clusters: 4, ...DEFAULT_WORLD_PARAMS });

  it('come from a synthetic cluster\'s audit log group and carry at least one write to a watched object', () => {
    for (const e of familyEvents(acct, 'auditLog', 6)) {
      const c = classifyDelivery(e.event);
      if (c.status !== 'lines') throw new Error(`${e.eventName}: ${c.status}`);
      expect(c.cluster).toBe(e.cluster);
      expect(c.lines.some((l) => l.status === 'write')).toBe(true);
      expect(c.lines.filter((l) => l.status === 'invalid')).toEqual([]);
    }
  });
});
