import { buildAccountView, buildClusterView } from '../../src/inventory/buildView';
import { snapshotAccount } from '../../src/inventory/snapshot';
import { parseWorld } from '../../src/inventory/world';
import { WorldReader } from '../../src/inventory/worldReader';
import type { ViewPart } from '../../src/inventory/view';
import { IDS, instrument, prodWorld, world } from './worlds';

const ALL = new Set<ViewPart>(['nodegroups', 'securityGroups', 'network', 'accessEntries', 'addons', 'kubernetes', 'creator']);
const roundTrip = async (raw = prodWorld()) => parseWorld(JSON.parse(JSON.stringify(await snapshotAccount(new WorldReader(world(raw))))), 'snap.json');

describe('snapshotAccount', () => {
  it('records what every cluster view reads, so the snapshot gives the same views (as of its recordedAt)', async () => {
    const original = new WorldReader(world());
    const recorded = await roundTrip();
    const snap = new WorldReader(recorded);
    for (const name of ['prod', 'other']) {
      expect(await buildClusterView(snap, name, ALL, IDS)).toEqual(await buildClusterView(original, name, ALL, IDS, { now: recorded.recordedAt }));
    }
    expect(await buildAccountView(snap, IDS)).toEqual(await buildAccountView(original, IDS));
  });

  it('records only what the views need, once each (shared subnets and groups are not duplicated)', async () => {
    const w = await roundTrip();
    expect(w.account).toBe(IDS.account);
    expect(w.ec2.subnets.map((s) => s.SubnetId).sort()).toEqual(['subnet-a', 'subnet-b', 'subnet-c', 'subnet-x']);
    expect(w.ec2.securityGroups.map((g) => g.GroupId)).not.toContain('sg-unrelated');
    expect(w.ec2.instances.map((i) => i.InstanceId).sort()).toEqual(['i-eks', 'i-managed', 'i-self']);
    // Every EKS CreateCluster record (who created which cluster, deleted ones included), not ECS's.
    expect(w.cloudtrailEvents.map((e) => e.EventId).sort()).toEqual(['ev-new', 'ev-old', 'ev-other']);
    expect(w.eks.nodegroups.every((n) => n.clusterName)).toBe(true);
  });

  it('records Kubernetes objects it could not read as null (unreadable), not as "none"', async () => {
    const raw = prodWorld();
    (raw.kubernetes as Record<string, unknown>).prod = null;
    const w = await roundTrip(raw);
    expect(w.kubernetes).toEqual({ prod: null, other: {} });
    const v = await buildClusterView(new WorldReader(w), 'prod', ALL, IDS);
    expect(v?.unreadable.map((u) => u.part)).toEqual(['kubernetes']);
  });

  it('records when it was taken and the version calendar once, or null when the calendar could not be read', async () => {
    const calendar = [{ clusterVersion: '1.35', clusterType: 'eks', endOfStandardSupportDate: '2027-03-27T00:00:00Z', endOfExtendedSupportDate: '2028-03-27T00:00:00Z', versionStatus: 'STANDARD_SUPPORT' }];
    const raw = { ...prodWorld(), eks: { ...(prodWorld().eks as object), clusterVersions: calendar } };
    const at = new Date('2026-12-01T08:00:00Z');
    const r = instrument(new WorldReader(world(raw)));
    const w = parseWorld(JSON.parse(JSON.stringify(await snapshotAccount(r.reader, at))), 'snap.json');
    expect(w.recordedAt).toEqual(at);
    expect(w.eks.clusterVersions).toEqual([{ ...calendar[0], endOfStandardSupportDate: new Date('2027-03-27T00:00:00Z'), endOfExtendedSupportDate: new Date('2028-03-27T00:00:00Z') }]);
    expect(r.count('describeClusterVersions')).toBe(1);
    const denied = instrument(new WorldReader(world(raw)), { describeClusterVersions: 'AccessDeniedException' });
    expect((await snapshotAccount(denied.reader)).eks.clusterVersions).toBeNull();
  });

  it('fails rather than record a part it could not read (the world would claim "no such resources")', async () => {
    const denied = instrument(new WorldReader(world()), { listAccessEntries: 'AccessDeniedException' });
    await expect(snapshotAccount(denied.reader)).rejects.toThrow(/cluster prod in 111122223333\/us-east-1: accessEntries: .*AccessDeniedException/);
  });
});
