import { allow, check, clusterView, prefixList, sg } from './fixtures';

const withGroups = (...groups: ReturnType<typeof sg>[]) => clusterView({ securityGroups: groups });

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

  it('ignores security group references; expands prefix lists (the CloudFront origin-facing list is narrow enough)', () => {
    expect(ingress(withGroups(sg('sg-node', [allow('tcp', 443, 'sg-alb')])))).toEqual([]);
    const cloudfront = prefixList('pl-cf', 'com.amazonaws.global.cloudfront.origin-facing', ['130.176.0.0/18', '15.158.0.0/16', '64.252.64.0/18'], 'AWS');
    expect(ingress(clusterView({ securityGroups: [sg('sg-node', [allow('tcp', 443, 'pl-cf')])], prefixLists: [cloudfront] }))).toEqual([]);
  });
});
