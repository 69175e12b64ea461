import type { Subnet } from '@aws-sdk/client-ec2';
import { check, clusterView, config, ids, nacl, naclIn, noSshAcl, subnet } from './fixtures';

describe('nacl-blocks-ssh', () => {
  const run = (acl: ReturnType<typeof nacl>, cfg = config()) => check('nacl-blocks-ssh', clusterView({ subnets: [subnet('subnet-a', { acl }), subnet('subnet-b', { acl })] }), cfg);

  it('fires on the default ACL (allow all from 0.0.0.0/0) — not when SSH is denied first', () => {
    const [f] = run(nacl('acl-default', naclIn(100, 'allow', '-1', 'all', '0.0.0.0/0')));
    expect(f).toMatchObject({ ruleId: 'nacl-blocks-ssh', severity: 'medium', resourceType: 'AWS::EC2::NetworkAcl', resourceId: 'acl-default', guideline: 'Create a dedicated subnet' });
    expect(f.evidence).toMatchObject({ subnets: ['subnet-a', 'subnet-b'], entry: { RuleNumber: 100, RuleAction: 'allow', CidrBlock: '0.0.0.0/0' }, exampleSource: '0.0.0.0' });
    expect(f.message).toBe('network ACL acl-default of node subnets subnet-a, subnet-b lets SSH in from 0.0.0.0/0 (inbound entry #100 allows all traffic; bastions: none)');
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
    expect(f.message).toContain('lets SSH in from ::/0 (inbound entry #201 allows all traffic; earlier entries leave e.g. :: through; bastions: none)');
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

  describe('with no allowedSshCidrs: bastion subnets inferred from the VPC', () => {
    // The guide's "Create a dedicated subnet": nodes in 10.0.1.0/24 behind acl-nodes, a bastion in 10.0.100.0/24
    // behind its own acl-bastion; the node ACL allows SSH from the bastion subnet only and denies the rest.
    const node = (id: string, cidr: string): Subnet => ({ SubnetId: id, VpcId: 'vpc-1', CidrBlock: cidr });
    const guideAcl = nacl('acl-nodes', naclIn(90, 'allow', '6', [22, 22], '10.0.100.0/24'), naclIn(100, 'deny', '6', [22, 22], '0.0.0.0/0'), naclIn(101, 'deny', '6', [22, 22], '::/0'), naclIn(200, 'allow', '-1', 'all', '0.0.0.0/0'));
    const vpc = (acl: ReturnType<typeof nacl>) =>
      clusterView({
        subnets: [{ ...subnet('subnet-nodes', { acl }), subnet: node('subnet-nodes', '10.0.1.0/24') }],
        vpcSubnets: [
          { subnet: node('subnet-nodes', '10.0.1.0/24'), networkAcl: acl },
          { subnet: node('subnet-bastion', '10.0.100.0/24'), networkAcl: nacl('acl-bastion') },
          { subnet: node('subnet-db', '10.0.50.0/24'), networkAcl: acl },
        ],
      });

    it('the guide\'s own pattern passes with no configuration', () => {
      expect(check('nacl-blocks-ssh', vpc(guideAcl))).toEqual([]);
    });

    it('a VPC-wide allow does not: it lets in node subnets and subnets behind the same ACL, and says which bastions it took', () => {
      const wide = nacl('acl-nodes', naclIn(90, 'allow', '6', [22, 22], '10.0.0.0/16'), naclIn(100, 'deny', '6', [22, 22], '0.0.0.0/0'));
      const [f] = check('nacl-blocks-ssh', vpc(wide));
      expect(f.evidence).toMatchObject({
        entry: { RuleNumber: 90, CidrBlock: '10.0.0.0/16' },
        exampleSource: '10.0.0.0',
        bastionCidrs: ['10.0.100.0/24'],
        bastionsFrom: expect.stringContaining('inferred (no allowedSshCidrs configured): subnets of vpc-1 that host no node of demo and sit behind another network ACL'),
        bastionSubnets: [{ subnetId: 'subnet-bastion', cidrs: ['10.0.100.0/24'], networkAclId: 'acl-bastion' }],
      });
      expect(f.message).toContain('bastions: 10.0.100.0/24');
    });

    it('a subnet behind the node ACL itself is no bastion', () => {
      const fromDb = nacl('acl-nodes', naclIn(90, 'allow', '6', [22, 22], '10.0.50.0/24'), naclIn(100, 'deny', '6', [22, 22], '0.0.0.0/0'));
      expect(ids(check('nacl-blocks-ssh', vpc(fromDb)))).toEqual(['acl-nodes']);
    });

    it('configured allowedSshCidrs replace the inference', () => {
      const [f] = check('nacl-blocks-ssh', vpc(guideAcl), config({ allowedSshCidrs: ['192.168.0.0/24'] }));
      expect(f.evidence).toMatchObject({ bastionCidrs: ['192.168.0.0/24'], bastionsFrom: 'allowedSshCidrs (configuration)' });
    });
  });
});
