import { evaluateCluster } from '../../src/rules/engine/evaluate';
import { ACCOUNT, awsAuth, check, clusterView, config, ids } from './fixtures';

const OPS = `arn:aws:iam::${ACCOUNT}:role/ops-admin`;
const mode = (authenticationMode: 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP') => ({ accessConfig: { authenticationMode } });

describe('no-system-masters', () => {
  const run = (o: Parameters<typeof clusterView>[0]) => check('no-system-masters', clusterView(o));
  const cm = awsAuth({
    mapRoles: [
      { rolearn: `arn:aws:iam::${ACCOUNT}:role/node-role`, username: 'system:node:{{EC2PrivateDNSName}}', groups: ['system:bootstrappers', 'system:nodes'] },
      { rolearn: OPS, username: 'ops', groups: ['system:masters'] },
    ],
    mapUsers: [{ userarn: `arn:aws:iam::${ACCOUNT}:user/alice`, username: 'alice', groups: ['system:masters', 'dev'] }],
  });

  it('fires per principal mapped into system:masters (resourceId = the IAM ARN) — not for other groups', () => {
    const fs = run({ cluster: mode('CONFIG_MAP'), kubernetes: { awsAuth: cm } });
    expect(ids(fs)).toEqual([OPS, `arn:aws:iam::${ACCOUNT}:user/alice`]);
    expect(fs[0]).toMatchObject({ ruleId: 'no-system-masters', severity: 'high', resourceType: 'AWS::IAM::Role' });
    expect(fs[0].evidence).toMatchObject({ configMap: 'kube-system/aws-auth', entries: [{ field: 'data.mapRoles[1]', rolearn: OPS, groups: ['system:masters'] }] });
    expect(fs[1]).toMatchObject({ resourceType: 'AWS::IAM::User' });
  });

  it('applies in API_AND_CONFIG_MAP mode too', () => {
    expect(run({ cluster: mode('API_AND_CONFIG_MAP'), kubernetes: { awsAuth: cm } })).toHaveLength(2);
  });

  it('ignores aws-auth in API mode (EKS ignores it), even when Kubernetes was not read', () => {
    expect(run({ cluster: mode('API'), kubernetes: { awsAuth: cm } })).toEqual([]);
    expect(check('no-system-masters', clusterView({ kubernetes: undefined, loaded: [] }))).toEqual([]);
  });

  it('is compliant without an aws-auth ConfigMap', () => {
    expect(run({ cluster: mode('CONFIG_MAP'), kubernetes: {} })).toEqual([]);
  });

  it('is not evaluated when Kubernetes was not read or aws-auth is malformed', () => {
    const unread = evaluateCluster(clusterView({ cluster: mode('CONFIG_MAP'), kubernetes: undefined, loaded: ['accessEntries'] }), config(), ['no-system-masters']);
    expect(unread.notEvaluated[0].reason).toBe('kubernetes was not read');
    const bad = { data: { mapRoles: '- rolearn: [unclosed' } };
    const malformed = evaluateCluster(clusterView({ cluster: mode('CONFIG_MAP'), kubernetes: { awsAuth: bad } }), config(), ['no-system-masters']);
    expect(malformed.notEvaluated[0].reason).toMatch(/aws-auth data.mapRoles is not valid YAML/);
    expect(malformed.evaluatedRuleIds).toEqual([]);
  });
});
