import { check, clusterView, config, ids, nacl, naclIn, noSshAcl, subnet } from './fixtures';

describe('nacl-blocks-ssh', () => {
  const run = (acl: ReturnType<typeof nacl>, cfg = config()) => check('nacl-blocks-ssh', clusterView({ subnets: [subnet('subnet-a', { acl }), subnet('subnet-b', { acl })] }), cfg);

  it('fires on the default ACL (allow all from 0.0.0.0/0) — not when SSH is denied first', () => {
    const [f] = run(nacl('acl-default', naclIn(100, 'allow', '-1', 'all', '0.0.0.0/0')));
    expect(f).toMatchObject({ ruleId: 'nacl-blocks-ssh', severity: 'medium', resourceType: 'AWS::EC2::NetworkAcl', resourceId: 'acl-default', guideline: 'Create a dedicated subnet' });
    expect(f.evidence).toMatchObject({ subnets: ['subnet-a', 'subnet-b'], entry: { RuleNumber: 100, RuleAction: 'allow', CidrBlock: '0.0.0.0/0' }, exampleSource: '0.0.0.0' });
    expect(f.message).toBe('network ACL acl-default of node subnets subnet-a, subnet-b lets SSH in from 0.0.0.0/0 (inbound entry #100 allows all traffic)');
    expect(run(noSshAcl())).toEqual([]);
  });

  it('an earlier DENY shadows a later ALLOW; an earlier ALLOW wins over a later DENY', () => {
    expect(run(nacl('acl-1', naclIn(100, 'deny', '6', [22, 22], '0.0.0.0/0'), naclIn(200, 'allow', '6', [0, 65535], '0.0.0.0/0')))).toEqual([]);
    expect(ids(run(nacl('acl-1', naclIn(100, 'allow', '6', [0, 65535], '0.0.0.0/0'), naclIn(200, 'deny', '6', [22, 22], '0.0.0.0/0'))))).toEqual(['acl-1']);
  });

  it('an IPv4-only deny leaves SSH open over IPv6', () => {
    const acl = nacl('acl-1', naclIn(100, 'deny', '6', [22, 22], '0.0.0.0/0'), naclIn(200, 'allow', '-1', 'all', '0.0.0.0/0'), naclIn(201, 'allow', '-1', 'all', '::/0'));
    const [f] = run(acl);
    expect(f.evidence).toMatchObject({ entry: { RuleNumber: 201, Ipv6CidrBlock: '::/0' }, exampleSource: '::' });
    expect(f.message).toContain('lets SSH in from ::/0 (inbound entry #201 allows all traffic; earlier entries leave e.g. :: through)');
  });

  it('SSH from the allowed bastion CIDR is fine; from a wider range it is not', () => {
    const bastion = nacl('acl-b', naclIn(90, 'allow', '6', [22, 22], '10.20.0.0/16'), naclIn(100, 'deny', '6', [22, 22], '0.0.0.0/0'), naclIn(200, 'allow', '-1', 'all', '0.0.0.0/0'));
    expect(run(bastion, config({ allowedSshCidrs: ['10.20.0.0/16'] }))).toEqual([]);
    expect(run(bastion)).toHaveLength(1);
    const wide = nacl('acl-w', naclIn(90, 'allow', '6', [20, 25], '10.0.0.0/8'), naclIn(100, 'deny', '6', [22, 22], '0.0.0.0/0'));
    expect(run(wide, config({ allowedSshCidrs: ['10.20.0.0/16'] }))[0].evidence).toMatchObject({ entry: { RuleNumber: 90 }, exampleSource: '10.0.0.0' });
  });

  it('a port range not covering 22 is not SSH', () => {
    expect(run(nacl('acl-1', naclIn(100, 'allow', '6', [23, 80], '0.0.0.0/0'), naclIn(110, 'allow', '6', [1024, 65535], '0.0.0.0/0')))).toEqual([]);
  });

  it('is not evaluated when a subnet\'s ACL is unknown', () => {
    expect(() => check('nacl-blocks-ssh', clusterView({ subnets: [subnet('subnet-a', { acl: null })] }))).toThrow(/network ACL of node subnet subnet-a/);
  });
});
