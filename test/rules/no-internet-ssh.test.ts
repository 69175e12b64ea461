import { allow, check, clusterView, ids, prefixList, sg } from './fixtures';

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

  it('does not count security group references as the internet; prefix lists count by their entries', () => {
    expect(ssh(withGroups(sg('sg-node', [allow('tcp', 22, 'sg-bastion')])))).toEqual([]);
    const bastions = prefixList('pl-0123', 'bastions', ['10.20.0.0/24']);
    expect(ssh(clusterView({ securityGroups: [sg('sg-node', [allow('tcp', 22, 'pl-0123')])], prefixLists: [bastions] }))).toEqual([]);
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
