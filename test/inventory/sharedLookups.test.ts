import type { Event } from '@aws-sdk/client-cloudtrail';
import { WorldReader } from '../../src/inventory/worldReader';
import { withSharedLookups } from '../../src/inventory/sharedLookups';
import { parseWorld } from '../../src/inventory/world';

const createCluster = (name: string): Event => ({
  EventId: `id-${name}`,
  EventName: 'CreateCluster',
  EventTime: new Date('2026-01-01T00:00:00Z'),
  Resources: [{ ResourceType: 'AWS::EKS::Cluster', ResourceName: name }],
  CloudTrailEvent: JSON.stringify({ eventSource: 'eks.amazonaws.com', eventName: 'CreateCluster', requestParameters: { name } }),
});

describe('withSharedLookups', () => {
  const world = parseWorld({ account: '111122223333', region: 'us-east-1', cloudtrailEvents: [createCluster('a'), createCluster('b')] }, 'test');

  it('reads each event name once, and still answers per cluster', async () => {
    const inner = new WorldReader(world);
    const spy = jest.spyOn(inner, 'lookupEvents');
    const shared = withSharedLookups(inner);
    const [a, b, again] = await Promise.all([
      shared.lookupEvents({ eventName: 'CreateCluster', resourceName: 'a' }),
      shared.lookupEvents({ eventName: 'CreateCluster', resourceName: 'b' }),
      shared.lookupEvents({ eventName: 'CreateCluster', resourceName: 'a' }),
    ]);
    expect(a.map((e) => e.EventId)).toEqual(['id-a']);
    expect(b.map((e) => e.EventId)).toEqual(['id-b']);
    expect(again).toEqual(a);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(await shared.identity()).toEqual({ account: '111122223333', region: 'us-east-1' });
  });

  it('does not keep a failed read: the next caller tries again', async () => {
    const inner = new WorldReader(world);
    const spy = jest.spyOn(inner, 'lookupEvents').mockRejectedValueOnce(new Error('ThrottlingException'));
    const shared = withSharedLookups(inner);
    await expect(shared.lookupEvents({ eventName: 'CreateCluster', resourceName: 'a' })).rejects.toThrow('Throttling');
    await expect(shared.lookupEvents({ eventName: 'CreateCluster', resourceName: 'a' })).resolves.toHaveLength(1);
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('reads each IAM role and policy once per sweep; other reads are not cached', async () => {
    const w = parseWorld(
      { account: '111122223333', region: 'us-east-1', iam: { roles: [{ RoleName: 'nodes', Arn: 'arn:aws:iam::111122223333:role/nodes', attachedPolicies: [] }] } },
      'test',
    );
    const inner = new WorldReader(w);
    const getRole = jest.spyOn(inner, 'getRole');
    const listClusters = jest.spyOn(inner, 'listClusters');
    const shared = withSharedLookups(inner);
    await Promise.all([shared.getRole('nodes'), shared.getRole('nodes'), shared.getRole('other')]);
    await Promise.all([shared.listClusters(), shared.listClusters()]);
    expect(getRole.mock.calls).toEqual([['nodes'], ['other']]);
    expect(listClusters).toHaveBeenCalledTimes(2);
  });
});
