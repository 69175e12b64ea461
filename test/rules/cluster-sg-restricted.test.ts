import { allow, check, clusterView, sg } from './fixtures';

const withGroups = (...groups: ReturnType<typeof sg>[]) => clusterView({ securityGroups: groups });

describe('cluster-sg-restricted', () => {
  const restricted = (view: ReturnType<typeof clusterView>) => check('cluster-sg-restricted', view);
  const clusterSg = (...perms: ReturnType<typeof allow>[]) => withGroups(sg('sg-cluster', perms, ['cluster']));

  it('is compliant with the EKS default (all traffic from itself)', () => {
    expect(restricted(clusterSg(allow('-1', 'all', 'sg-cluster')))).toEqual([]);
  });

  it('accepts TCP 443, TCP 10250 and TCP/UDP 53 from other sources', () => {
    const v = clusterSg(allow('tcp', 443, 'sg-node'), allow('tcp', 10250, 'sg-node'), allow('tcp', 53, 'sg-node'), allow('udp', 53, '10.0.0.0/16'));
    expect(restricted(v)).toEqual([]);
  });

  it('fires on all traffic from another security group', () => {
    const [f] = restricted(clusterSg(allow('-1', 'all', 'sg-cluster', 'sg-other')));
    expect(f).toMatchObject({ ruleId: 'cluster-sg-restricted', severity: 'medium', resourceId: 'sg-cluster' });
    expect(f.evidence.ipPermissions).toEqual([expect.objectContaining({ sources: ['sg-other'], admits: 'all traffic' })]);
  });

  it('fires on a port range wider than a control-plane port, from a CIDR or the internet', () => {
    expect(restricted(clusterSg(allow('tcp', [443, 444], '10.0.0.0/16')))).toHaveLength(1);
    expect(restricted(clusterSg(allow('tcp', 8080, '0.0.0.0/0')))).toHaveLength(1);
    expect(restricted(clusterSg(allow('udp', 10250, 'pl-0123')))).toHaveLength(1);
  });

  it('looks only at the cluster security group', () => {
    expect(restricted(withGroups(sg('sg-node', [allow('-1', 'all', 'sg-other')], ['node'])))).toEqual([]);
  });
});
