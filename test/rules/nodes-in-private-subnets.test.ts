import { check, clusterView, route, routeTable, subnet } from './fixtures';

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
