import type { ClusterVersionInformation } from '@aws-sdk/client-eks';
import { CLUSTER_VERSIONS_CACHE, withClusterVersionsCache } from '../../src/inventory/clusterVersions';
import { ReadError } from '../../src/inventory/reader';
import { WorldReader } from '../../src/inventory/worldReader';
import { prodWorld, world } from './worlds';

const calendar: ClusterVersionInformation[] = [{ clusterVersion: '1.35', clusterType: 'eks', versionStatus: 'STANDARD_SUPPORT' }];

/** A world reader whose DescribeClusterVersions is counted, and fails with `failing.code` while it is set. */
function setup() {
  const failing: { code?: string } = {};
  const inner = new WorldReader(world({ ...prodWorld(), eks: { ...(prodWorld().eks as object), clusterVersions: calendar } }));
  let reads = 0;
  const answer = inner.describeClusterVersions.bind(inner);
  jest.spyOn(inner, 'describeClusterVersions').mockImplementation(async () => {
    reads++;
    if (failing.code) throw new ReadError('eks:DescribeClusterVersions', failing.code, 'injected');
    return answer();
  });
  let t = Date.parse('2026-12-01T00:00:00Z');
  const clock = { now: () => t, advance: (ms: number) => (t += ms) };
  const reader = withClusterVersionsCache(inner, { now: clock.now });
  return { reader, failing, clock, reads: () => reads };
}

describe('withClusterVersionsCache (one read per container, bounded in age)', () => {
  it('reads the calendar once for every cluster of a sweep, concurrent callers included, and again after an hour', async () => {
    const { reader, clock, reads } = setup();
    await Promise.all(Array.from({ length: 8 }, () => reader.describeClusterVersions()));
    await reader.describeClusterVersions();
    expect(reads()).toBe(1);
    clock.advance(CLUSTER_VERSIONS_CACHE.freshMs - 1);
    await reader.describeClusterVersions();
    expect(reads()).toBe(1);
    clock.advance(1);
    expect(await reader.describeClusterVersions()).toEqual(calendar);
    expect(reads()).toBe(2);
  });

  it('a failed read is the answer for a minute (a sweep under AccessDenied asks once), then is asked again', async () => {
    const { reader, failing, clock, reads } = setup();
    failing.code = 'AccessDeniedException';
    for (let i = 0; i < 5; i++) await expect(reader.describeClusterVersions()).rejects.toMatchObject({ code: 'AccessDeniedException' });
    expect(reads()).toBe(1);
    clock.advance(CLUSTER_VERSIONS_CACHE.failedMs);
    failing.code = undefined;
    expect(await reader.describeClusterVersions()).toEqual(calendar);
    expect(reads()).toBe(2);
  });

  it('a refresh that fails keeps the calendar read within the day, not a fallback to the configured minimum', async () => {
    const { reader, failing, clock } = setup();
    await reader.describeClusterVersions();
    clock.advance(CLUSTER_VERSIONS_CACHE.freshMs);
    failing.code = 'ThrottlingException';
    expect(await reader.describeClusterVersions()).toEqual(calendar);
    clock.advance(CLUSTER_VERSIONS_CACHE.staleMs);
    await expect(reader.describeClusterVersions()).rejects.toMatchObject({ code: 'ThrottlingException' });
  });

  it('leaves every other read and the recording time to the reader it wraps', async () => {
    const recorded = new WorldReader(world({ ...prodWorld(), recordedAt: '2026-11-28T12:00:00Z' }));
    const reader = withClusterVersionsCache(recorded);
    expect(reader.recordedAt).toEqual(new Date('2026-11-28T12:00:00Z'));
    expect(await reader.listClusters()).toEqual(await recorded.listClusters());
  });
});
