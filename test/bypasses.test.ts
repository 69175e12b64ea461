import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig } from '../src/config';
import { MemoryFindingStore } from '../src/findings/memoryStore';
import { loadWorld, type World } from '../src/inventory/world';
import { WorldReader } from '../src/inventory/worldReader';
import { MemoryLogger } from '../src/log';
import { processEvent, type PipelineDeps } from '../src/pipeline';

/**
 * The attacker's side, end to end through the event pipeline over the demo account: each change below used to be
 * ignored or checked on the wrong cluster, leaving the exposure unannounced until a sweep (or forever).
 */
const root = join(__dirname, '..');
const sample = (name: string) => JSON.parse(readFileSync(join(root, 'events', name), 'utf8'));
const OPEN_SSH = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] };

async function run(world: World, event: unknown) {
  const deps: PipelineDeps = { reader: new WorldReader(world), store: new MemoryFindingStore(), config: defaultConfig, log: new MemoryLogger() };
  const out = await processEvent(event, deps);
  return { out, opened: out.scopes.flatMap((s) => s.changes.opened.map((f) => `${f.ruleId} ${f.resourceId}`)) };
}

/** The demo world after an attacker's change. */
function demo(change: (w: World) => void): World {
  const w = loadWorld(join(root, 'examples/demo-world.json'));
  change(w);
  return w;
}

describe('bypasses, end to end', () => {
  it("a group open to the world swapped onto a node's network interface is announced (ModifyNetworkInterfaceAttribute)", async () => {
    const world = demo((w) => {
      w.ec2.securityGroups.find((g) => g.GroupId === 'sg-0cc1111111111111c')!.IpPermissions = [OPEN_SSH];
      w.ec2.instances[0].NetworkInterfaces![0].Groups = [{ GroupId: 'sg-0cc1111111111111c', GroupName: 'legacy-jumpbox' }];
    });
    const { out, opened } = await run(world, sample('ec2-ModifyNetworkInterfaceAttribute-groupSet-node-eni.json'));
    expect(out).toMatchObject({ status: 'processed', clusters: ['prod'] });
    expect(opened).toContain('no-internet-ssh sg-0cc1111111111111c');
  });

  it('a group tagged for another cluster does not steer the check away from the cluster that uses it', async () => {
    const world = demo((w) => {
      const nodes = w.ec2.securityGroups.find((g) => g.GroupId === 'sg-0aa4444444444444a')!;
      nodes.Tags = [{ Key: 'kubernetes.io/cluster/payments', Value: 'owned' }];
      nodes.IpPermissions = [...(nodes.IpPermissions ?? []), OPEN_SSH];
    });
    const event = sample('ec2-ModifySecurityGroupRules-https-world.json');
    const { out, opened } = await run(world, event);
    expect(out.clusters).toEqual(['prod']);
    expect(opened).toContain('no-internet-ssh sg-0aa4444444444444a');
  });

  it('a prefix list grown to the whole internet is announced on the groups that use it (ModifyManagedPrefixList)', async () => {
    const world = demo((w) => {
      w.ec2.managedPrefixLists[0].Entries = [{ Cidr: '0.0.0.0/1' }, { Cidr: '128.0.0.0/1' }];
      // Only the prefix list opens prod-nodes to the internet now.
      const nodes = w.ec2.securityGroups.find((g) => g.GroupId === 'sg-0aa4444444444444a')!;
      nodes.IpPermissions = nodes.IpPermissions!.filter((p) => !(p.IpRanges ?? []).length);
    });
    const { out, opened } = await run(world, sample('ec2-ModifyManagedPrefixList-add-entry.json'));
    expect(out.clusters).toEqual(['prod']);
    expect(opened).toContain('no-internet-ingress sg-0aa4444444444444a');
    const finding = out.findings.find((f) => f.ruleId === 'no-internet-ingress' && f.resourceId === 'sg-0aa4444444444444a')!;
    expect(finding.message).toBe('sg-0aa4444444444444a (prod-nodes) allows tcp 8443 from pl-0aa1111111111111a');
    expect(finding.evidence.prefixLists).toEqual([{ prefixListId: 'pl-0aa1111111111111a', prefixListName: 'partner-offices', entries: ['0.0.0.0/1', '128.0.0.0/1'] }]);
  });
});
