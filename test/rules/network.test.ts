import { check, clusterView, config, ids, launchTemplate, nacl, naclIn, nodegroup, noSshAcl, route, routeTable, subnet } from './fixtures';

describe('nodes-in-private-subnets', () => {
  const run = (...subnets: ReturnType<typeof subnet>[]) => check('nodes-in-private-subnets', clusterView({ subnets }));

  it('fires on an explicit route table sending 0.0.0.0/0 to an internet gateway — not to a NAT gateway', () => {
    const [f] = run(subnet('subnet-pub', { routeTable: routeTable('rtb-pub', route('0.0.0.0/0', 'igw-1')) }));
    expect(f).toMatchObject({ ruleId: 'nodes-in-private-subnets', severity: 'high', resourceType: 'AWS::EC2::Subnet', resourceId: 'subnet-pub', guideline: 'VPC Layout' });
    expect(f.evidence).toMatchObject({ routeTableId: 'rtb-pub', routeTableIsMain: false, routes: [{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1' }] });
    expect(run(subnet('subnet-priv', { routeTable: routeTable('rtb-priv', route('0.0.0.0/0', 'nat-1')) }))).toEqual([]);
  });

  it('fires through the main route table and says so', () => {
    const [f] = run(subnet('subnet-main', { routeTable: routeTable('rtb-main', route('0.0.0.0/0', 'igw-1')), main: true }));
    expect(f.message).toContain('via the main route table rtb-main');
    expect(f.evidence.routeTableIsMain).toBe(true);
  });

  it('fires on ::/0 to an internet gateway, not to an egress-only gateway', () => {
    expect(run(subnet('subnet-v6', { routeTable: routeTable('rtb-v6', route('::/0', 'igw-1')) }))).toHaveLength(1);
    expect(run(subnet('subnet-v6', { routeTable: routeTable('rtb-v6', route('::/0', 'eigw-1')) }))).toEqual([]);
  });

  it('ignores blackhole routes and virtual private gateways', () => {
    expect(run(subnet('s', { routeTable: routeTable('r', route('0.0.0.0/0', 'igw-1', 'blackhole')) }))).toEqual([]);
    expect(run(subnet('s', { routeTable: routeTable('r', route('0.0.0.0/0', 'vgw-1')) }))).toEqual([]);
  });

  it('is not evaluated when a subnet\'s route table could not be resolved', () => {
    expect(() => run(subnet('subnet-x', { routeTable: null }))).toThrow(/route table of node subnet subnet-x/);
  });
});

describe('nodes-no-public-ip', () => {
  it('fires on a subnet with MapPublicIpOnLaunch — not without it', () => {
    const [f] = check('nodes-no-public-ip', clusterView({ subnets: [subnet('subnet-pub', { mapPublicIp: true })] }));
    expect(f).toMatchObject({ resourceType: 'AWS::EC2::Subnet', resourceId: 'subnet-pub', severity: 'high' });
    expect(f.evidence).toMatchObject({ MapPublicIpOnLaunch: true, nodesGettingPublicIp: ['ng-1'] });
    expect(check('nodes-no-public-ip', clusterView({ subnets: [subnet('subnet-priv')] }))).toEqual([]);
  });

  it('fires on a launch template that associates a public IP (resourceId = launch template id)', () => {
    const lt = launchTemplate({ NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: true }] }, 'lt-pub', 2);
    const [f] = check('nodes-no-public-ip', clusterView({ nodegroups: [nodegroup('ng-lt', {}, lt)] }));
    expect(f).toMatchObject({ resourceType: 'AWS::EC2::LaunchTemplate', resourceId: 'lt-pub' });
    expect(f.evidence).toMatchObject({ versionNumber: 2, nodegroups: ['ng-lt'], field: ['LaunchTemplateData.NetworkInterfaces[0].AssociatePublicIpAddress'] });
  });

  it('a launch template that explicitly disables public IPs overrides the subnet default', () => {
    const lt = launchTemplate({ NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: false }] });
    const view = clusterView({ nodegroups: [nodegroup('ng-lt', {}, lt)], subnets: [subnet('subnet-pub', { mapPublicIp: true, usedBy: ['ng-lt'] })] });
    expect(check('nodes-no-public-ip', view)).toEqual([]);
  });

  it('fires on a subnet holding a self-managed node with a public IP', () => {
    const view = clusterView({
      subnets: [subnet('subnet-self', { usedBy: ['i-0123'] })],
      selfManagedInstances: [{ InstanceId: 'i-0123', SubnetId: 'subnet-self', PublicIpAddress: '198.51.100.7' }],
    });
    const [f] = check('nodes-no-public-ip', view);
    expect(f).toMatchObject({ resourceId: 'subnet-self' });
    expect(f.evidence.instancesWithPublicIp).toEqual([{ InstanceId: 'i-0123', PublicIpAddress: '198.51.100.7' }]);
  });
});

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
