import { check, clusterView, vpcCni } from './fixtures';

describe('pod-sg-isolation', () => {
  const run = (addons: ReturnType<typeof vpcCni>[]) => check('pod-sg-isolation', clusterView({ addons }));

  it('is compliant with AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG "true" in JSON or YAML, or boolean true', () => {
    expect(run([vpcCni('{"env":{"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG":"true"}}')])).toEqual([]);
    expect(run([vpcCni('env:\n  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "true"\n')])).toEqual([]);
    expect(run([vpcCni('env:\n  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true\n')])).toEqual([]);
  });

  it('fires when the setting is absent or false', () => {
    const [f] = run([vpcCni('{"env":{"ENABLE_PREFIX_DELEGATION":"true"}}')]);
    expect(f).toMatchObject({ ruleId: 'pod-sg-isolation', severity: 'low', resourceType: 'AWS::EKS::Cluster', resourceId: 'demo' });
    expect(f.evidence).toMatchObject({ field: 'configurationValues.env.AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG', value: null });
    expect(run([vpcCni()])).toHaveLength(1);
    expect(run([vpcCni('{"env":{"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG":"false"}}')])[0].evidence.value).toBe('false');
  });

  it('fires when vpc-cni is not an EKS add-on (a self-managed aws-node is invisible)', () => {
    const [f] = run([]);
    expect(f.evidence).toMatchObject({ addon: 'vpc-cni', installed: false });
  });

  it('is not evaluated when configurationValues cannot be parsed', () => {
    expect(() => run([vpcCni('{"env": [unclosed')])).toThrow(/not evaluated: vpc-cni configurationValues/);
  });
});
