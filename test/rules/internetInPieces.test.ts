import { evaluateCluster } from '../../src/rules/engine/evaluate';
import { allow, baseCluster, check, clusterView, config, ids, prefixList, route, routeTable, sg, subnet } from './fixtures';

/**
 * "Internet in pieces": the attacker opens the whole internet as several CIDRs, across several permissions or several
 * security groups on the same node, behind a prefix list, or as one wide public block — never as 0.0.0.0/0.
 */
const HALVES_V4 = ['0.0.0.0/1', '128.0.0.0/1'];
const HALVES_V6 = ['::/1', '8000::/1'];

describe('internet in pieces', () => {
  describe('no-internet-ssh', () => {
    const ssh = (o: Parameters<typeof clusterView>[0]) => check('no-internet-ssh', clusterView(o));

    it('fires on one group opening SSH to 0.0.0.0/1 and 128.0.0.0/1 (one permission or two)', () => {
      expect(ids(ssh({ securityGroups: [sg('sg-node', [allow('tcp', 22, ...HALVES_V4)])] }))).toEqual(['sg-node']);
      expect(ids(ssh({ securityGroups: [sg('sg-node', [allow('tcp', 22, HALVES_V4[0]), allow('tcp', [0, 1024], HALVES_V4[1])])] }))).toEqual(['sg-node']);
      expect(ids(ssh({ securityGroups: [sg('sg-node', [allow('tcp', 22, ...HALVES_V6)])] }))).toEqual(['sg-node']);
    });

    it('fires on two groups on the same node group each opening half of the internet, on both groups, with the whole picture', () => {
      // With the width test off, only the union covering every public address is the internet.
      const fs = check(
        'no-internet-ssh',
        clusterView({
          securityGroups: [sg('sg-a', [allow('tcp', 22, HALVES_V4[0])]), sg('sg-b', [allow('tcp', 22, HALVES_V4[1])])],
          attachments: [{ on: ['node group ng-1'], groupIds: ['sg-a', 'sg-b'] }],
        }),
        config({ internetPrefix: { ipv4: 0, ipv6: 0 } }),
      );
      expect(ids(fs)).toEqual(['sg-a', 'sg-b']);
      expect(fs[0].message).toBe('sg-a (sg-a-name) allows SSH (tcp 22) from 0.0.0.0/1; with sg-b (128.0.0.0/1) on node group ng-1 that admits every public IPv4 address');
      expect(fs[0].evidence.exposures).toEqual([
        {
          on: ['node group ng-1'],
          traffic: 'tcp 22',
          internet: 'every public IPv4 address',
          groups: [
            { groupId: 'sg-a', ipPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, sources: ['0.0.0.0/1'], admits: 'tcp 22' }] },
            { groupId: 'sg-b', ipPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, sources: ['128.0.0.0/1'], admits: 'tcp 22' }] },
          ],
        },
      ]);
    });

    it('with the default width test, each half is the internet on its own; adjacent /16s on two groups add up to a /15', () => {
      expect(ids(ssh({ securityGroups: [sg('sg-a', [allow('tcp', 22, HALVES_V4[0])]), sg('sg-b', [allow('tcp', 22, HALVES_V4[1])])] }))).toEqual(['sg-a', 'sg-b']);
      const [a] = ssh({
        securityGroups: [sg('sg-a', [allow('tcp', 22, '52.0.0.0/16')]), sg('sg-b', [allow('tcp', 22, '52.1.0.0/16')])],
        attachments: [{ on: ['instance i-1 (eni-1)'], groupIds: ['sg-a', 'sg-b'] }],
      });
      expect(a.message).toBe('sg-a (sg-a-name) allows SSH (tcp 22) from 52.0.0.0/16; with sg-b (52.1.0.0/16) on instance i-1 (eni-1) that admits public range 52.0.0.0-52.1.255.255, wider than a /16');
    });

    it('does not merge groups that never share a network interface', () => {
      const fs = ssh({
        securityGroups: [sg('sg-a', [allow('tcp', 22, '52.0.0.0/16')]), sg('sg-b', [allow('tcp', 22, '52.1.0.0/16')])],
        attachments: [
          { on: ['node group ng-1'], groupIds: ['sg-a'] },
          { on: ['node group ng-2'], groupIds: ['sg-b'] },
        ],
      });
      expect(fs).toEqual([]);
    });

    it('does not merge different ports: 52.0.0.0/16 on 22 and 52.1.0.0/16 on 443 open neither to the internet', () => {
      const v = clusterView({
        securityGroups: [sg('sg-a', [allow('tcp', 22, '52.0.0.0/16')]), sg('sg-b', [allow('tcp', 443, '52.1.0.0/16')])],
        attachments: [{ on: ['node group ng-1'], groupIds: ['sg-a', 'sg-b'] }],
      });
      expect(check('no-internet-ssh', v)).toEqual([]);
      expect(check('no-internet-ingress', v)).toEqual([]);
    });

    it('puts the finding on the group that opens the internet alone, not on a bastion /32 sharing the node', () => {
      const fs = ssh({
        securityGroups: [sg('sg-open', [allow('tcp', 22, '0.0.0.0/0')]), sg('sg-admin', [allow('tcp', 22, '198.51.100.7/32')])],
        attachments: [{ on: ['node group ng-1'], groupIds: ['sg-open', 'sg-admin'] }],
      });
      expect(ids(fs)).toEqual(['sg-open']);
      expect(fs[0].message).toBe('sg-open (sg-open-name) allows SSH (tcp 22) from 0.0.0.0/0');
    });

    it('treats a public CIDR wider than internetPrefix as the internet, and private space never', () => {
      const one = (cidr: string, cfg = config()) => check('no-internet-ssh', clusterView({ securityGroups: [sg('sg-node', [allow('tcp', 22, cidr)])] }), cfg);
      expect(one('3.0.0.0/15')).toHaveLength(1);
      expect(one('3.0.0.0/16')).toEqual([]);
      expect(one('10.0.0.0/8')).toEqual([]);
      expect(one('100.64.0.0/10')).toEqual([]);
      expect(one('2600::/31')).toHaveLength(1);
      expect(one('fc00::/7')).toEqual([]);
      expect(one('3.0.0.0/15', config({ internetPrefix: { ipv4: 8, ipv6: 32 } }))).toEqual([]);
      expect(one('3.0.0.0/16', config({ internetPrefix: { ipv4: 24, ipv6: 32 } }))).toHaveLength(1);
    });

    it('expands prefix lists: an AWS-managed or customer list counts by its entries', () => {
      const pieces = prefixList('pl-halves', 'customer-list', HALVES_V4);
      expect(ids(ssh({ securityGroups: [sg('sg-node', [allow('tcp', 22, 'pl-halves')])], prefixLists: [pieces] }))).toEqual(['sg-node']);
      const office = prefixList('pl-office', 'office', ['198.51.100.0/24', '10.0.0.0/8']);
      expect(ssh({ securityGroups: [sg('sg-node', [allow('tcp', 22, 'pl-office')])], prefixLists: [office] })).toEqual([]);
    });

    it('is not evaluated when a referenced prefix list could not be read — never a pass', () => {
      const unread = { prefixListId: 'pl-secret', entries: [], unreadable: 'ec2:GetManagedPrefixListEntries failed: AccessDenied' };
      const r = evaluateCluster(clusterView({ securityGroups: [sg('sg-node', [allow('tcp', 22, 'pl-secret')])], prefixLists: [unread] }), config(), ['no-internet-ssh']);
      expect(r.notEvaluated).toEqual([expect.objectContaining({ ruleId: 'no-internet-ssh', reason: expect.stringMatching(/prefix list pl-secret .*sg-node.*AccessDenied/) })]);
      expect(r.evaluatedRuleIds).toEqual([]);
    });
  });

  describe('no-internet-ingress', () => {
    it('fires on two groups on one node that together open a public /15 on 443', () => {
      const fs = check(
        'no-internet-ingress',
        clusterView({
          securityGroups: [sg('sg-a', [allow('tcp', 443, '52.0.0.0/16')]), sg('sg-b', [allow('tcp', [80, 443], '52.1.0.0/16')])],
          attachments: [{ on: ['instance i-1 (eni-1)'], groupIds: ['sg-a', 'sg-b'] }],
        }),
      );
      expect(ids(fs)).toEqual(['sg-a', 'sg-b']);
      expect(fs[0].message).toBe('sg-a (sg-a-name) allows tcp 443 from 52.0.0.0/16; with sg-b (52.1.0.0/16) on instance i-1 (eni-1) that admits public range 52.0.0.0-52.1.255.255, wider than a /16');
      expect(fs[1].message).toBe('sg-b (sg-b-name) allows tcp 80-443 from 52.1.0.0/16; with sg-a (52.0.0.0/16) on instance i-1 (eni-1) that admits public range 52.0.0.0-52.1.255.255, wider than a /16');
    });
  });

  describe('cluster-sg-restricted', () => {
    it('reports the halves on the cluster security group like any foreign source', () => {
      const fs = check('cluster-sg-restricted', clusterView({ securityGroups: [sg('sg-cluster', [allow('tcp', 22, ...HALVES_V4)], ['cluster'])] }));
      expect(fs[0].message).toContain('tcp 22 from 0.0.0.0/1, 128.0.0.0/1');
    });
  });

  describe('endpoint-not-public', () => {
    const vpc = (publicAccessCidrs: string[]) => ({ resourcesVpcConfig: { ...baseCluster().resourcesVpcConfig, endpointPublicAccess: true, publicAccessCidrs } });
    it('fires on publicAccessCidrs 0.0.0.0/1 + 128.0.0.0/1, and on a public block wider than internetPrefix', () => {
      const [f] = check('endpoint-not-public', clusterView({ cluster: vpc(HALVES_V4) }));
      expect(f.evidence).toMatchObject({ offendingCidrs: HALVES_V4, internet: 'every public IPv4 address' });
      expect(check('endpoint-not-public', clusterView({ cluster: vpc(HALVES_V6) }))).toHaveLength(1);
      expect(check('endpoint-not-public', clusterView({ cluster: vpc(['52.0.0.0/8']) }))).toHaveLength(1);
      expect(check('endpoint-not-public', clusterView({ cluster: vpc(['203.0.113.0/24', '0.0.0.0/1']) }))).toHaveLength(1);
      expect(check('endpoint-not-public', clusterView({ cluster: vpc(['203.0.113.0/24']) }))).toEqual([]);
    });
  });

  describe('nodes-in-private-subnets', () => {
    const run = (...routes: ReturnType<typeof route>[]) => check('nodes-in-private-subnets', clusterView({ subnets: [subnet('subnet-1', { routeTable: routeTable('rtb-1', ...routes) })] }));

    it('a table sending 0.0.0.0/1 and 128.0.0.0/1 to an internet gateway makes a public subnet', () => {
      const [f] = run(route('0.0.0.0/0', 'nat-1'), route('0.0.0.0/1', 'igw-1'), route('128.0.0.0/1', 'igw-1'));
      expect(f.message).toBe('node subnet subnet-1 (used by ng-1) routes 0.0.0.0/1 and 128.0.0.0/1 to internet gateway igw-1 via its route table rtb-1');
      expect(run(route('::/1', 'igw-1'), route('8000::/1', 'igw-1'))).toHaveLength(1);
    });

    it('a default route to an internet gateway fully shadowed by more specific NAT routes is private', () => {
      expect(run(route('0.0.0.0/0', 'igw-1'), route('0.0.0.0/1', 'nat-1'), route('128.0.0.0/1', 'nat-1'))).toEqual([]);
    });

    it('a route to an internet gateway through a prefix list counts by its entries', () => {
      const v = clusterView({
        subnets: [subnet('subnet-1', { routeTable: { ...routeTable('rtb-1'), Routes: [{ DestinationPrefixListId: 'pl-halves', GatewayId: 'igw-1', State: 'active' }] } })],
        prefixLists: [prefixList('pl-halves', 'halves', HALVES_V4)],
      });
      expect(ids(check('nodes-in-private-subnets', v))).toEqual(['subnet-1']);
    });
  });
});

describe('internetPrefix (config)', () => {
  it('defaults to /16 for IPv4 and /32 for IPv6', () => {
    expect(config().internetPrefix).toEqual({ ipv4: 16, ipv6: 32 });
  });

  it.each([
    [{ ipv4: 33, ipv6: 32 }, /internetPrefix\.ipv4/],
    [{ ipv4: 16, ipv6: 129 }, /internetPrefix\.ipv6/],
    [{ ipv4: 8.5, ipv6: 32 }, /internetPrefix\.ipv4/],
    [{ ipv4: 16 }, /internetPrefix\.ipv6/],
    [{ ipv4: 16, ipv6: 32, ipv5: 1 }, /internetPrefix/],
  ])('rejects %j with the path of the bad field', (internetPrefix, path) => {
    expect(() => config({ internetPrefix })).toThrow(path);
  });
});
