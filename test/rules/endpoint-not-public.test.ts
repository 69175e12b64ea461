import { baseCluster, check, clusterView, config } from './fixtures';

describe('endpoint-not-public', () => {
  const vpc = (o: Record<string, unknown>) => ({ resourcesVpcConfig: { ...baseCluster().resourcesVpcConfig, ...o } });
  const run = (o: Record<string, unknown>, cfg = config()) => check('endpoint-not-public', clusterView({ cluster: vpc(o) }), cfg);

  it('fires on a public endpoint open to 0.0.0.0/0 — not on a private one with the same CIDRs', () => {
    const [f] = run({ endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] });
    expect(f).toMatchObject({ ruleId: 'endpoint-not-public', severity: 'high', resourceType: 'AWS::EKS::Cluster', resourceId: 'demo' });
    expect(f.evidence).toMatchObject({ endpointPublicAccess: true, offendingCidrs: ['0.0.0.0/0'] });
    expect(run({ endpointPublicAccess: false, publicAccessCidrs: ['0.0.0.0/0'] })).toEqual([]);
  });

  it('treats a public endpoint without publicAccessCidrs as 0.0.0.0/0 (the EKS default)', () => {
    expect(run({ endpointPublicAccess: true, publicAccessCidrs: undefined })).toHaveLength(1);
  });

  it('accepts narrow CIDRs with no allow-list; checks them against a non-empty allow-list', () => {
    expect(run({ endpointPublicAccess: true, publicAccessCidrs: ['203.0.113.0/24'] })).toEqual([]);
    const cfg = config({ allowedPublicEndpointCidrs: ['203.0.113.0/24'] });
    expect(run({ endpointPublicAccess: true, publicAccessCidrs: ['203.0.113.8/29'] }, cfg)).toEqual([]);
    const [f] = run({ endpointPublicAccess: true, publicAccessCidrs: ['203.0.113.8/29', '198.51.100.0/24'] }, cfg);
    expect(f.evidence.offendingCidrs).toEqual(['198.51.100.0/24']);
  });
});
