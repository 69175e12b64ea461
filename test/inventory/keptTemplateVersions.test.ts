import { WorldReader } from '../../src/inventory/worldReader';
import { parseWorld } from '../../src/inventory/world';
import { withKeptTemplateVersions } from '../../src/inventory/keptTemplateVersions';
import { MemoryBackend, MemoryFindingStore } from '../../src/findings/memoryStore';
import { countingCalls } from '../events/support';

/**
 * A launch template version never changes once created, and EC2 never gives its number to another: a node group
 * pinning `lt-…` version N is answered from the store. What names a version by `$Default`/`$Latest`, or a template by
 * name (a name can be given to a new template), is asked of EC2 every time.
 */
const world = () =>
  parseWorld(
    {
      account: '111122223333',
      region: 'us-east-1',
      ec2: {
        launchTemplateVersions: [
          { LaunchTemplateId: 'lt-0abc', LaunchTemplateName: 'nodes', VersionNumber: 1, DefaultVersion: false, CreateTime: '2026-03-01T10:00:00Z', LaunchTemplateData: { KeyName: 'ops' } },
          { LaunchTemplateId: 'lt-0abc', LaunchTemplateName: 'nodes', VersionNumber: 2, DefaultVersion: true, CreateTime: '2026-03-02T10:00:00Z', LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required' } } },
        ],
      },
    },
    'test',
  );

/** A process (Lambda container) over the deployment's store: its own memory, its EC2 reads counted. */
function processOver(backend: MemoryBackend) {
  const store = new MemoryFindingStore({}, backend);
  const { proxy, calls } = countingCalls(new WorldReader(world()));
  return { reader: withKeptTemplateVersions(proxy, store.state), calls, store };
}

describe('launch template versions kept in the store', () => {
  it('a pinned version is read from EC2 once, then from the store by a fresh process, then from its memory', async () => {
    const backend = new MemoryBackend();
    const first = processOver(backend);
    const read = await first.reader.describeLaunchTemplateVersions({ launchTemplateId: 'lt-0abc', versions: ['2'] });
    expect(first.calls.describeLaunchTemplateVersions).toBe(1);
    const cold = processOver(backend);
    const get = jest.spyOn(backend, 'getTemplateVersion');
    const kept = await cold.reader.describeLaunchTemplateVersions({ launchTemplateId: 'lt-0abc', versions: ['2'] });
    await cold.reader.describeLaunchTemplateVersions({ launchTemplateId: 'lt-0abc', versions: ['2'] });
    expect(cold.calls.describeLaunchTemplateVersions).toBeUndefined();
    expect(get).toHaveBeenCalledTimes(1);
    // The same version, less the default flag (which version is the default changes).
    const { DefaultVersion, ...same } = read[0];
    expect(DefaultVersion).toBe(true);
    expect(kept).toEqual([same]);
  });

  it('asks EC2 only for the versions not kept yet, in one call', async () => {
    const inner = new WorldReader(world());
    const asked = jest.spyOn(inner, 'describeLaunchTemplateVersions');
    const reader = withKeptTemplateVersions(inner, new MemoryFindingStore().state);
    await reader.describeLaunchTemplateVersions({ launchTemplateId: 'lt-0abc', versions: ['1'] });
    const both = await reader.describeLaunchTemplateVersions({ launchTemplateId: 'lt-0abc', versions: ['1', '2'] });
    expect(both.map((v) => v.VersionNumber)).toEqual([1, 2]);
    expect(asked.mock.calls.map(([q]) => q.versions)).toEqual([['1'], ['2']]);
  });

  it('$Default, $Latest, a template named by name, and a version EC2 does not know are asked of EC2 every time', async () => {
    const p = processOver(new MemoryBackend());
    for (let i = 0; i < 2; i++) {
      await p.reader.describeLaunchTemplateVersions({ launchTemplateId: 'lt-0abc', versions: ['$Default'] });
      await p.reader.describeLaunchTemplateVersions({ launchTemplateId: 'lt-0abc', versions: ['$Latest', '2'] });
      await p.reader.describeLaunchTemplateVersions({ launchTemplateName: 'nodes', versions: ['1'] });
      expect(await p.reader.describeLaunchTemplateVersions({ launchTemplateId: 'lt-0abc', versions: ['7'] })).toEqual([]);
    }
    expect(p.calls.describeLaunchTemplateVersions).toBe(8);
    expect(await p.store.state.backend.getTemplateVersion('lt-0abc', 7)).toBeUndefined();
  });
});
