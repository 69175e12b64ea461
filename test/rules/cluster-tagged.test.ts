import { check, clusterView, config, ids, nodegroup } from './fixtures';

describe('cluster-tagged', () => {
  const cfg = config({ requiredTags: ['owner', 'environment'] });

  it('fires on a cluster lacking a required tag (resourceId cluster name) — not when tagged', () => {
    const [f] = check('cluster-tagged', clusterView({ cluster: { tags: { owner: 'x' } } }), cfg);
    expect(f).toMatchObject({ ruleId: 'cluster-tagged', severity: 'low', resourceType: 'AWS::EKS::Cluster', resourceId: 'demo' });
    expect(f.evidence.missingTags).toEqual(['environment']);
    expect(check('cluster-tagged', clusterView(), cfg)).toEqual([]);
  });

  it('fires on a node group lacking a required tag (resourceId node group name)', () => {
    const fs = check('cluster-tagged', clusterView({ nodegroups: [nodegroup('ng-1'), nodegroup('ng-bare', { tags: {} })] }), cfg);
    expect(ids(fs)).toEqual(['ng-bare']);
    expect(fs[0]).toMatchObject({ resourceType: 'AWS::EKS::Nodegroup' });
  });

  it('follows the configured keys; tag keys are case-sensitive', () => {
    expect(ids(check('cluster-tagged', clusterView({ cluster: { tags: { Owner: 'x', environment: 'y' } } }), cfg))).toEqual(['demo']);
    expect(check('cluster-tagged', clusterView({ cluster: { tags: {} } }), config({ requiredTags: [] }))).toEqual([]);
  });
});
