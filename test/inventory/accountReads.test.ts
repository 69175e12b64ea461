import { withAccountReads } from '../../src/inventory/accountReads';
import { buildClusterView } from '../../src/inventory/buildView';
import { parseWorld } from '../../src/inventory/world';
import { WorldReader } from '../../src/inventory/worldReader';
import type { ViewPart } from '../../src/inventory/view';
import { generateWorld, DEFAULT_WORLD_PARAMS } from '../../bench/generate';
import { counting } from '../events/support';

const ALL = new Set<ViewPart>(['nodegroups', 'securityGroups', 'network', 'accessEntries', 'addons', 'kubernetes', 'creator', 'creatorRole', 'nodeRoles', 'eksLaunchTemplates']);
const EC2 = ['describeSecurityGroups', 'describeSubnets', 'describeRouteTables', 'describeNetworkAcls', 'describeInstances', 'describeLaunchTemplateVersions', 'describeAutoScalingGroups'];
const ec2Calls = (calls: Record<string, number>) => EC2.reduce((n, m) => n + (calls[m] ?? 0), 0);

/** The sweep's account-wide EC2 and Auto Scaling reads: every cluster's view exactly as its own reads give it. */
describe('withAccountReads', () => {
  const acct = generateWorld({ clusters: 12, ...DEFAULT_WORLD_PARAMS });
  const ids = { account: acct.account, region: acct.region };

  it('gives every cluster the view its own reads give, for a fixed number of EC2 and Auto Scaling requests', async () => {
    const world = parseWorld(acct.world, 'synthetic');
    const plain = new WorldReader(world);
    const inner = counting(new WorldReader(world));
    const sharedReader = withAccountReads(inner.reader);
    for (const c of acct.clusters) {
      const own = await buildClusterView(plain, c.name, ALL, ids);
      const fromAccount = await buildClusterView(sharedReader, c.name, ALL, ids);
      expect(JSON.stringify(fromAccount)).toBe(JSON.stringify(own));
    }
    // One read of each kind for the 12 clusters, where each cluster alone makes about eight.
    expect(ec2Calls(inner.calls)).toBe(EC2.length);
  });

  it('asks EC2 itself what the account-wide reads cannot answer exactly: an older template version, other filters', async () => {
    const world = parseWorld(acct.world, 'synthetic');
    const inner = counting(new WorldReader(world));
    const reader = withAccountReads(inner.reader);
    const lt = acct.clusters[0].launchTemplateIds[0];
    // Version 1 is neither the latest nor the default: one request of its own.
    const [v1] = await reader.describeLaunchTemplateVersions({ launchTemplateId: lt, versions: ['1'] });
    expect(v1).toMatchObject({ LaunchTemplateId: lt, VersionNumber: 1, LaunchTemplateData: { KeyName: 'legacy-key' } });
    expect(inner.calls.describeLaunchTemplateVersions).toBe(2);
    // Instances not selected by a cluster tag are not all in the account-wide node read.
    const node = acct.clusters[0].nodeInstanceIds[0];
    expect((await reader.describeInstances({ instanceIds: [node] })).map((i) => i.InstanceId)).toEqual([node]);
    expect(inner.calls.describeInstances).toBe(1);
    expect((await reader.describeInstances({ filters: [{ Name: 'tag-key', Values: [`kubernetes.io/cluster/${acct.clusters[0].name}`] }] })).length).toBeGreaterThan(0);
    expect(inner.calls.describeInstances).toBe(2);
    expect((await reader.describeInstances({ filters: [{ Name: 'tag:eks:cluster-name', Values: [acct.clusters[1].name] }] })).length).toBeGreaterThan(0);
    expect(inner.calls.describeInstances).toBe(2);
  });

  it('does not keep a failed account-wide read: the next query reads again', async () => {
    const inner = new WorldReader(parseWorld(acct.world, 'synthetic'));
    const spy = jest.spyOn(inner, 'describeSecurityGroups').mockRejectedValueOnce(new Error('RequestLimitExceeded'));
    const reader = withAccountReads(inner);
    const group = acct.clusters[0].nodeSecurityGroupId;
    await expect(reader.describeSecurityGroups({ groupIds: [group] })).rejects.toThrow('RequestLimitExceeded');
    expect((await reader.describeSecurityGroups({ groupIds: [group] })).map((g) => g.GroupId)).toEqual([group]);
    expect(spy).toHaveBeenCalledTimes(2);
  });
});
