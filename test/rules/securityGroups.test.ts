import { allow, check, clusterView, ids, sg } from './fixtures';

const withGroups = (...groups: ReturnType<typeof sg>[]) => clusterView({ securityGroups: groups });

describe('no-internet-ssh', () => {
  const ssh = (view: ReturnType<typeof clusterView>) => check('no-internet-ssh', view);

  it('fires on TCP 22 from 0.0.0.0/0 — and not on TCP 22 from a private CIDR', () => {
    const [f] = ssh(withGroups(sg('sg-node', [allow('tcp', 22, '0.0.0.0/0')])));
    expect(f).toMatchObject({
      ruleId: 'no-internet-ssh',
      severity: 'critical',
      resourceType: 'AWS::EC2::SecurityGroup',
      resourceId: 'sg-node',
      cluster: 'demo',
      account: '111122223333',
      region: 'us-east-1',
      guideline: 'Control SSH Access / EC2 Security Groups',
    });
    expect(f.message).toBe('sg-node (sg-node-name) allows SSH (tcp 22) from 0.0.0.0/0');
    expect(f.evidence.ipPermissions).toEqual([{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, sources: ['0.0.0.0/0'], admits: 'tcp 22' }]);
    expect(ssh(withGroups(sg('sg-node', [allow('tcp', 22, '10.0.0.0/8')])))).toEqual([]);
  });

  it('fires on IPv6 ::/0', () => {
    expect(ids(ssh(withGroups(sg('sg-node', [allow('tcp', 22, '::/0')]))))).toEqual(['sg-node']);
  });

  it.each([
    ['all traffic (-1)', allow('-1', 'all', '0.0.0.0/0'), true],
    ['protocol "6"', allow('6', 22, '0.0.0.0/0'), true],
    ['range 0-65535', allow('tcp', [0, 65535], '0.0.0.0/0'), true],
    ['range 20-25', allow('tcp', [20, 25], '0.0.0.0/0'), true],
    ['range 23-80 (no 22)', allow('tcp', [23, 80], '0.0.0.0/0'), false],
    ['udp 22', allow('udp', 22, '0.0.0.0/0'), false],
  ])('%s from the internet → %s', (_n, perm, fires) => {
    expect(ssh(withGroups(sg('sg-node', [perm])))).toHaveLength(fires ? 1 : 0);
  });

  it('does not count security group references or prefix lists as the internet', () => {
    expect(ssh(withGroups(sg('sg-node', [allow('tcp', 22, 'sg-bastion', 'pl-0123')])))).toEqual([]);
  });

  it('covers every role: cluster, control-plane, node and remote-access groups', () => {
    const v = withGroups(
      sg('sg-cluster', [allow('tcp', 22, '0.0.0.0/0')], ['cluster']),
      sg('sg-cp', [allow('tcp', 22, '0.0.0.0/0')], ['control-plane']),
      sg('sg-ra', [allow('tcp', 22, '0.0.0.0/0')], ['remote-access']),
    );
    expect(ids(ssh(v))).toEqual(['sg-cluster', 'sg-cp', 'sg-ra']);
  });

  it('reports one finding per group listing every offending permission', () => {
    const [f] = ssh(withGroups(sg('sg-node', [allow('tcp', 22, '0.0.0.0/0'), allow('-1', 'all', '::/0')])));
    expect(f.evidence.ipPermissions).toHaveLength(2);
  });
});

describe('no-internet-ingress', () => {
  const ingress = (view: ReturnType<typeof clusterView>) => check('no-internet-ingress', view);

  it('fires on TCP 443 from 0.0.0.0/0 — and not on TCP 443 from the VPC', () => {
    const [f] = ingress(withGroups(sg('sg-node', [allow('tcp', 443, '0.0.0.0/0')])));
    expect(f).toMatchObject({ ruleId: 'no-internet-ingress', severity: 'high', resourceId: 'sg-node' });
    expect(f.message).toContain('tcp 443 from 0.0.0.0/0');
    expect(ingress(withGroups(sg('sg-node', [allow('tcp', 443, '10.0.0.0/16')])))).toEqual([]);
  });

  it('does not report a permission that no-internet-ssh reports (all traffic, 22, 20-25)', () => {
    const v = withGroups(sg('sg-node', [allow('-1', 'all', '0.0.0.0/0'), allow('tcp', [20, 25], '::/0')]));
    expect(ingress(v)).toEqual([]);
    expect(check('no-internet-ssh', v)).toHaveLength(1);
  });

  it('reports the non-SSH permission of a group that also has an SSH one', () => {
    const v = withGroups(sg('sg-node', [allow('tcp', 22, '0.0.0.0/0'), allow('tcp', [23, 80], '::/0')]));
    const [f] = ingress(v);
    expect(f.evidence.ipPermissions).toEqual([{ IpProtocol: 'tcp', FromPort: 23, ToPort: 80, sources: ['::/0'], admits: 'tcp 23-80' }]);
  });

  it('ignores security group references and prefix lists', () => {
    expect(ingress(withGroups(sg('sg-node', [allow('tcp', 443, 'sg-alb', 'pl-0123')])))).toEqual([]);
  });
});

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
